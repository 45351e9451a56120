"""Arithmetic with broadcasting: +, −, ×, ÷, powers and negation.

Each input's gradient is reduced back to its own shape by `unbroadcast` (numpy copied it
along the broadcast axes in forward, so every copy's gradient adds up in backward).
"""
import numpy as np

from .function import Function, unbroadcast


class Add(Function):
    """out = a + b;  ∂out/∂a = 1,  ∂out/∂b = 1."""

    rule = "∂L/∂a = g, ∂L/∂b = g (each summed back over its broadcast axes)"
    graph_reads_inputs = False

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return a + b

    def backward(self, grad):
        grad_a = unbroadcast(grad, self.a_shape) if self.inputs[0]._requires_grad else None
        grad_b = unbroadcast(grad, self.b_shape) if self.inputs[1]._requires_grad else None
        return grad_a, grad_b

    backward_graph = backward  # the same lines work on Tensors


class Sub(Function):
    """out = a − b;  ∂out/∂a = 1,  ∂out/∂b = −1."""

    rule = "∂L/∂a = g, ∂L/∂b = −g"
    graph_reads_inputs = False

    def forward(self, a, b):
        self.a_shape, self.b_shape = a.shape, b.shape
        return a - b

    def backward(self, grad):
        grad_a = unbroadcast(grad, self.a_shape) if self.inputs[0]._requires_grad else None
        grad_b = unbroadcast(-grad, self.b_shape) if self.inputs[1]._requires_grad else None
        return grad_a, grad_b

    backward_graph = backward


class Mul(Function):
    """out = a · b;  ∂out/∂a = b,  ∂out/∂b = a."""

    rule = "∂L/∂a = g·b, ∂L/∂b = g·a"

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, grad):
        a, b = self.saved_tensors
        grad_a = unbroadcast(grad * b, a.shape) if self.inputs[0]._requires_grad else None
        grad_b = unbroadcast(grad * a, b.shape) if self.inputs[1]._requires_grad else None
        return grad_a, grad_b

    def backward_graph(self, grad):
        a, b = self.inputs
        return (unbroadcast(grad * b, a.shape) if a.requires_grad else None,
                unbroadcast(grad * a, b.shape) if b.requires_grad else None)


class Div(Function):
    """out = a / b;  ∂out/∂a = 1/b,  ∂out/∂b = −a/b²."""

    rule = "∂L/∂a = g/b, ∂L/∂b = −g·a/b²"

    def forward(self, a, b):
        self.save_for_backward(a, b)
        if a.dtype.kind != "f" and b.dtype.kind != "f":  # int / int is float32, as in PyTorch
            return np.true_divide(a, b, dtype=np.float32)
        return a / b

    def backward(self, grad):
        a, b = self.saved_tensors
        grad_a = unbroadcast(grad / b, a.shape) if self.inputs[0]._requires_grad else None
        grad_b = unbroadcast(-grad * a / (b * b), b.shape) if self.inputs[1]._requires_grad else None
        return grad_a, grad_b

    def backward_graph(self, grad):
        a, b = self.inputs
        return (unbroadcast(grad / b, a.shape) if a.requires_grad else None,
                unbroadcast(-grad * a / (b * b), b.shape) if b.requires_grad else None)


def _ufuncs_can_keep_0d_arrays():
    try:
        return type(np.add(np.zeros(()), 1, out=...)) is np.ndarray   # numpy ≥ 2.3
    except TypeError:
        return False


# numpy turns the result of a ufunc on a 0-d array into a numpy scalar, which `apply` would
# have to wrap again; `out=...` asks for the array itself (numpy ≥ 2.3; None elsewhere).
_ARRAY_OUT = ... if _ufuncs_can_keep_0d_arrays() else None


class _WithNumber(Function):
    """An op of one float tensor a and a Python number c, held as `self.constant`.

    `x + 0.5` records one of these rather than `Add` with a constant tensor: nothing is saved
    and no tensor is made for the 0.5, which keeps a long graph of small ops light (a
    backprop lesson's graphs are chains of exactly these). Drawings show c under the op's name.
    """

    graph_reads_inputs = False
    symbol = ""
    operation = None   # numpy's ufunc, e.g. np.add: out = operation(a, c)

    def forward(self, a, constant):
        self.constant = constant
        return self.operation(a, constant, out=_ARRAY_OUT)

    def describe(self):
        return f"{self.symbol} {self.constant:g}"


class AddScalar(_WithNumber):
    """out = a + c for a Python number c;  ∂out/∂a = 1."""

    rule = "∂L/∂a = g"
    symbol, operation = "+", np.add

    def backward(self, grad):
        return grad

    backward_graph = backward


class SubScalar(_WithNumber):
    """out = a − c for a Python number c;  ∂out/∂a = 1."""

    rule = "∂L/∂a = g"
    symbol, operation = "−", np.subtract

    def backward(self, grad):
        return grad

    backward_graph = backward


class MulScalar(_WithNumber):
    """out = a · c for a Python number c;  ∂out/∂a = c (nothing is saved)."""

    rule = "∂L/∂a = g·c"
    symbol, operation = "×", np.multiply

    def backward(self, grad):
        return grad * self.constant

    backward_graph = backward


class DivScalar(_WithNumber):
    """out = a / c for a Python number c;  ∂out/∂a = 1/c (nothing is saved)."""

    rule = "∂L/∂a = g/c"
    symbol, operation = "÷", np.true_divide

    def backward(self, grad):
        return grad / self.constant

    backward_graph = backward


class Neg(Function):
    """out = −a;  ∂out/∂a = −1."""

    rule = "∂L/∂a = −g"
    graph_reads_inputs = False

    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad

    backward_graph = backward


class PowScalar(Function):
    """out = aᵖ for a constant number p;  ∂out/∂a = p · aᵖ⁻¹."""

    rule = "∂L/∂a = g·p·aᵖ⁻¹"

    def forward(self, a, exponent):
        if isinstance(exponent, float):
            exponent = float(exponent)  # a numpy float64 would promote float32 data to float64
        self.save_for_backward(a)
        self.exponent = exponent
        if exponent == 2:
            return a * a
        return a ** exponent

    def backward(self, grad):
        a, = self.saved_tensors
        p = self.exponent
        if p == 2:
            return grad * (2 * a)
        if p == 0:
            return np.zeros_like(grad)
        return grad * (p * a ** (p - 1))

    def backward_graph(self, grad):
        a, = self.inputs
        p = self.exponent
        return grad * 0.0 if p == 0 else grad * (p * a ** (p - 1))

    def describe(self):
        return f"power {self.exponent:g}"


class Pow(Function):
    """out = aᵇ for tensors a, b;  ∂out/∂a = b · aᵇ⁻¹,  ∂out/∂b = aᵇ · ln a (0 where a = 0)."""

    rule = "∂L/∂a = g·b·aᵇ⁻¹, ∂L/∂b = g·aᵇ·ln a"

    def forward(self, a, b):
        out = a ** b
        self.save_for_backward(a, b, out)
        return out

    def backward(self, grad):
        a, b, out = self.saved_tensors
        grad_a = grad_b = None
        if self.inputs[0]._requires_grad:
            grad_a = unbroadcast(grad * b * a ** (b - 1), a.shape)
        if self.inputs[1]._requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0).astype(out.dtype, copy=False)
            grad_b = unbroadcast(grad * out * log_a, b.shape)
        return grad_a, grad_b

    def backward_graph(self, grad):
        a, b = self.inputs
        grad_a = unbroadcast(grad * b * a ** (b - 1), a.shape) if a.requires_grad else None
        grad_b = None
        if b.requires_grad:
            positive = a.data > 0  # aᵇ · ln a, with ln a taken as 0 where a = 0 (as in backward)
            log_a = a.where(positive, 1.0).log().where(positive, 0.0)
            grad_b = unbroadcast(grad * a ** b * log_a, b.shape)
        return grad_a, grad_b
