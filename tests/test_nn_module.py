"""Module: registration, dotted names, traversal, modes, repr, state_dict and load_state_dict."""
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import autograd, nn


def mlp():
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(3, 2)
        self.scale = 2.0                    # a number: not registered
        self.note = tg.Tensor([1.0, 2.0])   # a plain Tensor: not registered

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = nn.Linear(2, 4)

    def forward(self, x):
        return self.decoder(self.encoder(x))


# ---------------------------------------------------------------------- registration and names
def test_named_parameters_of_a_sequential_are_pytorchs_names():
    names = [(name, p.shape) for name, p in mlp().named_parameters()]
    assert names == [("0.weight", (32, 64)), ("0.bias", (32,)), ("2.weight", (10, 32)), ("2.bias", (10,))]


def test_nested_modules_give_dotted_names_and_only_parameters_and_modules_register():
    model = AutoEncoder()
    assert [name for name, _ in model.named_parameters()] == [
        "encoder.fc1.weight", "encoder.fc1.bias", "encoder.fc2.weight", "encoder.fc2.bias",
        "decoder.weight", "decoder.bias"]
    assert [name for name, _ in model.named_modules()] == [
        "", "encoder", "encoder.fc1", "encoder.act", "encoder.fc2", "decoder"]
    assert [name for name, _ in model.named_children()] == ["encoder", "decoder"]
    assert list(model.encoder._parameters) == []
    assert "note" not in dict(model.encoder.named_parameters()) and model.encoder.note.shape == (2,)
    assert model.encoder.scale == 2.0
    assert sum(p.data.size for p in model.parameters()) == (12 + 3) + (6 + 2) + (8 + 4)


def test_named_parameters_with_prefix_and_without_recursion():
    model = AutoEncoder()
    assert [n for n, _ in model.encoder.named_parameters(prefix="enc")][:2] == ["enc.fc1.weight", "enc.fc1.bias"]
    assert [n for n, _ in model.named_parameters(recurse=False)] == []
    assert [n for n, _ in model.decoder.named_parameters(recurse=False)] == ["weight", "bias"]


def test_a_shared_parameter_and_a_shared_module_are_listed_once():
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.modules())) == 3  # the Sequential, the Linear once, the ReLU

    tied = nn.Sequential(nn.Linear(3, 3, bias=False), nn.Linear(3, 3, bias=False))
    tied[1].weight = tied[0].weight
    assert [n for n, _ in tied.named_parameters()] == ["0.weight"]
    # state_dict, like PyTorch's, keeps every path to a tensor
    assert list(tied.state_dict()) == ["0.weight", "1.weight"]


def test_reassigning_an_attribute_moves_it_between_registries():
    module = nn.Module()
    module.thing = nn.Parameter(tg.zeros(2))
    assert list(module._parameters) == ["thing"]
    module.thing = None                      # a parameter slot may hold None
    assert module.thing is None and list(module.parameters()) == []
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'thing'"):
        module.thing = tg.zeros(2)
    del module.thing
    module.thing = nn.ReLU()
    assert list(module._modules) == ["thing"] and list(module._parameters) == []


def test_registering_before_init_or_with_a_bad_name_is_an_error():
    class Forgetful(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(tg.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Forgetful()
    module = nn.Module()
    with pytest.raises(KeyError, match=r"got: a\.b"):
        module.register_buffer("a.b", tg.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        module.register_parameter("training", nn.Parameter(tg.zeros(1)))
    with pytest.raises(TypeError, match="Tensor or None"):
        module.register_buffer("running", np.zeros(2))
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        module.missing


def test_add_module_and_get_submodule():
    model = AutoEncoder()
    model.add_module("head", nn.Linear(4, 1))
    assert list(model._modules) == ["encoder", "decoder", "head"]
    assert model.get_submodule("encoder.fc2") is model.encoder.fc2
    with pytest.raises(TypeError, match="is not a Module subclass"):
        model.add_module("bad", 3)


def test_buffers_are_state_but_not_parameters():
    module = nn.Linear(2, 2)
    module.register_buffer("running_mean", tg.zeros(2))
    module.register_buffer("scratch", tg.ones(3), persistent=False)
    assert [n for n, _ in module.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in module.named_buffers()] == ["running_mean", "scratch"]
    assert list(module.state_dict()) == ["weight", "bias", "running_mean"]
    module.running_mean = tg.Tensor([5.0, 6.0])  # assignment replaces the buffer
    np.testing.assert_array_equal(module.state_dict()["running_mean"], [5.0, 6.0])


# ---------------------------------------------------------------------- modes, gradients, apply
def test_train_and_eval_reach_every_descendant():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.ReLU()))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert [m.training for m in model.modules()] == [False] * 5
    model.train()
    assert [m.training for m in model.modules()] == [True] * 5
    with pytest.raises(ValueError, match="boolean"):
        model.train("no")


def test_zero_grad_sets_to_none_or_to_zeros():
    model = mlp()
    model(tg.ones(2, 64)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_requires_grad_freezes_and_apply_visits_children_first():
    model = mlp()
    model.requires_grad_(False)
    assert [p.requires_grad for p in model.parameters()] == [False] * 4
    visited = []
    model.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "ReLU", "Linear", "Sequential"]


def test_calling_a_module_labels_its_ops_with_the_module():
    model = mlp()
    out = model(tg.ones(1, 64))
    assert out.grad_fn.scope == (model, model[2])
    assert out.grad_fn.inputs[0].grad_fn.scope == (model, model[1])
    loss = nn.MSELoss()(out, tg.zeros(1, 10))
    assert len(loss.grad_fn.scope) == 1 and isinstance(loss.grad_fn.scope[0], nn.MSELoss)
    assert autograd.current_scope() == ()


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward"'):
        nn.Module()(1)


def test_to_double_keeps_the_parameter_objects():
    model = mlp()
    weight = model[0].weight
    model.double()
    assert model[0].weight is weight and weight.dtype == np.float64
    assert model(tg.Tensor(np.ones((1, 64)), dtype=np.float64)).dtype == np.float64


# ---------------------------------------------------------------------- Parameter
def test_parameter_requires_grad_and_shares_a_tensors_data():
    source = tg.Tensor([1.0, 2.0])
    param = nn.Parameter(source)
    assert param.requires_grad and param.is_leaf and isinstance(param, tg.Tensor)
    source.data[0] = 7.0
    assert param.data[0] == 7.0
    assert not nn.Parameter(np.zeros(2), requires_grad=False).requires_grad
    assert nn.Parameter(np.zeros(2)).dtype == np.float32
    assert nn.Parameter().shape == (0,)
    assert type(param * 2) is tg.Tensor


def test_parameter_repr():
    assert repr(nn.Parameter(tg.Tensor([1.0, 2.0]))) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"


# ---------------------------------------------------------------------- repr
def test_sequential_repr_is_pytorchs():
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=64, out_features=32, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in_features=32, out_features=10, bias=True)\n"
        ")")


def test_nested_repr_indents_children_and_lists_repeats_like_pytorch():
    model = AutoEncoder()
    assert repr(model) == (
        "AutoEncoder(\n"
        "  (encoder): Encoder(\n"
        "    (fc1): Linear(in_features=4, out_features=3, bias=True)\n"
        "    (act): Tanh()\n"
        "    (fc2): Linear(in_features=3, out_features=2, bias=True)\n"
        "  )\n"
        "  (decoder): Linear(in_features=2, out_features=4, bias=True)\n"
        ")")
    blocks = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)] + [nn.ReLU()])
    assert repr(blocks) == ("ModuleList(\n"
                            "  (0-2): 3 x Linear(in_features=1, out_features=1, bias=True)\n"
                            "  (3): ReLU()\n"
                            ")")


def test_layer_reprs():
    assert [repr(m) for m in (nn.LeakyReLU(0.2), nn.GELU("tanh"), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1),
                              nn.Flatten(), nn.Identity(), nn.Dropout(0.25), nn.Linear(3, 2, bias=False),
                              nn.CrossEntropyLoss(), nn.ReLU(inplace=True))] == [
        "LeakyReLU(negative_slope=0.2)", "GELU(approximate='tanh')", "Softmax(dim=1)", "LogSoftmax(dim=-1)",
        "Flatten(start_dim=1, end_dim=-1)", "Identity()", "Dropout(p=0.25, inplace=False)",
        "Linear(in_features=3, out_features=2, bias=False)", "CrossEntropyLoss()", "ReLU(inplace=True)"]


# ---------------------------------------------------------------------- containers
def test_sequential_indexing_slicing_len_iter_append():
    model = mlp()
    assert len(model) == 3 and model[-1] is model[2] and list(model) == [model[0], model[1], model[2]]
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and list(tail._modules) == ["1", "2"]  # names kept, as in PyTorch
    assert tail[1] is model[2]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        model[3]
    model.append(nn.Softmax(dim=1))
    assert list(model._modules) == ["0", "1", "2", "3"]
    out = model(tg.ones(5, 64))
    np.testing.assert_allclose(out.data.sum(axis=1), np.ones(5), rtol=1e-6)
    del model[1]
    assert list(model._modules) == ["0", "1", "2"] and isinstance(model[1], nn.Linear)


def test_sequential_from_an_ordered_dict_uses_its_names():
    model = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert [n for n, _ in model.named_parameters()] == ["fc.weight", "fc.bias"]
    assert model.act is model[1]


def test_module_list_registers_its_modules():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
    layers.append(nn.Linear(2, 1))
    assert [n for n, _ in layers.named_parameters()][-2:] == ["2.weight", "2.bias"]
    assert len(layers) == 3 and layers[-1].out_features == 1
    assert len(layers[:2]) == 2
    layers.insert(0, nn.ReLU())
    assert isinstance(layers[0], nn.ReLU) and list(layers._modules) == ["0", "1", "2", "3"]


# ---------------------------------------------------------------------- state_dict
def test_state_dict_names_and_shapes_are_those_of_torch_sequential():
    # torch.nn.Sequential(Linear(64, 32), ReLU(), Linear(32, 10)).state_dict() has exactly these:
    expected = [("0.weight", (32, 64)), ("0.bias", (32,)), ("2.weight", (10, 32)), ("2.bias", (10,))]
    state = mlp().state_dict()
    assert isinstance(state, OrderedDict)
    assert [(name, array.shape) for name, array in state.items()] == expected
    assert all(isinstance(array, np.ndarray) and array.dtype == np.float32 for array in state.values())


def test_state_dict_values_are_copies():
    model = mlp()
    state = model.state_dict()
    state["0.bias"][:] = 123.0
    assert not np.any(model[0].bias.data == 123.0)
    assert model.state_dict(keep_vars=True)["0.bias"] is model[0].bias


def test_load_state_dict_copies_in_place_so_parameter_objects_survive():
    source, target = mlp(), nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    weight_object, weight_array = target[0].weight, target[0].weight.data
    version = weight_object._version
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert target[0].weight is weight_object and target[0].weight.data is weight_array
    for name, array in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[name], array)
    assert weight_object._version == version + 1  # marked as changed in place


def test_load_state_dict_strict_lists_every_problem_and_changes_nothing():
    model = mlp()
    before = model.state_dict()
    bad = mlp().state_dict()
    for name in bad:
        bad[name] = bad[name] + 1.0
    del bad["0.bias"]
    bad["2.weight"] = np.zeros((10, 31), dtype=np.float32)
    bad["extra.weight"] = np.zeros(3)
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(bad)
    assert str(error.value) == (
        "Error(s) in loading state_dict for Sequential:\n"
        '\tMissing key(s) in state_dict: "0.bias". \n'
        '\tUnexpected key(s) in state_dict: "extra.weight". \n'
        "\tsize mismatch for 2.weight: copying a param with shape (10, 31) from checkpoint, "
        "the shape in current model is (10, 32).")
    for name, array in model.state_dict().items():  # 0.weight was valid, yet not copied
        np.testing.assert_array_equal(array, before[name])


def test_load_state_dict_non_strict_returns_the_keys_and_loads_the_rest():
    model = mlp()
    state = {name: np.full(array.shape, 0.5, dtype=np.float32) for name, array in model.state_dict().items()}
    del state["2.bias"]
    state["head.weight"] = np.zeros(2)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert (missing, unexpected) == (["2.bias"], ["head.weight"])
    assert np.all(model[0].weight.data == 0.5) and np.all(model[2].weight.data == 0.5)
    assert not np.all(model[2].bias.data == 0.5)


def test_load_state_dict_non_strict_still_refuses_a_wrong_shape_and_changes_nothing():
    model = mlp()
    before = model.state_dict()
    state = {name: np.zeros_like(array) for name, array in before.items()}
    state["0.bias"] = np.zeros(33)
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.bias: copying a param with shape \(33,\)"):
        model.load_state_dict(state, strict=False)
    assert all(np.array_equal(model.state_dict()[n], before[n]) for n in before)


def test_load_state_dict_refuses_values_that_are_not_arrays_of_numbers():
    model = nn.Linear(2, 1)
    with pytest.raises(RuntimeError, match='While copying the parameter named "bias"'):
        model.load_state_dict({"weight": np.zeros((1, 2)), "bias": "zero"})
    with pytest.raises(TypeError, match="dict-like"):
        model.load_state_dict([("weight", np.zeros((1, 2)))])


def test_load_state_dict_accepts_tensors_and_casts_to_the_parameter_dtype():
    model = nn.Linear(2, 1)
    model.load_state_dict({"weight": tg.Tensor([[1.0, 2.0]]), "bias": np.array([3.0], dtype=np.float64)})
    assert model.bias.dtype == np.float32 and model.bias.data[0] == 3.0
    np.testing.assert_array_equal(model.weight.data, [[1.0, 2.0]])
