"""`tinygrad-opt sweep`: every rule over a grid of learning rates and seeds, stored in SQLite.

    tinygrad-opt sweep --lrs 1e-4:1:13 --seeds 5                 # the digits MLP, all local cores
    tinygrad-opt sweep --set rmsprop.alpha=0.9,0.99 --optimizers rmsprop,adam
    tinygrad-opt sweep --scheduler tcp://HOST:8786               # on a Dask cluster
    tinygrad-opt sweep --report sweep.sqlite --export trials.csv  # the table and plot again, no training

Trials already in `--db` are not run again, so the same command after an interruption
finishes the sweep. It prints the table per rule and writes `sensitivity.png` and
`summary.json` to `--out`. The work is `tinygrad_opt.sweep`'s.
"""
import functools
import json
import os
import sys
from pathlib import Path

from ..compare import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_HIDDEN, NEEDS_DATA_ROOT
from ..files import atomic_write
from ..lab.surfaces import SURFACES
from ..sweep import (DEFAULT_RULES, METRICS, RULE_NAMES, SweepStore, Workload, WorkerLostError, export_trials,
                     format_summary, make_grid, parse_lrs, parse_set, plot_sensitivity, run_sweep, summarize,
                     summary_dict)
from ..sweep.grid import DEFAULT_SURFACE_STEPS
from .arguments import (CommandError, UsageError, check_writable_dir, check_writable_file, dataset_name,
                        hidden_sizes, make_dirs, optimizer_list, positive_int)
from .trajectories import _surface_name

DEFAULT_LRS = "1e-4:1:13"
DEFAULT_SEEDS = 5
DEFAULT_TARGET_ACCURACY = 0.95
DEFAULT_DB = "sweep.sqlite"
# What describes the grid: with --report, none of these may be given (the database holds it all).
GRID_OPTIONS = ("optimizers", "lrs", "seeds", "set", "dataset", "surface", "hidden", "epochs", "batch_size",
                "steps", "data_root", "jobs", "scheduler", "db")


def _lrs(text):
    try:
        return parse_lrs(text)
    except ValueError as error:
        raise UsageError(f"--lrs: {error}") from None


def _seeds(text):
    """`5` → seeds 0-4; `0,3,7` → those seeds."""
    if "," not in text:
        return list(range(positive_int("--seeds")(text)))
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        seeds = [-1]
    if not seeds or min(seeds) < 0:
        raise UsageError(f"--seeds must be a count like 5 or seeds like 0,3,7; got {text!r}")
    return seeds


def _fraction(option):
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0 < value <= 1:
            raise UsageError(f"{option} must be a number in (0, 1], got {text!r}")
        return value
    return parse


def _finite(option):
    def parse(text):
        try:
            return float(text)
        except ValueError:
            raise UsageError(f"{option} must be a number, got {text!r}") from None
    return parse


def _metric(text):
    if text not in METRICS:
        raise UsageError(f"unknown metric {text!r} (choose from {', '.join(METRICS)})")
    return text


def add_command(subparsers):
    """Declare `tinygrad-opt sweep` and its options on `subparsers`; returns the parser."""
    parser = subparsers.add_parser(
        "sweep", help="train every rule over a grid of learning rates and seeds (SQLite; local or Dask)",
        description="Train each optimizer at each learning rate with each seed on one workload, store every "
                    "trial in an SQLite database, and report each rule's best learning rate, its mean ± std "
                    "over seeds and how many learning rates reached the target, with the learning-rate "
                    "sensitivity plot. Trials already in the database are not run again: after an "
                    "interruption, the same command finishes the sweep.")
    grid = parser.add_argument_group("the grid")
    grid.add_argument("--optimizers", type=functools.partial(optimizer_list, choices=RULE_NAMES), default=None,
                      metavar="NAMES", help=f"comma-separated, from {', '.join(RULE_NAMES)} "
                                            f"(default: {','.join(DEFAULT_RULES)})")
    grid.add_argument("--lrs", type=_lrs, default=None, metavar="LOW:HIGH:N or LIST",
                      help=f"N log-spaced learning rates from LOW to HIGH, or a comma list (default: {DEFAULT_LRS})")
    grid.add_argument("--seeds", type=_seeds, default=None, metavar="N or LIST",
                      help=f"how many seeds (0..N-1), or a comma list of seeds (default: {DEFAULT_SEEDS})")
    grid.add_argument("--set", action="append", default=None, metavar="RULE.NAME=VALUES",
                      help="a hyperparameter of one rule, fixed or swept: rmsprop.alpha=0.9,0.99 (repeatable; "
                           "every other one keeps the rule's default)")
    workload = parser.add_argument_group("the workload (an MLP on a data set, or a 2-D surface)")
    workload.add_argument("--dataset", type=dataset_name, default=None, metavar="NAME",
                          help="data set of the MLP (default: digits)")
    workload.add_argument("--data-root", default=None, metavar="DIR",
                          help="folder of the MNIST / Fashion-MNIST IDX .gz files (on every worker)")
    workload.add_argument("--hidden", type=hidden_sizes, default=None, metavar="SIZES",
                          help=f"hidden-layer sizes (default: {','.join(map(str, DEFAULT_HIDDEN))})")
    workload.add_argument("--epochs", type=positive_int("--epochs"), default=None, metavar="N",
                          help=f"epochs per trial (default: {DEFAULT_EPOCHS})")
    workload.add_argument("--batch-size", type=positive_int("--batch-size"), default=None, metavar="N",
                          help=f"mini-batch size (default: {DEFAULT_BATCH_SIZE})")
    workload.add_argument("--surface", type=_surface_name, default=None, metavar="NAME",
                          help=f"sweep on a 2-D surface instead: {', '.join(SURFACES)}")
    workload.add_argument("--steps", type=positive_int("--steps"), default=None, metavar="N",
                          help=f"steps per trial on a surface (default: {DEFAULT_SURFACE_STEPS})")
    measure = parser.add_argument_group("what is measured and reported")
    measure.add_argument("--target-accuracy", type=_fraction("--target-accuracy"), default=None, metavar="ACC",
                         help=f"test accuracy a trial should reach (default: {DEFAULT_TARGET_ACCURACY})")
    measure.add_argument("--target-loss", type=_finite("--target-loss"), default=None, metavar="LOSS",
                         help="on a surface: the loss a trial should reach (default: none)")
    measure.add_argument("--metric", type=_metric, default=None, metavar="NAME",
                         help=f"what picks the best learning rate: {', '.join(METRICS)} "
                              "(default: test_accuracy, or final_train_loss on a surface)")
    where = parser.add_argument_group("where it runs and what it writes")
    where.add_argument("--db", default=None, metavar="FILE", help=f"the SQLite database (default: {DEFAULT_DB})")
    where.add_argument("--jobs", type=positive_int("--jobs"), default=None, metavar="N",
                       help=f"local worker processes (default: one per core, {os.cpu_count()} here)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on the Dask cluster at ADDRESS (tcp://HOST:8786) instead of locally")
    where.add_argument("--report", default=None, metavar="FILE",
                       help="train nothing: report the sweep stored in FILE")
    where.add_argument("--out", default="sweep_out", metavar="DIR",
                       help="folder for sensitivity.png and summary.json (default: sweep_out)")
    where.add_argument("--export", default=None, metavar="FILE",
                       help="also write every trial to FILE (.csv or .json)")
    where.add_argument("--quiet", action="store_true", help="no progress bar, only the table")
    parser.set_defaults(handler=run)
    return parser


def run(args):
    out = check_writable_dir(args.out, "--out")
    export = _check_export(args.export)
    if args.report is not None:
        given = [option for option in GRID_OPTIONS if getattr(args, option) is not None]
        if given:
            raise UsageError(f"--report reads a finished sweep: drop {', '.join(_flag(o) for o in given)}")
        if not Path(args.report).is_file():
            raise UsageError(f"--report: no database at {args.report!r}")
        target = args.target_accuracy if args.target_accuracy is not None else args.target_loss
        rows = _rows(args.report)
        if not rows:
            raise CommandError(f"{args.report!r} holds no trials yet")
        return _report(args, rows, target, out, export)

    workload, target = _workload(args)
    try:
        trials = make_grid(workload, args.optimizers or DEFAULT_RULES, args.lrs or parse_lrs(DEFAULT_LRS),
                           args.seeds or list(range(DEFAULT_SEEDS)), parse_set(args.set or []))
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.jobs is not None and args.scheduler is not None:
        raise UsageError("--jobs sets local workers; with --scheduler the cluster's workers run the trials")
    db = check_writable_file(args.db or DEFAULT_DB, "--db")
    make_dirs(db.parent)
    counts = [_count(len({getattr(t, field) for t in trials}), noun)
              for field, noun in (("label", "rule"), ("lr", "learning rate"), ("seed", "seed"))]
    _say(args, f"{len(trials)} trials: {' × '.join(counts)} on {workload.describe()}")

    def log(trial, result):
        if args.quiet or sys.stderr.isatty():
            return
        status = f"diverged ({result['diverged_at']})" if result["diverged"] else _result_text(result)
        print(f"  {trial.label:<12} lr {trial.lr:<9.3g} seed {trial.seed}: {status} ({result['wall_time']:.1f} s)",
              flush=True)

    try:
        outcome = run_sweep(trials, db, jobs=args.jobs, scheduler=args.scheduler, target=target,
                            progress=not args.quiet, on_result=log)
    except WorkerLostError as error:
        raise CommandError(str(error)) from None
    except (ImportError, ConnectionError) as error:
        raise CommandError(str(error)) from None
    except KeyboardInterrupt:
        print(f"stopped: the finished trials are in {db}; run the same command again to run the rest",
              file=sys.stderr)
        raise
    if outcome.ran:
        _say(args, f"ran {outcome.ran} trials {outcome.where} in {outcome.seconds:.1f} s "
                   f"({outcome.skipped} were already in {db}; {outcome.diverged} of those run diverged)")
    else:
        _say(args, f"nothing to run: all {outcome.total} trials are in {db}")
    keys = {trial.key for trial in trials}
    rows = [row for row in _rows(db) if row["key"] in keys]
    return _report(args, rows, target, out, export)


def _workload(args):
    """The Workload and the target the options describe (defaults filled in)."""
    if args.surface is not None:
        mlp_options = [option for option in ("dataset", "data_root", "hidden", "epochs", "batch_size",
                                             "target_accuracy") if getattr(args, option) is not None]
        if mlp_options:
            raise UsageError(f"--surface trains no MLP: drop {', '.join(_flag(o) for o in mlp_options)}")
        return Workload.surface(args.surface, steps=args.steps or DEFAULT_SURFACE_STEPS), args.target_loss
    for option in ("steps", "target_loss"):
        if getattr(args, option) is not None:
            raise UsageError(f"{_flag(option)} is for --surface sweeps")
    dataset = args.dataset or "digits"
    if dataset in NEEDS_DATA_ROOT and args.data_root is None:
        raise UsageError(f"--dataset {dataset} needs --data-root DIR, the folder holding its IDX .gz files")
    workload = Workload.dataset(dataset, hidden=DEFAULT_HIDDEN if args.hidden is None else args.hidden,
                                epochs=args.epochs or DEFAULT_EPOCHS, batch_size=args.batch_size or DEFAULT_BATCH_SIZE,
                                data_root=args.data_root)
    target = DEFAULT_TARGET_ACCURACY if args.target_accuracy is None else args.target_accuracy
    return workload, target


def _report(args, rows, target, out, export):
    summaries = summarize(rows, args.metric, target)
    print(format_summary(summaries))
    make_dirs(out)
    with atomic_write(out / "summary.json") as file:
        file.write((json.dumps(summary_dict(summaries), indent=1) + "\n").encode())
    written = [out / "summary.json"]
    try:
        plot_sensitivity(rows, out / "sensitivity.png", target=target)
        written.append(out / "sensitivity.png")
    except ImportError:
        print('matplotlib is not installed, so sensitivity.png was not drawn: pip install "tinygrad_opt[plot]"',
              file=sys.stderr)
    if export is not None:
        make_dirs(export.parent)
        written.append(export_trials(rows, export))
    print("wrote " + ", ".join(str(path) for path in written))
    return 0


def _rows(db):
    try:
        with SweepStore(db) as store:
            return store.rows()
    except ValueError as error:
        raise UsageError(str(error)) from None


def _check_export(path):
    if path is None:
        return None
    path = check_writable_file(path, "--export")
    if path.suffix.lower() not in (".csv", ".json"):
        raise UsageError(f"--export {str(path)!r}: the name must end in .csv or .json")
    return path


def _result_text(result):
    if result["test_accuracy"] is not None:
        return f"test accuracy {result['test_accuracy']:.4f}, loss {result['final_train_loss']:.4f}"
    return f"loss {result['final_train_loss']:.4g}"


def _count(n, noun):
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _flag(option):
    return "--" + option.replace("_", "-")


def _say(args, *lines):
    if not args.quiet:
        for line in lines:
            print(line, flush=True)
