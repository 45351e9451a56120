"""nn.init: PyTorch's formulas, checked on large tensors (statistics within a few standard
errors), in place, reproducible under manual_seed."""
import math

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn
from tinygrad_opt.nn import init


def big(rows=500, cols=400):
    return tg.zeros(rows, cols)


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity swish"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "steep")


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(tg.zeros(32, 64)) == (64, 32)
    assert init._calculate_fan_in_and_fan_out(tg.zeros(8, 3, 5, 5)) == (75, 200)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(tg.zeros(5))


def test_uniform_fills_in_place_within_bounds():
    tg.manual_seed(0)
    tensor = big()
    array = tensor.data
    assert init.uniform_(tensor, -2.0, 3.0) is tensor and tensor.data is array
    assert tensor.data.min() >= -2.0 and tensor.data.max() <= 3.0
    # U(a, b): mean (a+b)/2 = 0.5, std (b−a)/√12 = 1.4434; 200,000 samples
    assert abs(tensor.data.mean() - 0.5) < 0.02
    assert abs(tensor.data.std() - 5 / math.sqrt(12)) < 0.01
    assert tensor._version == 1


def test_normal_mean_and_std():
    tg.manual_seed(0)
    tensor = init.normal_(big(), mean=1.5, std=0.2)
    assert abs(tensor.data.mean() - 1.5) < 0.002
    assert abs(tensor.data.std() - 0.2) < 0.002


def test_constant_zeros_ones():
    tensor = tg.zeros(3)
    np.testing.assert_array_equal(init.constant_(tensor, 0.25).data, [0.25] * 3)
    np.testing.assert_array_equal(init.ones_(tensor).data, [1, 1, 1])
    np.testing.assert_array_equal(init.zeros_(tensor).data, [0, 0, 0])


def test_xavier_uniform_and_normal():
    tg.manual_seed(0)
    # fan_in 400, fan_out 500: a = gain·√(6/900) = 0.08165 with gain 1; σ = √(2/900) = 0.04714
    tensor = init.xavier_uniform_(big())
    a = math.sqrt(6 / 900)
    assert tensor.data.max() <= a and tensor.data.min() >= -a and tensor.data.max() > 0.99 * a
    assert abs(tensor.data.std() - a / math.sqrt(3)) < 0.0005
    tensor = init.xavier_normal_(big(), gain=2.0)
    assert abs(tensor.data.std() - 2.0 * math.sqrt(2 / 900)) < 0.001
    assert abs(tensor.data.mean()) < 0.001


def test_kaiming_uniform_and_normal():
    tg.manual_seed(0)
    # relu: gain √2, fan_in 400 → bound √2·√(3/400) = 0.12247; σ = √2/√400 = 0.070711
    tensor = init.kaiming_uniform_(big(), nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 400)
    assert tensor.data.max() <= bound and tensor.data.max() > 0.99 * bound
    tensor = init.kaiming_normal_(big(), mode="fan_out", nonlinearity="relu")
    assert abs(tensor.data.std() - math.sqrt(2) / math.sqrt(500)) < 0.0005
    tensor = init.kaiming_uniform_(big(), a=math.sqrt(5))  # Linear's default: bound 1/√fan_in
    assert tensor.data.max() <= 1 / 20 and tensor.data.max() > 0.99 / 20
    with pytest.raises(ValueError, match="Mode fan_middle not supported"):
        init.kaiming_uniform_(big(), mode="fan_middle")


def test_init_is_reproducible_under_manual_seed_and_accepts_a_generator():
    tg.manual_seed(5)
    first = init.xavier_normal_(tg.zeros(4, 4)).data.copy()
    tg.manual_seed(5)
    second = init.xavier_normal_(tg.zeros(4, 4)).data.copy()
    np.testing.assert_array_equal(first, second)
    own = init.uniform_(tg.zeros(3), generator=np.random.default_rng(1)).data
    np.testing.assert_array_equal(own, np.random.default_rng(1).uniform(0, 1, 3).astype(np.float32))


def test_init_on_a_parameter_records_no_graph_and_keeps_it_a_leaf():
    param = nn.Parameter(tg.zeros(3, 3))
    init.kaiming_normal_(param)
    assert param.is_leaf and param.requires_grad and param.grad_fn is None
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))
    model.apply(lambda m: init.zeros_(m.bias) if isinstance(m, nn.Linear) else None)
    assert not model[0].bias.data.any() and not model[2].bias.data.any()


def test_init_rejects_things_that_are_not_tensors():
    with pytest.raises(TypeError, match="expected a Tensor or numpy array, got list"):
        init.zeros_([0.0, 1.0])
