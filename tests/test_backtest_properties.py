"""Invariants of hedgecore.backtest (hypothesis): no look-ahead, conservation, the 1x inverse short, rules.

* No look-ahead: the target uses the beta known at each close; changing prices after row t changes
  nothing up to t. (hedgecore.stats centres its rolling and EWM sums on the whole sample's mean, so
  future prices move past betas by rounding noise, about 1e-9 absolute: "nothing" is to that noise,
  not bit for bit; every flag and contract count is identical.)
* Conservation (DOMAIN.md §8.1): hedging the hedge coin itself at β = 1 with its inverse perp on
  same-coin collateral, Q = (k + C)·P, makes the value constant — exactly with unrounded contracts,
  within F/2 per unit return with whole contracts.
* The 1x inverse short on same-coin collateral has no liquidation price (DOMAIN.md §7).
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hedgecore as hc
from hedgecore.backtesting import _Contract, _liquidation_prices

returns = st.floats(-0.2, 0.2, allow_nan=False)


def frame(eth_r, alt_r, freq="D", wiggle=0.0):
    """Prices from log returns; ``wiggle`` adds ±wiggle to ETH's so that no path is flat (a beta needs variance)."""
    idx = pd.date_range("2022-01-01", periods=len(eth_r), freq=freq)
    eth = 2_000.0 * np.exp(np.cumsum(np.asarray(eth_r) + wiggle * (-1.0) ** np.arange(len(eth_r))))
    alt = 10.0 * np.exp(np.cumsum(alt_r))
    return pd.DataFrame({"ETH": eth, "ALT": alt}, index=idx)


@settings(max_examples=60)
@given(data=st.data())
def test_changing_prices_after_t_changes_nothing_up_to_t(data):
    n = data.draw(st.integers(14, 45), label="rows")
    eth_r = data.draw(st.lists(returns, min_size=n, max_size=n))
    alt_r = data.draw(st.lists(returns, min_size=n, max_size=n))
    window = data.draw(st.integers(3, 8))
    t = data.draw(st.integers(window + 1, n - 2), label="t")
    shock = data.draw(st.lists(st.floats(0.2, 5.0), min_size=n - t - 1, max_size=n - t - 1))
    opts = dict(
        collateral_coin=data.draw(st.floats(2.0, 60.0)),
        policy=data.draw(st.sampled_from(hc.POLICIES)),
        hedge_ratio=data.draw(st.sampled_from(["rolling", "ewm"])),
        window=window,
        halflife=3.0,
        threshold=data.draw(st.floats(0.0, 0.3)),
        every_days=data.draw(st.sampled_from([1.0, 2.0, 5.0])),
        cooldown_days=data.draw(st.sampled_from([0.0, 1.0, 3.0])),
        fee_bps=5.0,
        funding=data.draw(st.floats(-0.001, 0.001)),
        reopen_after_days=data.draw(st.sampled_from([None, 0.0, 2.0])),
    )
    px = frame(eth_r, alt_r, wiggle=0.003)
    high = px["ETH"] * (1.0 + np.abs(np.asarray(alt_r)) / 4)
    later = px.copy()
    later.iloc[t + 1 :] = later.iloc[t + 1 :].mul(np.asarray(shock), axis=0)
    high_later = high.copy()
    high_later.iloc[t + 1 :] *= np.asarray(shock) * 1.1
    a = hc.backtest(px, {"ALT": 500}, "binance:ETHUSD_PERP", high=high, **opts)
    b = hc.backtest(later, {"ALT": 500}, "binance:ETHUSD_PERP", high=high_later, **opts)
    cut = px.index[t]
    pd.testing.assert_frame_equal(a.daily.loc[:cut], b.daily.loc[:cut], check_exact=False, rtol=1e-9, atol=1e-8)
    for col in ("contracts", "trade", "liquidated"):
        assert (a.daily[col].loc[:cut] == b.daily[col].loc[:cut]).all()
    ea, eb = a.events[a.events["date"] <= cut], b.events[b.events["date"] <= cut]
    pd.testing.assert_frame_equal(ea.reset_index(drop=True), eb.reset_index(drop=True), rtol=1e-9)


@settings(max_examples=60)
@given(
    eth_r=st.lists(st.floats(-0.1, 0.1), min_size=3, max_size=30),
    coins=st.floats(0.5, 500.0),
    policy=st.sampled_from(hc.POLICIES),
)
def test_hedging_the_hedge_coin_at_beta_one_keeps_the_value_constant(eth_r, coins, policy):
    # k ETH held, 20·k ETH of collateral: LP ≈ 21·P0·(1 − MMR) is beyond any path here (e^3 ≈ 20.1)
    px = frame(eth_r, eth_r)[["ETH"]]
    r = hc.backtest(px, {"ETH": coins}, "binance:ETHUSD_PERP", collateral_coin=20 * coins, hedge_ratio=1.0,
                    policy=policy, every_days=1.0, threshold=0.0, fee_bps=0, rounding="none")
    start = 21 * coins * px["ETH"].iloc[0]
    assert r.summary.liquidations == 0 and r.summary.trades == 1
    assert r.daily["hedged_usd"].to_numpy() == pytest.approx(np.full(len(px), start), rel=1e-9)
    assert r.daily["hedged_coin"].iloc[-1] * px["ETH"].iloc[-1] == pytest.approx(start, rel=1e-9)
    assert r.summary.volatility_hedged == pytest.approx(0.0, abs=1e-7)
    # linear, USDT-margined: short k ETH against k ETH held
    lin = hc.backtest(px, {"ETH": coins}, "binance:ETHUSDT", collateral_usd=start, hedge_ratio=1.0, policy=policy,
                      every_days=1.0, threshold=0.0, fee_bps=0, rounding="none")
    assert lin.daily["hedged_usd"].to_numpy() == pytest.approx(np.full(len(px), start + coins * px["ETH"].iloc[0]),
                                                              rel=1e-9)


@settings(max_examples=60)
@given(eth_r=st.lists(st.floats(-0.1, 0.1), min_size=3, max_size=30), coins=st.floats(5.0, 500.0))
def test_whole_contracts_leave_at_most_half_a_contract_unhedged(eth_r, coins):
    # rebalanced to the nearest whole contract every day: |ΔV_t| ≤ (F/2)·|r_t| (F = 10 USD)
    px = frame(eth_r, eth_r)[["ETH"]]
    r = hc.backtest(px, {"ETH": coins}, "binance:ETHUSD_PERP", collateral_coin=20 * coins, hedge_ratio=1.0,
                    policy="periodic", every_days=1.0, fee_bps=0)
    value = r.daily["hedged_usd"].to_numpy()
    ret = np.abs(np.diff(px["ETH"].to_numpy())) / px["ETH"].to_numpy()[:-1]
    assert (np.abs(np.diff(value)) <= 5.0 * ret * (1 + 1e-9) + 1e-9 * value[0]).all()


@settings(max_examples=60)
@given(
    eth_r=st.lists(st.floats(-0.5, 1.0), min_size=3, max_size=25),
    alt_r=st.lists(st.floats(-0.5, 0.5), min_size=25, max_size=25),
    collateral=st.floats(0.05, 100.0),
    cum=st.sampled_from([0.0, 0.01]),
)
def test_1x_inverse_short_on_same_coin_collateral_is_never_liquidated(eth_r, alt_r, collateral, cum):
    # hedge ratio 0: the target is the collateral alone, Q = C·P (1x); rounding down keeps Q ≤ C·P.
    # Rallies up to +100 % a day (×2^25 over the path) never liquidate it (DOMAIN.md §7).
    px = frame(eth_r, alt_r[: len(eth_r)])
    r = hc.backtest(px, {"ALT": 1_000}, "binance:ETHUSD_PERP", collateral_coin=collateral, hedge_ratio=0.0,
                    policy="threshold", threshold=0.0, fee_bps=0, rounding="down", maintenance_amount=cum)
    assert r.summary.liquidations == 0
    lp, price = r.daily["liquidation_price_usd"], r.daily["hedge_price_usd"]
    # none, or (when Q/P − M rounds to −1e−16 instead of 0) one no price reaches
    assert (np.isinf(lp) | (lp > 1e9 * price)).all()
    held = r.daily["hedge_notional_usd"].to_numpy()
    # round_contracts snaps counts within 1e-9 of a whole number, so "down" may be up by that much
    assert (held <= r.daily["margin_balance_usd"].to_numpy() * (1 + 2e-9)).all()


@settings(max_examples=60)
@given(data=st.data())
def test_rebalances_follow_the_threshold_and_cooldown_rule(data):
    n = data.draw(st.integers(5, 40))
    px = frame(data.draw(st.lists(returns, min_size=n, max_size=n)), data.draw(st.lists(returns, min_size=n, max_size=n)))
    threshold = data.draw(st.floats(0.0, 0.4))
    cooldown = data.draw(st.sampled_from([0.0, 1.0, 2.0, 4.5]))
    drift = data.draw(st.sampled_from(["notional", "beta"]))
    r = hc.backtest(px, {"ALT": 1_000}, "binance:ETHUSD_PERP", collateral_coin=200, hedge_ratio=1.3,
                    policy="threshold", threshold=threshold, cooldown_days=cooldown, drift=drift, fee_bps=3)
    d = r.daily
    assert r.summary.liquidations == 0
    last = d.index[0]
    for i in range(1, len(d)):
        target, held = d["target_notional_usd"].iloc[i], d["contracts"].iloc[i - 1] * 10
        base = target if drift == "notional" else d["basket_usd"].iloc[i]
        beyond = abs(target - held) / base > threshold
        rested = (d.index[i] - last) >= pd.Timedelta(days=cooldown)
        changes = hc.round_contracts(target / 10) != d["contracts"].iloc[i - 1]
        assert bool(d["trade"].iloc[i]) == (beyond and rested and changes), d.index[i]
        if d["trade"].iloc[i]:
            last = d.index[i]
            assert d["contracts"].iloc[i] == hc.round_contracts(target / 10)


def brackets_strategy():
    floors = st.lists(st.floats(0.01, 50.0), min_size=1, max_size=4, unique=True).map(sorted)
    return floors.flatmap(lambda f: st.lists(st.floats(0.001, 0.2), min_size=len(f) + 1, max_size=len(f) + 1)
                          .map(lambda r: hc.brackets_from_rates([0.0, *f], sorted(r))))


@settings(max_examples=200)
@given(
    kind=st.sampled_from(["inverse", "linear"]),
    contracts=st.just(0.0) | st.floats(1e-6, 1e5),
    wallet=st.floats(-1.0, 1e4),
    ref=st.floats(1.0, 1e5),
    mmr=st.floats(0.0, 0.3),
    cum=st.floats(0.0, 2.0),
    brackets=st.none() | brackets_strategy(),
)
def test_vectorised_liquidation_price_is_the_cores(kind, contracts, wallet, ref, mmr, cum, brackets):
    size = 10.0 if kind == "inverse" else 0.01
    ct = _Contract(kind=kind, size=size, step=1.0, rounding="nearest", maintenance_rate=mmr, maintenance_amount=cum,
                   brackets=brackets)
    ours = float(_liquidation_prices(ct, contracts, np.array([wallet]), np.array([ref]))[0])
    if contracts == 0:  # no position, nothing to liquidate (the core rejects a negative wallet first)
        assert math.isinf(ours)
        return
    try:
        core = hc.liquidation_price(ref, contracts, wallet, side="short", contract_type=kind, contract_size=size,
                                    maintenance_rate=mmr, maintenance_amount=cum, brackets=brackets)
    except hc.InvalidInputError:  # below maintenance at every price
        core = ref
    core = max(core, ref)  # below maintenance at the reference price: liquidated at once, at that price
    if math.isinf(core):
        assert math.isinf(ours)
    else:
        assert ours == pytest.approx(core, rel=1e-12, abs=1e-9)
