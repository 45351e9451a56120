"""Sweeps: which rule wins, at which learning rate, over seeds.

    from tinygrad_opt.sweep import DEFAULT_RULES, Workload, make_grid, parse_lrs, run_sweep
    trials = make_grid(Workload.dataset("digits"), DEFAULT_RULES, parse_lrs("1e-4:1:13"), seeds=5)
    run_sweep(trials, "sweep.sqlite", jobs=2, target=0.95)           # or scheduler="tcp://host:8786"
    rows = SweepStore("sweep.sqlite").rows()
    print(format_summary(summarize(rows)))
    plot_sensitivity(rows, "sensitivity.png")

- `grid`: Workload, Trial (its `key` is a hash of its configuration), `make_grid`, the
  `--lrs` and `--set` parsers.
- `trial`: `run_trial`, one training run measured, BLAS held to one thread.
- `store`: SweepStore, the SQLite database, one row per finished trial.
- `executors`: InProcess, ProcessPool (local processes), DaskCluster (dask.distributed).
- `runner`: `run_sweep`, the missing trials run and stored, one progress bar.
- `report`: the table per rule, the sensitivity plot, CSV/JSON export.

This is the library behind `tinygrad-opt sweep`.
"""
from .rules import DEFAULT_RULES, RULE_NAMES
from .grid import Trial, Workload, make_grid, parse_lrs, parse_set
from .trial import run_trial
from .store import SweepStore
from .executors import DaskCluster, InProcess, ProcessPool, WorkerLostError, make_executor
from .runner import SweepOutcome, run_sweep
from .report import METRICS, export_trials, format_summary, plot_sensitivity, summarize, summary_dict

__all__ = [
    "DEFAULT_RULES", "RULE_NAMES", "Workload", "Trial", "make_grid", "parse_lrs", "parse_set",
    "run_trial", "SweepStore", "InProcess", "ProcessPool", "DaskCluster", "WorkerLostError",
    "make_executor", "run_sweep", "SweepOutcome", "METRICS", "summarize", "format_summary",
    "summary_dict", "export_trials", "plot_sensitivity",
]
