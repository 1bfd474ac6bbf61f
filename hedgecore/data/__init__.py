"""The data edge: market data from files (and, next, from exchanges).

* :mod:`~hedgecore.data.files` — price histories and funding rates from CSV files
  (:func:`load_prices`, :func:`load_funding`, re-exported as ``hedgecore.load_prices`` and
  ``hedgecore.load_funding``).
"""

from __future__ import annotations

from .files import load_funding, load_prices

__all__ = ["load_funding", "load_prices"]
