"""The built docs site in a real browser (headless Chromium), offline: every page loads with no
console error and no request outside the site, every formula is typeset by KaTeX, every figure
loads and opens full size on a click."""
import pytest

OPTIMIZER_PAGES = ["optimizers/", "optimizers/sgd/", "optimizers/momentum/", "optimizers/adagrad/",
                   "optimizers/rmsprop/", "optimizers/adam/"]


def site_pages(site):
    return sorted(str(p.parent.relative_to(site)).replace(".", "") + "/" if p.parent != site else ""
                  for p in site.rglob("index.html") if "assets" not in p.parts and p.parent.name != "search")


def test_every_page_loads_offline_without_errors(site, visit):
    browser_page = visit(site)
    for path in site_pages(site):
        browser_page.open(path)
    assert not browser_page.problems, "\n".join(browser_page.problems)


@pytest.mark.parametrize("path", OPTIMIZER_PAGES + ["autograd/"])
def test_formulas_are_typeset_by_katex(site, visit, path):
    session = visit(site)
    page = session.open(path)
    counts = page.evaluate("""() => ({
        formulas: document.querySelectorAll('.arithmatex').length,
        typeset: document.querySelectorAll('.arithmatex .katex').length,
        errors: document.querySelectorAll('.katex-error').length})""")
    assert counts["formulas"] > 0, f"{path}: no maths on the page"
    assert counts["typeset"] == counts["formulas"] and counts["errors"] == 0, f"{path}: {counts}"
    assert not session.problems, "\n".join(session.problems)


@pytest.mark.parametrize("path", ["optimizers/", "autograd/", "graphs/"])
def test_figures_load_and_open_full_size(site, visit, path):
    session = visit(site)
    page = session.open(path)
    images = page.evaluate("""() => Array.from(document.querySelectorAll('.rst-content img')).map(img => ({
        src: img.getAttribute('src'), loaded: img.complete && img.naturalWidth > 0,
        link: img.closest('a') ? img.closest('a').getAttribute('href') : null}))""")
    assert images, f"{path} shows no figure"
    broken = [image["src"] for image in images if not image["loaded"]]
    assert not broken, f"{path}: figures that did not load: {broken}"
    unlinked = [image["src"] for image in images if image["link"] != image["src"]]
    assert not unlinked, f"{path}: figures that do not open full size on a click: {unlinked}"
    assert not session.problems, "\n".join(session.problems)
