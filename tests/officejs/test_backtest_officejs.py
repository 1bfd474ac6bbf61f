"""HEDGE_BACKTEST, BACKTEST_DAILY and BACKTEST_SUMMARY through xlwings' Office.js dispatch.

The price table goes in as Office.js sends it (a header row, then a serial day number and the
closes per row: Lite hands dates over as serials, EXCEL.md §3); the numbers that come back are
compared with ``hedgecore.backtest`` on the same data (the bundled closes and the example's
basket), and with what the shipped example's Backtest sheet caches in its cells.
"""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from excel_harness import NOT_AVAILABLE, metadata, run_udf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_officejs import arguments, check

import hedgecore as hc
from hedgecore.backtest_cells import backtest_id, excel_serial

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "market" / "prices_daily"
EXAMPLE = ROOT / "templates" / "example_portfolio.xlsx"
BASKET = {"SOL": 120.0, "AVAX": 350.0, "DOT": 1600.0, "LINK": 800.0, "ADA": 22000.0, "XRP": 20000.0}
#: The example's settings (templates/example_portfolio.xlsx: Hedge and Backtest sheets).
OPTIONS = dict(collateral_coin=10.0, policy="threshold", threshold=0.1, hedge_ratio="rolling", window=90,
               halflife=30.0, fee_bps=5.0, slippage_bps=2.0, funding=0.0001, reopen_after_days=7.0,
               cooldown_days=3.0, every_days=7.0, maintenance_rate=0.005)
ARGS = ("binance:ETHUSD_PERP", 10.0, "ETH", "inverse", "threshold", 0.1, "rolling", 90, 30, 5, 2, 0.0001, 7, 3, 7,
        0.005)


@pytest.fixture(scope="module")
def prices():
    return hc.load_prices(DATA, assets=[*BASKET, "ETH", "BTC"]).loc[:"2024-04-09"]


def office_table(frame):
    """A price DataFrame as Office.js sends a table: header row, serial day numbers, blanks as None."""
    rows = [["Date", *frame.columns]]
    for when, values in zip(frame.index, frame.to_numpy()):
        rows.append([excel_serial(when), *(None if math.isnan(v) else float(v) for v in values)])
    return rows


@pytest.fixture(scope="module")
def example(main_module, prices):
    name = run_udf(main_module, "hedge_backtest", office_table(prices), list(BASKET), list(BASKET.values()), *ARGS)
    return name[0][0], hc.backtest(prices, BASKET, "binance:ETHUSD_PERP", **OPTIONS)


def test_registered_with_its_arguments(main_module):
    meta = {f["id"]: f for f in metadata(main_module)["functions"]}
    params = [p["name"] for p in meta["HEDGE_BACKTEST"]["parameters"]]
    assert params[:5] == ["prices", "assets", "quantities", "contract", "collateral"]
    assert [p["name"] for p in meta["BACKTEST_DAILY"]["parameters"]] == ["backtest", "row", "column"]
    assert [p["name"] for p in meta["BACKTEST_SUMMARY"]["parameters"]] == ["backtest", "field"]
    enums = {e["id"]: {v["stringValue"] for v in e["values"]} for e in metadata(main_module)["enums"]}
    policy = next(p for p in meta["HEDGE_BACKTEST"]["parameters"] if p["name"] == "policy")
    assert enums[policy["customEnumId"]] == set(hc.POLICIES)


def test_the_name_is_the_core_result_s(example):
    name, result = example
    assert name == backtest_id(result)
    assert name.startswith("ETH threshold 2021-04-03 to 2024-04-09 #")


def test_daily_cells_equal_the_core(main_module, example):
    name, result = example
    d = result.daily
    for row in (1, 12, 500, len(d)):
        got = run_udf(main_module, "backtest_daily", name, row, "hedged_usd")
        assert got == [[pytest.approx(d["hedged_usd"].iloc[row - 1], rel=1e-15)]]
    assert run_udf(main_module, "backtest_daily", name, 1, "date") == [[excel_serial("2021-04-03")]]
    assert run_udf(main_module, "backtest_daily", name, 1, "event") == [["open"]]
    assert run_udf(main_module, "backtest_daily", name, 2, "event") == [["hold"]]
    liquidated = int(np.flatnonzero(d["liquidated"].to_numpy())[0]) + 1
    assert run_udf(main_module, "backtest_daily", name, liquidated, "event") == [["liquidation"]]
    assert run_udf(main_module, "backtest_daily", name, liquidated, "liquidation_price_usd") == [["none"]]  # no short
    assert run_udf(main_module, "backtest_daily", name, liquidated, "liquidated") == [[True]]
    # past the last row: #N/A, a gap in Excel's charts
    assert run_udf(main_module, "backtest_daily", name, len(d) + 1, "hedged_usd") == [[NOT_AVAILABLE]]


def test_the_whole_table_spills_with_a_header(main_module, example):
    name, result = example
    out = run_udf(main_module, "backtest_daily", name)
    assert len(out) == len(result.daily) + 1 and len(out[0]) == len(hc.BACKTEST_COLUMNS) + 2
    assert out[0][0] == "Date" and out[0][-1] == "Event" and "Margin balance (ETH)" in out[0]
    col = out[0].index("Drawdown, hedged")
    assert [r[col] for r in out[1:]] == pytest.approx(result.daily["drawdown_hedged"].tolist(), rel=1e-15)
    column = run_udf(main_module, "backtest_daily", name, None, "contracts")
    assert [r[0] for r in column] == result.daily["contracts"].tolist()
    row = run_udf(main_module, "backtest_daily", name, 3)
    assert len(row) == 1 and row[0][out[0].index("Contracts")] == result.daily["contracts"].iloc[2]


def test_summary_equals_the_core(main_module, example):
    name, result = example
    s = result.summary
    assert run_udf(main_module, "backtest_summary", name, "volatility_hedged") == [[pytest.approx(s.volatility_hedged,
                                                                                                  rel=1e-15)]]
    assert run_udf(main_module, "backtest_summary", name, "Liquidations") == [[3.0]]  # a label works too
    dates = ", ".join(d.date().isoformat() for d in s.liquidation_dates)
    assert run_udf(main_module, "backtest_summary", name, "liquidation_dates") == [[dates]]
    assert run_udf(main_module, "backtest_summary", name, "funding_source") == [["constant"]]
    table = run_udf(main_module, "backtest_summary", name)
    assert table[0] == ["Start", "2021-04-03"] and dict(table)["Trades"] == s.trades


def test_the_example_sheet_caches_what_the_functions_answer(main_module, example):
    """The shipped example's Backtest cells (written by hedgecore) hold the dispatch's answers."""
    openpyxl = pytest.importorskip("openpyxl")
    from hedgecore.excel.layout import BACKTEST_ID_ROW, BACKTEST_TABLE, BACKTEST_TABLE_COL, BACKTEST_TABLE_HEADER_ROW

    name, result = example
    ws = openpyxl.load_workbook(EXAMPLE, data_only=True)["Backtest"]
    assert ws.cell(row=BACKTEST_ID_ROW, column=2).value == name
    summary = {ws.cell(row=r, column=3).value: ws.cell(row=r, column=2).value  # field name in C, value in B
               for r in range(BACKTEST_ID_ROW + 1, BACKTEST_TABLE_HEADER_ROW + 40)}
    assert summary["total_return_hedged"] == pytest.approx(result.summary.total_return_hedged)
    assert summary["verdict"] == result.summary.verdict == run_udf(main_module, "backtest_summary", name, "verdict")[0][0]
    fields = [f for f, _, _ in BACKTEST_TABLE]
    for row in (1, 12, 700):
        for field in ("hedged_usd", "contracts", "cum_funding_usd", "event"):
            cached = ws.cell(row=BACKTEST_TABLE_HEADER_ROW + row, column=BACKTEST_TABLE_COL + fields.index(field)).value
            assert run_udf(main_module, "backtest_daily", name, row, field) == [[cached]], (row, field)


def test_blank_name_is_blank_and_a_forgotten_one_says_recalculate(main_module):
    assert run_udf(main_module, "backtest_daily", None, 3, "hedged_usd") == [[""]]
    assert run_udf(main_module, "backtest_summary", "") == [[""]]
    with pytest.raises(ValueError, match=r"no longer in memory: recalculate"):
        run_udf(main_module, "backtest_daily", "ETH threshold 2021-04-03 to 2024-04-09 #0123456789", 1, "date")
    with pytest.raises(ValueError, match=r"backtest must be the name HEDGE_BACKTEST returns"):
        run_udf(main_module, "backtest_summary", 42)


@pytest.mark.parametrize(
    "change, match",
    [
        ({4: "sometimes"}, r'policy must be one of "none", "periodic", "threshold"'),
        ({1: 0}, r"collateral must be positive"),
        ({7: 5000}, r"not enough price history"),
        ({6: "kalman"}, r'hedge_ratio must be one of "rolling", "ewm"'),
        ({12: -1}, r"reopen_days must be zero or positive"),
    ],
)
def test_bad_options_are_one_line_naming_the_argument(main_module, prices, change, match):
    args = list(ARGS)
    for k, v in change.items():
        args[k] = v
    with pytest.raises(ValueError, match=match) as info:
        run_udf(main_module, "hedge_backtest", office_table(prices.iloc[-400:]), list(BASKET), list(BASKET.values()),
                *args)
    assert len(str(info.value)) < 255 and "\n" not in str(info.value)


def test_bad_tables_are_one_line(main_module, prices):
    table = office_table(prices.iloc[-200:])
    qty = list(BASKET.values())
    bad_close = [row[:] for row in table]
    bad_close[5][2] = "n/a"
    for args, match in [
        ((bad_close, list(BASKET), qty), r"the close of AVAX in row 6 is not a number"),
        ((table[:2], list(BASKET), qty), r"prices must be a table"),
        ((table, list(BASKET), qty[:-1]), r"assets and quantities must have the same length"),
        ((table, [*BASKET][:-1] + ["PEPE"], qty), r"PEPE"),
    ]:
        with pytest.raises(ValueError, match=match):
            run_udf(main_module, "hedge_backtest", *args, *ARGS)


def test_a_linear_contract_and_a_fixed_ratio(main_module, prices):
    frame = prices.iloc[-300:]
    name = run_udf(main_module, "hedge_backtest", office_table(frame), ["SOL"], [500], "binance:ETHUSDT", 20_000,
                   None, None, "periodic", None, "1.2", None, None, 0, 0)[0][0]
    want = hc.backtest(frame, {"SOL": 500}, "binance:ETHUSDT", collateral_usd=20_000, policy="periodic", hedge_ratio=1.2, funding=0.0,
                       fee_bps=0)
    assert name == backtest_id(want)
    assert run_udf(main_module, "backtest_summary", name, "margin_unit") == [["USDT"]]


_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(args=st.integers(5, 19).flatmap(lambda n: st.lists(arguments, min_size=n, max_size=n)))
def test_fuzz_hedge_backtest(args):
    check("hedge_backtest", args)


@_SETTINGS
@given(options=st.lists(arguments, min_size=16, max_size=16))
def test_fuzz_hedge_backtest_options_on_real_prices(main_module, options):
    frame = hc.load_prices(DATA, assets=["SOL", "ETH"]).iloc[-150:]
    check("hedge_backtest", [office_table(frame), ["SOL"], [100], *options[:1], *options[1:]])


@_SETTINGS
@given(row=arguments, column=arguments, field=arguments)
def test_fuzz_daily_and_summary(example, row, column, field):
    name, _ = example
    check("backtest_daily", [name, row, column])
    check("backtest_summary", [name, field])
    check("backtest_daily", [row, column])
