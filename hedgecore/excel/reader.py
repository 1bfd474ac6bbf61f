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
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import WorkbookError
from .cached import EXCEL_ERRORS
from .compute import evaluate_defaults
from .inputs import InputError, check_settings
from .layout import (
    BLANK_OK_INPUTS,
    DEFAULT_FORMULAS,
    INPUT_NAMES,
    OUTPUT_NAMES,
    SHEETS,
    TABLE_KEY_NAMES,
    TABLE_SPANS,
    TEXT_INPUTS,
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
    """

    path: str
    holdings: pd.DataFrame
    prices: pd.DataFrame
    shocks: np.ndarray
    settings: Mapping[str, Any]
    cells: Mapping[str, str]
    computed: frozenset[str] = field(default_factory=frozenset)
    warnings: tuple[str, ...] = ()

    def where(self, name: str) -> str:
        """``"file.xlsx, sheet Hedge, cell B9"`` for error messages."""
        sheet, _, cell = self.cells[name].partition("!")
        return f"{Path(self.path).name}, sheet {sheet}, cell {cell}"


def _err(path: str, sheet: str, cell: str | None, message: str) -> WorkbookError:
    where = f"{Path(path).name}, sheet {sheet}" + (f", cell {cell}" if cell else "")
    return WorkbookError(f"{where}: {message}")


def _norm_formula(text: str) -> str:
    return "".join(str(text).split()).upper()


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _find_table(path: str, wb, sheet: str, name: str):
    if sheet not in wb.sheetnames:
        visible = ", ".join(s for s in SHEETS if s != "Lists")
        raise _err(path, sheet, None, f"sheet {sheet} is missing (the template has {visible})")
    ws = wb[sheet]
    for key in ws.tables:
        if key.lower() == name.lower():
            return ws, ws.tables[key]
    raise _err(path, sheet, None, f"table {name} is missing")


def _name_dest(path: str, wb, name: str) -> tuple[str, str]:
    dn = wb.defined_names.get(name)
    if dn is None:
        raise WorkbookError(f"{Path(path).name}: defined name {name} is missing (Formulas > Name Manager)")
    dests = list(dn.destinations)
    if len(dests) != 1:
        raise WorkbookError(f"{Path(path).name}: defined name {name} must refer to one cell, got {dn.attr_text!r}")
    sheet, ref = dests[0]
    if sheet not in wb.sheetnames:
        raise WorkbookError(f"{Path(path).name}: defined name {name} refers to missing sheet {sheet}")
    return sheet, ref.replace("$", "")


class _CellReader:
    """Formula-aware cell access: cached values from an Excel save, else the formula text.

    Loads the file once (from ``data`` when the caller already holds its bytes); the values
    Excel cached are read lazily through a read-only view, only when an input holds a formula.
    """

    def __init__(self, path: str, data: bytes | None = None):
        from openpyxl import load_workbook

        self.path = path
        self._data = data
        try:
            self.wb = load_workbook(self._source(), data_only=False)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise WorkbookError(f"{Path(path).name}: cannot open as .xlsx ({exc})") from exc
        self._cached = None

    def _source(self):
        return io.BytesIO(self._data) if self._data is not None else self.path

    @property
    def cached(self):
        if self._cached is None:
            from openpyxl import load_workbook

            self._cached = load_workbook(self._source(), read_only=True, data_only=True)
        return self._cached

    def close(self) -> None:
        if self._cached is not None:
            self._cached.close()
            self._cached = None

    def value(self, sheet: str, coord: str) -> tuple[Any, str | None]:
        """(value, formula): value is the cached result when the cell holds a formula.

        An Excel error value (a cached ``#NAME?``, or an error typed or pasted into the cell) is
        returned as an :class:`ExcelError`.
        """
        cell = self.wb[sheet][coord]
        raw = cell.value
        text = getattr(raw, "text", raw)
        if isinstance(text, str) and text.startswith("="):
            cached = self.cached[sheet][coord]
            value = cached.value
            if getattr(cached, "data_type", None) == "e" or (isinstance(value, str) and value in EXCEL_ERRORS
                                                             and getattr(cached, "data_type", "e") == "e"):
                value = ExcelError(str(value))
            return value, text
        if cell.data_type == "e":
            return ExcelError(str(raw)), None
        return raw, None


class ExcelError(str):
    """An Excel error value read from a cell (``#NAME?``, ``#VALUE!``, ...): never a number or text."""


def _error_message(name: str, value: ExcelError, formula: str | None) -> str:
    """One line for an input the user typed that is itself an error value."""
    if formula is None:
        return f"{name} is the error value {value}; type a value"
    return f"{name} holds the formula {formula}, saved as the error {value}; fix it or type a value"


def _number(path: str, sheet: str, cell: str, label: str, value: Any) -> float:
    if isinstance(value, ExcelError):
        raise _err(path, sheet, cell, f"{label} is the error value {value}; type a number")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        shown = repr(value) if not isinstance(value, str) else f"text {value!r}"
        raise _err(path, sheet, cell, f"{label} must be a number, got {shown}")
    out = float(value)
    if not math.isfinite(out):
        raise _err(path, sheet, cell, f"{label} must be finite, got {value}")
    return out


def _read_prices(r: _CellReader) -> pd.DataFrame:
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.utils import get_column_letter

    path = r.path
    ws, table = _find_table(path, r.wb, "Prices", "Prices")
    c1, r1, c2, r2 = range_boundaries(table.ref)
    headers = [ws.cell(row=r1, column=c).value for c in range(c1, c2 + 1)]
    if not headers or str(headers[0]).strip() != "Date":
        raise _err(path, "Prices", f"{get_column_letter(c1)}{r1}", f"first column of table Prices must be Date, got {headers[0]!r}")
    tickers = [str(h).strip() for h in headers[1:]]
    if not tickers:
        raise _err(path, "Prices", None, "table Prices has no price columns")
    dates: list[pd.Timestamp] = []
    rows: list[list[float]] = []
    for rr in range(r1 + 1, r2 + 1):
        vals = [ws.cell(row=rr, column=c).value for c in range(c1, c2 + 1)]
        if all(_is_blank(v) for v in vals):
            continue
        date_cell = f"{get_column_letter(c1)}{rr}"
        d = vals[0]
        if isinstance(d, (_dt.datetime, _dt.date)):
            ts = pd.Timestamp(d)
        elif isinstance(d, (int, float)) and not isinstance(d, bool):
            ts = pd.Timestamp("1899-12-30") + pd.Timedelta(days=float(d))
        elif isinstance(d, str):
            try:
                ts = pd.Timestamp(d.strip())
            except ValueError:
                raise _err(path, "Prices", date_cell, f"Date must be a date, got text {d!r}") from None
        else:
            raise _err(path, "Prices", date_cell, f"Date must be a date, got {d!r}")
        if dates and ts <= dates[-1]:
            problem = "duplicated" if ts == dates[-1] else "not in increasing order"
            raise _err(path, "Prices", date_cell, f"date {ts.date()} is {problem} (dates must increase, one row per day)")
        row = []
        for k, v in enumerate(vals[1:], start=1):
            cell = f"{get_column_letter(c1 + k)}{rr}"
            if _is_blank(v):
                row.append(math.nan)
            else:
                x = _number(path, "Prices", cell, f"close of {tickers[k - 1]}", v)
                if x <= 0:
                    raise _err(path, "Prices", cell, f"close of {tickers[k - 1]} must be positive, got {v}")
                row.append(x)
        dates.append(ts)
        rows.append(row)
    if not rows:
        raise _err(path, "Prices", None, "table Prices is empty: paste daily closes under Date and the tickers")
    return pd.DataFrame(rows, index=pd.DatetimeIndex(dates, name="Date"), columns=tickers, dtype=float)


def _read_holdings(r: _CellReader, prices: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.utils import get_column_letter

    path = r.path
    ws, table = _find_table(path, r.wb, "Portfolio", "Holdings")
    c1, r1, c2, r2 = range_boundaries(table.ref)
    headers = {str(ws.cell(row=r1, column=c).value).strip(): c for c in range(c1, c2 + 1)}
    for col in ("Asset", "Quantity", "Price"):
        if col not in headers:
            raise _err(path, "Portfolio", None, f"table Holdings has no column {col}")
    out = []
    for rr in range(r1 + 1, r2 + 1):
        cells = {k: f"{get_column_letter(headers[k])}{rr}" for k in ("Asset", "Quantity", "Price")}
        vals = {k: r.value("Portfolio", c) for k, c in cells.items()}
        if all(_is_blank(v) and f is None for v, f in vals.values()):
            continue
        asset, formula = vals["Asset"]
        if _is_blank(asset):
            raise _err(path, "Portfolio", cells["Asset"], "Asset is blank in a row with a quantity or price")
        asset = str(asset).strip()
        if asset not in prices.columns:
            raise _err(path, "Portfolio", cells["Asset"], f"asset {asset} has no column in table Prices")
        row = {"Asset": asset}
        for k in ("Quantity", "Price"):
            v, f = vals[k]
            if v is None and f is not None:
                raise _err(path, "Portfolio", cells[k], f"{k} holds a formula ({f}) with no saved value; type a number or save the file in Excel")
            if _is_blank(v):
                raise _err(path, "Portfolio", cells[k], f"{k} of {asset} is blank")
            x = _number(path, "Portfolio", cells[k], f"{k} of {asset}", v)
            if k == "Quantity" and x < 0:
                raise _err(path, "Portfolio", cells[k], f"Quantity of {asset} is negative ({v}); hedgecore hedges long holdings")
            if k == "Price" and x <= 0:
                raise _err(path, "Portfolio", cells[k], f"Price of {asset} must be positive, got {v}")
            row[k] = x
        out.append(row)
    if not out:
        raise _err(path, "Portfolio", None, "table Holdings is empty")
    df = pd.DataFrame(out, columns=["Asset", "Quantity", "Price"])
    return df, f"Portfolio!{table.ref}"


def _read_shocks(r: _CellReader) -> tuple[np.ndarray, str]:
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.utils import get_column_letter

    path = r.path
    ws, table = _find_table(path, r.wb, "StressTest", "Shocks")
    c1, r1, c2, r2 = range_boundaries(table.ref)
    values = []
    for rr in range(r1 + 1, r2 + 1):
        cell = f"{get_column_letter(c1)}{rr}"
        v, f = r.value("StressTest", cell)
        if _is_blank(v) and f is None:
            continue
        x = _number(path, "StressTest", cell, "Shock", v)
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


def _read_settings(r: _CellReader, locations: Mapping[str, tuple[str, str]]) -> tuple[dict[str, Any], set[str]]:
    """The Hedge inputs as typed (text or numbers), and the names whose default formula has no value yet.

    A default formula without a cached value, or with a cached error (saved before the add-in
    computed it), is "not computed": hedgecore computes it. An input the user typed that is an
    error value raises one line naming the cell.
    """
    settings: dict[str, Any] = {}
    pending: set[str] = set()
    for name in INPUT_NAMES:
        sheet, coord = locations[name]
        value, formula = r.value(sheet, coord)
        if formula is not None and (_is_blank(value) or isinstance(value, ExcelError)):
            if _norm_formula(formula) == _norm_formula(DEFAULT_FORMULAS.get(name, "")):
                pending.add(name)
                continue
            if not isinstance(value, ExcelError):
                raise _err(r.path, sheet, coord, f"{name} holds the formula {formula} with no saved value; type a "
                                                 "value or save the file in Excel")
        if isinstance(value, ExcelError):
            raise _err(r.path, sheet, coord, _error_message(name, value, formula))
        if name in TEXT_INPUTS:
            if _is_blank(value):
                if name in BLANK_OK_INPUTS:
                    settings[name] = ""
                    continue
                raise _err(r.path, sheet, coord, f"{name} is blank")
            settings[name] = str(value).strip()
        else:
            if _is_blank(value):
                raise _err(r.path, sheet, coord, f"{name} is blank; type a number")
            settings[name] = _number(r.path, sheet, coord, name, value)
    return settings, pending


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


def _name_rows(ws: Any, text: str, kind: str) -> tuple[int, int, set[int]] | None:
    """(first, last, rows holding a key) that a table's key-column name covers, or None if unknown.

    A plain A1 range covers its rows; the template's dynamic range (``INDEX(bounded,2,1):
    INDEX(bounded,End,1)``) covers the rows under the bounded range's header down to its last
    key of ``kind`` ("text" or "number"), as Excel's ``MATCH`` of a value beyond every key does.
    """
    from openpyxl.utils import column_index_from_string

    static = _STATIC.match(text.strip())
    m = static or _BOUNDED.search(text)
    if m is None:
        return None
    col = column_index_from_string(m.group(2))
    top, bottom = int(m.group(3)), int(m.group(5))
    start = top if static else top + 1
    cells = ws.iter_rows(min_row=start, max_row=min(bottom, max(ws.max_row, start)), min_col=col, max_col=col,
                         values_only=True)
    kinds = {row: _key_kind(v) for row, (v,) in enumerate(cells, start=start)}
    keys = {row for row, k in kinds.items() if k}
    if static:
        return start, bottom, keys
    keyed = [row for row, k in kinds.items() if k == kind]
    last = max(keyed) if keyed else start
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
    from openpyxl.utils.cell import range_boundaries

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
        c1, r1, _, r2 = range_boundaries(ws.tables[table].ref)
        keys = {row for row, (v,) in enumerate(ws.iter_rows(min_row=r1 + 1, max_row=r2, min_col=c1, max_col=c1,
                                                            values_only=True), start=r1 + 1) if _key_kind(v)}
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
    locations = {n: _name_dest(r.path, r.wb, n) for n in INPUT_NAMES + OUTPUT_NAMES}
    cells = {n: f"{sheet}!{coord}" for n, (sheet, coord) in locations.items()}
    prices = _read_prices(r)
    holdings, cells["Holdings"] = _read_holdings(r, prices)
    shocks, cells["Shocks"] = _read_shocks(r)
    cells["Prices"] = f"Prices!{r.wb['Prices'].tables['Prices'].ref}" if "Prices" in r.wb["Prices"].tables else "Prices"
    settings, pending = _read_settings(r, locations)
    try:
        settings = check_settings(settings, price_columns=prices.columns)
    except InputError as exc:
        sheet, coord = locations[exc.name]
        raise _err(r.path, sheet, coord, str(exc)) from None
    _evaluate_defaults(r, settings, pending, holdings, prices, locations)
    return WorkbookInputs(
        path=r.path,
        holdings=holdings,
        prices=prices,
        shocks=shocks,
        settings=MappingProxyType({n: settings[n] for n in INPUT_NAMES}),
        cells=MappingProxyType(cells),
        computed=frozenset(pending),
        warnings=tuple(_table_warnings(r)),
    )
