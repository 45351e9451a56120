"""Weight initialisation, in place, with PyTorch's names, arguments and formulas.

For a weight of shape (out, in, *k) let r = Π k (1 for a Linear weight):
fan_in = in·r, fan_out = out·r.

    xavier_uniform_:   U(−a, a),   a = gain · √(6 / (fan_in + fan_out))
    xavier_normal_:    N(0, σ²),   σ = gain · √(2 / (fan_in + fan_out))
    kaiming_uniform_:  U(−b, b),   b = gain · √(3 / fan)
    kaiming_normal_:   N(0, σ²),   σ = gain / √fan          (fan = fan_in or fan_out by `mode`)

`Linear`'s default, kaiming_uniform_(a=√5), has gain √(2 / (1 + 5)) so b = 1/√fan_in.

Every function fills `tensor` in place without recording a graph, marks it as changed in
place, and returns it. Random draws use the package generator (`tinygrad_opt.manual_seed`)
at the time of the draw, unless a numpy `generator` is passed.
"""
import math
import warnings

import numpy as np

from .. import autograd
from ..random import default_generator
from ..tensor import Tensor


def _shape(tensor):
    if not isinstance(tensor, (Tensor, np.ndarray)):
        raise TypeError(f"init expected a Tensor or numpy array, got {type(tensor).__name__}")
    return tensor.shape


def _fill(tensor, values):
    """Write `values` into the tensor's array (cast to its dtype) and bump its version."""
    _shape(tensor)
    with autograd.no_grad():
        if isinstance(tensor, Tensor):
            np.copyto(tensor.data, values, casting="unsafe")
            tensor._changed_in_place()
        else:
            np.copyto(tensor, values, casting="unsafe")
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's table).

    linear, conv*, sigmoid: 1;  tanh: 5/3;  relu: √2;  selu: 3/4;
    leaky_relu with negative slope s (`param`, default 0.01): √(2 / (1 + s²)).
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) = (shape[1]·r, shape[0]·r), r = Π shape[2:]; needs ≥ 2 dimensions."""
    shape = _shape(tensor)
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive_field, shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with samples of U(a, b)."""
    rng = generator if generator is not None else default_generator()
    return _fill(tensor, rng.uniform(a, b, size=_shape(tensor)))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with samples of N(mean, std²)."""
    rng = generator if generator is not None else default_generator()
    return _fill(tensor, rng.normal(mean, std, size=_shape(tensor)))


def constant_(tensor, val):
    """Fill with the value `val`."""
    return _fill(tensor, val)


def zeros_(tensor):
    """Fill with 0."""
    return _fill(tensor, 0)


def ones_(tensor):
    """Fill with 1."""
    return _fill(tensor, 1)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot & Bengio (2010): U(−a, a) with a = gain · √(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot & Bengio (2010): N(0, σ²) with σ = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He et al. (2015): U(−b, b) with b = gain · √(3 / fan), gain = calculate_gain(nonlinearity, a).

    `a` is the negative slope of the leaky ReLU that follows (0 for plain ReLU); `mode`
    picks fan_in (preserves the forward variance) or fan_out (the backward one).
    """
    if 0 in _shape(tensor):
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He et al. (2015): N(0, σ²) with σ = gain / √fan, gain = calculate_gain(nonlinearity, a)."""
    if 0 in _shape(tensor):
        warnings.warn("Initializing zero-element tensors is a no-op")
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)
