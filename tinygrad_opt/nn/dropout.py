"""Dropout: zero each element with probability p in training, scale the rest by 1/(1 − p)."""
from . import functional as F
from .module import Module


class Dropout(Module):
    """In training: y = x·m/(1 − p) with mᵢ ~ Bernoulli(1 − p), so E[y] = x ("inverted"
    dropout: nothing to rescale at evaluation); ∂y/∂x = m/(1 − p). In eval mode: y = x.

    The mask is drawn from the package generator at each call (`manual_seed` reproduces it).
    `p` must be in [0, 1]; `inplace` is accepted for PyTorch compatibility only.
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        F._check_probability(p)
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
