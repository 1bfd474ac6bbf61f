"""Cached values for the template's formula cells, computed by hedgecore and written into the sheet XML.

A workbook that opens before the add-in has loaded (Protected View, previewers, LibreOffice,
Excel before xlwings Lite starts) shows each formula's *cached* value. openpyxl writes formulas
with an empty one, so :func:`write_template` works in two steps: the sheet writers
(:mod:`hedgecore.excel.sheets`) record the value of every formula cell they write in a
:class:`CachedValues` — taken from :func:`hedgecore.excel.compute.compute_report`, the figures
the report shows — and :func:`fill_sheet_xml` puts them into openpyxl's sheet XML as ``<v>``
elements with the matching cell type (number, text, boolean, error).

The template holds no array formulas: LibreOffice recalculates those on open, ignoring their
cached values, and would show ``#NAME?`` where the add-in is missing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd

from .compute import ReportData
from .layout import OUTPUT_NAMES

__all__ = ["EXCEL_ERRORS", "CachedValues", "fill_sheet_xml", "cell_value", "shown_value", "liquidation_line"]

#: Excel's error values, as cached in ``<c t="e">`` cells and as openpyxl reads them.
EXCEL_ERRORS = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!",
    "#FIELD!", "#BUSY!", "#UNKNOWN!", "#BLOCKED!", "#CONNECT!", "#PYTHON!", "#EXTERNAL!",
})
_NO_LIQUIDATION = "none"
_UNKNOWN = "unknown"


@dataclass
class CachedValues:
    """What each formula cell of a template evaluates to, and the cells recorded so far.

    ``report`` is None for a template without holdings, or whose holdings are worth 0: the
    formulas then give what Excel gives (0 for sums, ``""`` for the guarded results, ``#N/A`` for
    a hedge price without closes, ``#DIV/0!`` for the weights of a portfolio worth 0). ``settings`` are the Hedge inputs as written, with the default formulas'
    values (``HedgePrice``, ``HedgeRatio``) filled in where they can be computed.
    """

    report: ReportData | None
    settings: Mapping[str, Any]
    holdings: pd.DataFrame | None = None  # the computed Holdings columns of a portfolio worth 0 (no report)
    cells: dict[str, dict[str, Any]] = field(default_factory=dict)

    def put(self, sheet: str, coord: str, value: Any) -> None:
        """Record ``value`` as the cached result of the formula in ``sheet!coord``."""
        self.cells.setdefault(sheet, {})[coord] = cell_value(value)

    def name(self, name: str) -> Any:
        """Value of a Hedge input's default formula or of a result, by defined name."""
        if self.report is not None:
            if name in OUTPUT_NAMES:
                return shown_value(name, self.report.computed_names[name])
            return self.report.settings[name]
        if name == "PortfolioValue":
            return 0.0
        if name in OUTPUT_NAMES or name == "HedgeRatio":
            return ""
        value = self.settings.get(name)
        return "" if value is None else value  # the hedge price without closes: IFERROR(..., "")

    def holding(self, row: int, header: str) -> Any:
        """A computed Holdings column at data row ``row`` (0-based); ``""`` for a blank row."""
        table = self.report.holdings if self.report is not None else self.holdings
        if table is None or row >= len(table):
            return ""
        value = table[header].iloc[row]
        if header == "Weight" and self.report is None:
            return "#DIV/0!"  # Value / PortfolioValue with a portfolio worth 0
        return value

    def total(self, header: str) -> Any:
        """The totals row above Holdings (row 2), by column header."""
        if header == "Value":
            return self.name("PortfolioValue")
        if header == "Beta":
            return self.name("PortfolioBeta")
        table = self.report.holdings if self.report is not None else self.holdings
        if table is None:
            return 0.0
        if header == "Weight" and self.report is None:
            return "#DIV/0!"
        return float(table[header].sum())

    def stress(self) -> pd.DataFrame | None:
        """The stress table (rows per shock), or None while the portfolio is empty."""
        return None if self.report is None else self.report.stress


def shown_value(name: str, value: Any) -> Any:
    """A Hedge result as the add-in shows it: ``none`` for a liquidation price no adverse move reaches
    (inf, or 0 for a long), ``unknown`` for a maximum leverage the catalog has no tier table for."""
    if name == "LiquidationPrice" and value == 0:
        return _NO_LIQUIDATION
    if name == "MaxLeverage" and isinstance(value, float) and math.isnan(value):
        return _UNKNOWN
    return value


def liquidation_line(report: ReportData | None) -> tuple[Any, tuple[float, float]]:
    """The stress chart's liquidation line: x = the liquidation price's shock (``#N/A``, no line, when no
    shock of the table reaches it), y = the lowest and highest unhedged or hedged value."""
    if report is None:
        return "#N/A", (0.0, 0.0)
    stress = report.stress
    values = stress[["Unhedged value", "Hedged value"]].to_numpy(dtype=float)
    shock, shocks = report.plan.liquidation_distance, stress["Shock"].to_numpy(dtype=float)
    inside = math.isfinite(shock) and shocks.min() <= shock <= shocks.max()
    return (shock if inside else "#N/A"), (float(values.min()), float(values.max()))


def cell_value(value: Any) -> Any:
    """A Python value as a cached cell value: numbers as float, ±inf as ``none``, NaN as ``#N/A``."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return "" if value is None else value
    value = float(value)
    if math.isnan(value):
        return "#N/A"
    if math.isinf(value):
        return _NO_LIQUIDATION
    return value + 0.0


_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"((?: [a-zA-Z:]+="[^"]*")*) ?(/>|>(.*?)</c>)', re.S)
_TYPE = re.compile(rb' t="[^"]*"')
_FORMULA = re.compile(rb"<f[^>]*/>|<f[^>]*>.*?</f>", re.S)


def _typed(value: Any) -> tuple[bytes, bytes]:
    """(type attribute, ``<v>`` text) of a cached value."""
    if isinstance(value, bool):
        return b' t="b"', b"1" if value else b"0"
    if isinstance(value, str):
        if value in EXCEL_ERRORS:
            return b' t="e"', value.encode()
        return b' t="str"', escape(value).encode("utf-8")
    return b"", repr(float(value)).encode()


def fill_sheet_xml(xml: bytes, values: Mapping[str, Any]) -> bytes:
    """``xml`` (an openpyxl worksheet part) with ``<v>`` values for the cells in ``values``.

    A formula cell keeps its ``<f>`` and gets the ``<v>`` and cell type (``t``) of its value.
    Every cell named must exist in the XML.
    """
    pending = {k.encode(): v for k, v in values.items()}

    def replace(m: re.Match[bytes]) -> bytes:
        coord = m.group(1)
        if coord not in pending:
            return m.group(0)
        t, v = _typed(pending.pop(coord))
        attrs = _TYPE.sub(b"", m.group(2)) + t
        formula = _FORMULA.search(m.group(4) or b"")
        return b"<c r=\"" + coord + b"\"" + attrs + b">" + (formula.group(0) if formula else b"") + b"<v>" + v + b"</v></c>"

    out = _CELL.sub(replace, xml)
    if pending:
        missing = ", ".join(sorted(k.decode() for k in pending)[:5])
        raise ValueError(f"cached values for cells that were not written: {missing}")
    return out
