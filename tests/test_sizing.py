"""Sizing: every number of the seed article's worked examples, plus catalog sizing.

Seed article = the hedging article our users learn from (numbers restated in issue #2):
$10,000 at $3,500 with 1-ETH linear contracts → 2.857 contracts (2 down, 3 up); Alice: $50,000 at
ETH $3,500 → 14.28 → 14 contracts, $49,000 hedged; beta 1.5 on $10,000 → $15,000 notional.
"""

import math

import pytest

import hedgecore as hc


def test_article_10k_at_3500_linear_one_eth_contracts():
    raw = hc.hedge_contracts(10_000, 3_500, 1, contract_type="linear", rounding="none")
    assert raw == pytest.approx(2.857, abs=5e-4)
    assert hc.hedge_contracts(10_000, 3_500, 1, contract_type="linear", rounding="down") == 2
    assert hc.hedge_contracts(10_000, 3_500, 1, contract_type="linear", rounding="up") == 3
    assert hc.hedge_contracts(10_000, 3_500, 1, contract_type="linear", rounding="nearest") == 3


def test_article_alice_14_contracts_49000_hedged():
    raw = hc.hedge_contracts(50_000, 3_500, 1, contract_type="linear", rounding="none")
    assert raw == pytest.approx(14.2857, abs=1e-4)
    n = hc.hedge_contracts(50_000, 3_500, 1, contract_type="linear")
    assert n == 14
    assert hc.hedged_notional(n, 3_500, 1, contract_type="linear") == pytest.approx(49_000)
    assert hc.residual_exposure(50_000, 3_500, 1, contract_type="linear") == pytest.approx(1_000)


def test_article_beta_15_on_10000_is_15000_notional():
    assert hc.hedge_notional(10_000, 3_500, hedge_ratio=1.5) == pytest.approx(15_000)


def test_alice_with_binance_ethusd_perp_4900_contracts():
    # Binance COIN-M ETHUSD_PERP face value 10 USD (Binance COIN-M contract specification FAQ).
    assert hc.hedge_contracts(49_000, 3_500, "binance:ETHUSD_PERP") == 4_900
    assert hc.hedge_contracts(49_000, 3_500, 10) == 4_900
    # the count is independent of the price for inverse contracts
    assert hc.hedge_contracts(49_000, 1_234.5, "ETHUSD_PERP") == 4_900


def test_collateral_is_hedged_too():
    # Alice posts 14 ETH (= $49,000) as collateral: Q = E + C·P = 50,000 + 49,000 (DOMAIN.md §8.2).
    assert hc.hedge_notional(50_000, 3_500, collateral_coin=14) == pytest.approx(99_000)
    assert hc.hedge_contracts(50_000, 3_500, "ETHUSD_PERP", collateral_coin=14) == 9_900
    # linear contracts are USDT-margined: collateral_coin does not enter
    assert hc.hedge_notional(50_000, 3_500, contract_type="linear", collateral_coin=14) == pytest.approx(50_000)


def test_domain_worked_example_400_btcusd_contracts():
    # DOMAIN.md §9: E = 18,000·1.1 + 6,000·0.7 = 24,000; C = 0.25 BTC at 64,000 → Q 40,000 → 400.
    e = 18_000 * 1.1 + 6_000 * 0.7
    assert hc.hedge_contracts(e, 64_000, "binance:BTCUSD_PERP", collateral_coin=0.25) == 400


def test_catalog_type_overrides_contract_type():
    # BTCUSDT is linear in the catalog (1-BTC contracts, 0.001 steps): 1,000 USD at 50,000 = 0.02 BTC.
    assert hc.hedge_contracts(1_000, 50_000, "BTCUSDT", contract_type="inverse") == 0.02


@pytest.mark.parametrize(
    ("raw", "mode", "expected"),
    [
        (14.5, "nearest", 15),
        (-14.5, "nearest", -15),
        (14.2, "up", 15),
        (-14.2, "up", -15),
        (14.8, "down", 14),
        (-14.8, "down", -14),
        (4900.000000000001, "up", 4900),
        (4899.999999999999, "down", 4900),
        (0.4, "nearest", 0),
    ],
)
def test_rounding_toward_and_away_from_zero(raw, mode, expected):
    assert hc.round_contracts(raw, mode) == expected


def test_rounding_is_case_insensitive_and_validated():
    assert hc.round_contracts(2.5, "NEAREST") == 3
    with pytest.raises(hc.InvalidInputError, match='rounding must be one of "none", "down", "nearest", "up"'):
        hc.round_contracts(2.5, "banker")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"price_usd": -3500}, "price_usd must be positive, got -3500"),
        ({"price_usd": 0}, "price_usd must be positive, got 0"),
        ({"exposure_usd": math.nan}, "exposure_usd must be finite"),
        ({"exposure_usd": math.inf}, "exposure_usd must be finite"),
        ({"contract_size": -10}, "contract_size must be positive"),
        ({"contract_size": "ETHUSD_PERPP"}, "did you mean binance:ETHUSD_PERP"),
        ({"collateral_coin": -1}, "collateral_coin must be zero or positive"),
        ({"hedge_ratio": "abc"}, "hedge_ratio must be a number, got 'abc'"),
        ({"contract_type": "quanto"}, 'contract_type must be one of "inverse", "linear"'),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, message):
    args = {"exposure_usd": 10_000, "price_usd": 3_500, "contract_size": 10} | kwargs
    with pytest.raises(hc.InvalidInputError) as err:
        hc.hedge_contracts(args.pop("exposure_usd"), args.pop("price_usd"), args.pop("contract_size"), **args)
    assert message in str(err.value)
    assert len(str(err.value)) < 120  # fits an Excel cell's hover text
    assert isinstance(err.value, ValueError)


def test_non_finite_counts_and_long_names_give_short_errors():
    # found by the add-in fuzz: inf used to raise OverflowError; a huge name made a huge message
    with pytest.raises(hc.InvalidInputError, match="contracts must be finite"):
        hc.round_contracts(math.inf, "nearest")
    with pytest.raises(hc.UnknownContractError) as err:
        hc.get_contract("X" * 1_000)
    assert len(str(err.value)) < 120


def test_overflow_is_a_clear_error_not_inf():
    with pytest.raises(hc.InvalidInputError, match="hedge notional is too large"):
        hc.hedge_contracts(1e308, 3_500, 10, hedge_ratio=1e308)
    with pytest.raises(hc.InvalidInputError, match="contract count is too large"):
        hc.hedge_contracts(1e300, 1e-300, 1e-300, contract_type="linear")
