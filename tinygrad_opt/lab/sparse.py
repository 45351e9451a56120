"""The notes' case for AdaGrad: a weight whose input is almost always 0 is almost never updated.

A linear model ŷ = X w is fitted by full-batch gradient descent to the mean squared error

    L(w) = (1/n) Σᵢ (xᵢ · w − yᵢ)²,     ∂L/∂w_j = (2/n) Σᵢ x_ij (xᵢ · w − yᵢ)

on `make_sparse_regression` data, where feature `rare_feature` is non-zero in only
`density` (2%) of the samples. Its gradient ∂L/∂w_rare sums over those few samples only, so it
is ~50× smaller than a dense weight's: with one global η, SGD moves the rare weight ~50×
slower, and after the dense weights have arrived it is still near its start (0). AdaGrad
divides each gradient by √(Σ g²) of its own weight, so the rare weight's small gradients
get a large step and it reaches its optimum with the others. RMSProp and Adam normalise the
same way with moving averages.

    demo = sparse_features_demo(steps=30)
    print(demo)                  # one row per rule: the rare and the dense weights' errors
    plot_rare_weight(demo, "sparse.png")
"""
import numbers
from dataclasses import dataclass, field

import numpy as np

from ..data import make_sparse_regression
from ..tensor import Tensor
from .rules import optimizer_factories

__all__ = ["SparseRun", "SparseDemo", "sparse_features_demo", "smooth_lr", "SPARSE_LRS", "LR_GRID"]

LR_GRID = tuple(10 ** (k / 4) for k in range(-16, 5))
"""The learning rates tried when choosing a rule's η: 10^(k/4), from 1e-4 to 10 (four per decade)."""

# The one rule for choosing each optimizer's η (`smooth_lr` applies it; a test checks this table
# against it for every rule): the largest η of LR_GRID for which the dense weights' RMS error
# never increases over the 30 full-batch steps — the fastest η whose descent is smooth, so no
# rule is handicapped by a timid η or flattered by a lucky oscillation.
SPARSE_LRS = {"sgd": 10 ** -0.5, "momentum": 10 ** -2.5, "adagrad": 1.0, "rmsprop": 10 ** -1.25,
              "adam": 10 ** -1.25}


@dataclass
class SparseRun:
    """One rule's run on the sparse regression problem.

    Attributes:
        label: the rule's name or the label it was given.
        lr: the learning rate of its first parameter group (None if it has none).
        rare_weight: float64 (steps + 1,), the rare feature's weight w_rare after each step.
        dense_error_curve: float64 (steps + 1,), the dense weights' RMS distance from their
            optimum after each step: √(mean_j (w_j − w*_j)²) over the dense j.
        rare_error: |w_rare − w*_rare| after the last step.
        dense_error: `dense_error_curve[-1]`.
        rare_start_error: |0 − w*_rare|, the rare weight's distance at the start.
    """

    label: str
    lr: float | None
    rare_weight: np.ndarray = field(repr=False)
    dense_error_curve: np.ndarray = field(repr=False)
    rare_error: float
    dense_error: float
    rare_start_error: float

    @property
    def rare_progress(self):
        """The fraction of the way from start to optimum the rare weight has covered:
        1 − rare_error / rare_start_error (1 = arrived, 0 = not moved)."""
        return 1.0 - self.rare_error / self.rare_start_error


@dataclass
class SparseDemo:
    """The result of `sparse_features_demo`: one `SparseRun` per rule and the problem.

    Attributes:
        runs: `{label: SparseRun}` in the order the rules were given.
        optimum: float64 (n_features,), the least-squares weights w* = argmin L(w).
        rare_feature: the index of the rare feature.
        density: the fraction of samples in which the rare feature is non-zero.
        steps: the number of steps every rule took.
        batch_size: the samples per step (None: full batch, every step sees all of them).
        rare_absent: the fraction of steps whose batch had no sample with the rare input
            non-zero (its gradient was exactly 0 there); 0 for full batches.
    """

    runs: dict
    optimum: np.ndarray = field(repr=False)
    rare_feature: int
    density: float
    steps: int
    batch_size: int | None = None
    rare_absent: float = 0.0

    @property
    def rare_optimum(self):
        """w*_rare, the rare weight's optimum."""
        return float(self.optimum[self.rare_feature])

    def table(self):
        """The runs as a plain-text table (what `str(demo)` prints)."""
        batches = "full-batch steps" if self.batch_size is None else \
            f"steps on batches of {self.batch_size} ({self.rare_absent:.0%} of them without the rare input)"
        lines = [f"sparse features: w[{self.rare_feature}]'s input is non-zero in "
                 f"{self.density:.0%} of samples; {self.steps} {batches} from w = 0",
                 f"{'rule':<10} {'lr':>8} {'rare error':>11} {'rare progress':>14} {'dense RMS error':>16}"]
        for run in self.runs.values():
            lr = "" if run.lr is None else f"{run.lr:.4g}"
            lines.append(f"{run.label:<10} {lr:>8} {run.rare_error:>11.4f} {run.rare_progress:>13.1%} "
                         f"{run.dense_error:>16.2e}")
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def sparse_features_demo(optimizers=("sgd", "adagrad", "rmsprop", "adam"), steps=30, lr=None, *,
                         n_samples=1000, n_features=10, rare_feature=0, density=0.02, seed=0,
                         batch_size=None):
    """Fit the same sparse linear regression with each rule and measure the rare weight.

    Every rule starts from w = 0 and takes `steps` steps on the mean squared error
    L(w) = (1/n) Σᵢ (xᵢ · w − yᵢ)², its gradient ∇L = (2/n) Xᵀ(Xw − y) from autograd —
    over all samples (`batch_size=None`), or over the next `batch_size` samples of a shuffled
    pass (a new shuffle each pass, the same batches for every rule). With small batches the
    rare input is truly absent from most of them: the rare weight's gradient is then exactly 0,
    the notes' "almost never updated". The optimum w* is the least-squares solution (the
    generator's true weights, as there is no noise).

    Args:
        optimizers: rule names and/or `(label, factory)` pairs or a dict, as in
            `trajectories`; by default SGD, AdaGrad, RMSProp and Adam.
        steps: the number of steps every rule takes.
        lr: learning rates for the named rules (a number for all, or `{name: lr}`); by
            default `SPARSE_LRS` (the rule for choosing them is stated there).
        n_samples, n_features, density, seed: passed to `make_sparse_regression`; `seed`
            also shuffles the mini-batches.
        rare_feature: the index of the rare feature.
        batch_size: samples per step; None (default) for full batches.

    Returns:
        A `SparseDemo`; `print` it for the table, `plot_rare_weight` draws it.
    """
    steps = _check_int("steps", steps, 0)
    n_features = _check_int("n_features", n_features, 2)
    if batch_size is not None:
        batch_size = _check_int("batch_size", batch_size, 1)
    X, y, _ = make_sparse_regression(n_samples=n_samples, n_features=n_features,
                                     sparse_features=(rare_feature,), density=density, seed=seed)
    X, y = X.astype(np.float64), y.astype(np.float64)
    optimum = np.linalg.lstsq(X, y, rcond=None)[0][:, 0]
    dense = np.arange(n_features) != rare_feature
    batches = _batches(len(X), steps, batch_size, seed)
    rare_absent = float(np.mean([not X[rows, rare_feature].any() for rows in batches])) \
        if batch_size is not None and steps else 0.0

    runs = {}
    for label, factory in optimizer_factories(optimizers, lr=lr, default_lrs=SPARSE_LRS).items():
        w = Tensor(np.zeros((n_features, 1)), requires_grad=True, dtype=np.float64, name="w")
        optimizer = factory([w])
        weights = np.empty((steps + 1, n_features))
        weights[0] = w.data[:, 0]
        for t, rows in enumerate(batches):
            optimizer.zero_grad()
            residual = Tensor(X[rows], dtype=np.float64) @ w - Tensor(y[rows], dtype=np.float64)
            loss = (residual * residual).mean()
            loss.backward()
            optimizer.step()
            weights[t + 1] = w.data[:, 0]
        errors = weights - optimum
        dense_curve = np.sqrt(np.mean(errors[:, dense] ** 2, axis=1))
        group_lr = optimizer.param_groups[0].get("lr") if getattr(optimizer, "param_groups", None) else None
        runs[label] = SparseRun(
            label=label, lr=None if group_lr is None else float(group_lr),
            rare_weight=weights[:, rare_feature], dense_error_curve=dense_curve,
            rare_error=float(abs(errors[-1, rare_feature])), dense_error=float(dense_curve[-1]),
            rare_start_error=float(abs(optimum[rare_feature])))
    return SparseDemo(runs=runs, optimum=optimum, rare_feature=rare_feature, density=float(density),
                      steps=steps, batch_size=batch_size, rare_absent=rare_absent)


def _batches(n_samples, steps, batch_size, seed):
    """The rows each step uses: all of them, or consecutive slices of shuffled passes."""
    if batch_size is None:
        return [slice(None)] * steps
    rng = np.random.default_rng(seed)
    batches, order = [], np.empty(0, dtype=np.int64)
    while len(batches) < steps:
        if len(order) < batch_size:
            order = np.concatenate([order, rng.permutation(n_samples)])
        batches.append(order[:batch_size])
        order = order[batch_size:]
    return batches


def smooth_lr(optimizer, steps=30, grid=LR_GRID, **problem):
    """The rule `SPARSE_LRS` states, applied: the largest η of `grid` for which the dense
    weights' RMS error never increases over `steps` full-batch steps (None if none does).

    `optimizer` is a rule name; `problem` takes `sparse_features_demo`'s keyword arguments.
    """
    best = None
    with np.errstate(over="ignore", invalid="ignore"):
        for lr in grid:
            curve = sparse_features_demo([optimizer], steps=steps, lr=lr, **problem).runs[optimizer].dense_error_curve
            if np.all(np.isfinite(curve)) and np.all(np.diff(curve) <= 0):
                best = lr
    return best
