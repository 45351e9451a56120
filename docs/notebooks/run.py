"""Execute the notebook course, and tell whether the committed outputs are still what it prints.

    python docs/notebooks/run.py                     # re-execute every notebook, write outputs in place
    python docs/notebooks/run.py 03_sgd.ipynb ...    # only these (names or paths)

The notebooks are committed with their outputs, so the docs site shows them. They must stay
what the code prints today: `tests/test_notebooks.py` executes each one the same way (a fresh
`python3` kernel, a temporary working directory, this repository first on PYTHONPATH) and
compares every printed number and every figure with the committed ones (`drift`). When the
code changes what a notebook shows, re-run this script and commit the notebooks.
"""
import base64
import io
import os
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NOTEBOOKS = sorted(HERE.glob("*.ipynb")) + sorted((HERE / "ko").glob("*.ipynb"))
KERNEL = "python3"
CELL_TIMEOUT = 120          # seconds for one cell; a whole notebook aims at ~10 s
IMAGE_TOLERANCE = 0.01      # mean absolute difference of two renderings of one figure (0..1 RGBA)
PALETTE = 256               # colours of a committed figure (a palette PNG is ~5× smaller)

_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def kernel_env():
    """The environment of the kernel: this repository's package first on PYTHONPATH, and this
    interpreter's folder first on PATH (the python3 kernelspec starts `python`, which must be
    the interpreter that has the package's dependencies)."""
    paths = [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths), PATH=path)


def execute(path, replace=None):
    """Run the notebook at `path` top to bottom in a fresh kernel and return it with its outputs.

    `replace` maps a cell tag to the source that cell should run instead (the exercises'
    test fills their stubs this way). Any error in a cell raises nbclient's CellExecutionError.
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        for tag in cell.get("metadata", {}).get("tags", []):
            if replace and tag in replace:
                cell.source = replace[tag]
    with tempfile.TemporaryDirectory() as work:
        client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name=KERNEL,
                                resources={"metadata": {"path": work}})
        client.execute(env=kernel_env(), cwd=work)
    return notebook


def _texts(cell):
    """The printed parts of one cell, in a form that does not depend on timing: the text of each
    stream joined (the kernel may send one print as several chunks, and interleave them with
    displays differently from run to run), then each display's text mime types, sorted."""
    streams = {}
    displays = []
    for output in cell.outputs:
        if output.get("output_type") == "stream":
            streams[output["name"]] = streams.get(output["name"], "") + output["text"]
        for mime, value in sorted(output.get("data", {}).items()):
            if mime.startswith("text/"):
                displays.append((mime, value if isinstance(value, str) else "".join(value)))
    return sorted(streams.items()) + displays


def _images(output):
    for mime, value in output.get("data", {}).items():
        if mime == "image/png":
            yield value


def _normal(text):
    return "\n".join(line.rstrip() for line in _ADDRESS.sub(" at 0x…", text).strip().splitlines())


def compact_png(encoded):
    """A base64 PNG re-encoded with a palette of PALETTE colours: what is committed.

    matplotlib writes 32-bit RGBA; the course's figures (lines, contours, a few colours) lose
    nothing visible in a palette and the repository stays small.
    """
    from PIL import Image
    image = Image.open(io.BytesIO(base64.b64decode(encoded))).convert("RGB")
    image = image.quantize(PALETTE, method=Image.Quantize.FASTOCTREE)    # keeps small areas' colours
    buffer = io.BytesIO()
    image.save(buffer, format="png", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _compact_outputs(notebook):
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                data["image/png"] = compact_png(data["image/png"])
    return notebook


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _static(notebook):
    """Drop live widgets from the outputs (their text summary stays): a committed widget has no
    kernel behind it, and a page showing one would load the widget manager from a CDN."""
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
    return notebook


def _pixels(encoded):
    from matplotlib.image import imread
    return imread(io.BytesIO(base64.b64decode(encoded)), format="png")[..., :3]


def drift(committed, fresh):
    """What differs between the committed outputs and a fresh run's: a list of sentences.

    Every text output (printed numbers, tables, HTML reprs) must be equal, line by line;
    every figure must have the same size and differ by at most IMAGE_TOLERANCE per pixel
    (the fresh one re-encoded as it would be committed).
    """
    problems = []
    fresh = _compact_outputs(fresh)
    code = [(i, c) for i, c in enumerate(committed.cells) if c.cell_type == "code"]
    for (i, old), new in zip(code, (c for c in fresh.cells if c.cell_type == "code")):
        where = f"cell {i} ({old.source.strip().splitlines()[0][:50] if old.source.strip() else 'empty'})"
        old_texts = [(m, _normal(t)) for m, t in _texts(old)]
        new_texts = [(m, _normal(t)) for m, t in _texts(new)]
        if old_texts != new_texts:
            for (m1, t1), (m2, t2) in zip(old_texts + [("", "")] * 99, new_texts + [("", "")] * 99):
                if (m1, t1) != (m2, t2):
                    line = next((f"committed {a!r}, now {b!r}" for a, b in
                                 zip(t1.splitlines() + [""] * 999, t2.splitlines() + [""] * 999) if a != b),
                                f"{m1 or 'nothing'} became {m2 or 'nothing'}")
                    problems.append(f"{where}: {line}")
                    break
        old_images = [p for o in old.outputs for p in _images(o)]
        new_images = [p for o in new.outputs for p in _images(o)]
        if len(old_images) != len(new_images):
            problems.append(f"{where}: {len(old_images)} figures committed, {len(new_images)} now")
            continue
        for k, (a, b) in enumerate(zip(old_images, new_images)):
            pa, pb = _pixels(a), _pixels(b)
            if pa.shape != pb.shape:
                problems.append(f"{where}: figure {k} was {pa.shape[1]}×{pa.shape[0]} px, now "
                                f"{pb.shape[1]}×{pb.shape[0]}")
            elif abs(pa - pb).mean() > IMAGE_TOLERANCE:
                problems.append(f"{where}: figure {k} changed (mean pixel difference "
                                f"{abs(pa - pb).mean():.3f})")
    return problems


def refresh(path):
    """Re-execute the notebook at `path` and write it back with the new outputs."""
    import nbformat
    notebook = _static(_compact_outputs(execute(path)))
    for cell in notebook.cells:
        cell.get("metadata", {}).pop("execution", None)
    nbformat.write(notebook, path)


def main(argv):
    chosen = [Path(a) if Path(a).exists() else HERE / a for a in argv] or NOTEBOOKS
    for path in chosen:
        print(f"executing {path.relative_to(ROOT)}", end=" ", flush=True)
        started = time.perf_counter()
        refresh(path)
        print(f"{time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
