"""Losses: values and gradients against closed forms worked out by hand, gradcheck on every
one (float64), every reduction, and every kind of bad input."""
import math
import warnings

import numpy as np
import pytest

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import nn


def f64(values, requires_grad=True):
    return tg.Tensor(np.asarray(values, dtype=np.float64), dtype=np.float64, requires_grad=requires_grad)


def value_and_grad(loss_fn, x, *args, **kwargs):
    x = f64(x)
    loss = loss_fn(x, *args, **kwargs)
    loss.backward()
    return loss.data, x.grad.data


# x − y = [−0.5, 0, 1, −2]
PRED = [[1.0, 2.0], [3.0, 4.0]]
TARGET = [[1.5, 2.0], [2.0, 6.0]]


# ---------------------------------------------------------------------- regression losses
def test_mse_loss_value_and_gradient():
    # squares 0.25, 0, 1, 4 → sum 5.25, mean 1.3125;  ∂/∂x = 2(x − y)/4
    loss, grad = value_and_grad(nn.MSELoss(), PRED, TARGET)
    assert loss == pytest.approx(1.3125)
    np.testing.assert_allclose(grad, [[-0.25, 0.0], [0.5, -1.0]])
    assert F.mse_loss(f64(PRED), TARGET, reduction="sum").item() == pytest.approx(5.25)
    np.testing.assert_allclose(F.mse_loss(f64(PRED), TARGET, reduction="none").data, [[0.25, 0], [1, 4]])


def test_l1_loss_value_and_gradient():
    # |x − y| = 0.5, 0, 1, 2 → mean 0.875;  ∂/∂x = sign(x − y)/4 (0 where equal)
    loss, grad = value_and_grad(nn.L1Loss(), PRED, TARGET)
    assert loss == pytest.approx(0.875)
    np.testing.assert_allclose(grad, [[-0.25, 0.0], [0.25, -0.25]])
    assert F.l1_loss(f64(PRED), TARGET, reduction="sum").item() == pytest.approx(3.5)


def test_huber_loss_value_and_gradient():
    # δ = 1: |d| = 0.5 → ½·0.25 = 0.125; 0 → 0; 1 → 1·(1 − ½) = 0.5; 2 → 1·(2 − ½) = 1.5
    loss, grad = value_and_grad(nn.HuberLoss(), PRED, TARGET)
    assert loss == pytest.approx(2.125 / 4)
    np.testing.assert_allclose(grad, [[-0.125, 0.0], [0.25, -0.25]])  # clip(d, −1, 1)/4
    # δ = 0.5: 0.5·(0.5 − 0.25), 0, 0.5·(1 − 0.25), 0.5·(2 − 0.25)
    np.testing.assert_allclose(F.huber_loss(f64(PRED), TARGET, reduction="none", delta=0.5).data,
                               [[0.125, 0.0], [0.375, 0.875]])
    with pytest.raises(ValueError, match="delta must be positive"):
        nn.HuberLoss(delta=0)


def test_regression_losses_pass_gradcheck_for_input_and_target():
    rng = np.random.default_rng(0)
    x, y = f64(rng.standard_normal((3, 4))), f64(rng.standard_normal((3, 4)))
    for loss in (F.mse_loss, F.l1_loss, F.huber_loss):
        for reduction in ("mean", "sum", "none"):
            assert tg.gradcheck(lambda a, b: loss(a, b, reduction=reduction), [x, y])


def test_a_target_that_requires_grad_gets_the_opposite_gradient():
    x, y = f64([1.0, 2.0]), f64([0.0, 4.0])
    F.mse_loss(x, y, reduction="sum").backward()
    np.testing.assert_allclose(x.grad.data, [2.0, -4.0])
    np.testing.assert_allclose(y.grad.data, [-2.0, 4.0])


# ---------------------------------------------------------------------- cross-entropy
LOGITS = [[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]
LABELS = [2, 0]
# row 1: logsumexp = 3 + ln(1 + e⁻¹ + e⁻²) = 3.4076059644; row 2: ln 3 = 1.0986122887
NLL_ROWS = np.array([0.4076059644, 1.0986122887])
SOFTMAX = np.array([[0.0900305732, 0.2447284711, 0.6652409558], [1 / 3, 1 / 3, 1 / 3]])


def test_cross_entropy_value_and_gradient():
    loss, grad = value_and_grad(nn.CrossEntropyLoss(), LOGITS, tg.Tensor(LABELS))
    assert loss == pytest.approx(NLL_ROWS.mean(), rel=1e-9)
    onehot = np.array([[0, 0, 1], [1, 0, 0]])
    np.testing.assert_allclose(grad, (SOFTMAX - onehot) / 2, rtol=1e-9)


def test_cross_entropy_reductions():
    logits = f64(LOGITS, requires_grad=False)
    np.testing.assert_allclose(F.cross_entropy(logits, LABELS, reduction="none").data, NLL_ROWS, rtol=1e-9)
    assert F.cross_entropy(logits, LABELS, reduction="sum").item() == pytest.approx(NLL_ROWS.sum(), rel=1e-9)


def test_cross_entropy_label_smoothing_matches_the_closed_form():
    eps, classes = 0.1, 3
    log_p = np.log(SOFTMAX)
    # target (1 − ε)·onehot + ε/C:  lₙ = −(1 − ε)·log pₙ[yₙ] − (ε/C)·Σ_c log pₙ[c]
    rows = -(1 - eps) * log_p[[0, 1], LABELS] - eps / classes * log_p.sum(axis=1)
    np.testing.assert_allclose(rows, [0.5076059644, 1.0986122887], rtol=1e-9)
    loss, grad = value_and_grad(nn.CrossEntropyLoss(label_smoothing=eps), LOGITS, LABELS)
    assert loss == pytest.approx(rows.mean(), rel=1e-9)
    smoothed = (1 - eps) * np.array([[0, 0, 1], [1, 0, 0]]) + eps / classes
    np.testing.assert_allclose(grad, (SOFTMAX - smoothed) / 2, rtol=1e-9)


def test_cross_entropy_class_weights_divide_the_mean_by_the_label_weights():
    weight = tg.Tensor([1.0, 2.0, 3.0])
    loss = F.cross_entropy(f64(LOGITS), LABELS, weight=weight)
    # labels 2 and 0 have weights 3 and 1: (3·0.40760596 + 1·1.09861229) / (3 + 1)
    assert loss.item() == pytest.approx((3 * NLL_ROWS[0] + NLL_ROWS[1]) / 4, rel=1e-7)
    assert nn.CrossEntropyLoss(weight=weight).state_dict()["weight"].tolist() == [1.0, 2.0, 3.0]


def test_cross_entropy_ignore_index_skips_a_label():
    loss, grad = value_and_grad(F.cross_entropy, LOGITS, [2, -100])
    assert loss == pytest.approx(NLL_ROWS[0], rel=1e-9)
    np.testing.assert_array_equal(grad[1], [0.0, 0.0, 0.0])
    assert F.cross_entropy(f64(LOGITS), [2, 0], ignore_index=0).item() == pytest.approx(NLL_ROWS[0], rel=1e-9)


def test_cross_entropy_with_class_probabilities_and_extra_dimensions():
    probabilities = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    assert F.cross_entropy(f64(LOGITS), probabilities).item() == pytest.approx(NLL_ROWS.mean(), rel=1e-9)
    # (N, C, d) logits with (N, d) labels: the same rows, moved to a trailing dimension
    logits = f64(np.array(LOGITS)[None].transpose(0, 2, 1))      # (1, 3, 2)
    assert F.cross_entropy(logits, [[2, 0]]).item() == pytest.approx(NLL_ROWS.mean(), rel=1e-9)
    assert F.cross_entropy(f64([1.0, 2.0, 3.0]), 2).item() == pytest.approx(NLL_ROWS[0], rel=1e-9)


def test_cross_entropy_is_stable_for_huge_logits():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss, grad = value_and_grad(F.cross_entropy, [[1000.0, -1000.0], [0.0, 5000.0]], [1, 1])
    assert loss == pytest.approx(1000.0)  # row 1: 2000, row 2: 0
    np.testing.assert_allclose(grad, [[0.5, -0.5], [0.0, 0.0]])


def test_cross_entropy_passes_gradcheck_in_every_configuration():
    rng = np.random.default_rng(1)
    logits = f64(rng.standard_normal((5, 4)))
    labels = np.array([0, 3, -100, 1, 3])
    weight = np.array([0.5, 1.0, 2.0, 1.5])
    for reduction in ("mean", "sum", "none"):
        for smoothing in (0.0, 0.2):
            for w in (None, weight):
                assert tg.gradcheck(lambda z: F.cross_entropy(z, labels, weight=w, reduction=reduction,
                                                              label_smoothing=smoothing), [logits])
    probabilities = f64(rng.dirichlet(np.ones(4), size=5))
    assert tg.gradcheck(lambda z, t: F.cross_entropy(z, t, weight=weight, label_smoothing=0.1),
                        [logits, probabilities])
    spatial_labels = np.array([[0, 3, 1], [2, 2, 0]])  # logits (N=2, C=4, d=3)
    assert tg.gradcheck(lambda z: F.cross_entropy(z, spatial_labels, label_smoothing=0.1, reduction="none"),
                        [f64(rng.standard_normal((2, 4, 3)))])


def test_nll_loss_value_gradient_and_gradcheck():
    log_probs = [[-0.1, -2.0, -3.0], [-1.5, -0.5, -2.5]]
    loss, grad = value_and_grad(nn.NLLLoss(), log_probs, [0, 1])
    assert loss == pytest.approx(0.3)  # (0.1 + 0.5)/2
    np.testing.assert_allclose(grad, [[-0.5, 0, 0], [0, -0.5, 0]])
    weighted = F.nll_loss(f64(log_probs), [0, 1], weight=[2.0, 1.0, 1.0], reduction="none")
    np.testing.assert_allclose(weighted.data, [0.2, 0.5])
    # NLL of log_softmax is cross-entropy
    ce = F.nll_loss(F.log_softmax(f64(LOGITS), dim=1), LABELS)
    assert ce.item() == pytest.approx(NLL_ROWS.mean(), rel=1e-9)
    for reduction in ("mean", "sum", "none"):
        assert tg.gradcheck(lambda x: F.nll_loss(x, [0, 2], weight=[1.0, 2.0, 3.0], reduction=reduction),
                            [f64(log_probs)])


# ---------------------------------------------------------------------- binary cross-entropy
def test_bce_value_and_gradient():
    # −ln 0.9, −ln 0.8, −ln 0.5;  ∂/∂x = (x − y)/(x(1 − x)) / 3
    loss, grad = value_and_grad(nn.BCELoss(), [0.9, 0.2, 0.5], [1.0, 0.0, 1.0])
    assert loss == pytest.approx((-math.log(0.9) - math.log(0.8) - math.log(0.5)) / 3)
    np.testing.assert_allclose(grad, [-0.1 / 0.09 / 3, 0.2 / 0.16 / 3, -0.5 / 0.25 / 3])
    assert F.binary_cross_entropy(f64([0.5]), [1.0], weight=[3.0]).item() == pytest.approx(3 * math.log(2))


def test_bce_clamps_its_logs_at_minus_100_like_pytorch():
    with np.errstate(all="raise"):
        loss = F.binary_cross_entropy(f64([0.0, 1.0]), [1.0, 0.0], reduction="none")
    np.testing.assert_array_equal(loss.data, [100.0, 100.0])


def test_bce_with_logits_value_and_gradient():
    x, y = [2.0, -1.0, 0.0], [1.0, 0.0, 0.5]
    # max(x, 0) − x·y + ln(1 + e^−|x|):  ln(1 + e⁻²), ln(1 + e⁻¹), ln 2
    expected = [math.log1p(math.exp(-2)), math.log1p(math.exp(-1)), math.log(2)]
    xt = f64(x)
    loss = nn.BCEWithLogitsLoss(reduction="none")(xt, y)
    loss.sum().backward()
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)
    sigmoid = 1 / (1 + np.exp(-np.array(x)))
    np.testing.assert_allclose(xt.grad.data, sigmoid - np.array(y), rtol=1e-12)  # σ(x) − y


def test_bce_with_logits_is_finite_at_plus_minus_1000_without_warnings():
    for dtype in (np.float32, np.float64):
        x = tg.Tensor([1000.0, -1000.0, 1000.0, -1000.0], dtype=dtype, requires_grad=True)
        with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
            warnings.simplefilter("error")
            loss = F.binary_cross_entropy_with_logits(x, [1.0, 0.0, 0.0, 1.0], reduction="sum")
            loss.backward()
        # right answers cost nothing; wrong ones cost |x| = 1000 each
        assert loss.item() == 2000.0
        np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 1.0, -1.0])


def test_bce_with_logits_pos_weight_and_weight():
    # (1 − y)·x + (1 + (pw − 1)·y)·ln(1 + e⁻ˣ) with x = 0.5, y = 1, pw = 3, w = 2
    loss = F.binary_cross_entropy_with_logits(f64([0.5]), [1.0], weight=[2.0], pos_weight=[3.0])
    assert loss.item() == pytest.approx(2 * 3 * math.log1p(math.exp(-0.5)))


def test_binary_losses_pass_gradcheck():
    rng = np.random.default_rng(2)
    probabilities = f64(rng.uniform(0.05, 0.95, (3, 4)))
    logits = f64(rng.standard_normal((3, 4)) * 3)
    targets = f64(rng.uniform(0, 1, (3, 4)))
    weight, pos_weight = rng.uniform(0.5, 2, 4), rng.uniform(0.5, 3, 4)
    for reduction in ("mean", "sum", "none"):
        assert tg.gradcheck(lambda p, t: F.binary_cross_entropy(p, t, weight=weight, reduction=reduction),
                            [probabilities, targets])
        assert tg.gradcheck(lambda z, t: F.binary_cross_entropy_with_logits(
            z, t, weight=weight, pos_weight=pos_weight, reduction=reduction), [logits, targets])
        assert tg.gradcheck(lambda z: F.binary_cross_entropy_with_logits(z, targets.data, reduction=reduction),
                            [logits])


# ---------------------------------------------------------------------- float32 in, float32 out
def test_losses_keep_the_input_dtype():
    x = tg.Tensor([[0.2, 0.8]], requires_grad=True)
    for loss in (F.mse_loss(x, np.array([[0.0, 1.0]])), F.binary_cross_entropy(x, [[0.0, 1.0]]),
                 F.cross_entropy(x, [1]), F.binary_cross_entropy_with_logits(x, [[0, 1]])):
        assert loss.dtype == np.float32
        loss.backward()
        assert x.grad.dtype == np.float32


# ---------------------------------------------------------------------- bad input
def test_shape_mismatch_names_the_loss_and_both_shapes():
    with pytest.raises(ValueError) as error:
        nn.MSELoss()(tg.zeros(4, 1), tg.zeros(4))
    assert str(error.value) == "MSELoss: input shape (4, 1) and target shape (4,) differ"
    for loss, name in ((nn.L1Loss(), "L1Loss"), (nn.HuberLoss(), "HuberLoss"), (nn.BCELoss(), "BCELoss"),
                       (nn.BCEWithLogitsLoss(), "BCEWithLogitsLoss")):
        with pytest.raises(ValueError, match=rf"{name}: input shape \(3,\) and target shape \(3, 1\) differ"):
            loss(tg.zeros(3), np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: input shape \(4, 10\) and target shape \(5,\)"):
        nn.CrossEntropyLoss()(tg.zeros(4, 10), np.zeros(5, dtype=np.int64))


@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss(), nn.NLLLoss()])
def test_out_of_range_labels_name_the_label_and_the_number_of_classes(loss):
    name = type(loss).__name__
    with pytest.raises(ValueError) as error:
        loss(tg.zeros(3, 10), [1, 10, 2])
    assert str(error.value) == (f"{name}: class label 10 is out of range for 10 classes "
                                "(labels must be in 0..9, or ignore_index=-100)")
    with pytest.raises(ValueError, match=f"{name}: class label -1 is out of range for 10 classes"):
        loss(tg.zeros(3, 10), [1, -1, 2])


def test_non_integer_labels_are_refused():
    with pytest.raises(ValueError) as error:
        F.cross_entropy(tg.zeros(2, 10), np.array([1.0, 1.5]))
    assert str(error.value) == ("CrossEntropyLoss: class labels must be integers, got 1.5 (dtype float64) "
                                "for 10 classes")
    with pytest.raises(ValueError, match="class labels must be integers, got 1.0 .dtype float32. for 10 classes"):
        F.cross_entropy(tg.zeros(2, 10), tg.Tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="class labels must be integers, got dtype bool"):
        F.nll_loss(tg.zeros(2, 10), np.array([True, False]))


def test_bce_targets_and_probabilities_must_be_in_0_1():
    with pytest.raises(ValueError) as error:
        nn.BCELoss()(tg.Tensor([0.5, 0.5]), [1.0, 1.5])
    assert str(error.value) == "BCELoss: target values must be between 0 and 1, got 1.5 at index (1,)"
    with pytest.raises(ValueError, match="BCEWithLogitsLoss: target values must be between 0 and 1, got .*-0.5"):
        nn.BCEWithLogitsLoss()(tg.Tensor([3.0, -2.0]), [-0.5, 1.0])
    with pytest.raises(ValueError, match="BCELoss: input values must be between 0 and 1, got .*1.2"):
        nn.BCELoss()(tg.Tensor([1.2, 0.5]), [1.0, 1.0])


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="MSELoss: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="L1Loss: reduction must be"):
        F.l1_loss(tg.zeros(2), tg.zeros(2), reduction="average")
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0, got 1.5"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\) \(one per class\), got \(2,\)"):
        F.cross_entropy(tg.zeros(2, 3), [0, 1], weight=[1.0, 2.0])
    with pytest.raises(TypeError, match="input must be a Tensor, got list"):
        F.mse_loss([1.0], [1.0])


def test_a_refused_loss_changes_nothing_and_records_nothing():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 10))
    before = model.state_dict()
    logits = model(tg.ones(2, 4))
    with pytest.raises(ValueError):
        nn.CrossEntropyLoss()(logits, [3, 10])
    assert all(p.grad is None for p in model.parameters())
    assert all(np.array_equal(model.state_dict()[k], before[k]) for k in before)
    loss = nn.CrossEntropyLoss()(logits, [3, 9])  # the same graph still works afterwards
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
