"""Tests for tinygrad_opt.lab.surfaces: autograd's gradient equals each closed form, the minima
are where the docstrings say, and the registry builds surfaces by name."""
import numpy as np
import pytest

from tinygrad_opt import Tensor
from tinygrad_opt.lab import (SURFACES, Beale, Himmelblau, QuadraticBowl, Rosenbrock, Saddle,
                              make_surface)

ALL_SURFACES = [QuadraticBowl(), QuadraticBowl(kappa=50), Saddle(), Rosenbrock(),
                Rosenbrock(a=2, b=10), Beale(), Himmelblau()]
POINTS = [(0.3, -0.7), (1.2, 2.1), (-1.5, 0.25), (2.0, -1.0)]


def autograd_gradient(surface, point):
    xy = Tensor(point, requires_grad=True, dtype=np.float64)
    loss = surface(xy)
    loss.backward()
    return loss.item(), xy.grad.data


@pytest.mark.parametrize("surface", ALL_SURFACES, ids=repr)
@pytest.mark.parametrize("point", POINTS)
def test_autograd_gradient_equals_closed_form(surface, point):
    _, grad = autograd_gradient(surface, point)
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, surface.gradient(*point), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("surface", ALL_SURFACES, ids=repr)
def test_closed_form_gradient_matches_finite_differences(surface):
    # Guards the closed forms themselves (the test above only says autograd agrees with them).
    h = 1e-6
    for x, y in POINTS:
        fx = (surface.values(x + h, y) - surface.values(x - h, y)) / (2 * h)
        fy = (surface.values(x, y + h) - surface.values(x, y - h)) / (2 * h)
        np.testing.assert_allclose(surface.gradient(x, y), [fx, fy], rtol=1e-6, atol=1e-5)


def test_values_written_out_by_hand():
    # Rosenbrock at (0, 0): (1 − 0)² + 100·(0 − 0)² = 1, ∇f = (−2·1 − 0, 0) = (−2, 0).
    assert autograd_gradient(Rosenbrock(), (0.0, 0.0)) == (1.0, pytest.approx([-2.0, 0.0]))
    # Bowl with κ = 10 at (2, 1): ½(4 + 10) = 7, ∇f = (2, 10).
    loss, grad = autograd_gradient(QuadraticBowl(kappa=10), (2.0, 1.0))
    assert loss == 7.0 and grad.tolist() == [2.0, 10.0]
    # Saddle at (1, 2): 1 − 4 = −3, ∇f = (2, −4).
    loss, grad = autograd_gradient(Saddle(), (1.0, 2.0))
    assert loss == -3.0 and grad.tolist() == [2.0, -4.0]
    # Beale at (0, 0): 1.5² + 2.25² + 2.625² = 14.203125, ∇f = (−2(1.5 + 2.25 + 2.625), 0).
    loss, grad = autograd_gradient(Beale(), (0.0, 0.0))
    assert loss == 14.203125 and grad.tolist() == [-12.75, 0.0]
    # Himmelblau at (0, 0): 121 + 49 = 170, ∇f = (2·(−7), 2·(−11)) = (−14, −22).
    loss, grad = autograd_gradient(Himmelblau(), (0.0, 0.0))
    assert loss == 170.0 and grad.tolist() == [-14.0, -22.0]


@pytest.mark.parametrize("surface", ALL_SURFACES, ids=repr)
def test_minima_have_zero_gradient_and_the_stated_value(surface):
    for point in surface.minima:
        loss, grad = autograd_gradient(surface, point)
        assert loss == pytest.approx(surface.minimum_value, abs=1e-20)
        np.testing.assert_allclose(grad, 0.0, atol=1e-12)


def test_stated_minima():
    assert Rosenbrock().minima == ((1.0, 1.0),)
    assert Rosenbrock(a=2).minima == ((2.0, 4.0),)
    assert Beale().minima == ((3.0, 0.5),)
    assert QuadraticBowl().minima == ((0.0, 0.0),)
    assert len(Himmelblau().minima) == 4 and (3.0, 2.0) in Himmelblau().minima


def test_saddle_has_no_minimum_but_a_flat_saddle_point():
    saddle = Saddle()
    assert saddle.minima == () and saddle.saddle_points == ((0.0, 0.0),)
    loss, grad = autograd_gradient(saddle, (0.0, 0.0))
    assert loss == 0.0 and grad.tolist() == [0.0, 0.0]
    # Lower on either side along y, higher along x: not a minimum.
    assert saddle.values(0.0, 0.1) < 0 < saddle.values(0.1, 0.0)


def test_minima_are_the_lowest_points_of_the_grid():
    for surface in (QuadraticBowl(), Rosenbrock(), Beale(), Himmelblau()):
        _, _, Z = surface.grid(101)
        assert Z.min() >= surface.minimum_value


@pytest.mark.parametrize("surface", ALL_SURFACES, ids=repr)
def test_bounds_contain_start_and_minima(surface):
    (x_min, x_max), (y_min, y_max) = surface.bounds
    for x, y in (surface.start, *surface.minima):
        assert x_min <= x <= x_max and y_min <= y <= y_max


def test_call_forms_agree_and_broadcast():
    beale = Beale()
    one = beale(Tensor([1.0, 2.0], dtype=np.float64)).item()
    assert beale(1.0, 2.0).item() == one
    assert beale(Tensor(1.0, dtype=np.float64), Tensor(2.0, dtype=np.float64)).item() == one
    many = beale(Tensor([[1.0, 2.0], [3.0, 0.5]], dtype=np.float64))
    assert many.shape == (2,) and many.data.tolist() == [one, 0.0]
    X, Y, Z = beale.grid(7)
    assert X.shape == Y.shape == Z.shape == (7, 7)
    (x_min, _), (y_min, _) = beale.bounds
    assert Z[0, 0] == beale.values(x_min, y_min)


def test_call_rejects_a_tensor_that_is_not_a_point():
    with pytest.raises(ValueError, match=r"got shape \(3,\)"):
        Beale()(Tensor([1.0, 2.0, 3.0]))


def test_make_surface_by_name_and_its_errors():
    assert set(SURFACES) == {"bowl", "saddle", "rosenbrock", "beale", "himmelblau"}
    assert isinstance(make_surface("Beale"), Beale)
    assert make_surface("bowl", kappa=25).kappa == 25.0
    bowl = QuadraticBowl()
    assert make_surface(bowl) is bowl
    with pytest.raises(ValueError, match="unknown surface 'banana': expected one of bowl, saddle"):
        make_surface("banana")
    with pytest.raises(ValueError, match="kappa must be > 0, got -1"):
        QuadraticBowl(kappa=-1)
    with pytest.raises(ValueError, match="b must be a finite number, got 'x'"):
        Rosenbrock(b="x")
