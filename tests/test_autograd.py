"""Autograd behaviour: exact gradients of small hand-worked graphs, accumulation, the implicit
gradient rule, the 100,000-op chain, graph freeing, the in-place version counter, grad mode
(per thread), the backward order and its report, detach, retain_grad and the leaf/in-place rules.

Expected numbers were worked out by hand (and cross-checked once with PyTorch; the tests
themselves need only numpy).
"""
import gc
import threading

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import Tensor, autograd, enable_grad, is_grad_enabled, no_grad, set_grad_enabled

from expressions import expression


# Any floating-point warning (overflow, invalid value, division by zero) fails the test.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def f64(value, requires_grad=True):
    return Tensor(value, dtype=np.float64, requires_grad=requires_grad)


# ----------------------------------------------------------------------------- micrograd's tests
def test_micrograd_sanity_check():
    x = f64(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    # z = 3x + 2 = -10, q = 40, h = 100, y = h + q(1 + x) = 100 - 120 = -20
    # dy/dx = 2z·3 + (z + 3x)(1 + x) + q = -60 + (-22)(-3) + 40 = 46
    assert y.item() == -20.0
    assert x.grad.item() == 46.0


def _micrograd_more_ops(dtype):
    a = Tensor(-4.0, dtype=dtype, requires_grad=True)
    b = Tensor(2.0, dtype=dtype, requires_grad=True)
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g, a, b


def test_micrograd_more_ops_float64():
    g, a, b = _micrograd_more_ops(np.float64)
    assert g.item() == pytest.approx(24.70408163265306, rel=1e-12)
    assert a.grad.item() == pytest.approx(138.83381924198252, rel=1e-12)
    assert b.grad.item() == pytest.approx(645.5772594752186, rel=1e-12)


def test_micrograd_more_ops_float32():
    g, a, b = _micrograd_more_ops(np.float32)
    assert g.dtype == np.float32 and a.grad.dtype == np.float32
    assert g.item() == pytest.approx(24.70408163265306, rel=1e-6)
    assert a.grad.item() == pytest.approx(138.83381924198252, rel=1e-6)
    assert b.grad.item() == pytest.approx(645.5772594752186, rel=1e-6)


def test_tanh_neuron():
    """The neuron from micrograd's lecture: o = tanh(x1·w1 + x2·w2 + b), tanh'(n) = 1 − o² = ½."""
    x1, x2, w1, w2 = f64(2.0), f64(0.0), f64(-3.0), f64(1.0)
    b = f64(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.item() == pytest.approx(0.7071067811865476, rel=1e-12)
    assert x1.grad.item() == pytest.approx(-1.5)
    assert w1.grad.item() == pytest.approx(1.0)
    assert x2.grad.item() == pytest.approx(0.5)
    assert w2.grad.item() == pytest.approx(0.0)
    assert b.grad.item() == pytest.approx(0.5)


def test_product_and_power():
    a, b = f64(2.0), f64(3.0)
    c = a * b + a          # 8; dc/da = b + 1 = 4, dc/db = a = 2
    d = c ** 2             # 64; dd/dc = 2c = 16
    d.backward()
    assert d.item() == 64.0
    assert a.grad.item() == 64.0 and b.grad.item() == 32.0


def test_sum_of_squares_vector():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    assert x.grad.dtype == np.float32 and isinstance(x.grad, Tensor)


def test_matrix_vector_graph():
    w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = Tensor([5.0, 6.0], requires_grad=True)
    y = w @ x              # [17, 39]
    assert y.tolist() == [17.0, 39.0]
    (y * Tensor([1.0, 10.0])).sum().backward()
    assert w.grad.tolist() == [[5.0, 6.0], [50.0, 60.0]]
    assert x.grad.tolist() == [31.0, 42.0]   # 1·[1, 2] + 10·[3, 4]


def test_mean_of_softmax_cross_entropy_by_hand():
    logits = Tensor([[0.0, 0.0], [0.0, 0.0]], dtype=np.float64, requires_grad=True)
    loss = -logits.log_softmax(axis=1)[[0, 1], [0, 1]].mean()
    loss.backward()
    assert loss.item() == pytest.approx(np.log(2))
    # d/dlogits of mean CE = (softmax − onehot) / N
    assert np.allclose(logits.grad.data, [[-0.25, 0.25], [0.25, -0.25]])


# ----------------------------------------------------------------------------- graph shapes
def test_tensor_used_by_two_consumers_at_different_depths():
    """y = a + 3a with a = 2x: `a` reaches the root directly and through `b`; its gradient
    must be complete before it is passed on (a topological-order bug loses the 3)."""
    x = f64(1.0)
    a = x * 2
    b = a * 3
    (a + b).backward()
    assert x.grad.item() == 8.0


def test_diamond_and_reuse():
    x = f64(3.0)
    a = x * x          # 9
    b = a + x          # 12
    c = a * b          # 108
    d = c + a + b      # 129
    d.backward()
    # dd/da = b + 1 = 13 (via c and directly), dd/db = a + 1 = 10; da/dx = 2x = 6, db/dx = 6 + 1
    assert d.item() == 129.0
    assert x.grad.item() == 13 * 6 + 10 * 7


def test_deep_shared_subgraph():
    x = f64(1.5)
    y = x
    for _ in range(10):
        y = y * x + y      # y_{k+1} = y_k (x + 1)  → y = x (x + 1)^10
    y.backward()
    expected = (1.5 + 1) ** 10 + 1.5 * 10 * (1.5 + 1) ** 9
    assert x.grad.item() == pytest.approx(expected, rel=1e-12)


def test_same_input_on_both_sides():
    x = Tensor([1.0, -2.0], requires_grad=True)
    (x * x + x / x - x - x).sum().backward()
    assert x.grad.tolist() == [0.0, -6.0]   # 2x + 0 − 2


def test_only_leaves_requiring_grad_get_gradients():
    w = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    h = w * c
    h.sum().backward()
    assert w.grad.tolist() == [3.0, 4.0]
    assert c.grad is None
    assert h.grad is None   # non-leaf without retain_grad


def test_non_differentiable_path_gives_no_gradient_there():
    x = Tensor([1.0, -1.0], requires_grad=True)
    mask = x > 0
    assert not mask.requires_grad and mask.dtype == np.bool_
    (x * mask).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0]


def test_grad_fn_and_is_leaf():
    x = Tensor([1.0], requires_grad=True)
    y = x * 2
    z = y.exp()
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.grad_fn is not None and "Mul" in repr(y.grad_fn)
    assert "Exp" in z.grad_fn.name
    assert z.grad_fn.next_functions == (y.grad_fn,)
    assert y.grad_fn.inputs[0] is x
    c = Tensor([1.0]) * 2
    assert c.is_leaf and c.grad_fn is None and not c.requires_grad


# ----------------------------------------------------------------------------- accumulation and the root gradient
def test_gradients_accumulate_across_two_backward_calls():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_grad_zero_then_accumulate():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    x.grad.zero_()
    (x * 5).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


def test_implicit_gradient_only_for_one_element_outputs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2).backward()
    (x * 2)[:1].reshape(1, 1).backward()   # one element, any shape
    assert x.grad.tolist() == [2.0, 0.0]


def test_explicit_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(Tensor([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 40.0]
    x.grad = None
    (x * x).backward(np.array([1.0, 0.5]))
    assert x.grad.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="shape"):
        (x * x).backward(np.ones(3))


def test_backward_on_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError):
        y.backward()


def test_backward_on_a_leaf():
    x = Tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_leaf_grads_are_not_aliased():
    """Add hands the same incoming gradient to both inputs, and views reuse the root gradient;
    each leaf must still get its own array."""
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    g = np.array([1.0, 1.0], dtype=np.float32)
    (a + b).backward(g)
    a.grad.data[0] = 100.0
    assert b.grad.tolist() == [1.0, 1.0] and g.tolist() == [1.0, 1.0]
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    root_grad = np.ones(2, dtype=np.float32)
    x.reshape(2).backward(root_grad)
    root_grad[:] = 7.0
    assert x.grad.tolist() == [[1.0, 1.0]]
    x.backward(np.ones((1, 2)))
    assert x.grad.tolist() == [[2.0, 2.0]]


def test_gradient_dtype_follows_the_leaf():
    x = Tensor([1.0, 2.0], requires_grad=True)             # float32
    (x.double() * Tensor([1.0, 1.0], dtype=np.float64)).sum().backward()
    assert x.grad.dtype == np.float32
    y = Tensor([1.0], dtype=np.float64, requires_grad=True)
    (y * 2.0).sum().backward()
    assert y.grad.dtype == np.float64


# ----------------------------------------------------------------------------- the 100,000-op chain
def test_chain_of_100k_multiplications():
    """micrograd's recursive topological sort dies here with RecursionError."""
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    y.backward()
    # Backward multiplies the incoming gradient 1 by the same float32 1.0001, 100,000 times,
    # in the same order as the forward multiplied x = 1: the two are bit-for-bit equal.
    assert x.grad.item() == y.item()
    assert x.grad.item() == pytest.approx(1.0001 ** 100_000, rel=1e-2)
    del y
    gc.collect()   # tearing down the long chain must not overflow the C stack either


def test_chain_of_100k_additions_exact():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 0.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    assert y.tolist() == [1.0, 2.0]


# ----------------------------------------------------------------------------- graph freeing
def test_second_backward_through_a_freed_graph_raises():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_saved_values_are_released_after_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x.exp() * x
    y = (h.tanh() ** 3).sum()
    functions = []
    pending = [y]
    while pending:
        tensor = pending.pop()
        if tensor.grad_fn is not None:
            functions.append(tensor.grad_fn)
            pending.extend(tensor.grad_fn.inputs)
    y.backward()
    for fn in functions:
        assert fn.saved_tensors == () and fn._released
        arrays = [name for name, value in vars(fn).items() if isinstance(value, np.ndarray)]
        assert not arrays, f"{fn.name} still holds {arrays}"


def test_retain_graph_allows_a_second_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [6.0, 12.0]
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_new_graph_on_top_of_a_freed_part():
    x = Tensor([2.0], requires_grad=True)
    shared = x * x
    shared.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        (shared * 3).sum().backward()


# ----------------------------------------------------------------------------- in-place changes (version counter)
def test_inplace_change_of_saved_output_is_detected():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()                # Exp saves its output for backward
    with no_grad():
        y.mul_(2)
    assert y._version == 1
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


def test_inplace_change_of_saved_input_is_detected():
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([3.0, 4.0])
    y = w * x                  # Mul saves x to compute dL/dw
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_inplace_operator_on_a_saved_constant_is_detected():
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([3.0, 4.0])
    y = w * x
    x += 1                     # nothing to record: changes x in place
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


def test_inplace_change_through_a_view_is_detected():
    w = Tensor([1.0, 2.0], requires_grad=True)
    base = Tensor([[3.0, 4.0], [5.0, 6.0]])
    row = base[0]              # a view: shares base's memory and version counter
    y = w * row
    base.mul_(2)
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()
    w2 = Tensor([1.0, 2.0], requires_grad=True)
    base2 = Tensor([3.0, 4.0])
    y2 = w2 * base2
    base2.detach().zero_()     # detach shares the data, so it shares the counter too
    with pytest.raises(RuntimeError, match="in-place"):
        y2.sum().backward()


def test_inplace_change_not_needed_by_backward_is_fine():
    w = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    y = w + c                  # Add does not save its inputs
    c.add_(1)
    y.sum().backward()
    assert w.grad.tolist() == [1.0, 1.0]


def test_clone_before_inplace_avoids_the_error():
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([3.0, 4.0])
    y = w * x.clone()
    x.add_(1)
    y.sum().backward()
    assert w.grad.tolist() == [3.0, 4.0]


def test_inplace_on_leaf_requiring_grad_is_refused():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for change in (lambda: x.add_(1), lambda: x.mul_(2), lambda: x.sub_(1), lambda: x.div_(2),
                   lambda: x.zero_(), lambda: x.fill_(3.0), lambda: x.copy_(np.zeros(2)),
                   lambda: x.clamp_(0, 1)):
        with pytest.raises(RuntimeError, match="leaf"):
            change()
    with pytest.raises(RuntimeError, match="leaf"):
        x += 1
    assert x.tolist() == [1.0, 2.0] and x._version == 0


def test_inplace_method_on_recorded_non_leaf_is_refused():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="in-place"):
        y.add_(1)


def test_augmented_assignment_on_non_leaf_rebinds():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    original = y
    y += x                     # recorded out of place: y = y + x
    y *= 3
    assert y is not original and original.tolist() == [2.0, 4.0]
    y.sum().backward()
    assert x.grad.tolist() == [9.0, 9.0]


def test_sgd_step_under_no_grad_keeps_the_leaf():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    identity, buffer = id(w), w.data
    lr = 0.1
    with no_grad():
        w -= lr * w.grad
    assert id(w) == identity and w.data is buffer
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    assert np.allclose(w.data, [0.8, 1.6])
    w.grad = None
    (w * w).sum().backward()   # the updated leaf still works
    assert np.allclose(w.grad.data, [1.6, 3.2])


def test_inplace_arithmetic_values():
    x = Tensor([1.0, 2.0])
    x.add_(Tensor([1.0, 1.0])).mul_(3).sub_(1, alpha=2).div_(2)
    assert x.tolist() == [2.0, 3.5]
    x.add_(np.array([1.0, 1.0]), alpha=0.5)
    assert x.tolist() == [2.5, 4.0]
    assert x._version == 5


# ----------------------------------------------------------------------------- grad mode
def test_no_grad_context_manager():
    x = Tensor([1.0], requires_grad=True)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2
    assert is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf


def test_no_grad_restores_mode_after_exception_and_nesting():
    with pytest.raises(ValueError):
        with no_grad():
            raise ValueError
    assert is_grad_enabled()
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_no_grad_decorator_with_and_without_parentheses():
    x = Tensor([1.0], requires_grad=True)

    @no_grad()
    def double(t):
        return t * 2

    @no_grad
    def triple(t):
        return t * 3

    assert not double(x).requires_grad and not triple(x).requires_grad
    assert triple.__name__ == "triple"
    assert is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        with enable_grad():
            assert is_grad_enabled()
            y = x * 2
        assert not is_grad_enabled()
        z = x * 2

        @enable_grad
        def record(t):
            return t * 4

        w = record(x)
    assert y.requires_grad and not z.requires_grad and w.requires_grad
    y.backward()
    assert x.grad.item() == 2.0


def test_set_grad_enabled():
    with set_grad_enabled(False):
        assert not is_grad_enabled()
        with set_grad_enabled(True):
            assert is_grad_enabled()
    assert is_grad_enabled()


# ----------------------------------------------------------------------------- grad mode per thread
def _in_thread(target):
    """Run `target` in a new thread; re-raise what it raised."""
    errors = []

    def run():
        try:
            target()
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _join(thread, errors):
    thread.join(timeout=30)
    assert not thread.is_alive(), "thread did not finish"
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_does_not_stop_another_threads_recording():
    inside, trained = threading.Event(), threading.Event()
    w = Tensor([1.0, 2.0], requires_grad=True)

    def evaluate():
        with no_grad():
            inside.set()
            assert trained.wait(10)
            assert not is_grad_enabled()

    thread, errors = _in_thread(evaluate)
    assert inside.wait(10)
    # the main thread trains while the other one sits inside no_grad
    assert is_grad_enabled()
    loss = (w * w).sum()
    loss.backward()
    trained.set()
    _join(thread, errors)
    assert loss.requires_grad and w.grad.tolist() == [2.0, 4.0]


def test_interleaved_no_grad_blocks_in_two_threads_restore_each_threads_mode():
    # A enters, B enters, A leaves (B still inside), B leaves — a single flag would end off.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def thread_a():
        with no_grad():
            a_in.set()
            assert b_in.wait(10)
        seen["a after"] = is_grad_enabled()
        a_out.set()

    def thread_b():
        assert a_in.wait(10)
        with no_grad():
            b_in.set()
            assert a_out.wait(10)
            seen["b inside, after a left"] = is_grad_enabled()
        seen["b after"] = is_grad_enabled()

    threads = [_in_thread(thread_a), _in_thread(thread_b)]
    for thread, errors in threads:
        _join(thread, errors)
    assert seen == {"a after": True, "b inside, after a left": False, "b after": True}
    assert is_grad_enabled()


def test_one_no_grad_object_shared_by_two_threads_restores_each_threads_mode():
    shared = no_grad()
    entered, release = threading.Barrier(2, timeout=10), threading.Event()
    seen = {}

    def worker(name, start_enabled):
        def run():
            with set_grad_enabled(start_enabled):
                with shared:
                    entered.wait()
                    if name == "a":
                        release.set()
                    else:
                        assert release.wait(10)
                seen[name] = is_grad_enabled()
        return run

    threads = [_in_thread(worker("a", True)), _in_thread(worker("b", False))]
    for thread, errors in threads:
        _join(thread, errors)
    assert seen == {"a": True, "b": False}


def test_a_new_thread_starts_with_grad_enabled():
    seen = []
    with no_grad():
        thread, errors = _in_thread(lambda: seen.append(is_grad_enabled()))
        _join(thread, errors)
        assert not is_grad_enabled()
    assert seen == [True]


def test_module_scopes_are_per_thread():
    inside, done = threading.Event(), threading.Event()
    x = Tensor([1.0], requires_grad=True)

    def labelled():
        with autograd.scope("layer"):
            inside.set()
            assert done.wait(10)

    thread, errors = _in_thread(labelled)
    assert inside.wait(10)
    y = x * 2
    done.set()
    _join(thread, errors)
    assert y.grad_fn.scope == ()


# ----------------------------------------------------------------------------- the backward order and its report
def test_backward_order_is_the_order_backward_runs_the_ops():
    a = Tensor(2.0, requires_grad=True)
    b = Tensor(-3.0, requires_grad=True)
    e = a * b
    d = e + a          # a is used twice, at two depths
    loss = d * d
    order = list(autograd.backward_order(loss))
    assert order == [loss.grad_fn, d.grad_fn, e.grad_fn]
    ran = []
    autograd.run_backward(loss, np.ones(()), on_gradient=lambda fn, i, g: ran.append(fn))
    assert list(dict.fromkeys(ran)) == order


def test_backward_order_skips_what_does_not_require_grad_and_walks_100k_ops():
    x = Tensor(1.0, requires_grad=True)
    constant = Tensor(3.0) * 2          # not recorded
    y = x * constant
    assert [fn.name for fn in autograd.backward_order(y)] == ["Mul"]
    assert list(autograd.backward_order(x)) == []
    for _ in range(100_000):
        y = y + 1.0
    assert sum(1 for _ in autograd.backward_order(y)) == 100_001


def test_backward_order_runs_chains_and_branches_from_the_highest_sequence_number_down():
    # Chains are walked without the heap while nothing else waits; here a chain (r) is
    # recorded before the other branch (l) finishes, so following r into h before l's ops
    # ran would give h an incomplete gradient.
    x = Tensor(0.5, requires_grad=True)
    c = Tensor(2.0)                       # a constant: no edge into it
    h = ((x * 2.0 + 1.0) * c).exp()       # a chain through a two-input op
    r = h + 0.5
    left = (h * 3.0 - 1.0).tanh()
    right = r.sigmoid() * h               # reads h twice
    y = ((left + right) * 0.25).log()     # merged, then a chain again
    order = list(autograd.backward_order(y))
    assert len(order) == len(set(map(id, order))) == 13
    assert [fn.seq for fn in order] == sorted((fn.seq for fn in order), reverse=True)
    y.backward()
    eps = 1e-6

    def f(v):
        hv = np.exp((v * 2.0 + 1.0) * 2.0)
        return np.log((np.tanh(hv * 3.0 - 1.0) + hv / (1 + np.exp(-(hv + 0.5)))) * 0.25)
    assert x.grad.item() == pytest.approx((f(0.5 + eps) - f(0.5 - eps)) / (2 * eps), rel=1e-4)


def test_the_walk_stops_at_the_tensors_it_is_told_to_in_a_chain():
    x = Tensor(0.5, requires_grad=True)
    h = x * 2.0 + 1.0
    y = (h * 3.0).exp() - 1.0
    walked = list(autograd._walk(y, stop={id(h)}))
    assert [t.grad_fn.name for t in walked] == ["SubScalar", "Exp", "MulScalar"]


def test_on_gradient_reports_what_each_op_sends_to_each_input():
    # L = (a·b + c)·f with a = 2, b = −3, c = 10, f = −2: ∂L/∂d = f = −2, ∂L/∂f = d = 4, ...
    a, b, c, f = (Tensor(v, requires_grad=True) for v in (2.0, -3.0, 10.0, -2.0))
    e = a * b
    d = e + c
    loss = d * f
    sent = []
    autograd.run_backward(loss, np.ones(()), on_gradient=lambda fn, i, g: sent.append((fn.name, i, g.item())))
    assert sent == [("Mul", 0, -2.0), ("Mul", 1, 4.0),       # L = d·f
                    ("Add", 0, -2.0), ("Add", 1, -2.0),      # d = e + c
                    ("Mul", 0, 6.0), ("Mul", 1, -4.0)]       # e = a·b
    assert [t.grad.item() for t in (a, b, c, f)] == [6.0, -4.0, -2.0, 4.0]


def test_accumulate_grad_false_writes_no_grad_and_keeps_the_graph_with_retain_graph():
    a = Tensor([1.0, 2.0], requires_grad=True)
    h = (a * a).retain_grad()
    loss = h.sum()
    sent = {}
    autograd.run_backward(loss, np.ones(()), retain_graph=True, accumulate_grad=False,
                          on_gradient=lambda fn, i, g: sent.setdefault(fn.name, []).append(g.tolist()))
    assert a.grad is None and h.grad is None
    assert sent == {"Sum": [[1.0, 1.0]], "Mul": [[1.0, 2.0], [1.0, 2.0]]}   # a·a sends a to each side
    loss.backward()     # the graph is still there
    assert a.grad.tolist() == [2.0, 4.0]


def test_topological_order_lists_inputs_first_and_matches_backward():
    loss = expression()                              # L = (a·b + c)·f
    a = next(t for t in autograd.topological_order(loss) if t.name == "a")
    assert [t.name for t in autograd.topological_order(loss)] == ["b", "a", "e", "c", "d", "f", "L"]
    assert autograd.topological_order(a) == [a]


# ----------------------------------------------------------------------------- detach / retain_grad / requires_grad
def test_detach():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.data, y.data)
    z = (y * d).sum()          # d is a constant: dz/dx = 2·d = [4, 8]
    z.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_retain_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    y = (h * h).sum()
    y.retain_grad()
    y.backward()
    assert h.grad.tolist() == [6.0, 12.0]    # 2h
    assert y.grad.item() == 1.0
    assert x.grad.tolist() == [18.0, 36.0]
    with pytest.raises(RuntimeError):
        Tensor([1.0]).retain_grad()


def test_requires_grad_rules_for_integer_and_bool_tensors():
    with pytest.raises(RuntimeError, match="floating point"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        Tensor([True]).requires_grad_()
    labels = Tensor([0, 1, 2])
    assert labels.dtype == np.int64 and not labels.requires_grad
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = w[labels]            # integers index a differentiable tensor
    out.sum().backward()
    assert w.grad.tolist() == [1.0, 1.0, 1.0]


def test_requires_grad_flag_changes():
    x = Tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    y = Tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False


def test_ops_on_ints_do_not_record():
    a = Tensor([1, 2])
    out = a * 2 + a
    assert out.dtype.kind == "i" and not out.requires_grad


# ----------------------------------------------------------------------------- custom Function
def test_custom_function_plugs_into_the_graph():
    from tinygrad_opt.ops import Function

    class Cube(Function):
        """y = x³;  f'(x) = 3x²."""
        def forward(self, x):
            self.save_for_backward(x)
            return x ** 3

        def backward(self, grad):
            x, = self.saved_tensors
            return grad * 3 * x ** 2

    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x * 1)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]
    assert tg.gradcheck(lambda t: Cube.apply(t), [Tensor([0.5, -1.5], requires_grad=True)])


def test_every_op_docstring_states_a_derivative():
    from tinygrad_opt import ops
    from tinygrad_opt.ops import Function

    for name in ops.__all__ if hasattr(ops, "__all__") else dir(ops):
        obj = getattr(ops, name)
        if isinstance(obj, type) and issubclass(obj, Function) and obj is not Function:
            doc = obj.__doc__ or ""
            assert any(mark in doc for mark in ("∂", "f'", "gradient")), f"{name} has no derivative in its docstring"


# ----------------------------------------------------------------------------- the benchmark stays runnable
def test_benchmark_script_runs(capsys):
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "bench_autograd.py"
    spec = importlib.util.spec_from_file_location("bench_autograd", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--repeat", "1", "--chain", "2000", "--no-micrograd"])
    out = capsys.readouterr().out
    assert "numpy" in out and "small graph fwd+bwd" in out and "2,000-op chain, backward" in out


def test_graph_is_freed_by_reference_counting():
    """No reference cycles: dropping the output frees the graph at once, without waiting for
    the cycle collector (training loops would otherwise pile graphs up)."""
    import weakref

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = Tensor(np.ones((3, 3)), requires_grad=True)
        y = ((x @ x).tanh() * x).softmax(axis=1)[[0, 2]].sum()
        fn = weakref.ref(y.grad_fn)
        y.backward()
        del y
        assert fn() is None
        z = (x * 2).exp().sum()            # not backpropagated
        fn = weakref.ref(z.grad_fn)
        del z
        assert fn() is None
    finally:
        if was_enabled:
            gc.enable()


def test_an_array_handed_to_two_inputs_is_not_taken_over_by_a_leaf():
    """A Function may return one new array for two inputs; a leaf that keeps it as its .grad
    and later accumulates into it in place must not change what the other input receives."""
    from tinygrad_opt.ops import Function

    class AddSharingItsGradient(Function):
        def forward(self, a, b):
            return a + b

        def backward(self, grad):
            shared = grad * 1.0
            return shared, shared

    w = Tensor([1.0, 2.0], requires_grad=True)
    u = Tensor([3.0, 4.0], requires_grad=True)
    h = u * 1.0                      # recorded first: its gradient is computed last
    z = w * 3.0                      # a second use of w, finished between the two
    y = AddSharingItsGradient.apply(w, h) + z
    y.sum().backward()
    assert w.grad.tolist() == [4.0, 4.0]  # 1 (through the sum) + 3 (through z)
    assert u.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("make", [lambda x: (x * 0.5 + 0.5) * 2.0, lambda x: x * x, lambda x: (x + x).exp()],
                         ids=["scalar ops", "mul", "add-exp"])
def test_a_0d_leaf_gets_an_array_gradient_that_zero_grad_can_zero(make):
    # Ops on 0-d arrays make numpy scalars; .grad.data must still be an array, or
    # zero_grad(set_to_none=False) would fill a copy and the next backward add to the old value.
    import tinygrad_opt.optim as optim
    x = Tensor(np.float32(0.3), requires_grad=True)
    make(x).backward()
    assert type(x.grad.data) is np.ndarray and x.grad.data.dtype == np.float32
    first = x.grad.item()
    optim.SGD([x], lr=0.1).zero_grad(set_to_none=False)
    assert x.grad.item() == 0.0
    make(x).backward()
    assert x.grad.item() == first
    assert type(make(x).data) is np.ndarray
