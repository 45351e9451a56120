"""The Optimizer base: validation, parameter groups, state, zero_grad, step, state_dict, repr."""
import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import optim

RULES = [optim.SGD, optim.Momentum, optim.AdaGrad, optim.RMSProp, optim.Adam, optim.AdamW,
         optim.NAG, optim.Adadelta, optim.AdaMax, optim.Nadam, optim.RAdam]
RULES_WITH_OPTIONS = [
    (optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1)),
    (optim.Momentum, dict(lr=0.1, weight_decay=0.01)),
    (optim.AdaGrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    (optim.RMSProp, dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01)),
    (optim.Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
    (optim.AdamW, dict(lr=0.01, amsgrad=True)),
    (optim.NAG, dict(lr=0.1, weight_decay=0.01)),
    (optim.Adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.01)),
    (optim.AdaMax, dict(lr=0.01, weight_decay=0.01)),
    (optim.Nadam, dict(lr=0.01, momentum_decay=0.01, weight_decay=0.01, decoupled_weight_decay=True)),
    (optim.RAdam, dict(lr=0.01, weight_decay=0.01)),
    (optim.RAdam, dict(lr=0.01, betas=(0.9, 0.9), decoupled_weight_decay=True, weight_decay=0.1)),
]


def param(values=(1.0, -2.0), dtype=np.float64):
    return tg.Tensor(list(values), dtype=dtype, requires_grad=True)


def fake_step(optimizer, params, seed=0):
    rng = np.random.default_rng(seed)
    for p in params:
        p.grad = tg.Tensor(rng.standard_normal(p.shape), dtype=p.dtype)
    optimizer.step()


# ----------------------------------------------------------------- validation
@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD(p, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda p: optim.SGD(p, momentum=-1), "Invalid momentum value: -1"),
    (lambda p: optim.SGD(p, weight_decay=-0.5), "Invalid weight_decay value: -0.5"),
    (lambda p: optim.SGD(p, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True),
     "Nesterov momentum requires a momentum and zero dampening"),
    (lambda p: optim.Momentum(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.Momentum(p, momentum=-0.9), "Invalid momentum value: -0.9"),
    (lambda p: optim.Momentum(p, momentum=0, nesterov=True), "Nesterov momentum requires a momentum"),
    (lambda p: optim.Adagrad(p, lr=-0.01), "Invalid learning rate: -0.01"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
    (lambda p: optim.Adagrad(p, eps=-1e-10), "Invalid epsilon value: -1e-10"),
    (lambda p: optim.RMSprop(p, alpha=-0.9), "Invalid alpha value: -0.9"),
    (lambda p: optim.RMSprop(p, eps=-1.0), "Invalid epsilon value: -1.0"),
    (lambda p: optim.RMSprop(p, momentum=-0.1), "Invalid momentum value: -0.1"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda p: optim.Adam(p, eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (lambda p: optim.AdamW(p, weight_decay=-0.01), "Invalid weight_decay value: -0.01"),
    (lambda p: optim.Adam(p, betas=0.9), "betas must be a pair"),
    (lambda p: optim.NAG(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.NAG(p, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda p: optim.NAG(p, momentum=0), "Nesterov momentum requires a momentum"),
    (lambda p: optim.NAG(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: optim.Adadelta(p, lr=-1.0), "Invalid learning rate: -1.0"),
    (lambda p: optim.Adadelta(p, rho=1.5), "Invalid rho value: 1.5"),
    (lambda p: optim.Adadelta(p, rho=-0.1), "Invalid rho value: -0.1"),
    (lambda p: optim.Adadelta(p, eps=-1e-6), "Invalid epsilon value: -1e-06"),
    (lambda p: optim.Adadelta(p, weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    (lambda p: optim.Adamax(p, lr=-2e-3), "Invalid learning rate: -0.002"),
    (lambda p: optim.Adamax(p, eps=-1.0), "Invalid epsilon value: -1.0"),
    (lambda p: optim.Adamax(p, betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    (lambda p: optim.Adamax(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: optim.NAdam(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.NAdam(p, betas=(-0.1, 0.999)), "Invalid beta parameter at index 0: -0.1"),
    (lambda p: optim.NAdam(p, momentum_decay=-4e-3), "Invalid momentum_decay value: -0.004"),
    (lambda p: optim.NAdam(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: optim.RAdam(p, eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (lambda p: optim.RAdam(p, betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
    (lambda p: optim.RAdam(p, weight_decay=-1), "Invalid weight_decay value: -1"),
])
def test_bad_hyperparameters_raise_pytorchs_message(make, message):
    p = param()
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        make([p])


def test_a_bad_group_hyperparameter_raises_before_anything_changes():
    a, b = param(), param()
    optimizer = optim.SGD([a], lr=0.1)
    before = optimizer.state_dict()
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optimizer.add_param_group({"params": [b], "lr": -1})
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.Adam([{"params": [a]}, {"params": [b], "lr": -1}])
    assert len(optimizer.param_groups) == 1 and optimizer.state_dict() == before


@pytest.mark.parametrize("rule", RULES)
def test_empty_parameter_list(rule):
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        rule([])


def test_parameter_lists_that_are_rejected():
    p = param()
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got"):
        optim.SGD(p)
    with pytest.raises(ValueError, match="duplicate parameters"):
        optim.SGD([p, p])
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p], "lr": 0.1}])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([p * 2])
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the params is numpy.ndarray"):
        optim.SGD([np.zeros(3)])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {p}}])
    with pytest.raises(TypeError, match="floating point"):
        optim.SGD([tg.Tensor([1, 2])])


def test_a_tensor_that_does_not_require_grad_is_accepted_and_never_moves():
    # As in PyTorch (frozen layers may be passed along): it never gets a .grad, so step skips it.
    frozen, live = tg.Tensor([1.0, 2.0]), param()
    optimizer = optim.SGD([frozen, live], lr=0.1)
    live.grad = tg.Tensor([1.0, 1.0], dtype=np.float64)
    optimizer.step()
    np.testing.assert_array_equal(frozen.data, [1.0, 2.0])
    np.testing.assert_allclose(live.data, [0.9, -2.1])


def test_a_gradient_of_the_wrong_shape_or_dtype_changes_nothing():
    a, b = param(), param()
    optimizer = optim.Adam([a, b])
    a.grad = tg.Tensor([1.0, 1.0], dtype=np.float64)
    b.grad = tg.Tensor([1.0, 1.0, 1.0], dtype=np.float64)
    with pytest.raises(RuntimeError, match=r"parameter 1 of group 0 has shape \(2,\)"):
        optimizer.step()
    np.testing.assert_array_equal(a.data, [1.0, -2.0])
    assert len(optimizer.state) == 0
    b.grad = tg.Tensor([1.0, 1.0], dtype=np.float32)
    with pytest.raises(RuntimeError, match="dtype float64, but its gradient has shape"):
        optimizer.step()


# ----------------------------------------------------------------- groups and defaults
def test_defaults_match_the_issue_table():
    p = param()
    assert optim.SGD([p]).defaults == dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                                          maximize=False, foreach=None)
    assert optim.Momentum([p]).defaults == dict(lr=1e-2, momentum=0.9, weight_decay=0, nesterov=False,
                                               maximize=False, foreach=None)
    assert optim.AdaGrad([p]).defaults == dict(lr=1e-2, lr_decay=0, eps=1e-10, weight_decay=0,
                                              initial_accumulator_value=0, maximize=False, foreach=None)
    assert optim.RMSProp([p]).defaults == dict(lr=1e-2, momentum=0, alpha=0.99, eps=1e-8, centered=False,
                                              weight_decay=0, maximize=False, foreach=None)
    assert optim.Adam([p]).defaults == dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                                           maximize=False, foreach=None, decoupled_weight_decay=False)
    assert optim.AdamW([p]).defaults["weight_decay"] == 1e-2
    assert optim.AdamW([p]).defaults["decoupled_weight_decay"] is True
    assert optim.Adagrad is optim.AdaGrad and optim.RMSprop is optim.RMSProp


def test_param_groups_take_missing_hyperparameters_from_the_defaults():
    a, b = param(), param()
    optimizer = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in optimizer.param_groups] == [0.9, 0.9]
    assert optimizer.param_groups[1]["params"][0] is b
    a.grad = tg.Tensor([1.0, 1.0], dtype=np.float64)
    b.grad = tg.Tensor([1.0, 1.0], dtype=np.float64)
    optimizer.step()
    np.testing.assert_allclose(a.data, [0.9, -2.1])
    np.testing.assert_allclose(b.data, [0.5, -2.5])


def test_add_param_group():
    a, b = param(), param()
    optimizer = optim.Adam([a], lr=0.01)
    optimizer.add_param_group({"params": [b], "betas": (0.5, 0.6)})
    assert optimizer.param_groups[1]["lr"] == 0.01 and optimizer.param_groups[1]["betas"] == (0.5, 0.6)
    fake_step(optimizer, [a, b])
    assert set(map(id, optimizer.state)) == {id(a), id(b)}
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        optimizer.add_param_group([b])


def test_named_parameters_are_accepted():
    a, b = param(), param()
    optimizer = optim.SGD([("weight", a), ("bias", b)], lr=0.1)
    assert optimizer.param_groups[0]["param_names"] == ["weight", "bias"]
    first, second = optimizer.param_groups[0]["params"]
    assert first is a and second is b


# ----------------------------------------------------------------- step and state
@pytest.mark.parametrize("rule, options", RULES_WITH_OPTIONS)
def test_step_updates_in_place_and_bumps_the_version(rule, options):
    p = param()
    data, version = p.data, p._version
    optimizer = rule([p], **options)
    fake_step(optimizer, [p])
    assert p.data is data                      # views the user holds stay valid
    assert p._version == version + 1           # a graph that saved p will notice
    assert p.is_leaf and p.grad_fn is None


@pytest.mark.parametrize("rule, options", RULES_WITH_OPTIONS)
def test_a_parameter_without_grad_is_skipped(rule, options):
    a, b = param(), param((3.0, 4.0))
    optimizer = rule([a, b], **options)
    a.grad = tg.Tensor([0.5, 0.5], dtype=np.float64)
    for _ in range(3):
        optimizer.step()
    np.testing.assert_array_equal(b.data, [3.0, 4.0])
    assert not np.array_equal(a.data, [1.0, -2.0])
    if rule is optim.AdaGrad:                  # Adagrad creates state at construction, like PyTorch
        assert optimizer.state[b]["step"] == 0
    else:
        assert b not in optimizer.state


def test_state_names_are_pytorchs():
    p = param()

    def state_after_one_step(rule, **options):
        optimizer = rule([p], **options)
        fake_step(optimizer, [p])
        return set(optimizer.state[p])

    assert state_after_one_step(optim.SGD, momentum=0.9) == {"momentum_buffer"}
    assert state_after_one_step(optim.Momentum) == {"velocity"}
    assert state_after_one_step(optim.AdaGrad) == {"step", "sum"}
    assert state_after_one_step(optim.RMSProp) == {"step", "square_avg"}
    assert state_after_one_step(optim.RMSProp, momentum=0.9, centered=True) == \
        {"step", "square_avg", "momentum_buffer", "grad_avg"}
    assert state_after_one_step(optim.Adam) == {"step", "exp_avg", "exp_avg_sq"}
    assert state_after_one_step(optim.AdamW, amsgrad=True) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert state_after_one_step(optim.NAG) == {"velocity"}
    assert state_after_one_step(optim.Adadelta) == {"step", "square_avg", "acc_delta"}
    assert state_after_one_step(optim.Adamax) == {"step", "exp_avg", "exp_inf"}
    assert state_after_one_step(optim.NAdam) == {"step", "mu_product", "exp_avg", "exp_avg_sq"}
    assert state_after_one_step(optim.RAdam) == {"step", "exp_avg", "exp_avg_sq"}


def test_adagrad_creates_its_state_at_construction():
    p = param()
    optimizer = optim.Adagrad([p], initial_accumulator_value=0.25)
    assert optimizer.state[p]["step"] == 0
    np.testing.assert_array_equal(optimizer.state[p]["sum"], [0.25, 0.25])


@pytest.mark.parametrize("rule, options", RULES_WITH_OPTIONS)
def test_float32_parameters_keep_float32_state(rule, options):
    p = param(dtype=np.float32)
    optimizer = rule([p], **options)
    for seed in range(3):
        fake_step(optimizer, [p], seed)
    assert p.data.dtype == np.float32
    for name, value in optimizer.state[p].items():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32, name


@pytest.mark.parametrize("path", ["numpy", "auto"])
def test_sgd_momentum_on_a_0d_parameter_with_maximize(path):
    # −g of a 0-d array is a numpy number; a momentum buffer made from it could not be
    # updated in place, and stayed b₁ for good. By hand, η = 0.05, μ = 0.5, maximize:
    #   b = −0.3, 0.05, −0.675, −0.4375;   θ = 0.5 − η·b each step.
    previous = optim.kernels._mode
    optim.kernels.use_kernels(path)
    try:
        p = tg.Tensor(0.5, requires_grad=True, dtype=np.float64)
        optimizer = optim.SGD([p], lr=0.05, momentum=0.5, maximize=True)
        thetas = []
        for g in (0.3, -0.2, 0.7, 0.1):
            p.grad = tg.Tensor(g, dtype=np.float64)
            optimizer.step()
            thetas.append(float(p.data))
    finally:
        optim.kernels.use_kernels(previous)
    np.testing.assert_allclose(thetas, [0.515, 0.5125, 0.54625, 0.568125], rtol=1e-15)
    assert isinstance(optimizer.state[p]["momentum_buffer"], np.ndarray)


def test_float32_arithmetic_is_not_promoted_by_numpy_float64_hyperparameters():
    # A checkpoint may hand back lr as np.float64; the update must still be float32 arithmetic.
    a, b = param(dtype=np.float32), param(dtype=np.float32)
    plain = optim.Adam([a], lr=0.01)
    numpy_lr = optim.Adam([b], lr=np.float64(0.01), betas=(np.float64(0.9), np.float64(0.999)))
    for seed in range(5):
        fake_step(plain, [a], seed)
        fake_step(numpy_lr, [b], seed)
    np.testing.assert_array_equal(a.data, b.data)


def test_zero_grad_sets_to_none_by_default():
    p = param()
    optimizer = optim.SGD([p])
    p.grad = tg.Tensor([1.0, 2.0], dtype=np.float64)
    optimizer.zero_grad()
    assert p.grad is None


def test_zero_grad_set_to_none_false_zeroes_in_place():
    p = param()
    optimizer = optim.SGD([p], lr=0.1)
    p.grad = tg.Tensor([1.0, 2.0], dtype=np.float64)
    grad, array = p.grad, p.grad.data
    optimizer.zero_grad(set_to_none=False)
    assert p.grad is grad and p.grad.data is array
    np.testing.assert_array_equal(array, [0.0, 0.0])
    optimizer.step()                           # a zero gradient is a step of size 0, not a skip
    np.testing.assert_array_equal(p.data, [1.0, -2.0])


def test_step_with_closure_returns_the_loss_and_records_the_graph():
    p = param()
    optimizer = optim.SGD([p], lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = (p * p).sum()
        assert tg.is_grad_enabled()
        loss.backward()
        return loss

    with tg.no_grad():
        loss = optimizer.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(p.data, [0.8, -1.6])   # θ − 0.1·2θ


def test_training_with_the_engine_gradients():
    # The optimizer works on what backward() leaves in .grad: minimise ‖θ − [3, −1]‖².
    p = param((0.0, 0.0))
    target = tg.Tensor([3.0, -1.0], dtype=np.float64)
    optimizer = optim.Adam([p], lr=0.1)
    for _ in range(300):
        optimizer.zero_grad()
        ((p - target) * (p - target)).sum().backward()
        optimizer.step()
    np.testing.assert_allclose(p.data, [3.0, -1.0], atol=1e-3)


# ----------------------------------------------------------------- state_dict
@pytest.mark.parametrize("rule, options", RULES_WITH_OPTIONS)
def test_state_dict_is_in_pytorchs_format_and_round_trips(rule, options):
    a, b, c = param(), param(), param((0.5, 0.25))
    optimizer = rule([{"params": [a, b]}, {"params": [c], "lr": 0.05}], **options)
    for seed in range(3):
        fake_step(optimizer, [a, b, c], seed)
    saved = optimizer.state_dict()
    assert set(saved) == {"state", "param_groups"}
    assert [g["params"] for g in saved["param_groups"]] == [[0, 1], [2]]
    assert saved["param_groups"][1]["lr"] == 0.05
    assert set(saved["state"]) == {0, 1, 2}
    assert saved["state"][0] is not optimizer.state[a]          # a copy: stepping on leaves it alone

    twins = [param(), param(), param((0.5, 0.25))]
    for twin, original in zip(twins, (a, b, c)):
        twin.data[...] = original.data
    restored = rule([{"params": twins[:2]}, {"params": twins[2:]}], **options)
    restored.load_state_dict(saved)
    assert restored.param_groups[1]["lr"] == 0.05
    for seed in range(3, 6):
        fake_step(optimizer, [a, b, c], seed)
        fake_step(restored, twins, seed)
    for twin, original in zip(twins, (a, b, c)):
        np.testing.assert_array_equal(twin.data, original.data)


def test_load_state_dict_checks_groups_before_changing_anything():
    a, b = param(), param()
    optimizer = optim.Adam([a, b])
    fake_step(optimizer, [a, b])
    saved = optimizer.state_dict()

    other = optim.Adam([{"params": [a]}, {"params": [b]}])
    with pytest.raises(ValueError, match="different number of parameter groups: 1 in the state dict, 2 in the"):
        other.load_state_dict(saved)
    smaller = optim.Adam([a])
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group: group 0 has 2 parameters"):
        smaller.load_state_dict(saved)
    assert len(smaller.state) == 0
    wrong_shape = optim.Adam([param((1.0, 2.0, 3.0)), param()])
    with pytest.raises(ValueError, match=r"'exp_avg' of shape \(2,\) for parameter 0, whose shape is \(3,\)"):
        wrong_shape.load_state_dict(saved)
    assert len(wrong_shape.state) == 0
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        optimizer.load_state_dict({"state": {}})


@pytest.mark.parametrize("rule", [optim.Adam, optim.AdamW, optim.AdaMax, optim.Nadam, optim.RAdam])
def test_load_state_dict_refuses_betas_that_are_not_a_pair(rule):
    a = param()
    optimizer = rule([a])
    fake_step(optimizer, [a])
    saved = optimizer.state_dict()
    saved["param_groups"][0]["betas"] = (0.9,)
    before = optimizer.state_dict()
    with pytest.raises(ValueError, match=r"betas must be a pair \(β1, β2\), got \(0.9,\)"):
        optimizer.load_state_dict(saved)
    assert optimizer.param_groups[0]["betas"] == before["param_groups"][0]["betas"]


def test_load_state_dict_copies_and_casts_to_the_parameters_dtype():
    p64 = param()
    source = optim.Adam([p64])
    fake_step(source, [p64])
    saved = source.state_dict()
    p32 = param(dtype=np.float32)
    target = optim.Adam([p32])
    target.load_state_dict(saved)
    state = target.state[p32]
    assert state["exp_avg"].dtype == np.float32 and state["step"] == 1 and isinstance(state["step"], int)
    assert state["exp_avg"] is not saved["state"][0]["exp_avg"]
    saved["state"][0]["exp_avg"][...] = 99
    assert not np.any(state["exp_avg"] == 99)


def test_load_state_dict_accepts_numpy_scalars_and_lists_from_a_file():
    p = param()
    optimizer = optim.Adam([p])
    fake_step(optimizer, [p])
    saved = optimizer.state_dict()
    saved["param_groups"][0]["lr"] = np.float64(0.5)
    saved["param_groups"][0]["betas"] = [np.float64(0.8), 0.9]
    saved["state"][0]["step"] = np.array(1)
    saved["state"] = {str(k): v for k, v in saved["state"].items()}
    restored = optim.Adam([param()])
    restored.load_state_dict(saved)
    group = restored.param_groups[0]
    assert type(group["lr"]) is float and group["betas"] == (0.8, 0.9) and type(group["betas"][0]) is float
    assert restored.state[restored.param_groups[0]["params"][0]]["step"] == 1


def test_adamw_stays_decoupled_after_loading_an_adam_state_dict():
    p = param()
    adam = optim.Adam([p], weight_decay=0.1)
    optimizer = optim.AdamW([param()])
    optimizer.load_state_dict(adam.state_dict())
    assert optimizer.param_groups[0]["decoupled_weight_decay"] is True


# ----------------------------------------------------------------- repr
def test_repr_is_pytorchs():
    optimizer = optim.Adam([param()], lr=0.01)
    assert repr(optimizer) == (
        "Adam (\n"
        "Parameter Group 0\n"
        "    amsgrad: False\n"
        "    betas: (0.9, 0.999)\n"
        "    decoupled_weight_decay: False\n"
        "    eps: 1e-08\n"
        "    foreach: None\n"
        "    lr: 0.01\n"
        "    maximize: False\n"
        "    weight_decay: 0\n"
        ")")
    two = optim.SGD([{"params": [param()]}, {"params": [param()], "lr": 0.5}], lr=0.1)
    assert "Parameter Group 1\n" in repr(two) and "    lr: 0.5\n" in repr(two)


@pytest.mark.parametrize("rule, options", RULES_WITH_OPTIONS + [(optim.SGD, dict(lr=0.1, momentum=0.9, maximize=True)),
                                                                (optim.Adam, dict(maximize=True))])
def test_large_parameters_give_the_same_bits_whichever_path_updates_them(rule, options):
    # A C-ordered gradient takes the fused kernel when numba is there, a Fortran-ordered one
    # always the plain body (kernels walk flat C-ordered arrays): both must give identical bits.
    rng = np.random.default_rng(1)
    start = rng.standard_normal((300, 300)).astype(np.float32)
    grads = [rng.standard_normal((300, 300)).astype(np.float32) for _ in range(3)]
    blocked, whole = tg.Tensor(start, requires_grad=True), tg.Tensor(start, requires_grad=True)
    blocked_optimizer, whole_optimizer = rule([blocked], **options), rule([whole], **options)
    for g in grads:
        blocked.grad = tg.Tensor(g)
        whole.grad = tg.Tensor(np.asfortranarray(g))
        assert not whole.grad.data.flags.c_contiguous
        blocked_optimizer.step()
        whole_optimizer.step()
    assert np.array_equal(blocked.data, whole.data)
    for name, value in blocked_optimizer.state[blocked].items():
        assert np.array_equal(value, whole_optimizer.state[whole][name]), name


# ----------------------------------------------------------------- read-only parameters
def snapshot(optimizer, params):
    return ([p.data.copy() for p in params],
            [{name: (value.copy() if isinstance(value, np.ndarray) else value)
              for name, value in optimizer.state.get(p, {}).items()} for p in params])


@pytest.mark.parametrize("how", ["writeable=False", "memmap mode r"])
@pytest.mark.parametrize("rule, options", RULES_WITH_OPTIONS + [(optim.SGD, dict(lr=0.1)), (optim.RMSProp, dict())])
def test_a_read_only_parameter_is_refused_before_anything_changes(rule, options, how, tmp_path):
    # The read-only parameter comes last, after one that could be updated: nothing may move.
    first, frozen = param((1.0, -2.0)), param((3.0, 4.0))
    frozen.name = "frozen_weight"
    optimizer = rule([first, frozen], **options)
    fake_step(optimizer, [first, frozen])
    if how == "writeable=False":
        frozen.data.flags.writeable = False
    else:
        path = tmp_path / "weights.npy"
        np.save(path, frozen.data)
        frozen.data = np.load(path, mmap_mode="r")
    params_before, state_before = snapshot(optimizer, [first, frozen])
    versions = [first._version, frozen._version]
    for p in (first, frozen):
        p.grad = tg.Tensor([0.5, -0.25], dtype=np.float64)

    with pytest.raises(ValueError, match=r"parameter 1 \('frozen_weight'\) of group 0 is read-only .* "
                                         "nothing was changed"):
        optimizer.step()
    params_after, state_after = snapshot(optimizer, [first, frozen])
    for before, after in zip(params_before, params_after):
        np.testing.assert_array_equal(after, before)
    for before, after in zip(state_before, state_after):
        assert before.keys() == after.keys()
        for name in before:
            np.testing.assert_array_equal(after[name], before[name], err_msg=name)
    assert [first._version, frozen._version] == versions


def test_a_read_only_parameter_without_a_gradient_is_no_obstacle():
    moving, frozen = param(), param((3.0, 4.0))
    frozen.data.flags.writeable = False
    optimizer = optim.Adam([moving, frozen], lr=0.1)
    moving.grad = tg.Tensor([1.0, 1.0], dtype=np.float64)
    optimizer.step()                            # frozen has no gradient: it is skipped, not checked
    np.testing.assert_allclose(moving.data, [0.9, -2.1])


# ----------------------------------------------------------------- the two paths
FUSED = [optim.SGD, optim.Momentum, optim.AdaGrad, optim.RMSProp, optim.Adam, optim.AdamW, optim.NAG,
         optim.Adadelta, optim.AdaMax, optim.Nadam, optim.RAdam]


@pytest.mark.parametrize("rule", RULES)
def test_the_rules_with_a_fused_update(rule):
    # Every rule of the package has one (kernels.py); a rule added without one shows up here.
    assert (optim.kernels.fused_update_for(rule) is not None) == (rule in FUSED)


def test_a_subclass_with_its_own_body_never_takes_the_parents_kernel():
    class SignSGD(optim.SGD):
        def _update(self, p, g, state, group):
            p -= group["lr"] * np.sign(g)

    assert optim.kernels.fused_update_for(SignSGD) is None
    p = param((1.0, -2.0))
    optimizer = SignSGD([p], lr=0.5)
    p.grad = tg.Tensor([3.0, -0.01], dtype=np.float64)
    optimizer.step()
    np.testing.assert_array_equal(p.data, [0.5, -1.5])
