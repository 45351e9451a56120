"""One colour, line style and marker per update rule, the same in every picture.

The five rules of the notes take the Okabe–Ito colours, chosen to stay apart for the common
kinds of colour blindness; the rules that follow them in Ruder's overview take Paul Tol's
muted colours and black. Every pair of rules also differs in line style or marker, so two
paths lying on top of each other (AdaGrad and RMSProp on the saddle) both stay visible:
the dashes of one let the other show through, and their markers sit at different steps.

    rule_style("adam")     # RuleStyle(color='#CC79A7', linestyle='-.', marker='X')
    rule_style("Adagrad")  # aliases and any capitalisation give the rule's own style

Labels that name no rule (a custom `("adam β1=0.5", factory)` run) get the `EXTRA_STYLES`
in turn, which no rule uses.
"""
from collections import namedtuple

from ..optim import registry

__all__ = ["RuleStyle", "RULE_STYLES", "EXTRA_STYLES", "rule_style", "styles_for"]

RuleStyle = namedtuple("RuleStyle", "color linestyle marker")

_DASHED = (0, (5, 2))
_LONG_DASHED = (0, (9, 3))
_DASH_DOTTED = (0, (6, 2, 1.5, 2))
_DASH_DOT_DOTTED = (0, (6, 2, 1.5, 2, 1.5, 2))
_DOTTED = (0, (1.5, 1.5))

RULE_STYLES = {
    # the notes' five
    "sgd": RuleStyle("#0072B2", "-", "o"),              # blue
    "momentum": RuleStyle("#E69F00", _DASHED, "s"),     # orange
    "adagrad": RuleStyle("#009E73", "-", "^"),          # bluish green
    "rmsprop": RuleStyle("#D55E00", _DASHED, "D"),      # vermilion
    "adam": RuleStyle("#CC79A7", _DASH_DOTTED, "X"),    # reddish purple
    # the rest of Ruder's overview, and Adam's variants
    "nag": RuleStyle("#56B4E9", _DASH_DOTTED, "v"),     # sky blue
    "adadelta": RuleStyle("#999933", _DOTTED, "P"),     # olive
    "adamax": RuleStyle("#8C510A", "-", "p"),           # brown
    "nadam": RuleStyle("#117733", _DASH_DOT_DOTTED, "<"),  # green
    "radam": RuleStyle("#000000", _LONG_DASHED, ">"),   # black
    "amsgrad": RuleStyle("#332288", _DASHED, "h"),      # indigo
    "adamw": RuleStyle("#882255", _DOTTED, "*"),        # wine
}

EXTRA_STYLES = (
    # In this order: the first is drawn beside the notes' five most often (Newton's method,
    # a custom run), so it stays furthest from those five for colour-blind readers too; grey
    # and sand, faint against the grey contours, come last.
    RuleStyle("#661100", "-", "d"),             # dark red
    RuleStyle("#CC6677", _DASH_DOTTED, "8"),    # rose
    RuleStyle("#44AA99", _LONG_DASHED, "+"),    # teal
    RuleStyle("#777777", _DOTTED, "1"),         # grey
    RuleStyle("#DDCC77", _DASHED, "H"),         # sand
)


def _canonical(name):
    """The registry's name of the rule called `name` (any case, class name or alias), or None
    when `name` names no rule. AMSGrad, an option of Adam rather than a rule of its own, is
    still known by its name."""
    key = str(name).strip().lower()
    if key in RULE_STYLES:
        return key
    try:
        key = registry.get(key).name
    except ValueError:
        return None
    return key if key in RULE_STYLES else None


def rule_style(name):
    """The `RuleStyle` of the rule called `name` (any alias or capitalisation), or None."""
    key = _canonical(name)
    return None if key is None else RULE_STYLES[key]


def styles_for(labels):
    """A style per label, in order: each rule its own, other labels the extra styles in turn."""
    styles, extra = [], 0
    for label in labels:
        style = rule_style(label)
        if style is None:
            style = EXTRA_STYLES[extra % len(EXTRA_STYLES)]
            extra += 1
        styles.append(style)
    return styles
