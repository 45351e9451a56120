"""Gradient clipping and parameter/vector conversion (PyTorch's `nn.utils`)."""
import math

import numpy as np

from .. import autograd
from ..functional import cat
from ..tensor import Tensor


def _as_list(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _vector_norm(array, norm_type):
    if math.isinf(norm_type):
        if array.size == 0:
            return 0.0
        return float(np.max(np.abs(array)) if norm_type > 0 else np.min(np.abs(array)))
    return float(np.linalg.norm(array.reshape(-1).astype(np.float64), ord=norm_type))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so their joint norm is at most `max_norm`, in place.

        total = ‖(‖g₁‖ₚ, …, ‖gₖ‖ₚ)‖ₚ      (the p-norm of all gradients as one vector; p = inf: max |gᵢ|)
        g ← g · min(1, max_norm / (total + 1e-6))

    Returns `total` (before clipping) as a 0-d Tensor. Parameters without a gradient are
    skipped. With `error_if_nonfinite`, a nan/inf total raises RuntimeError and nothing changes.
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return Tensor(0.0)
    norms = np.array([_vector_norm(g.data, norm_type) for g in grads])
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                           "so it cannot be clipped. To disable this error and scale the gradients by the "
                           "non-finite norm anyway, set `error_if_nonfinite=False`")
    clip_coef = min(max_norm / (total + 1e-6), 1.0) if not math.isnan(total) else math.nan
    with autograd.no_grad():
        for g in grads:
            g.data *= g.data.dtype.type(clip_coef)
            g._changed_in_place()
    return Tensor(total, dtype=grads[0].data.dtype)


def clip_grad_value_(parameters, clip_value):
    """Clip every gradient elementwise to [−clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with autograd.no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                np.clip(p.grad.data, -clip_value, clip_value, out=p.grad.data)
                p.grad._changed_in_place()


def parameters_to_vector(parameters):
    """All parameters flattened and joined into one 1-D Tensor (differentiable)."""
    return cat([p.reshape(-1) for p in _as_list(parameters)])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D `vec` into the parameters, in place (the inverse of
    `parameters_to_vector`); the parameter objects stay the same, so optimizers keep working."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__name__}")
    parameters = _as_list(parameters)
    needed = sum(p.data.size for p in parameters)
    if vec.ndim != 1 or vec.shape[0] != needed:
        raise ValueError(f"vector_to_parameters: vec of shape {vec.shape} does not hold the {needed} parameter values")
    offset = 0
    with autograd.no_grad():
        for p in parameters:
            size = p.data.size
            np.copyto(p.data, vec.data[offset:offset + size].reshape(p.data.shape), casting="unsafe")
            p._changed_in_place()
            offset += size


def num_parameters(module_or_parameters, trainable_only=False):
    """How many numbers the parameters hold (Σ size), each shared parameter counted once."""
    parameters = module_or_parameters.parameters() if hasattr(module_or_parameters, "parameters") \
        else _as_list(module_or_parameters)
    seen, total = set(), 0
    for p in parameters:
        if id(p) in seen or (trainable_only and not p.requires_grad):
            continue
        seen.add(id(p))
        total += p.data.size
    return total
