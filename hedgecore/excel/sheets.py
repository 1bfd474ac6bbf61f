"""The template's sheets, one writer function per sheet (openpyxl, imported inside the functions).

What each sheet holds — names, inputs, results, formulas, formats — comes from
:mod:`hedgecore.excel.layout`; this module only places it on the sheets and styles it, and
records each formula's value (computed by hedgecore) in the :class:`~hedgecore.excel.cached.CachedValues`
it is given, so the workbook opens with its numbers. :func:`hedgecore.excel.writer.write_template`
calls the functions in workbook order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..contracts import CONTRACT_TYPES, catalog
from ..errors import WorkbookError
from ..sizing import ROUNDING_MODES
from . import layout, styles
from .cells import put_text
from .addin import CLASSIC_STEPS, INSTALL_STEPS
from .cached import CachedValues, liquidation_line
from .layout import Input, Validation

__all__ = ["write_guide", "write_lists", "write_prices", "write_portfolio", "write_hedge", "write_stress",
           "write_funding", "write_names", "fill_guide", "print_setup", "GUIDE_SECTIONS"]

Styles = Mapping[str, Any]


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _define(wb: Any, name: str, sheet: str, ref: str) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    wb.defined_names[name] = DefinedName(name, attr_text=f"{sheet}!{ref}")


def write_names(wb: Any) -> None:
    """The table range names of :data:`~hedgecore.excel.layout.TABLE_NAMES` (dynamic ranges)."""
    from openpyxl.workbook.defined_name import DefinedName

    for name, text in layout.TABLE_NAMES.items():
        wb.defined_names[name] = DefinedName(name, attr_text=text)


def _abs(col: int, row: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"${get_column_letter(col)}${row}"


def print_setup(ws: Any, *, landscape: bool, title_rows: str | None = None) -> None:
    """A4, fit to one page wide, centred, narrow margins; ``title_rows`` repeat on each page."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows


def _add_table(ws: Any, name: str, ref: str, style: str = "TableStyleMedium2") -> None:
    from openpyxl.worksheet.table import Table, TableStyleInfo

    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=True, showColumnStripes=False)
    ws.add_table(table)


def _validation(ws: Any, rule: Validation, title: str, prompt: str, where: str, *, allow_blank: bool = True) -> None:
    """Add an Excel data validation with its input prompt and error message."""
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(type=rule.type, operator=rule.operator, formula1=rule.formula1, formula2=rule.formula2,
                        allow_blank=allow_blank)
    dv.showInputMessage = True
    dv.showErrorMessage = True
    dv.promptTitle = title[:32]
    dv.prompt = prompt[:255]
    dv.errorTitle = title[:32]
    dv.error = rule.error
    dv.add(where)
    ws.add_data_validation(dv)


def _head(cell: Any, st: Styles, *, center: bool = True) -> None:
    cell.fill, cell.font = st["head_fill"], st["head_font"]
    if center:
        cell.alignment = st["center"]


def _title(ws: Any, st: Styles, title: str, note: str) -> None:
    ws.sheet_view.showGridLines = False
    ws["A1"] = title
    ws["A1"].font = st["title"]
    ws["A2"] = note
    ws["A2"].font = st["note"]


# ---------------------------------------------------------------------------------------------
# Guide
# ---------------------------------------------------------------------------------------------

_GUIDE_EMPTY = "Empty template: fill the yellow cells in the order below, or generate a filled copy with `hedgecore template`."

#: The Guide sheet: (section title, [(key, text), ...]).
GUIDE_SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("What to fill, in order", (
        ("1. Prices", "Table Prices: column Date (oldest first, one row per day), then one column of daily closes per asset, headed by the ticker used in Holdings, including the hedge coin."),
        ("2. Portfolio", "Table Holdings: Asset (a Prices header), Quantity (coins, >= 0) and Price (USD). Value, Beta, Beta exposure, Weight and the two-leg betas are computed."),
        ("3. Hedge", "Yellow input cells: hedge coin, catalog contract (or type and size), price, hedge ratio, rounding, collateral, leverage, margin, funding, horizon, and an optional second coin for a two-leg hedge. Grey cells are the results."),
        ("4. StressTest", "Table Shocks: moves of the hedge coin (-50 % ... +50 %); beside each, its P&L. Net P&L is liquidation-aware: past the liquidation price the short is closed and the account lost (Liquidated: yes); Net P&L if short survived is the line without liquidation, for comparison only. Net P&L low / high add the basket's own 5th / 95th percentile residual over the horizon; Net P&L at downside beta moves the alts by the downside beta on falls."),
        ("5. A position you hold", "Type Contracts held now and Margin balance now (wallet balance + unrealised P&L, in the margin coin): Trade now says how many contracts to short more (+) or buy back (-)."),
        ("Funding (optional)", "Table Funding: the funding-rate history of the hedge contract, written by hedgecore (hedgecore template --fetch or --funding, hedgecore refresh). With Hedge input Funding rate from = history, the plan and the stress test use its mean over the last FundingDays complete UTC days."),
        ("More rows", "Type new holdings, closes or shocks in the blank rows of the tables, below them, or in rows inserted anywhere under the header: the defined names (Formulas > Name Manager, e.g. PricesData) end at the last Asset, Date or Shock, so the formulas follow. Keep the rows inside the table (Excel extends it when you type just below), as hedgecore report reads the tables and warns when they differ."),
    )),
    ("Colour legend", (
        ("Input", "Light yellow fill, blue text: type here. Drop-downs and ranges are checked (Data > Data Validation)."),
        ("Computed", "Grey fill, bold black text: formulas; do not overwrite (except Hedge ratio and Hedge coin price, which hold default formulas)."),
        ("Headers", "Dark blue: table headers."),
    )),
    ("Install the add-in", (
        *((f"xlwings Lite {k}", step) for k, step in enumerate(INSTALL_STEPS, start=1)),
        *((f"Classic {k}", step) for k, step in enumerate(CLASSIC_STEPS, start=1)),
        ("Without the add-in", "The file opens with the numbers hedgecore computed when it was written. After an edit, cells calling the add-in's functions show a name error until it is installed; hedgecore report recomputes every figure in Python from the inputs, with or without it."),
    )),
    ("Units and signs", (
        ("Money", "USD unless stated. Collateral and inverse margin are in coins of the hedge coin."),
        ("Inverse contracts", "Face value in USD per contract (Binance ETHUSD_PERP: 10 USD); P&L and margin in the coin. Linear contracts: coins per contract, margin in USDT."),
        ("Collateral is a long", "Coin posted as margin moves with the hedge coin, so the hedge notional is value x ratio + collateral x price."),
        ("Funding", "Rate per funding interval (the catalog contract's, else 8 h); positive = longs pay shorts, so a short hedge receives it. Funding cost: negative = received."),
        ("Margin verdict", "Says whether the wallet covers the initial margin at the chosen leverage, and what to post (in the margin coin) or which leverage fits if not. Loss if liquidated: the wallet's value at entry, lost if the price spikes through the liquidation price and comes back."),
        ("Rates", "Percent cells: 0.5 % = 0.005. Shocks are returns of the hedge coin; alts move beta x shock."),
        ("Contracts", "Positive = short contracts (the hedge). Liquidation price: none = cannot be liquidated."),
    )),
    ("Data sources", (
        ("Daily prices", "Yahoo Finance daily closes (UTC), via yifei99/SAL-Cryptopulse, Apache-2.0, Copyright 2024 Amit Kumar, Dr. Taoran Ji (columns reduced)."),
        ("Funding rates", "Binance USD-M funding history via supervik/historical-funding-rates-fetcher, MIT, Copyright (c) 2024 supervik."),
        ("Contracts", "Built-in catalog (hedgecore contracts); check the exchange's contract size before trading."),
    )),
)


def _guide_filled(holdings: pd.DataFrame, settings: Mapping[str, Any]) -> str:
    """The Guide's first line for a filled template: what it holds and how it is hedged."""
    assets = [str(a) for a in holdings["Asset"]]
    shown = ", ".join(assets[:8]) + (f" and {len(assets) - 8} more" if len(assets) > 8 else "")
    contract = str(settings.get("Contract") or "").strip()
    kind = str(settings.get("ContractType") or "")
    how = f"{contract} ({kind})" if contract else f"a {kind} {settings.get('HedgeAsset')} perpetual by size"
    coll = float(settings.get("Collateral") or 0.0)
    coll_text = f", {coll:g} {settings.get('HedgeAsset')} collateral" if coll and kind == "inverse" else ""
    second = str(settings.get("SecondAsset") or "").strip()
    two = f"; two-leg option with {second}" if second else ""
    return f"This workbook: holdings in {shown} hedged with {how}{coll_text}{two}."


_LEGEND_STYLES = {"Input": ("input_fill", "input_font"), "Computed": ("calc_fill", "calc_font"),
                  "Headers": ("head_fill", "head_font")}


def _with_sources(sources: Mapping[str, str] | None) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """GUIDE_SECTIONS with the Data sources rows named in ``sources`` replaced (and new ones added)."""
    if not sources:
        return GUIDE_SECTIONS
    out = []
    for title, items in GUIDE_SECTIONS:
        if title == "Data sources":
            keys = [k for k, _ in items]
            items = tuple((k, sources.get(k, text)) for k, text in items) + tuple(
                (k, text) for k, text in sources.items() if k not in keys)
        out.append((title, items))
    return tuple(out)


def write_guide(wb: Any, st: Styles, *, holdings: pd.DataFrame | None = None,
                settings: Mapping[str, Any] | None = None, sources: Mapping[str, str] | None = None) -> Any:
    """The Guide sheet (the workbook's first, active sheet): what to fill, legend, add-in, units, sources.

    Its first line describes the workbook's own holdings and hedge, or says it is empty. ``sources``
    replaces rows of the Data sources section by key (``"Daily prices"``, ``"Funding rates"``), for a
    workbook whose data came from elsewhere than the bundled sample (an exchange).
    """
    ws = wb.active
    ws.title = "Guide"
    filled = holdings is not None and len(holdings)
    note = _guide_filled(holdings, settings or {}) if filled else _GUIDE_EMPTY
    fill_guide(ws, st, _with_sources(sources), title="hedgecore — hedge an altcoin basket with a perpetual future",
               note=note)
    return ws


def fill_guide(ws: Any, st: Styles, sections: tuple[tuple[str, tuple[tuple[str, str], ...]], ...], *,
               title: str, note: str) -> None:
    """A Guide layout on ``ws``: title, note, then each section's (key, text) rows (the report's Guide too)."""
    ws.sheet_view.showGridLines = False
    for col, width in (("A", 3), ("B", 24), ("C", 92)):
        ws.column_dimensions[col].width = width
    put_text(ws["B1"], title).font = st["title"]
    put_text(ws["B2"], note).font = st["note"]
    row = 4
    for section, items in sections:
        put_text(ws.cell(row=row, column=2), section).font = st["h2"]
        row += 1
        for key, text in items:
            a = put_text(ws.cell(row=row, column=2), key)
            a.font = st["key"]
            a.alignment = st["wrap"]
            put_text(ws.cell(row=row, column=3), text).alignment = st["wrap"]
            if key in _LEGEND_STYLES:
                fill, font = _LEGEND_STYLES[key]
                a.fill, a.font = st[fill], st[font]
            ws.row_dimensions[row].height = 15 * max(1, math.ceil(len(text) / 95)) + 2
            row += 1
        row += 1
    print_setup(ws, landscape=False)


# ---------------------------------------------------------------------------------------------
# Lists (hidden) and Prices
# ---------------------------------------------------------------------------------------------


def write_lists(wb: Any, st: Styles) -> None:
    """The hidden Lists sheet: catalog contract names (``ContractList``), types, rounding modes."""
    ws = wb.create_sheet("Lists")
    names = [s.name for s in catalog()]
    for col, (head, values) in enumerate((("Contract", names), ("ContractType", CONTRACT_TYPES),
                                          ("Rounding", ROUNDING_MODES)), start=1):
        ws.cell(row=1, column=col, value=head)
        for i, value in enumerate(values, start=2):
            ws.cell(row=i, column=col, value=value)
    for c in ("A", "B", "C"):
        ws[f"{c}1"].font = st["head_font"]
        ws[f"{c}1"].fill = st["head_fill"]
    for col, width in (("A", 26), ("B", 14), ("C", 12)):
        ws.column_dimensions[col].width = width
    ws.sheet_state = "hidden"
    _define(wb, "ContractList", "Lists", f"$A$2:$A${len(names) + 1}")


def _price_formats(values: np.ndarray) -> list[str]:
    """Four decimals for a column of coins below 10 USD, two otherwise."""
    formats = []
    for k in range(values.shape[1]):
        col = values[:, k][~np.isnan(values[:, k])]
        formats.append("#,##0.0000" if col.size and np.median(col) < 10 else "#,##0.00")
    return formats


def _price_rows(ws: Any, prices: pd.DataFrame) -> None:
    values = prices.to_numpy(dtype=float)
    formats = _price_formats(values)
    for i, (date, row) in enumerate(zip(prices.index, values), start=2):
        ws.cell(row=i, column=1, value=pd.Timestamp(date).to_pydatetime().replace(tzinfo=None)).number_format = styles.DATE
        for j, v in enumerate(row, start=2):
            cell = ws.cell(row=i, column=j, value=None if math.isnan(v) else float(v))
            cell.number_format = formats[j - 2]


def write_prices(wb: Any, st: Styles, prices: pd.DataFrame | None, hedge_asset: str) -> None:
    """The Prices sheet: table ``Prices`` (Date, one close column per ticker); its names are dynamic."""
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet("Prices")
    tickers = [hedge_asset] if prices is None else [str(c) for c in prices.columns]
    n = layout.PRICES_BLANK_ROWS if prices is None else len(prices)
    headers = ["Date", *tickers]
    if len(set(headers)) != len(headers) or any(not h for h in headers):
        raise WorkbookError("price column headers must be unique, non-empty tickers other than Date")
    for j, h in enumerate(headers, start=1):
        _head(put_text(ws.cell(row=1, column=j), h), st)  # a ticker is text, even one that looks like a formula
    if prices is not None:
        _price_rows(ws, prices)
    else:
        for i in range(2, n + 2):
            ws.cell(row=i, column=1).number_format = styles.DATE
            for j in range(2, len(headers) + 1):
                ws.cell(row=i, column=j).number_format = styles.PRICE
    last_col = get_column_letter(len(headers))
    _add_table(ws, "Prices", f"A1:{last_col}{n + 1}", style="TableStyleLight9")
    ws.freeze_panes = "B2"
    ws.column_dimensions["A"].width = 12
    for j in range(2, len(headers) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 12
    print_setup(ws, landscape=len(headers) > 10, title_rows="1:1")


# ---------------------------------------------------------------------------------------------
# Portfolio
# ---------------------------------------------------------------------------------------------


def _holding_row(ws: Any, st: Styles, cache: CachedValues, r: int, i: int,
                 holding: tuple[str, float, float] | None) -> None:
    """Holdings row ``r`` (data row ``i``): the inputs (when given), the computed columns' formulas
    and their cached values."""
    if holding is not None:
        put_text(ws.cell(row=r, column=1), holding[0])
        for j, value in enumerate(holding[1:], start=2):
            ws.cell(row=r, column=j, value=value)
    columns = layout.HOLDINGS_COLUMNS
    for j, col in enumerate(columns, start=1):
        cell = ws.cell(row=r, column=j)
        cell.number_format = col.number_format
        if col.is_input:
            cell.fill, cell.font = st["input_fill"], st["input_font"]
        else:
            cell.fill = st["calc_fill"]
    for j, col in enumerate(columns, start=1):
        if col.formula is not None:
            cell = ws.cell(row=r, column=j, value=col.formula.format(r=r))
            cache.put(ws.title, cell.coordinate, cache.holding(i, col.header))


def _holdings_totals(ws: Any, st: Styles, cache: CachedValues) -> None:
    for j, col in enumerate(layout.HOLDINGS_COLUMNS, start=1):
        if col.header in layout.HOLDINGS_TOTALS:
            formula, fmt = layout.HOLDINGS_TOTALS[col.header]
            c = ws.cell(row=2, column=j, value=formula)
            c.number_format, c.fill, c.font, c.border = fmt, st["calc_fill"], st["calc_font"], st["border"]
            cache.put(ws.title, c.coordinate, cache.total(col.header))


def _calculated_column(formula: str, table: str = "Holdings", columns: tuple[Any, ...] = layout.HOLDINGS_COLUMNS) -> str:
    """A per-row formula in the structured form Excel keeps for a table's calculated column
    (``A{r}`` -> ``Holdings[[#This Row],[Asset]]``), so Excel fills it into rows added to the table."""
    import re

    letters = {chr(64 + j): c.header for j, c in enumerate(columns, start=1)}
    text = re.sub(r"\$?\b([A-Z])\{r\}", lambda m: f"{table}[[#This Row],[{letters[m.group(1)]}]]", formula)
    return text.lstrip("=")


def _holdings_validations(ws: Any, first: int, last: int) -> None:
    rules = (
        ("A", Validation("list", "=PricesHeader", "Pick a ticker that heads a column of Prices."),
         "Asset", "Ticker of a column of the Prices sheet, e.g. SOL."),
        ("B", Validation("decimal", "0", "Quantity must be a number >= 0.", "greaterThanOrEqual"),
         "Quantity", "Coins held, 0 or more."),
        ("C", Validation("decimal", "0", "Price must be a number > 0 (USD).", "greaterThan"),
         "Price", "USD per coin now; type it (hedgecore template fills it with the last close in Prices)."),
    )
    for col, rule, title, prompt in rules:
        _validation(ws, rule, title, prompt, f"{col}{first}:{col}{last}")


def write_portfolio(wb: Any, st: Styles, holdings: pd.DataFrame | None, cache: CachedValues) -> None:
    """The Portfolio sheet: table ``Holdings`` (inputs and per-row formulas) with spare blank rows,
    totals above it; its range names are dynamic (:func:`write_names`)."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import TableFormula

    ws = wb.create_sheet("Portfolio", 1)
    ws.sheet_view.showGridLines = False
    ws["A1"] = "Portfolio — the altcoins to hedge"
    ws["A1"].font = st["title"]
    ws["A2"] = "Total"
    ws["A2"].font = st["h2"]
    h = layout.HOLDINGS_HEADER_ROW
    rows = [] if holdings is None else list(holdings[["Asset", "Quantity", "Price"]].itertuples(index=False))
    n = len(rows) + layout.HOLDINGS_SPARE_ROWS if rows else layout.HOLDINGS_BLANK_ROWS
    first, last = h + 1, h + n
    for j, col in enumerate(layout.HOLDINGS_COLUMNS, start=1):
        _head(ws.cell(row=h, column=j, value=col.header), st)
    for i in range(n):
        holding = (str(rows[i][0]), float(rows[i][1]), float(rows[i][2])) if i < len(rows) else None
        _holding_row(ws, st, cache, first + i, i, holding)
    last_col = get_column_letter(len(layout.HOLDINGS_COLUMNS))
    _add_table(ws, "Holdings", f"A{h}:{last_col}{last}")
    table = ws.tables["Holdings"]
    table._initialise_columns()  # noqa: SLF001 - the columns, to give them their calculated formulas
    for tc, col in zip(table.tableColumns, layout.HOLDINGS_COLUMNS):
        tc.name = col.header
        if col.formula is not None:
            tc.calculatedColumnFormula = TableFormula(attr_text=_calculated_column(col.formula))
    _holdings_totals(ws, st, cache)  # above the table, so rows can be added below it
    ws["A3"] = ("Fill Asset (a Prices header), Quantity (coins) and Price (USD) in the blank rows. Beta: to the "
                "hedge coin (Hedge sheet), simple daily returns; 2-leg betas: with the second coin.")
    ws["A3"].font = st["note"]
    _holdings_validations(ws, first, last)
    ws.freeze_panes = f"A{first}"
    for col, w in zip("ABCDEFGHIJ", (12, 14, 14, 16, 10, 16, 10, 12, 12, 13)):
        ws.column_dimensions[col].width = w
    print_setup(ws, landscape=False, title_rows=f"{h}:{h}")


# ---------------------------------------------------------------------------------------------
# Hedge
# ---------------------------------------------------------------------------------------------


def _named_row(wb: Any, ws: Any, st: Styles, r: int, spec: Any, value: Any, kind: str) -> None:
    """One row of named cells (Hedge, Backtest): label, the named cell (``kind`` "input" or "calc" style),
    name, unit, help."""
    ws.cell(row=r, column=1, value=spec.label)
    cell = ws.cell(row=r, column=2)
    if getattr(spec, "text", False) and isinstance(value, str):
        put_text(cell, value)  # a text input (hedge coin, contract) is never a formula
    else:
        cell.value = value
    cell.fill, cell.font, cell.border = st[f"{kind}_fill"], st[f"{kind}_font"], st["border"]
    if kind == "input":
        cell.alignment = st["right"]
    if spec.number_format:
        cell.number_format = spec.number_format
    ws.cell(row=r, column=3, value=spec.name).font = st["name"]
    ws.cell(row=r, column=4, value=spec.unit).font = st["name"]
    ws.cell(row=r, column=5, value=spec.help).font = st["note"]
    _define(wb, spec.name, ws.title, _abs(2, r))


def _input_value(spec: Input, settings: Mapping[str, Any]) -> Any:
    """The cell content of an input: the setting, else its default formula; blank text is an empty cell."""
    value = settings.get(spec.name)
    if value is None:
        value = spec.formula or ""
    return None if value == "" else value


def write_hedge(wb: Any, st: Styles, settings: Mapping[str, Any], cache: CachedValues) -> None:
    """The Hedge sheet: the named input cells (with validations) and the named results."""
    ws = wb.create_sheet("Hedge")
    _title(ws, st, "Hedge — size the perpetual short",
           "Yellow: inputs (defined names in column C). Grey: results. Hedge ratio and price hold default formulas; "
           "type a number to override.")
    for j, text in enumerate(("Item", "Value", "Name", "Unit", "Notes"), start=1):
        _head(ws.cell(row=layout.HEDGE_FIRST_INPUT_ROW - 1, column=j, value=text), st, center=False)
    ws.cell(row=layout.HEDGE_FIRST_INPUT_ROW - 2, column=1, value="Inputs").font = st["h2"]
    for r, spec in enumerate(layout.INPUTS, start=layout.HEDGE_FIRST_INPUT_ROW):
        value = _input_value(spec, settings)
        _named_row(wb, ws, st, r, spec, value, "input")
        if isinstance(value, str) and value.startswith("="):
            cache.put(ws.title, f"B{r}", cache.name(spec.name))
        prompt = f"{spec.help} ({spec.unit})" if spec.unit else spec.help
        _validation(ws, spec.validation, spec.label, prompt, f"B{r}")
    top = layout.HEDGE_FIRST_OUTPUT_ROW
    ws.cell(row=top - 1, column=1, value="Results (computed)").font = st["h2"]
    for r, out in enumerate(layout.OUTPUTS, start=top):
        _named_row(wb, ws, st, r, out, out.formula, "calc")
        value = cache.name(out.name)
        cache.put(ws.title, f"B{r}", value)
        if out.number_format == "General":  # a sentence (the margin verdict): wrapped in its cell
            ws.cell(row=r, column=2).alignment = st["wrap"]
            ws.row_dimensions[r].height = 15 * max(2, math.ceil(len(str(value)) / 30)) + 2
    for col, w in zip("ABCDE", (26, 27, 18, 18, 80)):
        ws.column_dimensions[col].width = w
    ws.freeze_panes = f"A{layout.HEDGE_FIRST_INPUT_ROW}"
    print_setup(ws, landscape=True)


# ---------------------------------------------------------------------------------------------
# StressTest
# ---------------------------------------------------------------------------------------------


def _shocks_table(ws: Any, st: Styles, cache: CachedValues, values: list[float]) -> tuple[int, int]:
    """Table ``Shocks``: the shocks (inputs) and, per row, the stress columns computed by
    ``SCENARIO_PNL`` with their cached values; returns the first and last data rows."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import TableFormula

    h = layout.SHOCK_HEADER_ROW
    first, last = h + 1, h + len(values)
    stress = cache.stress()
    columns = layout.SHOCKS_COLUMNS
    for j, col in enumerate(columns, start=1):
        _head(ws.cell(row=h, column=j, value=col.header), st)
        ws.cell(row=h, column=j).alignment = st["center_wrap"]  # two lines for the long names
        ws.column_dimensions[get_column_letter(j)].width = 9 if j == 1 else 12.5
        ws.column_dimensions[get_column_letter(j)].hidden = col.hidden
    ws.row_dimensions[h].height = 42
    for i, shock in enumerate(values):
        r = first + i
        c = ws.cell(row=r, column=1, value=shock)
        c.number_format, c.fill, c.font = columns[0].number_format, st["input_fill"], st["input_font"]
        for j, col in enumerate(columns[1:], start=2):
            cell = ws.cell(row=r, column=j, value=col.formula.format(r=r))
            cell.number_format, cell.fill = col.number_format, st["calc_fill"]
            cache.put(ws.title, cell.coordinate, _stress_cached(stress, col.header, i))
    _add_table(ws, "Shocks", f"A{h}:{get_column_letter(len(columns))}{last}")
    table = ws.tables["Shocks"]
    table._initialise_columns()  # noqa: SLF001 - the columns, to give them their calculated formulas
    for tc, col in zip(table.tableColumns, columns):
        tc.name = col.header
        if col.formula is not None:
            tc.calculatedColumnFormula = TableFormula(attr_text=_calculated_column(col.formula, "Shocks", columns))
    _validation(ws, Validation("decimal", "-0.99", "A shock must be a return between -99 % and +1000 %.", "between", "10"),
                "Shock", "Return of the hedge coin, e.g. -0.3 = -30 %; above -100 %.", f"A{first}:A{last}",
                allow_blank=False)
    return first, last


def _stress_cached(stress: pd.DataFrame | None, header: str, i: int) -> Any:
    """Cached value of a stress cell: the table's value (blank where it has none, e.g. the downside
    line of a rise), the chart marker's hedged value where liquidated (else #N/A)."""
    if header == layout.STRESS_CHART_COLUMN:
        if stress is None or not bool(stress["Liquidated"].iloc[i]):
            return "#N/A"
        return stress["Hedged value"].iloc[i]
    if stress is None:
        return ""
    value = stress[header].iloc[i]
    if header == "Liquidated":
        return float(value)  # 1 / 0, shown as yes / no
    return "" if isinstance(value, float) and math.isnan(value) else value


def _liquidation_line(ws: Any, st: Styles, cache: CachedValues, first: int, last: int) -> int:
    """Two points beside table Shocks that draw the liquidation price on the chart: its shock (x) from
    the lowest to the highest value (y); #N/A (no line) when no shock of the table reaches it.
    Returns the column of x."""
    from openpyxl.utils import get_column_letter

    col = len(layout.SHOCKS_COLUMNS) + 2
    x, y = get_column_letter(col), get_column_letter(col + 1)
    headers = [c.header for c in layout.SHOCKS_COLUMNS]
    values = [get_column_letter(1 + headers.index(h)) for h in ("Unhedged value", "Hedged value")]
    block = f"{values[0]}{first}:{values[1]}{last}"
    shock = "LiquidationPrice/HedgePrice-1"
    x_formula = (f"=IF(PortfolioValue=0,NA(),IF(ISNUMBER(LiquidationPrice),IF(AND({shock}>=MIN($A${first}:$A${last}),"
                 f"{shock}<=MAX($A${first}:$A${last})),{shock},NA()),NA()))")
    ws.cell(row=layout.SHOCK_HEADER_ROW - 1, column=col, value=layout.LIQUIDATION_LINE).font = st["name"]
    for j, text in enumerate(("Shock", "Value"), start=col):
        _head(ws.cell(row=layout.SHOCK_HEADER_ROW, column=j, value=text), st)
        ws.column_dimensions[get_column_letter(j)].width = 12
        ws.column_dimensions[get_column_letter(j)].hidden = True  # chart data, not printed
    xs, ys = liquidation_line(cache.report)
    for k, (y_formula, y_value) in enumerate(((f"=MIN({block})", ys[0]), (f"=MAX({block})", ys[1]))):
        r = layout.SHOCK_HEADER_ROW + 1 + k
        for column, formula, value, fmt in ((x, x_formula, xs, styles.PCT), (y, y_formula, y_value, styles.USD0)):
            cell = ws[f"{column}{r}"]
            cell.value, cell.number_format, cell.fill = formula, fmt, st["calc_fill"]
            cache.put(ws.title, cell.coordinate, value)
    return col


def _stress_chart(ws: Any, first: int, last: int, line_col: int) -> None:
    """Native scatter chart of hedged vs unhedged value across the shocks, below the block."""
    from openpyxl.chart import Reference, ScatterChart, Series

    chart = ScatterChart()
    chart.title = "Portfolio value: hedged vs unhedged"
    chart.style = 2
    chart.x_axis.title = "Shock to the hedge coin"
    chart.y_axis.title = "Value (USD)"
    chart.x_axis.number_format = "0%"
    chart.y_axis.number_format = '"$"#,##0'
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.height, chart.width = 11, 30
    chart.y_axis.crosses = "min"  # value axis at the left edge, not at shock 0
    chart.x_axis.crosses = "min"
    chart.legend.position = "b"
    chart.visible_cells_only = False  # the liquidation marks and line come from hidden columns
    xref = Reference(ws, min_col=1, min_row=first, max_row=last)
    headers = [c.header for c in layout.SHOCKS_COLUMNS]
    for colname, color in (("Unhedged value", "C00000"), ("Hedged value", "1F4E9E")):
        col = 1 + headers.index(colname)
        series = Series(Reference(ws, min_col=col, min_row=first, max_row=last), xref, title=colname)
        series.marker.symbol = "circle"
        series.graphicalProperties.line.solidFill = color
        series.graphicalProperties.line.width = 28575
        series.marker.graphicalProperties.solidFill = color
        series.smooth = False
        chart.series.append(series)
    marks = Series(Reference(ws, min_col=len(headers), min_row=first, max_row=last), xref, title="Liquidated")
    marks.marker.symbol, marks.marker.size = "x", 10
    marks.marker.graphicalProperties.line.solidFill = "E46C0A"
    marks.graphicalProperties.line.noFill = True
    chart.series.append(marks)
    top = layout.SHOCK_HEADER_ROW + 1
    line = Series(Reference(ws, min_col=line_col + 1, min_row=top, max_row=top + 1),
                  Reference(ws, min_col=line_col, min_row=top, max_row=top + 1), title="Liquidation price")
    line.marker.symbol = "none"
    line.graphicalProperties.line.solidFill = "E46C0A"
    line.graphicalProperties.line.dashStyle = "dash"
    line.graphicalProperties.line.width = 19050
    chart.series.append(line)
    ws.add_chart(chart, f"B{last + 2}")


def write_stress(wb: Any, st: Styles, shocks: Iterable[float], cache: CachedValues) -> None:
    """The StressTest sheet: table ``Shocks`` (shocks and their P&L columns) and its chart."""
    ws = wb.create_sheet("StressTest")
    _title(ws, st, "Stress test — P&L for moves of the hedge coin",
           "Edit the yellow shocks or add rows to the table (returns of the hedge coin; alts move beta x shock); "
           "the grey columns are SCENARIO_PNL. Net P&L is after liquidation where Liquidated is TRUE.")
    ws["A3"] = "Hedge coin:"
    ws["A3"].font = st["name"]
    ws["B3"] = "=HedgeAsset"
    ws["B3"].font = st["calc_font"]
    cache.put(ws.title, "B3", cache.settings.get("HedgeAsset") or "")
    first, last = _shocks_table(ws, st, cache, [float(s) for s in shocks])
    _stress_chart(ws, first, last, _liquidation_line(ws, st, cache, first, last))
    ws.freeze_panes = f"A{first}"
    print_setup(ws, landscape=True)


# ---------------------------------------------------------------------------------------------
# Funding (issue 13)
# ---------------------------------------------------------------------------------------------


def _new_days(times: pd.DatetimeIndex) -> list[int]:
    """1 on the first settlement of each UTC day, else 0 (the ``New day`` column's values)."""
    days = times.floor("D")
    return [1 if k == 0 or days[k] != days[k - 1] else 0 for k in range(len(days))]


def write_funding(wb: Any, st: Styles, funding: pd.DataFrame | None, cache: CachedValues) -> None:
    """The Funding sheet: the contract (``FundingContract``) and table ``Funding`` of its settlements.

    ``funding`` is a history as :func:`hedgecore.data.fetch.read_funding_history` returns it (UTC
    settlement times, ``funding_rate``, ``interval_hours``, ``attrs["symbol"]``), or None for an
    empty table. Times are written as naive UTC date-times; each row's ``New day`` formula gets its
    cached value.
    """
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.cell import coordinate_to_tuple

    ws = wb.create_sheet("Funding")
    _title(ws, st, "Funding — settlement history of the hedge contract",
           "Rate per settlement (positive = longs pay shorts, so a short receives); times in UTC. Written by "
           "hedgecore (template --fetch or --funding, refresh); Hedge input Funding rate from = history uses it.")
    ws["A3"] = "Contract"
    ws["A3"].font = st["name"]
    contract = "" if funding is None else str(funding.attrs.get("symbol") or "")
    cell = put_text(ws[layout.FUNDING_CONTRACT_CELL], contract) if contract else ws[layout.FUNDING_CONTRACT_CELL]
    cell.font = st["calc_font"]
    row, col = coordinate_to_tuple(layout.FUNDING_CONTRACT_CELL)
    _define(wb, layout.FUNDING_CONTRACT_NAME, "Funding", _abs(col, row))
    h, columns = layout.FUNDING_HEADER_ROW, layout.FUNDING_COLUMNS
    for j, col in enumerate(columns, start=1):
        _head(ws.cell(row=h, column=j, value=col.header), st)
        ws.column_dimensions[get_column_letter(j)].width = 18 if j == 1 else 14
    n = layout.FUNDING_BLANK_ROWS if funding is None or not len(funding) else len(funding)
    if funding is not None and len(funding):
        times = pd.DatetimeIndex(funding.index).tz_convert("UTC").tz_localize(None)
        rows = zip(times.to_pydatetime(), funding["funding_rate"].to_numpy(float),
                   funding["interval_hours"].to_numpy(float), _new_days(times))
    else:
        rows = iter(())
    for i, (t, rate, hours, new_day) in enumerate(rows, start=h + 1):
        for j, value in enumerate((t, float(rate), float(hours)), start=1):
            ws.cell(row=i, column=j, value=value)
        c = ws.cell(row=i, column=4, value=columns[3].formula.format(r=i, p=i - 1))
        cache.put(ws.title, c.coordinate, new_day)
    for i in range(h + 1, h + n + 1):
        if ws.cell(row=i, column=4).value is None:  # the blank rows of an empty table
            c = ws.cell(row=i, column=4, value=columns[3].formula.format(r=i, p=i - 1))
            cache.put(ws.title, c.coordinate, "")
        for j, col in enumerate(columns, start=1):
            ws.cell(row=i, column=j).number_format = col.number_format
            if col.formula is not None:
                ws.cell(row=i, column=j).fill = st["calc_fill"]
    _add_table(ws, "Funding", f"A{h}:{get_column_letter(len(columns))}{h + n}", style="TableStyleLight9")
    ws.freeze_panes = f"A{h + 1}"
    print_setup(ws, landscape=False, title_rows=f"{h}:{h}")
