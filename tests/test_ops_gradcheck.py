"""Gradient checks of every differentiable op against central finite differences (float64).

Each op is checked in its plain form and in the awkward cases: broadcasting in both
directions, keepdims, negative axes, repeated indices, 0-d tensors, 1-D/2-D/batched matmul,
ties of max/min/maximum/minimum, clip bounds, and numerical stability at ±1000. Random
broadcast-compatible shapes and reduction axes are drawn with hypothesis.
"""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_opt as tg
from tinygrad_opt import Tensor, gradcheck
from tinygrad_opt import ops

RNG = np.random.default_rng(1234)

# Any floating-point warning (overflow, invalid value, division by zero) fails the test.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def t(*shape, low=-2.0, high=2.0, requires_grad=True, seed=None):
    """A float64 tensor of uniform values, requiring grad."""
    rng = RNG if seed is None else np.random.default_rng(seed)
    return Tensor(rng.uniform(low, high, size=shape), dtype=np.float64, requires_grad=requires_grad)


def distinct(*shape, requires_grad=True):
    """Values at least 0.1 apart and away from 0 (no ties or kinks for max/relu/abs)."""
    n = int(np.prod(shape))
    values = (RNG.permutation(n) - n / 2 + 0.5) * 0.37 + 0.05
    return Tensor(values.reshape(shape), dtype=np.float64, requires_grad=requires_grad)


def check(fn, *inputs):
    assert gradcheck(fn, inputs)


# ----------------------------------------------------------------------------- arithmetic
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "maximum": lambda a, b: a.maximum(b),
    "minimum": lambda a, b: a.minimum(b),
    "pow": lambda a, b: a ** b,
}

BROADCAST_PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),      # both sides broadcast
    ((2, 3, 4), (4,)),     # right operand gets leading axes
    ((4,), (2, 3, 4)),     # left operand gets leading axes
    ((2, 1, 4), (3, 1)),
    ((1,), (3,)),
    ((), (2, 3)),          # 0-d on the left
    ((2, 3), ()),          # 0-d on the right
    ((), ()),
]


def _binary_inputs(name, a_shape, b_shape):
    if name == "pow":  # positive base so a ** b is smooth in both arguments
        return t(*a_shape, low=0.5, high=2.0), t(*b_shape)
    if name == "div":
        b = t(*b_shape, low=0.5, high=2.0)
        b.data *= np.where(RNG.random(b_shape) < 0.5, -1, 1)
        return t(*a_shape), b
    if name in ("maximum", "minimum"):  # avoid ties (checked separately, exactly)
        return distinct(*a_shape), distinct(*b_shape) if b_shape else Tensor(0.01, dtype=np.float64, requires_grad=True)
    return t(*a_shape), t(*b_shape)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("a_shape,b_shape", BROADCAST_PAIRS, ids=str)
def test_binary_ops_with_broadcasting(name, a_shape, b_shape):
    a, b = _binary_inputs(name, a_shape, b_shape)
    out = BINARY[name](a, b)
    assert out.shape == np.broadcast_shapes(a_shape, b_shape)
    check(BINARY[name], a, b)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ops_gradient_shapes_match_inputs(name):
    a, b = _binary_inputs(name, (2, 1, 3), (4, 1))
    BINARY[name](a, b).sum().backward()
    assert a.grad.shape == a.shape and b.grad.shape == b.shape


@pytest.mark.parametrize("other", [2.5, -3, np.array([1.5, -0.5, 2.0]), np.float64(0.7)],
                         ids=["float", "int", "ndarray", "npscalar"])
def test_arithmetic_with_constants_on_either_side(other):
    x = t(2, 3, low=0.5, high=2.0)
    for fn in (lambda x: x + other, lambda x: other + x, lambda x: x - other, lambda x: other - x,
               lambda x: x * other, lambda x: other * x, lambda x: x / other,
               lambda x: other / x):
        check(fn, x)


def test_reflected_ops_with_numpy_array_give_tensor():
    x = t(3)
    for out in (np.ones(3) + x, np.ones(3) - x, np.ones(3) * x, np.ones(3) / x, np.ones(3) ** x,
                np.ones((2, 3)) @ x):
        assert isinstance(out, Tensor) and out.requires_grad


@pytest.mark.parametrize("number", [0.5, -3, 2, -0.0, 1e-3])
def test_ops_with_a_python_number(number):
    """x + c, c + x, x − c, x·c, c·x and x / c record one scalar op holding c (no constant
    tensor); c − x and c / x keep the two-tensor ops."""
    forms = {"AddScalar": (lambda x: x + number, lambda x: number + x),
             "SubScalar": (lambda x: x - number,),
             "MulScalar": (lambda x: x * number, lambda x: number * x),
             "Sub": (lambda x: number - x,)}
    if number != 0:
        forms["DivScalar"] = (lambda x: x / number,)
        forms["Div"] = (lambda x: number / x,)
    for name, fns in forms.items():
        for fn in fns:
            x = t(2, 3, low=0.5, high=2.0)
            out = fn(x)
            assert out.grad_fn.name == name and len(out.grad_fn.inputs) in (1, 2)
            np.testing.assert_array_equal(out.data, fn(x.data))   # numpy's numbers, bit for bit
            check(fn, x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_python_number_keeps_the_tensors_float_dtype(dtype):
    x = Tensor(np.array([1.5, -2.0]), dtype=dtype, requires_grad=True)
    for out in (x + 1, 2.5 * x, x / 3, x - 0.1):
        assert out.dtype == dtype
    # Integer data with a float number becomes float32, as in PyTorch (not float64 as numpy).
    assert (Tensor([1, 2]) * 0.5).dtype == np.float32


@pytest.mark.parametrize("p", [2, 3, 0.5, -1, -2.5, 1, 0, 1.5])
def test_pow_scalar_exponent(p):
    check(lambda x: x ** p, t(2, 3, low=0.5, high=2.0))


def test_pow_scalar_exponent_on_negative_base_integer_power():
    check(lambda x: x ** 3, t(5, low=-2.0, high=-0.5))
    check(lambda x: x ** 2, t(5, low=-2.0, high=2.0))


def test_pow_zero_exponent_gradient_is_zero():
    x = t(3)
    (x ** 0).sum().backward()
    assert np.array_equal(x.grad.data, np.zeros(3))


def test_rpow_number_base():
    check(lambda x: 2.0 ** x, t(4))
    check(lambda x: np.e ** x, t(2, 2))


def test_pow_tensor_exponent_base_zero_has_finite_exponent_gradient():
    a = Tensor([0.0, 2.0], dtype=np.float64)
    b = Tensor([2.0, 3.0], dtype=np.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (a ** b).sum().backward()
    assert np.allclose(b.grad.data, [0.0, 8.0 * np.log(2.0)])


def test_neg_and_unary_plus():
    check(lambda x: -x, t(2, 3))
    x = t(2)
    assert (+x) is x


def test_method_aliases_match_operators():
    a, b = t(2, 3, low=0.5), t(3, low=0.5)
    for method, op in ((a.add, a.__add__), (a.sub, a.__sub__), (a.mul, a.__mul__),
                       (a.div, a.__truediv__), (a.pow, a.__pow__)):
        assert np.allclose(method(b).data, op(b).data)
    check(lambda a, b: a.add(b).mul(b).sub(a).div(b).neg(), a, b)


def test_same_tensor_used_twice():
    check(lambda x: x * x, t(3))
    check(lambda x: x / x + x - x * x, t(3, low=0.5))
    check(lambda x: x @ x.T, t(2, 3))


# ----------------------------------------------------------------------------- matmul
MATMUL_SHAPES = [
    ((3,), (3,)),            # 1-D @ 1-D -> 0-d
    ((3,), (3, 4)),          # vector @ matrix
    ((2, 3), (3,)),          # matrix @ vector
    ((2, 3), (3, 4)),
    ((5, 2, 3), (5, 3, 4)),  # batched
    ((5, 2, 3), (3, 4)),     # batch on the left only
    ((2, 3), (5, 3, 4)),     # batch on the right only
    ((2, 1, 2, 3), (4, 3, 2)),  # broadcast batch dims
    ((3,), (2, 3, 4)),       # 1-D @ batched
    ((2, 4, 3), (3,)),       # batched @ 1-D
]


@pytest.mark.parametrize("a_shape,b_shape", MATMUL_SHAPES, ids=str)
def test_matmul(a_shape, b_shape):
    a, b = t(*a_shape), t(*b_shape)
    out = a @ b
    assert out.shape == np.matmul(a.data, b.data).shape
    assert np.allclose(out.data, a.data @ b.data)
    check(lambda a, b: a @ b, a, b)
    check(lambda a, b: tg.matmul(a, b), a, b)
    check(lambda a, b: a.matmul(b), a, b)


def test_matmul_with_constant_operand():
    w = t(3, 4)
    m = RNG.standard_normal((2, 3))
    check(lambda w: m @ w, w)
    check(lambda w: w.T @ m.T, w)


def test_matmul_errors():
    with pytest.raises(ValueError):
        t(2, 3) @ t(4, 2)
    with pytest.raises(ValueError):
        Tensor(2.0) @ t(3)


@pytest.mark.parametrize("x_shape", [(4,), (3, 4), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_linear(x_shape, bias):
    x, w, b = t(*x_shape), t(5, 4), t(5)
    inputs = (x, w, b) if bias else (x, w)
    out = ops.Linear.apply(*inputs)
    expected = x.data @ w.data.T + (b.data if bias else 0)
    assert np.allclose(out.data, expected)
    check(lambda *args: ops.Linear.apply(*args), *inputs)


# ----------------------------------------------------------------------------- elementwise
UNARY = {
    "exp": (lambda x: x.exp(), -2, 2),
    "log": (lambda x: x.log(), 0.2, 3),
    "sqrt": (lambda x: x.sqrt(), 0.2, 3),
    "abs": (lambda x: x.abs(), None, None),
    "builtin_abs": (lambda x: abs(x), None, None),
    "tanh": (lambda x: x.tanh(), -3, 3),
    "sigmoid": (lambda x: x.sigmoid(), -5, 5),
    "relu": (lambda x: x.relu(), None, None),
    "leaky_relu": (lambda x: x.leaky_relu(0.1), None, None),
    "gelu": (lambda x: x.gelu(), -3, 3),
    "gelu_tanh": (lambda x: x.gelu(approximate="tanh"), -3, 3),
    "square": (lambda x: x.square(), -2, 2),
    "clone": (lambda x: x.clone(), -2, 2),
    "fn_exp": (lambda x: tg.exp(x), -2, 2),
    "fn_log": (lambda x: tg.log(x), 0.2, 3),
    "fn_sqrt": (lambda x: tg.sqrt(x), 0.2, 3),
    "fn_tanh": (lambda x: tg.tanh(x), -3, 3),
    "fn_sigmoid": (lambda x: tg.sigmoid(x), -3, 3),
    "fn_relu": (lambda x: tg.relu(x), None, None),
}


def _unary_input(name, shape):
    _, low, high = UNARY[name]
    if low is None:  # kinked at 0: stay away from it
        return distinct(*shape)
    return t(*shape, low=low, high=high)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(2, 3), (), (1,), (2, 1, 3)], ids=str)
def test_unary_ops(name, shape):
    check(UNARY[name][0], _unary_input(name, shape))


@pytest.mark.parametrize("name,reference", [
    ("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt), ("abs", np.abs), ("tanh", np.tanh),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))), ("relu", lambda x: np.maximum(x, 0)),
    ("leaky_relu", lambda x: np.where(x > 0, x, 0.1 * x)),
])
def test_unary_forward_values(name, reference):
    x = _unary_input(name, (7,))
    assert np.allclose(UNARY[name][0](x).data, reference(x.data))


def test_unary_ops_keep_float32():
    x = Tensor([0.5, 1.5, 2.5], requires_grad=True)
    for name, (fn, _, _) in UNARY.items():
        out = fn(x)
        assert out.dtype == np.float32, name
        out.sum().backward()
        assert x.grad.dtype == np.float32, name
        x.grad = None


def test_gelu_values_match_reference():
    x = Tensor([-2.0, -0.5, 0.0, 0.5, 2.0], dtype=np.float64)
    # x·Φ(x), Φ from math.erf
    import math
    expected = [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.data]
    assert np.allclose(x.gelu().data, expected)
    with pytest.raises(ValueError):
        x.gelu(approximate="fast")


def test_derivatives_at_kinks_are_exact():
    """abs'(0) = 0, relu'(0) = 0, leaky_relu'(0) = slope (PyTorch's choices)."""
    x = Tensor([0.0, 0.0, 0.0], requires_grad=True)
    x.abs().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    x.grad = None
    x.relu().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    x.grad = None
    x.leaky_relu(0.25).sum().backward()
    assert x.grad.tolist() == [0.25, 0.25, 0.25]


def test_abs_gradient_is_sign():
    x = Tensor([-2.0, 0.0, 3.0], requires_grad=True)
    x.abs().sum().backward()
    assert x.grad.tolist() == [-1.0, 0.0, 1.0]


def test_leaky_relu_default_slope():
    x = Tensor([-1.0, 2.0], requires_grad=True)
    x.leaky_relu().sum().backward()
    assert np.allclose(x.grad.data, [0.01, 1.0])


# ----------------------------------------------------------------------------- clip
@pytest.mark.parametrize("lo,hi", [(-0.5, 0.5), (None, 0.3), (-0.3, None)])
def test_clip_gradcheck_away_from_bounds(lo, hi):
    x = Tensor([-1.3, -0.71, -0.1, 0.2, 0.45, 0.9, 1.7], dtype=np.float64, requires_grad=True)
    check(lambda x: x.clip(lo, hi), x)
    check(lambda x: tg.clip(x, lo, hi), x)
    check(lambda x: x.clamp(lo, hi), x)


def test_clip_gradient_passes_at_the_bounds_inclusive():
    x = Tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    y = x.clip(-1.0, 1.0)
    assert y.tolist() == [-1.0, -1.0, 0.0, 1.0, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


def test_clip_one_sided():
    x = Tensor([-2.0, 0.0, 2.0], requires_grad=True)
    x.clip(min=0.0).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0]
    x.grad = None
    x.clip(max=0.0).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 0.0]


def test_clip_needs_a_bound():
    with pytest.raises(ValueError):
        t(3).clip()


# ----------------------------------------------------------------------------- maximum/minimum/where
def test_maximum_minimum_split_ties_in_half():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([1.0, 5.0, 0.0], requires_grad=True)
    a.maximum(b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0, 1.0]
    assert b.grad.tolist() == [0.5, 1.0, 0.0]
    a.grad = b.grad = None
    a.minimum(b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0, 0.0]
    assert b.grad.tolist() == [0.5, 0.0, 1.0]


def test_maximum_with_broadcast_ties():
    a = Tensor([[0.0, 1.0], [2.0, 0.0]], requires_grad=True)
    b = Tensor(0.0, requires_grad=True)
    tg.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [[0.5, 1.0], [1.0, 0.5]]
    assert b.grad.item() == 1.0


def test_maximum_minimum_functional_either_order():
    a = distinct(2, 3)
    check(lambda a: tg.maximum(a, 0.3), a)
    check(lambda a: tg.maximum(0.3, a), a)
    check(lambda a: tg.minimum(np.full(3, 0.2), a), a)


def test_where_gradcheck_with_broadcasting():
    cond = RNG.random((2, 3)) > 0.5
    check(lambda a, b: tg.where(cond, a, b), t(2, 3), t(2, 3))
    check(lambda a, b: tg.where(cond, a, b), t(3), t(2, 1))            # both broadcast
    check(lambda a, b: tg.where(Tensor(cond[0]), a, b), t(2, 3), t(2, 3))  # condition broadcasts
    check(lambda a: tg.where(cond, a, 0.0), t(2, 3))
    check(lambda b: tg.where(cond, 1.5, b), t(2, 3))
    check(lambda a, b: a.where(Tensor(cond), b), t(2, 3), t())


def test_where_gradient_values():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    out = tg.where(a > 1.5, a, b)
    assert out.tolist() == [10.0, 2.0, 3.0]
    out.sum().backward()
    assert a.grad.tolist() == [0.0, 1.0, 1.0]
    assert b.grad.tolist() == [1.0, 0.0, 0.0]


def test_where_with_two_numbers():
    out = tg.where(np.array([True, False]), 1.0, 0.0)
    assert out.tolist() == [1.0, 0.0] and out.dtype == np.float32


# ----------------------------------------------------------------------------- reductions
def _values(result):
    """Along one dim, max and min return PyTorch's (values, indices): the values are checked here."""
    return result.values if isinstance(result, tuple) else result


REDUCTIONS = {
    "sum": lambda x, **kw: x.sum(**kw),
    "mean": lambda x, **kw: x.mean(**kw),
    "max": lambda x, **kw: _values(x.max(**kw)),
    "min": lambda x, **kw: _values(x.min(**kw)),
    "var": lambda x, **kw: x.var(**kw),
    "std": lambda x, **kw: x.std(**kw),
    "logsumexp": lambda x, **kw: x.logsumexp(**kw),
}
NUMPY_REDUCTIONS = {
    "sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min,
    "var": lambda x, axis=None, keepdims=False: np.var(x, axis=axis, keepdims=keepdims, ddof=1),
    "std": lambda x, axis=None, keepdims=False: np.std(x, axis=axis, keepdims=keepdims, ddof=1),
    "logsumexp": lambda x, axis=None, keepdims=False: np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims)),
}
AXES = [None, 0, 1, -1, -2, (0, 2), (-1, 0), (0, 1, 2), [1, 2]]


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(name, axis, keepdims):
    x = distinct(2, 3, 4)
    out = REDUCTIONS[name](x, axis=axis, keepdims=keepdims)
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    expected = NUMPY_REDUCTIONS[name](x.data, axis=np_axis, keepdims=keepdims)
    assert out.shape == np.shape(expected)
    assert np.allclose(out.data, expected)
    check(lambda x: REDUCTIONS[name](x, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions_accept_dim_and_keepdim(name):
    x = distinct(2, 3)
    a = REDUCTIONS[name](x, dim=-1, keepdim=True)
    b = REDUCTIONS[name](x, axis=-1, keepdims=True)
    assert a.shape == (2, 1) and np.allclose(a.data, b.data)
    check(lambda x: REDUCTIONS[name](x, dim=0), x)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp"])
def test_reductions_of_0d_tensor(name):
    x = Tensor(0.7, dtype=np.float64, requires_grad=True)
    out = REDUCTIONS[name](x)
    assert out.shape == ()
    check(lambda x: REDUCTIONS[name](x), x)


def test_reduction_rejects_both_axis_and_dim_and_bad_axes():
    x = t(2, 3)
    with pytest.raises(TypeError):
        x.sum(axis=0, dim=0)
    with pytest.raises(IndexError):
        x.sum(axis=2)
    with pytest.raises(ValueError):
        x.sum(axis=(0, -2))


def test_max_min_of_everything_split_ties_evenly_and_along_a_dim_pick_the_first():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    m = x.max(axis=1)  # PyTorch's (values, indices); the gradient goes to the index picked
    assert m.values.tolist() == [3.0, 2.0] and m.indices.tolist() == [1, 0]
    m.values.sum().backward()
    assert x.grad.tolist() == [[0, 1, 0], [1, 0, 0]]
    x.grad = None
    x.min().backward()  # the global min 1.0 is unique
    assert x.grad.tolist() == [[1.0, 0, 0], [0, 0, 0]]
    x.grad = None
    Tensor.max(x).backward()  # two 3s
    assert x.grad.tolist() == [[0, 0.5, 0.5], [0, 0, 0]]


def test_var_is_unbiased_by_default_and_takes_correction():
    x = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    assert x.var().item() == pytest.approx(5 / 3)
    assert x.var(correction=0).item() == pytest.approx(1.25)
    assert x.var(unbiased=False).item() == pytest.approx(1.25)
    assert x.std().item() == pytest.approx(np.sqrt(5 / 3))
    check(lambda x: x.var(correction=0), x)
    check(lambda x: x.var(axis=0, unbiased=True), t(3, 2))


def test_mean_gradient_values():
    x = Tensor(np.zeros((2, 4)), requires_grad=True)
    x.mean(axis=1).sum().backward()
    assert np.array_equal(x.grad.data, np.full((2, 4), 0.25, dtype=np.float32))


def test_argmax_argmin_not_differentiable():
    x = Tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
    assert x.argmax(axis=1).tolist() == [1, 0]
    assert x.argmin(dim=1, keepdim=True).tolist() == [[0], [1]]
    assert x.argmax().item() == 3
    assert not x.argmax().requires_grad


# ----------------------------------------------------------------------------- softmax family
@pytest.mark.parametrize("fn", [lambda x, a: x.softmax(a), lambda x, a: x.log_softmax(a),
                                lambda x, a: tg.softmax(x, a), lambda x, a: tg.log_softmax(x, a),
                                lambda x, a: x.logsumexp(a), lambda x, a: tg.logsumexp(x, a)],
                         ids=["softmax", "log_softmax", "F.softmax", "F.log_softmax", "logsumexp", "F.logsumexp"])
@pytest.mark.parametrize("axis", [0, 1, -1, (0, 1)], ids=str)
def test_softmax_family(fn, axis):
    check(lambda x: fn(x, axis), t(3, 4))


def test_softmax_values_and_dim_keyword():
    x = t(2, 5)
    s = x.softmax(dim=1)
    e = np.exp(x.data - x.data.max(axis=1, keepdims=True))
    assert np.allclose(s.data, e / e.sum(axis=1, keepdims=True))
    assert np.allclose(s.data.sum(axis=1), 1)
    assert np.allclose(x.log_softmax(dim=-1).data, np.log(s.data))
    assert np.allclose(x.logsumexp(dim=1, keepdim=True).data,
                       np.log(np.exp(x.data).sum(axis=1, keepdims=True)))


def test_softmax_default_axis_is_last():
    x = t(2, 3)
    assert np.allclose(x.softmax().data.sum(axis=-1), 1)
    assert np.allclose(np.exp(x.log_softmax().data).sum(axis=-1), 1)


def _strict():
    """Every floating-point warning becomes an error (underflow to 0 is the right answer)."""
    return np.errstate(all="raise", under="ignore")


EXTREME = [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 999.0]]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stability_at_plus_minus_1000(dtype):
    x = Tensor(EXTREME, dtype=dtype, requires_grad=True)
    with warnings.catch_warnings(), _strict():
        warnings.simplefilter("error")
        s = x.softmax(axis=1)
        ls = x.log_softmax(axis=1)
        lse = x.logsumexp(axis=1)
        sig = x.sigmoid()
        g = np.asarray(RNG.standard_normal((3, 3)), dtype=dtype)
        for out in (s, ls, sig):
            assert np.all(np.isfinite(out.data))
            out.backward(g)
            assert np.all(np.isfinite(x.grad.data))
            x.grad = None
        lse.sum().backward()
        assert np.all(np.isfinite(x.grad.data))
    assert out.dtype == dtype
    row3 = np.array([1.0, 1.0, np.exp(-1.0)]) / (2 + np.exp(-1.0))
    assert np.allclose(s.data, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], row3], atol=1e-6)
    assert np.allclose(ls.data[0], [0.0, -2000.0, -1000.0])
    assert np.allclose(lse.data, [1000.0, -1000.0 + np.log(3), 1000.0 + np.log(2 + np.exp(-1))])
    assert np.allclose(sig.data[0], [1.0, 0.0, 0.5])
    # gradient of logsumexp is the softmax
    assert np.allclose(x.grad.data, s.data, atol=1e-6)


def test_sigmoid_extremes_exact():
    x = Tensor([-1000.0, -100.0, 0.0, 100.0, 1000.0], requires_grad=True)
    with warnings.catch_warnings(), _strict():
        warnings.simplefilter("error")
        y = x.sigmoid()
        y.sum().backward()
    assert y.tolist()[2] == 0.5 and y.tolist()[-1] == 1.0 and y.tolist()[0] == 0.0
    assert x.grad.tolist()[2] == 0.25 and x.grad.tolist()[0] == 0.0


def test_logsumexp_of_all_minus_inf_row_is_minus_inf():
    x = Tensor([[-np.inf, -np.inf], [0.0, 0.0]])
    with warnings.catch_warnings(), _strict():
        warnings.simplefilter("error")
        out = x.logsumexp(axis=1)
    assert out.data[0] == -np.inf and out.data[1] == pytest.approx(np.log(2))


def test_softmax_gradcheck_at_large_inputs():
    check(lambda x: x.log_softmax(axis=1), Tensor([[500.0, 499.0, 501.0]], dtype=np.float64, requires_grad=True))
    check(lambda x: x.softmax(axis=1), Tensor([[-500.0, -499.0, -501.0]], dtype=np.float64, requires_grad=True))
    check(lambda x: x.logsumexp(), Tensor([[800.0, 799.5], [800.2, 798.0]], dtype=np.float64, requires_grad=True))


# ----------------------------------------------------------------------------- shape ops
SHAPE_OPS = {  # name: (op on a Tensor, the same on a numpy array)
    "reshape": (lambda x: x.reshape(4, 6), lambda d: d.reshape(4, 6)),
    "reshape_tuple": (lambda x: x.reshape((3, -1)), lambda d: d.reshape(3, -1)),
    "view": (lambda x: x.view(-1), lambda d: d.reshape(-1)),
    "transpose": (lambda x: x.transpose(0, 2), lambda d: np.swapaxes(d, 0, 2)),
    "transpose_neg": (lambda x: x.transpose(-1, -2), lambda d: np.swapaxes(d, -1, -2)),
    "permute": (lambda x: x.permute(2, 0, 1), lambda d: np.transpose(d, (2, 0, 1))),
    "permute_tuple": (lambda x: x.permute((1, 2, 0)), lambda d: np.transpose(d, (1, 2, 0))),
    "permute_neg": (lambda x: x.permute(-1, 0, 1), lambda d: np.transpose(d, (2, 0, 1))),
    "T": (lambda x: x.T, lambda d: d.T),
    "flatten": (lambda x: x.flatten(), lambda d: d.reshape(-1)),
    "flatten_1": (lambda x: x.flatten(1), lambda d: d.reshape(2, 12)),
    "flatten_0_1": (lambda x: x.flatten(0, 1), lambda d: d.reshape(6, 4)),
    "unsqueeze": (lambda x: x.unsqueeze(1), lambda d: d[:, None]),
    "unsqueeze_neg": (lambda x: x.unsqueeze(-1), lambda d: d[..., None]),
    "squeeze": (lambda x: x.unsqueeze(0).unsqueeze(2).squeeze(), lambda d: d),
    "squeeze_dim": (lambda x: x[:, :1].squeeze(1), lambda d: d[:, 0]),
    "squeeze_non1_dim": (lambda x: x[:, :1].squeeze(0), lambda d: d[:, :1]),
    "expand": (lambda x: x.unsqueeze(0).expand(5, 2, 3, 4), lambda d: np.broadcast_to(d, (5, 2, 3, 4))),
    "expand_minus1": (lambda x: x[:, :1].expand(-1, 3, -1), lambda d: np.broadcast_to(d[:, :1], (2, 3, 4))),
    "getitem_slice": (lambda x: x[1:, ::2, -3:], lambda d: d[1:, ::2, -3:]),
    "getitem_neg_step": (lambda x: x[::-1, :, ::-2], lambda d: d[::-1, :, ::-2]),
    "getitem_int": (lambda x: x[1, 2], lambda d: d[1, 2]),
    "getitem_none_ellipsis": (lambda x: x[None, ..., 1], lambda d: d[None, ..., 1]),
    "getitem_int_array": (lambda x: x[np.array([1, 0, 1])], lambda d: d[[1, 0, 1]]),
    "getitem_list": (lambda x: x[[1, 1]], lambda d: d[[1, 1]]),
    "getitem_repeated": (lambda x: x[:, [0, 2, 2, 0, 2]], lambda d: d[:, [0, 2, 2, 0, 2]]),
    "getitem_tensor_index": (lambda x: x[Tensor([1, 1, 0]), :, Tensor([0, 3, 3])],
                             lambda d: d[[1, 1, 0], :, [0, 3, 3]]),
    "getitem_bool_mask": (lambda x: x[x > 0], lambda d: d[d > 0]),
    "getitem_bool_mask_np": (lambda x: x[np.array([True, False])], lambda d: d[[True, False]]),
    "getitem_mixed": (lambda x: x[1:, [0, 0, 2], 1], lambda d: d[1:, [0, 0, 2], 1]),
    "getitem_2d_index": (lambda x: x[np.array([[0, 1], [1, 1]])], lambda d: d[[[0, 1], [1, 1]]]),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_ops(name):
    op, reference = SHAPE_OPS[name]
    x = t(2, 3, 4)
    out = op(x)
    assert np.array_equal(out.data, reference(x.data.copy()))
    check(op, x)


def test_transpose_swaps_two_dims_like_pytorch():
    x = t(2, 3, 4)
    assert x.transpose(0, 1).shape == (3, 2, 4)
    assert x.transpose(1, 0).shape == (3, 2, 4)
    assert t(2, 3).transpose(0, 1).shape == (3, 2)
    assert x.T.shape == (4, 3, 2)
    assert t(5).T.shape == (5,)


def test_getitem_repeated_indices_accumulate():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    x.grad = None
    x[Tensor([1, 1])].sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 0.0]
    x.grad = None
    x[np.array([[0, 1], [1, 1]])].sum().backward()
    assert x.grad.tolist() == [1.0, 3.0, 0.0]


def test_getitem_row_gather_like_cross_entropy():
    logits = t(4, 3)
    labels = Tensor([2, 0, 2, 1])
    assert labels.dtype.kind == "i"
    check(lambda x: x[np.arange(4), labels], logits)
    check(lambda x: x.log_softmax(axis=1)[np.arange(4), labels.data].mean(), logits)


def test_getitem_bool_mask_gradient():
    x = Tensor([[1.0, -2.0], [-3.0, 4.0]], requires_grad=True)
    mask = x > 0
    assert mask.dtype == np.bool_
    x[mask].sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_getitem_0d_result():
    x = t(3)
    out = x[1]
    assert out.shape == () and isinstance(out.data, np.ndarray)
    check(lambda x: x[1], x)
    check(lambda x: x[-1] * x[0], x)


def test_iteration_and_len():
    x = t(3, 2)
    rows = list(x)
    assert len(x) == 3 and len(rows) == 3 and rows[0].shape == (2,)
    check(lambda x: sum(r.sum() * (i + 1) for i, r in enumerate(x)), x)


def test_shape_errors():
    x = t(2, 3)
    with pytest.raises(ValueError):
        x.reshape(4, 2)
    with pytest.raises(ValueError):
        x.permute(0, 0)
    with pytest.raises(ValueError):
        x.expand(3, 3)
    with pytest.raises(ValueError):
        x.expand(3)
    with pytest.raises(ValueError):
        x.expand(-1, 2, 3)     # -1 can't size a new leading dimension (PyTorch refuses too)
    for dim in (3, -4):
        with pytest.raises(IndexError):
            x.unsqueeze(dim)
    assert x.unsqueeze(2).shape == (2, 3, 1) and x.unsqueeze(-3).shape == (1, 2, 3)


# ----------------------------------------------------------------------------- cat / stack
@pytest.mark.parametrize("axis", [0, 1, -1, -2])
def test_cat(axis):
    shapes = {0: [(2, 3), (1, 3), (4, 3)], 1: [(2, 1), (2, 3), (2, 2)]}
    key = axis % 2
    tensors = [t(*s) for s in shapes[key]]
    out = tg.cat(tensors, axis=axis)
    assert np.array_equal(out.data, np.concatenate([x.data for x in tensors], axis=axis))
    check(lambda *xs: tg.cat(xs, axis=axis), *tensors)
    check(lambda *xs: tg.concatenate(list(xs), dim=axis), *tensors)


def test_cat_single_and_with_constants():
    a = t(2, 2)
    check(lambda a: tg.cat([a]), a)
    check(lambda a: tg.cat([a, np.ones((1, 2)), a * 2]), a)
    with pytest.raises(ValueError):
        tg.cat([])


def test_cat_gradient_slices():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0], requires_grad=True)
    (tg.cat([a, b]) * Tensor([10.0, 20.0, 30.0])).sum().backward()
    assert a.grad.tolist() == [10.0, 20.0] and b.grad.tolist() == [30.0]


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_stack(axis):
    tensors = [t(2, 3) for _ in range(3)]
    out = tg.stack(tensors, axis=axis)
    assert np.array_equal(out.data, np.stack([x.data for x in tensors], axis=axis))
    check(lambda *xs: tg.stack(xs, axis=axis), *tensors)
    check(lambda *xs: tg.stack(list(xs), dim=axis), *tensors)


def test_stack_0d_and_same_tensor_twice():
    a = Tensor(2.0, dtype=np.float64, requires_grad=True)
    assert tg.stack([a, a * 3]).tolist() == [2.0, 6.0]
    check(lambda a: tg.stack([a, a, a * a]), a)


# ----------------------------------------------------------------------------- casts
def test_cast_between_floats_is_differentiable():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 4.0]
    z = Tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    (z.float() * 3).sum().backward()
    assert z.grad.dtype == np.float64 and z.grad.tolist() == [3.0, 3.0]


def test_cast_to_int_cuts_the_graph():
    x = Tensor([1.5, 2.5], requires_grad=True)
    y = x.long()
    assert y.dtype == np.int64 and not y.requires_grad
    assert x.to(np.float32) is x


# ----------------------------------------------------------------------------- composite graphs
def test_composite_expression():
    a, b, c = t(3, 4), t(4), t(3, 1, low=0.5)
    check(lambda a, b, c: ((a * b + c).tanh() @ b / c).exp().sum(axis=0), a, b, c)


def test_two_layer_mlp_with_cross_entropy():
    x = t(5, 4, requires_grad=False)
    y = np.array([0, 2, 1, 2, 0])
    w1, b1, w2, b2 = t(4, 6), t(6), t(6, 3), t(3)

    def loss(w1, b1, w2, b2):
        h = (x @ w1 + b1).tanh()
        logits = h @ w2 + b2
        return -logits.log_softmax(axis=1)[np.arange(5), y].mean()

    check(loss, w1, b1, w2, b2)


# ----------------------------------------------------------------------------- property-based
def _broadcast_pair():
    """Two shapes that broadcast against each other: start from a common shape, then drop
    leading dims and set some dims to 1 on each side independently."""
    @st.composite
    def pair(draw):
        ndim = draw(st.integers(0, 3))
        base = draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim))

        def derive():
            drop = draw(st.integers(0, ndim))
            shape = base[drop:]
            return tuple(1 if draw(st.booleans()) else s for s in shape)

        return derive(), derive()
    return pair()


FAST = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(shapes=_broadcast_pair(), name=st.sampled_from(sorted(BINARY)))
def test_property_binary_broadcasting(shapes, name):
    a_shape, b_shape = shapes
    a, b = _binary_inputs(name, a_shape, b_shape)
    out = BINARY[name](a, b)
    assert out.shape == np.broadcast_shapes(a_shape, b_shape)
    check(BINARY[name], a, b)


@st.composite
def _shape_and_axes(draw):
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=4)))
    ndim = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(-ndim, ndim - 1))
    else:
        chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        axis = tuple(a - ndim if draw(st.booleans()) else a for a in chosen)
    return shape, axis, draw(st.booleans())


@FAST
@given(spec=_shape_and_axes(), name=st.sampled_from(sorted(REDUCTIONS) + ["softmax", "log_softmax"]))
def test_property_reductions_random_axes(spec, name):
    shape, axis, keepdims = spec
    x = distinct(*shape)
    if name in ("softmax", "log_softmax"):
        fn = (lambda x: getattr(x, name)(axis=axis))
    else:
        if name in ("var", "std"):
            count = x.data.size if axis is None else int(np.prod([shape[a] for a in np.atleast_1d(axis)]))
            if count < 2:
                return  # N − 1 = 0: undefined
        fn = (lambda x: REDUCTIONS[name](x, axis=axis, keepdims=keepdims))
        expected = NUMPY_REDUCTIONS[name](x.data, axis=axis, keepdims=keepdims)
        assert np.allclose(fn(x).data, expected)
    check(fn, x)


@FAST
@given(shapes=_broadcast_pair())
def test_property_where_broadcasting(shapes):
    a_shape, b_shape = shapes
    cond = np.random.default_rng(0).random(np.broadcast_shapes(a_shape, b_shape)) > 0.5
    check(lambda a, b: tg.where(cond, a, b), t(*a_shape), t(*b_shape))


@st.composite
def _matmul_shapes(draw):
    """Operand shapes numpy's matmul accepts: 1-D or n-D each, broadcastable batch dims."""
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))

    def side(core):
        if draw(st.booleans()):
            return (core[1],) if core is a_core else (core[0],)   # 1-D operand
        drop = draw(st.integers(0, len(batch)))
        return tuple(1 if draw(st.booleans()) else s for s in batch[drop:]) + core

    a_core, b_core = (n, k), (k, m)
    return side(a_core), side(b_core)


@FAST
@given(shapes=_matmul_shapes())
def test_property_matmul_shapes(shapes):
    a_shape, b_shape = shapes
    a, b = t(*a_shape), t(*b_shape)
    out = a @ b
    assert out.shape == np.matmul(a.data, b.data).shape
    assert np.allclose(out.data, np.matmul(a.data, b.data))
    check(lambda a, b: a @ b, a, b)
