"""The graph a drawing shows: every tensor and op `root` depends on, read without changing it.

Only outputs point to inputs (`tensor.grad_fn.inputs`), so the walk starts at the root and
follows those edges backwards, iteratively (no recursion, any depth). Tensors are numbered
in a topological order (inputs first: `t0, t1, ...`, ops `op0, op1, ...`), which depends only
on the graph's structure, never on `id()`, so the same graph always gives the same DOT text.

Each tensor gets a kind, which the drawing shows by its style:

    parameter     a leaf that requires grad (what an optimizer updates), or named by `params`
    input         a leaf that doesn't require grad (data, labels, constants)
    intermediate  the output of a recorded op
    root          the tensor the drawing starts from (usually the loss)

Reading the graph touches only attributes: nothing is recorded, no gradient is written, no
saved value is freed.
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
    """Every tensor `root` depends on (including inputs that don't require grad), inputs first.

    Iterative depth-first post-order: a tensor is written out only after all its inputs are,
    so the order is topological even where paths of different lengths meet again.
    """
    order = []
    state = {}  # id -> 1 while its inputs are being walked, 2 once written out
    stack = [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            state[id(tensor)] = 2
            order.append(tensor)
            continue
        if id(tensor) in state:
            continue
        state[id(tensor)] = 1
        stack.append((tensor, True))
        fn = tensor.grad_fn
        if fn is not None:
            for parent in reversed(fn.inputs):  # reversed: the first input is walked first
                if id(parent) not in state:
                    stack.append((parent, False))
    return order


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
        name = names.get(id(tensor)) or tensor.name or node_id
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
class Replay:
    """What backward would compute, found without running it (see `replay_backward`)."""
    gradients: dict         # id(tensor) -> dL/d tensor (numpy), for every tensor reached
    sent: dict              # id(Function) -> the gradient it sends to each input (None: none)
    error: str = None       # why the replay stopped early, if it did
    from_ones: bool = True  # dL/d root was ones (the default for a scalar loss)


def replay_backward(graph, gradient=None):
    """dL/dt for every tensor backward reaches, and what each op sends to its inputs.

    Replays the local rules (`fn.backward`) on numpy arrays into private dicts: no `.grad` is
    written and no saved value is freed. When the rules can't run (backward already freed
    what they need, or an input was changed in place) the replay stops and says why.
    """
    root = graph.root
    grads = {id(root): np.ones_like(root.data) if gradient is None else np.asarray(gradient)}
    sent = {}
    for node in reversed(graph.tensors):  # outputs before inputs: each gradient is complete
        grad = grads.get(id(node.tensor))
        fn = node.tensor.grad_fn
        if grad is None or fn is None:
            continue
        try:
            fn.check_saved_versions()
            with autograd.no_grad():
                input_grads = fn.backward(grad)
        except (RuntimeError, AttributeError) as error:
            # AttributeError: a released Function reads a saved array that is gone.
            return Replay(grads, sent, str(error), from_ones=gradient is None)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        sent[id(fn)] = input_grads
        for parent, parent_grad in zip(fn.inputs, input_grads):
            if parent_grad is None or not parent.requires_grad:
                continue
            previous = grads.get(id(parent))
            grads[id(parent)] = parent_grad if previous is None else previous + parent_grad
    return Replay(grads, sent, from_ones=gradient is None)
