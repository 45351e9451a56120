"""One table of the update rules: the names a user types, and the numbers the teaching uses.

`compare` (and `tinygrad-opt compare` / `train`), the lab (`trajectories`, the sparse demo,
`tinygrad-opt trajectories`) and the benchmarks all read the rules from here:

    name        class       aliases     lr: digits MLP   lr: 2-D surfaces   the notes' values
    sgd         SGD                     0.1              0.01
    momentum    Momentum                0.01             0.01               γ = 0.9
    adagrad     AdaGrad     Adagrad     0.05             0.01               ε = 1e-8
    rmsprop     RMSProp     RMSprop     0.001            0.01               γ (PyTorch's α) = 0.9
    adam        Adam                    0.001            0.001              β1 = 0.9, β2 = 0.999, ε = 1e-8
    adamw       AdamW                   0.001            0.001
    nag         NAG                     0.01             0.01               γ = 0.9
    adadelta    Adadelta                1.0              1.0
    adamax      AdaMax      Adamax      0.002            0.002
    nadam       Nadam       NAdam       0.002            0.002
    radam       RAdam                   0.001            0.001

The digits learning rates of the notes' five were tuned with `compare`'s default MLP, batch
size and epochs (test accuracy over split seeds 0–9: every rule 97–99%); the other rules use
PyTorch's defaults (NAG: Momentum's), which reach the same range there. The 2-D surfaces' rate is used
where a surface has no tuned rate of its own for a rule (each bundled surface has one per
rule of the notes). The notes' values are the hyperparameters the lecture notes use where
they differ from, or are stated beside, PyTorch's defaults; the lab and the figures show them.
"""
from dataclasses import dataclass, field

from .adadelta import Adadelta
from .adagrad import AdaGrad
from .adam import Adam, AdamW
from .adamax import AdaMax
from .momentum import Momentum
from .nadam import Nadam
from .nag import NAG
from .radam import RAdam
from .rmsprop import RMSProp
from .sgd import SGD

__all__ = ["Rule", "RULES", "NOTES_RULES", "get", "names"]


@dataclass(frozen=True)
class Rule:
    """One update rule: `name` (what a user types, lower case), its class, other spellings,
    a teaching learning rate for the digits MLP and for the 2-D surfaces, and the notes'
    hyperparameters."""

    name: str
    cls: type
    aliases: tuple = ()
    mlp_lr: float = 1e-3
    surface_lr: float = 1e-3
    notes: dict = field(default_factory=dict)


RULES = {rule.name: rule for rule in (
    Rule("sgd", SGD, mlp_lr=0.1, surface_lr=0.01),
    # Momentum's η = 0.01 with γ = 0.9 takes steps of about η/(1 − γ) = 0.1 once the velocity
    # has built up: the same scale as SGD's 0.1.
    Rule("momentum", Momentum, mlp_lr=0.01, surface_lr=0.01, notes={"momentum": 0.9}),
    Rule("adagrad", AdaGrad, ("Adagrad",), mlp_lr=0.05, surface_lr=0.01, notes={"eps": 1e-8}),
    Rule("rmsprop", RMSProp, ("RMSprop",), mlp_lr=0.001, surface_lr=0.01, notes={"alpha": 0.9}),
    Rule("adam", Adam, mlp_lr=0.001, surface_lr=0.001, notes={"betas": (0.9, 0.999), "eps": 1e-8}),
    Rule("adamw", AdamW, mlp_lr=0.001, surface_lr=0.001),
    Rule("nag", NAG, mlp_lr=0.01, surface_lr=0.01, notes={"momentum": 0.9}),
    Rule("adadelta", Adadelta, mlp_lr=1.0, surface_lr=1.0),
    Rule("adamax", AdaMax, ("Adamax",), mlp_lr=0.002, surface_lr=0.002),
    Rule("nadam", Nadam, ("NAdam",), mlp_lr=0.002, surface_lr=0.002),
    Rule("radam", RAdam, mlp_lr=0.001, surface_lr=0.001),
)}
"""name → Rule, in the order the notes teach them (then the rest)."""

NOTES_RULES = ("sgd", "momentum", "adagrad", "rmsprop", "adam")
"""The five rules of the lecture notes: what `compare` and the lab run by default."""

_BY_SPELLING = {spelling.lower(): rule for rule in RULES.values()
                for spelling in (rule.name, rule.cls.__name__, *rule.aliases)}


def names():
    """Every rule's name, in the table's order."""
    return tuple(RULES)


def get(name):
    """The Rule called `name`: any case, the class's name or an alias (`"RMSprop"` → rmsprop).

    Raises:
        ValueError: no rule has that name (the message lists the names).
    """
    rule = _BY_SPELLING.get(str(name).strip().lower()) if isinstance(name, str) else None
    if rule is None:
        raise ValueError(f"unknown optimizer {name!r} (choose from {', '.join(RULES)})")
    return rule
