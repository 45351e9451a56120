"""`backward(create_graph=True)` and `autograd.grad`: PyTorch's semantics, worked on small examples."""
import numpy as np
import pytest

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor
from tinygrad_opt.autograd import grad


def x64(values):
    return Tensor(values, dtype=np.float64, requires_grad=True)


def test_grad_returns_gradients_without_touching_dot_grad():
    x = x64([1.0, 2.0])
    y = (x * x).sum()
    (dx,) = grad(y, x)
    assert np.array_equal(dx.data, [2.0, 4.0]) and x.grad is None
    assert not dx.requires_grad


def test_grad_of_grad_is_the_second_derivative():
    x = x64([3.0])
    (dy,) = grad((x ** 3).sum(), x, create_graph=True)   # 3x² = 27
    assert dy.requires_grad and dy.grad_fn is not None
    (d2y,) = grad(dy.sum(), x)                            # 6x = 18
    assert dy.item() == 27.0 and d2y.item() == 18.0


def test_backward_create_graph_makes_grad_differentiable():
    x = x64([0.5, -1.0])
    (x.exp() * x).sum().backward(create_graph=True)       # dx = eˣ(1 + x)
    first = x.grad
    assert np.allclose(first.data, np.exp([0.5, -1.0]) * (1 + np.array([0.5, -1.0])))
    x.grad = None
    first.sum().backward()                                # d²/dx² = eˣ(2 + x)
    assert np.allclose(x.grad.data, np.exp([0.5, -1.0]) * (2 + np.array([0.5, -1.0])))


def test_backward_create_graph_accumulates_out_of_place():
    x = x64([2.0])
    (x * x).sum().backward(create_graph=True)
    (x * x * x).sum().backward(create_graph=True)         # 2x + 3x² = 16
    assert x.grad.item() == 16.0
    (d2,) = grad(x.grad.sum(), x)                          # 2 + 6x = 14
    assert d2.item() == 14.0


def test_mixed_partial_derivatives():
    x, y = x64([2.0]), x64([3.0])
    (dx,) = grad((x * x * y).sum(), x, create_graph=True)  # 2xy
    dxdx, dxdy = grad(dx.sum(), [x, y])                     # 2y, 2x
    assert (dx.item(), dxdx.item(), dxdy.item()) == (12.0, 6.0, 4.0)


def test_grad_with_grad_outputs_and_several_outputs():
    x = x64([1.0, 2.0])
    a, b = x * 3, x * x
    dx, = grad([a, b], [x], grad_outputs=[np.array([1.0, 0.0]), Tensor([0.0, 1.0], dtype=np.float64)])
    assert np.array_equal(dx.data, [3.0, 4.0])         # 3·[1, 0] + 2x·[0, 1]


def test_grad_reaches_a_non_leaf_input_and_the_root_itself():
    x = x64([1.0, 2.0])
    h = x * 2
    y = (h * h).sum()
    dh, dx, dy = grad(y, [h, x, y])
    assert np.array_equal(dh.data, 2 * h.data) and np.array_equal(dx.data, 8 * x.data) and dy.item() == 1.0


def test_grad_retains_graph_only_when_asked():
    x = x64([1.0])
    y = (x.exp()).sum()
    grad(y, x, retain_graph=True)
    grad(y, x)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        grad(y, x)
    z = (x.exp()).sum()
    grad(z, x, create_graph=True)   # retain_graph defaults to create_graph
    grad(z, x)


def test_unused_input_raises_unless_allowed():
    x, unused = x64([1.0]), x64([2.0])
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph. Set allow_unused=True"):
        grad(y, [x, unused], retain_graph=True)
    dx, du = grad(y, [x, unused], allow_unused=True)
    assert dx.item() == 2.0 and du is None


def test_errors_in_pytorchs_words():
    x = x64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        grad((x * 2).sum(), Tensor([1.0]))
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        grad(Tensor([1.0]), x)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        grad(x * 2, x)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        grad(x * 2, x, grad_outputs=np.ones(3))


def test_first_order_grad_from_create_graph_equals_plain_backward():
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((4, 3)), dtype=np.float64, requires_grad=True)
    inputs = Tensor(rng.standard_normal((5, 3)), dtype=np.float64)
    labels = Tensor(np.array([0, 1, 2, 3, 1]))

    def loss():
        return F.cross_entropy((inputs @ w.T).tanh(), labels)

    (recorded,) = grad(loss(), w, create_graph=True)
    loss().backward()
    assert np.allclose(recorded.data, w.grad.data, rtol=1e-12, atol=0)


def test_create_graph_in_float32_keeps_the_dtype():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (dx,) = grad((x * x * x).sum(), x, create_graph=True)
    (d2x,) = grad(dx.sum(), x)
    assert dx.dtype == np.float32 and d2x.dtype == np.float32
    assert np.array_equal(d2x.data, [6.0, 12.0])


def test_create_graph_refuses_an_input_changed_in_place_that_was_not_saved():
    # Exp saves its output for the first-order backward (still right after x changes), but
    # its recorded backward reads x itself: with create_graph the gradient would be e^(x+1).
    x = Tensor(np.array([0.5, 1.0]), dtype=np.float64, requires_grad=True)
    y = x.exp().sum()
    with tg.no_grad():
        x += 1
    with pytest.raises(RuntimeError, match=r"Input 0 of Exp has been modified by an in-place operation"):
        y.backward(create_graph=True, retain_graph=True)
    assert x.grad is None
    y.backward()                                   # the first-order path reads the saved e^x
    np.testing.assert_allclose(x.grad.data, np.exp([0.5, 1.0]))


def test_create_graph_allows_in_place_changes_its_ops_never_read():
    # x·2 and x + 1 need no input values for their gradients (as in PyTorch: no error).
    x = Tensor(np.array([0.5, 1.0]), dtype=np.float64, requires_grad=True)
    y = (x * 2.0 + x).sum()
    with tg.no_grad():
        x += 1
    (g,) = tg.autograd.grad(y, x, create_graph=True)
    np.testing.assert_array_equal(g.data, [3.0, 3.0])
