"""Layers: Linear, activations, Flatten, Identity, Softmax/LogSoftmax and Dropout, each against
numbers worked out by hand or with plain numpy."""
import math
import warnings

import numpy as np
import pytest

import tinygrad_opt as tg
import tinygrad_opt.nn.functional as F
from tinygrad_opt import nn


def f64(values, requires_grad=True):
    return tg.Tensor(np.asarray(values, dtype=np.float64), dtype=np.float64, requires_grad=requires_grad)


# ---------------------------------------------------------------------- Linear
def test_linear_forward_and_gradients_by_hand():
    layer = nn.Linear(2, 3)
    layer.load_state_dict({"weight": np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]]),
                           "bias": np.array([0.5, 0.0, -1.0])})
    x = tg.Tensor([[1.0, 2.0], [-1.0, 4.0]], requires_grad=True)
    out = layer(x)
    # row 1: (1+4+0.5, 0−2+0, 3+1−1) ; row 2: (−1+8+0.5, 0−4+0, −3+2−1)
    np.testing.assert_allclose(out.data, [[5.5, -2.0, 3.0], [7.5, -4.0, -2.0]])
    out.backward(np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]]))
    # ∂L/∂x = g·W ; ∂L/∂W = gᵀ·x ; ∂L/∂b = Σ rows of g
    np.testing.assert_allclose(x.grad.data, [[7.0, 3.0], [-3.0, -1.5]])
    np.testing.assert_allclose(layer.weight.grad.data, [[1.0, 2.0], [-1.0, 4.0], [3.0, 0.0]])
    np.testing.assert_allclose(layer.bias.grad.data, [1.0, 1.0, 1.0])


def test_linear_matches_numpy_on_batched_input_and_passes_gradcheck():
    tg.manual_seed(3)
    layer = nn.Linear(5, 4, dtype=np.float64)
    assert layer.weight.dtype == np.float64
    x = np.random.default_rng(0).standard_normal((2, 3, 5))
    out = layer(f64(x))
    np.testing.assert_allclose(out.data, x @ layer.weight.data.T + layer.bias.data, rtol=1e-12)
    assert tg.gradcheck(lambda t, w, b: F.linear(t, w, b), [f64(x), layer.weight, layer.bias])


def test_linear_without_bias():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    x = tg.ones(1, 3)
    np.testing.assert_allclose(layer(x).data, layer.weight.data.sum(axis=1, keepdims=True).T, rtol=1e-6)


def test_linear_rejects_a_wrong_last_dimension_naming_both_sizes():
    layer = nn.Linear(64, 32)
    with pytest.raises(ValueError) as error:
        layer(tg.zeros(8, 63))
    assert str(error.value) == ("Linear(in_features=64, out_features=32) got input of shape (8, 63): "
                                "expected last dimension 64")
    with pytest.raises(TypeError, match="expected a Tensor input, got ndarray"):
        layer(np.zeros((8, 64)))
    with pytest.raises(ValueError, match="in_features must be a non-negative int"):
        nn.Linear(2.5, 3)


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    tg.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # 0.05
    w, b = layer.weight.data, layer.bias.data
    assert w.shape == (300, 400) and b.shape == (300,)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound                     # the whole range is used
    # U(−a, a): mean 0, std a/√3 = 0.028868 (120,000 samples: standard error ≈ 0.0001)
    assert abs(w.mean()) < 0.0005
    assert abs(w.std() - bound / math.sqrt(3)) < 0.0005


def test_linear_init_is_reproducible_under_manual_seed():
    tg.manual_seed(42)
    first = nn.Linear(8, 4).state_dict()
    tg.manual_seed(42)
    second = nn.Linear(8, 4).state_dict()
    tg.manual_seed(43)
    third = nn.Linear(8, 4).state_dict()
    assert all(np.array_equal(first[k], second[k]) for k in first)
    assert not np.array_equal(first["weight"], third["weight"])


# ---------------------------------------------------------------------- activations
X = [-2.0, -0.5, 0.0, 0.5, 3.0]


def test_relu_and_leaky_relu_values_and_gradients():
    x = f64(X)
    nn.ReLU()(x).sum().backward()
    np.testing.assert_array_equal(nn.ReLU()(x).data, [0, 0, 0, 0.5, 3.0])
    np.testing.assert_array_equal(x.grad.data, [0, 0, 0, 1, 1])
    x = f64(X)
    out = nn.LeakyReLU(0.1)(x)
    out.sum().backward()
    np.testing.assert_allclose(out.data, [-0.2, -0.05, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(x.grad.data, [0.1, 0.1, 0.1, 1, 1])


def test_tanh_and_sigmoid_values_and_gradients():
    x = f64(X)
    out = nn.Tanh()(x)
    out.sum().backward()
    np.testing.assert_allclose(out.data, np.tanh(X))
    np.testing.assert_allclose(x.grad.data, 1 - np.tanh(X) ** 2)
    x = f64(X)
    out = nn.Sigmoid()(x)
    out.sum().backward()
    s = 1 / (1 + np.exp(-np.array(X)))
    np.testing.assert_allclose(out.data, s)
    np.testing.assert_allclose(x.grad.data, s * (1 - s))


def test_gelu_values_and_gradients():
    x = f64(X)
    out = nn.GELU()(x)
    out.sum().backward()
    cdf = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in X])
    pdf = np.exp(-np.square(X) / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(out.data, np.array(X) * cdf, rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, cdf + np.array(X) * pdf, rtol=1e-12)
    np.testing.assert_allclose(nn.GELU("tanh")(f64([1.0])).data, [0.8411919906082768], rtol=1e-12)
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        nn.GELU("fast")


def test_softmax_and_log_softmax_along_a_dim():
    x = f64([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    expected = np.exp([[1.0, 2.0, 3.0], [0, 0, 0]])
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(nn.Softmax(dim=1)(x).data, expected)
    np.testing.assert_allclose(nn.LogSoftmax(dim=1)(x).data, np.log(expected))
    np.testing.assert_allclose(nn.Softmax(dim=0)(x).data.sum(axis=0), [1, 1, 1])
    np.testing.assert_allclose(nn.Softmax()(x).data, expected)  # dim=None: the last dimension
    assert tg.gradcheck(lambda t: nn.LogSoftmax(dim=1)(t), [x])


def test_functional_activations_match_the_modules():
    x = f64(X, requires_grad=False)
    for module, function in [(nn.ReLU(), F.relu), (nn.Tanh(), F.tanh), (nn.Sigmoid(), F.sigmoid),
                             (nn.GELU(), F.gelu), (nn.LeakyReLU(), F.leaky_relu)]:
        np.testing.assert_array_equal(module(x).data, function(x).data)


def test_flatten_and_identity():
    x = tg.arange(24.0).reshape(2, 3, 4)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    np.testing.assert_array_equal(nn.Flatten()(x).data[1], np.arange(12.0, 24.0))
    identity = nn.Identity(54, unused="argument")
    assert identity(x) is x


# ---------------------------------------------------------------------- Dropout
def test_dropout_is_the_identity_in_eval_mode():
    layer = nn.Dropout(0.5).eval()
    x = tg.ones(100, requires_grad=True)
    assert layer(x) is x


def test_dropout_zeroes_about_p_and_scales_the_rest_by_one_over_one_minus_p():
    tg.manual_seed(0)
    x = tg.ones(200_000, requires_grad=True)
    out = nn.Dropout(p=0.25)(x)
    values = np.unique(out.data)
    np.testing.assert_allclose(values, [0.0, 1 / 0.75], rtol=1e-6)
    dropped = np.mean(out.data == 0)
    assert abs(dropped - 0.25) < 0.005            # binomial standard error ≈ 0.001
    assert abs(out.data.mean() - 1.0) < 0.01      # inverted dropout keeps the mean
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, out.data)  # ∂y/∂x = m/(1 − p) = y for x = 1


def test_dropout_masks_are_reproducible_under_manual_seed():
    x = tg.ones(1000)
    tg.manual_seed(7)
    first = nn.Dropout(0.5)(x).data
    tg.manual_seed(7)
    second = nn.Dropout(0.5)(x).data
    third = nn.Dropout(0.5)(x).data
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(second, third)  # each call draws a fresh mask


def test_dropout_edge_probabilities_and_validation():
    x = tg.ones(10)
    assert nn.Dropout(0.0)(x) is x
    np.testing.assert_array_equal(nn.Dropout(1.0)(x).data, np.zeros(10))
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {p}"):
            nn.Dropout(p)
    with pytest.raises(ValueError):
        F.dropout(x, p=2)
    assert F.dropout(x, 0.5, training=False) is x


def test_dropout_under_no_grad_records_nothing():
    x = tg.ones(10, requires_grad=True)
    with warnings.catch_warnings(), tg.no_grad():
        warnings.simplefilter("error")
        out = nn.Dropout(0.5)(x)
    assert out.grad_fn is None and not out.requires_grad
