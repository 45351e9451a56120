"""The grid of a sweep: rules × learning rates × seeds (× swept hyperparameters), on one workload.

    workload = Workload.dataset("digits")                  # the MLP of `tinygrad-opt compare`
    trials = make_grid(workload, ["sgd", "adam"], parse_lrs("1e-4:1:13"), seeds=range(5),
                       sweep={"adam": {"betas": [(0.9, 0.999), (0.5, 0.999)]}})

A Trial is everything one training run depends on, and nothing it does not: its `key` is a
hash of that configuration, so the same arguments give the same keys on any machine and a
resumed sweep knows which trials it already has.
"""
import ast
import hashlib
import itertools
import json
import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from ..compare import DATASETS, DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_HIDDEN
from ..lab.surfaces import SURFACES
from .rules import rule_name, resolve_hyperparameters

__all__ = ["Workload", "Trial", "make_grid", "parse_lrs", "parse_set", "DEFAULT_SURFACE_STEPS"]

DEFAULT_SURFACE_STEPS = 300


@dataclass(frozen=True)
class Workload:
    """What every trial of a sweep trains.

    `kind` is `"dataset"` (an MLP with `hidden` layers trained for `epochs` epochs in batches of
    `batch_size`, as `tinygrad-opt compare` does) or `"surface"` (θ = (x, y) moved for `steps`
    steps on a 2-D surface of `tinygrad_opt.lab`, from its start nudged by the seed).
    """

    kind: str
    name: str
    hidden: tuple = ()
    epochs: int = 0
    batch_size: int = 0
    steps: int = 0
    data_root: str = None

    @classmethod
    def dataset(cls, name="digits", hidden=DEFAULT_HIDDEN, epochs=DEFAULT_EPOCHS,
                batch_size=DEFAULT_BATCH_SIZE, data_root=None):
        if name not in DATASETS:
            raise ValueError(f"unknown dataset {name!r} (choose from {', '.join(DATASETS)})")
        for option, value in (("epochs", epochs), ("batch_size", batch_size)):
            _check_positive_int(option, value)
        for size in hidden:
            _check_positive_int("hidden layer size", size)
        return cls("dataset", name, hidden=tuple(int(size) for size in hidden), epochs=int(epochs),
                   batch_size=int(batch_size), data_root=None if data_root is None else str(data_root))

    @classmethod
    def surface(cls, name, steps=DEFAULT_SURFACE_STEPS):
        if name not in SURFACES:
            raise ValueError(f"unknown surface {name!r} (choose from {', '.join(SURFACES)})")
        _check_positive_int("steps", steps)
        return cls("surface", name, steps=int(steps))

    def describe(self):
        """`digits MLP 256-128, 20 epochs, batch 32` or `beale, 300 steps`."""
        if self.kind == "surface":
            return f"{self.name}, {self.steps} steps"
        layers = "-".join(map(str, self.hidden)) or "linear"
        return f"{self.name} MLP {layers}, {self.epochs} epochs, batch {self.batch_size}"

    def config(self):
        """The fields that matter for this kind, as a JSON-ready dict."""
        if self.kind == "surface":
            return {"kind": self.kind, "name": self.name, "steps": self.steps}
        return {"kind": self.kind, "name": self.name, "hidden": list(self.hidden), "epochs": self.epochs,
                "batch_size": self.batch_size}


@dataclass(frozen=True)
class Trial:
    """One training run: a rule at one learning rate with one seed on the workload.

    `overrides` are the hyperparameters the sweep set (sorted (name, value) pairs, part of the
    rule's label); `hyperparameters` are all the rule uses besides `lr`, defaults included.
    """

    workload: Workload
    optimizer: str
    lr: float
    seed: int
    overrides: tuple = ()
    hyperparameters: tuple = field(default=(), compare=False)

    @property
    def label(self):
        """The rule as the tables and plots name it: `rmsprop` or `rmsprop alpha=0.9`."""
        return " ".join([self.optimizer] + [f"{name}={_text(value)}" for name, value in self.overrides])

    def config(self):
        """Everything the run depends on, as a JSON-ready dict."""
        return {"workload": self.workload.config(), "optimizer": self.optimizer, "lr": self.lr,
                "seed": self.seed, "hyperparameters": _jsonable(dict(self.hyperparameters))}

    @property
    def key(self):
        """A hash of `config()`: equal for equal trials, on any machine."""
        text = json.dumps(self.config(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:24]


def make_grid(workload, optimizers, lrs, seeds, sweep=None):
    """Every Trial of optimizers × lrs × seeds × (each rule's swept hyperparameter values).

    Args:
        workload: a Workload.
        optimizers: rule names.
        lrs: learning rates (positive numbers), the same for every rule.
        seeds: seeds (integers >= 0), or a count n meaning seeds 0 … n−1.
        sweep: `{rule: {hyperparameter: [values]}}`; every combination of a rule's values is a
            rule of its own in the tables (`rmsprop alpha=0.9`). Rules it leaves out keep
            their defaults.

    Returns:
        Trials ordered seed-major (all of seed 0 first), so a sweep cut short early still
        covers the whole grid of η once.

    Raises:
        ValueError: an unknown rule or hyperparameter, a value the rule rejects, a learning
            rate or seed out of range, or a duplicate.
    """
    optimizers = [rule_name(name) for name in optimizers]
    if not optimizers:
        raise ValueError("a sweep needs at least one optimizer")
    _check_unique("optimizers", optimizers)
    lrs = [_check_lr(lr) for lr in lrs]
    if not lrs:
        raise ValueError("a sweep needs at least one learning rate")
    _check_unique("learning rates", lrs)
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        _check_positive_int("seeds", seeds)
        seeds = range(int(seeds))
    seeds = [_check_seed(seed) for seed in seeds]
    _check_unique("seeds", seeds)
    sweep = {rule_name(name): values for name, values in (sweep or {}).items()}
    stray = sorted(set(sweep) - set(optimizers))
    if stray:
        raise ValueError(f"hyperparameters are set for {', '.join(stray)}, which the sweep does not run "
                         f"({', '.join(optimizers)})")

    settings = {name: _settings(sweep.get(name, {})) for name in optimizers}
    trials = []
    for seed in seeds:
        for name in optimizers:
            for overrides in settings[name]:
                for lr in lrs:
                    full = resolve_hyperparameters(name, lr, dict(overrides))
                    trials.append(Trial(workload, name, lr, seed, overrides, tuple(sorted(full.items()))))
    return trials


def _settings(values_by_name):
    """`{"alpha": [0.9, 0.99]}` → [(("alpha", 0.9),), (("alpha", 0.99),)]: every combination."""
    names = sorted(values_by_name)
    for name in names:
        if not values_by_name[name]:
            raise ValueError(f"no values given for {name}")
    return [tuple(zip(names, combination))
            for combination in itertools.product(*(values_by_name[name] for name in names))]


def parse_lrs(text):
    """`1e-4:1:13` → 13 log-spaced rates from 1e-4 to 1 (ends included); `0.1,0.01` → a list.

    Log-spaced rates are rounded to 12 significant digits, so the grid (and the trial keys)
    are the same on every platform.
    """
    text = str(text).strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ValueError(f"a learning-rate range is LOW:HIGH:COUNT like 1e-4:1:13, got {text!r}")
        low, high = (_check_lr(_number(part, text)) for part in parts[:2])
        try:
            count = int(parts[2])
        except ValueError:
            count = 0
        if count < 1 or (count == 1 and low != high):
            raise ValueError(f"the COUNT of {text!r} must be a whole number >= 2 (1 when LOW = HIGH)")
        if not low <= high:
            raise ValueError(f"the range {text!r} must go from the smaller rate to the larger")
        return [float(f"{value:.12g}") for value in np.logspace(math.log10(low), math.log10(high), count)]
    return [_check_lr(_number(part, text)) for part in text.split(",") if part.strip()]


def parse_set(texts):
    """`["rmsprop.alpha=0.9,0.99", "adam.betas=(0.9,0.999),(0.5,0.999)"]` → the `sweep` of make_grid.

    Each text is RULE.NAME=VALUES; VALUES are Python literals separated by commas outside
    brackets. Naming the same RULE.NAME twice is an error.
    """
    sweep = {}
    for text in texts:
        target, separator, values = text.partition("=")
        name, dot, parameter = target.strip().partition(".")
        if not separator or not dot or not name or not parameter.strip():
            raise ValueError(f"--set expects RULE.NAME=VALUES like rmsprop.alpha=0.9,0.99, got {text!r}")
        name, parameter = rule_name(name), parameter.strip()
        if parameter == "lr":
            raise ValueError("the learning rate is swept with --lrs, not --set")
        if parameter in sweep.get(name, {}):
            raise ValueError(f"--set names {name}.{parameter} twice")
        parsed = [_literal(part, text) for part in _split_top_level(values)]
        if not parsed:
            raise ValueError(f"--set {text!r} gives no values")
        _check_unique(f"values of {name}.{parameter}", parsed)
        sweep.setdefault(name, {})[parameter] = parsed
    return sweep


def _split_top_level(text):
    parts, depth, current = [], 0, ""
    for character in text:
        depth += character in "([{"
        depth -= character in ")]}"
        if character == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += character
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _literal(part, text):
    lowered = part.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        value = ast.literal_eval(part)
    except (ValueError, SyntaxError):
        raise ValueError(f"cannot read {part!r} in --set {text!r} as a number, a boolean or a tuple") from None
    return tuple(value) if isinstance(value, list) else value


def _number(part, text):
    try:
        return float(part)
    except ValueError:
        raise ValueError(f"learning rates must be numbers: {part.strip()!r} in {text!r}") from None


def _check_lr(lr):
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0 < lr < math.inf:
        raise ValueError(f"a learning rate must be a positive finite number, got {lr!r}")
    return float(lr)


def _check_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"a seed must be an integer >= 0, got {seed!r}")
    return int(seed)


def _check_positive_int(option, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{option} must be a positive integer, got {value!r}")


def _check_unique(what, values):
    repeated = sorted({str(value) for value in values if values.count(value) > 1})
    if repeated:
        raise ValueError(f"the {what} repeat {', '.join(repeated)}")


def _jsonable(value):
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _text(value):
    if isinstance(value, tuple):
        return "(" + ",".join(map(_text, value)) + ")"
    return f"{value:g}" if isinstance(value, float) else str(value)
