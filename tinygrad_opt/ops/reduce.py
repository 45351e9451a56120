"""Reductions over axes: sum, mean, max, min.

Backward spreads the gradient of each reduced value back over the elements it came from:
the reduced axes are re-inserted (when `keepdims=False`) and the gradient is broadcast.
"""
import numpy as np

from .function import Function


def normalize_axes(axis, ndim):
    """`axis` (None, int or tuple; negatives allowed) as a sorted tuple of non-negative axes.

    A zero-dimensional tensor accepts axis 0 or −1, as in PyTorch, and has nothing to reduce
    over: its axes are ().
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    normalized = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise IndexError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        normalized.append(int(a) % max(ndim, 1))
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"axis {axis} repeats a dimension")
    return tuple(sorted(normalized)) if ndim else ()


def _expand_reduced(grad, axes, keepdims, in_shape):
    """Re-insert reduced axes of `grad` so it broadcasts against the input (an array or a Tensor)."""
    if keepdims or not in_shape:
        return grad
    shape = list(grad.shape)
    for axis in axes:
        shape.insert(axis, 1)
    return grad.reshape(shape)


class Sum(Function):
    """y = Σ x over `axis`;  ∂y/∂xᵢ = 1 for every summed element."""

    rule = "∂L/∂x = g, copied to every summed element"

    def forward(self, x, axis=None, keepdims=False):
        self.axes = normalize_axes(axis, x.ndim)
        self.keepdims, self.in_shape = keepdims, x.shape
        return x.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        return np.broadcast_to(_expand_reduced(grad, self.axes, self.keepdims, self.in_shape), self.in_shape)

    def backward_graph(self, grad):
        return _expand_reduced(grad, self.axes, self.keepdims, self.in_shape).expand(self.in_shape)


class Mean(Function):
    """y = (1/N) Σ x over `axis` (N elements per output);  ∂y/∂xᵢ = 1/N."""

    rule = "∂L/∂x = g/N, copied to every averaged element"

    def forward(self, x, axis=None, keepdims=False):
        self.axes = normalize_axes(axis, x.ndim)
        self.keepdims, self.in_shape = keepdims, x.shape
        self.count = int(np.prod([x.shape[a] for a in self.axes]))
        return x.mean(axis=self.axes, keepdims=keepdims)

    def backward(self, grad):
        grad = _expand_reduced(grad, self.axes, self.keepdims, self.in_shape) / self.count
        return np.broadcast_to(grad, self.in_shape)

    def backward_graph(self, grad):
        grad = _expand_reduced(grad, self.axes, self.keepdims, self.in_shape) / self.count
        return grad.expand(self.in_shape)


class Max(Function):
    """y = max x over `axis`;  ∂y/∂xᵢ = 1/k for the k elements equal to the max, else 0."""

    rule = "∂L/∂x = g at the maximum (split evenly among ties), else 0"

    reduce = staticmethod(np.max)

    def forward(self, x, axis=None, keepdims=False):
        if x.size == 0:
            raise ValueError(f"{self.name.lower()}: the tensor is empty")
        self.axes = normalize_axes(axis, x.ndim)
        self.keepdims = keepdims
        out = self.reduce(x, axis=self.axes, keepdims=True)
        self.save_for_backward(x, out)
        return out if keepdims else np.squeeze(out, axis=self.axes)

    def backward(self, grad):
        x, out = self.saved_tensors
        winners = x == out
        share = winners / winners.sum(axis=self.axes, keepdims=True)
        return _expand_reduced(grad, self.axes, self.keepdims, x.shape) * share.astype(grad.dtype)

    backward_graph = backward  # the same lines work on Tensors


class Min(Max):
    """y = min x over `axis`;  ∂y/∂xᵢ = 1/k for the k elements equal to the min, else 0."""

    rule = "∂L/∂x = g at the minimum (split evenly among ties), else 0"
    reduce = staticmethod(np.min)
