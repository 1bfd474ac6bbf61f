"""hedgecore.backtest: a hand-computed path, funding sign and timing, fees, rebalancing rules, bad input.

Mechanics pinned here come from DOMAIN.md: inverse P&L ``Q·(1/P0 − 1/P1)`` (§4.1), funding ``(Q/P)·rate``
with a short receiving a positive rate (§3), target notional ``E·β + C·P`` (§8.2), Binance COIN-M
liquidation price (§6.1). Property tests (no look-ahead, conservation, 1x) are in test_backtest_properties.py.
"""

import math

import numpy as np
import pandas as pd
import pytest

import hedgecore as hc
from hedgecore.backtesting import BACKTEST_COLUMNS

DAYS = pd.date_range("2024-03-01", periods=5, freq="D")
ETH = [2000.0, 2100.0, 1600.0, 3000.0, 2800.0]
ALT = [100.0, 102.0, 60.0, 90.0, 80.0]


def hand_path(**overrides):
    """100 ALT hedged with a 10-USD inverse ETH contract at β = 1 on 1 ETH; one +0.01 % settlement."""
    prices = pd.DataFrame({"ETH": ETH, "ALT": ALT}, index=DAYS)
    when = pd.date_range("2024-03-02", "2024-03-06", freq="8h", tz="UTC")
    funding = pd.Series(0.0, index=when)
    funding["2024-03-02 08:00"] = 0.0001  # inside the bar of 2024-03-02 (it closes 03-03 00:00)
    kwargs = dict(hedge_asset="ETH", contract_type="inverse", collateral_coin=1.0, hedge_ratio=1.0,
                  policy="threshold", threshold=0.1, fee_bps=10, funding=funding, maintenance_rate=0.005)
    kwargs.update(overrides)
    return hc.backtest(prices, {"ALT": 100}, 10.0, **kwargs)


def test_hand_computed_path_number_by_number():
    r = hand_path()
    d = r.daily
    assert list(d.columns) == list(BACKTEST_COLUMNS)
    F, mmr = 10.0, 0.005

    # Day 0 (open): E = 100·100 = 10,000; Q = E·1 + 1 ETH·2,000 = 12,000 (§8.2) → 1,200 contracts;
    # fee 12,000 × 10 bps = 12 USD = 0.006 ETH → margin 0.994 ETH.
    q0 = 10_000 + 1.0 * 2_000
    assert d["target_notional_usd"].iloc[0] == pytest.approx(12_000)
    assert d["contracts"].iloc[0] == 1_200
    m0 = 1.0 - 12.0 / 2_000
    assert d["margin_balance"].iloc[0] == pytest.approx(0.994, abs=1e-12)
    # LP = Q(1 − MMR)/(Q/P0 − M) (§6.1 short, cum 0) = 11,940 / (6 − 0.994) = 2,385.1378
    assert d["liquidation_price_usd"].iloc[0] == pytest.approx(q0 * (1 - mmr) / (q0 / 2_000 - m0), rel=1e-12)
    assert d["liquidation_price_usd"].iloc[0] == pytest.approx(2_385.1378346, abs=1e-6)

    # Day 1: P&L 12,000·(1/2,100 − 1/2,000) = −0.285714 ETH; the short receives
    # 1,200·10·0.0001/2,100 = 0.000571 ETH (= 1.20 USD); margin 0.708857 ETH.
    pnl1 = 12_000 * (1 / 2_100 - 1 / 2_000)
    m1 = m0 + pnl1 + 1_200 * F * 0.0001 / 2_100
    assert d["margin_balance"].iloc[1] == pytest.approx(m1, rel=1e-12)
    assert d["margin_balance"].iloc[1] == pytest.approx(0.7088571429, abs=1e-10)
    assert d["cum_funding_usd"].iloc[1] == pytest.approx(-1.20, abs=1e-12)  # received: negative
    # target 10,200 + 0.708857·2,100 = 11,688.60; drift 311.4/11,688.6 = 2.7 % < 10 %: no trade
    assert d["target_notional_usd"].iloc[1] == pytest.approx(10_200 + m1 * 2_100, rel=1e-12)
    assert not d["trade"].iloc[1]

    # Day 2: P&L 12,000·(1/1,600 − 1/2,100) = +1.785714 ETH → margin 2.494571 ETH; target
    # 6,000 + 2.494571·1,600 = 9,991.31; drift 2,008.7/9,991.3 = 20.1 % > 10 %: rebalance to
    # round(9,991.31/10) = 999 contracts; fee 201·10·10 bps = 2.01 USD = 0.00125625 ETH.
    m2_pre = m1 + 12_000 * (1 / 1_600 - 1 / 2_100)
    assert d["target_notional_usd"].iloc[2] == pytest.approx(6_000 + m2_pre * 1_600, rel=1e-12)
    assert d["target_notional_usd"].iloc[2] == pytest.approx(9_991.3142857, abs=1e-6)
    assert d["trade"].iloc[2] and d["contracts"].iloc[2] == 999
    m2 = m2_pre - 2.01 / 1_600
    assert d["margin_balance"].iloc[2] == pytest.approx(m2, rel=1e-12)
    assert d["cum_fees_usd"].iloc[2] == pytest.approx(12 + 2.01, abs=1e-12)
    # LP = 9,990·0.995/(9,990/1,600 − 2.493315) = 2,650.3727
    lp2 = 9_990 * (1 - mmr) / (9_990 / 1_600 - m2)
    assert d["liquidation_price_usd"].iloc[2] == pytest.approx(lp2, rel=1e-12)
    assert lp2 == pytest.approx(2_650.372683, abs=1e-6)

    # Day 3: the close 3,000 ≥ 2,650.37 → liquidated; the margin is lost, the hedge is gone.
    assert d["liquidated"].iloc[3] and not d["liquidated"].iloc[[0, 1, 2, 4]].any()
    assert d["contracts"].iloc[3] == 0 and d["margin_balance"].iloc[3] == 0
    assert d["hedged_usd"].iloc[3] == pytest.approx(9_000)  # the basket alone
    assert math.isinf(d["liquidation_price_usd"].iloc[3])
    # Day 4: no reopen by default
    assert d["contracts"].iloc[4] == 0 and d["hedged_usd"].iloc[4] == pytest.approx(8_000)

    ev = r.events
    assert ev["event"].tolist() == ["open", "rebalance", "liquidation"]
    assert ev["price_usd"].iloc[2] == pytest.approx(lp2, rel=1e-12)
    assert ev["cost_usd"].tolist() == pytest.approx([12.0, 2.01, 0.0])
    s = r.summary
    assert (s.trades, s.liquidations) == (2, 1)
    assert s.liquidation_dates == (pd.Timestamp("2024-03-04"),)
    assert s.funding_paid_usd == pytest.approx(-1.2) and s.fees_usd == pytest.approx(14.01)
    # hedged value: 12,000 before the opening fee → 8,000 at the end; unhedged 12,000 → 80·100 + 2,800
    assert s.total_return_hedged == pytest.approx(8_000 / 12_000 - 1)
    assert s.total_return_unhedged == pytest.approx(10_800 / 12_000 - 1)
    assert s.liquidation_check == r.liquidation_check == "close"
    assert r.funding_source == "history" and r.margin_unit == "ETH" and r.contract_type == "inverse"


def test_highs_liquidate_on_the_day_the_high_crosses():
    # Day 1's LP is 2,385.41 (day 0's wallet plus day 1's funding, from the day-0 close): a
    # day-2 high of 2,400 crosses it although that day closes at 1,600.
    high = pd.Series([2000.0, 2150.0, 2400.0, 3000.0, 2800.0], index=DAYS)
    r = hand_path(high=high)
    assert r.liquidation_check == "high" and r.summary.liquidation_check == "high"
    assert r.summary.liquidation_dates == (pd.Timestamp("2024-03-03"),)
    m1 = r.daily["margin_balance"].iloc[1]
    lp = 12_000 * 0.995 / (12_000 / 2_100 - m1)  # from day 1's close, no funding on day 2
    assert r.events["price_usd"].iloc[-1] == pytest.approx(lp, rel=1e-12)
    assert lp == pytest.approx(2_385.41012615, abs=1e-6)


@pytest.mark.parametrize(("days", "row", "price"), [(0, 3, 3_000.0), (1, 4, 2_800.0)])
def test_reopen_after_liquidation_deposits_the_collateral_again(days, row, price):
    r = hand_path(reopen_after_days=days)
    d = r.daily
    # deposit 1 ETH, then open at Q = E + 1·P: day 3 9,000 + 3,000 → 1,200; day 4 8,000 + 2,800 → 1,080
    expected = {3: 1_200, 4: 1_080}[row]
    assert d["contracts"].iloc[row] == expected
    assert d["cum_deposits_usd"].iloc[-1] == pytest.approx(price)
    assert d["margin_balance"].iloc[row] == pytest.approx(1.0 - expected * 10 * 0.001 / price)
    assert r.events["event"].tolist()[-1] == "reopen"
    assert r.summary.deposits_usd == pytest.approx(price)
    # time-weighted: the deposit is capital, not a gain
    g = d["hedged_usd"].to_numpy()
    assert r.summary.total_return_hedged < g[-1] / 12_000 - 1


def test_funding_sign_short_receives_positive_and_pays_negative():
    # DOMAIN.md §3: rate > 0, longs pay shorts. Inverse: the short receives (Q/P)·rate coin.
    idx = pd.date_range("2024-01-01", periods=3, freq="D")
    px = pd.DataFrame({"ETH": [2_000.0, 2_000.0, 2_000.0]}, index=idx)
    for rate, sign in ((0.0001, -1.0), (-0.0002, 1.0)):
        r = hc.backtest(px, {"ETH": 10}, "binance:ETHUSD_PERP", collateral_coin=10, hedge_ratio=1.0,
                        policy="none", fee_bps=0, funding=rate)
        d = r.daily
        q = d["hedge_notional_usd"].iloc[0]  # 40,000 USD, constant
        # three 8-hour settlements per daily bar; each moves the margin by (Q/P)·rate coin
        assert d["margin_balance"].diff().iloc[1] == pytest.approx(3 * q * rate / 2_000, rel=1e-12)
        assert d["cum_funding_usd"].iloc[-1] == pytest.approx(sign * 6 * q * abs(rate), rel=1e-12)
        assert np.sign(r.summary.funding_paid_usd) == sign
        # and the core's funding_payment agrees with the coin amount of one settlement
        one = hc.funding_payment(q, rate, side="short", mark_price_usd=2_000)
        assert d["margin_balance"].diff().iloc[1] == pytest.approx(-3 * one, rel=1e-12)


def test_funding_linear_is_in_usdt_at_the_mark():
    idx = pd.date_range("2024-01-01", periods=3, freq="D")
    px = pd.DataFrame({"ETH": [2_000.0, 2_500.0, 2_500.0]}, index=idx)
    r = hc.backtest(px, {"ETH": 10}, 0.001, contract_type="linear", hedge_asset="ETH", collateral_usd=20_000,
                    hedge_ratio=1.0, policy="none", fee_bps=0, funding=0.0001)
    d = r.daily
    assert r.margin_unit == "USDT" and d["contracts"].iloc[0] == 10_000  # 10 ETH in 0.001-ETH contracts
    # day 1: P&L 10·(2,000 − 2,500) = −5,000 USDT; funding 3 × 10·2,500·0.0001 = +7.5 USDT received
    assert d["margin_balance"].iloc[1] == pytest.approx(20_000 - 5_000 + 7.5, rel=1e-12)
    assert d["cum_funding_usd"].iloc[1] == pytest.approx(-7.5, rel=1e-12)
    # value: 10 ETH + USDT account = 20,000 + 10·2,000 at every close, plus the funding received
    assert d["hedged_usd"].iloc[1] == pytest.approx(40_000 + 7.5, rel=1e-12)
    lp = hc.liquidation_price(2_500, 10_000, d["margin_balance"].iloc[1], side="short", contract_type="linear",
                              contract_size=0.001, maintenance_rate=0.005)
    assert d["liquidation_price_usd"].iloc[1] == pytest.approx(lp, rel=1e-12)


def test_funding_settlements_map_to_the_bar_that_contains_them():
    # Daily bars are labelled by their UTC day: the bar 01-02 closes at 01-03 00:00, so it carries the
    # 08:00 and 16:00 settlements of 01-02 and the 00:00 one of 01-03; 01-02 00:00 is at the opening close.
    idx = pd.date_range("2024-01-01", periods=3, freq="D")
    px = pd.DataFrame({"ETH": [1_000.0] * 3}, index=idx)
    when = pd.date_range("2024-01-02", "2024-01-04", freq="8h")  # naive = UTC
    rates = pd.Series(1e-4 * 2.0 ** np.arange(len(when)), index=when)  # 1, 2, 4, ... (×1e-4)
    r = hc.backtest(px, {"ETH": 1}, "binance:ETHUSD_PERP", collateral_coin=1, hedge_ratio=1.0, policy="none",
                    fee_bps=0, funding=rates)
    q = r.daily["hedge_notional_usd"].iloc[0]
    per_row = -r.daily["cum_funding_usd"].diff().fillna(-r.daily["cum_funding_usd"]).to_numpy() / q / 1e-4
    assert per_row.tolist() == pytest.approx([0.0, 2 + 4 + 8, 16 + 32 + 64])
    # a tz-aware history in another zone is the same instants
    aware = rates.tz_localize("UTC").tz_convert("Europe/Istanbul")
    r2 = hc.backtest(px, {"ETH": 1}, "binance:ETHUSD_PERP", collateral_coin=1, hedge_ratio=1.0, policy="none",
                     fee_bps=0, funding=aware)
    pd.testing.assert_frame_equal(r.daily, r2.daily)


def test_fee_and_slippage_on_every_trade():
    rng = np.random.default_rng(5)
    idx = pd.date_range("2024-01-01", periods=60, freq="D")
    eth = 2_000 * np.exp(np.cumsum(rng.normal(0, 0.04, 60)))
    alt = 5 * np.exp(np.cumsum(rng.normal(0, 0.05, 60)))
    px = pd.DataFrame({"ETH": eth, "ALT": alt}, index=idx)
    r = hc.backtest(px, {"ALT": 4_000}, "binance:ETHUSD_PERP", collateral_coin=20, hedge_ratio=0.8,
                    policy="periodic", every_days=5, fee_bps=4, slippage_bps=3)
    d, ev = r.daily, r.events
    assert len(ev) == r.summary.trades > 3
    traded_usd = (ev["contracts_after"] - ev["contracts_before"]).abs() * 10  # inverse: face value
    assert ev["cost_usd"].to_numpy() == pytest.approx((traded_usd * 7e-4).to_numpy(), rel=1e-12)
    assert r.summary.fees_usd == pytest.approx(float(traded_usd.sum() * 4e-4), rel=1e-12)
    assert r.summary.slippage_usd == pytest.approx(float(traded_usd.sum() * 3e-4), rel=1e-12)
    # each trade takes its cost out of the coin margin at that close's price
    rows = d.index.get_indexer(ev["date"])
    before = d["margin_balance"].iloc[rows - 1].to_numpy()
    price, prev = d["hedge_price_usd"].iloc[rows].to_numpy(), d["hedge_price_usd"].iloc[rows - 1].to_numpy()
    pnl = ev["contracts_before"].to_numpy() * 10 * (1 / price - 1 / prev)
    after = before + pnl - ev["cost_usd"].to_numpy() / price
    assert d["margin_balance"].iloc[rows].to_numpy()[1:] == pytest.approx(after[1:], rel=1e-12)
    # periodic: trades only on the schedule, every 5 days from the opening close
    assert set((d.index[d["trade"]] - d.index[0]).days) <= set(range(0, 60, 5))


def drifting_prices():
    """ETH flat; the basket jumps +30 % on days 1 and 3 and stays: the target moves, the hedge lags."""
    idx = pd.date_range("2024-01-01", periods=6, freq="D")
    alt = [100.0, 130.0, 130.0, 169.0, 169.0, 169.0]
    return pd.DataFrame({"ETH": [2_000.0] * 6, "ALT": alt}, index=idx)


def run_drift(**kwargs):
    opts = dict(collateral_coin=10, hedge_ratio=1.0, fee_bps=0, policy="threshold", threshold=0.1)
    opts.update(kwargs)
    return hc.backtest(drifting_prices(), {"ALT": 1_000}, "binance:ETHUSD_PERP", **opts)


def test_threshold_rebalances_when_drift_exceeds_it_not_at_it():
    # open: Q = 100,000 + 20,000 = 120,000. Day 1: target 150,000, drift 30,000/150,000 = 20 %.
    r = run_drift(threshold=0.1)
    assert r.daily["trade"].tolist() == [True, True, False, True, False, False]
    assert r.daily["contracts"].tolist() == [12_000, 15_000, 15_000, 18_900, 18_900, 18_900]
    assert not run_drift(threshold=0.2).daily["trade"].iloc[1]  # exactly 20 %: not beyond it
    # in beta units: drift 30,000/E = 30,000/130,000 = 0.2308
    assert run_drift(drift="beta", threshold=0.23).daily["trade"].iloc[1]
    assert not run_drift(drift="beta", threshold=0.231).daily["trade"].iloc[1]


def test_cooldown_delays_a_rebalance_until_it_has_passed():
    # cooldown 2 days: day 1 is 1 day after the opening trade → wait; day 2 (still 20 % off) trades;
    # day 3's new drift is 1 day after that → wait; day 4 trades.
    r = run_drift(cooldown_days=2)
    assert r.daily["trade"].tolist() == [True, False, True, False, True, False]
    times = r.daily.index[r.daily["trade"]]
    assert (np.diff(times.asi8) >= 2 * 86_400e9).all()


def test_min_trade_usd_skips_small_rebalances():
    # day 1's gap is 30,000 USD, day 3's 39,000 USD (169,000 + 20,000 − 150,000)
    r = run_drift(min_trade_usd=35_000)
    assert r.daily["trade"].tolist() == [True, False, False, True, False, False]


def test_policy_none_never_rebalances():
    r = run_drift(policy="none")
    assert r.daily["trade"].tolist() == [True] + [False] * 5
    assert r.summary.trades == 1


def test_rolling_target_uses_the_beta_known_at_each_close():
    rng = np.random.default_rng(11)
    n = 200
    idx = pd.date_range("2023-01-01", periods=n, freq="D")
    eth = 1_500 * np.exp(np.cumsum(rng.normal(0, 0.03, n)))
    alt = 2 * np.exp(np.cumsum(1.4 * np.diff(np.log(eth), prepend=np.log(eth[0])) + rng.normal(0, 0.02, n)))
    px = pd.DataFrame({"ETH": eth, "ALT": alt}, index=idx)
    r = hc.backtest(px, {"ALT": 10_000}, "binance:ETHUSD_PERP", collateral_coin=30, window=30, policy="none")
    expected = hc.rolling_beta(px["ALT"] * 10_000, px["ETH"], 30)
    assert r.daily.index[0] == idx[30]  # the first close with 30 returns
    assert r.daily["hedge_ratio"].to_numpy() == pytest.approx(expected.iloc[30:].to_numpy(), rel=1e-12)
    ewm = hc.backtest(px, {"ALT": 10_000}, "binance:ETHUSD_PERP", collateral_coin=30, window=30, halflife=10,
                      hedge_ratio="ewm", policy="none")
    expected = hc.ewm_beta(px["ALT"] * 10_000, px["ETH"], 10)
    assert ewm.daily.index[0] == idx[30]
    assert ewm.daily["hedge_ratio"].to_numpy() == pytest.approx(expected.iloc[30:].to_numpy(), rel=1e-12)
    # start= trims the simulation, not the beta's history
    later = hc.backtest(px, {"ALT": 10_000}, "binance:ETHUSD_PERP", collateral_coin=30, window=30, policy="none",
                        start="2023-05-01", end="2023-06-30")
    assert later.daily.index[0] == pd.Timestamp("2023-05-01") and later.daily.index[-1] == pd.Timestamp("2023-06-30")
    pd.testing.assert_series_equal(later.daily["hedge_ratio"], r.daily["hedge_ratio"].loc["2023-05-01":"2023-06-30"])


def test_contract_step_and_rounding():
    idx = pd.date_range("2024-01-01", periods=3, freq="D")
    px = pd.DataFrame({"ETH": [2_000.0] * 3, "ALT": [1.0] * 3}, index=idx)
    # Q = 12,345 + 0.5·2,000 = 13,345 USD → 1,334.5 contracts; step 100 → 13.345 steps
    kw = dict(collateral_coin=0.5, hedge_ratio=1.0, policy="none", fee_bps=0)
    for rounding, step, want in (("nearest", 1, 1_335), ("down", 1, 1_334), ("down", 100, 1_300),
                                 ("up", 100, 1_400), ("none", 1, 1_334.5)):
        r = hc.backtest(px, {"ALT": 12_345}, "binance:ETHUSD_PERP", rounding=rounding, contract_step=step, **kw)
        assert r.daily["contracts"].iloc[0] == pytest.approx(want), (rounding, step)


def test_summary_labels_cover_every_field_in_order():
    r = hand_path()
    names = [f for f, _ in hc.BACKTEST_SUMMARY_LABELS]
    assert names == list(r.summary.as_dict())
    assert all(0 < len(label) < 60 for _, label in hc.BACKTEST_SUMMARY_LABELS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(collateral_coin=0), "collateral_coin must be positive"),
        (dict(collateral_usd=100), "margined in the hedge coin"),
        (dict(policy="monthly"), "policy must be one of"),
        (dict(drift="usd"), "drift must be one of"),
        (dict(hedge_ratio="median"), "hedge_ratio must be one of"),
        (dict(window=1.5, hedge_ratio="rolling"), "window must be a whole number"),
        (dict(window=500, hedge_ratio="rolling"), "not enough price history"),
        (dict(fee_bps=-1), "fee_bps must be zero or positive"),
        (dict(maintenance_rate=1.5), "maintenance_rate must be below 1"),
        (dict(hedge_asset="SOL"), "hedge_asset 'SOL' is not a column"),
        (dict(funding=pd.Series([0.0001], index=pd.DatetimeIndex(["2024-03-02"]))), "does not cover the backtest"),
        (dict(funding="a lot"), "funding must be a number"),
        (dict(rounding="banker"), "rounding must be one of"),
        (dict(hedge_asset=None), "hedge_asset is required"),
        (dict(high=pd.DataFrame({"BTC": ETH}, index=DAYS)), "hedge coin 'ETH' is not a column of high"),
        (dict(high=[1, 2, 3]), "high must be a Series"),
        (dict(start="someday"), "start must be a date"),
    ],
)
def test_bad_options_are_short_errors_naming_the_argument(kwargs, message):
    with pytest.raises(hc.InvalidInputError, match=message) as info:
        hand_path(**kwargs)
    assert len(str(info.value)) < 255


def test_bad_prices_are_data_errors():
    px = pd.DataFrame({"ETH": ETH, "ALT": ALT}, index=DAYS)
    with pytest.raises(hc.DataError, match="ALT must be positive, got -60 on 2024-03-03"):
        hc.backtest(px.assign(ALT=[100, 102, -60, 90, 80]), {"ALT": 1}, "binance:ETHUSD_PERP", collateral_coin=1,
                    hedge_ratio=1.0)
    twice = pd.concat([px, px.iloc[[2]]])
    with pytest.raises(hc.DataError, match="2024-03-03 00:00:00 twice"):
        hc.backtest(twice, {"ALT": 1}, "binance:ETHUSD_PERP", collateral_coin=1, hedge_ratio=1.0)
    with pytest.raises(hc.InvalidInputError, match="DatetimeIndex"):
        hc.backtest(px.reset_index(drop=True), {"ALT": 1}, "binance:ETHUSD_PERP", collateral_coin=1)
    with pytest.raises(hc.InvalidInputError, match="quantities coin 'DOGE' is not a column"):
        hc.backtest(px, {"DOGE": 1}, "binance:ETHUSD_PERP", collateral_coin=1)
    with pytest.raises(hc.InvalidInputError, match="at least one coin"):
        hc.backtest(px, {"ALT": 0}, "binance:ETHUSD_PERP", collateral_coin=1)
    with pytest.raises(hc.UnknownContractError):
        hc.backtest(px, {"ALT": 1}, "binance:ETHUSD_PERPX", collateral_coin=1)


def test_missing_rows_are_dropped_and_input_is_not_modified():
    px = pd.DataFrame({"ETH": ETH, "ALT": ALT}, index=DAYS)
    px.iloc[1, 1] = np.nan
    shuffled = px.iloc[[3, 0, 4, 2, 1]]
    before = shuffled.copy()
    r = hc.backtest(shuffled, {"ALT": 100}, "binance:ETHUSD_PERP", collateral_coin=1, hedge_ratio=1.0)
    pd.testing.assert_frame_equal(shuffled, before)
    assert list(r.daily.index) == [DAYS[0], DAYS[2], DAYS[3], DAYS[4]]


def test_tier_brackets_are_used_for_the_liquidation_price():
    # A COIN-M ladder with Binance's cum rule (DOMAIN.md §5.2, coin notional): 24,000 USD of alts on
    # 0.25 BTC (§9) is a 40,000 USD short, 0.625 BTC at 64,000 and about 0.38 BTC at its LP: tier 2.
    idx = pd.date_range("2024-01-01", periods=3, freq="D")
    px = pd.DataFrame({"BTC": [64_000.0, 60_000.0, 66_000.0], "ALT": [24.0, 22.0, 25.0]}, index=idx)
    brackets = hc.brackets_from_rates([0, 0.3, 1, 2], [0.004, 0.005, 0.01, 0.025])
    r = hc.backtest(px, {"ALT": 1_000}, "binance:BTCUSD_PERP", collateral_coin=0.25, hedge_ratio=1.0,
                    policy="none", fee_bps=0, brackets=brackets)
    d = r.daily
    assert d["contracts"].iloc[0] == 400  # DOMAIN.md §9
    for i in range(3):
        lp = hc.liquidation_price(d["hedge_price_usd"].iloc[i], 400, d["margin_balance"].iloc[i], side="short",
                                  contract_size=100, brackets=brackets)
        assert d["liquidation_price_usd"].iloc[i] == pytest.approx(lp, rel=1e-12)
    # one tier at 0.4 % reproduces §9's 106,240 at the opening close
    one = hc.backtest(px, {"ALT": 1_000}, "binance:BTCUSD_PERP", collateral_coin=0.25, hedge_ratio=1.0,
                      policy="none", fee_bps=0, maintenance_rate=0.004)
    assert one.daily["liquidation_price_usd"].iloc[0] == pytest.approx(106_240.0, rel=1e-12)
