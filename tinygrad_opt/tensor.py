"""Tensor: a numpy array that remembers how it was made, so gradients can flow back through it.

    x = Tensor([[1., 2.]], requires_grad=True)
    y = (x * x).sum()          # y.grad_fn is Sum, whose input was made by Mul
    y.backward()               # x.grad == 2·x

`.data` is the numpy array; `.grad` is a Tensor (or None) filled by `backward()`;
`.grad_fn` is the Function that produced the tensor (None for leaves). The ops themselves
live in `tinygrad_opt.ops`, one small unit each; the methods here only dispatch to them.
"""
from collections import namedtuple
import reprlib

import numpy as np

from . import autograd

_FLOAT_DEFAULT = np.float32

# What `x.max(dim)` and `x.min(dim)` return, as PyTorch's torch.return_types.max / min.
MaxResult = namedtuple("max", ("values", "indices"))
MinResult = namedtuple("min", ("values", "indices"))


def _normalize_dtype(dtype):
    try:
        return np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"Tensor got an unknown dtype {dtype!r}") from error


def to_arguments(where, args, dtype=None, device=None):
    """The dtype (or None) that PyTorch-style `.to(...)` arguments ask for: a dtype, a device,
    both, or a Tensor (its dtype). 'cpu' is the only device; any other is refused by name."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif _is_device(arg):
            device = arg
        else:
            dtype = arg
    if device is not None and str(device) != "cpu":
        raise RuntimeError(f"{where}: no device or dtype is called {str(device)!r}; 'cpu' is the only "
                           "device (tinygrad_opt computes with numpy on the CPU)")
    return None if dtype is None else _normalize_dtype(dtype)


def _is_device(value):
    """A device as PyTorch names one ('cpu', 'cuda:0', a torch.device), not a dtype."""
    if type(value).__name__ == "device":
        return True
    if not isinstance(value, str):
        return False
    try:
        np.dtype(value)
    except TypeError:
        return True
    return False


def _as_array(data, dtype):
    """Convert user data to a numpy array following the dtype rules in `Tensor`'s docstring.

    The data is checked before any `dtype` is applied: numpy would turn None into NaN, drop an
    imaginary part or keep strings, where a Tensor holds only numbers or booleans.
    """
    if isinstance(data, Tensor):
        data = data.data
    array = data if isinstance(data, np.ndarray) else np.array(data)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Tensor data must be numbers or booleans, got {reprlib.repr(data)} "
                        f"(an array of dtype {array.dtype})")
    if dtype is not None:
        dtype = _normalize_dtype(dtype)
        if dtype.kind not in "biuf":
            raise TypeError(f"Tensor dtype must be a number or boolean type, got {dtype}")
        return np.array(array, dtype=dtype)
    if array.dtype.kind == "f":
        return array.astype(_FLOAT_DEFAULT)  # a copy, also when it already is float32
    return array.copy() if array is data else array


def _axes(axis, dim):
    """Accept numpy's `axis` or PyTorch's `dim` (not both); return None, an int or a tuple."""
    if dim is not None:
        if axis is not None:
            raise TypeError("give either axis or dim, not both")
        axis = dim
    if isinstance(axis, list):
        axis = tuple(axis)
    return axis


def _keep(keepdims, keepdim):
    return bool(keepdim) if keepdim is not None else bool(keepdims)


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    `Tensor(data, requires_grad=False, dtype=None, name=None)`

    - `data`: a number, nested list or numpy array (copied). Floating data becomes float32
      unless `dtype` says otherwise (e.g. `dtype=np.float64` for gradient checks); integer
      and boolean data keep their type (class labels) and cannot require grad.
    - `requires_grad`: record operations on this tensor so `backward()` can fill `.grad`.
    - `name`: a label used by drawings (`tinygrad_opt.viz`).
    """

    __slots__ = ("data", "grad", "grad_fn", "name", "_requires_grad", "_version_counter",
                 "_retains_grad", "__weakref__")
    # numpy defers to Tensor's reflected operators (`array + tensor` → Tensor.__radd__).
    __array_ufunc__ = None

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        self.data = _as_array(data, dtype)
        self.grad = None
        self.grad_fn = None
        self.name = name
        self._requires_grad = False
        self._version_counter = None
        self._retains_grad = False
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _wrap(cls, data, requires_grad=False, grad_fn=None):
        """Wrap an existing numpy array without copying or converting (internal fast path)."""
        tensor = object.__new__(Tensor)
        tensor.data = data
        tensor.grad = None
        tensor.grad_fn = grad_fn
        tensor.name = None
        tensor._requires_grad = requires_grad
        tensor._version_counter = None
        tensor._retains_grad = False
        return tensor

    def _counter(self):
        """[version, when]: how many times the data was changed in place, and the op sequence
        number (`autograd.next_sequence`) at the last change; shared with views of the data.

        Made on first need (an op saving this tensor, a view of it, an in-place change): most
        tensors never need one, and each is one more object for the garbage collector.
        """
        counter = self._version_counter
        if counter is None:
            counter = self._version_counter = [0, -1]
        return counter

    # ----------------------------------------------------------------- properties
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if value and self.data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, this one is {self.data.dtype}")
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use .detach() instead")
        self._requires_grad = value

    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def is_leaf(self):
        """True for tensors not produced by a recorded op (what `backward()` fills `.grad` of)."""
        return self.grad_fn is None

    @property
    def _version(self):
        """How many times the data was changed in place (shared with views of it)."""
        counter = self._version_counter
        return 0 if counter is None else counter[0]

    @property
    def T(self):
        """All dimensions reversed (the matrix transpose for 2-D)."""
        return self.permute(*reversed(range(self.ndim)))

    @property
    def device(self):
        return "cpu"

    def size(self, dim=None):
        """The shape, or one dimension's size (`dim` may be negative)."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self):
        return self.data.ndim

    def numel(self):
        return self.data.size

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    __hash__ = object.__hash__   # by identity (== is elementwise), without a Python-level call

    # ----------------------------------------------------------------- conversion
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise RuntimeError(f"a Tensor with {self.data.size} elements cannot be converted to a Python scalar")
        return self.data.item()

    def numpy(self):
        """The underlying numpy array (shares memory with the tensor)."""
        return self.data

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        if dtype is None or self.data.dtype == dtype:
            return self.data.copy() if copy else self.data
        return self.data.astype(dtype)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.data.size} values is ambiguous")
        return bool(self.data.item())

    def to(self, *args, dtype=None, device=None):
        """A copy converted to `dtype` (differentiable between float types), as PyTorch's
        `x.to(dtype)`, `x.to(device)`, `x.to(device, dtype)` or `x.to(other)` (other's dtype).

        Everything lives in numpy arrays in main memory, so 'cpu' is the only device.
        """
        dtype = to_arguments("Tensor.to", args, dtype, device)
        if dtype is None or dtype == self.data.dtype:
            return self
        return _ops.Cast.apply(self, dtype=dtype)

    def cpu(self):
        """The tensor itself: it is already on the CPU (for code written for PyTorch)."""
        return self

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def bool(self):
        return self.to(np.bool_)

    def __repr__(self):
        data = self.data
        if data.dtype.kind == "f" and data.size and np.all(np.isfinite(data)) and np.all(data == np.round(data)):
            body = np.array2string(data, separator=", ", prefix="tensor(")
        elif data.dtype.kind == "f":
            body = np.array2string(data, separator=", ", prefix="tensor(", precision=4, floatmode="fixed")
        else:
            body = np.array2string(data, separator=", ", prefix="tensor(")
        extras = []
        if data.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    def _repr_html_(self):
        from .display import tensor_html    # notebooks only: a table of the values and .grad
        return tensor_html(self)

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Compute d self / d leaf for every leaf that requires grad, accumulating into `.grad`.

        `gradient` is d L / d self; it may be omitted only for a one-element tensor (then 1).
        With `create_graph=True` the gradients are recorded too (`.grad` has a `grad_fn`), so
        they can be differentiated again; `retain_graph` defaults to `create_graph`.
        """
        if not self._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        seed = gradient  # kept as given: with create_graph a Tensor gradient stays in the graph
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; this tensor has shape "
                    f"{self.data.shape}: pass gradient= (d loss / d this tensor) to backward()")
            gradient = np.array(1, self.data.dtype).reshape(self.data.shape)   # (np.ones_like: 3× slower)
        else:
            gradient = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient,
                                  dtype=self.data.dtype)
            if gradient.shape != self.data.shape:
                raise RuntimeError(
                    f"gradient has shape {gradient.shape} but the tensor has shape {self.data.shape}")
        if create_graph:
            if not (isinstance(seed, Tensor) and seed.data.dtype == self.data.dtype):
                seed = Tensor._wrap(gradient)
            autograd.run_backward_graph(self, seed, retain_graph=retain_graph is not False)
            return
        autograd.run_backward(self, gradient, retain_graph=bool(retain_graph))

    def detach(self):
        """The same data (shared, not copied) cut off from the graph."""
        out = Tensor._wrap(self.data)
        out._version_counter = self._counter()
        return out

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        """Also keep `.grad` for this non-leaf tensor during `backward()`."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on a Tensor that has requires_grad=False")
        self._retains_grad = True
        return self

    def clone(self):
        """A copy of the data that stays in the graph (gradient passes through unchanged)."""
        return _ops.Clone.apply(self)

    # ----------------------------------------------------------------- in place
    def _check_inplace(self):
        if autograd.is_grad_enabled() and self._requires_grad:
            if self.grad_fn is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation; "
                    "wrap it in `with no_grad():` (as optimizers do)")
            raise RuntimeError(
                "in-place operations on tensors recorded in the graph are not supported; "
                "use the out-of-place form (x = x + y instead of x += y)")

    def _changed_in_place(self):
        counter = self._version_counter or self._counter()
        counter[0] += 1
        counter[1] = autograd.next_sequence()
        return self

    def _inplace(self, ufunc, other):
        self._check_inplace()
        other = other.data if isinstance(other, Tensor) else other
        ufunc(self.data, other, out=self.data, casting="same_kind")
        return self._changed_in_place()

    def add_(self, other, alpha=1):
        if alpha != 1:
            other = (other.data if isinstance(other, Tensor) else np.asarray(other)) * alpha
        return self._inplace(np.add, other)

    def sub_(self, other, alpha=1):
        if alpha != 1:
            other = (other.data if isinstance(other, Tensor) else np.asarray(other)) * alpha
        return self._inplace(np.subtract, other)

    def mul_(self, other):
        return self._inplace(np.multiply, other)

    def div_(self, other):
        return self._inplace(np.true_divide, other)

    def zero_(self):
        self._check_inplace()
        self.data[...] = 0
        return self._changed_in_place()

    def fill_(self, value):
        self._check_inplace()
        self.data[...] = value.data if isinstance(value, Tensor) else value
        return self._changed_in_place()

    def copy_(self, source):
        """Copy `source`'s values into this tensor's memory (broadcasting, casting to its dtype)."""
        self._check_inplace()
        np.copyto(self.data, source.data if isinstance(source, Tensor) else source, casting="unsafe")
        return self._changed_in_place()

    def clamp_(self, min=None, max=None):
        self._check_inplace()
        np.clip(self.data, min, max, out=self.data)
        return self._changed_in_place()

    def _inplace_or_rebind(self, ufunc, op, other):
        # `x += y` changes x in place when nothing needs recording (e.g. `w -= lr * w.grad` under
        # no_grad, keeping w a leaf). When it must be recorded, Python rebinds x to the
        # out-of-place result instead; only a leaf that requires grad is refused, as in PyTorch.
        recording = autograd.is_grad_enabled() and (
            self._requires_grad or (isinstance(other, Tensor) and other._requires_grad))
        if not recording:
            return self._inplace(ufunc, other)
        if self._requires_grad and self.grad_fn is None:
            self._check_inplace()
        return op(self, other)

    def __iadd__(self, other):
        return self._inplace_or_rebind(np.add, Tensor.__add__, other)

    def __isub__(self, other):
        return self._inplace_or_rebind(np.subtract, Tensor.__sub__, other)

    def __imul__(self, other):
        return self._inplace_or_rebind(np.multiply, Tensor.__mul__, other)

    def __itruediv__(self, other):
        return self._inplace_or_rebind(np.true_divide, Tensor.__truediv__, other)

    # ----------------------------------------------------------------- arithmetic
    def _lift(self, other):
        """Turn a number or array into a constant Tensor of a dtype that doesn't promote self."""
        if isinstance(other, Tensor):
            return other
        if type(other) is float or type(other) is int:
            # The common case (x * 0.5): one conversion straight to the dtype numpy would keep.
            dtype = self.data.dtype if self.data.dtype.kind == "f" else (
                _FLOAT_DEFAULT if type(other) is float else None)
            return Tensor._wrap(np.asarray(other, dtype=dtype))
        array = np.asarray(other)
        mine, theirs = self.data.dtype.kind, array.dtype.kind
        if mine == "f" and theirs in "fiub":
            array = array.astype(self.data.dtype, copy=False)
        elif theirs == "f":
            array = array.astype(_FLOAT_DEFAULT, copy=False)
        elif theirs not in "iub":
            raise TypeError(f"unsupported operand of type {type(other).__name__} for a Tensor operation")
        return Tensor._wrap(array)

    # `x * 0.5` on float data records a scalar op (MulScalar) holding the number, instead of
    # `Mul` with a constant tensor: the same numbers, one tensor and no saved arrays fewer.
    def __add__(self, other):
        if (type(other) is float or type(other) is int) and self.data.dtype.kind == "f":
            return _ops.AddScalar.apply_scalar(self, other)
        return _ops.Add.apply(self, self._lift(other))

    def __radd__(self, other):
        if (type(other) is float or type(other) is int) and self.data.dtype.kind == "f":
            return _ops.AddScalar.apply_scalar(self, other)   # c + x = x + c, bit for bit
        return _ops.Add.apply(self._lift(other), self)

    def __sub__(self, other):
        if (type(other) is float or type(other) is int) and self.data.dtype.kind == "f":
            return _ops.SubScalar.apply_scalar(self, other)
        return _ops.Sub.apply(self, self._lift(other))

    def __rsub__(self, other):
        return _ops.Sub.apply(self._lift(other), self)

    def __mul__(self, other):
        if (type(other) is float or type(other) is int) and self.data.dtype.kind == "f":
            return _ops.MulScalar.apply_scalar(self, other)
        return _ops.Mul.apply(self, self._lift(other))

    def __rmul__(self, other):
        if (type(other) is float or type(other) is int) and self.data.dtype.kind == "f":
            return _ops.MulScalar.apply_scalar(self, other)   # c·x = x·c, bit for bit
        return _ops.Mul.apply(self._lift(other), self)

    def __truediv__(self, other):
        if (type(other) is float or type(other) is int) and self.data.dtype.kind == "f":
            return _ops.DivScalar.apply_scalar(self, other)
        return _ops.Div.apply(self, self._lift(other))

    def __rtruediv__(self, other):
        return _ops.Div.apply(self._lift(other), self)

    def __pow__(self, exponent):
        if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
            return _ops.PowScalar.apply(self, exponent=exponent)
        return _ops.Pow.apply(self, self._lift(exponent))

    def __rpow__(self, base):
        return _ops.Pow.apply(self._lift(base), self)

    def __neg__(self):
        return _ops.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.Abs.apply(self)

    def __matmul__(self, other):
        return _ops.MatMul.apply(self, self._lift(other))

    def __rmatmul__(self, other):
        return _ops.MatMul.apply(self._lift(other), self)

    def matmul(self, other):
        return self @ other

    def add(self, other):
        return self + other

    def sub(self, other):
        return self - other

    def mul(self, other):
        return self * other

    def div(self, other):
        return self / other

    def pow(self, exponent):
        return self ** exponent

    def neg(self):
        return -self

    # ----------------------------------------------------------------- comparisons (no gradient)
    def _compare(self, ufunc, other):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(np.asarray(ufunc(self.data, other)))

    def __lt__(self, other):
        return self._compare(np.less, other)

    def __le__(self, other):
        return self._compare(np.less_equal, other)

    def __gt__(self, other):
        return self._compare(np.greater, other)

    def __ge__(self, other):
        return self._compare(np.greater_equal, other)

    def __eq__(self, other):
        return self._compare(np.equal, other)

    def __ne__(self, other):
        return self._compare(np.not_equal, other)

    def eq(self, other):
        return self == other

    # ----------------------------------------------------------------- elementwise
    def exp(self):
        return _ops.Exp.apply(self)

    def log(self):
        return _ops.Log.apply(self)

    def sqrt(self):
        return _ops.Sqrt.apply(self)

    def abs(self):
        return _ops.Abs.apply(self)

    def tanh(self):
        return _ops.Tanh.apply(self)

    def sigmoid(self):
        return _ops.Sigmoid.apply(self)

    def relu(self):
        return _ops.ReLU.apply(self)

    def leaky_relu(self, negative_slope=0.01):
        return _ops.LeakyReLU.apply(self, negative_slope=negative_slope)

    def gelu(self, approximate="none"):
        return _ops.GELU.apply(self, approximate=approximate)

    def square(self):
        return self * self

    def clip(self, min=None, max=None):
        """Limit values to [min, max]; the gradient passes where min ≤ x ≤ max."""
        return _ops.Clip.apply(self, min=min, max=max)

    clamp = clip

    def maximum(self, other):
        return _ops.Maximum.apply(self, self._lift(other))

    def minimum(self, other):
        return _ops.Minimum.apply(self, self._lift(other))

    def where(self, condition, other):
        """`self` where `condition` holds, else `other` (PyTorch's `Tensor.where`)."""
        return where(condition, self, other)

    # ----------------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _ops.Sum.apply(self, axis=_axes(axis, dim), keepdims=_keep(keepdims, keepdim))

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _ops.Mean.apply(self, axis=_axes(axis, dim), keepdims=_keep(keepdims, keepdim))

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """As PyTorch's `max`: `x.max()` is the largest value (the gradient split evenly among
        ties); `x.max(dim)` the named tuple `(values, indices)` along that one axis, the first
        largest on ties, which alone gets the gradient; `x.max(other)` is `maximum`. A tuple of
        axes gives the values only (PyTorch's `amax`)."""
        return self._extreme(_ops.Max, np.argmax, MaxResult, axis, dim, keepdims, keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """As `max`, for the smallest: a value, or `(values, indices)` along one axis."""
        return self._extreme(_ops.Min, np.argmin, MinResult, axis, dim, keepdims, keepdim)

    def _extreme(self, op, arg, result, axis, dim, keepdims, keepdim):
        axis, keep = _axes(axis, dim), _keep(keepdims, keepdim)
        if isinstance(axis, Tensor):
            return self.maximum(axis) if op is _ops.Max else self.minimum(axis)
        if axis is None or isinstance(axis, tuple):
            return op.apply(self, axis=axis, keepdims=keep)
        if self.ndim == 0:  # one value, at index 0 (PyTorch accepts dim 0 or -1 here)
            return result(op.apply(self, axis=axis), Tensor._wrap(np.zeros((), dtype=np.int64)))
        axis = _ops.normalize_axes(axis, self.ndim)[0]
        indices = arg(self.data, axis=axis, keepdims=True)
        picked = list(np.ix_(*(np.arange(n) for n in self.shape)))
        picked[axis] = indices
        values = self[tuple(picked)]  # indexing sends the gradient to the picked places only
        if not keep:
            values, indices = values.squeeze(axis), np.squeeze(indices, axis)
        return result(values, Tensor._wrap(np.asarray(indices, dtype=np.int64)))

    def var(self, axis=None, keepdims=False, *, dim=None, keepdim=None, correction=1, unbiased=None):
        """Variance Σ(x − mean)² / (N − correction); `correction=1` (unbiased) like PyTorch."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        axis, keep = _axes(axis, dim), _keep(keepdims, keepdim)
        count = self.data.size if axis is None else int(np.prod([self.data.shape[a] for a in _ops.normalize_axes(axis, self.ndim)]))
        centered = self - self.mean(axis=axis, keepdims=True)
        return (centered * centered).sum(axis=axis, keepdims=keep) / max(count - correction, 0)

    def std(self, axis=None, keepdims=False, *, dim=None, keepdim=None, correction=1, unbiased=None):
        return self.var(axis, keepdims, dim=dim, keepdim=keepdim, correction=correction, unbiased=unbiased).sqrt()

    def softmax(self, axis=-1, *, dim=None):
        # `dim` replaces the default axis (-1 here is a default, not a clash with `dim`)
        return _ops.Softmax.apply(self, axis=_axes(axis if dim is None else None, dim))

    def log_softmax(self, axis=-1, *, dim=None):
        return _ops.LogSoftmax.apply(self, axis=_axes(axis if dim is None else None, dim))

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _ops.LogSumExp.apply(self, axis=_axes(axis, dim), keepdims=_keep(keepdims, keepdim))

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Indices of the largest values (an int64 tensor, not differentiable)."""
        return Tensor._wrap(np.asarray(np.argmax(self.data, axis=_axes(axis, dim), keepdims=_keep(keepdims, keepdim))))

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Indices of the smallest values (an int64 tensor, not differentiable)."""
        return Tensor._wrap(np.asarray(np.argmin(self.data, axis=_axes(axis, dim), keepdims=_keep(keepdims, keepdim))))

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return _ops.Reshape.apply(self, shape=tuple(shape))

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        shape = self.shape[:start] + (-1,) + self.shape[end + 1:]
        return self.reshape(shape)

    def unsqueeze(self, dim):
        if not -self.ndim - 1 <= dim <= self.ndim:
            raise IndexError(f"unsqueeze: dim {dim} is out of range [{-self.ndim - 1}, {self.ndim}]")
        dim = dim if dim >= 0 else dim + self.ndim + 1
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        dims = _ops.normalize_axes(dim, self.ndim)
        return self.reshape(tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1)))

    def permute(self, *dims):
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        return _ops.Permute.apply(self, dims=tuple(dims))

    def transpose(self, dim0, dim1):
        """Swap two dimensions (PyTorch's meaning; for a general permutation use `permute`)."""
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return self.permute(dims)

    def expand(self, *sizes):
        """Broadcast to `sizes` without copying (−1 keeps a dimension's size)."""
        sizes = sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        offset = len(sizes) - self.ndim
        if offset < 0:
            raise ValueError(f"expand: the number of sizes ({len(sizes)}) must be at least the tensor's ndim ({self.ndim})")
        if any(s == -1 for s in sizes[:offset]):
            raise ValueError(f"expand: -1 is not allowed for a new leading dimension (sizes {tuple(sizes)})")
        shape = tuple(self.shape[i - offset] if s == -1 else s for i, s in enumerate(sizes))
        return _ops.Expand.apply(self, shape=shape)

    def __getitem__(self, index):
        return _ops.GetItem.apply(self, index=index)

    def __setitem__(self, index, value):
        """Write `value` into the indexed elements in place (`x[mask] = 0`).

        Like every in-place op it is not recorded: it is refused on a tensor that requires
        grad while grad mode is on, and a graph that saved this tensor notices the change.
        """
        self._check_inplace()
        self.data[_ops.shape.plain_index(index)] = value.data if isinstance(value, Tensor) else value
        self._changed_in_place()


def where(condition, input, other):
    """`input` where `condition` is true, else `other`, elementwise with broadcasting.

    The condition is not differentiated; gradients flow to `input` where it holds and to
    `other` where it does not.
    """
    condition = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if not isinstance(input, Tensor):
        input = other._lift(input) if isinstance(other, Tensor) else Tensor(input)
    other = input._lift(other)
    # A copy: Where keeps the condition for backward, and its tensor may change in place.
    return _ops.Where.apply(input, other, condition=condition.astype(bool))


from . import ops as _ops  # noqa: E402  (the ops need Tensor defined first)
