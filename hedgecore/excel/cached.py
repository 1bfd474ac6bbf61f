"""Cached values for the template's formula cells, computed by hedgecore and written into the sheet XML.

A workbook that opens before the add-in has loaded (Protected View, previewers, LibreOffice,
Excel before xlwings Lite starts) shows each formula's *cached* value. openpyxl writes formulas
with an empty one, so :func:`write_template` works in two steps: the sheet writers
(:mod:`hedgecore.excel.sheets`) record the value of every formula cell they write in a
:class:`CachedValues` — taken from :func:`hedgecore.excel.compute.compute_report`, the figures
the report shows — and :func:`fill_sheet_xml` puts them into openpyxl's sheet XML as ``<v>``
elements with the matching cell type (number, text, boolean, error).

:func:`dynamic_array_parts` adds the metadata that makes an array formula a dynamic (spilling)
one in Excel 365, for blocks whose size follows their input (the stress table).
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

__all__ = ["EXCEL_ERRORS", "CachedValues", "fill_sheet_xml", "dynamic_array_parts", "DYNAMIC_ARRAY_CM"]

#: Excel's error values, as cached in ``<c t="e">`` cells and as openpyxl reads them.
EXCEL_ERRORS = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!",
    "#FIELD!", "#BUSY!", "#UNKNOWN!", "#BLOCKED!", "#CONNECT!", "#PYTHON!", "#EXTERNAL!",
})
_NO_LIQUIDATION = "none"


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
    dynamic: set[tuple[str, str]] = field(default_factory=set)  # (sheet, anchor) of dynamic array formulas

    def put(self, sheet: str, coord: str, value: Any) -> None:
        """Record ``value`` as the cached result of the formula in ``sheet!coord``."""
        self.cells.setdefault(sheet, {})[coord] = cell_value(value)

    def name(self, name: str) -> Any:
        """Value of a Hedge input's default formula or of a result, by defined name."""
        if self.report is not None:
            if name in OUTPUT_NAMES:
                value = self.report.computed_names[name]
                # LIQUIDATION_PRICE shows "none" for a price no adverse move reaches (inf, or 0 for a long)
                return _NO_LIQUIDATION if name == "LiquidationPrice" and value == 0 else value
            return self.report.settings[name]
        if name == "PortfolioValue":
            return 0.0
        if name in OUTPUT_NAMES or name == "HedgeRatio":
            return ""
        value = self.settings.get(name)
        return "#N/A" if value is None else value

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


def fill_sheet_xml(xml: bytes, values: Mapping[str, Any], *, dynamic: frozenset[str] = frozenset()) -> bytes:
    """``xml`` (an openpyxl worksheet part) with ``<v>`` values for the cells in ``values``.

    A formula cell keeps its ``<f>``; the other cells of an array formula get a value only.
    ``dynamic`` are anchor cells of dynamic array formulas (they get ``cm``, see
    :func:`dynamic_array_parts`). Every cell named must exist in the XML (the writer styles the
    cells of array ranges, so openpyxl writes them).
    """
    pending = {k.encode(): v for k, v in values.items()}
    anchors = {k.encode() for k in dynamic}

    def replace(m: re.Match[bytes]) -> bytes:
        coord = m.group(1)
        if coord not in pending:
            return m.group(0)
        t, v = _typed(pending.pop(coord))
        attrs = _TYPE.sub(b"", m.group(2)) + t + (b' cm="1"' if coord in anchors else b"")
        formula = _FORMULA.search(m.group(4) or b"")
        return b"<c r=\"" + coord + b"\"" + attrs + b">" + (formula.group(0) if formula else b"") + b"<v>" + v + b"</v></c>"

    out = _CELL.sub(replace, xml)
    if pending:
        missing = ", ".join(sorted(k.decode() for k in pending)[:5])
        raise ValueError(f"cached values for cells that were not written: {missing}")
    return out


#: The ``cm`` (cell metadata) index of a dynamic array formula's anchor cell.
DYNAMIC_ARRAY_CM = 1
_METADATA = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<metadata xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
    '<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" copy="1" pasteAll="1" '
    'pasteValues="1" merge="1" splitFirst="1" rowColShift="1" clearFormats="1" clearComments="1" assign="1" '
    'coerce="1" cellMeta="1"/></metadataTypes><futureMetadata name="XLDAPR" count="1"><bk><extLst>'
    '<ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}"><xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/>'
    '</ext></extLst></bk></futureMetadata><cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata>'
    '</metadata>'
)
_METADATA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"
_METADATA_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sheetMetadata"


def dynamic_array_parts(content_types: bytes, workbook_rels: bytes) -> tuple[bytes, bytes, bytes]:
    """(``[Content_Types].xml``, ``xl/_rels/workbook.xml.rels``, ``xl/metadata.xml``) declaring the
    dynamic-array metadata that ``cm="1"`` cells refer to (as XlsxWriter writes it)."""
    override = f'<Override PartName="/xl/metadata.xml" ContentType="{_METADATA_TYPE}"/>'.encode()
    types = content_types.replace(b"</Types>", override + b"</Types>")
    ids = [int(i) for i in re.findall(rb'Id="rId(\d+)"', workbook_rels)]
    rel = f'<Relationship Id="rId{max(ids, default=0) + 1}" Type="{_METADATA_REL}" Target="metadata.xml"/>'.encode()
    rels = workbook_rels.replace(b"</Relationships>", rel + b"</Relationships>")
    return types, rels, _METADATA.encode()
