"""Run a sweep: the trials the database lacks, on an executor, each stored as it finishes.

    trials = make_grid(Workload.dataset("digits"), DEFAULT_RULES, parse_lrs("1e-4:1:13"), seeds=5)
    outcome = run_sweep(trials, "sweep.sqlite", jobs=2, target=0.95)
    outcome.ran, outcome.skipped          # run now, found already stored

Interrupting a sweep (Ctrl-C, a crash, a killed machine) loses only the trials that were
running: run it again with the same arguments and it runs exactly the trials not stored.
"""
import time
from dataclasses import dataclass

from ..train import ProgressBar
from .executors import make_executor
from .store import SweepStore

__all__ = ["run_sweep", "SweepOutcome"]


@dataclass
class SweepOutcome:
    """What one `run_sweep` call did."""

    total: int       # trials in the grid
    skipped: int     # already in the database, not run
    ran: int         # run and stored now
    diverged: int    # of those run now, how many diverged
    seconds: float   # wall time of this call
    where: str       # where they ran: "in this process", "on 2 local worker processes", …


def run_sweep(trials, db, *, jobs=None, scheduler=None, executor=None, target=None, progress=True,
              on_result=None):
    """Run each trial of `trials` not yet in the database `db` and store its result there.

    Args:
        trials: Trials (see `make_grid`), with distinct keys.
        db: path of the SQLite database (created when missing).
        jobs: local worker processes (default: one per core; 1 runs in this process).
        scheduler: a Dask scheduler address (`tcp://host:8786`) to run the trials on instead.
        executor: an executor object to use instead of `jobs`/`scheduler` (left open).
        target: test accuracy (dataset) or loss (surface) to count epochs/steps to.
        progress: draw one bar for the whole sweep on stderr, when it is a terminal.
        on_result: called as `on_result(trial, result)` after each trial is stored.

    Returns:
        A SweepOutcome.
    """
    trials = list(trials)
    keys = [trial.key for trial in trials]
    if len(set(keys)) != len(keys):
        raise ValueError("the trials of a sweep must be distinct (two have the same configuration)")
    started = time.perf_counter()
    with SweepStore(db) as store:
        stored = store.keys()
        missing = [trial for trial in trials if trial.key not in stored]
        owned = executor is None
        if owned:
            executor = make_executor(jobs, scheduler) if missing else None
        where = executor.description if executor is not None else "nowhere: nothing to run"
        bar = ProgressBar(len(trials), label="sweep", enabled=progress, min_interval=0.5)
        done, ran, diverged = len(trials) - len(missing), 0, 0
        try:
            bar.update(done)
            for trial, result in executor.run(missing, target) if missing else ():
                store.add(trial, result, target)
                done, ran = done + 1, ran + 1
                diverged += bool(result["diverged"])
                elapsed = time.perf_counter() - started
                bar.update(done, eta=_duration(elapsed / ran * (len(trials) - done)))
                if on_result is not None:
                    on_result(trial, result)
        finally:
            bar.close()
            if owned and executor is not None:
                executor.close()
    return SweepOutcome(len(trials), len(trials) - len(missing), ran, diverged,
                        time.perf_counter() - started, where)


def _duration(seconds):
    """`1h02m`, `3m07s`, `42s`."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
