"""tinygrad_opt.func: derivatives as functions, checked against closed forms and each other."""
import numpy as np
import pytest

from tinygrad_opt import Tensor
from tinygrad_opt import func


def x64(values):
    return Tensor(values, dtype=np.float64)


def cubic(x):
    """L = Σ xᵢ³ + x₀x₁:  g = 3x² + (x₁, x₀),  H = diag(6x) + [[0, 1], [1, 0]]."""
    return (x ** 3).sum() + x[0] * x[1]


X = x64([1.0, 2.0])
HESSIAN = np.array([[6.0, 1.0], [1.0, 12.0]])


def test_grad_and_value_and_grad():
    assert np.array_equal(func.grad(cubic)(X).data, [5.0, 13.0])
    value, gradient = func.value_and_grad(cubic)(X)
    assert value.item() == 11.0 and np.array_equal(gradient.data, [5.0, 13.0])
    assert not gradient.requires_grad and X.grad is None


def test_grad_argnums_and_nesting():
    f = lambda x, y: (x * x * y).sum()                                     # noqa: E731
    dx, dy = func.grad(f, argnums=(0, 1))(x64([3.0]), x64([2.0]))          # 2xy, x²
    assert (dx.item(), dy.item()) == (12.0, 9.0)
    second = func.grad(lambda x: func.grad(cubic)(x)[0])(X)               # ∂g₀/∂x = H's row 0
    assert np.array_equal(second.data, HESSIAN[0])


def test_hessian_of_the_cubic():
    assert np.array_equal(func.hessian(cubic, X).data, HESSIAN)


def test_hvp_equals_hessian_times_v_without_forming_it():
    v = np.array([0.5, -2.0])
    value, product = func.hvp(cubic, X, x64(v))
    assert value.item() == 11.0 and np.allclose(product.data, HESSIAN @ v)


def test_jacobian_vjp_and_jvp_agree():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4))
    f = lambda x: (Tensor(a, dtype=np.float64) @ x).tanh()               # noqa: E731
    x = x64(rng.standard_normal(4))
    jac = func.jacobian(f, x).data
    assert jac.shape == (3, 4)
    assert np.allclose(jac, (1 - np.tanh(a @ x.data) ** 2)[:, None] * a)  # diag(1 − y²) A
    u, v = rng.standard_normal(3), rng.standard_normal(4)
    out, uj = func.vjp(f, x, x64(u))
    assert np.allclose(out.data, np.tanh(a @ x.data)) and np.allclose(uj.data, u @ jac)
    _, jv = func.jvp(f, x, x64(v))
    assert np.allclose(jv.data, jac @ v)


def test_several_inputs():
    f = lambda x, y: (x * y).sum() * (x * x).sum()                          # noqa: E731
    x, y = x64([1.0, 2.0]), x64([3.0, -1.0])
    (hxx, hxy), (hyx, hyy) = func.hessian(f, (x, y))
    # f = (x·y)(x·x): ∂²f/∂x∂y = x xᵀ·2 ... checked against the symmetric blocks and a dense jvp
    assert np.allclose(hxy.data, hyx.data.T) and np.allclose(hyy.data, 0)
    _, (px, py) = func.hvp(f, (x, y), (x64([1.0, 0.0]), x64([0.0, 1.0])))
    assert np.allclose(px.data, hxx.data[:, 0] + hxy.data[:, 1])
    assert np.allclose(py.data, hyx.data[:, 0] + hyy.data[:, 1])


def test_hessian_requires_a_scalar_function():
    with pytest.raises(RuntimeError, match="one-element Tensor"):
        func.hessian(lambda x: x * 2, X)
