"""atomic_write, the one way files are written: old-or-new, symlinks kept, stale temporaries
cleaned, errors naming the caller's path. Checkpoints, drawings and downloads all go through it."""
import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import files, viz
from tinygrad_opt.data import download_file
from tinygrad_opt.files import atomic_write


def write(path, data):
    with atomic_write(path) as file:
        file.write(data)


def test_the_new_bytes_replace_the_old(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"old")
    write(path, b"new")
    assert path.read_bytes() == b"new" and os.listdir(tmp_path) == ["notes.txt"]


def test_an_error_inside_the_block_keeps_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="half way"):
        with atomic_write(path) as file:
            file.write(b"ne")
            raise RuntimeError("half way")
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["notes.txt"]


def test_a_symlink_stays_a_link_and_its_target_is_written(tmp_path):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "epoch3.npz"
    tg.save({"epoch": 3}, target)
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    tg.save({"epoch": 4}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert tg.load(target) == {"epoch": 4}
    assert sorted(os.listdir(tmp_path / "runs")) == ["epoch3.npz"]  # the temporary was beside the target


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "latest.npz"
    link.symlink_to(tmp_path / "new.npz")
    tg.save({"epoch": 1}, link)
    assert link.is_symlink() and tg.load(tmp_path / "new.npz") == {"epoch": 1}


def test_a_temporary_left_by_a_killed_save_is_removed_by_the_next_save(tmp_path):
    path = tmp_path / "ckpt.npz"
    # A save killed with SIGKILL mid-write: its temporary stays behind.
    child = subprocess.run(
        [sys.executable, "-c",
         "import os, signal, sys\n"
         "from tinygrad_opt.files import atomic_write\n"
         "with atomic_write(sys.argv[1]) as file:\n"
         "    file.write(b'x' * 1000); file.flush()\n"
         "    os.kill(os.getpid(), signal.SIGKILL)\n", str(path)],
        env=dict(os.environ), capture_output=True)
    assert child.returncode == -9
    leftovers = os.listdir(tmp_path)
    assert len(leftovers) == 1 and leftovers[0].startswith(".ckpt.npz.") and leftovers[0].endswith(".tmp")
    tg.save({"epoch": 1}, path)
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_a_temporary_of_a_live_writer_and_other_files_are_left_alone(tmp_path):
    path = tmp_path / "ckpt.npz"
    alive = tmp_path / f".ckpt.npz.{os.getppid()}.abc123.tmp"   # our parent is still running
    other = tmp_path / ".other.npz.999999999.abc123.tmp"         # another target's
    mine = tmp_path / ".ckpt.npz.notes"                           # not one of our temporaries
    for leftover in (alive, other, mine):
        leftover.write_bytes(b"?")
    write(path, b"new")
    assert sorted(os.listdir(tmp_path)) == sorted(["ckpt.npz", alive.name, other.name, mine.name])


def test_a_missing_folder_is_named_not_the_temporary(tmp_path):
    path = tmp_path / "no" / "such" / "ckpt.npz"
    with pytest.raises(FileNotFoundError) as error:
        tg.save({"epoch": 1}, path)
    assert str(error.value) == (f"[Errno 2] cannot write {str(path)!r}: the folder "
                                f"{str(tmp_path / 'no' / 'such')!r} does not exist")
    assert ".tmp" not in str(error.value)


def test_a_directory_is_refused_by_name(tmp_path):
    with pytest.raises(IsADirectoryError, match=f"cannot write {str(tmp_path)!r}: it is a directory"):
        write(tmp_path, b"x")


def test_a_refused_temporary_names_the_callers_path(tmp_path, monkeypatch):
    def refuse(prefix, suffix, dir):  # what mkstemp raises in a folder we may not write to
        raise PermissionError(13, "Permission denied", os.path.join(dir, prefix + "x" + suffix))

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError) as error:
        tg.save({"epoch": 1}, tmp_path / "x.npz")
    assert str(error.value) == f"[Errno 13] cannot write {str(tmp_path / 'x.npz')!r}: Permission denied"


def test_a_bytes_path_works(tmp_path):
    path = os.fsencode(tmp_path / "ckpt.npz")
    tg.save({"epoch": 1}, path)
    assert tg.load(path) == {"epoch": 1}


def test_a_new_file_gets_the_usual_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        write(tmp_path / "a.bin", b"x")
    finally:
        os.umask(umask)
    assert os.stat(tmp_path / "a.bin").st_mode & 0o777 == 0o644


def test_drawings_keep_a_symlink_too(tmp_path):
    x = tg.Tensor([1.0], requires_grad=True)
    drawing = viz.draw_graph(x.exp())
    (tmp_path / "graph.dot").write_text("old")
    (tmp_path / "link.dot").symlink_to(tmp_path / "graph.dot")
    viz.save(drawing, tmp_path / "link.dot")
    assert (tmp_path / "link.dot").is_symlink()
    assert (tmp_path / "graph.dot").read_text() == drawing.source


class FakeResponse:
    def __init__(self, data):
        self.data = data

    def read(self, size):
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_downloads_keep_a_symlink_too(tmp_path):
    (tmp_path / "real.gz").write_bytes(b"old")
    (tmp_path / "link.gz").symlink_to(tmp_path / "real.gz")
    download_file("https://example.invalid/x", tmp_path / "link.gz", opener=lambda url: FakeResponse(b"new"))
    assert (tmp_path / "link.gz").is_symlink() and (tmp_path / "real.gz").read_bytes() == b"new"


def test_checkpoints_written_through_it_still_load(tmp_path):
    tg.save({"w": np.arange(3.0)}, tmp_path / "c.npz")
    np.testing.assert_array_equal(tg.load(tmp_path / "c.npz")["w"], np.arange(3.0))


def test_a_relative_path_is_named_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"cannot write 'no/ckpt.npz': the folder 'no' does not exist"):
        write("no/ckpt.npz", b"x")
    (tmp_path / "link.npz").symlink_to(tmp_path / "gone" / "ckpt.npz")
    with pytest.raises(FileNotFoundError, match=r"cannot write 'link.npz': its target '.*gone/ckpt.npz' is in a "
                                                r"folder that does not exist"):
        write("link.npz", b"x")
