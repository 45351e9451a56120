"""Softmax, log-softmax and log-sum-exp along an axis, all shifted by the max for stability.

With m = max x:  logsumexp(x) = m + ln Σ e^(x−m),  log_softmax(x) = x − logsumexp(x),
softmax(x) = e^(x − logsumexp(x)). No exponent is ever positive, so nothing overflows.
"""
import numpy as np

from .function import Function
from .reduce import normalize_axes


def _stable_logsumexp(x, axes):
    shift = np.max(x, axis=axes, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0)  # all −inf rows stay −inf instead of nan
    return shift + np.log(np.sum(np.exp(x - shift), axis=axes, keepdims=True))


class LogSumExp(Function):
    """y = ln Σ eˣ over `axis`;  ∂y/∂xᵢ = softmax(x)ᵢ."""

    saved_inputs = (0,)

    def forward(self, x, axis=None, keepdims=False):
        self.axes, self.keepdims, self.x = normalize_axes(axis, x.ndim), keepdims, x
        self.lse = _stable_logsumexp(x, self.axes)
        return self.lse if keepdims else np.squeeze(self.lse, axis=self.axes)

    def backward(self, grad):
        if not self.keepdims and self.x.ndim:
            grad = np.expand_dims(grad, self.axes)
        return grad * np.exp(self.x - self.lse)


class LogSoftmax(Function):
    """y = x − logsumexp(x) along `axis`;  ∂L/∂x = g − softmax(x) · Σ g  (sums along `axis`)."""

    saves_output = True

    def forward(self, x, axis=-1):
        self.axes = normalize_axes(axis, x.ndim)
        self.out = x - _stable_logsumexp(x, self.axes)
        return self.out

    def backward(self, grad):
        return grad - np.exp(self.out) * grad.sum(axis=self.axes, keepdims=True)


class Softmax(Function):
    """y = e^(x − logsumexp(x)) along `axis`;  ∂L/∂x = y ⊙ (g − Σ g ⊙ y)  (sums along `axis`)."""

    saves_output = True

    def forward(self, x, axis=-1):
        self.axes = normalize_axes(axis, x.ndim)
        self.out = np.exp(x - _stable_logsumexp(x, self.axes))
        return self.out

    def backward(self, grad):
        out = self.out
        return out * (grad - (grad * out).sum(axis=self.axes, keepdims=True))
