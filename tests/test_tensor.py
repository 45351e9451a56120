"""The Tensor class itself: construction and dtype rules, attributes, conversion, repr,
factories, manual_seed, comparisons and the rules for changing data in place."""
import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor, no_grad

# Any floating-point warning (overflow, invalid value, division by zero) fails the test.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


# ----------------------------------------------------------------------------- construction and dtypes
@pytest.mark.parametrize("data,dtype", [
    (1.5, np.float32),
    ([1.0, 2.0], np.float32),
    ([1, 2.5], np.float32),
    (np.array([1.0, 2.0]), np.float32),                    # float64 array → float32
    (np.array([1.0], dtype=np.float16), np.float32),
    (np.float64(2.0), np.float32),
    (3, np.int64),
    ([1, 2, 3], np.int64),
    (np.array([1, 2], dtype=np.int32), np.int32),          # integers keep their type
    (np.array([1, 2], dtype=np.uint8), np.uint8),
    ([True, False], np.bool_),
])
def test_default_dtypes(data, dtype):
    assert Tensor(data).dtype == dtype


def test_explicit_dtype_wins():
    assert Tensor([1.0, 2.0], dtype=np.float64).dtype == np.float64
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert Tensor([1.7, 2.2], dtype=np.int64).tolist() == [1, 2]
    assert Tensor([1.0], dtype="float64").dtype == np.float64
    assert Tensor([1.0], dtype=tg.float64).dtype == np.float64
    with pytest.raises(TypeError):
        Tensor([1.0], dtype="not-a-dtype")


def test_bad_data_is_rejected():
    with pytest.raises(TypeError):
        Tensor("abc")
    with pytest.raises(TypeError):
        Tensor([1 + 2j])


def test_construction_copies_the_data():
    array = np.array([1.0, 2.0], dtype=np.float32)
    x = Tensor(array)
    array[0] = 100.0
    assert x.tolist() == [1.0, 2.0]
    y = Tensor(x)
    x.data[1] = 50.0
    assert y.tolist() == [1.0, 2.0]


def test_numpy_shares_memory_and_array_interop():
    x = Tensor([1.0, 2.0])
    assert x.numpy() is x.data
    assert np.asarray(x) is x.data
    assert np.array(x, dtype=np.float64).dtype == np.float64
    assert np.sum(np.asarray(x)) == 3.0
    assert np.array(x).tolist() == [1.0, 2.0]


def test_float64_works_everywhere():
    x = Tensor([[0.5, -1.0], [2.0, 0.25]], dtype=np.float64, requires_grad=True)
    y = ((x @ x).tanh() + x.sigmoid() * 2.0 - x.exp() / 3 + x.abs().sqrt()).log_softmax(axis=1)
    y = y.sum(axis=0).max() + x.var() + x.logsumexp() + tg.cat([x, x]).mean() + x[0, 1] ** 2
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float64


def test_numbers_and_arrays_do_not_promote_float32():
    x = Tensor([1.0, 2.0], requires_grad=True)
    others = [2.5, 3, np.float64(1.5), np.array([1.0, 2.0]), np.array(2), np.array([True, False]),
              np.int64(4)]
    for other in others:
        for out in (x + other, other + x, x - other, other - x, x * other, other * x,
                    x / (other if not isinstance(other, np.ndarray) or other.dtype != bool else 1),
                    x ** 2.0, x.maximum(other), x.minimum(other)):
            assert out.dtype == np.float32, (other, out.dtype)
    assert (np.ones((3, 2)) @ x).dtype == np.float32
    assert tg.where(np.array([True, False]), x, 0.0).dtype == np.float32


def test_numpy_scalar_parameters_do_not_promote_float32():
    """np.sqrt(2), np.max(...) etc. are numpy float64 scalars, which numpy does not treat as
    'weak' Python numbers; passed as an op's parameter they must not turn the result float64."""
    x = Tensor([-1.0, 0.5, 2.0], requires_grad=True)
    outs = [x ** np.float64(3.0), x.abs() ** np.sqrt(2.0), x.leaky_relu(np.float64(0.1)),
            x.clip(np.float64(0.0), np.float64(1.5)), x.clip(max=np.float32(1.0)),
            x.clip(np.zeros(3), 1.0)]
    for out in outs:
        assert out.dtype == np.float32
        out.sum().backward()
        assert x.grad.dtype == np.float32
    assert x.clip(Tensor(0.0), Tensor(1.5)).tolist() == [0.0, 0.5, 1.5]


def test_float64_tensor_stays_float64_with_numbers():
    x = Tensor([1.0], dtype=np.float64)
    assert (x * 2.0).dtype == np.float64 and (1 - x).dtype == np.float64
    assert (x + np.float32(1)).dtype == np.float64


def test_integer_tensors_mix_with_floats_like_pytorch():
    labels = Tensor([1, 2, 3])
    assert (labels * 0.5).dtype == np.float32
    assert (labels / 2).dtype == np.float32 and (labels / 2).tolist() == [0.5, 1.0, 1.5]
    assert (labels + Tensor([0.5, 0.5, 0.5])).dtype == np.float32
    assert (labels + Tensor([0.5, 0.5, 0.5], dtype=np.float64)).dtype == np.float64
    assert (labels + 1).dtype == np.int64 and (labels * labels).tolist() == [1, 4, 9]
    assert (tg.arange(4) * 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    w = Tensor([1.0, 1.0, 1.0], requires_grad=True)
    (w * labels).sum().backward()
    assert w.grad.tolist() == [1.0, 2.0, 3.0] and w.grad.dtype == np.float32


def test_integer_tensors_cannot_require_grad():
    for data in ([1, 2], [True], np.array([1], dtype=np.int32)):
        with pytest.raises(RuntimeError, match="floating point"):
            Tensor(data, requires_grad=True)
    x = Tensor([1, 2])
    with pytest.raises(RuntimeError):
        x.requires_grad_()
    assert not x.requires_grad


# ----------------------------------------------------------------------------- attributes
def test_attributes():
    x = Tensor(np.zeros((2, 3, 4)), requires_grad=True, name="w")
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.dim() == 3
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.numel() == 24 and len(x) == 2
    assert x.dtype == np.float32 and x.device == "cpu" and x.name == "w"
    assert x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
    assert Tensor(1.0).name is None


def test_zero_d_tensor():
    x = Tensor(2.5)
    assert x.shape == () and x.ndim == 0 and x.numel() == 1
    assert x.item() == 2.5 and isinstance(x.item(), float)
    assert float(x) == 2.5 and int(Tensor(3.9)) == 3 and bool(Tensor(1.0))
    with pytest.raises(TypeError):
        len(x)
    with pytest.raises(TypeError):
        iter(x)


def test_item_and_bool_need_one_element():
    with pytest.raises(RuntimeError, match="2 elements"):
        Tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))
    assert Tensor([[7.0]]).item() == 7.0
    assert isinstance(Tensor([4]).item(), int)


def test_tolist():
    assert Tensor([[1.0, 2.0]]).tolist() == [[1.0, 2.0]]
    assert Tensor(3).tolist() == 3


def test_dtype_conversions():
    x = Tensor([1.5, -2.5])
    assert x.float() is x
    assert x.double().dtype == np.float64
    assert x.to(np.float64).dtype == np.float64 and x.to("float16").dtype == np.float16
    assert x.long().tolist() == [1, -2] and x.long().dtype == np.int64
    assert x.int().dtype == np.int32
    assert x.bool().tolist() == [True, True]


def test_hash_is_identity_so_tensors_can_be_dict_keys():
    a, b = Tensor([1.0]), Tensor([1.0])
    seen = {a: "a", b: "b"}
    assert seen[a] == "a" and seen[b] == "b" and len({a, b}) == 2


# ----------------------------------------------------------------------------- repr
@pytest.mark.parametrize("tensor,text", [
    (lambda: Tensor([[1.0, 2.0]], requires_grad=True), "tensor([[1., 2.]], requires_grad=True)"),
    (lambda: Tensor([1.5, 2.25]), "tensor([1.5000, 2.2500])"),
    (lambda: Tensor(3), "tensor(3)"),
    (lambda: Tensor(2.0), "tensor(2.)"),
    (lambda: Tensor([True, False]), "tensor([ True, False])"),
    (lambda: Tensor([1.0, 2.0], dtype=np.float64), "tensor([1., 2.], dtype=float64)"),
    (lambda: Tensor([1, 2], dtype=np.int32), "tensor([1, 2], dtype=int32)"),
    (lambda: Tensor([1.0], dtype=np.float64, requires_grad=True), "tensor([1.], dtype=float64, requires_grad=True)"),
    (lambda: Tensor(2.5, requires_grad=True) * 2, "tensor(5., grad_fn=<MulScalarBackward>)"),
        (lambda: Tensor(2.5, requires_grad=True) * Tensor(2.0), "tensor(5., grad_fn=<MulBackward>)"),
    (lambda: Tensor([[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
])
def test_repr(tensor, text):
    assert repr(tensor()) == text


def test_repr_of_odd_values():
    assert "nan" in repr(Tensor([np.nan, 1.0]))
    assert "inf" in repr(Tensor([np.inf]))
    assert repr(Tensor([])) == "tensor([])"
    assert repr(tg.zeros(5000)).count("...") == 1   # long tensors are summarized


# ----------------------------------------------------------------------------- factories
def test_zeros_ones_full():
    assert tg.zeros(2, 3).tolist() == [[0.0] * 3] * 2 and tg.zeros(2, 3).dtype == np.float32
    assert tg.zeros((2, 3)).shape == (2, 3) and tg.zeros([4]).shape == (4,)
    assert tg.zeros().shape == () and tg.zeros(()).shape == ()
    assert tg.ones(3, dtype=np.int64).tolist() == [1, 1, 1]
    assert tg.ones(2, dtype=tg.float64).dtype == np.float64
    assert tg.full((2, 2), 1.5).tolist() == [[1.5, 1.5], [1.5, 1.5]]
    assert tg.full((2,), 1.5).dtype == np.float32
    assert tg.full(3, 7).dtype == np.int64 and tg.full(3, 7).tolist() == [7, 7, 7]
    assert tg.full((2,), True).dtype == np.bool_
    assert tg.full((2,), 2, dtype=np.float64).dtype == np.float64


def test_like_factories():
    x = Tensor([[1.0, 2.0]], dtype=np.float64)
    assert tg.zeros_like(x).shape == (1, 2) and tg.zeros_like(x).dtype == np.float64
    assert tg.ones_like(x, dtype=np.float32).dtype == np.float32
    assert tg.ones_like(Tensor([1, 2])).tolist() == [1, 1]
    assert tg.full_like(x, 3.0).tolist() == [[3.0, 3.0]]


def test_arange_linspace_eye():
    assert tg.arange(5).tolist() == [0, 1, 2, 3, 4] and tg.arange(5).dtype == np.int64
    assert tg.arange(2, 5).tolist() == [2, 3, 4]
    assert tg.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert tg.arange(0, 1, 0.25).dtype == np.float32
    assert tg.arange(3, dtype=np.float32).dtype == np.float32
    assert tg.arange(5, 0, -2).tolist() == [5, 3, 1]
    assert tg.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert tg.linspace(0, 1, 5).dtype == np.float32
    assert tg.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]] and tg.eye(2).dtype == np.float32
    assert tg.eye(2, 3).shape == (2, 3)


def test_random_factories():
    r = tg.rand(1000)
    assert r.dtype == np.float32 and r.shape == (1000,)
    assert 0.0 <= r.data.min() and r.data.max() < 1.0
    n = tg.randn(2000, dtype=np.float64)
    assert n.dtype == np.float64
    assert abs(n.data.mean()) < 0.1 and abs(n.data.std() - 1) < 0.1
    assert tg.randn(2, 3).shape == (2, 3) and tg.rand((2, 3)).shape == (2, 3)
    i = tg.randint(0, 5, size=(100,))
    assert i.dtype == np.int64 and i.data.min() >= 0 and i.data.max() < 5
    assert tg.randint(3, size=4).shape == (4,) and tg.randint(3).shape == ()


def test_factories_requires_grad():
    for x in (tg.zeros(2, requires_grad=True), tg.ones(2, requires_grad=True),
              tg.full((2,), 1.0, requires_grad=True), tg.randn(2, requires_grad=True),
              tg.rand(2, requires_grad=True), tg.eye(2, requires_grad=True),
              tg.linspace(0, 1, 3, requires_grad=True), tg.tensor([1.0], requires_grad=True),
              tg.zeros_like(Tensor([1.0]), requires_grad=True)):
        assert x.requires_grad and x.is_leaf
    with pytest.raises(RuntimeError):
        tg.arange(3, requires_grad=True)


def test_tensor_factory():
    x = tg.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    assert isinstance(x, Tensor) and x.dtype == np.float64 and x.requires_grad


def test_manual_seed_makes_draws_reproducible():
    tg.manual_seed(123)
    a = (tg.randn(5).tolist(), tg.rand(3).tolist(), tg.randint(0, 100, size=(4,)).tolist())
    tg.manual_seed(123)
    b = (tg.randn(5).tolist(), tg.rand(3).tolist(), tg.randint(0, 100, size=(4,)).tolist())
    assert a == b
    tg.manual_seed(124)
    assert tg.randn(5).tolist() != a[0]


def test_manual_seed_returns_the_generator_and_checks_its_argument():
    from tinygrad_opt.random import default_generator

    generator = tg.manual_seed(7)
    assert generator is default_generator()
    assert isinstance(generator, np.random.Generator)
    tg.manual_seed(np.int64(7))
    for bad in (1.5, "7", True, None):
        with pytest.raises(TypeError):
            tg.manual_seed(bad)


# ----------------------------------------------------------------------------- comparisons
def test_comparisons_return_bool_tensors_without_grad():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = Tensor([3.0, 2.0, 1.0])
    cases = {
        "<": (x < y, [True, False, False]),
        "<=": (x <= y, [True, True, False]),
        ">": (x > y, [False, False, True]),
        ">=": (x >= y, [False, True, True]),
        "==": (x == y, [False, True, False]),
        "!=": (x != y, [True, False, True]),
        "eq": (x.eq(y), [False, True, False]),
    }
    for name, (out, expected) in cases.items():
        assert isinstance(out, Tensor), name
        assert out.dtype == np.bool_ and out.tolist() == expected, name
        assert not out.requires_grad and out.grad_fn is None, name


def test_comparisons_with_numbers_and_arrays_on_either_side():
    x = Tensor([1.0, 2.0, 3.0])
    assert (x > 2).tolist() == [False, False, True]
    assert (2 < x).tolist() == [False, False, True]
    assert (x == 2.0).tolist() == [False, True, False]
    assert (np.array([3.0, 2.0, 1.0]) > x).tolist() == [True, False, False]
    assert (x >= np.array(2.0)).tolist() == [False, True, True]
    assert (Tensor([[1.0], [3.0]]) > x).shape == (2, 3)   # broadcasting


def test_comparison_results_combine_as_masks():
    x = Tensor([-1.0, 0.5, 2.0])
    mask = (x > 0) == (x < 1)
    assert mask.tolist() == [False, True, False]
    assert x[(x > 0)].tolist() == [0.5, 2.0]
    assert ((x > 0).float() * x).tolist() == [0.0, 0.5, 2.0]


# ----------------------------------------------------------------------------- in-place rules
def test_inplace_methods_on_plain_tensors():
    x = Tensor([1.0, 2.0, 3.0])
    buffer = x.data
    assert x.add_(1) is x and x.tolist() == [2.0, 3.0, 4.0]
    x.sub_(Tensor([1.0, 1.0, 1.0])).mul_(2).div_(4)
    assert x.tolist() == [0.5, 1.0, 1.5]
    x.clamp_(0.75, 1.25)
    assert x.tolist() == [0.75, 1.0, 1.25]
    x.fill_(2.0)
    assert x.tolist() == [2.0, 2.0, 2.0]
    x.copy_(np.array([1, 2, 3]))
    assert x.tolist() == [1.0, 2.0, 3.0] and x.dtype == np.float32
    x.zero_()
    assert x.tolist() == [0.0, 0.0, 0.0]
    assert x.data is buffer and x._version == 8


def test_augmented_assignment_on_plain_tensor_is_in_place():
    x = Tensor([1.0, 2.0])
    identity, buffer = id(x), x.data
    x += 1
    x -= Tensor([0.5, 0.5])
    x *= 2
    x /= 4
    assert id(x) == identity and x.data is buffer
    assert x.tolist() == [0.75, 1.25] and x._version == 4


def test_inplace_keeps_dtype():
    x = Tensor([1, 2])
    x += 1
    assert x.dtype == np.int64
    with pytest.raises(TypeError):
        x.add_(0.5)      # float into an int tensor is refused, not silently truncated
    y = Tensor([1.0])
    y.add_(np.array([1.0], dtype=np.float64))
    assert y.dtype == np.float32


def test_leaf_requiring_grad_rejects_inplace_unless_no_grad():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w.mul_(2)
    with pytest.raises(RuntimeError, match="leaf"):
        w -= 1
    with no_grad():
        w.mul_(2)
        w -= 1
    assert w.tolist() == [1.0, 3.0] and w.is_leaf and w.requires_grad


def test_views_share_the_version_counter():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    views = [x[0], x[:, 1:], x.reshape(6), x.T, x.permute(1, 0), x.unsqueeze(0), x.detach()]
    x.add_(1)
    for view in views:
        assert view._version == 1
    views[0].mul_(2)   # writing through a view bumps the base's version too
    assert x._version == 2 and x.tolist()[0] == [2.0, 4.0, 6.0]
    copy = x[[0, 1]]   # integer-array indexing copies: its own counter
    x.add_(1)
    assert copy._version == 0


def test_grad_is_a_plain_tensor_that_can_be_zeroed():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()
    assert isinstance(w.grad, Tensor) and not w.grad.requires_grad
    w.grad.zero_()
    assert w.grad.tolist() == [0.0, 0.0]


# ----------------------------------------------------------------------------- __setitem__
def test_setitem_writes_in_place_and_bumps_the_version():
    x = Tensor([1.0, -2.0, 3.0, -4.0])
    data, version = x.data, x._version
    x[x < 0] = 0.0
    x[0] = Tensor(10.0)
    assert x.tolist() == [10.0, 0.0, 3.0, 0.0]
    assert x.data is data and x._version == version + 1 + 1


def test_setitem_on_a_tensor_that_requires_grad_is_refused_in_grad_mode():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w[0] = 5.0
    assert w.tolist() == [1.0, 2.0]
    with tg.no_grad():
        w[0] = 5.0
    assert w.tolist() == [5.0, 2.0]


def test_setitem_after_a_recorded_use_makes_backward_refuse():
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([3.0, 4.0])
    y = (w * x).sum()
    x[1] = 0.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_free_functions_sum_mean_abs_are_exported():
    x = Tensor([[-1.0, 2.0], [3.0, -4.0]])
    assert tg.sum(x).item() == 0.0
    assert tg.mean(x, dim=0).tolist() == [1.0, -1.0]
    assert tg.abs(x).tolist() == [[1.0, 2.0], [3.0, 4.0]]
