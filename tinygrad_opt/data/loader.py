"""Mini-batch iteration over in-memory data, yielding Tensors."""
import numpy as np

from .common import check_positive_int, check_same_length, generator_for, to_numpy


class DataLoader:
    """Iterate over `(xb, yb)` mini-batches of Tensors drawn from arrays X and y.

    X and y may be numpy arrays, array-likes or Tensors with the same first dimension.
    Floating-point data becomes float32 and integer data (class labels) int64; each batch
    holds copies, so changing a batch never changes the data set.

    With `shuffle=True`, every `iter()` (every epoch) draws a new order. A loader given a
    `seed` owns a generator seeded once, so it yields the same sequence of epochs on every
    run; with `seed=None` the package generator is used at the start of each epoch, so
    `tinygrad_opt.random.manual_seed` makes it reproducible.

    `len(loader)` is the number of batches per epoch; with `drop_last=True` a final batch
    smaller than `batch_size` is skipped.
    """

    def __init__(self, X, y, batch_size=32, shuffle=False, drop_last=False, seed=None):
        batch_size = check_positive_int("batch_size", batch_size)
        inputs, targets = to_numpy(X), to_numpy(y)
        check_same_length(inputs, targets)
        self.inputs = _canonical_dtype(inputs)
        self.targets = _canonical_dtype(targets)
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self._own_generator = None if seed is None else generator_for(seed)

    def __len__(self):
        """The number of batches in one epoch."""
        full_batches, remainder = divmod(len(self.inputs), self.batch_size)
        return full_batches + (1 if remainder and not self.drop_last else 0)

    def __iter__(self):
        """Start an epoch: fix this epoch's order now, then yield its batches lazily."""
        from tinygrad_opt.tensor import Tensor

        n_samples = len(self.inputs)
        if self.shuffle:
            generator = self._own_generator if self._own_generator is not None else generator_for(None)
            order = generator.permutation(n_samples)
        else:
            order = np.arange(n_samples)
        return self._batches(order, Tensor)

    def _batches(self, order, tensor_type):
        for batch_number in range(len(self)):
            batch_index = order[batch_number * self.batch_size:(batch_number + 1) * self.batch_size]
            yield tensor_type(self.inputs[batch_index]), tensor_type(self.targets[batch_index])


def _canonical_dtype(values: np.ndarray) -> np.ndarray:
    """Floats as float32 and integers as int64, the dtypes Tensors use."""
    if np.issubdtype(values.dtype, np.floating) and values.dtype != np.float32:
        return values.astype(np.float32)
    if np.issubdtype(values.dtype, np.integer) and values.dtype != np.int64:
        return values.astype(np.int64)
    return values
