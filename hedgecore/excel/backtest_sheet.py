"""The template's Backtest sheet (openpyxl, imported inside the functions).

Inputs (policy, threshold, beta window, fees, slippage, reopen, collateral) as named yellow cells,
one ``HEDGE_BACKTEST`` cell naming the result (``BacktestId``), the summary figures and the daily
table as single cells asking it for one field each (``BACKTEST_SUMMARY(BacktestId,"field")``,
``BACKTEST_DAILY(BacktestId,row,"field")``), and a native chart of the hedged and unhedged value
with the trades and liquidations marked. Every formula cell gets its cached value from the
backtest hedgecore computed (:mod:`hedgecore.excel.backtest`), through the same functions
(:mod:`hedgecore.backtest_cells`) the add-in answers with.

Why single cells and not one spilled array: LibreOffice recalculates array formulas on open and
ignores their cached values, so without the add-in the whole table would be ``#NAME?``; single
cells keep their cached numbers. The table's cells pass only the result's name and a row, never
the price history, so a recalculation transfers the prices once (to ``HEDGE_BACKTEST``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..backtest_cells import SUMMARY_EXTRA_LABELS, daily_cells, excel_serial, summary_cells
from ..backtesting import BACKTEST_SUMMARY_LABELS
from . import layout, styles
from .cached import CachedValues
from .sheets import _head, _named_row, _title, _validation, print_setup

__all__ = ["write_backtest", "equity_chart", "BLUE", "RED", "GREEN", "BLACK"]

Styles = Mapping[str, Any]
BLUE, RED, GREEN, BLACK = "1F4E9E", "C00000", "2E9E44", "000000"
_NOT_AVAILABLE = "#N/A"


def _col(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j)


def equity_chart(ws: Any, date_col: int, first: int, last: int, series: list[tuple[int, str, str, bool]],
                 title: str, anchor: str, *, y_title: str = "Value (USD)", y_format: str = '"$"#,##0',
                 place: Any = None) -> Any:
    """A scatter chart over rows ``first..last`` of ``ws`` against the dates in ``date_col``, at ``anchor``
    of ``place`` (default ``ws``).

    ``series``: (column, title, colour, markers only). Marker series are the trades and
    liquidations: a point where the column has a number, a gap where it has ``#N/A`` or nothing.
    Hidden columns are plotted (``plotVisOnly`` off), so marker columns can stay out of sight.
    """
    from openpyxl.chart import Reference, ScatterChart, Series

    chart = ScatterChart()
    chart.title = title
    chart.style = 2
    chart.height, chart.width = 10.5, 24
    chart.x_axis.title, chart.y_axis.title = None, y_title
    chart.x_axis.number_format = "mmm yyyy"
    chart.y_axis.number_format = y_format
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.x_axis.crosses = chart.y_axis.crosses = "min"
    chart.x_axis.tickLblPos = "low"
    chart.legend.position = "b"
    chart.visible_cells_only = False
    xref = Reference(ws, min_col=date_col, min_row=first, max_row=last)
    for col, name, colour, markers in series:
        s = Series(Reference(ws, min_col=col, min_row=first, max_row=last), xref, title=name)
        s.smooth = False
        if markers:
            s.marker.symbol = "triangle" if colour == GREEN else "x"
            s.marker.size = 8
            s.marker.graphicalProperties.solidFill = colour
            s.marker.graphicalProperties.line.solidFill = colour
            s.graphicalProperties.line.noFill = True
        else:
            s.marker.symbol = "none"
            s.graphicalProperties.line.solidFill = colour
            s.graphicalProperties.line.width = 19050
        chart.series.append(s)
    (ws if place is None else place).add_chart(chart, anchor)
    return chart


_NOTES_WIDTH = 58  # characters of column E; longer notes wrap onto more lines
_VALUE_WIDTH = 36  # characters of column B (three liquidation dates)


def _wrap_note(ws: Any, st: Styles, r: int) -> None:
    """Column E's note wrapped within the column (the chart sits to its right), the row as tall as it needs."""
    from openpyxl.styles import Alignment

    cell = ws.cell(row=r, column=5)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    lines = -(-len(str(cell.value or "")) // _NOTES_WIDTH)
    if lines > 1:
        ws.row_dimensions[r].height = 12.5 * lines


def _inputs(wb: Any, ws: Any, st: Styles, settings: Mapping[str, Any]) -> None:
    for r, spec in enumerate(layout.BACKTEST_INPUTS, start=layout.BACKTEST_FIRST_INPUT_ROW):
        value = settings.get(spec.name, spec.default)
        _named_row(wb, ws, st, r, spec, None if value == "" else value, "input")
        _wrap_note(ws, st, r)
        prompt = f"{spec.help} ({spec.unit})" if spec.unit else spec.help
        _validation(ws, spec.validation, spec.label, prompt, f"B{r}")


def _summary(wb: Any, ws: Any, st: Styles, cache: CachedValues, data: Any) -> int:
    """The BacktestId cell and one summary cell per field under it; returns the row after them."""
    from openpyxl.styles import Alignment

    top = layout.BACKTEST_ID_ROW
    ws.cell(row=top - 1, column=1, value="Results (computed)").font = st["h2"]
    out = layout.BACKTEST_ID_OUTPUT
    _named_row(wb, ws, st, top, out, out.formula, "calc")
    ws.cell(row=top, column=2).alignment = Alignment(horizontal="left")
    for j in (3, 4):  # the name runs on over Name and Unit; the note says it is BacktestId
        ws.cell(row=top, column=j).value = None
    ws.cell(row=top, column=5).value = f"Defined name {out.name}. {out.help}"
    _wrap_note(ws, st, top)
    result = None if data is None else data.result
    cache.put(ws.title, f"B{top}", "" if data is None else (data.id or "#VALUE!"))
    values = {k: v for k, _, v in summary_cells(result)} if result is not None else {}
    r = top
    shown = sorted((*BACKTEST_SUMMARY_LABELS, *SUMMARY_EXTRA_LABELS), key=lambda kl: kl[0] != "verdict")
    for r, (key, label) in enumerate(shown, start=top + 1):  # the verdict first: beside the chart, above the table
        ws.cell(row=r, column=1, value=label)
        cell = ws.cell(row=r, column=2, value=layout.backtest_summary_formula(key))
        cell.fill, cell.font, cell.border = st["calc_fill"], st["calc_font"], st["border"]
        cell.number_format = layout.BACKTEST_SUMMARY_FORMATS.get(key, "General")
        cell.alignment = st["right"]
        ws.cell(row=r, column=3, value=key).font = st["name"]
        value = values.get(key, "")
        cache.put(ws.title, cell.coordinate, value)
        if isinstance(value, str) and len(value) > _VALUE_WIDTH:  # liquidation dates, the verdict: wrapped
            prose = key == "verdict"
            cell.alignment = Alignment(horizontal="left" if prose else "right", vertical="top", wrap_text=True)
            for j in (1, 3):  # label and field name beside the first line
                ws.cell(row=r, column=j).alignment = Alignment(vertical="top")
            ws.row_dimensions[r].height = 15 * -(-len(value) // (_VALUE_WIDTH - 6 * prose))  # words wrap early
    return r + 1


def _table(ws: Any, st: Styles, cache: CachedValues, data: Any) -> tuple[int, int]:
    """The daily table at G under the chart, its hidden marker columns; returns the first and last rows."""
    result = None if data is None else data.result
    h, c0 = layout.BACKTEST_TABLE_HEADER_ROW, layout.BACKTEST_TABLE_COL
    n = len(result.daily) if result is not None else layout.BACKTEST_BLANK_ROWS
    columns = layout.BACKTEST_TABLE
    cells = {f: daily_cells(result, f) for f, _, _ in columns} if result is not None else {}
    headers = [head for _, head, _ in columns] + [head for head, _ in layout.BACKTEST_MARKERS]
    for j, head in enumerate(headers, start=c0):
        _head(ws.cell(row=h, column=j, value=head), st)
    event_col = c0 + [f for f, _, _ in columns].index("event")
    value_col = c0 + [f for f, _, _ in columns].index("hedged_usd")
    for i in range(n):
        r = h + 1 + i
        for j, (f, _, fmt) in enumerate(columns, start=c0):
            cell = ws.cell(row=r, column=j, value=layout.backtest_daily_formula(i + 1, f))
            cell.number_format = fmt
            cell.alignment = st["right"]
            cache.put(ws.title, cell.coordinate, cells[f][i] if cells else "")
        event = cells["event"][i] if cells else ""
        value = cells["hedged_usd"][i] if cells else None
        marks = (value if event not in ("", "hold", "liquidation") else _NOT_AVAILABLE,
                 value if event.startswith("liquidation") else _NOT_AVAILABLE)
        for k, ((_, formula), mark) in enumerate(zip(layout.BACKTEST_MARKERS, marks)):
            j = c0 + len(columns) + k
            cell = ws.cell(row=r, column=j, value=formula.format(event=f"{_col(event_col)}{r}",
                                                                  value=f"{_col(value_col)}{r}"))
            cell.number_format = styles.USD0
            cache.put(ws.title, cell.coordinate, mark)
    for j, (f, _, _) in enumerate(columns, start=c0):
        ws.column_dimensions[_col(j)].width = 11 if f == "date" else 14
    for k in range(len(layout.BACKTEST_MARKERS)):
        ws.column_dimensions[_col(c0 + len(columns) + k)].hidden = True
    return h + 1, h + n


def _define_names(wb: Any) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    for name, text in layout.BACKTEST_NAMES.items():
        wb.defined_names[name] = DefinedName(name, attr_text=text)


def write_backtest(wb: Any, st: Styles, settings: Mapping[str, Any], cache: CachedValues) -> None:
    """The Backtest sheet: named inputs, the ``HEDGE_BACKTEST`` cell, the summary, the chart and the daily table."""
    ws = wb.create_sheet("Backtest")
    data = None if cache.report is None else cache.report.backtest
    _title(ws, st, "Backtest — would the hedge have protected me, and what did it cost?",
           "Replays table Prices: holding the Holdings basket and the Hedge sheet's short (contract, collateral), "
           "rebalanced by the policy below with the beta known at each date. Yellow: inputs; grey: results.")
    ws["A3"] = ("Funding: the Hedge sheet's Funding rate as a constant rate at every settlement (the template holds "
                "no funding history; hedgecore backtest FILE --funding CSV replays one). Liquidation is checked on "
                "the daily close (Prices holds closes only).")
    ws["A3"].font = st["note"]
    if data is not None and data.error:
        ws["A3"] = f"Not computed when this file was written: {data.error}"
        ws["A3"].font = st["note"]
    for j, text in enumerate(("Item", "Value", "Name", "Unit", "Notes"), start=1):
        _head(ws.cell(row=layout.BACKTEST_FIRST_INPUT_ROW - 1, column=j, value=text), st, center=False)
    _inputs(wb, ws, st, settings)
    end = _summary(wb, ws, st, cache, data)
    first, last = _table(ws, st, cache, data)
    c0 = layout.BACKTEST_TABLE_COL
    fields = [f for f, _, _ in layout.BACKTEST_TABLE]
    n_cols = len(fields)
    series = [(c0 + fields.index("unhedged_usd"), "Unhedged", RED, False),
              (c0 + fields.index("hedged_usd"), "Hedged", BLUE, False),
              (c0 + n_cols, "Trade", GREEN, True), (c0 + n_cols + 1, "Liquidation", BLACK, True)]
    chart = equity_chart(ws, c0, first, last, series, "Value: hedged vs unhedged (trades ▲, liquidations ×)",
                         f"{_col(c0)}4")
    if data is not None and data.result is not None:
        chart.x_axis.scaling.min, chart.x_axis.scaling.max = (excel_serial(d) for d in data.result.daily.index[[0, -1]])
    ws.cell(row=layout.BACKTEST_TABLE_HEADER_ROW - 1, column=c0,
            value=f"Daily table: {last - first + 1:,} rows (the backtest when the file was written; "
                  "BACKTEST_DAILY(BacktestId) spills every row in Excel 365). Hedged value includes collateral "
                  "deposited to reopen after a liquidation; returns and drawdowns do not count it.").font = st["note"]
    for col, w in zip("ABCDEF", (34, _VALUE_WIDTH, 22, 12, _NOTES_WIDTH, 3)):
        ws.column_dimensions[col].width = w
    _define_names(wb)
    print_setup(ws, landscape=True)
    ws.print_area = f"A1:{_col(c0 + n_cols - 1)}{max(end, layout.BACKTEST_TABLE_HEADER_ROW + 20)}"
