"""`tinygrad-opt train --checkpoint`: never overwrites what it should not, and a damaged checkpoint
given to --resume is one line naming what is wrong (exit 2), never a traceback."""
import copy as copy_module

import pytest

import tinygrad_opt as tg
from tinygrad_opt.cli import main

TRAIN = ["train", "--hidden", "8", "--epochs", "1", "--quiet"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A one-epoch checkpoint, trained once for every test here."""
    path = tmp_path_factory.mktemp("train") / "c.npz"
    assert main([*TRAIN, "--checkpoint", str(path)]) == 0
    return tg.load(path)


def one_line_error(capsys, argv, code=2):
    assert main([str(arg) for arg in argv]) == code
    err = capsys.readouterr().err
    assert err.startswith("tinygrad-opt: error: ") and err.count("\n") == 1, err
    return err[len("tinygrad-opt: error: "):-1]


def test_a_file_that_is_not_a_checkpoint_is_never_overwritten(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    for extra in ([], ["--force"]):
        message = one_line_error(capsys, [*TRAIN, "--checkpoint", notes, *extra])
        assert message == (f"--checkpoint {str(notes)!r} exists and is not a checkpoint written by tinygrad-opt "
                           "train; it is never overwritten: choose another file name")
    assert notes.read_text() == "my notes\n"


def test_an_existing_checkpoint_needs_resume_or_force(tmp_path, capsys, checkpoint):
    path = tmp_path / "c.npz"
    tg.save(checkpoint, path)
    before = path.read_bytes()
    message = one_line_error(capsys, [*TRAIN, "--checkpoint", path])
    assert message == (f"--checkpoint {str(path)!r} already holds a checkpoint: add --resume to continue it, "
                       "or --force to start over")
    assert path.read_bytes() == before
    assert one_line_error(capsys, [*TRAIN, "--checkpoint", path, "--resume", "--force"]) == (
        "--resume continues the checkpoint and --force starts over: choose one")

    assert main([*TRAIN, "--checkpoint", str(path), "--force"]) == 0
    assert tg.load(path)["epoch"] == 1 and path.read_bytes() != before


def damaged(checkpoint, change):
    copy = copy_module.deepcopy(checkpoint)
    change(copy)
    return copy


DAMAGE = {
    "no settings": (lambda c: c.pop("settings"), "it has no settings"),
    "no history": (lambda c: c.pop("history"), "it has no history"),
    "no lr": (lambda c: c["settings"].pop("lr"), "the checkpoint's settings have no 'lr'"),
    "hidden not text": (lambda c: c["settings"].update(hidden=8), "the checkpoint's setting 'hidden' is 8, "
                                                                  "expected text"),
    "hidden of commas": (lambda c: c["settings"].update(hidden=",,"), "the checkpoint's setting 'hidden' is wrong"),
    "unknown optimizer": (lambda c: c["settings"].update(optimizer="sgdd"), "unknown optimizer 'sgdd'"),
    "settings not a dict": (lambda c: c.update(settings=[1]), "the checkpoint's settings are a list"),
    "betas of length 1": (lambda c: c["optimizer"]["param_groups"][0].update(betas=(0.9,)),
                          "the checkpoint's optimizer state is damaged"),
    "history fields missing": (lambda c: c["history"].pop("loss"), "the checkpoint's history is damaged"),
    "history not a dict": (lambda c: c.update(history=3), "the checkpoint's history is damaged"),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_checkpoint_is_one_line_and_exit_2(case, tmp_path, capsys, checkpoint):
    change, expected = DAMAGE[case]
    path = tmp_path / "c.npz"
    tg.save(damaged(checkpoint, change), path)
    before = path.read_bytes()
    message = one_line_error(capsys, ["train", "--resume", "--epochs", "2", "--quiet", "--checkpoint", path])
    assert message.startswith("--resume: ") and expected in message, message
    assert path.read_bytes() == before
