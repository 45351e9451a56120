"""`backprop_html`: one self-contained page that steps through backward, one tensor per frame.

Frame k shows the graph (inline SVG drawn once by `dot`) with the k-th tensor backward visits
highlighted, the gradient that arrived there, and the local rule its op applies to pass the
gradient on (the op's docstring) — the chain rule, one application at a time:

    dL/d input  +=  (dL/d output) · (d output / d input)

The page needs no network: the drawings, the style and the script are all inside it.
"""
import inspect
import os
import re

import numpy as np

from .. import autograd
from . import graph as graph_model
from .dot import build_digraph
from .graph import backward_steps, build, replay_backward
from ..files import atomic_write
from .save import render
from .text import array_text, escape, shape_text

# One copy of the drawing per frame: refuse pages that would be absurdly large.
MAX_PAGE_BYTES = 64 * 2**20

KIND_WORDS = {
    graph_model.PARAMETER: "parameter (a leaf that requires grad)",
    graph_model.INPUT: "input (no grad)",
    graph_model.INTERMEDIATE: "intermediate (the output of an op)",
    graph_model.ROOT: "root (backward starts here)",
}

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
nav.controls { position: sticky; top: 0; background: #fff; padding: .5em 0; display: flex;
               gap: .8em; align-items: center; border-bottom: 1px solid #ddd; z-index: 1; }
nav.controls input[type=range] { flex: 1; max-width: 40em; }
section.frame { margin-top: 1em; }
section.frame[hidden] { display: none; }
.figure { overflow: auto; border: 1px solid #eee; }
.figure svg { max-width: 100%; height: auto; }
.panel { display: grid; grid-template-columns: max-content 1fr; gap: .3em 1em; margin-top: 1em; }
.panel dt { font-weight: bold; }
.panel dd { margin: 0; }
pre { margin: 0; white-space: pre-wrap; font-size: 90%; background: #f7f7f7; padding: .3em; }
.gradient { color: #b71c1c; }
g.node.current > polygon, g.node.current > ellipse, g.node.current > path {
    stroke: #d32f2f; stroke-width: 4px; }
g.node.current > polygon, g.node.current > ellipse, g.node.current > path { fill: #ffe082; }
g.node.visited > polygon, g.node.visited > ellipse, g.node.visited > path { stroke: #ef9a9a;
    stroke-width: 2px; }
g.edge.current > path, g.edge.current > polygon { stroke: #d32f2f; stroke-width: 3px; }
"""

SCRIPT = """
(function () {
  var frames = document.querySelectorAll("section.frame");
  var previous = document.getElementById("previous");
  var next = document.getElementById("next");
  var slider = document.getElementById("slider");
  var position = document.getElementById("position");
  var current = 0;
  function show(index) {
    current = Math.max(0, Math.min(frames.length - 1, index));
    for (var i = 0; i < frames.length; i++) { frames[i].hidden = (i !== current); }
    slider.value = String(current + 1);
    position.textContent = "step " + (current + 1) + " of " + frames.length;
    previous.disabled = (current === 0);
    next.disabled = (current === frames.length - 1);
  }
  previous.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(Number(slider.value) - 1); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "ArrowLeft") { show(current - 1); }
    if (event.key === "ArrowRight") { show(current + 1); }
  });
  show(0);
})();
"""


def _clean_svg(svg):
    """The <svg> element alone: no XML prolog, doctype or namespace URLs (HTML needs none)."""
    svg = svg[svg.index("<svg"):]
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)


_GROUP = re.compile(r'<g id="([^"]+)" class="(node|edge)">')


def _frame_svg(svg, step, current, visited):
    """The drawing for one frame: `current` and `visited` ids get CSS classes, and every id
    gets the prefix `s{step}-` so ids stay unique across frames."""
    def mark(match):
        element_id, kind = match.groups()
        state = " current" if element_id in current else " visited" if element_id in visited else ""
        return f'<g id="{element_id}" class="{kind}{state}">'
    svg = _GROUP.sub(mark, svg)
    return svg.replace(' id="', f' id="s{step}-')


def _rule_text(fn):
    return inspect.getdoc(type(fn)) or f"{fn.name}: no rule written down (the Function has no docstring)"


def _gradient_text(array, max_elements):
    return escape(array_text(array, max_elements))


def _panel(node, step, replay, graph, root_name, max_elements):
    """The definition list under the drawing: what arrived, which rule ran, what went out."""
    tensor = node.tensor
    name = escape(node.name)
    rows = [("tensor", f"<code>{name}</code>: {escape(shape_text(tensor.data.shape))} "
                       f"{escape(tensor.data.dtype)}, {KIND_WORDS[node.kind]}"),
            ("value", f"<pre>{escape(array_text(tensor.data, max_elements))}</pre>")]
    incoming = replay.gradients.get(id(tensor))
    label = f"incoming gradient ∂{escape(root_name)}/∂{name}"
    if incoming is not None:
        note = " (backward starts from ones)" if step == 1 and replay.from_ones else ""
        rows.append((label, f'<pre class="gradient">{_gradient_text(incoming, max_elements)}</pre>{note}'))
    elif tensor.grad is not None:
        rows.append((label, f'<pre class="gradient">{_gradient_text(tensor.grad.data, max_elements)}</pre>'
                            f" (read from <code>{name}.grad</code>)"))
    else:
        reason = escape(replay.error or "no gradient reaches this tensor")
        rows.append((label, f"not available: {reason}. Build the page before calling "
                            f"<code>backward()</code>, or call <code>backward(retain_graph=True)</code>."))
    fn = tensor.grad_fn
    if fn is None:
        rows.append(("local rule", f"none: <code>{name}</code> is a leaf, so backward adds the "
                                   f"incoming gradient to <code>{name}.grad</code> and stops here"))
        return rows
    rows.append(("local rule", f"<b>{escape(fn.name)}</b><pre>{escape(_rule_text(fn))}</pre>"))
    sent = replay.sent.get(id(fn))
    items = []
    for i, parent in enumerate(fn.inputs):
        parent_node = graph.node_of(parent)
        text = f"<code>{escape(parent_node.name)}</code> {escape(shape_text(parent.data.shape))}"
        if not parent.requires_grad:
            text += ": nothing (it doesn't require grad)"
        elif sent is not None and sent[i] is not None:
            text += f': <span class="gradient">{_gradient_text(sent[i], max_elements)}</span>'
        items.append(f"<li>{text}</li>")
    rows.append(("sends to", "<ul>" + "".join(items) + "</ul>"))
    return rows


def backprop_html(root, path, params=None, *, gradient=None, max_elements=16, rankdir="LR",
                  group_modules=True, title="Backpropagation, one step at a time"):
    """Write one self-contained HTML page stepping through `root.backward()`; return the path.

    One frame per tensor backward visits, in the engine's order (`draw_backward`'s #1, #2,
    ...), with Previous/Next buttons, a slider and the arrow keys. Each frame shows the graph
    with that tensor highlighted, the gradient that reached it (values when at most
    `max_elements`, else mean/std/min/max), the local rule of the op that made it (from the
    op's docstring) and the gradient sent to each input. Best built before `backward()`:
    the gradients are replayed without touching `.grad`; after a backward that freed the
    graph, only the `.grad` of leaves (and retained tensors) can be shown.

    `params` names tensors as in `draw_graph`; `gradient` is dL/d root (default ones).
    Needs the Graphviz `dot` program to draw the SVG.
    """
    if not (hasattr(root, "data") and hasattr(root, "grad_fn")):
        raise TypeError(f"backprop_html expects a Tensor to start backward from, got {type(root).__name__}")
    if not root.requires_grad:
        raise ValueError("backprop_html: the root doesn't require grad, so backward has nothing "
                         "to visit; build it from tensors with requires_grad=True (and not under no_grad)")
    if gradient is not None:
        gradient = np.asarray(getattr(gradient, "data", gradient), dtype=root.data.dtype)
        if gradient.shape != root.data.shape:
            raise ValueError(f"backprop_html: gradient has shape {gradient.shape} but the root has "
                             f"shape {root.data.shape}")
    with autograd.no_grad():
        graph = build(root, params)
        steps = backward_steps(root)
        drawing = build_digraph(graph, rankdir=rankdir, group_modules=group_modules, steps=steps,
                                name="backprop")
        replay = replay_backward(graph, gradient)
    svg = _clean_svg(render(drawing, "svg", purpose="backprop_html (drawing the graph as SVG)")
                     .decode("utf-8"))
    if len(svg) * len(steps) > MAX_PAGE_BYTES:
        raise ValueError(f"backprop_html: {len(steps)} backward steps with a {len(svg) // 1024} KiB "
                         "drawing each would make a page too large to open; use draw_backward "
                         "for a graph this size, or step through a smaller one")

    ordered = sorted(steps.items(), key=lambda item: item[1])
    nodes = [graph.by_tensor[tensor_id] for tensor_id, _ in ordered]
    op_making = {op.output.id: op for op in graph.ops}
    frames = []
    visited = set()  # nodes of the steps before this one
    for step, node in enumerate(nodes, 1):
        current = {node.id}
        op = op_making.get(node.id)
        if op is not None:
            current |= {op.id, f"g_{op.id}_out"} | {f"g_{op.id}_in{i}" for i in range(len(op.inputs))}
        rows = _panel(node, step, replay, graph, graph.node_of(root).name, max_elements)
        panel = "".join(f"<dt>{key}</dt><dd>{value}</dd>" for key, value in rows)
        frames.append(
            f'<section class="frame" id="frame-{step}" data-step="{step}" data-node="{node.id}">\n'
            f"<h2>Step {step} of {len(nodes)}: <code>{escape(node.name)}</code></h2>\n"
            f'<div class="figure">{_frame_svg(svg, step, current, visited)}</div>\n'
            f'<dl class="panel">{panel}</dl>\n</section>\n')
        visited |= {node.id} | ({op.id} if op is not None else set())

    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n"
        "<p>Backward visits the tensors in reverse topological order. At each step the gradient "
        "that arrived is complete, and the op that made the tensor applies its local rule to "
        "pass it on to its inputs.</p>\n"
        '<nav class="controls">\n'
        '<button id="previous" type="button">◀ Previous</button>\n'
        f'<input id="slider" type="range" min="1" max="{len(nodes)}" value="1" step="1" '
        'aria-label="backward step">\n'
        '<button id="next" type="button">Next ▶</button>\n'
        f'<span id="position">step 1 of {len(nodes)}</span>\n</nav>\n'
        + "".join(frames)
        + f"<script>{SCRIPT}</script>\n</body>\n</html>\n")
    path = os.fspath(path)
    with atomic_write(path) as file:
        file.write(page.encode("utf-8"))
    return path
