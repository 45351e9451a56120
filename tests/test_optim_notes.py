"""Where the lecture notes and PyTorch write a rule differently, and what that changes.

1. Momentum: the notes' v ← γv + ηg, θ ← θ − v against PyTorch's b ← μb + g, θ ← θ − ηb.
   The same trajectory while η is constant; different ones once η changes.
2. AdaGrad and RMSProp: the notes' η/√(G + ε) against PyTorch's η/(√G + ε). Measurably
   different for small gradients; the same when ε = 0.
3. Adam: the same rule in both (ε outside the root in the notes too).
"""
import math

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import optim

# A small convex quadratic: L(θ) = ½θᵀAθ − bᵀθ, ∇L = Aθ − b, minimum at A⁻¹b = [0.6, −0.8].
A = np.array([[3.0, 1.0], [1.0, 2.0]])
B = np.array([1.0, -1.0])


def run(optimizer_cls, steps=100, lr_after=None, change_at=21, theta0=(1.0, -2.0), gradient=None, **options):
    """Parameters after each step; with lr_after, the learning rate changes before step `change_at`."""
    p = tg.Tensor(list(theta0), dtype=np.float64, requires_grad=True)
    optimizer = optimizer_cls([p], **options)
    trajectory = []
    for t in range(1, steps + 1):
        if lr_after is not None and t == change_at:
            optimizer.param_groups[0]["lr"] = lr_after
        g = A @ p.data - B if gradient is None else gradient(t)
        p.grad = tg.Tensor(g, dtype=np.float64)
        optimizer.step()
        trajectory.append(p.data.copy())
    return np.array(trajectory), optimizer, p


# ----------------------------------------------------------------- 1. Momentum
def test_momentum_equals_sgd_momentum_while_the_learning_rate_is_constant():
    notes, _, _ = run(optim.Momentum, lr=0.05, momentum=0.9)
    torch_form, _, _ = run(optim.SGD, lr=0.05, momentum=0.9)
    relative = np.abs(notes - torch_form).max() / np.abs(torch_form).max()
    assert relative < 2e-15                      # measured: 9.9e-16 over 100 steps (rounding only)
    np.testing.assert_allclose(notes[-1], [0.6, -0.8], atol=1e-2)


def test_momentum_and_sgd_momentum_part_when_the_learning_rate_changes():
    # η = 0.05 for 20 steps, then η' = 0.01. At step 21:
    #   PyTorch: θ ← θ − η'·(μ·b_20 + g)            (the new η rescales the whole buffer)
    #   notes:   θ ← θ − (γ·v_20 + η'·g), v_20 = η·b_20   (past steps keep the old η)
    # so the first step after the change differs by μ·b_20·(η − η').
    notes, momentum, p = run(optim.Momentum, lr=0.05, momentum=0.9, lr_after=0.01)
    torch_form, sgd, q = run(optim.SGD, lr=0.05, momentum=0.9, lr_after=0.01)
    assert np.abs(notes[19] - torch_form[19]).max() < 1e-15      # identical before the change

    b_20 = _replay_buffer(steps=20, lr=0.05, mu=0.9)
    np.testing.assert_allclose(torch_form[20] - notes[20], 0.9 * b_20 * (0.05 - 0.01) - (torch_form[19] - notes[19]),
                               rtol=1e-9, atol=1e-15)

    relative = np.abs(notes - torch_form).max(axis=1) / np.abs(torch_form).max(axis=1)
    assert relative[20] > 0.05                   # measured: 5.8% one step after the change
    assert relative.max() > 0.25                 # measured: 29% at the widest (step 31)
    # both still converge, to the same minimum, just along different paths
    np.testing.assert_allclose(notes[-1], [0.6, -0.8], atol=1e-2)
    np.testing.assert_allclose(torch_form[-1], [0.6, -0.8], atol=1e-2)


def _replay_buffer(steps, lr, mu):
    theta, b = np.array([1.0, -2.0]), None
    for _ in range(steps):
        g = A @ theta - B
        b = g.copy() if b is None else mu * b + g
        theta = theta - lr * b
    return b


# ----------------------------------------------------------------- 2. ε inside or outside the root
def notes_rmsprop_first_step(g, lr, alpha, eps):
    G = (1 - alpha) * g * g
    return lr * g / math.sqrt(G + eps)          # the notes: η/√(G + ε)·g


def test_rmsprop_first_step_for_a_small_gradient_eps_outside_vs_inside():
    # g = 1e-4, α = 0.9, ε = 1e-8:  G_1 = 0.1·1e-8 = 1e-9
    #   PyTorch (ours): η·1e-4 / (√1e-9 + 1e-8) = η·1e-4 / 3.1723e-5 = 3.16·η
    #   notes:          η·1e-4 / √(1e-9 + 1e-8) = η·1e-4 / 1.0488e-4 = 0.95·η
    lr = 0.01
    trajectory, _, _ = run(optim.RMSProp, steps=1, theta0=(0.0, 0.0), gradient=lambda t: np.array([1e-4, 1e-4]),
                           lr=lr, alpha=0.9, eps=1e-8)
    ours = -trajectory[0][0]
    notes = notes_rmsprop_first_step(1e-4, lr, 0.9, 1e-8)
    assert ours / lr == pytest.approx(3.1612779763, rel=1e-9)
    assert notes / lr == pytest.approx(0.9534625892, rel=1e-9)
    # for a gradient far above √ε the two forms agree closely
    big, _, _ = run(optim.RMSProp, steps=1, theta0=(0.0, 0.0), gradient=lambda t: np.array([1.0, 1.0]),
                    lr=lr, alpha=0.9, eps=1e-8)
    assert -big[0][0] == pytest.approx(notes_rmsprop_first_step(1.0, lr, 0.9, 1e-8), rel=1e-7)


def test_adagrad_first_step_for_a_small_gradient_eps_outside_vs_inside():
    # g = 1e-4, the notes' ε = 1e-8 inside, PyTorch's default 1e-10 outside:
    #   PyTorch (ours): η·1e-4 / (1e-4 + 1e-10)   = 0.999999·η
    #   notes:          η·1e-4 / √(1e-8 + 1e-8)   = 0.7071·η  (1/√2)
    lr = 0.01
    trajectory, _, _ = run(optim.AdaGrad, steps=1, theta0=(0.0, 0.0), gradient=lambda t: np.array([1e-4, 1e-4]),
                           lr=lr)
    assert -trajectory[0][0] / lr == pytest.approx(0.999999, rel=1e-9)
    assert (1e-4 / math.sqrt(1e-8 + 1e-8)) == pytest.approx(1 / math.sqrt(2))


def notes_form(rule, steps, lr, alpha=0.9, eps=0.0):
    """The notes' AdaGrad / RMSProp on the quadratic, in numpy: θ ← θ − η/√(G + ε)·g.

    Starts at θ = [2, −2] (g_1 = [3, −1]): with ε = 0 a zero first gradient would give 0/0.
    """
    theta, G, out = np.array([2.0, -2.0]), np.zeros(2), []
    for _ in range(steps):
        g = A @ theta - B
        G = G + g * g if rule == "adagrad" else alpha * G + (1 - alpha) * g * g
        theta = theta - lr / np.sqrt(G + eps) * g
        out.append(theta)
    return np.array(out)


@pytest.mark.parametrize("rule, make", [
    ("adagrad", lambda: run(optim.AdaGrad, steps=100, theta0=(2.0, -2.0), lr=0.1, eps=0)[0]),
    ("rmsprop", lambda: run(optim.RMSProp, steps=100, theta0=(2.0, -2.0), lr=0.01, alpha=0.9, eps=0)[0]),
])
def test_with_eps_zero_the_notes_form_and_pytorchs_agree(rule, make):
    lr = 0.1 if rule == "adagrad" else 0.01
    ours = make()
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, notes_form(rule, 100, lr), rtol=1e-12, atol=1e-14)
    # and with ε > 0 the same run shows the gap (G is not small here, so it is tiny but real)
    assert not np.array_equal(notes_form(rule, 100, lr, eps=1e-8), ours)


def test_rarely_updated_weight_moves_differently_in_the_two_forms():
    # The notes' sparse-feature story: a weight whose gradient is 1e-4 for 50 steps.
    lr, eps = 0.01, 1e-8
    ours, _, _ = run(optim.RMSProp, steps=50, theta0=(0.0, 0.0), gradient=lambda t: np.array([1e-4, 1.0]),
                     lr=lr, alpha=0.9, eps=eps)
    G, theta = np.zeros(2), np.zeros(2)
    for _ in range(50):
        g = np.array([1e-4, 1.0])
        G = 0.9 * G + 0.1 * g * g
        theta = theta - lr / np.sqrt(G + eps) * g
    # the small-gradient weight travels 1.58× as far with ε outside (0.591 against the notes'
    # 0.373 after 50 steps); the large-gradient one the same distance (0.591) to 1e-7
    assert ours[-1][0] == pytest.approx(-0.59110776, rel=1e-7)
    assert theta[0] == pytest.approx(-0.37330501, rel=1e-7)
    assert ours[-1][1] == pytest.approx(theta[1], rel=1e-7)


# ----------------------------------------------------------------- 3. Adam is the same rule
def test_adam_is_the_notes_rule():
    # m̂/(√v̂ + ε), bias-corrected, written straight from the notes
    b1, b2, lr, eps = 0.9, 0.999, 0.01, 1e-8
    theta, m, v, expected = np.array([1.0, -2.0]), np.zeros(2), np.zeros(2), []
    for t in range(1, 201):
        g = A @ theta - B
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        expected.append(theta)
    ours, _, _ = run(optim.Adam, steps=200, lr=lr)
    np.testing.assert_allclose(ours, expected, rtol=1e-11, atol=1e-13)
