"""Read a sweep back: a table per rule, the learning-rate sensitivity plot, CSV/JSON export.

    rows = SweepStore("sweep.sqlite").rows()
    print(format_summary(summarize(rows, target=0.95)))
    plot_sensitivity(rows, "sensitivity.png")            # needs matplotlib
    export_trials(rows, "trials.csv")

For each rule and each η the seeds' results are pooled: the mean and the sample standard
deviation of the finished runs, how many diverged, how many reached the target. A rule's best
η is the one with the best mean among those where no seed diverged; its tuning tolerance is
how many η of the grid brought every seed to the target.
"""
import csv
import io
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from ..files import atomic_write
from ..lab.styles import styles_for
from .rules import RULE_NAMES
from .store import NAMES
from .trial import _first_reaching

__all__ = ["METRICS", "LrPoint", "RuleSummary", "summarize", "format_summary", "summary_dict",
           "export_trials", "plot_sensitivity"]

METRICS = {
    "test_accuracy": ("test accuracy", True),
    "best_test_accuracy": ("best test accuracy", True),
    "final_train_loss": ("final training loss", False),
    "best_train_loss": ("best training loss", False),
}
"""Metric column → (its name in tables and plots, whether higher is better)."""


@dataclass
class LrPoint:
    """One rule at one η: the metric of each seed that finished, and the seeds' counts."""

    lr: float
    values: list
    seeds: int
    diverged: int
    reached: int

    @property
    def mean(self):
        return statistics.fmean(self.values) if self.values else None

    @property
    def std(self):
        """The sample standard deviation over seeds (0 for a single seed)."""
        return statistics.stdev(self.values) if len(self.values) > 1 else (0.0 if self.values else None)


@dataclass
class RuleSummary:
    """One rule (with its `--set` hyperparameters) on one workload, over the whole η grid."""

    workload: str
    label: str
    optimizer: str
    metric: str
    target: float
    points: list

    @property
    def best(self):
        """The LrPoint with the best mean among those where no seed diverged (None if none)."""
        higher = METRICS[self.metric][1]
        eligible = [point for point in self.points if not point.diverged and point.values]
        if not eligible:
            return None
        return (max if higher else min)(eligible, key=lambda point: point.mean)

    @property
    def tolerance(self):
        """How many η brought every seed to the target (None without a target)."""
        if self.target is None:
            return None
        return sum(point.reached == point.seeds for point in self.points)

    @property
    def diverging(self):
        """How many η had at least one seed diverge."""
        return sum(point.diverged > 0 for point in self.points)


def summarize(rows, metric=None, target=None):
    """Pool the stored trials by workload, rule and η.

    Args:
        rows: `SweepStore.rows()`.
        metric: a key of METRICS; default test accuracy when the trials have one, else the
            final training loss.
        target: the test accuracy (dataset) or loss (surface) that counts as reached, read
            from each trial's curve; default the target the trials were run with.

    Returns:
        RuleSummaries, by workload, then in the package's order of rules.
    """
    metric = metric or _default_metric(rows)
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r} (choose from {', '.join(METRICS)})")
    if target is None:
        stored = {row["target"] for row in rows}
        target = stored.pop() if len(stored) == 1 else None
    groups = {}
    for row in rows:
        groups.setdefault((row["workload"], row["label"], row["optimizer"]), {}).setdefault(row["lr"], []).append(row)
    summaries = []
    for (workload, label, optimizer), by_lr in groups.items():
        points = []
        for lr in sorted(by_lr):
            seeds = by_lr[lr]
            values = [row[metric] for row in seeds if not row["diverged"] and row[metric] is not None]
            reached = sum(_reached(row, target) for row in seeds) if target is not None else 0
            points.append(LrPoint(lr, values, len(seeds), sum(row["diverged"] for row in seeds), reached))
        summaries.append(RuleSummary(workload, label, optimizer, metric, target, points))
    order = {name: index for index, name in enumerate(RULE_NAMES)}
    summaries.sort(key=lambda s: (s.workload, order.get(s.optimizer, len(order)), s.label))
    return summaries


def _default_metric(rows):
    return "test_accuracy" if any(row["test_accuracy"] is not None for row in rows) else "final_train_loss"


def _reached(row, target):
    curve = row["curve"]
    if "test_accuracy" in curve:
        return _first_reaching(curve["test_accuracy"], target, higher_is_better=True) is not None
    return _first_reaching(curve["loss"], target, higher_is_better=False) is not None


def format_summary(summaries):
    """One fixed-width table per workload: each rule's best η, its mean ± std, its tolerance."""
    blocks = []
    for workload in dict.fromkeys(s.workload for s in summaries):
        group = [s for s in summaries if s.workload == workload]
        first = group[0]
        name = METRICS[first.metric][0]
        seeds = max(point.seeds for s in group for point in s.points)
        n_lrs = max(len(s.points) for s in group)
        reach = f"η reaching {first.target:g}" if first.target is not None else "η reaching (no target)"
        width = max(len("rule"), *(len(s.label) for s in group))
        header = f"{'rule':<{width}}  {'best η':>9}  {name + ' (mean ± std)':>28}  {reach:>21}  {'η diverging':>11}"
        lines = [f"{workload}: {name} over {seeds} seed{'s' if seeds > 1 else ''}, {n_lrs} learning rates",
                 header, "-" * len(header)]
        for s in group:
            best = s.best
            at_best = "-" if best is None else f"{best.mean:.4f} ± {best.std:.4f}"
            tolerance = "-" if s.tolerance is None else f"{s.tolerance}/{len(s.points)}"
            lines.append(f"{s.label:<{width}}  {'-' if best is None else format(best.lr, '.3g'):>9}  "
                         f"{at_best:>28}  {tolerance:>21}  {f'{s.diverging}/{len(s.points)}':>11}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def summary_dict(summaries):
    """The summaries as JSON-ready dicts (every η's mean, std and counts, and the best)."""
    document = []
    for s in summaries:
        best = s.best
        document.append({
            "workload": s.workload, "rule": s.label, "optimizer": s.optimizer, "metric": s.metric,
            "target": s.target, "best_lr": None if best is None else best.lr,
            "best_mean": None if best is None else best.mean, "best_std": None if best is None else best.std,
            "lrs_reaching_target": s.tolerance, "lrs_diverging": s.diverging,
            "points": [{"lr": p.lr, "mean": p.mean, "std": p.std, "seeds": p.seeds, "finished": len(p.values),
                        "diverged": p.diverged, "reached": p.reached} for p in s.points]})
    return document


def export_trials(rows, path):
    """Write every trial to `path`: CSV (`.csv`; config and curve as JSON text) or JSON (`.json`)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        text = json.dumps(rows, indent=1) + "\n"
    elif path.suffix.lower() == ".csv":
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=NAMES)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "config": json.dumps(row["config"]), "curve": json.dumps(row["curve"]),
                             "diverged": int(row["diverged"])})
        text = buffer.getvalue()
    else:
        raise ValueError(f"cannot export to {str(path)!r}: the name must end in .csv or .json")
    with atomic_write(path) as file:
        file.write(text.encode())
    return path


VARIANT_DASHES = ("-", (0, (5, 2)), (0, (1.5, 1.5)), (0, (6, 2, 1.5, 2)), (0, (9, 3)))
"""Line styles for a rule's further settings in one plot (`rmsprop alpha=0.9`, `… alpha=0.99`)."""


def sensitivity_styles(summaries):
    """A `lab.styles.RuleStyle` per summary: each rule its own, as in every plot of the package;
    a rule's second, third … setting keeps the rule's colour and marker with other dashes."""
    rules = list(dict.fromkeys(s.optimizer for s in summaries))
    by_rule = dict(zip(rules, styles_for(rules)))
    styles, seen = [], {}
    for s in summaries:
        style = by_rule[s.optimizer]
        variant = seen[s.optimizer] = seen.get(s.optimizer, -1) + 1
        if variant:
            dashes = [dash for dash in VARIANT_DASHES if dash != style.linestyle]
            style = style._replace(linestyle=dashes[(variant - 1) % len(dashes)])
        styles.append(style)
    return styles


def plot_sensitivity(rows, path=None, metrics=None, target=None, title=None):
    """The learning-rate sensitivity plot: each metric against η on a log axis, one line per rule.

    The line joins the mean over seeds at each η, the band spans ±1 standard deviation; an η
    where some seed diverged is marked ✕ on the line (at the top edge when every seed did),
    and a horizontal line shows the target. One row of panels per workload in `rows`.

    Args:
        rows: `SweepStore.rows()`.
        path: where to save the figure (format from the extension), or None.
        metrics: keys of METRICS, one panel each; default the final training loss and, when
            the trials have one, the test accuracy.

    Returns:
        The matplotlib Figure.

    Raises:
        ImportError: matplotlib is not installed (`pip install "tinygrad_opt[plot]"`).
    """
    from ..lab.plot import _new_figure, _save

    if not rows:
        raise ValueError("no trials to plot")
    if metrics is None:
        metrics = ["final_train_loss"] + (["test_accuracy"] if _default_metric(rows) == "test_accuracy" else [])
    by_metric = {metric: summarize(rows, metric, target) for metric in metrics}
    target_on = "accuracy" if _default_metric(rows) == "test_accuracy" else "loss"  # what the target measures
    workloads = list(dict.fromkeys(s.workload for s in by_metric[metrics[0]]))
    figure = _new_figure((5.2 * len(metrics), 4.2 * len(workloads)))
    axes = figure.subplots(len(workloads), len(metrics), squeeze=False)
    for row_axes, workload in zip(axes, workloads):
        for ax, metric in zip(row_axes, metrics):
            summaries = [s for s in by_metric[metric] if s.workload == workload]
            _draw_metric(ax, summaries, metric, show_target=metric.endswith(target_on))
        if len(workloads) > 1:
            row_axes[0].annotate(workload, (0, 1.02), xycoords="axes fraction", fontsize=10)
    handles, labels = axes[0][-1].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right center", fontsize=9)
    figure.suptitle(title or (workloads[0] if len(workloads) == 1 else "learning-rate sensitivity"))
    return _save(figure, path, dpi=100)


def _diverged_mark():
    """A ✕ twice the size of the points' markers, with a white rim: unlike Adam's small filled ✕,
    and visible on a band or a line."""
    from matplotlib import patheffects

    return dict(linestyle="none", marker="x", markersize=10, markeredgewidth=2.2,
                path_effects=[patheffects.withStroke(linewidth=4, foreground="white")])


def _draw_metric(ax, summaries, metric, show_target):
    name, higher = METRICS[metric]
    diverged_mark = _diverged_mark()
    for index, (s, style) in enumerate(zip(summaries, sensitivity_styles(summaries))):
        color = style.color
        finished = [p for p in s.points if p.values]
        lrs = [p.lr for p in finished]
        means = [p.mean for p in finished]
        ax.plot(lrs, means, color=color, linestyle=style.linestyle, marker=style.marker, markersize=4.5,
                linewidth=1.6, label=s.label)
        low = [p.mean - p.std for p in finished]
        if not higher:  # a loss axis is logarithmic: keep the band's lower edge above zero
            low = [max(value, p.mean / 10) for value, p in zip(low, finished)]
        ax.fill_between(lrs, low, [p.mean + p.std for p in finished], color=color, alpha=0.15, linewidth=0)
        some = [p for p in s.points if p.diverged and p.values]
        ax.plot([p.lr for p in some], [p.mean for p in some], color=color, **diverged_mark)
        every = [p.lr for p in s.points if not p.values]
        if every:  # (an empty unclipped line has no extent and breaks the layout)
            # Stacked by rule near the top edge, so no rule's marks hide another's.
            ax.plot(every, [0.97 - 0.035 * index] * len(every), color=color, transform=ax.get_xaxis_transform(),
                    clip_on=False, **diverged_mark)
    target = summaries[0].target if summaries else None
    if target is not None and show_target:
        ax.axhline(target, color="0.4", linewidth=0.8, linestyle="--", label=f"target {target:g}")
    ax.plot([], [], color="0.3", label="a seed diverged\n(at the top: every seed)", **diverged_mark)
    ax.set_xscale("log")
    if not higher:
        ax.set_yscale("log")
    ax.set_xlabel("learning rate η")
    ax.set_ylabel(f"{name} (mean ± std over seeds)")
    ax.grid(alpha=0.3, which="both" if not higher else "major")
