"""What every module of the data package shares: taking data in, checking arguments, checksums
and the `seed` convention. Errors name the argument and the value it was given."""
import hashlib
import math
import numbers

import numpy as np

from ..random import default_generator

__all__ = ["ChecksumError", "check_non_negative", "check_positive_int", "check_same_length",
           "generator_for", "sha256_hex", "to_numpy"]


class ChecksumError(ValueError):
    """Data on disk does not match the SHA-256 checksum it is pinned to."""


def sha256_hex(*chunks: bytes) -> str:
    """Hex SHA-256 of the concatenation of `chunks`."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def to_numpy(values) -> np.ndarray:
    """Return `values` as a numpy array; a Tensor is unwrapped through its `.data` array."""
    if isinstance(values, np.ndarray):
        return values
    wrapped = getattr(values, "data", None)
    if isinstance(wrapped, np.ndarray):
        return wrapped
    return np.asarray(values)


def check_same_length(X: np.ndarray, y: np.ndarray) -> None:
    """Raise ValueError unless X and y hold the same number of samples (first axis)."""
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"X and y must be arrays of samples, got shapes {X.shape} and {y.shape}")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got len(X)={len(X)} and len(y)={len(y)}")


def check_positive_int(name: str, value) -> int:
    """Return `value` as an int, or raise ValueError unless it is an integer > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_non_negative(name: str, value) -> float:
    """Return `value` as a float, or raise ValueError unless it is a finite real number >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def generator_for(seed=None) -> np.random.Generator:
    """The package-wide generator when `seed` is None, else a fresh one seeded with `seed`.

    The package generator is looked up at call time, so `tinygrad_opt.random.manual_seed`
    takes effect for every draw made after it.
    """
    if seed is None:
        return default_generator()
    return np.random.default_rng(seed)
