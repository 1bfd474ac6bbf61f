"""Liquidation-aware stress test: a shock past the liquidation price is a liquidation, not a profit.

Hand-computed outcomes (arithmetic in the tests) for an inverse and a linear hedge, the margin coin
of a collateral-free inverse hedge, the default wallet, and the issue #10 example figures.
"""

import math

import numpy as np
import pytest

import hedgecore as hc


def test_inverse_hedge_liquidated_hand_computed():
    # DOMAIN.md §9: E 24,000 (beta 1), Q 40,000 USD short BTCUSD_PERP at 64,000 on 0.25 BTC, MMR 0.4 %:
    # LP = 40,000·0.996 / (40,000/64,000 − 0.25) = 106,240 (+66 %).
    df = hc.scenario_pnl(24_000, 1.0, 40_000, 64_000, [0.5, 0.7], collateral_coin=0.25, maintenance_rate=0.004,
                         funding_rate=0.0001, days=1)
    survived, gone = df.iloc[0], df.iloc[1]
    assert df.attrs["liquidation_price_usd"] == pytest.approx(106_240)
    assert not survived["Liquidated"] and gone["Liquidated"]
    # +50 %: survives; spot +12,000, hedge −20,000, collateral +8,000, funding 3 × 4 USD received
    assert survived["Net P&L"] == pytest.approx(12_000 - 20_000 + 8_000 + 12)
    # +70 % (108,800): liquidated at 106,240; the equity left there, 40,000/106,240·0.4 % = 0.0015060 BTC,
    # is taken, so the account's 0.25 BTC are gone: hedge leg = −0.25 BTC valued at 108,800 = −27,200.
    assert gone["Spot P&L"] == pytest.approx(24_000 * 0.7)  # 16,800
    assert gone["Collateral P&L"] == pytest.approx(0.25 * 64_000 * 0.7)  # 11,200
    assert gone["Hedge P&L"] == pytest.approx(-0.25 * 108_800)
    assert gone["Funding"] == 0.0  # it was paid into the account that is lost
    assert gone["Net P&L"] == pytest.approx(16_800 - 0.25 * 64_000)  # = 800: alts minus the margin at entry
    assert gone["Net P&L if short survived"] == pytest.approx(16_800 + 11_200 - 40_000 * 0.7 + 12)
    # a documented recovery fraction gives back part of the equity left at the liquidation price
    soft = hc.scenario_pnl(24_000, 1.0, 40_000, 64_000, [0.7], collateral_coin=0.25, maintenance_rate=0.004,
                           liquidation_recovery=0.5)
    equity_at_lp = 40_000 / 106_240 * 0.004
    assert soft["Net P&L"].iloc[0] == pytest.approx(800 + 0.5 * equity_at_lp * 108_800)


def test_linear_hedge_liquidated_hand_computed():
    # Seed article's Alice, linear: 14 ETH short (49,000 USD) at 3,500 on 9,800 USDT (5x), MMR 0.5 %, cum 0.
    # LP = (9,800 + 14·3,500) / (14·1.005) = 58,800 / 14.07 = 4,179.10 (+19.4 %).
    df = hc.scenario_pnl(50_000, 1.0, 49_000, 3_500, [0.1, 0.3], contract_type="linear", leverage=5,
                         maintenance_rate=0.005, funding_rate=0.0001, days=1)
    assert df.attrs["wallet_balance"] == pytest.approx(9_800)
    assert df.attrs["liquidation_price_usd"] == pytest.approx(58_800 / 14.07)
    ok, gone = df.iloc[0], df.iloc[1]
    # +10 %: survives; funding on the notional at the shocked price, 49,000·1.1·0.01 %·3 = 16.17 received
    assert ok["Funding"] == pytest.approx(49_000 * 1.1 * 0.0001 * 3)
    assert ok["Net P&L"] == pytest.approx(5_000 - 4_900 + 16.17)
    # +30 %: liquidated at 4,179.10; the 9,800 USDT wallet is lost: net = 15,000 − 9,800 = 5,200
    assert gone["Liquidated"] and gone["Hedge P&L"] == pytest.approx(-9_800)
    assert gone["Net P&L"] == pytest.approx(5_200)
    assert gone["Net P&L if short survived"] == pytest.approx(15_000 - 14 * 1_050 + 49_000 * 1.3 * 0.0001 * 3)


def test_no_wallet_means_the_initial_margin_at_the_leverage_not_zero():
    # issue #10: wallet 0 reported "liquidated" at a 0 % shock. Now the wallet is the initial margin.
    df = hc.scenario_pnl(0, 1.0, 40_000, 64_000, [0.0, 0.3], leverage=2, maintenance_rate=0.004)
    assert df.attrs["wallet_balance"] == pytest.approx(40_000 / 64_000 / 2)  # 0.3125 BTC
    assert not df["Liquidated"].any()
    # 2x inverse short on its own 0.3125 BTC margin (bankruptcy 128,000, DOMAIN.md §6.1): LP below 2x entry
    assert 64_000 < df.attrs["liquidation_price_usd"] < 128_000


def test_a_wallet_below_maintenance_is_liquidated_at_once():
    # 0.001 BTC behind a 40,000 USD short (MM at entry 0.0025 BTC): every shock is a liquidation
    df = hc.scenario_pnl(24_000, 1.0, 40_000, 64_000, [-0.2, 0.0, 0.2], wallet_balance=0.001, maintenance_rate=0.004)
    assert df["Liquidated"].all()
    np.testing.assert_allclose(df["Net P&L"], df["Spot P&L"] + 0.001 * 64_000 * df["Shock"] - 0.001 * df["Hedge price"])


def test_margin_coin_of_a_collateral_free_inverse_hedge_is_long():
    # issue #10 example with Collateral = 0: 8,292 ETHUSD_PERP (82,920 USD) at 3x on 7.89 ETH of margin.
    # At ETH −50 % the table showed +747 (funding only); the margin coin loses half its value.
    e, beta, price = 89_998.46, 0.9213289276307561, 3_505.16333
    plan = hc.hedge_plan(e, price, "ETHUSD_PERP", hedge_ratio=beta, leverage=3, maintenance_rate=0.005)
    assert plan.contracts == 8_292
    df = hc.scenario_pnl(e, beta, plan.hedged_notional_usd, price, [-0.5], leverage=3, maintenance_rate=0.005,
                         funding_rate=0.0001, days=30)
    margin_coin = 82_920 / (price * 3)
    row = df.iloc[0]
    assert row["Collateral P&L"] == pytest.approx(-0.5 * margin_coin * price)  # −13,820
    assert row["Net P&L"] == pytest.approx(e * beta * -0.5 + 82_920 * 0.5 - 13_820 + 82_920 * 0.0001 * 90)
    assert -13_200 < row["Net P&L"] < -12_900  # "about −$13k"
    assert plan.net_delta_usd == pytest.approx(82_920 / 3 + e * beta - 82_920)  # the same coin, as delta


def test_issue_example_worst_case_is_the_liquidation():
    # issue #10 demo: 10 ETH collateral, 11,797 contracts, liquidation at +41.6 %. At +50 % the short is gone
    # with the account: about +6.4k if ETH stays there, and the whole 10 ETH (35,051.63 USD) if it comes back.
    e, beta, price = 89_998.46, 0.9213289276307561, 3_505.16333
    plan = hc.hedge_plan(e, price, "ETHUSD_PERP", hedge_ratio=beta, collateral_coin=10, leverage=3,
                         maintenance_rate=0.005, funding_rate=0.0001)
    assert plan.loss_if_liquidated_usd == pytest.approx(10 * price)
    df = hc.scenario_pnl(e, beta, plan.hedged_notional_usd, price, [-0.5, 0.4, 0.5], collateral_coin=10,
                         maintenance_rate=0.005, wallet_balance=plan.wallet_balance, funding_rate=0.0001, days=30)
    assert df.attrs["liquidation_price_usd"] == pytest.approx(plan.liquidation_price_usd)
    assert df["Liquidated"].tolist() == [False, False, True]
    assert df["Net P&L"].iloc[2] == pytest.approx(e * beta * 0.5 - 10 * price)  # 41,458.3 − 35,051.6 = 6,406.7
    assert df["Net P&L if short survived"].iloc[2] == pytest.approx(1_061.64, abs=0.01)  # what the demo showed
    # the liquidation-aware table no longer shows the +50 % row as a hedged +1,061.64
    assert df["Net P&L"].max() == df["Net P&L"].iloc[2] != df["Net P&L if short survived"].iloc[2]


def test_plan_and_stress_share_the_catalog_tiers_and_liquidation_price():
    # Binance BTCUSDT tiers (tiers.csv): 10 BTC short at 55,000 on 55,000 USDT liquidates in tier 3
    plan = hc.hedge_plan(550_000, 55_000, "binance:BTCUSDT", leverage=10)
    df = hc.scenario_pnl(550_000, 1.0, plan.hedged_notional_usd, 55_000, [0.09, 0.1], contract="binance:BTCUSDT",
                         leverage=10)
    assert df.attrs["liquidation_price_usd"] == pytest.approx(plan.liquidation_price_usd)
    assert df.attrs["maintenance_rate"] == plan.maintenance_rate == 0.0065
    assert df["Liquidated"].tolist() == [False, True]


def test_residual_band_and_downside_columns():
    band = hc.ResidualBand(-0.08, 0.05, (0.05, 0.95), 30, 1.0, 500)
    df = hc.scenario_pnl(50_000, 1.0, 49_000, 3_500, [-0.5, 0.2], contract_type="linear", residual=band,
                         downside_beta=1.2)
    down, up = df.iloc[0], df.iloc[1]
    assert down["Net P&L low"] == pytest.approx(down["Net P&L"] - 0.08 * 50_000)
    assert up["Net P&L high"] == pytest.approx(up["Net P&L"] + 0.05 * 50_000)
    # downside beta 1.2 instead of 1 at −50 %: the altcoins lose another 10 % of 50,000
    assert down["Net P&L at downside beta"] == pytest.approx(down["Net P&L"] - 5_000)
    assert math.isnan(up["Net P&L at downside beta"])
    with pytest.raises(hc.InvalidInputError, match="same ratio"):
        hc.scenario_pnl(50_000, 0.9, 49_000, 3_500, [0.1], residual=band)


def test_liquidation_price_below_maintenance_is_a_clear_error():
    # Before: a short LP below entry (99.5 % of it). Now the market condition is named.
    with pytest.raises(hc.BelowMaintenanceError, match="below maintenance margin at entry") as err:
        hc.liquidation_price(64_000, 400, 0.0, side="short", contract_size=100, maintenance_rate=0.004)
    assert isinstance(err.value, hc.HedgecoreError) and len(str(err.value)) < 255
    with pytest.raises(hc.BelowMaintenanceError):
        hc.liquidation_price(100, 1, 0.001, side="long", contract_type="linear", contract_size=1)
