"""Matrix products: `MatMul` (numpy's rules for 1-D, 2-D and batched) and the fused `Linear`."""
import math

import numpy as np

from .function import Function, unbroadcast


def _swap_last(x):
    return np.swapaxes(x, -1, -2)


class MatMul(Function):
    """out = a @ b;  ∂L/∂a = ∂L/∂out @ bᵀ,  ∂L/∂b = aᵀ @ ∂L/∂out.

    1-D operands are treated as a row (a) or a column (b) vector, as numpy does, and batch
    dimensions broadcast; their gradients are summed back by `unbroadcast`.
    """

    rule = "∂L/∂a = g·bᵀ, ∂L/∂b = aᵀ·g"

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul: both operands must have at least one dimension, got a 0-d tensor")
        if a.dtype != b.dtype:  # PyTorch's rule: no silent float32 → float64 promotion
            raise RuntimeError(f"matmul: the operands must have the same dtype, got {a.dtype} and {b.dtype}; "
                               "convert one with .to(...)")
        if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} don't fit: "
                             f"{a.shape[-1]} (last of the first) != {b.shape[0 if b.ndim == 1 else -2]}")
        self.save_for_backward(a, b)
        return a @ b

    def backward(self, grad):
        a, b = self.saved_tensors
        if a.ndim == 2 and b.ndim == 2:  # the common case, without reshaping
            grad_a = grad @ b.T if self.inputs[0]._requires_grad else None
            grad_b = a.T @ grad if self.inputs[1]._requires_grad else None
            return grad_a, grad_b
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        grad2 = grad
        if b.ndim == 1:
            grad2 = grad2[..., None]
        if a.ndim == 1:
            grad2 = grad2[..., None, :]
        grad_a = grad_b = None
        if self.inputs[0]._requires_grad:
            grad_a = unbroadcast(grad2 @ _swap_last(b2), a2.shape).reshape(a.shape)
        if self.inputs[1]._requires_grad:
            grad_b = unbroadcast(_swap_last(a2) @ grad2, b2.shape).reshape(b.shape)
        return grad_a, grad_b

    def backward_graph(self, grad):
        a, b = self.inputs
        # 1-D operands as a row (a) or a column (b), as in backward
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        grad2 = grad.unsqueeze(-1) if b.ndim == 1 else grad
        grad2 = grad2.unsqueeze(-2) if a.ndim == 1 else grad2
        grad_a = grad_b = None
        if a.requires_grad:
            grad_a = unbroadcast(grad2 @ b2.transpose(-1, -2), a2.shape).reshape(a.shape)
        if b.requires_grad:
            grad_b = unbroadcast(a2.transpose(-1, -2) @ grad2, b2.shape).reshape(b.shape)
        return grad_a, grad_b


class Linear(Function):
    """out = x @ Wᵀ + b (one op instead of three: PyTorch's `F.linear`).

    x: (..., in), W: (out, in), b: (out,) or absent → out: (..., out).
    ∂L/∂x = g @ W,  ∂L/∂W = gᵀ @ x (summed over all leading dims),  ∂L/∂b = Σ g over leading dims.
    """

    rule = "∂L/∂x = g·W, ∂L/∂W = gᵀ·x, ∂L/∂b = Σ g over the batch"

    def forward(self, x, weight, bias=None):
        if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise ValueError(f"linear: input of shape {x.shape} doesn't fit weight of shape "
                             f"{weight.shape}: expected last dimension {weight.shape[1]}")
        self.save_for_backward(x, weight)
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    def backward(self, grad):
        x, weight = self.saved_tensors
        grad_x = grad @ weight if self.inputs[0]._requires_grad else None
        if x.ndim != 2:  # (..., in): the leading dimensions are all rows of the batch
            rows = math.prod(x.shape[:-1])  # not reshape(-1, ...): a size may be 0
            grad, x = grad.reshape(rows, grad.shape[-1]), x.reshape(rows, x.shape[-1])
        grad_w = grad.T @ x if self.inputs[1]._requires_grad else None
        if len(self.inputs) == 2:
            return grad_x, grad_w
        grad_b = grad.sum(axis=0) if self.inputs[2]._requires_grad else None
        return grad_x, grad_w, grad_b

    def graph(self, x, weight, bias=None):
        out = x @ weight.T
        return out if bias is None else out + bias
