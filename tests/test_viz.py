"""Tests for tinygrad_opt.viz's DOT output: the graph drawn node by node and edge by edge.

Each test builds a small graph by hand, draws it and reads the DOT text back: which nodes
exist, what their labels say, how they are styled, which edges join them and in what order.
Rendering with the `dot` program and the step-through page are in test_viz_render.py.
"""
import html
import re

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import autograd, nn, viz
from tinygrad_opt.autograd import topological_order
from tinygrad_opt.viz.graph import build, walk

# ----------------------------------------------------------------------------- reading DOT

NODE = re.compile(r"^\t+(\w+) \[(.*)\]$", re.M)
EDGE = re.compile(r"^\t+(\w+) -> (\w+)(?: \[(.*)\])?$", re.M)
GRADIENT_EDGES = re.compile(r"^\t\{\n\t\tedge \[(.*?)\]\n(.*?)^\t\}$", re.M | re.S)


def html_label(attrs):
    """The HTML-like label inside `label=<...>`, found by balancing the angle brackets."""
    start = attrs.index("label=<") + len("label=<")
    depth = 1
    for i in range(start, len(attrs)):
        depth += {"<": 1, ">": -1}.get(attrs[i], 0)
        if depth == 0:
            return attrs[start:i]
    raise AssertionError(f"unbalanced label in {attrs!r}")


def plain(label):
    """A label's text as a reader sees it: tags dropped, entities decoded, spaces squeezed."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", label))
    return " ".join(text.split())


def attribute(attrs, key):
    """One attribute's value (None when absent), the label left out of the search."""
    if "label=<" in attrs:
        attrs = attrs.replace("label=<" + html_label(attrs) + ">", "")
    match = re.search(rf'(?:^| ){key}=("[^"]*"|[^ ]+)', attrs)
    return match.group(1).strip('"') if match else None


def nodes(source, legend=False):
    """{node id: (plain label, attribute text)} of the drawing's nodes (legend left out)."""
    found = {}
    for node_id, attrs in NODE.findall(source):
        if node_id in ("node", "edge", "graph") or (node_id.startswith("legend") and not legend):
            continue
        found[node_id] = (plain(html_label(attrs)), attrs)
    return found


def edges(source):
    """[(tail, head, attribute text)] in the order the DOT text lists them (legend left out)."""
    return [(tail, head, attrs) for tail, head, attrs in EDGE.findall(source)
            if not tail.startswith("legend")]


def labels_by_name(drawing):
    """{tensor or op name: its whole label} of a drawing."""
    return {label.split()[0]: label for label, _ in nodes(drawing.source).values()}


def names_of(source):
    """{node id: the tensor's name or the op's name} (a backward step number `#k` skipped)."""
    return {node_id: re.sub(r"^#\d+ ", "", label).split()[0]
            for node_id, (label, _) in nodes(source).items()}


def named_edges(source):
    names = names_of(source)
    return [(names[tail], names[head]) for tail, head, attrs in edges(source)
            if "id=g_" not in attrs]


# ----------------------------------------------------------------------------- small graphs

def affine():
    """loss = sum(a · b + c) with a = [1, 2], b = [3, 4], c = [0.5, 0.5] → 11 + 1 = 12."""
    a = tg.Tensor([1.0, 2.0], requires_grad=True, name="a")
    b = tg.Tensor([3.0, 4.0], name="b")
    c = tg.Tensor([0.5, 0.5], requires_grad=True, name="c")
    ab = a * b
    ab.name = "ab"
    s = ab + c
    s.name = "s"
    loss = s.sum()
    loss.name = "loss"
    return loss, (a, b, c, ab, s)


class FakeLinear:
    """Stands in for nn.Linear (duck-typed as viz expects): y = x @ Wᵀ + b inside a scope."""

    def __init__(self, n_in, n_out, seed):
        rng = np.random.default_rng(seed)
        self.in_features, self.out_features = n_in, n_out
        self.weight = tg.Tensor(rng.standard_normal((n_out, n_in)), requires_grad=True)
        self.bias = tg.Tensor(np.zeros(n_out), requires_grad=True)

    def __call__(self, x):
        with autograd.scope(self):
            return x @ self.weight.T + self.bias


class FakeReLU:
    def __call__(self, x):
        with autograd.scope(self):
            return x.relu()

    def __repr__(self):
        return "FakeReLU()"


class FakeSequential:
    """Stands in for nn.Sequential: named_parameters / named_modules as PyTorch names them."""

    def __init__(self, *layers):
        self.layers = layers

    def __call__(self, x):
        with autograd.scope(self):
            for layer in self.layers:
                x = layer(x)
            return x

    def named_modules(self):
        yield "", self
        for i, layer in enumerate(self.layers):
            yield str(i), layer

    def named_parameters(self):
        for i, layer in enumerate(self.layers):
            for name in ("weight", "bias"):
                if hasattr(layer, name):
                    yield f"{i}.{name}", getattr(layer, name)

    def __repr__(self):
        return "FakeSequential(\n  ...\n)"


def mlp():
    """A 3 → 4 → 2 MLP of fake modules on a batch of 5, and its loss (mean of squares)."""
    model = FakeSequential(FakeLinear(3, 4, seed=0), FakeReLU(), FakeLinear(4, 2, seed=1))
    x = tg.Tensor(np.linspace(-1, 1, 15).reshape(5, 3), name="x")
    out = model(x)
    loss = (out * out).mean()
    loss.name = "loss"
    return model, x, loss


# ----------------------------------------------------------------------------- nodes and edges

def test_one_node_per_tensor_and_per_op():
    loss, _ = affine()
    found = nodes(viz.draw_graph(loss).source)
    tensor_names = sorted(label.split()[0] for node_id, (label, _) in found.items() if node_id[0] == "t")
    op_names = sorted(label.split()[0] for node_id, (label, _) in found.items() if node_id[:2] == "op")
    assert tensor_names == ["a", "ab", "b", "c", "loss", "s"]
    assert op_names == ["Add", "Mul", "Sum"]


def test_edges_run_with_the_data_input_to_op_to_output():
    loss, _ = affine()
    assert named_edges(viz.draw_graph(loss).source) == [
        ("a", "Mul"), ("b", "Mul"), ("Mul", "ab"),
        ("ab", "Add"), ("c", "Add"), ("Add", "s"),
        ("s", "Sum"), ("Sum", "loss"),
    ]


def test_a_tensor_used_twice_by_one_op_gets_two_edges():
    x = tg.Tensor([3.0], requires_grad=True, name="x")
    y = x * x
    y.name = "y"
    assert named_edges(viz.draw_graph(y).source) == [("x", "Mul"), ("x", "Mul"), ("Mul", "y")]


def test_unnamed_tensors_get_consecutive_names_in_topological_order():
    x = tg.Tensor([1.0, -1.0], requires_grad=True)
    y = x.tanh().exp()
    labels = {node_id: label.split()[0] for node_id, (label, _) in nodes(viz.draw_graph(y).source).items()}
    assert labels == {"t0": "t1", "t1": "t2", "t2": "t3", "op0": "Tanh", "op1": "Exp"}

    # A named tensor takes no number: the unnamed ones around it stay t1, t2, t3.
    w = tg.Tensor([2.0], requires_grad=True, name="w")
    z = ((x * w).tanh() + tg.Tensor([1.0])).sum()
    names = [label.split()[0] for label, _ in nodes(viz.draw_graph(z).source).values()]
    tensors = [name for name in names if name[0] in "tw" and name not in ("Tanh",)]
    assert sorted(name for name in tensors if name.startswith("t")) == ["t1", "t2", "t3", "t4", "t5", "t6"]


def test_an_op_with_a_python_number_shows_the_number():
    # x·0.5 + 1 records MulScalar and AddScalar, which hold their numbers (no constant tensors).
    x = tg.Tensor([1.0, -1.0], requires_grad=True, name="x")
    source = viz.draw_graph((x * 0.5 + 1).sum()).source
    labels = [label for label, _ in nodes(source).values()]
    assert any(label.startswith("MulScalar") and "× 0.5" in label for label in labels), labels
    assert any(label.startswith("AddScalar") and "+ 1" in label for label in labels), labels
    assert sum(1 for label in labels if label.startswith("t") or label.startswith("x")) == 4  # x and 3 results


def test_labels_show_shape_dtype_and_small_values():
    loss, _ = affine()
    found = labels_by_name(viz.draw_graph(loss))
    assert found["a"] == "a (2,) float32 [1, 2]"
    assert found["ab"] == "ab (2,) float32 [3, 8]"
    assert found["loss"] == "loss scalar float32 12"


def test_large_tensors_show_a_one_line_summary():
    # 0, 1, ..., 9: mean 4.5, population std √8.25 = 2.872, min 0, max 9
    x = tg.Tensor(np.arange(10.0), requires_grad=True, name="x")
    y = x.sum()
    label = nodes(viz.draw_graph(y, max_elements=6).source)["t0"][0]
    assert label == "x (10,) float32 mean 4.5 std 2.872 min 0 max 9"
    shown = nodes(viz.draw_graph(y, max_elements=10).source)["t0"][0]
    assert shown == "x (10,) float32 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"


def test_summary_counts_nan_and_inf_apart():
    x = tg.Tensor([1.0, 3.0, np.nan, np.inf, -np.inf, 2.0, 2.0], name="x")
    y = tg.Tensor(np.ones(7), requires_grad=True) * x
    label = nodes(viz.draw_graph(y).source)["t1"][0]
    assert label == "x (7,) float32 mean 2 std 0.7071 min 1 max 3 1 nan, 2 inf"


def test_show_values_false_leaves_only_name_shape_and_dtype():
    loss, _ = affine()
    found = labels_by_name(viz.draw_graph(loss, show_values=False))
    assert found["a"] == "a (2,) float32"


def test_gradients_appear_after_backward():
    loss, (a, b, c, ab, s) = affine()
    before = labels_by_name(viz.draw_graph(loss))
    assert "grad" not in before["a"]
    loss.backward()
    after = labels_by_name(viz.draw_graph(loss))
    assert after["a"] == "a (2,) float32 [1, 2] grad [3, 4]"      # ∂loss/∂a = b
    assert after["c"] == "c (2,) float32 [0.5, 0.5] grad [1, 1]"  # ∂loss/∂c = 1
    assert "grad" not in after["ab"]  # intermediates keep no .grad (unless retain_grad)
    hidden = labels_by_name(viz.draw_graph(loss, show_grads=False))
    assert "grad" not in hidden["a"]


def test_kinds_have_distinct_styles_and_the_legend_matches_them():
    loss, _ = affine()
    source = viz.draw_graph(loss, legend=True).source
    found = nodes(source)
    names = {label.split()[0]: node_id for node_id, (label, _) in found.items()}

    def style(attrs):
        return tuple(attribute(attrs, key) for key in ("shape", "style", "fillcolor", "peripheries"))

    kinds = {"parameter": "a", "input": "b", "intermediate": "ab", "root": "loss"}
    styles = {kind: style(found[names[name]][1]) for kind, name in kinds.items()}
    assert len(set(styles.values())) == 4
    assert style(found[names["Mul"]][1]) not in styles.values()

    legend = {node_id: (label, attrs) for node_id, (label, attrs) in nodes(source, legend=True).items()
              if node_id.startswith("legend")}
    assert "subgraph cluster_legend" in source
    for kind in kinds:
        label, attrs = legend[f"legend_{kind}"]
        assert label.startswith(kind)
        assert style(attrs) == styles[kind]
    assert legend["legend_op"][0] == "op (Function)"
    assert "cluster_legend" not in viz.draw_graph(loss, legend=False).source
    assert "cluster_legend" not in viz.draw_graph(loss).source      # a small graph needs no key


def test_params_name_tensors_as_dict_pairs_or_module():
    model, x, loss = mlp()
    first = model.layers[0]
    for params in ({"w0": first.weight}, [("w0", first.weight)]):
        labels = [label for label, _ in nodes(viz.draw_graph(loss, params).source).values()]
        assert any(label.startswith("w0 (4, 3) float32") for label in labels)
    labels = [label.split()[0] for label, _ in nodes(viz.draw_graph(loss, model).source).values()]
    assert {"0.weight", "0.bias", "2.weight", "2.bias", "x", "loss"} <= set(labels)


def test_params_that_are_not_pairs_are_refused():
    loss, (a, *_) = affine()
    with pytest.raises(TypeError, match="params must hold \\(name, tensor\\) pairs"):
        viz.draw_graph(loss, [a])
    with pytest.raises(TypeError, match="params\\['w'\\] is a list, expected a Tensor"):
        viz.draw_graph(loss, {"w": [1.0]})
    with pytest.raises(TypeError, match="params must be None, a dict"):
        viz.draw_graph(loss, 3)


def test_bad_options_are_refused():
    loss, _ = affine()
    with pytest.raises(ValueError, match="rankdir must be one of"):
        viz.draw_graph(loss, rankdir="sideways")
    with pytest.raises(TypeError, match="expects a Tensor"):
        viz.draw_graph(np.ones(3))


def test_names_are_escaped_in_labels():
    x = tg.Tensor([1.0], requires_grad=True, name='<w> & "v"')
    y = x.exp()
    source = viz.draw_graph(y).source
    assert "&lt;w&gt; &amp; &quot;v&quot;" in source
    assert '<w> & "v"' not in source
    assert nodes(source)["t0"][0].startswith('<w> & "v" (1,)')


def test_same_graph_gives_the_same_dot_text():
    assert viz.draw_graph(affine()[0]).source == viz.draw_graph(affine()[0]).source
    assert viz.draw_graph(mlp()[2], mlp()[0]).source.count("cluster_") > 0
    assert viz.draw_backward(mlp()[2]).source == viz.draw_backward(mlp()[2]).source


def test_rankdir_is_passed_to_graphviz():
    loss, _ = affine()
    assert "rankdir=TB" in viz.draw_graph(loss, rankdir="TB").source


def test_a_root_that_needs_no_grad_is_one_input_node():
    with tg.no_grad():
        y = tg.Tensor([1.0], requires_grad=True) * 2
    found = nodes(viz.draw_graph(y).source)
    assert list(found) == ["t0"]
    assert edges(viz.draw_graph(y).source) == []


# ----------------------------------------------------------------------------- modules

def cluster_titles(source):
    return [plain(html_label(line)) for line in source.splitlines() if "id=cluster_" in line
            and "cluster_legend" not in line]


def test_each_module_call_is_a_labelled_cluster():
    model, x, loss = mlp()
    source = viz.draw_graph(loss, model).source
    assert cluster_titles(source) == [
        "FakeSequential", "0: FakeLinear(3→4)", "1: FakeReLU", "2: FakeLinear(4→2)"]
    # The first layer's cluster holds its weight, bias and ops; x and the loss's ops stay outside.
    first = source[source.index("subgraph cluster_1 {"):]
    first = first[:first.index("}")]
    names = names_of(source)
    inside = sorted(names[node_id] for node_id, _ in NODE.findall(first) if node_id in names)
    assert inside == ["0.bias", "0.weight", "Add", "MatMul", "Permute", "t1", "t2", "t3"]
    top = source[:source.index("subgraph cluster_0 {")]
    assert sorted(names[node_id] for node_id, _ in NODE.findall(top) if node_id in names) == [
        "Mean", "Mul", "loss", "t8", "x"]


def test_clusters_without_module_names_use_the_class_and_a_summary():
    model, x, loss = mlp()
    assert cluster_titles(viz.draw_graph(loss).source) == [
        "FakeSequential", "FakeLinear(3→4)", "FakeReLU", "FakeLinear(4→2)"]


def test_nested_clusters_sit_inside_their_parent():
    model, x, loss = mlp()
    source = viz.draw_graph(loss, model).source
    outer = source.index("subgraph cluster_0 {")
    for inner in ("subgraph cluster_1 {", "subgraph cluster_2 {", "subgraph cluster_3 {"):
        assert source.index(inner) > outer
        between = source[outer:source.index(inner)]
        assert between.count("{") > between.count("}")  # cluster_0 is still open


def test_string_scopes_label_clusters():
    x = tg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    with autograd.scope("encoder <1>"):
        h = x.tanh()
    y = h.sum()
    source = viz.draw_graph(y).source
    assert cluster_titles(source) == ["encoder <1>"]
    assert "encoder &lt;1&gt;" in source


def test_group_modules_false_draws_no_clusters():
    model, x, loss = mlp()
    source = viz.draw_graph(loss, model, group_modules=False).source
    assert cluster_titles(source) == []
    assert len(nodes(source)) == len(nodes(viz.draw_graph(loss, model).source))


def test_collapse_draws_one_node_per_module_call():
    model, x, loss = mlp()
    source = viz.draw_graph(loss, model, collapse=True).source
    found = nodes(source)
    modules = {node_id: label for node_id, (label, attrs) in found.items() if node_id.startswith("m")}
    assert sorted(modules.values()) == [
        "0: FakeLinear(3→4) 0.weight (4, 3) 0.bias (4,) Permute, MatMul, Add",
        "1: FakeReLU ReLU",
        "2: FakeLinear(4→2) 2.weight (2, 4) 2.bias (2,) Permute, MatMul, Add",
    ]
    # What leaves a call stays visible, so data flows x → layer 0 → t → layer 1 → t → layer 2 → t.
    assert named_edges(source)[:6] == [
        ("x", "0:"), ("0:", "t3"), ("t3", "1:"), ("1:", "t4"), ("t4", "2:"), ("2:", "t7")]
    assert cluster_titles(source) == ["FakeSequential"]
    assert not any(node_id.startswith("op") and label.split()[0] in ("MatMul", "ReLU")
                   for node_id, (label, _) in found.items())
    assert "legend_module" in viz.draw_graph(loss, model, collapse=True, legend=True).source


def test_collapse_at_depth_one_draws_the_whole_model_as_one_node():
    model, x, loss = mlp()
    source = viz.draw_graph(loss, model, collapse=1).source
    assert named_edges(source) == [("x", "FakeSequential"), ("FakeSequential", "t7"),
                                   ("t7", "Mul"), ("t7", "Mul"), ("Mul", "t8"),
                                   ("t8", "Mean"), ("Mean", "loss")]
    with pytest.raises(ValueError, match="collapse must be True, False or a depth >= 1"):
        viz.draw_graph(loss, model, collapse=0.5)


def test_nn_mlp_clusters_are_named_after_its_modules():
    from tinygrad_opt import nn
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = tg.Tensor(np.linspace(-1, 1, 15).reshape(5, 3), name="x")
    labels = tg.Tensor(np.array([0, 1, 0, 1, 1]))
    loss = nn.functional.cross_entropy(model(x), labels)
    source = viz.draw_graph(loss, model).source
    titles = cluster_titles(source)
    assert titles[0] == "Sequential"
    assert titles[1:] == ["0: Linear(3→4)", "1: ReLU", "2: Linear(4→2)"]
    assert {"0.weight", "0.bias", "2.weight", "2.bias"} <= set(names_of(source).values())
    collapsed = nodes(viz.draw_graph(loss, model, collapse=True).source)
    assert len([node_id for node_id in collapsed if node_id.startswith("m")]) == 3


# ----------------------------------------------------------------------------- backward

def test_draw_backward_numbers_tensors_in_the_engines_backward_order():
    model, x, loss = mlp()
    graph = build(loss)
    ids = {id(node.tensor): node.id for node in graph.tensors}
    expected = {ids[id(t)]: k for k, t in enumerate(reversed(topological_order(loss)), 1)}
    source = viz.draw_backward(loss).source
    numbered = {node_id: int(re.match(r"#(\d+) ", label).group(1))
                for node_id, (label, _) in nodes(source).items()
                if node_id.startswith("t") and label.startswith("#")}
    assert numbered == expected
    assert sorted(numbered.values()) == list(range(1, len(topological_order(loss)) + 1))
    assert "x (5, 3)" in nodes(source)[ids[id(x)]][0]  # x needs no grad: backward skips it
    ops = {label for node_id, (label, _) in nodes(source).items() if node_id.startswith("op")}
    assert "Mean backward at #1" in ops


def test_draw_backward_draws_one_dashed_gradient_edge_per_gradient():
    loss, (a, b, c, ab, s) = affine()
    source = viz.draw_backward(loss).source
    names = names_of(source)
    gradient_edges = [(names[tail], names[head], attribute(attrs, "label"))
                      for tail, head, attrs in edges(source) if "id=g_" in attrs]
    # From the loss down to every tensor that requires grad; b gets none (it needs no grad).
    # Each edge carries the gradient it stands for: ∂loss/∂s = 1 everywhere, Mul sends a its b.
    assert gradient_edges == [
        ("loss", "Sum", "1"), ("Sum", "s", "[1, 1]"),
        ("s", "Add", "[1, 1]"), ("Add", "ab", "[1, 1]"), ("Add", "c", "[1, 1]"),
        ("ab", "Mul", "[1, 1]"), ("Mul", "a", "[3, 4]"),
    ]
    # They share one style, set on the anonymous subgraph that holds them all.
    (style, body), = GRADIENT_EDGES.findall(source)
    assert style == 'color="#d32f2f" constraint=false fontcolor="#d32f2f" style=dashed'
    assert [line.split(" [")[0].strip() for line in body.splitlines()] == [
        f"{tail} -> {head}" for tail, head, attrs in edges(source) if "id=g_" in attrs]


def test_after_a_backward_that_freed_the_graph_edges_show_shapes_and_nodes_the_stored_grads():
    loss, (a, b, c, ab, s) = affine()
    loss.backward()
    source = viz.draw_backward(loss).source
    names = names_of(source)
    labels = [attribute(attrs, "label") for tail, head, attrs in edges(source) if "id=g_" in attrs]
    assert labels == ["scalar", "(2,)", "(2,)", "(2,)", "(2,)", "(2,)", "(2,)"]
    found = {re.sub(r"^#\d+ ", "", label).split()[0]: label for label, _ in nodes(source).values()}
    assert found["a"].endswith("grad [3, 4]") and "grad" not in found["ab"]


def test_grads_all_shows_every_tensors_gradient_and_writes_no_grad():
    loss, (a, b, c, ab, s) = affine()
    found = labels_by_name(viz.draw_graph(loss, grads="all"))
    assert found["ab"].endswith("grad [1, 1]")          # an intermediate: no retain_grad() needed
    assert found["a"].endswith("grad [3, 4]") and found["loss"].endswith("grad 1")
    assert "grad" not in found["b"]                     # b needs no grad
    assert a.grad is None and ab.grad is None           # the drawing's backward wrote nothing
    loss.backward()                                     # and freed nothing: the user's backward runs
    assert a.grad.numpy().tolist() == [3.0, 4.0]
    with pytest.raises(RuntimeError, match=r"draw before calling backward\(\), or call backward\(retain_graph=True\)"):
        viz.draw_graph(loss, grads="all")
    with pytest.raises(ValueError, match="grads must be 'stored'"):
        viz.draw_graph(loss, grads="everything")


def test_draw_backward_refuses_a_root_that_needs_no_grad():
    with pytest.raises(ValueError, match="doesn't require grad"):
        viz.draw_backward(tg.Tensor([1.0]))


# ----------------------------------------------------------------------------- no side effects

def graph_state(root):
    """Everything drawing must leave alone: the tensors, each op's inputs and the gradients."""
    order = walk(root)
    return [(t, t.grad_fn, tuple(t.grad_fn.inputs) if t.grad_fn else (),
             None if t.grad is None else t.grad.data.copy(), t.data.copy()) for t in order]


def assert_same(before, after):
    assert len(before) == len(after)
    for (t0, fn0, in0, g0, d0), (t1, fn1, in1, g1, d1) in zip(before, after):
        assert t0 is t1 and fn0 is fn1
        assert all(x is y for x, y in zip(in0, in1)) and len(in0) == len(in1)
        assert (g0 is None) == (g1 is None)
        if g0 is not None:
            np.testing.assert_array_equal(g0, g1)
        np.testing.assert_array_equal(d0, d1)


def test_drawing_before_backward_changes_nothing_and_backward_still_works():
    model, x, loss = mlp()
    before = graph_state(loss)
    viz.draw_graph(loss, model)
    viz.draw_graph(loss, model, collapse=True)
    viz.draw_backward(loss, model)
    assert_same(before, graph_state(loss))
    assert all(t.grad is None for t in walk(loss))
    loss.backward()  # would raise if drawing had freed a saved value
    expected = model.layers[2].bias.grad.data.copy()

    model2, x2, loss2 = mlp()
    loss2.backward()
    np.testing.assert_allclose(expected, model2.layers[2].bias.grad.data)


def test_drawing_after_backward_changes_nothing():
    model, x, loss = mlp()
    loss.backward(retain_graph=True)
    before = graph_state(loss)
    viz.draw_graph(loss, model)
    viz.draw_backward(loss, model)
    assert_same(before, graph_state(loss))
    weight_grad = model.layers[0].weight.grad.data.copy()
    loss.backward()  # the graph was retained, so a second backward accumulates: twice the grad
    np.testing.assert_allclose(model.layers[0].weight.grad.data, 2 * weight_grad, rtol=1e-6)


def test_drawing_records_no_new_ops():
    loss, _ = affine()
    count = len(walk(loss))
    viz.draw_graph(loss)
    viz.draw_backward(loss)
    assert len(walk(loss)) == count
    assert tg.is_grad_enabled()


# ----------------------------------------------------------------------------- size

def test_a_chain_of_three_thousand_ops_draws_without_recursion():
    x = tg.Tensor([0.5], requires_grad=True, name="x")
    y = x
    for _ in range(3000):
        y = y.tanh()
    source = viz.draw_graph(y).source
    found = nodes(source)
    assert sum(node_id.startswith("t") for node_id in found) == 3001
    assert sum(node_id.startswith("op") for node_id in found) == 3000
    assert len(edges(source)) == 6000


def test_every_input_is_drawn_cross_entropys_labels_included():
    logits = tg.Tensor([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]], requires_grad=True, name="logits")
    labels = tg.Tensor(np.array([1, 2]), name="labels")
    loss = nn.functional.cross_entropy(logits, labels)
    loss.name = "loss"
    assert named_edges(viz.draw_graph(loss).source) == [
        ("logits", "CrossEntropy"), ("labels", "CrossEntropy"), ("CrossEntropy", "loss")]
    found = labels_by_name(viz.draw_graph(loss))
    assert found["labels"] == "labels (2,) int64 [1, 2]"
    loss.backward()                                      # the labels get no gradient, the logits theirs
    assert labels.grad is None and logits.grad.shape == (2, 3)


def test_every_op_states_its_local_rule_in_one_line():
    from tinygrad_opt import ops
    functions = [value for value in vars(ops).values()
                 if isinstance(value, type) and issubclass(value, ops.Function) and value is not ops.Function]
    assert len(functions) >= 40
    for cls in functions:
        assert isinstance(cls.rule, str) and cls.rule.startswith("∂L/∂") and "\n" not in cls.rule, cls.__name__
    assert ops.Min.rule != ops.Max.rule                  # a subclass states its own
