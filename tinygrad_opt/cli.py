"""The `tinygrad-opt` command (also `python -m tinygrad_opt`).

    tinygrad-opt compare                  # the five rules on the digits: table, JSON, plot
    tinygrad-opt train --optimizer adam   # one model, with a checkpoint; --resume continues
    tinygrad-opt graph --out graph.svg    # the graph of one training step, with gradients
    tinygrad-opt trajectories --surface beale --out beale.png   # the rules' paths (tinygrad_opt.lab)

Each command is an `add_<name>_command(subparsers)` function that declares its arguments and
sets `handler`, plus the handler `run_<name>(args) -> exit code`; adding a command is adding
one such pair to COMMANDS. Handlers check every argument (and every output path) before any
work starts, so a mistake costs a one-line error, never a half-written result:

    tinygrad-opt: error: unknown optimizer 'sgdd' (choose from sgd, momentum, adagrad, rmsprop, adam, adamw)

Exit codes: 0 done, 1 the work failed (e.g. the loss diverged), 2 bad arguments, 130 Ctrl-C.
"""
import argparse
import math
import os
from pathlib import Path
import shutil
import sys

import numpy as np

from . import __version__, load, manual_seed, nn, save
from .compare import (DATASETS, DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_HIDDEN, DEFAULT_LR,
                      DEFAULT_OPTIMIZERS, NEEDS_DATA_ROOT, OPTIMIZERS, build_mlp, compare_optimizers,
                      format_table, load_dataset, make_optimizer, plot_comparison, write_histories)
from .data import ChecksumError, DataLoader
from .lab.cli import add_trajectories_command
from .tensor import Tensor
from .train import History, fit

PROG = "tinygrad-opt"


class UsageError(Exception):
    """A bad command line: reported as one line, exit code 2."""


class CommandError(Exception):
    """The work itself failed (data missing, loss diverged): one line, exit code 1."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but every mistake becomes a UsageError: one line, no usage dump."""

    def error(self, message):
        raise UsageError(message)


# ------------------------------------------------------------------ argument types
# Each turns the text after an option into a value or raises UsageError naming what was wrong.
# argparse lets UsageError through untouched, so the message reaches the user as written.

def positive_int(option):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise UsageError(f"{option} must be a positive integer, got {text!r}") from None
        if value <= 0:
            raise UsageError(f"{option} must be a positive integer, got {text!r}")
        return value
    return parse


def non_negative_int(option):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise UsageError(f"{option} must be an integer >= 0, got {text!r}") from None
        if value < 0:
            raise UsageError(f"{option} must be an integer >= 0, got {text!r}")
        return value
    return parse


def learning_rate(text, optimizer=None):
    """A positive finite number."""
    where = f" for {optimizer}" if optimizer else ""
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"learning rate{where} must be a positive number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"learning rate{where} must be a positive number, got {text!r}")
    return value


def optimizer_name(text, choices=OPTIMIZERS):
    name = text.strip().lower()
    if name not in choices:
        raise UsageError(f"unknown optimizer {text!r} (choose from {', '.join(choices)})")
    return name


def optimizer_list(text, choices=OPTIMIZERS):
    """`sgd,adam` → ("sgd", "adam"): known names, none twice."""
    names = tuple(optimizer_name(part, choices) for part in text.split(",") if part.strip())
    if not names:
        raise UsageError("--optimizers needs at least one optimizer name")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UsageError(f"--optimizers names {', '.join(repeated)} more than once")
    return names


def learning_rate_map(text, choices=OPTIMIZERS, example="adam=0.01,sgd=0.1"):
    """`adam=0.01,sgd=0.1` → {"adam": 0.01, "sgd": 0.1}; a bare `0.01` → {"*": 0.01} (every rule)."""
    if "=" not in text:
        return {"*": learning_rate(text)}
    rates = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, separator, value = part.partition("=")
        if not separator:
            raise UsageError(f"--lr expects name=value pairs like {example}, got {part!r}")
        name = optimizer_name(name, choices)
        rates[name] = learning_rate(value.strip(), name)
    return rates


def dataset_name(text):
    name = text.strip().lower()
    if name not in DATASETS:
        raise UsageError(f"unknown dataset {text!r} (choose from {', '.join(DATASETS)})")
    return name


def hidden_sizes(text):
    """`64,32` → (64, 32); an empty string means no hidden layer (softmax regression)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    try:
        sizes = tuple(int(part) for part in parts)
    except ValueError:
        sizes = None
    if sizes is None or any(size <= 0 for size in sizes):
        raise UsageError(f"--hidden must be positive layer sizes separated by commas, like 64,32; got {text!r}")
    return sizes


# ------------------------------------------------------------------ output paths
# Checked before any work and without creating anything; created only when written.

def _nearest_existing(path):
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_writable_dir(path, option):
    """`path` is, or can be created as, a directory we may write into."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {str(path)!r} exists and is not a directory")
    ancestor = _nearest_existing(path)
    if not ancestor.is_dir():
        raise UsageError(f"cannot create {option} {str(path)!r}: {str(ancestor)!r} is not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write to {option} {str(path)!r}: {str(ancestor)!r} is not writable")
    return path


def check_writable_file(path, option):
    """`path` is, or can be created as, a file we may write."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{option} {str(path)!r} is a directory, expected a file name")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"cannot write {option} {str(path)!r}: permission denied")
    check_writable_dir(path.parent, f"the folder of {option}")
    return path


def _make_dirs(path):
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"cannot create {str(path)!r}: {error.strerror or error}") from None


# ------------------------------------------------------------------ shared pieces

def add_model_arguments(parser, batch_size_default):
    """--dataset, --data-root, --download, --hidden, --batch-size, --seed: what builds the MLP and its data."""
    parser.add_argument("--dataset", type=dataset_name, default=None, metavar="NAME",
                        help=f"data set: {', '.join(DATASETS)} (default: digits)")
    parser.add_argument("--data-root", default=None, metavar="DIR",
                        help="folder of the MNIST / Fashion-MNIST IDX .gz files (needed for those data sets)")
    parser.add_argument("--download", action="store_true",
                        help="fetch missing MNIST / Fashion-MNIST files into --data-root (checksums verified)")
    parser.add_argument("--hidden", type=hidden_sizes, default=None, metavar="SIZES",
                        help=f"hidden-layer sizes, comma separated (default: {','.join(map(str, DEFAULT_HIDDEN))})")
    parser.add_argument("--batch-size", type=positive_int("--batch-size"), default=None, metavar="N",
                        help=f"mini-batch size (default: {batch_size_default})")
    parser.add_argument("--seed", type=non_negative_int("--seed"), default=None, metavar="N",
                        help="seed of the initial weights, the split and the batch order (default: 0)")


def _fill_model_defaults(args, batch_size_default):
    args.dataset = "digits" if args.dataset is None else args.dataset
    args.hidden = DEFAULT_HIDDEN if args.hidden is None else args.hidden
    args.batch_size = batch_size_default if args.batch_size is None else args.batch_size
    args.seed = 0 if args.seed is None else args.seed


def _check_data_arguments(args):
    if args.dataset in NEEDS_DATA_ROOT and args.data_root is None:
        raise UsageError(f"--dataset {args.dataset} needs --data-root DIR, the folder holding its IDX .gz files")
    if args.data_root is not None and not args.download and not Path(args.data_root).is_dir():
        raise UsageError(f"--data-root {args.data_root!r} is not a directory")


def _load_data(args):
    try:
        return load_dataset(args.dataset, seed=args.seed, data_root=args.data_root, download=args.download)
    except (OSError, ValueError, ChecksumError) as error:
        raise CommandError(f"cannot load the {args.dataset} data: {error}") from None


def _say(args, *lines):
    if not getattr(args, "quiet", False):
        for line in lines:
            print(line, flush=True)


# ------------------------------------------------------------------ compare

def add_compare_command(subparsers):
    parser = subparsers.add_parser(
        "compare", help="train the same MLP with each optimizer and compare them",
        description="Train the same MLP from the same initial weights with each optimizer, on the same "
                    "batches; print a table and write histories.json and comparison.png to --out.")
    add_model_arguments(parser, DEFAULT_BATCH_SIZE)
    parser.add_argument("--optimizers", type=optimizer_list, default=DEFAULT_OPTIMIZERS, metavar="NAMES",
                        help=f"comma-separated, from {', '.join(OPTIMIZERS)} "
                             f"(default: {','.join(DEFAULT_OPTIMIZERS)})")
    parser.add_argument("--lr", type=learning_rate_map, default={}, metavar="RATES",
                        help="learning rates per optimizer, like adam=0.01,sgd=0.1, or one number for all "
                             f"(defaults: {', '.join(f'{k}={v:g}' for k, v in DEFAULT_LR.items())})")
    parser.add_argument("--epochs", type=positive_int("--epochs"), default=DEFAULT_EPOCHS, metavar="N",
                        help=f"epochs per optimizer (default: {DEFAULT_EPOCHS})")
    parser.add_argument("--out", default="compare_out", metavar="DIR",
                        help="output folder for histories.json and comparison.png (default: compare_out)")
    parser.add_argument("--quiet", action="store_true", help="print only the table")
    parser.set_defaults(handler=run_compare)
    return parser


def run_compare(args):
    _fill_model_defaults(args, DEFAULT_BATCH_SIZE)
    _check_data_arguments(args)
    rates = dict(args.lr)
    everyone = rates.pop("*", None)
    unused = sorted(set(rates) - set(args.optimizers))
    if unused:
        raise UsageError(f"--lr sets {', '.join(unused)}, which --optimizers does not run "
                         f"({', '.join(args.optimizers)})")
    if everyone is not None:
        rates = {name: everyone for name in args.optimizers}
    out = check_writable_dir(args.out, "--out")

    data = _load_data(args)
    _say(args, f"{data.name}: {len(data.X_train)} training and {len(data.X_test)} test samples, "
               f"{data.n_features} features, {data.n_classes} classes; "
               f"MLP {' -> '.join(map(str, (data.n_features, *args.hidden, data.n_classes)))}")

    def report(result):
        status = f"diverged at {result.diverged_at}" if result.diverged else \
            f"test accuracy {result.test_accuracy:.4f}"
        _say(args, f"  {result.optimizer:<9} lr {result.lr:<8g} {status} ({result.seconds:.1f} s)")

    results = compare_optimizers(data, args.optimizers, rates, hidden=args.hidden, epochs=args.epochs,
                                 batch_size=args.batch_size, seed=args.seed, on_result=report)
    print(format_table(results))

    _make_dirs(out)
    config = {"dataset": data.name, "hidden": list(args.hidden), "optimizers": list(args.optimizers),
              "epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed,
              "n_train": len(data.X_train), "n_test": len(data.X_test),
              "n_features": data.n_features, "n_classes": data.n_classes}
    write_histories(results, out / "histories.json", config)
    written = [out / "histories.json"]
    try:
        plot_comparison(results, out / "comparison.png",
                        title=f"{data.name}: MLP {'-'.join(map(str, (data.n_features, *args.hidden, data.n_classes)))}, "
                              f"batch {args.batch_size}, the same initial weights for every rule")
        written.append(out / "comparison.png")
    except ImportError:
        print('matplotlib is not installed, so comparison.png was not drawn: pip install "tinygrad_opt[plot]"',
              file=sys.stderr)
    print("wrote " + ", ".join(str(path) for path in written))
    for result in results:
        if result.diverged:
            print(f"{result.optimizer} diverged: {result.diverged}", file=sys.stderr)
    return 0


# ------------------------------------------------------------------ train

TRAIN_DEFAULT_BATCH_SIZE = 32
TRAIN_DEFAULT_EPOCHS = 10
CHECKPOINT_KIND = "tinygrad-opt train checkpoint"
# What a checkpoint fixes: a resumed run must use the same, or it would not be a continuation.
RUN_SETTINGS = ("dataset", "data_root", "hidden", "optimizer", "lr", "batch_size", "seed")


def add_train_command(subparsers):
    parser = subparsers.add_parser(
        "train", help="train one MLP with one optimizer, saving a checkpoint after every epoch",
        description="Train one MLP with one optimizer, showing a progress bar; a checkpoint (model, optimizer, "
                    "epoch, settings, history) is written after every epoch. --resume continues from it: "
                    "the settings come from the checkpoint and the run continues exactly as if it had never "
                    "stopped.")
    add_model_arguments(parser, TRAIN_DEFAULT_BATCH_SIZE)
    parser.add_argument("--optimizer", type=optimizer_name, default=None, metavar="NAME",
                        help=f"one of {', '.join(OPTIMIZERS)} (default: adam)")
    parser.add_argument("--lr", type=learning_rate, default=None, metavar="RATE",
                        help="learning rate (default: the optimizer's tuned rate, as in compare)")
    parser.add_argument("--epochs", type=positive_int("--epochs"), default=TRAIN_DEFAULT_EPOCHS, metavar="N",
                        help=f"train until this many epochs are done in total (default: {TRAIN_DEFAULT_EPOCHS})")
    parser.add_argument("--checkpoint", default="checkpoint.npz", metavar="FILE",
                        help="checkpoint file written after every epoch (default: checkpoint.npz)")
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, only the final line")
    parser.set_defaults(handler=run_train)
    return parser


def _read_checkpoint(path):
    if not Path(path).is_file():
        raise UsageError(f"--resume: no checkpoint at {str(path)!r}")
    try:
        checkpoint = load(path)
    except Exception as error:  # any unreadable file: the loader's own message says what is wrong
        raise UsageError(f"--resume: cannot read checkpoint {str(path)!r}: {error}") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("kind") != CHECKPOINT_KIND:
        raise UsageError(f"--resume: {str(path)!r} is not a checkpoint written by {PROG} train")
    return checkpoint


def _settings_from_checkpoint(args, checkpoint):
    """Take the run's settings from the checkpoint; an option given on the command line must agree."""
    saved = dict(checkpoint["settings"])
    saved["hidden"] = hidden_sizes(saved["hidden"])
    saved["data_root"] = saved["data_root"] or None
    for setting in RUN_SETTINGS:
        given = getattr(args, setting)
        if given is not None and given != saved[setting]:
            option = "--" + setting.replace("_", "-")
            raise UsageError(f"the checkpoint was trained with {option} {_show(saved[setting])}, not "
                             f"{_show(given)}; drop {option} to resume, or train afresh without --resume")
        setattr(args, setting, saved[setting])


def _show(value):
    """A setting as it is typed on the command line (hidden sizes as 64,32; none as "")."""
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or '""'
    return str(value)


def run_train(args):
    checkpoint = None
    if args.resume:
        checkpoint = _read_checkpoint(args.checkpoint)
        _settings_from_checkpoint(args, checkpoint)
    else:
        _fill_model_defaults(args, TRAIN_DEFAULT_BATCH_SIZE)
        args.optimizer = args.optimizer or "adam"
        args.lr = DEFAULT_LR[args.optimizer] if args.lr is None else args.lr
    _check_data_arguments(args)
    checkpoint_path = check_writable_file(args.checkpoint, "--checkpoint")

    data = _load_data(args)
    manual_seed(args.seed)
    model = build_mlp(data.n_features, args.hidden, data.n_classes)
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr)
    history = History()
    if checkpoint is not None:
        try:
            model.load_state_dict(checkpoint["model"])
            optimizer.load_state_dict(checkpoint["optimizer"])
        except (KeyError, ValueError, RuntimeError) as error:
            raise UsageError(f"--resume: the checkpoint does not fit this model: {error}") from None
        history = History.from_dict(checkpoint["history"])
    done = len(history)
    if done >= args.epochs:
        print(f"the checkpoint has {done} epochs, --epochs asks for {args.epochs}: nothing to do "
              f"(raise --epochs to train on)")
        return 0

    settings = {setting: getattr(args, setting) for setting in RUN_SETTINGS}
    settings["hidden"] = ",".join(map(str, args.hidden))
    settings["data_root"] = args.data_root or ""
    progress = not args.quiet
    log_epochs = progress and not _stderr_is_terminal()  # the bar already shows them on a terminal
    _say(args, f"training MLP {' -> '.join(map(str, (data.n_features, *args.hidden, data.n_classes)))} "
               f"on {data.name} with {args.optimizer} (lr {args.lr:g}), epochs {done + 1}..{args.epochs}")

    def save_checkpoint(epoch, history):
        _make_dirs(checkpoint_path.parent)
        save({"kind": CHECKPOINT_KIND, "epoch": epoch, "settings": settings, "model": model.state_dict(),
              "optimizer": optimizer.state_dict(), "history": history.to_dict()}, checkpoint_path)
        if log_epochs:
            print(_epoch_line(epoch, history), flush=True)

    for epoch in range(done, args.epochs):
        # One loader per epoch, seeded by (seed, epoch): epoch k sees the same batches whether or
        # not the run stopped and resumed before it.
        batches = DataLoader(data.X_train, data.y_train, batch_size=args.batch_size, shuffle=True,
                             seed=[args.seed, epoch])
        fit(model, nn.CrossEntropyLoss(), optimizer, batches, 1, val=(data.X_test, data.y_test),
            progress=progress, history=history, callbacks=[save_checkpoint])
    print(f"done after {len(history)} epoch{'s' if len(history) > 1 else ''}: test accuracy {history.val_accuracy[-1]:.4f}, "
          f"training loss {history.loss[-1]:.4f}; checkpoint {checkpoint_path}")
    return 0


def _epoch_line(epoch, history):
    return (f"epoch {epoch}: loss {history.loss[-1]:.4f} accuracy {history.accuracy[-1]:.4f} "
            f"test loss {history.val_loss[-1]:.4f} test accuracy {history.val_accuracy[-1]:.4f} "
            f"({history.time[-1]:.2f} s)")


def _stderr_is_terminal():
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


# ------------------------------------------------------------------ graph

GRAPH_FORMATS = (".svg", ".png", ".pdf", ".dot", ".gv")


def add_graph_command(subparsers):
    parser = subparsers.add_parser(
        "graph", help="draw the computation graph of one training step of the MLP",
        description="Run one training step's forward and backward pass of the MLP on one mini-batch and draw "
                    "its graph, with values and gradients, to --out (format from the extension: "
                    f"{', '.join(GRAPH_FORMATS)}; all but .dot and .gv need the Graphviz 'dot' program).")
    add_model_arguments(parser, 4)
    parser.add_argument("--out", default="graph.svg", metavar="FILE", help="output file (default: graph.svg)")
    parser.add_argument("--collapse", action="store_true", help="draw each layer as one node")
    parser.set_defaults(handler=run_graph)
    return parser


def run_graph(args):
    from . import viz  # only this command needs graphviz

    _fill_model_defaults(args, 4)
    _check_data_arguments(args)
    out = check_writable_file(args.out, "--out")
    if out.suffix.lower() not in viz.FORMATS:
        raise UsageError(f"--out {args.out!r}: unknown format {out.suffix or '(none)'!r} "
                         f"(choose from {', '.join(viz.FORMATS)})")
    if viz.FORMATS[out.suffix.lower()] is not None and shutil.which("dot") is None:
        raise UsageError(f"drawing {out.suffix} needs the Graphviz 'dot' program: install it "
                         "(apt-get install graphviz, brew install graphviz) or write a .dot file")

    data = _load_data(args)
    manual_seed(args.seed)
    model = build_mlp(data.n_features, args.hidden, data.n_classes)
    x = Tensor(data.X_train[:args.batch_size], name="x")
    labels = Tensor(data.y_train[:args.batch_size], name="labels")
    loss = nn.CrossEntropyLoss()(model(x), labels)
    loss.name = "loss"
    loss.backward()  # so every parameter's node shows its gradient too
    graph = viz.draw_graph(loss, model, collapse=args.collapse)
    _make_dirs(out.parent)
    viz.save(graph, out)
    print(f"wrote {out} (loss {loss.item():.4f}, batch of {args.batch_size})")
    return 0


# ------------------------------------------------------------------ main

COMMANDS = (add_compare_command, add_train_command, add_graph_command, add_trajectories_command)


def build_parser():
    parser = ArgumentParser(
        prog=PROG,
        description="Train small MLPs with tinygrad_opt and compare the optimizers SGD, Momentum, AdaGrad, "
                    "RMSProp and Adam.",
        epilog=f"Run '{PROG} COMMAND --help' for a command's options.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    for add_command in COMMANDS:
        add_command(subparsers)
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
    except FloatingPointError as error:  # train.NonFiniteLossError: the message says what to do
        print(f"{PROG}: error: {error}", file=sys.stderr)
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


if __name__ == "__main__":
    sys.exit(main())
