"""Read a filled template back through its tables and defined names (the openpyxl edge).

The names are the contract of :mod:`hedgecore.excel.layout`. Input cells holding a formula use the
value Excel cached at its last save; the template's own default formulas are computed with
hedgecore when there is none, or when the cache is an error value (``#NAME?`` from a save before
the add-in loaded means "not computed"); anything else is a :class:`~hedgecore.errors.WorkbookError`
naming the file, sheet and cell. A table whose rows and range names differ gives a warning
(:func:`_table_warnings`). openpyxl is imported inside the functions.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .._text import short_name
from ..errors import WorkbookError
from .cells import TABLE_LIMITS, check_count, err as _err, is_blank, number, parse_date, table_bounds, table_rows
from .compute import evaluate_defaults
from .container import check_container, find_bad_table, find_bad_value
from .inputs import InputError, check_settings
from .layout import (
    BACKTEST_INPUT_NAMES,
    BLANK_OK_INPUTS,
    DEFAULT_FORMULAS,
    DEFAULT_SETTINGS,
    FUNDING_COLUMNS,
    FUNDING_CONTRACT_NAME,
    INPUT_NAMES,
    OPTIONAL_NAMES,
    OUTPUT_NAMES,
    SHEETS,
    TABLE_KEY_NAMES,
    TABLE_SPANS,
    TEXT_INPUTS,
    input_spec,
)

__all__ = ["WorkbookInputs", "read_workbook", "read_workbook_and_book"]


@dataclass(frozen=True)
class WorkbookInputs:
    """What :func:`read_workbook` found in a template.

    Attributes
    ----------
    path : str
    holdings : pandas.DataFrame
        Columns ``Asset`` (str), ``Quantity`` (coins), ``Price`` (USD); blank rows dropped.
    prices : pandas.DataFrame
        Daily closes indexed by ``Date`` (DatetimeIndex, increasing), one float column per ticker.
    shocks : numpy.ndarray
        The Shocks table (returns of the hedge coin).
    settings : Mapping[str, object]
        Hedge inputs by defined name: text for HedgeAsset/Contract/ContractType/Rounding
        (Contract ``""`` when blank), floats otherwise.
    cells : Mapping[str, str]
        ``"Hedge!B5"``-style address of each defined name (inputs and outputs) and of the tables.
    computed : frozenset[str]
        Input names whose template default formula was evaluated here with hedgecore
        (``HedgeRatio`` → portfolio beta, ``HedgePrice`` → last non-blank close).
    warnings : tuple[str, ...]
        One line per table whose rows and defined names differ (the sheet's formulas and the
        report would count different rows).
    backtest : Mapping[str, object] or None
        The Backtest sheet's inputs by defined name (text for the choices, floats, None for a blank
        that is allowed); None when the workbook has none (made before the Backtest sheet).
    funding : pandas.DataFrame or None
        Table Funding, the hedge contract's settlements as
        :func:`hedgecore.data.fetch.read_funding_history` returns a file: ``funding_rate`` and
        ``interval_hours`` by tz-aware UTC time, ``attrs["symbol"]`` the ``FundingContract``;
        None when the table is empty or the workbook has none (templates before it).
    default_formulas : frozenset[str]
        Input names whose cell holds the template's default formula (with or without a value Excel
        cached), e.g. ``HedgePrice``: ``hedgecore refresh`` keeps those formulas.
    """

    path: str
    holdings: pd.DataFrame
    prices: pd.DataFrame
    shocks: np.ndarray
    settings: Mapping[str, Any]
    cells: Mapping[str, str]
    computed: frozenset[str] = field(default_factory=frozenset)
    warnings: tuple[str, ...] = ()
    backtest: Mapping[str, Any] | None = None
    funding: pd.DataFrame | None = None
    default_formulas: frozenset[str] = field(default_factory=frozenset)

    def where(self, name: str) -> str:
        """``"file.xlsx, sheet Hedge, cell B9"`` for error messages."""
        sheet, _, cell = self.cells[name].partition("!")
        return f"{short_name(Path(self.path).name)}, sheet {sheet}, cell {cell}"


def _norm_formula(text: str) -> str:
    return "".join(str(text).split()).upper()


def _find_table(path: str, wb, sheet: str, name: str):
    if sheet not in wb.sheetnames:
        visible = ", ".join(s for s in SHEETS if s != "Lists")
        raise WorkbookError(f"{short_name(Path(path).name)}: sheet {sheet} is missing (the template has {visible})")
    ws = wb[sheet]
    for key in ws.tables:
        if key.lower() == name.lower():
            table = ws.tables[key]
            return ws, table, table_bounds(path, sheet, table)
    raise _err(path, sheet, None, f"table {name} is missing")


def _name_dest(path: str, wb, name: str) -> tuple[str, str]:
    file = short_name(Path(path).name)
    dn = wb.defined_names.get(name)
    if dn is None:
        raise WorkbookError(f"{file}: defined name {name} is missing (Formulas > Name Manager)")
    try:
        dests = list(dn.destinations)
    except (TypeError, ValueError, AttributeError):
        dests = []
    if len(dests) != 1 or ":" in dests[0][1]:
        raise WorkbookError(f"{file}: defined name {name} must refer to one cell, got {str(dn.attr_text)[:60]!r}")
    sheet, ref = dests[0]
    if sheet not in wb.sheetnames:
        raise WorkbookError(f"{file}: defined name {name} refers to missing sheet {str(sheet)[:40]}")
    return sheet, ref.replace("$", "")


def _load(source: Any, **options: Any):
    """openpyxl's load_workbook, quiet: its warnings (unsupported extensions, dates out of range) are
    not the user's business here; the reader names bad cells itself."""
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_workbook(source, **options)


def _open_error(path: str, data: bytes, exc: Exception) -> WorkbookError:
    """The one line for a file openpyxl cannot load: the bad cell when a value is at fault."""
    bad = find_bad_value(data)
    if bad is not None:
        sheet, cell, problem = bad
        return _err(path, sheet, cell, problem)
    table = find_bad_table(data)
    if table is not None:
        return WorkbookError(f"{short_name(Path(path).name)}: {table}")
    detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
    return WorkbookError(f"{short_name(Path(path).name)}: cannot open as .xlsx ({detail})")


class _CellReader:
    """Formula-aware cell access: cached values from an Excel save, else the formula text.

    Checks the container (:func:`~hedgecore.excel.container.check_container`) and loads the file
    once; the values Excel cached are read lazily through a read-only view, only when an input
    holds a formula.
    """

    def __init__(self, path: str, data: bytes | None = None):
        self.path = path
        try:
            self._data = Path(path).read_bytes() if data is None else data
        except OSError as exc:
            raise WorkbookError(f"{short_name(Path(path).name)}: cannot read ({exc.strerror})") from None
        check_container(path, self._data)
        try:
            self.wb = _load(io.BytesIO(self._data), data_only=False)
        except ImportError:
            raise
        except Exception as exc:  # noqa: BLE001 - any parse failure of an untrusted file is a bad input
            raise _open_error(path, self._data, exc) from None
        self._cached = None

    @property
    def cached(self):
        if self._cached is None:
            self._cached = _load(io.BytesIO(self._data), read_only=True, data_only=True)
        return self._cached

    def close(self) -> None:
        if self._cached is not None:
            self._cached.close()
            self._cached = None

    def of(self, sheet: str, cell: Any) -> tuple[Any, str | None, bool]:
        """(value, formula, is_error): value is Excel's cached result when the cell holds a formula."""
        if cell.data_type == "f":
            text = str(getattr(cell.value, "text", cell.value))
            cached = self.cached[sheet][cell.coordinate]
            if cached.data_type == "e" and cached.value == "#NAME?":  # saved where the add-in was not loaded
                return None, text, False
            return cached.value, text, cached.data_type == "e"
        return cell.value, None, cell.data_type == "e"

    def value(self, sheet: str, coord: str) -> tuple[Any, str | None, bool]:
        return self.of(sheet, self.wb[sheet][coord])


def _headers(path: str, ws, bounds, sheet: str, table: str) -> dict[int, str]:
    """Column -> header text of a table's header row (its real cells); blank or duplicated headers refused."""
    from openpyxl.utils import get_column_letter

    c1, r1, c2, _ = bounds
    cells = next((cells for row, cells in table_rows(ws, (c1, r1, c2, r1))), {})
    last = max(cells, default=c1 - 1)
    check_count(path, sheet, table, last - c1 + 1, TABLE_LIMITS.price_columns + 1, "columns")
    out: dict[int, str] = {}
    for col in range(c1, last + 1):
        where = f"{get_column_letter(col)}{r1}"
        text = str(cells[col].value).strip() if col in cells else ""
        if not text:
            raise _err(path, sheet, where, f"a column of table {table} has no header")
        if text in out.values():
            first = get_column_letter(next(c for c, h in out.items() if h == text))
            raise _err(path, sheet, where, f"column header {text!r} of table {table} is duplicated "
                                           f"(first in column {first}); each column needs its own name")
        out[col] = text
    return out


def _no_stray_values(path: str, sheet: str, table: str, row: int, cells: dict[int, Any], headers: dict[int, str]):
    from openpyxl.utils import get_column_letter

    stray = [c for c in cells if c not in headers]
    if stray:
        raise _err(path, sheet, f"{get_column_letter(stray[0])}{row}",
                   f"a value in table {table} below no column header; give the column a header or clear it")


def _price_row(r: _CellReader, row: int, cells: dict[int, Any], tickers: dict[int, str], out: np.ndarray) -> None:
    from openpyxl.utils import get_column_letter

    for col, ticker in tickers.items():
        cell = cells.get(col)
        if cell is None:
            continue
        where = f"{get_column_letter(col)}{row}"
        if cell.data_type == "f":
            raise _err(r.path, "Prices", where, f"close of {ticker} holds a formula; paste the closes as values")
        x = number(r.path, "Prices", where, f"close of {ticker}", cell.value, error=cell.data_type == "e")
        if x <= 0:
            raise _err(r.path, "Prices", where, f"close of {ticker} must be positive, got {cell.value}")
        out[col] = x


def _read_prices(r: _CellReader) -> pd.DataFrame:
    from openpyxl.utils import get_column_letter

    path = r.path
    ws, _, bounds = _find_table(path, r.wb, "Prices", "Prices")
    c1, r1, _, r2 = bounds
    headers = _headers(path, ws, bounds, "Prices", "Prices")
    if headers.get(c1) != "Date":
        raise _err(path, "Prices", f"{get_column_letter(c1)}{r1}",
                   f"first column of table Prices must be Date, got {headers.get(c1)!r}")
    tickers = {c: h for c, h in headers.items() if c != c1}
    if not tickers:
        raise _err(path, "Prices", None, "table Prices has no price columns")
    dates: list[pd.Timestamp] = []
    rows: list[np.ndarray] = []
    width, columns = max(headers) + 1, list(tickers)
    for row, cells in table_rows(ws, (c1, r1 + 1, bounds[2], r2)):
        _no_stray_values(path, "Prices", "Prices", row, cells, headers)
        check_count(path, "Prices", "Prices", len(rows) + 1, TABLE_LIMITS.price_rows, "rows of closes")
        date_cell = f"{get_column_letter(c1)}{row}"
        d = cells.get(c1)
        if d is None:
            raise _err(path, "Prices", date_cell, "Date is blank in a row with closes")
        ts = parse_date(path, date_cell, d.value, error=d.data_type == "e")
        if dates and ts <= dates[-1]:
            problem = "duplicated" if ts == dates[-1] else "not in increasing order"
            raise _err(path, "Prices", date_cell, f"date {ts.date()} is {problem} (dates must increase, one row per day)")
        values = np.full(width, np.nan)
        _price_row(r, row, cells, tickers, values)
        dates.append(ts)
        rows.append(values[columns])
    if not rows:
        raise _err(path, "Prices", None, "table Prices is empty: paste daily closes under Date and the tickers")
    return pd.DataFrame(np.vstack(rows), index=pd.DatetimeIndex(dates, name="Date"),
                        columns=list(tickers.values()), dtype=float)


def _holding(r: _CellReader, row: int, cells: dict[str, Any], prices: pd.DataFrame) -> dict[str, Any]:
    """One Holdings row: asset text, quantity and price as finite numbers, their value finite."""
    path = r.path
    asset, _, _ = cells["Asset"]
    if is_blank(asset):
        raise _err(path, "Portfolio", f"{cells['at']['Asset']}", "Asset is blank in a row with a quantity or price")
    asset = str(asset).strip()
    if asset not in prices.columns:
        raise _err(path, "Portfolio", cells["at"]["Asset"], f"asset {asset} has no column in table Prices")
    out: dict[str, Any] = {"Asset": asset}
    for k in ("Quantity", "Price"):
        v, f, error = cells[k]
        where = cells["at"][k]
        if v is None and f is not None:
            raise _err(path, "Portfolio", where, f"{k} holds a formula ({f[:40]}) with no saved value; type a number or save the file in Excel")
        if is_blank(v):
            raise _err(path, "Portfolio", where, f"{k} of {asset} is blank")
        x = number(path, "Portfolio", where, f"{k} of {asset}", v, error=error)
        if k == "Quantity" and x < 0:
            raise _err(path, "Portfolio", where, f"Quantity of {asset} is negative ({v}); hedgecore hedges long holdings")
        if k == "Price" and x <= 0:
            raise _err(path, "Portfolio", where, f"Price of {asset} must be positive, got {v}")
        out[k] = x
    if not math.isfinite(out["Quantity"] * out["Price"]):
        raise _err(path, "Portfolio", cells["at"]["Quantity"], f"the value of {asset} (Quantity x Price) is beyond "
                                                                "the range of numbers")
    return out


def _read_holdings(r: _CellReader, prices: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    from openpyxl.utils import get_column_letter

    path = r.path
    ws, table, bounds = _find_table(path, r.wb, "Portfolio", "Holdings")
    headers = {h: c for c, h in _headers(path, ws, bounds, "Portfolio", "Holdings").items()}
    for col in ("Asset", "Quantity", "Price"):
        if col not in headers:
            raise _err(path, "Portfolio", None, f"table Holdings has no column {col}")
    out = []
    c1, r1, c2, r2 = bounds
    for row, found in table_rows(ws, (c1, r1 + 1, c2, r2)):
        at = {k: f"{get_column_letter(headers[k])}{row}" for k in ("Asset", "Quantity", "Price")}
        cells = {k: r.of("Portfolio", found[headers[k]]) if headers[k] in found else (None, None, False)
                 for k in at}
        if all(is_blank(v) and f is None for v, f, _ in cells.values()):
            continue
        check_count(path, "Portfolio", "Holdings", len(out) + 1, TABLE_LIMITS.holdings, "holdings")
        out.append(_holding(r, row, {**cells, "at": at}, prices))
    if not out:
        raise _err(path, "Portfolio", None, "table Holdings is empty")
    df = pd.DataFrame(out, columns=["Asset", "Quantity", "Price"])
    if not math.isfinite(float(df["Quantity"].mul(df["Price"]).sum())):
        raise _err(path, "Portfolio", None, "the portfolio value (sum of Quantity x Price) is beyond the range of numbers")
    return df, f"Portfolio!{table.ref}"


def _read_shocks(r: _CellReader) -> tuple[np.ndarray, str]:
    from openpyxl.utils import get_column_letter

    path = r.path
    ws, table, (c1, r1, _, r2) = _find_table(path, r.wb, "StressTest", "Shocks")
    values = []
    for row, found in table_rows(ws, (c1, r1 + 1, c1, r2)):
        cell = f"{get_column_letter(c1)}{row}"
        v, f, error = r.of("StressTest", found[c1])
        if is_blank(v) and f is None:
            continue
        check_count(path, "StressTest", "Shocks", len(values) + 1, TABLE_LIMITS.shocks, "shocks")
        x = number(path, "StressTest", cell, "Shock", v, error=error)
        if x <= -1:
            raise _err(path, "StressTest", cell, f"Shock must be above -100 %, got {v}")
        values.append(x)
    return np.asarray(values, dtype=float), f"StressTest!{table.ref}"


def read_workbook(path: str | os.PathLike[str]) -> WorkbookInputs:
    """Read a filled template back through its tables and defined names.

    Formula input cells: a value Excel cached at its last save is used; otherwise the template's
    own default formulas (``HedgeRatio`` = portfolio beta, ``HedgePrice`` = last close of the hedge
    coin) are computed with hedgecore; any other formula without a cached value raises. The Hedge
    inputs are then checked by :func:`hedgecore.excel.inputs.check_settings`.

    Raises
    ------
    WorkbookError
        Naming file, sheet and cell: missing sheet, table or name; text in a numeric cell; a
        negative quantity; an asset or hedge coin missing from Prices; an input out of range or
        contradicting the catalog contract; duplicated or unsorted dates; empty Prices or Holdings.
    """
    inputs, _ = read_workbook_and_book(path)
    return inputs


def read_workbook_and_book(path: str | os.PathLike[str], data: bytes | None = None) -> tuple[WorkbookInputs, Any]:
    """:func:`read_workbook`, also returning the loaded openpyxl workbook (formulas kept).

    For the batch report, which writes its output from the same workbook: one load per file.
    ``data`` are the file's bytes when the caller has read them already (e.g. to hash them).
    """
    r = _CellReader(str(path), data)
    try:
        return _inputs(r), r.wb
    finally:
        r.close()


def _read_settings(r: _CellReader, locations: Mapping[str, tuple[str, str]]) -> tuple[dict[str, Any], set[str],
                                                                                   set[str]]:
    """The Hedge inputs as typed (text or numbers), the names whose default formula has no value yet,
    and the names whose cell holds its default formula. An input of :data:`OPTIONAL_NAMES` that the
    workbook lacks (an older template) takes its default."""
    settings: dict[str, Any] = {}
    pending: set[str] = set()
    defaults: set[str] = set()
    for name in INPUT_NAMES:
        if name not in locations:  # an input newer than the workbook: its default
            settings[name] = DEFAULT_SETTINGS[name]
            continue
        sheet, coord = locations[name]
        value, formula, error = r.value(sheet, coord)
        if formula is not None and _norm_formula(formula) == _norm_formula(DEFAULT_FORMULAS.get(name, "")):
            defaults.add(name)
        if formula is not None and (value is None or error):
            if name in defaults:
                pending.add(name)  # not computed yet (or saved as an error before the add-in ran)
                continue
            if not error:
                raise _err(r.path, sheet, coord, f"{name} holds the formula {formula[:60]} with no saved value; "
                                                 "type a value or save the file in Excel")
        if error:
            raise _err(r.path, sheet, coord, _error_message(name, str(value)[:20], formula))
        if name in TEXT_INPUTS:
            if is_blank(value):
                if name in BLANK_OK_INPUTS:
                    settings[name] = ""
                    continue
                raise _err(r.path, sheet, coord, f"{name} is blank")
            text = str(value).strip()
            if text.startswith("="):  # a text cell that only looks like a formula (check_settings would skip it)
                raise _err(r.path, sheet, coord, f"{name} must be a name, got text {text[:40]!r}")
            settings[name] = text
        else:
            if is_blank(value) and name in BLANK_OK_INPUTS:
                settings[name] = None  # the default (MaintenanceMargin: the contract's tiers)
                continue
            if is_blank(value):
                raise _err(r.path, sheet, coord, f"{name} is blank; type a number")
            settings[name] = number(r.path, sheet, coord, name, value)
    return settings, pending, defaults


def _read_backtest(r: _CellReader) -> tuple[dict[str, Any] | None, dict[str, tuple[str, str]]]:
    """The Backtest inputs the workbook names (None if it names none), checked, and where each is."""
    locations = {n: _name_dest(r.path, r.wb, n) for n in BACKTEST_INPUT_NAMES if r.wb.defined_names.get(n) is not None}
    if not locations:
        return None, {}
    out: dict[str, Any] = {}
    for name, (sheet, coord) in locations.items():
        spec = input_spec(name)
        value, formula, error = r.value(sheet, coord)
        if error or (formula is not None and value is None):
            shown = f"the formula {formula[:60]} with no saved value" if value is None else f"the error {value}"
            raise _err(r.path, sheet, coord, f"{name} holds {shown}; type a value")
        if is_blank(value):
            if not spec.blank_ok:
                raise _err(r.path, sheet, coord, f"{name} is blank; " + ("pick a value" if spec.text else "type a number"))
            out[name] = None
        else:
            out[name] = str(value).strip() if spec.text else number(r.path, sheet, coord, name, value)
    try:
        return check_settings(out), locations
    except InputError as exc:
        raise _err(r.path, *locations[exc.name], str(exc)) from None


def _error_message(name: str, value: str, formula: str | None) -> str:
    """One line for an input the user typed that is itself an Excel error value."""
    if formula is None:
        return f"{name} is the error value {value}; type a value"
    return f"{name} holds the formula {formula[:60]}, saved as the error {value}; fix it or type a value"


def _check_hedge_coin_moves(r: _CellReader, prices: pd.DataFrame, coin: str, at: tuple[str, str]) -> None:
    """Betas to a hedge coin whose daily returns never vary are undefined: say so, not "too few prices"."""
    closes = prices[coin].dropna().to_numpy(float)
    if len(closes) >= 3:
        returns = closes[1:] / closes[:-1]
        if np.all(returns == returns[0]):
            raise _err(r.path, *at, f"the closes of {coin} in table Prices move by the same factor every day "
                                    "(a flat price?), so betas to it are undefined")


def _evaluate_defaults(r: _CellReader, settings: dict[str, Any], pending: set[str], holdings: pd.DataFrame,
                       prices: pd.DataFrame, locations: Mapping[str, tuple[str, str]]) -> None:
    """The template's default formulas, computed with hedgecore: last non-blank close and portfolio beta."""
    try:
        evaluate_defaults(settings, pending, holdings, prices)
    except InputError as exc:
        sheet, coord = locations[exc.name]
        raise _err(r.path, sheet, coord, str(exc)) from None


# --------------------------------------------------------------------------- tables vs their names

_STATIC = re.compile(r"^'?([^'!]+)'?!\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)$")
_BOUNDED = re.compile(r"'?([^'!(),:]+)'?!\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)")


def _key_kind(value: Any) -> str | None:
    """"number" or "text" for a key cell (what MATCH of a value beyond every key finds), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, _dt.date, _dt.datetime)):
        return "number"
    if isinstance(value, str) and value.strip():
        return "text"
    return None


def _keys(ws: Any, col: int, first: int, last: int) -> dict[int, str]:
    """Row -> key kind of the cells column ``col`` really holds between ``first`` and ``last``."""
    kinds = {row: _key_kind(cells[col].value) for row, cells in table_rows(ws, (col, first, col, last))}
    return {row: kind for row, kind in kinds.items() if kind}


def _name_rows(ws: Any, text: str, kind: str) -> tuple[int, int, set[int]] | None:
    """(first, last, rows holding a key) that a table's key-column name covers, or None if unknown.

    A plain A1 range covers its rows; the template's dynamic range (``INDEX(bounded,2,1):
    INDEX(bounded,End,1)``) covers the rows under the bounded range's header down to its last
    key of ``kind`` ("text" or "number"), as Excel's ``MATCH`` of a value beyond every key does.
    """
    from openpyxl.utils import column_index_from_string

    static = _STATIC.match(str(text).strip())
    m = static or _BOUNDED.search(str(text))
    if m is None:
        return None
    col = column_index_from_string(m.group(2))
    top, bottom = int(m.group(3)), int(m.group(5))
    start = top if static else top + 1
    keys = _keys(ws, col, start, bottom)
    if static:
        return start, bottom, set(keys)
    last = max((row for row, k in keys.items() if k == kind), default=start)
    return start, last, {row for row in keys if row <= last}


def _spans(rows: list[int]) -> str:
    """"15-16, 20" for rows 15, 16 and 20."""
    out: list[str] = []
    for row in sorted(rows):
        if out and int(out[-1].split("-")[-1]) == row - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{row}"
        else:
            out.append(str(row))
    return ", ".join(out)


def _table_warnings(r: _CellReader) -> list[str]:
    """A warning per table whose content rows and range names differ (sheet and report would disagree)."""
    out = []
    for table, key_name in TABLE_KEY_NAMES.items():
        dn = r.wb.defined_names.get(key_name)
        sheet = TABLE_SPANS[table].sheet
        if dn is None or sheet not in r.wb.sheetnames or table not in r.wb[sheet].tables:
            continue
        ws = r.wb[sheet]
        covered = _name_rows(ws, dn.attr_text, TABLE_SPANS[table].key)
        if covered is None:
            continue
        first, last, named_keys = covered
        c1, r1, _, r2 = table_bounds(r.path, sheet, ws.tables[table])
        keys = _keys(ws, c1, r1 + 1, r2)
        outside = sorted(row for row in keys if not first <= row <= last)
        if outside:
            out.append(f"table {table} reaches past its names: rows {_spans(outside)} are not in {key_name} "
                       f"(rows {first}-{last}), so the sheet's formulas leave them out; the report counts them")
        below = sorted(row for row in named_keys if not r1 < row <= r2)
        if below:
            out.append(f"rows {_spans(below)} of sheet {sheet} are in {key_name} but outside table {table}: the "
                       "sheet's formulas count them, the report does not; extend the table over them")
    return out


def _inputs(r: _CellReader) -> WorkbookInputs:
    locations = {n: _name_dest(r.path, r.wb, n) for n in INPUT_NAMES + OUTPUT_NAMES
                 if n not in OPTIONAL_NAMES or r.wb.defined_names.get(n) is not None}  # older templates lack some
    cells = {n: f"{sheet}!{coord}" for n, (sheet, coord) in locations.items()}
    prices = _read_prices(r)
    holdings, cells["Holdings"] = _read_holdings(r, prices)
    shocks, cells["Shocks"] = _read_shocks(r)
    cells["Prices"] = f"Prices!{_find_table(r.path, r.wb, 'Prices', 'Prices')[1].ref}"
    funding = _read_funding(r, cells)
    settings, pending, defaults = _read_settings(r, locations)
    try:
        settings = check_settings(settings, price_columns=prices.columns)
    except InputError as exc:
        sheet, coord = locations[exc.name]
        raise _err(r.path, sheet, coord, str(exc)) from None
    _check_hedge_coin_moves(r, prices, settings["HedgeAsset"], locations["HedgeAsset"])
    _evaluate_defaults(r, settings, pending, holdings, prices, locations)
    backtest, at = _read_backtest(r)
    cells.update({n: f"{sheet}!{coord}" for n, (sheet, coord) in at.items()})
    return WorkbookInputs(
        path=r.path,
        holdings=holdings,
        prices=prices,
        shocks=shocks,
        settings=MappingProxyType({n: settings[n] for n in INPUT_NAMES}),
        cells=MappingProxyType(cells),
        computed=frozenset(pending),
        warnings=tuple(_table_warnings(r)),
        backtest=None if backtest is None else MappingProxyType(backtest),
        funding=funding,
        default_formulas=frozenset(defaults),
    )


# --------------------------------------------------------------------------- table Funding (issue 13)


def _settlement(r: _CellReader, row: int, cells: dict[int, Any], cols: dict[str, int]) -> tuple[pd.Timestamp,
                                                                                                 float, float]:
    """One Funding row: the UTC time (to the second), a finite rate below 100 % and hours in (0, 24]."""
    from openpyxl.utils import get_column_letter

    out = []
    for header in (c.header for c in FUNDING_COLUMNS[:3]):
        col = cols[header]
        where = f"{get_column_letter(col)}{row}"
        cell = cells.get(col)
        if cell is None:
            raise _err(r.path, "Funding", where, f"{header} is blank in a row of table Funding")
        if cell.data_type == "f":
            raise _err(r.path, "Funding", where, f"{header} holds a formula; paste the settlements as values")
        if header == FUNDING_COLUMNS[0].header:
            ts = parse_date(r.path, where, cell.value, error=cell.data_type == "e", sheet="Funding", label=header)
            out.append(ts.round("s"))
            continue
        x = number(r.path, "Funding", where, header, cell.value, error=cell.data_type == "e")
        if header == "Funding Rate" and not -1 < x < 1:
            raise _err(r.path, "Funding", where, f"Funding Rate must be a decimal between -1 and 1 (0.0001 = 0.01 %), "
                                                 f"got {cell.value}")
        if header == "Interval Hours" and not 0 < x <= 24:
            raise _err(r.path, "Funding", where, f"Interval Hours must be above 0 and at most 24, got {cell.value}")
        out.append(x)
    return out[0], out[1], out[2]


def _funding_contract(r: _CellReader) -> str:
    dn = r.wb.defined_names.get(FUNDING_CONTRACT_NAME)
    if dn is None:
        return ""
    sheet, coord = _name_dest(r.path, r.wb, FUNDING_CONTRACT_NAME)
    value = r.wb[sheet][coord].value
    if r.wb[sheet][coord].data_type != "s" and not is_blank(value):
        raise _err(r.path, sheet, coord, f"{FUNDING_CONTRACT_NAME} must be a contract name such as "
                                         f"binance:ETHUSD_PERP, got {value!r}"[:200])
    return "" if is_blank(value) else str(value).strip()[:100]


def _read_funding(r: _CellReader, cells: dict[str, str]) -> pd.DataFrame | None:
    """Table Funding as a history, read by its real cells with the Prices table's checks and caps.

    None without the table (templates before it) or without rows. Times must increase.
    """
    from openpyxl.utils import get_column_letter

    if "Funding" not in r.wb.sheetnames or not any(k.lower() == "funding" for k in r.wb["Funding"].tables):
        return None
    path = r.path
    ws, table, bounds = _find_table(path, r.wb, "Funding", "Funding")
    cells["Funding"] = f"Funding!{table.ref}"
    headers = _headers(path, ws, bounds, "Funding", "Funding")
    cols = {h: c for c, h in headers.items()}
    for col in FUNDING_COLUMNS:
        if col.header not in cols:
            raise _err(path, "Funding", None, f"table Funding has no column {col.header}")
    c1, r1, c2, r2 = bounds
    data_cols = {cols[c.header] for c in FUNDING_COLUMNS[:3]}
    times, rates, hours = [], [], []
    for row, found in table_rows(ws, (c1, r1 + 1, c2, r2)):
        _no_stray_values(path, "Funding", "Funding", row, found, headers)
        if not data_cols & set(found):
            continue  # a blank row (its New day formula only)
        check_count(path, "Funding", "Funding", len(times) + 1, TABLE_LIMITS.funding_rows, "settlements")
        t, rate, h = _settlement(r, row, found, cols)
        if times and t <= times[-1]:
            problem = "repeats the previous row" if t == times[-1] else "is before the previous row"
            where = f"{get_column_letter(cols[FUNDING_COLUMNS[0].header])}{row}"
            raise _err(path, "Funding", where, f"settlement {t} {problem} (times must increase)")
        times.append(t)
        rates.append(rate)
        hours.append(h)
    if not times:
        return None
    index = pd.DatetimeIndex(times, name=FUNDING_COLUMNS[0].header).tz_localize("UTC")
    frame = pd.DataFrame({"funding_rate": rates, "interval_hours": hours}, index=index)
    frame.attrs["symbol"] = _funding_contract(r)
    return frame
