"""`tinygrad-opt curvature`: the curvature lab's pictures, from the command line.

    tinygrad-opt curvature --surface bowl --out bowl.png          # 2/λmax, GD below and above it, Momentum's √κ
    tinygrad-opt curvature --surface rosenbrock --out newton.png  # Newton's method beside the five rules
    tinygrad-opt curvature --surface digits --out sharpness.png   # λmax of the digits MLP over training vs 2/η

It prints the numbers behind the picture (eigenvalues, κ, learning rates; end points; λmax)
and writes it. The work is `tinygrad_opt.lab.curvature`'s, which knows nothing of this.
"""
from pathlib import Path

from .arguments import CommandError, UsageError, check_writable_file, positive_int

SURFACES = ("bowl", "saddle", "rosenbrock", "beale", "digits")
IMAGE_SUFFIXES = (".png", ".svg", ".pdf")


def _surface_name(text):
    name = text.strip().lower()
    if name not in SURFACES:
        raise UsageError(f"unknown surface {text!r} (choose from {', '.join(SURFACES)})")
    return name


def _kappa(text):
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 1 or value == float("inf"):
        raise UsageError(f"--kappa must be a number > 1, got {text!r}")
    return value


def add_command(subparsers):
    """Declare `tinygrad-opt curvature` and its options on `subparsers`; returns the parser."""
    parser = subparsers.add_parser(
        "curvature", help="draw what the Hessian says: stable step sizes, Newton's method, sharpness",
        description="The curvature lab: on the quadratic bowl, the largest stable learning rate 2/λmax and "
                    "Momentum's √κ speed-up; on saddle, rosenbrock and beale, Newton's method beside the five "
                    "rules; on digits, the top Hessian eigenvalue of an MLP during gradient descent against 2/η. "
                    'Needs matplotlib (pip install "tinygrad_opt[plot]").')
    parser.add_argument("--surface", type=_surface_name, default="bowl", metavar="NAME",
                        help=f"one of {', '.join(SURFACES)} (default: bowl)")
    parser.add_argument("--out", default=None, metavar="FILE", help="the picture (default: curvature-SURFACE.png)")
    parser.add_argument("--steps", type=positive_int("--steps"), default=None, metavar="N",
                        help="steps per run (default: 60 on the bowl, 300 elsewhere)")
    parser.add_argument("--kappa", type=_kappa, default=10.0, metavar="K",
                        help="the bowl's condition number κ (default: 10)")
    parser.set_defaults(handler=run)
    return parser


def run(args):
    """Check the arguments, compute, print the numbers, write the picture."""
    out = check_writable_file(args.out if args.out is not None else f"curvature-{args.surface}.png", "--out")
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        raise UsageError(f"--out {str(out)!r}: expected a file ending in {', '.join(IMAGE_SUFFIXES)}")
    try:
        from ..lab import plot_curvature
    except ImportError as error:
        raise CommandError(str(error)) from None
    from ..lab.curvature import bowl_curvature, sharpness_during_training
    from .trajectories import _summary

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    if args.surface == "bowl":
        c = bowl_curvature(args.kappa)
        print(f"bowl f = ½(x² + {args.kappa:g}y²): Hessian eigenvalues {c.eigenvalues[0]:g}, {c.eigenvalues[1]:g}; "
              f"κ = {c.condition_number:g}")
        print(f"  largest stable learning rate 2/λmax = {c.max_stable_lr:.4g}")
        print(f"  GD, best η = 2/(λmin + λmax) = {c.best_sgd_lr:.4g}: error × {c.sgd_rate:.4f} per step")
        print(f"  Momentum, η = {c.momentum_lr:.4g}, γ = {c.momentum:.4g}: error × {c.momentum_rate:.4f} per step")
        plot_curvature.plot_bowl_curvature(out, kappa=args.kappa, steps=args.steps or 60)
    elif args.surface == "digits":
        runs = sharpness_during_training(steps=args.steps or 300)
        for r in runs.values():
            print(f"  GD η = {r.lr:g}: λmax {r.sharpness[0]:.3g} at the start, {r.sharpness.max():.3g} at most, "
                  f"{r.sharpness[-1]:.3g} at the end; 2/η = {r.threshold:.3g}; final loss {r.losses[-1]:.4g}")
        plot_curvature.plot_sharpness(out, runs=runs)
    else:
        _, result = plot_curvature.plot_newton(args.surface, out, steps=args.steps or 300)
        from ..lab.surfaces import make_surface
        for line in _summary(result, make_surface(args.surface)):
            print(line)
    print(f"wrote {out}")
    return 0
