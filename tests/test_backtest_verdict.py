"""The backtest's verdict: liquidations and whether the hedge cut the risk, said in words everywhere.

A backtest whose hedge was liquidated and never reopened, or whose hedged volatility is above the
unhedged one, must not leave the user to work that out from twenty figures: the summary's
``verdict`` says it, and the CLI, the report (Summary sheet, json) and the template's Backtest
sheet show the same sentence. Cases on the bundled data (data/market/prices_daily):

* SOL 100 + AVAX 500 hedged with binance:ETHUSD_PERP on 5 ETH, never reopened: ETH more than
  tripled from the start of the backtest to May 2021, the short is liquidated in May 2021 and
  the rest of the history is the basket without its ETH, so the hedged volatility is *above* the
  unhedged one (the unhedged side keeps the 5 ETH, which diversify SOL and AVAX).
* 1,000 of each example coin (SOL, AVAX, DOT, LINK, ADA, XRP) on 100 ETH: no liquidation, variance cut;
  on 1 ETH, reopened 3 days after each liquidation: several liquidations and the deposits they cost.
"""

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import hedgecore as hc
from hedgecore.backtesting import backtest_verdict
from hedgecore.cli import main

ROOT = Path(__file__).resolve().parents[1]
PRICES = ROOT / "data" / "market" / "prices_daily"
EXAMPLE = ["SOL", "AVAX", "DOT", "LINK", "ADA", "XRP"]


@pytest.fixture(scope="module")
def prices():
    return hc.load_prices(PRICES, assets=EXAMPLE + ["ETH"])


def test_liquidated_and_never_reopened_says_so(prices):
    r = hc.backtest(prices, {"SOL": 100.0, "AVAX": 500.0}, "binance:ETHUSD_PERP", collateral_coin=5.0)
    s = r.summary
    assert len(s.liquidation_dates) == 1 and s.liquidation_dates[0].strftime("%Y-%m") == "2021-05"
    assert r.daily["contracts"].iloc[-1] == 0  # the hedge is gone for good
    assert s.variance_reduction < 0 and s.volatility_hedged > s.volatility_unhedged
    assert s.verdict == (
        f"Liquidated on {s.liquidation_dates[0].date()} and not reopened: the margin was lost and the basket ran unhedged from then on. "
        f"The hedge added risk: volatility {s.volatility_hedged:.1%} a year hedged vs {s.volatility_unhedged:.1%} "
        "unhedged.")


def test_reopened_hedge_names_the_liquidations_and_the_deposits(prices):
    quantities = dict.fromkeys(EXAMPLE, 1_000.0)
    r = hc.backtest(prices, quantities, "binance:ETHUSD_PERP", collateral_coin=1.0, reopen_after_days=3)
    s = r.summary
    assert s.liquidations > 1 and r.daily["contracts"].iloc[-1] > 0 and s.deposits_usd > 0
    first, last = s.liquidation_dates[0].date(), s.liquidation_dates[-1].date()
    assert s.verdict.startswith(
        f"Liquidated {s.liquidations} times ({first} first, {last} last): the margin was lost each time and the "
        f"hedge was reopened with ${s.deposits_usd:,.0f} of new collateral in all. ")


def test_a_hedge_that_works_gives_the_variance_cut(prices):
    r = hc.backtest(prices, dict.fromkeys(EXAMPLE, 1_000.0), "binance:ETHUSD_PERP", collateral_coin=100.0)
    s = r.summary
    assert s.liquidations == 0 and s.variance_reduction > 0.5
    assert s.verdict.startswith(f"The hedge cut the variance by {s.variance_reduction:.0%} (volatility "
                                f"{s.volatility_hedged:.1%} a year hedged vs {s.volatility_unhedged:.1%} unhedged)")


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 4), held=st.booleans(), deposits=st.floats(0, 1e7),
       vol=st.tuples(st.floats(0, 5), st.floats(0, 5)),
       reduction=st.one_of(st.just(math.nan), st.floats(-10, 1)),
       mdd=st.tuples(st.floats(-1, 0), st.floats(-1, 0)))
def test_verdict_never_comforts_wrongly(n, held, deposits, vol, reduction, mdd):
    dates = tuple(pd.Timestamp("2021-01-01") + pd.Timedelta(days=7 * i) for i in range(n))
    text = backtest_verdict(dates, held, deposits, vol, reduction, mdd)
    assert ("Liquidated" in text) == (n > 0)
    assert ("not reopened" in text) == (n > 0 and not held)
    assert all(d.date().isoformat() in text for d in dates[:1] + dates[-1:])
    assert ("added risk" in text) == (reduction <= 0)  # NaN compares False: no claim either way
    assert ("cut the variance" in text) == (reduction > 0)
    assert ("deeper" in text) == (reduction > 0 and mdd[0] < mdd[1])


@pytest.fixture(scope="module")
def liquidated_workbook(tmp_path_factory):
    d = tmp_path_factory.mktemp("verdict")
    (d / "h.csv").write_text("Asset,Quantity\nSOL,100\nAVAX,500\n")
    book = d / "mine.xlsx"
    result = CliRunner().invoke(main, ["template", "-o", str(book), "--holdings", str(d / "h.csv"), "--prices",
                                       str(PRICES), "--assets", "SOL,AVAX,ETH", "--set", "HedgeAsset=ETH",
                                       "--set", "Contract=binance:ETHUSD_PERP", "--set", "Collateral=5"])
    assert result.exit_code == 0, result.output
    return book


def test_cli_prints_the_verdict_under_the_settings(liquidated_workbook, tmp_path):
    result = CliRunner().invoke(main, ["backtest", str(liquidated_workbook), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[3].startswith("  Liquidated on 2021-05-08 and not reopened") and "The hedge added risk" in lines[3]
    assert sum("Liquidated on" in line for line in lines) == 1  # printed once, not again among the figures
    as_json = CliRunner().invoke(main, ["backtest", str(liquidated_workbook), "-o", str(tmp_path / "j"), "--json"])
    assert json.loads(as_json.output)["backtest_verdict"] == lines[3].strip()


def test_report_and_template_show_the_same_verdict(liquidated_workbook, tmp_path):
    import openpyxl

    from hedgecore.excel.layout import BACKTEST_ID_ROW

    result = CliRunner().invoke(main, ["report", str(liquidated_workbook), "-o", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    verdict = json.loads(next(tmp_path.glob("*.json")).read_text())["summary"]["backtest_verdict"]
    assert verdict.startswith("Liquidated on 2021-05-08 and not reopened")
    CliRunner().invoke(main, ["report", str(liquidated_workbook), "-o", str(tmp_path / "x")])
    summary = openpyxl.load_workbook(next((tmp_path / "x").glob("*.xlsx")), read_only=True)["Summary"]
    assert verdict in [c for row in summary.iter_rows(values_only=True) for c in row]
    backtest = openpyxl.load_workbook(liquidated_workbook, data_only=True)["Backtest"]
    cached = {backtest.cell(row=r, column=3).value: backtest.cell(row=r, column=2).value
              for r in range(BACKTEST_ID_ROW + 1, BACKTEST_ID_ROW + 40)}
    assert cached["verdict"] == verdict  # the workbook opens with it, before the add-in runs
