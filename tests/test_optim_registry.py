"""The one table of update rules: names, aliases, teaching learning rates — and everyone reads it."""
import pytest

from tinygrad_opt import Tensor, compare, lab, optim
from tinygrad_opt.optim import registry


def test_the_notes_five_come_first_and_every_name_is_a_class_of_optim():
    assert registry.NOTES_RULES == ("sgd", "momentum", "adagrad", "rmsprop", "adam")
    assert registry.names()[:5] == registry.NOTES_RULES
    for name, rule in registry.RULES.items():
        assert rule.name == name == name.lower()
        assert getattr(optim, rule.cls.__name__) is rule.cls
        for alias in rule.aliases:
            assert getattr(optim, alias) is rule.cls
        assert rule.mlp_lr > 0 and rule.surface_lr > 0


@pytest.mark.parametrize("spelling, name", [("sgd", "sgd"), ("SGD", "sgd"), (" Adam ", "adam"),
                                            ("Adagrad", "adagrad"), ("AdaGrad", "adagrad"),
                                            ("RMSprop", "rmsprop"), ("AdamW", "adamw")])
def test_any_case_the_class_name_or_an_alias_finds_the_rule(spelling, name):
    assert registry.get(spelling).name == name


@pytest.mark.parametrize("bad", ["sgdd", "", None, 3])
def test_an_unknown_name_lists_the_choices(bad):
    with pytest.raises(ValueError, match=r"unknown optimizer .* \(choose from sgd, momentum, adagrad, rmsprop, "
                                         r"adam, adamw"):
        registry.get(bad)


def test_the_notes_hyperparameters_are_accepted_by_their_classes():
    assert registry.RULES["rmsprop"].notes == {"alpha": 0.9}          # the notes' γ = 0.9
    assert registry.RULES["momentum"].notes == {"momentum": 0.9}
    for rule in registry.RULES.values():
        rule.cls([Tensor([1.0], requires_grad=True)], **rule.notes)


def test_compare_the_lab_and_the_command_line_read_the_same_table():
    assert compare.OPTIMIZERS == {name: rule.cls.__name__ for name, rule in registry.RULES.items()}
    assert compare.DEFAULT_LR == {name: rule.mlp_lr for name, rule in registry.RULES.items()}
    assert compare.DEFAULT_LR["sgd"] == 0.1 and compare.DEFAULT_LR["adagrad"] == 0.05
    assert compare.DEFAULT_OPTIMIZERS == registry.NOTES_RULES == lab.RULE_NAMES
    assert lab.DEFAULT_LRS == {name: rule.surface_lr for name, rule in registry.RULES.items()}
    assert lab.RULES == {name: registry.RULES[name].cls for name in registry.NOTES_RULES}
    assert lab.FORMULAS["AdaGrad"] == optim.AdaGrad.step_size_formula == "η_t / (√G + ε)"


def test_the_lab_accepts_every_registered_name():
    factories = lab.optimizer_factories(["AdamW", "RMSprop"])
    param = Tensor([1.0], requires_grad=True)
    built = {label: factory([param]) for label, factory in factories.items()}
    assert list(built) == ["adamw", "rmsprop"]                          # labelled by their names
    assert type(built["adamw"]) is optim.AdamW and built["adamw"].param_groups[0]["lr"] == lab.DEFAULT_LRS["adamw"]
    assert type(built["rmsprop"]) is optim.RMSProp
