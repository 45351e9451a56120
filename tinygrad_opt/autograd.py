"""Reverse-mode automatic differentiation: grad mode, topological order and the backward walk.

The graph is made of tensors and the `Function` objects that produced them
(`tensor.grad_fn`, whose `inputs` are the tensors it was applied to). Backward visits every
tensor that the root depends on in reverse topological order, so each tensor's gradient is
complete (all of its consumers have contributed) before it is passed further down:

    dL/d input_i  +=  (dL/d output) · (d output / d input_i)      (the chain rule, per op)

This module knows nothing of the Tensor class beyond the attributes it reads
(`grad_fn`, `requires_grad`, `grad`, `data`), so the dependency arrow points one way only.
"""
import contextlib
import functools

import numpy as np

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True when operations record the graph (the default)."""
    return _grad_enabled


class _GradMode(contextlib.ContextDecorator):
    """Context manager and decorator that sets grad mode and restores the previous one."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.previous = []

    def __enter__(self):
        global _grad_enabled
        self.previous.append(_grad_enabled)
        _grad_enabled = self.enabled
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.previous.pop()
        return False

    def __call__(self, func):
        # A fresh instance per call keeps recursive and concurrent uses independent.
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with _GradMode(self.enabled):
                return func(*args, **kwargs)
        return wrapper


def no_grad(func=None):
    """Operations inside do not record the graph: `with no_grad():`, `@no_grad()` or `@no_grad`."""
    return _GradMode(False) if func is None else _GradMode(False)(func)


def enable_grad(func=None):
    """Turn recording back on inside a `no_grad` block (used by `Optimizer.step(closure)`);
    `with enable_grad():`, `@enable_grad()` or `@enable_grad`."""
    return _GradMode(True) if func is None else _GradMode(True)(func)


def set_grad_enabled(mode: bool):
    """Context manager setting grad mode to `mode`, like `torch.set_grad_enabled`."""
    return _GradMode(bool(mode))


_scope_stack = []


class scope(contextlib.ContextDecorator):
    """Label the ops recorded inside (e.g. with the `nn.Module` being called).

    Each recorded Function gets `fn.scope`: the tuple of labels of the enclosing scopes,
    outermost first, which drawings use to cluster a layer's ops. Costs nothing when unused.
    """

    def __init__(self, label):
        self.label = label

    def __enter__(self):
        outer = _scope_stack[-1] if _scope_stack else ()
        _scope_stack.append(outer + (self.label,))
        return self

    def __exit__(self, *exc):
        _scope_stack.pop()
        return False


def topological_order(root):
    """Every tensor `root` depends on through recorded ops, inputs before outputs.

    Iterative depth-first post-order (an explicit stack instead of recursion), so a chain of
    any depth is fine; Python's recursion limit (~1000) never applies.
    """
    order = []
    visited = set()
    stack = [(root, False)]
    while stack:
        tensor, children_done = stack.pop()
        if children_done:
            order.append(tensor)
            continue
        # Mark a tensor visited when it is expanded, not when it is pushed: a tensor pushed
        # early (as one op's input) may be reached again below another of its consumers, and
        # it must then be finished before that consumer, not after it.
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        fn = tensor.grad_fn
        if fn is not None:
            for parent in fn.inputs:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def _accumulate(grads, tensor, grad, fresh):
    previous = grads.get(id(tensor))
    if previous is None:
        grads[id(tensor)] = (grad, fresh)
    else:
        # Out of place: `grad` may be the very array another input received (Add passes its
        # incoming gradient to both sides), so writing into it would corrupt that one.
        grads[id(tensor)] = (previous[0] + grad, True)


def _store_leaf_grad(tensor, grad, fresh):
    from .tensor import Tensor  # the leaf's .grad is a Tensor; imported late to keep arrows down

    if grad.dtype != tensor.data.dtype:
        grad = grad.astype(tensor.data.dtype)
        fresh = True
    if grad.shape != tensor.data.shape:
        raise RuntimeError(f"internal error: gradient of shape {grad.shape} for a tensor of shape {tensor.data.shape}")
    if tensor.grad is None:
        tensor.grad = Tensor._wrap(grad if fresh else grad.copy())
    else:
        tensor.grad.data += grad


def run_backward(root, gradient, retain_graph=False):
    """Fill `.grad` of every leaf (and every tensor with `retain_grad()`) that `root` depends on.

    `gradient` is dL/d root as a numpy array of root's shape. Unless `retain_graph`, every
    op's saved arrays are released afterwards and a second backward through them raises.
    """
    order = topological_order(root)
    # id(tensor) -> (gradient so far, whether the walk allocated that array itself and may
    # therefore hand it to a leaf as its .grad without copying)
    grads = {id(root): (gradient, False)}
    for tensor in reversed(order):
        entry = grads.pop(id(tensor), None)
        if entry is None:
            continue  # nothing flowed here (e.g. only through a non-differentiable path)
        grad, fresh = entry
        fn = tensor.grad_fn
        if fn is None or tensor._retains_grad:
            _store_leaf_grad(tensor, grad, fresh)
        if fn is None:
            continue
        fn.check_saved_versions()
        input_grads = fn.backward(grad)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for parent, parent_grad in zip(fn.inputs, input_grads):
            if parent_grad is None or not parent.requires_grad:
                continue
            parent_fresh = parent_grad is not grad and parent_grad.base is None
            _accumulate(grads, parent, parent_grad, parent_fresh)
        if not retain_graph:
            fn.release()
