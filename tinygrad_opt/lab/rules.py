"""The lab's names for the five rules of the notes, and how a comparison's optimizers are given.

Everywhere the lab compares optimizers (`trajectories`, `sparse_features_demo`, the command
line) it takes them the same way:

- a rule name — `"sgd"`, `"momentum"`, `"adagrad"`, `"rmsprop"`, `"adam"` — built with the
  problem's default learning rate unless `lr` overrides it;
- a `(label, factory)` pair, where `factory(params)` returns any optimizer (any class, any
  hyperparameters), e.g. `("adam β1=0.5", lambda p: Adam(p, lr=0.05, betas=(0.5, 0.999)))`;
- a dict `{label: factory}` (a factory may also be a rule name).

A comma-separated string (`"sgd,adam"`) is a list of names.
"""
import math
import numbers
from collections.abc import Mapping

from .. import optim

__all__ = ["RULES", "RULE_NAMES", "DEFAULT_LRS", "optimizer_factories"]

RULES = {
    "sgd": optim.SGD,             # θ ← θ − η g
    "momentum": optim.Momentum,   # v ← γ v + η g,  θ ← θ − v   (γ = 0.9)
    "adagrad": optim.Adagrad,     # G ← G + g²,  θ ← θ − η g / (√G + ε)
    "rmsprop": optim.RMSprop,     # E ← α E + (1 − α) g²,  θ ← θ − η g / (√E + ε)
    "adam": optim.Adam,           # m, v moving averages of g, g²; θ ← θ − η m̂ / (√v̂ + ε)
}
RULE_NAMES = tuple(RULES)

# Used when a problem has no learning rate of its own for a rule (PyTorch's defaults, except
# SGD's 1e-3, which is too timid to show anything in a few hundred steps).
DEFAULT_LRS = {"sgd": 0.01, "momentum": 0.01, "adagrad": 0.01, "rmsprop": 0.01, "adam": 0.001}


def _rule(name):
    key = name.strip().lower()
    if key not in RULES:
        raise ValueError(f"unknown optimizer {name!r}: expected one of {', '.join(RULE_NAMES)} "
                         "or a (label, factory) pair")
    return key


def _check_lr(label, lr):
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0 < lr < math.inf:
        raise ValueError(f"the learning rate for {label!r} must be a positive number, got {lr!r}")
    return float(lr)


def _named_factory(name, lr):
    cls = RULES[name]
    return lambda params: cls(params, lr=lr)


def optimizer_factories(optimizers, lr=None, default_lrs=None):
    """Turn the ways a comparison can name its optimizers into `{label: factory}`.

    Args:
        optimizers: a rule name, a comma-separated string of names, an iterable of names and
            `(label, factory)` pairs, or a dict `{label: factory or name}`; `factory(params)`
            must return an optimizer of `params`.
        lr: learning rates for the named rules: one number for all of them, or a dict
            `{name: lr}` overriding some (keys must be rule names that are being run).
        default_lrs: `{name: lr}` of the problem (e.g. a surface's `lrs`); rules it lacks
            fall back to `DEFAULT_LRS`.

    Returns:
        A dict `{label: factory}` in the order given; a named rule's label is its name.

    Raises:
        ValueError: an unknown rule name, a repeated label, an empty list, an `lr` for a rule
            that is not run, or a learning rate that is not a positive number.
        TypeError: an entry that is neither a name nor a `(label, factory)` pair.
    """
    if isinstance(optimizers, str):
        optimizers = [part for part in optimizers.split(",") if part.strip()]
    if isinstance(optimizers, Mapping):
        entries = list(optimizers.items())
    else:
        entries = []
        for item in optimizers:
            if isinstance(item, str):
                entries.append((_rule(item), item))
            elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
                entries.append(item)
            else:
                raise TypeError(f"an optimizer must be a rule name or a (label, factory) pair, "
                                f"got {item!r}")
    if not entries:
        raise ValueError("no optimizers given: name at least one of " + ", ".join(RULE_NAMES))

    named = {_rule(spec) for _, spec in entries if isinstance(spec, str)}
    if isinstance(lr, Mapping):
        for name in lr:
            if _rule(name) not in named:
                raise ValueError(f"a learning rate was given for {name!r}, which is not being run")
        overrides = {_rule(name): _check_lr(name, value) for name, value in lr.items()}
    elif lr is not None:
        overrides = {name: _check_lr(name, lr) for name in named}
    else:
        overrides = {}
    defaults = {**DEFAULT_LRS, **(default_lrs or {})}

    factories = {}
    for label, spec in entries:
        label = str(label)
        if label in factories:
            raise ValueError(f"optimizer label {label!r} appears twice; labels must be unique")
        if isinstance(spec, str):
            name = _rule(spec)
            factories[label] = _named_factory(name, overrides.get(name, defaults[name]))
        elif callable(spec):
            factories[label] = spec
        else:
            raise TypeError(f"the factory for {label!r} must be callable(params) -> optimizer "
                            f"or a rule name, got {spec!r}")
    return factories
