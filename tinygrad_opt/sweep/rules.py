"""Where a sweep learns the update rules: `optim.registry`, read through these few names.

A sweep keeps every hyperparameter but η at the rule's constructor default (PyTorch's, as
`compare` does, so a sweep's trial at compare's η is compare's run) unless `--set` says
otherwise; the registry's `notes` values (e.g. RMSProp's α = 0.9) are one `--set` away.
"""
import numpy as np

from ..compare import make_optimizer
from ..optim import registry
from ..tensor import Tensor

__all__ = ["RULE_NAMES", "DEFAULT_RULES", "rule_name", "make_optimizer", "resolve_hyperparameters"]

RULE_NAMES = registry.names()
"""Every rule a sweep can run, by its command-line name."""

DEFAULT_RULES = registry.NOTES_RULES
"""The five rules of the notes: what a sweep runs unless told otherwise."""


def rule_name(text):
    """The registry's name of the rule called `text` (any case, the class name or an alias)."""
    return registry.get(text).name


def resolve_hyperparameters(name, lr, overrides=None):
    """Every hyperparameter of the rule `name` but `lr`: its defaults, updated by `overrides`.

    The rule itself is built once on a throw-away parameter, so a value it rejects raises its
    own ValueError now, before any training, and the answer holds exactly what it would use.
    """
    overrides = dict(overrides or {})
    name = rule_name(name)
    probe = Tensor(np.zeros(1, dtype=np.float32), requires_grad=True)
    try:
        optimizer = make_optimizer(name, [probe], lr, **overrides)
    except TypeError:
        known = [key for key in registry.RULES[name].cls([probe]).defaults if key != "lr"]
        unknown = sorted(set(overrides) - set(known))
        raise ValueError(f"{name} has no hyperparameter {', '.join(unknown)} "
                         f"(it has {', '.join(known)})") from None
    except ValueError as error:
        shown = " ".join(f"{key}={value}" for key, value in overrides.items())
        raise ValueError(f"{name} with lr={lr:g} {shown}: {error}") from None
    return {key: value for key, value in optimizer.defaults.items() if key != "lr"}
