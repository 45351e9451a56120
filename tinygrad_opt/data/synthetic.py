"""Small synthetic data sets for training toy models and comparing optimizers.

Every generator returns float32 features of shape (n_samples, n_features) and draws all of
its randomness from one generator: `seed=None` uses the package generator (so
`tinygrad_opt.random.manual_seed` makes the result reproducible), an int seeds a fresh one.
Classification generators return int64 labels and shuffle the samples, so any prefix of the
data holds a mix of classes.
"""
import numbers
import operator

import numpy as np

from .common import check_non_negative, check_positive_int, generator_for


def _split_evenly(total: int, parts: int) -> np.ndarray:
    """Sizes of `parts` groups adding up to `total`; the first `total % parts` get one more."""
    sizes = np.full(parts, total // parts, dtype=np.int64)
    sizes[: total % parts] += 1
    return sizes


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    """X as float32 and y, both reordered by one random permutation."""
    order = rng.permutation(len(X))
    return X[order].astype(np.float32), y[order]


def make_spirals(n_samples=300, n_classes=3, noise=0.2, seed=None):
    """Interleaved spiral arms, one per class (the CS231n "spiral" data set).

    Class k's points run from the origin (radius 0) to radius 1 while the angle sweeps
    [4k, 4k + 4] radians; `noise` is the standard deviation of gaussian jitter added to the
    angle. Samples are split as evenly as possible between classes.

    Returns:
        X: float32 (n_samples, 2); y: int64 (n_samples,) with values 0..n_classes-1.
    """
    n_samples = check_positive_int("n_samples", n_samples)
    n_classes = check_positive_int("n_classes", n_classes)
    noise = check_non_negative("noise", noise)
    if n_samples < n_classes:
        raise ValueError(f"n_samples must be >= n_classes={n_classes}, got {n_samples}")
    rng = generator_for(seed)

    points, labels = [], []
    for label, count in enumerate(_split_evenly(n_samples, n_classes)):
        radius = np.linspace(0.0, 1.0, count)
        angle = np.linspace(4.0 * label, 4.0 * (label + 1), count) + rng.normal(0.0, noise, count)
        points.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
        labels.append(np.full(count, label, dtype=np.int64))
    return _shuffled(np.concatenate(points), np.concatenate(labels), rng)


def make_moons(n_samples=200, noise=0.1, seed=None):
    """Two interleaving half circles, with the same geometry as scikit-learn's `make_moons`.

    Class 0 is the upper half of the unit circle centred at (0, 0); class 1 is the lower
    half circle centred at (1, 0.5). Class 0 gets `n_samples // 2` points, evenly spaced in
    angle, and `noise` is the standard deviation of gaussian noise added to each coordinate.

    Returns:
        X: float32 (n_samples, 2); y: int64 (n_samples,) with values 0 and 1.
    """
    n_samples = check_positive_int("n_samples", n_samples)
    noise = check_non_negative("noise", noise)
    rng = generator_for(seed)

    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer_angle = np.linspace(0.0, np.pi, n_outer)
    inner_angle = np.linspace(0.0, np.pi, n_inner)
    X = np.concatenate([
        np.column_stack([np.cos(outer_angle), np.sin(outer_angle)]),
        np.column_stack([1.0 - np.cos(inner_angle), 0.5 - np.sin(inner_angle)]),
    ])
    y = np.concatenate([np.zeros(n_outer, dtype=np.int64), np.ones(n_inner, dtype=np.int64)])
    X = X + rng.normal(0.0, noise, X.shape)
    return _shuffled(X, y, rng)


def make_circles(n_samples=200, noise=0.05, factor=0.5, seed=None):
    """Two concentric circles: class 0 of radius 1 and class 1 of radius `factor`.

    Class 0 gets `n_samples // 2` points, evenly spaced in angle; `noise` is the standard
    deviation of gaussian noise added to each coordinate.

    Returns:
        X: float32 (n_samples, 2); y: int64 (n_samples,) with values 0 and 1.
    """
    n_samples = check_positive_int("n_samples", n_samples)
    noise = check_non_negative("noise", noise)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0 < factor < 1:
        raise ValueError(f"factor must be a number in (0, 1), got {factor!r}")
    rng = generator_for(seed)

    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer_angle = np.linspace(0.0, 2.0 * np.pi, n_outer, endpoint=False)
    inner_angle = np.linspace(0.0, 2.0 * np.pi, n_inner, endpoint=False)
    X = np.concatenate([
        np.column_stack([np.cos(outer_angle), np.sin(outer_angle)]),
        factor * np.column_stack([np.cos(inner_angle), np.sin(inner_angle)]),
    ])
    y = np.concatenate([np.zeros(n_outer, dtype=np.int64), np.ones(n_inner, dtype=np.int64)])
    X = X + rng.normal(0.0, noise, X.shape)
    return _shuffled(X, y, rng)


def make_xor(n_samples=200, noise=0.1, seed=None):
    """Four gaussian clusters centred at (+-1, +-1); the label is the XOR of the centre's signs.

    Clusters centred at (1, 1) and (-1, -1) are class 0, the other two class 1. `noise` is
    the clusters' standard deviation; the label follows the cluster, so with large noise a
    point can stray into a quadrant of the other class. Samples are split as evenly as
    possible between the four clusters.

    Returns:
        X: float32 (n_samples, 2); y: int64 (n_samples,) with values 0 and 1.
    """
    n_samples = check_positive_int("n_samples", n_samples)
    noise = check_non_negative("noise", noise)
    rng = generator_for(seed)

    centres = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    cluster = np.repeat(np.arange(4), _split_evenly(n_samples, 4))
    X = centres[cluster] + rng.normal(0.0, noise, (n_samples, 2))
    y = ((centres[cluster, 0] > 0) != (centres[cluster, 1] > 0)).astype(np.int64)
    return _shuffled(X, y, rng)


def _cluster_stds(cluster_std, n_centers: int) -> np.ndarray:
    """One standard deviation per centre, from one number or a sequence of `n_centers`."""
    try:
        stds = np.asarray(cluster_std, dtype=np.float64)
    except (TypeError, ValueError):
        stds = None
    if stds is not None and stds.ndim == 0:
        stds = np.full(n_centers, float(stds))
    if stds is None or stds.shape != (n_centers,) or not np.all(np.isfinite(stds)) or np.any(stds < 0):
        raise ValueError(
            f"cluster_std must be one number >= 0 or one per centre ({n_centers}), got {cluster_std!r}"
        )
    return stds


def make_blobs(n_samples=300, centers=3, n_features=2, cluster_std=1.0, seed=None):
    """Isotropic gaussian blobs, one class per centre.

    Args:
        centers: the number of centres, drawn uniformly from the box [-10, 10]^n_features,
            or an array of shape (n_centers, n_features) giving them (its width then sets
            the number of features and `n_features` is ignored).
        cluster_std: the blobs' standard deviation, one number or one per centre.

    Samples are split as evenly as possible between the centres.

    Returns:
        X: float32 (n_samples, n_features); y: int64 (n_samples,), the index of each
        sample's centre.
    """
    n_samples = check_positive_int("n_samples", n_samples)
    rng = generator_for(seed)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        n_centers = check_positive_int("centers", centers)
        n_features = check_positive_int("n_features", n_features)
        centre_points = rng.uniform(-10.0, 10.0, (n_centers, n_features))
    else:
        centre_points = np.asarray(centers, dtype=np.float64)
        if centre_points.ndim != 2 or centre_points.shape[0] == 0 or centre_points.shape[1] == 0:
            raise ValueError(
                f"centers must be a positive int or an array of shape (n_centers, n_features), "
                f"got shape {centre_points.shape}"
            )
        n_centers, n_features = centre_points.shape

    stds = _cluster_stds(cluster_std, n_centers)
    label = np.repeat(np.arange(n_centers), _split_evenly(n_samples, n_centers))
    X = centre_points[label] + rng.normal(0.0, 1.0, (n_samples, n_features)) * stds[label, None]
    return _shuffled(X, label.astype(np.int64), rng)


def _column_indices(sparse_features) -> list:
    """`sparse_features` (one index or a sequence of them) as a list of ints."""
    if isinstance(sparse_features, numbers.Integral):
        sparse_features = (sparse_features,)
    try:
        return [operator.index(column) for column in sparse_features]
    except TypeError:
        raise ValueError(f"sparse_features must be column indices, got {sparse_features!r}") from None


def make_sparse_regression(
    n_samples=1000, n_features=10, sparse_features=(0,), density=0.02, noise=0.0, seed=None
):
    """A linear regression problem in which a few features are rarely non-zero.

    This is the situation AdaGrad was designed for: the weights of rare features get few,
    small gradient contributions, so a single global learning rate under-trains them.

    The columns listed in `sparse_features` (one index or a sequence) are standard normal in exactly
    `max(1, round(density * n_samples))` randomly chosen samples and zero elsewhere; all
    other columns are dense standard normal. The true weights are standard normal, and
    `y = X @ true_weight` plus gaussian noise of standard deviation `noise` (none by default,
    in which case y equals `X @ true_weight` computed in float32).

    Returns:
        X: float32 (n_samples, n_features); y: float32 (n_samples, 1);
        true_weight: float32 (n_features, 1).
    """
    n_samples = check_positive_int("n_samples", n_samples)
    n_features = check_positive_int("n_features", n_features)
    noise = check_non_negative("noise", noise)
    if isinstance(density, bool) or not isinstance(density, numbers.Real) or not 0 < density <= 1:
        raise ValueError(f"density must be a number in (0, 1], got {density!r}")
    sparse_columns = _column_indices(sparse_features)
    for column in sparse_columns:
        if not 0 <= column < n_features:
            raise ValueError(
                f"sparse_features entries must lie in [0, n_features={n_features}), got {column}"
            )
    if len(set(sparse_columns)) != len(sparse_columns):
        raise ValueError(f"sparse_features must not repeat a column, got {tuple(sparse_features)!r}")
    rng = generator_for(seed)

    X = rng.normal(0.0, 1.0, (n_samples, n_features))
    n_nonzero = max(1, round(density * n_samples))
    for column in sparse_columns:
        active_rows = rng.choice(n_samples, size=n_nonzero, replace=False)
        values = X[active_rows, column]
        X[:, column] = 0.0
        X[active_rows, column] = values
    X = X.astype(np.float32)
    true_weight = rng.normal(0.0, 1.0, (n_features, 1)).astype(np.float32)
    y = X @ true_weight
    if noise > 0:
        y = (y + rng.normal(0.0, noise, y.shape)).astype(np.float32)
    return X, y, true_weight
