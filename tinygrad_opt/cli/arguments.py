"""What every command shares: the one-line errors, the argument types, the output-path checks.

Each argument type turns the text after an option into a value or raises UsageError naming
what was wrong; argparse lets UsageError through untouched, so the message reaches the user as
written. Output paths are checked before any work and without creating anything.
"""
import argparse
import math
import os
from pathlib import Path

from ..compare import DATASETS, DEFAULT_HIDDEN, NEEDS_DATA_ROOT, OPTIMIZERS, load_dataset
from ..data import ChecksumError

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
    """`sgd,adam` → ("sgd", "adam"): known names, none twice; `all` → every choice."""
    if text.strip().lower() == "all":
        return tuple(choices)
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


def rates_for(rates, optimizers):
    """learning_rate_map's result for the rules `optimizers` runs: {name: rate} (a bare number → every rule)."""
    rates = dict(rates)
    everyone = rates.pop("*", None)
    unused = sorted(set(rates) - set(optimizers))
    if unused:
        raise UsageError(f"--lr sets {', '.join(unused)}, which --optimizers does not run "
                         f"({', '.join(optimizers)})")
    return {name: everyone for name in optimizers} if everyone is not None else rates


def dataset_name(text):
    name = text.strip().lower()
    if name not in DATASETS:
        raise UsageError(f"unknown dataset {text!r} (choose from {', '.join(DATASETS)})")
    return name


def hidden_sizes(text):
    """`64,32` → (64, 32); an empty string means no hidden layer (softmax regression)."""
    if not text.strip():
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:  # a word, or an empty part as in `64,,32` or `,,,`
        sizes = None
    if sizes is None or any(size <= 0 for size in sizes):
        raise UsageError(f'--hidden must be positive layer sizes separated by commas, like 64,32 (or "" for '
                         f"none); got {text!r}")
    return sizes


# ------------------------------------------------------------------ sizes
# A size the machine cannot hold is refused before anything is allocated.

def check_memory(nbytes, what):
    """Raise UsageError when `nbytes` is more than this machine's physical memory."""
    total = physical_memory()
    if total is not None and nbytes > total:
        raise UsageError(f"{what} needs {_in_units(nbytes)}, more than this machine's memory ({_in_units(total)})")


def physical_memory():
    """Bytes of physical memory, or None where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _in_units(nbytes):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if nbytes < 1024 or unit == "TiB":
            return f"{nbytes:.3g} {unit}" if unit != "bytes" else f"{nbytes} bytes"
        nbytes /= 1024


# ------------------------------------------------------------------ output paths

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


def make_dirs(path):
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


def fill_model_defaults(args, batch_size_default):
    args.dataset = "digits" if args.dataset is None else args.dataset
    args.hidden = DEFAULT_HIDDEN if args.hidden is None else args.hidden
    args.batch_size = batch_size_default if args.batch_size is None else args.batch_size
    args.seed = 0 if args.seed is None else args.seed


def check_data_arguments(args):
    if args.dataset in NEEDS_DATA_ROOT and args.data_root is None:
        raise UsageError(f"--dataset {args.dataset} needs --data-root DIR, the folder holding its IDX .gz files")
    if args.data_root is not None and not args.download and not Path(args.data_root).is_dir():
        raise UsageError(f"--data-root {args.data_root!r} is not a directory")


def load_data(args):
    try:
        return load_dataset(args.dataset, seed=args.seed, data_root=args.data_root, download=args.download)
    except (OSError, ValueError, ChecksumError) as error:
        raise CommandError(f"cannot load the {args.dataset} data: {error}") from None


def check_model_size(data, hidden):
    """Refuse an MLP whose weights alone would not fit in memory, before building it."""
    widths = (data.n_features, *hidden, data.n_classes)
    n_parameters = sum((n_in + 1) * n_out for n_in, n_out in zip(widths, widths[1:]))
    check_memory(4 * n_parameters, f"--hidden {','.join(map(str, hidden))}: the MLP "
                                   f"{' -> '.join(map(str, widths))} ({n_parameters:.3g} float32 weights)")


def say(args, *lines):
    if not getattr(args, "quiet", False):
        for line in lines:
            print(line, flush=True)
