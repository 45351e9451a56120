"""Pictures of curvature (matplotlib, the `plot` extra): the bowl's stability limit and Momentum's
√κ speed-up, Newton's method beside the five rules, and the sharpness of the digits MLP over
training against 2/η. The numbers come from `lab.curvature`; nothing is computed here that a
test could not check there."""
import numpy as np

from .curvature import bowl_curvature, newton_factory, sharpness_during_training
from .plot import _colors, _new_figure, _save, legend_below, plot_trajectories
from .rules import RULE_NAMES
from .styles import rule_style
from .surfaces import QuadraticBowl, make_surface
from .trajectories import trajectories

__all__ = ["plot_bowl_curvature", "plot_newton", "plot_sharpness"]


def plot_bowl_curvature(path=None, kappa=10.0, steps=60, dpi=120):
    """Two panels on `QuadraticBowl(kappa)`.

    Left: gradient descent at 0.9 · 2/λ_max (converging, zig-zagging across the steep
    direction) and at 1.1 · 2/λ_max (diverging) over the contours. Right: the loss per step on
    a log scale — those two runs, the best plain η = 2/(λ_min + λ_max), and Momentum with the
    optimal η and γ = ((√κ − 1)/(√κ + 1))², whose error shrinks by (√κ − 1)/(√κ + 1) per step
    instead of (κ − 1)/(κ + 1).
    """
    from .. import optim
    surface, curvature = QuadraticBowl(kappa), bowl_curvature(kappa)
    limit = curvature.max_stable_lr
    runs = trajectories(surface, {
        f"GD η = 0.9·2/λmax = {0.9 * limit:.3g}": lambda p: optim.SGD(p, lr=0.9 * limit),
        f"GD η = 1.1·2/λmax = {1.1 * limit:.3g}": lambda p: optim.SGD(p, lr=1.1 * limit),
        f"GD best η = 2/(λmin+λmax) = {curvature.best_sgd_lr:.3g}": lambda p: optim.SGD(p, lr=curvature.best_sgd_lr),
        f"Momentum η = {curvature.momentum_lr:.3g}, γ = {curvature.momentum:.3g}":
            lambda p: optim.Momentum(p, lr=curvature.momentum_lr, momentum=curvature.momentum),
    }, steps=steps)
    colors = [*_colors(len(runs) - 1), rule_style("momentum").color]  # the last run is the rule Momentum
    fig = _new_figure((12, 4.8))
    left, right = fig.subplots(1, 2)
    (x0, x1), (y0, y1) = surface.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    left.contour(X, Y, surface.values(X, Y), levels=np.geomspace(0.01, 20, 15), colors="0.75", linewidths=0.7)
    for (label, run), color in list(zip(runs.items(), colors))[:2]:
        # up to the first point well outside the window: the diverging run's later steps
        # would only fill the picture with vertical lines
        outside = np.flatnonzero(np.abs(run.path[:, 1]) > 2 * y1)
        shown = run.path[:outside[0] + 1] if outside.size else run.path
        left.plot(shown[:, 0], shown[:, 1], marker=".", color=color, linewidth=1.2, label=label)
    left.set_xlim(x0, x1)
    left.set_ylim(y0, y1)
    left.set_title(f"f = ½(x² + {kappa:g}y²): λ = {curvature.eigenvalues[0]:g}, {curvature.eigenvalues[1]:g};  "
                   f"2/λmax = {limit:.3g}")
    left.set_xlabel("x")
    left.set_ylabel("y")
    left.legend(loc="lower right", fontsize=8)
    for (label, run), color in zip(runs.items(), colors):
        right.semilogy(np.arange(len(run.losses)), run.losses, color=color, label=label)
    right.set_ylim(1e-8, 1e3)
    right.set_xlabel("step")
    right.set_ylabel("loss")
    right.set_title(f"κ = {curvature.condition_number:g}: per step GD ×{curvature.sgd_rate:.3f}, "
                    f"Momentum ×{curvature.momentum_rate:.3f}")
    right.legend(fontsize=8)
    return _save(fig, path, dpi)


def plot_newton(surface, path=None, steps=300, start=None, dpi=120):
    """Newton's method (θ ← θ − H⁻¹g, H by `func.hessian`) beside the five rules on a surface,
    from `start` (the surface's own by default). Returns the figure and the trajectories."""
    surface = make_surface(surface) if isinstance(surface, str) else surface
    result = trajectories(surface, [*RULE_NAMES, newton_factory(surface)], steps=steps, start=start)
    # Taller than plot_trajectories' default: the legend below takes one line per run.
    fig = plot_trajectories(result, surface, None, title=f"{surface.name}: Newton's method and the five rules, "
                                                          f"{steps} steps", figsize=(7, 8), dpi=dpi)
    return _save(fig, path, dpi), result


def plot_sharpness(path=None, runs=None, dpi=120, **options):
    """λ_max of the digits MLP's loss over full-batch gradient descent, one colour per η, with
    2/η dashed in the same colour; below, the training loss in the same colours. `runs` from
    `sharpness_during_training(**options)` (computed when not given)."""
    runs = sharpness_during_training(**options) if runs is None else runs
    fig = _new_figure((7.5, 7))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    for run, color in zip(runs.values(), _colors(len(runs))):
        top.plot(run.steps, run.sharpness, marker="o", markersize=3, color=color, label=f"λmax, GD η = {run.lr:g}")
        top.axhline(run.threshold, color=color, linestyle="--", linewidth=1, label=f"2/η = {run.threshold:.3g}")
        bottom.semilogy(np.arange(len(run.losses)), run.losses, color=color)
    top.set_ylabel("top Hessian eigenvalue λmax")
    top.set_title("Sharpness of the digits MLP during full-batch gradient descent")
    bottom.set_xlabel("step")
    bottom.set_ylabel("training loss")
    # Under the panels, one column per η (its λmax above its 2/η): the 2/η lines run across
    # the whole width, so a legend inside would cover one of them.
    legend_below(fig, top, columns=len(runs))
    return _save(fig, path, dpi)
