"""Run one Trial and measure it: the function every executor calls, in whatever process.

    result = run_trial(trial)      # a JSON-ready dict of the measurements below

A dataset trial is exactly one rule's run of `compare_optimizers` (same initial weights from
the seed, same batches); a surface trial is one path of `lab.trajectories`. Each run holds
BLAS to one thread: several trials share the cores, and a matrix product summed in a
different order by a different number of threads could differ in its last bits — the same
trial must give the same numbers in this process, in a pool or on a Dask worker.
"""
import functools
import math
import os
import socket
import time

import numpy as np

from ..compare import initial_weights, load_dataset, train_rule
from ..lab.surfaces import make_surface
from ..lab.trajectories import trajectories
from .rules import make_optimizer

__all__ = ["run_trial", "MEASUREMENTS", "SURFACE_START_JITTER"]

MEASUREMENTS = ("final_train_loss", "best_train_loss", "test_accuracy", "best_test_accuracy",
                "epochs_to_target", "steps_to_target", "diverged", "diverged_at")
"""What every trial reports (None where a workload has no such thing), beside `curve`,
`steps_per_epoch`, `wall_time` and where it ran."""

SURFACE_START_JITTER = 0.02
"""A surface trial starts at the surface's start plus N(0, (0.02 · window width)²) per
coordinate, drawn from the trial's seed: seeds differ as they do for an MLP's initial weights."""


def run_trial(trial, target=None):
    """Train `trial` once and return its measurements.

    Args:
        trial: a `grid.Trial`.
        target: for a dataset, the test accuracy to reach (epochs and steps to reach it are
            reported); for a surface, the loss to reach. None: not measured.

    Returns:
        A dict with every name in MEASUREMENTS and `curve` (per epoch: training loss and
        test accuracy; per step on a surface: the loss), `steps_per_epoch`, `wall_time`
        (seconds), `host` and `pid`. A run whose loss became NaN or infinite has
        `diverged=True`, `diverged_at` saying where and with which loss, no final loss or
        accuracy, and its best values from before.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise ImportError("a sweep pins each trial's BLAS to one thread with threadpoolctl: "
                          "pip install 'tinygrad_opt[sweep]'") from None

    started = time.perf_counter()
    # A diverging run overflows on its way to a non-finite loss; `diverged` reports it.
    with threadpool_limits(limits=1, user_api="blas"), np.errstate(all="ignore"):
        run = _RUNNERS[trial.workload.kind]
        result = run(trial, target)
    result.update(wall_time=time.perf_counter() - started, host=socket.gethostname(), pid=os.getpid())
    return result


@functools.lru_cache(maxsize=4)
def _dataset(name, seed, data_root):
    return load_dataset(name, seed=seed, data_root=data_root)


def _run_dataset(trial, target):
    workload = trial.workload
    data = _dataset(workload.name, trial.seed, workload.data_root)
    weights = initial_weights(data, workload.hidden, trial.seed)
    result = train_rule(data, trial.optimizer, trial.lr, weights, hidden=workload.hidden,
                        epochs=workload.epochs, batch_size=workload.batch_size, seed=trial.seed,
                        hyperparameters=dict(trial.hyperparameters))
    history = result.history
    steps_per_epoch = math.ceil(len(data.X_train) / workload.batch_size)
    epochs_to_target = _first_reaching(history.val_accuracy, target, higher_is_better=True)
    diverged = result.diverged is not None
    return {
        "final_train_loss": None if diverged else result.final_loss,
        "best_train_loss": min(history.loss) if len(history) else None,
        "test_accuracy": None if diverged else result.test_accuracy,
        "best_test_accuracy": max(history.val_accuracy) if len(history) else None,
        "epochs_to_target": epochs_to_target,
        "steps_to_target": None if epochs_to_target is None else epochs_to_target * steps_per_epoch,
        "diverged": diverged,
        "diverged_at": result.diverged,
        "curve": {"train_loss": list(history.loss), "test_accuracy": list(history.val_accuracy)},
        "steps_per_epoch": steps_per_epoch,
    }


def _run_surface(trial, target):
    surface = make_surface(trial.workload.name)
    (x_low, x_high), _ = surface.bounds
    jitter = np.random.default_rng(trial.seed).normal(0.0, SURFACE_START_JITTER * (x_high - x_low), 2)
    start = np.asarray(surface.start, dtype=np.float64) + jitter

    def factory(params):
        return make_optimizer(trial.optimizer, params, trial.lr, **dict(trial.hyperparameters))

    path = trajectories(surface, [(trial.label, factory)], steps=trial.workload.steps, start=start)[trial.label]
    losses = path.losses[np.isfinite(path.losses)]
    return {
        "final_train_loss": None if path.diverged else path.final_loss,
        "best_train_loss": float(losses.min()) if losses.size else None,
        "test_accuracy": None,
        "best_test_accuracy": None,
        "epochs_to_target": None,
        "steps_to_target": _first_reaching(path.losses, target, higher_is_better=False, start=0),
        "diverged": path.diverged,
        "diverged_at": None if not path.diverged else f"step {path.diverged_at}",
        "curve": {"loss": [float(value) if np.isfinite(value) else None for value in path.losses]},
        "steps_per_epoch": None,
    }


def _first_reaching(values, target, higher_is_better, start=1):
    """The index (counted from `start`) of the first value at or beyond `target`, or None."""
    if target is None:
        return None
    for index, value in enumerate(values, start=start):
        if value is not None and math.isfinite(value) and (value >= target if higher_is_better else value <= target):
            return index
    return None


_RUNNERS = {"dataset": _run_dataset, "surface": _run_surface}
