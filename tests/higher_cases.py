"""The functions whose second derivatives are compared with PyTorch's (`test_func_torch.py`).

Each case is written once for both libraries: `M` is `torch` or `tinygrad_opt`, `F` the
matching `nn.functional`, and the Tensor methods used have the same names in both. Inputs are
float64 arrays: (shape, low, high) per input.
"""
import numpy as np

LABELS = [0, 2, 1, 2]

CASES = {
    "add_mul": (lambda M, F, a, b: (a + b) * (a - b) * a, [((3, 1), -2, 2), ((4,), -2, 2)]),
    "div": (lambda M, F, a, b: a / b, [((2, 3), -2, 2), ((3,), 0.5, 2)]),
    "pow_scalar": (lambda M, F, a: a ** 3 + a ** 0.5 + a ** -1.5, [((4,), 0.5, 2)]),
    "pow": (lambda M, F, a, b: a ** b, [((2, 3), 0.5, 2), ((3,), -2, 2)]),
    "matmul": (lambda M, F, a, b: (a @ b) * (a @ b), [((3, 4), -1, 1), ((4, 2), -1, 1)]),
    "matmul_1d": (lambda M, F, a, b: (a @ b) ** 2, [((3,), -1, 1), ((2, 3, 4), -1, 1)]),
    "linear": (lambda M, F, x, w, b: F.linear(x, w, b).tanh(), [((5, 3), -1, 1), ((2, 3), -1, 1), ((2,), -1, 1)]),
    "exp_log_sqrt": (lambda M, F, a: a.exp() + a.log() + a.sqrt(), [((5,), 0.5, 2)]),
    "tanh_sigmoid": (lambda M, F, a: a.tanh() * a.sigmoid(), [((5,), -2, 2)]),
    "relu_abs_leaky": (lambda M, F, a: (a.relu() + a.abs() + F.leaky_relu(a, 0.1)) * a, [((6,), -2, 2)]),
    "gelu": (lambda M, F, a: F.gelu(a), [((6,), -2, 2)]),
    "gelu_tanh": (lambda M, F, a: F.gelu(a, approximate="tanh"), [((6,), -2, 2)]),
    "clamp": (lambda M, F, a: a.clamp(-1.0, 1.0) * a, [((6,), -2, 2)]),
    "maximum_minimum": (lambda M, F, a, b: a.maximum(b) * a.minimum(b) * a, [((2, 3), -2, 2), ((3,), -2, 2)]),
    "where": (lambda M, F, a, b: M.where(a > 0, a * a, b * a), [((2, 3), -2, 2), ((3,), -2, 2)]),
    "sum_mean": (lambda M, F, a: (a.sum(dim=1) ** 2).sum() + (a.mean(dim=(0, 2)) ** 3).sum(), [((2, 3, 2), -2, 2)]),
    "max_min": (lambda M, F, a: a.max() * a + a.min() * a * a, [((3, 4), -2, 2)]),
    "logsumexp": (lambda M, F, a: a.logsumexp(dim=1), [((3, 4), -2, 2)]),
    "softmax": (lambda M, F, a: a.softmax(dim=-1) * a.log_softmax(dim=0), [((3, 4), -2, 2)]),
    "shape": (lambda M, F, a: (a.reshape(3, 2).permute(1, 0) ** 3).expand(2, 2, 3) * a[0:1, ::2].reshape(2, 1, 1),
              [((2, 3), -2, 2)]),
    "getitem_cat_stack": (lambda M, F, a, b: (M.cat([a[[0, 2, 0]], b], 1) ** 3).sum(dim=1)
                          + (M.stack([a, a * b], 0) ** 2).sum(dim=(0, 2)),
                          [((3, 2), -2, 2), ((3, 2), -2, 2)]),
    "mse": (lambda M, F, x, y: F.mse_loss(x.tanh(), y), [((3, 2), -2, 2), ((3, 2), -2, 2)]),
    "l1": (lambda M, F, x, y: F.l1_loss(x * x, y, reduction="sum"), [((4,), -2, 2), ((4,), -2, 2)]),
    "huber": (lambda M, F, x, y: F.huber_loss(x * x, y, reduction="none"), [((6,), -1.5, 1.5), ((6,), -2, 2)]),
    "cross_entropy": (lambda M, F, z: F.cross_entropy(z, M.tensor(LABELS)), [((4, 3), -2, 2)]),
    "cross_entropy_options": (lambda M, F, z: F.cross_entropy(z, M.tensor(LABELS), weight=M.tensor([1.0, 2.0, 0.5]).double(),
                                                              ignore_index=1, label_smoothing=0.1), [((4, 3), -2, 2)]),
    "cross_entropy_probabilities": (lambda M, F, z, p: F.cross_entropy(z, p.softmax(dim=1), label_smoothing=0.2),
                                    [((4, 3), -2, 2), ((4, 3), -2, 2)]),
    "nll": (lambda M, F, x: F.nll_loss(x.log_softmax(dim=1), M.tensor(LABELS)), [((4, 3), -2, 2)]),
    "bce": (lambda M, F, x, y: F.binary_cross_entropy(x, y), [((3,), 0.1, 0.9), ((3,), 0.1, 0.9)]),
    "bce_with_logits": (lambda M, F, x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=M.tensor([2.0, 0.5, 1.0]).double()),
                        [((3,), -2, 2), ((3,), 0.1, 0.9)]),
}

HIDDEN = 2          # the digits MLP of the Hessian fixture: 64 → 2 (ReLU) → 10
N_SAMPLES = 64


def mlp_loss(M, F, theta, images, labels):
    """Cross-entropy of Linear(64→2), ReLU, Linear(2→10), all parameters in one flat θ (160)."""
    sizes = [(HIDDEN, 64), (HIDDEN,), (10, HIDDEN), (10,)]
    params, start = [], 0
    for shape in sizes:
        count = int(np.prod(shape))
        params.append(theta[start:start + count].reshape(*shape))
        start += count
    w1, b1, w2, b2 = params
    return F.cross_entropy(F.linear(F.linear(images, w1, b1).relu(), w2, b2), labels)


def mlp_parameter_count():
    return HIDDEN * 64 + HIDDEN + 10 * HIDDEN + 10


def inputs_for(name, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, size=shape) for shape, low, high in CASES[name][1]]
