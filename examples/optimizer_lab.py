"""The optimizer lab in one script: each story of the lecture notes as a picture.

    python examples/optimizer_lab.py --out lab_out              # the full run (~20 s)
    python examples/optimizer_lab.py --out lab_out --steps 20   # a quick look

writes into --out:
    beale.png         the five rules' paths on Beale's function (contours, start, minimum, ends)
    beale.gif         the same, animated
    beale_losses.png  their loss curves
    saddle.png        the saddle x² − y²: who escapes, who lingers
    sparse.png        the rare weight: SGD leaves it behind, AdaGrad moves it to its optimum
    step_sizes.png    histogram of each rule's effective per-weight step size on a sparse problem

and prints the sparse demo's table and each rule's step sizes. Needs matplotlib
(pip install "tinygrad_opt[plot]").
"""
import argparse
from pathlib import Path

import numpy as np

from tinygrad_opt import Tensor
from tinygrad_opt.data import make_sparse_regression
from tinygrad_opt.lab import (RULES, Beale, Saddle, animate_trajectories, inspect_step, plot_losses,
                              plot_rare_weight, plot_step_sizes, plot_trajectories, sparse_features_demo,
                              trajectories)

RULE_LABELS = {"sgd": "SGD", "momentum": "Momentum", "adagrad": "AdaGrad", "rmsprop": "RMSProp", "adam": "Adam"}
# Learning rates for the step-size histogram's problem (the sparse demo's, see lab.sparse).
HISTOGRAM_LRS = {"sgd": 0.4, "momentum": 0.04, "adagrad": 0.5, "rmsprop": 0.03, "adam": 0.1}


def positive_int(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def step_size_reports(steps):
    """Each rule's `inspect_step` report after `steps` steps on a linear regression with 40
    weights, 10 of whose inputs are non-zero in 2% of the samples."""
    rare = list(range(0, 40, 4))
    X, y, _ = make_sparse_regression(n_samples=1000, n_features=40, sparse_features=rare, seed=1)
    inputs, targets = Tensor(X, dtype=np.float64), Tensor(y, dtype=np.float64)
    reports = {}
    for name, cls in RULES.items():
        w = Tensor(np.zeros((40, 1)), requires_grad=True, dtype=np.float64, name="w")
        optimizer = cls([w], lr=HISTOGRAM_LRS[name])
        for _ in range(steps):
            optimizer.zero_grad()
            residual = inputs @ w - targets
            (residual * residual).mean().backward()
            with inspect_step(optimizer) as report:
                optimizer.step()
        reports[RULE_LABELS[name]] = report
        sizes = report[0].step_size[:, 0]
        dense = np.setdiff1d(np.arange(40), rare)
        print(f"  {RULE_LABELS[name]:<9} step size: rare weights {np.median(sizes[rare]):.3g}, "
              f"dense weights {np.median(sizes[dense]):.3g} (medians); ‖Δθ‖ = {report.update_norm:.3g}")
    return reports


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("optimizer_lab_out"), help="output folder")
    parser.add_argument("--steps", type=positive_int, default=300, help="steps on Beale and the saddle (default 300)")
    parser.add_argument("--sparse-steps", type=positive_int, default=30,
                        help="steps of the sparse demo and the step-size histogram (default 30)")
    parser.add_argument("--frames", type=positive_int, default=60, help="at most this many GIF frames (default 60)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    beale = Beale()
    result = trajectories(beale, list(RULES), steps=args.steps)
    plot_trajectories(result, beale, args.out / "beale.png")
    animate_trajectories(result, beale, args.out / "beale.gif", max_frames=max(2, args.frames))
    plot_losses(result, args.out / "beale_losses.png", title="Beale: loss per step")
    print(f"Beale, {args.steps} steps from {beale.start}:")
    for run in result.values():
        print(f"  {run.label:<9} lr {run.lr:<7g} end ({run.end[0]:.3f}, {run.end[1]:.3f})  loss {run.final_loss:.3g}")

    saddle = Saddle()
    plot_trajectories(trajectories(saddle, list(RULES), steps=args.steps), saddle, args.out / "saddle.png")

    demo = sparse_features_demo(list(RULES), steps=args.sparse_steps)
    print(demo)
    plot_rare_weight(demo, args.out / "sparse.png")

    print(f"effective step sizes of step {args.sparse_steps} on a sparse problem (10 rare of 40 weights):")
    reports = step_size_reports(args.sparse_steps)
    plot_step_sizes(reports, args.out / "step_sizes.png",
                    title=f"effective step sizes at step {args.sparse_steps}: 10 rare and 30 dense weights")

    written = ["beale.png", "beale.gif", "beale_losses.png", "saddle.png", "sparse.png", "step_sizes.png"]
    print("wrote " + ", ".join(str(args.out / name) for name in written))


if __name__ == "__main__":
    main()
