"""One exception hierarchy for hedgecore.

Every message is short enough to read in an Excel cell and names the argument
(or the sheet and cell) and the offending value, e.g.
``price_usd must be positive, got -3500``.
"""

from __future__ import annotations

__all__ = [
    "HedgecoreError",
    "InvalidInputError",
    "UnknownContractError",
    "DataError",
    "WorkbookError",
    "BelowMaintenanceError",
    "FetchError",
]


class HedgecoreError(Exception):
    """Base class of every error hedgecore raises on purpose."""


class InvalidInputError(HedgecoreError, ValueError):
    """An argument is out of range, of the wrong kind, or not finite."""


class UnknownContractError(InvalidInputError):
    """A contract name is not in the built-in catalog (the message lists close matches)."""


class DataError(InvalidInputError):
    """Price or funding data is unusable: unsorted or duplicated dates, unparseable values."""


class WorkbookError(HedgecoreError):
    """A workbook does not follow the template: missing sheet, table or name, or a bad cell.

    The message names the file, the sheet and the cell.
    """


class BelowMaintenanceError(InvalidInputError):
    """The margin behind a position is already below its maintenance margin at entry.

    Such a position is liquidated at once: there is no liquidation price on the adverse side of
    entry to report. The message says how much margin is there and how much maintenance needs.
    """


class FetchError(HedgecoreError):
    """Market data could not be fetched: unknown coin or contract, delisted market, no network,
    rate limit or server error after the retries, timeout, or a malformed answer.

    The message starts with the coin or contract it concerns, e.g. ``SOL: ...``.
    """
