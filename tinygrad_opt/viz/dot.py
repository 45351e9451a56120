"""Turn a `Graph` into a `graphviz.Digraph`: labels, styles, the legend and module clusters.

Every tensor is a box (its name, shape, dtype, values or summary, and `.grad` once backward
has run) and every op an ellipse (its name); edges follow the data: input → op → output.
The four kinds of tensor differ in fill *and* border, so the drawing reads in grey too:

    parameter     blue, rounded
    input         grey, dashed
    intermediate  white
    root          green, double border

The backward drawing adds a step number `#k` to every tensor backward visits and a dashed red
edge for every gradient, pointing the way the gradient flows (output → op → input), labelled
with the gradient itself when it is small (at most `EDGE_VALUES` numbers), else its shape.
"""
import graphviz

from . import graph as graph_model
from .text import array_text, escape, shape_text

TENSOR_STYLES = {
    graph_model.PARAMETER: dict(shape="box", style="rounded,filled", fillcolor="#cfe2ff"),
    graph_model.INPUT: dict(shape="box", style="dashed,filled", fillcolor="#eeeeee"),
    graph_model.INTERMEDIATE: dict(shape="box", style="filled", fillcolor="#ffffff"),
    graph_model.ROOT: dict(shape="box", style="filled", fillcolor="#c8f0c8", peripheries="2"),
}
OP_STYLE = dict(shape="ellipse", style="filled", fillcolor="#fff3c4")
MODULE_STYLE = dict(shape="box3d", style="filled", fillcolor="#e8dcff")
GRADIENT_COLOR = "#d32f2f"
GRAD_FONT = f'<FONT POINT-SIZE="10" COLOR="{GRADIENT_COLOR}">'
SMALL_FONT = '<FONT POINT-SIZE="10">'

EDGE_VALUES = 4          # gradient edges show the values of gradients up to this many elements
LEGEND_FROM = 13         # the legend is drawn by default from this many nodes on

LEGEND = [
    (graph_model.PARAMETER, "parameter (leaf, requires grad)"),
    (graph_model.INPUT, "input / constant (no grad)"),
    (graph_model.INTERMEDIATE, "intermediate (op output)"),
    (graph_model.ROOT, "root (drawn from here)"),
]


def _gradient_of(node, flow):
    """The gradient a node shows: the flow's when there is one, else the tensor's `.grad`."""
    if flow is not None:
        return flow.gradients.get(id(node.tensor))
    return None if node.tensor.grad is None else node.tensor.grad.data


def tensor_label(node, *, show_values, show_grads, max_elements, step=None, flow=None):
    """HTML-like label: name, shape and dtype, then values and gradient when asked for."""
    tensor = node.tensor
    title = f"<B>{escape(node.name)}</B>"
    if step is not None:
        title = f"<B>#{step}</B>  " + title
    lines = [title, f"{escape(shape_text(tensor.data.shape))} {escape(tensor.data.dtype)}"]
    if show_values:
        lines.append(SMALL_FONT + escape(array_text(tensor.data, max_elements)) + "</FONT>")
    gradient = _gradient_of(node, flow) if show_grads else None
    if gradient is not None:
        lines.append(GRAD_FONT + "grad " + escape(array_text(gradient, max_elements)) + "</FONT>")
    return "<" + "<BR/>".join(lines) + ">"


def op_label(op, step=None):
    label = f"<B>{escape(op.fn.name)}</B>"
    if op.fn.describe():
        label += f"<BR/>{escape(op.fn.describe())}"
    if step is not None:
        label += f"<BR/>{GRAD_FONT}backward at #{step}</FONT>"
    return "<" + label + ">"


def module_label(title, hidden_tensors, hidden_ops):
    """A collapsed module call: its title, the parameters inside and the ops it ran."""
    lines = [f"<B>{escape(title)}</B>"]
    for node in hidden_tensors:
        if node.kind == graph_model.PARAMETER:
            lines.append(SMALL_FONT + escape(f"{node.name} {shape_text(node.tensor.data.shape)}") + "</FONT>")
    op_names = list(dict.fromkeys(op.fn.name for op in hidden_ops))
    if op_names:
        shown = ", ".join(op_names[:4]) + (", ..." if len(op_names) > 4 else "")
        lines.append(SMALL_FONT + escape(shown) + "</FONT>")
    return "<" + "<BR/>".join(lines) + ">"


def _collapsed_scopes(graph, collapse):
    """Keys of the module calls drawn as one node: the innermost ones (True) or those at depth n."""
    if not collapse:
        return set()
    keys = set(graph.scopes)
    if collapse is True:
        parents = {key[:-1] for key in keys}
        return {key for key in keys if key not in parents}
    depth = int(collapse)
    if depth < 1:
        raise ValueError(f"collapse must be True, False or a depth >= 1, got {collapse!r}")
    return {key for key in keys if len(key) == depth}


def _owner(scope, collapsed):
    """The collapsed module call containing `scope` (outermost first), or None."""
    for depth in range(1, len(scope) + 1):
        if scope[:depth] in collapsed:
            return scope[:depth]
    return None


def build_digraph(graph, *, show_values=True, show_grads=True, flow=None, rankdir="LR", group_modules=True,
                  collapse=False, max_elements=6, steps=None, legend=None, name="tinygrad_opt"):
    """The Digraph of `graph`. With `steps` (id(tensor) -> k), draw the backward pass too.
    `flow` (from `graph.gradient_flow`) gives the gradients to show, else each `.grad`;
    `legend=None` draws the key only for graphs of `LEGEND_FROM` nodes or more."""
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be one of 'LR', 'RL', 'TB', 'BT', got {rankdir!r}")
    if max_elements < 0:
        raise ValueError(f"max_elements must be >= 0, got {max_elements!r}")
    collapsed = _collapsed_scopes(graph, collapse) if group_modules else set()
    backward = steps is not None

    # Which drawn node stands for each tensor and op: itself, or its collapsed module call.
    # A tensor made inside a collapsed call stays visible when it leaves the call (it is read
    # outside, or it is the root), drawn in the call's parent.
    stands_for = {}
    hidden = {key: ([], []) for key in collapsed}  # key -> (tensors, ops) drawn as that node
    for op in graph.ops:
        owner = _owner(op.scope, collapsed)
        if owner is not None:
            hidden[owner][1].append(op)
            stands_for[op.id] = f"m{graph.scopes[owner].index}"
        else:
            stands_for[op.id] = op.id
    visible_tensors = []
    for node in graph.tensors:
        owner = _owner(node.scope, collapsed)
        leaves_owner = owner is not None and (
            node.kind == graph_model.ROOT
            or any(_owner(op.scope, collapsed) != owner for op in node.consumers))
        if owner is None or leaves_owner:
            stands_for[node.id] = node.id
            visible_tensors.append((node, owner[:-1] if leaves_owner else node.scope))
        else:
            hidden[owner][0].append(node)
            stands_for[node.id] = f"m{graph.scopes[owner].index}"

    # Node statements by the cluster they are drawn in (() is the top level).
    members = {}

    def place(scope, statement):
        if not group_modules:
            scope = ()
        members.setdefault(scope, []).append(statement)

    for node, scope in visible_tensors:
        step = steps.get(id(node.tensor)) if backward else None
        attrs = dict(TENSOR_STYLES[node.kind])
        if backward and step is None:
            attrs["fontcolor"] = "#757575"  # backward never visits tensors that need no grad
        label = tensor_label(node, show_values=show_values, show_grads=show_grads,
                             max_elements=max_elements, step=step, flow=flow)
        place(scope, (node.id, label, attrs))
    for op in graph.ops:
        if stands_for[op.id] == op.id:
            step = steps.get(id(op.output.tensor)) if backward else None
            place(op.scope, (op.id, op_label(op, step), dict(OP_STYLE)))
    for key in sorted(collapsed, key=lambda k: graph.scopes[k].index):
        tensors, ops = hidden[key]
        scope = graph.scopes[key]
        place(key[:-1], (f"m{scope.index}", module_label(scope.title, tensors, ops), dict(MODULE_STYLE)))

    drawing = graphviz.Digraph(name=name)
    drawing.attr(rankdir=rankdir, fontname="Helvetica", newrank="true")
    drawing.attr("node", fontname="Helvetica", fontsize="12")
    drawing.attr("edge", fontname="Helvetica", fontsize="10")
    if backward:
        drawing.attr("edge", color="#9e9e9e")  # forward edges recede behind the gradients
    _emit_clusters(drawing, graph, members, collapsed)
    _emit_edges(drawing, graph, stands_for, backward, flow)
    if legend is None:
        legend = sum(len(statements) for statements in members.values()) >= LEGEND_FROM
    if legend:
        _emit_legend(drawing, backward, bool(collapsed), rankdir)
    return drawing


def _emit_clusters(drawing, graph, members, collapsed):
    """Nodes at the top level, and one nested `cluster_k` subgraph per (expanded) module call."""
    def add_nodes(target, scope):
        for node_id, label, attrs in members.get(scope, ()):
            target.node(node_id, label, id=node_id, **attrs)

    add_nodes(drawing, ())
    keys = [key for key in graph.scopes if key not in collapsed and _owner(key, collapsed) is None]
    occupied = set()
    for key in members:  # a cluster is drawn when it, or a cluster inside it, has nodes
        for depth in range(1, len(key) + 1):
            occupied.add(key[:depth])
    children = {}
    for key in keys:
        if key in occupied:
            children.setdefault(key[:-1], []).append(key)

    # Build bottom-up: `subgraph(g)` copies g's source, so a child must be complete first.
    built = {}
    for key in sorted((k for k in keys if k in occupied), key=len, reverse=True):
        scope = graph.scopes[key]
        cluster = graphviz.Digraph(name=f"cluster_{scope.index}")
        cluster.attr(label=f"<<B>{escape(scope.title)}</B>>", style="rounded",
                     color="#7e57c2", fontcolor="#4527a0", id=f"cluster_{scope.index}")
        add_nodes(cluster, key)
        for child in sorted(children.get(key, ()), key=lambda k: graph.scopes[k].index):
            cluster.subgraph(built.pop(child))
        built[key] = cluster
    for key in sorted(children.get((), ()), key=lambda k: graph.scopes[k].index):
        drawing.subgraph(built.pop(key))


def _edge_text(array, shape):
    """A gradient edge's label: the values when there are few, else the shape."""
    if array is not None and array.size <= EDGE_VALUES:
        return array_text(array, EDGE_VALUES)
    return shape_text(shape)


def _emit_edges(drawing, graph, stands_for, backward, flow=None):
    """Data-flow edges (input → op → output); in backward, gradient edges (output → op → input).

    Edge ids name the op and the input's position (`e_op3_in1`, `g_op3_out`), so the
    step-through page can light up the edges of one step. Edges into or out of a collapsed
    module call are drawn once per pair of nodes. The gradient edges share one style, set
    once on an anonymous subgraph holding them.
    """
    drawn = set()

    def edge(target, tail, head, edge_id, pair_id, **attrs):
        if tail == head:
            return  # both ends inside one collapsed module call
        if tail.startswith("m") or head.startswith("m"):
            edge_id = pair_id  # one edge per pair of nodes around a collapsed call
        if edge_id in drawn:
            return
        drawn.add(edge_id)
        target.edge(tail, head, id=edge_id, **attrs)

    for op in graph.ops:
        op_node, out = stands_for[op.id], stands_for[op.output.id]
        for i, node in enumerate(op.inputs):
            tail = stands_for[node.id]
            edge(drawing, tail, op_node, f"e_{op.id}_in{i}", f"e_{tail}_{op_node}")
        edge(drawing, op_node, out, f"e_{op.id}_out", f"e_{op_node}_{out}")
    if not backward:
        return
    gradients = graphviz.Digraph()
    # constraint=false: the gradient edges don't move the nodes, the layout stays the forward one
    gradients.attr("edge", style="dashed", color=GRADIENT_COLOR, fontcolor=GRADIENT_COLOR,
                   constraint="false")
    for op in reversed(graph.ops):
        op_node, out = stands_for[op.id], stands_for[op.output.id]
        arrived = flow.gradients.get(id(op.output.tensor)) if flow else None
        edge(gradients, out, op_node, f"g_{op.id}_out", f"g_{out}_{op_node}",
             label=_edge_text(arrived, op.output.tensor.data.shape))
        sent = flow.sent.get(id(op.fn)) if flow else None
        for i, node in enumerate(op.inputs):
            if node.tensor.requires_grad:
                head = stands_for[node.id]
                edge(gradients, op_node, head, f"g_{op.id}_in{i}", f"g_{op_node}_{head}",
                     label=_edge_text(sent[i] if sent else None, node.tensor.data.shape))
    drawing.subgraph(gradients)


def _emit_legend(drawing, backward, collapsed, rankdir="LR"):
    """The key to the styles, as one compact row of small nodes."""
    legend = graphviz.Digraph(name="cluster_legend")
    legend.attr(label="", style="rounded", color="#e0e0e0", id="cluster_legend")
    if rankdir in ("TB", "BT"):
        legend.attr(rank="same")   # across the page; left to right, the invisible chain does it
    entries = [(f"legend_{kind}", escape(text), TENSOR_STYLES[kind]) for kind, text in LEGEND]
    entries.append(("legend_op", "op (Function)", OP_STYLE))
    if collapsed:
        entries.append(("legend_module", "module call (collapsed)", MODULE_STYLE))
    for node_id, text, attrs in entries:
        legend.node(node_id, "<" + text + ">", id=node_id, fontsize="9", margin="0.05,0.02",
                    height="0.3", **attrs)
    if backward:
        legend.node("legend_step", "<<B>#k</B>: k-th tensor backward visits>", id="legend_step",
                    shape="plaintext", fontsize="9")
        legend.node("legend_grad_from", "<output>", id="legend_grad_from", shape="plaintext",
                    fontsize="9")
        legend.node("legend_grad_to", "<input>", id="legend_grad_to", shape="plaintext",
                    fontsize="9")
        legend.edge("legend_grad_from", "legend_grad_to", label="gradient", style="dashed",
                    color=GRADIENT_COLOR, fontcolor=GRADIENT_COLOR, id="legend_grad", fontsize="9")
    ids = [node_id for node_id, _, _ in entries] + (["legend_step", "legend_grad_from"] if backward else [])
    for tail, head in zip(ids, ids[1:]):      # invisible edges keep the row in order
        legend.edge(tail, head, style="invis")
    drawing.subgraph(legend)
