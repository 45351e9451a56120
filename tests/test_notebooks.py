"""The notebook course runs, and its committed outputs are what it prints today.

Each notebook in docs/notebooks/ (and docs/notebooks/ko/) is executed top to bottom in a
fresh `python3` kernel (nbclient) with this repository first on PYTHONPATH; any error in any
cell fails. Then every printed number and table, and every figure, is compared with the
outputs committed in the file (`docs/notebooks/run.py`'s `drift`): a change in the library
that changes what a notebook shows must come with the re-executed notebook
(`python docs/notebooks/run.py NAME.ipynb`).

The exercises notebook is run twice more with its stubs filled from
tests/notebook_solutions/ (kept out of the notebook on purpose): once with the solutions,
whose checks must all say "correct", once with a wrong answer, which they must catch.
"""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = Path(__file__).resolve().parent / "notebook_solutions"

# Not skipped when missing: CI must execute the notebooks, and the dev extra installs all of these.
import ipykernel  # noqa: E402,F401  (provides the python3 kernel)
import ipywidgets  # noqa: E402,F401
import matplotlib  # noqa: E402,F401
import nbclient  # noqa: E402,F401


def _load_runner():
    spec = importlib.util.spec_from_file_location("notebook_runner", ROOT / "docs" / "notebooks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run = _load_runner()


def test_the_course_is_all_there():
    names = [p.relative_to(run.HERE).as_posix() for p in run.NOTEBOOKS]
    assert len([n for n in names if "/" not in n]) == 10, names
    assert len([n for n in names if n.startswith("ko/")]) == 5, names


def test_a_python3_kernel_is_installed():
    from jupyter_client.kernelspec import KernelSpecManager
    specs = KernelSpecManager().find_kernel_specs()
    assert run.KERNEL in specs, (f"no Jupyter kernel named {run.KERNEL!r} (found {sorted(specs)}): "
                                 'pip install -e ".[dev]" installs ipykernel, which provides it')


@pytest.mark.parametrize("path", run.NOTEBOOKS, ids=lambda p: p.relative_to(run.HERE).as_posix())
def test_notebook_runs_and_its_outputs_are_current(path):
    import nbformat
    committed = nbformat.read(path, as_version=4)
    fresh = run.execute(path)
    assert any(c.get("outputs") for c in committed.cells if c.cell_type == "code"), \
        f"{path.name} is committed without outputs: run python docs/notebooks/run.py {path.name}"
    problems = run.drift(committed, fresh)
    assert not problems, (f"{path.name}'s committed outputs are stale (refresh them with "
                          f"`python docs/notebooks/run.py {path.name}`):\n  " + "\n  ".join(problems))


def _exercises():
    spec = importlib.util.spec_from_file_location("exercise_answers", SOLUTIONS / "exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _verdicts(notebook):
    return [line for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.outputs if output.get("output_type") == "stream"
            for line in output["text"].splitlines() if line.startswith("Exercise ")]


EXERCISES = run.HERE / "09_exercises.ipynb"


def test_the_exercise_checks_pass_the_solutions():
    answers = _exercises()
    verdicts = _verdicts(run.execute(EXERCISES, replace=answers.SOLUTIONS))
    assert len(verdicts) == 3 and all(v.endswith("correct ✓") for v in verdicts), verdicts


def test_the_exercise_checks_catch_wrong_answers():
    answers = _exercises()
    assert all(answers.WRONG[tag] != answers.SOLUTIONS[tag] for tag in answers.SOLUTIONS)
    verdicts = _verdicts(run.execute(EXERCISES, replace=answers.WRONG))
    assert len(verdicts) == 3 and all(": not right yet — " in v for v in verdicts), verdicts


def test_the_notebook_ships_the_stubs_not_the_solutions():
    import nbformat
    notebook = nbformat.read(EXERCISES, as_version=4)
    stubs = {tag: cell.source for cell in notebook.cells for tag in cell.metadata.get("tags", [])}
    assert set(stubs) == set(_exercises().SOLUTIONS)
    assert all("raise NotImplementedError" in source for source in stubs.values())


@pytest.mark.parametrize("path", ["notebooks/04_momentum/", "notebooks/ko/06_rmsprop/"])
def test_notebook_pages_typeset_their_maths_offline(site, visit, path):
    session = visit(site)
    page = session.open(path)
    counts = page.evaluate("""() => ({
        typeset: document.querySelectorAll('.jp-MarkdownCell .notebook-math .katex').length,
        untypeset: Array.from(document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown'))
            .filter(cell => /\\$[^$]+\\$/.test(cell.textContent.replace(/\\$\\$[\\s\\S]*?\\$\\$/g, ''))).length,
        figures: Array.from(document.querySelectorAll('.jp-OutputArea img')).filter(i => i.naturalWidth > 0).length})""")
    assert counts["typeset"] > 5 and counts["untypeset"] == 0, f"{path}: {counts}"
    assert counts["figures"] >= 3, f"{path}: {counts}"
    assert not session.problems, "\n".join(session.problems)


def test_the_stale_check_sees_a_changed_number_and_a_changed_figure():
    import base64
    import copy
    import io

    import nbformat
    from PIL import Image

    committed = nbformat.read(run.HERE / "04_momentum.ipynb", as_version=4)
    assert run.drift(committed, copy.deepcopy(committed)) == []

    number = copy.deepcopy(committed)
    stream = next(o for c in number.cells if c.cell_type == "code" for o in c.outputs
                  if o.get("output_type") == "stream" and "ends at x = -1.473" in o["text"])
    stream["text"] = stream["text"].replace("-1.473", "-1.474")
    assert any("ends at x = -1.474" in p for p in run.drift(committed, number))

    figure = copy.deepcopy(committed)
    output = next(o for c in figure.cells if c.cell_type == "code" for o in c.outputs
                  if "image/png" in o.get("data", {}))
    image = Image.open(io.BytesIO(base64.b64decode(output["data"]["image/png"]))).convert("RGB")
    buffer = io.BytesIO()
    image.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(buffer, format="png")
    output["data"]["image/png"] = base64.b64encode(buffer.getvalue()).decode("ascii")
    assert any("figure 0 changed" in p for p in run.drift(committed, figure))
