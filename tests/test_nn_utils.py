"""nn.utils: gradient clipping by norm and by value, parameters ↔ vector, parameter counts."""
import math

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn
from tinygrad_opt.nn.utils import (clip_grad_norm_, clip_grad_value_, num_parameters, parameters_to_vector,
                                   vector_to_parameters)


def params_with_grads(*grads):
    params = []
    for grad in grads:
        p = nn.Parameter(tg.zeros(len(grad)))
        p.grad = tg.Tensor(grad)
        params.append(p)
    return params


def test_clip_grad_norm_scales_every_gradient_by_one_coefficient():
    a, b = params_with_grads([3.0, 4.0], [12.0])
    total = clip_grad_norm_([a, b], max_norm=6.5)
    # ‖(3, 4, 12)‖ = 13; coefficient 6.5 / (13 + 1e-6)
    assert isinstance(total, tg.Tensor) and total.item() == pytest.approx(13.0)
    coef = 6.5 / (13 + 1e-6)
    np.testing.assert_allclose(a.grad.data, [3 * coef, 4 * coef], rtol=1e-6)
    np.testing.assert_allclose(b.grad.data, [12 * coef], rtol=1e-6)


def test_clip_grad_norm_leaves_small_gradients_alone():
    a, = params_with_grads([0.3, 0.4])
    assert clip_grad_norm_(a, max_norm=1.0).item() == pytest.approx(0.5)
    np.testing.assert_array_equal(a.grad.data, np.array([0.3, 0.4], dtype=np.float32))


def test_clip_grad_norm_other_norms_and_parameters_without_grad():
    a, b = params_with_grads([3.0, -4.0], [12.0])
    idle = nn.Parameter(tg.zeros(2))
    assert clip_grad_norm_([a, b, idle], max_norm=100, norm_type=1).item() == pytest.approx(19.0)
    assert clip_grad_norm_([a, b], max_norm=6.0, norm_type=math.inf).item() == pytest.approx(12.0)
    np.testing.assert_allclose(b.grad.data, [6.0], rtol=1e-6)  # 12 · 6/(12 + 1e-6)
    assert idle.grad is None
    assert clip_grad_norm_([idle], 1.0).item() == 0.0


def test_clip_grad_norm_can_refuse_a_non_finite_norm_without_changing_anything():
    a, b = params_with_grads([np.nan, 1.0], [2.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([a, b], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(b.grad.data, [2.0])


def test_clip_grad_value_clamps_each_element():
    a, = params_with_grads([-3.0, 0.5, 2.0])
    assert clip_grad_value_([a], 1.0) is None
    np.testing.assert_array_equal(a.grad.data, [-1.0, 0.5, 1.0])


def test_parameters_to_vector_and_back():
    model = nn.Linear(3, 2)
    vector = parameters_to_vector(model.parameters())
    assert vector.shape == (8,)
    np.testing.assert_array_equal(vector.data, np.concatenate([model.weight.data.ravel(), model.bias.data]))
    weight = model.weight
    vector_to_parameters(tg.arange(8.0), model.parameters())
    assert model.weight is weight
    np.testing.assert_array_equal(model.weight.data, [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(model.bias.data, [6, 7])
    with pytest.raises(ValueError, match="does not hold the 8 parameter values"):
        vector_to_parameters(tg.arange(7.0), model.parameters())
    with pytest.raises(TypeError, match="expected Tensor"):
        vector_to_parameters(np.arange(8.0), model.parameters())


def test_num_parameters_counts_shared_parameters_once():
    shared = nn.Linear(64, 32)
    model = nn.Sequential(shared, nn.ReLU(), shared, nn.Linear(32, 10))
    assert num_parameters(model) == 64 * 32 + 32 + 32 * 10 + 10
    model[3].requires_grad_(False)
    assert num_parameters(model, trainable_only=True) == 64 * 32 + 32
