"""Softmax, log-softmax and log-sum-exp along an axis, all shifted by the max for stability.

With m = max x:  logsumexp(x) = m + ln Σ e^(x−m),  log_softmax(x) = x − logsumexp(x),
softmax(x) = e^(x−m) / Σ e^(x−m). No exponent is ever positive, so nothing overflows.
"""
import numpy as np

from .function import Function
from .reduce import _expand_reduced, normalize_axes


def _shift(x, axes):
    """(m, x − m) with m = max x along `axes` (0 for an all −inf or empty row: an empty sum
    is 0, so logsumexp over nothing is −inf and softmax over nothing is empty, as in PyTorch)."""
    shift = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
    shift = np.where(np.isfinite(shift), shift, 0)
    return shift, x - shift


def _log_sum_exp(shifted, axes):
    with np.errstate(divide="ignore"):  # ln 0 = −inf for an all −inf row, without a warning
        return np.log(np.sum(np.exp(shifted), axis=axes, keepdims=True))


class LogSumExp(Function):
    """y = ln Σ eˣ over `axis`;  ∂y/∂xᵢ = softmax(x)ᵢ = e^((x−m) − ln Σ e^(x−m))."""

    rule = "∂L/∂x = g·softmax(x)"

    def forward(self, x, axis=None, keepdims=False):
        self.axes, self.keepdims, self.ndim = normalize_axes(axis, x.ndim), keepdims, x.ndim
        shift, shifted = _shift(x, self.axes)
        log_sum = _log_sum_exp(shifted, self.axes)
        self.save_for_backward(shifted, log_sum)
        lse = shift + log_sum
        return lse if keepdims else np.squeeze(lse, axis=self.axes)

    def backward(self, grad):
        shifted, log_sum = self.saved_tensors
        if not self.keepdims and self.ndim:
            grad = np.expand_dims(grad, self.axes)
        return grad * np.exp(shifted - log_sum)

    def backward_graph(self, grad):
        x, = self.inputs
        return _expand_reduced(grad, self.axes, self.keepdims, x.shape) * x.softmax(axis=self.axes)


class LogSoftmax(Function):
    """y = x − logsumexp(x) along `axis`;  ∂L/∂x = g − softmax(x) · Σ g  (sums along `axis`)."""

    rule = "∂L/∂x = g − softmax(x)·Σg"

    def forward(self, x, axis=-1):
        self.axes = normalize_axes(axis, x.ndim)
        # (x − m) − ln Σ e^(x−m), not x − logsumexp(x): adding m and subtracting it again
        # would lose float32 precision for large |x|.
        shifted = _shift(x, self.axes)[1]
        out = shifted - _log_sum_exp(shifted, self.axes)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        out, = self.saved_tensors
        return grad - np.exp(out) * grad.sum(axis=self.axes, keepdims=True)

    def backward_graph(self, grad):
        return grad - self.inputs[0].softmax(axis=self.axes) * grad.sum(axis=self.axes, keepdims=True)


class Softmax(Function):
    """y = e^(x − logsumexp(x)) along `axis`;  ∂L/∂x = y ⊙ (g − Σ g ⊙ y)  (sums along `axis`)."""

    rule = "∂L/∂x = y·(g − Σ g·y)"

    def forward(self, x, axis=-1):
        self.axes = normalize_axes(axis, x.ndim)
        exps = np.exp(_shift(x, self.axes)[1])
        out = exps / exps.sum(axis=self.axes, keepdims=True)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        out, = self.saved_tensors
        return out * (grad - (grad * out).sum(axis=self.axes, keepdims=True))

    def backward_graph(self, grad):
        out = self.inputs[0].softmax(axis=self.axes)
        return out * (grad - (grad * out).sum(axis=self.axes, keepdims=True))
