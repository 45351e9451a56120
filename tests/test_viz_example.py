"""Smoke test of examples/draw_graph.py: it runs, writes the files it names, and they hold drawings."""
import os
import shutil
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]


def run_example(out, **env):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), **env)
    return subprocess.run([sys.executable, str(ROOT / "examples" / "draw_graph.py"), "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=120)


def test_draw_graph_example_writes_the_files_it_prints(tmp_path):
    out = tmp_path / "drawings"
    result = run_example(out)
    assert result.returncode == 0, result.stderr
    printed = [Path(line) for line in result.stdout.splitlines()]
    stems = ["1_forward", "2_forward_by_module", "4_forward_with_grads", "5_backward_order"]
    expected = [out / f"{stem}.dot" for stem in stems]
    if shutil.which("dot"):
        expected += [out / f"{stem}.svg" for stem in stems] + [out / "3_backprop.html"]
    assert sorted(printed) == sorted(expected)
    assert sorted(out.iterdir()) == sorted(expected)
    assert "0: Linear(4→8)" in (out / "1_forward.dot").read_text(encoding="utf-8")
    assert "grad " in (out / "4_forward_with_grads.dot").read_text(encoding="utf-8")
    assert "backward at #1" in (out / "5_backward_order.dot").read_text(encoding="utf-8")
    if shutil.which("dot"):
        assert (out / "1_forward.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
        assert (out / "3_backprop.html").read_text(encoding="utf-8").count('<section class="frame"') == 8


def test_draw_graph_example_without_dot_writes_the_sources(tmp_path):
    out = tmp_path / "drawings"
    result = run_example(out, PATH=str(tmp_path / "empty-bin"))  # no `dot` on this PATH
    assert result.returncode == 0, result.stderr
    assert "Graphviz 'dot' is not installed: writing only .dot files" in result.stderr
    assert sorted(path.name for path in out.iterdir()) == [
        "1_forward.dot", "2_forward_by_module.dot", "4_forward_with_grads.dot", "5_backward_order.dot"]
