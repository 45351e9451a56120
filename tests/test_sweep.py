"""tinygrad_opt.sweep: the grid, one trial, the SQLite store, resuming, the report, and a real
local pool and a real Dask cluster each losing a worker mid-sweep.

Every sweep here is tiny (an MLP with 8 hidden units for 2 epochs on the digits, or 40 steps on
a 2-D surface), so the whole file runs in well under a minute even on two busy cores.
"""
import collections
import contextlib
import functools
import json
import logging
import math
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tinygrad_opt.cli import main
from tinygrad_opt.compare import compare_optimizers, load_dataset
from tinygrad_opt.sweep import (ProcessPool, SweepStore, Workload, export_trials,
                                format_summary, make_grid, parse_lrs, parse_set, plot_sensitivity, run_sweep,
                                run_trial, summarize, summary_dict)
from tinygrad_opt.lab.styles import rule_style
from tinygrad_opt.sweep import executors
from tinygrad_opt.sweep.report import sensitivity_styles

TINY = Workload.dataset("digits", hidden=(8,), epochs=2)
RESULT_COLUMNS = ("key", "label", "lr", "seed", "final_train_loss", "best_train_loss", "test_accuracy",
                  "best_test_accuracy", "epochs_to_target", "steps_to_target", "diverged", "diverged_at", "curve")


GRID = make_grid(TINY, ["sgd", "adam"], [0.01, 0.1], seeds=2)
"""The grid every test of where and how trials run uses: 8 trials of a fraction of a second."""
GRID_OPTIONS = ["--hidden", "8", "--epochs", "2", "--optimizers", "sgd,adam", "--lrs", "0.01,0.1", "--seeds", "2",
                "--target-accuracy", "0.8"]
"""GRID, as `tinygrad-opt sweep` options."""
TARGET = 0.8
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """GRID run straight through in this process: what every other way of running it must equal."""
    db = tmp_path_factory.mktemp("reference") / "reference.sqlite"
    run_sweep(GRID, db, jobs=1, target=TARGET, progress=False)
    return stored(db)


def sweep_command(*args, cwd, new_session=False):
    """`python -m tinygrad_opt sweep *args` started in `cwd`, with this checkout first on the path
    (in a session of its own, as a terminal starts a command, with `new_session`)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    # Ctrl-C must reach it as KeyboardInterrupt even when this test runs in a background job,
    # whose children start with SIGINT ignored.
    return subprocess.Popen([sys.executable, "-m", "tinygrad_opt", "sweep", *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
                            start_new_session=new_session)


def stored(db):
    """Every trial's results (not its timing or host), by key."""
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute(f"SELECT {', '.join(RESULT_COLUMNS)} FROM trials ORDER BY key").fetchall()
    finally:
        connection.close()
    return {row[0]: row for row in rows}


def count_stored(db):
    """How many trials `db` holds now (0 while it does not exist or has no table yet)."""
    try:
        return len(stored(db)) if db.exists() else 0
    except sqlite3.OperationalError:  # the sweep created the file and has not made its table yet
        return 0


# ----------------------------------------------------------------------------- the grid

def test_parse_lrs_gives_log_spaced_rates_with_both_ends_or_a_list():
    assert parse_lrs("1e-4:1:5") == [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    assert parse_lrs("1e-3:1e-1:3") == [1e-3, 1e-2, 1e-1]
    assert parse_lrs("0.1, 0.01") == [0.1, 0.01]
    thirds = parse_lrs("1e-4:1:13")
    assert len(thirds) == 13 and thirds[1] == 0.000215443469003 and thirds[-1] == 1.0


@pytest.mark.parametrize("text, message", [
    ("1e-4:1", "LOW:HIGH:COUNT"), ("1:1e-4:3", "smaller rate to the larger"), ("1e-4:1:1", "COUNT"),
    ("0:1:3", "positive"), ("0.1,fast", "'fast'"), ("-0.1", "positive")])
def test_parse_lrs_names_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_lrs(text)


def test_parse_set_reads_numbers_booleans_and_tuples():
    sweep = parse_set(["rmsprop.alpha=0.9,0.99", "adam.betas=(0.9,0.999),(0.5,0.999)", "momentum.nesterov=true"])
    assert sweep == {"rmsprop": {"alpha": [0.9, 0.99]}, "adam": {"betas": [(0.9, 0.999), (0.5, 0.999)]},
                     "momentum": {"nesterov": [True]}}
    for bad, message in [("rmsprop.alpha", "RULE.NAME=VALUES"), ("alpha=0.9", "RULE.NAME=VALUES"),
                         ("sgdd.momentum=0.9", "unknown optimizer 'sgdd'"), ("adam.lr=0.1", "--lrs"),
                         ("rmsprop.alpha=zero", "'zero'"), ("rmsprop.alpha=0.9,0.9", "repeat")]:
        with pytest.raises(ValueError, match=message):
            parse_set([bad])


def test_make_grid_is_rules_times_settings_times_rates_times_seeds_seed_major():
    trials = make_grid(TINY, ["sgd", "rmsprop"], [0.01, 0.1], seeds=3, sweep={"rmsprop": {"alpha": [0.9, 0.99]}})
    assert len(trials) == (1 + 2) * 2 * 3
    assert [trial.seed for trial in trials] == [0] * 6 + [1] * 6 + [2] * 6
    assert [trial.label for trial in trials[:6]] == ["sgd", "sgd", "rmsprop alpha=0.9", "rmsprop alpha=0.9",
                                                     "rmsprop alpha=0.99", "rmsprop alpha=0.99"]
    rmsprop = dict(trials[2].hyperparameters)
    assert rmsprop["alpha"] == 0.9 and rmsprop["eps"] == 1e-8 and rmsprop["momentum"] == 0  # defaults kept
    assert len({trial.key for trial in trials}) == len(trials)
    again = make_grid(TINY, ["sgd", "rmsprop"], [0.01, 0.1], seeds=3, sweep={"rmsprop": {"alpha": [0.9, 0.99]}})
    assert [trial.key for trial in again] == [trial.key for trial in trials]
    longer = Workload.dataset("digits", hidden=(8,), epochs=3)
    assert make_grid(longer, ["sgd"], [0.01], seeds=1)[0].key != trials[0].key


@pytest.mark.parametrize("arguments, message", [
    ((["sgd", "sgd"], [0.1], 1, None), "optimizers repeat sgd"),
    ((["adam"], [0.1, 0.1], 1, None), "learning rates repeat"),
    ((["adam"], [0.1], 0, None), "seeds must be a positive integer"),
    ((["adam"], [0.1], 1, {"rmsprop": {"alpha": [0.9]}}), "rmsprop, which the sweep does not run"),
    ((["rmsprop"], [0.1], 1, {"rmsprop": {"alpah": [0.9]}}), "rmsprop has no hyperparameter alpah"),
    ((["rmsprop"], [0.1], 1, {"rmsprop": {"alpha": [-1.0]}}), "alpha"),
])
def test_make_grid_refuses_a_bad_grid_before_running_anything(arguments, message):
    with pytest.raises(ValueError, match=message):
        make_grid(TINY, *arguments)


# ----------------------------------------------------------------------------- one trial

def test_a_trial_is_compares_run_of_that_rule_and_seed():
    # The sweep reuses compare's training: same initial weights from the seed, same batches.
    trial = make_grid(TINY, ["momentum"], [0.05], seeds=[3])[0]
    result = run_trial(trial, target=0.5)
    data = load_dataset("digits", seed=3)
    [expected] = compare_optimizers(data, ["momentum"], {"momentum": 0.05}, hidden=(8,), epochs=2, seed=3)
    assert result["curve"]["train_loss"] == expected.history.loss
    assert result["curve"]["test_accuracy"] == expected.history.val_accuracy
    assert result["final_train_loss"] == expected.final_loss and result["test_accuracy"] == expected.test_accuracy
    assert result["best_train_loss"] == min(expected.history.loss)
    first = next(epoch for epoch, accuracy in enumerate(expected.history.val_accuracy, 1) if accuracy >= 0.5)
    assert result["epochs_to_target"] == first and result["steps_to_target"] == first * math.ceil(1347 / 32)
    assert result["diverged"] is False


def test_a_diverging_trial_is_recorded_as_diverged_and_the_sweep_goes_on(tmp_path):
    trials = make_grid(TINY, ["sgd"], [0.05, 1e4], seeds=1)
    outcome = run_sweep(trials, tmp_path / "sweep.sqlite", jobs=1, progress=False)
    assert (outcome.ran, outcome.diverged) == (2, 1)
    rows = {row["lr"]: row for row in SweepStore(tmp_path / "sweep.sqlite").rows()}
    assert rows[1e4]["diverged"] is True and "training loss is" in rows[1e4]["diverged_at"]
    assert rows[1e4]["final_train_loss"] is None and rows[1e4]["test_accuracy"] is None
    assert rows[0.05]["diverged"] is False and rows[0.05]["test_accuracy"] > 0.5


def test_a_surface_trial_measures_the_loss_along_the_path():
    trial = make_grid(Workload.surface("bowl", steps=40), ["sgd"], [0.1], seeds=[0])[0]
    result = run_trial(trial, target=1e-3)
    losses = result["curve"]["loss"]
    assert len(losses) == 41 and losses[-1] < losses[0]
    assert result["final_train_loss"] == losses[-1] and result["best_train_loss"] == min(losses)
    assert losses[result["steps_to_target"]] <= 1e-3 < losses[result["steps_to_target"] - 1]
    assert result["test_accuracy"] is None and result["diverged"] is False


# ----------------------------------------------------------------------------- the store

def test_the_store_keeps_one_row_per_trial_with_its_configuration(tmp_path):
    trial = make_grid(TINY, ["adam"], [0.01], seeds=1)[0]
    result = run_trial(trial)
    with SweepStore(tmp_path / "s.sqlite") as store:
        assert store.add(trial, result) is True
        assert store.add(trial, result) is False          # a second copy is ignored
        assert len(store) == 1 and store.keys() == {trial.key}
        [row] = store.rows()
    assert (row["optimizer"], row["label"], row["lr"], row["seed"]) == ("adam", "adam", 0.01, 0)
    assert row["config"]["workload"] == {"kind": "dataset", "name": "digits", "hidden": [8], "epochs": 2,
                                         "batch_size": 32}
    assert row["config"]["hyperparameters"]["betas"] == [0.9, 0.999]
    assert row["curve"]["train_loss"] == result["curve"]["train_loss"]


def test_the_store_refuses_a_file_that_is_not_a_sweep(tmp_path):
    (tmp_path / "text.sqlite").write_text("not a database at all, just some text " * 20)
    with pytest.raises(ValueError, match="is not a sweep database"):
        SweepStore(tmp_path / "text.sqlite")
    connection = sqlite3.connect(tmp_path / "other.sqlite")
    connection.execute("CREATE TABLE trials (name TEXT)")
    connection.close()
    with pytest.raises(ValueError, match="not a sweep's"):
        SweepStore(tmp_path / "other.sqlite")


# ----------------------------------------------------------------------------- interrupt and resume

def test_an_interrupted_sweep_resumes_with_only_the_missing_trials(tmp_path, monkeypatch, reference):
    trials = GRID
    calls = []
    real_run_trial = executors.run_trial

    def interrupted_on_the_fifth(trial, target=None):
        if len(calls) == 4:
            raise KeyboardInterrupt
        calls.append(trial.key)
        return real_run_trial(trial, target)

    monkeypatch.setattr(executors, "run_trial", interrupted_on_the_fifth)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(trials, tmp_path / "resumed.sqlite", jobs=1, target=TARGET, progress=False)
    assert set(stored(tmp_path / "resumed.sqlite")) == set(calls) and len(calls) == 4

    first_run = list(calls)
    monkeypatch.setattr(executors, "run_trial", lambda trial, target=None: calls.append(trial.key) or
                        real_run_trial(trial, target))
    outcome = run_sweep(trials, tmp_path / "resumed.sqlite", jobs=1, target=TARGET, progress=False)
    assert (outcome.skipped, outcome.ran) == (4, 4)
    assert sorted(calls) == sorted(trial.key for trial in trials)   # each trial ran exactly once in all
    assert not set(first_run) & set(calls[4:])

    monkeypatch.setattr(executors, "run_trial", real_run_trial)
    assert stored(tmp_path / "resumed.sqlite") == reference
    assert run_sweep(trials, tmp_path / "resumed.sqlite", jobs=1, progress=False).ran == 0


# ----------------------------------------------------------------------------- where trials run

def test_a_process_pool_gives_bit_identical_results_to_this_process(tmp_path, reference):
    with ProcessPool(jobs=2) as pool:
        outcome = run_sweep(GRID, tmp_path / "pool.sqlite", executor=pool, target=TARGET, progress=False)
    assert outcome.ran == 8 and outcome.where == "on 2 local worker processes"
    assert stored(tmp_path / "pool.sqlite") == reference
    pids = {row["pid"] for row in SweepStore(tmp_path / "pool.sqlite").rows()}
    assert os.getpid() not in pids


# The workers (a local pool's, a Dask cluster's) call these in place of `run_trial`, monkeypatched
# into `executors`: they import this module by name, from the path pytest gave the processes they
# are started from.
def run_trial_killed_once(marks, trial, target=None):
    """In a worker: `run_trial`, with a line in `marks`/calls as each trial starts and ends;
    the first time it gets GRID[2], it leaves its pid in `marks`/victim.pid and waits to be killed."""
    marks = Path(marks)
    log_call(marks, "start", trial)
    if trial.key == GRID[2].key and not (marks / "victim.pid").exists():
        (marks / "victim.part").write_text(str(os.getpid()))
        os.replace(marks / "victim.part", marks / "victim.pid")
        time.sleep(120)
    result = run_trial(trial, target)
    log_call(marks, "end", trial)
    return result


def run_trial_or_die(marks, trial, target=None):
    """In a pool worker: GRID[5] kills its worker process every time (as the kernel's
    out-of-memory killer would); the other trials run as usual. Each start is logged."""
    log_call(Path(marks), "start", trial)
    if trial.key == GRID[5].key:
        os.kill(os.getpid(), signal.SIGKILL)
    return run_trial(trial, target)


def log_call(marks, event, trial):
    with open(marks / "calls", "a") as log:       # one short appended line: never interleaved
        log.write(f"{event} {trial.key} {os.getpid()}\n")


def logged_calls(marks, event, by_process=False):
    """How many times each trial's key (each (key, pid) `by_process`) was logged with `event`."""
    lines = [line.split() for line in (marks / "calls").read_text().splitlines()]
    return collections.Counter((key, int(pid)) if by_process else key for logged, key, pid in lines
                               if logged == event)


def two_workers(where, stack):
    """The sweep command's options for 2 workers `where` ("local pool" or "dask cluster": a real
    LocalCluster on 127.0.0.1, closed by `stack`)."""
    if where == "local pool":
        return ["--jobs", "2"]
    distributed = pytest.importorskip("distributed")
    cluster = stack.enter_context(distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
        silence_logs=logging.CRITICAL))
    return ["--scheduler", cluster.scheduler_address]


@pytest.mark.parametrize("where", ["local pool", "dask cluster"])
def test_a_worker_killed_mid_trial_loses_no_trial_and_runs_none_twice(where, tmp_path, monkeypatch, reference):
    monkeypatch.setattr(executors, "run_trial", functools.partial(run_trial_killed_once, str(tmp_path)))
    db = tmp_path / "sweep.sqlite"
    with contextlib.ExitStack() as stack:
        options = two_workers(where, stack)
        codes = []
        runner = threading.Thread(target=lambda: codes.append(main(
            ["sweep", *GRID_OPTIONS, *options, "--db", str(db), "--out", str(tmp_path / "out"), "--quiet"])))
        runner.start()
        deadline = time.monotonic() + 60
        while not (tmp_path / "victim.pid").exists():
            assert runner.is_alive() and time.monotonic() < deadline, "no worker got to GRID[2]"
            time.sleep(0.02)
        victim = int((tmp_path / "victim.pid").read_text())
        os.kill(victim, signal.SIGKILL)              # in the middle of GRID[2]
        runner.join(timeout=120)
    assert not runner.is_alive() and codes == [0]

    assert stored(db) == reference                   # every trial once, bit for bit
    assert logged_calls(tmp_path, "start")[GRID[2].key] == 2
    stored_by = {row["key"]: row["pid"] for row in SweepStore(db).rows()}
    assert stored_by[GRID[2].key] != victim
    # No trial ran twice, but one whose result was lost with the killed worker before it was
    # delivered (on Dask, a worker holds a result until the sweep fetches it).
    finished = logged_calls(tmp_path, "end", by_process=True)
    assert [key for key, pid in stored_by.items() if finished[key, pid] != 1] == []
    assert [key for key, pid in finished if pid not in (stored_by[key], victim)] == []   # run again


@pytest.mark.parametrize("where", ["local pool", "dask cluster"])
def test_a_trial_that_kills_its_worker_every_time_is_given_up_and_the_rest_stored(
        where, tmp_path, monkeypatch, capsys, reference):
    monkeypatch.setattr(executors, "run_trial", functools.partial(run_trial_or_die, str(tmp_path)))
    crasher = GRID[5]
    with contextlib.ExitStack() as stack:
        options = two_workers(where, stack)
        assert main(["sweep", *GRID_OPTIONS, *options, "--db", str(tmp_path / "sweep.sqlite"),
                     "--out", str(tmp_path / "out"), "--quiet"]) == 1
    error = capsys.readouterr().err
    assert "error: gave up " in error
    assert f"{crasher.label} lr={crasher.lr:g} seed {crasher.seed} (key {crasher.key})" in error
    assert "died 4 times" in error                   # allowed_failures=3, Dask's default
    assert "Traceback" not in error
    starts = logged_calls(tmp_path, "start")
    assert starts.pop(crasher.key) == 4
    given_up = {crasher.key}
    if where == "local pool":
        # The trial beside it when its worker first died runs again, alone; no other trial is hit.
        assert sorted(starts.values()) in ([1] * 7, [1] * 6 + [2])
    else:
        # Dask counts a death against every trial its worker was running or holding queued, so
        # a trial queued behind the crasher each time can be given up too: named in the same error.
        given_up |= set(re.findall(r"\(key ([0-9a-f]+)\)", error))
    assert stored(tmp_path / "sweep.sqlite") == {key: row for key, row in reference.items() if key not in given_up}


def test_the_command_stopped_by_ctrl_c_resumes_where_it_stopped(tmp_path, reference, monkeypatch, capsys):
    first = sweep_command(*GRID_OPTIONS, "--jobs", "1", cwd=tmp_path)
    deadline = time.monotonic() + 120
    while count_stored(tmp_path / "sweep.sqlite") < 2:
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.02)
    first.send_signal(signal.SIGINT)
    output, errors = first.communicate(timeout=60)
    kept = len(stored(tmp_path / "sweep.sqlite"))
    assert first.returncode == 130 and "run the same command again" in errors
    assert 2 <= kept < 8 and output.count(" seed ") == kept   # one line per stored trial, none half-written

    second = sweep_command(*GRID_OPTIONS, "--jobs", "1", "--export", "trials.json", cwd=tmp_path)
    output, errors = second.communicate(timeout=120)
    assert second.returncode == 0, errors
    assert output.count(" seed ") == 8 - kept                # only the missing trials ran
    assert f"ran {8 - kept} trials in this process" in output
    assert f"({kept} were already in sweep.sqlite" in output
    assert stored(tmp_path / "sweep.sqlite") == reference
    assert len(json.loads((tmp_path / "trials.json").read_text())) == 8

    table = output[output.index("digits MLP 8, 2 epochs, batch 32: test accuracy"):output.index("wrote")]
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "--report", "sweep.sqlite"]) == 0
    assert capsys.readouterr().out.startswith(table)     # the same table, and nothing trained:
    assert stored(tmp_path / "sweep.sqlite") == reference
    assert (tmp_path / "sweep_out" / "sensitivity.png").exists()


def test_ctrl_c_stops_a_sweep_on_local_workers_cleanly(tmp_path, reference):
    # A terminal sends Ctrl-C to the command and its workers alike (its process group).
    sweep = sweep_command(*GRID_OPTIONS, "--seeds", "6", "--jobs", "2", cwd=tmp_path, new_session=True)
    deadline = time.monotonic() + 120
    while count_stored(tmp_path / "sweep.sqlite") < 2:
        assert sweep.poll() is None and time.monotonic() < deadline, sweep.communicate()
        time.sleep(0.02)
    os.killpg(sweep.pid, signal.SIGINT)
    _, errors = sweep.communicate(timeout=60)
    assert sweep.returncode == 130 and "run the same command again" in errors
    assert "Traceback" not in errors and "Exception" not in errors   # no worker's, no pool's
    kept = stored(tmp_path / "sweep.sqlite")                       # seeds 0 and 1 are GRID's trials
    assert 2 <= len(kept) < 24 and all(kept[key] == reference[key] for key in kept.keys() & reference.keys())


@pytest.mark.parametrize("arguments, message", [
    (["--report", "sweep.sqlite", "--lrs", "0.1"], "--report reads a finished sweep: drop --lrs"),
    (["--report", "missing.sqlite"], "no database at 'missing.sqlite'"),
    (["--lrs", "1:0.1:3"], "--lrs: the range '1:0.1:3' must go from the smaller rate to the larger"),
    (["--set", "rmsprop.alpah=0.9", "--optimizers", "rmsprop"], "rmsprop has no hyperparameter alpah"),
    (["--optimizers", "sgd", "--set", "adam.eps=1e-8"], "adam, which the sweep does not run"),
    (["--surface", "beale", "--epochs", "3"], "--surface trains no MLP: drop --epochs"),
    (["--target-loss", "0.1"], "--target-loss is for --surface sweeps"),
    (["--jobs", "2", "--scheduler", "tcp://127.0.0.1:8786"], "with --scheduler the cluster's workers"),
    (["--export", "trials.txt"], "must end in .csv or .json"),
    (["--seeds", "0"], "--seeds must be a positive integer"),
])
def test_the_command_refuses_bad_arguments_before_any_work(tmp_path, capsys, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", *arguments]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "sweep.sqlite").exists() and not (tmp_path / "sweep_out").exists()


# ----------------------------------------------------------------------------- the report

@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    db = tmp_path_factory.mktemp("report") / "sweep.sqlite"
    trials = make_grid(TINY, ["sgd", "adam"], [0.001, 0.1, 1e4], seeds=2)
    run_sweep(trials, db, jobs=1, target=0.8, progress=False)
    return SweepStore(db).rows()


def test_summary_pools_seeds_and_picks_the_best_rate_that_never_diverged(small_sweep):
    by_rule = {s.label: s for s in summarize(small_sweep)}
    assert list(by_rule) == ["sgd", "adam"]               # the package's order of rules
    # SGD's steps grow with the gradient and blow up at η = 10⁴; Adam's are bounded by η and
    # it finishes there, badly.
    assert [point.diverged for point in by_rule["sgd"].points] == [0, 0, 2]
    assert by_rule["sgd"].points[-1].values == [] and by_rule["sgd"].diverging == 1
    assert [point.diverged for point in by_rule["adam"].points] == [0, 0, 0]
    for label, summary in by_rule.items():
        assert [point.lr for point in summary.points] == [0.001, 0.1, 1e4]
        assert all(point.seeds == 2 for point in summary.points)
        accuracies = {(row["lr"], row["seed"]): row["test_accuracy"] for row in small_sweep
                      if row["label"] == label and not row["diverged"]}
        means = {lr: (accuracies[lr, 0] + accuracies[lr, 1]) / 2 for lr, _ in accuracies}
        best_lr = max(means, key=means.get)
        assert summary.best.lr == best_lr and summary.best.mean == pytest.approx(means[best_lr])
        assert summary.best.std == pytest.approx(abs(accuracies[best_lr, 0] - accuracies[best_lr, 1]) / math.sqrt(2))
        reaching = sum(all(accuracies.get((lr, seed), 0) >= 0.8 for seed in (0, 1)) for lr in (0.001, 0.1, 1e4))
        assert summary.tolerance == reaching and summary.target == 0.8
    loose = {s.label: s.tolerance for s in summarize(small_sweep, target=0.01)}
    assert loose == {"sgd": 2, "adam": 3}                 # a new target is read from the stored curves

    table = format_summary(summarize(small_sweep))
    lines = table.splitlines()
    assert lines[0] == "digits MLP 8, 2 epochs, batch 32: test accuracy over 2 seeds, 3 learning rates"
    assert [line.split()[0] for line in lines[3:]] == ["sgd", "adam"]
    assert lines[3].split()[-1] == "1/3"
    document = summary_dict(summarize(small_sweep))
    assert json.loads(json.dumps(document))[1]["best_lr"] == by_rule["adam"].best.lr


def test_a_rules_further_settings_keep_its_colour_and_marker_with_other_dashes():
    rows = [{"workload": "w", "label": label, "optimizer": label.split()[0], "lr": 0.1, "target": None,
             "diverged": False, "test_accuracy": None, "final_train_loss": 1.0, "curve": {"loss": [1.0]}}
            for label in ("rmsprop alpha=0.9", "rmsprop alpha=0.99", "sgd")]
    styles = dict(zip(["sgd", "rmsprop alpha=0.9", "rmsprop alpha=0.99"], sensitivity_styles(summarize(rows))))
    assert styles["sgd"] == rule_style("sgd") and styles["rmsprop alpha=0.9"] == rule_style("rmsprop")
    assert styles["rmsprop alpha=0.99"] == rule_style("rmsprop")._replace(linestyle="-")


def test_export_writes_every_trial_as_csv_or_json(small_sweep, tmp_path):
    import csv

    export_trials(small_sweep, tmp_path / "trials.csv")
    with open(tmp_path / "trials.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 12 and json.loads(rows[0]["config"])["workload"]["name"] == "digits"
    export_trials(small_sweep, tmp_path / "trials.json")
    assert json.loads((tmp_path / "trials.json").read_text()) == json.loads(json.dumps(small_sweep))
    with pytest.raises(ValueError, match=r"\.csv or \.json"):
        export_trials(small_sweep, tmp_path / "trials.txt")


def test_sensitivity_plot_draws_a_line_and_band_per_rule_and_marks_divergence(small_sweep, tmp_path):
    pytest.importorskip("matplotlib")
    figure = plot_sensitivity(small_sweep, tmp_path / "sensitivity.png")
    loss_axes, accuracy_axes = figure.axes
    assert loss_axes.get_xscale() == "log" and loss_axes.get_yscale() == "log"
    lines = {line.get_label(): line for line in accuracy_axes.get_lines()}
    assert list(lines["sgd"].get_xdata()) == [0.001, 0.1]  # the diverged η is a mark, not a point
    assert list(lines["adam"].get_xdata()) == [0.001, 0.1, 1e4]
    crosses = [line for line in accuracy_axes.get_lines() if line.get_marker() == "x" and len(line.get_xdata())]
    assert [list(line.get_xdata()) for line in crosses] == [[1e4]] and crosses[0].get_color() == lines["sgd"].get_color()
    assert len(accuracy_axes.collections) == 2            # one ±1 std band per rule
    for label, line in lines.items():                     # each rule in its style of every plot
        if label in ("sgd", "adam"):
            assert (line.get_color(), line.get_marker()) == (rule_style(label).color, rule_style(label).marker)
    assert (tmp_path / "sensitivity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
