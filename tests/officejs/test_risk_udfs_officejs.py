"""The hedge's real risk in Excel (issue 10), through xlwings' Office.js dispatch (xlwings.server).

HEDGE_PLAN's margin-risk fields, SCENARIO_PNL's liquidation and residual-band arguments, and the
functions COLLATERAL_FOR_LIQUIDATION, HEDGE_TRADE and RESIDUAL_BAND, each against hand-computed
numbers (DOMAIN.md §9, the seed article) or an independent pandas computation on the bundled prices.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from excel_harness import NOT_AVAILABLE, run_udf

import hedgecore

DATA = Path(__file__).resolve().parents[2] / "data" / "market" / "prices_daily"
N = None  # a blank optional argument


def closes(*symbols):
    frames = [pd.read_csv(DATA / f"{s}-USD.csv", usecols=["Date", "Close"]).set_index("Date")["Close"]
              for s in symbols]
    frame = pd.concat(frames, axis=1, join="inner").dropna()
    frame.columns = list(symbols)
    return frame


def column(values):
    return [[v] for v in values]


# --------------------------------------------------------------------------- HEDGE_PLAN: margin verdict, tiers


def test_hedge_plan_margin_verdict_of_the_readme_example(main_module):
    """README: $50,000 at ETH 3,500 with 14 ETH collateral needs Q = 50,000 + 14·3,500 = 99,000 USD,
    9,900 contracts; at 1x the initial margin is 99,000/3,500 = 28.2857 ETH, so 14.2857 ETH are missing
    and 99,000/(14·3,500) = 2.0204x is the leverage at which 14 ETH suffice."""
    args = (50000, 3500, "ETHUSD_PERP", N, N, N, 14, N, N, N)
    out = run_udf(main_module, "hedge_plan", *args, [["margin_shortfall"], ["leverage_to_fit"],
                                                     ["loss_if_liquidated_usd"], ["margin_verdict"]])
    assert out[0][0] == pytest.approx(99_000 / 3_500 - 14, rel=1e-12)
    assert out[1][0] == pytest.approx(99_000 / (14 * 3_500), rel=1e-12)
    assert out[2][0] == pytest.approx(14 * 3_500, rel=1e-12)  # the 14 ETH wallet at entry
    assert out[3][0] == ("Cannot be opened: 28.2857 ETH initial margin at 1x, 14 ETH posted: post 14.2857 ETH more "
                         "or set leverage to 2.03x or more.")
    assert run_udf(main_module, "hedge_plan", *args, "Margin verdict") == [[out[3][0]]]  # the label works too


def test_hedge_plan_uses_the_catalog_tiers_when_the_rate_is_blank(main_module):
    """Binance BTCUSDT (freqtrade snapshot, DOMAIN.md §5.3): 100,000 USDT of notional sits in tier 2
    (50k-600k, MMR 0.5 %, max 100x); at 5x the liquidation price is re-solved in the tier that holds
    the notional there. A rate typed in replaces the table by one tier (max leverage unknown)."""
    core = hedgecore.hedge_plan(100_000, 50_000, "binance:BTCUSDT", leverage=5)
    fields = [["max_leverage", "maintenance_rate", "liquidation_price_usd", "contracts"]]
    out = run_udf(main_module, "hedge_plan", 100_000, 50_000, "binance:BTCUSDT", N, N, N, N, 5, N, N, fields)
    assert out == [[100.0, pytest.approx(core.maintenance_rate), pytest.approx(core.liquidation_price_usd), 2.0]]
    assert core.maintenance_rate == 0.005  # the notional at the liquidation price is still in tier 2
    one_tier = run_udf(main_module, "hedge_plan", 100_000, 50_000, "binance:BTCUSDT", N, N, N, N, 5, 0.004, N, fields)
    assert one_tier[0][0] == "unknown" and one_tier[0][1] == 0.004


def test_liquidation_price_blank_rate_uses_the_tiers(main_module):
    core = hedgecore.liquidation_price(50_000, 2, 20_000, side="short", contract_size="binance:BTCUSDT")
    out = run_udf(main_module, "liquidation_price", 50_000, 2, 20_000, "short", "binance:BTCUSDT", "linear")
    assert out == [[pytest.approx(core, rel=1e-12)]]
    # 2 BTC at 50,000 short on 20,000 USDT, tier 2 (MMR 0.5 %, cum 50): LP = (20,000 + 50 + 100,000)/(2·1.005)
    assert out[0][0] == pytest.approx((20_000 + 50 + 100_000) / (2 * 1.005), rel=1e-12)


# --------------------------------------------------------------------------- SCENARIO_PNL: liquidation, band


def test_scenario_pnl_marks_the_liquidated_shock(main_module):
    """DOMAIN.md §9: 400 BTCUSD_PERP short from 64,000 on 0.25 BTC, MMR 0.4 %, liquidated at 106,240 (+66 %).
    At +70 % the short is gone with the 0.25 BTC account: alts +16,800 minus the 16,000 USD margin = +800,
    not the survived line's 24,000·0.7 − 40,000·0.7 + 0.25·64,000·0.7 = 0."""
    out = run_udf(main_module, "scenario_pnl", 24_000, 1, 40_000, 64_000, [[0.6], [0.7]], N, 0.25, N, N, True, N, N,
                  N, 0.004)
    header, below, beyond = out
    pick = {name: k for k, name in enumerate(header)}
    assert [below[pick["Liquidated"]], beyond[pick["Liquidated"]]] == [False, True]
    assert beyond[pick["Net P&L"]] == pytest.approx(800.0, abs=1e-6)
    assert beyond[pick["Net P&L if short survived"]] == pytest.approx(0.0, abs=1e-6)
    assert below[pick["Net P&L"]] == pytest.approx(below[pick["Net P&L if short survived"]])


def test_scenario_pnl_band_and_downside_beta(main_module):
    """Seed article, linear: $50,000 of alts, 14 ETH = $49,000 short at 3,500, ETH −50 %: spot −25,000, hedge
    +24,500, net −500. A residual band of −10 %/+10 % moves the spot leg by ∓5,000 (−5,500 / +4,500); at a
    downside beta of 1.2 the spot leg is −30,000 (net −5,500). A rise has no downside line: a blank cell."""
    args = (50_000, 1, 49_000, 3_500, [[-0.5], [0.1]], "linear", N, N, N, False)
    risk = (N, N, N, N, -0.1, 0.1, 1.2)
    cols = [["Net P&L", "Net P&L low", "Net P&L high", "Net P&L at downside beta"]]
    assert run_udf(main_module, "scenario_pnl", *args, -0.5, cols, *risk) == [
        [pytest.approx(-500.0), pytest.approx(-5_500.0), pytest.approx(4_500.0), pytest.approx(-5_500.0)]]
    assert run_udf(main_module, "scenario_pnl", *args, 0.1, "Net P&L at downside beta", *risk) == [[""]]
    frame = hedgecore.scenario_pnl(50_000, 1, 49_000, 3_500, [-0.5, 0.1], contract_type="linear",
                                   residual=(-0.1, 0.1), downside_beta=1.2, risk_columns=True)
    full = run_udf(main_module, "scenario_pnl", *args[:9], True, N, N, *risk)
    assert full[0] == list(frame.columns)
    assert full[1] == [v if isinstance(v, bool) else pytest.approx(v) for v in frame.astype(object).iloc[0]]


def test_scenario_pnl_contract_brings_tiers_and_interval(main_module):
    """A catalog contract sets the type, the tiers and the funding interval: the same table as the core."""
    frame = hedgecore.scenario_pnl(60_000, 1, 60_000, 50_000, [-0.3, 0.3, 0.9], contract="binance:BTCUSDT",
                                   funding_rate=0.0001, days=30, leverage=2, risk_columns=True)
    out = run_udf(main_module, "scenario_pnl", 60_000, 1, 60_000, 50_000, [[-0.3], [0.3], [0.9]], "linear", N,
                  0.0001, 30, True, N, N, 2, N, "binance:BTCUSDT")
    assert out[1:] == [[v if isinstance(v, bool) else pytest.approx(v, rel=1e-12) for v in row]
                       for row in frame.astype(object).to_numpy().tolist()]
    assert frame["Liquidated"].tolist() == [False, False, True]  # a 2x linear short dies near +50 %


# --------------------------------------------------------------------------- COLLATERAL_FOR_LIQUIDATION


def test_collateral_for_liquidation_domain_example(main_module):
    """DOMAIN.md §9: E = 24,000 USD, BTC 64,000, MMR 0.4 %, liquidation at 2x entry: C = 0.378012 BTC unrounded,
    0.378069 BTC with 482 whole contracts; linear BTCUSDT (tier 1, 0.4 %): U = 24,000·(2·1.004 − 1) = 24,192 USDT."""
    inverse = run_udf(main_module, "collateral_for_liquidation", 24_000, 64_000, "binance:BTCUSD_PERP", 1, N, N,
                      "none", 0.004)
    assert inverse == [[pytest.approx(0.378012, abs=5e-7)]]
    rounded = run_udf(main_module, "collateral_for_liquidation", 24_000, 64_000, "binance:BTCUSD_PERP", 1, N, N, N,
                      0.004)
    assert rounded == [[pytest.approx(0.378069, abs=5e-7)]]
    linear = run_udf(main_module, "collateral_for_liquidation", 24_000, 64_000, "binance:BTCUSDT", 1)
    assert linear == [[pytest.approx(24_192.0, rel=1e-12)]]
    # round trip: hedge_plan on that collateral puts the liquidation price at the target
    plan = hedgecore.hedge_plan(24_000, 64_000, "binance:BTCUSD_PERP", collateral_coin=rounded[0][0],
                                maintenance_rate=0.004)
    assert plan.liquidation_price_usd == pytest.approx(128_000, rel=1e-9)


def test_collateral_for_liquidation_over_a_range_of_targets(main_module):
    out = run_udf(main_module, "collateral_for_liquidation", 24_000, 64_000, "binance:BTCUSD_PERP", [[0.5, 1, 2]],
                  N, N, N, 0.004)
    want = [hedgecore.collateral_for_liquidation(24_000, 64_000, "binance:BTCUSD_PERP", t, maintenance_rate=0.004)
            for t in (0.5, 1, 2)]
    assert out == [[pytest.approx(w, rel=1e-12) for w in want]]
    assert want[0] < want[1] < want[2]  # a liquidation further away needs more coin


# --------------------------------------------------------------------------- HEDGE_TRADE


def test_hedge_trade_from_the_position_held(main_module):
    """DOMAIN.md §9 a month on: BTC 80,000, alts 30,000 USD, 400 BTCUSD_PERP short. On a margin balance of
    0.125 BTC the target is 30,000 + 0.125·80,000 = 40,000 USD = 400 contracts: no trade. On 0.2 BTC it is
    30,000 + 16,000 = 46,000 USD = 460 contracts: short 60 more (60 × 100 = 6,000 USD)."""
    base = (30_000, 80_000, "binance:BTCUSD_PERP", 400)
    assert run_udf(main_module, "hedge_trade", *base, 0.125, N, N, N, N, 0.004, N, "trade_contracts") == [[0.0]]
    out = run_udf(main_module, "hedge_trade", *base, 0.2, N, N, N, N, 0.004, N,
                  [["trade_contracts", "trade_notional_usd", "target_contracts"]])
    assert out == [[60.0, pytest.approx(6_000.0), 460.0]]
    core = hedgecore.rebalance(*base, 0.2, maintenance_rate=0.004)
    table = dict(run_udf(main_module, "hedge_trade", *base, 0.2, N, N, N, N, 0.004))
    assert table["Liquidation price after the trade (USD)"] == pytest.approx(core.liquidation_price_usd)
    assert table["Liquidation price now (USD)"] == pytest.approx(core.current_liquidation_price_usd)
    assert table["Margin verdict after the trade"] == core.plan.margin_verdict


def test_hedge_trade_buys_back_an_over_hedge(main_module):
    """Alts fell to 20,000 USD: on 0.125 BTC the target is 20,000 + 10,000 = 30,000 USD = 300 contracts: buy 100 back."""
    out = run_udf(main_module, "hedge_trade", 20_000, 80_000, "binance:BTCUSD_PERP", 400, 0.125, N, N, N, N, 0.004, N,
                  "trade_contracts")
    assert out == [[-100.0]]


# --------------------------------------------------------------------------- RESIDUAL_BAND


def test_residual_band_of_one_column_equals_pandas(main_module):
    """SOL hedged with ETH at 0.9 over 30 days: quantiles of pct_change(30) − 0.9·pct_change(30), pandas' default
    linear interpolation (as numpy's)."""
    frame = closes("SOL", "ETH")
    resid = (frame["SOL"].pct_change(30) - 0.9 * frame["ETH"].pct_change(30)).dropna()
    out = run_udf(main_module, "residual_band", column(frame["SOL"].tolist()), column(frame["ETH"].tolist()), 0.9, 30)
    table = dict(out)
    assert table["Residual return, low"] == pytest.approx(resid.quantile(0.05), rel=1e-9)
    assert table["Residual return, high"] == pytest.approx(resid.quantile(0.95), rel=1e-9)
    assert table["Windows (n)"] == len(resid)
    assert [table["Low quantile"], table["High quantile"]] == [0.05, 0.95]


def test_residual_band_of_a_basket_from_a_price_block(main_module):
    """The template's call: a block of closes with its header row, the holdings' assets and quantities; the
    basket's value Σ quantity·close by pandas here. An asset held twice counts both quantities."""
    frame = closes("SOL", "LINK", "ADA", "ETH")
    qty = {"SOL": 100.0, "LINK": 1_000.0, "ADA": 20_000.0}
    basket = sum(frame[c] * q for c, q in qty.items())
    resid = (basket.pct_change(7) - 1.1 * frame["ETH"].pct_change(7)).dropna()
    block = [list(frame.columns)] + frame.to_numpy().tolist()
    assets, amounts = column(["SOL", "LINK", "ADA", "SOL"]), column([60.0, 1_000.0, 20_000.0, 40.0])
    out = run_udf(main_module, "residual_band", block, column(frame["ETH"].tolist()), 1.1, 7, assets, amounts, 0.1,
                  0.9, [["low_frac", "high_frac"]])
    assert out == [[pytest.approx(resid.quantile(0.1), rel=1e-9), pytest.approx(resid.quantile(0.9), rel=1e-9)]]
    # the hedge coin's range may include its header cell, as the block does
    with_header = run_udf(main_module, "residual_band", block, column(["ETH", *frame["ETH"].tolist()]), 1.1, 7,
                          assets, amounts, 0.1, 0.9, [["low_frac", "high_frac"]])
    assert with_header == out


def test_residual_band_is_zero_for_the_hedge_coin_itself(main_module):
    eth = column(closes("ETH")["ETH"].tolist())
    out = run_udf(main_module, "residual_band", eth, eth, 1, 30, N, N, N, N, [["low_frac", "high_frac"]])
    assert out == [[pytest.approx(0.0, abs=1e-12), pytest.approx(0.0, abs=1e-12)]]


def test_residual_band_too_short_is_na(main_module):
    out = run_udf(main_module, "residual_band", [[100], [101], [102]], [[10], [11], [12]], 1, 30, N, N, N, N,
                  "low_frac")
    assert out == [[NOT_AVAILABLE]]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "name, args, match",
    [
        ("scenario_pnl", (1, 1, 1, 100, [[0.1]], N, N, N, N, N, N, N, N, N, N, N, -0.1), r"band_low and band_high go "
                                                                                       r"together"),
        ("scenario_pnl", (1, 1, 1, 100, [[0.1]], N, N, N, N, N, N, N, N, N, N, N, 0.1, -0.1), r"band low 0.1 is above"),
        ("scenario_pnl", (1, 1, 1, 100, [[0.1]], N, N, N, N, N, N, N, N, N, N, N, N, N, N, 2), r"liquidation_recovery"),
        ("collateral_for_liquidation", (24_000, 64_000, 100, -1), r"target_distance must be positive"),
        ("collateral_for_liquidation", (0, 64_000, 100, 1), r"no collateral puts the liquidation price at \+100\.0%"),
        ("hedge_trade", (30_000, 80_000, 100, -5, 0.1), r"contracts_held must be zero or positive"),
        ("hedge_trade", (30_000, 80_000, 100, 5, None), r"margin_balance must be a number"),
        ("residual_band", ([["SOL"], [1], [2]], [[1], [2]], 1, 1, [["DOGE"]], [[1]]), r"asset 'DOGE' is not a ticker"),
        ("residual_band", ([["SOL"], [1], [2]], [[1], [2]], 1, 1, [["SOL"]], [["x"]]), r"quantities must be numbers"),
        ("residual_band", ([[1], [2], [3]], [[1], [2], [3]], 1, 1.5), r"horizon_days must be a whole number"),
        ("residual_band", ([[1], [2], [3]], [[1], [2], [3]], 1, 1, N, N, 0.9, 0.1), r"quantiles must be \(low, high\)"),
    ],
)
def test_bad_risk_input_gives_a_short_readable_error(main_module, name, args, match):
    with pytest.raises(ValueError, match=match) as info:
        run_udf(main_module, name, *args)
    assert isinstance(info.value, hedgecore.HedgecoreError)
    assert len(str(info.value)) < 255 and "\n" not in str(info.value)


def test_the_example_hedge_sheet_through_the_dispatch(main_module):
    """The example workbook's residual band and plan cells, called as Excel calls them, equal the report's
    figures (computed from the example's own inputs: templates/example_holdings.csv at the last closes)."""
    from hedgecore.excel.compute import compute_report, evaluate_defaults
    from hedgecore.excel.layout import DEFAULT_SHOCKS, EXAMPLE_PRICE_ASSETS, EXAMPLE_SETTINGS

    prices = hedgecore.load_prices(DATA, assets=list(EXAMPLE_PRICE_ASSETS))
    holdings = pd.read_csv(Path(__file__).resolve().parents[2] / "templates" / "example_holdings.csv")
    holdings["Price"] = [float(prices[a].iloc[-1]) for a in holdings["Asset"]]
    settings = dict(EXAMPLE_SETTINGS, HedgePrice=None, HedgeRatio=None, ContractsHeld=0.0, MarginBalance=None)
    evaluate_defaults(settings, {"HedgePrice", "HedgeRatio"}, holdings, prices)
    r = compute_report(holdings, prices, DEFAULT_SHOCKS, settings)
    block = [list(prices.columns)] + prices.to_numpy().tolist()
    out = run_udf(main_module, "residual_band", block, column(prices["ETH"].tolist()), r.portfolio_beta, 30,
                  column(holdings["Asset"].tolist()), column(holdings["Quantity"].tolist()), 0.05, 0.95,
                  [["low_frac", "high_frac"]])
    assert out == [[pytest.approx(r.residual.low_frac, rel=1e-12), pytest.approx(r.residual.high_frac, rel=1e-12)]]
    assert np.isfinite(r.residual.low_frac) and r.residual.low_frac < 0 < r.residual.high_frac
    s = r.settings
    plan_args = (r.portfolio_value_usd, s["HedgePrice"], s["Contract"], s["HedgeRatio"], s["ContractType"],
                 s["Rounding"], s["Collateral"], s["Leverage"], "", s["FundingRate"])
    fields = [["margin_verdict", "loss_if_liquidated_usd", "funding_interval_hours", "max_leverage"]]
    assert run_udf(main_module, "hedge_plan", *plan_args, fields) == [
        [r.plan.margin_verdict, pytest.approx(r.plan.loss_if_liquidated_usd), 8.0, "unknown"]]
    assert r.plan.margin_verdict.startswith("Cannot be opened: 11.2187 ETH initial margin at 3x, 10 ETH posted")
