"""The Funding sheet and the funding rate from history, recalculated as Excel would (``formulas``).

The history is the bundled real Binance ETHUSDT settlements (data/market/funding, SOURCES.md §2), cut to
2023-09-01 .. 2023-12-31 and given the ETHUSD_PERP contract name; two things a fetched history has are
put in: a whole day without settlements inside the window (2023-12-20) and an unfinished last day
(2024-01-01 with its 00:00 settlement only, fetched before the day ended). The template's
``FundingHistoryRate`` formula (SUMIFS over the Funding table) must give what
:func:`hedgecore.funding.funding_summary` and plain pandas give, and every figure that uses the rate
(the plan, the funding cost, the stress test) must follow it.
"""

from __future__ import annotations

import pandas as pd
import pytest

formulas = pytest.importorskip("formulas")
openpyxl = pytest.importorskip("openpyxl")

import hedgecore as hc  # noqa: E402
from hedgecore.errors import HedgecoreError  # noqa: E402
from hedgecore.excel import read_workbook, write_template  # noqa: E402
from hedgecore.excel.layout import OUTPUTS  # noqa: E402
from hedgecore.report import compute_report  # noqa: E402
from recalc_harness import cell, recalculate  # noqa: E402

FUNDING = "data/market/funding/ETH-USDT_binance_2020-01-01_2024-01-01_funding_history.csv"
PRICES = "data/market/prices_daily"
SETTINGS = {"HedgeAsset": "ETH", "Contract": "binance:ETHUSD_PERP", "Collateral": 2, "Leverage": 2,
            "FundingSource": "history", "FundingDays": 30, "HorizonDays": 30}


def _history() -> pd.DataFrame:
    rates = hc.load_funding(FUNDING)["2023-09-01":"2023-12-31"]
    rates = rates[rates.index.floor("D") != pd.Timestamp("2023-12-20", tz="UTC")]  # a day without settlements
    rates.loc[pd.Timestamp("2024-01-01 00:00", tz="UTC")] = 0.0005  # the unfinished last day: left out
    frame = pd.DataFrame({"funding_rate": rates.to_numpy(), "interval_hours": 8.0}, index=rates.index)
    frame.attrs["symbol"] = "binance:ETHUSD_PERP"
    return frame


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("funding") / "funded.xlsx"
    holdings = pd.DataFrame({"Asset": ["SOL", "AVAX"], "Quantity": [100.0, 300.0]})
    write_template(path, holdings=holdings, prices=PRICES, assets=["SOL", "AVAX", "ETH"], settings=SETTINGS,
                   funding=_history())
    values, _ = recalculate(path, backtest_rows=5)
    return path, values, read_workbook(path)


def test_the_history_rate_is_the_mean_of_the_last_30_complete_days_per_interval(book):
    """Plain pandas: days 2023-12-02 .. 2023-12-31 (30 calendar days, 29 with settlements), each day's sum."""
    path, values, w = book
    rates = w.funding["funding_rate"]
    daily = rates.groupby(rates.index.floor("D")).sum()
    window = daily[(daily.index >= pd.Timestamp("2023-12-02", tz="UTC"))
                   & (daily.index <= pd.Timestamp("2023-12-31", tz="UTC"))]
    assert len(window) == 29
    expected = window.mean() * 8 / 24  # per 8-hour settlement
    assert cell(values, w.cells["FundingHistoryRate"]) == pytest.approx(expected, rel=1e-12)
    assert cell(values, w.cells["FundingRateUsed"]) == pytest.approx(expected, rel=1e-12)
    s = hc.funding_summary(rates, interval_hours=w.funding["interval_hours"], days=30)
    assert (s.first_day, s.last_day) == ("2023-12-02", "2023-12-31")
    assert s.mean_per_8h == pytest.approx(expected, rel=1e-12)


def test_every_computed_name_of_the_sheet_equals_the_report(book):
    path, values, w = book
    r = compute_report(w.holdings, w.prices, w.shocks, dict(w.settings), funding=w.funding)
    assert r.funding.source == "history" and r.funding.rate_used == pytest.approx(r.funding.history_rate)
    for out in OUTPUTS:
        got, want = cell(values, w.cells[out.name]), r.computed_names[out.name]
        if isinstance(want, str) or want is None:
            assert got in (want, None) or (want == "" and got is None), out.name
        elif want != want:  # NaN: not available
            assert str(got) in ("#N/A", "unknown"), out.name
        elif abs(want) == float("inf"):
            assert got == "none", out.name
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9), (out.name, got, want)


def test_the_rate_used_drives_the_funding_cost(book):
    path, values, w = book
    r = compute_report(w.holdings, w.prices, w.shocks, dict(w.settings), funding=w.funding)
    want = hc.funding_cost_usd(abs(r.plan.hedged_notional_usd), r.funding.rate_used, 30, side="short",
                               interval_hours=8)
    assert r.funding_horizon_usd == pytest.approx(want, rel=1e-12)
    assert r.funding_horizon_usd < 0  # positive funding: the short receives
    constant = compute_report(w.holdings, w.prices, w.shocks, {**w.settings, "FundingSource": "constant"},
                              funding=w.funding)
    assert constant.funding.rate_used == w.settings["FundingRate"]
    assert constant.funding_horizon_usd != pytest.approx(r.funding_horizon_usd, rel=1e-3)


def test_history_asked_for_without_a_history_names_the_cell(tmp_path):
    path = write_template(tmp_path / "none.xlsx", holdings=pd.DataFrame({"Asset": ["SOL"], "Quantity": [10.0]}),
                          prices=PRICES, assets=["SOL", "ETH"], settings={**SETTINGS, "FundingSource": "constant"})
    w = read_workbook(path)
    with pytest.raises(HedgecoreError, match=r"FundingSource is history but sheet Funding holds no settlements"):
        compute_report(w.holdings, w.prices, w.shocks, {**w.settings, "FundingSource": "history"},
                       where=w.where)


def test_a_history_of_another_contract_is_refused(book):
    path, values, w = book
    other = w.funding.copy()
    other.attrs["symbol"] = "binance:BTCUSD_PERP"
    with pytest.raises(HedgecoreError, match=r"Funding holds the history of binance:BTCUSD_PERP, not of the Hedge "
                                             r"contract binance:ETHUSD_PERP"):
        compute_report(w.holdings, w.prices, w.shocks, dict(w.settings), funding=other, where=w.where)


@pytest.mark.parametrize("edit, message", [
    (lambda ws: setattr(ws["B8"], "value", "high"), r"sheet Funding, cell B8: Funding Rate must be a number"),
    (lambda ws: setattr(ws["B8"], "value", 3.0), r"sheet Funding, cell B8: Funding Rate must be a decimal between"),
    (lambda ws: setattr(ws["C9"], "value", 0), r"sheet Funding, cell C9: Interval Hours must be above 0"),
    (lambda ws: setattr(ws["A9"], "value", ws["A8"].value), r"sheet Funding, cell A9: settlement .* repeats"),
])
def test_a_bad_funding_row_is_one_line_naming_its_cell(book, tmp_path, edit, message):
    path, _, _ = book
    wb = openpyxl.load_workbook(path)
    edit(wb["Funding"])
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    with pytest.raises(HedgecoreError, match=message):
        read_workbook(bad)
