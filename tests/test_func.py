"""tinygrad_opt.func: derivatives as functions, checked against closed forms and each other."""
import re

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor
from tinygrad_opt import func

import strict_cases


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
    with pytest.raises(RuntimeError, match=re.escape("should contain a single element, got shape (2,)")):
        func.hessian(lambda x: x * 2, X)


def test_hvp_and_vhp_are_the_hessian_times_v_from_either_side():
    # L = Σ xᵢ³ + x₀x₁ at (1, 2): H = [[6, 1], [1, 12]] (symmetric, so both sides agree)
    v = x64([0.5, -2.0])
    assert np.allclose(func.hvp(cubic, X, v)[1].data, HESSIAN @ v.data)
    assert np.allclose(func.vhp(cubic, X, v)[1].data, v.data @ HESSIAN)


def test_v_may_be_omitted_only_for_one_element():
    x = x64([2.0])
    assert func.jvp(lambda x: x ** 3, x)[1].item() == 12.0              # 3x² · 1
    assert func.hvp(lambda x: (x ** 3).sum(), x)[1].item() == 12.0      # 6x · 1
    assert func.vjp(lambda x: (x ** 3).sum(), X)[1].tolist() == [3.0, 12.0]
    with pytest.raises(RuntimeError, match="v can only be None if the input to the user-provided function "
                                           "is a single Tensor with a single element"):
        func.jvp(lambda x: x ** 3, X)
    with pytest.raises(RuntimeError, match="v has invalid size: should be \\(2,\\) but got \\(3,\\)"):
        func.vjp(lambda x: x ** 3, X, x64([1.0, 2.0, 3.0]))


# ----------------------------------------------------------------- strict
@pytest.mark.parametrize("case", sorted(strict_cases.CASES))
def test_without_strict_the_missing_dependence_gives_zeros(case):
    name, *_, expected, _ = strict_cases.CASES[case]
    f, inputs, v, options, _ = strict_cases.arguments(tg, case)
    result = getattr(func, name)(f, inputs, *(() if v is None else (v,)), **options)
    assert _values(strict_cases.derivative(name, result)) == _values(expected)


@pytest.mark.parametrize("case", sorted(strict_cases.CASES))
def test_strict_raises_pytorchs_error_and_changes_nothing(case):
    name, *_, message = strict_cases.CASES[case]
    f, inputs, v, options, w = strict_cases.arguments(tg, case, requires_grad=True)
    leaves = (inputs if isinstance(inputs, tuple) else (inputs,)) + (w,)
    before = [leaf.data.copy() for leaf in leaves]
    with pytest.raises(RuntimeError) as error:
        getattr(func, name)(f, inputs, *(() if v is None else (v,)), strict=True, **options)
    assert str(error.value) == message
    for leaf, data in zip(leaves, before):
        assert leaf.grad is None and leaf.requires_grad and np.array_equal(leaf.data, data)


def test_strict_passes_where_every_dependence_is_there():
    # L = Σ xᵢ³ + x₀x₁: g depends on x, H = diag(6x) + [[0, 1], [1, 0]] does too (create_graph)
    v = x64([0.5, -2.0])
    assert np.allclose(func.hvp(cubic, X, v, strict=True, create_graph=True)[1].data, HESSIAN @ v.data)
    assert np.array_equal(func.hessian(cubic, X, strict=True, create_graph=True).data, HESSIAN)
    assert np.allclose(func.jvp(lambda x: x ** 3, X, v, strict=True, create_graph=True)[1].data,
                       3 * X.data ** 2 * v.data)


def test_a_direction_that_requires_grad_stays_on_the_graph():
    # J v = 2v for f = 2x: constant in x, but not in v, so strict has nothing to object to
    v = x64([1.0, -2.0]).requires_grad_()
    _, product = func.jvp(lambda x: 2 * x, X, v, create_graph=True, strict=True)
    (dv,) = tg.autograd.grad(product.sum(), v)
    assert product.tolist() == [2.0, -4.0] and dv.tolist() == [2.0, 2.0]
    _, product = func.hvp(lambda x: (x * x).sum(), X, v, create_graph=True, strict=True)   # H v = 2v
    assert product.requires_grad and tg.autograd.grad(product.sum(), v)[0].tolist() == [2.0, 2.0]


def test_create_graph_connects_the_result_to_an_input_that_requires_grad():
    # L = Σ xᵢ³ + x₀x₁: H v = 6x ⊙ v + (v₁, v₀), so ∂(Σ H v)/∂x = 6v — a third derivative
    x, v = x64([1.0, 2.0]).requires_grad_(), x64([0.5, -2.0])
    _, product = func.hvp(cubic, x, v, create_graph=True)
    assert tg.autograd.grad(product.sum(), x)[0].tolist() == [3.0, -12.0]
    assert not func.hvp(cubic, x, v)[1].requires_grad                     # cut off without it


def test_the_argument_is_told_apart_from_the_same_tensor_captured():
    # f(y) = x ⊙ y called at y = x: only the argument is differentiated, ∂f/∂y = diag(x)
    x = x64([1.0, 2.0]).requires_grad_()
    for create_graph in (False, True):
        jac = func.jacobian(lambda y: x * y, x, create_graph=create_graph)
        assert jac.tolist() == [[1.0, 0.0], [0.0, 2.0]]


def _values(result):
    if isinstance(result, tuple):
        return tuple(_values(part) for part in result)
    return result.data.tolist() if isinstance(result, Tensor) else result


# ----------------------------------------------------------------- vectorize, forward-mode
def two_by_two(x, y):
    """Two outputs of two inputs, so every block of the Jacobian has its own shape."""
    return (x * y[0]).tanh(), (x * x).sum() * y


def test_jacobian_options_give_the_same_numbers():
    x, y = x64([0.3, -0.7, 1.1]), x64([0.5, 2.0])
    default = func.jacobian(two_by_two, (x, y))
    assert [[block.shape for block in row] for row in default] == [[(3, 3), (3, 2)], [(2, 3), (2, 2)]]
    vectorized = func.jacobian(two_by_two, (x, y), vectorize=True)
    forward = func.jacobian(two_by_two, (x, y), vectorize=True, strategy="forward-mode")
    for row, same_row, forward_row in zip(default, vectorized, forward):
        for block, same, by_columns in zip(row, same_row, forward_row):
            assert np.array_equal(same.data, block.data)                   # the very same loop
            np.testing.assert_allclose(by_columns.data, block.data, rtol=1e-10, atol=1e-14)
    # ∂(tanh(x y₀))/∂x = diag(1 − tanh²(x y₀)) y₀, checked by hand once
    np.testing.assert_allclose(default[0][0].data, np.diag(1 - np.tanh(x.data * 0.5) ** 2) * 0.5, rtol=1e-12)


def test_hessian_options_give_the_same_numbers():
    def loss(x, y):
        return ((x * y[0]).tanh() * (x * x).sum()).sum() + (y ** 3).sum()
    x, y = x64([0.3, -0.7, 1.1]), x64([0.5, 2.0])
    default = func.hessian(loss, (x, y))
    for options in ({"vectorize": True}, {"vectorize": True, "outer_jacobian_strategy": "forward-mode"}):
        other = func.hessian(loss, (x, y), **options)
        for row, other_row in zip(default, other):
            for block, same in zip(row, other_row):
                np.testing.assert_allclose(same.data, block.data, rtol=1e-10, atol=1e-14)
    # ∂²L/∂y₁² = 6y₁, and y₀, y₁ do not meet: checked by hand once
    assert default[1][1].data[1].tolist() == [0.0, 12.0] and default[1][1].data[0, 1] == 0.0
    single = func.hessian(cubic, X, vectorize=True, outer_jacobian_strategy="forward-mode")
    assert np.array_equal(single.data, HESSIAN)


FORWARD_MODE_WITH = ('torch.autograd.functional.jacobian: `{flag}=True` and `strategy="forward-mode"` are not '
                     'supported together (yet). Please either set `{flag}=False` or `strategy="reverse-mode"`.')


@pytest.mark.parametrize("options, error, message, called", [
    ({"strategy": "sideways"}, AssertionError,
     'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has more outputs '
     'than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use "reverse-mode".', False),
    ({"strategy": "forward-mode"}, NotImplementedError,    # PyTorch's words, its missing space too
     "Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly implemented for `vectorize=True`.",
     False),
    ({"strategy": "forward-mode", "vectorize": True, "create_graph": True}, NotImplementedError,
     FORWARD_MODE_WITH.format(flag="create_graph"), False),
    ({"strategy": "forward-mode", "vectorize": True, "strict": True}, RuntimeError,
     FORWARD_MODE_WITH.format(flag="strict"), False),
    ({"vectorize": True, "strict": True}, RuntimeError,
     "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported together. "
     "Please either set `strict=False` or `vectorize=False`.", True),     # as PyTorch: after calling f
])
def test_jacobian_refuses_what_pytorch_refuses(options, error, message, called):
    calls = []

    def f(x):
        calls.append(x)
        return x * x
    with pytest.raises(error) as raised:
        func.jacobian(f, X, **options)
    assert str(raised.value) == message
    assert bool(calls) == called


def test_hessian_refuses_an_unknown_outer_strategy():
    with pytest.raises(AssertionError, match='^Expected strategy to be either "forward-mode" or "reverse-mode".$'):
        func.hessian(cubic, X, outer_jacobian_strategy="sideways")
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        func.hessian(cubic, X, outer_jacobian_strategy="forward-mode")
