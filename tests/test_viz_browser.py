"""The step-through page in a real browser (headless Chromium at 1280×800): it works offline
with no console error, every control moves exactly one frame, and the text is readable."""
import shutil

import pytest

from tinygrad_opt import viz

from expressions import expression

pytestmark = pytest.mark.skipif(shutil.which("dot") is None,
                                reason="Graphviz 'dot' is not installed (apt-get install graphviz)")


@pytest.fixture
def page(tmp_path, visit):
    viz.backprop_html(expression(), tmp_path / "page.html")
    session = visit(tmp_path)
    yield session, session.open("page.html")
    assert not session.problems, "\n".join(session.problems)


def shown(browser_page):
    """(the step the position label names, the steps of the frames that are visible)."""
    label = browser_page.text_content("#position")
    visible = browser_page.evaluate(
        "() => Array.from(document.querySelectorAll('section.frame')).filter(f => !f.hidden).map(f => +f.dataset.step)")
    return int(label.split()[1]), visible


def test_buttons_slider_and_keys_move_exactly_one_frame(page):
    _, browser_page = page
    assert shown(browser_page) == (1, [1])
    browser_page.click("#next")
    assert shown(browser_page) == (2, [2])
    browser_page.click("#previous")
    assert shown(browser_page) == (1, [1])
    browser_page.keyboard.press("ArrowRight")            # the page has the focus
    assert shown(browser_page) == (2, [2])
    browser_page.focus("#slider")                         # the slider has it: still one frame per press
    browser_page.keyboard.press("ArrowRight")
    assert shown(browser_page) == (3, [3])
    browser_page.keyboard.press("ArrowLeft")
    assert shown(browser_page) == (2, [2])
    browser_page.focus("#next")
    browser_page.keyboard.press("ArrowRight")
    assert shown(browser_page) == (3, [3])
    browser_page.fill("#slider", "6")                     # dragging the slider
    assert shown(browser_page) == (6, [6])
    browser_page.keyboard.press("End")
    assert shown(browser_page) == (7, [7])
    browser_page.keyboard.press("ArrowRight")             # the last frame stays the last
    assert shown(browser_page) == (7, [7])
    assert browser_page.is_disabled("#next") and not browser_page.is_disabled("#previous")


def test_the_current_node_and_the_visited_ones_are_marked(page):
    _, browser_page = page
    browser_page.click("#next")
    browser_page.click("#next")                           # step 3: d, made by Add
    marked = browser_page.evaluate("""() => ({
        current: Array.from(document.querySelectorAll('g.node.current')).map(g => g.id).sort(),
        visited: Array.from(document.querySelectorAll('g.node.visited')).map(g => g.id).sort()})""")
    names = browser_page.evaluate("""ids => ids.map(id => document.getElementById(id).textContent)""",
                                  marked["current"] + marked["visited"])
    current_text = " ".join(names[:len(marked["current"])])
    assert "d" in current_text and "Add" in current_text  # the tensor and the op that made it
    assert len(marked["visited"]) == 3                    # step 1: L and its Mul; step 2: f
    colours = browser_page.evaluate("""() => ['current', 'visited'].map(kind =>
        getComputedStyle(document.querySelector('g.node.' + kind + ' > polygon, g.node.' + kind + ' > path, g.node.' + kind + ' > ellipse')).fill)""")
    assert colours[0] != colours[1]


def test_text_is_at_least_12_pixels_at_1280_by_800(page):
    _, browser_page = page
    sizes = browser_page.evaluate("""() => {
        const svg = document.querySelector('#figure svg');
        const scale = svg.getScreenCTM().a;
        const drawing = Array.from(svg.querySelectorAll('text')).map(t => parseFloat(t.getAttribute('font-size')) * scale);
        const frame = document.querySelector('section.frame:not([hidden])');
        const panel = Array.from(frame.querySelectorAll('p, li, h2, h3, code')).map(e => parseFloat(getComputedStyle(e).fontSize));
        return {drawing: drawing, panel: panel};
    }""")
    assert sizes["drawing"] and min(sizes["drawing"]) >= 12, sizes["drawing"]
    assert sizes["panel"] and min(sizes["panel"]) >= 12, sizes["panel"]


def test_zoom_changes_the_drawings_size(page):
    _, browser_page = page
    width = browser_page.evaluate("() => document.querySelector('#figure svg').getBoundingClientRect().width")
    browser_page.click("#zoom-in")
    zoomed = browser_page.evaluate("() => document.querySelector('#figure svg').getBoundingClientRect().width")
    assert zoomed == pytest.approx(width * 1.25, rel=0.01)
    browser_page.click("#zoom-reset")
    assert browser_page.text_content("#zoom-level") == "100%"
