"""Tests for tinygrad_opt.lab.trajectories and lab.rules: paths and loss curves from one start,
every rule descending on the bowl, any optimizer via factories, and divergence reported, not raised."""
import warnings

import numpy as np
import pytest

from tinygrad_opt import Tensor
from tinygrad_opt.lab import (DEFAULT_LRS, RULE_NAMES, Beale, Himmelblau, QuadraticBowl, Rosenbrock, Saddle,
                              optimizer_factories, trajectories)
from tinygrad_opt.optim import SGD, Adam, AdamW, Momentum


def test_one_path_and_loss_curve_per_optimizer_all_from_the_same_start():
    beale = Beale()
    result = trajectories(beale, RULE_NAMES, steps=20)
    assert list(result) == ["sgd", "momentum", "adagrad", "rmsprop", "adam"]
    for label, run in result.items():
        assert run.label == label
        assert run.path.shape == (21, 2) and run.losses.shape == (21,)
        assert run.path[0].tolist() == [1.0, 1.5] == list(beale.start)
        assert run.losses[0] == 41.25                  # Beale at (1, 1.5), by hand: 0.75²... = 41.25
        assert not run.diverged and run.steps == 20
        np.testing.assert_allclose(run.losses, beale.values(run.path[:, 0], run.path[:, 1]))
        assert run.lr == beale.lrs[label]              # the surface's own learning rates
    # They start together and then part: the rules really differ.
    ends = np.array([run.end for run in result.values()])
    assert len(np.unique(ends.round(6), axis=0)) == 5


def test_first_sgd_step_by_hand():
    # Bowl ½(x² + 10y²) at (−2.5, 1): ∇f = (−2.5, 10); with η = 0.1 the step lands on (−2.25, 0).
    run = trajectories(QuadraticBowl(kappa=10), ["sgd"], steps=1, lr=0.1)["sgd"]
    np.testing.assert_allclose(run.path, [[-2.5, 1.0], [-2.25, 0.0]], atol=1e-15)
    assert run.losses.tolist() == [0.5 * (6.25 + 10.0), 0.5 * 2.25 ** 2]


def test_first_adam_step_moves_each_coordinate_by_lr():
    # Adam's first step is η·g/(|g| + ε) per coordinate: η against the gradient's sign.
    run = trajectories(Beale(), ["adam"], steps=1, lr=0.05)["adam"]
    np.testing.assert_allclose(run.path[1] - run.path[0], [-0.05, -0.05], rtol=1e-7)


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_every_rule_descends_on_the_bowl(rule):
    # 100 steps with the bowl's default learning rates: each loss falls below 1% of its start.
    run = trajectories(QuadraticBowl(kappa=10), [rule], steps=100)[rule]
    assert run.final_loss < 0.01 * run.losses[0]
    assert np.linalg.norm(run.end) < 0.1 * np.linalg.norm(run.path[0])


def test_saddle_adaptive_rules_escape_faster_than_sgd():
    # Started 0.001 off the ridge, SGD's y grows by (1 + 2η) per step; Adam's by ~η per step.
    result = trajectories(Saddle(), ["sgd", "adam"], steps=100)
    assert abs(result["sgd"].end[1]) < 0.01
    assert abs(result["adam"].end[1]) > 1.0


def test_factories_compare_any_optimizer_with_any_hyperparameters():
    result = trajectories(Rosenbrock(), [
        "adam",
        ("adam β1=0.5", lambda params: Adam(params, lr=0.1, betas=(0.5, 0.999))),
        ("nesterov", lambda params: Momentum(params, lr=1e-3, nesterov=True)),
    ], steps=10, start=(-1.0, 1.0))
    assert list(result) == ["adam", "adam β1=0.5", "nesterov"]
    assert result["adam β1=0.5"].lr == 0.1 and result["adam"].lr == Rosenbrock.lrs["adam"]
    assert all(run.path[0].tolist() == [-1.0, 1.0] for run in result.values())
    assert isinstance(result["nesterov"].optimizer, Momentum)

    as_dict = trajectories(Rosenbrock(), {"sgd": "sgd", "adamw": lambda p: AdamW(p, lr=0.1)},
                           steps=10, start=(-1.0, 1.0))
    np.testing.assert_array_equal(as_dict["sgd"].path,
                                  trajectories(Rosenbrock(), "sgd", steps=10, start=(-1.0, 1.0))["sgd"].path)
    assert isinstance(as_dict["adamw"].optimizer, AdamW)


def test_learning_rate_overrides():
    one = trajectories("beale", "sgd,adam", steps=2, lr=0.02)
    assert [run.lr for run in one.values()] == [0.02, 0.02]
    some = trajectories("beale", ["sgd", "adam"], steps=2, lr={"adam": 0.2})
    assert some["adam"].lr == 0.2 and some["sgd"].lr == Beale.lrs["sgd"]


def test_a_plain_callable_surface_needs_a_start_and_falls_back_to_default_lrs():
    def paraboloid(xy):
        return (xy * xy).sum()
    run = trajectories(paraboloid, ["sgd"], steps=3, start=(1.0, -2.0))["sgd"]
    assert run.lr == DEFAULT_LRS["sgd"]
    np.testing.assert_allclose(run.path[1], [1.0 - 0.02, -2.0 + 0.04])
    with pytest.raises(ValueError, match="start is required"):
        trajectories(paraboloid, ["sgd"], steps=3)


def test_divergence_is_flagged_not_raised_and_warns_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = trajectories(Rosenbrock(), ["sgd", "adam"], steps=50, lr={"sgd": 0.05})
    sgd = result["sgd"]
    assert sgd.diverged and 0 < sgd.diverged_at < 50
    assert sgd.path.shape == (51, 2)
    assert np.all(np.isnan(sgd.path[sgd.diverged_at + 1:])) and np.all(np.isnan(sgd.losses[sgd.diverged_at + 1:]))
    assert np.all(np.isfinite(sgd.path[:sgd.diverged_at + 1]))
    assert not np.isfinite(sgd.losses[sgd.diverged_at])   # the loss that overflowed is kept
    assert np.isnan(sgd.final_loss) and np.all(np.isfinite(sgd.end))
    # The other run is unaffected.
    assert not result["adam"].diverged and np.all(np.isfinite(result["adam"].path))


def test_zero_steps_is_just_the_start():
    run = trajectories(Beale(), ["sgd"], steps=0)["sgd"]
    assert run.path.tolist() == [[1.0, 1.5]] and run.losses.tolist() == [41.25]


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(optimizers=["sgdd"]), ValueError, "unknown optimizer 'sgdd': expected one of sgd, momentum"),
    (dict(optimizers=[]), ValueError, "no optimizers given"),
    (dict(optimizers=["sgd", ("sgd", lambda p: SGD(p))]), ValueError, "label 'sgd' appears twice"),
    (dict(optimizers=[42]), TypeError, "a rule name or a \\(label, factory\\) pair, got 42"),
    (dict(optimizers={"mine": 3}), TypeError, "the factory for 'mine' must be callable"),
    (dict(optimizers=[("mine", lambda p: "not an optimizer")]), TypeError,
     "the factory for 'mine' returned 'not an optimizer', not an optimizer"),
    (dict(lr={"adam": 0.1}, optimizers=["sgd"]), ValueError, "'adam', which is not being run"),
    (dict(lr=-1), ValueError, "learning rate for 'sgd' must be a positive number, got -1"),
    (dict(start=(1.0,)), ValueError, "start must be two finite numbers"),
    (dict(start=(1.0, float("nan"))), ValueError, "start must be two finite numbers"),
    (dict(steps=-1), ValueError, "steps must be a whole number >= 0, got -1"),
    (dict(steps=2.5), ValueError, "steps must be a whole number >= 0, got 2.5"),
])
def test_bad_arguments_say_what_was_wrong(kwargs, error, message):
    arguments = dict(optimizers=["sgd"], steps=2)
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        trajectories(Beale(), **arguments)


def test_bad_surfaces():
    with pytest.raises(ValueError, match="unknown surface 'nope'"):
        trajectories("nope", ["sgd"], steps=1)
    with pytest.raises(TypeError, match="surface must be a Surface"):
        trajectories(3, ["sgd"], steps=1, start=(0, 0))
    with pytest.raises(ValueError, match="expected one number"):
        trajectories(lambda xy: xy * 2, ["sgd"], steps=1, start=(0.0, 0.0))


def test_optimizer_factories_build_the_named_classes_with_their_learning_rates():
    factories = optimizer_factories("sgd, momentum ,ADAM", lr={"Adam": 0.3}, default_lrs={"sgd": 0.7})
    assert list(factories) == ["sgd", "momentum", "adam"]
    param = Tensor([1.0, 2.0], requires_grad=True)
    built = {label: factory([param]) for label, factory in factories.items()}
    assert type(built["sgd"]) is SGD and built["sgd"].param_groups[0]["lr"] == 0.7
    assert type(built["momentum"]) is Momentum and built["momentum"].param_groups[0]["lr"] == DEFAULT_LRS["momentum"]
    assert type(built["adam"]) is Adam and built["adam"].param_groups[0]["lr"] == 0.3


def test_himmelblau_the_rule_decides_which_minimum():
    himmelblau = Himmelblau()
    result = trajectories(himmelblau, ["sgd", "adam"], steps=300)
    np.testing.assert_allclose(result["sgd"].end, himmelblau.minima[2], atol=1e-3)    # (−3.78, −3.28)
    np.testing.assert_allclose(result["adam"].end, himmelblau.minima[1], atol=1e-3)   # (−2.81, 3.13)
