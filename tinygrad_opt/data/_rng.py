"""Resolve the `seed=None` convention shared by every random function in the data package."""
import numpy as np

from tinygrad_opt.random import default_generator


def generator_for(seed=None) -> np.random.Generator:
    """Return the package-wide generator when `seed` is None, else a fresh one seeded with `seed`.

    The package generator is looked up at call time, so `tinygrad_opt.random.manual_seed`
    takes effect for every draw made after it.
    """
    if seed is None:
        return default_generator()
    return np.random.default_rng(seed)
