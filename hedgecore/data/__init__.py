"""The data edge: market data from files and from exchanges.

* :mod:`~hedgecore.data.files` — price histories and funding rates from CSV files
  (:func:`load_prices`, :func:`load_funding`, re-exported as ``hedgecore.load_prices`` and
  ``hedgecore.load_funding``).
* :mod:`~hedgecore.data.exchange` — the ccxt edge (the only ccxt importer, lazily): one
  exchange, its markets, retries and one-line errors.
* :mod:`~hedgecore.data.fetch` — daily closes and funding histories into those files,
  incrementally and atomically (``hedgecore fetch prices|funding``).
* :mod:`~hedgecore.data.catalog` — contract specs and tier tables into a catalog folder, and the
  diff against the built-in catalog (``hedgecore fetch contracts``, ``hedgecore contracts --diff``).
"""

from __future__ import annotations

from .files import load_funding, load_prices

__all__ = ["load_funding", "load_prices"]
