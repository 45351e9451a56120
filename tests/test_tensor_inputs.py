"""Bad input is refused with a clear error and nothing changed: Tensor data, dtypes mixed in a
layer, devices, read-only parameters; and PyTorch's behaviour where a user expects it."""
import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn


# ---------------------------------------------------------------------- Tensor data
@pytest.mark.parametrize("data, dtype, shown", [
    ([1.0, None], np.float32, "[1.0, None] (an array of dtype object)"),
    ([1.0, None], None, "[1.0, None] (an array of dtype object)"),
    ([1 + 2j, 3.0], np.float32, "[(1+2j), 3.0] (an array of dtype complex128)"),
    (np.array([1 + 2j]), np.float64, "array([1.+2.j]) (an array of dtype complex128)"),
    (["1.5", "2"], np.float32, "['1.5', '2'] (an array of dtype <U3)"),
    (None, np.float32, "None (an array of dtype object)"),
])
def test_data_that_is_not_numbers_is_a_type_error_naming_it(data, dtype, shown):
    with pytest.raises(TypeError) as error:
        tg.Tensor(data, dtype=dtype)
    assert str(error.value) == f"Tensor data must be numbers or booleans, got {shown}"


@pytest.mark.parametrize("dtype", [object, str, np.complex64])
def test_a_dtype_that_is_not_numbers_is_a_type_error(dtype):
    with pytest.raises(TypeError, match="Tensor dtype must be a number or boolean type, got "):
        tg.Tensor([1, 2], dtype=dtype)


def test_good_data_still_converts_as_before():
    assert tg.Tensor([1.5, 2], dtype=np.float64).data.tolist() == [1.5, 2.0]
    assert tg.Tensor(np.array([1.5]), dtype=np.int64).data.tolist() == [1]   # truncates, like torch.tensor
    source = np.array([1, 2])
    copy = tg.Tensor(source)
    source[0] = 9
    assert copy.data.tolist() == [1, 2] and copy.dtype == np.int64


# ---------------------------------------------------------------------- mixed dtypes
def test_a_float32_layer_refuses_float64_input_naming_both_dtypes():
    # PyTorch: "mat1 and mat2 must have the same dtype"; no silent float64 result.
    layer = nn.Linear(3, 2)
    x = tg.Tensor(np.ones((4, 3)), dtype=np.float64)
    with pytest.raises(RuntimeError) as error:
        layer(x)
    assert str(error.value) == ("Linear(in_features=3, out_features=2) got input of dtype float64, but its weight is "
                                "float32: convert the input (x.to('float32')) or the model (model.to('float64')); "
                                "dtypes are never mixed silently")
    with pytest.raises(RuntimeError, match="linear got input of dtype float64, but its weight is float32"):
        nn.functional.linear(x, layer.weight, layer.bias)
    assert layer(x.float()).dtype == np.float32
    assert layer.to(np.float64)(x).dtype == np.float64


def test_matmul_refuses_float32_with_float64():
    a, b = tg.Tensor(np.ones((2, 3))), tg.Tensor(np.ones((3, 2)), dtype=np.float64)
    with pytest.raises(RuntimeError, match=r"^matmul: the operands must have the same dtype, got float32 and "
                                           r"float64; convert one with \.to\(\.\.\.\)$"):
        a @ b
    assert (a @ b.float()).dtype == np.float32 and (a.double() @ b).dtype == np.float64


# ---------------------------------------------------------------------- devices
def test_to_cpu_is_the_tensor_itself_and_other_devices_are_refused():
    x = tg.Tensor([1.0, 2.0])
    assert x.to("cpu") is x and x.cpu() is x and x.device == "cpu"
    assert x.to("cpu", np.float64).dtype == np.float64
    assert x.to(dtype=np.float64).dtype == np.float64
    assert x.to(tg.Tensor([1], dtype=np.int64)).dtype == np.int64
    for device in ("cuda", "cuda:0", "mps"):
        with pytest.raises(RuntimeError) as error:
            x.to(device)
        assert str(error.value) == (f"Tensor.to: no device or dtype is called {device!r}; 'cpu' is the only device "
                                    "(tinygrad_opt computes with numpy on the CPU)")


def test_module_to_cpu_and_a_dtype():
    model = nn.Linear(2, 1)
    assert model.to("cpu") is model and model.weight.dtype == np.float32
    assert model.to("cpu", np.float64).weight.dtype == np.float64
    with pytest.raises(RuntimeError, match="Module.to: no device or dtype is called 'cuda'"):
        model.to("cuda")


# ---------------------------------------------------------------------- modules
def test_load_state_dict_refuses_a_read_only_parameter_before_copying_anything():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    before = {name: array.copy() for name, array in model.state_dict().items()}
    model[1].weight.data.flags.writeable = False       # as a memory-mapped array opened with mode "r"
    new = {name: np.full_like(array, 7.0) for name, array in before.items()}
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(new)
    assert 'While copying the parameter named "1.weight", its array is read-only' in str(error.value)
    for name, array in model.state_dict().items():       # "0.weight" came first and is unchanged too
        np.testing.assert_array_equal(array, before[name])


def test_assigning_a_parameter_keeps_its_place_like_pytorch():
    layer = nn.Linear(3, 2)
    layer.weight = nn.Parameter(tg.zeros(2, 3))
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert list(layer.state_dict()) == ["weight", "bias"]
    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU())
    model[0] = nn.Linear(1, 1)
    assert [name for name, _ in model.named_children()] == ["0", "1"]


# ---------------------------------------------------------------------- axis and dim
def test_functional_softmax_takes_axis_as_well_as_dim():
    F = nn.functional
    x = tg.Tensor([[1.0, 2.0], [3.0, 5.0]])
    for f in (F.softmax, F.log_softmax):
        np.testing.assert_array_equal(f(x, axis=0).data, f(x, dim=0).data)
        np.testing.assert_array_equal(f(x, 0).data, f(x, dim=0).data)
        np.testing.assert_array_equal(f(x).data, f(x, dim=1).data)
        with pytest.raises(TypeError, match="give either axis or dim, not both"):
            f(x, dim=0, axis=0)
    np.testing.assert_allclose(F.softmax(x, axis=0).data[:, 0], [1 / (1 + np.e ** 2), 1 / (1 + np.e ** -2)],
                               rtol=1e-6)
