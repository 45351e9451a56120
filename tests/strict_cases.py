"""The places where `strict=True` raises, written once for tinygrad_opt.func and PyTorch's
torch.autograd.functional (`test_func.py` checks them by hand, `test_func_torch.py` live).

Each case: (function, f, inputs, v, options, the derivative without strict, the message with
strict). `f(M, w, *xs)` is written with `M` = tinygrad_opt or torch; `w` is a weight the
function captures from outside, requiring grad. Inputs x = (1, 2), y = (3, −1), v = (1, −2),
w = (0.5, −1.5). Without strict, each derivative is zeros (wholly or in part) for want of a
dependence; with strict, PyTorch's words say which.
"""
import numpy as np

X, Y, V, W = [1.0, 2.0], [3.0, -1.0], [1.0, -2.0], [0.5, -1.5]
ZEROS = [[0.0, 0.0], [0.0, 0.0]]


def sign(M, x):
    """sign(x), whose backward sends zeros that do not depend on the incoming gradient."""
    if M.__name__ == "torch":
        return M.sign(x)
    from tinygrad_opt.ops import Function

    class Sign(Function):
        def forward(self, x):
            return np.sign(x)

        def backward(self, grad):
            return np.zeros_like(grad)

        def backward_graph(self, grad):    # as PyTorch's: zeros, not grad · 0
            return M.Tensor._wrap(np.zeros_like(grad.data))
    return Sign.apply(x)


def constant(M):
    return M.tensor([1.0, 2.0], dtype=M.float64)


def independent_of(i, what="output"):
    return (f"The {what} of the user-provided function is independent of input {i}. "
            "This is not allowed in strict mode.")


def constant_when_create_graph(what, i):
    return (f"The {what} of the user-provided function is independent of input {i}. "
            "This is not allowed in strict mode when create_graph=True.")


OUTPUT_0_CONSTANT = ("Output 0 of the user-provided function does not require gradients. The outputs must "
                     "be computed in a differentiable manner from the input when running in strict mode.")


def linear_in(i):
    return ("While computing the hessian, found that the jacobian of the user-provided function with "
            f"respect to input {i} is independent of the input. This is not allowed in strict mode. You "
            "should ensure that your function is twice differentiable and that the jacobian depends on "
            "the inputs (this would be violated by a linear function for example).")


CG = {"create_graph": True}
CASES = {
    "vjp_output_constant": ("vjp", lambda M, w, x: constant(M), X, V, {}, [0.0, 0.0], OUTPUT_0_CONSTANT),
    "vjp_input_unused": ("vjp", lambda M, w, x, y: 2 * x, (X, Y), V, {}, ([2.0, -4.0], [0.0, 0.0]),
                         independent_of(1)),
    "vjp_linear_create_graph": ("vjp", lambda M, w, x: 2 * x, X, V, CG, [2.0, -4.0],
                                constant_when_create_graph("jacobian", 0)),
    "jvp_input_unused": ("jvp", lambda M, w, x, y: 2 * x, (X, Y), (V, V), {}, [2.0, -4.0], independent_of(1)),
    "jvp_gradient_constant": ("jvp", lambda M, w, x: sign(M, x) * 3, X, V, {}, [0.0, 0.0],
                              "The gradient with respect to input 0 is independent of the inputs of the "
                              "user-provided function. This is not allowed in strict mode."),
    "jvp_output_independent": ("jvp", lambda M, w, x: (2 * x, 3 * w), X, V, {}, ([2.0, -4.0], [0.0, 0.0]),
                               "The gradient with respect to the input is independent of entry 1 in the "
                               "grad_outputs when using the double backward trick to compute forward mode "
                               "gradients. This is not allowed in strict mode."),
    "jvp_linear_create_graph": ("jvp", lambda M, w, x: 2 * x, X, V, CG, [2.0, -4.0],
                                constant_when_create_graph("jacobian", 0)),
    "jacobian_output_constant": ("jacobian", lambda M, w, x: constant(M), X, None, {}, ZEROS, OUTPUT_0_CONSTANT),
    "jacobian_input_unused": ("jacobian", lambda M, w, x, y: x * x, (X, Y), None, {}, ([[2.0, 0.0], [0.0, 4.0]], ZEROS),
                              "Output 0 of the user-provided function is independent of input 1. "
                              "This is not allowed in strict mode."),
    "jacobian_linear_create_graph": ("jacobian", lambda M, w, x: 2 * x, X, None, CG, [[2.0, 0.0], [0.0, 2.0]],
                                     constant_when_create_graph("jacobian", 0)),
    "hessian_output_constant": ("hessian", lambda M, w, x: constant(M).sum(), X, None, {}, ZEROS,
                                OUTPUT_0_CONSTANT),
    "hessian_linear": ("hessian", lambda M, w, x: (2 * x).sum(), X, None, {}, ZEROS, linear_in(0)),
    "hessian_input_unused": ("hessian", lambda M, w, x, y: (x * x * x).sum(), (X, Y), None, {},
                             (([[6.0, 0.0], [0.0, 12.0]], ZEROS), (ZEROS, ZEROS)), linear_in(1)),
    "hessian_block_independent": ("hessian", lambda M, w, x, y: (x * x * y).sum(), (X, Y), None, {},
                                  (([[6.0, 0.0], [0.0, -2.0]], [[2.0, 0.0], [0.0, 4.0]]),
                                   ([[2.0, 0.0], [0.0, 4.0]], ZEROS)),
                                  "Output 1 of the user-provided function is independent of input 1. "
                                  "This is not allowed in strict mode."),
    "hessian_quadratic_create_graph": ("hessian", lambda M, w, x: (x * x).sum(), X, None, CG,
                                       [[2.0, 0.0], [0.0, 2.0]], constant_when_create_graph("jacobian", 0)),
    "hvp_input_unused": ("hvp", lambda M, w, x, y: (x * x * x).sum(), (X, Y), (V, V), {}, ([6.0, -24.0], [0.0, 0.0]),
                         independent_of(1)),
    "hvp_linear": ("hvp", lambda M, w, x: (2 * x).sum(), X, V, {}, [0.0, 0.0], linear_in(0)),
    "hvp_gradient_captured": ("hvp", lambda M, w, x: (x * w).sum(), X, V, {}, [0.0, 0.0],
                              "The hessian of the user-provided function is independent of entry 0 in the "
                              "grad_jacobian. This is not allowed in strict mode as it prevents from using "
                              "the double backward trick to replace forward mode AD."),
    "hvp_quadratic_create_graph": ("hvp", lambda M, w, x: (x * x).sum(), X, V, CG, [2.0, -4.0],
                                   constant_when_create_graph("hessian", 0)),
    "vhp_gradient_captured": ("vhp", lambda M, w, x: (x * w).sum(), X, V, {}, [0.0, 0.0],
                              independent_of(0, what="jacobian")),
    "vhp_quadratic_create_graph": ("vhp", lambda M, w, x: (x * x).sum(), X, V, CG, [2.0, -4.0],
                                   constant_when_create_graph("hessian", 0)),
}


def arguments(M, case, requires_grad=False):
    """(f, inputs, v, options, w) of a case in library M (the inputs requiring grad if asked)."""
    name, f, inputs, v, options, _, _ = CASES[case]
    w = M.tensor(W, dtype=M.float64, requires_grad=True)

    def tensors(values, requires_grad=False):
        if isinstance(values, tuple):
            return tuple(tensors(value, requires_grad) for value in values)
        return M.tensor(values, dtype=M.float64, requires_grad=requires_grad)
    return (lambda *xs: f(M, w, *xs)), tensors(inputs, requires_grad), (None if v is None else tensors(v)), options, w


def derivative(name, result):
    """The derivative part of a result: the second of the pair for vjp, jvp, hvp and vhp."""
    return result if name in ("jacobian", "hessian") else result[1]
