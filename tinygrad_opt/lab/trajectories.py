"""Run several optimizers from the same start on a 2-D surface and record where each one goes.

    result = trajectories("beale", ["sgd", "momentum", "adagrad", "rmsprop", "adam"], steps=300)
    result["adam"].path          # (301, 2): the point before each step, then the final point
    result["adam"].losses        # (301,): f at each of those points
    plot_trajectories(result, Beale(), "beale.png")

The two parameters x and y are one Tensor of shape (2,), so the adaptive rules keep one
step size per coordinate — exactly what makes their paths differ from SGD's.
"""
import numbers
from dataclasses import dataclass, field

import numpy as np

from ..tensor import Tensor
from .rules import RULE_NAMES, optimizer_factories
from .surfaces import Surface, make_surface

__all__ = ["Trajectory", "trajectories"]


@dataclass
class Trajectory:
    """One optimizer's run on a surface.

    Attributes:
        label: the name it was given (`"adam"`, or the label of a `(label, factory)` pair).
        path: float64 array (steps + 1, 2); row t is (x, y) after t steps, row 0 the start.
            Rows after `diverged_at` are NaN.
        losses: float64 array (steps + 1,); losses[t] = f(path[t]).
        lr: the learning rate of the optimizer's first parameter group (None if it has none).
        diverged_at: the first step t at which the point, the loss or the gradient was not
            finite (the run stopped there), or None if the run completed.
        optimizer: the optimizer object after the run (its `state` holds the buffers).
    """

    label: str
    path: np.ndarray
    losses: np.ndarray
    lr: float | None = None
    diverged_at: int | None = None
    optimizer: object = field(default=None, repr=False, compare=False)

    @property
    def diverged(self):
        """True when the run hit a non-finite point, loss or gradient and stopped."""
        return self.diverged_at is not None

    @property
    def steps(self):
        """The number of steps asked for (`len(path) − 1`)."""
        return len(self.path) - 1

    @property
    def end(self):
        """The last finite point of the path, as an array (2,)."""
        finite = np.flatnonzero(np.all(np.isfinite(self.path), axis=1))
        return self.path[finite[-1]]

    @property
    def final_loss(self):
        """The loss at the end of a completed run; NaN for a diverged one."""
        return float(self.losses[-1])


def _check_start(start):
    point = np.asarray(start, dtype=np.float64) if start is not None else None
    if point is None or point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"start must be two finite numbers (x, y), got {start!r}")
    return point


def _check_steps(steps):
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")
    return int(steps)


def _all_finite(array):
    return bool(np.all(np.isfinite(array)))


def _run(label, factory, surface, start, steps):
    xy = Tensor(start, requires_grad=True, dtype=np.float64, name="xy")
    optimizer = factory([xy])
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(f"the factory for {label!r} returned {optimizer!r}, not an optimizer "
                        "(it needs step() and zero_grad())")
    groups = getattr(optimizer, "param_groups", None)
    lr = groups[0].get("lr") if groups else None

    path = np.full((steps + 1, 2), np.nan)
    losses = np.full(steps + 1, np.nan)
    diverged_at = None
    for t in range(steps + 1):
        optimizer.zero_grad()
        loss = surface(xy)
        if loss.data.size != 1:
            raise ValueError(f"the surface returned a loss of shape {loss.shape}, expected one number")
        path[t], losses[t] = xy.data, loss.item()
        if not (_all_finite(path[t]) and np.isfinite(losses[t])):
            diverged_at = t
            break
        if t == steps:
            break
        loss.backward()
        if not _all_finite(xy.grad.data):
            diverged_at = t
            break
        optimizer.step()
    return Trajectory(label, path, losses, lr=None if lr is None else float(lr),
                      diverged_at=diverged_at, optimizer=optimizer)


def trajectories(surface, optimizers=RULE_NAMES, steps=300, start=None, lr=None):
    """Run each optimizer for `steps` steps from the same start on `surface`.

    Every run minimizes f(x, y) over one float64 parameter Tensor θ = (x, y), with gradients
    from autograd; step t records θ_t and f(θ_t), then takes θ_{t+1} = rule(θ_t, ∇f(θ_t)).
    A run whose point, loss or gradient stops being finite is stopped and flagged (its
    `diverged_at`), never raised: a learning rate that is too large is a result worth seeing.

    Args:
        surface: a `Surface`, a surface name (`"beale"`, ...), or any callable taking a
            (2,) Tensor and returning a one-element loss Tensor.
        optimizers: rule names and/or `(label, factory)` pairs, or a dict `{label: factory}`
            (see `tinygrad_opt.lab.rules`); by default all five rules of the notes.
        steps: the number of optimizer steps (>= 0).
        start: (x, y); by default the surface's `start`.
        lr: learning rates for the named rules: a number for all, or `{name: lr}`; by default
            the surface's own `lrs`.

    Returns:
        A dict `{label: Trajectory}` in the order given, each with `path` (steps + 1, 2) and
        `losses` (steps + 1,), all starting from the same point.

    Raises:
        ValueError: a bad surface name, start, step count, optimizer name or learning rate.
    """
    if isinstance(surface, str):
        surface = make_surface(surface)
    elif not callable(surface):
        raise TypeError(f"surface must be a Surface, a surface name or a callable, got {surface!r}")
    steps = _check_steps(steps)
    if start is None:
        if not isinstance(surface, Surface):
            raise ValueError("start is required for a surface that is not a Surface")
        start = surface.start
    start = _check_start(start)
    factories = optimizer_factories(optimizers, lr=lr, default_lrs=getattr(surface, "lrs", None))

    # A diverging run overflows on its way to inf; that is reported by `diverged_at`, not warned.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return {label: _run(label, factory, surface, start.copy(), steps)
                for label, factory in factories.items()}
