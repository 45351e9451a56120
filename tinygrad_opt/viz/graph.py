"""The graph a drawing shows: every tensor and op `root` depends on, read without changing it.

The ops come from the engine's own order (`autograd.backward_order`, reversed: inputs
first), so the drawing, its `#k` numbers and `backward()` agree by construction; the tensors
are each op's inputs and its output, in that order. Tensors without a name are called
`t1, t2, ...` in that order (a name given by `params` or `tensor.name` takes no number);
everything depends only on the graph's structure, never on `id()`, so the same graph always
gives the same DOT text.

Each tensor gets a kind, which the drawing shows by its style:

    parameter     a leaf that requires grad (what an optimizer updates), or named by `params`
    input         a leaf that doesn't require grad (data, labels, constants)
    intermediate  the output of a recorded op
    root          the tensor the drawing starts from (usually the loss)

`gradient_flow` asks the engine for dL/dt of every tensor and what each op sends to each
input, by running its backward walk with `accumulate_grad=False`: nothing is written to
`.grad`, nothing is freed.
"""
from dataclasses import dataclass, field

import numpy as np

from .. import autograd

PARAMETER, INPUT, INTERMEDIATE, ROOT = "parameter", "input", "intermediate", "root"


@dataclass(eq=False)
class TensorNode:
    id: str                 # "t3": the DOT node id
    tensor: object
    kind: str               # PARAMETER, INPUT, INTERMEDIATE or ROOT
    name: str               # from params, else tensor.name, else the id
    scope: tuple = ()       # the module-call path it is drawn in (see Graph.scopes)
    consumers: list = field(default_factory=list)   # OpNodes that read it


@dataclass(eq=False)
class OpNode:
    id: str                 # "op3"
    fn: object              # the Function
    inputs: list            # TensorNodes, in the Function's input order
    output: TensorNode
    scope: tuple = ()


@dataclass(eq=False)
class Scope:
    """One module call (or `autograd.scope` block): a cluster in the drawing."""
    key: tuple              # id() of each label along the path, outermost first
    labels: tuple           # the labels themselves (modules, strings, ...)
    index: int              # numbering by first appearance, for deterministic cluster ids
    title: str = ""


@dataclass(eq=False)
class Graph:
    root: object
    tensors: list           # TensorNodes in topological order (inputs first)
    ops: list               # OpNodes in topological order
    scopes: dict            # key -> Scope, parents before children
    by_tensor: dict         # id(tensor) -> TensorNode

    def node_of(self, tensor):
        return self.by_tensor[id(tensor)]


def walk(root):
    """Every tensor `root` depends on (including inputs that don't require grad), inputs first:
    the ops in the engine's `backward_order`, reversed (the order they were recorded), each
    preceded by the leaves it is the first to read and followed by its output."""
    ops = list(autograd.backward_order(root))[::-1]
    # A Function does not point at its output; the op that reads it (or the root) does.
    output_of = {id(tensor.grad_fn): tensor for fn in ops for tensor in fn.inputs if tensor.grad_fn is not None}
    output_of[id(root.grad_fn)] = root
    order, seen = [], set()
    for fn in ops:
        for tensor in fn.inputs:
            if tensor.grad_fn is None and id(tensor) not in seen:
                seen.add(id(tensor))
                order.append(tensor)
        order.append(output_of[id(fn)])
    return order or [root]


def parameter_names(params):
    """(id(tensor) -> name, id(module) -> name) from what `draw_graph(params=...)` accepts.

    `params` may be None, a dict name -> tensor, an iterable of (name, tensor) pairs such as
    `model.named_parameters()`, or a module (anything with `named_parameters` and
    `named_modules`, like `nn.Module`), whose module names then label the clusters.
    """
    if params is None:
        return {}, {}
    module_names = {}
    if hasattr(params, "named_parameters") and hasattr(params, "named_modules"):
        module_names = {id(module): name for name, module in params.named_modules()}
        pairs = params.named_parameters()
    elif isinstance(params, dict):
        pairs = params.items()
    else:
        try:
            pairs = iter(params)
        except TypeError:
            raise TypeError(
                f"params must be None, a dict name -> tensor, (name, tensor) pairs or a module, "
                f"got {type(params).__name__}") from None
    names = {}
    for pair in pairs:
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and isinstance(pair[0], str)):
            raise TypeError(f"params must hold (name, tensor) pairs, got {pair!r}")
        name, tensor = pair
        if not hasattr(tensor, "data") or not hasattr(tensor, "grad_fn"):
            raise TypeError(f"params[{name!r}] is a {type(tensor).__name__}, expected a Tensor")
        names[id(tensor)] = str(name)
    return names, module_names


def module_summary(module):
    """`Linear(64→32)` for layers with in/out features, a short repr, else the class name."""
    if isinstance(module, str):
        return module
    cls = type(module).__name__
    if hasattr(module, "in_features") and hasattr(module, "out_features"):
        return f"{cls}({module.in_features}→{module.out_features})"
    try:
        text = repr(module)
    except Exception:  # a half-built module's repr may fail; its class name still says enough
        return cls
    if "\n" in text or len(text) > 40 or not text.startswith(cls) or " object at 0x" in text:
        return cls
    return cls if text == cls + "()" else text


def _scope_title(labels, module_names):
    label = labels[-1]
    summary = module_summary(label)
    if isinstance(label, str):
        return label
    name = module_names.get(id(label))
    if not name:  # unknown, or "" for the model itself
        return summary
    # Inside the parent module's cluster, show the name relative to it ("0" in "encoder").
    parent = module_names.get(id(labels[-2])) if len(labels) > 1 else None
    if parent and name.startswith(parent + "."):
        name = name[len(parent) + 1:]
    return f"{name}: {summary}"


def _common_prefix(keys):
    first = keys[0]
    length = len(first)
    for key in keys[1:]:
        length = min(length, len(key))
        for i in range(length):
            if key[i] != first[i]:
                length = i
                break
    return first[:length]


def build(root, params=None):
    """The Graph of `root`: numbered nodes, kinds, names and module scopes."""
    names, module_names = parameter_names(params)
    order = walk(root)
    tensors, ops, by_tensor, scopes = [], [], {}, {}

    def scope_key(labels):
        key = tuple(id(label) for label in labels)
        if key not in scopes:
            for depth in range(1, len(labels) + 1):  # parents first
                prefix = key[:depth]
                if prefix not in scopes:
                    scopes[prefix] = Scope(prefix, tuple(labels[:depth]), len(scopes),
                                           _scope_title(labels[:depth], module_names))
        return key

    unnamed = 0
    for index, tensor in enumerate(order):
        node_id = f"t{index}"
        fn = tensor.grad_fn
        if tensor is root:
            kind = ROOT
        elif fn is not None:
            kind = INTERMEDIATE
        elif tensor.requires_grad or id(tensor) in names:
            kind = PARAMETER
        else:
            kind = INPUT
        name = names.get(id(tensor)) or tensor.name
        if not name:
            unnamed += 1
            name = f"t{unnamed}"
        node = TensorNode(node_id, tensor, kind, str(name))
        by_tensor[id(tensor)] = node
        tensors.append(node)
        if fn is not None:
            key = scope_key(fn.scope) if fn.scope else ()
            op = OpNode(f"op{len(ops)}", fn, [by_tensor[id(t)] for t in fn.inputs], node, key)
            for parent in op.inputs:
                parent.consumers.append(op)
            node.scope = key
            ops.append(op)

    # A leaf is drawn where it is used: a layer's weight inside that layer's cluster. Data
    # fed into a model stays outside, except scalar constants (the 2 in `x * 2`).
    for node in tensors:
        if node.tensor.grad_fn is None and node.consumers:
            if node.kind == PARAMETER or node.tensor.data.ndim == 0:
                node.scope = _common_prefix([op.scope for op in node.consumers])
    return Graph(root, tensors, ops, scopes, by_tensor)


def backward_steps(root):
    """{id(tensor): k} — k = 1, 2, ... is when backward visits the tensor (the engine's order)."""
    order = autograd.topological_order(root)
    return {id(tensor): step for step, tensor in enumerate(reversed(order), 1)}


@dataclass(eq=False)
class Flow:
    """What backward computes, as the engine reported it (see `gradient_flow`)."""
    gradients: dict         # id(tensor) -> dL/d tensor (numpy), for every tensor reached
    sent: dict              # id(Function) -> [the gradient it sent to each input (None: none)]
    error: str = None       # why the gradients could not be computed, if they could not
    from_ones: bool = True  # dL/d root was ones (the default for a scalar loss)

    def contributions(self, node):
        """[(op, the gradient it sent to this tensor)] for every use of `node`, in the order
        backward ran them (a tensor read twice by one op appears twice)."""
        shares = []
        for op in reversed(list(dict.fromkeys(node.consumers))):   # an op reading it twice is listed twice
            sent = self.sent.get(id(op.fn))
            if sent is None:
                continue
            for position, parent in enumerate(op.inputs):
                if parent is node and sent[position] is not None:
                    shares.append((op, sent[position]))
        return shares


def gradient_flow(graph, gradient=None):
    """dL/dt for every tensor backward reaches, and what each op sends to each input.

    The engine's own backward walk (`run_backward` with `accumulate_grad=False` and
    `retain_graph=True`) reports every op's output to us: no `.grad` is written and no saved
    value is freed. When backward can't run (an earlier backward freed what the ops saved, or
    an input was changed in place) the flow is empty and `error` says why.
    """
    root = graph.root
    seed = np.ones_like(root.data) if gradient is None else np.asarray(gradient)
    sent = {}

    def record(fn, index, grad):
        sent.setdefault(id(fn), [None] * len(fn.inputs))[index] = grad

    if root.grad_fn is not None:
        try:
            autograd.run_backward(root, seed, retain_graph=True, on_gradient=record, accumulate_grad=False)
        except RuntimeError as error:
            return Flow({}, {}, str(error), from_ones=gradient is None)
    gradients = {id(root): seed}
    for op in reversed(graph.ops):      # every use of a tensor ran before the op that made it
        for parent, grad in zip(op.inputs, sent.get(id(op.fn), ())):
            if grad is not None and parent.tensor.requires_grad:
                previous = gradients.get(id(parent.tensor))
                gradients[id(parent.tensor)] = grad if previous is None else previous + grad
    return Flow(gradients, sent, from_ones=gradient is None)
