"""Ops that move values around without computing new ones: reshape, permute, expand,
indexing, concatenation and stacking. Backward moves each gradient back to where its value
came from (indexing adds up repeated positions, expanding sums the copies)."""
import numpy as np

from .function import Function, unbroadcast


class Reshape(Function):
    """y = x with a new shape (same elements, same order);  ∂L/∂x = ∂L/∂y reshaped back."""

    rule = "∂L/∂x = g reshaped back to x's shape"

    is_view = True

    def forward(self, x, shape):
        self.in_shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError as error:
            raise ValueError(f"cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                             f"to {shape}") from error

    def backward(self, grad):
        return grad.reshape(self.in_shape)

    backward_graph = backward  # the same line works on Tensors


class Permute(Function):
    """y = x with its dimensions reordered;  ∂L/∂x = ∂L/∂y with the inverse order."""

    rule = "∂L/∂x = g with its axes put back in x's order"

    is_view = True

    def forward(self, x, dims):
        if sorted(d % max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
            raise ValueError(f"permute: {dims} is not a permutation of the {x.ndim} dimensions")
        self.dims = dims
        return np.transpose(x, dims)

    def backward(self, grad):
        return np.transpose(grad, np.argsort([d % grad.ndim for d in self.dims]))

    def backward_graph(self, grad):
        return grad.permute(*np.argsort([d % grad.ndim for d in self.dims]).tolist())


class Expand(Function):
    """y = x broadcast to `shape` (no copy);  ∂L/∂x = ∂L/∂y summed over the broadcast axes."""

    rule = "∂L/∂x = g summed over the broadcast axes"

    is_view = True

    def forward(self, x, shape):
        self.in_shape = x.shape
        try:
            return np.broadcast_to(x, shape)
        except ValueError as error:
            raise ValueError(f"cannot expand a tensor of shape {x.shape} to {shape}") from error

    def backward(self, grad):
        return unbroadcast(grad, self.in_shape)

    backward_graph = backward


def _is_basic(index):
    """True for indexes made only of ints, slices, None and Ellipsis (numpy's basic indexing)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


class GetItem(Function):
    """y = x[index];  ∂L/∂x = zeros with ∂L/∂y added at the indexed positions.

    With integer-array indexes a position can be picked more than once; its gradient is the
    sum of all picks (`np.add.at`), not the last one.
    """

    rule = "∂L/∂x = g added at the indexed positions, 0 elsewhere"

    def forward(self, x, index):
        index = plain_index(index)
        self.index, self.in_shape, self.basic = index, x.shape, _is_basic(index)
        self.is_view = self.basic
        return x[index]

    def backward(self, grad):
        return _scatter(grad, self.index, self.in_shape)

    def backward_graph(self, grad):
        return Scatter.apply(grad, index=self.index, shape=self.in_shape)


def _scatter(values, index, shape):
    """zeros(shape) with `values` added at `index` (each time a position is picked)."""
    full = np.zeros(shape, dtype=values.dtype)
    if _is_basic(index):
        full[index] = values
    else:
        np.add.at(full, index, values)
    return full


class Scatter(Function):
    """y = zeros(shape) with x added at `index` (GetItem's backward, as an op);  ∂L/∂x = ∂L/∂y[index]."""

    def forward(self, x, index, shape):
        self.index = index
        return _scatter(x, index, shape)

    def backward(self, grad):
        return grad[self.index]

    def backward_graph(self, grad):
        return GetItem.apply(grad, index=self.index)


def plain_index(index):
    """Replace Tensors in an index by their numpy arrays."""
    from ..tensor import Tensor

    # Index tensors are copied: backward reads the index, and the tensor may change in place.
    if isinstance(index, Tensor):
        return index.data.copy()
    if isinstance(index, tuple):
        return tuple(p.data.copy() if isinstance(p, Tensor) else p for p in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


class Cat(Function):
    """y = the inputs joined along `axis`;  each input's gradient is its slice of ∂L/∂y."""

    rule = "∂L/∂xᵢ = the slice of g where xᵢ was put"

    def forward(self, *arrays, axis=0):
        self.axis = axis
        self.splits = np.cumsum([a.shape[axis] for a in arrays])[:-1].tolist()
        return np.concatenate(arrays, axis=axis)

    def backward(self, grad):
        return tuple(np.split(grad, self.splits, axis=self.axis))

    def backward_graph(self, grad):
        bounds = [0] + self.splits + [grad.shape[self.axis]]
        before = (slice(None),) * (self.axis % grad.ndim)
        return tuple(grad[before + (slice(start, stop),)] for start, stop in zip(bounds, bounds[1:]))


class Stack(Function):
    """y = the inputs stacked along a new `axis`;  input i's gradient is ∂L/∂y taken at i."""

    rule = "∂L/∂xᵢ = g taken at index i of the new axis"

    def forward(self, *arrays, axis=0):
        self.axis = axis
        return np.stack(arrays, axis=axis)

    def backward(self, grad):
        return tuple(np.moveaxis(grad, self.axis, 0))

    def backward_graph(self, grad):
        before = (slice(None),) * (self.axis % grad.ndim)
        return tuple(grad[before + (i,)] for i in range(grad.shape[self.axis]))
