"""examples/optimizer_lab.py runs with tiny settings and writes every picture it promises."""
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
from PIL import Image  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "optimizer_lab.py"


def test_optimizer_lab_example_writes_its_pictures(tmp_path):
    out = tmp_path / "lab"
    finished = subprocess.run(
        [sys.executable, str(EXAMPLE), "--out", str(out), "--steps", "20", "--sparse-steps", "5", "--frames", "4"],
        capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert "rule" in finished.stdout and "adagrad" in finished.stdout
    for name in ("beale.png", "beale_losses.png", "saddle.png", "sparse.png", "step_sizes.png"):
        with Image.open(out / name) as image:
            assert image.format == "PNG" and min(image.size) > 300
    with Image.open(out / "beale.gif") as image:
        assert image.format == "GIF" and image.n_frames == 4
