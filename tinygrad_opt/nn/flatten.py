"""Flatten: merge dimensions start_dim..end_dim into one (a reshape, no copy)."""
from .module import Module


class Flatten(Module):
    """y = x reshaped to shape[:start] + (Π shape[start:end+1],) + shape[end+1:];
    ∂L/∂x = ∂L/∂y reshaped back. Defaults keep the batch dimension: (N, 8, 8) → (N, 64)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
