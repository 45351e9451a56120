"""Functional forms of the layers and losses (`import tinygrad_opt.nn.functional as F`).

Activations (elementwise unless noted):

    relu(x) = max(x, 0)                 leaky_relu(x) = x if x > 0 else slope·x
    tanh(x)                             sigmoid(x) = 1 / (1 + e⁻ˣ)
    gelu(x) = x·Φ(x)                    softmax(x)ᵢ = e^xᵢ / Σⱼ e^xⱼ  (along `dim`)
    log_softmax(x) = x − logsumexp(x)   (along `dim`)
    linear(x, W, b) = x·Wᵀ + b          dropout(x): x·m/(1 − p), m ~ Bernoulli(1 − p)

Losses take `reduction='mean'|'sum'|'none'`; their formulas and derivatives are in
`tinygrad_opt.ops.loss`, where each is one fused op. Every argument is checked here
first (shapes, labels, ranges), and a bad one raises ValueError naming the loss and the value;
nothing is computed or recorded before the checks pass.
"""
import numpy as np

from .. import ops
from ..random import default_generator
from ..tensor import Tensor
from .linear import check_same_dtype


# ---------------------------------------------------------------------- activations
def relu(input, inplace=False):
    """max(x, 0). `inplace` is accepted for PyTorch compatibility; the result is always new."""
    return ops.ReLU.apply(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope·x."""
    return ops.LeakyReLU.apply(input, negative_slope=negative_slope)


def tanh(input):
    """tanh x = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)."""
    return ops.Tanh.apply(input)


def sigmoid(input):
    """σ(x) = 1 / (1 + e⁻ˣ), computed without overflow."""
    return ops.Sigmoid.apply(input)


def gelu(input, approximate="none"):
    """x·Φ(x) with Φ the standard normal CDF; `approximate='tanh'` uses
    Φ(x) ≈ ½(1 + tanh(√(2/π)(x + 0.044715x³)))."""
    return ops.GELU.apply(input, approximate=approximate)


def softmax(input, dim=None, *, axis=None):
    """e^xᵢ / Σⱼ e^xⱼ along `dim` (or numpy's `axis`, as everywhere in the API). None means the
    last dimension (PyTorch's deprecated implicit choice differs for 3-D inputs: pass `dim`)."""
    return ops.Softmax.apply(input, axis=_one_axis(dim, axis))


def log_softmax(input, dim=None, *, axis=None):
    """xᵢ − log Σⱼ e^xⱼ along `dim` (or `axis`), stable. None means the last dimension."""
    return ops.LogSoftmax.apply(input, axis=_one_axis(dim, axis))


def _one_axis(dim, axis):
    """`dim` or `axis` (not both), the last dimension when neither is given."""
    if dim is not None and axis is not None:
        raise TypeError("give either axis or dim, not both")
    given = dim if dim is not None else axis
    return -1 if given is None else given


def linear(input, weight, bias=None):
    """x·Wᵀ + b with x (..., in), W (out, in), b (out,) → (..., out); one fused op.
    x and W must have the same dtype, as in PyTorch."""
    check_same_dtype(input, weight, "linear")
    if bias is None:
        return ops.Linear.apply(input, weight)
    return ops.Linear.apply(input, weight, bias)


def _check_probability(p):
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) or not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: in training, y = x·m / (1 − p) with mᵢ ~ Bernoulli(1 − p) drawn from
    the package generator (so `manual_seed` reproduces it); ∂y/∂x = m / (1 − p). Outside
    training (or p = 0) it returns `input` itself; p = 1 gives zeros."""
    _check_probability(p)
    if not training or p == 0:
        return input
    if p == 1:
        mask = np.zeros(input.shape, dtype=input.dtype)
    else:
        keep = default_generator().random(input.shape, dtype=np.float32) >= p
        mask = keep.astype(input.dtype)
        mask *= 1 / (1 - p)
    return ops.Mul.apply(input, Tensor._wrap(mask))


# ---------------------------------------------------------------------- argument checks
def _check_reduction(name, reduction):
    if reduction not in ops.REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_input(name, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
    if input.data.dtype.kind != "f":
        raise TypeError(f"{name}: input must be floating point, got dtype {input.data.dtype}")


def _float_target(name, input, target):
    """`target` as a Tensor of input's dtype and shape (ValueError naming both shapes)."""
    if isinstance(target, Tensor):
        if target.data.dtype != input.data.dtype:
            target = target.to(input.data.dtype) if target.requires_grad \
                else Tensor._wrap(target.data.astype(input.data.dtype))
    else:
        target = Tensor._wrap(np.asarray(target, dtype=input.data.dtype))
    if target.shape != input.shape:
        raise ValueError(f"{name}: input shape {input.shape} and target shape {target.shape} differ")
    return target


def _check_range(name, what, array, low=0.0, high=1.0):
    if array.size and (array.min() < low or array.max() > high):
        bad = np.argwhere((array < low) | (array > high))[0]
        raise ValueError(f"{name}: {what} values must be between {low:g} and {high:g}, got "
                         f"{array[tuple(bad)].item()!r} at index {tuple(int(i) for i in bad)}")


def _constant(name, what, value, input, shape=None):
    """A weight-like argument as an array of input's dtype (None stays None)."""
    if value is None:
        return None
    # A copy: the op keeps it for backward, and the caller's tensor may change in place later.
    array = np.array(value.data if isinstance(value, Tensor) else value, dtype=input.data.dtype)
    if shape is not None:
        if array.shape != shape:
            raise ValueError(f"{name}: {what} must have shape {shape} (one per class), got {array.shape}")
        return array
    try:
        fits = np.broadcast_shapes(array.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}: {what} of shape {array.shape} does not broadcast to the input shape {input.shape}")
    return array


def _labels_tensor(labels, target):
    """The checked labels as an input of the loss op (so a drawing of the graph shows them),
    named like the tensor the user passed."""
    tensor = Tensor._wrap(labels)   # `labels` is already the loss's own copy (see `_labels`)
    tensor.name = getattr(target, "name", None) or "labels"
    return tensor


def _labels(name, input, target, ignore_index):
    """Class labels as an integer array of the right shape, every label checked; and
    `ignore_index` if some label equals it, else None (the op then skips the masking)."""
    # A copy: the op keeps the labels for backward, and the caller's tensor may change in place.
    labels = np.array(target.data if isinstance(target, Tensor) else target)
    class_axis = 1 if input.ndim >= 2 else 0
    n_classes = input.shape[class_axis]
    expected = input.shape[:class_axis] + input.shape[class_axis + 1:]
    if labels.shape != expected:
        raise ValueError(f"{name}: input shape {input.shape} and target shape {labels.shape} don't fit: "
                         f"expected class labels of shape {expected}")
    if labels.dtype.kind not in "iu":
        if labels.dtype.kind == "f" and labels.size:
            fractional = labels[labels != np.round(labels)]
            example = fractional[0] if fractional.size else labels.reshape(-1)[0]
            raise ValueError(f"{name}: class labels must be integers, got {example.item()!r} (dtype {labels.dtype}) "
                             f"for {n_classes} classes")
        raise ValueError(f"{name}: class labels must be integers, got dtype {labels.dtype} for {n_classes} classes")
    if not labels.size:
        return labels, None
    if labels.min() < 0 or labels.max() >= n_classes:
        outside = (labels < 0) | (labels >= n_classes)
        bad = labels[outside & (labels != ignore_index)]
        if bad.size:
            raise ValueError(f"{name}: class label {bad[0]} is out of range for {n_classes} classes "
                             f"(labels must be in 0..{n_classes - 1}, or ignore_index={ignore_index})")
        return labels, ignore_index
    if 0 <= ignore_index < n_classes and (labels == ignore_index).any():
        return labels, ignore_index
    return labels, None


# ---------------------------------------------------------------------- losses
def mse_loss(input, target, reduction="mean"):
    """Mean squared error: lₙ = (xₙ − yₙ)², reduced. Shapes must match exactly."""
    _check_reduction("MSELoss", reduction)
    _check_input("MSELoss", input)
    target = _float_target("MSELoss", input, target)
    return ops.MSE.apply(input, target, reduction=reduction)


def l1_loss(input, target, reduction="mean"):
    """Mean absolute error: lₙ = |xₙ − yₙ|, reduced."""
    _check_reduction("L1Loss", reduction)
    _check_input("L1Loss", input)
    target = _float_target("L1Loss", input, target)
    return ops.L1.apply(input, target, reduction=reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Huber: lₙ = ½d² if |d| < δ else δ(|d| − ½δ), d = xₙ − yₙ; quadratic near 0, linear
    beyond δ (δ > 0)."""
    _check_reduction("HuberLoss", reduction)
    _check_input("HuberLoss", input)
    if not delta > 0:
        raise ValueError(f"HuberLoss: delta must be positive, got {delta}")
    target = _float_target("HuberLoss", input, target)
    return ops.Huber.apply(input, target, reduction=reduction, delta=float(delta))


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross-entropy of raw scores (logits) and class labels, through a stable log-softmax:
    lₙ = −log softmax(xₙ)[yₙ] (times the class weight w_{yₙ}); with label smoothing ε the
    target is (1 − ε)·onehot(yₙ) + ε/C, i.e. lₙ = −(1 − ε)·log pₙ[yₙ] − (ε/C)·Σ_c log pₙ[c].

    input (N, C), (C,) or (N, C, d₁, …); target: integer labels (N,), () or (N, d₁, …) in
    [0, C) (or equal to `ignore_index`, which contributes nothing), or class probabilities of
    the input's shape. 'mean' divides by Σ w_{yₙ} over the labels not ignored.
    """
    name = "CrossEntropyLoss"
    _check_reduction(name, reduction)
    _check_input(name, input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, got a 0-d tensor")
    n_classes = input.shape[1 if input.ndim >= 2 else 0]
    weight = _constant(name, "weight", weight, input, shape=(n_classes,)) if weight is not None else None
    probabilities = (isinstance(target, Tensor) and target.dtype.kind == "f"
                     or isinstance(target, np.ndarray) and target.dtype.kind == "f") \
        and np.shape(target) == input.shape
    options = dict(weight=weight, ignore_index=ignore_index, reduction=reduction,
                   label_smoothing=float(label_smoothing))
    if probabilities:
        return ops.CrossEntropy.apply(input, _float_target(name, input, target), **options)
    labels, options["ignore_index"] = _labels(name, input, target, ignore_index)
    return ops.CrossEntropy.apply(input, _labels_tensor(labels, target), **options)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities: lₙ = −w_{yₙ}·x_{n,yₙ} (pair with
    `log_softmax`; `cross_entropy` does both in one op). Shapes as in `cross_entropy`."""
    name = "NLLLoss"
    _check_reduction(name, reduction)
    _check_input(name, input)
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, got a 0-d tensor")
    n_classes = input.shape[1 if input.ndim >= 2 else 0]
    weight = _constant(name, "weight", weight, input, shape=(n_classes,)) if weight is not None else None
    labels, ignore_index = _labels(name, input, target, ignore_index)
    return ops.NLL.apply(input, _labels_tensor(labels, target), weight=weight, ignore_index=ignore_index,
                         reduction=reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """lₙ = −wₙ·(yₙ·log xₙ + (1 − yₙ)·log(1 − xₙ)) for probabilities xₙ ∈ [0, 1] and targets
    yₙ ∈ [0, 1] (each log clamped at −100, as in PyTorch); `weight` broadcasts to the input."""
    name = "BCELoss"
    _check_reduction(name, reduction)
    _check_input(name, input)
    target = _float_target(name, input, target)
    _check_range(name, "input", input.data)
    _check_range(name, "target", target.data)
    weight = _constant(name, "weight", weight, input)
    return ops.BinaryCrossEntropy.apply(input, target, weight=weight, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """σ and binary cross-entropy in one stable op: lₙ = wₙ·(max(xₙ, 0) − xₙ·yₙ + log(1 + e^(−|xₙ|)))
    for logits x (finite even at ±1000) and targets y ∈ [0, 1]. `pos_weight` (broadcast along
    the last dimension) multiplies the positive term: lₙ = wₙ·((1 − yₙ)·xₙ + (1 + (pw − 1)·yₙ)·log(1 + e⁻ˣⁿ))."""
    name = "BCEWithLogitsLoss"
    _check_reduction(name, reduction)
    _check_input(name, input)
    target = _float_target(name, input, target)
    _check_range(name, "target", target.data)
    weight = _constant(name, "weight", weight, input)
    pos_weight = _constant(name, "pos_weight", pos_weight, input)
    return ops.BinaryCrossEntropyWithLogits.apply(input, target, weight=weight, pos_weight=pos_weight,
                                                 reduction=reduction)
