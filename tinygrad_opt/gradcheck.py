"""Check analytic gradients against central finite differences, in float64: `gradcheck` for
first derivatives, `gradgradcheck` for second derivatives (the gradient's own gradient)."""
import numpy as np

from .autograd import enable_grad, grad, no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by `gradcheck` when an analytic and a numeric gradient disagree."""


def _as_float64_inputs(inputs):
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    prepared = []
    for item in inputs:
        if isinstance(item, Tensor) and item.dtype.kind == "f":
            prepared.append(Tensor(item.data, dtype=np.float64, requires_grad=item.requires_grad))
        else:
            prepared.append(item)
    return prepared


def _scalar_output(fn, inputs, projection):
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    return out, (out * projection).sum() if projection is not None else out.sum()


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Compare autograd's gradient of `fn(*inputs)` with central differences, in float64.

    Every floating Tensor in `inputs` that requires grad is checked. A non-scalar output is
    reduced to L = Σ out ⊙ R with a fixed random R, which checks the full vector-Jacobian
    product. For each element i of each input:

        numeric_i = (L(x + eps·eᵢ) − L(x − eps·eᵢ)) / (2·eps)
        pass when |analytic_i − numeric_i| ≤ atol + rtol·|numeric_i|

    Returns True, or raises `GradcheckError` naming the input, the index and both values of
    the worst mismatch.
    """
    inputs = _as_float64_inputs(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input Tensor has requires_grad=True")
    with enable_grad():
        out, _ = _scalar_output(fn, inputs, None)
        projection = None
        if out.data.size != 1:
            projection = np.random.default_rng(seed).standard_normal(out.shape)
        _, loss = _scalar_output(fn, inputs, projection)
        for i in checked:
            inputs[i].grad = None
        if loss.requires_grad:  # else the output is constant in the inputs: every gradient is 0
            loss.backward()
    worst = None
    for i in checked:
        tensor = inputs[i]
        analytic = tensor.grad.data if tensor.grad is not None else np.zeros_like(tensor.data)
        flat = tensor.data.reshape(-1)  # a view: perturbing it perturbs the input
        numeric = np.empty(flat.size)
        with no_grad():
            for j in range(flat.size):
                original = flat[j]
                flat[j] = original + eps
                plus = _scalar_output(fn, inputs, projection)[1].item()
                flat[j] = original - eps
                minus = _scalar_output(fn, inputs, projection)[1].item()
                flat[j] = original
                numeric[j] = (plus - minus) / (2 * eps)
        numeric = numeric.reshape(tensor.shape)
        excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if excess.size and np.nanmax(np.where(np.isnan(excess), np.inf, excess)) > 0:
            j = np.unravel_index(np.argmax(np.where(np.isnan(excess), np.inf, excess)), excess.shape)
            if worst is None or excess[j] > worst[0]:
                worst = (excess[j], i, j, analytic[j], numeric[j])
    if worst is not None:
        _, i, j, analytic_value, numeric_value = worst
        raise GradcheckError(
            f"gradcheck failed for input {i} at index {tuple(int(k) for k in j)}: "
            f"analytic {float(analytic_value)!r} vs numeric {float(numeric_value)!r} "
            f"(atol={atol}, rtol={rtol}, eps={eps})")
    return True


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check second derivatives of `fn(*inputs)`: `gradcheck` of its gradient, in float64.

    With L = Σ fn(x) ⊙ u for a random u (which requires grad too, as in PyTorch) and random
    directions vᵢ, the function checked is

        G(x, u) = Σᵢ Σ (∂L/∂xᵢ) ⊙ vᵢ          (∂L/∂xᵢ computed with create_graph=True)

    whose gradient is the Hessian-vector product (∂²L/∂x∂xᵢ) vᵢ — so every second
    derivative the engine records is compared with finite differences of the first. The
    recorded first derivative (the ops' `backward_graph`) is first compared with the one
    `backward` computes on arrays, which `gradcheck` checks.
    """
    inputs = _as_float64_inputs(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradgradcheck: no input Tensor has requires_grad=True")
    rng = np.random.default_rng(seed + 1)
    with enable_grad():
        out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradgradcheck: fn must return a Tensor, got {type(out).__name__}")
    directions = [rng.standard_normal(inputs[i].shape) for i in checked]

    def gradient_along_directions(*args):
        *xs, u = args
        with enable_grad():
            grads = grad(fn(*xs), [xs[i] for i in checked], grad_outputs=u, create_graph=True,
                         allow_unused=True)
            total = (u * 0).sum()  # 0 that stays in the graph even when every gradient is None
            for g, v in zip(grads, directions):
                if g is not None:
                    total = total + (g * v).sum()
        return total

    u = Tensor(rng.standard_normal(out.shape), dtype=np.float64, requires_grad=True)
    _check_recorded_gradient(fn, inputs, checked, u, atol, rtol)
    return gradcheck(gradient_along_directions, list(inputs) + [u], eps=eps, atol=atol, rtol=rtol, seed=seed)


def _check_recorded_gradient(fn, inputs, checked, u, atol, rtol):
    """Raise unless the gradient computed with create_graph=True equals the plain one."""
    with enable_grad():
        differentiated = [inputs[i] for i in checked]
        recorded = grad(fn(*inputs), differentiated, grad_outputs=u, create_graph=True, allow_unused=True)
        plain = grad(fn(*inputs), differentiated, grad_outputs=u.data, allow_unused=True)
    for i, a, b in zip(checked, recorded, plain):
        a = np.zeros(inputs[i].shape) if a is None else a.data
        b = np.zeros(inputs[i].shape) if b is None else b.data
        if not np.allclose(a, b, atol=atol, rtol=rtol):
            j = np.unravel_index(np.argmax(np.abs(a - b)), a.shape)
            raise GradcheckError(
                f"gradgradcheck: the gradient recorded with create_graph=True differs from backward's "
                f"for input {i} at index {tuple(int(k) for k in j)}: {float(a[j])!r} vs {float(b[j])!r}")
