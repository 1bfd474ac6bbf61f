"""Cells and tables of a workbook: read by their real content, and text written safely.

A table's declared range may be huge (``A1:XFD1048576``) while it holds a few rows: the rows
here come from the cells the file actually contains, never from every cell of the range, and
each table has a documented cap (:data:`TABLE_LIMITS`). Values are parsed strictly: numbers
finite, dates real calendar dates in range (a time zone is dropped, keeping the date as written),
text dates only in ISO form (``today`` is an error), Excel error values named as such. Every
problem is a :class:`~hedgecore.errors.WorkbookError` naming file, sheet and cell.

Writing, :func:`put_text` stores user text (tickers, asset and file names) as a string cell,
never a formula, with the characters a workbook cannot hold escaped: the template writer and the
report both use it.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import pandas as pd

from .._text import escape_controls, short_name
from ..errors import WorkbookError

__all__ = ["TableLimits", "TABLE_LIMITS", "DATE_MIN", "DATE_MAX", "err", "is_blank", "number", "parse_date",
           "table_bounds", "table_rows", "check_count", "put_text"]

#: Dates a Prices row may carry: Excel's serials are off by one before 1900-03-01, and pandas
#: holds dates up to 2262-04-11.
DATE_MIN = pd.Timestamp("1900-03-01")
DATE_MAX = pd.Timestamp("2261-12-31")
_SERIAL_EPOCH = pd.Timestamp("1899-12-30")
_SERIAL_MIN = float((DATE_MIN - _SERIAL_EPOCH).days)
_SERIAL_MAX = float((DATE_MAX - _SERIAL_EPOCH).days)
#: ISO dates as text: 2021-01-03, optionally a time and a zone. A zone is dropped: the calendar
#: date as written is kept (as openpyxl does for date cells), so no two zones compare.
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$")


@dataclass(frozen=True)
class TableLimits:
    """Rows with data (and price columns) a table may hold: generous for real use.

    20,000 daily closes are 54 years; 1,000 price columns hold 500 coins twice over; 40,000 funding
    settlements are 4.5 years of hourly ones.
    """

    price_rows: int = 20_000
    price_columns: int = 1_000
    holdings: int = 1_000
    shocks: int = 1_000
    funding_rows: int = 40_000  # settlements of table Funding: 4.5 years hourly


TABLE_LIMITS = TableLimits()


def err(path: str, sheet: str, cell: str | None, message: str) -> WorkbookError:
    """``file.xlsx, sheet S, cell C: message`` as a WorkbookError."""
    where = f"{short_name(Path(path).name)}, sheet {sheet}" + (f", cell {cell}" if cell else "")
    return WorkbookError(f"{where}: {message}")


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: Any) -> str:
    text = f"text {value!r}" if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def number(path: str, sheet: str, cell: str, label: str, value: Any, *, error: bool = False) -> float:
    """A finite float, or an error naming the cell. ``error``: the cell holds an Excel error value."""
    if error:
        raise err(path, sheet, cell, f"{label} holds the Excel error {_shown(value)}; type a number")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise err(path, sheet, cell, f"{label} must be a number, got {_shown(value)}")
    out = float(value)
    if not math.isfinite(out):
        raise err(path, sheet, cell, f"{label} must be finite, got {value}")
    return out


def _from_text(path: str, cell: str, text: str, sheet: str, label: str) -> pd.Timestamp:
    m = _ISO_DATE.match(text.strip())
    if m is None:
        raise err(path, sheet, cell, f"{label} must be a date, got {_shown(text)} (type dates like 2021-01-03)")
    try:
        ts = pd.Timestamp(text.strip()[: m.start(1)] if m.group(1) else text.strip())
    except (ValueError, OverflowError):
        raise err(path, sheet, cell, f"{label} {_shown(text)} is not a calendar date") from None
    return ts


def _from_serial(path: str, cell: str, serial: float, sheet: str, label: str) -> pd.Timestamp:
    if not (math.isfinite(serial) and _SERIAL_MIN <= serial <= _SERIAL_MAX):
        raise err(path, sheet, cell, f"{label} serial {serial:g} is out of range: dates must lie between "
                                     f"{DATE_MIN.date()} and {DATE_MAX.date()}")
    return _SERIAL_EPOCH + pd.Timedelta(days=serial)


def parse_date(path: str, cell: str, value: Any, *, error: bool = False, sheet: str = "Prices",
               label: str = "Date") -> pd.Timestamp:
    """A date (and time, if any): a date cell, an Excel serial or ISO text, within range; a zone is dropped.

    ``sheet`` and ``label`` name the cell in errors (the Prices Date by default).
    """
    if error:
        raise err(path, sheet, cell, f"{label} holds the Excel error {_shown(value)} (a date serial out of range?)")
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # the calendar date as written, as for text and date cells
    if isinstance(value, (_dt.datetime, _dt.date)):
        ts = pd.Timestamp(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ts = _from_serial(path, cell, float(value), sheet, label)
    elif isinstance(value, str):
        ts = _from_text(path, cell, value, sheet, label)
    elif isinstance(value, _dt.time):
        raise err(path, sheet, cell, f"{label} must be a date, got the time of day {value}")
    else:
        raise err(path, sheet, cell, f"{label} must be a date, got {_shown(value)}")
    if not DATE_MIN <= ts <= DATE_MAX:
        raise err(path, sheet, cell, f"{label} {ts.date()} is out of range: dates must lie between "
                                     f"{DATE_MIN.date()} and {DATE_MAX.date()}")
    return ts


def table_bounds(path: str, sheet: str, table: Any) -> tuple[int, int, int, int]:
    """(first column, header row, last column, last row) of a table's declared range."""
    from openpyxl.utils.cell import range_boundaries

    try:
        c1, r1, c2, r2 = range_boundaries(str(table.ref))
    except (TypeError, ValueError):
        raise err(path, sheet, None, f"table {table.displayName} has an invalid range {str(table.ref)[:40]!r}") from None
    if None in (c1, r1, c2, r2):
        raise err(path, sheet, None, f"table {table.displayName} has an invalid range {str(table.ref)[:40]!r}")
    return c1, r1, c2, r2


def table_rows(ws: Any, bounds: tuple[int, int, int, int]) -> Iterator[tuple[int, dict[int, Any]]]:
    """(row, {column: cell}) for each row of ``bounds`` holding a cell with a value, in row order.

    Walks the cells the file contains (openpyxl's sparse ``_cells``), not the declared range.
    """
    c1, r1, c2, r2 = bounds
    cells = ws._cells  # noqa: SLF001 - the sparse store; ws.cell() would create every cell of the range
    keys = sorted(k for k, c in cells.items() if r1 <= k[0] <= r2 and c1 <= k[1] <= c2 and not is_blank(c.value))
    for row, group in itertools.groupby(keys, key=itemgetter(0)):
        yield row, {col: cells[(row, col)] for _, col in group}


def check_count(path: str, sheet: str, what: str, count: int, limit: int, hint: str) -> None:
    """Refuse a table beyond its cap with one clear line."""
    if count > limit:
        raise err(path, sheet, None, f"table {what} holds more than {limit:,} {hint}, the limit for one workbook")


def put_text(cell: Any, text: str) -> Any:
    """Store ``text`` in ``cell`` as a string (a leading ``=`` stays text); control characters escaped."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell.value = ILLEGAL_CHARACTERS_RE.sub(lambda m: escape_controls(m.group()), text)
    cell.data_type = "s"
    return cell
