"""The numpy path steps a group's small parameters together (`optim.foreach`): the same bits
as one at a time, and the same state, however the group changes between steps."""
import copy

import numpy as np
import pytest

from tinygrad_opt import Tensor
from tinygrad_opt.optim import SGD, Adam, foreach, registry

from rule_configs import CASES, assert_same_state

SHAPES = [(5, 11), (7,), (), (3, 4)]


pytestmark = pytest.mark.usefixtures("numpy_path")


def _params(dtype, shapes=SHAPES, seed=7):
    rng = np.random.default_rng(seed)
    return [Tensor(rng.normal(size=shape).astype(dtype), requires_grad=True, dtype=dtype) for shape in shapes]


def _give_grads(params, rng, skip=()):
    for index, p in enumerate(params):
        p.grad = None if index in skip else Tensor(rng.normal(size=p.shape).astype(p.dtype), dtype=p.dtype)


def _train(name, config, dtype, foreach_choice, steps=4, skip_at=None, between=None):
    """Step a group of four small parameters; `skip_at` = (step, index): that parameter has no
    gradient at that step; `between(opt, step)` may change the optimizer between steps."""
    params = _params(dtype)
    opt = registry.get(name).cls(params, lr={"adadelta": 1.0}.get(name, 0.05), foreach=foreach_choice, **config)
    rng = np.random.default_rng(11)
    for step in range(steps):
        _give_grads(params, rng, skip={skip_at[1]} if skip_at and skip_at[0] == step else ())
        opt.step()
        if between:
            opt = between(opt, step) or opt
    return params, opt


def _assert_same(ours, theirs):
    (params, opt), (their_params, their_opt) = ours, theirs
    for p, q in zip(params, their_params):
        np.testing.assert_array_equal(p.data, q.data)
        assert p.data.dtype == q.data.dtype
        assert_same_state(opt.state.get(p, {}), their_opt.state.get(q, {}))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, config", CASES, ids=[f"{n}-{'-'.join(c) or 'defaults'}" for n, c in CASES])
def test_together_gives_the_bits_of_one_at_a_time(name, config, dtype):
    # Four parameters of different shapes (one 0-d) in one body call; the state too must come
    # out as if each had been stepped alone: arrays made in the first step (SGD's momentum
    # buffer) and numbers updated once per step (Nadam's Π_t).
    _assert_same(_train(name, config, dtype, True), _train(name, config, dtype, False))


@pytest.mark.parametrize("name", ["adam", "sgd", "nadam", "adagrad"])
def test_a_parameter_without_a_gradient_for_a_step(name):
    # At step 1 the second parameter sits out: its t falls behind the others', so it can no
    # longer share their body call, and its state must not move that step.
    config = {"momentum": 0.5} if name == "sgd" else {}
    _assert_same(_train(name, config, "float64", True, steps=5, skip_at=(1, 1)),
                 _train(name, config, "float64", False, steps=5, skip_at=(1, 1)))


def _count_body_calls(monkeypatch, cls):
    calls = []
    body = cls._update
    monkeypatch.setattr(cls, "_update", lambda self, p, g, state, group: calls.append(p.size) or body(
        self, p, g, state, group))
    return calls


def test_one_body_call_for_the_small_parameters(monkeypatch):
    calls = _count_body_calls(monkeypatch, Adam)
    big = Tensor(np.ones(foreach.SMALL_SIZE + 1), requires_grad=True, dtype="float64")
    params = _params("float64") + [big]
    opt = Adam(params)
    _give_grads(params, np.random.default_rng(0))
    opt.step()
    small_total = sum(p.data.size for p in params[:-1])
    assert sorted(calls) == sorted([small_total, big.data.size])      # the big one alone
    calls.clear()
    Adam(params, foreach=False).step()
    assert sorted(calls) == sorted(p.data.size for p in params)
    calls.clear()
    Adam(params, foreach=True).step()
    assert calls == [small_total + big.data.size]


@pytest.mark.parametrize("name", registry.names())
def test_by_default_only_rules_with_long_bodies_batch(name, monkeypatch):
    cls = registry.get(name).cls
    owner = next(c for c in cls.__mro__ if "_update" in vars(c))
    calls = _count_body_calls(monkeypatch, owner)
    params = _params("float64")
    _give_grads(params, np.random.default_rng(0))
    cls(params, lr=0.1).step()
    assert len(calls) == (1 if cls.batches_small_parameters else len(params))
    assert cls.batches_small_parameters == (name not in ("sgd", "momentum", "adagrad"))
    calls.clear()
    cls(params, lr=0.1, foreach=True).step()
    assert len(calls) == 1


def test_state_entries_are_views_the_body_updates_in_place():
    params = _params("float32")
    opt = Adam(params)
    _give_grads(params, np.random.default_rng(0))
    opt.step()
    held = opt.state[params[0]]["exp_avg"]          # as a user might keep it
    before = held.copy()
    _give_grads(params, np.random.default_rng(1))
    opt.step()
    assert opt.state[params[0]]["exp_avg"] is held
    assert not np.array_equal(held, before)


def _replace_state(opt, step):
    if step == 1:
        p = opt.param_groups[0]["params"][2]
        opt.state[p]["exp_avg"] = opt.state[p]["exp_avg"] * 0.5     # a new array, by hand


def _reload(opt, step):
    if step == 1:
        fresh = Adam(opt.param_groups[0]["params"], foreach=opt.param_groups[0]["foreach"])
        fresh.load_state_dict(opt.state_dict())
        return fresh


def _deep_copy(opt, step):
    if step == 1:   # a copy of the optimizer that goes on with the same parameters
        return copy.deepcopy(opt, memo={id(p): p for p in opt.param_groups[0]["params"]})


def _reload_in_place(opt, step):
    if step == 1:
        opt.load_state_dict(opt.state_dict())   # new state dicts, holding copies


def _step_counts_apart(opt, step):
    if step == 1:
        opt.state[opt.param_groups[0]["params"][3]]["step"] += 2


def _new_data(opt, step):
    if step == 1:
        p = opt.param_groups[0]["params"][1]
        p.data = p.data * 2          # the Tensor gets a new array


def _new_dtype(opt, step):
    if step == 1:
        p = opt.param_groups[0]["params"][0]
        p.data = p.data.astype(np.float32)
        opt.state[p] = {key: (value.astype(np.float32) if isinstance(value, np.ndarray) else value)
                        for key, value in opt.state[p].items()}


@pytest.mark.parametrize("change", [_replace_state, _reload, _reload_in_place, _deep_copy, _step_counts_apart, _new_data, _new_dtype])
def test_changes_between_steps(change):
    # Whatever changes the parameters or their state between steps, the batches are formed
    # again when they no longer fit, and the result is that of stepping one at a time.
    def between(opt, step):
        return change(opt, step)
    _assert_same(_train("adam", {"amsgrad": True}, "float64", None, steps=4, between=between),
                 _train("adam", {"amsgrad": True}, "float64", False, steps=4, between=between))


def test_mixed_dtypes_make_a_batch_each(monkeypatch):
    calls = _count_body_calls(monkeypatch, SGD)
    params = _params("float32") + _params("float64", seed=3)
    opt = SGD(params, lr=0.1, momentum=0.9, foreach=True)
    reference = [Tensor(p.data.copy(), requires_grad=True, dtype=p.dtype) for p in params]
    reference_opt = SGD(reference, lr=0.1, momentum=0.9, foreach=False)
    for seed in range(3):
        _give_grads(params, np.random.default_rng(seed))
        _give_grads(reference, np.random.default_rng(seed))
        calls.clear()
        opt.step()
        assert len(calls) == 2
        reference_opt.step()
    for p, q in zip(params, reference):
        np.testing.assert_array_equal(p.data, q.data)
        np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], reference_opt.state[q]["momentum_buffer"])


def test_a_parameter_that_is_not_contiguous_is_gathered_and_put_back():
    def transposed():
        data = np.random.default_rng(5).normal(size=(4, 6))
        return [Tensor(data.T, requires_grad=True), Tensor(np.ones(3), requires_grad=True)]
    runs = []
    for choice in (None, False):
        params = transposed()
        opt = Adam(params, lr=0.1, foreach=choice)
        for seed in range(3):
            _give_grads(params, np.random.default_rng(seed))
            opt.step()
        runs.append(params)
    assert not runs[0][0].data.flags.c_contiguous
    for p, q in zip(*runs):
        np.testing.assert_array_equal(p.data, q.data)
    assert not np.array_equal(runs[0][0].data, transposed()[0].data)


@pytest.mark.parametrize("new_data", [lambda data: data.T.copy(), lambda data: data.astype(np.float32)],
                         ids=["new shape", "new dtype"])
def test_a_stateless_rule_notices_a_parameter_given_a_new_array(new_data):
    # Plain SGD keeps no state, so only the parameter itself can show that a batch no longer fits.
    def between(opt, step):
        if step == 1:
            p = opt.param_groups[0]["params"][0]
            p.data = new_data(p.data)
    _assert_same(_train("sgd", {}, "float64", True, between=between),
                 _train("sgd", {}, "float64", False, between=between))


def test_changing_a_groups_foreach_between_steps(monkeypatch):
    calls = _count_body_calls(monkeypatch, Adam)
    big = Tensor(np.ones(foreach.SMALL_SIZE + 1), requires_grad=True, dtype="float64")
    params = _params("float64") + [big]
    opt = Adam(params)
    counts = []
    for choice in (None, True, False, None):
        opt.param_groups[0]["foreach"] = choice
        _give_grads(params, np.random.default_rng(len(counts)))
        calls.clear()
        opt.step()
        counts.append(len(calls))
    assert counts == [2, 1, 5, 2]
