"""The backtest in a report: its figures (Summary, json, csv), the Backtest sheet with three charts, its data.

:func:`backtest_figures` are the backtest's summary figures as report :class:`~hedgecore.report.figures.Figure`
rows (keys ``backtest_<field>``, the same keys whether or not the backtest could run, so every
row of ``summary.csv`` has the same columns); :func:`write_backtest_sheets` adds the **Backtest**
sheet (the settings, which funding, every figure, the events, native charts of the value hedged vs
unhedged with the trades and liquidations marked, the drawdowns and the cumulative funding) and
the **Backtest data** sheet with the daily series behind the charts; :func:`backtest_record` is
the json part. ``hedgecore report`` shows the workbook's own Backtest settings; ``hedgecore
backtest`` builds the same sheets from its options. openpyxl is imported inside the functions.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..backtest_cells import SUMMARY_EXTRA_LABELS, event_labels, summary_cells
from ..backtesting import BACKTEST_SUMMARY_LABELS
from ..excel import styles
from ..excel.backtest import BacktestData
from ..excel.layout import BACKTEST_SUMMARY_FORMATS
from .figures import Figure

__all__ = ["BACKTEST_FORMATS", "BACKTEST_SHOWN", "backtest_figures", "backtest_paths", "backtest_record", "settings_text",
           "write_backtest_report", "write_backtest_sheets"]

#: Backtest figures shown on the Summary sheet (the Backtest sheet, json and csv carry them all).
BACKTEST_SHOWN = frozenset({
    "policy", "total_return_hedged", "total_return_unhedged", "volatility_hedged", "volatility_unhedged",
    "variance_reduction",
    "max_drawdown_hedged", "max_drawdown_unhedged", "funding_paid_usd", "fees_usd", "trades", "liquidations",
    "liquidation_dates", "verdict",
})
_FIRST = ("policy", "verdict")  # shown before the other figures, in this order
_SECTION = "Backtest"
_EVENTS_SHOWN = 60  # rows of the events table on the Backtest sheet
_DATA = "Backtest data"
#: Columns of the Backtest data sheet: (daily field or marker, header, number format).
_DATA_COLUMNS = (
    ("date", "Date", styles.DATE),
    ("hedged_usd", "Hedged value (USD)", styles.USD0),
    ("unhedged_usd", "Unhedged value (USD)", styles.USD0),
    ("drawdown_hedged", "Drawdown hedged", styles.PCT),
    ("drawdown_unhedged", "Drawdown unhedged", styles.PCT),
    ("cum_funding_usd", "Funding paid so far (USD)", styles.USD0),
    ("cum_fees_usd", "Fees so far (USD)", styles.USD0),
    ("cum_deposits_usd", "Deposits so far (USD)", styles.USD0),
    ("hedge_ratio", "Beta then", styles.BETA),
    ("contracts", "Contracts", styles.COUNT),
    ("margin_balance", "Margin balance", styles.COIN),
    ("liquidation_price_usd", "Liquidation price (USD)", styles.USD_PRICE),
    ("event", "Event", "@"),
    ("trade_marker", "Trade (value)", styles.USD0),
    ("liquidation_marker", "Liquidation (value)", styles.USD0),
)


def settings_text(data: BacktestData) -> str:
    """The Backtest inputs in one line (``threshold 10 % drift, rolling 90-day beta, ...``)."""
    b = data.settings
    policy = {"none": "no rebalancing", "periodic": f"rebalanced every {b['BacktestEveryDays']:g} days",
              "threshold": f"rebalanced at {b['BacktestThreshold']:.0%} drift"}[b["BacktestPolicy"]]
    beta = (f"rolling {b['BacktestWindow']:g}-day beta" if b["BacktestBeta"] == "rolling"
            else f"EWM beta (half-life {b['BacktestHalfLife']:g} days, from day {b['BacktestWindow']:g})")
    reopen = "never reopened" if b["BacktestReopenDays"] is None else f"reopened {b['BacktestReopenDays']:g} days after a liquidation"
    cooldown = f", {b['BacktestCooldownDays']:g}-day cooldown" if b["BacktestCooldownDays"] else ""
    o = data.options
    unit = o.get("hedge_asset") or "coins" if o.get("contract_type", "inverse") == "inverse" else "USDT"
    return (f"{policy}{cooldown}, {beta}, {b['BacktestFeeBps']:g} bps fee + {b['BacktestSlippageBps']:g} bps "
            f"slippage, {reopen}, collateral {data.collateral:,.6g} {unit}")


def backtest_figures(data: BacktestData | None) -> list[Figure]:
    """The backtest's figures, keys ``backtest_<field>``; values None (and ``backtest_error``) when it could not run."""
    if data is None:
        return []
    values = {k: v for k, _, v in summary_cells(data.result)} if data.result is not None else {}
    source = "the workbook's Backtest sheet" if data.from_workbook else "defaults (the workbook has no Backtest sheet)"
    figs = [
        Figure("backtest_settings", _SECTION, "Settings", settings_text(data), note=f"from {source}", shown=False),
        Figure("backtest_funding", _SECTION, "Funding used", data.funding, shown=False),
        Figure("backtest_error", _SECTION, "Not computed", data.error, shown=bool(data.error)),
    ]
    labels = (*BACKTEST_SUMMARY_LABELS, *SUMMARY_EXTRA_LABELS)
    for key, label in sorted(labels, key=lambda kl: _FIRST.index(kl[0]) if kl[0] in _FIRST else len(_FIRST)):
        shown = key in BACKTEST_SHOWN and data.result is not None
        figs.append(Figure(f"backtest_{key}", _SECTION, label, values.get(key),
                           BACKTEST_SUMMARY_FORMATS.get(key, "General"), _note(key, data), shown=shown))
    return figs


def _note(key: str, data: BacktestData) -> str:
    if key == "policy":
        return settings_text(data)
    if key == "funding_paid_usd":
        return data.funding
    if key == "liquidations" and data.result is not None:
        return f"checked on the daily {data.result.liquidation_check}"
    if key == "total_return_hedged":
        return "time-weighted: deposits to reopen are not gains"
    return ""


def backtest_record(data: BacktestData | None) -> dict[str, Any] | None:
    """The json part: settings, funding, error, and the events (the summary is in the report's ``summary``)."""
    if data is None:
        return None
    from .records import json_value

    events = [] if data.result is None else [
        {k: json_value(v.to_pydatetime() if isinstance(v, pd.Timestamp) else v) for k, v in row.items()}
        for row in data.result.events.to_dict(orient="records")]
    return {"settings": {k: json_value(v) for k, v in data.settings.items()}, "from_workbook": data.from_workbook,
            "funding": data.funding, "error": data.error, "events": events}


# --------------------------------------------------------------------------- sheets


def _data_sheet(wb: Any, data: BacktestData, at: int) -> Any:
    """The daily series behind the charts (values; a marker cell is empty where nothing happened)."""
    from .xlsx import _cell_value, _print_newest_rows

    st = styles.report_styles()
    ws = wb.create_sheet(_DATA, at)
    ws.sheet_view.showGridLines = False
    d = data.result.daily
    events = event_labels(data.result)
    columns = {f: d[f].to_numpy() for f, _, _ in _DATA_COLUMNS if f in d.columns}
    hedged = d["hedged_usd"].to_numpy()
    for j, (_, head, _) in enumerate(_DATA_COLUMNS, start=1):
        c = ws.cell(row=1, column=j, value=head)
        c.font, c.fill, c.alignment = st["head"], st["head_fill"], st["center"]
        ws.column_dimensions[c.column_letter].width = 12 if j == 1 else 15
    for i, when in enumerate(d.index):
        event = events[i]
        values = {"date": when.to_pydatetime(), "event": event or None,
                  "trade_marker": hedged[i] if event and event != "liquidation" else None,
                  "liquidation_marker": hedged[i] if event.startswith("liquidation") else None}
        for j, (f, _, fmt) in enumerate(_DATA_COLUMNS, start=1):
            v = values[f] if f in values else columns[f][i]
            c = ws.cell(row=i + 2, column=j, value=_cell_value(v))
            c.number_format = fmt
    ws.freeze_panes = "A2"
    ws.page_setup.orientation = "landscape"
    _print_newest_rows(ws)  # the sheet keeps every row; it prints the newest
    return ws


def _charts(ws: Any, src: Any, data: BacktestData) -> None:
    """Value with the trades and liquidations marked, drawdowns, cumulative funding: at I4, I26, I48."""
    from ..backtest_cells import excel_serial
    from ..excel.backtest_sheet import BLACK, BLUE, GREEN, RED, equity_chart

    n = len(data.result.daily)
    col = {f: j for j, (f, _, _) in enumerate(_DATA_COLUMNS, start=1)}
    coin = data.result.hedge_asset
    charts = (
        ([(col["unhedged_usd"], "Unhedged", RED, False), (col["hedged_usd"], "Hedged", BLUE, False),
          (col["trade_marker"], "Trade", GREEN, True), (col["liquidation_marker"], "Liquidation", BLACK, True)],
         f"Value: hedged vs unhedged ({coin} short; trades ▲, liquidations ×)", "Value (USD)", '"$"#,##0'),
        ([(col["drawdown_unhedged"], "Unhedged", RED, False), (col["drawdown_hedged"], "Hedged", BLUE, False)],
         "Drawdown from the running peak (time-weighted)", "Drawdown", "0%"),
        ([(col["cum_funding_usd"], "Funding paid (negative = received)", BLUE, False),
          (col["cum_fees_usd"], "Fees and slippage", RED, False)],
         "Funding and fees so far", "USD", '"$"#,##0'),
    )
    first, last = (excel_serial(t) for t in data.result.daily.index[[0, -1]])
    for k, (series, title, y_title, y_fmt) in enumerate(charts):
        chart = equity_chart(src, 1, 2, n + 1, series, title, f"I{4 + 22 * k}", y_title=y_title, y_format=y_fmt,
                             place=ws)
        chart.x_axis.scaling.min, chart.x_axis.scaling.max = first, last
        chart.height, chart.width = 10.0, 20.0


def _events_table(ws: Any, st: dict[str, Any], data: BacktestData, top: int) -> None:
    from .xlsx import _write_table

    e = data.result.events
    unit = data.result.margin_unit
    title = f"Events ({len(e)}: trades, liquidations, reopens)"
    if len(e) > _EVENTS_SHOWN:
        title = f"Events: the first {_EVENTS_SHOWN} of {len(e)} (all of them: column Event of sheet {_DATA}, and json)"
        e = e.iloc[:_EVENTS_SHOWN]
    rows = zip((d.to_pydatetime() for d in e["date"]), e["event"], e["price_usd"], e["contracts_before"],
               e["contracts_after"], e["cost_usd"], e["margin_balance"])
    _write_table(ws, st, top, title,
                 ("Date", "Event", "Price (USD)", "Contracts before", "Contracts after", "Cost (USD)", f"Margin after ({unit})"),
                 rows, (styles.DATE, "@", styles.USD_PRICE, styles.COUNT, styles.COUNT, styles.USD, styles.COIN))


def write_backtest_sheets(wb: Any, data: BacktestData | None, *, at: int, title: str) -> None:
    """The Backtest sheet (and Backtest data) at position ``at``; one line of why when it could not run."""
    if data is None:
        return
    from openpyxl.worksheet.properties import PageSetupProperties

    from .xlsx import _figure_rows, _put

    st = styles.report_styles()
    ws = wb.create_sheet("Backtest", at)
    ws.sheet_view.showGridLines = False
    _put(ws["A1"], title).font = st["title"]
    r = data.result
    if r is not None:
        ws["A2"] = (f"{r.hedge_asset} {r.contract_type} short, {r.summary.start.date()} to {r.summary.end.date()} "
                    f"({len(r.daily):,} days); {settings_text(data)}. Funding: {data.funding}. Liquidation checked "
                    f"on the daily {r.liquidation_check}. Computed by hedgecore.backtest; values, not formulas.")[:1000]
    else:
        ws["A2"] = f"The backtest could not run: {data.error}"
    ws["A2"].font = st["subtitle"]
    in_title = ("backtest_settings", "backtest_funding")  # in line 2 already
    row = _figure_rows(ws, st, [Figure(f.key, f.section, f.label, f.value, f.number_format, f.note,
                                       shown=f.value not in (None, "") and f.key not in in_title)
                                for f in backtest_figures(data)], 4)
    if r is not None:
        _events_table(ws, st, data, row)
        _charts(ws, _data_sheet(wb, data, at + 1), data)
    for col, width in zip("ABCDEFGH", (38, 22, 14, 14, 14, 14, 14, 2)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A4"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 2
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:2"


# --------------------------------------------------------------------------- hedgecore backtest


#: Formats ``hedgecore backtest`` writes.
BACKTEST_FORMATS = ("xlsx", "json", "csv")


def backtest_paths(source: Any, outdir: Any, fmt: str) -> tuple[Any, ...]:
    """``<stem>-backtest.xlsx|json``, or ``<stem>-backtest-summary.csv`` and ``<stem>-backtest-daily.csv``."""
    from pathlib import Path

    stem, out = Path(source).stem, Path(outdir)
    if fmt == "csv":
        return out / f"{stem}-backtest-summary.csv", out / f"{stem}-backtest-daily.csv"
    return (out / f"{stem}-backtest.{fmt}",)


def _daily_frame(data: BacktestData) -> pd.DataFrame:
    """The daily table with its dates as text (with the time for intraday bars) and the events."""
    d = data.result.daily.reset_index()
    d["Date"] = [t.date().isoformat() if t == t.normalize() else t.isoformat(sep=" ") for t in d["Date"]]
    d["event"] = event_labels(data.result)
    return d


def write_backtest_report(data: BacktestData, source: Any, outdir: Any, fmt: str = "xlsx", *,
                          overwrite: bool = False) -> tuple[Any, ...]:
    """Write one backtest (``hedgecore backtest``) atomically: the Backtest sheets, json, or csv; the paths."""
    import json
    from pathlib import Path

    from .._atomic import atomic_write
    from .records import json_value, write_csv

    if fmt not in BACKTEST_FORMATS:
        raise ValueError(f"format must be one of {', '.join(BACKTEST_FORMATS)}")
    targets = backtest_paths(source, outdir, fmt)
    if any(Path(t).resolve() == Path(source).resolve() for t in targets):
        raise FileExistsError(f"{targets[0]} is the input file; choose another output folder")
    Path(outdir).mkdir(parents=True, exist_ok=True)
    figures = {f.key: json_value(f.value) for f in backtest_figures(data)}
    if fmt == "xlsx":
        import io

        from openpyxl import Workbook

        wb = Workbook()
        write_backtest_sheets(wb, data, at=0, title=f"Backtest — {Path(source).name}")
        del wb[wb.sheetnames[-1]]  # openpyxl's empty first sheet
        buf = io.BytesIO()
        wb.save(buf)
        atomic_write(targets[0], lambda tmp: tmp.write_bytes(buf.getvalue()), overwrite=overwrite)
    elif fmt == "json":
        record = {"source": Path(source).name, "summary": figures, **backtest_record(data),
                  "daily": [] if data.result is None else
                  [{k: json_value(v) for k, v in row.items()} for row in _daily_frame(data).to_dict(orient="records")]}
        text = json.dumps(record, indent=1, allow_nan=False) + "\n"
        atomic_write(targets[0], lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite)
    else:
        summary = pd.DataFrame({"key": list(figures), "value": list(figures.values())})
        daily = _daily_frame(data) if data.result is not None else pd.DataFrame()
        for target, frame in zip(targets, (summary, daily)):
            atomic_write(target, lambda tmp, frame=frame: write_csv(tmp, frame), overwrite=overwrite)
    return targets
