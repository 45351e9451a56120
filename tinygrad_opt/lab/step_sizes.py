"""How big a step did each weight just take? The effective per-element learning rate of one step.

Every rule of the notes moves a weight θᵢ by (effective step size)ᵢ × (a direction):

    SGD        Δθ = −η · g                       step size η, the same for every weight
    Momentum   Δθ = −v,  v = γ·v + η·g           η on the new gradient (the velocity carries the rest)
    AdaGrad    Δθ = −η_t / (√G + ε) ⊙ g          η_t = η / (1 + (t − 1)·lr_decay), G = Σ g²
    RMSProp    Δθ = −η / (√E[g²] + ε) ⊙ g        E[g²] = `square_avg` (√(E[g²] − E[g]²) if centered)
    Adam       Δθ = −η/(1 − β₁ᵗ) / (√(v/(1 − β₂ᵗ)) + ε) ⊙ m     (m, v = `exp_avg`, `exp_avg_sq`)

(the optimizers' PyTorch forms, ε outside the root). For the adaptive rules the step size
differs from weight to weight — large where past gradients were small — and that is what
`inspect_step` shows:

    loss.backward()
    with inspect_step(optimizer) as report:
        optimizer.step()
    print(report)                 # per parameter: step sizes (min / median / max), ‖Δθ‖
    plot_step_sizes(report)       # their histogram

It wraps the step because the two numbers need both sides of it: the step sizes are read from
the optimizer's state *after* the step (G, E[g²], v and t include the step just taken), the
update Δθ = θ_after − θ_before is measured, so it is exactly what the optimizer did.
"""
import contextlib
from dataclasses import dataclass

import numpy as np

from .. import optim

__all__ = ["ParamStep", "StepReport", "inspect_step", "FORMULAS"]

FORMULAS = {
    "SGD": "η",
    "Momentum": "η",
    "AdaGrad": "η_t / (√G + ε)",
    "RMSProp": "η / (√E[g²] + ε)",
    "Adam": "η/(1−β₁ᵗ) / (√(v/(1−β₂ᵗ)) + ε)",
    "AdamW": "η/(1−β₁ᵗ) / (√(v/(1−β₂ᵗ)) + ε)",
}


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

    def __init__(self, rule):
        self.rule = rule
        self.formula = FORMULAS[rule]
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


def _rule_of(optimizer):
    if isinstance(optimizer, optim.Adam):
        return "AdamW" if optimizer.defaults.get("decoupled_weight_decay") else "Adam"
    for cls, rule in ((optim.RMSProp, "RMSProp"), (optim.AdaGrad, "AdaGrad"),
                      (optim.Momentum, "Momentum"), (optim.SGD, "SGD")):
        if isinstance(optimizer, cls):
            return rule
    raise TypeError(f"inspect_step knows SGD, Momentum, AdaGrad, RMSProp, Adam and AdamW, "
                    f"got {type(optimizer).__name__}")


def _step_size(rule, group, state, param):
    """The effective step size of each element of `param`, from its state after the step."""
    lr = float(group["lr"])
    if rule in ("SGD", "Momentum"):
        return np.full(param.shape, lr)
    eps = float(group["eps"])
    if rule == "AdaGrad":
        t = state["step"]
        lr_t = lr / (1 + (t - 1) * float(group["lr_decay"]))               # η_t
        return lr_t / (np.sqrt(state["sum"]) + eps)                         # η_t / (√G + ε)
    if rule == "RMSProp":
        mean_square = state["square_avg"]
        if group["centered"]:
            mean_square = mean_square - state["grad_avg"] ** 2              # E[g²] − E[g]²
        return lr / (np.sqrt(mean_square) + eps)                            # η / (√E[g²] + ε)
    beta1, beta2 = (float(b) for b in group["betas"])
    t = state["step"]
    v = state["max_exp_avg_sq"] if group["amsgrad"] else state["exp_avg_sq"]
    return (lr / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)  # η̂_t / (√v̂ + ε)


def _name(group, group_index, position, param):
    names = group.get("param_names")
    if names:
        return str(names[position])
    if param.name:
        return str(param.name)
    return f"group {group_index}, param {position}"


@contextlib.contextmanager
def inspect_step(optimizer):
    """Measure the optimizer step taken inside the `with` block.

        with inspect_step(optimizer) as report:
            optimizer.step()
        report[0].step_size      # per element: η, η_t/(√G + ε), η/(√E[g²] + ε), ...
        report[0].update_norm    # ‖θ_{t+1} − θ_t‖₂

    For each parameter with a gradient it records the update Δθ, measured as
    θ_after − θ_before, and the effective per-element step size of the step, computed from
    the optimizer's hyperparameters and its state after the step (t = `state["step"]`):

        SGD, Momentum   η                                 (Momentum: on the new gradient η·g)
        AdaGrad         η_t / (√G + ε),  η_t = η / (1 + (t − 1)·lr_decay),  G = `sum`
        RMSProp         η / (√E[g²] + ε),  E[g²] = `square_avg`
                        (centered: √(E[g²] − E[g]²), E[g] = `grad_avg`)
        Adam, AdamW     η/(1 − β₁ᵗ) / (√(v/(1 − β₂ᵗ)) + ε),  v = `exp_avg_sq`
                        (`max_exp_avg_sq` with amsgrad); it multiplies m = `exp_avg`

    For SGD, AdaGrad and RMSProp without momentum, Δθ = −step_size ⊙ g. An element that has
    never had a non-zero gradient has the step size η/ε of the adaptive rules: huge, but
    multiplied by a zero gradient.

    Args:
        optimizer: an `SGD`, `Momentum`, `AdaGrad`, `RMSProp`, `Adam` or `AdamW`.

    Yields:
        A `StepReport`, filled when the block ends (if the block raises, it stays empty).

    Raises:
        TypeError: an optimizer of another kind (checked before the block runs).
    """
    rule = _rule_of(optimizer)
    report = StepReport(rule)
    watched = [(group, g, i, p) for g, group in enumerate(optimizer.param_groups)
               for i, p in enumerate(group["params"]) if p.grad is not None]
    before = [p.data.copy() for *_, p in watched]
    yield report
    for (group, g, i, p), old in zip(watched, before):
        state = optimizer.state.get(p, {})
        if rule not in ("SGD", "Momentum") and not state:
            continue                                    # the step skipped this parameter
        report.params.append(ParamStep(name=_name(group, g, i, p),
                                       step_size=_step_size(rule, group, state, p),
                                       update=p.data - old))
    report.taken = True
