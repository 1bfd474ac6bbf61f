"""The backtest at the edges: the template's Backtest sheet, reading it back, and the report.

Every number is compared with ``hedgecore.backtest`` on the same inputs (the shipped example:
the basket of templates/example_holdings.csv, Binance ETHUSD_PERP on 10 ETH, funding 0.01 % per
settlement, a 3-day cooldown, reopening 7 days after a liquidation), so the sheet's cached
cells, the reader, the report's xlsx, json and csv and the core say the same thing.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

openpyxl = pytest.importorskip("openpyxl")

import hedgecore as hc  # noqa: E402
from hedgecore.backtest_cells import backtest_id, excel_serial  # noqa: E402
from hedgecore.errors import WorkbookError  # noqa: E402
from hedgecore.excel import read_workbook, write_template  # noqa: E402
from hedgecore.excel.backtest import compute_backtest  # noqa: E402
from hedgecore.excel.layout import (  # noqa: E402
    BACKTEST_DEFAULTS,
    BACKTEST_ID_ROW,
    BACKTEST_INPUT_NAMES,
    BACKTEST_TABLE,
    BACKTEST_TABLE_COL,
    BACKTEST_TABLE_HEADER_ROW,
)
from hedgecore.report import compute_report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "templates" / "example_portfolio.xlsx"
EMPTY = ROOT / "templates" / "hedge_template.xlsx"
DATA = ROOT / "data" / "market" / "prices_daily"
BASKET = {"SOL": 120.0, "AVAX": 350.0, "DOT": 1600.0, "LINK": 800.0, "ADA": 22000.0, "XRP": 20000.0}
#: The example's Hedge and Backtest settings as hedgecore.backtest arguments.
EXAMPLE_OPTIONS = dict(collateral_coin=10.0, funding=0.0001, maintenance_rate=0.005, policy="threshold", threshold=0.1,
                       cooldown_days=3.0, window=90, fee_bps=5.0, slippage_bps=2.0, reopen_after_days=7.0)


@pytest.fixture(scope="module")
def core():
    """hedgecore.backtest on the example's data, called directly."""
    prices = hc.load_prices(DATA, assets=[*BASKET, "ETH", "BTC"]).loc[:"2024-04-09"]
    return hc.backtest(prices, BASKET, "binance:ETHUSD_PERP", **EXAMPLE_OPTIONS)


def _sheet(path: Path):
    return openpyxl.load_workbook(path, data_only=True)["Backtest"]


# --------------------------------------------------------------------------- template


def test_example_sheet_caches_the_core_backtest(core):
    ws = _sheet(EXAMPLE)
    assert ws.cell(row=BACKTEST_ID_ROW, column=2).value == backtest_id(core)
    summary = {ws.cell(row=r, column=3).value: ws.cell(row=r, column=2).value
               for r in range(BACKTEST_ID_ROW + 1, BACKTEST_ID_ROW + 40)}
    s = core.summary
    assert summary["volatility_hedged"] == pytest.approx(s.volatility_hedged, rel=1e-12)
    assert summary["max_drawdown_unhedged"] == pytest.approx(s.max_drawdown_unhedged, rel=1e-12)
    assert summary["liquidations"] == s.liquidations == 3
    assert summary["liquidation_dates"] == "2021-04-14, 2021-05-01, 2021-11-08"
    assert summary["funding_source"] == "constant"
    fields = [f for f, _, _ in BACKTEST_TABLE]
    n = len(core.daily)
    for k in (1, 300, n):
        row = BACKTEST_TABLE_HEADER_ROW + k
        assert ws.cell(row=row, column=BACKTEST_TABLE_COL + fields.index("hedged_usd")).value == pytest.approx(
            core.daily["hedged_usd"].iloc[k - 1], rel=1e-12)
        date = ws.cell(row=row, column=BACKTEST_TABLE_COL).value
        assert excel_serial(date) == excel_serial(core.daily.index[k - 1])
    assert ws.cell(row=BACKTEST_TABLE_HEADER_ROW + n + 1, column=BACKTEST_TABLE_COL).value is None  # exactly n rows


def test_example_inputs_are_named_validated_and_read_back():
    wb = openpyxl.load_workbook(EXAMPLE)
    ws = wb["Backtest"]
    for name in (*BACKTEST_INPUT_NAMES, "BacktestId", "PricesWithDates"):
        assert name in wb.defined_names, name
    validated = {str(r) for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges}
    assert {f"B{r}" for r in range(5, 5 + len(BACKTEST_INPUT_NAMES))} <= validated
    w = read_workbook(EXAMPLE)
    assert w.backtest == {**BACKTEST_DEFAULTS, "BacktestCooldownDays": 3.0, "BacktestReopenDays": 7.0}
    assert w.cells["BacktestPolicy"] == "Backtest!B5"


def test_empty_template_opens_blank():
    ws = _sheet(EMPTY)
    assert ws.cell(row=BACKTEST_ID_ROW, column=2).value is None  # cached ""
    assert ws.cell(row=BACKTEST_TABLE_HEADER_ROW + 1, column=BACKTEST_TABLE_COL + 1).value is None
    assert ws.cell(row=BACKTEST_TABLE_HEADER_ROW, column=BACKTEST_TABLE_COL).value == "Date"


def test_backtest_settings_are_checked_when_writing(tmp_path):
    with pytest.raises(WorkbookError, match=r"BacktestPolicy must be one of none, periodic, threshold"):
        write_template(tmp_path / "x.xlsx", settings={"BacktestPolicy": "sometimes"})
    with pytest.raises(WorkbookError, match=r"BacktestWindow must be a whole number of days, 2 or more"):
        write_template(tmp_path / "x.xlsx", settings={"BacktestWindow": "1.5"})
    path = write_template(tmp_path / "ok.xlsx", holdings=ROOT / "templates" / "example_holdings.csv", prices=DATA,
                          settings={"Collateral": 100, "BacktestPolicy": "none", "BacktestReopenDays": ""},
                          assets=[*BASKET, "ETH"])
    w = read_workbook(path)
    assert w.backtest["BacktestPolicy"] == "none" and w.backtest["BacktestReopenDays"] is None
    r = compute_report(w.holdings, w.prices, w.shocks, dict(w.settings), backtest=w.backtest)
    assert r.backtest.result.summary.trades == 1 and r.backtest.collateral == 100


def _edited(tmp_path: Path, cell: str, value) -> Path:
    wb = openpyxl.load_workbook(EXAMPLE)
    wb["Backtest"][cell] = value
    out = tmp_path / "edited.xlsx"
    wb.save(out)
    return out


@pytest.mark.parametrize("cell, value, message", [
    ("B5", "sometimes", r"sheet Backtest, cell B5: BacktestPolicy must be one of none, periodic, threshold"),
    ("B10", 0.5, r"sheet Backtest, cell B10: BacktestWindow must be a whole number"),
    ("B12", -5, r"sheet Backtest, cell B12: BacktestFeeBps must be zero or positive"),
    ("B9", None, r"sheet Backtest, cell B9: BacktestBeta is blank"),
])
def test_a_bad_backtest_cell_is_named(tmp_path, cell, value, message):
    with pytest.raises(WorkbookError, match=message):
        read_workbook(_edited(tmp_path, cell, value))


def test_a_workbook_without_the_backtest_sheet_uses_the_defaults(tmp_path, core):
    wb = openpyxl.load_workbook(EXAMPLE)
    del wb["Backtest"]
    for name in (*BACKTEST_INPUT_NAMES, "BacktestId"):
        del wb.defined_names[name]
    old = tmp_path / "old.xlsx"
    wb.save(old)
    w = read_workbook(old)
    assert w.backtest is None
    r = compute_report(w.holdings, w.prices, w.shocks, dict(w.settings), backtest=w.backtest)
    assert not r.backtest.from_workbook and r.backtest.settings == dict(BACKTEST_DEFAULTS)
    # the defaults: no cooldown, never reopened: liquidated once (2021-04-14), then unhedged
    assert r.backtest.result.summary.liquidation_dates == (pd.Timestamp("2021-04-14"),)


def test_a_backtest_that_cannot_run_is_one_line_not_a_failed_report(tmp_path):
    w = read_workbook(EXAMPLE)
    data = compute_backtest(w.holdings, w.prices, dict(w.settings), {"BacktestWindow": 5000})
    assert data.result is None and data.id == ""
    assert data.error.startswith("not enough price history") and "BacktestWindow" in data.error
    data = compute_backtest(w.holdings, w.prices, {**w.settings, "Collateral": 0.0})
    assert data.error == ("BacktestCollateral (blank: the Hedge sheet's Collateral) must be positive: an inverse "
                          "short needs hedge-coin margin")


# --------------------------------------------------------------------------- report


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    for fmt in ("xlsx", "json", "csv"):
        done = subprocess.run([sys.executable, "-m", "hedgecore", "report", str(EXAMPLE), "-o", str(out / fmt),
                               "--format", fmt], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    return out


def test_report_backtest_sheet_equals_the_core(reports, core):
    wb = openpyxl.load_workbook(reports / "xlsx" / "example_portfolio-report.xlsx")
    assert wb.sheetnames[wb.sheetnames.index("Rolling beta") + 1:][:2] == ["Backtest", "Backtest data"]
    ws = wb["Backtest"]
    figures = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(1, 60)}
    s = core.summary
    assert figures["Volatility, hedged (annualised)"] == pytest.approx(s.volatility_hedged, rel=1e-12)
    assert figures["Funding paid (USD, negative = received)"] == pytest.approx(s.funding_paid_usd, rel=1e-12)
    assert figures["Collateral deposited to reopen (USD)"] == pytest.approx(s.deposits_usd, rel=1e-12)
    assert "constant 0.0100 % per funding interval" in ws["A2"].value and "close" in ws["A2"].value
    assert len(ws._charts) == 3  # noqa: SLF001 - value with markers, drawdowns, funding
    data = wb["Backtest data"]
    assert data.max_row == len(core.daily) + 1
    hedged = [data.cell(row=i, column=2).value for i in range(2, data.max_row + 1)]
    assert hedged == pytest.approx(core.daily["hedged_usd"].tolist(), rel=1e-12)
    liquidation_marks = [data.cell(row=i, column=15).value for i in range(2, data.max_row + 1)]
    assert sum(v is not None for v in liquidation_marks) == 3
    summary = openpyxl.load_workbook(reports / "xlsx" / "example_portfolio-report.xlsx")["Summary"]
    labels = [summary.cell(row=r, column=1).value for r in range(1, summary.max_row + 1)]
    assert "Backtest" in labels and "Variance reduction" in labels


def test_report_json_and_csv_carry_the_backtest(reports, core):
    report = json.loads((reports / "json" / "example_portfolio-report.json").read_text())
    s = report["summary"]
    assert s["backtest_volatility_unhedged"] == pytest.approx(core.summary.volatility_unhedged, rel=1e-12)
    assert s["backtest_trades"] == core.summary.trades and s["backtest_error"] == ""
    assert report["backtest"]["from_workbook"] is True
    assert [e["event"] for e in report["backtest"]["events"]] == core.events["event"].tolist()
    with open(reports / "csv" / "summary.csv", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert float(row["backtest_variance_reduction"]) == pytest.approx(core.summary.variance_reduction, rel=1e-12)


def test_report_of_a_workbook_whose_backtest_cannot_run(tmp_path):
    wb = openpyxl.load_workbook(EXAMPLE)
    wb["Backtest"]["B10"] = 5000  # BacktestWindow: more than the history
    src = tmp_path / "long.xlsx"
    wb.save(src)
    done = subprocess.run([sys.executable, "-m", "hedgecore", "report", str(src), "-o", str(tmp_path / "out"),
                           "--format", "json"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    s = json.loads((tmp_path / "out" / "long-report.json").read_text())["summary"]
    assert s["backtest_error"].startswith("not enough price history") and s["backtest_volatility_hedged"] is None


# --------------------------------------------------------------------------- the catalog's defaults


def test_a_catalog_contract_brings_its_tiers_step_and_interval():
    """binance:ETHUSDT (contracts.csv, tiers.csv): 12 maintenance tiers, a 0.001 ETH step, 8 h funding."""
    prices = hc.load_prices(DATA, assets=["SOL", "ETH"]).loc["2023-01-01":"2023-12-31"]
    r = hc.backtest(prices, {"SOL": 20_000}, "binance:ETHUSDT", collateral_usd=400_000, funding=0.0001)
    spec = hc.get_contract("binance:ETHUSDT")
    n, m, p = (float(r.daily[c].iloc[0]) for c in ("contracts", "margin_balance", "hedge_price_usd"))
    assert n == pytest.approx(round(n / spec.qty_step) * spec.qty_step, abs=1e-9) and not float(n).is_integer()
    # the liquidation price is the core's with the catalog's tier table (above 600,000 USD: tier 3)
    assert n * p > 600_000
    want = hc.liquidation_price(p, n, m, side="short", contract_type="linear", contract_size=1.0,
                                brackets=spec.tiers)
    assert float(r.daily["liquidation_price_usd"].iloc[0]) == pytest.approx(want, rel=1e-12)
    one_tier = hc.backtest(prices, {"SOL": 20_000}, "binance:ETHUSDT", collateral_usd=400_000, funding=0.0001,
                           maintenance_rate=0.004)
    assert one_tier.daily["liquidation_price_usd"].iloc[0] != pytest.approx(want, rel=1e-6)
    # three settlements a day at the 8 h interval: the funding received on a day's row is 3 x rate x notional
    day = r.daily.iloc[1:3]
    received = -(day["cum_funding_usd"].iloc[1] - day["cum_funding_usd"].iloc[0])
    assert received == pytest.approx(3 * 0.0001 * n * day["hedge_price_usd"].iloc[1], rel=1e-12)
