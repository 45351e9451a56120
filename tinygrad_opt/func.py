"""Derivatives as functions: `grad`, `value_and_grad` (as `torch.func`) and `vjp`, `jvp`,
`jacobian`, `hessian`, `hvp` (as `torch.autograd.functional`), all on top of reverse mode.

For f: ℝⁿ → ℝᵐ with Jacobian J = ∂f/∂x (m × n), and a scalar loss L: ℝⁿ → ℝ with gradient
g = ∇L and Hessian H = ∇²L (n × n):

    vjp(f, x, u)   = (f(x), uᵀJ)       one backward pass
    jvp(f, x, v)   = (f(x), J v)       two backward passes: J v = ∂(uᵀJ)/∂u · v  (uᵀJ is linear in u)
    jacobian(f, x) = J                 one backward pass per output element (row by row)
    hessian(L, x)  = H                 the Jacobian of the gradient: one pass per element of x
    hvp(L, x, v)   = (L(x), H v)       two backward passes: H v = ∂(gᵀv)/∂x — H is never formed
    grad(L)(x)     = g,  value_and_grad(L)(x) = (L(x), g)

Each result is computed with `autograd.grad(..., create_graph=True)` where a second derivative
is needed. Inputs are used as given when they already require grad (so a transform can be
differentiated again, e.g. `grad(grad(f))`), otherwise as a fresh leaf sharing their data.
"""
import numpy as np

from .autograd import enable_grad, grad as _grad
from .tensor import Tensor

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian", "hvp"]


def _as_input(x):
    """`x` itself when it requires grad (an outer derivative is being taken), else a leaf that does."""
    if not isinstance(x, Tensor):
        array = np.asarray(x)
        x = Tensor(array, dtype=array.dtype if array.dtype.kind == "f" else None)
    if x.requires_grad:
        return x
    return x.detach().requires_grad_(True)


def _as_tuple(inputs):
    return (tuple(inputs), True) if isinstance(inputs, (tuple, list)) else ((inputs,), False)


def _zeros_for_unused(grads, inputs):
    return tuple(Tensor._wrap(np.zeros_like(x.data)) if g is None else g for g, x in zip(grads, inputs))


def _grad_or_none(out, inputs, **options):
    """`autograd.grad` with None for unused inputs, and for all of them when `out` is constant."""
    if not out.requires_grad:
        return (None,) * len(inputs)
    return _grad(out, inputs, allow_unused=True, **options)


def _call(func, inputs):
    with enable_grad():
        out = func(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"the function must return a Tensor, got {type(out).__name__}")
    return out


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
        out = _call(func, args)
        if out.data.size != 1:
            raise RuntimeError(f"grad: the function must return a one-element Tensor, got shape {out.shape}")
        wrt = [args[position] for position in positions]
        grads = _zeros_for_unused(_grad_or_none(out, wrt, create_graph=nested), wrt)
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


def vjp(func, inputs, v=None, create_graph=False):
    """(f(x), uᵀJ): the vector-Jacobian product, `v` = u of f(x)'s shape (may be omitted for a
    one-element output). Returns a Tensor, or a tuple when `inputs` is a tuple."""
    inputs, several = _as_tuple(inputs)
    inputs = tuple(_as_input(x) for x in inputs)
    out = _call(func, inputs)
    grads = _zeros_for_unused(_grad_or_none(out, inputs, grad_outputs=v, create_graph=create_graph), inputs)
    return _result(out, create_graph), (grads if several else grads[0])


def jvp(func, inputs, v, create_graph=False):
    """(f(x), J v): the Jacobian-vector product by the double-vjp trick.

    w(u) = uᵀJ is linear in u, so its own vjp along v is ∂(uᵀJ v)/∂u = J v: two backward
    passes, with u any vector (zeros here) that requires grad.
    """
    inputs, several = _as_tuple(inputs)
    directions = v if several else (v,)
    inputs = tuple(_as_input(x) for x in inputs)
    out = _call(func, inputs)
    u = Tensor._wrap(np.zeros_like(out.data), requires_grad=True)
    with enable_grad():
        rows = _grad_or_none(out, inputs, grad_outputs=u, create_graph=True)
        used = [(row, direction) for row, direction in zip(rows, directions) if row is not None]
        if not used:
            return _result(out, create_graph), Tensor._wrap(np.zeros_like(out.data))
        total = sum(((row * _array(direction)).sum() for row, direction in used), start=0.0)
        if not total.requires_grad:  # f is linear in nothing that depends on u: J v = 0
            return _result(out, create_graph), Tensor._wrap(np.zeros_like(out.data))
        (product,) = _grad_or_none(total, [u], create_graph=create_graph)
    product = Tensor._wrap(np.zeros_like(out.data)) if product is None else product
    return _result(out, create_graph), product


def jacobian(func, inputs, create_graph=False):
    """J = ∂f/∂x, of shape f(x).shape + x.shape, one backward pass per output element.

    With a tuple of inputs, a tuple of Jacobians (one per input); with a tuple of outputs, a
    tuple per output — as `torch.autograd.functional.jacobian`.
    """
    inputs, several_inputs = _as_tuple(inputs)
    inputs = tuple(_as_input(x) for x in inputs)
    with enable_grad():
        outputs = func(*inputs)
    outputs, several_outputs = _as_tuple(outputs)
    blocks = [_jacobian_of(out, inputs, create_graph) for out in outputs]
    blocks = [block if several_inputs else block[0] for block in blocks]
    return tuple(blocks) if several_outputs else blocks[0]


def _jacobian_of(out, inputs, create_graph):
    """[∂out/∂x for x in inputs], each of shape out.shape + x.shape, built row by row."""
    rows = [[] for _ in inputs]
    for i in range(out.data.size):
        seed = np.zeros(out.data.size, dtype=out.data.dtype)
        seed[i] = 1
        grads = _grad_or_none(out, inputs, grad_outputs=seed.reshape(out.shape), retain_graph=True,
                              create_graph=create_graph)
        for row, g, x in zip(rows, _zeros_for_unused(grads, inputs), inputs):
            row.append(g.reshape(1, *x.shape))
    from .functional import cat
    return [cat(row, axis=0).reshape(*out.shape, *x.shape) if create_graph
            else Tensor._wrap(np.concatenate([r.data for r in row]).reshape(out.shape + x.shape))
            for row, x in zip(rows, inputs)]


def hessian(func, inputs, create_graph=False):
    """H = ∇²L, of shape x.shape + x.shape, for a `func` returning a one-element Tensor L:
    the Jacobian of the gradient (one backward pass through the gradient per element of x).
    With a tuple of inputs, nested tuples: `H[i][j]` = ∂²L/∂xᵢ∂xⱼ."""
    inputs, several = _as_tuple(inputs)
    inputs = tuple(_as_input(x) for x in inputs)

    def gradient(*xs):
        out = _call(func, xs)
        if out.data.size != 1:
            raise RuntimeError(f"hessian: the function must return a one-element Tensor, got shape {out.shape}")
        grads = _zeros_for_unused(_grad_or_none(out, xs, create_graph=True), xs)
        return grads if several else grads[0]

    return jacobian(gradient, inputs if several else inputs[0], create_graph=create_graph)


def hvp(func, inputs, v, create_graph=False):
    """(L(x), H v): the Hessian-vector product by double backward, without forming H.

        g = ∇L(x)  (recorded),   H v = ∇ₓ(gᵀv)

    so it costs two backward passes whatever the size of x (`v` has x's shape; a tuple of
    inputs takes a tuple of v's)."""
    inputs, several = _as_tuple(inputs)
    directions = v if several else (v,)
    inputs = tuple(_as_input(x) for x in inputs)
    out = _call(func, inputs)
    if out.data.size != 1:
        raise RuntimeError(f"hvp: the function must return a one-element Tensor, got shape {out.shape}")
    with enable_grad():
        grads = _grad_or_none(out, inputs, create_graph=True)
        used = [(g, direction) for g, direction in zip(grads, directions) if g is not None]
        total = sum(((g * _array(direction)).sum() for g, direction in used), start=0.0)
        if isinstance(total, Tensor) and total.requires_grad:
            products = _grad_or_none(total, inputs, create_graph=create_graph)
        else:  # L is at most linear in x: H = 0
            products = (None,) * len(inputs)
    products = _zeros_for_unused(products, inputs)
    return _result(out, create_graph), (products if several else products[0])


def _array(direction):
    return direction if isinstance(direction, Tensor) else np.asarray(direction)


def _result(out, create_graph):
    return out if create_graph else out.detach()
