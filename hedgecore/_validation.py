"""Validation at the public boundary: turn user input into finite floats or raise.

The core functions call these once on entry; everything below works on clean numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real

import numpy as np

from .errors import InvalidInputError

__all__ = [
    "describe_value",
    "as_float",
    "require_finite",
    "require_positive",
    "require_nonnegative",
    "require_choice",
    "require_fraction",
    "as_float_array",
]


def describe_value(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def as_float(name: str, value: object) -> float:
    """Return ``value`` as a finite float or raise ``InvalidInputError`` naming ``name``."""
    if isinstance(value, bool) or value is None:
        raise InvalidInputError(f"{name} must be a number, got {describe_value(value)}")
    if isinstance(value, (Real, np.number)):
        out = float(value)
    elif isinstance(value, str):
        try:
            out = float(value.strip())
        except ValueError:
            raise InvalidInputError(f"{name} must be a number, got {describe_value(value)}") from None
    else:
        raise InvalidInputError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(out):
        raise InvalidInputError(f"{name} must be finite, got {describe_value(out)}")
    return out


def require_finite(name: str, value: object) -> float:
    """Alias of :func:`as_float`: a finite float."""
    return as_float(name, value)


def require_positive(name: str, value: object) -> float:
    """A finite float > 0."""
    out = as_float(name, value)
    if out <= 0:
        raise InvalidInputError(f"{name} must be positive, got {describe_value(out)}")
    return out


def require_nonnegative(name: str, value: object) -> float:
    """A finite float >= 0."""
    out = as_float(name, value)
    if out < 0:
        raise InvalidInputError(f"{name} must be zero or positive, got {describe_value(out)}")
    return out


def require_fraction(name: str, value: object) -> float:
    """A finite float in [0, 1]."""
    out = as_float(name, value)
    if not 0.0 <= out <= 1.0:
        raise InvalidInputError(f"{name} must be between 0 and 1, got {describe_value(out)}")
    return out


def require_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Case-insensitive choice among ``choices``; returns the canonical (lower-case) spelling."""
    allowed = tuple(choices)
    if isinstance(value, str):
        key = value.strip().lower()
        for choice in allowed:
            if key == choice.lower():
                return choice
    allowed_text = ", ".join(f'"{c}"' for c in allowed)
    raise InvalidInputError(f"{name} must be one of {allowed_text}, got {describe_value(value)}")


def as_float_array(name: str, values: object) -> np.ndarray:
    """A 1-D float array of finite values (scalars become length-1 arrays)."""
    try:
        arr = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must contain only numbers") from None
    if arr.size == 0:
        raise InvalidInputError(f"{name} must not be empty")
    bad = ~np.isfinite(arr)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(f"{name} must be finite, got {describe_value(float(arr[pos]))} at position {pos + 1}")
    return arr
