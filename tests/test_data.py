"""Tests for tinygrad_opt.data: bundled digits, synthetic generators, IDX/MNIST loading
(on tiny files written here; never the network), splitting, standardization and DataLoader."""
import gzip
import hashlib
import io
import subprocess
import sys
import urllib.request

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_opt.data import (
    ChecksumError,
    DataLoader,
    download_file,
    load_digits,
    load_mnist,
    make_blobs,
    make_circles,
    make_moons,
    make_sparse_regression,
    make_spirals,
    make_xor,
    read_idx,
    standardize,
    train_test_split,
)
from tinygrad_opt.data import digits as digits_module
from tinygrad_opt.data import mnist as mnist_module
from tinygrad_opt.random import manual_seed
from tinygrad_opt.tensor import Tensor


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail loudly if any test reaches for the network; download tests install their own fake."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"test tried to open a URL: {args!r}")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


# ---------------------------------------------------------------------------------- digits

DIGITS_CLASS_SIZES = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_shapes_dtypes_and_values():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16
    assert np.array_equal(X, np.round(X))
    assert np.bincount(y).tolist() == DIGITS_CLASS_SIZES


def test_digits_as_images_matches_flat_layout():
    flat, y_flat = load_digits()
    images, y_images = load_digits(as_images=True)
    assert images.shape == (1797, 8, 8)
    assert np.array_equal(images.reshape(1797, 64), flat)
    assert np.array_equal(y_images, y_flat)


def test_digits_deterministic_and_independent_copies():
    X1, y1 = load_digits()
    X1[0, 0] = 99.0
    y1[0] = 7
    X2, y2 = load_digits()
    assert X2[0, 0] == 0.0 and y2[0] == 0
    assert np.array_equal(X2, load_digits()[0])
    # The first sample of the UCI test set is a zero; its first row of pixels is known.
    assert X2[0, :8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def _write_digits_npz(path, images, labels):
    np.savez_compressed(path, images=images, labels=labels)
    return path


def _packaged_digits_arrays():
    with digits_module.DIGITS_RESOURCE.open("rb") as stream, np.load(stream) as archive:
        return archive["images"].copy(), archive["labels"].copy()


def test_digits_altered_pixel_fails_checksum(tmp_path, monkeypatch):
    images, labels = _packaged_digits_arrays()
    images[100, 3, 3] = (images[100, 3, 3] + 1) % 17
    monkeypatch.setattr(digits_module, "DIGITS_RESOURCE", _write_digits_npz(tmp_path / "d.npz", images, labels))
    with pytest.raises(ChecksumError, match="images SHA-256 is [0-9a-f]{64}, expected 8f26b2bd"):
        load_digits()


def test_digits_wrong_shape_and_garbage_file_are_reported(tmp_path, monkeypatch):
    images, labels = _packaged_digits_arrays()
    short = _write_digits_npz(tmp_path / "short.npz", images[:-1], labels[:-1])
    monkeypatch.setattr(digits_module, "DIGITS_RESOURCE", short)
    with pytest.raises(ChecksumError, match=r"images are uint8 \(1796, 8, 8\), expected uint8 \(1797, 8, 8\)"):
        load_digits()

    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip archive")
    monkeypatch.setattr(digits_module, "DIGITS_RESOURCE", garbage)
    with pytest.raises(ChecksumError, match="unreadable or damaged"):
        load_digits()


def test_importing_the_data_package_does_not_import_sklearn():
    code = "import sys, tinygrad_opt.data; assert 'sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------------------ generators

CLASSIFIERS = [
    (make_spirals, {}, 300, {0, 1, 2}),
    (make_moons, {}, 200, {0, 1}),
    (make_circles, {}, 200, {0, 1}),
    (make_xor, {}, 200, {0, 1}),
    (make_blobs, {}, 300, {0, 1, 2}),
    (make_spirals, {"n_samples": 50, "n_classes": 5}, 50, {0, 1, 2, 3, 4}),
    (make_blobs, {"n_samples": 40, "centers": 4, "n_features": 3}, 40, {0, 1, 2, 3}),
]


@pytest.mark.parametrize("make, kwargs, n_samples, labels", CLASSIFIERS)
def test_classifier_shapes_dtypes_and_labels(make, kwargs, n_samples, labels):
    X, y = make(**kwargs, seed=0)
    n_features = kwargs.get("n_features", 2)
    assert X.shape == (n_samples, n_features) and X.dtype == np.float32
    assert y.shape == (n_samples,) and y.dtype == np.int64
    assert set(y.tolist()) == labels
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("make, kwargs, n_samples, labels", CLASSIFIERS)
def test_classifier_seed_determinism(make, kwargs, n_samples, labels):
    X1, y1 = make(**kwargs, seed=123)
    X2, y2 = make(**kwargs, seed=123)
    X3, _ = make(**kwargs, seed=124)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("make, kwargs, n_samples, labels", CLASSIFIERS)
def test_classifier_manual_seed_determinism(make, kwargs, n_samples, labels):
    manual_seed(7)
    X1, y1 = make(**kwargs)
    X1_next, _ = make(**kwargs)
    manual_seed(7)
    X2, y2 = make(**kwargs)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X1_next)


@pytest.mark.parametrize("make", [make_spirals, make_moons, make_circles, make_xor, make_blobs])
def test_classifiers_shuffle_their_samples(make):
    _, y = make(seed=0)
    first_tenth = y[: len(y) // 10]
    assert len(set(first_tenth.tolist())) > 1


@pytest.mark.parametrize("make", [make_spirals, make_moons, make_circles, make_xor, make_blobs, make_sparse_regression])
@pytest.mark.parametrize("bad_n", [0, -3, 2.5, True])
def test_generators_reject_bad_n_samples(make, bad_n):
    with pytest.raises(ValueError, match=rf"n_samples must be a positive integer, got {bad_n!r}"):
        make(n_samples=bad_n, seed=0)


@pytest.mark.parametrize("make", [make_spirals, make_moons, make_circles, make_xor, make_sparse_regression])
@pytest.mark.parametrize("bad_noise", [-0.1, float("nan"), float("inf")])
def test_generators_reject_bad_noise(make, bad_noise):
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        make(noise=bad_noise, seed=0)


def test_spirals_geometry_without_noise():
    X, y = make_spirals(n_samples=301, n_classes=3, noise=0.0, seed=0)
    assert np.bincount(y).tolist() == [101, 100, 100]
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.min() == 0 and radius.max() == pytest.approx(1.0)
    # Without noise, class k's angle (measured from the y axis) is 4k + 4 * radius.
    angle = np.arctan2(X[:, 0], X[:, 1])
    expected = 4.0 * y + 4.0 * radius
    off_centre = radius > 1e-3
    wrapped_error = np.angle(np.exp(1j * (angle - expected)))[off_centre]
    assert np.abs(wrapped_error).max() < 1e-4


def test_moons_geometry():
    X, y = make_moons(n_samples=200, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    assert len(upper) == len(lower) == 100
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert upper[:, 1].min() >= -1e-6 and lower[:, 1].max() <= 0.5 + 1e-6

    X, y = make_moons(n_samples=2000, noise=0.1, seed=1)
    half_circle_mean_height = 2 / np.pi
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [0.0, half_circle_mean_height], atol=0.03)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [1.0, 0.5 - half_circle_mean_height], atol=0.03)
    # Separable-ish: a cubic boundary fitted by least squares classifies almost every point.
    features = np.column_stack([np.ones(len(X)), X, X**2, X**3, X[:, 0] * X[:, 1]])
    weights, *_ = np.linalg.lstsq(features, 2.0 * y - 1.0, rcond=None)
    assert np.mean((features @ weights > 0) == (y == 1)) > 0.95


def test_circles_radii():
    X, y = make_circles(n_samples=201, noise=0.0, factor=0.3, seed=0)
    assert np.bincount(y).tolist() == [100, 101]
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(radius[y == 1], 0.3, atol=1e-6)

    X, y = make_circles(n_samples=2000, noise=0.05, factor=0.5, seed=1)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius[y == 0].mean() == pytest.approx(1.0, abs=0.02)
    assert radius[y == 1].mean() == pytest.approx(0.5, abs=0.02)
    assert np.mean((radius < 0.75) == (y == 1)) > 0.99


@pytest.mark.parametrize("bad_factor", [0, 1, 1.5, -0.2])
def test_circles_reject_bad_factor(bad_factor):
    with pytest.raises(ValueError, match=rf"factor must be a number in \(0, 1\), got {bad_factor!r}"):
        make_circles(factor=bad_factor, seed=0)


def test_xor_labels_follow_quadrants():
    X, y = make_xor(n_samples=203, noise=0.1, seed=0)
    assert np.array_equal(y, ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64))
    quadrant_sizes = sorted(np.unique(np.sign(X), axis=0, return_counts=True)[1].tolist())
    assert quadrant_sizes == [50, 51, 51, 51]
    # Clusters (1, 1), (-1, 1), (-1, -1) get the 3 extra samples: two of them are class 0.
    assert np.bincount(y).tolist() == [102, 101]


def test_blobs_with_given_centres_and_stds():
    centres = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, -10.0, 5.0]])
    X, y = make_blobs(n_samples=3000, centers=centres, cluster_std=[0.5, 1.0, 2.0], seed=0)
    assert X.shape == (3000, 3)
    assert np.bincount(y).tolist() == [1000, 1000, 1000]
    for label, (centre, std) in enumerate(zip(centres, [0.5, 1.0, 2.0])):
        members = X[y == label]
        np.testing.assert_allclose(members.mean(axis=0), centre, atol=0.2)
        np.testing.assert_allclose(members.std(axis=0), std, rtol=0.1)


def test_blobs_random_centres_lie_in_box():
    X, y = make_blobs(n_samples=600, centers=4, n_features=5, cluster_std=0.1, seed=3)
    means = np.array([X[y == label].mean(axis=0) for label in range(4)])
    assert np.all(np.abs(means) < 10.1)
    assert min(np.linalg.norm(a - b) for i, a in enumerate(means) for b in means[i + 1:]) > 1.0


@pytest.mark.parametrize("kwargs, message", [
    ({"cluster_std": -1.0}, "cluster_std must be one number >= 0"),
    ({"cluster_std": [1.0, 2.0]}, r"one per centre \(3\)"),
    ({"centers": 0}, "centers must be a positive integer, got 0"),
    ({"centers": [1.0, 2.0]}, r"got shape \(2,\)"),
    ({"n_features": 0}, "n_features must be a positive integer, got 0"),
])
def test_blobs_reject_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_blobs(seed=0, **kwargs)


def test_sparse_regression_shapes_density_and_exact_targets():
    X, y, weight = make_sparse_regression(
        n_samples=1000, n_features=10, sparse_features=(0, 3), density=0.02, seed=0
    )
    assert X.shape == (1000, 10) and X.dtype == np.float32
    assert y.shape == (1000, 1) and y.dtype == np.float32
    assert weight.shape == (10, 1) and weight.dtype == np.float32
    nonzero_per_column = np.count_nonzero(X, axis=0)
    # Sparse columns: exactly round(0.02 * 1000) = 20 non-zeros, i.e. 2.0% of the samples.
    assert nonzero_per_column[[0, 3]].tolist() == [20, 20]
    dense_columns = [1, 2, 4, 5, 6, 7, 8, 9]
    assert np.all(nonzero_per_column[dense_columns] == 1000)
    assert np.abs(X[:, dense_columns].std() - 1.0) < 0.05
    np.testing.assert_allclose(y, X @ weight, rtol=1e-6, atol=1e-6)
    assert not np.array_equal(np.flatnonzero(X[:, 0]), np.flatnonzero(X[:, 3]))


def test_sparse_regression_accepts_a_single_column_index():
    X, _, _ = make_sparse_regression(n_samples=200, n_features=3, sparse_features=2, density=0.1, seed=0)
    assert np.count_nonzero(X, axis=0).tolist() == [200, 200, 20]


def test_sparse_regression_density_bounds_and_noise():
    X, _, _ = make_sparse_regression(n_samples=50, density=1e-6, seed=1)
    assert np.count_nonzero(X[:, 0]) == 1  # at least one non-zero is guaranteed
    X, _, _ = make_sparse_regression(n_samples=10_000, density=0.3, seed=1)
    assert np.count_nonzero(X[:, 0]) == 3000
    X, y, weight = make_sparse_regression(n_samples=5000, noise=0.5, seed=2)
    residual = y - X @ weight
    assert residual.std() == pytest.approx(0.5, rel=0.05)
    assert abs(residual.mean()) < 0.05


def test_sparse_regression_determinism():
    first = make_sparse_regression(seed=5)
    second = make_sparse_regression(seed=5)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    manual_seed(11)
    first = make_sparse_regression()
    manual_seed(11)
    second = make_sparse_regression()
    assert all(np.array_equal(a, b) for a, b in zip(first, second))


@pytest.mark.parametrize("kwargs, message", [
    ({"density": 0}, r"density must be a number in \(0, 1\], got 0"),
    ({"density": 1.5}, r"density must be a number in \(0, 1\], got 1.5"),
    ({"sparse_features": (10,)}, r"sparse_features entries must lie in \[0, n_features=10\), got 10"),
    ({"sparse_features": (-1,)}, "got -1"),
    ({"sparse_features": (2, 2)}, "must not repeat a column"),
    ({"sparse_features": (1.5,)}, "sparse_features must be column indices, got \\(1.5,\\)"),
    ({"n_features": 0}, "n_features must be a positive integer, got 0"),
])
def test_sparse_regression_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_sparse_regression(seed=0, **kwargs)


# ------------------------------------------------------------------------------ IDX / MNIST

IDX_TYPE_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array):
    """The IDX encoding of `array` (header, then big-endian values)."""
    array = np.asarray(array)
    header = bytes([0, 0, IDX_TYPE_CODES[array.dtype.type], array.ndim])
    header += b"".join(int(size).to_bytes(4, "big") for size in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path, array, compress):
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("dtype", list(IDX_TYPE_CODES))
def test_read_idx_round_trips_every_type(tmp_path, dtype, compress):
    images = (np.arange(2 * 3 * 4) - 7).astype(dtype).reshape(2, 3, 4)
    if dtype == np.uint8:
        images = np.arange(24, dtype=np.uint8).reshape(2, 3, 4) * 10
    result = read_idx(write_idx(tmp_path / "images.idx", images, compress))
    assert result.shape == (2, 3, 4)
    assert result.dtype == np.dtype(dtype) and result.dtype.isnative
    assert np.array_equal(result, images)


@pytest.mark.parametrize("compress", [True, False])
def test_read_idx_labels(tmp_path, compress):
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    name = "labels-idx1-ubyte" + (".gz" if compress else "")
    result = read_idx(write_idx(tmp_path / name, labels, compress))
    assert result.tolist() == [5, 0, 4, 1, 9] and result.dtype == np.uint8


def test_read_idx_detects_gzip_by_content_not_name(tmp_path):
    values = np.array([1.5, -2.25], dtype=np.float64)
    assert read_idx(write_idx(tmp_path / "plain-looking.idx", values, compress=True)).tolist() == [1.5, -2.25]


@pytest.mark.parametrize("magic", [b"\x01\x00\x08\x01", b"\x00\x00\x0a\x01", b"\x00\x00\x07\x01", b"PK\x03\x04"])
def test_read_idx_rejects_bad_magic(tmp_path, magic):
    path = tmp_path / "bad.idx"
    path.write_bytes(magic + (1).to_bytes(4, "big") + b"\x00")
    with pytest.raises(ValueError, match=f"bad IDX magic number 0x{magic.hex()}"):
        read_idx(path)


@pytest.mark.parametrize("cut, message", [
    (0, "truncated IDX file"),
    (3, "truncated IDX file"),
    (10, "truncated IDX header"),
    (-1, r"truncated IDX data, shape \(2, 3, 4\) needs 24 bytes, found 23"),
])
def test_read_idx_rejects_truncated_file(tmp_path, cut, message):
    data = idx_bytes(np.zeros((2, 3, 4), dtype=np.uint8))
    path = tmp_path / "short.idx"
    path.write_bytes(data[:cut])
    with pytest.raises(ValueError, match=message):
        read_idx(path)


def test_read_idx_rejects_truncated_gzip_and_extra_bytes(tmp_path):
    data = idx_bytes(np.arange(100, dtype=np.uint8).reshape(10, 10))
    truncated = tmp_path / "cut.gz"
    truncated.write_bytes(gzip.compress(data)[:-12])
    with pytest.raises(ValueError, match="truncated or corrupt gzip data"):
        read_idx(truncated)
    padded = tmp_path / "padded.idx"
    padded.write_bytes(data + b"\x00\x00")
    with pytest.raises(ValueError, match=r"IDX size mismatch, shape \(10, 10\) needs 100 bytes, found 102"):
        read_idx(padded)


def test_read_idx_stops_reading_a_gzip_past_the_declared_size(tmp_path):
    # Header: one 28x28 image (784 bytes); then 1 MiB more zeros, then a second gzip member that
    # is corrupt. A reader that decompressed everything first would stumble on the corrupt
    # member; a bounded one stops after a little more than 784 bytes and names the mismatch.
    data = idx_bytes(np.zeros((1, 28, 28), dtype=np.uint8)) + bytes(1 << 20)
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(data) + b"\x1f\x8b\x08\x00" + b"not deflate" * 10)
    assert path.stat().st_size < 3000
    with pytest.raises(ValueError, match=r"bomb.gz: IDX size mismatch, shape \(1, 28, 28\) needs 784 bytes, "
                                         r"found at least 66320"):
        read_idx(path)


def test_read_idx_header_dimensions_too_large_for_any_array(tmp_path):
    path = tmp_path / "huge.idx"
    path.write_bytes(bytes([0, 0, 0x0D, 3]) + b"\xff\xff\xff\xff" * 3)
    with pytest.raises(ValueError, match=r"huge.idx: IDX header dimensions \(4294967295, 4294967295, 4294967295\) "
                                         r"describe \d+ bytes, more than any array can hold"):
        read_idx(path)


def tiny_mnist_split(count, seed):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    labels = rng.integers(0, 10, size=count, dtype=np.uint8)
    return images, labels


def tiny_mnist_files(count=5, seed=0, train=True):
    """{file name: gzip bytes} of one tiny MNIST-format split."""
    images, labels = tiny_mnist_split(count, seed)
    prefix = "train" if train else "t10k"
    return {
        f"{prefix}-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images)),
        f"{prefix}-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(labels)),
    }


def write_files(root, files):
    root.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root


@pytest.mark.parametrize("kind", ["mnist", "fashion-mnist"])
def test_load_mnist_from_fake_root(tmp_path, kind):
    root = write_files(tmp_path, {**tiny_mnist_files(5, seed=0), **tiny_mnist_files(3, seed=1, train=False)})
    X, y = load_mnist(root, train=True, kind=kind)
    images, labels = tiny_mnist_split(5, seed=0)
    assert X.shape == (5, 784) and X.dtype == np.float32
    assert y.shape == (5,) and y.dtype == np.int64
    assert X[0, 0] == 0.0 and X[0, 1] == 1.0 and X.min() >= 0 and X.max() <= 1
    np.testing.assert_allclose(X, images.reshape(5, 784) / 255.0, rtol=1e-6)
    assert y.tolist() == labels.tolist()

    X_test, y_test = load_mnist(str(root), train=False, kind=kind)
    assert X_test.shape == (3, 784) and y_test.tolist() == tiny_mnist_split(3, seed=1)[1].tolist()


def test_load_mnist_missing_files_name_them_and_suggest_download(tmp_path):
    write_files(tmp_path, tiny_mnist_files(3, train=False))
    assert load_mnist(tmp_path, train=False)[0].shape == (3, 784)
    with pytest.raises(FileNotFoundError) as error:
        load_mnist(tmp_path, train=True)
    message = str(error.value)
    assert "train-images-idx3-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message
    assert "t10k" not in message and "download=True" in message


def test_load_mnist_rejects_unknown_kind_and_mismatched_counts(tmp_path):
    with pytest.raises(ValueError, match="kind must be one of"):
        load_mnist(tmp_path, kind="kmnist")
    files = tiny_mnist_files(5)
    files["train-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(np.zeros(4, dtype=np.uint8)))
    write_files(tmp_path, files)
    with pytest.raises(ValueError, match="5 images but 4 labels"):
        load_mnist(tmp_path)


def test_load_mnist_refuses_labels_outside_0_to_9(tmp_path):
    files = tiny_mnist_files(3)
    files["train-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(np.array([3, 10, 1], dtype=np.uint8)))
    write_files(tmp_path, files)
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte.gz: a label is 10, expected class labels 0..9"):
        load_mnist(tmp_path)


class FakeServer:
    """Stands in for urllib.request.urlopen, serving bytes by URL and recording requests."""

    def __init__(self, files_by_url):
        self.files_by_url = files_by_url
        self.requested = []

    def __call__(self, url, timeout=None):
        self.requested.append(url)
        return io.BytesIO(self.files_by_url[url])


def test_download_file_with_wrong_bytes_raises_and_leaves_nothing(tmp_path):
    good = b"the real archive"
    expected = hashlib.sha256(good).hexdigest()
    actual = hashlib.sha256(b"tampered").hexdigest()
    server = FakeServer({"https://mirror.test/a.gz": b"tampered"})
    destination = tmp_path / "a.gz"
    with pytest.raises(ChecksumError) as error:
        download_file("https://mirror.test/a.gz", destination, expected, opener=server)
    message = str(error.value)
    assert "a.gz" in message and expected in message and actual in message
    assert not destination.exists()
    assert list(tmp_path.iterdir()) == []


def test_download_file_verifies_and_writes(tmp_path):
    payload = bytes(range(256)) * 1000
    server = FakeServer({"https://mirror.test/b.gz": payload})
    destination = tmp_path / "sub" / "b.gz"
    result = download_file("https://mirror.test/b.gz", destination, hashlib.sha256(payload).hexdigest(), opener=server)
    assert result == destination and destination.read_bytes() == payload
    assert [path.name for path in destination.parent.iterdir()] == ["b.gz"]


def test_download_file_interrupted_leaves_nothing(tmp_path):
    class BrokenStream(io.BytesIO):
        def read(self, size=-1):
            raise ConnectionResetError("connection dropped")

    with pytest.raises(ConnectionResetError):
        download_file("https://mirror.test/c.gz", tmp_path / "c.gz", None, opener=lambda url: BrokenStream())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["mnist", "fashion-mnist"])
def test_load_mnist_downloads_missing_files_once(tmp_path, monkeypatch, kind):
    files = tiny_mnist_files(4, seed=2)
    for name, data in files.items():
        monkeypatch.setitem(mnist_module.SHA256[kind], name, hashlib.sha256(data).hexdigest())
    server = FakeServer({mnist_module.MIRRORS[kind] + name: data for name, data in files.items()})
    monkeypatch.setattr(urllib.request, "urlopen", server)

    X, y = load_mnist(tmp_path, train=True, download=True, kind=kind)
    assert X.shape == (4, 784) and y.tolist() == tiny_mnist_split(4, seed=2)[1].tolist()
    assert sorted(server.requested) == sorted(mnist_module.MIRRORS[kind] + name for name in files)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(files)

    load_mnist(tmp_path, train=True, download=True, kind=kind)
    assert len(server.requested) == 2


def test_load_mnist_download_with_pinned_checksum_rejects_fake_file(tmp_path, monkeypatch):
    files = tiny_mnist_files(4)
    server = FakeServer({mnist_module.MIRRORS["mnist"] + name: data for name, data in files.items()})
    monkeypatch.setattr(urllib.request, "urlopen", server)
    with pytest.raises(ChecksumError, match="expected SHA-256 440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"):
        load_mnist(tmp_path, train=True, download=True)
    assert list(tmp_path.iterdir()) == []


def test_pinned_checksum_table_covers_every_file():
    names = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
    assert set(mnist_module.SHA256) == set(mnist_module.MIRRORS) == {"mnist", "fashion-mnist"}
    for table in mnist_module.SHA256.values():
        assert set(table) == names
        assert all(len(value) == 64 and int(value, 16) >= 0 for value in table.values())


# ---------------------------------------------------------------------------- split / scale

def paired_data(n):
    X = np.arange(n * 2, dtype=np.float32).reshape(n, 2)  # row i is (2i, 2i+1)
    y = np.arange(n, dtype=np.int64)
    return X, y


@pytest.mark.parametrize("test_size, n_test", [(0.25, 25), (0.33, 33), (0.001, 1), (10, 10), (99, 99)])
def test_train_test_split_sizes_and_disjointness(test_size, n_test):
    X, y = paired_data(100)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, seed=0)
    assert len(X_test) == len(y_test) == n_test
    assert len(X_train) == len(y_train) == 100 - n_test
    assert np.array_equal(X_train[:, 0], 2 * y_train) and np.array_equal(X_test[:, 0], 2 * y_test)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(100))


def test_train_test_split_determinism_and_shuffling():
    X, y = paired_data(50)
    first = train_test_split(X, y, seed=3)
    second = train_test_split(X, y, seed=3)
    other = train_test_split(X, y, seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not np.array_equal(first[3], other[3])
    assert first[3].tolist() != sorted(first[3].tolist())  # the test part comes out shuffled
    manual_seed(9)
    first = train_test_split(X, y)
    manual_seed(9)
    assert all(np.array_equal(a, b) for a, b in zip(first, train_test_split(X, y)))


def test_train_test_split_stratified_keeps_class_shares():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    X = np.arange(100)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=1, stratify=True)
    assert np.bincount(y_test).tolist() == [12, 6, 2]
    assert np.bincount(y_train).tolist() == [48, 24, 8]
    assert np.array_equal(y[X_test], y_test) and np.array_equal(y[X_train], y_train)
    assert set(X_train.tolist()).isdisjoint(X_test.tolist())
    # Uneven shares are rounded so the test size is still exactly ceil(0.25 * 100) = 25.
    y = np.repeat([0, 1, 2], [34, 33, 33])
    _, _, _, y_test = train_test_split(np.zeros((100, 1)), y, test_size=0.25, seed=2, stratify=True)
    assert len(y_test) == 25 and sorted(np.bincount(y_test).tolist()) == [8, 8, 9]


def test_train_test_split_accepts_tensors():
    X, y = paired_data(8)
    X_train, X_test, y_train, y_test = train_test_split(Tensor(X), Tensor(y), test_size=2, seed=0)
    assert isinstance(X_train, np.ndarray) and X_train.dtype == np.float32
    assert len(X_test) == 2 and y_test.dtype == np.int64


@pytest.mark.parametrize("kwargs, message", [
    ({"y": np.arange(9)}, "same length, got len\\(X\\)=10 and len\\(y\\)=9"),
    ({"test_size": 0}, "test_size=0 gives 0 test samples out of 10"),
    ({"test_size": 10}, "gives 10 test samples out of 10"),
    ({"test_size": 1.0}, "test_size must be a fraction in \\(0, 1\\) or a number of samples, got 1.0"),
    ({"test_size": True}, "got True"),
    ({"y": np.zeros((10, 2)), "stratify": True}, "stratify=True needs 1-D class labels"),
])
def test_train_test_split_rejects_bad_arguments(kwargs, message):
    arguments = {"X": np.zeros((10, 3)), "y": np.arange(10), **kwargs}
    with pytest.raises(ValueError, match=message):
        train_test_split(**arguments)


def test_standardize_uses_only_training_statistics():
    rng = np.random.default_rng(0)
    X_train = rng.normal([5.0, -3.0, 0.0], [2.0, 0.5, 10.0], size=(500, 3)).astype(np.float32)
    X_test = rng.normal(100.0, 50.0, size=(20, 3)).astype(np.float32)
    X_val = rng.normal(0.0, 1.0, size=(7, 3)).astype(np.float32)

    result = standardize(X_train, X_test, X_val)
    assert len(result) == 4
    train_std, test_std, val_std, (mean, std) = result
    np.testing.assert_allclose(mean, X_train.mean(axis=0, dtype=np.float64), rtol=1e-6)
    np.testing.assert_allclose(std, X_train.std(axis=0, dtype=np.float64), rtol=1e-6)
    np.testing.assert_allclose(train_std.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(train_std.std(axis=0), 1.0, rtol=1e-4)
    np.testing.assert_allclose(test_std, (X_test - mean) / std, rtol=1e-5)
    np.testing.assert_allclose(val_std, (X_val - mean) / std, rtol=1e-4, atol=1e-6)
    assert all(array.dtype == np.float32 for array in (train_std, test_std, val_std, mean, std))

    other_test = np.zeros((3, 3), dtype=np.float32)
    train_again, _, (mean_again, std_again) = standardize(X_train, other_test)
    assert np.array_equal(train_again, train_std)
    assert np.array_equal(mean_again, mean) and np.array_equal(std_again, std)


def test_standardize_constant_feature_only_centred_and_ints_become_float32():
    X_train = np.array([[1, 7], [3, 7], [5, 7]])
    X_test = np.array([[3, 8]])
    train_std, test_std, (mean, std) = standardize(X_train, X_test)
    assert train_std.dtype == np.float32 and mean.tolist() == [3.0, 7.0]
    assert std.tolist() == pytest.approx([np.sqrt(8 / 3), 1.0])
    assert train_std[:, 1].tolist() == [0.0, 0.0, 0.0]
    assert test_std.tolist() == [[0.0, 1.0]]

    only_train, (mean, std) = standardize(np.array([[2.0], [4.0]]))
    assert only_train.dtype == np.float64 and only_train.ravel().tolist() == [-1.0, 1.0]


def test_standardize_rejects_mismatched_feature_shapes():
    with pytest.raises(ValueError, match=r"others\[0\] has feature shape \(2,\), expected \(3,\)"):
        standardize(np.zeros((4, 3)), np.zeros((4, 2)))


# ------------------------------------------------------------------------------- DataLoader

@pytest.mark.parametrize("n, batch_size, drop_last, sizes", [
    (10, 3, False, [3, 3, 3, 1]),
    (10, 3, True, [3, 3, 3]),
    (9, 3, False, [3, 3, 3]),
    (9, 3, True, [3, 3, 3]),
    (5, 8, False, [5]),
    (5, 8, True, []),
    (0, 4, False, []),
])
def test_dataloader_batch_counts(n, batch_size, drop_last, sizes):
    X, y = paired_data(n)
    loader = DataLoader(X, y, batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(sizes)
    assert [len(xb.data) for xb, _ in loader] == sizes


def test_dataloader_yields_tensors_in_order_without_shuffle():
    X, y = paired_data(7)
    batches = list(DataLoader(X, y, batch_size=3))
    assert all(isinstance(xb, Tensor) and isinstance(yb, Tensor) for xb, yb in batches)
    assert all(xb.data.dtype == np.float32 and yb.data.dtype == np.int64 for xb, yb in batches)
    assert np.array_equal(np.concatenate([xb.data for xb, _ in batches]), X)
    assert np.concatenate([yb.data for _, yb in batches]).tolist() == list(range(7))


def test_dataloader_dtypes_and_tensor_inputs():
    X64 = np.random.default_rng(0).normal(size=(6, 2))
    labels32 = np.arange(6, dtype=np.int32)
    xb, yb = next(iter(DataLoader(X64, labels32, batch_size=4)))
    assert xb.data.dtype == np.float32 and yb.data.dtype == np.int64
    np.testing.assert_allclose(xb.data, X64[:4].astype(np.float32))

    targets = np.ones((6, 1), dtype=np.float64)
    _, yb = next(iter(DataLoader(Tensor(X64), Tensor(targets), batch_size=4)))
    assert yb.data.dtype == np.float32 and yb.data.shape == (4, 1)


def test_dataloader_batches_are_copies():
    X, y = paired_data(4)
    xb, yb = next(iter(DataLoader(X, y, batch_size=4)))
    xb.data[:] = -1.0
    yb.data[:] = -1
    assert X[0, 0] == 0.0 and y.tolist() == [0, 1, 2, 3]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), batch_size=st.integers(1, 17), seed=st.integers(0, 2**32 - 1))
def test_dataloader_shuffle_visits_every_sample_once(n, batch_size, seed):
    X, y = paired_data(n)
    loader = DataLoader(X, y, batch_size=batch_size, shuffle=True, seed=seed)
    for _ in range(2):
        seen = [yb.data for _, yb in loader]
        ids = np.concatenate(seen)
        assert sorted(ids.tolist()) == list(range(n))
        assert len(seen) == len(loader)
        for xb, yb in loader:
            assert np.array_equal(xb.data[:, 0], 2 * yb.data)


def epoch_orders(loader, epochs):
    return [np.concatenate([yb.data for _, yb in loader]).tolist() for _ in range(epochs)]


def test_dataloader_seeded_shuffle_is_reproducible_and_differs_between_epochs():
    X, y = paired_data(40)
    first_run = epoch_orders(DataLoader(X, y, batch_size=8, shuffle=True, seed=42), 3)
    second_run = epoch_orders(DataLoader(X, y, batch_size=8, shuffle=True, seed=42), 3)
    other_seed = epoch_orders(DataLoader(X, y, batch_size=8, shuffle=True, seed=43), 3)
    assert first_run == second_run
    assert first_run != other_seed
    assert len({tuple(order) for order in first_run}) == 3
    assert first_run[0] != list(range(40))


def test_dataloader_unseeded_shuffle_follows_manual_seed():
    X, y = paired_data(30)
    manual_seed(3)
    first = epoch_orders(DataLoader(X, y, batch_size=4, shuffle=True), 2)
    manual_seed(3)
    second = epoch_orders(DataLoader(X, y, batch_size=4, shuffle=True), 2)
    assert first == second and first[0] != first[1]


def test_dataloader_each_iter_call_fixes_its_own_order():
    X, y = paired_data(20)
    loader = DataLoader(X, y, batch_size=20, shuffle=True, seed=0)
    first, second = iter(loader), iter(loader)
    assert next(first)[1].data.tolist() != next(second)[1].data.tolist()


@pytest.mark.parametrize("batch_size", [0, -2, 2.5, True, "4"])
def test_dataloader_rejects_bad_batch_size(batch_size):
    X, y = paired_data(4)
    with pytest.raises(ValueError, match=f"batch_size must be a positive integer, got {batch_size!r}"):
        DataLoader(X, y, batch_size=batch_size)


def test_dataloader_rejects_length_mismatch():
    with pytest.raises(ValueError, match=r"len\(X\)=5 and len\(y\)=4"):
        DataLoader(np.zeros((5, 2)), np.zeros(4), batch_size=2)
