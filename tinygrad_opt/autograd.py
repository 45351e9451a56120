"""Reverse-mode automatic differentiation: grad mode, the backward order and the backward walk.

The graph is made of tensors and the `Function` objects that produced them
(`tensor.grad_fn`, whose `inputs` are the tensors it was applied to). Backward visits every
op that the root depends on in reverse topological order, so each tensor's gradient is
complete (all of its consumers have contributed) before it is passed further down:

    dL/d input_i  +=  (dL/d output) · (d output / d input_i)      (the chain rule, per op)

What this module knows of Tensor: the attributes it reads and writes — `data` (a numpy
array), `grad_fn`, `_requires_grad`, `_retains_grad`, `grad` — and that `type(t)._wrap(array)`
makes a tensor of the same class around an array (the new `.grad` of a leaf). It imports
nothing from the package: `tensor.py` and `ops/` import it, not the other way round.

Gradients of gradients (`backward(create_graph=True)`, `grad(..., create_graph=True)`) take
a second walk, `run_backward_graph`, in the same order: there each op runs `backward_graph`,
its rule written with Tensor ops, with recording on, so the gradients are tensors with a graph
of their own (differentiable again, to any order). Why two walks and two methods per op
rather than one backward written for both arrays and Tensors: the first-order path stays
plain numpy on arrays — exactly as fast as before, and what a reader of an op meets first —
while the recorded twin reads the op's input tensors (not the saved arrays, which are
constants to a graph), in one or two lines beside it. Ops that are compositions (the losses,
`Linear`, `GELU`) give their forward in smaller ops (`graph`) and are differentiated through it.

Grad mode is kept per thread, as in PyTorch: `with no_grad():` in one thread does not stop
another thread's recording, and every new thread starts with recording on.
"""
import contextlib
import contextvars
import functools
import itertools
from heapq import heappop, heappush

import numpy as np

# Grad mode and the open `scope` labels are context variables: each thread (and each asyncio
# task) has its own value, a new thread starts from the defaults, and reading one is cheap
# enough for every op to do it.
_grad_mode = contextvars.ContextVar("tinygrad_opt.grad_mode", default=True)
_restore = contextvars.ContextVar("tinygrad_opt.grad_mode_to_restore", default=())
_scope = contextvars.ContextVar("tinygrad_opt.scope", default=())
# Numbers every recorded op in recording order; backward visits ops from the highest down.
_sequence = itertools.count()
next_sequence = _sequence.__next__
"""The next number of the one sequence that orders recorded ops and in-place changes."""


def is_grad_enabled() -> bool:
    """True when operations record the graph in this thread (the default)."""
    return _grad_mode.get()


class _GradMode(contextlib.ContextDecorator):
    """Context manager and decorator that sets this thread's grad mode and restores the previous one."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __enter__(self):
        # The mode to restore is kept with the thread, not in this object, so one instance
        # used by several threads at once still restores each thread's own mode.
        _restore.set(_restore.get() + (_grad_mode.get(),))
        _grad_mode.set(self.enabled)
        return self

    def __exit__(self, *exc):
        modes = _restore.get()
        _grad_mode.set(modes[-1])
        _restore.set(modes[:-1])
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return wrapper


def no_grad(func=None):
    """Operations inside do not record the graph: `with no_grad():`, `@no_grad()` or `@no_grad`.

    Per thread: other threads keep recording.
    """
    return _GradMode(False) if func is None else _GradMode(False)(func)


def enable_grad(func=None):
    """Turn recording back on inside a `no_grad` block (used by `Optimizer.step(closure)`);
    `with enable_grad():`, `@enable_grad()` or `@enable_grad`. Per thread."""
    return _GradMode(True) if func is None else _GradMode(True)(func)


def set_grad_enabled(mode: bool):
    """Context manager setting this thread's grad mode to `mode`, like `torch.set_grad_enabled`."""
    return _GradMode(bool(mode))


class scope(contextlib.ContextDecorator):
    """Label the ops recorded inside (e.g. with the `nn.Module` being called).

    Each recorded Function gets `fn.scope`: the tuple of labels of the enclosing scopes,
    outermost first, which drawings use to cluster a layer's ops. Per thread, like grad mode.
    """

    def __init__(self, label):
        self.label = label

    def __enter__(self):
        _scope.set(_scope.get() + (self.label,))
        return self

    def __exit__(self, *exc):
        _scope.set(_scope.get()[:-1])
        return False


def current_scope():
    """The labels of the `scope`s open in this thread, outermost first (() outside any)."""
    return _scope.get()


# ----------------------------------------------------------------------------- the order
def _walk(root, stop=()):
    """Yield the tensors made by ops that `root` depends on (root first), in backward's order.

    Every op is numbered (`fn.seq`) when it is recorded, after the ops that made its inputs,
    so taking the highest number first (a heap) reaches each tensor only after every op that
    consumes it: by then its gradient is complete. Only edges into tensors that require grad
    are followed, and none into the tensors whose ids are in `stop`. Iterative, so a chain of
    any depth is fine.
    """
    if root.grad_fn is None:
        return
    heap = [(-root.grad_fn.seq, root)]
    queued = {id(root), *stop}
    while heap:
        tensor = heappop(heap)[1]
        yield tensor
        inputs = tensor.grad_fn.inputs
        while not heap and len(inputs) == 1:
            # A chain: with nothing else waiting, the op's one input comes next (no heap needed).
            tensor = inputs[0]
            if tensor.grad_fn is None or not tensor._requires_grad or id(tensor) in queued:
                break
            yield tensor
            inputs = tensor.grad_fn.inputs
        else:   # (not a chain, or the chain reached an op with several inputs)
            for parent in inputs:
                maker = parent.grad_fn
                if maker is not None and parent._requires_grad:
                    key = id(parent)
                    if key not in queued:
                        queued.add(key)
                        heappush(heap, (-maker.seq, parent))


def backward_order(root):
    """Yield the Functions `root` depends on, in the order `backward()` runs them.

    The one order of the package: `run_backward` walks it, and drawings number the ops with
    it. Each op comes after every op that consumes its output (the highest sequence number
    `fn.seq` first: an op is always numbered after the ops that made its inputs), so when it
    runs, the gradient of its output is complete. Ops reached only through tensors that do
    not require grad are not visited.

        for fn in backward_order(loss):
            print(fn.name, [t.shape for t in fn.inputs])
    """
    for tensor in _walk(root):
        yield tensor.grad_fn


def topological_order(root):
    """The tensors requiring grad that `root` depends on, inputs first, `root` last.

    `reversed(topological_order(root))` is the order in which backward completes each
    tensor's gradient: an op's output when the op runs (`backward_order`), a leaf right after
    its last consumer ran (the leaves of one op in the order of its inputs).
    """
    made = list(_walk(root))
    finished_after = {}   # id(leaf) -> (index in `made` of its last consumer, input position, leaf)
    for step, tensor in enumerate(made):
        for position, parent in enumerate(tensor.grad_fn.inputs):
            if parent.grad_fn is None and parent._requires_grad:
                finished_after[id(parent)] = (step, position, parent)
    completed = [root] if root.grad_fn is None else []
    leaves = sorted(finished_after.values(), key=lambda entry: entry[:2], reverse=True)
    for step, tensor in enumerate(made):
        completed.append(tensor)
        while leaves and leaves[-1][0] == step:
            completed.append(leaves.pop()[2])
    return completed[::-1]


# ----------------------------------------------------------------------------- the walk
def _store_leaf_grad(tensor, grad, fresh):
    """Accumulate into `tensor.grad`: take `grad` as the new `.grad` when the walk owns it, else copy."""
    if type(grad) is not np.ndarray:   # a numpy scalar, from an op on 0-d arrays
        grad = np.array(grad)
        fresh = True
    if grad.dtype != tensor.data.dtype:
        grad = grad.astype(tensor.data.dtype)
        fresh = True
    if grad.shape != tensor.data.shape:
        raise RuntimeError(f"internal error: gradient of shape {grad.shape} for a tensor of shape {tensor.data.shape}")
    existing = tensor.grad
    if existing is None:
        tensor.grad = type(tensor)._wrap(grad if fresh else grad.copy())
    else:
        existing.data += grad


def run_backward(root, gradient, retain_graph=False, on_gradient=None, accumulate_grad=True):
    """Fill `.grad` of every leaf (and every tensor with `retain_grad()`) that `root` depends on.

    `gradient` is dL/d root as a numpy array of root's shape. The ops run in `backward_order`;
    each tensor's gradient is the sum of what its consumers sent (dL/dx = Σ over consumers),
    and a leaf accumulates as the shares arrive. Unless `retain_graph`, every op's saved
    arrays are released afterwards, and a second backward through them raises.

    `on_gradient(fn, input_index, grad)`, when given, is called for every input of every op
    run, with the array the op sends that input (None when it sends nothing), so a drawing
    can show each edge's gradient without replaying the chain rule. With
    `accumulate_grad=False` no `.grad` is written (the callback sees everything).
    """
    if root.grad_fn is None:
        if accumulate_grad:
            _store_leaf_grad(root, gradient, fresh=False)
        return
    pending = {id(root): gradient}   # id(tensor) -> its gradient so far
    for tensor in _walk(root):
        grad = pending.pop(id(tensor), None)
        if grad is None:  # every consumer sent None (e.g. a custom op with no gradient)
            continue
        if tensor._retains_grad and accumulate_grad:
            _store_leaf_grad(tensor, grad, fresh=False)   # (a copy: the walk passes `grad` on)
        fn = tensor.grad_fn
        if fn._released or fn._saved_versions:
            fn.check_saved_versions()
        input_grads = fn.backward(grad)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        if on_gradient is not None:
            for index, parent_grad in enumerate(input_grads):
                on_gradient(fn, index, parent_grad)
        for parent, parent_grad in zip(fn.inputs, input_grads):
            if parent_grad is None or not parent._requires_grad:
                continue
            if parent.grad_fn is None:
                if accumulate_grad:
                    # The leaf may keep the array as its .grad only if it was newly allocated
                    # here (an op hands out its incoming gradient, views of it, or new arrays)
                    # and not handed to two inputs at once.
                    fresh = (parent_grad is not grad and parent_grad.base is None
                             and not (len(input_grads) > 1 and _handed_out_twice(parent_grad, input_grads)))
                    _store_leaf_grad(parent, parent_grad, fresh)
                continue
            key = id(parent)
            earlier = pending.get(key)
            # Out of place: either array may be shared (Add hands its incoming gradient to both sides).
            pending[key] = parent_grad if earlier is None else earlier + parent_grad
        if not retain_graph:
            fn.release()


def _handed_out_twice(array, arrays):
    seen = False
    for other in arrays:
        if other is array:
            if seen:
                return True
            seen = True
    return False


# ----------------------------------------------------------------------------- create_graph
def run_backward_graph(root, gradient, retain_graph=True, inputs=None, stop_at_inputs=False):
    """The walk of `backward(create_graph=True)`: gradients are Tensors, recorded in the graph.

    The same order and sums as `run_backward`, but each op runs `fn.backward_graph(grad)`,
    its backward written with Tensor ops, with recording on — so every gradient has a graph
    of its own and can be differentiated again (to any order). `gradient` is a Tensor.

    Without `inputs`, every leaf (and tensor with `retain_grad()`) reached accumulates into
    `.grad` out of place (`x.grad = x.grad + g`, itself recorded). With `inputs`, no `.grad`
    is written and the list of their gradients is returned (None for an input that got none);
    `stop_at_inputs` does not walk past them, which gives an op's own local derivative (what
    `Function.backward_graph` needs when it differentiates an op written with smaller ops).
    """
    wanted = {} if inputs is None else {id(tensor): None for tensor in inputs}
    stop = set(wanted) if stop_at_inputs else ()

    def deliver(tensor, grad):
        if grad.dtype != tensor.data.dtype:
            grad = grad.to(tensor.data.dtype)
        if inputs is None:
            tensor.grad = grad if tensor.grad is None else tensor.grad + grad
        elif id(tensor) in wanted:
            earlier = wanted[id(tensor)]
            wanted[id(tensor)] = grad if earlier is None else earlier + grad

    with enable_grad():
        if root.grad_fn is None or id(root) in stop:
            deliver(root, gradient)
        pending = {id(root): gradient}
        for tensor in _walk(root, stop):
            grad = pending.pop(id(tensor), None)
            if grad is None:
                continue
            if (inputs is None and tensor._retains_grad) or id(tensor) in wanted:
                deliver(tensor, grad)
            fn = tensor.grad_fn
            fn.check_saved_versions()
            fn.check_input_versions()
            input_grads = fn.backward_graph(grad)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            for parent, parent_grad in zip(fn.inputs, input_grads):
                if parent_grad is None or not parent._requires_grad:
                    continue
                if parent.grad_fn is None or id(parent) in stop:
                    deliver(parent, parent_grad)
                    continue
                earlier = pending.get(id(parent))
                pending[id(parent)] = parent_grad if earlier is None else earlier + parent_grad
            if not retain_graph:
                fn.release()
    return None if inputs is None else [wanted[id(tensor)] for tensor in inputs]


def _as_tensors(tensors, what):
    if isinstance(tensors, (list, tuple)):
        return tuple(tensors)
    if hasattr(tensors, "grad_fn"):
        return (tensors,)
    raise TypeError(f"grad: {what} must be a Tensor or a sequence of Tensors, got {type(tensors).__name__}")


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of `outputs` with respect to `inputs`, returned rather than stored in `.grad`.

        grad(outputs, inputs, grad_outputs) = ( Σⱼ grad_outputsⱼ · ∂outputsⱼ/∂inputsᵢ )ᵢ

    as `torch.autograd.grad`: `grad_outputs` (dL/d output, one per output) may be omitted for
    one-element outputs (then 1); `retain_graph` defaults to `create_graph`; with
    `create_graph=True` the gradients are Tensors with a graph of their own, so they can be
    differentiated again; an input the outputs do not depend on raises unless
    `allow_unused=True` (then its gradient is None). `.grad` attributes are not touched.

        x = Tensor([3.0], requires_grad=True)
        (dy,) = grad(x ** 3, x, create_graph=True)      # 3x² = 27
        (d2y,) = grad(dy, x)                            # 6x  = 18
    """
    outputs, inputs = _as_tensors(outputs, "outputs"), _as_tensors(inputs, "inputs")
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = (grad_outputs,)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(grad_outputs)} "
                           f"grad_outputs and {len(outputs)} outputs")
    for tensor in inputs:
        if not tensor._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    seeds = []
    for index, (output, seed) in enumerate(zip(outputs, grad_outputs)):
        if not output._requires_grad:
            raise RuntimeError(f"element {index} of tensors does not require grad and does not have a grad_fn")
        seeds.append(_seed(output, seed, create_graph))
    if retain_graph is None:
        retain_graph = create_graph
    if len(outputs) == 1:
        root, gradient = outputs[0], seeds[0]
    else:  # one root: L = Σⱼ Σ outputsⱼ ⊙ grad_outputsⱼ, whose gradient is the sum above
        with enable_grad():
            root = sum(((output * seed).sum() for output, seed in zip(outputs, seeds)), start=0.0)
        gradient = np.ones_like(root.data)
        if create_graph:
            gradient = type(root)._wrap(gradient)
    if create_graph:
        grads = run_backward_graph(root, gradient, retain_graph, inputs=inputs)
    else:
        grads = _grads_as_arrays(root, gradient, retain_graph, inputs)
    for tensor, result in zip(inputs, grads):
        if result is None and not allow_unused:
            raise RuntimeError("One of the differentiated Tensors appears to not have been used in the "
                               "graph. Set allow_unused=True if this is the desired behavior.")
    return tuple(grads)


def _seed(output, seed, create_graph):
    """dL/d output: the given one (a Tensor, array or number) or 1 for a one-element output."""
    if seed is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs; this output has shape "
                f"{output.data.shape}: pass grad_outputs= (d loss / d output)")
        seed = np.ones_like(output.data)
    if create_graph:
        if hasattr(seed, "grad_fn"):
            seed_tensor = seed
        else:
            seed_tensor = type(output)._wrap(_array_of(output, seed))
        if seed_tensor.shape != output.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output has shape {seed_tensor.shape} "
                               f"and output has shape {output.shape}")
        return seed_tensor
    array = _array_of(output, seed.data if hasattr(seed, "grad_fn") else seed)
    if array.shape != output.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output has shape {array.shape} "
                           f"and output has shape {output.shape}")
    return array


def _array_of(output, value):
    return np.asarray(value, dtype=output.data.dtype)


def _grads_as_arrays(root, gradient, retain_graph, inputs):
    """The first-order `grad`: `run_backward` on arrays, catching what reaches each input."""
    wanted = {id(tensor): None for tensor in inputs}

    def catch(tensor, array):
        earlier = wanted[id(tensor)]
        wanted[id(tensor)] = array.copy() if earlier is None else earlier + array

    if id(root) in wanted:
        catch(root, gradient)

    def on_gradient(fn, index, array):
        tensor = fn.inputs[index]
        if array is not None and id(tensor) in wanted and tensor._requires_grad:
            catch(tensor, array)

    run_backward(root, gradient, retain_graph=retain_graph, on_gradient=on_gradient, accumulate_grad=False)
    return [None if wanted[id(tensor)] is None
            else type(tensor)._wrap(wanted[id(tensor)].astype(tensor.data.dtype, copy=False))
            for tensor in inputs]
