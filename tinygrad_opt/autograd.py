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
import itertools
from heapq import heappop, heappush


_grad_enabled = True
# Numbers every recorded op in recording order; backward visits outputs from the highest down.
_sequence = itertools.count()


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
    """The tensors requiring grad that `root` depends on, in the order backward finishes them, reversed.

    So `reversed(topological_order(root))` is exactly the order in which `backward()` completes
    each tensor's gradient: every op's output is numbered (`grad_fn.seq`) when it is recorded,
    after its inputs, so visiting outputs from the highest number down reaches each tensor only
    after all of its consumers; a leaf is complete once its last (lowest-numbered) consumer ran.
    The walk uses an explicit stack, so a chain of any depth is fine.
    """
    keys = {id(root): _order_key(root, None, 0)}
    found = [root]
    stack = [root]
    while stack:
        fn = stack.pop().grad_fn
        if fn is None:
            continue
        for position, parent in enumerate(fn.inputs):
            if not parent._requires_grad:
                continue
            key = _order_key(parent, fn, position)
            previous = keys.get(id(parent))
            if previous is None:
                keys[id(parent)] = key
                found.append(parent)
                stack.append(parent)
            elif key < previous:  # a leaf is finished by its lowest-numbered consumer
                keys[id(parent)] = key
    found.sort(key=lambda tensor: keys[id(tensor)])
    return found


def _order_key(tensor, consumer, position):
    if tensor.grad_fn is not None:
        return (tensor.grad_fn.seq, 1, 0)
    # A leaf sorts just below the consumer that finishes it, inputs in their order.
    return (consumer.seq if consumer is not None else 0, 0, -position)


def _store_leaf_grad(tensor, grad, fresh):
    """Accumulate into `tensor.grad`: take `grad` as the new `.grad` when the walk owns it, else copy."""
    if grad.dtype != tensor.data.dtype:
        grad = grad.astype(tensor.data.dtype)
        fresh = True
    if grad.shape != tensor.data.shape:
        raise RuntimeError(f"internal error: gradient of shape {grad.shape} for a tensor of shape {tensor.data.shape}")
    existing = tensor.grad
    if existing is None:
        tensor.grad = _wrap_tensor(grad if fresh else grad.copy())
    else:
        existing.data += grad


def run_backward(root, gradient, retain_graph=False):
    """Fill `.grad` of every leaf (and every tensor with `retain_grad()`) that `root` depends on.

    `gradient` is dL/d root as a numpy array of root's shape. Recorded outputs are visited from
    the highest sequence number down (a heap), which is a reverse topological order: an op's
    output is always numbered after its inputs, so when a tensor is reached every consumer has
    already added its share (dL/dx = Σ over consumers). Leaves accumulate as shares arrive.
    Unless `retain_graph`, every op's saved arrays are released afterwards, and a second
    backward through them raises.
    """
    if root.grad_fn is None:
        _store_leaf_grad(root, gradient, fresh=False)
        return
    # id(tensor) -> (gradient so far, whether the walk allocated that array itself and may
    # therefore hand it to a leaf as its .grad without copying)
    pending = {id(root): (gradient, False)}
    heap = [(-root.grad_fn.seq, root)]
    while heap:
        tensor = heappop(heap)[1]
        grad, fresh = pending.pop(id(tensor))
        if tensor._retains_grad:
            _store_leaf_grad(tensor, grad, fresh)
        fn = tensor.grad_fn
        if fn._released or fn._saved_versions:
            fn.check_saved_versions()
        input_grads = fn.backward(grad)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        for parent, parent_grad in zip(fn.inputs, input_grads):
            if parent_grad is None or not parent._requires_grad:
                continue
            # Ours to keep only if newly allocated here (an op hands out either its incoming
            # gradient, views of it, or new arrays), and not handed to two inputs at once.
            parent_fresh = (parent_grad is not grad and parent_grad.base is None
                            and not (len(input_grads) > 1 and _handed_out_twice(parent_grad, input_grads)))
            parent_fn = parent.grad_fn
            if parent_fn is None:
                _store_leaf_grad(parent, parent_grad, parent_fresh)
                continue
            key = id(parent)
            earlier = pending.get(key)
            if earlier is None:
                pending[key] = (parent_grad, parent_fresh)
                heappush(heap, (-parent_fn.seq, parent))
            else:
                # Out of place: either array may be shared (Add hands its incoming gradient to both sides).
                pending[key] = (earlier[0] + parent_grad, True)
        if not retain_graph:
            fn.release()


def _handed_out_twice(array, arrays):
    return sum(1 for other in arrays if other is array) > 1


def _wrap_tensor(array):
    global _wrap_tensor
    from .tensor import Tensor  # the leaf's .grad is a Tensor; imported on first use to keep arrows down

    _wrap_tensor = Tensor._wrap
    return _wrap_tensor(array)
