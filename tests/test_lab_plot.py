"""Tests for tinygrad_opt.lab.plot: the PNG and GIF files are written and non-trivial (Pillow
opens them; size and frame count checked), and a missing matplotlib says how to install it."""
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from PIL import Image  # noqa: E402  (Pillow comes with matplotlib)

from tinygrad_opt import Tensor  # noqa: E402
from tinygrad_opt.lab import (Beale, Himmelblau, Rosenbrock, Saddle, animate_trajectories,  # noqa: E402
                              inspect_step, plot_losses, plot_rare_weight, plot_step_sizes,
                              plot_trajectories, sparse_features_demo, trajectories)
from tinygrad_opt.optim import SGD, Adam  # noqa: E402


@pytest.fixture(scope="module")
def beale_runs():
    return trajectories(Beale(), steps=20)


def distinct_colours(path):
    with Image.open(path) as image:
        return len(image.convert("RGB").getcolors(maxcolors=1 << 20) or [])


def test_plot_trajectories_writes_a_png(tmp_path, beale_runs):
    path = tmp_path / "plots" / "beale.png"
    figure = plot_trajectories(beale_runs, Beale(), path, figsize=(6, 5), dpi=100)
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (600, 500)
    assert path.stat().st_size > 20_000
    assert distinct_colours(path) > 50                  # contours and five coloured paths, not a blank
    labels = [text.get_text() for text in figure.legends[0].get_texts()]
    assert labels == ["sgd (lr=0.01)", "momentum (lr=0.001, momentum=0.9)", "adagrad (lr=0.5, eps=1e-08)",
                      "rmsprop (lr=0.01, alpha=0.9, eps=1e-08)", "adam (lr=0.05, betas=(0.9, 0.999), eps=1e-08)",
                      "minimum", "start (1, 1.5)"]
    assert figure.axes[0].get_legend() is None          # the legend is under the axes, covering no path
    assert figure.axes[0].get_xlim() == Beale.bounds[0]


def test_plot_trajectories_without_a_path_only_returns_the_figure(tmp_path, beale_runs):
    figure = plot_trajectories(beale_runs, Beale(), title="mine")
    assert figure.axes[0].get_title() == "mine"
    assert list(tmp_path.iterdir()) == []


def test_a_diverged_run_and_a_surface_without_minima_are_drawn(tmp_path):
    runs = trajectories(Rosenbrock(), ["sgd", "adam"], steps=30, lr={"sgd": 0.05})
    figure = plot_trajectories(runs, Rosenbrock(), tmp_path / "rosenbrock.png")
    labels = figure.axes[0].get_legend_handles_labels()[1]
    assert f"sgd (lr=0.05), diverged at step {runs['sgd'].diverged_at}" in labels

    figure = plot_trajectories(trajectories(Saddle(), steps=10), Saddle(), tmp_path / "saddle.png")
    assert "saddle point" in figure.axes[0].get_legend_handles_labels()[1]
    assert (tmp_path / "saddle.png").stat().st_size > 20_000

    himmelblau = Himmelblau()
    figure = plot_trajectories(trajectories(himmelblau, steps=10), himmelblau)
    stars = [line for line in figure.axes[0].lines if line.get_marker() == "*"]
    assert len(stars) == 4


def test_animate_trajectories_writes_one_frame_per_step(tmp_path):
    runs = trajectories(Beale(), steps=8)
    path = animate_trajectories(runs, Beale(), tmp_path / "beale.gif", figsize=(4, 3), dpi=50)
    assert path == tmp_path / "beale.gif"
    with Image.open(path) as image:
        assert image.format == "GIF" and image.is_animated
        assert image.n_frames == 9                      # steps 0..8
        assert image.size == (200, 150)
    assert path.stat().st_size > 10_000


def test_long_runs_are_subsampled_to_max_frames(tmp_path):
    runs = trajectories(Beale(), ["adam", "sgd"], steps=200)
    path = animate_trajectories(runs, Beale(), tmp_path / "long.gif", max_frames=6, figsize=(3, 3), dpi=40)
    with Image.open(path) as image:
        assert image.n_frames == 6                      # steps 0, 40, 80, 120, 160, 200


def test_plot_losses_rare_weight_and_step_sizes(tmp_path, beale_runs):
    figure = plot_losses(beale_runs, tmp_path / "losses.png")
    assert figure.axes[0].get_yscale() == "log"
    assert plot_losses(trajectories(Saddle(), steps=100)).axes[0].get_yscale() == "linear"

    demo = sparse_features_demo(steps=10)
    figure = plot_rare_weight(demo, tmp_path / "sparse.png")
    assert len(figure.axes) == 2

    reports = {}
    for label, make in (("SGD", lambda p: SGD(p, lr=0.1)), ("Adam", lambda p: Adam(p, lr=0.1))):
        w = Tensor(np.linspace(-1, 1, 50), requires_grad=True, dtype=np.float64)
        optimizer = make([w])
        (w * w * w).sum().backward()
        with inspect_step(optimizer) as report:
            optimizer.step()
        reports[label] = report
    figure = plot_step_sizes(reports, tmp_path / "steps.png")
    assert len(figure.axes) == 2 and figure.axes[0].get_xscale() == "log"
    plot_step_sizes(reports["Adam"], tmp_path / "adam_steps.png")

    for name in ("losses.png", "sparse.png", "steps.png", "adam_steps.png"):
        with Image.open(tmp_path / name) as image:
            assert image.format == "PNG" and image.size[0] > 300
        assert distinct_colours(tmp_path / name) > 20


def test_missing_matplotlib_names_the_extra(monkeypatch, beale_runs):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)      # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=r'pip install "tinygrad_opt\[plot\]"'):
        plot_trajectories(beale_runs, Beale())
