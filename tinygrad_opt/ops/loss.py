"""The losses as fused ops: each is one `Function` whose forward and backward are a few numpy
lines, instead of a chain of small ops (fewer nodes, fewer temporaries, a stable formula).
`tinygrad_opt.nn.functional` (and the `nn.*Loss` modules on top of it) call them.

Notation: x the prediction (input), y the target, lₙ the loss of element n, and the reduction
    'none': L = (lₙ),   'sum': L = Σₙ lₙ,   'mean': L = Σₙ lₙ / D
with D the number of elements, except for class-label targets (cross-entropy, NLL), where D is
the sum of the class weights of the labels not ignored (the count of those labels without
weights), as in PyTorch. In backward, g = ∂L/∂lₙ is the incoming gradient (divided by D for
'mean'), and each docstring gives ∂lₙ/∂x (and ∂lₙ/∂y where the target may require grad).

These ops trust their arguments; `tinygrad_opt.nn.functional` validates them first. Class
labels are an option (`labels=`), not an input: they are not differentiable, and the engine
would cast an integer input mixed with float ones to float.
"""
import numpy as np

from .function import Function

REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses, reduction, denominator=None):
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    return total / (losses.size if denominator is None else denominator)


def _per_element(grad, reduction, count):
    """∂L/∂lₙ: the incoming gradient, shared out by the reduction."""
    if reduction == "mean":
        return grad / count
    return grad  # 'sum': the same for every element; 'none': already one per element


class MSE(Function):
    """lₙ = (xₙ − yₙ)²;   ∂lₙ/∂xₙ = 2(xₙ − yₙ),   ∂lₙ/∂yₙ = −2(xₙ − yₙ)."""

    rule = "∂L/∂x = 2(x − y)·g (divided by N for 'mean'), ∂L/∂y = −∂L/∂x"

    def forward(self, input, target, reduction="mean"):
        diff = input - target
        self.save_for_backward(diff)
        self.reduction = reduction
        return _reduce(diff * diff, reduction)

    def backward(self, grad):
        diff, = self.saved_tensors
        grad_input = (2 * _per_element(grad, self.reduction, diff.size)) * diff
        return grad_input, (-grad_input if self.inputs[1]._requires_grad else None)

    def graph(self, input, target):
        diff = input - target
        return _reduce(diff * diff, self.reduction, diff.data.size)


class L1(Function):
    """lₙ = |xₙ − yₙ|;   ∂lₙ/∂xₙ = sign(xₙ − yₙ) (0 where equal),   ∂lₙ/∂yₙ = −sign(xₙ − yₙ)."""

    rule = "∂L/∂x = sign(x − y)·g (divided by N for 'mean'), ∂L/∂y = −∂L/∂x"

    def forward(self, input, target, reduction="mean"):
        diff = input - target
        self.save_for_backward(diff)
        self.reduction = reduction
        return _reduce(np.abs(diff), reduction)

    def backward(self, grad):
        diff, = self.saved_tensors
        grad_input = _per_element(grad, self.reduction, diff.size) * np.sign(diff)
        return grad_input, (-grad_input if self.inputs[1]._requires_grad else None)

    def graph(self, input, target):
        diff = input - target
        return _reduce(diff.abs(), self.reduction, diff.data.size)


class Huber(Function):
    """With d = xₙ − yₙ and δ = `delta`:
        lₙ = ½d²            if |d| < δ
        lₙ = δ(|d| − ½δ)    otherwise
    ∂lₙ/∂xₙ = clip(d, −δ, δ),   ∂lₙ/∂yₙ = −clip(d, −δ, δ).
    """

    rule = "∂L/∂x = clip(x − y, −δ, δ)·g (divided by N for 'mean'), ∂L/∂y = −∂L/∂x"

    def forward(self, input, target, reduction="mean", delta=1.0):
        diff = input - target
        self.save_for_backward(diff)
        self.reduction, self.delta = reduction, delta
        size = np.abs(diff)
        losses = np.where(size < delta, 0.5 * diff * diff, delta * (size - 0.5 * delta))
        return _reduce(losses.astype(input.dtype, copy=False), reduction)

    def backward(self, grad):
        diff, = self.saved_tensors
        slope = np.clip(diff, -self.delta, self.delta)
        grad_input = _per_element(grad, self.reduction, diff.size) * slope
        return grad_input, (-grad_input if self.inputs[1]._requires_grad else None)

    def graph(self, input, target):
        diff = input - target
        size = diff.abs()
        losses = (0.5 * diff * diff).where(size.data < self.delta, self.delta * (size - 0.5 * self.delta))
        return _reduce(losses, self.reduction, diff.data.size)


def _as_rows(array, class_axis):
    """View an (N, C, d₁, …) or (C,) array as rows of C classes: shape (M, C)."""
    if array.ndim == 1:
        return array[None, :]
    if array.ndim == 2:
        return array
    return np.moveaxis(array, class_axis, -1).reshape(-1, array.shape[class_axis])


def _from_rows(rows, shape, class_axis):
    """Inverse of `_as_rows`."""
    if len(shape) <= 2:
        return rows.reshape(shape)
    moved = shape[:class_axis] + shape[class_axis + 1:] + (shape[class_axis],)
    return np.moveaxis(rows.reshape(moved), -1, class_axis)


def _label_distribution(labels, n_classes, weight, ignore_index, smoothing, dtype):
    """The weighted target distribution q (M, C) of class labels (M,), and D for 'mean'.

        q_{n,c} = [label not ignored] · ((1 − ε)·w_{yₙ}·[c = yₙ] + (ε/C)·w_c)
        D = Σₙ [label not ignored] · w_{yₙ}
    (w ≡ 1 without class weights). Also returns Σ_c q_{n,c} per row, or None where it is 1.
    `ignore_index` is None when no label is to be ignored.
    """
    ignored = labels == ignore_index if ignore_index is not None else None
    if ignored is not None:
        labels = np.where(ignored, 0, labels)
    label_weight = weight[labels] if weight is not None else np.ones(labels.shape, dtype=dtype)
    if ignored is not None:
        label_weight = label_weight * ~ignored
    q = np.zeros((labels.shape[0], n_classes), dtype=dtype)
    q[np.arange(labels.shape[0]), labels] = (1 - smoothing) * label_weight
    if smoothing:
        uniform = np.full(n_classes, smoothing / n_classes, dtype=dtype)
        if weight is not None:
            uniform = uniform * weight
        q += uniform if ignored is None else uniform * ~ignored[:, None]
    total = q.sum(axis=1, keepdims=True) if (weight is not None or ignored is not None) else None
    return q, label_weight.sum(), total


class CrossEntropy(Function):
    """Softmax cross-entropy on raw scores (logits) z, classes along axis 1 (axis 0 for 1-D).

    log pₙ = zₙ − logsumexp(zₙ) (shifted by the max, so nothing overflows) and
        lₙ = −Σ_c q_{n,c} · log p_{n,c}
    where q is the target distribution: for a class label yₙ with class weights w and label
    smoothing ε, q_{n,c} = (1 − ε)·w_{yₙ}·[c = yₙ] + (ε/C)·w_c (0 for ignored labels); for
    class probabilities t, q_{n,c} = w_c·((1 − ε)·t_{n,c} + ε/C). Then
        ∂lₙ/∂z_{n,c} = (Σ_k q_{n,k})·p_{n,c} − q_{n,c}     (= p − onehot(yₙ) in the plain case)
        ∂lₙ/∂t_{n,c} = −(1 − ε)·w_c·log p_{n,c}            (probability targets only)
    'mean' divides by the summed label weights (class labels) or by the number of rows
    (probabilities). In the plain case (labels, no weights, no smoothing, nothing ignored)
    q is one-hot, so forward picks log p at the labels and backward subtracts 1 there.
    """

    rule = "∂L/∂z = (softmax(z) − onehot(y))·g/N"
    keeps_input_dtypes = True   # the labels, an input, stay integers

    def forward(self, logits, target=None, labels=None, weight=None, ignore_index=None, reduction="mean",
                label_smoothing=0.0):
        """`target` is the second input: class probabilities (floats), or class labels
        (integers, which need no gradient; `labels=` takes them as an option too).
        `ignore_index` is None when no label is to be ignored."""
        if target is not None and target.dtype.kind in "iub":
            labels, target = target, None
        class_axis = 1 if logits.ndim >= 2 else 0
        self.shape, self.class_axis, self.reduction = logits.shape, class_axis, reduction
        self.smoothing = label_smoothing
        z = _as_rows(logits, class_axis)
        n_classes = z.shape[1]
        shifted = z - z.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        sum_exp = p.sum(axis=1, keepdims=True)
        p /= sum_exp
        if target is None and weight is None and not label_smoothing and ignore_index is None:
            # −log pₙ[yₙ] = log Σ exp − shifted zₙ[yₙ]: only the picked entries of log p are needed
            if labels.ndim != 1:
                labels = labels.reshape(-1)   # (1-D labels stay the input's own array: no view to track)
            losses = np.log(sum_exp[:, 0]) - shifted[np.arange(labels.shape[0]), labels]
            self.denominator = losses.shape[0]
            self.save_for_backward(None, p, labels, None, None, None)   # (log p: only a target's gradient reads it)
        else:
            log_p = shifted - np.log(sum_exp)
            if target is not None:
                q = _as_rows(target, class_axis)
                if label_smoothing:
                    q = q * (1 - label_smoothing) + label_smoothing / n_classes
                if weight is not None:
                    q = q * weight
                q_total, self.denominator = q.sum(axis=1, keepdims=True), q.shape[0]
            else:
                q, self.denominator, q_total = _label_distribution(
                    labels.reshape(-1), n_classes, weight, ignore_index, label_smoothing, logits.dtype)
            self.save_for_backward(log_p, p, None, q, q_total, weight)
            losses = -(q * log_p).sum(axis=1)
        out_shape = self.shape[:class_axis] + self.shape[class_axis + 1:]
        return _reduce(losses.reshape(out_shape), reduction, self.denominator)

    def backward(self, grad):
        log_p, p, labels, q, q_total, weight = self.saved_tensors
        g = _per_element(grad, self.reduction, self.denominator)
        if self.reduction == "none":
            g = np.reshape(g, (-1, 1))
        if labels is not None:
            grad_rows = p * g
            grad_rows[np.arange(labels.shape[0]), labels] -= g if self.reduction != "none" else g[:, 0]
        else:
            if q_total is not None:
                p = q_total * p
            grad_rows = (p - q) * g
        grad_logits = _from_rows(grad_rows, self.shape, self.class_axis)
        if len(self.inputs) == 1:
            return grad_logits
        grad_target = None
        if self.inputs[1]._requires_grad:
            rows = -(1 - self.smoothing) * log_p * g
            if weight is not None:
                rows = rows * weight
            grad_target = _from_rows(rows, self.shape, self.class_axis)
        return grad_logits, grad_target

    def graph(self, logits, target=None):
        _, _, labels, q, _, weight = self.saved_tensors
        log_p = logits.log_softmax(axis=self.class_axis)
        if target is not None and target.dtype.kind != "f":   # class labels: the saved q serves
            target = None
        if target is not None:  # q as in forward, but from the target Tensor
            q = target
            if self.smoothing:
                q = q * (1 - self.smoothing) + self.smoothing / self.shape[self.class_axis]
            if weight is not None:
                q = q * weight.reshape(weight.shape + (1,) * (logits.ndim - 1 - self.class_axis))
        else:
            if labels is not None:  # the plain case kept only the labels: q is one-hot
                q = np.eye(self.shape[self.class_axis], dtype=logits.dtype)[labels]
            q = _from_rows(q, self.shape, self.class_axis)
        losses = -(q * log_p).sum(axis=self.class_axis)
        return _reduce(losses, self.reduction, self.denominator)


class NLL(Function):
    """Negative log-likelihood of log-probabilities x (classes along axis 1; axis 0 for 1-D):
        lₙ = −w_{yₙ} · x_{n,yₙ}   (0 for ignored labels)
        ∂lₙ/∂x_{n,c} = −w_{yₙ}·[c = yₙ]
    'mean' divides by Σₙ w_{yₙ} over labels not ignored.
    """

    rule = "∂L/∂x = −onehot(y)·g/N"
    keeps_input_dtypes = True   # the labels, an input, stay integers

    def forward(self, input, labels, weight=None, ignore_index=None, reduction="mean"):
        class_axis = 1 if input.ndim >= 2 else 0
        self.shape, self.class_axis, self.reduction = input.shape, class_axis, reduction
        x = _as_rows(input, class_axis)
        q, self.denominator, _ = _label_distribution(
            labels.reshape(-1), x.shape[1], weight, ignore_index, 0.0, input.dtype)
        self.save_for_backward(q)
        losses = -(q * x).sum(axis=1)
        return _reduce(losses.reshape(labels.shape), reduction, self.denominator)

    def backward(self, grad):
        q, = self.saved_tensors
        g = _per_element(grad, self.reduction, self.denominator)
        if self.reduction == "none":
            g = np.reshape(g, (-1, 1))
        grad_input = _from_rows(-q * g, self.shape, self.class_axis)
        return grad_input if len(self.inputs) == 1 else (grad_input, None)   # labels: no gradient

    def graph(self, input, labels=None):
        q, = self.saved_tensors
        losses = -(_from_rows(q, self.shape, self.class_axis) * input).sum(axis=self.class_axis)
        return _reduce(losses, self.reduction, self.denominator)


_LOG_FLOOR = -100.0   # PyTorch clamps BCE's logs at −100, so p = 0 or 1 gives a finite loss
_EPSILON = 1e-12      # and the gradient's denominator x(1 − x) at 1e-12


class BinaryCrossEntropy(Function):
    """Binary cross-entropy of probabilities x ∈ [0, 1] and targets y ∈ [0, 1]:
        lₙ = −wₙ·(yₙ·log xₙ + (1 − yₙ)·log(1 − xₙ))     (each log clamped at −100)
        ∂lₙ/∂xₙ = wₙ·(xₙ − yₙ) / max(xₙ(1 − xₙ), 1e-12)
        ∂lₙ/∂yₙ = wₙ·(log(1 − xₙ) − log xₙ)
    """

    rule = "∂L/∂x = (x − y)/(x·(1 − x))·g/N"

    def forward(self, input, target, weight=None, reduction="mean"):
        with np.errstate(divide="ignore"):  # log 0 = −inf, then clamped
            log_x = np.maximum(np.log(input), _LOG_FLOOR)
            log_1mx = np.maximum(np.log1p(-input), _LOG_FLOOR)
        self.save_for_backward(input, target, weight, log_x, log_1mx)
        self.reduction = reduction
        losses = -(target * log_x + (1 - target) * log_1mx)
        if weight is not None:
            losses = losses * weight
        return _reduce(losses.astype(input.dtype, copy=False), reduction)

    def backward(self, grad):
        x, y, w, log_x, log_1mx = self.saved_tensors
        g = _per_element(grad, self.reduction, x.size)
        if w is not None:
            g = g * w
        grad_input = g * (x - y) / np.maximum(x * (1 - x), _EPSILON)
        grad_target = g * (log_1mx - log_x) if self.inputs[1]._requires_grad else None
        return grad_input.astype(x.dtype, copy=False), grad_target

    def graph(self, input, target):
        weight = self.saved_tensors[2]
        log_x = input.log().clip(min=_LOG_FLOOR)
        log_1mx = (1 - input).log().clip(min=_LOG_FLOOR)
        losses = -(target * log_x + (1 - target) * log_1mx)
        if weight is not None:
            losses = losses * weight
        return _reduce(losses, self.reduction, input.data.size)


class BinaryCrossEntropyWithLogits(Function):
    """Binary cross-entropy on a logit x (σ applied inside), stable for any x (e.g. ±1000):
        lₙ = wₙ·((1 − yₙ)·xₙ + ρₙ·softplus(−xₙ)),   ρₙ = 1 + (pos_weight − 1)·yₙ
    with softplus(−x) = log(1 + e⁻ˣ) = max(−x, 0) + log(1 + e^(−|x|)); without pos_weight
    this is max(x, 0) − x·y + log(1 + e^(−|x|)). No exponent is positive, so nothing overflows.
        ∂lₙ/∂xₙ = wₙ·((1 − yₙ) − ρₙ·σ(−xₙ))        (= wₙ·(σ(xₙ) − yₙ) without pos_weight)
        ∂lₙ/∂yₙ = wₙ·(−xₙ + (pos_weight − 1)·softplus(−xₙ))
    """

    rule = "∂L/∂x = (σ(x) − y)·g/N"

    def forward(self, input, target, weight=None, pos_weight=None, reduction="mean"):
        with np.errstate(under="ignore"):  # e^(−|x|) may round to 0: that is the exact limit
            small = np.exp(-np.abs(input))
            softplus_neg = np.maximum(-input, 0) + np.log1p(small)
            # σ(−x) = 1/(1 + eˣ), from e^(−|x|) on the side that cannot overflow
            sigmoid_neg = np.where(input >= 0, small, 1) / (1 + small)
        rho = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
        self.save_for_backward(input, target, weight, pos_weight, softplus_neg, sigmoid_neg)
        self.reduction = reduction
        losses = (1 - target) * input + rho * softplus_neg
        if weight is not None:
            losses = losses * weight
        return _reduce(losses.astype(input.dtype, copy=False), reduction)

    def backward(self, grad):
        x, y, weight, pos_weight, softplus_neg, sigmoid_neg = self.saved_tensors
        rho = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        g = _per_element(grad, self.reduction, x.size)
        if weight is not None:
            g = g * weight
        with np.errstate(under="ignore"):
            grad_input = g * ((1 - y) - rho * sigmoid_neg)
            grad_target = None
            if self.inputs[1]._requires_grad:
                d_target = -x if pos_weight is None else -x + (pos_weight - 1) * softplus_neg
                grad_target = g * d_target
        return grad_input.astype(x.dtype, copy=False), grad_target

    def backward_graph(self, grad):
        x, y = self.inputs
        weight, pos_weight = self.saved_tensors[2:4]
        rho = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        g = _per_element(grad, self.reduction, x.data.size)
        if weight is not None:
            g = g * weight
        grad_input = g * ((1 - y) - rho * (-x).sigmoid())
        grad_target = None
        if y.requires_grad:
            # softplus(−x) = max(−x, 0) + log(1 + e^(−|x|)), as in forward
            softplus_neg = (-x).relu() + ((-x.abs()).exp() + 1).log()
            grad_target = g * (-x if pos_weight is None else -x + (pos_weight - 1) * softplus_neg)
        return grad_input, grad_target
