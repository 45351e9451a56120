"""The docs are tested like code, so they cannot drift from it.

- `mkdocs build --strict` succeeds (every warning — a broken link, a page missing from the
  nav, a docstring mkdocstrings cannot parse — is an error), and the API reference has an
  entry for every public name.
- Every ```python block of every page runs: the blocks of one page in order, in one
  namespace, in a fresh interpreter whose working directory is a temporary folder (so a
  snippet that writes `beale.png` writes nothing into the repository). A ```text block that
  follows a python block directly (only blank lines between) is that block's expected
  output, compared line by line. A block opts out only with `no-run` in its info string
  (```python title="..." no-run), for code that truly cannot run here, e.g. a download. A block
  that only includes a repository file (`--8<-- "examples/x.py"`, pymdownx.snippets) is not
  run here: the file is, by its own test.
  Blocks that render with Graphviz are skipped (and said so) when `dot` is not installed.
- Every figure a page refers to exists, every file in docs/figures/ is used by a page, and
  together they stay small.
- The generated parts of pages (between `<!-- generated: NAME -->` and `<!-- end: NAME -->`)
  are what `docs/make_figures.py` writes from the current code and committed results.
"""
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from expressions import load_make_figures

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FIGURES = DOCS / "figures"
PAGES = sorted(p for p in DOCS.rglob("*.md") if FIGURES not in p.parents)

FIGURES_BUDGET_BYTES = 1000 * 1024         # all of docs/figures/ together (3 surfaces × every rule)
FIGURE_BUDGET_BYTES = 160 * 1024           # any one file in it

FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                   re.MULTILINE | re.DOTALL)
SNIPPET_ONLY = re.compile(r'(\s*--8<-- "[^"\n]+"\s*)+')
NEEDS_DOT = re.compile(r"viz\.save\([^\n]*\.(svg|png|pdf)|backprop_html\(|viz\.render\(")


def rel(path):
    return path.relative_to(ROOT).as_posix()


def code_blocks(page):
    """Every fenced block of a page: (language, info string, body, first body line, end offset, start offset)."""
    source = page.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(source):
        info = match.group("info").strip()
        language = info.split()[0].lstrip(".{").rstrip("}") if info else ""
        line = source.count("\n", 0, match.start("body")) + 1
        blocks.append({"language": language, "info": info, "body": match.group("body"), "line": line,
                       "start": match.start(), "end": match.end()})
    return source, blocks


def runnable_blocks(page):
    """The python blocks of a page, each with the output the page says it prints (or None)."""
    source, blocks = code_blocks(page)
    runnable = []
    for i, block in enumerate(blocks):
        if block["language"] not in ("python", "py") or "no-run" in block["info"].split() \
                or SNIPPET_ONLY.fullmatch(block["body"]):
            continue
        expected = None
        if i + 1 < len(blocks) and blocks[i + 1]["language"] == "text":
            between = source[block["end"]:blocks[i + 1]["start"]]
            if not between.strip():
                expected = blocks[i + 1]["body"]
        runnable.append({"code": block["body"], "line": block["line"], "expected": expected})
    return runnable


PAGES_WITH_CODE = [p for p in PAGES if runnable_blocks(p)]

DRIVER = r'''
import contextlib, io, json, sys, traceback
blocks = json.load(sys.stdin)
namespace = {"__name__": "__main__"}
results = []
for block in blocks:
    if block["skip"]:
        results.append({"skipped": True})
        continue
    out = io.StringIO()
    try:
        # Leading newlines make tracebacks point at the line of the Markdown page.
        code = compile("\n" * (block["line"] - 1) + block["code"], block["filename"], "exec")
        with contextlib.redirect_stdout(out):
            exec(code, namespace)
    except BaseException:
        results.append({"stdout": out.getvalue(), "error": traceback.format_exc()})
        break
    results.append({"stdout": out.getvalue(), "error": None})
sys.__stdout__.write("\n@@RESULTS@@" + json.dumps(results))
'''


def normalized(text):
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_code_blocks_run_and_print_what_the_page_shows(page, tmp_path):
    blocks = runnable_blocks(page)
    have_dot = shutil.which("dot") is not None
    for block in blocks:
        block["filename"] = rel(page)
        block["skip"] = not have_dot and bool(NEEDS_DOT.search(block["code"]))
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    process = subprocess.run([sys.executable, "-c", DRIVER], input=json.dumps(blocks), cwd=tmp_path,
                             env=env, capture_output=True, text=True, timeout=300)
    assert "@@RESULTS@@" in process.stdout, f"the snippet runner crashed:\n{process.stdout}\n{process.stderr}"
    results = json.loads(process.stdout.rsplit("@@RESULTS@@", 1)[1])
    for block, result in zip(blocks, results):
        where = f"{rel(page)}, the python block at line {block['line']}"
        if result.get("skipped"):
            continue
        assert result["error"] is None, f"{where} failed:\n{result['error']}"
        if block["expected"] is not None:
            assert normalized(result["stdout"]) == normalized(block["expected"]), (
                f"{where} printed something else than the text block after it shows:\n"
                f"--- printed ---\n{result['stdout']}\n--- the page shows ---\n{block['expected']}")
    assert len(results) == len(blocks)
    skipped = [b["line"] for b, r in zip(blocks, results) if r.get("skipped")]
    if skipped:
        pytest.skip(f"Graphviz 'dot' is not installed: skipped the blocks at lines {skipped} of {rel(page)}")


def test_every_python_block_is_run_unless_it_says_no_run():
    # A block the runner would not recognise (```Python, ```python3) would silently go untested.
    for page in PAGES:
        for block in code_blocks(page)[1]:
            assert block["language"] not in ("Python", "python3", "py3", "pycon"), (
                f"{rel(page)}:{block['line']}: write ```python so the block is run by this test")


# ----------------------------------------------------------------------------- figures
IMAGE = re.compile(r"!\[[^\]]*\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\((?P<target>[^)\s#]+)[^)]*\)")
HTML_SOURCE = re.compile(r"<(?:img|source|a|object|iframe)\b[^>]*?(?:src|href|data)=\"(?P<target>[^\"#]+)\"")


def referenced_files(page):
    """Local files (not pages) a page shows or links to, as paths."""
    source = page.read_text(encoding="utf-8")
    # Code is not a reference: drop fenced blocks and inline code first.
    source = FENCE.sub("", source)
    source = re.sub(r"`[^`\n]*`", "", source)
    targets = [m.group("target") for pattern in (IMAGE, LINK, HTML_SOURCE) for m in pattern.finditer(source)]
    files = []
    for target in targets:
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.endswith(".md") or target.endswith("/"):
            continue  # URLs, mailto:, pages (mkdocs --strict checks those)
        files.append((target, (page.parent / target).resolve()))
    return files


def test_every_referenced_figure_exists():
    missing = [f"{rel(page)}: {target}" for page in PAGES
               for target, path in referenced_files(page) if not path.is_file()]
    assert not missing, "pages refer to files that do not exist (run python docs/make_figures.py?):\n" + \
        "\n".join(missing)


def test_every_figure_is_used_and_they_stay_small():
    used = {path for page in PAGES for _, path in referenced_files(page)}
    figures = sorted(p for p in FIGURES.iterdir() if p.is_file() and not p.name.startswith("."))
    data_files = {FIGURES / "compare_histories.json"}   # the data behind comparison.md's table
    unused = [rel(p) for p in figures if p.resolve() not in used and p not in data_files]
    assert not unused, f"figures no page uses (delete them, or show them): {unused}"
    too_big = [f"{rel(p)}: {p.stat().st_size // 1024} KB" for p in figures if p.stat().st_size > FIGURE_BUDGET_BYTES]
    assert not too_big, f"figures over {FIGURE_BUDGET_BYTES // 1024} KB: {too_big}"
    total = sum(p.stat().st_size for p in figures)
    assert total <= FIGURES_BUDGET_BYTES, f"docs/figures/ holds {total // 1024} KB, over the budget"


# ----------------------------------------------------------------------------- generated blocks
def make_figures():
    return load_make_figures()


def test_the_op_table_is_the_ops_docstrings():
    figures = make_figures()
    page = (DOCS / "autograd.md").read_text(encoding="utf-8")
    assert figures.generated_block(page, "op-table") == figures.op_table_markdown(), (
        "autograd.md's op table differs from the ops' docstrings: run python docs/make_figures.py tables")


def test_the_comparison_table_is_the_committed_compare_results():
    figures = make_figures()
    document = json.loads((FIGURES / "compare_histories.json").read_text(encoding="utf-8"))
    page = (DOCS / "comparison.md").read_text(encoding="utf-8")
    assert figures.generated_block(page, "compare-table") == figures.compare_table_markdown(document), (
        "comparison.md's table differs from figures/compare_histories.json: "
        "run python docs/make_figures.py compare")


def test_the_printed_compare_output_agrees_with_the_committed_results():
    # getting-started.md shows what `tinygrad-opt compare` printed; its seconds are the
    # machine's, every other number must be the committed results'.
    figures = make_figures()
    document = json.loads((FIGURES / "compare_histories.json").read_text(encoding="utf-8"))
    block = figures.generated_block((DOCS / "getting-started.md").read_text(encoding="utf-8"), "compare-output")
    rows = {m.group(1): m.groups()[1:] for m in re.finditer(
        r"^(\w+)\s+([\d.e-]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+[\d.]+$", block, re.MULTILINE)}
    expected = {name: (f"{r['lr']:g}", f"{r['final_train_loss']:.4f}", f"{r['test_accuracy']:.4f}", str(r["epochs"]))
                for name, r in document["results"].items()}
    assert rows == expected, "getting-started.md's compare output differs from figures/compare_histories.json: " \
        "run python docs/make_figures.py compare"


# ----------------------------------------------------------------------------- the site
# The `site` fixture (mkdocs build --strict, once per session) is in conftest.py.
def test_mkdocs_build_strict(site):
    assert (site / "index.html").is_file()
    assert (site / "optimizers" / "adam" / "index.html").is_file()


def test_the_example_page_shows_the_script_itself_and_autograd_links_to_it(site):
    import html
    page = html.unescape(re.sub(r"<[^>]+>", "", (site / "examples" / "micrograd_style" / "index.html")
                                .read_text(encoding="utf-8")))
    script = (ROOT / "examples" / "micrograd_style.py").read_text(encoding="utf-8")
    assert "--8<--" not in page
    for line in script.splitlines():
        if line.startswith(("def ", "import ", "    return ")):
            assert line in page, f"the built example page lacks the script's line {line!r}"
    autograd = (site / "autograd" / "index.html").read_text(encoding="utf-8")
    assert 'href="../examples/micrograd_style/"' in autograd


PUBLIC_MODULES = ("tinygrad_opt.nn", "tinygrad_opt.optim", "tinygrad_opt.optim.lr_scheduler",
                  "tinygrad_opt.viz", "tinygrad_opt.data", "tinygrad_opt.lab", "tinygrad_opt.sweep")


def public_names():
    """(module, name) for every name a user imports: each `__all__`, and the package's top level."""
    names = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        names += [(module_name, name) for name in module.__all__
                  if not isinstance(getattr(module, name), type(module))]   # submodules have pages of their own
    import tinygrad_opt
    names += [("tinygrad_opt", name) for name, value in vars(tinygrad_opt).items()
              if not name.startswith("_") and callable(value) and getattr(value, "__module__", "").startswith("tinygrad_opt")]
    return names


def documented_as(module, name):
    """The anchors an entry for `module.name` may have: its public path, or where it is defined
    (a function re-exported under the name of its own submodule, like `viz.save`, is documented
    where it is defined)."""
    value = getattr(importlib.import_module(module), name)
    anchors = {f"{module}.{name}"}
    if hasattr(value, "__qualname__") and hasattr(value, "__module__"):
        anchors |= {f"{module}.{value.__name__}", f"{value.__module__}.{value.__qualname__}"}
    return anchors


def test_the_api_reference_documents_every_public_name(site):
    html = "\n".join(p.read_text(encoding="utf-8") for p in (site / "api").rglob("*.html"))
    missing = [f"{module}.{name}" for module, name in public_names()
               if not any(f'id="{anchor}"' in html for anchor in documented_as(module, name))]
    assert not missing, f"the API reference has no entry for: {missing}"


# ----------------------------------------------------------------------------- offline
EXTERNAL_ASSET = re.compile(r"<(?:script|link|img|iframe)\b[^>]*?(?:src|href)=\"(?P<url>(?:https?:)?//[^\"]+)\"")


def test_the_site_loads_nothing_from_another_host(site):
    # Scripts, stylesheets and images all come from the site itself, so it works offline
    # (links to other sites in the text are fine: they load nothing).
    found = [f"{page.relative_to(site)}: {m.group('url')}" for page in sorted(site.rglob("*.html"))
             for m in EXTERNAL_ASSET.finditer(page.read_text(encoding="utf-8"))]
    assert not found, "pages load files from other hosts:\n" + "\n".join(found[:20])


def test_the_vendored_katex_is_complete():
    # Every font the stylesheet names is shipped, and the licence travels with it.
    katex = DOCS / "assets" / "katex"
    css = (katex / "katex.min.css").read_text(encoding="utf-8")
    fonts = re.findall(r"url\(([^)]+)\)", css)
    assert fonts and all(f.endswith(".woff2") for f in fonts), "katex.min.css names fonts other than woff2"
    missing = [f for f in fonts if not (katex / f).is_file()]
    assert not missing, f"katex.min.css names fonts that are not in docs/assets/katex: {missing}"
    assert "MIT" in (katex / "LICENSE").read_text(encoding="utf-8")


@pytest.mark.parametrize("page", ["optimizers/index.md", "optimizers/sgd.md", "optimizers/momentum.md",
                                  "optimizers/adagrad.md", "optimizers/rmsprop.md", "optimizers/adam.md",
                                  "autograd.md"])
def test_formulas_are_maths_not_code(page):
    # The update rules are written in TeX ($…$, $$…$$) for KaTeX; an indented block of
    # pseudo-formulas (θ ← θ − η·g) would render as code.
    source = FENCE.sub("", (DOCS / page).read_text(encoding="utf-8"))
    assert re.search(r"\$[^$\n]+\$", source), f"{page} has no formula"
    pseudo = [line for line in source.splitlines()
              if line.startswith("    ") and not line.lstrip().startswith(("-", "*", "|")) and re.search("[←θη∇Σ√]", line)]
    assert not pseudo, f"{page} still writes formulas as indented code:\n" + "\n".join(pseudo)
