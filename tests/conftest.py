"""Fixtures shared by several test files: the optimizers' numpy path, the built docs site and a
headless browser."""
import mimetypes
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Debian's chromium (installed by .ci/run with apt-get), driven by Playwright from the dev
# extra: no browser download. These flags keep it from reaching out to the network by itself.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Pages are served under this made-up origin from files on disk; any other address a page
# asks for is refused and recorded, so a test sees every attempt to reach the network.
ORIGIN = "http://site.test/"


@pytest.fixture
def numpy_path():
    """Every update runs the rule's numpy body (no fused kernel), as without numba."""
    from tinygrad_opt.optim import kernels
    previous = kernels._mode
    kernels.use_kernels("numpy")
    yield
    kernels.use_kernels(previous)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The docs site, built once per test session with `mkdocs build --strict`."""
    pytest.importorskip("mkdocs", reason="the docs build needs the dev extra: pip install -e '.[dev]'")
    site_dir = tmp_path_factory.mktemp("site")
    process = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(site_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, f"mkdocs build --strict failed:\n{process.stdout}\n{process.stderr}"
    return site_dir


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium, or a skip that says what is missing."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the browser tests need Playwright: pip install -e '.[dev]'")
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium found on PATH (apt-get install chromium): the browser tests cannot run")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """One browser page on files served from `folder`, recording console errors, uncaught
    exceptions, missing files and every request for an address outside the folder."""

    def __init__(self, browser, folder, width=1280, height=800):
        self.folder = Path(folder)
        self.problems = []
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.on("console", lambda message: self.problems.append(f"console {message.type}: {message.text}")
                     if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        self.page.route("**/*", self._serve)

    def _serve(self, route):
        url = route.request.url
        if not url.startswith(ORIGIN):
            self.problems.append(f"network request: {url}")
            return route.abort()
        path = self.folder / url[len(ORIGIN):].split("#")[0].split("?")[0]
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            self.problems.append(f"missing file: {url}")
            return route.fulfill(status=404, body="")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return route.fulfill(status=200, body=path.read_bytes(), content_type=content_type)

    def open(self, relative_path):
        self.page.goto(ORIGIN + relative_path)
        self.page.wait_for_load_state("load")
        return self.page

    def close(self):
        self.page.close()


@pytest.fixture
def visit(browser):
    """visit(folder) opens pages from a folder in the browser; closed after the test."""
    opened = []

    def make(folder, **viewport):
        opened.append(Visit(browser, folder, **viewport))
        return opened[-1]
    yield make
    for v in opened:
        v.close()
