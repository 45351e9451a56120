"""The UCI handwritten digits data set (8x8 images, 1797 samples), shipped with the package.

Source: E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine
Learning Repository, https://doi.org/10.24432/C50P49, licensed CC BY 4.0 (see
DIGITS_LICENSE.md beside this file). Each image is a 32x32 bitmap divided into 4x4 blocks;
each pixel counts the set bits in its block, so values run from 0 to 16.

`digits.npz` was converted once from scikit-learn's bundled copy of the test set
(scikit-learn 1.9.1) and scikit-learn is not needed to use it. The conversion was:

    import numpy as np
    from sklearn.datasets import load_digits
    bunch = load_digits()
    np.savez_compressed(
        "tinygrad_opt/data/digits.npz",
        images=bunch.images.astype(np.uint8),   # (1797, 8, 8), exact: values are 0..16
        labels=bunch.target.astype(np.uint8),   # (1797,), 0..9
    )

The SHA-256 values below are of `images.tobytes()` and `labels.tobytes()` after loading.
"""
from importlib.resources import files
import zipfile

import numpy as np

from .common import ChecksumError, sha256_hex

DIGITS_RESOURCE = files(__package__).joinpath("digits.npz")

N_SAMPLES = 1797
IMAGE_SHAPE = (8, 8)
MAX_PIXEL_VALUE = 16
CLASS_SIZE_RANGE = (174, 183)
IMAGES_SHA256 = "8f26b2bd9d135c256808f68f14fdabddde6d9c7f869ae419704b051f0f14b3b3"
LABELS_SHA256 = "8ba4f891220f5e4c9c819638d1602d74b83618f167043c6da52a2a247841ddf0"


def load_digits(as_images=False):
    """Load the digits data set, verified against its pinned checksums.

    Args:
        as_images: return X with shape (1797, 8, 8) instead of flattened (1797, 64).

    Returns:
        X: float32 pixel values 0..16, shape (1797, 64) or (1797, 8, 8);
        y: int64 labels 0..9, shape (1797,).

    Raises:
        ChecksumError: the packaged file is missing pieces, malformed or altered.
    """
    images, labels = _read_verified(DIGITS_RESOURCE)
    X = images.astype(np.float32)
    if not as_images:
        X = X.reshape(len(X), -1)
    return X, labels.astype(np.int64)


def _read_verified(resource):
    """The raw uint8 (images, labels) arrays of `resource`, after every integrity check."""
    try:
        with resource.open("rb") as stream, np.load(stream, allow_pickle=False) as archive:
            images, labels = archive["images"], archive["labels"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise ChecksumError(f"digits data file {resource} is unreadable or damaged: {error}") from error

    problems = []
    for name, array, shape in (("images", images, (N_SAMPLES, *IMAGE_SHAPE)), ("labels", labels, (N_SAMPLES,))):
        if array.dtype != np.uint8 or array.shape != shape:
            problems.append(f"{name} are {array.dtype} {array.shape}, expected uint8 {shape}")
    if not problems:
        if images.max() > MAX_PIXEL_VALUE:
            problems.append(f"a pixel value is {images.max()}, expected at most {MAX_PIXEL_VALUE}")
        class_sizes = np.bincount(labels, minlength=10)
        low, high = CLASS_SIZE_RANGE
        if len(class_sizes) != 10 or class_sizes.min() < low or class_sizes.max() > high:
            problems.append(f"class sizes are {class_sizes.tolist()}, expected 10 classes of {low}..{high}")
        for name, array, expected in (("images", images, IMAGES_SHA256), ("labels", labels, LABELS_SHA256)):
            actual = sha256_hex(np.ascontiguousarray(array).tobytes())
            if actual != expected:
                problems.append(f"{name} SHA-256 is {actual}, expected {expected}")
    if problems:
        raise ChecksumError(f"digits data file {resource} is damaged: " + "; ".join(problems))
    return images, labels
