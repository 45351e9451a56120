"""Elementwise functions and their derivatives (y = f(x), ∂L/∂x = ∂L/∂y · f'(x))."""
import math

import numpy as np

from .function import Function, unbroadcast


class Exp(Function):
    """y = eˣ;  f'(x) = eˣ = y."""

    rule = "∂L/∂x = g·eˣ = g·y"

    def forward(self, x):
        out = np.exp(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        out, = self.saved_tensors
        return grad * out

    def backward_graph(self, grad):
        return grad * self.inputs[0].exp()


class Log(Function):
    """y = ln x;  f'(x) = 1/x."""

    rule = "∂L/∂x = g/x"

    def forward(self, x):
        self.save_for_backward(x)
        return np.log(x)

    def backward(self, grad):
        x, = self.saved_tensors
        return grad / x

    def backward_graph(self, grad):
        return grad / self.inputs[0]


class Sqrt(Function):
    """y = √x;  f'(x) = 1 / (2√x) = 1 / (2y)."""

    rule = "∂L/∂x = g/(2√x) = g/(2y)"

    def forward(self, x):
        out = np.sqrt(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        out, = self.saved_tensors
        return grad / (2 * out)

    def backward_graph(self, grad):
        return grad / (2 * self.inputs[0].sqrt())


class Abs(Function):
    """y = |x|;  f'(x) = sign(x) (0 at x = 0, as in PyTorch)."""

    rule = "∂L/∂x = g·sign(x)"

    def forward(self, x):
        self.save_for_backward(x)
        return np.abs(x)

    def backward(self, grad):
        x, = self.saved_tensors
        return grad * np.sign(x)

    def backward_graph(self, grad):
        return grad * np.sign(self.inputs[0].data)


class Tanh(Function):
    """y = tanh x;  f'(x) = 1 − y²."""

    rule = "∂L/∂x = g·(1 − y²)"

    def forward(self, x):
        out = np.tanh(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        out, = self.saved_tensors
        return grad * (1 - out * out)

    def backward_graph(self, grad):
        out = self.inputs[0].tanh()
        return grad * (1 - out * out)


class Sigmoid(Function):
    """y = σ(x) = 1 / (1 + e⁻ˣ);  f'(x) = y (1 − y).

    Computed as 1/(1+e⁻ˣ) for x ≥ 0 and eˣ/(1+eˣ) for x < 0, so e^|x| never overflows.
    """

    rule = "∂L/∂x = g·y·(1 − y)"

    def forward(self, x):
        e = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        out, = self.saved_tensors
        return grad * (out * (1 - out))

    def backward_graph(self, grad):
        out = self.inputs[0].sigmoid()
        return grad * (out * (1 - out))


class ReLU(Function):
    """y = max(x, 0);  f'(x) = 1 where x > 0, else 0."""

    rule = "∂L/∂x = g where x > 0, else 0"

    def forward(self, x):
        out = np.maximum(x, 0)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        out, = self.saved_tensors
        return grad * (out > 0)

    def backward_graph(self, grad):
        return grad * (self.inputs[0].data > 0)


class LeakyReLU(Function):
    """y = x where x > 0, else slope · x;  f'(x) = 1 where x > 0, else slope."""

    rule = "∂L/∂x = g where x > 0, else slope·g"

    def forward(self, x, negative_slope=0.01):
        negative_slope = float(negative_slope)  # a numpy float64 would promote float32 to float64
        self.save_for_backward(x)
        self.slope = negative_slope
        return np.where(x > 0, x, x * negative_slope)

    def backward(self, grad):
        x, = self.saved_tensors
        return np.where(x > 0, grad, grad * self.slope)

    def backward_graph(self, grad):
        return grad * np.where(self.inputs[0].data > 0, 1.0, self.slope)


_erf = np.frompyfunc(math.erf, 1, 1)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def _normal_cdf(x):
    """Φ(x) = ½(1 + erf(x/√2)), in x's dtype."""
    return (0.5 * (1 + np.asarray(_erf(x / math.sqrt(2)), dtype=np.float64))).astype(x.dtype)


def _normal_pdf(x):
    """φ(x) = e^(−x²/2) / √(2π)."""
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


class NormalCDF(Function):
    """y = Φ(x), the standard normal CDF;  f'(x) = φ(x) = e^(−x²/2) / √(2π).

    Not a Tensor method: GELU's `graph` uses it, so GELU can be differentiated twice.
    """

    def forward(self, x):
        self.save_for_backward(x)
        return _normal_cdf(x)

    def backward(self, grad):
        x, = self.saved_tensors
        return grad * _normal_pdf(x)

    def backward_graph(self, grad):
        x = self.inputs[0]
        return grad * ((-0.5 * x * x).exp() / math.sqrt(2 * math.pi))


class GELU(Function):
    """y = x · Φ(x), Φ the standard normal CDF = ½(1 + erf(x/√2));  f'(x) = Φ(x) + x · φ(x).

    `approximate="tanh"`: Φ(x) ≈ ½(1 + tanh(√(2/π)(x + 0.044715x³))), differentiated exactly.
    """

    rule = "∂L/∂x = g·(Φ(x) + x·φ(x))"

    def forward(self, x, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate
        if approximate == "tanh":
            t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3))
            self.save_for_backward(x, t)
            return 0.5 * x * (1 + t)
        cdf = _normal_cdf(x)
        self.save_for_backward(x, cdf)
        return x * cdf

    def backward(self, grad):
        if self.approximate == "tanh":
            x, t = self.saved_tensors
            inner_derivative = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner_derivative)
        x, cdf = self.saved_tensors
        return grad * (cdf + x * _normal_pdf(x))

    def graph(self, x):
        if self.approximate == "tanh":
            return 0.5 * x * (1 + (_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)).tanh())
        return x * NormalCDF.apply(x)


class Clip(Function):
    """y = min(max(x, lo), hi);  f'(x) = 1 where lo ≤ x ≤ hi, else 0 (PyTorch's clamp)."""

    rule = "∂L/∂x = g where lo ≤ x ≤ hi, else 0"

    def forward(self, x, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clip: at least one of min and max must be given")
        if x.dtype.kind == "f":  # numpy (float64) or Tensor bounds must not promote float32 data
            min = None if min is None else np.array(min, dtype=x.dtype)  # a copy: a bound
            max = None if max is None else np.array(max, dtype=x.dtype)  # tensor may change later
        self.save_for_backward(x, min, max)
        return np.clip(x, min, max)

    def backward(self, grad):
        return grad * _inside(*self.saved_tensors)

    def backward_graph(self, grad):
        _, lo, hi = self.saved_tensors
        return grad * _inside(self.inputs[0].data, lo, hi)


def _inside(x, lo, hi):
    """Where lo ≤ x ≤ hi (a missing bound is no limit)."""
    inside = np.ones(x.shape, dtype=bool)
    if lo is not None:
        inside &= x >= lo
    if hi is not None:
        inside &= x <= hi
    return inside


class Maximum(Function):
    """y = max(a, b) elementwise;  the gradient goes to the larger (split in half on ties)."""

    rule = "∂L/∂a = g where a > b, ∂L/∂b = g where b > a (half each on ties)"

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return np.maximum(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        return _split_by_winner(grad, a > b, a == b, a.shape, b.shape)

    def backward_graph(self, grad):
        a, b = self.inputs
        return _split_by_winner(grad, a.data > b.data, a.data == b.data, a.shape, b.shape)


class Minimum(Function):
    """y = min(a, b) elementwise;  the gradient goes to the smaller (split in half on ties)."""

    rule = "∂L/∂a = g where a < b, ∂L/∂b = g where b < a (half each on ties)"

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return np.minimum(a, b)

    def backward(self, grad):
        a, b = self.saved_tensors
        return _split_by_winner(grad, a < b, a == b, a.shape, b.shape)

    def backward_graph(self, grad):
        a, b = self.inputs
        return _split_by_winner(grad, a.data < b.data, a.data == b.data, a.shape, b.shape)


def _split_by_winner(grad, a_wins, tie, a_shape, b_shape):
    share_a = a_wins + 0.5 * tie
    share_b = 1 - share_a
    return unbroadcast(grad * share_a.astype(grad.dtype), a_shape), unbroadcast(grad * share_b.astype(grad.dtype), b_shape)


class Where(Function):
    """y = a where condition else b;  ∂y/∂a = condition,  ∂y/∂b = not condition."""

    rule = "∂L/∂a = g where the condition holds, ∂L/∂b = g elsewhere"

    def forward(self, a, b, condition):
        self.a_shape, self.b_shape = a.shape, b.shape
        self.save_for_backward(condition)
        return np.where(condition, a, b)

    def backward(self, grad):
        condition, = self.saved_tensors
        zero = np.zeros((), dtype=grad.dtype)
        return (unbroadcast(np.where(condition, grad, zero), self.a_shape),
                unbroadcast(np.where(condition, zero, grad), self.b_shape))

    def backward_graph(self, grad):
        condition, = self.saved_tensors
        return (unbroadcast(grad.where(condition, 0.0), self.a_shape),
                unbroadcast(grad.where(~condition, 0.0), self.b_shape))


class Clone(Function):
    """y = a copy of x;  f'(x) = 1."""

    rule = "∂L/∂x = g"

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad

    backward_graph = backward


class Cast(Function):
    """y = x converted to another dtype;  the gradient is converted back to x's dtype."""

    rule = "∂L/∂x = g, converted back to x's dtype"

    def forward(self, x, dtype):
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        if self.in_dtype.kind != "f":
            return None
        return grad.astype(self.in_dtype)

    def backward_graph(self, grad):
        return grad.to(self.in_dtype) if self.in_dtype.kind == "f" else None
