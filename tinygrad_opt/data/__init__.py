"""Data sets and data handling: bundled digits, MNIST/Fashion-MNIST loaders, synthetic
classification and regression problems, train/test splitting, standardization and DataLoader."""
from .common import ChecksumError
from .digits import load_digits
from .loader import DataLoader
from .mnist import download_file, load_mnist, read_idx
from .split import standardize, train_test_split
from .synthetic import (
    make_blobs,
    make_circles,
    make_moons,
    make_sparse_regression,
    make_spirals,
    make_xor,
)

__all__ = [
    "ChecksumError",
    "DataLoader",
    "download_file",
    "load_digits",
    "load_mnist",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_sparse_regression",
    "make_spirals",
    "make_xor",
    "read_idx",
    "standardize",
    "train_test_split",
]
