"""`tinygrad_opt.gradcheck`: True for correct gradients, a precise GradcheckError for wrong ones."""
import re

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import GradcheckError, Tensor, gradcheck
from tinygrad_opt.ops import Function


class WrongSquare(Function):
    """y = x²; backward deliberately returns x instead of 2x."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, grad):
        x, = self.saved_tensors
        return grad * x


class WrongSecondInput(Function):
    """y = a · b; the gradient for b is deliberately off by 1 at index (1, 2) only."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, grad):
        a, b = self.saved_tensors
        grad_b = grad * a
        grad_b[1, 2] += 1.0
        return grad * b, grad_b


class NoGradient(Function):
    """y = 3x; backward forgets the gradient (returns None)."""

    def forward(self, x):
        return 3 * x

    def backward(self, grad):
        return None


class NaNGradient(Function):
    """y = x; backward returns nan."""

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad * np.nan


def test_returns_true_for_correct_ops():
    x = Tensor([[0.3, -1.2, 2.0]], requires_grad=True)
    w = Tensor([[1.0], [0.5], [-0.7]], requires_grad=True)
    assert gradcheck(lambda x, w: (x @ w).tanh(), (x, w)) is True
    assert gradcheck(lambda x: (x * x).sum(), [x]) is True
    assert gradcheck(lambda x: x.exp(), x) is True     # a single Tensor instead of a sequence
    assert tg.gradcheck(lambda x: x.softmax(axis=1), [x])


def test_wrong_gradient_raises_with_input_index_and_values():
    x = Tensor([1.0, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: WrongSquare.apply(x).sum(), [x])
    message = str(info.value)
    assert "input 0" in message
    # the worst mismatch is at the largest x: analytic x = 3, numeric 2x = 6
    assert "index (2,)" in message
    analytic, numeric = (float(v) for v in re.search(r"analytic ([-\d.e+]+) vs numeric ([-\d.e+]+)", message).groups())
    assert analytic == pytest.approx(3.0)
    assert numeric == pytest.approx(6.0, rel=1e-6)
    assert isinstance(info.value, AssertionError)


def test_names_the_second_input_and_a_2d_index():
    a = Tensor(np.linspace(0.5, 2.0, 6).reshape(2, 3), requires_grad=True)
    b = Tensor(np.linspace(-1.0, 1.0, 6).reshape(2, 3), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 1 at index \(1, 2\)"):
        gradcheck(lambda a, b: WrongSecondInput.apply(a, b), [a, b])


def test_only_inputs_requiring_grad_are_checked():
    a = Tensor(np.linspace(0.5, 2.0, 6).reshape(2, 3), requires_grad=True)
    b = Tensor(np.linspace(-1.0, 1.0, 6).reshape(2, 3))   # its gradient is the wrong one
    assert gradcheck(lambda a, b: WrongSecondInput.apply(a, b), [a, b])


def test_missing_gradient_is_reported_as_zero():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GradcheckError, match=r"analytic 0\.0 vs numeric (3\.0|2\.99999)"):
        gradcheck(lambda x: NoGradient.apply(x).sum(), [x])


def test_nan_gradient_fails():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GradcheckError, match="nan"):
        gradcheck(lambda x: NaNGradient.apply(x), [x])


def test_runs_in_float64_and_leaves_inputs_alone():
    seen = []

    def fn(x):
        seen.append(x.dtype)
        return x * x

    x = Tensor([1.0, 2.0], requires_grad=True)       # float32
    assert gradcheck(fn, [x])
    assert set(seen) == {np.dtype(np.float64)}
    assert x.dtype == np.float32 and x.grad is None and x.tolist() == [1.0, 2.0]


def test_non_tensor_and_integer_arguments_pass_through():
    x = Tensor([[0.1, 0.9, -0.4], [1.3, -2.0, 0.2]], requires_grad=True)
    labels = Tensor([2, 0])
    assert gradcheck(lambda x, labels, scale: -(x.log_softmax(axis=1)[np.arange(2), labels] * scale).mean(),
                     [x, labels, 0.5])


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda x: x * 2, [Tensor([1.0])])


def test_fn_must_return_a_tensor():
    with pytest.raises(TypeError):
        gradcheck(lambda x: 3.0, [Tensor([1.0], requires_grad=True)])


def test_tolerances_are_used():
    x = Tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    # analytic x vs numeric 2x: a relative tolerance over 50% lets it pass
    assert gradcheck(lambda x: WrongSquare.apply(x), [x], rtol=0.6, atol=0.0)
    with pytest.raises(GradcheckError, match=r"atol=1e-05, rtol=0\.001, eps=1e-06"):
        gradcheck(lambda x: WrongSquare.apply(x), [x])


def test_non_scalar_output_checks_the_whole_jacobian():
    """A wrong off-diagonal Jacobian entry is caught even though the output isn't a scalar."""

    class WrongMix(Function):
        """y = [x0 + x1, x1]; backward forgets that y0 depends on x1."""

        def forward(self, x):
            return np.stack([x[0] + x[1], x[1]])

        def backward(self, grad):
            return np.stack([grad[0], grad[1]])

    with pytest.raises(GradcheckError, match="input 0 at index"):
        gradcheck(lambda x: WrongMix.apply(x), [Tensor([1.0, 2.0], requires_grad=True)])
