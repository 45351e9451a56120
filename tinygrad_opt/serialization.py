"""`save(obj, path)` / `load(path)`: checkpoints in one numpy `.npz` file, without pickle.

Loading a file can never run code: the structure of `obj` is stored as JSON (a "skeleton"
kept as a uint8 array entry), every array as its own `.npy` entry, and everything is read
back with `np.load(..., allow_pickle=False)`. What can be stored, and what comes back:

    dict (str or int keys, order kept), OrderedDict  →  the same type, the same keys
    list, tuple                                      →  list, tuple (never swapped)
    str, int, float, bool, None                      →  the same value (floats exactly, nan/inf too)
    numpy array (numbers, bools, strings)            →  numpy array of the same dtype and shape
    numpy scalar (np.float32(1.5), np.int64(3))      →  the same numpy scalar
    Tensor                                           →  its data as a numpy array (not a Tensor)

Tuples and lists that are subclasses (namedtuples) come back as plain tuples and lists, and
dict subclasses other than OrderedDict as plain dicts. Anything else — object arrays, sets,
functions, keys that are not str or int — is refused at save with a TypeError naming the type
and where it sits (`obj['state'][0]['step']`), and no file is written.

Reading is bounded by the file: each array entry is read at most once, and its header's shape
and dtype must match the bytes it really holds (no compression) before anything is allocated,
so a small crafted file cannot claim gigabytes. Nesting is limited to MAX_DEPTH (100) levels,
at save and at load.

Writes are atomic (`tinygrad_opt.files.atomic_write`): a crash or error mid-save leaves the
previous checkpoint intact, and a symlink's target is written. The file is written at exactly
`path` (no `.npz` is appended).
"""
import json
import math
import os
import zipfile
from collections import OrderedDict

import numpy as np

from .files import atomic_write
from .tensor import Tensor

FORMAT = "tinygrad_opt.checkpoint"
VERSION = 1
_SKELETON = "__skeleton__"
_ARRAY_KINDS = "biufcUS"  # numeric, bool and string dtypes: none of them needs pickle
MAX_DEPTH = 100  # dicts, lists and tuples inside each other; far beyond any real checkpoint


def _where(path):
    return "obj" + "".join(f"[{key!r}]" for key in path)


class _Encoder:
    """Turns an object into a JSON-able skeleton, collecting its arrays on the side."""

    def __init__(self):
        self.arrays = {}
        self.open_containers = set()

    def array(self, array, path, kind):
        if array.dtype.kind not in _ARRAY_KINDS:
            raise TypeError(f"save: cannot store an array of dtype {array.dtype} at {_where(path)} "
                            "(only numbers, bools and strings can be stored without pickle)")
        name = f"array_{len(self.arrays)}"
        self.arrays[name] = array
        return {"type": kind, "name": name}

    def encode(self, obj, path=()):
        # bool before int: True is an int in Python
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": obj}
        if isinstance(obj, float):
            return {"type": "float", "value": repr(obj)}  # repr round-trips every float exactly
        if isinstance(obj, str):
            return {"type": "str", "value": obj}
        if isinstance(obj, Tensor):
            return self.array(obj.data, path, "array")
        if isinstance(obj, np.ndarray):
            return self.array(obj, path, "array")
        if isinstance(obj, np.generic):
            return self.array(np.asarray(obj), path, "numpy_scalar")
        if isinstance(obj, (dict, list, tuple)):
            if len(path) >= MAX_DEPTH:
                raise ValueError(f"save: {_where(path[:3])}... is nested more than {MAX_DEPTH} levels deep; "
                                 f"a checkpoint holds at most {MAX_DEPTH} levels of dicts, lists and tuples")
            if id(obj) in self.open_containers:
                raise ValueError(f"save: {_where(path)} contains itself (a circular reference)")
            self.open_containers.add(id(obj))
            try:
                return self.container(obj, path)
            finally:
                self.open_containers.discard(id(obj))
        raise TypeError(f"save: cannot store an object of type {type(obj).__name__} at {_where(path)}; "
                        "supported: dict, list, tuple, str, int, float, bool, None, numpy arrays and "
                        "scalars, Tensors")

    def container(self, obj, path):
        if isinstance(obj, dict):
            items = []
            for key, value in obj.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise TypeError(f"save: dict keys must be str or int, got a key of type "
                                    f"{type(key).__name__} ({key!r}) in {_where(path)}")
                key_node = {"type": "str" if isinstance(key, str) else "int", "value": key}
                items.append([key_node, self.encode(value, path + (key,))])
            return {"type": "ordered_dict" if isinstance(obj, OrderedDict) else "dict", "items": items}
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {"type": kind, "items": [self.encode(value, path + (i,)) for i, value in enumerate(obj)]}


def save(obj, path):
    """Write `obj` (nested dicts/lists/tuples of arrays, Tensors, numbers, strings, None) to
    `path` as a pickle-free `.npz` checkpoint, atomically. See the module docstring."""
    encoder = _Encoder()
    root = encoder.encode(obj)  # every TypeError happens here, before any file is touched
    skeleton = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False)
    entries = dict(encoder.arrays)
    entries[_SKELETON] = np.frombuffer(skeleton.encode("utf-8"), dtype=np.uint8)
    if hasattr(path, "write"):  # an open binary file: written as is, not atomically
        np.savez(path, **entries)
        return
    with atomic_write(path) as file:
        np.savez(file, **entries)


class _Decoder:
    """Rebuilds the object from a skeleton, checking every node; each array entry is read at most once."""

    def __init__(self, archive, size):
        self.archive = archive
        self.size = size  # of the whole file: no entry can hold more
        self.used = set()

    def array(self, node):
        name = node.get("name")
        if not isinstance(name, str) or name == _SKELETON or name not in self.archive.files:
            raise ValueError(f"the skeleton refers to a missing array entry {name!r}")
        if name in self.used:  # save never shares an entry; a file that does could multiply its size
            raise ValueError(f"the skeleton refers to array entry {name!r} more than once")
        self.used.add(name)
        return read_entry(self.archive, name, self.size)

    def decode(self, node, depth=0):
        if depth > MAX_DEPTH:
            raise ValueError(f"the skeleton is nested more than {MAX_DEPTH} levels deep")
        if not isinstance(node, dict):
            raise ValueError(f"malformed skeleton node {node!r}")
        kind = node.get("type")
        if kind == "none":
            return None
        if kind in ("bool", "int", "str"):
            value = node.get("value")
            expected = {"bool": bool, "int": int, "str": str}[kind]
            if type(value) is not expected:
                raise ValueError(f"malformed {kind} node {node!r}")
            return value
        if kind == "float":
            value = node.get("value")
            if not isinstance(value, str):
                raise ValueError(f"malformed float node {node!r}")
            return float(value)
        if kind == "array":
            return self.array(node)
        if kind == "numpy_scalar":
            array = self.array(node)
            if array.ndim != 0:
                raise ValueError(f"numpy scalar entry {node.get('name')!r} has shape {array.shape}")
            return array[()]
        if kind not in ("list", "tuple", "dict", "ordered_dict"):
            raise ValueError(f"unknown node type {kind!r}")
        items = node.get("items")
        if not isinstance(items, list):
            raise ValueError(f"malformed {kind!r} node")
        if kind in ("list", "tuple"):
            values = [self.decode(item, depth + 1) for item in items]
            return values if kind == "list" else tuple(values)
        if kind in ("dict", "ordered_dict"):
            result = OrderedDict() if kind == "ordered_dict" else {}
            for pair in items:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise ValueError("malformed dict item")
                key = self.decode(pair[0], depth + 1)
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise ValueError(f"malformed dict key {pair[0]!r}")
                result[key] = self.decode(pair[1], depth + 1)
            return result


def read_entry(archive, name, size):
    """The array in entry `name` of an open .npz `archive` (of `size` bytes), read only after its
    header's shape and dtype are checked against the bytes the entry really holds — a header
    cannot make us allocate more memory than the file's size."""
    try:
        info = archive.zip.getinfo(name + ".npy")
    except KeyError:
        raise ValueError(f"entry {name!r} is not a .npy array") from None
    if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
        raise ValueError(f"entry {name!r} is compressed (checkpoints store arrays as they are)")
    if info.header_offset + info.file_size > size:
        raise ValueError(f"entry {name!r} claims {info.file_size} bytes, more than the whole file")
    with archive.zip.open(info) as member:
        version = np.lib.format.read_magic(member)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read_header is None:
            raise ValueError(f"entry {name!r} is a .npy of version {version}, expected 1.0 or 2.0")
        shape, fortran_order, dtype = read_header(member)
        if dtype.hasobject:
            raise ValueError(f"entry {name!r} holds Python objects, which only pickle could read (never loaded: allow_pickle=False)")
        declared = math.prod(shape) * dtype.itemsize
        held = info.file_size - member.tell()
        if declared != held:
            raise ValueError(f"entry {name!r} declares a {dtype} array of shape {shape} ({declared} bytes) "
                             f"but holds {held} bytes")
    return archive[name]


def load(path):
    """Read a checkpoint written by `save`. Arrays and Tensors come back as numpy arrays.

    Never unpickles anything. A file that is not such a checkpoint (another format, a plain
    `.npz`, truncated or tampered with, holding object arrays) raises ValueError
    `<path> is not a tinygrad_opt checkpoint: <reason>`; a missing file raises FileNotFoundError.
    """
    file = path if hasattr(path, "read") else open(path, "rb")
    label = getattr(path, "name", path) if hasattr(path, "read") else os.fspath(path)
    try:
        try:
            magic = file.read(6)
            file.seek(-len(magic), os.SEEK_CUR)
            if magic.startswith(b"\x93NUMPY"):
                raise ValueError("it is a single .npy array, not an .npz archive")
            if not magic.startswith(b"PK"):
                raise ValueError("it is not an .npz (zip) archive" + (
                    "; it holds pickled data (e.g. from pickle or torch.save), which is never loaded"
                    if magic.startswith(b"\x80") else ""))
            start = file.tell()
            size = file.seek(0, os.SEEK_END) - start
            file.seek(start)
            loaded = np.load(file, allow_pickle=False)
            with loaded as archive:
                if _SKELETON not in archive.files:
                    raise ValueError(f"it has no {_SKELETON!r} entry (a plain .npz, not a checkpoint)")
                raw = read_entry(archive, _SKELETON, size)
                if raw.dtype != np.uint8 or raw.ndim != 1:
                    raise ValueError(f"its skeleton is a {raw.dtype} array of shape {raw.shape}, expected uint8 bytes")
                try:
                    header = json.loads(raw.tobytes().decode("utf-8"))
                except ValueError as error:  # bad UTF-8 or bad JSON
                    raise ValueError(f"its skeleton is not valid JSON ({error})") from error
                if not isinstance(header, dict) or header.get("format") != FORMAT:
                    raise ValueError("its skeleton does not name the tinygrad_opt checkpoint format")
                if header.get("version") != VERSION:
                    raise ValueError(f"format version {header.get('version')!r} is not supported (expected {VERSION})")
                return _Decoder(archive, size).decode(header.get("root"))
        except (ValueError, TypeError, KeyError, IndexError, OSError, EOFError, RecursionError,
                zipfile.BadZipFile, zipfile.LargeZipFile, UnicodeDecodeError) as error:
            raise ValueError(f"{label} is not a tinygrad_opt checkpoint: {error}") from error
    finally:
        if file is not path:
            file.close()
