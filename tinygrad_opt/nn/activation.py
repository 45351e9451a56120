"""Activation layers: each holds its settings and applies the function of the same name
(formulas and derivatives in `tinygrad_opt.ops.elementwise` and `ops.softmax`)."""
from . import functional as F
from .module import Module


class ReLU(Module):
    """y = max(x, 0);  ∂y/∂x = 1 where x > 0, else 0.

    `inplace` is accepted for PyTorch compatibility; the result is always a new tensor."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """y = x where x > 0, else negative_slope·x;  ∂y/∂x = 1 or negative_slope."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Tanh(Module):
    """y = tanh x;  ∂y/∂x = 1 − y²."""

    def forward(self, input):
        return F.tanh(input)


class Sigmoid(Module):
    """y = σ(x) = 1 / (1 + e⁻ˣ);  ∂y/∂x = y(1 − y)."""

    def forward(self, input):
        return F.sigmoid(input)


class GELU(Module):
    """y = x·Φ(x), Φ the standard normal CDF;  ∂y/∂x = Φ(x) + x·φ(x).
    `approximate='tanh'`: Φ(x) ≈ ½(1 + tanh(√(2/π)(x + 0.044715x³)))."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """yᵢ = e^xᵢ / Σⱼ e^xⱼ along `dim`;  ∂L/∂x = y ⊙ (g − Σ g ⊙ y).

    PyTorch requires `dim`; here dim=None means the last dimension (documented difference)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """yᵢ = xᵢ − log Σⱼ e^xⱼ along `dim`;  ∂L/∂x = g − softmax(x)·Σ g.

    dim=None means the last dimension."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
