"""Pictures of the lab's results: paths over contour maps, an animated GIF, loss curves, the
sparse demo's rare weight, and histograms of effective step sizes.

matplotlib is the optional `plot` extra (`pip install "tinygrad_opt[plot]"`); it is imported
only when a picture is drawn. Figures are drawn on matplotlib's non-interactive Agg canvas
without going through pyplot, so nothing opens a window, no global backend is switched, and
figures are freed like any other object. Every function returns its `Figure` (and saves it
when given a `path`) so a notebook can show it and a script can keep drawing on it.
"""
import math
from pathlib import Path

import numpy as np

from ..files import atomic_write

__all__ = ["plot_trajectories", "animate_trajectories", "plot_losses", "plot_rare_weight",
           "plot_step_sizes"]


def _matplotlib():
    """Import matplotlib, or say how to install it."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            'plotting needs matplotlib, which is not installed: pip install "tinygrad_opt[plot]"'
        ) from error
    return Figure, FigureCanvasAgg


def _new_figure(figsize):
    Figure, FigureCanvasAgg = _matplotlib()
    figure = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save(figure, path, dpi):
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as file:
            figure.savefig(file, format=path.suffix[1:] or None, dpi=dpi)
    return figure


def _contour_levels(Z, lowest, count):
    """Log-spaced levels above the surface's minimum value (linear ones when it has none).

    Losses near a minimum differ by orders of magnitude from those at the window's edge; log
    spacing draws rings all the way down instead of a few near the rim.
    """
    finite = Z[np.isfinite(Z)]
    if lowest is None or finite.min() < lowest - 1e-9:
        return np.linspace(finite.min(), finite.max(), count)
    height = finite - lowest
    positive = height[height > 0]
    top = positive.max()
    bottom = max(np.percentile(positive, 0.5), top * 1e-8)
    return lowest + np.logspace(math.log10(bottom), math.log10(top), count)


def _draw_surface(ax, surface, levels, resolution):
    """Contours of `surface` over its bounds, with its minima and saddle points marked."""
    X, Y, Z = surface.grid(resolution)
    import matplotlib
    steps = _contour_levels(Z, surface.minimum_value, levels)
    # One colour per ring, not per value: log-spaced values would otherwise all look alike.
    colors = matplotlib.colormaps["viridis"](np.linspace(0.0, 0.9, len(steps)))
    ax.contour(X, Y, Z, levels=steps, colors=colors, linewidths=0.7, alpha=0.6)
    for i, (x, y) in enumerate(surface.minima):
        ax.plot(x, y, marker="*", markersize=16, color="gold", markeredgecolor="black",
                linestyle="none", label="minimum" if i == 0 else None, zorder=5)
    for i, (x, y) in enumerate(surface.saddle_points):
        ax.plot(x, y, marker="X", markersize=11, color="white", markeredgecolor="black",
                linestyle="none", label="saddle point" if i == 0 else None, zorder=5)
    (x_min, x_max), (y_min, y_max) = surface.bounds
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    ax.set_xlabel("x")
    ax.set_ylabel("y")


def _legend_label(run):
    text = run.label if run.lr is None else f"{run.label} (lr={run.lr:g})"
    if run.diverged:
        text += f", diverged at step {run.diverged_at}"
    return text


def _colors(count):
    _matplotlib()
    import matplotlib
    cycle = matplotlib.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    return [cycle[i % len(cycle)] for i in range(count)]


def _start(result):
    first = next(iter(result.values()))
    return first.path[0]


def plot_trajectories(result, surface, path=None, *, title=None, levels=30, resolution=200,
                      figsize=(7, 6), dpi=120):
    """Draw each optimizer's path over the surface's contour map.

    The contours are log-spaced above the minimum's value (rings get denser towards it); the
    common start is a black dot, each run's end point a circle in its colour, the known minima
    gold stars, saddle points white crosses. The legend gives each run's label and learning
    rate, and says where a run diverged.

    Args:
        result: the dict `{label: Trajectory}` returned by `trajectories`.
        surface: the `Surface` the runs were made on (its bounds set the window).
        path: if given, the figure is also saved there (PNG by its suffix).
        title: the axes title; by default the surface's name, the step count and the start.
        levels: how many contour levels.
        resolution: grid points per axis for the contours.
        figsize, dpi: the figure's size in inches and the saved file's resolution.

    Returns:
        The matplotlib `Figure`.

    Raises:
        ImportError: matplotlib is not installed (`pip install "tinygrad_opt[plot]"`).
    """
    figure = _new_figure(figsize)
    ax = figure.add_subplot()
    _draw_surface(ax, surface, levels, resolution)
    for run, color in zip(result.values(), _colors(len(result))):
        ax.plot(run.path[:, 0], run.path[:, 1], color=color, linewidth=1.6, label=_legend_label(run))
        end = run.end
        ax.plot(end[0], end[1], marker="o", markersize=7, markerfacecolor="none",
                markeredgecolor=color, markeredgewidth=2, linestyle="none", zorder=6)
    start = _start(result)
    ax.plot(start[0], start[1], marker="o", markersize=7, color="black", linestyle="none",
            label=f"start ({start[0]:g}, {start[1]:g})", zorder=6)
    steps = max(run.steps for run in result.values())
    ax.set_title(title if title is not None else f"{surface.name}: {steps} steps")
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    return _save(figure, path, dpi)


def _frame_steps(steps, max_frames):
    """At most `max_frames` step indices from 0 to `steps`, evenly spread, always both ends."""
    count = min(steps + 1, max(2, max_frames))
    return np.unique(np.round(np.linspace(0, steps, count)).astype(int))


def animate_trajectories(result, surface, path, *, fps=12, max_frames=60, title=None, levels=30,
                         resolution=150, figsize=(5.5, 4.5), dpi=80):
    """Write an animated GIF of the paths being drawn, step by step, over the contour map.

    Long runs are subsampled to at most `max_frames` frames (always including the start and
    the last step); each frame's title shows its step, so no two frames are alike.

    Args:
        result: the dict `{label: Trajectory}` returned by `trajectories`.
        surface: the `Surface` the runs were made on.
        path: where to write the GIF.
        fps: frames per second.
        max_frames: the most frames to write (>= 2).
        title, levels, resolution, figsize, dpi: as in `plot_trajectories`.

    Returns:
        The `Path` of the written GIF.

    Raises:
        ImportError: matplotlib (or Pillow, which comes with it) is not installed.
    """
    _matplotlib()
    from matplotlib.animation import PillowWriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = _new_figure(figsize)
    ax = figure.add_subplot()
    _draw_surface(ax, surface, levels, resolution)
    start = _start(result)
    ax.plot(start[0], start[1], marker="o", markersize=6, color="black", linestyle="none",
            label="start", zorder=6)
    runs = list(result.values())
    lines, heads = [], []
    for run, color in zip(runs, _colors(len(runs))):
        line, = ax.plot([], [], color=color, linewidth=1.6, label=_legend_label(run))
        head, = ax.plot([], [], marker="o", markersize=6, color=color, linestyle="none", zorder=6)
        lines.append(line)
        heads.append(head)
    ax.legend(loc="best", fontsize="x-small", framealpha=0.9)
    name = title if title is not None else surface.name
    steps = max(run.steps for run in runs)
    frames = _frame_steps(steps, max_frames)

    # Lay the figure out once: the frames differ only in the paths and the title's step number.
    figure.canvas.draw()
    figure.set_layout_engine("none")
    writer = PillowWriter(fps=fps)
    with writer.saving(figure, path, dpi):
        for step in frames:
            for run, line, head in zip(runs, lines, heads):
                shown = run.path[: step + 1]
                line.set_data(shown[:, 0], shown[:, 1])
                finite = shown[np.all(np.isfinite(shown), axis=1)]
                head.set_data(finite[-1:, 0], finite[-1:, 1])
            ax.set_title(f"{name}: step {step} / {steps}")
            writer.grab_frame()
    return path


def plot_losses(result, path=None, *, title="loss per step", figsize=(6, 4), dpi=120):
    """Plot each run's loss curve f(θ_t) against the step t.

    The y axis is logarithmic when every loss is positive (the usual case: the surfaces'
    minima are 0), linear otherwise (the saddle, whose loss goes to −∞).

    Args:
        result: the dict `{label: Trajectory}` returned by `trajectories`.
        path: if given, the figure is also saved there.

    Returns:
        The matplotlib `Figure`.
    """
    figure = _new_figure(figsize)
    ax = figure.add_subplot()
    finite = np.concatenate([run.losses[np.isfinite(run.losses)] for run in result.values()])
    for run, color in zip(result.values(), _colors(len(result))):
        ax.plot(np.arange(len(run.losses)), run.losses, color=color, label=_legend_label(run))
    if finite.size and finite.min() > 0:
        ax.set_yscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel("f(θ_t)")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return _save(figure, path, dpi)


def plot_rare_weight(demo, path=None, *, figsize=(9, 4), dpi=120):
    """The sparse-features demo in two panels: the rare weight's path per rule next to the
    dense weights' mean error, against the step.

    Args:
        demo: the `SparseDemo` returned by `sparse_features_demo`.
        path: if given, the figure is also saved there.

    Returns:
        The matplotlib `Figure`.
    """
    figure = _new_figure(figsize)
    rare_ax, dense_ax = figure.subplots(1, 2)
    for run, color in zip(demo.runs.values(), _colors(len(demo.runs))):
        label = f"{run.label} (lr={run.lr:g})" if run.lr is not None else run.label
        rare_ax.plot(run.rare_weight, color=color, label=label)
        dense_ax.plot(run.dense_error_curve, color=color, label=label)
    rare_ax.axhline(demo.rare_optimum, color="black", linestyle="--", linewidth=1,
                    label=f"optimum {demo.rare_optimum:.3f}")
    rare_ax.set_title(f"rare weight w[{demo.rare_feature}] (input ≠ 0 in {demo.density:.0%})")
    rare_ax.set_xlabel("step t")
    rare_ax.set_ylabel("weight")
    rare_ax.legend(fontsize="small")
    dense_ax.set_yscale("log")
    dense_ax.set_title("dense weights: RMS error")
    dense_ax.set_xlabel("step t")
    dense_ax.set_ylabel("RMS error")
    dense_ax.legend(fontsize="small")
    return _save(figure, path, dpi)


def plot_step_sizes(reports, path=None, *, bins=40, title=None, figsize=None, dpi=120):
    """Histogram of the effective per-element step sizes of one optimizer step.

    SGD and Momentum give every element the same step η (a single bar); AdaGrad, RMSProp and
    Adam spread them out, giving the weights with small past gradients the larger steps.

    Args:
        reports: a `StepReport` from `inspect_step`, or a dict `{label: StepReport}`, drawn
            one panel per label over a shared, log-scaled x axis.
        path: if given, the figure is also saved there.
        bins: the number of log-spaced bins.
        title: the figure's title (default: "effective step sizes of one step").
        figsize: inches; by default 7 wide and 1.6 high per panel.

    Returns:
        The matplotlib `Figure`.

    Raises:
        ValueError: no report holds a positive finite step size.
    """
    if not isinstance(reports, dict):
        reports = {reports.rule: reports}
    sizes = {label: report.step_sizes() for label, report in reports.items()}
    everything = np.concatenate([values[np.isfinite(values) & (values > 0)] for values in sizes.values()])
    if everything.size == 0:
        raise ValueError("no positive finite step sizes to draw")
    low, high = everything.min(), everything.max()
    if high / low < 10:
        middle = math.sqrt(low * high)
        low, high = middle / math.sqrt(10), middle * math.sqrt(10)
    edges = np.logspace(math.log10(low), math.log10(high), bins + 1)

    figure = _new_figure(figsize or (7, 1.2 + 1.6 * len(sizes)))
    axes = figure.subplots(len(sizes), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (label, values), color in zip(axes, sizes.items(), _colors(len(sizes))):
        ax.hist(values, bins=edges, color=color)
        ax.set_xscale("log")
        ax.set_ylabel("elements")
        ax.text(0.99, 0.9, f"{label}: {reports[label].formula}", transform=ax.transAxes,
                ha="right", va="top", fontsize="small")
    axes[-1].set_xlabel("effective step size per element")
    figure.suptitle(title if title is not None else "effective step sizes of one step")
    return _save(figure, path, dpi)
