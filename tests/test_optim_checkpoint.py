"""Checkpoint and resume: 50 steps, save, load into a fresh model and optimizer, 50 more steps —
bit for bit the same parameters as 100 uninterrupted steps, for every rule."""
import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn, optim
from tinygrad_opt.nn import functional as F
from tinygrad_opt.optim import lr_scheduler

CASES = {
    "sgd": (optim.SGD, dict(lr=0.1)),
    "sgd_nesterov": (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    "sgd_dampening": (optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.2)),
    "momentum": (optim.Momentum, dict(lr=0.05, momentum=0.9)),
    "adagrad": (optim.AdaGrad, dict(lr=0.1, lr_decay=1e-3, initial_accumulator_value=0.1)),
    "rmsprop": (optim.RMSProp, dict(lr=0.01)),
    "rmsprop_centered_momentum": (optim.RMSProp, dict(lr=0.005, momentum=0.9, centered=True)),
    "adam": (optim.Adam, dict(lr=0.01)),
    "adam_amsgrad": (optim.Adam, dict(lr=0.01, amsgrad=True, weight_decay=1e-3)),
    "adamw": (optim.AdamW, dict(lr=0.01)),
    "nag": (optim.NAG, dict(lr=0.05, momentum=0.9, weight_decay=1e-3)),
    "adadelta": (optim.Adadelta, dict(lr=1.0, rho=0.9, weight_decay=1e-3)),
    "adamax": (optim.AdaMax, dict(lr=0.01, weight_decay=1e-3)),
    "nadam": (optim.Nadam, dict(lr=0.01, momentum_decay=0.01)),
    "nadam_decoupled": (optim.Nadam, dict(lr=0.01, weight_decay=1e-2, decoupled_weight_decay=True)),
    "radam": (optim.RAdam, dict(lr=0.01, weight_decay=1e-3)),
}
BEFORE_REDESIGN = ["adagrad", "adam", "adam_amsgrad", "adamw", "momentum", "rmsprop", "rmsprop_centered_momentum",
                   "sgd", "sgd_dampening", "sgd_nesterov"]  # the cases of checkpoints_before_redesign.npz
SCHEDULERS = {
    None: None,
    "steplr": lambda o: lr_scheduler.StepLR(o, step_size=20, gamma=0.5),
    "cosine": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=100, eta_min=1e-4),
    "multistep": lambda o: lr_scheduler.MultiStepLR(o, milestones=[30, 60, 60], gamma=0.5),
    "linear": lambda o: lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=70),
}


def data():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((64, 5)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(np.int64) + (X[:, 3] > 1).astype(np.int64)
    return tg.Tensor(X), tg.Tensor(y)


def make_model(seed):
    tg.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3))


def make(case, schedule, seed):
    rule, options = CASES[case]
    model = make_model(seed)
    # two groups, so the index bookkeeping of state_dict is exercised too
    params = list(model.parameters())
    optimizer = rule([{"params": params[:2]}, {"params": params[2:], "lr": options["lr"] / 2}], **options)
    scheduler = SCHEDULERS[schedule](optimizer) if schedule else None
    return model, optimizer, scheduler


def train(model, optimizer, scheduler, steps, X, y):
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(X), y).backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()


@pytest.mark.parametrize("schedule", [None, "steplr"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_resume_is_bit_identical(case, schedule, tmp_path):
    X, y = data()
    model, optimizer, scheduler = make(case, schedule, seed=0)
    train(model, optimizer, scheduler, 100, X, y)

    first, first_optimizer, first_scheduler = make(case, schedule, seed=0)
    train(first, first_optimizer, first_scheduler, 50, X, y)
    checkpoint = {"model": first.state_dict(), "optimizer": first_optimizer.state_dict()}
    if first_scheduler is not None:
        checkpoint["scheduler"] = first_scheduler.state_dict()
    tg.save(checkpoint, tmp_path / "checkpoint.npz")

    loaded = tg.load(tmp_path / "checkpoint.npz")
    resumed, resumed_optimizer, resumed_scheduler = make(case, schedule, seed=123)   # a different init
    resumed.load_state_dict(loaded["model"])
    resumed_optimizer.load_state_dict(loaded["optimizer"])
    if resumed_scheduler is not None:
        resumed_scheduler.load_state_dict(loaded["scheduler"])
    train(resumed, resumed_optimizer, resumed_scheduler, 50, X, y)

    for (name, a), (_, b) in zip(model.state_dict().items(), resumed.state_dict().items()):
        assert a.dtype == b.dtype == np.float32
        assert np.array_equal(a, b), name
    assert resumed_optimizer.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]


@pytest.mark.parametrize("schedule", ["cosine", "multistep", "linear"])
def test_resume_with_each_scheduler(schedule, tmp_path):
    X, y = data()
    model, optimizer, scheduler = make("adam", schedule, seed=0)
    train(model, optimizer, scheduler, 100, X, y)

    first, first_optimizer, first_scheduler = make("adam", schedule, seed=0)
    train(first, first_optimizer, first_scheduler, 50, X, y)
    tg.save({"model": first.state_dict(), "optimizer": first_optimizer.state_dict(),
             "scheduler": first_scheduler.state_dict()}, tmp_path / "checkpoint.npz")
    loaded = tg.load(tmp_path / "checkpoint.npz")
    resumed, resumed_optimizer, resumed_scheduler = make("adam", schedule, seed=5)
    resumed.load_state_dict(loaded["model"])
    resumed_optimizer.load_state_dict(loaded["optimizer"])
    resumed_scheduler.load_state_dict(loaded["scheduler"])
    train(resumed, resumed_optimizer, resumed_scheduler, 50, X, y)

    assert resumed_scheduler.get_last_lr() == scheduler.get_last_lr()
    for a, b in zip(model.parameters(), resumed.parameters()):
        assert np.array_equal(a.data, b.data)


def test_the_checkpoint_holds_pytorchs_layout(tmp_path):
    X, y = data()
    model, optimizer, _ = make("adam", None, seed=0)
    train(model, optimizer, None, 3, X, y)
    tg.save(optimizer.state_dict(), tmp_path / "optimizer.npz")
    loaded = tg.load(tmp_path / "optimizer.npz")
    assert sorted(loaded["state"]) == [0, 1, 2, 3]
    assert loaded["state"][0]["step"] == 3 and loaded["state"][0]["exp_avg"].shape == (16, 5)
    assert loaded["param_groups"][0]["betas"] == (0.9, 0.999)
    assert [g["params"] for g in loaded["param_groups"]] == [[0, 1], [2, 3]]


@pytest.mark.parametrize("case", BEFORE_REDESIGN)
def test_checkpoints_of_an_earlier_version_still_load(case):
    # Written by the version before the optimizer redesign (tests/make_checkpoint_fixtures.py):
    # loading it and taking the same 50 steps reaches the parameters that version reached.
    import os
    fixture = tg.load(os.path.join(os.path.dirname(__file__), "fixtures", "optim",
                                   "checkpoints_before_redesign.npz"))[case]
    X, y = data()
    model, optimizer, _ = make(case, None, seed=123)
    model.load_state_dict(fixture["checkpoint"]["model"])
    optimizer.load_state_dict(fixture["checkpoint"]["optimizer"])
    train(model, optimizer, None, 50, X, y)
    for name, value in model.state_dict().items():
        # the same arithmetic gives the same bits today; a tolerance leaves room for the engine's
        # forward and backward to round differently one day
        np.testing.assert_allclose(value, fixture["after"][name], rtol=1e-5, atol=1e-6, err_msg=name)
