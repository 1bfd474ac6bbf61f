"""Stress scenarios: the seed article's ±15 % example and Alice's collateral case."""

import numpy as np
import pytest

import hedgecore as hc


def row(df, shock):
    return df.loc[np.isclose(df["Shock"], shock)].iloc[0]


def test_columns_first_and_in_order():
    df = hc.scenario_pnl(1_000, 1, 1_000, 100, [0.1])
    assert tuple(df.columns[: len(hc.SCENARIO_COLUMNS)]) == hc.SCENARIO_COLUMNS


def test_article_eth_minus_and_plus_15pct():
    # Seed article: $50,000 of alts hedged by 14 ETH contracts ($49,000) at $3,500.
    df = hc.scenario_pnl(50_000, 1.0, 49_000, 3_500, [-0.15, 0.15], contract_type="linear")
    down, up = row(df, -0.15), row(df, 0.15)
    assert down["Spot P&L"] == pytest.approx(-7_500)
    assert down["Hedge P&L"] == pytest.approx(7_350)
    assert down["Net P&L"] == pytest.approx(-150)
    assert up["Net P&L"] == pytest.approx(150)
    assert down["Hedge price"] == pytest.approx(2_975)


def test_inverse_hedge_in_usd_equals_the_linear_hedge():
    # DOMAIN.md §4.3: the USD value of an inverse short is −Q·r, like a linear short of Q/P0 coins.
    shocks = np.linspace(-0.6, 0.9, 16)
    inv = hc.scenario_pnl(50_000, 1.0, 49_000, 3_500, shocks, contract_type="inverse")
    lin = hc.scenario_pnl(50_000, 1.0, 49_000, 3_500, shocks, contract_type="linear")
    np.testing.assert_allclose(inv["Hedge P&L"], lin["Hedge P&L"], rtol=1e-12)
    coin = [hc.inverse_pnl_usd(49_000, 3_500, 3_500 * (1 + s), side="short") for s in shocks]
    np.testing.assert_allclose(inv["Hedge P&L"], coin, rtol=1e-9, atol=1e-9)


def test_alice_collateral_naive_sizing_leaves_her_exposed():
    # Alice buys $49,000 of ETH (14 ETH) and posts it as 1x collateral for the ETHUSD_PERP short.
    collateral = 49_000 / 3_500
    naive = hc.hedge_contracts(49_000, 3_500, "ETHUSD_PERP")  # 4,900: ignores the collateral
    aware = hc.hedge_contracts(50_000, 3_500, "ETHUSD_PERP", collateral_coin=collateral)  # 9,900
    assert (naive, aware) == (4_900, 9_900)
    for contracts, expected_net in ((naive, -7_500), (aware, 0.0)):
        q = hc.hedged_notional(contracts, 3_500, "ETHUSD_PERP")
        r = row(hc.scenario_pnl(50_000, 1.0, q, 3_500, [-0.15], collateral_coin=collateral), -0.15)
        assert r["Spot P&L"] == pytest.approx(-7_500)
        assert r["Net P&L"] == pytest.approx(expected_net, abs=1e-6)
    # naive: the hedge gain only offsets the collateral's loss; net P&L ≈ spot P&L
    r = row(hc.scenario_pnl(50_000, 1.0, 49_000, 3_500, [-0.15], collateral_coin=collateral), -0.15)
    assert r["Hedge P&L"] == pytest.approx(7_350) and r["Collateral P&L"] == pytest.approx(-7_350)


def test_funding_received_by_the_short_and_values():
    df = hc.scenario_pnl(24_000, 1.0, 40_000, 64_000, [0.0], collateral_coin=0.25, funding_rate=0.0001, days=1)
    r = row(df, 0.0)
    assert r["Funding"] == pytest.approx(12.0)  # 3 × 4 USD received (DOMAIN.md §3)
    assert r["Net P&L"] == pytest.approx(12.0)
    assert r["Unhedged value"] == pytest.approx(24_000 + 16_000)
    assert r["Hedged value"] == pytest.approx(40_012)


def test_alt_move_never_below_minus_100pct():
    df = hc.scenario_pnl(10_000, 2.5, 0, 100, [-0.5])
    assert row(df, -0.5)["Alt move"] == -1.0
    assert row(df, -0.5)["Spot P&L"] == pytest.approx(-10_000)


def test_zero_shock_is_a_real_scenario_and_bad_shocks_are_rejected():
    df = hc.scenario_pnl(10_000, 1, 10_000, 100, [0, -0.1])
    assert len(df) == 2
    with pytest.raises(hc.InvalidInputError, match=r"shocks must be above -1 .* at position 2"):
        hc.scenario_pnl(10_000, 1, 10_000, 100, [0.1, -1.0])
    with pytest.raises(hc.InvalidInputError, match="shocks must be finite"):
        hc.scenario_pnl(10_000, 1, 10_000, 100, [np.nan])
    with pytest.raises(hc.InvalidInputError, match="entry_price_usd must be positive"):
        hc.scenario_pnl(10_000, 1, 10_000, 0, [0.1])


def test_liquidation_flag_matches_the_liquidation_price():
    # DOMAIN.md §9: cross short 40,000 USD on 0.25 BTC at 64,000 liquidates at 106,240 (+66 %)
    df = hc.scenario_pnl(24_000, 1.0, 40_000, 64_000, [0.5, 0.65, 0.66, 0.7], collateral_coin=0.25,
                         maintenance_rate=0.004)
    assert df["Liquidated"].tolist() == [False, False, True, True]
    one_x = hc.scenario_pnl(0, 1.0, 16_000, 64_000, [0.5, 5.0, 50.0], collateral_coin=0.25, maintenance_rate=0.004)
    assert not one_x["Liquidated"].any()  # a 1x inverse short on same-coin collateral survives any rally
    assert "Liquidated" not in hc.scenario_pnl(1, 1, 1, 1, [0.1]).columns


def test_overflow_is_a_clear_error_not_inf():
    with pytest.raises(hc.InvalidInputError, match="too large to compute"):
        hc.scenario_pnl(1e308, 1e10, 1e308, 1e308, [0.5])
