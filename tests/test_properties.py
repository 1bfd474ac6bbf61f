"""Invariants of the hedge maths (hypothesis)."""

import math

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

import hedgecore as hc

usd = st.floats(min_value=1.0, max_value=1e8, allow_nan=False)
price = st.floats(min_value=0.01, max_value=1e6, allow_nan=False)
beta = st.floats(min_value=0.0, max_value=3.0, allow_nan=False)
coins = st.floats(min_value=0.0, max_value=1e4, allow_nan=False)
shock = st.floats(min_value=-0.3, max_value=3.0, allow_nan=False)
mmr = st.floats(min_value=0.0, max_value=0.2, allow_nan=False)


@given(usd, price, beta, coins, shock)
def test_unrounded_sizing_leaves_no_net_usd_delta(exposure, p0, b, collateral, s):
    assume(b * s > -1)
    q = hc.hedge_notional(exposure, p0, hedge_ratio=b, collateral_coin=collateral)
    # spot × beta + collateral − hedge = 0 in USD delta terms
    assert math.isclose(exposure * b + collateral * p0 - q, 0.0, abs_tol=1e-6 * max(1.0, q))
    df = hc.scenario_pnl(exposure, b, q, p0, [s], collateral_coin=collateral, risk_columns=True)
    # as long as the short survives; with no collateral the coin margin posted at 1x (q/p0 coins) is long
    margin_coin_pnl = q * s if collateral == 0 else 0.0
    assert abs(df["Net P&L if short survived"].iloc[0] - margin_coin_pnl) <= 1e-9 * max(1.0, q) * (1 + abs(s))


@given(usd, price, st.floats(min_value=1.0, max_value=1e3), st.sampled_from(["none", "down", "nearest", "up"]))
def test_rounding_moves_the_count_by_less_than_one_contract(exposure, p0, size, rounding):
    raw = hc.hedge_contracts(exposure, p0, size, rounding="none")
    assert abs(hc.hedge_contracts(exposure, p0, size, rounding=rounding) - raw) <= 1.0 + 1e-9 * raw


@given(price, st.integers(1, 10_000), st.floats(0.0001, 10.0), st.floats(0.0001, 10.0), mmr)
def test_short_liquidation_moves_away_from_entry_as_collateral_grows(p0, n, wb1, extra, rate):
    try:
        lp1 = hc.liquidation_price(p0, n, wb1, side="short", contract_size=10, maintenance_rate=rate)
    except hc.BelowMaintenanceError:  # liquidated at once: no price on the adverse side to compare
        assume(False)
    lp2 = hc.liquidation_price(p0, n, wb1 + extra, side="short", contract_size=10, maintenance_rate=rate)
    assert lp2 >= lp1 * (1 - 1e-12)


@given(price, st.integers(1, 10_000), st.floats(0.0001, 10.0), st.floats(0.0001, 10.0), mmr)
def test_long_liquidation_moves_away_from_entry_as_collateral_grows(p0, n, wb1, extra, rate):
    try:
        lp1 = hc.liquidation_price(p0, n, wb1, side="long", contract_size=10, maintenance_rate=rate)
    except hc.BelowMaintenanceError:  # liquidated at once: no price on the adverse side to compare
        assume(False)
    lp2 = hc.liquidation_price(p0, n, wb1 + extra, side="long", contract_size=10, maintenance_rate=rate)
    assert lp2 <= lp1 * (1 + 1e-12)


@given(price, st.integers(1, 100_000), st.floats(0, 1.0), mmr, st.floats(1.0, 1e4))
def test_1x_inverse_short_on_same_coin_collateral_is_never_liquidated(p0, n, extra_frac, rate, rise):
    face = 10.0
    wallet = n * face / p0 * (1 + extra_frac)  # collateral covers the notional (1x or less)
    assert hc.liquidation_price(p0, n, wallet, side="short", contract_size=face, maintenance_rate=rate) == math.inf
    # and directly: equity ≥ maintenance margin at any higher price (DOMAIN.md §7)
    p = p0 * rise
    equity = wallet + hc.inverse_pnl_coin(n * face, p0, p, side="short")
    assert equity >= hc.maintenance_margin(n * face / p, maintenance_rate=rate) * (1 - 1e-9)


@given(usd, price, price)
def test_long_and_short_pnl_are_antisymmetric(q, p0, p1):
    assert hc.inverse_pnl_coin(q, p0, p1, side="long") == -hc.inverse_pnl_coin(q, p0, p1, side="short")
    assert hc.linear_pnl(q / p0, p0, p1, side="long") == -hc.linear_pnl(q / p0, p0, p1, side="short")


@given(st.lists(st.floats(-0.9, 5.0), min_size=1, max_size=50), usd, beta, usd, price, coins)
def test_net_is_the_sum_of_the_legs(shocks, exposure, b, q, p0, collateral):
    df = hc.scenario_pnl(exposure, b, q, p0, shocks, collateral_coin=collateral, funding_rate=0.0001, days=7)
    legs = df["Spot P&L"] + df["Hedge P&L"] + df["Collateral P&L"] + df["Funding"]
    np.testing.assert_allclose(df["Net P&L"], legs, rtol=1e-12, atol=1e-6)
    scale = (exposure + collateral * p0 + 2 * q) * (1 + max(abs(x) for x in shocks))  # float cancellation scale
    # both values start from the altcoins and the own collateral; only the hedged one carries the margin
    own = collateral * p0 * np.asarray(df["Shock"])
    np.testing.assert_allclose(df["Hedged value"] - df["Unhedged value"], df["Net P&L"] - df["Spot P&L"] - own,
                               rtol=1e-9, atol=1e-12 * scale + 1e-9)
