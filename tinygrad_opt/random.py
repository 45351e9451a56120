"""One random generator for the whole package, so `manual_seed(n)` makes every draw reproducible.

Every module that draws random numbers (factories, `nn.init`, `Dropout`, data generators,
`DataLoader(shuffle=True)`) asks `default_generator()` for the generator at the time of the
draw, so re-seeding takes effect everywhere at once.
"""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Re-seed the package's generator (like `torch.manual_seed`) and return it."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expected an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_generator() -> np.random.Generator:
    """The generator every random draw in tinygrad_opt uses."""
    return _generator
