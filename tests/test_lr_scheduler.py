"""Learning-rate schedulers: the values epoch by epoch, PyTorch's bookkeeping, state_dict."""
import math
import warnings

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import optim
from tinygrad_opt.optim.lr_scheduler import (CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR, LRScheduler,
                                             MultiStepLR, StepLR)


def make_optimizer(lr=0.1, second_lr=None):
    p = tg.Tensor([1.0, 2.0], requires_grad=True)
    groups = [{"params": [p], "lr": lr}]
    if second_lr is not None:
        groups.append({"params": [tg.Tensor([0.0], requires_grad=True)], "lr": second_lr})
    return optim.SGD(groups, lr=lr)


def rates(scheduler, epochs):
    """η of group 0 after construction, then after each of `epochs` steps (the usual loop)."""
    out = [scheduler.get_last_lr()[0]]
    for _ in range(epochs):
        scheduler.optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr()[0])
    return out


def test_construction_records_initial_lr_and_performs_the_initial_step():
    optimizer = make_optimizer(0.1, second_lr=0.02)
    scheduler = StepLR(optimizer, step_size=2)
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 0.02]
    assert scheduler.base_lrs == [0.1, 0.02]
    assert scheduler.last_epoch == 0 and scheduler._step_count == 1
    assert scheduler.get_last_lr() == [0.1, 0.02]


def test_step_lr():
    # η_e = 0.1 · 0.5^⌊e/3⌋
    assert rates(StepLR(make_optimizer(), step_size=3, gamma=0.5), 7) == \
        [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]


def test_multi_step_lr_with_a_repeated_milestone():
    # milestones 2, 4, 4: ×0.1 at epoch 2, ×0.01 at epoch 4
    values = rates(MultiStepLR(make_optimizer(1.0), milestones=[2, 4, 4], gamma=0.1), 5)
    np.testing.assert_allclose(values, [1.0, 1.0, 0.1, 0.1, 0.001, 0.001], rtol=1e-15)


def test_exponential_lr():
    values = rates(ExponentialLR(make_optimizer(), gamma=0.9), 3)
    assert values == [0.1, 0.1 * 0.9, 0.1 * 0.9 * 0.9, 0.1 * 0.9 * 0.9 * 0.9]


def test_cosine_annealing_follows_the_closed_form():
    # η_e = η_min + (η_0 − η_min)·(1 + cos(π·e/T))/2, T = 10, from 0.1 to 0.001, then back up
    values = rates(CosineAnnealingLR(make_optimizer(), T_max=10, eta_min=0.001), 25)
    closed = [0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * e / 10)) / 2 for e in range(26)]
    np.testing.assert_allclose(values, closed, rtol=1e-13)
    assert values[5] == pytest.approx(0.0505) and values[10] == pytest.approx(0.001)
    assert values[20] == pytest.approx(0.1)


def test_lambda_lr():
    values = rates(LambdaLR(make_optimizer(), lambda epoch: 1 / (1 + epoch)), 3)
    assert values == [0.1 * 1, 0.1 * 1 / 2, 0.1 * 1 / 3, 0.1 * 1 / 4]


def test_lambda_lr_one_function_per_group():
    optimizer = make_optimizer(0.1, second_lr=1.0)
    scheduler = LambdaLR(optimizer, [lambda e: 1.0, lambda e: 0.5 ** e])
    optimizer.step()
    scheduler.step()
    optimizer.step()
    scheduler.step()
    assert scheduler.get_last_lr() == [0.1, 0.25]
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        LambdaLR(optimizer, [lambda e: 1.0])


def test_linear_warm_up():
    # factor from 0.25 to 1 over 3 epochs: 0.25, 0.5, 0.75, 1, 1, ...
    values = rates(LinearLR(make_optimizer(0.4), start_factor=0.25, total_iters=3), 5)
    np.testing.assert_allclose(values, [0.1, 0.2, 0.3, 0.4, 0.4, 0.4], rtol=1e-15)


def test_linear_lr_validation():
    with pytest.raises(ValueError, match="Starting multiplicative factor expected to be greater than 0"):
        LinearLR(make_optimizer(), start_factor=0)
    with pytest.raises(ValueError, match="Ending multiplicative factor expected to be between 0 and 1"):
        LinearLR(make_optimizer(), end_factor=1.5)


@pytest.mark.parametrize("make", [
    lambda o: StepLR(o, step_size=3, gamma=0.5),
    lambda o: MultiStepLR(o, milestones=[2, 5], gamma=0.3),
    lambda o: ExponentialLR(o, gamma=0.9),
    lambda o: CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    lambda o: LinearLR(o, start_factor=0.2, total_iters=4),
])
def test_chainable_form_agrees_with_the_closed_form(make):
    scheduler = make(make_optimizer())
    for _ in range(12):
        scheduler.optimizer.step()
        scheduler.step()
        np.testing.assert_allclose(scheduler.get_last_lr(), scheduler._get_closed_form_lr(), rtol=1e-12)


def test_the_scheduler_drives_the_optimizer():
    p = tg.Tensor([0.0], dtype=np.float64, requires_grad=True)
    optimizer = optim.SGD([p], lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = tg.Tensor([-1.0], dtype=np.float64)
        optimizer.step()
        scheduler.step()
    assert p.data[0] == 1.0 + 0.5 + 0.25          # steps of η = 1, 0.5, 0.25
    assert optimizer.param_groups[0]["lr"] == 0.125


def test_stepping_the_scheduler_first_warns():
    scheduler = StepLR(make_optimizer(), step_size=1)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        scheduler.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer = make_optimizer()
        scheduler = StepLR(optimizer, step_size=1)
        optimizer.step()
        scheduler.step()


def test_step_with_an_epoch_uses_the_closed_form_and_warns():
    scheduler = StepLR(make_optimizer(), step_size=2, gamma=0.5)
    scheduler.optimizer.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        scheduler.step(5)
    assert scheduler.last_epoch == 5 and scheduler.get_last_lr() == [0.1 * 0.5 ** 2]


def test_only_optimizers_are_scheduled():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        StepLR([], step_size=1)


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(make_optimizer(), step_size=2, last_epoch=4)


@pytest.mark.parametrize("make", [
    lambda o: StepLR(o, step_size=3, gamma=0.5),
    lambda o: MultiStepLR(o, milestones=[2, 5, 5], gamma=0.3),
    lambda o: ExponentialLR(o, gamma=0.9),
    lambda o: CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    lambda o: LinearLR(o, start_factor=0.2, total_iters=4),
    lambda o: LambdaLR(o, lambda e: 0.9 ** e),
])
def test_state_dict_round_trip_continues_the_schedule(make):
    optimizer = make_optimizer(0.1, second_lr=0.05)
    scheduler = make(optimizer)
    for _ in range(4):
        optimizer.step()
        scheduler.step()
    saved_scheduler, saved_optimizer = scheduler.state_dict(), optimizer.state_dict()
    assert "optimizer" not in saved_scheduler and saved_scheduler["last_epoch"] == 4
    assert saved_scheduler["base_lrs"] == [0.1, 0.05]

    fresh_optimizer = make_optimizer(0.1, second_lr=0.05)
    fresh = make(fresh_optimizer)                  # construct first, then load (PyTorch's order)
    fresh_optimizer.load_state_dict(saved_optimizer)
    fresh.load_state_dict(saved_scheduler)
    for _ in range(10):
        optimizer.step()
        scheduler.step()
        fresh_optimizer.step()
        fresh.step()
        assert fresh.get_last_lr() == scheduler.get_last_lr()


def test_lambda_lr_does_not_save_plain_functions():
    scheduler = LambdaLR(make_optimizer(), lambda e: 0.5)
    assert scheduler.state_dict()["lr_lambdas"] == [None]

    class Halving:
        def __init__(self):
            self.factor = 0.5

        def __call__(self, epoch):
            return self.factor ** epoch

    scheduler = LambdaLR(make_optimizer(), Halving())
    scheduler.lr_lambdas[0].factor = 0.25
    assert scheduler.state_dict()["lr_lambdas"] == [{"factor": 0.25}]
    other = LambdaLR(make_optimizer(), Halving())
    other.load_state_dict(scheduler.state_dict())
    assert other.lr_lambdas[0].factor == 0.25


def test_multi_step_state_dict_holds_plain_types():
    scheduler = MultiStepLR(make_optimizer(), milestones=[3, 3, 8])
    saved = scheduler.state_dict()
    assert saved["milestones"] == {3: 2, 8: 1} and type(saved["milestones"]) is dict
    assert issubclass(MultiStepLR, LRScheduler)
