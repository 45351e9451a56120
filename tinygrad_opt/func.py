"""Derivatives as functions: `grad`, `value_and_grad` (as `torch.func`) and `vjp`, `jvp`,
`jacobian`, `hessian`, `vhp`, `hvp` (as `torch.autograd.functional`), all on top of reverse mode.

For f: ℝⁿ → ℝᵐ with Jacobian J = ∂f/∂x (m × n), and a scalar loss L: ℝⁿ → ℝ with gradient
g = ∇L and Hessian H = ∂g/∂x = ∇²L (n × n, row i = ∂gᵢ/∂x):

    vjp(f, x, u)   = (f(x), uᵀJ)       one backward pass
    jvp(f, x, v)   = (f(x), J v)       two backward passes: w(u) = Jᵀu (recorded), J v = ∇ᵤ(w(u)ᵀv)
    jacobian(f, x) = J                 one backward pass per output element (row by row)
    hessian(L, x)  = H                 the Jacobian of the gradient: one pass through g per element of x
    vhp(L, x, v)   = (L(x), vᵀH)       two backward passes: vᵀH = ∇ₓ(gᵀv)
    hvp(L, x, v)   = (L(x), H v)       three: jvp's trick on g, H v = ∇ᵤ(∇ₓ(gᵀu)ᵀv) — H never formed
    grad(L)(x)     = g,  value_and_grad(L)(x) = (L(x), g)

(uᵀJ is linear in u, so differentiating it with respect to u gives back J: that is how a
reverse-mode engine computes a forward-mode product.) Each result is computed with
`autograd.grad(..., create_graph=True)` where a second derivative is needed.

The six torch-shaped functions follow `torch.autograd.functional` (PyTorch 2.13) argument for
argument. Each input is used as a new Tensor: connected to the given one only with
`create_graph=True` when that one requires grad, so the function's result can be
differentiated further. An input that every output is independent of gets zeros — or, with
`strict=True`, PyTorch's RuntimeError (word for word), raised before anything is returned:

    vjp(lambda x, y: 2 * x, (x, y), v, strict=True)
    # RuntimeError: The output of the user-provided function is independent of input 1. ...
"""
import numpy as np

from .autograd import enable_grad, grad as _grad
from .functional import stack
from .tensor import Tensor

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]

STRATEGIES = ("forward-mode", "reverse-mode")

# strict mode's errors, in PyTorch's words (torch/autograd/functional.py), so a message found
# in PyTorch's issues or docs reads the same here.
_NO_GRAD = {  # a tensor that should require grad does not
    "outputs": "Output {i} of the user-provided function does not require gradients. The outputs "
               "must be computed in a differentiable manner from the input when running in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the "
                   "user-provided function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided function "
                "with respect to input {i} is independent of the input. This is not allowed in strict "
                "mode. You should ensure that your function is twice differentiable and that the "
                "jacobian depends on the inputs (this would be violated by a linear function for example).",
}
_UNUSED = {  # a backward pass that gives an input no gradient at all, by stage
    "back": "The output of the user-provided function is independent of input {i}. "
            "This is not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in "
                         "the grad_jacobian. This is not allowed in strict mode as it prevents from "
                         "using the double backward trick to replace forward mode AD.",
}
_CONSTANT = ("The {what} of the user-provided function is independent of input {i}. "
             "This is not allowed in strict mode when create_graph=True.")
_FORWARD_MODE = ("torch.autograd.functional.jacobian: `{flag}=True` and `strategy=\"forward-mode\"` "
                 "are not supported together (yet). Please either set `{flag}=False` or "
                 "`strategy=\"reverse-mode\"`.")


def _as_input(x):
    """`x` itself when it requires grad (an outer derivative is being taken), else a leaf that does."""
    x = _as_tensor(x)
    if x.requires_grad:
        return x
    return x.detach().requires_grad_(True)


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    array = np.asarray(x)
    return Tensor(array, dtype=array.dtype if array.dtype.kind == "f" else None)


def _as_tuple(inputs):
    return (tuple(inputs), True) if isinstance(inputs, (tuple, list)) else ((inputs,), False)


def value_and_grad(func, argnums=0):
    """`func` → (x… ↦ (L, ∂L/∂x_argnums)) for a `func` returning a one-element Tensor L.

    `argnums` (an int or a tuple of ints) picks the arguments to differentiate; a tuple gives
    a tuple of gradients. Nests: `grad(grad(f))` is the second derivative of f.
    """
    def wrapper(*args):
        args = list(args)
        positions, several = _as_tuple(argnums)
        # An argument that already requires grad is being differentiated by an outer
        # transform: then the gradient is recorded too, so that transform can go on.
        nested = any(isinstance(args[position], Tensor) and args[position].requires_grad
                     for position in positions)
        for position in positions:
            args[position] = _as_input(args[position])
        outputs, several_outputs = _outputs(func, args, "grad")
        out = outputs[0]
        if several_outputs or out.data.size != 1:
            got = "a tuple" if several_outputs else f"shape {out.shape}"
            raise RuntimeError(f"grad: the function must return a one-element Tensor, got {got}")
        wrt = [args[position] for position in positions]
        grads = _fill_in_zeros(_autograd_grad(outputs, wrt, create_graph=nested), wrt, False, False, "back")
        return (out if nested else out.detach()), (grads if several else grads[0])
    return wrapper


def grad(func, argnums=0):
    """`func` → (x… ↦ ∂L/∂x_argnums), the gradient of a `func` returning a one-element Tensor.

        grad(lambda x: (x ** 3).sum())(x)            # 3x²
        grad(lambda x: grad(f)(x).sum())(x)          # the diagonal of f's Hessian summed by rows
    """
    value_and_gradient = value_and_grad(func, argnums)

    def wrapper(*args):
        return value_and_gradient(*args)[1]
    return wrapper


# ----------------------------------------------------------------- torch.autograd.functional
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(f(x), uᵀJ): the vector-Jacobian product, `v` = u of f(x)'s shape (may be omitted for a
    one-element output), by one backward pass. Returns a Tensor, or a tuple when `inputs` is a
    tuple (and f(x) a tuple when f returns one, with a tuple `v`).

    `create_graph=True` records the computation, so the result can be differentiated again.
    `strict=True` raises a RuntimeError instead of returning zeros for an input that every
    output is independent of (and, with `create_graph=True`, for a result that is constant in
    the inputs — f linear); also for an output that does not require grad.
    """
    inputs, several_inputs = _as_tuple(inputs)
    inputs = _preprocess(inputs, create_graph, need_graph=True)
    outputs, several_outputs = _outputs(func, inputs, "vjp")
    _check_requires_grad(outputs, "outputs", strict)
    v = _directions(v, outputs, several_outputs, create_graph,
                    "the user-provided function returns a single Tensor with a single element")
    products = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
    products = _fill_in_zeros(products, inputs, strict, create_graph, "back")
    return _result(outputs, several_outputs, create_graph), _result(products, several_inputs, create_graph)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(f(x), J v): the Jacobian-vector product by the double-vjp trick, `v` of x's shape (may
    be omitted for a one-element x).

        w(u) = Jᵀu = ∇ₓ(f(x)ᵀu)   (recorded),    J v = ∇ᵤ(w(u)ᵀv)

    w is linear in u, so its own vjp along v is J v whatever u is: two backward passes, with u
    zeros that require grad. `create_graph` and `strict` as in `vjp`; with `strict=True` the
    second pass raises too when the gradient is independent of an output's u (that output
    does not depend on the inputs).
    """
    inputs, several_inputs = _as_tuple(inputs)
    inputs = _preprocess(inputs, create_graph, need_graph=True)
    v = _directions(v, inputs, several_inputs, create_graph,
                    "the input to the user-provided function is a single Tensor with a single element")
    outputs, several_outputs = _outputs(func, inputs, "jvp")
    _check_requires_grad(outputs, "outputs", strict)
    u = _seeds(outputs)
    w = _autograd_grad(outputs, inputs, u, create_graph=True)
    _check_requires_grad(w, "grad_inputs", strict)
    products = _autograd_grad(w, u, v, create_graph=create_graph)
    products = _fill_in_zeros(products, outputs, strict, create_graph, "back_trick")
    return _result(outputs, several_outputs, create_graph), _result(products, several_outputs, create_graph)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """J = ∂f/∂x, of shape f(x).shape + x.shape.

    With a tuple of inputs, a tuple of Jacobians (one per input); with a tuple of outputs, a
    tuple per output; with both, `J[i][j]` = ∂outputᵢ/∂inputⱼ — as
    `torch.autograd.functional.jacobian`.

    - `strategy="reverse-mode"` (the default): one backward pass per output element, row i
      of J = ∇ₓ(f(x)ᵀeᵢ).
    - `strategy="forward-mode"`: one column per input element, J eⱼ = ∇ᵤ(w(u)ᵀeⱼ) with
      w(u) = Jᵀu recorded once — `jvp`'s trick, so one forward and one recorded backward, then
      a backward pass through w per column; worth it when f has several times more outputs
      than inputs. As in PyTorch it needs `vectorize=True`, and refuses `create_graph` and
      `strict`.
    - `vectorize=True`: in PyTorch, one batched backward pass by vmap. There is no vmap here,
      so it is accepted and runs the same loop as `vectorize=False`: the same values, no faster.
      As in PyTorch, it cannot be combined with `strict=True`.
    - `strict=True`: a RuntimeError instead of zeros for an output independent of an input
      (and, with `create_graph=True`, for a Jacobian that is constant: f linear).
    """
    if strategy not in STRATEGIES:
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more '
                             'performant. Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(_FORWARD_MODE.format(flag="create_graph"))
        if strict:
            raise RuntimeError(_FORWARD_MODE.format(flag="strict"))
        if not vectorize:
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                      "only implemented for `vectorize=True`.")
    inputs, several_inputs = _as_tuple(inputs)
    inputs = _preprocess(inputs, create_graph, need_graph=True)
    outputs, several_outputs = _outputs(func, inputs, "jacobian")
    if strategy == "forward-mode":
        blocks = _jacobian_by_columns(outputs, inputs)
    else:
        _check_requires_grad(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are "
                               "not supported together. Please either set `strict=False` or `vectorize=False`.")
        blocks = _jacobian_by_rows(outputs, inputs, create_graph, strict)
    blocks = [_result(block, several_inputs, create_graph) for block in blocks]
    return tuple(blocks) if several_outputs else blocks[0]


def _jacobian_by_rows(outputs, inputs, create_graph, strict):
    """[[∂out/∂x for x in inputs] for out in outputs], row i by a backward pass seeded with eᵢ."""
    blocks = []
    for i, out in enumerate(outputs):
        rows = [[] for _ in inputs]
        for seed in _basis(out):
            grads = _autograd_grad((out,), inputs, (seed,), retain_graph=True, create_graph=create_graph)
            for j, (row, g, x) in enumerate(zip(rows, grads, inputs)):
                if g is None:
                    if strict:
                        raise RuntimeError(f"Output {i} of the user-provided function is independent of "
                                           f"input {j}. This is not allowed in strict mode.")
                    g = Tensor._wrap(np.zeros_like(x.data))
                elif strict and create_graph and not g.requires_grad:
                    # PyTorch's message names the output's index i here; kept word for word.
                    raise RuntimeError(_CONSTANT.format(what="jacobian", i=i))
                row.append(g)
        blocks.append([_stack(row, out.shape + x.shape, create_graph) for row, x in zip(rows, inputs)])
    return blocks


def _jacobian_by_columns(outputs, inputs):
    """The same blocks, column j of every output at once by J eⱼ = ∇ᵤ(w(u)ᵀeⱼ), w(u) = Jᵀu."""
    u = _seeds(outputs)
    w = _autograd_grad(outputs, inputs, u, create_graph=True)
    columns = [[[] for _ in inputs] for _ in outputs]
    for j, (w_j, x) in enumerate(zip(w, inputs)):
        for seed in _basis(x):
            grads = _autograd_grad((w_j,), u, (seed,), retain_graph=True)
            for by_input, g, out in zip(columns, _fill_in_zeros(grads, outputs, False, False, "back_trick"), outputs):
                by_input[j].append(g.data)
    return [[Tensor._wrap(np.moveaxis(np.stack(column), 0, -1).reshape(out.shape + x.shape))
             for column, x in zip(by_input, inputs)] for by_input, out in zip(columns, outputs)]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """H = ∇²L, of shape x.shape + x.shape, for a `func` returning a one-element Tensor L:
    the Jacobian of the gradient, H = ∂g/∂x, by `jacobian` (one backward pass through the
    recorded g per element of x; with `outer_jacobian_strategy="forward-mode"`, which needs
    `vectorize=True`, one per column instead — the same numbers). With a tuple of inputs,
    nested tuples: `H[i][j]` = ∂²L/∂xᵢ∂xⱼ.

    `vectorize=True` runs the same loop (there is no vmap here; see `jacobian`). `strict=True`
    raises a RuntimeError where the result would hold zeros for want of any dependence: L not
    requiring grad, g independent of an input (L linear in it), a block of H with nothing to
    differentiate, or (with `create_graph=True`) an H constant in the inputs (L quadratic).
    """
    inputs, several = _as_tuple(inputs)
    if outer_jacobian_strategy not in STRATEGIES:
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def gradient(*xs):
        def loss(*xs):
            return _scalar_output(func, xs, "hessian", strict)[0].reshape(())
        g = jacobian(loss, xs, create_graph=True)
        _check_requires_grad(g, "jacobian", strict)
        return g

    blocks = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                      strategy=outer_jacobian_strategy)
    return blocks if several else blocks[0][0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(L(x), vᵀH): the vector-Hessian product by double backward, without forming H.

        g = ∇L(x)  (recorded),   vᵀH = ∇ₓ(gᵀv)

    Two backward passes whatever the size of x (`v` has x's shape; a tuple of inputs takes a
    tuple of v's). H is symmetric for a twice continuously differentiable L, so this is `hvp`
    with one backward pass fewer. `create_graph` and `strict` as in `hvp`.
    """
    inputs, several, v, outputs, g = _recorded_gradient(func, inputs, v, create_graph, strict, "vhp")
    products = _autograd_grad(g, inputs, v, create_graph=create_graph)
    products = _fill_in_zeros(products, inputs, strict, create_graph, "double_back")
    return _result(outputs, False, create_graph), _result(products, several, create_graph)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(L(x), H v): the Hessian-vector product, without forming H, by `jvp`'s trick on g:

        g = ∇L(x)  (recorded),   w(u) = ∇ₓ(gᵀu) = Hᵀu  (recorded),   H v = ∇ᵤ(w(u)ᵀv)

    Three backward passes whatever the size of x, as PyTorch's `hvp` (`v` has x's shape; a
    tuple of inputs takes a tuple of v's). H v is row by row ∂gᵢ/∂x · v, exactly as `hessian`
    forms H; for a twice continuously differentiable L, H is symmetric and `vhp` gives the
    same numbers with one pass fewer.

    `create_graph=True` records the result. `strict=True` raises a RuntimeError instead of
    returning zeros: L not requiring grad, L independent of an input, g independent of an
    input (L linear in it), a row of H with nothing to differentiate, or (with
    `create_graph=True`) an H v constant in the inputs (L quadratic).
    """
    inputs, several, v, outputs, g = _recorded_gradient(func, inputs, v, create_graph, strict, "hvp")
    u = _seeds(inputs)
    w = _autograd_grad(g, inputs, u, create_graph=True)
    products = _autograd_grad(w, u, v, create_graph=create_graph)
    products = _fill_in_zeros(products, inputs, strict, create_graph, "double_back_trick")
    return _result(outputs, False, create_graph), _result(products, several, create_graph)


# ----------------------------------------------------------------- their shared steps
def _preprocess(tensors, create_graph, need_graph):
    """Each of `tensors` as a new Tensor (so one the function also captures from outside is not
    mistaken for the argument): on the given one's graph when `create_graph` and it requires
    grad, else cut off from it, requiring grad if `need_graph`."""
    result = []
    for x in map(_as_tensor, tensors):
        if create_graph and x.requires_grad:
            with enable_grad():
                result.append(x.reshape(x.shape))
        else:
            result.append(x.detach().requires_grad_(need_graph))
    return tuple(result)


def _outputs(func, inputs, name):
    """func(*inputs) as a tuple, and whether it was one; a TypeError for anything but Tensors."""
    with enable_grad():
        outputs = func(*inputs)
    several = isinstance(outputs, tuple)
    outputs = outputs if several else (outputs,)
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            which = f"the value at index {i}" if several else "the given outputs of the user-provided function"
            raise TypeError(f"The outputs of the user-provided function given to {name} must be either a "
                            f"Tensor or a tuple of Tensors but {which} has type {type(out)}.")
    return outputs, several


def _scalar_output(func, inputs, name, strict):
    outputs, several = _outputs(func, inputs, name)
    _check_requires_grad(outputs, "outputs", strict)
    if several:
        raise RuntimeError(f"The function given to {name} should return a single Tensor")
    if outputs[0].data.size != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {name} should contain a single "
                           f"element, got shape {outputs[0].shape}")
    return outputs


def _recorded_gradient(func, inputs, v, create_graph, strict, name):
    """vhp's and hvp's first steps: x and v prepared, L = func(x), g = ∇L recorded — which,
    with `strict`, must depend on x. Returns (inputs, whether a tuple, v, (L,), g)."""
    inputs, several = _as_tuple(inputs)
    inputs = _preprocess(inputs, create_graph, need_graph=True)
    v = _directions(v, inputs, several, create_graph,
                    "the input to the user-provided function is a single Tensor with a single element")
    outputs = _scalar_output(func, inputs, name, strict)
    g = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(g, "jacobian", strict)
    return inputs, several, v, outputs, g


def _seeds(refs):
    """u for the double-vjp trick: zeros shaped as `refs`, requiring grad. uᵀJ is linear in u, so
    u's value never reaches the result; zeros just hold no inf or nan."""
    return tuple(Tensor._wrap(np.zeros_like(ref.data), requires_grad=True) for ref in refs)


def _directions(v, refs, several, create_graph, when):
    """`v` as a tuple matching `refs` one for one and shape for shape (None only for one element)."""
    if v is None:
        if len(refs) != 1 or refs[0].data.size != 1:
            raise RuntimeError(f"The vector v can only be None if {when}.")
        return None
    v = _preprocess(v if isinstance(v, (tuple, list)) else (v,), create_graph, need_graph=False)
    if len(v) != len(refs):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(refs)} but got {len(v)}." if several
                           else "The given v should contain a single Tensor.")
    for i, (direction, ref) in enumerate(zip(v, refs)):
        if direction.shape != ref.shape:
            raise RuntimeError(f"{f'Entry {i} in ' if several else ''}v has invalid size: should be "
                               f"{ref.shape} but got {direction.shape}.")
    return v


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """`autograd.grad` over those `outputs` that require grad (None entries skipped): None for
    an input they do not depend on, and for every input when none of them requires grad."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(out, seed) for out, seed in zip(outputs, grad_outputs) if out is not None and out.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    used, seeds = zip(*pairs)
    return _grad(list(used), list(inputs), list(seeds), retain_graph=retain_graph,
                 create_graph=create_graph, allow_unused=True)


def _check_requires_grad(tensors, kind, strict):
    """strict mode: every one of `tensors` (outputs, or the gradients of a first pass) exists
    and requires grad — else the derivative asked for is zero for want of any dependence."""
    if not strict:
        return
    for i, tensor in enumerate(tensors):
        if tensor is None:
            raise RuntimeError(_UNUSED["back"].format(i=i))
        if not tensor.requires_grad:
            raise RuntimeError(_NO_GRAD[kind].format(i=i))


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    """Zeros shaped as `refs[i]` for a gradient that is None — or, with `strict`, the error
    of that `stage`; with `strict` and `create_graph`, an error for a gradient that is a
    constant (its graph would say nothing)."""
    result = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_UNUSED[stage].format(i=i))
            g = Tensor._wrap(np.zeros_like(ref.data))
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError(_CONSTANT.format(what="hessian" if "double" in stage else "jacobian", i=i))
        result.append(g)
    return tuple(result)


def _basis(tensor):
    """The one-hot seeds e₀, e₁, … of `tensor`'s shape, in row-major order."""
    for i in range(tensor.data.size):
        seed = np.zeros(tensor.data.size, dtype=tensor.data.dtype)
        seed[i] = 1
        yield seed.reshape(tensor.shape)


def _stack(rows, shape, create_graph):
    """The rows (one Tensor per seed) as one Tensor of `shape`, recorded if `create_graph`."""
    if create_graph:
        return stack(rows).reshape(shape)
    return Tensor._wrap(np.stack([row.data for row in rows]).reshape(shape))


def _result(tensors, several, create_graph):
    """A tuple of results as the user gets them: cut off from the graph unless `create_graph`,
    and a single Tensor unless the matching argument was a tuple."""
    tensors = tuple(t if create_graph else t.detach() for t in tensors)
    return tensors if several else tensors[0]
