"""Sliders for the optimizers' hyperparameters that re-run them on a surface and redraw the paths.

    from tinygrad_opt.lab import interact
    interact("beale", ["sgd", "momentum", "adam"])      # the last line of a notebook cell

Each optimizer gets a row of sliders for the hyperparameters it has — η (`lr`), γ
(Momentum's `momentum`, RMSProp's decay `alpha`), β1 and β2 (`betas`), ε (`eps`), ρ (`rho`) —
starting at the values the optimizer really starts with; shared sliders move the start point
and the number of steps. Moving a slider runs `trajectories` again with the real optimizers
(built by their factories, then given the slider values in their `param_groups`, as a
learning-rate scheduler changes them) and redraws `plot_trajectories`: the numbers on the
picture are the library's own, nothing is re-implemented for the browser.

ipywidgets is part of the `notebook` extra (`pip install "tinygrad_opt[notebook]"`). Without
it `interact` says so and shows the picture of the starting values instead.
"""
import io
import math

import numpy as np

from .plot import plot_trajectories
from .rules import RULE_NAMES, optimizer_factories
from .surfaces import make_surface
from .trajectories import trajectories

__all__ = ["interact", "Interactive", "KNOBS"]

MISSING_WIDGETS = ('interactive sliders need ipywidgets, which is not installed: '
                   'pip install "tinygrad_opt[notebook]". Showing a static picture of the starting '
                   'values instead.')

# The hyperparameters that get a slider: key in param_groups → (label, kind). A "log" slider
# moves η and ε by factors; a "decay" slider moves a rate in [0, 1).
KNOBS = {
    "lr": ("η", "log"),
    "momentum": ("γ", "decay"),
    "alpha": ("γ", "decay"),
    "rho": ("ρ", "decay"),
    "beta1": ("β1", "decay"),
    "beta2": ("β2", "decay"),
    "eps": ("ε", "log"),
}


def _knob_values(group):
    """The slider-able hyperparameters of one param group, betas split into beta1 and beta2."""
    values = {}
    for key, value in group.items():
        if key == "betas":
            values["beta1"], values["beta2"] = (float(b) for b in value)
        elif key in KNOBS and isinstance(value, (int, float)) and not isinstance(value, bool):
            values[key] = float(value)
    if values.get("momentum") == 0.0:
        del values["momentum"]           # plain SGD: a γ slider would change the rule
    return values


def _apply(optimizer, values):
    """Write slider values into every param group (betas joined back into a pair)."""
    for group in optimizer.param_groups:
        for key, value in values.items():
            if key in ("beta1", "beta2"):
                beta1, beta2 = group["betas"]
                group["betas"] = (value, beta2) if key == "beta1" else (beta1, value)
            else:
                group[key] = value
    return optimizer


def _with_values(factory, values):
    return lambda params: _apply(factory(params), values)


def _starting_values(factory):
    """The hyperparameters an optimizer from `factory` really starts with (built on a dummy)."""
    from ..tensor import Tensor
    probe = factory([Tensor(np.zeros(2), requires_grad=True, dtype=np.float64)])
    return _knob_values(probe.param_groups[0])


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


class Interactive:
    """What `interact` returns: the sliders, the latest run and its picture.

    Attributes:
        values: `{label: {key: value}}`, the hyperparameters each optimizer runs with.
        sliders: `{label: {key: slider}}` (empty without ipywidgets); `shared` holds the
            `x`, `y` and `steps` sliders.
        result: the latest `{label: Trajectory}`; `figure` its matplotlib Figure.
        widget: the ipywidgets box a notebook shows (None without ipywidgets).
    """

    def __init__(self, surface, factories, steps, start):
        self.surface = surface
        self.factories = factories
        self.values = {label: _starting_values(factory) for label, factory in factories.items()}
        self.steps = steps
        self.start = tuple(float(v) for v in start)
        self.sliders, self.shared = {}, {}
        self.widget = self._image = None
        self.result = self.figure = None
        self.run()

    def run(self):
        """Run every optimizer with the current values and redraw; returns the result."""
        wrapped = {label: _with_values(factory, self.values[label])
                   for label, factory in self.factories.items()}
        self.result = trajectories(self.surface, wrapped, steps=self.steps, start=self.start)
        self.figure = plot_trajectories(self.result, self.surface, figsize=(6.5, 5))
        if self._image is not None:
            self._image.value = _png(self.figure)
        return self.result

    # ----------------------------------------------------------------- widgets
    def _build(self, widgets):
        def slider(label, value, kind):
            style = {"description_width": "initial"}
            layout = widgets.Layout(width="220px")
            if kind == "log":
                exponent = math.log10(value) if value > 0 else -8.0
                return widgets.FloatLogSlider(value=value, base=10, min=math.floor(exponent) - 2,
                                              max=math.ceil(exponent) + 1, step=0.05, description=label,
                                              continuous_update=False, readout_format=".2g",
                                              style=style, layout=layout)
            return widgets.FloatSlider(value=value, min=0.0, max=0.999, step=0.001, description=label,
                                       continuous_update=False, readout_format=".3f", style=style,
                                       layout=layout)

        rows = []
        for label, values in self.values.items():
            self.sliders[label] = {key: slider(KNOBS[key][0], value, KNOBS[key][1])
                                   for key, value in values.items()}
            for key, control in self.sliders[label].items():
                control.observe(self._changed(label, key), names="value")
            rows.append(widgets.HBox([widgets.Label(label, layout=widgets.Layout(width="110px"))]
                                     + list(self.sliders[label].values())))
        (x_min, x_max), (y_min, y_max) = self.surface.bounds
        common = dict(continuous_update=False, style={"description_width": "initial"})
        self.shared = {
            "x": widgets.FloatSlider(value=self.start[0], min=x_min, max=x_max, step=0.05,
                                     description="start x", **common),
            "y": widgets.FloatSlider(value=self.start[1], min=y_min, max=y_max, step=0.05,
                                     description="start y", **common),
            "steps": widgets.IntSlider(value=self.steps, min=1, max=max(1000, self.steps),
                                       description="steps", **common),
        }
        for control in self.shared.values():
            control.observe(self._shared_changed, names="value")
        self._image = widgets.Image(value=_png(self.figure), format="png")
        self.widget = widgets.VBox(rows + [widgets.HBox(list(self.shared.values())), self._image])
        return self

    def _changed(self, label, key):
        def callback(change):
            self.values[label][key] = float(change["new"])
            self.run()
        return callback

    def _shared_changed(self, change):
        self.start = (float(self.shared["x"].value), float(self.shared["y"].value))
        self.steps = int(self.shared["steps"].value)
        self.run()

    # ----------------------------------------------------------------- display
    def _repr_mimebundle_(self, **kwargs):
        if self.widget is not None:       # the sliders; a summary where no widget can show
            return {**self.widget._repr_mimebundle_(**kwargs), "text/plain": repr(self)}
        import base64
        return {"text/plain": MISSING_WIDGETS,
                "image/png": base64.b64encode(_png(self.figure)).decode("ascii")}

    def __repr__(self):
        finals = ", ".join(f"{label}: f={run.final_loss:.3g}" for label, run in self.result.items())
        return f"<Interactive {self.surface.name}, {self.steps} steps: {finals}>"


def interact(surface="beale", optimizers=RULE_NAMES, steps=200, start=None, lr=None):
    """Sliders for η, γ/β1, β2, ε of each optimizer, the start point and the step count;
    every change re-runs the real optimizers on `surface` and redraws their paths.

    Args:
        surface: a `Surface` or its name (`"beale"`, `"saddle"`, `"rosenbrock"`, ...).
        optimizers: rule names and/or `(label, factory)` pairs, or `{label: factory}` (as in
            `trajectories`); by default every rule of the notes.
        steps: the number of steps at the start (a slider changes it).
        start: (x, y) at the start; by default the surface's own.
        lr: learning rates for the named rules (a number or `{name: lr}`); by default the
            surface's `lrs`.

    Returns:
        An `Interactive`: shown in a notebook it is the sliders above the picture. Without
        ipywidgets it prints why and shows the picture of the starting values.

    Raises:
        ValueError: an unknown surface or optimizer name, or a bad learning rate or step count.
    """
    if isinstance(surface, str):
        surface = make_surface(surface)
    factories = optimizer_factories(optimizers, lr=lr, default_lrs=getattr(surface, "lrs", None))
    panel = Interactive(surface, factories, steps, surface.start if start is None else start)
    try:
        import ipywidgets
    except ImportError:
        print(MISSING_WIDGETS)
        return panel
    return panel._build(ipywidgets)
