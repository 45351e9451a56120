"""Tests for rendering drawings with Graphviz's `dot` program, `viz.save` and `viz.backprop_html`.

CI installs Debian's `graphviz` package, so the rendering tests run there; they are skipped
(with the reason) only on a machine without `dot`. The missing-`dot` errors are tested by
hiding `dot` from PATH.
"""
import html.parser
import json
import os
import re
import shutil
import xml.etree.ElementTree as ElementTree

import graphviz
import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import viz
from tinygrad_opt.autograd import topological_order
from tinygrad_opt.viz.graph import build

SVG = "{http://www.w3.org/2000/svg}"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz 'dot' is not installed (apt-get install graphviz)")


def product():
    """loss = sum(a · b) with a = [2, 1] and b = [3, -1]: loss = 5, ∂loss/∂a = b, ∂loss/∂b = a."""
    a = tg.Tensor([2.0, 1.0], requires_grad=True, name="a")
    b = tg.Tensor([3.0, -1.0], requires_grad=True, name="b")
    ab = a * b
    ab.name = "ab"
    loss = ab.sum()
    loss.name = "loss"
    return loss, a, b


def small_mlp():
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.standard_normal((4, 3)), name="x")
    w1 = tg.Tensor(rng.standard_normal((3, 5)), requires_grad=True, name="w1")
    w2 = tg.Tensor(rng.standard_normal((5, 2)), requires_grad=True, name="w2")
    loss = ((x @ w1).relu() @ w2).tanh().mean()
    loss.name = "loss"
    return loss, w1, w2


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """PATH holds only an empty folder, so graphviz can't find `dot`."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))


# ----------------------------------------------------------------------------- save

@needs_dot
def test_save_svg_is_a_drawing_with_every_node(tmp_path):
    loss, a, b = product()
    path = viz.save(viz.draw_graph(loss), tmp_path / "graph.svg")
    assert path == str(tmp_path / "graph.svg")
    root = ElementTree.parse(path).getroot()
    assert root.tag == SVG + "svg"
    ids = {g.get("id") for g in root.iter(SVG + "g")}
    assert {"t0", "t1", "t2", "t3", "op0", "op1"} <= ids
    text = " ".join(t.text or "" for t in root.iter(SVG + "text"))
    assert "Mul" in text and "loss" in text and "[3, -1]" in text


@needs_dot
def test_save_png_and_pdf(tmp_path):
    loss, a, b = product()
    drawing = viz.draw_backward(loss)
    with open(viz.save(drawing, tmp_path / "backward.png"), "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"
    with open(viz.save(drawing, tmp_path / "backward.PDF"), "rb") as file:
        assert file.read(5) == b"%PDF-"


@needs_dot
def test_names_that_need_escaping_still_render(tmp_path):
    x = tg.Tensor([1.0], requires_grad=True, name='<w> & "v" \\ {x}')
    y = x.exp()
    path = viz.save(viz.draw_backward(y), tmp_path / "escaped.svg")
    root = ElementTree.parse(path).getroot()
    text = " ".join(t.text or "" for t in root.iter(SVG + "text"))
    assert '<w> & "v" \\ {x}' in text


def test_save_dot_and_gv_write_the_source_atomically(tmp_path):
    loss, a, b = product()
    drawing = viz.draw_graph(loss)
    for name in ("graph.dot", "graph.gv"):
        path = viz.save(drawing, tmp_path / name)
        with open(path, encoding="utf-8") as file:
            assert file.read() == drawing.source
    assert sorted(os.listdir(tmp_path)) == ["graph.dot", "graph.gv"]  # no temporary left behind


def test_unknown_extension_lists_the_supported_ones(tmp_path):
    loss, a, b = product()
    supported = r"use one of \.svg, \.png, \.pdf, \.dot, \.gv"
    with pytest.raises(ValueError, match=r"unknown extension '\.jpg'; " + supported):
        viz.save(viz.draw_graph(loss), tmp_path / "graph.jpg")
    with pytest.raises(ValueError, match=r"unknown extension '\(none\)'"):
        viz.save(viz.draw_graph(loss), tmp_path / "graph")
    assert os.listdir(tmp_path) == []


def test_missing_dot_names_the_fix(no_dot, tmp_path):
    loss, a, b = product()
    drawing = viz.draw_graph(loss)
    with pytest.raises(RuntimeError) as caught:
        viz.save(drawing, tmp_path / "graph.png")
    message = str(caught.value)
    assert message.startswith("rendering .png needs the Graphviz 'dot' program, which is not installed")
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert "save as .dot" in message
    assert isinstance(caught.value.__cause__, graphviz.ExecutableNotFound)
    assert not os.path.exists(tmp_path / "graph.png")
    viz.save(drawing, tmp_path / "graph.dot")  # the source needs no `dot`


def test_missing_dot_from_graphviz_itself(monkeypatch, tmp_path):
    def missing(*args, **kwargs):
        raise graphviz.ExecutableNotFound(("dot", "-Tsvg"))
    monkeypatch.setattr(graphviz.Digraph, "pipe", missing)
    loss, a, b = product()
    with pytest.raises(RuntimeError, match="rendering .svg needs the Graphviz 'dot' program"):
        viz.save(viz.draw_graph(loss), tmp_path / "graph.svg")
    with pytest.raises(RuntimeError, match=r"backprop_html \(drawing the graph as SVG\) needs the Graphviz"):
        viz.backprop_html(loss, tmp_path / "page.html")
    assert os.listdir(tmp_path) == []


def test_save_refuses_what_is_not_a_drawing(tmp_path):
    with pytest.raises(TypeError, match="save expects a graphviz Digraph"):
        viz.save("digraph {}", tmp_path / "graph.dot")


# ----------------------------------------------------------------------------- the page

class PageParser(html.parser.HTMLParser):
    """Collects what the tests check: frames, their SVGs, controls, URLs and the script."""

    def __init__(self):
        super().__init__()
        self.frames, self.svg_per_frame, self.controls, self.urls = [], [], {}, []
        self.script, self._in_script, self._svg_depth = "", False, 0
        self.text_per_frame = []  # the words of each frame outside its drawing

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("src", "href", "xlink:href", "action"):
            if key in attrs:
                self.urls.append(attrs[key])
        if tag == "section" and "frame" in (attrs.get("class") or ""):
            self.frames.append(attrs)
            self.svg_per_frame.append(0)
            self.text_per_frame.append([])
        if tag == "svg" and self.frames:
            self.svg_per_frame[-1] += 1
        if tag == "svg":
            self._svg_depth += 1
        if tag in ("button", "input") and "id" in attrs:
            self.controls[attrs["id"]] = (tag, attrs)
        if tag == "script":
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False
        if tag == "svg":
            self._svg_depth -= 1

    def handle_data(self, data):
        if self._in_script:
            self.script += data
        elif self.frames and not self._svg_depth:
            self.text_per_frame[-1].append(data)


def frame_texts(page):
    """Each frame's words as one line, no space before punctuation."""
    return [re.sub(r" ([),.:;])", r"\1", " ".join(" ".join(parts).split())) for parts in page.text_per_frame]


def parse_page(path):
    parser = PageParser()
    with open(path, encoding="utf-8") as file:
        parser.feed(file.read())
    parser.close()
    return parser


def page_steps(path):
    """{SVG element id: the step at which the page lights it up} (the page's own JSON)."""
    with open(path, encoding="utf-8") as file:
        text = file.read()
    return json.loads(re.search(r'<script type="application/json" id="steps">(.*?)</script>', text).group(1))


@needs_dot
def test_page_has_one_frame_per_backward_step_in_the_engines_order(tmp_path):
    loss, w1, w2 = small_mlp()
    order = list(reversed(topological_order(loss)))
    ids = {id(node.tensor): node.id for node in build(loss).tensors}
    path = viz.backprop_html(loss, tmp_path / "page.html")
    page = parse_page(path)
    assert len(page.frames) == len(order) == 7  # w1, x @ w1, relu, w2, @ w2, tanh, mean
    assert [frame["data-step"] for frame in page.frames] == [str(k) for k in range(1, 8)]
    assert [frame["data-node"] for frame in page.frames] == [ids[id(t)] for t in order]
    with open(path, encoding="utf-8") as file:
        assert file.read().count("<svg") == 1    # the drawing once; the frames light it up


@needs_dot
def test_page_lights_up_each_steps_node_op_and_gradient_edges(tmp_path):
    loss, w1, w2 = small_mlp()
    path = viz.backprop_html(loss, tmp_path / "page.html")
    steps = page_steps(path)
    for step, frame in enumerate(parse_page(path).frames, 1):
        assert steps[frame["data-node"]] == step
    graph = build(loss)
    tanh = next(op for op in graph.ops if op.fn.name == "Tanh")
    assert steps[tanh.id] == steps[f"g_{tanh.id}_out"] == steps[f"g_{tanh.id}_in0"] == steps[tanh.output.id] == 2
    with open(path, encoding="utf-8") as file:
        svg_ids = set(re.findall(r'<g id="([^"]+)" class="(?:node|edge)"', file.read()))
    assert set(steps) <= svg_ids                 # every id the script lights up is in the drawing


@needs_dot
def test_page_writes_the_chain_rule_with_its_numbers(tmp_path):
    loss, a, b = product()
    texts = frame_texts(parse_page(viz.backprop_html(loss, tmp_path / "page.html")))
    assert len(texts) == 4  # loss, ab, then the leaves
    assert "What arrived ∂loss/∂loss = 1 Backward starts here, from ones." in texts[0]
    assert "The op that made it: Sum ∂L/∂x = g, copied to every summed element" in texts[0]   # Sum.rule
    assert "∂loss/∂ab = [1, 1] (from Sum)" in texts[1]
    assert "The op that made it: Mul ∂L/∂a = g·b, ∂L/∂b = g·a" in texts[1]
    # incoming gradient × local derivative = what is sent, for each input of Mul
    assert "∂loss/∂a = ∂loss/∂ab · ∂ab/∂a = [1, 1] · [3, -1] = [3, -1]" in texts[1]
    assert "∂loss/∂b = ∂loss/∂ab · ∂ab/∂b = [1, 1] · [2, 1] = [2, 1]" in texts[1]
    assert "∂loss/∂a = [3, -1] (from Mul) a is a leaf: backward adds this to a.grad" in texts[2]


@needs_dot
def test_page_shows_each_uses_share_and_their_sum_where_a_tensor_fans_out(tmp_path):
    # b = 2x, a = 3b, t = b + a = 8x: b gets 1 directly and 3 through a, x gets 2 · 4 = 8
    x = tg.Tensor([1.0], requires_grad=True, name="x")
    b = x * 2
    b.name = "b"
    a = b * 3
    a.name = "a"
    t = b + a
    t.name = "t"
    texts = {re.search(r"^Step \d+ of \d+: (\w+)", text).group(1): text
             for text in frame_texts(parse_page(viz.backprop_html(t, tmp_path / "page.html")))}
    assert ("b is used 2 times, so its gradient is the sum of what each use sent back: "
            "from Add (making t): [1] from MulScalar (making a): [3] ∂t/∂b = [1] + [3] = [4]") in texts["b"]
    assert "The op that made it: MulScalar (× 2)" in texts["b"]
    assert "∂t/∂x = ∂t/∂b · ∂b/∂x = [4] · [2] = [8]" in texts["b"]
    assert "∂t/∂x = [8] (from MulScalar)" in texts["x"]
    assert x.grad is None


@needs_dot
def test_page_after_a_backward_that_freed_the_graph_says_how_to_build_it(tmp_path):
    loss, a, b = product()
    loss.backward()  # frees the saved values: backward can't run again for the page
    with pytest.raises(RuntimeError, match=r"build the page before calling backward\(\), or call "
                                           r"backward\(retain_graph=True\)"):
        viz.backprop_html(loss, tmp_path / "page.html")
    assert not os.path.exists(tmp_path / "page.html")
    loss, a, b = product()
    loss.backward(retain_graph=True)
    texts = frame_texts(parse_page(viz.backprop_html(loss, tmp_path / "page.html")))
    assert "∂loss/∂a = [3, -1] (from Mul)" in texts[2]
    assert a.grad.numpy().tolist() == [3.0, -1.0]    # the page added nothing to .grad


@needs_dot
def test_page_is_self_contained(tmp_path):
    loss, w1, w2 = small_mlp()
    path = viz.backprop_html(loss, tmp_path / "page.html")
    page = parse_page(path)
    assert page.urls == []
    with open(path, encoding="utf-8") as file:
        text = file.read()
    assert "http://" not in text and "https://" not in text
    assert "<link" not in text and "@import" not in text
    assert text.startswith("<!DOCTYPE html>")


@needs_dot
def test_page_controls_are_wired(tmp_path):
    loss, w1, w2 = small_mlp()
    page = parse_page(viz.backprop_html(loss, tmp_path / "page.html"))
    assert page.controls["previous"][0] == "button" and page.controls["next"][0] == "button"
    tag, slider = page.controls["slider"]
    assert tag == "input"
    assert (slider["type"], slider["min"], slider["max"], slider["value"]) == ("range", "1", "7", "1")
    for control in ("zoom-in", "zoom-out", "zoom-reset"):
        assert page.controls[control][0] == "button"


@needs_dot
def test_page_leaves_the_graph_and_gradients_unchanged(tmp_path):
    loss, w1, w2 = small_mlp()
    inputs = [(t, tuple(t.grad_fn.inputs)) for t in topological_order(loss) if t.grad_fn]
    viz.backprop_html(loss, tmp_path / "page.html")
    assert w1.grad is None and w2.grad is None
    assert all(t.grad_fn.inputs == before and all(x is y for x, y in zip(t.grad_fn.inputs, before))
               for t, before in inputs)
    loss.backward()  # the saved values are all still there

    fresh, f1, f2 = small_mlp()
    fresh.backward()
    np.testing.assert_allclose(w1.grad.data, f1.grad.data)
    np.testing.assert_allclose(w2.grad.data, f2.grad.data)


@needs_dot
def test_page_starts_from_the_given_gradient(tmp_path):
    a = tg.Tensor([2.0, 1.0], requires_grad=True, name="a")
    y = a * 3
    y.name = "y"
    page = parse_page(viz.backprop_html(y, tmp_path / "page.html", gradient=[1.0, -2.0]))
    texts = frame_texts(page)
    assert "∂y/∂y = [1, -2] Backward starts here, from the gradient passed to backward." in texts[0]
    assert "∂y/∂a = ∂y/∂y · ∂y/∂a = [1, -2] · [3, 3] = [3, -6]" in texts[0]  # ∂(3a)/∂a = 3
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\) but the root has shape \(2,\)"):
        viz.backprop_html(y, tmp_path / "other.html", gradient=[1.0, 2.0, 3.0])


def test_page_refuses_a_root_that_needs_no_grad(tmp_path):
    with pytest.raises(ValueError, match="doesn't require grad"):
        viz.backprop_html(tg.Tensor([1.0]), tmp_path / "page.html")
