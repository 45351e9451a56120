"""Elementwise functions and their derivatives (y = f(x), ∂L/∂x = ∂L/∂y · f'(x))."""
import math

import numpy as np

from .function import Function, unbroadcast


class Exp(Function):
    """y = eˣ;  f'(x) = eˣ = y."""

    saves_output = True

    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, grad):
        return grad * self.out


class Log(Function):
    """y = ln x;  f'(x) = 1/x."""

    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, grad):
        return grad / self.x


class Sqrt(Function):
    """y = √x;  f'(x) = 1 / (2√x) = 1 / (2y)."""

    saves_output = True

    def forward(self, x):
        self.out = np.sqrt(x)
        return self.out

    def backward(self, grad):
        return grad / (2 * self.out)


class Abs(Function):
    """y = |x|;  f'(x) = sign(x) (0 at x = 0, as in PyTorch)."""

    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, grad):
        return grad * np.sign(self.x)


class Tanh(Function):
    """y = tanh x;  f'(x) = 1 − y²."""

    saves_output = True

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad):
        return grad * (1 - self.out * self.out)


class Sigmoid(Function):
    """y = σ(x) = 1 / (1 + e⁻ˣ);  f'(x) = y (1 − y).

    Computed as 1/(1+e⁻ˣ) for x ≥ 0 and eˣ/(1+eˣ) for x < 0, so e^|x| never overflows.
    """

    saves_output = True

    def forward(self, x):
        e = np.exp(-np.abs(x))
        self.out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        return self.out

    def backward(self, grad):
        return grad * (self.out * (1 - self.out))


class ReLU(Function):
    """y = max(x, 0);  f'(x) = 1 where x > 0, else 0."""

    saves_output = True

    def forward(self, x):
        self.out = np.maximum(x, 0)
        return self.out

    def backward(self, grad):
        return grad * (self.out > 0)


class LeakyReLU(Function):
    """y = x where x > 0, else slope · x;  f'(x) = 1 where x > 0, else slope."""

    saved_inputs = (0,)

    def forward(self, x, negative_slope=0.01):
        negative_slope = float(negative_slope)  # a numpy float64 would promote float32 to float64
        self.x, self.slope = x, negative_slope
        return np.where(x > 0, x, x * negative_slope)

    def backward(self, grad):
        return np.where(self.x > 0, grad, grad * self.slope)


_erf = np.frompyfunc(math.erf, 1, 1)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


class GELU(Function):
    """y = x · Φ(x), Φ the standard normal CDF = ½(1 + erf(x/√2));  f'(x) = Φ(x) + x · φ(x).

    `approximate="tanh"`: Φ(x) ≈ ½(1 + tanh(√(2/π)(x + 0.044715x³))), differentiated exactly.
    """

    saved_inputs = (0,)

    def forward(self, x, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU approximate must be 'none' or 'tanh', got {approximate!r}")
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            self.t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3))
            return 0.5 * x * (1 + self.t)
        self.cdf = (0.5 * (1 + np.asarray(_erf(x / math.sqrt(2)), dtype=np.float64))).astype(x.dtype)
        return x * self.cdf

    def backward(self, grad):
        x = self.x
        if self.approximate == "tanh":
            t = self.t
            inner_derivative = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner_derivative)
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return grad * (self.cdf + x * pdf)


class Clip(Function):
    """y = min(max(x, lo), hi);  f'(x) = 1 where lo ≤ x ≤ hi, else 0 (PyTorch's clamp)."""

    saved_inputs = (0,)

    def forward(self, x, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clip: at least one of min and max must be given")
        if x.dtype.kind == "f":  # numpy (float64) or Tensor bounds must not promote float32 data
            min = None if min is None else np.asarray(min, dtype=x.dtype)
            max = None if max is None else np.asarray(max, dtype=x.dtype)
        self.x, self.lo, self.hi = x, min, max
        return np.clip(x, min, max)

    def backward(self, grad):
        inside = np.ones(self.x.shape, dtype=bool)
        if self.lo is not None:
            inside &= self.x >= self.lo
        if self.hi is not None:
            inside &= self.x <= self.hi
        return grad * inside


class Maximum(Function):
    """y = max(a, b) elementwise;  the gradient goes to the larger (split in half on ties)."""

    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.maximum(a, b)

    def backward(self, grad):
        return _split_by_winner(grad, self.a > self.b, self.a == self.b, self.a.shape, self.b.shape)


class Minimum(Function):
    """y = min(a, b) elementwise;  the gradient goes to the smaller (split in half on ties)."""

    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.minimum(a, b)

    def backward(self, grad):
        return _split_by_winner(grad, self.a < self.b, self.a == self.b, self.a.shape, self.b.shape)


def _split_by_winner(grad, a_wins, tie, a_shape, b_shape):
    share_a = a_wins + 0.5 * tie
    share_b = 1 - share_a
    return unbroadcast(grad * share_a.astype(grad.dtype), a_shape), unbroadcast(grad * share_b.astype(grad.dtype), b_shape)


class Where(Function):
    """y = a where condition else b;  ∂y/∂a = condition,  ∂y/∂b = not condition."""

    def forward(self, a, b, condition):
        self.condition, self.a_shape, self.b_shape = condition, a.shape, b.shape
        return np.where(condition, a, b)

    def backward(self, grad):
        zero = np.zeros((), dtype=grad.dtype)
        return (unbroadcast(np.where(self.condition, grad, zero), self.a_shape),
                unbroadcast(np.where(self.condition, zero, grad), self.b_shape))


class Clone(Function):
    """y = a copy of x;  f'(x) = 1."""

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad


class Cast(Function):
    """y = x converted to another dtype;  the gradient is converted back to x's dtype."""

    def forward(self, x, dtype):
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        if self.in_dtype.kind != "f":
            return None
        return grad.astype(self.in_dtype)
