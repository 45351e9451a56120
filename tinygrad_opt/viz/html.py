"""`backprop_html`: one self-contained page that steps through backward, one tensor per frame.

The graph is drawn once (inline SVG by `dot`) at its natural size, in a pane that scrolls
and zooms; beside it, each frame writes out the chain rule at the tensor backward reaches:

    what arrived:   ∂L/∂x = 2 (from Mul) + 1 (from Add) = 3          (the sum over x's uses)
    what is sent:   ∂L/∂a = ∂L/∂e · ∂e/∂a = (−2) · (−3) = 6          (one line per input)

with the op's local rule in one line (`Function.rule`). The numbers are the engine's: its
backward walk reports what every op sends (`graph.gradient_flow`), nothing is recomputed.
The page needs no network: the drawing, the style and the script are all inside it.
"""
import inspect
import json
import os
import re

import numpy as np

from .. import autograd
from ..files import atomic_write
from . import graph as graph_model
from .dot import build_digraph
from .graph import backward_steps, build, gradient_flow
from .save import render
from .text import array_text, escape, shape_text

MAX_PAGE_BYTES = 64 * 2**20

KIND_WORDS = {
    graph_model.PARAMETER: "a parameter (a leaf that requires grad)",
    graph_model.INPUT: "an input (no grad)",
    graph_model.INTERMEDIATE: "an intermediate (the output of an op)",
    graph_model.ROOT: "the root (backward starts here)",
}

STYLE = """
html, body { margin: 0; height: 100%; }
body { font: 15px/1.45 system-ui, sans-serif; color: #222; display: flex; flex-direction: column; }
header { padding: .4em 1em 0; }
header h1 { font-size: 1.25em; margin: .2em 0; }
header p { margin: .2em 0 .4em; }
nav.controls { display: flex; gap: .6em; align-items: center; padding: .4em 1em;
               border-bottom: 1px solid #ddd; background: #fafafa; flex-wrap: wrap; }
nav.controls input[type=range] { flex: 1; min-width: 8em; max-width: 30em; }
nav.controls button { font: inherit; padding: .15em .7em; }
#position { font-weight: bold; min-width: 7em; }
.key { display: inline-flex; gap: .8em; align-items: center; font-size: .9em; }
.swatch { display: inline-block; width: 1em; height: 1em; vertical-align: -.15em; border: 2px solid; }
.swatch.current { background: #ffd54f; border-color: #c62828; }
.swatch.visited { background: #c8e6c9; border-color: #2e7d32; }
.swatch.pending { background: #fff; border-color: #9e9e9e; }
main { flex: 1; display: grid; grid-template-columns: minmax(0, 1fr) 27em; min-height: 0; }
#figure { overflow: auto; cursor: grab; border-right: 1px solid #ddd; min-height: 0; }
#figure.dragging { cursor: grabbing; }
#figure svg { display: block; margin: 1em; }
aside { overflow: auto; padding: 0 1em 1em; min-height: 0; }
section.frame[hidden] { display: none; }
section.frame h2 { font-size: 1.1em; margin: .6em 0 .3em; }
section.frame h3 { font-size: 1em; margin: .8em 0 .2em; }
.maths { font-family: "DejaVu Serif", Georgia, serif; font-size: 1.05em; margin: .25em 0; }
.gradient { color: #b71c1c; }
.rule { background: #fff8e1; border-left: 3px solid #ffb300; padding: .2em .5em; }
.note { color: #555; font-size: .92em; }
code { font-size: .95em; }
pre { margin: .2em 0; white-space: pre-wrap; background: #f5f5f5; padding: .3em; font-size: .9em; }
g.node.current > polygon, g.node.current > ellipse, g.node.current > path {
    fill: #ffd54f; stroke: #c62828; stroke-width: 4px; }
g.node.visited > polygon, g.node.visited > ellipse, g.node.visited > path {
    fill: #c8e6c9; stroke: #2e7d32; stroke-width: 2px; }
g.edge.current > path, g.edge.current > polygon { stroke: #c62828; stroke-width: 3px; }
g.edge.current text { fill: #c62828; font-weight: bold; }
g.edge.visited > path, g.edge.visited > polygon { stroke: #2e7d32; }
"""

# One key press moves one frame: the page handles the arrows itself everywhere, and stops the
# slider from also moving on its own when it has the focus.
SCRIPT = """
(function () {
  var frames = document.querySelectorAll("section.frame");
  var steps = JSON.parse(document.getElementById("steps").textContent);
  var svg = document.querySelector("#figure svg");
  var figure = document.getElementById("figure");
  var previous = document.getElementById("previous");
  var next = document.getElementById("next");
  var slider = document.getElementById("slider");
  var position = document.getElementById("position");
  var width = svg.width.baseVal.value, height = svg.height.baseVal.value, zoom = 1;
  var current = 0;
  function setZoom(value) {
    zoom = Math.max(0.25, Math.min(4, value));
    svg.setAttribute("width", width * zoom + "pt");
    svg.setAttribute("height", height * zoom + "pt");
    document.getElementById("zoom-level").textContent = Math.round(zoom * 100) + "%";
  }
  function show(index) {
    current = Math.max(0, Math.min(frames.length - 1, index));
    for (var i = 0; i < frames.length; i++) { frames[i].hidden = (i !== current); }
    var step = current + 1, focus = null;
    Object.keys(steps).forEach(function (id) {
      var element = document.getElementById(id);
      if (!element) { return; }
      element.classList.remove("current", "visited");
      if (steps[id] === step) { element.classList.add("current"); if (/^t/.test(id)) { focus = element; } }
      else if (steps[id] < step) { element.classList.add("visited"); }
    });
    slider.value = String(step);
    position.textContent = "step " + step + " of " + frames.length;
    previous.disabled = (current === 0);
    next.disabled = (current === frames.length - 1);
    if (focus) { focus.scrollIntoView({block: "center", inline: "center"}); }
  }
  previous.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(Number(slider.value) - 1); });
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var moves = {ArrowLeft: -1, ArrowUp: -1, PageUp: -1, ArrowRight: 1, ArrowDown: 1, PageDown: 1};
    if (event.key in moves) { event.preventDefault(); show(current + moves[event.key]); }
    else if (event.key === "Home") { event.preventDefault(); show(0); }
    else if (event.key === "End") { event.preventDefault(); show(frames.length - 1); }
  });
  document.getElementById("zoom-in").addEventListener("click", function () { setZoom(zoom * 1.25); });
  document.getElementById("zoom-out").addEventListener("click", function () { setZoom(zoom / 1.25); });
  document.getElementById("zoom-reset").addEventListener("click", function () { setZoom(1); });
  var drag = null;
  figure.addEventListener("mousedown", function (event) {
    drag = {x: event.clientX, y: event.clientY, left: figure.scrollLeft, top: figure.scrollTop};
    figure.classList.add("dragging");
  });
  window.addEventListener("mousemove", function (event) {
    if (!drag) { return; }
    figure.scrollLeft = drag.left - (event.clientX - drag.x);
    figure.scrollTop = drag.top - (event.clientY - drag.y);
  });
  window.addEventListener("mouseup", function () { drag = null; figure.classList.remove("dragging"); });
  setZoom(1);
  show(0);
})();
"""


def _clean_svg(svg):
    """The <svg> element alone: no XML prolog, doctype or namespace URLs (HTML needs none)."""
    svg = svg[svg.index("<svg"):]
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)


def rule_of(fn):
    """The op's local derivative in one line: its `rule`, else its docstring's first line."""
    rule = getattr(type(fn), "rule", None)
    if rule:
        return rule
    doc = inspect.getdoc(type(fn))
    return doc.split("\n")[0] if doc else f"{fn.name}: no rule written down"


def _numbers(array, max_elements):
    """An array as the page writes it: the values, in parentheses when negative or several."""
    text = array_text(array, max_elements)
    if array.size == 1 and not text.startswith("-"):
        return text
    return f"({text})" if array.size == 1 else text


def _local_derivative(sent, incoming):
    """sent / incoming where that is the op's local derivative: an elementwise op (same shape
    in and out) and an incoming gradient with no zero. None otherwise (a matrix product,
    a sum, a broadcast input: the rule line says what happens there)."""
    if sent.shape != incoming.shape or not np.all(incoming != 0):
        return None
    with np.errstate(all="ignore"):
        return sent / incoming


def _arrived(node, flow, root_name, step, max_elements):
    """What arrived at this tensor, and where a tensor has several uses, the sum of their shares."""
    name = escape(node.name)
    symbol = f"∂{escape(root_name)}/∂{name}"
    gradient = flow.gradients.get(id(node.tensor))
    if step == 1:
        start = "ones" if flow.from_ones else "the gradient passed to backward"
        return (f'<p class="maths">{symbol} = <span class="gradient">{escape(_numbers(gradient, max_elements))}'
                f"</span></p><p class=\"note\">Backward starts here, from {start}.</p>")
    shares = flow.contributions(node)
    if len(shares) > 1:
        parts = " + ".join(escape(_numbers(share, max_elements)) for _, share in shares)
        uses = "".join(f"<li>from <b>{escape(op.fn.name)}</b> (making <code>{escape(op.output.name)}</code>): "
                       f'<span class="gradient">{escape(array_text(share, max_elements))}</span></li>'
                       for op, share in shares)
        return (f"<p><code>{name}</code> is used {len(shares)} times, so its gradient is the sum of what "
                f"each use sent back:</p><ul>{uses}</ul>"
                f'<p class="maths">{symbol} = {parts} = <span class="gradient">'
                f"{escape(_numbers(gradient, max_elements))}</span></p>")
    source = f" (from <b>{escape(shares[0][0].fn.name)}</b>)" if shares else ""
    return (f'<p class="maths">{symbol} = <span class="gradient">{escape(_numbers(gradient, max_elements))}'
            f"</span>{source}</p>")


def _sent(op, graph, flow, root_name, max_elements):
    """The chain rule for each input of the op: incoming × local derivative = what is sent."""
    out = escape(op.output.name)
    incoming = flow.gradients.get(id(op.output.tensor))
    sent = flow.sent.get(id(op.fn)) or [None] * len(op.inputs)
    lines = []
    for parent, grad in zip(op.inputs, sent):
        name = escape(parent.name)
        symbol = f"∂{escape(root_name)}/∂{name}"
        if not parent.tensor.requires_grad:
            lines.append(f"<li><code>{name}</code>: nothing (it doesn't require grad)</li>")
            continue
        if grad is None:
            lines.append(f"<li><code>{name}</code>: nothing (the op has no gradient for it)</li>")
            continue
        chain = f"{symbol} = ∂{escape(root_name)}/∂{out} · ∂{out}/∂{name}"
        local = _local_derivative(grad, incoming)
        if local is not None and grad.size <= max_elements:
            numbers = (f" = {escape(_numbers(incoming, max_elements))} · {escape(_numbers(local, max_elements))}"
                       f' = <span class="gradient">{escape(_numbers(grad, max_elements))}</span>')
        else:
            numbers = f' = <span class="gradient">{escape(array_text(grad, max_elements))}</span>'
        lines.append(f'<li class="maths">{chain}{numbers}</li>')
    return "<ul>" + "".join(lines) + "</ul>"


def _frame(step, count, node, op, graph, flow, root_name, max_elements):
    tensor = node.tensor
    name = escape(node.name)
    parts = [f"<h2>Step {step} of {count}: <code>{name}</code></h2>",
             f'<p class="note"><code>{name}</code> {escape(shape_text(tensor.data.shape))} '
             f"{escape(tensor.data.dtype)}, {KIND_WORDS[node.kind]}; value "
             f"<code>{escape(array_text(tensor.data, max_elements))}</code></p>",
             "<h3>What arrived</h3>", _arrived(node, flow, root_name, step, max_elements)]
    if op is None:
        parts.append(f"<p><code>{name}</code> is a leaf: backward adds this to <code>{name}.grad</code> "
                     "and goes no further along this path.</p>")
    else:
        setting = f" ({op.fn.describe()})" if op.fn.describe() else ""
        parts += [f"<h3>The op that made it: {escape(op.fn.name + setting)}</h3>",
                  f'<p class="rule">{escape(rule_of(op.fn))}</p>',
                  "<h3>What it sends back</h3>",
                  '<p class="note">incoming gradient × local derivative = what each input receives</p>',
                  _sent(op, graph, flow, root_name, max_elements)]
    return (f'<section class="frame" id="frame-{step}" data-step="{step}" data-node="{node.id}" hidden>\n'
            + "\n".join(parts) + "\n</section>\n")


def backprop_html(root, path, params=None, *, gradient=None, max_elements=16, rankdir="LR",
                  group_modules=True, title="Backpropagation, one step at a time"):
    """Write one self-contained HTML page stepping through `root.backward()`; return the path.

    One frame per tensor backward visits, in the engine's order (`draw_backward`'s #1, #2,
    ...), with Previous/Next buttons, a slider and the arrow keys (one press, one frame). The
    graph is drawn once at its natural size (text as large as in the SVG) in a pane that
    scrolls, drags and zooms; the current node is outlined in red, the ones done in green.
    Beside it each frame writes out the chain rule with its numbers: the gradient that arrived
    (per use and their sum where a tensor feeds several ops), the op's local rule in one line
    (`Function.rule`), and for each input incoming × local derivative = what it receives.

    The gradients come from the engine's own backward walk, which writes no `.grad` and frees
    nothing: build the page before `backward()`, or after `backward(retain_graph=True)`.
    `params` names tensors as in `draw_graph`; `gradient` is dL/d root (default ones).
    Needs the Graphviz `dot` program to draw the SVG.

    Raises:
        TypeError: `root` is not a Tensor. ValueError: it doesn't require grad, or `gradient`
        has the wrong shape. RuntimeError: backward can't run any more (the graph was freed).
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
        flow = gradient_flow(graph, gradient)
        if flow.error:
            raise RuntimeError("backprop_html runs backward to show its numbers, which needs the values "
                               "the ops saved: build the page before calling backward(), or call "
                               f"backward(retain_graph=True). The engine said: {flow.error}")
        drawing = build_digraph(graph, rankdir=rankdir, group_modules=group_modules, steps=steps,
                                flow=flow, legend=False, name="backprop")
    svg = _clean_svg(render(drawing, "svg", purpose="backprop_html (drawing the graph as SVG)")
                     .decode("utf-8"))

    ordered = sorted(steps.items(), key=lambda item: item[1])
    nodes = [graph.by_tensor[tensor_id] for tensor_id, _ in ordered]
    op_making = {op.output.id: op for op in graph.ops}
    root_name = graph.node_of(root).name
    lights = {}   # SVG element id -> the step at which it is current (visited after)
    frames = []
    for step, node in enumerate(nodes, 1):
        op = op_making.get(node.id)
        lights[node.id] = step
        if op is not None:
            lights[op.id] = step
            lights[f"g_{op.id}_out"] = step
            lights.update({f"g_{op.id}_in{i}": step for i, parent in enumerate(op.inputs)
                           if parent.tensor.requires_grad})
        frames.append(_frame(step, len(nodes), node, op, graph, flow, root_name, max_elements))

    key = ('<span class="key"><span><span class="swatch current"></span> now</span>'
           '<span><span class="swatch visited"></span> done</span>'
           '<span><span class="swatch pending"></span> still to come</span>'
           '<span class="gradient">- - ▸ gradient</span></span>')
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<header><h1>{escape(title)}</h1>\n"
        "<p>Backward visits the tensors from the loss back to the inputs. When it reaches one, every "
        "use of it has sent its share, so its gradient is complete; the op that made it then "
        "multiplies that gradient by its local derivative and sends the result to its inputs.</p></header>\n"
        '<nav class="controls">\n'
        '<button id="previous" type="button">◀ Previous</button>\n'
        f'<input id="slider" type="range" min="1" max="{len(nodes)}" value="1" step="1" '
        'aria-label="backward step">\n'
        '<button id="next" type="button">Next ▶</button>\n'
        f'<span id="position">step 1 of {len(nodes)}</span>\n'
        '<button id="zoom-out" type="button" aria-label="zoom out">−</button>'
        '<span id="zoom-level">100%</span>'
        '<button id="zoom-in" type="button" aria-label="zoom in">+</button>'
        '<button id="zoom-reset" type="button">100%</button>\n'
        f"{key}\n</nav>\n"
        f'<main><div id="figure">{svg}</div>\n<aside>\n' + "".join(frames) + "</aside></main>\n"
        f'<script type="application/json" id="steps">{json.dumps(lights)}</script>\n'
        f"<script>{SCRIPT}</script>\n</body>\n</html>\n")
    if len(page) > MAX_PAGE_BYTES:
        raise ValueError(f"backprop_html: the page would be {len(page) // 2**20} MiB, too large to open; "
                         "use draw_backward for a graph this size, or step through a smaller one")
    path = os.fspath(path)
    with atomic_write(path) as file:
        file.write(page.encode("utf-8"))
    return path
