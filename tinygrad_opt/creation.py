"""Factories that make new tensors: zeros, ones, full, arange, eye, rand, randn and the `_like`s.

Every factory takes `dtype` (float32 by default for floating values) and `requires_grad`.
Random ones draw from the package's generator, so `manual_seed(n)` makes them reproducible.
"""
import numpy as np

from .random import default_generator
from .tensor import Tensor, _FLOAT_DEFAULT


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def _make(array, dtype, requires_grad):
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    return Tensor(array, requires_grad=requires_grad, dtype=array.dtype)


def zeros(*size, dtype=None, requires_grad=False):
    """A tensor of `size` filled with 0."""
    return _make(np.zeros(_shape(size), dtype=dtype or _FLOAT_DEFAULT), None, requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    """A tensor of `size` filled with 1."""
    return _make(np.ones(_shape(size), dtype=dtype or _FLOAT_DEFAULT), None, requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    """A tensor of `size` filled with `fill_value` (float32 for a float, int64 for an int)."""
    if dtype is None:
        dtype = _FLOAT_DEFAULT if isinstance(fill_value, float) else np.asarray(fill_value).dtype
    return _make(np.full(_shape((size,)), fill_value, dtype=dtype), None, requires_grad)


def zeros_like(tensor, dtype=None, requires_grad=False):
    return _make(np.zeros(tensor.shape, dtype=dtype or tensor.dtype), None, requires_grad)


def ones_like(tensor, dtype=None, requires_grad=False):
    return _make(np.ones(tensor.shape, dtype=dtype or tensor.dtype), None, requires_grad)


def full_like(tensor, fill_value, dtype=None, requires_grad=False):
    return _make(np.full(tensor.shape, fill_value, dtype=dtype or tensor.dtype), None, requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Values from `start` (default 0) up to but excluding `end`, `step` apart, like PyTorch's."""
    if end is None:
        start, end = 0, start
    array = np.arange(start, end, step)
    if dtype is None and array.dtype.kind == "f":
        dtype = _FLOAT_DEFAULT
    return _make(array, dtype, requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    """`steps` evenly spaced values from `start` to `end` inclusive."""
    return _make(np.linspace(start, end, steps), dtype or _FLOAT_DEFAULT, requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    """The n×m identity matrix (m = n by default)."""
    return _make(np.eye(n, m, dtype=dtype or _FLOAT_DEFAULT), None, requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """Uniform samples from [0, 1)."""
    return _make(default_generator().random(_shape(size)), dtype or _FLOAT_DEFAULT, requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    """Standard normal samples (mean 0, variance 1)."""
    return _make(default_generator().standard_normal(_shape(size)), dtype or _FLOAT_DEFAULT, requires_grad)


def randint(low, high=None, size=(), dtype=np.int64):
    """Integers from [low, high) (or [0, low) when high is omitted)."""
    if high is None:
        low, high = 0, low
    return Tensor(default_generator().integers(low, high, size=_shape((size,))), dtype=dtype)


def tensor(data, dtype=None, requires_grad=False):
    """`Tensor(data, ...)` under PyTorch's factory name."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)
