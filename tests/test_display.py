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


def test_optimizer_html_shows_groups_state_norms_and_step_sizes():
    opt = _stepped_adagrad()
    page = parse_html(opt._repr_html_())
    assert page.captions[0] == f"{type(opt).__name__}: hyperparameters"
    cells = page.cells
    lr_row = cells.index("lr")
    assert cells[lr_row:lr_row + 3] == ["lr", "0.1", "0.5"]
    assert f"effective step size {opt.step_size_formula}" in cells
    w_row = cells.index("w")
    # ‖sum‖ = ‖(9, 16)‖ = √337; step sizes η/(√G + ε) = 0.1/3 and 0.1/4
    assert cells[w_row:w_row + 5] == ["w", "(2,)", "1", "18.36", "0.025 … 0.03333"]
    b_row = cells.index("b")
    assert cells[b_row + 2] == "0"                                   # b never had a gradient


def test_optimizer_html_of_sgd_and_a_rule_without_step_sizes():
    w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
    sgd = optim.SGD([w], lr=0.25)
    w.grad = tg.Tensor([1.0, 1.0])
    sgd.step()
    cells = parse_html(sgd._repr_html_()).cells
    assert cells[cells.index("w") + 3] == "0.25"                     # η, one value for every element
    assert "foreach" not in cells                                    # an implementation choice, left at None
    cells = parse_html(optim.SGD([w], lr=0.25, foreach=False)._repr_html_()).cells
    assert cells[cells.index("foreach"):cells.index("foreach") + 2] == ["foreach", "False"]

    class Plain(optim.Optimizer):                                    # no effective_step_size of its own
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})
    cells = parse_html(optimizer_html(Plain([w]))).cells
    assert not any(cell.startswith("effective step size") for cell in cells)
