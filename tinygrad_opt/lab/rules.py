"""The lab's names for the update rules, and how a comparison's optimizers are given.

Everywhere the lab compares optimizers (`trajectories`, `sparse_features_demo`, the command
line) it takes them the same way:

- a rule name from `tinygrad_opt.optim.registry` — `"sgd"`, `"momentum"`, `"adagrad"`,
  `"rmsprop"`, `"adam"`, ... (any case; class names and aliases such as `"RMSprop"` too) —
  built with the notes' hyperparameters (the registry's `notes`: RMSProp's γ = 0.9, not
  PyTorch's α = 0.99) and the problem's default learning rate unless `lr` overrides it;
- a `(label, factory)` pair, where `factory(params)` returns any optimizer (any class, any
  hyperparameters), e.g. `("adam β1=0.5", lambda p: Adam(p, lr=0.05, betas=(0.5, 0.999)))`;
- a dict `{label: factory}` (a factory may also be a rule name).

A comma-separated string (`"sgd,adam"`) is a list of names. By default the lab runs the five
rules of the notes (`RULE_NAMES`).
"""
import math
import numbers
from collections.abc import Mapping

from ..optim import registry

__all__ = ["RULES", "RULE_NAMES", "DEFAULT_LRS", "optimizer_factories"]

RULE_NAMES = registry.NOTES_RULES
"""The five rules of the notes, the lab's default: sgd, momentum, adagrad, rmsprop, adam."""

RULES = {name: registry.RULES[name].cls for name in RULE_NAMES}
"""name → class of the notes' five rules (every other registered rule is accepted by name too)."""

DEFAULT_LRS = {name: rule.surface_lr for name, rule in registry.RULES.items()}
"""The registry's learning rate for the 2-D surfaces, used where a problem has none of its own."""


def _rule(name):
    try:
        return registry.get(name).name
    except ValueError:
        raise ValueError(f"unknown optimizer {name!r}: expected one of {', '.join(registry.names())} "
                         "or a (label, factory) pair") from None


def _check_lr(label, lr):
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0 < lr < math.inf:
        raise ValueError(f"the learning rate for {label!r} must be a positive number, got {lr!r}")
    return float(lr)


def _named_factory(name, lr):
    rule = registry.RULES[name]
    return lambda params: rule.cls(params, lr=lr, **rule.notes)


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
        raise ValueError("no optimizers given: name at least one of " + ", ".join(registry.names()))

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
