"""Option sets for testing every registry rule (its defaults, each on/off option, a weight decay,
all at once), and the comparison of two runs' optimizer states, bit for bit."""
import inspect

import numpy as np

from tinygrad_opt.optim import registry


def configs(cls):
    """The rule's defaults, each on/off option alone, a weight decay, and everything at once."""
    signature = inspect.signature(cls.__init__).parameters
    switches = [name for name, p in signature.items() if isinstance(p.default, bool) and p.default is False]
    extras = {"weight_decay": 0.1, "momentum": 0.5, "dampening": 0.3, "lr_decay": 0.1,
              "initial_accumulator_value": 0.2}
    options = [{}] + [{name: True} for name in switches]
    options += [{name: value} for name, value in extras.items() if name in signature]
    options.append({**{name: True for name in switches},
                    **{name: value for name, value in extras.items() if name in signature and name != "dampening"}})
    for config in options:
        if config.get("nesterov") and "momentum" in signature:
            config["momentum"] = 0.5
            config.pop("dampening", None)
    return options


CASES = [(rule.name, config) for rule in registry.RULES.values() for config in configs(rule.cls)]
"""(rule name, constructor options) pairs over every rule of the registry."""


def assert_same_state(state, expected):
    """One parameter's optimizer state equals `expected` bit for bit: the same entries, types,
    shapes and dtypes."""
    assert state.keys() == expected.keys()
    for key, value in expected.items():
        assert type(state[key]) is type(value), key
        np.testing.assert_array_equal(state[key], value, err_msg=key)
        if isinstance(value, np.ndarray):
            assert state[key].shape == value.shape and state[key].dtype == value.dtype
