"""Tests for tinygrad_opt.lab.step_sizes.inspect_step: on a loss with the constant gradient
g = (3, 0.5), two steps of each rule, the effective step sizes written out by hand."""
import math

import numpy as np
import pytest

from tinygrad_opt import Tensor
from tinygrad_opt.data import make_sparse_regression
from tinygrad_opt.lab import inspect_step
from tinygrad_opt.optim import NAG, SGD, AdaGrad, Adadelta, AdaMax, Adam, AdamW, Momentum, Optimizer, RAdam, RMSProp

G = np.array([3.0, 0.5])          # ∂L/∂θ of L(θ) = 3·θ₀ + 0.5·θ₁, at every step


def two_steps(make_optimizer):
    """Take two steps on L(θ) = g·θ from θ = (1, 2); inspect the second."""
    theta = Tensor([1.0, 2.0], requires_grad=True, dtype=np.float64, name="theta")
    optimizer = make_optimizer([theta])
    for step in range(2):
        optimizer.zero_grad()
        (theta * Tensor(G, dtype=np.float64)).sum().backward()
        if step == 0:
            optimizer.step()
        else:
            with inspect_step(optimizer) as report:
                optimizer.step()
    return report


def test_sgd_every_element_steps_by_eta():
    report = two_steps(lambda p: SGD(p, lr=0.1))
    assert report.rule == "SGD" and report.formula == "η"
    (param,) = report.params
    assert param.name == "theta"
    assert param.step_size.tolist() == [0.1, 0.1]
    np.testing.assert_allclose(param.update, [-0.3, -0.05])                  # −η·g
    assert param.update_norm == pytest.approx(math.sqrt(0.3 ** 2 + 0.05 ** 2))


def test_momentum_step_size_is_eta_and_the_update_is_the_velocity():
    report = two_steps(lambda p: Momentum(p, lr=0.1, momentum=0.9))
    assert report.rule == "Momentum"
    assert report[0].step_size.tolist() == [0.1, 0.1]
    # v₁ = η·g, v₂ = γ·v₁ + η·g = 0.19·g; θ moves by −v₂.
    np.testing.assert_allclose(report[0].update, -0.19 * G)


def test_adagrad_divides_by_the_root_of_the_summed_squares():
    report = two_steps(lambda p: AdaGrad(p, lr=0.1))
    # G = g² + g² = 2g², so η/(√G + ε) = 0.1/(√2·|g|): (0.0235702, 0.1414214).
    np.testing.assert_allclose(report[0].step_size, [0.1 / (math.sqrt(2) * 3), 0.1 / (math.sqrt(2) * 0.5)])
    # Each coordinate moves by the same 0.1/√2, whatever the size of its gradient.
    np.testing.assert_allclose(report[0].update, -report[0].step_size * G)
    np.testing.assert_allclose(report[0].update, [-0.1 / math.sqrt(2)] * 2)


def test_adagrad_lr_decay():
    report = two_steps(lambda p: AdaGrad(p, lr=0.1, lr_decay=0.5))
    # η_2 = η / (1 + (2 − 1)·0.5) = 0.1/1.5.
    np.testing.assert_allclose(report[0].step_size, (0.1 / 1.5) / (math.sqrt(2) * np.abs(G)))
    np.testing.assert_allclose(report[0].update, -report[0].step_size * G)


def test_rmsprop_divides_by_the_root_mean_square():
    report = two_steps(lambda p: RMSProp(p, lr=0.01, alpha=0.99))
    # E[g²] = 0.99·(0.01·g²) + 0.01·g² = 0.0199·g²; step size η/(√E[g²] + ε), ε = 1e-8.
    assert report.rule == "RMSProp"
    np.testing.assert_allclose(report[0].step_size, 0.01 / (math.sqrt(0.0199) * np.abs(G) + 1e-8))
    np.testing.assert_allclose(report[0].update, -report[0].step_size * G)


def test_rmsprop_centered_subtracts_the_squared_mean():
    report = two_steps(lambda p: RMSProp(p, lr=0.01, alpha=0.99, centered=True))
    # E[g] = 0.99·(0.01·g) + 0.01·g = 0.0199·g, so E[g²] − E[g]² = 0.0199·(1 − 0.0199)·g².
    variance = 0.0199 * (1 - 0.0199)
    np.testing.assert_allclose(report[0].step_size, 0.01 / (math.sqrt(variance) * np.abs(G) + 1e-8))
    np.testing.assert_allclose(report[0].update, -report[0].step_size * G)


def test_adam_bias_corrected_step():
    report = two_steps(lambda p: Adam(p, lr=0.1))
    # m = (1 − 0.9²)·g = 0.19·g, v̂ = g²: step size (0.1/0.19)/(|g| + ε), times m → 0.1 each.
    assert report.rule == "Adam"
    np.testing.assert_allclose(report[0].step_size, (0.1 / 0.19) / (np.abs(G) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(report[0].update, -report[0].step_size * 0.19 * G)
    np.testing.assert_allclose(report[0].update, [-0.1, -0.1], rtol=1e-7)


def test_adam_amsgrad_and_adamw():
    amsgrad = two_steps(lambda p: Adam(p, lr=0.1, amsgrad=True))
    np.testing.assert_allclose(amsgrad[0].step_size, (0.1 / 0.19) / (np.abs(G) + 1e-8), rtol=1e-12)
    adamw = two_steps(lambda p: AdamW(p, lr=0.1, weight_decay=0.0))
    assert adamw.rule == "AdamW"
    np.testing.assert_allclose(adamw[0].step_size, (0.1 / 0.19) / (np.abs(G) + 1e-8), rtol=1e-12)


def test_adagrad_gives_the_rare_weight_the_largest_step():
    X, y, _ = make_sparse_regression(seed=0)
    inputs, targets = Tensor(X, dtype=np.float64), Tensor(y, dtype=np.float64)
    reports = {}
    for rule, make in (("sgd", lambda p: SGD(p, lr=0.4)), ("adagrad", lambda p: AdaGrad(p, lr=0.5))):
        w = Tensor(np.zeros((10, 1)), requires_grad=True, dtype=np.float64)
        optimizer = make([w])
        for _ in range(3):
            optimizer.zero_grad()
            residual = inputs @ w - targets
            (residual * residual).mean().backward()
            with inspect_step(optimizer) as report:
                optimizer.step()
        reports[rule] = report
    assert np.all(reports["sgd"].step_sizes() == 0.4)
    adagrad = reports["adagrad"].step_sizes()
    assert adagrad.argmax() == 0 and adagrad[0] > 3 * np.median(adagrad[1:])


def test_several_parameters_names_and_skipped_ones():
    a = Tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    b = Tensor([[3.0]], requires_grad=True, dtype=np.float64)
    unused = Tensor([5.0], requires_grad=True, dtype=np.float64)
    optimizer = SGD([("weight", a), ("bias", b), ("unused", unused)], lr=0.5)
    ((a * a).sum() + b.sum()).backward()
    with inspect_step(optimizer) as report:
        optimizer.step()
    assert [p.name for p in report.params] == ["weight", "bias"]     # no gradient, no step
    assert report["bias"].update.tolist() == [[-0.5]]
    assert report.step_sizes().tolist() == [0.5, 0.5, 0.5]
    assert report.update_norm == pytest.approx(math.sqrt(1.0 + 4.0 + 0.25))
    assert "weight" in report.table() and "bias" in str(report)
    with pytest.raises(KeyError, match="no parameter named 'nope'"):
        report["nope"]

    c = Tensor([1.0], requires_grad=True)
    optimizer = Adam([c, Tensor([2.0], requires_grad=True)], lr=0.1)
    c.sum().backward()
    with inspect_step(optimizer) as report:
        optimizer.step()
    assert [p.name for p in report.params] == ["group 0, param 0"]


def test_the_report_is_filled_only_after_the_step():
    theta = Tensor([1.0], requires_grad=True)
    optimizer = SGD([theta], lr=0.1)
    theta.sum().backward()
    with inspect_step(optimizer) as report:
        with pytest.raises(RuntimeError, match="the step has not been inspected yet"):
            report.step_sizes()
        assert str(report) == "SGD: step not taken yet"
        optimizer.step()
    assert len(report) == 1

    with pytest.raises(ZeroDivisionError):
        with inspect_step(optimizer) as failed:
            1 / 0
    assert not failed.taken and len(failed) == 0


def test_an_unknown_optimizer_is_refused_before_the_step():
    class Sign(Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

    with pytest.raises(TypeError, match="inspect_step knows SGD, .* got Sign"):
        with inspect_step(Sign([Tensor([1.0], requires_grad=True)])):
            pass


def test_adamax_and_radam_step_sizes_multiply_m():
    # AdaMax after two steps of g: m = 0.19·g, u = max(0.999·|g|, |g|) + ε = |g| + ε: η/(1 − 0.81)/u · m.
    adamax = two_steps(lambda p: AdaMax(p, lr=0.1))
    np.testing.assert_allclose(adamax[0].step_size, (0.1 / 0.19) / (np.abs(G) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(adamax[0].update, -adamax[0].step_size * 0.19 * G, rtol=1e-12)
    # RAdam's second step is still a momentum step (ρ_2 ≤ 5): η/(1 − β1²), the same for every element.
    radam = two_steps(lambda p: RAdam(p, lr=0.1))
    assert radam.formula == RAdam.step_size_formula
    np.testing.assert_allclose(radam[0].step_size, [0.1 / 0.19, 0.1 / 0.19], rtol=1e-12)
    np.testing.assert_allclose(radam[0].update, -radam[0].step_size * 0.19 * G, rtol=1e-12)


def test_nag_and_adadelta_report_their_step_sizes():
    nag = two_steps(lambda p: NAG(p, lr=0.1))
    assert nag.rule == "NAG" and nag[0].step_size.tolist() == [0.1, 0.1]
    # v₂ = 0.19·g, and the step is γ·v₂ + η·g = (0.171 + 0.1)·g.
    np.testing.assert_allclose(nag[0].update, -0.271 * G, rtol=1e-12)
    adadelta = two_steps(lambda p: Adadelta(p))
    assert adadelta.rule == "Adadelta" and np.all(adadelta[0].step_size > 0)
