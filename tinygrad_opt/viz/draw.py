"""The two drawings: the forward graph (`draw_graph`) and the backward pass (`draw_backward`)."""
from .. import autograd
from .dot import build_digraph
from .graph import backward_steps, build, gradient_flow

GRADS = ("stored", "all", "auto")


def _check_root(root, what):
    if not (hasattr(root, "data") and hasattr(root, "grad_fn")):
        raise TypeError(f"{what} expects a Tensor to draw from, got {type(root).__name__}")


def _flow(graph, grads, what):
    """The engine's gradients for every tensor when `grads="all"`, else None."""
    if grads not in GRADS:
        raise ValueError(f"{what}: grads must be 'stored' (each tensor's .grad), 'all' (every "
                         f"tensor's gradient, computed for the drawing) or 'auto' ('all' where backward "
                         f"can still run, else 'stored'), got {grads!r}")
    if grads == "stored":
        return None
    flow = gradient_flow(graph)
    if flow.error and grads == "auto":
        return None
    if flow.error:
        raise RuntimeError(f"{what}(grads='all') runs backward for the drawing, which needs the values "
                           f"the ops saved: draw before calling backward(), or call "
                           f"backward(retain_graph=True). The engine said: {flow.error}")
    return flow


def draw_graph(root, params=None, *, show_values=True, show_grads=True, grads="stored", rankdir="LR",
               group_modules=True, collapse=False, max_elements=6, legend=None):
    """A `graphviz.Digraph` of every tensor and op `root` depends on, inputs on the left.

    - `params`: names for tensors — a dict name -> tensor, (name, tensor) pairs such as
      `model.named_parameters()`, or the model itself (then its module names label the
      clusters, e.g. `0: Linear(64→32)`). Other tensors use `tensor.name`, else `t1, t2, ...`.
    - `show_values` / `show_grads`: write a tensor's values and gradient into its node: all of
      them when there are at most `max_elements`, else `mean  std  min  max`.
    - `grads`: which gradients — `"stored"`, what each tensor's `.grad` holds (after
      `backward()`: the leaves, and tensors that called `retain_grad()`), or `"all"`, dL/dt
      for every tensor, computed for the drawing by the engine's backward walk without
      writing any `.grad` (so draw before `backward()`, or after `backward(retain_graph=True)`).
    - `group_modules`: one cluster per module call (ops recorded inside `autograd.scope`,
      which `nn.Module.__call__` opens); `collapse=True` draws each innermost call as a single
      node (`collapse=n`: the calls n levels deep).
    - `rankdir`: "LR" (left to right), "TB", "RL" or "BT". `legend`: a one-row key to the
      styles; by default only for graphs of more than 12 nodes.

    Save it with `viz.save(drawing, "graph.svg")`; in Jupyter it shows inline.
    """
    _check_root(root, "draw_graph")
    with autograd.no_grad():
        graph = build(root, params)
        flow = _flow(graph, grads, "draw_graph") if show_grads else None
        return build_digraph(graph, show_values=show_values, show_grads=show_grads, flow=flow,
                             rankdir=rankdir, group_modules=group_modules, collapse=collapse,
                             max_elements=max_elements, legend=legend)


def draw_backward(root, params=None, *, show_values=True, show_grads=True, grads="auto", rankdir="LR",
                  group_modules=True, max_elements=6, legend=None):
    """`draw_graph` plus the backward pass: `#k` on the k-th tensor backward visits, and a
    dashed red edge for every gradient (output → op → input), labelled with the gradient's
    values when it has at most 4 elements, else its shape.

    The numbers are the engine's own order (`autograd.topological_order(root)`, reversed), so
    following #1, #2, ... is following `root.backward()`. `grads` as in `draw_graph`, and by
    default `"auto"`: every gradient is computed for the drawing while backward can still run
    (before `backward()`, or after `backward(retain_graph=True)`); after a backward that freed
    the graph, the `.grad`s as they are, and the gradient edges labelled with shapes.
    """
    _check_root(root, "draw_backward")
    if not root.requires_grad:
        raise ValueError("draw_backward: the root doesn't require grad, so backward has nothing "
                         "to visit; build it from tensors with requires_grad=True (and not under no_grad)")
    with autograd.no_grad():
        graph = build(root, params)
        flow = _flow(graph, grads, "draw_backward")
        return build_digraph(graph, show_values=show_values, show_grads=show_grads, flow=flow,
                             rankdir=rankdir, group_modules=group_modules,
                             max_elements=max_elements, steps=backward_steps(root), legend=legend)
