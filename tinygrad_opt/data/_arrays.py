"""Accept numpy arrays, array-likes and Tensors alike wherever the data package takes data."""
import numpy as np


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
