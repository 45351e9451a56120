"""How a Tensor, a Module and an Optimizer show themselves in a notebook: small HTML tables.

Jupyter calls an object's `_repr_html_()` when a cell ends with it; Tensor, Module and
Optimizer each have a two-line method that imports and calls the matching function here. The plain-text
`repr` (PyTorch's) is unchanged and still what `print` and a terminal show.

    tensor_html(t)       shape, dtype, requires_grad, grad_fn; the values (and .grad) as a table
    module_html(m)       one row per layer: its settings, its parameters' shapes and counts
    optimizer_html(o)    the hyperparameters of each group; per parameter its state: step,
                         the norm of every buffer (exp_avg, exp_avg_sq, sum, ...) and the
                         range of effective step sizes when the rule can say it

The functions read their objects by duck typing (`.data`, `.named_modules()`,
`.param_groups`) and import nothing of the library, so every layer may call them.
Big arrays are cut to their corners, as numpy prints them.
"""
import html

import numpy as np

__all__ = ["tensor_html", "module_html", "optimizer_html", "param_name"]

MAX_ROWS = 8          # rows (and columns) of a value table before the middle is elided
_STYLE = ("<style>.tgo,.tgo table{font-size:12px}.tgo table{border-collapse:collapse;margin:2px 0}"
          ".tgo td,.tgo th{border:1px solid #ccc;padding:1px 6px;text-align:left}"
          ".tgo th{background:#f3f3f3}.tgo caption{text-align:left;font-weight:bold}"
          ".tgo td.n{text-align:right;font-variant-numeric:tabular-nums}</style>")


def _esc(value):
    return html.escape(str(value), quote=True)


def _number(value):
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _cut(count):
    """The indices shown of `count` entries, None marking the elided middle."""
    if count <= MAX_ROWS:
        return list(range(count))
    half = MAX_ROWS // 2
    return list(range(half)) + [None] + list(range(count - half, count))


def _table(rows, header=None, caption=None, numeric=()):
    """An HTML table from lists of cell strings (already escaped); the columns whose indices
    are in `numeric` (or all, when it is True) are right-aligned."""
    parts = ["<table>"]
    if caption:
        parts.append(f"<caption>{caption}</caption>")
    if header:
        parts.append("<tr>" + "".join(f"<th>{cell}</th>" for cell in header) + "</tr>")
    for row in rows:
        parts.append("<tr>" + "".join(
            f'<td class="n">{cell}</td>' if numeric is True or j in numeric else f"<td>{cell}</td>"
            for j, cell in enumerate(row)) + "</tr>")
    parts.append("</table>")
    return "".join(parts)


def _values(array, caption):
    """A 0-, 1- or 2-d array as a table; higher dimensions as numpy's text (both cut to corners)."""
    array = np.asarray(array)
    if array.ndim == 0:
        return _table([[_esc(_number(array[()]))]], caption=caption, numeric=True)
    if array.ndim > 2:
        text = np.array2string(array, precision=4, threshold=64, edgeitems=2)
        return f"<div><b>{caption}</b><pre>{_esc(text)}</pre></div>"
    matrix = array.reshape(1, -1) if array.ndim == 1 else array
    columns = _cut(matrix.shape[1])
    rows = []
    for i in _cut(matrix.shape[0]):
        if i is None:
            rows.append(["⋮" if j is not None else "⋱" for j in columns])
        else:
            rows.append(["…" if j is None else _esc(_number(matrix[i, j])) for j in columns])
    return _table(rows, caption=caption, numeric=True)


def _wrap(body):
    return f'<div class="tgo">{_STYLE}{body}</div>'


def tensor_html(tensor):
    """`Tensor._repr_html_`: a header line (shape, dtype, requires_grad, grad_fn), the values
    and, when the tensor has one, its gradient."""
    data = tensor.data
    facts = [f"shape {tuple(data.shape)}", f"dtype {data.dtype}"]
    if tensor.grad_fn is not None:
        facts.append(f"grad_fn {tensor.grad_fn.name}Backward")
    elif tensor.requires_grad:
        facts.append("requires_grad=True (leaf)")
    name = f" <b>{_esc(tensor.name)}</b>" if getattr(tensor, "name", None) else ""
    body = f"<div>tensor{name}: {_esc(' · '.join(facts))}</div>" + _values(data, "data")
    if tensor.grad is not None:
        body += _values(tensor.grad.data, "grad")
    return _wrap(body)


def _count(shape):
    return int(np.prod(shape, dtype=np.int64))


def module_html(module):
    """`Module._repr_html_`: one row per module (its dotted name, its type and settings),
    with the shapes and element counts of the parameters it holds itself; the totals in the
    caption."""
    rows = []
    total = trainable = 0
    for name, child in module.named_modules():
        own = list(child.named_parameters(recurse=False))
        shapes = ", ".join(f"{_esc(key)} {tuple(p.shape)}" for key, p in own)
        count = sum(_count(p.shape) for _, p in own)
        total += count
        trainable += sum(_count(p.shape) for _, p in own if p.requires_grad)
        settings = child.extra_repr()
        kind = child._get_name() + (f"({settings})" if settings else "")
        rows.append([_esc(name or "(top)"), _esc(kind), shapes,
                     f"{count:,}" if own else ""])
    caption = (f"{_esc(module._get_name())}: {total:,} parameters"
               + ("" if trainable == total else f" ({trainable:,} trainable)"))
    return _wrap(_table(rows, header=["module", "layer", "parameters", "count"], caption=caption,
                        numeric={3}))


def param_name(group, group_index, position, param):
    """How a parameter is called in tables: its name in the group's `param_names`, else its
    `Tensor.name`, else "group g, param i"."""
    names = group.get("param_names")
    if names:
        return str(names[position])
    if getattr(param, "name", None):
        return str(param.name)
    return f"group {group_index}, param {position}"


def _step_size_range(optimizer, state, group):
    """(min, max) of the rule's effective step sizes, or None when the rule cannot say (it
    does not define them, or this parameter has no state yet)."""
    rule = getattr(optimizer, "effective_step_size", None)
    if rule is None:
        return None
    try:
        sizes = np.asarray(rule(state, group), dtype=np.float64)
    except (NotImplementedError, KeyError):
        return None
    finite = sizes[np.isfinite(sizes)]
    if finite.size == 0:
        return None
    return float(finite.min()), float(finite.max())


def optimizer_html(optimizer):
    """`Optimizer._repr_html_`: a table of each group's hyperparameters, and one row per
    parameter: its shape, its step count, the L2 norm of each state buffer and the range of
    its effective step size (η for SGD, η/(√G + ε) element by element for AdaGrad, ...).
    `foreach`, a choice of implementation rather than of the rule, shows only when set."""
    groups = optimizer.param_groups
    keys = sorted({key for group in groups for key in group if key not in ("params", "param_names")
                   and not (key == "foreach" and group[key] is None)})
    hyper = [[_esc(key)] + [_esc(_number(group.get(key, ""))) for group in groups]
             for key in keys]
    header = ["hyperparameter"] + [f"group {i} ({len(g['params'])} params)" for i, g in enumerate(groups)]
    title = _esc(type(optimizer).__name__)
    body = _table(hyper, header=header, caption=f"{title}: hyperparameters",
                  numeric=set(range(1, len(header))))

    buffers, rows = [], []
    for g, group in enumerate(groups):
        for i, p in enumerate(group["params"]):
            state = optimizer.state.get(p, {}) if hasattr(optimizer.state, "get") else {}
            for key, value in state.items():
                if isinstance(value, np.ndarray) and value.ndim and key not in buffers:
                    buffers.append(key)
            rows.append((param_name(group, g, i, p), p, state, group))
    spans = [_step_size_range(optimizer, state, group) for _, _, state, group in rows]
    knows_step_size = any(span is not None for span in spans)
    table = []
    for (name, p, state, group), span in zip(rows, spans):
        norms = [_number(float(np.linalg.norm(state[key]))) if key in state else "" for key in buffers]
        span_text = "" if span is None else (_number(span[0]) if span[0] == span[1]
                                             else f"{_number(span[0])} … {_number(span[1])}")
        table.append([_esc(name), _esc(tuple(p.shape)),
                      _esc(_number(state.get("step", 0)))]
                     + [_esc(n) for n in norms] + ([_esc(span_text)] if knows_step_size else []))
    formula = getattr(optimizer, "step_size_formula", None)
    header = (["parameter", "shape", "step"] + [f"‖{_esc(key)}‖" for key in buffers]
              + ([f"effective step size {_esc(formula or '')}".strip()] if knows_step_size else []))
    body += _table(table, header=header, caption="state per parameter", numeric=set(range(2, len(header))))
    return _wrap(body)
