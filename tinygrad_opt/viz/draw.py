"""The two drawings: the forward graph (`draw_graph`) and the backward pass (`draw_backward`)."""
from .. import autograd
from .dot import build_digraph
from .graph import backward_steps, build


def _check_root(root, what):
    if not (hasattr(root, "data") and hasattr(root, "grad_fn")):
        raise TypeError(f"{what} expects a Tensor to draw from, got {type(root).__name__}")


def draw_graph(root, params=None, *, show_values=True, show_grads=True, rankdir="LR",
               group_modules=True, collapse=False, max_elements=6, legend=True):
    """A `graphviz.Digraph` of every tensor and op `root` depends on, inputs on the left.

    - `params`: names for tensors — a dict name -> tensor, (name, tensor) pairs such as
      `model.named_parameters()`, or the model itself (then its module names label the
      clusters, e.g. `0: Linear(64→32)`). Other tensors use `tensor.name`, else `t3`.
    - `show_values` / `show_grads`: write a tensor's values and `.grad` into its node: all of
      them when there are at most `max_elements`, else `mean  std  min  max`.
    - `group_modules`: one cluster per module call (ops recorded inside `autograd.scope`,
      which `nn.Module.__call__` opens); `collapse=True` draws each innermost call as a single
      node (`collapse=n`: the calls n levels deep).
    - `rankdir`: "LR" (left to right), "TB", "RL" or "BT". `legend`: add the key to the styles.

    Save it with `viz.save(drawing, "graph.svg")`; in Jupyter it shows inline.
    """
    _check_root(root, "draw_graph")
    with autograd.no_grad():
        graph = build(root, params)
        return build_digraph(graph, show_values=show_values, show_grads=show_grads,
                             rankdir=rankdir, group_modules=group_modules, collapse=collapse,
                             max_elements=max_elements, legend=legend)


def draw_backward(root, params=None, *, show_values=True, show_grads=True, rankdir="LR",
                  group_modules=True, max_elements=6, legend=True):
    """`draw_graph` plus the backward pass: `#k` on the k-th tensor backward visits, and a
    dashed red edge, labelled with its shape, for every gradient (output → op → input).

    The numbers are the engine's own order (`autograd.topological_order(root)`, reversed), so
    following #1, #2, ... is following `root.backward()`.
    """
    _check_root(root, "draw_backward")
    if not root.requires_grad:
        raise ValueError("draw_backward: the root doesn't require grad, so backward has nothing "
                         "to visit; build it from tensors with requires_grad=True (and not under no_grad)")
    with autograd.no_grad():
        graph = build(root, params)
        return build_digraph(graph, show_values=show_values, show_grads=show_grads,
                             rankdir=rankdir, group_modules=group_modules,
                             max_elements=max_elements, steps=backward_steps(root), legend=legend)
