"""The optimizer lab: the lecture notes' stories about each rule, made runnable and visible.

- `surfaces`: 2-D loss surfaces with known minima (bowl, saddle, Rosenbrock, Beale, Himmelblau),
  written with Tensor ops so autograd gives their gradients.
- `trajectories`: run any optimizers from the same start on a surface; each path and loss curve.
- `sparse`: the notes' case for AdaGrad — a weight whose input is rarely non-zero.
- `step_sizes`: `inspect_step`, the effective per-element learning rate of one step.
- `curvature`: the Hessian's say — the bowl's largest stable learning rate 2/λ_max and
  Momentum's √κ, Newton's method, the top eigenvalue of a network's Hessian by power
  iteration with Hessian-vector products (`plot_curvature` draws them).
- `plot`: contour maps with paths, animated GIFs, loss curves, step-size histograms
  (matplotlib, the `plot` extra, imported only when drawing).
- `interact`: ipywidgets sliders for η, γ/β1, β2, ε, the start and the steps that re-run the
  optimizers and redraw their paths (the `notebook` extra).

    from tinygrad_opt.lab import Beale, trajectories, plot_trajectories
    result = trajectories(Beale(), ["sgd", "momentum", "adagrad", "rmsprop", "adam"], steps=300)
    plot_trajectories(result, Beale(), "beale.png")
"""
from .surfaces import (SURFACES, Beale, Himmelblau, QuadraticBowl, Rosenbrock, Saddle, Surface,
                       make_surface)
from .rules import DEFAULT_LRS, RULE_NAMES, RULES, optimizer_factories
from .trajectories import Trajectory, trajectories
from .sparse import SPARSE_LRS, SparseDemo, SparseRun, smooth_lr, sparse_features_demo
from .step_sizes import FORMULAS, ParamStep, StepReport, inspect_step
from .curvature import (BowlCurvature, FlatMLP, Newton, Sharpness, bowl_curvature, newton_factory,
                        sharpness_during_training, surface_hessian, top_hessian_eigenvalue)
from .plot import (animate_trajectories, plot_losses, plot_rare_weight, plot_step_sizes,
                   plot_trajectories)
from .interact import Interactive, interact

__all__ = [
    "Surface", "QuadraticBowl", "Saddle", "Rosenbrock", "Beale", "Himmelblau", "SURFACES",
    "make_surface",
    "RULES", "RULE_NAMES", "DEFAULT_LRS", "optimizer_factories",
    "Trajectory", "trajectories",
    "SparseRun", "SparseDemo", "sparse_features_demo", "smooth_lr", "SPARSE_LRS",
    "ParamStep", "StepReport", "inspect_step", "FORMULAS",
    "plot_trajectories", "animate_trajectories", "plot_losses", "plot_rare_weight",
    "plot_step_sizes",
    "BowlCurvature", "bowl_curvature", "surface_hessian", "Newton", "newton_factory",
    "top_hessian_eigenvalue", "FlatMLP", "Sharpness", "sharpness_during_training",
    "interact", "Interactive",
]
