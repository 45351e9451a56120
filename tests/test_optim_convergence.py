"""Every rule solves the problems it is for: a convex quadratic, and a small MLP on XOR."""
import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn, optim
from tinygrad_opt.data import make_xor
from tinygrad_opt.nn import functional as F
from tinygrad_opt.optim.lr_scheduler import ExponentialLR

# L(θ) = ½θᵀAθ − bᵀθ with A's eigenvalues 1 and 10 along axes rotated by 0.5 rad (condition
# number 10, coupled coordinates); the minimum is θ* = A⁻¹b.
_c, _s = np.cos(0.5), np.sin(0.5)
_R = np.array([[_c, -_s], [_s, _c]])
A = _R @ np.diag([1.0, 10.0]) @ _R.T
B = np.array([1.0, 2.0])
THETA_STAR = np.linalg.solve(A, B)

# (rule, options, learning-rate decay per step or None, tolerance on |θ − θ*| after 1000 steps).
# RMSProp's step is ≈ η·g/√(mean g²) ≈ η·sign(g) near the minimum (its average forgets the
# large early gradients within ~1/(1−α) steps), so with a constant η it hovers at a distance
# ~η; a decaying η (ExponentialLR) lets it settle. Adam gets the same decay for comparison.
QUADRATIC = {
    "SGD": (optim.SGD, dict(lr=0.15), None, 1e-12),
    "SGD momentum": (optim.SGD, dict(lr=0.05, momentum=0.9), None, 1e-12),
    "SGD nesterov": (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True), None, 1e-12),
    "Momentum": (optim.Momentum, dict(lr=0.05), None, 1e-12),
    "AdaGrad": (optim.AdaGrad, dict(lr=0.5), None, 1e-12),
    "RMSProp": (optim.RMSProp, dict(lr=0.05), 0.995, 1e-12),
    "RMSProp (notes' α)": (optim.RMSProp, dict(lr=0.05, alpha=0.9), 0.995, 1e-3),
    "Adam": (optim.Adam, dict(lr=0.05), 0.995, 1e-12),
    "Adam amsgrad": (optim.Adam, dict(lr=0.05, amsgrad=True), 0.995, 1e-11),
    "AdamW": (optim.AdamW, dict(lr=0.05, weight_decay=0.0), 0.995, 1e-12),
}


@pytest.mark.parametrize("name", sorted(QUADRATIC))
def test_minimises_a_convex_quadratic(name):
    rule, options, decay, tolerance = QUADRATIC[name]
    theta = tg.Tensor([0.0, 0.0], dtype=np.float64, requires_grad=True)
    optimizer = rule([theta], **options)
    scheduler = ExponentialLR(optimizer, gamma=decay) if decay else None
    for _ in range(1000):
        theta.grad = tg.Tensor(A @ theta.data - B, dtype=np.float64)      # ∇L = Aθ − b
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    assert np.abs(theta.data - THETA_STAR).max() < tolerance


def test_rmsprop_with_a_constant_rate_hovers_at_a_distance_of_about_the_rate():
    theta = tg.Tensor([0.0, 0.0], dtype=np.float64, requires_grad=True)
    optimizer = optim.RMSProp([theta], lr=0.05)
    for _ in range(1000):
        theta.grad = tg.Tensor(A @ theta.data - B, dtype=np.float64)
        optimizer.step()
    assert 1e-3 < np.abs(theta.data - THETA_STAR).max() < 0.05       # measured 0.025


# XOR: 200 points in four noisy clusters, the label is x₀·x₁ < 0 — not linearly separable, so
# the hidden layer has to learn. 2 → 16 (tanh) → 2, full batch, float32, 300 steps.
MLP = {
    "SGD": (optim.SGD, dict(lr=0.5)),
    "SGD momentum": (optim.SGD, dict(lr=0.1, momentum=0.9)),
    "Momentum": (optim.Momentum, dict(lr=0.1)),
    "AdaGrad": (optim.AdaGrad, dict(lr=0.1)),
    "RMSProp": (optim.RMSProp, dict(lr=0.01)),
    "Adam": (optim.Adam, dict(lr=0.01)),
    "AdamW": (optim.AdamW, dict(lr=0.01)),
}


@pytest.mark.parametrize("name", sorted(MLP))
def test_trains_a_small_mlp_on_xor(name):
    rule, options = MLP[name]
    X, y = make_xor(200, noise=0.1, seed=0)
    X, y = tg.Tensor(X), tg.Tensor(y)
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    optimizer = rule(model.parameters(), **options)
    first = None
    for _ in range(300):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        first = loss.item() if first is None else first
    with tg.no_grad():
        final = F.cross_entropy(model(X), y).item()
        accuracy = (model(X).data.argmax(axis=1) == y.data).mean()
    assert first > 0.6                           # ≈ ln 2 at the start
    assert final < 0.01                          # measured 0.0004 (RMSProp) to 0.0033 (SGD)
    assert accuracy == 1.0
    assert all(p.data.dtype == np.float32 for p in model.parameters())
