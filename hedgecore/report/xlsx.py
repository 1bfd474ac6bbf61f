"""The report workbook: a document of values — Summary, its own Guide, the input's sheets, Rolling beta.

:func:`build_report_workbook` fills every cell hedgecore computes with its value (the Hedge
results and default-formula inputs by name, the Holdings columns, the StressTest block), replaces
the remaining formulas by the values Excel cached, and adds a **Summary** sheet (the figures of
:func:`hedgecore.report.figures.summary_figures`, the per-asset and stress tables, three native
charts) and a **Rolling beta** sheet with the series behind the rolling-beta chart. It reads as a
document (:func:`_as_document`): no input styling, drop-downs or edit prompts, a Guide that says
what the report is, of which file and how it was computed, and a print layout with headers and
footers where the raw data sheets print their most recent rows only. openpyxl is imported inside
the functions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from .._text import escape_controls
from ..excel import styles
from ..excel.cached import liquidation_line, shown_value
from ..excel.cells import put_text
from ..excel.layout import HOLDINGS_COMPUTED, LIQUIDATION_LINE, SHOCK_HEADER_ROW, STRESS_CHART_COLUMN, STRESS_COLUMNS
from .compute import ReportData
from .figures import NO_LIQUIDATION, Figure, summary_figures

__all__ = ["build_report_workbook"]

_SIMPLE_NAME = re.compile(r"^=\s*([A-Za-z_][A-Za-z0-9_.]*)\s*$")
_SIMPLE_SUM = re.compile(r"^=\s*SUM\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\)\s*$", re.IGNORECASE)
_SERIAL_EPOCH = pd.Timestamp("1899-12-30")
#: A text figure longer than this is a sentence, wrapped over the value and note columns.
_WIDE_TEXT = 24
#: The Summary's charts sit right of its tables, from this column.
_CHART_COL = "J"


def _cell_value(x: Any) -> Any:
    """A value openpyxl can store: numpy scalars unwrapped, NaN → blank, ±inf → ``none``."""
    if isinstance(x, (np.floating, np.integer, np.bool_)):
        x = x.item()
    if isinstance(x, float) and not np.isfinite(x):
        return None if np.isnan(x) else NO_LIQUIDATION
    return x


def _formula_text(cell: Any) -> str | None:
    """The formula of a formula cell; None for any other cell (a text cell may start with ``=``)."""
    if cell.data_type != "f":
        return None
    text = getattr(cell.value, "text", cell.value)
    return text if isinstance(text, str) else ""


def _put(cell: Any, value: Any) -> Any:
    """Store a value; text always as a string cell (never a formula), control characters escaped."""
    value = _cell_value(value)
    if isinstance(value, str):
        return put_text(cell, value)
    cell.value = value
    return cell


# --------------------------------------------------------------------------- links from the input


def _drop_links(wb: Any) -> None:
    """Reports carry no links from the input: cell hyperlinks, external workbook links and the
    defined names that point into other workbooks are dropped (formulas become values anyway)."""
    for ws in wb.worksheets:
        for cell in ws._cells.values():  # noqa: SLF001 - the cells the file holds
            if cell.hyperlink is not None:
                cell.hyperlink = None
    wb._external_links = []  # noqa: SLF001 - openpyxl keeps them to write them back
    for names in [wb.defined_names, *(ws.defined_names for ws in wb.worksheets)]:
        for key in [k for k, dn in names.items() if "[" in str(dn.attr_text) or "://" in str(dn.attr_text)]:
            del names[key]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


# --------------------------------------------------------------------------- values in place of formulas


_CACHED = object()  # a formula whose value is Excel's cached one
_CACHED_BOX = 1_000_000  # cells: the largest rectangle of cached values read in one pass


class _Filler:
    """Replace every formula of the input workbook by the value hedgecore computed for it."""

    def __init__(self, wb: Any, r: ReportData, source: Path) -> None:
        self.wb, self.r, self.source = wb, r, source
        self.names: dict[str, Any] = {**r.settings, **{k: shown_value(k, v) for k, v in r.computed_names.items()}}
        self.ranges: dict[str, list[Any]] = {}
        self._cached = None

    def cached(self, sheet: str, cells: set[tuple[int, int]]) -> dict[tuple[int, int], Any]:
        """Excel's cached values of formulas hedgecore does not compute (a user's own formulas),
        by (row, column).

        A read-only sheet is parsed from its top for every cell looked up by coordinate, so the
        cells are read in one pass over the rectangle that holds them; openpyxl pads that
        rectangle, so one far bigger than ``_CACHED_BOX`` cells is read cell by cell instead.
        """
        if self._cached is None:
            from openpyxl import load_workbook

            self._cached = load_workbook(self.source, read_only=True, data_only=True)
        by_row: dict[int, list[int]] = {}
        for r, c in cells:
            by_row.setdefault(r, []).append(c)
        r1, r2 = min(by_row), max(by_row)
        c1, c2 = min(c for _, c in cells), max(c for _, c in cells)
        found: dict[tuple[int, int], Any] = {}
        try:
            ws = self._cached[sheet]
            if (r2 - r1 + 1) * (c2 - c1 + 1) > _CACHED_BOX:
                return {(r, c): ws.cell(row=r, column=c).value for r, c in cells}
            rows = ws.iter_rows(min_row=r1, max_row=r2, min_col=c1, max_col=c2, values_only=True)
            for r, row in enumerate(rows, start=r1):
                for c in by_row.get(r, ()):
                    if row and row[c - c1] is not None:
                        found[r, c] = row[c - c1]
        except (KeyError, AttributeError, IndexError):
            pass
        return found

    def close(self) -> None:
        if self._cached is not None:
            self._cached.close()

    def fill(self) -> None:
        self._fill_names()
        self._fill_holdings()
        self._fill_stress()
        self._fill_funding()
        for ws in self.wb.worksheets:
            pending: dict[tuple[int, int], Any] = {}
            for cell in list(ws._cells.values()):  # noqa: SLF001 - the cells the file holds, not a range
                text = _formula_text(cell)
                if text is None:
                    continue
                value = self._evaluate(text)
                if value is _CACHED:
                    pending[cell.row, cell.column] = cell
                else:
                    _put(cell, value)
            if pending:
                cached = self.cached(ws.title, set(pending))
                for key, cell in pending.items():
                    _put(cell, cached.get(key))

    def _fill_names(self) -> None:
        """Every single-cell defined name hedgecore knows (inputs and results) gets its value."""
        wb = self.wb
        for name, value in self.names.items():
            dn = wb.defined_names.get(name)
            if dn is None:
                continue
            for sheet, ref in dn.destinations:
                if sheet in wb.sheetnames and ":" not in ref:
                    _put(wb[sheet][ref.replace("$", "")], value)

    def _evaluate(self, text: str) -> Any:
        """The value of a formula hedgecore computes (a name, a total), else ``_CACHED``."""
        m = _SIMPLE_NAME.match(text)
        if m and m.group(1) in self.names:
            return _cell_value(self.names[m.group(1)])
        m = _SIMPLE_SUM.match(text)
        if m and m.group(1) in self.ranges:
            return float(np.nansum([v for v in self.ranges[m.group(1)] if isinstance(v, (int, float))]))
        return _CACHED

    def _fill_holdings(self) -> None:
        from ..excel.cells import table_rows

        ws = self.wb["Portfolio"]
        table = ws.tables[next(k for k in ws.tables if k.lower() == "holdings")]
        c1, r1, c2, r2 = _bounds(table.ref)
        cols = {_text(cell.value): c for c, cell in next(table_rows(ws, (c1, r1, c2, r1)), (0, {}))[1].items()}
        rows = iter(self.r.holdings.to_dict(orient="records"))
        for name in HOLDINGS_COMPUTED.values():
            self.ranges[name] = []
        for rr, _ in table_rows(ws, (cols["Asset"], r1 + 1, cols["Asset"], r2)):  # rows with an asset
            record = next(rows)
            for col, name in HOLDINGS_COMPUTED.items():
                if col in cols:
                    v = None if record.get(col, "") == "" else _cell_value(record[col])
                    ws.cell(row=rr, column=cols[col]).value = v
                    self.ranges[name].append(v)

    def _fill_stress(self) -> None:
        """The stress columns of table Shocks, row by shock (an older template: the StressResult block).

        Only the rows the file holds are walked; a table row without a shock is cleared.
        """
        from ..excel.cells import table_rows

        ws = self.wb["StressTest"] if "StressTest" in self.wb.sheetnames else None
        table = next((ws.tables[k] for k in ws.tables if k.lower() == "shocks"), None) if ws is not None else None
        if table is None:
            return
        c1, r1, c2, r2 = _bounds(table.ref)
        cols = {_text(cell.value): c for c, cell in next(table_rows(ws, (c1, r1, c2, r1)), (0, {}))[1].items()}
        if len(cols) <= 1:
            return self._fill_stress_block()
        stress, i = self.r.stress, 0
        marks = stress["Hedged value"].where(stress["Liquidated"].astype(bool))  # the chart's liquidated points
        stress = stress.assign(Liquidated=stress["Liquidated"].astype(float))  # 1 / 0, formatted yes / no
        for rr, cells in table_rows(ws, (c1, r1 + 1, c2, r2)):
            row = i if c1 in cells and i < len(stress) else None
            for col in (*STRESS_COLUMNS[1:], STRESS_CHART_COLUMN):
                if col in cols:
                    series = marks if col == STRESS_CHART_COLUMN else stress[col]
                    ws.cell(row=rr, column=cols[col]).value = None if row is None else _cell_value(series.iloc[row])
            i += c1 in cells
        self._fill_liquidation_line(ws)

    def _fill_liquidation_line(self, ws: Any) -> None:
        """The chart's liquidation line beside table Shocks (under its label), from this report's figures."""
        label = next((c for c in ws[SHOCK_HEADER_ROW - 1] if c.value == LIQUIDATION_LINE), None)
        if label is None:
            return
        x, (low, high) = liquidation_line(self.r)
        for k, y in enumerate((low, high)):
            ws.cell(row=SHOCK_HEADER_ROW + 1 + k, column=label.column).value = None if isinstance(x, str) else x
            ws.cell(row=SHOCK_HEADER_ROW + 1 + k, column=label.column + 1).value = y

    def _fill_stress_block(self) -> None:
        """Templates before the stress columns joined table Shocks: one block, headers in its first row."""
        dn = self.wb.defined_names.get("StressResult")
        if dn is None:
            return
        stress = self.r.stress
        for sheet, ref in dn.destinations:
            ws = self.wb[sheet]
            c1, r1, c2, r2 = _bounds(ref.replace("$", ""))
            last = min(r2, r1 + len(stress))  # a range declared longer than the shocks is not walked
            for (row, col), cell in list(ws._cells.items()):  # noqa: SLF001 - clear what the range holds
                if r1 < row <= r2 and c1 <= col <= c2:
                    cell.value = None
            for j, col in enumerate(STRESS_COLUMNS[: c2 - c1 + 1]):
                ws.cell(row=r1, column=c1 + j).value = col
                values = stress[col].to_numpy(dtype=float) if col in stress else []
                for i in range(min(len(values), last - r1)):
                    ws.cell(row=r1 + 1 + i, column=c1 + j).value = _cell_value(values[i])


    def _fill_funding(self) -> None:
        """Table Funding's ``New day`` column: 1 on each UTC day's first settlement, from the history read."""
        from ..excel.cells import table_rows
        from ..excel.layout import FUNDING_COLUMNS

        ws = self.wb["Funding"] if "Funding" in self.wb.sheetnames else None
        table = next((ws.tables[k] for k in ws.tables if k.lower() == "funding"), None) if ws is not None else None
        if table is None:
            return
        c1, r1, c2, r2 = _bounds(table.ref)
        cols = {_text(cell.value): c for c, cell in next(table_rows(ws, (c1, r1, c2, r1)), (0, {}))[1].items()}
        time_col, day_col = cols.get(FUNDING_COLUMNS[0].header), cols.get(FUNDING_COLUMNS[-1].header)
        if time_col is None or day_col is None:
            return
        history = self.r.funding.history
        days = [] if history is None else history.index.floor("D")
        k = 0
        for rr, cells in table_rows(ws, (c1, r1 + 1, c2, r2)):
            has_time = time_col in cells
            value = None
            if has_time and k < len(days):
                value = 1 if k == 0 or days[k] != days[k - 1] else 0
            ws.cell(row=rr, column=day_col).value = value
            k += has_time


def _bounds(ref: str) -> tuple[int, int, int, int]:
    from openpyxl.utils.cell import range_boundaries

    return range_boundaries(ref)


# --------------------------------------------------------------------------- a document, not a form

#: What the report says at the top of each sheet taken from the template, instead of its edit prompts.
_SHEET_NOTES = {
    "Portfolio": ("A3", "Holdings as read from the input; Value, Beta, Beta exposure, Weight and the two-leg betas "
                        "computed by hedgecore."),
    "Hedge": ("A2", "Inputs as read from the input workbook (default formulas computed by hedgecore); results "
                    "computed by hedgecore. Values only."),
    "StressTest": ("A2", "P&L per move of the hedge coin (alts move beta x shock), computed by hedgecore. Values only."),
    "Funding": ("A2", "Funding settlements as read from the input (positive = longs pay shorts); New day computed by "
                      "hedgecore. Values only."),
    "Prices": (None, ""),
}
#: Raw data sheets print their newest rows only (the sheet keeps them all).
_PRINTED_DATA_ROWS = 45


def _plain_cells(ws: Any) -> None:
    """Input styling (yellow fill, blue font) becomes plain text: nothing in a report is to be typed."""
    from openpyxl.styles import Font, PatternFill

    plain_fill, plain_font = PatternFill(fill_type=None), Font(name="Calibri", size=11)
    for cell in ws._cells.values():  # noqa: SLF001 - the cells the file holds, not every cell of a range
        rgb = getattr(cell.fill.fgColor, "rgb", None)
        if isinstance(rgb, str) and rgb.upper().endswith(styles.INPUT_FILL):
            cell.fill, cell.font = plain_fill, plain_font


def _headers_and_footers(ws: Any, r: ReportData) -> None:
    """Every printed page says which report it belongs to, which sheet, and which page it is."""
    ws.oddHeader.left.text = escape_controls(f"hedgecore report — {r.source_name}")[:120].replace("&", "&&")
    ws.oddHeader.right.text = "&A"
    ws.oddFooter.left.text = f"generated {r.generated_at}"
    ws.oddFooter.center.text = ""
    ws.oddFooter.right.text = "page &P of &N"
    margins = ws.page_margins
    margins.header = margins.footer = 0.25
    margins.top, margins.bottom = max(margins.top or 0, 0.75), max(margins.bottom or 0, 0.7)


def _print_newest_rows(ws: Any, header_row: int = 1) -> None:
    """Print the header and the newest rows of a long data sheet, on one page width."""
    from openpyxl.utils import get_column_letter

    last = ws.max_row
    if last - header_row > _PRINTED_DATA_ROWS:
        ws.print_area = f"A{last - _PRINTED_DATA_ROWS + 1}:{get_column_letter(ws.max_column)}{last}"
        ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _holdings_print_area(ws: Any, r: ReportData) -> None:
    """The Portfolio sheet prints its holdings, not the blank rows kept for typing."""
    from ..excel.cells import table_rows

    if "Holdings" not in ws.tables:
        return
    c1, r1, c2, r2 = _bounds(ws.tables["Holdings"].ref)
    last = max((rr for rr, _ in table_rows(ws, (c1, r1 + 1, c1, r2))), default=r1)
    ws.print_area = f"A1:{ws.cell(row=1, column=c2).column_letter}{last}"


def _as_document(wb: Any, r: ReportData) -> None:
    """Values only, no input styling, drop-downs or edit prompts; headers, footers, print areas."""
    from openpyxl.worksheet.datavalidation import DataValidationList

    for ws in wb.worksheets:
        ws.data_validations = DataValidationList()
        _plain_cells(ws)
        cell, note = _SHEET_NOTES.get(ws.title, (None, None))
        if cell:
            ws[cell] = note
        _headers_and_footers(ws, r)
        if ws.title in ("Prices", "Rolling beta", "Backtest data", _FUNDING_SHEET):
            _print_newest_rows(ws)
        elif ws.title == "Funding":
            _print_newest_rows(ws, header_row=4)
        elif ws.title == "Portfolio":
            _holdings_print_area(ws, r)


def _guide_sections(r: ReportData) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """The report's Guide: what this file is, of which input, how it was computed, what each sheet holds."""
    from ..excel.sheets import GUIDE_SECTIONS

    units = next(items for title, items in GUIDE_SECTIONS if title == "Units and signs")
    sources = next(items for title, items in GUIDE_SECTIONS if title == "Data sources")
    assets = ", ".join(r.holdings["Asset"].astype(str).tolist()[:10])
    contract = _text(r.settings.get("Contract")) or f"a {r.plan.contract_type} contract by size"
    about = (
        ("This report", f"A hedge report of {r.source_name}: holdings in {assets} hedged with {contract} on "
                        f"{r.hedge_asset}. Every figure is a value, not a formula."),
        ("Input file", f"{r.source_name}, SHA-256 {r.sha256 or 'not recorded'}; daily closes {r.first_date.date()} to "
                       f"{r.last_date.date()} ({r.price_rows} rows)."),
        ("How it was computed", f"hedgecore {__version__} ({r.generated_at}) recomputed every figure in Python from "
                                "the workbook's inputs (holdings, prices, shocks, Hedge inputs), as the template's "
                                "formulas define them; values cached in the input were not trusted."),
    )
    sheets = (
        ("Summary", "The figures, the per-asset and stress tables and three charts (first printed pages)."),
        ("Portfolio, Hedge, StressTest", "The input's sheets with hedgecore's values in place of the formulas."),
        ("Prices, Rolling beta", "The data behind the figures; printed: the newest rows only."),
        ("Backtest, Backtest data", "The hedge replayed over the price history: settings, funding used, figures, "
                                    "events, three charts; the daily series behind them (printed: the newest rows)."),
        *((("Funding, Funding per day", f"The funding history of {r.funding.contract or 'the hedge contract'} and "
                                        "each day's funding per 8 h behind the funding chart."),)
          if r.funding.history is not None else ()),
    )
    sections = [("About this report", about), ("Sheets", sheets)]
    if r.warnings:
        sections.append(("Warnings", tuple((f"{k}.", w) for k, w in enumerate(r.warnings, start=1))))
    return (*sections, ("Units and signs", units), ("Data sources", sources))


def _guide_sheet(wb: Any, r: ReportData) -> None:
    """Replace the template's Guide (how to fill it in) by the report's own."""
    from ..excel.sheets import fill_guide

    if "Guide" in wb.sheetnames:
        del wb["Guide"]
    ws = wb.create_sheet("Guide", 1)
    fill_guide(ws, styles.template_styles(), _guide_sections(r), title=f"Hedge report — {r.source_name}",
               note=f"Computed by hedgecore {__version__} on {r.generated_at}.")


# --------------------------------------------------------------------------- Summary sheet


def _write_table(ws: Any, st: dict[str, Any], top: int, title: str, headers: Sequence[str],
                 rows: Iterable[Sequence[Any]], formats: Sequence[str]) -> tuple[int, int]:
    """A small banded table at ``top``; returns (first data row, last data row)."""
    ws.cell(row=top, column=1, value=title).font = st["section"]
    for j, h in enumerate(headers, start=1):
        c = ws.cell(row=top + 1, column=j, value=h)
        c.font, c.fill, c.alignment = st["head"], st["head_fill"], st["center"]
    ws.row_dimensions[top + 1].height = 27  # two lines for the longer headers
    r = top + 1
    for r, values in enumerate(rows, start=top + 2):
        for j, (v, fmt) in enumerate(zip(values, formats), start=1):
            c = _put(ws.cell(row=r, column=j), v)
            c.number_format = fmt
            c.border = st["bottom"]
    return top + 2, r


def _figure_rows(ws: Any, st: dict[str, Any], figures: list[Figure], row: int) -> int:
    """The figures by section (label, value, note) from ``row``; returns the row after the last section."""
    sections: dict[str, list[Figure]] = {}
    for f in figures:
        if f.shown:
            sections.setdefault(f.section, []).append(f)
    for section, figs in sections.items():
        ws.cell(row=row, column=1, value=section).font = st["section"]
        row += 1
        for f in figs:
            ws.cell(row=row, column=1, value=f.label).font = st["label"]
            c = _put(ws.cell(row=row, column=2), f.value)
            c.font, c.number_format, c.alignment = st["value"], f.number_format, st["right"]
            if f.note:
                _put(ws.cell(row=row, column=3), f.note).font = st["note"]
            for j in (1, 2):
                ws.cell(row=row, column=j).border = st["bottom"]
            if f.key in ("sha256", "file"):  # long text runs on into the empty note columns
                c.alignment = st["left"]
            elif isinstance(f.value, str) and len(f.value) > _WIDE_TEXT:  # a sentence: wrapped over B:E
                ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
                c.alignment, c.font = st["wrap"], st["label"]
                ws.cell(row=row, column=1).alignment = st["top"]
                ws.row_dimensions[row].height = 15 * math.ceil(len(f.value) / 80) + 3
                if f.note:
                    _put(ws.cell(row=row, column=2), f"{f.value} ({f.note})")
            if f.key == "sha256":
                c.font = st["small"]
            row += 1
        row += 1
    return row


def _chart_style(chart: Any, title: str, x_title: str, y_title: str, y_fmt: str) -> None:
    chart.title = title
    chart.style = 10
    chart.height, chart.width = 7.6, 17.0
    chart.x_axis.title, chart.y_axis.title = x_title, y_title
    chart.y_axis.number_format = y_fmt
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.legend.position = "b"


def _stress_chart(ws: Any, r: ReportData, first: int, last: int) -> None:
    """Clustered columns of unhedged vs hedged P&L per shock: the hedged bar liquidation-aware, orange
    where the short is liquidated, with the residual band as its error bar."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.error_bar import ErrorBars
    from openpyxl.chart.data_source import NumDataSource, NumRef
    from openpyxl.chart.marker import DataPoint
    from openpyxl.utils import get_column_letter

    chart = BarChart()
    chart.type, chart.grouping = "col", "clustered"
    lp = r.plan.liquidation_price_usd
    axis = f"{r.hedge_asset} shock"
    if math.isfinite(lp) and lp > 0:
        axis += f"; orange: liquidated ({r.hedge_asset} ≥ ${lp:,.0f})"
    _chart_style(chart, "Stress test: P&L unhedged vs hedged", axis + "; whiskers: residual band", "P&L (USD)",
                 '"$"#,##0')
    chart.add_data(Reference(ws, min_col=3, max_col=4, min_row=first - 1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.x_axis.number_format = "0%"
    chart.x_axis.tickLblPos = "low"
    for series, color in zip(chart.series, ("C00000", "1F4E9E")):
        series.graphicalProperties.solidFill = color
        series.graphicalProperties.line.solidFill = color
    hedged = chart.series[1]
    for i, liquidated in enumerate(r.stress["Liquidated"].astype(bool)):
        if liquidated:
            point = DataPoint(idx=i)
            point.graphicalProperties.solidFill = point.graphicalProperties.line.solidFill = "E46C0A"
            hedged.dPt.append(point)
    if "Net P&L low" in r.stress:  # the band as custom error bars, from the hidden distance columns

        def ref(col: int) -> NumDataSource:
            letter = get_column_letter(col)
            return NumDataSource(numRef=NumRef(f=f"'Summary'!${letter}${first}:${letter}${last}"))

        hedged.errBars = ErrorBars(errDir="y", errBarType="both", errValType="cust", noEndCap=False,
                                   plus=ref(_BAND_UP), minus=ref(_BAND_DOWN))
    chart.gapWidth = 60
    ws.add_chart(chart, f"{_CHART_COL}4")


def _beta_chart(ws: Any, r: ReportData, first: int, last: int) -> None:
    """Beta per asset beside the Holdings table; horizontal bars in table order for many assets."""
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    many = len(r.holdings) > 12
    chart.type = "bar" if many else "col"
    _chart_style(chart, f"Beta to {r.hedge_asset} per asset", "", "Beta", "0.00")
    chart.add_data(Reference(ws, min_col=4, min_row=first - 1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.legend = None
    chart.series[0].graphicalProperties.solidFill = "2E75B6"
    chart.gapWidth = 40
    chart.x_axis.tickLblPos = "low"
    if many:
        chart.x_axis.scaling.orientation = "maxMin"  # first asset on top, as in the table
        chart.x_axis.tickLblSkip = 1
        chart.height = 2.5 + 0.45 * len(r.holdings)
    ws.add_chart(chart, f"{_CHART_COL}{first - 1}")


def _rolling_chart(ws: Any, rb: Any, r: ReportData) -> None:
    """Rolling basket beta (from the Rolling beta sheet) with the full-period beta as a dashed line, at J21."""
    from openpyxl.chart import Reference, ScatterChart, Series

    line = ScatterChart(scatterStyle="line")
    _chart_style(line, f"Rolling {r.rolling_window}-day beta to {r.hedge_asset}", "", "Beta", "0.00")
    n = len(r.rolling)
    lines = ((Reference(rb, min_col=2, min_row=1, max_row=n + 1), Reference(rb, min_col=1, min_row=2, max_row=n + 1),
              "2E75B6", 15875, None),
             (Reference(rb, min_col=5, min_row=1, max_row=3), Reference(rb, min_col=4, min_row=2, max_row=3),
              "C00000", 12700, "dash"))
    for values, dates, color, width, dash in lines:
        series = Series(values, dates, title_from_data=True)
        series.graphicalProperties.line.solidFill = color
        series.graphicalProperties.line.width = width
        series.graphicalProperties.line.dashStyle = dash
        series.marker.symbol = "none"
        series.smooth = False
        line.series.append(series)
    # A date axis on a scatter chart: serial days, a label every ~6 months.
    first, last = (float((d - _SERIAL_EPOCH).days) for d in (r.first_date, r.last_date))
    line.x_axis.scaling.min, line.x_axis.scaling.max = first, last
    line.x_axis.majorUnit = max(1.0, round((last - first) / 6))
    line.x_axis.number_format = "mmm yyyy"
    line.x_axis.tickLblPos = "low"
    ws.add_chart(line, f"{_CHART_COL}21")


_STRESS_HEADERS = ("Shock", "Hedge price", "Unhedged P&L", "Hedged P&L", "Hedged, residual low", "Hedged, residual high",
                   "Hedged at downside beta", "Liquidated")
_STRESS_FORMATS = (styles.PCT_SIGNED, styles.USD_PRICE) + (styles.USD0,) * 5 + ("@",)
#: Hidden columns (far right) with the hedged bar's distances to the band edges, for the chart's error bars.
_BAND_UP, _BAND_DOWN = 27, 28


def _stress_rows(s: pd.DataFrame) -> Iterable[tuple[Any, ...]]:
    """The Summary's stress rows: liquidation-aware hedged P&L, its residual band and downside-beta line."""
    nan = pd.Series(np.nan, index=s.index)
    liquidated = s["Liquidated"] if "Liquidated" in s else pd.Series(False, index=s.index)
    return zip(s["Shock"], s["Hedge price"], s["Unhedged P&L"], s["Net P&L"], s.get("Net P&L low", nan),
               s.get("Net P&L high", nan), s.get("Net P&L at downside beta", nan),
               np.where(liquidated.astype(bool), "yes", ""))


def _band_helpers(ws: Any, s: pd.DataFrame, first: int) -> None:
    """Distances from the hedged P&L to the band's edges (error bars need them), in hidden columns."""
    if "Net P&L low" not in s:
        return
    up = (s["Net P&L high"] - s["Net P&L"]).clip(lower=0).to_numpy(dtype=float)
    down = (s["Net P&L"] - s["Net P&L low"]).clip(lower=0).to_numpy(dtype=float)
    for i, (u, d) in enumerate(zip(up, down)):
        ws.cell(row=first + i, column=_BAND_UP, value=_cell_value(u))
        ws.cell(row=first + i, column=_BAND_DOWN, value=_cell_value(d))
    for col in (_BAND_UP, _BAND_DOWN):
        ws.column_dimensions[ws.cell(row=1, column=col).column_letter].hidden = True


def _summary_print_layout(ws: Any) -> None:
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.freeze_panes = "A4"
    ws.print_title_rows = "1:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 2  # figures and charts, then the tables
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5


def _summary_sheet(wb: Any, r: ReportData) -> None:
    """The Summary sheet: title, figures by section, Holdings and stress tables, three charts."""
    st = styles.report_styles()
    ws = wb.create_sheet("Summary", 0)
    ws.sheet_view.showGridLines = False
    ws.sheet_properties.tabColor = styles.HEADER_FILL
    _put(ws["A1"], f"Hedge report — {r.source_name}")
    ws["A1"].font = st["title"]
    ws["A2"] = (f"Computed by hedgecore {__version__} on {r.generated_at} from the inputs of the workbook; "
                "every figure below and in the sheets is a value, not a formula.")
    ws["A2"].font = st["subtitle"]
    row = _figure_rows(ws, st, summary_figures(r), 4)
    h = r.holdings
    a_first, a_last = _write_table(
        ws, st, row, "Holdings", ("Asset", "Value (USD)", "Weight", "Beta", "Beta exposure (USD)"),
        h[["Asset", "Value", "Weight", "Beta", "Beta exposure"]].itertuples(index=False),
        ("@", styles.USD0, styles.PCT, styles.BETA, styles.USD0))
    s = r.stress
    s_first, s_last = _write_table(
        ws, st, a_last + 2, f"Stress test ({r.hedge_asset} shock; alts move beta × shock; funding over the horizon; "
                            "hedged P&L after liquidation where liquidated)",
        _STRESS_HEADERS, _stress_rows(s), _STRESS_FORMATS)
    for rr in range(s_first, s_last + 1):
        ws.cell(row=rr, column=len(_STRESS_HEADERS)).alignment = st["right"]
    _band_helpers(ws, s, s_first)
    for col, width in zip("ABCDEFGHI", (36, 23, 15, 15, 15, 15, 15, 12, 3)):
        ws.column_dimensions[col].width = width
    _stress_chart(ws, r, s_first, s_last)
    _beta_chart(ws, r, a_first, a_last)
    _rolling_chart(ws, _rolling_sheet(wb, r), r)
    if r.funding.daily_per_8h is not None:
        _funding_chart(ws, _funding_sheet(wb, r), r)
    _summary_print_layout(ws)


def _rolling_sheet(wb: Any, r: ReportData) -> Any:
    """The series behind the rolling-beta chart: Date, rolling beta, full-period basket beta."""
    from openpyxl.worksheet.properties import PageSetupProperties

    st = styles.report_styles()
    at = wb.sheetnames.index("StressTest") + 1 if "StressTest" in wb.sheetnames else len(wb.sheetnames)
    ws = wb.create_sheet("Rolling beta", at)
    ws.sheet_view.showGridLines = False
    heads = ("Date", f"Rolling {r.rolling_window}-day beta", "", "Date", "Full-period beta")
    for j, text in enumerate(heads, start=1):
        if text:
            c = ws.cell(row=1, column=j, value=text)
            c.font, c.fill, c.alignment = st["head"], st["head_fill"], st["center"]
    for i, (d, b) in enumerate(zip(r.rolling.index, r.rolling.to_numpy()), start=2):
        ws.cell(row=i, column=1, value=pd.Timestamp(d).to_pydatetime()).number_format = styles.DATE
        ws.cell(row=i, column=2, value=_cell_value(b)).number_format = styles.BETA
    # The full-period basket beta as a two-point line from the first to the last date.
    for i, d in enumerate((r.first_date, r.last_date), start=2):
        ws.cell(row=i, column=4, value=d.to_pydatetime()).number_format = styles.DATE
        ws.cell(row=i, column=5, value=_cell_value(r.basket.beta)).number_format = styles.BETA
    for col, width in zip("ABCDE", (12, 22, 3, 12, 16)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    return ws


def _drop_backtest_sheet(wb: Any) -> None:
    """The input's Backtest sheet (formulas asking the add-in) and its names: the report writes its own."""
    from ..excel.layout import BACKTEST_ID_OUTPUT, BACKTEST_INPUT_NAMES

    if "Backtest" in wb.sheetnames:
        del wb["Backtest"]
    for name in (*BACKTEST_INPUT_NAMES, BACKTEST_ID_OUTPUT.name):
        if name in wb.defined_names:
            del wb.defined_names[name]


def _backtest_sheets(wb: Any, r: ReportData) -> None:
    """The Backtest and Backtest data sheets (report.backtest), after Rolling beta."""
    from .backtest import write_backtest_sheets

    at = wb.sheetnames.index("Rolling beta") + 1 if "Rolling beta" in wb.sheetnames else len(wb.sheetnames)
    write_backtest_sheets(wb, r.backtest, at=at, title=f"Backtest — {r.source_name}")


# --------------------------------------------------------------------------- funding history (issue 13)

_FUNDING_SHEET = "Funding per day"


def _funding_sheet(wb: Any, r: ReportData) -> Any:
    """The series behind the funding chart: each UTC day's funding / 3, and the window's mean."""
    st = styles.report_styles()
    at = wb.sheetnames.index("Rolling beta") + 1 if "Rolling beta" in wb.sheetnames else len(wb.sheetnames)
    ws = wb.create_sheet(_FUNDING_SHEET, at)
    ws.sheet_view.showGridLines = False
    f, s = r.funding, r.funding.summary
    heads = ("Date (UTC)", "Funding per 8 h (day / 3)", "", "Date (UTC)", f"Mean of the last {s.days} days")
    for j, text in enumerate(heads, start=1):
        if text:
            c = ws.cell(row=1, column=j, value=text)
            c.font, c.fill, c.alignment = st["head"], st["head_fill"], st["center"]
    for i, (d, v) in enumerate(zip(f.daily_per_8h.index, f.daily_per_8h.to_numpy()), start=2):
        ws.cell(row=i, column=1, value=pd.Timestamp(d).tz_localize(None).to_pydatetime()).number_format = styles.DATE
        ws.cell(row=i, column=2, value=_cell_value(v)).number_format = styles.RATE
    for i, d in enumerate((s.first_day, s.last_day), start=2):
        ws.cell(row=i, column=4, value=pd.Timestamp(d).to_pydatetime()).number_format = styles.DATE
        ws.cell(row=i, column=5, value=_cell_value(s.mean_per_8h)).number_format = styles.RATE
    for col, width in zip("ABCDE", (12, 24, 3, 12, 22)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    return ws


def _funding_chart(ws: Any, fs: Any, r: ReportData) -> None:
    """The hedge contract's daily funding (per 8 h) with the window's mean as a dashed line, at J38."""
    from openpyxl.chart import Reference, ScatterChart, Series

    f = r.funding
    chart = ScatterChart(scatterStyle="line")
    _chart_style(chart, f"Funding of {f.contract or 'the hedge contract'} (per 8 h, daily)", "", "Rate per 8 h",
                 "0.000%")
    n = len(f.daily_per_8h)
    lines = ((Reference(fs, min_col=2, min_row=1, max_row=n + 1), Reference(fs, min_col=1, min_row=2, max_row=n + 1),
              "2E75B6", 12700, None),
             (Reference(fs, min_col=5, min_row=1, max_row=3), Reference(fs, min_col=4, min_row=2, max_row=3),
              "C00000", 15875, "dash"))
    for values, dates, color, width, dash in lines:
        series = Series(values, dates, title_from_data=True)
        series.graphicalProperties.line.solidFill = color
        series.graphicalProperties.line.width = width
        series.graphicalProperties.line.dashStyle = dash
        series.marker.symbol = "none"
        series.smooth = False
        chart.series.append(series)
    first, last = (float((pd.Timestamp(d).tz_localize(None) - _SERIAL_EPOCH).days)
                   for d in (f.daily_per_8h.index[0], f.daily_per_8h.index[-1]))
    chart.x_axis.scaling.min, chart.x_axis.scaling.max = first, max(last, first + 1)
    chart.x_axis.majorUnit = max(1.0, round((last - first) / 6))
    chart.x_axis.number_format = "yyyy-mm-dd"
    chart.x_axis.tickLblPos = "low"
    ws.add_chart(chart, f"{_CHART_COL}38")


def _drop_empty_funding(wb: Any, r: ReportData) -> None:
    """A report has no Funding sheet when the input's holds no history (nor the names into it)."""
    if r.funding.history is not None or "Funding" not in wb.sheetnames:
        return
    from ..excel.layout import FUNDING_CONTRACT_NAME, FUNDING_NAMES

    del wb["Funding"]
    names = {*FUNDING_NAMES, FUNDING_CONTRACT_NAME}
    for key in [k for k, dn in wb.defined_names.items() if k in names or "Funding!" in str(dn.attr_text)]:
        del wb.defined_names[key]


def build_report_workbook(r: ReportData, source: Path, workbook: Any = None) -> Any:
    """The report workbook: the input's sheets with values in place of formulas, plus Summary and Rolling beta.

    ``workbook`` is the input already loaded with openpyxl (``data_only=False``); loaded here if
    not given. The input file is never written.
    """
    if workbook is None:
        from openpyxl import load_workbook

        workbook = load_workbook(source)
    wb = workbook
    _drop_links(wb)
    _drop_backtest_sheet(wb)
    filler = _Filler(wb, r, source)
    try:
        filler.fill()
    finally:
        filler.close()
    for name in ("Summary", "Rolling beta", "Backtest data", _FUNDING_SHEET):
        if name in wb.sheetnames:  # a report fed back in: replace, don't duplicate
            del wb[name]
    _drop_empty_funding(wb, r)
    _summary_sheet(wb, r)
    _backtest_sheets(wb, r)
    _guide_sheet(wb, r)
    _as_document(wb, r)
    wb.active = 0
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == "Summary"
    wb.calculation.fullCalcOnLoad = False
    props = wb.properties
    props.title = escape_controls(f"hedgecore report — {r.source_name}")
    props.lastModifiedBy = f"hedgecore {__version__}"
    props.modified = datetime.now(timezone.utc).replace(tzinfo=None)
    return wb
