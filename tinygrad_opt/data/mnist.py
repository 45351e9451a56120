"""MNIST and Fashion-MNIST from the four standard gzip IDX files, with optional download.

Nothing is downloaded unless `download=True`; downloads are checked against the SHA-256
checksums pinned in `SHA256` before they are moved into place.
"""
import gzip
import hashlib
import math
from pathlib import Path
import urllib.request
import zlib

import numpy as np

from ..files import atomic_write
from .common import ChecksumError

MIRRORS = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "fashion-mnist": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
}

# SHA-256 of the gzip files as the mirrors serve them; None would mean "not verified".
SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
}

IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"
_DOWNLOAD_CHUNK_BYTES = 1 << 16
_READ_CHUNK_BYTES = 1 << 20
_EXCESS_SHOWN = 1 << 16  # bytes past the declared size read to say how much more there is
_DOWNLOAD_TIMEOUT_SECONDS = 60


def split_files(train=True):
    """The (images, labels) file names of the training split, or of the test split."""
    prefix = "train" if train else "t10k"
    return f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"


def read_idx(path):
    """Read an IDX file (gzip-compressed or plain) into a numpy array.

    The format: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, each dimension as a big-endian
    uint32, then the values in big-endian C order. Compression is detected from the file's
    content, not its name. Reading is bounded by the header: no more than the declared size
    (and a little more, to report the excess) is ever decompressed.

    Returns:
        An array of the file's shape in the matching native-byte-order dtype.

    Raises:
        ValueError: a bad magic number, a truncated file or header, dimensions too large for
            any array, or a data size that does not match the header's dimensions.
    """
    path = Path(path)
    with open(path, "rb") as file:
        compressed = file.read(2) == _GZIP_MAGIC
        file.seek(0)
        try:
            with gzip.GzipFile(fileobj=file) if compressed else file as stream:
                return _read_idx_stream(stream, path)
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise ValueError(f"{path}: truncated or corrupt gzip data ({error})") from error


def _read_idx_stream(stream, path):
    magic = _read_at_most(stream, 4)
    if len(magic) < 4:
        raise ValueError(
            f"{path}: truncated IDX file, {len(magic)} bytes is shorter than the 4-byte magic number"
        )
    zero_a, zero_b, type_code, n_dims = magic
    if zero_a != 0 or zero_b != 0 or type_code not in IDX_DTYPES:
        raise ValueError(
            f"{path}: bad IDX magic number 0x{magic.hex()} (expected 0x0000TTDD with type code "
            f"TT in {', '.join(f'0x{code:02X}' for code in IDX_DTYPES)})"
        )
    dims = _read_at_most(stream, 4 * n_dims)
    if len(dims) < 4 * n_dims:
        raise ValueError(
            f"{path}: truncated IDX header, {n_dims} dimensions need {4 + 4 * n_dims} bytes, "
            f"found {4 + len(dims)}"
        )
    shape = tuple(int(size) for size in np.frombuffer(dims, dtype=">u4"))
    dtype = IDX_DTYPES[type_code]
    expected_bytes = math.prod(shape) * dtype.itemsize  # a Python int: it cannot overflow
    if expected_bytes > np.iinfo(np.int64).max:
        raise ValueError(f"{path}: IDX header dimensions {shape} describe {expected_bytes} bytes, "
                         f"more than any array can hold")

    data = _read_at_most(stream, expected_bytes + _EXCESS_SHOWN)
    if len(data) != expected_bytes:
        problem = "truncated IDX data" if len(data) < expected_bytes else "IDX size mismatch"
        found = f"at least {len(data)}" if len(data) == expected_bytes + _EXCESS_SHOWN else len(data)
        raise ValueError(f"{path}: {problem}, shape {shape} needs {expected_bytes} bytes, found {found}")
    values = np.frombuffer(data, dtype=dtype).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def _read_at_most(stream, limit):
    """Up to `limit` bytes of `stream`, read in chunks, so memory follows what the file holds,
    not what its header claims."""
    chunks, total = [], 0
    while total < limit:
        chunk = stream.read(min(_READ_CHUNK_BYTES, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def download_file(url, destination, expected_sha256=None, opener=None):
    """Download `url` to `destination` atomically, verifying its SHA-256 when one is given.

    The bytes go through `tinygrad_opt.files.atomic_write`: `destination` is replaced only
    once the download is complete and verified, so an interrupted or bad download never leaves
    a partial file under the final name.

    Args:
        opener: called as `opener(url)`, returns a readable binary stream usable as a context
            manager; defaults to `urllib.request.urlopen` with a timeout. Tests pass a fake.

    Raises:
        ChecksumError: the downloaded bytes do not match `expected_sha256` (the temporary
            file is deleted).
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    opener = opener or _open_url
    digest = hashlib.sha256()
    with atomic_write(destination) as file, opener(url) as response:
        while chunk := response.read(_DOWNLOAD_CHUNK_BYTES):
            digest.update(chunk)
            file.write(chunk)
        actual = digest.hexdigest()
        if expected_sha256 is not None and actual != expected_sha256.lower():
            raise ChecksumError(
                f"checksum mismatch for {destination.name} downloaded from {url}: "
                f"expected SHA-256 {expected_sha256}, got {actual}; the download was deleted"
            )
    return destination


def _open_url(url):
    """Open `url` for reading with a timeout, so a stalled mirror cannot hang forever."""
    return urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_SECONDS)


def load_mnist(root, train=True, download=False, kind="mnist"):
    """Load the training or test split of MNIST or Fashion-MNIST from the gzip IDX files in `root`.

    Args:
        root: folder holding `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
            `t10k-images-idx3-ubyte.gz` and `t10k-labels-idx1-ubyte.gz`.
        train: the 60,000-image training split if True, else the 10,000-image test split.
        download: fetch the split's missing files from the mirror in `MIRRORS`, checked
            against `SHA256`. Files already present are used as they are.
        kind: "mnist" or "fashion-mnist".

    Returns:
        X: float32 (n, 784) pixel values scaled to [0, 1]; y: int64 (n,) labels 0..9.

    Raises:
        FileNotFoundError: files are missing and `download` is False.
        ChecksumError: a downloaded file does not match its pinned checksum.
        ValueError: an unknown `kind`, or files that are not matching MNIST-style IDX files.
    """
    if kind not in MIRRORS:
        raise ValueError(f"kind must be one of {sorted(MIRRORS)}, got {kind!r}")
    root = Path(root)
    file_names = split_files(train)
    missing = [name for name in file_names if not (root / name).is_file()]
    if missing and not download:
        raise FileNotFoundError(
            f"{kind} files missing in {root}: {', '.join(missing)}; "
            f"pass download=True to fetch them from {MIRRORS[kind]}"
        )
    for name in missing:
        download_file(MIRRORS[kind] + name, root / name, SHA256[kind].get(name))

    images_path, labels_path = (root / name for name in file_names)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"{images_path}: expected uint8 images of shape (n, rows, cols), got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(
            f"{labels_path}: expected uint8 labels of shape (n,), got {labels.dtype} {labels.shape}"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path}: a label is {labels.max()}, expected class labels 0..9")
    if len(images) != len(labels):
        raise ValueError(f"{root}: {len(images)} images but {len(labels)} labels")
    X = images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0)
    return X, labels.astype(np.int64)
