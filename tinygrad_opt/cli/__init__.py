"""The `tinygrad-opt` command (also `python -m tinygrad_opt`).

    tinygrad-opt compare                  # the five rules on the digits: table, JSON, plot
    tinygrad-opt train --optimizer adam   # one model, with a checkpoint; --resume continues
    tinygrad-opt graph --out graph.svg    # the graph of one training step, with gradients
    tinygrad-opt trajectories --surface beale --out beale.png   # the rules' paths (tinygrad_opt.lab)
    tinygrad-opt explain --optimizer adam --steps 3              # each step in the rule's equations, with numbers
    tinygrad-opt curvature --surface bowl --out bowl.png        # 2/λmax, Newton, sharpness (lab.curvature)
    tinygrad-opt sweep --lrs 1e-4:1:13 --seeds 5                # every rule × η × seed, in SQLite

One module per command, beside `arguments.py`, what they all share (UsageError and
CommandError, the argument types, the output-path checks). A command module has two functions:

    def add_command(subparsers):   # declare the subcommand and its options; set_defaults(handler=run)
    def run(args):                 # check every argument, do the work, return the exit code

To add a command, write such a module and add it to COMMANDS below: that is the one place.
Handlers check every argument (and every output path) before any work starts, so a mistake
costs a one-line error, never a half-written result:

    tinygrad-opt: error: unknown optimizer 'sgdd' (choose from sgd, momentum, adagrad, rmsprop, adam, adamw)

Exit codes: 0 done, 1 the work failed (e.g. the loss diverged), 2 bad arguments, 130 Ctrl-C.
The library never imports this package: the command line sits on top of everything.
"""
import argparse
import sys

import numpy as np

from .. import __version__
from . import compare, curvature, explain, graph, sweep, train, trajectories
from .arguments import PROG, ArgumentParser, CommandError, UsageError

__all__ = ["main", "build_parser", "UsageError", "CommandError", "COMMANDS"]

# The commands, in the order `tinygrad-opt --help` lists them.
COMMANDS = (compare, train, graph, trajectories, explain, curvature, sweep)


def build_parser():
    parser = ArgumentParser(
        prog=PROG,
        description="Train small MLPs with tinygrad_opt and compare the optimizers SGD, Momentum, AdaGrad, "
                    "RMSProp and Adam.",
        epilog=f"Run '{PROG} COMMAND --help' for a command's options.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    for command in COMMANDS:
        command.add_command(subparsers)
    return parser


def main(argv=None):
    """Run the command line `argv` (default: sys.argv[1:]) and return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            names = ", ".join(subparsers_names(parser))
            raise UsageError(f"choose a command: {names} (see {PROG} --help)")
        # A diverging run overflows on its way to a non-finite loss; fit reports that loss as one
        # clear error, so numpy's warnings about the same overflow would only be noise.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return args.handler(args)
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except CommandError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except FloatingPointError as error:  # fit's NonFiniteLossError / NonFiniteWeightsError: it says what to do
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except MemoryError:  # sizes are checked against the machine's memory first; this is what slips past
        print(f"{PROG}: error: out of memory (try smaller sizes)", file=sys.stderr)
        return 1
    except OSError as error:  # writing results failed (disk full, permissions changed meanwhile)
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def subparsers_names(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []

