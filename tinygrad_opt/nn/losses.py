"""Loss modules: `criterion = CrossEntropyLoss(); loss = criterion(logits, labels)`.

Each holds its settings and calls the functional form in `tinygrad_opt.nn.functional`, whose
docstrings (and the ops in `tinygrad_opt.ops.loss`) give the formulas and derivatives. Class weights are
registered as buffers, as in PyTorch, so they appear in `state_dict()`.
"""
from ..tensor import Tensor
from . import functional as F
from ..ops import REDUCTIONS
from .module import Module


def _buffer(value):
    return value if value is None or isinstance(value, Tensor) else Tensor(value)


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction


class MSELoss(_Loss):
    """lₙ = (xₙ − yₙ)²;  ∂lₙ/∂xₙ = 2(xₙ − yₙ). Reduced by `reduction` ('mean', 'sum', 'none')."""

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """lₙ = |xₙ − yₙ|;  ∂lₙ/∂xₙ = sign(xₙ − yₙ)."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """lₙ = ½d² if |d| < δ else δ(|d| − ½δ), d = xₙ − yₙ;  ∂lₙ/∂xₙ = clip(d, −δ, δ)."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta}")
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits (N, C) and integer labels (N,) in [0, C):
    lₙ = −w_{yₙ}·log softmax(xₙ)[yₙ];  ∂lₙ/∂xₙ = softmax(xₙ) − onehot(yₙ) (unweighted).
    With label smoothing ε the target is (1 − ε)·onehot(yₙ) + ε/C. One fused op."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
        self.register_buffer("weight", _buffer(weight))
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """lₙ = −w_{yₙ}·x_{n,yₙ} for log-probabilities x (e.g. from LogSoftmax) and labels yₙ."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(weight))
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_Loss):
    """lₙ = −wₙ·(yₙ·log xₙ + (1 − yₙ)·log(1 − xₙ)) for probabilities x and targets y in [0, 1]."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(weight))

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """lₙ = wₙ·(max(xₙ, 0) − xₙ·yₙ + log(1 + e^(−|xₙ|))) for logits x: σ and BCE in one
    stable op (finite for x = ±1000);  ∂lₙ/∂xₙ = wₙ·(σ(xₙ) − yₙ)."""

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(weight))
        self.register_buffer("pos_weight", _buffer(pos_weight))

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
