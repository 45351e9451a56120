"""Regenerate every figure of the docs, and the generated parts of its pages, from the project's code.

    python docs/make_figures.py                  # everything (the compare job takes the longest)
    python docs/make_figures.py graphs sparse    # only some groups: see GROUPS below

What it writes, all into `docs/figures/` (committed, so the docs build needs none of this):

- `graphs`: the drawings of `tinygrad_opt.viz` (SVG, rendered by Graphviz's `dot`) — a tiny
  expression with values and gradients, the same in backward order, a 2-layer MLP with its
  module clusters (also collapsed, and in backward order) — and the expression's
  step-through page `backprop.html`;
- `trajectories`: `tinygrad_opt.lab` paths of every rule on Beale's function, the saddle and
  Rosenbrock's valley (one picture with the notes' five rules per surface, one per rule and
  surface, every rule in its own colour of `lab.styles`) and an animated GIF of the five
  rules on Beale;
- `rolling`: SGD stopping in the local minimum of x⁴ − 4x² + x where Momentum rolls through;
- `sparse`: the notes' sparse-features demo (`plot_rare_weight`);
- `step_sizes`: `inspect_step` histograms of one step of each rule on a digits MLP;
- `compare`: runs `tinygrad-opt compare` with its defaults and keeps its `comparison.png`,
  its `histories.json` as `compare_histories.json` (wall-clock times removed), the results
  table in `comparison.md` and what it printed in `getting-started.md`;
- `curvature`: `tinygrad_opt.lab.plot_curvature` — the bowl's 2/λmax and Momentum's √κ,
  Newton's method beside the five rules on the saddle and on Beale, and the digits MLP's
  sharpness during gradient descent (about a minute: power iterations over training);
- `sweep`: runs `tinygrad-opt sweep` over the five rules, 9 learning rates and 5 seeds on the
  digits (the longest group by far) and keeps its sensitivity plot and table in `sweeps.md`;
- `tables`: the table of ops and local derivatives in `autograd.md`, read from the ops'
  docstrings.

Generated parts of a page sit between `<!-- generated: NAME -->` and `<!-- end: NAME -->`;
`tests/test_docs.py` checks they are what this script would write now. Everything is
deterministic (fixed seeds; PNGs are palette-quantized with every rule's colour kept exactly
as a palette entry, with no timestamps) so re-running
changes a file only when the code's results change — except the seconds in the printed
output of `tinygrad-opt compare`, which are the machine's.
"""
import argparse
import inspect
import io
import json
import re
import sys
from pathlib import Path

import numpy as np

DOCS = Path(__file__).resolve().parent
FIGURES = DOCS / "figures"
TRAJECTORY_SURFACES = ("beale", "saddle", "rosenbrock")
TRAJECTORY_STEPS = 300


# Rules that are a registered rule with one option rather than a class of their own, but have a
# page of their own and so their own figures: name → (the registered rule, its options).
VARIANTS = {"amsgrad": ("adam", {"amsgrad": True})}


def figure_rules():
    """Every rule that gets its own figures: the notes' five, then each other rule of the
    optim registry, and each of `VARIANTS`, that has a page of its own
    (docs/optimizers/NAME.md) to show them."""
    from tinygrad_opt.optim import registry

    return registry.NOTES_RULES + tuple(
        name for name in (*registry.names(), *VARIANTS)
        if name not in registry.NOTES_RULES and (DOCS / "optimizers" / f"{name}.md").exists())


def figure_optimizers(surface):
    """`figure_rules()` as `lab.trajectories` takes them: a registered rule by its name, a
    variant as a (name, factory) pair with its rule's learning rate on `surface` and the
    notes' values, so AMSGrad runs exactly as Adam does but for `amsgrad=True`."""
    from tinygrad_opt.lab.rules import DEFAULT_LRS
    from tinygrad_opt.optim import registry

    def variant(name):
        base, options = VARIANTS[name]
        rule, lr = registry.RULES[base], surface.lrs.get(base, DEFAULT_LRS[base])
        return name, lambda params: rule.cls(params, lr=lr, **rule.notes, **options)

    return [variant(name) if name in VARIANTS else name for name in figure_rules()]


# ----------------------------------------------------------------------------- writing files
def save_png(figure, path, dpi=80, colors=64):
    """Save a matplotlib figure as a small palette PNG (no metadata, so the bytes are stable).
    Every rule's colour is a palette entry of its own, so quantizing never merges two rules."""
    from PIL import Image

    from tinygrad_opt.lab.plot import quantize_together

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    image, = quantize_together([Image.open(buffer)], colors=colors)
    image.save(path, format="PNG", optimize=True)
    return path


def replace_generated(page, name, text):
    """Put `text` between the page's `<!-- generated: name -->` and `<!-- end: name -->` lines."""
    path = DOCS / page
    source = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"(<!-- generated: {re.escape(name)} -->\n).*?(<!-- end: {re.escape(name)} -->)",
                         re.DOTALL)
    if not pattern.search(source):
        raise SystemExit(f"{page} has no '<!-- generated: {name} -->' ... '<!-- end: {name} -->' block")
    updated = pattern.sub(lambda m: m.group(1) + text.rstrip("\n") + "\n" + m.group(2), source)
    if updated != source:
        path.write_text(updated, encoding="utf-8")
    return path


def generated_block(source, name):
    """The text of a page's generated block `name` (None when the page has none)."""
    match = re.search(rf"<!-- generated: {re.escape(name)} -->\n(.*?)<!-- end: {re.escape(name)} -->",
                      source, re.DOTALL)
    return None if match is None else match.group(1)


# ----------------------------------------------------------------------------- tables
OP_TABLE_OPS = (
    "Add", "Sub", "Mul", "Div", "AddScalar", "SubScalar", "MulScalar", "DivScalar", "Neg", "PowScalar", "Pow",
    "MatMul", "Linear",
    "Exp", "Log", "Sqrt", "Abs", "Tanh", "Sigmoid", "ReLU", "LeakyReLU", "GELU", "Clip",
    "Maximum", "Minimum", "Where", "Clone", "Cast",
    "Sum", "Mean", "Max", "Min", "LogSumExp", "LogSoftmax", "Softmax",
    "Reshape", "Permute", "Expand", "GetItem", "Cat", "Stack",
    "MSE", "L1",
)


def op_table_markdown():
    """One row per op: its name, its file and the rule from its docstring."""
    from tinygrad_opt import ops

    rows = ["| op | file | forward;  local derivative (from the op's docstring) |", "|---|---|---|"]
    for name in OP_TABLE_OPS:
        cls = getattr(ops, name)
        path = cls.__module__.replace(".", "/").removeprefix("tinygrad_opt/") + ".py"
        rule = " ".join(_docstring_rule(cls).split())
        rows.append(f"| `{cls.__name__}` | `{path}` | {markdown_cell(rule)} |")
    return "\n".join(rows) + "\n"


def _docstring_rule(cls):
    """The docstring's first paragraph, and the first paragraph with a derivative if that one has none."""
    paragraphs = inspect.getdoc(cls).split("\n\n")
    rule = paragraphs[0]
    if not any(mark in rule for mark in ("∂", "f'", "gradient")):
        rule += " " + next((p for p in paragraphs[1:] if "∂" in p), "")
    return rule


def markdown_cell(text):
    """Text for a Markdown table cell: pipes escaped; outside `code`, asterisks and underscores
    kept literal (not emphasis)."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):  # the even parts are outside code spans
        parts[i] = parts[i].replace("*", "\\*").replace("_", "\\_")
    return "`".join(parts).replace("|", "\\|")


def compare_table_markdown(document):
    """The `tinygrad-opt compare` table (as `format_table` prints it, minus the timings) in Markdown."""
    config = document.get("config", {})
    rows = ["| optimizer | lr | final train loss | test accuracy | epochs |", "|---|---:|---:|---:|---:|"]
    for name, result in document["results"].items():
        flag = " (diverged)" if result.get("diverged") else ""
        rows.append(f"| {name}{flag} | {result['lr']:g} | {result['final_train_loss']:.4f} | "
                    f"{result['test_accuracy']:.4f} | {result['epochs']} |")
    hidden = " → ".join(str(size) for size in config.get("hidden", ()))
    caption = (f"*{config.get('dataset', '?')}: MLP {config.get('n_features', '?')} → {hidden} → "
               f"{config.get('n_classes', '?')}, batch size {config.get('batch_size', '?')}, "
               f"{config.get('epochs', '?')} epochs, seed {config.get('seed', '?')}; "
               f"the same initial weights and batches for every rule.*")
    return "\n".join(rows) + "\n\n" + caption + "\n"


def make_tables():
    replace_generated("autograd.md", "op-table", op_table_markdown())
    histories = FIGURES / "compare_histories.json"
    if histories.exists():
        document = json.loads(histories.read_text(encoding="utf-8"))
        replace_generated("comparison.md", "compare-table", compare_table_markdown(document))
    return [DOCS / "autograd.md", DOCS / "comparison.md"]


# ----------------------------------------------------------------------------- graphs (viz)
def expression():
    """L = (a·b + c)·f with a = 2, b = −3, c = 10, f = −2 (backward not run yet)."""
    import tinygrad_opt as tg

    a = tg.Tensor(2.0, requires_grad=True, name="a")
    b = tg.Tensor(-3.0, requires_grad=True, name="b")
    c = tg.Tensor(10.0, requires_grad=True, name="c")
    f = tg.Tensor(-2.0, requires_grad=True, name="f")
    e = a * b
    e.name = "e"
    d = e + c
    d.name = "d"
    L = d * f
    L.name = "L"
    return L


def small_mlp():
    """Sequential(Linear(4→8), ReLU, Linear(8→3)) on 6 points with a cross-entropy loss."""
    import tinygrad_opt as tg
    from tinygrad_opt import nn

    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((6, 4)), name="x")
    labels = tg.Tensor(rng.integers(0, 3, size=6), name="labels")
    loss = nn.functional.cross_entropy(model(x), labels)
    loss.name = "loss"
    return model, loss


def make_graphs():
    from tinygrad_opt import viz

    written = []
    # Everything is drawn before backward: the drawings and the page run the engine's backward
    # walk themselves (grads="all"), so every tensor shows its gradient and no .grad is written.
    L = expression()
    written.append(viz.backprop_html(L, FIGURES / "backprop.html"))
    written.append(viz.save(viz.draw_graph(L, grads="all"), FIGURES / "expr_graph.svg"))
    written.append(viz.save(viz.draw_backward(L), FIGURES / "expr_backward.svg"))

    model, loss = small_mlp()
    written.append(viz.save(viz.draw_graph(loss, model, show_grads=False, legend=True), FIGURES / "mlp_graph.svg"))
    written.append(viz.save(viz.draw_graph(loss, model, grads="all"), FIGURES / "mlp_graph_grads.svg"))
    written.append(viz.save(viz.draw_graph(loss, model, collapse=True), FIGURES / "mlp_collapsed.svg"))
    written.append(viz.save(viz.draw_backward(loss, model), FIGURES / "mlp_backward.svg"))
    return written


# ----------------------------------------------------------------------------- the optimizer lab
def make_trajectories():
    from tinygrad_opt.lab import animate_trajectories, make_surface, plot_trajectories, trajectories
    from tinygrad_opt.optim.registry import NOTES_RULES

    written = []
    rules = figure_rules()
    for name in TRAJECTORY_SURFACES:
        surface = make_surface(name)
        result = trajectories(surface, figure_optimizers(surface), steps=TRAJECTORY_STEPS)
        notes = {rule: result[rule] for rule in NOTES_RULES}
        figure = plot_trajectories(notes, surface, figsize=(7, 6.8))
        written.append(save_png(figure, FIGURES / f"{name}_all.png", dpi=80))
        for rule in rules:
            figure = plot_trajectories({rule: result[rule]}, surface, figsize=(5.2, 5.2), levels=20,
                                       title=f"{rule} on {name}: {TRAJECTORY_STEPS} steps")
            written.append(save_png(figure, FIGURES / f"{name}_{rule}.png", dpi=72, colors=32))
        if name == "beale":
            written.append(animate_trajectories(notes, surface, FIGURES / "beale.gif", fps=6, max_frames=24,
                                                resolution=100))
    return written


def rolling_runs(steps=200, lr=0.01, start=2.5):
    """SGD and Momentum on f(x) = x⁴ − 4x² + x from x = 2.5: the positions x_0 … x_steps of each."""
    import tinygrad_opt as tg
    from tinygrad_opt import optim

    runs = {}
    for label, make in (("SGD", lambda p: optim.SGD(p, lr=lr)),
                        ("Momentum", lambda p: optim.Momentum(p, lr=lr, momentum=0.9))):
        x = tg.Tensor([start], requires_grad=True, dtype=np.float64)
        optimizer = make([x])
        path = [start]
        for _ in range(steps):
            optimizer.zero_grad()
            (x ** 4 - 4 * x ** 2 + x).sum().backward()
            optimizer.step()
            path.append(float(x.data[0]))
        runs[label] = np.array(path)
    return runs


def make_rolling():
    """Momentum rolls through the shallow minimum of x⁴ − 4x² + x where SGD stops."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from tinygrad_opt.lab.styles import rule_style

    runs = rolling_runs()
    figure = Figure(figsize=(8, 3.4), layout="constrained")
    FigureCanvasAgg(figure)
    curve_ax, steps_ax = figure.subplots(1, 2)
    grid = np.linspace(-2.2, 2.6, 400)
    curve_ax.plot(grid, grid ** 4 - 4 * grid ** 2 + grid, color="black", linewidth=1)
    for label, path in runs.items():
        style = rule_style(label)
        shown = path[:60]
        curve_ax.plot(shown, shown ** 4 - 4 * shown ** 2 + shown, style.marker, color=style.color, markersize=4,
                      alpha=0.7, label=f"{label}: ends at x = {path[-1]:.2f}")
        steps_ax.plot(path, color=style.color, linestyle=style.linestyle, label=label)
    curve_ax.set(xlabel="x", ylabel="f(x)", ylim=(-6.5, 14), title="f(x) = x⁴ − 4x² + x, first 60 steps")
    curve_ax.legend(fontsize="small", loc="upper center")
    steps_ax.axhline(1.347, color="gray", linestyle=":", linewidth=1, label="local minimum")
    steps_ax.axhline(-1.473, color="gray", linestyle="--", linewidth=1, label="global minimum")
    steps_ax.set(xlabel="step t", ylabel="x", title="position x_t")
    steps_ax.legend(fontsize="small")
    return [save_png(figure, FIGURES / "rolling.png", dpi=80, colors=32)]


def make_sparse():
    from tinygrad_opt.lab import plot_rare_weight, sparse_features_demo

    demo = sparse_features_demo(("sgd", "momentum", "adagrad", "rmsprop", "adam"), steps=30)
    figure = plot_rare_weight(demo, figsize=(9, 3.8))
    return [save_png(figure, FIGURES / "sparse.png", dpi=80)]


RARE_PIXEL_FRACTION = 0.1


def make_step_sizes():
    """One step of each rule on a digits MLP after 20 steps: the effective per-element step sizes."""
    import tinygrad_opt as tg
    from tinygrad_opt import nn
    from tinygrad_opt.data import DataLoader, load_digits, standardize
    from tinygrad_opt.lab import inspect_step, plot_step_sizes
    from tinygrad_opt.optim import registry

    X, y = load_digits()
    # A first-layer weight W1[i, j] sees pixel j; rare: the pixel is non-zero in under 10% of
    # the images (3 of them never are). Elements in step_sizes() order: W1, b1, W2, b2.
    rare_pixel = (X != 0).mean(axis=0) < RARE_PIXEL_FRACTION
    rare = np.concatenate([np.broadcast_to(rare_pixel, (32, 64)).ravel(), np.zeros(32 + 10 * 32 + 10, bool)])
    X, _ = standardize(X)
    reports = {}
    for rule in (registry.RULES[name] for name in registry.NOTES_RULES):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
        optimizer = rule.cls(model.parameters(), lr=rule.mlp_lr)
        label = rule.cls.__name__
        loss_fn = nn.CrossEntropyLoss()
        for step, (xb, yb) in enumerate(DataLoader(X, y, batch_size=32, shuffle=True, seed=0)):
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            if step == 20:
                with inspect_step(optimizer) as report:
                    optimizer.step()
                reports[label] = report
                break
            optimizer.step()
    figure = plot_step_sizes(reports, rare=rare, title="effective step sizes of step 21 (digits MLP, 64→32→10)")
    return [save_png(figure, FIGURES / "step_sizes.png", dpi=72, colors=48)]


# ----------------------------------------------------------------------------- tinygrad-opt compare
def make_compare():
    """Run `tinygrad-opt compare` with its defaults (the digits); keep its plot, histories and output."""
    import contextlib
    import tempfile

    from PIL import Image

    from tinygrad_opt import cli
    from tinygrad_opt.lab.plot import quantize_together

    with tempfile.TemporaryDirectory() as out:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            status = cli.main(["compare", "--out", out])
        if status:
            raise SystemExit(f"tinygrad-opt compare failed with exit status {status}")
        document = json.loads((Path(out) / "histories.json").read_text(encoding="utf-8"))
        with Image.open(Path(out) / "comparison.png") as image:
            plot, = quantize_together([image], colors=64)   # every rule's colour kept exactly
    print(printed.getvalue(), end="")

    for result in document["results"].values():   # wall-clock times change on every run
        result.pop("seconds", None)
        result["history"].pop("time", None)
    histories = FIGURES / "compare_histories.json"
    histories.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    png = FIGURES / "comparison.png"
    plot.save(png, format="PNG", optimize=True)

    replace_generated("comparison.md", "compare-table", compare_table_markdown(document))
    replace_generated("getting-started.md", "compare-output",
                      "```text\n$ tinygrad-opt compare\n" + printed.getvalue().replace(out, "compare_out")
                      + "```\n")
    return [histories, png]


def make_curvature():
    from tinygrad_opt.lab.plot_curvature import plot_bowl_curvature, plot_newton, plot_sharpness

    written = [save_png(plot_bowl_curvature(kappa=10.0), FIGURES / "curvature_bowl.png", dpi=72, colors=48)]
    # On the saddle, from off the ridge, so Newton's straight jump to (0, 0) has a line of its own.
    for name, start in (("saddle", (-1.5, 0.5)), ("beale", None)):
        figure, _ = plot_newton(name, start=start)
        written.append(save_png(figure, FIGURES / f"newton_{name}.png", dpi=72, colors=128))
    written.append(save_png(plot_sharpness(), FIGURES / "sharpness.png", dpi=72, colors=48))
    return written


# ----------------------------------------------------------------------------- tinygrad-opt sweep
SWEEP_ARGUMENTS = ["--lrs", "1e-4:1:9", "--seeds", "5"]   # the digits MLP of compare, every rule


def make_sweep():
    """Run `tinygrad-opt sweep` on the digits (5 rules × 9 η × 5 seeds: 225 trainings, about 15
    minutes on 2 cores); keep its sensitivity plot and its table. The database goes to
    $SWEEP_DB (default: a temporary file), so an interrupted run can be finished by running
    this group again with the same $SWEEP_DB."""
    import contextlib
    import os
    import tempfile

    from PIL import Image

    from tinygrad_opt import cli
    from tinygrad_opt.lab.plot import quantize_together

    with tempfile.TemporaryDirectory() as scratch:
        db = os.environ.get("SWEEP_DB") or str(Path(scratch) / "sweep.sqlite")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            status = cli.main(["sweep", *SWEEP_ARGUMENTS, "--db", db, "--out", scratch])
        if status:
            raise SystemExit(f"tinygrad-opt sweep failed with exit status {status}")
        with Image.open(Path(scratch) / "sensitivity.png") as image:
            plot, = quantize_together([image], colors=64)   # every rule's colour kept exactly
    output = printed.getvalue()
    print(output, end="")
    png = FIGURES / "sweep_sensitivity.png"
    plot.save(png, format="PNG", optimize=True)
    lines = output.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("digits MLP") and " seeds, " in line)
    table = "\n".join(lines[first:next(i for i, line in enumerate(lines) if line.startswith("wrote "))])
    replace_generated("sweeps.md", "sweep-table",
                      f"```text\n$ tinygrad-opt sweep {' '.join(SWEEP_ARGUMENTS)}\n...\n{table}\n```\n")
    return [png]


GROUPS = {
    "graphs": make_graphs,
    "trajectories": make_trajectories,
    "rolling": make_rolling,
    "sparse": make_sparse,
    "step_sizes": make_step_sizes,
    "compare": make_compare,
    "curvature": make_curvature,
    "sweep": make_sweep,
    "tables": make_tables,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Regenerate the docs' figures into docs/figures/.")
    parser.add_argument("groups", nargs="*", metavar="GROUP",
                        help=f"which to make (default: all): {', '.join(GROUPS)}")
    args = parser.parse_args(argv)
    unknown = [name for name in args.groups if name not in GROUPS]
    if unknown:
        parser.error(f"unknown group {', '.join(unknown)}: choose from {', '.join(GROUPS)}")
    FIGURES.mkdir(exist_ok=True)
    for name in args.groups or GROUPS:
        print(f"[{name}]", flush=True)
        for path in GROUPS[name]():
            path = Path(path)
            print(f"  {path.relative_to(DOCS)}  {path.stat().st_size / 1024:.1f} KB")


if __name__ == "__main__":
    sys.exit(main())
