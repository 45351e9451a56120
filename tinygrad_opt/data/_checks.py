"""Argument validation shared by the data generators and loaders: errors name the argument and value."""
import math
import numbers


def check_positive_int(name: str, value) -> int:
    """Return `value` as an int, or raise ValueError unless it is an integer > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_non_negative(name: str, value) -> float:
    """Return `value` as a float, or raise ValueError unless it is a finite real number >= 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)
