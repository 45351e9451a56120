"""How big a step did each weight just take? The effective per-element learning rate of one step.

Every rule moves a weight θᵢ by (effective step size)ᵢ × (a direction), and every optimizer
answers its own step size from its state, `optimizer.effective_step_size(state, group)`, in
the notes' letters (`step_size_formula`):

    SGD        η                                  Δθ = −η · g
    Momentum   η                                  on the new gradient (the velocity carries the rest)
    AdaGrad    η_t / (√G + ε)                     G = Σ g² (`sum`)
    RMSProp    η / (√G + ε)                       G = moving average of g² (`square_avg`)
    Adam       η/(1−β₁ᵗ) / (√(v/(1−β₂ᵗ)) + ε)     it multiplies m (`exp_avg`); v = `exp_avg_sq`

(the optimizers' PyTorch forms, ε outside the root). For the adaptive rules the step size
differs from weight to weight — large where past gradients were small — and that is what
`inspect_step` shows:

    loss.backward()
    with inspect_step(optimizer) as report:
        optimizer.step()
    print(report)                 # per parameter: step sizes (min / median / max), ‖Δθ‖
    plot_step_sizes(report)       # their histogram

It wraps the step because the two numbers need both sides of it: the step sizes are read from
the optimizer's state *after* the step (G, v and t include the step just taken), the update
Δθ = θ_after − θ_before is measured, so it is exactly what the optimizer did.
"""
import contextlib
from dataclasses import dataclass

import numpy as np

from ..display import param_name
from ..optim import Optimizer, registry

__all__ = ["ParamStep", "StepReport", "inspect_step", "FORMULAS"]

FORMULAS = {rule.cls.__name__: rule.cls.step_size_formula for rule in registry.RULES.values()}
"""Class name → its `step_size_formula`, for every registered rule."""


@dataclass
class ParamStep:
    """One parameter's part of a step.

    Attributes:
        name: the parameter's name (from named params, or `Tensor.name`), else
            `"group g, param i"`.
        step_size: float array of the parameter's shape, the effective step size of each
            element (the formula of the rule in `StepReport.formula`).
        update: the change the step made, Δθ = θ_{t+1} − θ_t, of the parameter's shape.
    """

    name: str
    step_size: np.ndarray
    update: np.ndarray

    @property
    def update_norm(self):
        """‖Δθ‖₂, the Euclidean length of this parameter's update."""
        return float(np.linalg.norm(self.update))


class StepReport:
    """What `inspect_step` measured: the rule, its step-size formula, and one `ParamStep` per
    parameter that had a gradient (in `param_groups` order).

    It is empty inside the `with` block and filled when the block ends.
    """

    def __init__(self, rule, formula):
        self.rule = rule
        self.formula = formula
        self.params = []
        self.taken = False

    def _check_taken(self):
        if not self.taken:
            raise RuntimeError("the step has not been inspected yet: read the report after the "
                               "`with inspect_step(optimizer)` block that calls optimizer.step()")

    def step_sizes(self):
        """Every element's effective step size, all parameters flattened into one array."""
        self._check_taken()
        if not self.params:
            return np.empty(0)
        return np.concatenate([p.step_size.ravel() for p in self.params])

    @property
    def update_norm(self):
        """‖Δθ‖₂ over all parameters together."""
        self._check_taken()
        return float(np.sqrt(sum(p.update_norm ** 2 for p in self.params)))

    def __getitem__(self, index):
        self._check_taken()
        if isinstance(index, str):
            for param in self.params:
                if param.name == index:
                    return param
            raise KeyError(f"no parameter named {index!r}; the names are "
                           f"{[p.name for p in self.params]}")
        return self.params[index]

    def __len__(self):
        return len(self.params)

    def table(self):
        """A plain-text table: per parameter, the step sizes' min, median and max, and ‖Δθ‖."""
        self._check_taken()
        lines = [f"{self.rule}: effective step size {self.formula}",
                 f"{'parameter':<20} {'elements':>8} {'min':>10} {'median':>10} {'max':>10} {'‖Δθ‖':>10}"]
        for p in self.params:
            sizes = p.step_size
            lines.append(f"{p.name:<20} {sizes.size:>8} {sizes.min():>10.3g} {np.median(sizes):>10.3g} "
                         f"{sizes.max():>10.3g} {p.update_norm:>10.3g}")
        return "\n".join(lines)

    def __str__(self):
        return self.table() if self.taken else f"{self.rule}: step not taken yet"

    def __repr__(self):
        return f"<StepReport {self.rule}, {len(self.params)} parameters>"


def _check_known(optimizer):
    if type(optimizer).effective_step_size is Optimizer.effective_step_size:
        known = ", ".join(dict.fromkeys(rule.cls.__name__ for rule in registry.RULES.values()))
        raise TypeError(f"inspect_step knows {known} and any optimizer that defines "
                        f"effective_step_size, got {type(optimizer).__name__}")


@contextlib.contextmanager
def inspect_step(optimizer):
    """Measure the optimizer step taken inside the `with` block.

        with inspect_step(optimizer) as report:
            optimizer.step()
        report[0].step_size      # per element: η, η_t/(√G + ε), η/(√G + ε), ...
        report[0].update_norm    # ‖θ_{t+1} − θ_t‖₂

    For each parameter the step updated it records the update Δθ, measured as
    θ_after − θ_before, and the effective per-element step size of the step, which the
    optimizer computes from its hyperparameters and its state after the step
    (`optimizer.effective_step_size(state, group)`, t = `state["step"]`); its formula in the
    notes' letters is `report.formula` (the table at the top of this module).

    For SGD, AdaGrad and RMSProp without momentum, Δθ = −step_size ⊙ g. An element that has
    never had a non-zero gradient has the step size η/ε of the adaptive rules: huge, but
    multiplied by a zero gradient.

    Args:
        optimizer: any optimizer that defines `effective_step_size` (every rule in
            `tinygrad_opt.optim`).

    Yields:
        A `StepReport`, filled when the block ends (if the block raises, it stays empty).

    Raises:
        TypeError: an optimizer without `effective_step_size` (checked before the block runs).
    """
    _check_known(optimizer)
    report = StepReport(type(optimizer).__name__, optimizer.step_size_formula)
    watched = [(group, g, i, p) for g, group in enumerate(optimizer.param_groups)
               for i, p in enumerate(group["params"]) if p.grad is not None]
    before = [(p.data.copy(), p._version) for *_, p in watched]
    yield report
    for (group, g, i, p), (old, version) in zip(watched, before):
        if p._version == version:
            continue                                    # the step skipped this parameter
        step_size = optimizer.effective_step_size(optimizer.state.get(p, {}), group)
        report.params.append(ParamStep(name=param_name(group, g, i, p),
                                       step_size=np.full(p.data.shape, step_size) if np.ndim(step_size) == 0
                                       else step_size,
                                       update=p.data - old))
    report.taken = True
