"""The notebook displays of Tensor, Module and Optimizer: valid HTML holding the right numbers,
while the plain-text reprs stay PyTorch's."""
import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import nn, optim
from tinygrad_opt.display import MAX_ROWS, optimizer_html
from html_check import parse_html


def test_tensor_html_shows_values_grad_and_graph_facts():
    x = tg.Tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True, name="x")
    y = (x * x).sum()
    y.backward()

    page = parse_html(x._repr_html_())
    assert page.captions == ["data", "grad"]
    assert page.cells == ["1", "-2", "3", "0.5",          # x
                          "2", "-4", "6", "1"]            # dy/dx = 2x
    text = x._repr_html_()
    assert "shape (2, 2)" in text and "float32" in text and "requires_grad=True" in text
    assert "<b>x</b>" in text
    assert "grad_fn SumBackward" in y._repr_html_()


def test_tensor_html_cuts_big_arrays_to_their_corners_and_escapes_text():
    big = tg.Tensor(np.arange(400.0).reshape(20, 20))
    page = parse_html(big._repr_html_())
    half = MAX_ROWS // 2
    assert len(page.cells) == (MAX_ROWS + 1) ** 2          # corners plus one elided row and column
    assert page.cells[:half + 2] == ["0", "1", "2", "3", "…", "16"]
    assert page.cells[-1] == "399"
    named = tg.Tensor([1.0], name="<w & b>")
    assert "&lt;w &amp; b&gt;" in named._repr_html_()
    cube = tg.Tensor(np.zeros((2, 3, 4)))
    assert "<pre>" in cube._repr_html_()
    parse_html(cube._repr_html_())


def test_plain_reprs_stay_pytorch_like():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    assert repr(model) == ("Sequential(\n  (0): Linear(in_features=4, out_features=3, bias=True)\n"
                           "  (1): ReLU()\n)")
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert repr(opt).startswith("SGD (\nParameter Group 0\n")


def test_module_html_lists_layers_shapes_and_counts():
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    page = parse_html(model._repr_html_())
    assert page.captions == ["Sequential: 2,410 parameters"]     # 64·32 + 32 + 32·10 + 10
    rows = [page.cells[i:i + 4] for i in range(0, len(page.cells), 4)]
    assert rows[0] == ["module", "layer", "parameters", "count"]
    assert rows[2] == ["0", "Linear(in_features=64, out_features=32, bias=True)",
                       "weight (32, 64), bias (32,)", "2,080"]
    assert rows[3] == ["1", "ReLU", "", ""]
    assert rows[4][3] == "330"
    model[2].weight.requires_grad = False
    assert parse_html(model._repr_html_()).captions == ["Sequential: 2,410 parameters (2,090 trainable)"]


def _stepped_adagrad():
    w = tg.Tensor([3.0, 4.0], requires_grad=True, dtype=np.float64, name="w")
    b = tg.Tensor([0.0], requires_grad=True, dtype=np.float64, name="b")
    opt = optim.Adagrad([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
    w.grad = tg.Tensor([3.0, 4.0], dtype=np.float64)     # G = g² = (9, 16)
    opt.step()
    return opt


def test_optimizer_html_shows_groups_and_state_norms():
    opt = _stepped_adagrad()
    page = parse_html(optimizer_html(opt))
    assert page.captions[0] == f"{type(opt).__name__}: hyperparameters"
    cells = page.cells
    lr_row = cells.index("lr")
    assert cells[lr_row:lr_row + 3] == ["lr", "0.1", "0.5"]
    w_row = cells.index("w")
    assert cells[w_row:w_row + 4] == ["w", "(2,)", "1", "18.36"]     # ‖sum‖ = ‖(9, 16)‖ = √337
    b_row = cells.index("b")
    assert cells[b_row + 2] == "0"                                   # b never had a gradient


def test_optimizer_html_effective_step_size_range_when_the_rule_can_say():
    opt = _stepped_adagrad()
    # η/(√G + ε) per element, as a rule's effective_step_size(state, group) returns it
    opt.effective_step_size = lambda state, group: group["lr"] / (np.sqrt(state["sum"]) + group["eps"])
    cells = parse_html(optimizer_html(opt)).cells
    assert "effective step size" in cells
    w_row = cells.index("w")
    assert cells[w_row + 4] == "0.025 … 0.03333"                     # 0.1/4 and 0.1/3
