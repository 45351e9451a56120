"""The curvature lab: the bowl's numbers exactly, Newton's steps, power iteration against a dense
eigen-decomposition, and the `curvature` command."""
import math

import numpy as np
import pytest

from tinygrad_opt import Tensor, func, optim
from tinygrad_opt.lab import QuadraticBowl, trajectories
from tinygrad_opt.lab.curvature import (FlatMLP, bowl_curvature, newton_factory, surface_hessian,
                                        top_hessian_eigenvalue)


def test_bowl_curvature_exactly():
    c = bowl_curvature(10.0)
    assert np.array_equal(c.eigenvalues, [1.0, 10.0])
    assert c.condition_number == 10.0 and c.max_stable_lr == 0.2
    assert c.best_sgd_lr == pytest.approx(2 / 11, rel=1e-15)
    assert c.sgd_rate == pytest.approx(9 / 11, rel=1e-15)
    root = math.sqrt(10)
    assert c.momentum == pytest.approx(((root - 1) / (root + 1)) ** 2, rel=1e-15)
    assert c.momentum_lr == pytest.approx((2 / (1 + root)) ** 2, rel=1e-15)
    assert c.momentum_rate == pytest.approx((root - 1) / (root + 1), rel=1e-15)


@pytest.mark.parametrize("factor", [0.99, 1.01])
def test_gradient_descent_just_below_and_above_two_over_lambda_max(factor):
    # On f = ½(x² + κy²), GD multiplies x by (1 − η) and y by (1 − ηκ) each step, exactly.
    kappa, steps = 10.0, 100
    lr = factor * bowl_curvature(kappa).max_stable_lr
    run = trajectories(QuadraticBowl(kappa), {"gd": lambda p: optim.SGD(p, lr=lr)}, steps=steps)["gd"]
    x0, y0 = QuadraticBowl.start
    expected_y = y0 * (1 - lr * kappa) ** np.arange(steps + 1)
    np.testing.assert_allclose(run.path[:, 1], expected_y, rtol=1e-10)
    np.testing.assert_allclose(run.path[:, 0], x0 * (1 - lr) ** np.arange(steps + 1), rtol=1e-10)
    if factor < 1:
        assert abs(run.path[-1, 1]) < 0.2 * abs(y0)      # |1 − ηκ| = 0.98: converging
    else:
        assert abs(run.path[-1, 1]) > 5 * abs(y0)        # |1 − ηκ| = 1.02: diverging


def _steps_to(run, loss):
    return int(np.flatnonzero(run.losses < loss)[0])


def test_optimal_momentum_is_about_sqrt_kappa_times_faster():
    kappa = 100.0
    c = bowl_curvature(kappa)
    runs = trajectories(QuadraticBowl(kappa), {
        "gd": lambda p: optim.SGD(p, lr=c.best_sgd_lr),
        "momentum": lambda p: optim.Momentum(p, lr=c.momentum_lr, momentum=c.momentum)}, steps=1500)
    gd, momentum = _steps_to(runs["gd"], 1e-10), _steps_to(runs["momentum"], 1e-10)
    # rates 0.980 and 0.818: log 0.818 / log 0.980 ≈ 9.9 = about √κ
    assert 7 * momentum < gd < 12 * momentum


def test_newton_jumps_to_the_saddle_point_in_one_step():
    assert np.array_equal(surface_hessian("saddle", (0.3, -0.7)), [[2.0, 0.0], [0.0, -2.0]])
    run = trajectories("saddle", [newton_factory("saddle")], steps=3)["newton"]
    np.testing.assert_allclose(run.path[1:], 0.0, atol=1e-15)


def test_newton_reaches_rosenbrocks_minimum_in_a_few_steps():
    run = trajectories("rosenbrock", [newton_factory("rosenbrock")], steps=8)["newton"]
    np.testing.assert_allclose(run.path[-1], [1.0, 1.0], atol=1e-10)


def _digits_problem(hidden, samples):
    from tinygrad_opt.data import load_digits
    images, labels = load_digits()
    pick = np.random.default_rng(0).choice(len(labels), samples, replace=False)
    model = FlatMLP((64, hidden, 10))
    images, labels = Tensor(images[pick] / 16.0, dtype=np.float64), Tensor(labels[pick].astype(np.int64))
    return model, (lambda theta: model.loss(theta, images, labels)), model.init(seed=1)


def test_power_iteration_finds_the_top_eigenvalue_of_a_dense_hessian():
    model, loss, theta = _digits_problem(hidden=4, samples=64)
    assert model.n_params == 310 and theta.shape == (310,)
    theta = Tensor(theta, dtype=np.float64)
    dense = np.linalg.eigvalsh(func.hessian(loss, theta).data)
    top = dense[np.argmax(np.abs(dense))]
    estimate, vector = top_hessian_eigenvalue(loss, theta, iterations=300, tol=1e-10)
    assert abs(estimate - top) <= 0.01 * abs(top)
    assert np.linalg.norm(vector) == pytest.approx(1.0)


def test_flat_mlp_is_the_same_model_as_sequential():
    from tinygrad_opt import nn
    from tinygrad_opt.nn import functional as F
    model, loss, theta = _digits_problem(hidden=3, samples=8)
    net = nn.Sequential(nn.Linear(64, 3), nn.ReLU(), nn.Linear(3, 10))
    flat = [p.data.reshape(-1) for p in net.parameters()]      # W₁, b₁, W₂, b₂ as FlatMLP lays them
    theta = Tensor(np.concatenate(flat), dtype=np.float64)
    from tinygrad_opt.data import load_digits
    images, labels = load_digits()
    pick = np.random.default_rng(0).choice(len(labels), 8, replace=False)
    x = Tensor(images[pick] / 16.0, dtype=np.float32)
    expected = F.cross_entropy(net(x), Tensor(labels[pick].astype(np.int64))).item()
    assert loss(theta).item() == pytest.approx(expected, rel=1e-5)


def test_curvature_command_prints_the_bowls_numbers(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from tinygrad_opt.cli import main
    out = tmp_path / "bowl.png"
    assert main(["curvature", "--surface", "bowl", "--out", str(out), "--steps", "20"]) == 0
    printed = capsys.readouterr().out
    assert "Hessian eigenvalues 1, 10; κ = 10" in printed and "2/λmax = 0.2" in printed
    assert out.stat().st_size > 10_000


def test_curvature_command_refuses_an_unknown_surface(tmp_path, capsys):
    from tinygrad_opt.cli import main
    assert main(["curvature", "--surface", "bowll", "--out", str(tmp_path / "x.png")]) == 2
    assert "unknown surface 'bowll'" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
