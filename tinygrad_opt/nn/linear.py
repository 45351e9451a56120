"""Linear (y = x·Wᵀ + b, PyTorch's layout and initialisation) and Identity (y = x)."""
import math

import numpy as np

from .. import ops
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


def check_same_dtype(input, weight, layer):
    """PyTorch's rule: a layer's input has its weight's dtype (no silent float32 → float64)."""
    if input.data.dtype != weight.data.dtype:
        raise RuntimeError(f"{layer} got input of dtype {input.data.dtype}, but its weight is "
                           f"{weight.data.dtype}: convert the input (x.to({str(weight.data.dtype)!r})) or the "
                           f"model (model.to({str(input.data.dtype)!r})); dtypes are never mixed silently")


class Identity(Module):
    """y = x (a placeholder layer; any arguments are accepted and ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x·Wᵀ + b, one fused op.

    `Linear(in_features, out_features, bias=True, dtype=None)`

    - x: (..., in_features) → y: (..., out_features)
    - `weight`: Parameter of shape (out_features, in_features); `bias`: (out_features,) or None
    - initialised as PyTorch does: W ~ U(−1/√in, 1/√in) (kaiming_uniform_ with a = √5) and
      b ~ U(−1/√in, 1/√in), drawn from the package generator (`manual_seed` reproduces it)
    - gradients: ∂L/∂x = g·W,  ∂L/∂W = gᵀ·x,  ∂L/∂b = Σ g over the leading dimensions
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        if device not in (None, "cpu"):
            raise ValueError(f"Linear: only device='cpu' exists here, got {device!r}")
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {value!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = np.dtype(dtype if dtype is not None else np.float32)
        self.weight = Parameter(Tensor._wrap(np.empty((self.out_features, self.in_features), dtype=dtype)))
        if bias:
            self.bias = Parameter(Tensor._wrap(np.empty(self.out_features, dtype=dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw W ~ U(−1/√in, 1/√in) and b ~ U(−1/√in, 1/√in) again (PyTorch's defaults)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        if not isinstance(input, Tensor):
            raise TypeError(f"{self!r} expected a Tensor input, got {type(input).__name__}")
        if input.data.ndim == 0 or input.data.shape[-1] != self.in_features:
            raise ValueError(f"Linear(in_features={self.in_features}, out_features={self.out_features}) got "
                             f"input of shape {input.data.shape}: expected last dimension {self.in_features}")
        weight, bias = self.weight, self.bias   # each a registry lookup (Module.__getattr__)
        if input.data.dtype != weight.data.dtype:   # (the name is formatted only for the error)
            check_same_dtype(input, weight, f"Linear(in_features={self.in_features}, "
                                            f"out_features={self.out_features})")
        if bias is None:
            return ops.Linear.apply(input, weight)
        return ops.Linear.apply(input, weight, bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
