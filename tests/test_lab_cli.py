"""`tinygrad-opt trajectories` as a user runs it: a subprocess, its files, its exit codes, and
one-line errors (no traceback, nothing written) for bad arguments. The many bad-argument cases
call the command's `main` in-process (same parser, same output, faster); one runs as a
subprocess to show the user sees no traceback."""
import subprocess
import sys

import pytest

pytest.importorskip("matplotlib")
from PIL import Image  # noqa: E402

from tinygrad_opt.cli import main  # noqa: E402

COMMAND = [sys.executable, "-m", "tinygrad_opt", "trajectories"]


def run(*arguments, cwd=None):
    return subprocess.run([*COMMAND, *arguments], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_beale_png_and_gif(tmp_path):
    png, gif = tmp_path / "out" / "beale.png", tmp_path / "out" / "beale.gif"
    finished = run("--surface", "beale", "--optimizers", "sgd,momentum,adagrad,rmsprop,adam", "--steps", "12",
                   "--out", str(png), "--gif", str(gif), "--lr", "adam=0.1", "--start", "1,1.5")
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    assert lines[0] == "beale: 12 steps from (1, 1.5)"
    assert [line.split()[0] for line in lines[1:6]] == ["sgd", "momentum", "adagrad", "rmsprop", "adam"]
    assert "lr 0.1 " in lines[5] and "lr 0.01 " in lines[1]          # the override and Beale's default
    assert "distance to the nearest minimum" in lines[1]
    assert lines[-1] == f"wrote {png}, {gif}"
    with Image.open(png) as image:
        assert image.format == "PNG" and min(image.size) > 300
    with Image.open(gif) as image:
        assert image.format == "GIF" and image.n_frames == 13


def test_defaults_write_surface_png_in_the_working_directory(tmp_path):
    finished = run("--surface", "saddle", "--optimizers", "adam", "--steps", "3", "--start=-1,0.5", cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert "saddle: 3 steps from (-1, 0.5)" in finished.stdout
    assert [path.name for path in tmp_path.iterdir()] == ["saddle.png"]


def test_a_diverging_optimizer_is_reported_not_fatal(tmp_path):
    finished = run("--surface", "rosenbrock", "--optimizers", "sgd,adam", "--lr", "sgd=0.05", "--steps", "30",
                   "--out", str(tmp_path / "r.png"))
    assert finished.returncode == 0, finished.stderr
    assert "sgd       lr 0.05     diverged at step" in finished.stdout
    assert (tmp_path / "r.png").stat().st_size > 10_000


@pytest.mark.parametrize("arguments, message", [
    (["--surface", "banana"], "unknown surface 'banana' (choose from bowl, saddle, rosenbrock, beale, himmelblau)"),
    (["--optimizers", "sgd,foo"], "unknown optimizer 'foo' (choose from sgd, momentum, adagrad, rmsprop, adam, adamw, nag, adadelta, "
     "adamax, nadam, radam)"),
    (["--optimizers", "sgd,sgd"], "--optimizers names sgd more than once"),
    (["--steps", "0"], "--steps must be a positive integer, got '0'"),
    (["--steps", "many"], "--steps must be a positive integer, got 'many'"),
    (["--lr", "adam=-1"], "learning rate for adam must be a positive number, got '-1'"),
    (["--lr", "adam=0.1", "--optimizers", "sgd"], "--lr sets adam, which --optimizers does not run (sgd)"),
    (["--lr", "adam"], "learning rate must be a positive number, got 'adam'"),
    (["--lr", "sgd=0.1,adam"], "--lr expects name=value pairs like adam=0.05,sgd=0.01, got 'adam'"),
    (["--start", "1"], "--start must be two numbers x,y like 1,1.5; got '1'"),
    (["--start", "1,nan"], "--start must be two numbers x,y like 1,1.5; got '1,nan'"),
    (["--out", "plot.txt"], "--out 'plot.txt': expected a file ending in .png, .svg, .pdf, .jpg, .jpeg"),
    (["--gif", "movie.png"], "--gif 'movie.png': expected a file ending in .gif"),
    (["--out", "."], "--out '.' is a directory, expected a file name"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_arguments_are_one_line_with_exit_code_2(tmp_path, monkeypatch, capsys, arguments, message):
    monkeypatch.chdir(tmp_path)
    assert main(["trajectories", "--steps", "2", *arguments]) == 2
    output = capsys.readouterr()
    assert output.err == f"tinygrad-opt: error: {message}\n"
    assert output.out == ""
    assert list(tmp_path.iterdir()) == []                    # checked before any work


def test_a_bad_argument_in_a_real_process_shows_no_traceback(tmp_path):
    finished = run("--surface", "banana", cwd=tmp_path)
    assert finished.returncode == 2
    assert finished.stderr.splitlines() == [
        "tinygrad-opt: error: unknown surface 'banana' (choose from bowl, saddle, rosenbrock, beale, himmelblau)"]


def test_help_lists_the_surfaces_and_rules():
    finished = run("--help")
    assert finished.returncode == 0
    text = " ".join(finished.stdout.split())                 # undo argparse's line wrapping
    assert "bowl, saddle, rosenbrock, beale, himmelblau" in text
    assert "sgd, momentum, adagrad, rmsprop, adam" in text


def test_the_rest_of_ruders_overview_runs_too(tmp_path):
    png = tmp_path / "saddle.png"
    finished = run("--surface", "saddle", "--optimizers", "nag,adadelta,adamax,NAdam,radam", "--steps", "5",
                   "--out", str(png))
    assert finished.returncode == 0, finished.stderr
    assert [line.split()[0] for line in finished.stdout.splitlines()[1:6]] == [
        "nag", "adadelta", "adamax", "nadam", "radam"]
    assert png.exists()
