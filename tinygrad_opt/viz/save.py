"""Write a drawing to a file, the format chosen by the extension, atomically.

`.dot`/`.gv` are the DOT text and need nothing else; `.svg`, `.png` and `.pdf` are drawn by
Graphviz's `dot` program, a system package separate from the `graphviz` Python package.
"""
import os

import graphviz

from ..files import atomic_write

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None, ".gv": None}

INSTALL_HINT = ("apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS), "
                "conda install graphviz, or see https://graphviz.org/download/")


def render(drawing, format, purpose=None):
    """The drawing rendered by `dot` (bytes), with a clear error when `dot` is missing."""
    purpose = purpose or f"rendering .{format}"
    try:
        return drawing.pipe(format=format)
    except graphviz.ExecutableNotFound as error:
        raise RuntimeError(
            f"{purpose} needs the Graphviz 'dot' program, which is not installed: "
            f"{INSTALL_HINT}; or save as .dot instead") from error
    except graphviz.CalledProcessError as error:
        stderr = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else error.stderr
        raise RuntimeError(f"{purpose}: Graphviz 'dot' failed: {stderr}") from error


def save(drawing, path):
    """Save `drawing` (a graphviz.Digraph, e.g. from `draw_graph`) to `path`; return the path.

    The extension picks the format: .svg, .png, .pdf (rendered by `dot`) or .dot/.gv (source).
    """
    path = os.fspath(path)
    extension = os.path.splitext(path)[1].lower()
    if extension not in FORMATS:
        raise ValueError(f"can't save a graph as {path!r}: unknown extension "
                         f"{extension or '(none)'!r}; use one of {', '.join(FORMATS)}")
    if not hasattr(drawing, "source"):
        raise TypeError(f"save expects a graphviz Digraph (from draw_graph), got {type(drawing).__name__}")
    format = FORMATS[extension]
    data = drawing.source.encode("utf-8") if format is None else render(drawing, format)
    with atomic_write(path) as file:
        file.write(data)
    return path
