"""Draw a 2-layer MLP's loss graph: before and after backward, in backward order, step by step.

The model is `Sequential(Linear(4→8), ReLU, Linear(8→3))` on a batch of 6 points with a
cross-entropy loss. Before backward the drawing shows every value; after it, every
parameter's gradient too. The backward drawing numbers the tensors in the order backward
visits them, and the HTML page steps through that order one tensor at a time, showing the
gradient that arrived and the local rule that passes it on.

    python examples/draw_graph.py                  # writes into graph_out/
    python examples/draw_graph.py --out my_dir

Rendering SVG needs Graphviz's `dot` program (apt-get install graphviz / brew install
graphviz); without it only the `.dot` sources are written.
"""
import argparse
import shutil
import sys
from pathlib import Path

import numpy as np

import tinygrad_opt as tg
from tinygrad_opt import nn, viz


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Draw a 2-layer MLP's computation graph.")
    parser.add_argument("--out", default="graph_out", help="folder for the drawings (created if missing)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    extensions = [".dot", ".svg"] if shutil.which("dot") else [".dot"]
    if ".svg" not in extensions:
        print("Graphviz 'dot' is not installed: writing only .dot files "
              "(apt-get install graphviz or brew install graphviz for SVG and the HTML page)",
              file=sys.stderr)
    written = []

    def write(drawing, stem):
        for extension in extensions:
            written.append(viz.save(drawing, out / (stem + extension)))

    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((6, 4)), name="x")
    labels = tg.Tensor(rng.integers(0, 3, size=6), name="labels")
    loss = nn.functional.cross_entropy(model(x), labels)
    loss.name = "loss"

    write(viz.draw_graph(loss, model), "1_forward")
    write(viz.draw_graph(loss, model, collapse=True), "2_forward_by_module")
    if ".svg" in extensions:
        # Before backward: the page replays every local rule, so every step has its gradient.
        written.append(viz.backprop_html(loss, out / "3_backprop.html", model))

    loss.backward()
    write(viz.draw_graph(loss, model), "4_forward_with_grads")
    write(viz.draw_backward(loss, model), "5_backward_order")

    for path in written:
        print(path)


if __name__ == "__main__":
    main()
