"""Smoke tests: every script in examples/ runs with tiny settings and writes what it promises."""
import json
import os
from pathlib import Path
import subprocess
import sys

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# script → (arguments, with {out} for a fresh folder, and the files it must write there)
SMOKE_RUNS = {
    "train_mlp_digits.py": (["--epochs", "1", "--hidden", "16", "--save", "{out}/model.npz"], ["model.npz"]),
    "compare_optimizers.py": (["--epochs", "1", "--out", "{out}"], ["histories.json", "comparison.png"]),
    "spirals.py": (["--epochs", "2", "--samples", "90", "--hidden", "8", "--out", "{out}"], ["spirals.png"]),
    "micrograd_style.py": ([], []),
    "draw_graph.py": (["--out", "{out}"], ["1_forward.dot", "4_forward_with_grads.dot"]),
    "optimizer_lab.py": (["--out", "{out}", "--steps", "5", "--sparse-steps", "2", "--frames", "3"],
                         ["beale.png", "beale.gif", "saddle.png", "sparse.png"]),
}
SINGLE_THREADED_BLAS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run_example(script, args, cwd):
    env = dict(os.environ, **SINGLE_THREADED_BLAS)  # tiny matrices; see tests/test_cli.py
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_every_example_has_a_smoke_run_and_every_smoke_run_an_example():
    assert sorted(path.name for path in EXAMPLES.glob("*.py")) == sorted(SMOKE_RUNS)


@pytest.mark.parametrize("script", sorted(SMOKE_RUNS))
def test_example_runs_and_writes_its_files(script, tmp_path):
    assert (EXAMPLES / script).is_file(), f"examples/{script} is missing"
    args, expected_files = SMOKE_RUNS[script]
    out = tmp_path / "out"
    result = run_example(script, [arg.format(out=out) for arg in args], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in expected_files:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
        if name.endswith(".png"):
            assert (out / name).read_bytes()[:8] == PNG_SIGNATURE


def test_compare_example_writes_one_history_per_rule(tmp_path):
    result = run_example("compare_optimizers.py", ["--epochs", "2", "--dataset", "xor", "--out", str(tmp_path)],
                         cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    results = json.loads((tmp_path / "histories.json").read_text())["results"]
    assert list(results) == ["sgd", "momentum", "adagrad", "rmsprop", "adam"]
    assert all(len(entry["history"]["loss"]) == 2 for entry in results.values())


def test_micrograd_example_checks_its_gradients_against_the_chain_rule(tmp_path):
    result = run_example("micrograd_style.py", [], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    # o = tanh(x1*w1 + x2*w2 + b) = tanh(0.8814) = 0.7071; do/dx1 = w1 * (1 - o²) = -3 * 0.5
    assert "one neuron: o = tanh(x1*w1 + x2*w2 + b) = 0.7071" in lines
    assert any(line.split()[:4] == ["do/dx1", "2.0000", "-1.500000", "-1.500000"] for line in lines)
    assert any(line.split()[:3] == ["dg/da", "-4.0000", "138.833819"] for line in lines)
    assert "MISMATCH" not in result.stdout and lines[-1] == "all gradients agree with the chain rule"


def test_digits_example_trains_with_a_plain_loop(tmp_path):
    result = run_example("train_mlp_digits.py", ["--epochs", "3"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    accuracies = [float(line.split()[-1]) for line in result.stdout.splitlines() if line.startswith("epoch")]
    assert len(accuracies) == 3 and accuracies[-1] > 0.9
