"""save/load: exact round trips of nested checkpoints, no pickle ever, clear errors for bad
files, and atomic writes."""
import io
import json
import os
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_opt as tg
import tinygrad_opt.serialization as serialization
from tinygrad_opt import nn


def assert_same(a, b):
    """Structural equality that also checks types (tuple vs list, int vs float, dtypes)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b) and [type(k) for k in a] == [type(k) for k in b]
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_optimizer_style_state_round_trips_exactly(tmp_path):
    exp_avg = np.array([[0.1, -0.2], [0.3, 0.4]], dtype=np.float32)
    state = {"state": {0: {"step": 3, "exp_avg": exp_avg}, 1: {"step": 3, "exp_avg": np.zeros(2)}},
             "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "amsgrad": False,
                               "weight_decay": 0.0, "name": None}]}
    path = tmp_path / "optim.npz"
    tg.save(state, path)
    loaded = tg.load(path)
    assert_same(loaded, state)
    assert list(loaded["state"]) == [0, 1]                          # int keys stay int
    assert loaded["param_groups"][0]["betas"] == (0.9, 0.999)      # the tuple stays a tuple
    assert isinstance(loaded["param_groups"][0]["params"], list)   # and the list a list


def test_model_state_dict_round_trips_and_loads_back(tmp_path):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    tg.save({"model": model.state_dict(), "epoch": 7}, tmp_path / "ckpt.npz")
    checkpoint = tg.load(tmp_path / "ckpt.npz")
    assert isinstance(checkpoint["model"], OrderedDict)
    assert [(k, v.shape) for k, v in checkpoint["model"].items()] == [
        ("0.weight", (32, 64)), ("0.bias", (32,)), ("2.weight", (10, 32)), ("2.bias", (10,))]
    fresh = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    fresh.load_state_dict(checkpoint["model"])
    x = tg.ones(2, 64)
    np.testing.assert_array_equal(fresh(x).data, model(x).data)


def test_scalars_and_special_values_round_trip_exactly(tmp_path):
    obj = [0.1, 1 / 3, -0.0, float("inf"), float("-inf"), float("nan"), 1e-310, 2 ** 80, -5, True, False, None,
           "héllo ✓", "", np.float32(1.5), np.int64(-3), np.bool_(True), np.array(2.5), np.arange(3, dtype=np.uint8),
           np.array(["a", "bc"]), tg.Tensor([1.0, 2.0]), (), [], {}]
    tg.save(obj, tmp_path / "x.npz")
    loaded = tg.load(tmp_path / "x.npz")
    expected = list(obj)
    expected[-4] = np.array([1.0, 2.0], dtype=np.float32)  # a Tensor comes back as its array
    assert_same(loaded, expected)
    assert repr(loaded[2]) == "-0.0" and loaded[6] == 1e-310
    assert type(loaded[14]) is np.float32 and type(loaded[15]) is np.int64


def test_save_writes_exactly_the_path_given_and_to_open_files(tmp_path):
    tg.save({"a": 1}, tmp_path / "model.ckpt")
    assert os.listdir(tmp_path) == ["model.ckpt"]       # np.savez would have added .npz
    buffer = io.BytesIO()
    tg.save({"a": np.ones(2)}, buffer)
    buffer.seek(0)
    assert_same(tg.load(buffer), {"a": np.ones(2)})


# ---------------------------------------------------------------------- refused at save
def test_unsupported_types_name_the_type_and_the_key_path_and_write_nothing(tmp_path):
    path = tmp_path / "bad.npz"
    with pytest.raises(TypeError) as error:
        tg.save({"state": {0: {"step": 3, "fn": len}}}, path)
    assert "builtin_function_or_method" in str(error.value) and "obj['state'][0]['fn']" in str(error.value)
    with pytest.raises(TypeError, match=r"dtype object at obj\['a'\]\[1\]"):
        tg.save({"a": [1, np.array([{}, None], dtype=object)]}, path)
    with pytest.raises(TypeError, match="dict keys must be str or int, got a key of type tuple"):
        tg.save({(1, 2): 3}, path)
    with pytest.raises(TypeError, match="type set"):
        tg.save([{1, 2}], path)
    cycle = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="circular"):
        tg.save(cycle, path)
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------- no pickle, bad files
def test_a_file_holding_an_object_array_is_refused_without_unpickling(tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    skeleton = {"format": serialization.FORMAT, "version": serialization.VERSION,
                "root": {"type": "array", "name": "array_0"}}
    path = tmp_path / "evil.npz"
    np.savez(path, array_0=np.array([Boom()], dtype=object),
             __skeleton__=np.frombuffer(json.dumps(skeleton).encode(), dtype=np.uint8))
    with pytest.raises(ValueError, match="is not a tinygrad_opt checkpoint: .*allow_pickle"):
        tg.load(path)
    assert not (tmp_path / "pwned").exists()


def test_a_pickle_file_is_refused(tmp_path):
    path = tmp_path / "model.pt"
    with open(path, "wb") as file:   # an .npy holding a pickled object array
        np.save(file, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="is not a tinygrad_opt checkpoint"):
        tg.load(path)
    (tmp_path / "pickled").write_bytes(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01.")
    with pytest.raises(ValueError, match="is not a tinygrad_opt checkpoint: .*pickled data .* never loaded"):
        tg.load(tmp_path / "pickled")


def test_truncated_files_are_refused_at_every_length(tmp_path):
    good = tmp_path / "good.npz"
    tg.save({"w": np.arange(100.0), "meta": {"epoch": 3}}, good)
    data = good.read_bytes()
    bad = tmp_path / "bad.npz"
    for length in (0, 1, 10, 100, len(data) // 2, len(data) - 22, len(data) - 1):
        bad.write_bytes(data[:length])
        with pytest.raises(ValueError, match="bad.npz is not a tinygrad_opt checkpoint"):
            tg.load(bad)


def test_corrupted_bytes_are_refused(tmp_path):
    good = tmp_path / "good.npz"
    tg.save({"w": np.arange(1000.0)}, good)
    data = bytearray(good.read_bytes())
    data[len(data) // 3] ^= 0xFF   # inside the array entry: the zip CRC no longer matches
    bad = tmp_path / "bad.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="is not a tinygrad_opt checkpoint"):
        tg.load(bad)


def test_other_npz_and_npy_files_and_bad_skeletons_are_refused(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.ones(2))
    with pytest.raises(ValueError, match="no '__skeleton__' entry"):
        tg.load(tmp_path / "plain.npz")
    np.save(tmp_path / "single.npy", np.ones(2))
    with pytest.raises(ValueError, match="single .npy array"):
        tg.load(tmp_path / "single.npy")
    (tmp_path / "text.txt").write_text("hello")
    with pytest.raises(ValueError, match="text.txt is not a tinygrad_opt checkpoint: it is not an .npz .zip. archive"):
        tg.load(tmp_path / "text.txt")

    def crafted(name, skeleton, **arrays):
        raw = skeleton if isinstance(skeleton, bytes) else json.dumps(skeleton).encode()
        np.savez(tmp_path / name, __skeleton__=np.frombuffer(raw, dtype=np.uint8), **arrays)
        return tmp_path / name

    header = {"format": serialization.FORMAT, "version": serialization.VERSION}
    cases = {
        "not valid JSON": crafted("a.npz", b"{not json"),
        "format": crafted("b.npz", {"format": "other", "version": 1, "root": {"type": "none"}}),
        "version 99": crafted("c.npz", {**header, "version": 99, "root": {"type": "none"}}),
        "missing array entry 'array_7'": crafted("d.npz", {**header, "root": {"type": "array", "name": "array_7"}}),
        "unknown node type 'pickle'": crafted("e.npz", {**header, "root": {"type": "pickle", "value": "x"}}),
        "malformed int node": crafted("f.npz", {**header, "root": {"type": "int", "value": "3"}}),
        "malformed dict key": crafted("g.npz", {**header, "root": {"type": "dict", "items": [
            [{"type": "float", "value": "1.0"}, {"type": "none"}]]}}),
    }
    for reason, path in cases.items():
        with pytest.raises(ValueError, match=f"is not a tinygrad_opt checkpoint: .*{reason}"):
            tg.load(path)
    np.savez(tmp_path / "h.npz", __skeleton__=np.zeros(3, dtype=np.float64))
    with pytest.raises(ValueError, match="expected uint8 bytes"):
        tg.load(tmp_path / "h.npz")


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tg.load(tmp_path / "nope.npz")


def test_the_file_is_a_plain_zip_of_npy_entries(tmp_path):
    tg.save({"w": np.ones(3)}, tmp_path / "c.npz")
    with zipfile.ZipFile(tmp_path / "c.npz") as archive:
        assert sorted(archive.namelist()) == ["__skeleton__.npy", "array_0.npy"]
    with np.load(tmp_path / "c.npz", allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["array_0"], np.ones(3))


# ---------------------------------------------------------------------- atomic writes
def test_a_failure_mid_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    tg.save({"epoch": 1, "w": np.zeros(4)}, path)
    before = path.read_bytes()
    real_savez = np.savez

    def savez_then_crash(file, **entries):
        real_savez(file, **entries)   # the temporary file is fully written...
        raise OSError("disk full")    # ...and then something goes wrong before the rename

    monkeypatch.setattr(serialization.np, "savez", savez_then_crash)
    with pytest.raises(OSError, match="disk full"):
        tg.save({"epoch": 2, "w": np.ones(4)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    monkeypatch.undo()
    assert tg.load(path)["epoch"] == 1


def test_a_failing_rename_also_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    tg.save({"epoch": 1}, path)

    def refuse(*args):
        raise PermissionError("read-only")

    monkeypatch.setattr(serialization.os, "replace", refuse)
    with pytest.raises(PermissionError):
        tg.save({"epoch": 2}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"] and tg.load(path) == {"epoch": 1}


def test_overwriting_keeps_the_file_mode(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"epoch": 1}, path)
    os.chmod(path, 0o640)
    tg.save({"epoch": 2}, path)
    assert os.stat(path).st_mode & 0o777 == 0o640 and tg.load(path) == {"epoch": 2}


# ---------------------------------------------------------------------- files built to exhaust memory
def crafted_checkpoint(path, root, entries):
    """A zip holding `entries` ({name: raw .npy bytes}) and a skeleton whose root node is `root`."""
    skeleton = json.dumps({"format": serialization.FORMAT, "version": serialization.VERSION, "root": root})
    with zipfile.ZipFile(path, "w") as archive:
        for name, raw in {**entries, "__skeleton__": npy_bytes(np.frombuffer(skeleton.encode(), np.uint8))}.items():
            archive.writestr(name + ".npy", raw)


def npy_bytes(array, header=None):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header or np.lib.format.header_data_from_array_1_0(array))
    return buffer.getvalue() + array.tobytes()


def test_an_entry_named_many_times_is_refused_not_decoded_again_and_again(tmp_path):
    path = tmp_path / "bomb.npz"  # 8 KB of data, named 100 times: 800 KB if each reference were decoded
    root = {"type": "list", "items": [{"type": "array", "name": "array_0"}] * 100}
    crafted_checkpoint(path, root, {"array_0": npy_bytes(np.zeros(1000))})
    with pytest.raises(ValueError, match="is not a tinygrad_opt checkpoint: the skeleton refers to "
                                         "array entry 'array_0' more than once"):
        tg.load(path)


def test_a_header_declaring_more_than_the_entry_holds_is_refused_before_allocating(tmp_path):
    path = tmp_path / "bomb.npz"  # about 300 bytes, declaring an 8 TB array
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    crafted_checkpoint(path, {"type": "array", "name": "array_0"},
                       {"array_0": npy_bytes(np.zeros(2), header=header)})
    with pytest.raises(ValueError, match=r"is not a tinygrad_opt checkpoint: entry 'array_0' declares a float64 "
                                         r"array of shape \(1000000000000,\) \(8000000000000 bytes\) but holds 16"):
        tg.load(path)


def test_a_compressed_entry_is_refused(tmp_path):
    # Compression would let a small file inflate to any size; save never compresses.
    path = tmp_path / "c.npz"
    skeleton = json.dumps({"format": serialization.FORMAT, "version": serialization.VERSION,
                           "root": {"type": "none"}})
    np.savez_compressed(path, __skeleton__=np.frombuffer(skeleton.encode(), np.uint8))
    with pytest.raises(ValueError, match="entry '__skeleton__' is compressed"):
        tg.load(path)


# ---------------------------------------------------------------------- nesting
def nested(depth):
    obj = []
    for _ in range(depth - 1):
        obj = [obj]
    return obj


def test_nesting_up_to_the_limit_round_trips(tmp_path):
    obj = nested(serialization.MAX_DEPTH)
    tg.save(obj, tmp_path / "deep.npz")
    assert tg.load(tmp_path / "deep.npz") == obj


def test_deeper_nesting_is_refused_with_a_clear_message_and_no_file(tmp_path):
    with pytest.raises(ValueError, match=r"save: obj\[0\]\[0\]\[0\]\.\.\. is nested more than 100 levels deep"):
        tg.save(nested(1000), tmp_path / "deep.npz")
    assert os.listdir(tmp_path) == []


def test_a_skeleton_nested_too_deep_is_refused(tmp_path):
    root = {"type": "none"}
    for _ in range(serialization.MAX_DEPTH + 1):
        root = {"type": "list", "items": [root]}
    crafted_checkpoint(tmp_path / "deep.npz", root, {})
    with pytest.raises(ValueError, match="the skeleton is nested more than 100 levels deep"):
        tg.load(tmp_path / "deep.npz")
