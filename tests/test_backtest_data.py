"""hedgecore.backtest on the bundled market data, checked against independent computations.

* The example basket (templates/example_holdings.csv: SOL, AVAX, DOT, LINK, ADA, XRP) hedged with
  binance:ETHUSD_PERP over data/market/prices_daily, with Binance's ETHUSDT funding history
  (data/market/funding, the only ETH funding series bundled; it ends 2023-12-31): the hedged
  volatility is below the unhedged one.
* Every daily figure agrees to 1e-9 with the plain per-day pandas loop of benchmarks/bench_backtest.py,
  which steps one day at a time through the core's scalar functions (funding_payment,
  inverse_pnl_coin / linear_pnl, liquidation_price, hedge_notional, contracts_for_notional) and
  pandas' own rolling/EWM covariance for the beta.
* Every summary figure agrees to 1e-9 with plain pandas over the loop's series.
"""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hedgecore as hc

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "market"
EXAMPLE = ["SOL", "AVAX", "DOT", "LINK", "ADA", "XRP"]
FUNDING = DATA / "funding" / "ETH-USDT_binance_2020-01-01_2024-01-01_funding_history.csv"


def _load_reference():
    spec = importlib.util.spec_from_file_location("bench_backtest", ROOT / "benchmarks" / "bench_backtest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reference_backtest


reference_backtest = _load_reference()


@pytest.fixture(scope="module")
def market():
    prices = hc.load_prices(DATA / "prices_daily", assets=EXAMPLE + ["ETH", "BTC"])
    high = hc.load_prices(DATA / "prices_daily", assets=["ETH"], column="High")["ETH"]
    holdings = pd.read_csv(ROOT / "templates" / "example_holdings.csv")
    quantities = dict(zip(holdings["Asset"], holdings["Quantity"].astype(float)))
    return prices, high, quantities, hc.load_funding(FUNDING)


CONFIGS = {
    "threshold, funding history, highs": dict(collateral=100.0, policy="threshold", threshold=0.1, cooldown_days=3,
                                              fee_bps=5, slippage_bps=2, funding="history", high=True),
    "periodic weekly, EWM beta": dict(collateral=100.0, policy="periodic", every_days=7, hedge_ratio="ewm",
                                      halflife=20.0, fee_bps=4, funding="history"),
    "beta drift, min trade, constant funding": dict(collateral=80.0, policy="threshold", drift="beta", threshold=0.05,
                                                    min_trade_usd=2_000, fee_bps=5, funding=0.0001),
    "example settings (10 ETH): liquidated, reopened": dict(collateral=10.0, policy="threshold", fee_bps=5,
                                                            funding="history", high=True, reopen_after_days=7),
    "linear ETHUSDT, USDT margin": dict(contract="binance:ETHUSDT", collateral=150_000.0, policy="threshold",
                                        threshold=0.15, fee_bps=5, funding="history"),
}


def run_both(market, config):
    prices, high, quantities, funding = market
    cfg = dict(config)
    contract = cfg.pop("contract", "binance:ETHUSD_PERP")
    collateral = cfg.pop("collateral")
    if cfg.get("funding") == "history":
        cfg["funding"] = funding
    cfg["high"] = high if cfg.pop("high", False) else None
    common = dict(end="2023-12-31", maintenance_rate=0.005, contract_step=1.0, **cfg)  # the loop's one tier
    linear = contract.endswith("USDT")
    ours = hc.backtest(prices, quantities, contract, **{"collateral_usd" if linear else "collateral_coin": collateral},
                       **common)
    ref = reference_backtest(prices, quantities, contract, collateral=collateral, **common)
    return ours, ref


@pytest.mark.parametrize("name", list(CONFIGS))
def test_daily_series_agree_with_the_per_day_loop(market, name):
    ours, ref = run_both(market, CONFIGS[name])
    d = ours.daily
    assert d.index.equals(ref.index)
    for col in ("contracts", "trade", "liquidated"):
        assert (d[col].to_numpy() == ref[col].to_numpy()).all(), col
    for col in ("margin_balance", "target_notional_usd", "hedged_usd", "unhedged_usd", "liquidation_price_usd"):
        a, b = d[col].to_numpy(), ref[col].to_numpy()
        assert np.array_equal(np.isinf(a), np.isinf(b)), col
        fin = np.isfinite(b)
        np.testing.assert_allclose(a[fin], b[fin], rtol=1e-9, atol=1e-9, err_msg=col)
    np.testing.assert_allclose(d["cum_funding_usd"], ref["funding_usd"].cumsum(), rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(d["cum_fees_usd"], ref["fee_usd"].cumsum(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(d["cum_deposits_usd"], ref["deposit_usd"].cumsum(), rtol=1e-9)


def pandas_summary(ref: pd.DataFrame, price: pd.Series, held_usd: pd.Series) -> dict:
    """The summary's definitions written out in plain pandas over the per-day loop's series."""
    root = math.sqrt(365)
    r_h = (ref["hedged_usd"] - ref["deposit_usd"]) / ref["hedged_usd"].shift() - 1
    r_u = ref["unhedged_usd"] / ref["unhedged_usd"].shift() - 1
    start = ref["unhedged_usd"].iloc[0]  # value before the opening trade
    g_h = (ref["hedged_usd"].iloc[0] / start) * (1 + r_h.fillna(0)).cumprod()
    g_u = (1 + r_u.fillna(0)).cumprod()

    def worst(g, rule):
        last = g.iloc[1:].resample(rule).last().dropna()
        base = last.shift()
        base.iloc[0] = g.iloc[0]
        return (last / base - 1).min()

    miss = held_usd - ref["target_notional_usd"]
    te = -miss.shift() * price.pct_change() / ref["hedged_usd"].shift()
    out = {
        "total_return_hedged": g_h.iloc[-1] - 1,
        "total_return_unhedged": g_u.iloc[-1] - 1,
        "volatility_hedged": r_h.std() * root,
        "volatility_unhedged": r_u.std() * root,
        "variance_reduction": 1 - r_h.var() / r_u.var(),
        "max_drawdown_hedged": (g_h / g_h.cummax().clip(lower=1.0) - 1).min(),
        "max_drawdown_unhedged": (g_u / g_u.cummax().clip(lower=1.0) - 1).min(),
        "tracking_error": te.std() * root,
        "funding_paid_usd": ref["funding_usd"].sum(),
        "fees_usd": ref["fee_usd"].sum(),
        "deposits_usd": ref["deposit_usd"].sum(),
        "final_hedged_usd": ref["hedged_usd"].iloc[-1],
        "final_unhedged_usd": ref["unhedged_usd"].iloc[-1],
    }
    for period, rule in (("day", "D"), ("week", "W-SUN"), ("month", "ME")):
        out[f"worst_{period}_hedged"] = worst(g_h, rule)
        out[f"worst_{period}_unhedged"] = worst(g_u, rule)
    return out


@pytest.mark.parametrize("name", list(CONFIGS))
def test_summary_agrees_with_plain_pandas(market, name):
    ours, ref = run_both(market, CONFIGS[name])
    s = ours.summary
    held = ours.daily["hedge_notional_usd"]  # checked against the loop's contracts above
    expected = pandas_summary(ref, ours.daily["hedge_price_usd"], held)
    fees = s.fees_usd + s.slippage_usd
    got = s.as_dict() | {"fees_usd": fees}
    for field, value in expected.items():
        assert got[field] == pytest.approx(value, rel=1e-9, abs=1e-9), field
    assert s.trades == int(ref["trade"].sum())
    assert s.liquidation_dates == tuple(ref.index[ref["liquidated"]])
    assert s.periods == len(ref) - 1


def test_example_basket_hedged_volatility_is_below_unhedged(market):
    ours, _ = run_both(market, CONFIGS["threshold, funding history, highs"])
    s = ours.summary
    assert s.liquidations == 0
    assert s.volatility_hedged < 0.5 * s.volatility_unhedged  # measured 0.19 vs 0.80 a year
    assert s.variance_reduction > 0.9
    assert s.max_drawdown_hedged > s.max_drawdown_unhedged
    assert s.funding_paid_usd < 0  # ETH funding was positive on balance in 2021–2023: the short received it


def test_example_settings_would_have_been_liquidated_in_april_2021(market):
    # The shipped example posts 10 ETH against ~140,000 USD of alts (about 7x): ETH rallied from
    # 2,028 (2021-04-03, the first close with a 90-day beta) to a high of 2,545 on 2021-04-15.
    ours, _ = run_both(market, CONFIGS["example settings (10 ETH): liquidated, reopened"] | {"reopen_after_days": None})
    assert ours.summary.liquidation_dates[0] == pd.Timestamp("2021-04-15")
    lp = ours.daily["liquidation_price_usd"].iloc[0]
    assert 2_400 < lp < 2_545 and ours.daily["contracts"].iloc[-1] == 0
    assert ours.summary.volatility_hedged > ours.summary.volatility_unhedged  # the hedge is gone


@settings(max_examples=40)
@given(data=st.data())
def test_random_configurations_agree_with_the_per_day_loop(data):
    n = data.draw(st.integers(12, 60))
    rets = st.lists(st.floats(-0.15, 0.15), min_size=n, max_size=n)
    eth_r, alt_r = np.asarray(data.draw(rets)), np.asarray(data.draw(rets))
    idx = pd.date_range("2023-01-01", periods=n, freq="D")
    eth = 2_000 * np.exp(np.cumsum(eth_r + 0.004 * (-1.0) ** np.arange(n)))
    px = pd.DataFrame({"ETH": eth, "ALT": 3 * np.exp(np.cumsum(1.2 * eth_r + alt_r / 3))}, index=idx)
    high = px["ETH"] * (1 + np.abs(alt_r))
    contract = data.draw(st.sampled_from(["binance:ETHUSD_PERP", "binance:ETHUSDT"]))
    collateral = data.draw(st.floats(1.0, 40.0)) * (2_000 if contract.endswith("USDT") else 1.0)
    opts = dict(
        hedge_ratio=data.draw(st.sampled_from(["rolling", "ewm", 0.7])), window=data.draw(st.integers(3, 8)),
        halflife=4.0, policy=data.draw(st.sampled_from(hc.POLICIES)), threshold=data.draw(st.floats(0.0, 0.3)),
        drift=data.draw(st.sampled_from(["notional", "beta"])), every_days=data.draw(st.sampled_from([1.0, 3.0])),
        cooldown_days=data.draw(st.sampled_from([0.0, 2.0])), min_trade_usd=data.draw(st.sampled_from([0.0, 500.0])),
        fee_bps=data.draw(st.floats(0.0, 10.0)), slippage_bps=data.draw(st.floats(0.0, 5.0)),
        funding=data.draw(st.floats(-0.003, 0.003)), high=high if data.draw(st.booleans()) else None,
        reopen_after_days=data.draw(st.sampled_from([None, 0.0, 3.0])),
        rounding=data.draw(st.sampled_from(["nearest", "down", "up"])),
        maintenance_rate=data.draw(st.sampled_from([0.005, 0.02])), contract_step=data.draw(st.sampled_from([1.0, 5.0])),
    )
    key = "collateral_usd" if contract.endswith("USDT") else "collateral_coin"
    ours = hc.backtest(px, {"ALT": 3_000}, contract, **{key: collateral}, **opts)
    ref = reference_backtest(px, {"ALT": 3_000}, contract, collateral=collateral, **opts)
    for col in ("contracts", "trade", "liquidated"):
        assert (ours.daily[col].to_numpy() == ref[col].to_numpy()).all(), col
    np.testing.assert_allclose(ours.daily["margin_balance"], ref["margin_balance"], rtol=1e-9, atol=1e-12)
    for col in ("hedged_usd", "target_notional_usd"):  # USD: 1e-6 USD absolute for targets near 0
        np.testing.assert_allclose(ours.daily[col], ref[col], rtol=1e-9, atol=1e-6, err_msg=col)
