"""Train/test splitting and feature standardization for numpy data."""
import math
import numbers

import numpy as np

from .common import check_same_length, generator_for, to_numpy


def train_test_split(X, y, test_size=0.25, seed=None, stratify=False):
    """Randomly split X and y into training and test parts, like scikit-learn's function.

    Args:
        test_size: a fraction in (0, 1) of the samples (the test part gets
            `ceil(test_size * n)` of them), or an int number of test samples.
        stratify: keep each class's share of the samples (by the labels y) the same in both
            parts, up to rounding.

    Returns:
        X_train, X_test, y_train, y_test: numpy arrays; each part is in random order.

    Raises:
        ValueError: X and y differ in length, `test_size` leaves either part empty, or
            `stratify` is set and y is not 1-D.
    """
    X, y = to_numpy(X), to_numpy(y)
    check_same_length(X, y)
    n_samples = len(X)
    n_test = _test_count(test_size, n_samples)
    rng = generator_for(seed)

    if stratify:
        if y.ndim != 1:
            raise ValueError(f"stratify=True needs 1-D class labels y, got shape {y.shape}")
        test_mask = np.zeros(n_samples, dtype=bool)
        class_members = [np.flatnonzero(y == label) for label in np.unique(y)]
        for members, n_class_test in zip(class_members, _apportion(n_test, [len(m) for m in class_members])):
            test_mask[rng.choice(members, size=n_class_test, replace=False)] = True
        test_index = rng.permutation(np.flatnonzero(test_mask))
        train_index = rng.permutation(np.flatnonzero(~test_mask))
    else:
        order = rng.permutation(n_samples)
        test_index, train_index = order[:n_test], order[n_test:]
    return X[train_index], X[test_index], y[train_index], y[test_index]


def _test_count(test_size, n_samples: int) -> int:
    """The number of test samples that `test_size` asks for, leaving both parts non-empty."""
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise ValueError(f"test_size must be a fraction in (0, 1) or a number of samples, got {test_size!r}")
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
    elif 0 < test_size < 1:
        n_test = math.ceil(test_size * n_samples)
    else:
        raise ValueError(f"test_size must be a fraction in (0, 1) or a number of samples, got {test_size!r}")
    if not 0 < n_test < n_samples:
        raise ValueError(
            f"test_size={test_size!r} gives {n_test} test samples out of {n_samples}; "
            f"both the training and the test part must be non-empty"
        )
    return n_test


def _apportion(total: int, sizes) -> list:
    """Split `total` among groups in proportion to `sizes` (largest-remainder rounding)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    exact = total * sizes / sizes.sum()
    counts = np.floor(exact).astype(np.int64)
    for group in np.argsort(-(exact - counts), kind="stable")[: total - counts.sum()]:
        counts[group] += 1
    return counts.tolist()


def standardize(X_train, *others, eps=1e-8):
    """Scale features to zero mean and unit variance using statistics of `X_train` only.

    The mean and standard deviation are taken per feature over the first (sample) axis of
    `X_train`, then applied unchanged to `X_train` and to every array in `others` (e.g. the
    validation and test sets), so nothing about them leaks into the scaling. A feature whose
    training standard deviation is below `eps` (e.g. an always-blank pixel) is only centred,
    with a scale of 1, so it cannot blow up in the other arrays.

    Returns:
        A tuple `(X_train_std, *others_std, (mean, std))`, e.g.
        `X_train, X_test, (mean, std) = standardize(X_train, X_test)`; `std` is the scale
        actually divided by. Float arrays keep their dtype, others become float32.
    """
    X_train = to_numpy(X_train)
    others = [to_numpy(other) for other in others]
    if X_train.ndim == 0 or len(X_train) == 0:
        raise ValueError(f"X_train must hold at least one sample, got shape {X_train.shape}")
    for position, other in enumerate(others):
        if other.shape[1:] != X_train.shape[1:]:
            raise ValueError(
                f"others[{position}] has feature shape {other.shape[1:]}, "
                f"expected {X_train.shape[1:]} like X_train"
            )
    out_dtype = X_train.dtype if np.issubdtype(X_train.dtype, np.floating) else np.dtype(np.float32)

    mean = X_train.mean(axis=0, dtype=np.float64)
    std = X_train.std(axis=0, dtype=np.float64)
    std = np.where(std < eps, 1.0, std)
    scaled = [((array - mean) / std).astype(out_dtype) for array in (X_train, *others)]
    return (*scaled, (mean.astype(out_dtype), std.astype(out_dtype)))
