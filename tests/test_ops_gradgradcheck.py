"""Second derivatives of every differentiable op against finite differences of the first (float64).

`gradgradcheck` differentiates each op's gradient (computed with create_graph=True) once more
and compares the result with central differences of that gradient, so a wrong `backward_graph`
fails here. One case per op and the awkward forms (broadcasting, axes, 1-D matmul, every loss
option); a last test makes sure no op of `tinygrad_opt.ops` is left out.
"""
import numpy as np
import pytest

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import Tensor, gradgradcheck, ops
from tinygrad_opt.autograd import grad

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def t(*shape, low=-2.0, high=2.0, seed=0):
    rng = np.random.default_rng(seed + 7 * len(shape) + sum(shape))
    return Tensor(rng.uniform(low, high, size=shape), dtype=np.float64, requires_grad=True)


def distinct(*shape, seed=0):
    """Values at least 0.1 apart and away from 0 (no ties or kinks)."""
    n = int(np.prod(shape))
    values = (np.random.default_rng(seed).permutation(n) - n / 2 + 0.5) * 0.37 + 0.05
    return Tensor(values.reshape(shape), dtype=np.float64, requires_grad=True)


def probabilities(*shape, seed=0):
    return t(*shape, low=0.1, high=0.9, seed=seed)


LABELS = np.array([0, 2, 1, 2])

# name -> (the Function classes it covers, fn, input factory)
CASES = {
    "add": ({ops.Add}, lambda a, b: (a + b) * (a + b), lambda: (t(3, 1), t(4))),
    "sub": ({ops.Sub}, lambda a, b: (a - b) * (a - b), lambda: (t(3, 1), t(4))),
    "mul": ({ops.Mul}, lambda a, b: a * b * a, lambda: (t(2, 3), t(3))),
    "div": ({ops.Div}, lambda a, b: a / b, lambda: (t(2, 3), t(3, low=0.5, high=2.0))),
    "scalar_ops": ({ops.AddScalar, ops.SubScalar, ops.MulScalar, ops.DivScalar},
                   lambda a: (0.5 + a) * (a - 1.5) * 3.0 / 4 + 2 * a * a, lambda: (t(4),)),
    "neg": ({ops.Neg}, lambda a: -(a * a), lambda: (t(4),)),
    "pow_scalar": ({ops.PowScalar}, lambda a: a ** 3 + a ** 0.5 + a ** -1.5 + a ** 2,
                   lambda: (t(4, low=0.5, high=2.0),)),
    "pow": ({ops.Pow}, lambda a, b: a ** b, lambda: (t(2, 3, low=0.5, high=2.0), t(3))),
    "matmul_2d": ({ops.MatMul}, lambda a, b: (a @ b).tanh(), lambda: (t(3, 4), t(4, 2))),
    "matmul_1d_batched": ({ops.MatMul}, lambda a, b, c: ((a @ b) @ c).tanh(),
                          lambda: (t(3), t(2, 3, 4), t(4))),
    "linear": ({ops.Linear}, lambda x, w, b: F.linear(x, w, b).tanh(), lambda: (t(5, 3), t(2, 3), t(2))),
    "linear_no_bias": ({ops.Linear}, lambda x, w: F.linear(x, w).sigmoid(), lambda: (t(5, 3), t(2, 3))),
    "exp": ({ops.Exp}, lambda a: a.exp(), lambda: (t(5),)),
    "log": ({ops.Log}, lambda a: a.log(), lambda: (t(5, low=0.5, high=2.0),)),
    "sqrt": ({ops.Sqrt}, lambda a: a.sqrt(), lambda: (t(5, low=0.5, high=2.0),)),
    "abs": ({ops.Abs}, lambda a: a.abs() * a, lambda: (distinct(6),)),
    "tanh": ({ops.Tanh}, lambda a: a.tanh(), lambda: (t(5),)),
    "sigmoid": ({ops.Sigmoid}, lambda a: a.sigmoid(), lambda: (t(5),)),
    "relu": ({ops.ReLU}, lambda a: a.relu() * a, lambda: (distinct(6),)),
    "leaky_relu": ({ops.LeakyReLU}, lambda a: a.leaky_relu(0.1) * a, lambda: (distinct(6),)),
    "gelu": ({ops.GELU, ops.elementwise.NormalCDF}, lambda a: a.gelu(), lambda: (t(6),)),
    "gelu_tanh": ({ops.GELU}, lambda a: a.gelu(approximate="tanh"), lambda: (t(6),)),
    "clip": ({ops.Clip}, lambda a: a.clip(-1.0, 1.0) * a, lambda: (distinct(6),)),
    "maximum": ({ops.Maximum}, lambda a, b: a.maximum(b) * a, lambda: (distinct(2, 3), distinct(3, seed=1))),
    "minimum": ({ops.Minimum}, lambda a, b: a.minimum(b) * b, lambda: (distinct(2, 3), distinct(3, seed=1))),
    "where": ({ops.Where}, lambda a, b: tg.where(a.data > 0, a * a, b * a), lambda: (t(2, 3), t(3))),
    "clone": ({ops.Clone}, lambda a: a.clone() * a, lambda: (t(4),)),
    # float64 to float64: through float32 the finite differences would see its rounding
    "cast": ({ops.Cast}, lambda a: ops.Cast.apply(a, dtype=np.dtype(np.float64)) * a, lambda: (t(4),)),
    "sum": ({ops.Sum}, lambda a: a.sum(axis=1) ** 2, lambda: (t(2, 3, 2),)),
    "sum_all_keepdims": ({ops.Sum}, lambda a: a.sum(keepdims=True) * a, lambda: (t(2, 3),)),
    "mean": ({ops.Mean}, lambda a: a.mean(axis=(0, -1)) ** 2, lambda: (t(2, 3, 2),)),
    "max": ({ops.Max}, lambda a: a.max(axis=(1,)) ** 2, lambda: (distinct(3, 4),)),
    "min": ({ops.Min}, lambda a: a.min() * a, lambda: (distinct(3, 4),)),
    "logsumexp": ({ops.LogSumExp}, lambda a: a.logsumexp(axis=1), lambda: (t(3, 4),)),
    "log_softmax": ({ops.LogSoftmax}, lambda a: a.log_softmax(axis=0), lambda: (t(3, 4),)),
    "softmax": ({ops.Softmax}, lambda a: a.softmax(axis=-1), lambda: (t(3, 4),)),
    "reshape": ({ops.Reshape}, lambda a: a.reshape(3, 2) * a.reshape(3, 2), lambda: (t(2, 3),)),
    "permute": ({ops.Permute}, lambda a: a.permute(2, 0, 1) * a.permute(2, 0, 1), lambda: (t(2, 3, 4),)),
    "expand": ({ops.Expand}, lambda a: a.expand(3, 2, 4) * a, lambda: (t(2, 1),)),
    "getitem_basic": ({ops.GetItem, ops.shape.Scatter}, lambda a: a[1:, ::2] * a[:1, :2], lambda: (t(3, 4),)),
    "getitem_repeated": ({ops.GetItem, ops.shape.Scatter}, lambda a: a[np.array([0, 2, 0])] ** 3,
                         lambda: (t(3, 2),)),
    "cat": ({ops.Cat}, lambda a, b: tg.cat([a, b], axis=1) ** 3, lambda: (t(2, 3), t(2, 1))),
    "stack": ({ops.Stack}, lambda a, b: tg.stack([a, b], axis=-1) ** 3, lambda: (t(2, 3), t(2, 3))),
    "mse": ({ops.MSE}, lambda x, y: F.mse_loss(x.tanh(), y), lambda: (t(3, 2), t(3, 2))),
    "l1_none": ({ops.L1}, lambda x, y: F.l1_loss(x * x, y, reduction="none"), lambda: (t(4), t(4, seed=1))),
    "huber": ({ops.Huber}, lambda x, y: F.huber_loss(x * x, y, delta=1.0, reduction="sum"),
              lambda: (t(6, low=-1.5, high=1.5), t(6, seed=1))),
    "cross_entropy": ({ops.CrossEntropy}, lambda z: F.cross_entropy(z, Tensor(LABELS)), lambda: (t(4, 3),)),
    "cross_entropy_options": ({ops.CrossEntropy},
                              lambda z: F.cross_entropy(z, Tensor(LABELS), weight=Tensor([1.0, 2.0, 0.5]),
                                                        ignore_index=1, label_smoothing=0.1),
                              lambda: (t(4, 3),)),
    "cross_entropy_probabilities": ({ops.CrossEntropy},
                                    lambda z, p: F.cross_entropy(z, p.softmax(axis=1), label_smoothing=0.2,
                                                                 reduction="sum"),
                                    lambda: (t(4, 3), t(4, 3, seed=1))),
    "cross_entropy_spatial_none": ({ops.CrossEntropy},
                                   lambda z: F.cross_entropy(z, Tensor(np.array([[0, 2], [1, 1]])), reduction="none"),
                                   lambda: (t(2, 3, 2),)),
    "nll": ({ops.NLL}, lambda x: F.nll_loss(x.log_softmax(axis=1), Tensor(LABELS), weight=Tensor([1.0, 2.0, 0.5])),
            lambda: (t(4, 3),)),
    "bce": ({ops.BinaryCrossEntropy}, lambda x, y: F.binary_cross_entropy(x, y, weight=Tensor([1.0, 2.0, 0.5])),
            lambda: (probabilities(3), probabilities(3, seed=1))),
    "bce_with_logits": ({ops.BinaryCrossEntropyWithLogits},
                        lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=Tensor([2.0, 0.5, 1.0])),
                        lambda: (t(3), probabilities(3, seed=1))),
    "bce_with_logits_plain": ({ops.BinaryCrossEntropyWithLogits},
                              lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="none"),
                              lambda: (t(3), probabilities(3, seed=1))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivatives_match_finite_differences(name):
    _, fn, make_inputs = CASES[name]
    assert gradgradcheck(fn, make_inputs())


def test_every_op_has_a_second_derivative_case():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)
    ops_in_package = {cls for cls in subclasses(ops.Function)
                      if cls.__module__.startswith("tinygrad_opt.ops") and not cls.__name__.startswith("_")}
    covered = set().union(*(classes for classes, _, _ in CASES.values()))
    assert ops_in_package - covered == set()


def test_third_derivative_of_a_cube():
    x = Tensor([2.0, -1.0], dtype=np.float64, requires_grad=True)
    (first,) = grad((x ** 3).sum(), x, create_graph=True)          # 3x²
    (second,) = grad(first.sum(), x, create_graph=True)            # 6x
    (third,) = grad(second.sum(), x)                               # 6
    assert np.allclose(first.data, [12.0, 3.0])
    assert np.allclose(second.data, [12.0, -6.0])
    assert np.allclose(third.data, [6.0, 6.0])


def test_gradgradcheck_catches_a_wrong_second_derivative(monkeypatch):
    # Tanh's recorded backward with the wrong sign: first derivatives stay right (the array
    # backward is untouched), so only gradgradcheck can notice.
    monkeypatch.setattr(ops.Tanh, "backward_graph",
                        lambda self, g: g * (1 + self.inputs[0].tanh() * self.inputs[0].tanh()))
    with pytest.raises(tg.GradcheckError):
        gradgradcheck(lambda a: a.tanh(), [t(4)])
