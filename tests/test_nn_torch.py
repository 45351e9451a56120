"""The same numbers as PyTorch, when PyTorch is installed (CI has no torch: these skip)."""
import math

import numpy as np
import pytest

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def pair(array, requires_grad=True):
    array = np.asarray(array, dtype=np.float64)
    return (tg.Tensor(array, dtype=np.float64, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def compare(ours, theirs, inputs):
    """Forward values and the gradients of a random projection of the output."""
    projection = np.random.default_rng(0).standard_normal(np.shape(ours.data))
    (ours * tg.Tensor(projection, dtype=np.float64)).sum().backward()
    (theirs * torch.tensor(projection)).sum().backward()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, reference in inputs:
        np.testing.assert_allclose(mine.grad.data, reference.grad.numpy(), rtol=1e-7, atol=1e-10)


RNG = np.random.default_rng(5)
LOGITS = RNG.standard_normal((6, 4)) * 3
LABELS = np.array([0, 3, 1, 1, 2, 3])
WEIGHT = np.array([0.5, 1.0, 2.0, 1.5])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
def test_cross_entropy_matches_torch(reduction, smoothing, weighted, ignore):
    labels = LABELS.copy()
    if ignore:
        labels[[1, 4]] = -100
    (x, tx) = pair(LOGITS)
    ours = F.cross_entropy(x, labels, weight=WEIGHT if weighted else None, reduction=reduction,
                           label_smoothing=smoothing)
    theirs = TF.cross_entropy(tx, torch.tensor(labels), weight=torch.tensor(WEIGHT) if weighted else None,
                              reduction=reduction, label_smoothing=smoothing)
    compare(ours, theirs, [(x, tx)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_probabilities_and_spatial_labels_matches_torch(reduction):
    x, tx = pair(LOGITS)
    t, tt = pair(RNG.dirichlet(np.ones(4), size=6))
    compare(F.cross_entropy(x, t, weight=WEIGHT, label_smoothing=0.1, reduction=reduction),
            TF.cross_entropy(tx, tt, weight=torch.tensor(WEIGHT), label_smoothing=0.1, reduction=reduction),
            [(x, tx), (t, tt)])
    x, tx = pair(RNG.standard_normal((2, 4, 3, 2)))
    labels = RNG.integers(0, 4, (2, 3, 2))
    compare(F.cross_entropy(x, labels, reduction=reduction),
            TF.cross_entropy(tx, torch.tensor(labels), reduction=reduction), [(x, tx)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_and_binary_losses_match_torch(reduction):
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    for ours_fn, theirs_fn, kwargs in [(F.mse_loss, TF.mse_loss, {}), (F.l1_loss, TF.l1_loss, {}),
                                       (F.huber_loss, TF.huber_loss, {"delta": 0.7})]:
        (x, tx), (y, ty) = pair(a), pair(b)
        compare(ours_fn(x, y, reduction=reduction, **kwargs), theirs_fn(tx, ty, reduction=reduction, **kwargs),
                [(x, tx), (y, ty)])
    (p, tp), (y, ty) = pair(RNG.uniform(0.05, 0.95, (3, 4))), pair(RNG.uniform(0, 1, (3, 4)))
    compare(F.binary_cross_entropy(p, y, weight=WEIGHT, reduction=reduction),
            TF.binary_cross_entropy(tp, ty, weight=torch.tensor(WEIGHT), reduction=reduction), [(p, tp), (y, ty)])
    (z, tz), (y, ty) = pair(RNG.standard_normal((3, 4)) * 5), pair(RNG.uniform(0, 1, (3, 4)))
    pos_weight = RNG.uniform(0.5, 3, 4)
    compare(F.binary_cross_entropy_with_logits(z, y, weight=WEIGHT, pos_weight=pos_weight, reduction=reduction),
            TF.binary_cross_entropy_with_logits(tz, ty, weight=torch.tensor(WEIGHT),
                                                pos_weight=torch.tensor(pos_weight), reduction=reduction),
            [(z, tz), (y, ty)])
    (x, tx) = pair(LOGITS)
    compare(F.nll_loss(x, LABELS, weight=WEIGHT, reduction=reduction),
            TF.nll_loss(tx, torch.tensor(LABELS), weight=torch.tensor(WEIGHT), reduction=reduction), [(x, tx)])


def test_activations_match_torch():
    for ours, theirs in [(nn.ReLU(), torch.nn.ReLU()), (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
                         (nn.Tanh(), torch.nn.Tanh()), (nn.Sigmoid(), torch.nn.Sigmoid()),
                         (nn.GELU(), torch.nn.GELU()), (nn.GELU("tanh"), torch.nn.GELU("tanh")),
                         (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)), (nn.LogSoftmax(dim=0), torch.nn.LogSoftmax(dim=0))]:
        x, tx = pair(LOGITS)
        compare(ours(x), theirs(tx), [(x, tx)])


def test_linear_init_bounds_and_statistics_match_torch():
    torch.manual_seed(0)
    tg.manual_seed(0)
    theirs, ours = torch.nn.Linear(400, 300), nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for name in ("weight", "bias"):
        mine, reference = getattr(ours, name).data, getattr(theirs, name).detach().numpy()
        assert mine.shape == reference.shape
        assert np.abs(mine).max() <= bound and np.abs(reference).max() <= bound
    # 120,000 draws each from U(−0.05, 0.05): stds agree to well within 0.0005
    assert abs(ours.weight.data.std() - theirs.weight.detach().numpy().std()) < 0.0005


def test_state_dict_moves_between_torch_and_here():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    ours = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 64)).astype(np.float32)
    np.testing.assert_allclose(ours(tg.Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    back = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    back.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    assert all(torch.equal(a, b) for a, b in zip(back.state_dict().values(), theirs.state_dict().values()))


def test_reprs_match_torch():
    def build(module):
        return module.Sequential(module.Linear(64, 32), module.ReLU(), module.Dropout(0.1),
                                 module.Sequential(module.Linear(32, 10), module.LogSoftmax(dim=1)),
                                 module.ModuleList([module.Tanh(), module.Tanh(), module.GELU()]))
    assert repr(build(nn)) == repr(build(torch.nn))


def test_clip_grad_norm_matches_torch():
    grads = [RNG.standard_normal((3, 4)), RNG.standard_normal(5)]
    for norm_type in (2.0, 1.0, math.inf, 3.0):
        ours = [nn.Parameter(tg.Tensor(np.zeros_like(g), dtype=np.float64)) for g in grads]
        theirs = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
        for p, q, g in zip(ours, theirs, grads):
            p.grad, q.grad = tg.Tensor(g, dtype=np.float64), torch.tensor(g)
        total = nn.utils.clip_grad_norm_(ours, 1.5, norm_type=norm_type)
        reference = torch.nn.utils.clip_grad_norm_(theirs, 1.5, norm_type=norm_type)
        assert total.item() == pytest.approx(reference.item(), rel=1e-12)
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-12)
