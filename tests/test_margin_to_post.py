"""Margin that can actually be posted: shortfall, leverage to fit, tier limits, the collateral for a
target liquidation price (round trip through hedge_plan, DOMAIN.md §9) and the trade from today's position."""

import math

import pytest

import hedgecore as hc


def test_readme_plan_needs_28_3_eth_at_1x_and_posts_14():
    # README: hedge_plan(50_000, 3_500, "ETHUSD_PERP", collateral_coin=14): Q = 50,000 + 14·3,500 = 99,000 USD
    p = hc.hedge_plan(50_000, 3_500, "ETHUSD_PERP", collateral_coin=14)
    assert p.initial_margin == pytest.approx(99_000 / 3_500)  # 28.29 ETH at 1x
    assert p.margin_shortfall == pytest.approx(99_000 / 3_500 - 14)  # 14.29 ETH more
    assert p.leverage_to_fit == pytest.approx(99_000 / 49_000)  # 2.02x
    assert not p.margin_ok and p.margin_asset == "ETH"
    assert "post 14.2857 ETH more" in p.margin_verdict and len(p.margin_verdict) < 255
    assert p.loss_if_liquidated_usd == pytest.approx(14 * 3_500)
    fits = hc.hedge_plan(50_000, 3_500, "ETHUSD_PERP", collateral_coin=14, leverage=3)
    assert fits.margin_shortfall == 0 and fits.margin_ok and fits.margin_verdict.startswith("Margin fits")


def test_example_needs_11_22_eth_at_3x_and_posts_10():
    # issue #10: the bundled example's 11,797 contracts at 3x need 117,970/(3,505.16·3) = 11.22 ETH
    p = hc.hedge_plan(89_998.46, 3_505.16333, "ETHUSD_PERP", hedge_ratio=0.9213289276307561, collateral_coin=10,
                      leverage=3, maintenance_rate=0.005)
    assert p.contracts == 11_797
    assert p.initial_margin == pytest.approx(117_970 / (3_505.16333 * 3))
    assert p.margin_shortfall == pytest.approx(117_970 / (3_505.16333 * 3) - 10)
    assert round(p.margin_shortfall, 2) == 1.22
    assert p.leverage_to_fit == pytest.approx(117_970 / 35_051.6333)  # 3.37x


def test_without_collateral_the_margin_is_posted_and_fits():
    p = hc.hedge_plan(50_000, 3_500, "ETHUSD_PERP")
    assert p.margin_shortfall == 0 and p.leverage_to_fit == pytest.approx(1.0)
    assert math.isnan(p.max_leverage)  # no public COIN-M tier table: unknown
    assert p.loss_if_liquidated_usd == 0.0  # 1x inverse short on its own coin: no liquidation price


def test_tier_at_the_liquidation_price_is_another_bracket():
    # Binance BTCUSDT tiers (freqtrade @c9ae5e1e9ff2): 10 BTC short at 55,000 = 550,000 USDT, tier 2
    # (0.5 %, cum 50). In tier 2 the LP would be (55,000 + 50 + 550,000)/(10·1.005) = 60,203.98, where the
    # notional 602,039.8 is past the 600,000 cap: re-solved in tier 3 (0.65 %, cum 950).
    p = hc.hedge_plan(550_000, 55_000, "binance:BTCUSDT", leverage=10)
    assert p.contracts == 10 and p.wallet_balance == pytest.approx(55_000)
    expected = (55_000 + 950 + 550_000) / (10 * 1.0065)
    assert p.liquidation_price_usd == pytest.approx(expected)
    assert 600_000 <= 10 * expected < 3_000_000 and p.maintenance_rate == 0.0065
    equity = 55_000 - 10 * (expected - 55_000)
    assert equity == pytest.approx(10 * expected * 0.0065 - 950)  # equity = maintenance margin there
    assert p.max_leverage == 100  # the tier at entry
    assert hc.liquidation_price(55_000, 10, 55_000, side="short", contract_size="binance:BTCUSDT") == pytest.approx(
        expected)


def test_leverage_above_the_tier_maximum_is_flagged():
    p = hc.hedge_plan(550_000, 55_000, "binance:BTCUSDT", leverage=125)  # tier 2 allows 100x
    assert not p.margin_ok and "above the 100x" in p.margin_verdict


def test_collateral_round_trip_domain_worked_example():
    # DOMAIN.md §9: C·P0 = E·(k/(1 − MMR) − 1) = 24,000·1.0080321 → C = 0.378012 BTC for LP = 2·64,000
    kw = dict(maintenance_rate=0.004)
    c = hc.collateral_for_liquidation(24_000, 64_000, "binance:BTCUSD_PERP", 1.0, rounding="none", **kw)
    assert c == pytest.approx(24_000 * (2 / 0.996 - 1) / 64_000)
    assert round(c, 6) == 0.378012
    plan = hc.hedge_plan(24_000, 64_000, "binance:BTCUSD_PERP", collateral_coin=c, rounding="none", **kw)
    assert plan.liquidation_price_usd == pytest.approx(128_000, rel=1e-12)
    # with whole contracts: 482, and C = 48,200/64,000 − 48,200·0.996/128,000 = 0.378069 (DOMAIN.md §9)
    c = hc.collateral_for_liquidation(24_000, 64_000, "binance:BTCUSD_PERP", 1.0, **kw)
    assert c == pytest.approx(48_200 / 64_000 - 48_200 * 0.996 / 128_000)
    plan = hc.hedge_plan(24_000, 64_000, "binance:BTCUSD_PERP", collateral_coin=c, **kw)
    assert plan.contracts == 482 and plan.liquidation_price_usd == pytest.approx(128_000, rel=1e-12)


def test_collateral_linear_and_unreachable_targets():
    # DOMAIN.md §9 linear: U = 24,000·(2·1.004 − 1) = 24,192 USDT; BTCUSDT tier 1 (0.4 %) at 48,000 USDT
    u = hc.collateral_for_liquidation(24_000, 64_000, "binance:BTCUSDT", 1.0)
    assert u == pytest.approx(24_192)
    plan = hc.hedge_plan(24_000, 64_000, "binance:BTCUSDT", wallet_balance=u)
    assert plan.liquidation_price_usd == pytest.approx(128_000)
    with pytest.raises(hc.InvalidInputError, match="no collateral puts the liquidation price at \\+100.0%"):
        hc.collateral_for_liquidation(0, 64_000, "binance:BTCUSD_PERP", 1.0)
    with pytest.raises(hc.InvalidInputError, match="cannot be liquidated"):  # cum 1 BTC > E/P0 = 0.375 BTC
        hc.collateral_for_liquidation(24_000, 64_000, 100, 1.0, brackets=[hc.Bracket(0, math.inf, 0.004, 1.0)])
    with pytest.raises(hc.InvalidInputError, match="target_distance must be positive"):
        hc.collateral_for_liquidation(24_000, 64_000, 100, -0.2)


def test_rebalance_a_held_short_after_a_rally():
    # Opened at 64,000: 400 BTCUSD_PERP on 0.25 BTC for 24,000 USD of alts. BTC now 80,000, the alts still
    # 24,000. Unrealised P&L −40,000·(1/64,000 − 1/80,000) = −0.125 BTC: margin balance 0.125 BTC.
    # Target Q = 24,000 + 0.125·80,000 = 34,000 USD = 340 contracts: buy back 60.
    r = hc.rebalance(24_000, 80_000, "binance:BTCUSD_PERP", 400, 0.125, maintenance_rate=0.004)
    assert r.plan.contracts == 340 and r.trade_contracts == -60
    assert r.trade_notional_usd == pytest.approx(-6_000)
    assert r.leverage == pytest.approx(34_000 / 10_000) and r.current_leverage == pytest.approx(4.0)
    assert r.liquidation_price_usd == pytest.approx(34_000 * 0.996 / (24_000 / 80_000))  # 112,880
    assert r.current_liquidation_price_usd == pytest.approx(106_240)  # unchanged since entry
    # the same price from Binance's formula on wallet and entry: buying back 60 at 80,000 realises
    # 6,000·(1/80,000 − 1/64,000) = −0.01875 BTC, leaving 0.23125 BTC behind 340 contracts from 64,000
    assert hc.liquidation_price(64_000, 340, 0.23125, side="short", contract_size=100,
                                maintenance_rate=0.004) == pytest.approx(r.liquidation_price_usd)
    # sizing on the wallet balance (0.25 BTC) instead would short 440 contracts: over-hedged by 100
    wrong = hc.rebalance(24_000, 80_000, "binance:BTCUSD_PERP", 400, 0.25, maintenance_rate=0.004)
    assert wrong.trade_contracts == 40


def test_rebalance_linear_in_coin_steps():
    r = hc.rebalance(24_000, 64_000, "binance:BTCUSDT", 0.5, 5_000)
    assert r.plan.contracts == 0.375 and r.trade_contracts == -0.125
    assert r.plan.wallet_balance == 5_000 and r.leverage == pytest.approx(24_000 / 5_000)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(exposure=st.floats(1_000, 1e7), price=st.floats(1, 1e5), leverage=st.floats(1, 10),
       ratio=st.floats(0.3, 2))
def test_delta_verdict_names_the_unhedged_margin_and_its_fix_holds(exposure, price, leverage, ratio):
    """No collateral, inverse: the margin coin is a long the short leaves open (net delta = its value), and the
    collateral the verdict proposes, at the leverage it names, opens and hedges basket and coin together."""
    p = hc.hedge_plan(exposure, price, 10, hedge_ratio=ratio, leverage=leverage)
    assert p.net_delta_usd == pytest.approx(p.wallet_balance * price + p.residual_usd)
    assert p.delta_verdict.startswith("Not hedged: ") and len(p.delta_verdict) < 255
    lev = leverage if leverage > 1 else 2.0
    coins = exposure * ratio / (price * (lev - 1))
    assert f"at {lev:g}x, {coins:.6g} " in p.delta_verdict
    fixed = hc.hedge_plan(exposure, price, 10, hedge_ratio=ratio, collateral_coin=coins, leverage=lev,
                          rounding="down")
    assert fixed.delta_verdict.startswith("On target")
    assert abs(fixed.net_delta_usd) <= 10 + 1e-6 * exposure  # one contract's face value (rounding down)
    assert fixed.margin_shortfall <= 1e-9 * coins  # the rounded-down short needs no more than the coins proposed
