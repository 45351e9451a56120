"""The autograd page's example graph, built by several tests: the very function
`docs/make_figures.py` draws that page's figures with, so the tests check the graph a reader sees."""
import importlib.util
from pathlib import Path

MAKE_FIGURES = Path(__file__).resolve().parents[1] / "docs" / "make_figures.py"


def load_make_figures():
    """docs/make_figures.py as a fresh module (it imports only the standard library and numpy
    at the top)."""
    spec = importlib.util.spec_from_file_location("make_figures", MAKE_FIGURES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


expression = load_make_figures().expression
"""L = (a·b + c)·f with a = 2, b = −3, c = 10, f = −2: 7 backward steps."""
