"""Edge cases answered as PyTorch answers them: zero-size layers, softmax and logsumexp over
an empty axis, zero-dimensional tensors, and max/min along a dimension as (values, indices)."""
import warnings

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn


def linear_with_no_outputs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Initializing zero-element tensors is a no-op", as PyTorch warns
        return nn.Linear(3, 0)


def test_a_linear_layer_with_no_outputs_runs_forward_and_backward():
    layer = linear_with_no_outputs()
    x = tg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = layer(x)
    assert y.shape == (2, 0)
    y.sum().backward()          # a sum of nothing is 0: every gradient is zero (or empty)
    assert x.grad.tolist() == [[0, 0, 0], [0, 0, 0]]
    assert layer.weight.grad.shape == (0, 3) and layer.bias.grad.shape == (0,)


def test_a_linear_layer_with_no_inputs_gives_its_bias():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = nn.Linear(0, 2)
    x = tg.Tensor(np.zeros((4, 0)), requires_grad=True)
    y = layer(x)
    np.testing.assert_array_equal(y.data, np.broadcast_to(layer.bias.data, (4, 2)))
    y.sum().backward()
    assert x.grad.shape == (4, 0) and layer.weight.grad.shape == (2, 0)
    assert layer.bias.grad.tolist() == [4.0, 4.0]


def test_softmax_and_logsumexp_over_an_empty_axis():
    x = tg.Tensor(np.zeros((2, 0)), requires_grad=True)
    assert x.softmax(axis=1).shape == (2, 0) and x.log_softmax(dim=1).shape == (2, 0)
    lse = x.logsumexp(axis=1)
    assert lse.tolist() == [-np.inf, -np.inf]       # ln of an empty sum, ln 0
    lse.sum().backward()
    assert x.grad.shape == (2, 0)


def test_zero_dimensional_tensors_reduce_over_dim_0_and_refuse_cat():
    s = tg.Tensor(2.0, requires_grad=True)
    assert s.mean(axis=0).item() == 2.0 and s.sum(dim=-1).item() == 2.0   # PyTorch: the value itself
    assert s.softmax(0).item() == 1.0 and s.logsumexp(0).item() == 2.0
    s.mean(axis=0).backward()
    assert s.grad.item() == 1.0
    with pytest.raises(IndexError, match="axis 1 is out of range for a tensor with 0 dimensions"):
        s.mean(axis=1)
    with pytest.raises(RuntimeError, match=r"^zero-dimensional tensor \(at position 1\) cannot be concatenated$"):
        tg.cat([tg.Tensor([1.0]), s])


def test_max_and_min_along_a_dim_are_a_named_tuple_of_values_and_indices():
    x = tg.Tensor([[1.0, 5.0, 5.0], [4.0, 0.0, 2.0]], requires_grad=True)
    result = x.max(dim=1)
    values, indices = result
    assert type(result).__name__ == "max" and result.values is values and result.indices is indices
    assert values.tolist() == [5.0, 4.0] and indices.tolist() == [1, 0] and indices.dtype == np.int64
    low = x.min(0, keepdim=True)
    assert type(low).__name__ == "min" and low.values.tolist() == [[1.0, 0.0, 2.0]]
    assert low.indices.tolist() == [[0, 1, 1]]
    (values.sum() + low.values.sum()).backward()
    assert x.grad.tolist() == [[1, 1, 0], [1, 1, 1]]
    assert x.max().item() == 5.0 and x.min(axis=(0, 1)).item() == 0.0   # no dim: the value only


def test_the_same_as_pytorch():
    torch = pytest.importorskip("torch")
    data = np.array([[1.0, 5.0, 5.0], [4.0, 0.0, 2.0]])
    for dim in (0, 1, -1):
        for name in ("max", "min"):
            ours = getattr(tg.Tensor(data), name)(dim)
            theirs = getattr(torch.tensor(data), name)(dim)
            assert ours.values.tolist() == theirs.values.tolist()
            assert ours.indices.tolist() == theirs.indices.tolist()
    empty = torch.zeros(2, 0, dtype=torch.float64)
    assert torch.logsumexp(empty, 1).tolist() == tg.Tensor(np.zeros((2, 0))).logsumexp(1).tolist()
    assert torch.tensor(2.0).mean(0).item() == tg.Tensor(2.0).mean(0).item()
