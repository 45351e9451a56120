"""What a backward reads is declared once (`save_for_backward`), so an in-place change is caught.

For every op: build it once, change one of its tensors in place (under no_grad, as an
optimizer step taken too early would), then run backward. If the op saved that tensor, the
engine must refuse with a RuntimeError; if it did not, the gradient must be exactly the one
the untouched graph gives — never a silently wrong number.
"""
import numpy as np
import pytest

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, ops
from tinygrad_opt.ops import Function


def _values(shape, seed, positive=False):
    rng = np.random.default_rng(seed)
    if positive:
        return rng.uniform(0.2, 0.8, shape)
    return rng.uniform(-1.0, 1.0, shape)


LABELS = np.array([2, 0])

# name -> (the op applied once to the tensors, [(shape, positive values?) per input])
CASES = {
    "Add": (lambda a, b: ops.Add.apply(a, b), [((2, 3), False), ((3,), False)]),
    "Sub": (lambda a, b: ops.Sub.apply(a, b), [((2, 3), False), ((2, 1), False)]),
    "Mul": (lambda a, b: ops.Mul.apply(a, b), [((2, 3), False), ((3,), False)]),
    "Div": (lambda a, b: ops.Div.apply(a, b), [((2, 3), False), ((2, 3), True)]),
    "AddScalar": (lambda a: a + 0.5, [((2, 3), False)]),
    "SubScalar": (lambda a: a - 0.5, [((2, 3), False)]),
    "MulScalar": (lambda a: a * 0.5, [((2, 3), False)]),
    "DivScalar": (lambda a: a / 0.5, [((2, 3), False)]),
    "Neg": (lambda a: ops.Neg.apply(a), [((2, 3), False)]),
    "Pow": (lambda a, b: ops.Pow.apply(a, b), [((2, 3), True), ((2, 3), False)]),
    "PowScalar": (lambda a: ops.PowScalar.apply(a, exponent=3), [((2, 3), False)]),
    "PowScalar(2)": (lambda a: ops.PowScalar.apply(a, exponent=2), [((2, 3), False)]),
    "MatMul": (lambda a, b: ops.MatMul.apply(a, b), [((2, 3), False), ((3, 4), False)]),
    "MatMul(1-D)": (lambda a, b: ops.MatMul.apply(a, b), [((3,), False), ((2, 3, 4), False)]),
    "Linear": (lambda x, w, b: ops.Linear.apply(x, w, b), [((2, 3), False), ((4, 3), False), ((4,), False)]),
    "Exp": (lambda x: ops.Exp.apply(x), [((2, 3), False)]),
    "Log": (lambda x: ops.Log.apply(x), [((2, 3), True)]),
    "Sqrt": (lambda x: ops.Sqrt.apply(x), [((2, 3), True)]),
    "Abs": (lambda x: ops.Abs.apply(x), [((2, 3), False)]),
    "Tanh": (lambda x: ops.Tanh.apply(x), [((2, 3), False)]),
    "Sigmoid": (lambda x: ops.Sigmoid.apply(x), [((2, 3), False)]),
    "ReLU": (lambda x: ops.ReLU.apply(x), [((2, 3), False)]),
    "LeakyReLU": (lambda x: ops.LeakyReLU.apply(x, negative_slope=0.1), [((2, 3), False)]),
    "GELU": (lambda x: ops.GELU.apply(x), [((2, 3), False)]),
    "GELU(tanh)": (lambda x: ops.GELU.apply(x, approximate="tanh"), [((2, 3), False)]),
    "Clip": (lambda x: ops.Clip.apply(x, min=-0.5, max=0.5), [((2, 3), False)]),
    "Maximum": (lambda a, b: ops.Maximum.apply(a, b), [((2, 3), False), ((3,), False)]),
    "Minimum": (lambda a, b: ops.Minimum.apply(a, b), [((2, 3), False), ((3,), False)]),
    "Where": (lambda a, b: ops.Where.apply(a, b, condition=np.array([True, False, True])),
              [((2, 3), False), ((2, 3), False)]),
    "Clone": (lambda x: ops.Clone.apply(x), [((2, 3), False)]),
    "Cast": (lambda x: ops.Cast.apply(x, dtype=np.float32), [((2, 3), False)]),
    "Sum": (lambda x: ops.Sum.apply(x, axis=1), [((2, 3), False)]),
    "Mean": (lambda x: ops.Mean.apply(x, axis=0, keepdims=True), [((2, 3), False)]),
    "Max": (lambda x: ops.Max.apply(x, axis=1), [((2, 3), False)]),
    "Min": (lambda x: ops.Min.apply(x), [((2, 3), False)]),
    "LogSumExp": (lambda x: ops.LogSumExp.apply(x, axis=1), [((2, 3), False)]),
    "LogSoftmax": (lambda x: ops.LogSoftmax.apply(x, axis=1), [((2, 3), False)]),
    "Softmax": (lambda x: ops.Softmax.apply(x, axis=1), [((2, 3), False)]),
    "Reshape": (lambda x: ops.Reshape.apply(x, shape=(3, 2)), [((2, 3), False)]),
    "Permute": (lambda x: ops.Permute.apply(x, dims=(1, 0)), [((2, 3), False)]),
    "Expand": (lambda x: ops.Expand.apply(x, shape=(2, 3)), [((1, 3), False)]),
    "GetItem": (lambda x: ops.GetItem.apply(x, index=(slice(None), 1)), [((2, 3), False)]),
    "GetItem(array)": (lambda x: ops.GetItem.apply(x, index=np.array([1, 1, 0])), [((2, 3), False)]),
    "Cat": (lambda a, b: ops.Cat.apply(a, b, axis=1), [((2, 3), False), ((2, 1), False)]),
    "Stack": (lambda a, b: ops.Stack.apply(a, b, axis=0), [((2, 3), False), ((2, 3), False)]),
    "MSE": (lambda x, y: ops.MSE.apply(x, y, reduction="mean"), [((2, 3), False), ((2, 3), False)]),
    "L1": (lambda x, y: ops.L1.apply(x, y, reduction="sum"), [((2, 3), False), ((2, 3), False)]),
    "Huber": (lambda x, y: ops.Huber.apply(x, y, reduction="none", delta=0.5), [((2, 3), False), ((2, 3), False)]),
    "CrossEntropy": (lambda z: ops.CrossEntropy.apply(z, labels=LABELS), [((2, 3), False)]),
    "CrossEntropy(weight)": (lambda z: ops.CrossEntropy.apply(z, labels=LABELS, weight=np.array([0.5, 1.0, 2.0])),
                             [((2, 3), False)]),
    "CrossEntropy(probabilities)": (lambda z, t: ops.CrossEntropy.apply(z, t), [((2, 3), False), ((2, 3), True)]),
    "NLL": (lambda x: ops.NLL.apply(x, labels=LABELS), [((2, 3), False)]),
    "BinaryCrossEntropy": (lambda x, y: ops.BinaryCrossEntropy.apply(x, y), [((2, 3), True), ((2, 3), True)]),
    "BinaryCrossEntropyWithLogits": (lambda x, y: ops.BinaryCrossEntropyWithLogits.apply(x, y),
                                     [((2, 3), False), ((2, 3), True)]),
    "BinaryCrossEntropyWithLogits(pos_weight)": (
        lambda x, y: ops.BinaryCrossEntropyWithLogits.apply(x, y, pos_weight=np.array([1.0, 2.0, 3.0])),
        [((2, 3), False), ((2, 3), True)]),
}


def _build(name):
    op, specs = CASES[name]
    tensors = [Tensor(_values(shape, seed, positive), dtype=np.float64, requires_grad=True)
               for seed, (shape, positive) in enumerate(specs)]
    return tensors, op(*tensors)


def _gradients(name, change=None):
    """The inputs' gradients, after changing tensor `change` ('out' or an input index) in place."""
    tensors, out = _build(name)
    if change is not None:
        target = out if change == "out" else tensors[change]
        with tg.no_grad():
            target.mul_(-0.5).add_(0.3)   # new values, other signs
    out.backward(np.linspace(0.5, 1.5, out.data.size).reshape(out.shape))
    return [t.grad.data for t in tensors]


def _saved(fn, tensor):
    return any(array is not None and np.may_share_memory(array, tensor.data) for array in fn.saved_tensors)


@pytest.mark.parametrize("name", CASES)
def test_a_tensor_changed_in_place_after_forward_raises_or_leaves_the_gradient_exact(name):
    reference = _gradients(name)
    tensors, out = _build(name)
    saved = [_saved(out.grad_fn, t) for t in tensors] + [_saved(out.grad_fn, out)]
    for change, was_saved in zip(list(range(len(tensors))) + ["out"], saved):
        if change == "out" and not out.data.flags.writeable:  # Expand's broadcast view
            continue
        if was_saved:
            with pytest.raises(RuntimeError, match="modified by an in-place operation"):
                _gradients(name, change)
        else:
            for got, expected in zip(_gradients(name, change), reference):
                np.testing.assert_array_equal(got, expected, err_msg=f"{name}: changed {change}")


OPS_SAVING_AN_INPUT = ["Mul", "Div", "Pow", "PowScalar", "MatMul", "Linear", "Log", "Abs", "LeakyReLU",
                       "GELU", "Clip", "Maximum", "Minimum", "Max", "Min", "BinaryCrossEntropy",
                       "BinaryCrossEntropyWithLogits", "CrossEntropy(probabilities)"]


@pytest.mark.parametrize("name", OPS_SAVING_AN_INPUT)
def test_changing_a_saved_input_in_place_raises(name):
    """The list is what each op's backward reads; e.g. BCE and BCE-with-logits read x and y."""
    tensors, out = _build(name)
    index = next(i for i, t in enumerate(tensors) if _saved(out.grad_fn, t))
    with tg.no_grad():
        tensors[index].add_(0.25)
    with pytest.raises(RuntimeError, match=f"gradient of {out.grad_fn.name} has been modified by an in-place"):
        out.backward(np.ones(out.shape))


def test_bce_input_and_target_are_both_checked():
    for op in (ops.BinaryCrossEntropy, ops.BinaryCrossEntropyWithLogits):
        for changed in (0, 1):
            x = Tensor([0.3, 0.6], dtype=np.float64, requires_grad=True)
            y = Tensor([1.0, 0.0], dtype=np.float64)
            loss = op.apply(x, y)
            with tg.no_grad():
                (x, y)[changed].mul_(0.5)
            with pytest.raises(RuntimeError, match="modified by an in-place operation"):
                loss.backward()


@pytest.mark.parametrize("name", CASES)
def test_no_op_keeps_an_input_or_its_output_outside_save_for_backward(name):
    tensors, out = _build(name)
    fn = out.grad_fn
    for attribute, value in vars(fn).items():
        if attribute in ("saved_tensors", "inputs"):
            continue
        for array in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(array, np.ndarray):
                for tensor in tensors + [out]:
                    assert not np.may_share_memory(array, tensor.data), \
                        f"{name} keeps {attribute!r} without save_for_backward"


def test_every_op_has_a_case():
    tested = set()
    for name in CASES:
        tested.add(_build(name)[1].grad_fn.name)
    every_op = {name for name in dir(ops)
                if isinstance(getattr(ops, name), type) and issubclass(getattr(ops, name), Function)
                and getattr(ops, name) is not Function}
    assert every_op - tested == set()


def test_option_arrays_are_copied_so_changing_them_later_cannot_change_the_gradient():
    """Labels, class weights, conditions and index tensors are options, not inputs: the
    functional forms take copies, so the caller's tensors stay theirs to change."""
    logits = Tensor([[0.1, 0.2, 0.7]], dtype=np.float64, requires_grad=True)
    labels = Tensor([2])
    loss = F.cross_entropy(logits, labels)
    labels[0] = 0
    loss.backward()
    p = np.exp([0.1, 0.2, 0.7]) / np.exp([0.1, 0.2, 0.7]).sum()
    np.testing.assert_allclose(logits.grad.data, [p - [0, 0, 1]])

    x = Tensor([0.25], dtype=np.float64, requires_grad=True)
    weight = Tensor([2.0], dtype=np.float64)
    loss = F.binary_cross_entropy(x, Tensor([1.0], dtype=np.float64), weight=weight)
    weight[0] = 100.0
    loss.backward()
    assert x.grad.tolist() == [-8.0]      # w·(x − y)/(x(1 − x)) = 2·(−0.75)/0.1875

    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    index = Tensor([0, 0, 2])
    picked = x[index]
    index[0] = 1
    picked.sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 1.0]
