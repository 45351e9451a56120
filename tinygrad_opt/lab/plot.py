"""Pictures of the lab's results: paths over contour maps, an animated GIF, loss curves, the
sparse demo's rare weight, and histograms of effective step sizes.

matplotlib is the optional `plot` extra (`pip install "tinygrad_opt[plot]"`); it is imported
only when a picture is drawn. Figures are drawn on matplotlib's non-interactive Agg canvas
without going through pyplot, so nothing opens a window, no global backend is switched, and
figures are freed like any other object. Every function returns its `Figure` (and saves it
when given a `path`) so a notebook can show it and a script can keep drawing on it.

Every rule is drawn in its own colour, line style and marker (`styles.RULE_STYLES`), the same
in every picture; legends sit outside the axes, so they never cover a path.
"""
import math
import textwrap
from pathlib import Path

import numpy as np

from ..files import atomic_write
from .styles import EXTRA_STYLES, RULE_STYLES, styles_for

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
    steps = _contour_levels(Z, surface.minimum_value, levels)
    # Light grey rings: the paths keep every colour to themselves.
    ax.contour(X, Y, Z, levels=steps, colors="0.8", linewidths=0.6, antialiased=False)
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


# Group entries that are not hyperparameters of the rule, or are off (False, 0, None).
_NOT_SHOWN = {"params", "maximize", "foreach", "fused", "capturable", "differentiable", "initial_lr"}


def _format_value(value):
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_format_value(v) for v in value) + ")"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _hyperparameters(optimizer):
    """"lr=0.05, betas=(0.9, 0.999), eps=1e-08": the first group's settings that are on."""
    groups = getattr(optimizer, "param_groups", None)
    if not groups:
        return ""
    shown = [f"{key}={_format_value(value)}" for key, value in groups[0].items()
             if key not in _NOT_SHOWN and value is not None and value is not False
             and not (isinstance(value, (int, float)) and value == 0 and key != "lr")]
    return ", ".join(shown)


def _legend_label(run):
    settings = _hyperparameters(run.optimizer)
    if not settings and run.lr is not None:
        settings = f"lr={run.lr:g}"
    text = f"{run.label} ({settings})" if settings else run.label
    if run.diverged:
        text += f", diverged at step {run.diverged_at}"
    return text


def _draw_path(ax, xs, ys, style, label, index, count):
    """A path in its rule's style, with its markers every tenth of the axes' diagonal along
    it, offset per rule so that two paths on top of each other show both kinds of marker."""
    markers = dict(marker=style.marker, markersize=6, markeredgecolor="white", markeredgewidth=0.6,
                   markevery=(0.1 * index / max(count, 1), 0.1))
    line = ax.plot(xs, ys, color=style.color, linestyle=style.linestyle, linewidth=1.8, label=label,
                   **markers)[0]
    # The markers once more above every line, so a path drawn later cannot hide them.
    on_top = ax.plot(xs, ys, color=style.color, linestyle="none", zorder=4, **markers)[0]
    return line, on_top


def _colors(count):
    """`count` colours for curves that are not rules (none of them a rule's own colour first)."""
    palette = [style.color for style in (*EXTRA_STYLES, *RULE_STYLES.values())]
    return [palette[i % len(palette)] for i in range(count)]


def legend_below(figure, ax, columns=None):
    """The figure's legend under its axes, where it covers nothing; the runs first, then the
    start, minima and saddle points. Two columns unless the labels are too long for them."""
    handles, labels = ax.get_legend_handles_labels()
    landmarks = ("start", "minimum", "saddle point", "optimum")
    order = sorted(range(len(labels)), key=lambda i: labels[i].startswith(landmarks))
    fits = int(11 * figure.get_figwidth())  # characters of a legend line across the figure
    if columns is None:
        columns = 2 if max(map(len, labels)) * 2 <= fits else 1
    # A label longer than the figure is wide (Nadam's five hyperparameters) wraps, never clips.
    labels = [textwrap.fill(label, fits // columns, subsequent_indent="  ") for label in labels]
    return figure.legend([handles[i] for i in order], [labels[i] for i in order],
                         loc="outside lower center", ncol=columns, frameon=False)


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
    runs = list(result.values())
    for index, (run, style) in enumerate(zip(runs, styles_for(result))):
        _draw_path(ax, run.path[:, 0], run.path[:, 1], style, _legend_label(run), index, len(runs))
        end = run.end
        ax.plot(end[0], end[1], marker="o", markersize=8, markerfacecolor="none",
                markeredgecolor=style.color, markeredgewidth=2, linestyle="none", zorder=6)
    _draw_start(ax, _start(result))
    steps = max(run.steps for run in runs)
    ax.set_title(title if title is not None else f"{surface.name}: {steps} steps")
    legend_below(figure, ax)
    return _save(figure, path, dpi)


def _draw_start(ax, start):
    ax.plot(start[0], start[1], marker="o", markersize=8, markerfacecolor="white",
            markeredgecolor="black", markeredgewidth=1.5, linestyle="none",
            label=f"start ({start[0]:g}, {start[1]:g})", zorder=7)


def _frame_steps(steps, max_frames):
    """At most `max_frames` step indices from 0 to `steps`, evenly spread, always both ends."""
    count = min(steps + 1, max(2, max_frames))
    return np.unique(np.round(np.linspace(0, steps, count)).astype(int))


def animate_trajectories(result, surface, path, *, fps=12, max_frames=60, title=None, levels=30,
                         resolution=150, figsize=(7.5, 6.5), dpi=80):
    """Write an animated GIF of the paths being drawn, step by step, over the contour map.

    Long runs are subsampled to at most `max_frames` frames (always including the start and
    the last step); each frame's title shows its step, so no two frames are alike. All frames
    share one palette that holds every rule's colour exactly, so a colour never changes from
    frame to frame and the legend matches the paths. The default size is 600 pixels wide.

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
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = _new_figure(figsize)
    ax = figure.add_subplot()
    _draw_surface(ax, surface, levels, resolution)
    _draw_start(ax, _start(result))
    runs = list(result.values())
    steps = max(run.steps for run in runs)
    lines, heads = [], []
    for index, (run, style) in enumerate(zip(runs, styles_for(result))):
        lines.append(_draw_path(ax, [], [], style, _legend_label(run), index, len(runs)))
        heads.append(ax.plot([], [], marker="o", markersize=7, color=style.color, markeredgecolor="black",
                             linestyle="none", zorder=6)[0])
    legend_below(figure, ax)
    name = title if title is not None else surface.name
    frames = _frame_steps(steps, max_frames)

    # Lay the figure out once, with the longest title it will show, then keep that layout:
    # the frames differ only in the paths and the title's step number.
    ax.set_title(f"{name}: step {steps} / {steps}")
    figure.set_dpi(dpi)
    figure.canvas.draw()
    figure.set_layout_engine("none")
    images = []
    for step in frames:
        for run, line, head in zip(runs, lines, heads):
            shown = run.path[: step + 1]
            for artist in line:
                artist.set_data(shown[:, 0], shown[:, 1])
            finite = shown[np.all(np.isfinite(shown), axis=1)]
            head.set_data(finite[-1:, 0], finite[-1:, 1])
        ax.set_title(f"{name}: step {step} / {steps}")
        figure.canvas.draw()
        images.append(Image.frombuffer("RGBA", figure.canvas.get_width_height(),
                                       figure.canvas.buffer_rgba()).convert("RGB"))
    frames_p = quantize_together(images)
    # Given the palette, Pillow writes it once as the global colour table (without it, each
    # frame after the first carries a table of its own).
    with atomic_write(path) as file:
        frames_p[0].save(file, format="GIF", save_all=True, append_images=frames_p[1:],
                         duration=round(1000 / fps), loop=0, palette=bytes(frames_p[0].getpalette()))
    return path


def quantize_together(images, colors=256):
    """Palette copies of `images` ("P" mode) that all share one palette of `colors` entries:
    every rule's colour exactly, black, white and the minimum's gold, then the most
    representative other colours of the last image (median cut). Each pixel takes its nearest
    palette entry, so a pixel of a rule's colour keeps it exactly and no two rules can merge."""
    from PIL import Image

    keep = [style.color for style in (*RULE_STYLES.values(), *EXTRA_STYLES)] + ["#000000", "#FFFFFF", "#FFD700"]
    keep = [[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in dict.fromkeys(k.upper() for k in keep)]
    rgb = [np.asarray(image.convert("RGB")) for image in images]
    others = Image.fromarray(rgb[-1]).quantize(colors=colors - len(keep), method=Image.Quantize.MEDIANCUT)
    common = others.getpalette()[: 3 * (colors - len(keep))]
    palette = np.array(keep + [common[i:i + 3] for i in range(0, len(common), 3)], dtype=np.int64)
    result = []
    for pixels in rgb:
        flat = pixels.reshape(-1, 3).astype(np.int64)
        unique, inverse = np.unique((flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2], return_inverse=True)
        unique_rgb = np.stack([(unique >> 16) & 255, (unique >> 8) & 255, unique & 255], axis=1)
        # argmin takes the first of equals: an exact match with a kept colour wins.
        nearest = ((unique_rgb[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        image = Image.fromarray(nearest[inverse.ravel()].astype(np.uint8).reshape(pixels.shape[:2]), "P")
        image.putpalette(palette.astype(np.uint8).ravel().tolist())
        result.append(image)
    return result


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
    runs = list(result.values())
    for index, (run, style) in enumerate(zip(runs, styles_for(result))):
        _draw_path(ax, np.arange(len(run.losses)), run.losses, style, _legend_label(run), index, len(runs))
    if finite.size and finite.min() > 0:
        ax.set_yscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel("f(θ_t)")
    ax.set_title(title)
    legend_below(figure, ax)
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
    runs = list(demo.runs.values())
    for index, (run, style) in enumerate(zip(runs, styles_for(demo.runs))):
        label = f"{run.label} (lr={run.lr:g})" if run.lr is not None else run.label
        _draw_path(rare_ax, np.arange(len(run.rare_weight)), run.rare_weight, style, label, index, len(runs))
        _draw_path(dense_ax, np.arange(len(run.dense_error_curve)), run.dense_error_curve, style, label,
                   index, len(runs))
    rare_ax.axhline(demo.rare_optimum, color="black", linestyle="--", linewidth=1,
                    label=f"optimum {demo.rare_optimum:.3f}")
    rare_ax.set_title(f"rare weight w[{demo.rare_feature}] (input ≠ 0 in {demo.density:.0%})")
    rare_ax.set_xlabel("step t")
    rare_ax.set_ylabel("weight")
    dense_ax.set_yscale("log")
    dense_ax.set_title("dense weights: RMS error")
    dense_ax.set_xlabel("step t")
    dense_ax.set_ylabel("RMS error")
    legend_below(figure, rare_ax, columns=min(3, len(runs) + 1))
    return _save(figure, path, dpi)


def plot_step_sizes(reports, path=None, *, rare=None, bins=40, title=None, figsize=None, dpi=120):
    """Histogram of the effective per-element step sizes of one optimizer step.

    SGD and Momentum give every element the same step η (a single bar); AdaGrad, RMSProp and
    Adam spread them out, giving the weights with small past gradients the larger steps. The
    bins are log-spaced from the smallest to the largest step size, both included, and the
    counts are on a log scale, so a handful of elements far from the rest still shows.

    Args:
        reports: a `StepReport` from `inspect_step`, or a dict `{label: StepReport}`, drawn
            one panel per label over a shared, log-scaled x axis.
        path: if given, the figure is also saved there.
        rare: optional boolean array over the elements, in the order of
            `report.step_sizes()` (the same for every report, or a dict `{label: array}`):
            True for weights whose inputs are rarely non-zero. Those are stacked on top of the
            others, hatched, so rare and dense weights can be told apart.
        bins: the number of log-spaced bins.
        title: the figure's title (default: "effective step sizes of one step").
        figsize: inches; by default 7 wide and 1.6 high per panel.

    Returns:
        The matplotlib `Figure`.

    Raises:
        ValueError: no report holds a positive finite step size, or `rare` does not have one
            entry per element.
    """
    if not isinstance(reports, dict):
        reports = {reports.rule: reports}
    sizes = {label: report.step_sizes() for label, report in reports.items()}
    masks = {}
    for label, values in sizes.items():
        mask = rare.get(label) if isinstance(rare, dict) else rare
        mask = np.zeros(values.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool).ravel()
        if mask.shape != values.shape:
            raise ValueError(f"rare has {mask.size} entries but {label}'s step has {values.size} elements")
        masks[label] = mask
    everything = np.concatenate([values[np.isfinite(values) & (values > 0)] for values in sizes.values()])
    if everything.size == 0:
        raise ValueError("no positive finite step sizes to draw")
    low, high = everything.min(), everything.max()
    if high / low < 10:
        middle = math.sqrt(low * high)
        low, high = middle / math.sqrt(10), middle * math.sqrt(10)
    edges = np.logspace(math.log10(low), math.log10(high), bins + 1)
    # 10 ** log10(x) can round below x, and np.histogram drops what lies outside the edges:
    # the largest step (AdaGrad's η/ε for weights never updated) would silently vanish.
    edges[0], edges[-1] = low * (1 - 1e-9), high * (1 + 1e-9)

    any_rare = any(mask.any() for mask in masks.values())
    figure = _new_figure(figsize or (7, 1.2 + 1.6 * len(sizes)))
    axes = figure.subplots(len(sizes), 1, sharex=True, sharey=True, squeeze=False)[:, 0]
    for ax, (label, values), style in zip(axes, sizes.items(), styles_for(sizes)):
        mask = masks[label]
        ax.hist(values[~mask], bins=edges, color=style.color, log=True)
        if mask.any():   # drawn over the dense ones, hatched and unfilled: both counts stay readable
            ax.hist(values[mask], bins=edges, histtype="step", hatch="////", color=style.color, log=True,
                    linewidth=1.2)
        ax.set_xscale("log")
        ax.set_ylabel("elements")
        ax.text(0.99, 0.9, f"{label}: {reports[label].formula}", transform=ax.transAxes,
                ha="right", va="top", fontsize="small")
    axes[-1].set_xlabel("effective step size per element")
    axes[0].set_ylim(0.7, None)
    if any_rare:
        from matplotlib.patches import Patch
        figure.legend(handles=[Patch(facecolor="0.35", edgecolor="0.35", label="weights of dense inputs"),
                               Patch(facecolor="white", edgecolor="0.35", hatch="////",
                                     label="weights of rare inputs")],
                      loc="outside lower center", ncol=2, frameon=False)
    figure.suptitle(title if title is not None else "effective step sizes of one step")
    return _save(figure, path, dpi)
