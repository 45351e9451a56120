"""`tinygrad-opt trajectories`: the optimizer lab's paths on a 2-D surface, from the command line.

    tinygrad-opt trajectories --surface beale --optimizers sgd,momentum,adagrad,rmsprop,adam \\
        --steps 300 --out beale.png --gif beale.gif --lr adam=0.05 --start 1,1.5

It prints one line per optimizer (learning rate, end point, final loss, distance to the
nearest minimum, or where it diverged) and writes the contour plot (and the GIF). `run(args)`
checks all the arguments (and the output paths) before any work; a mistake is one line on
stderr with exit code 2. The work itself is `tinygrad_opt.lab`'s, which knows nothing of the
command line.
"""
import functools
import math
from pathlib import Path

import numpy as np

from ..lab.plot import _matplotlib, animate_trajectories, plot_trajectories
from ..lab.rules import RULE_NAMES
from ..optim import registry
from ..lab.surfaces import SURFACES, make_surface
from ..lab.trajectories import trajectories
from .arguments import (CommandError, UsageError, check_memory, check_writable_file, learning_rate_map,
                        optimizer_list, positive_int, rates_for)

DEFAULT_SURFACE = "beale"
DEFAULT_STEPS = 300
IMAGE_SUFFIXES = (".png", ".svg", ".pdf", ".jpg", ".jpeg")


def _surface_name(text):
    name = text.strip().lower()
    if name not in SURFACES:
        raise UsageError(f"unknown surface {text!r} (choose from {', '.join(SURFACES)})")
    return name


def _point(text):
    parts = text.split(",")
    try:
        values = tuple(float(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != 2 or not all(math.isfinite(value) for value in values):
        raise UsageError(f"--start must be two numbers x,y like 1,1.5; got {text!r}")
    return values


def add_command(subparsers):
    """Declare `tinygrad-opt trajectories` and its options on `subparsers`; returns the parser."""
    parser = subparsers.add_parser(
        "trajectories", help="draw the optimizers' paths on a 2-D test surface",
        description="Run each optimizer from the same start on a 2-D surface with known minima and draw "
                    "the paths over its contour map (PNG), optionally as an animated GIF. Needs matplotlib "
                    '(pip install "tinygrad_opt[plot]").')
    parser.add_argument("--surface", type=_surface_name, default=DEFAULT_SURFACE, metavar="NAME",
                        help=f"one of {', '.join(SURFACES)} (default: {DEFAULT_SURFACE})")
    parser.add_argument("--optimizers", type=functools.partial(optimizer_list, choices=registry.names()),
                        default=RULE_NAMES, metavar="NAMES",
                        help=f"comma-separated, from {', '.join(registry.names())}, or all "
                             f"(default: the notes' five, {','.join(RULE_NAMES)})")
    parser.add_argument("--steps", type=positive_int("--steps"), default=DEFAULT_STEPS, metavar="N",
                        help=f"steps per optimizer (default: {DEFAULT_STEPS})")
    parser.add_argument("--lr", type=functools.partial(learning_rate_map, choices=registry.names(),
                                               example="adam=0.05,sgd=0.01"), default={}, metavar="RATES",
                        help="learning rates like adam=0.05,sgd=0.01, or one number for all "
                             "(default: the surface's own, tuned per rule)")
    parser.add_argument("--start", type=_point, default=None, metavar="X,Y",
                        help="start point (default: the surface's); write --start=-1,2 when x is negative")
    parser.add_argument("--out", default=None, metavar="FILE",
                        help="the contour plot (default: SURFACE.png)")
    parser.add_argument("--gif", default=None, metavar="FILE", help="also write an animated GIF here")
    parser.set_defaults(handler=run)
    return parser


def _check_image(path, option, suffixes):
    path = check_writable_file(path, option)
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{option} {str(path)!r}: expected a file ending in {', '.join(suffixes)}")
    return path


def run(args):
    """Check the arguments, run `trajectories`, print a line per optimizer, write the pictures."""
    lr = rates_for(args.lr, args.optimizers)
    out = _check_image(args.out if args.out is not None else f"{args.surface}.png", "--out", IMAGE_SUFFIXES)
    gif = _check_image(args.gif, "--gif", (".gif",)) if args.gif is not None else None
    # Each rule keeps its path (x, y) and its loss per step, in float64.
    check_memory(len(args.optimizers) * (args.steps + 1) * 3 * 8, f"--steps {args.steps}")
    surface = make_surface(args.surface)
    start = args.start if args.start is not None else surface.start
    try:
        _matplotlib()
    except ImportError as error:
        raise CommandError(str(error)) from None

    result = trajectories(surface, args.optimizers, steps=args.steps, start=start, lr=lr)
    print(f"{surface.name}: {args.steps} steps from ({start[0]:g}, {start[1]:g})")
    for line in _summary(result, surface):
        print(line)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    plot_trajectories(result, surface, out)
    written = [out]
    if gif is not None:
        animate_trajectories(result, surface, gif)
        written.append(gif)
    print("wrote " + ", ".join(str(path) for path in written))
    return 0


def _summary(result, surface):
    for run in result.values():
        head = f"  {run.label:<9} lr {run.lr:<8g}"
        if run.diverged:
            yield f"{head} diverged at step {run.diverged_at}"
            continue
        x, y = run.end
        line = f"{head} end ({x:.4f}, {y:.4f})  loss {run.final_loss:.4g}"
        if surface.minima:
            distance = min(np.hypot(x - mx, y - my) for mx, my in surface.minima)
            line += f"  distance to the nearest minimum {distance:.3g}"
        yield line
