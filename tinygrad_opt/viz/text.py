"""How a tensor reads in a drawing: its shape, its values (or a one-line summary) and escaping.

Small arrays are written out (`[[1, -0.5], [2, 0.25]]`); larger ones become
`mean 0.012  std 0.53  min -1.2  max 1.4`, which is what a learner checks first (is it
centred, is it exploding, is anything NaN).
"""
import html

import numpy as np


def escape(text):
    """`text` made safe inside a Graphviz HTML-like label or an HTML page (<, >, &, quotes)."""
    return html.escape(str(text), quote=True)


def shape_text(shape):
    """`(8, 32)`, `(5,)`, or `scalar` for a 0-d tensor."""
    if len(shape) == 0:
        return "scalar"
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(size) for size in shape) + ")"


def number_text(value):
    """One number, short: 4 significant digits for floats, exact for integers and booleans."""
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{float(value):.4g}"


def values_text(array):
    """All elements in nested brackets on one line, e.g. `[[1, 2], [3, 4]]` (for small arrays)."""
    if array.ndim == 0:
        return number_text(array.item())
    # tolist() gives Python numbers; nesting follows the shape, as numpy prints it.
    return _nested_text(array.tolist())


def _nested_text(item):
    if isinstance(item, list):
        return "[" + ", ".join(_nested_text(x) for x in item) + "]"
    return number_text(item)


def summary_text(array):
    """One line: mean, std, min, max of floats (finite elements; NaN/inf counted apart)."""
    if array.size == 0:
        return "empty"
    kind = array.dtype.kind
    if kind == "b":
        return f"{int(np.count_nonzero(array))} of {array.size} True"
    if kind in "iu":
        return f"min {array.min()}  max {array.max()}"
    finite = np.isfinite(array)
    n_nonfinite = array.size - int(np.count_nonzero(finite))
    values = array if n_nonfinite == 0 else array[finite]
    parts = []
    if values.size:
        parts.append(f"mean {number_text(values.mean())}  std {number_text(values.std())}  "
                     f"min {number_text(values.min())}  max {number_text(values.max())}")
    if n_nonfinite:
        n_nan = int(np.count_nonzero(np.isnan(array)))
        parts.append(f"{n_nan} nan, {n_nonfinite - n_nan} inf")
    return "  ".join(parts)


def array_text(array, max_elements):
    """The values when there are at most `max_elements`, else the one-line summary."""
    if array.size <= max_elements:
        return values_text(array)
    return summary_text(array)
