"""`lab.interact`: the sliders start at the optimizers' real hyperparameters, and moving one
re-runs the real optimizer (the path equals a direct `trajectories` run with that value)."""
import sys

import numpy as np
import pytest

from tinygrad_opt import optim
from tinygrad_opt.lab import interact, trajectories
from tinygrad_opt.lab.interact import MISSING_WIDGETS

pytest.importorskip("matplotlib")
widgets = pytest.importorskip("ipywidgets")


def test_sliders_start_at_the_optimizers_own_values():
    panel = interact("bowl", ["sgd", "momentum", "adam"], steps=20)
    bowl_lrs = panel.surface.lrs
    assert set(panel.sliders["sgd"]) == {"lr"}                       # plain SGD: no γ slider
    assert panel.sliders["momentum"]["lr"].value == pytest.approx(bowl_lrs["momentum"])
    assert panel.sliders["momentum"]["momentum"].value == pytest.approx(0.9)
    assert panel.sliders["adam"]["beta2"].value == pytest.approx(0.999)
    assert {"x", "steps"} <= set(panel.shared)
    assert isinstance(panel.widget, widgets.VBox)
    assert "application/vnd.jupyter.widget-view+json" in panel._repr_mimebundle_()


def test_moving_a_slider_reruns_the_real_optimizer():
    panel = interact("bowl", ["sgd", "adam"], steps=30)
    before = panel.result["adam"].path.copy()
    image = panel._image.value

    panel.sliders["adam"]["beta1"].value = 0.5
    panel.sliders["adam"]["lr"].value = 0.2

    run = panel.result["adam"]
    assert run.optimizer.param_groups[0]["betas"] == (0.5, 0.999)
    expected = trajectories("bowl", [("adam", lambda p: optim.Adam(p, lr=0.2, betas=(0.5, 0.999)))],
                            steps=30)["adam"]
    np.testing.assert_array_equal(run.path, expected.path)
    assert not np.allclose(run.path, before)
    assert panel._image.value != image                                # the picture was redrawn
    np.testing.assert_array_equal(panel.result["sgd"].path,           # the other rule is untouched
                                  trajectories("bowl", ["sgd"], steps=30)["sgd"].path)


def test_start_and_steps_sliders():
    panel = interact("bowl", ["sgd"], steps=10)
    panel.shared["steps"].value = 15
    panel.shared["x"].value = 1.0
    run = panel.result["sgd"]
    assert run.steps == 15
    assert run.path[0, 0] == 1.0


def test_without_ipywidgets_a_static_picture_and_a_clear_message(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)             # `import ipywidgets` fails
    panel = interact("bowl", ["sgd"], steps=5)
    assert capsys.readouterr().out.strip() == MISSING_WIDGETS
    assert "pip install" in MISSING_WIDGETS and "ipywidgets" in MISSING_WIDGETS
    assert panel.widget is None and panel.sliders == {}
    bundle = panel._repr_mimebundle_()
    assert bundle["text/plain"] == MISSING_WIDGETS
    assert bundle["image/png"].startswith("iVBORw0KGgo")                # base64 of a PNG header


def test_bad_names_are_refused_before_anything_runs():
    with pytest.raises(ValueError, match="unknown surface"):
        interact("bowel")
    with pytest.raises(ValueError, match="unknown optimizer"):
        interact("bowl", ["sdg"])
