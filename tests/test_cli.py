"""The `tinygrad-opt` command, run as a user runs it: `python -m tinygrad_opt ...` in a subprocess."""
import gzip
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_opt as tg

REPO = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIVE_RULES = ["sgd", "momentum", "adagrad", "rmsprop", "adam"]
# Matrices this small gain nothing from BLAS threads, and on a busy machine (tests running
# beside other work) threads waiting for a core can make a 3-second run take a minute.
SINGLE_THREADED_BLAS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run(*args, cwd, extra_path=None, timeout=300):
    """Run `python -m tinygrad_opt *args` in `cwd`, with this checkout first on the path."""
    env = dict(os.environ, **SINGLE_THREADED_BLAS)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (extra_path, REPO, env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-m", "tinygrad_opt", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def default_compare(tmp_path_factory):
    """`tinygrad-opt compare` with every default but --out: run once for all the tests below."""
    out = tmp_path_factory.mktemp("compare") / "compare_out"
    result = run("compare", "--out", out, cwd=out.parent)
    return result, out


def test_compare_prints_a_row_per_rule_and_writes_json_and_png(default_compare):
    result, out = default_compare
    assert result.returncode == 0, result.stderr
    table = result.stdout[result.stdout.index("optimizer"):]
    header = table.splitlines()[0].split()
    assert header == ["optimizer", "lr", "train", "loss", "test", "acc", "epochs", "seconds"]
    assert [line.split()[0] for line in table.splitlines()[2:7]] == FIVE_RULES

    document = json.loads((out / "histories.json").read_text())
    assert document["config"]["dataset"] == "digits" and document["config"]["n_test"] == 450
    assert list(document["results"]) == FIVE_RULES
    for name, entry in document["results"].items():
        assert set(entry) == {"lr", "final_train_loss", "test_accuracy", "epochs", "seconds", "diverged", "history"}
        assert entry["diverged"] is None, name
        history = entry["history"]
        assert len(history["loss"]) == len(history["val_accuracy"]) == entry["epochs"] == document["config"]["epochs"]
        assert entry["test_accuracy"] == history["val_accuracy"][-1]
    assert (out / "comparison.png").read_bytes()[:8] == PNG_SIGNATURE


def test_compare_defaults_reach_the_accuracy_targets_on_digits(default_compare):
    # The correctness bar of the project: with the defaults, Adam >= 97% and every rule >= 90%.
    result, out = default_compare
    assert result.returncode == 0, result.stderr
    accuracy = {name: entry["test_accuracy"]
                for name, entry in json.loads((out / "histories.json").read_text())["results"].items()}
    assert accuracy["adam"] >= 0.97, accuracy
    assert min(accuracy.values()) >= 0.90, accuracy


def test_compare_same_start_same_batches_gives_the_same_numbers(tmp_path):
    first = run("compare", "--optimizers", "adam", "--epochs", "2", "--quiet", "--out", tmp_path / "a", cwd=tmp_path)
    second = run("compare", "--optimizers", "adam", "--epochs", "2", "--quiet", "--out", tmp_path / "b", cwd=tmp_path)
    histories = [json.loads((tmp_path / d / "histories.json").read_text())["results"]["adam"]["history"]
                 for d in ("a", "b")]
    assert first.returncode == second.returncode == 0
    assert histories[0]["loss"] == histories[1]["loss"]
    assert histories[0]["val_accuracy"] == histories[1]["val_accuracy"]


def test_compare_other_dataset_options_and_learning_rates(tmp_path):
    result = run("compare", "--dataset", "moons", "--hidden", "8", "--optimizers", "sgd,adamw",
                 "--lr", "sgd=0.2,adamw=0.02", "--epochs", "2", "--batch-size", "64", "--seed", "3",
                 "--out", tmp_path / "moons", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "moons" / "histories.json").read_text())
    assert (document["config"]["dataset"], document["config"]["hidden"], document["config"]["seed"]) == ("moons", [8], 3)
    assert {name: entry["lr"] for name, entry in document["results"].items()} == {"sgd": 0.2, "adamw": 0.02}


def test_compare_one_learning_rate_for_every_rule(tmp_path):
    result = run("compare", "--dataset", "xor", "--optimizers", "sgd,adam", "--lr", "0.05", "--epochs", "1",
                 "--quiet", "--out", tmp_path / "xor", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    results = json.loads((tmp_path / "xor" / "histories.json").read_text())["results"]
    assert {name: entry["lr"] for name, entry in results.items()} == {"sgd": 0.05, "adam": 0.05}


def test_compare_reports_a_diverging_rule_and_finishes_the_others(tmp_path):
    result = run("compare", "--optimizers", "sgd,adam", "--lr", "sgd=50", "--epochs", "2", "--quiet",
                 "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    sgd_row = next(line for line in result.stdout.splitlines() if line.startswith("sgd "))
    assert sgd_row.split()[:6] == ["sgd", "50", "-", "-", "0", "0.00"] and "diverged at epoch 1, step" in sgd_row
    assert "sgd diverged: training loss is nan at epoch 1" in result.stderr and "Traceback" not in result.stderr
    results = json.loads((tmp_path / "out" / "histories.json").read_text())["results"]
    assert results["sgd"]["test_accuracy"] is None and "try a smaller one than lr=50" in results["sgd"]["diverged"]
    assert results["adam"]["diverged"] is None and results["adam"]["epochs"] == 2


def write_idx(path, array):
    """An IDX file as MNIST ships them: gzip of a 0x0000, type 0x08 (uint8), ndim header, then the bytes."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as file:
        file.write(header + array.astype(np.uint8).tobytes())


def test_compare_on_mnist_files_from_data_root(tmp_path):
    # A tiny stand-in for the four MNIST files: 100 training and 40 test images of 28x28.
    rng = np.random.default_rng(0)
    root = tmp_path / "mnist"
    root.mkdir()
    for prefix, n in (("train", 100), ("t10k", 40)):
        write_idx(root / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        write_idx(root / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    result = run("compare", "--dataset", "mnist", "--data-root", root, "--hidden", "16", "--optimizers", "adam",
                 "--epochs", "1", "--quiet", "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    config = json.loads((tmp_path / "out" / "histories.json").read_text())["config"]
    assert (config["n_train"], config["n_test"], config["n_features"], config["n_classes"]) == (100, 40, 784, 10)


def test_mnist_files_missing_is_one_line_and_nothing_written(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("compare", "--dataset", "mnist", "--data-root", tmp_path / "empty", "--out", tmp_path / "out",
                 cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("tinygrad-opt: error: cannot load the mnist data: mnist files missing in")
    assert result.stderr.count("\n") == 1 and not (tmp_path / "out").exists()


def test_compare_without_matplotlib_says_how_to_get_it_and_still_writes_table_and_json(tmp_path):
    # A `matplotlib` package that fails to import, placed ahead of the real one on the path.
    fake = tmp_path / "no_matplotlib" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('matplotlib hidden by the test')\n")
    result = run("compare", "--optimizers", "sgd", "--epochs", "1", "--out", tmp_path / "out", cwd=tmp_path,
                 extra_path=fake.parent)
    assert result.returncode == 0, result.stderr
    assert 'pip install "tinygrad_opt[plot]"' in result.stderr
    assert "Traceback" not in result.stderr
    assert "sgd" in result.stdout and (tmp_path / "out" / "histories.json").is_file()
    assert not (tmp_path / "out" / "comparison.png").exists()


@pytest.mark.parametrize("command", [[], ["compare"], ["train"], ["graph"]])
def test_help_for_every_command(command, tmp_path):
    result = run(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: tinygrad-opt") and result.stderr == ""


@pytest.fixture(scope="module")
def not_a_directory(tmp_path_factory):
    file = tmp_path_factory.mktemp("blocker") / "a_file"
    file.write_text("in the way\n")
    return file


BAD_ARGUMENTS = {
    "unknown optimizer": (["compare", "--optimizers", "sgd,sgdd"],
                          "unknown optimizer 'sgdd' (choose from sgd, momentum, adagrad, rmsprop, adam, adamw, nag, adadelta, "
                          "adamax, nadam, radam)"),
    "unknown optimizer for train": (["train", "--optimizer", "nesterov"], "unknown optimizer 'nesterov'"),
    "unknown optimizer in --lr": (["compare", "--lr", "adamm=0.1"], "unknown optimizer 'adamm'"),
    "negative learning rate": (["compare", "--lr", "sgd=-0.1"], "learning rate for sgd must be a positive number, got '-0.1'"),
    "zero learning rate": (["train", "--lr", "0"], "learning rate must be a positive number, got '0'"),
    "non-numeric learning rate": (["compare", "--lr", "adam=fast"], "learning rate for adam must be a positive number, got 'fast'"),
    "non-numeric learning rate for train": (["train", "--lr", "abc"], "learning rate must be a positive number, got 'abc'"),
    "learning rate for a rule not run": (["compare", "--optimizers", "sgd", "--lr", "adam=0.1"],
                                         "--lr sets adam, which --optimizers does not run (sgd)"),
    "unknown dataset": (["compare", "--dataset", "cifar"], "unknown dataset 'cifar' (choose from digits, spirals"),
    "mnist without its files": (["compare", "--dataset", "mnist"], "--dataset mnist needs --data-root DIR"),
    "bad hidden sizes": (["compare", "--hidden", "64,x"], "--hidden must be positive layer sizes"),
    "hidden sizes of only commas": (["train", "--hidden", ",,,"], "--hidden must be positive layer sizes "
                                    "separated by commas, like 64,32 (or \"\" for none); got ',,,'"),
    "a hidden layer larger than memory": (["train", "--hidden", "99999999999"],
                                          "--hidden 99999999999: the MLP 64 -> 99999999999 -> 10 (7.5e+12 float32 "
                                          "weights) needs 27.3 TiB, more than this machine's memory"),
    "more steps than memory": (["trajectories", "--steps", "99999999999"],
                               "--steps 99999999999 needs 10.9 TiB, more than this machine's memory"),
    "zero epochs": (["compare", "--epochs", "0"], "--epochs must be a positive integer, got '0'"),
    "non-numeric batch size": (["train", "--batch-size", "big"], "--batch-size must be a positive integer, got 'big'"),
    "unknown option": (["compare", "--bogus"], "unrecognized arguments: --bogus"),
    "unknown command": (["fly"], "invalid choice: 'fly'"),
    "no command": ([], "choose a command: compare, train, graph"),
    "graph format": (["graph", "--out", "graph.xyz"], "unknown format '.xyz'"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGUMENTS))
def test_bad_arguments_give_one_line_and_exit_2_before_any_work(case, tmp_path):
    args, expected = BAD_ARGUMENTS[case]
    if args and args[0] == "compare":
        args = [*args, "--out", tmp_path / "never"]
    if args and args[0] == "train":
        args = [*args, "--checkpoint", tmp_path / "never.npz"]
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("tinygrad-opt: error: ")
    assert expected in result.stderr
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("command", [["compare", "--out"], ["train", "--checkpoint"], ["graph", "--out"]])
def test_unwritable_output_path_is_refused_before_any_work(command, not_a_directory, tmp_path):
    target = not_a_directory / ("sub" if command[0] == "compare" else "file.svg")
    result = run(*command, target, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "is not a directory" in result.stderr and str(not_a_directory) in result.stderr
    assert result.stdout == ""


def test_resume_without_a_checkpoint_is_an_error(tmp_path):
    result = run("train", "--resume", "--checkpoint", tmp_path / "missing.npz", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"tinygrad-opt: error: --resume: no checkpoint at '{tmp_path / 'missing.npz'}'\n"


def test_resume_from_a_file_that_is_not_a_checkpoint_is_an_error(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip file at all")
    result = run("train", "--resume", "--checkpoint", tmp_path / "junk.npz", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("tinygrad-opt: error: --resume: cannot read checkpoint")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_diverging_learning_rate_is_one_line_and_exit_1(tmp_path):
    result = run("train", "--optimizer", "sgd", "--lr", "1e30", "--epochs", "1", "--quiet",
                 "--checkpoint", tmp_path / "c.npz", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("tinygrad-opt: error: training loss is ")
    assert "epoch 1, step" in result.stderr and "smaller" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


TRAIN = ["train", "--optimizer", "momentum", "--hidden", "32", "--batch-size", "64", "--quiet"]


def test_train_then_resume_continues_exactly_as_an_uninterrupted_run(tmp_path):
    straight = run(*TRAIN, "--epochs", "3", "--checkpoint", tmp_path / "straight.npz", cwd=tmp_path)
    assert straight.returncode == 0, straight.stderr
    assert "done after 3 epochs: test accuracy" in straight.stdout

    first = run(*TRAIN, "--epochs", "1", "--checkpoint", tmp_path / "resumed.npz", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    resumed = run("train", "--resume", "--epochs", "3", "--quiet", "--checkpoint", tmp_path / "resumed.npz",
                  cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr

    a, b = tg.load(tmp_path / "straight.npz"), tg.load(tmp_path / "resumed.npz")
    assert a["epoch"] == b["epoch"] == 3
    assert set(a["model"]) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    for name in a["model"]:
        assert np.array_equal(a["model"][name], b["model"][name]), name
    assert list(a["history"]["loss"]) == list(b["history"]["loss"])
    assert list(a["history"]["val_accuracy"]) == list(b["history"]["val_accuracy"])
    assert a["settings"] == b["settings"]
    assert a["settings"]["optimizer"] == "momentum" and a["settings"]["hidden"] == "32"


def test_resume_refuses_settings_that_differ_from_the_checkpoint(tmp_path):
    first = run(*TRAIN, "--epochs", "1", "--checkpoint", tmp_path / "c.npz", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = (tmp_path / "c.npz").read_bytes()
    result = run("train", "--resume", "--optimizer", "adam", "--epochs", "2", "--checkpoint", tmp_path / "c.npz",
                 cwd=tmp_path)
    assert result.returncode == 2
    assert "the checkpoint was trained with --optimizer momentum, not adam" in result.stderr
    assert (tmp_path / "c.npz").read_bytes() == before

    done = run("train", "--resume", "--epochs", "1", "--checkpoint", tmp_path / "c.npz", cwd=tmp_path)
    assert done.returncode == 0 and "nothing to do" in done.stdout


def test_graph_draws_one_training_step(tmp_path):
    result = run("graph", "--hidden", "8", "--out", tmp_path / "step.dot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    source = (tmp_path / "step.dot").read_text()
    assert source.lstrip().startswith("digraph")
    assert "0: Linear(64→8)" in source and "<B>0.weight</B>" in source and "<B>loss</B>" in source
    assert "grad mean" in source  # drawn after backward


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs the Graphviz dot program")
def test_graph_renders_svg(tmp_path):
    result = run("graph", "--out", tmp_path / "graphs" / "graph.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "<svg" in (tmp_path / "graphs" / "graph.svg").read_text()


def test_compare_all_runs_every_registered_rule(tmp_path):
    from tinygrad_opt.optim import registry
    result = run("compare", "--optimizers", "all", "--epochs", "1", "--hidden", "16", "--quiet",
                 "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "out" / "histories.json").read_text())
    assert list(document["results"]) == list(registry.names())
    assert document["results"]["nadam"]["lr"] == registry.RULES["nadam"].mlp_lr
    assert all(entry["diverged"] is None for entry in document["results"].values())
