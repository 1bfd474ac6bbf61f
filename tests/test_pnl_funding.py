"""P&L, average entry and funding against exchange-documented reference values (DOMAIN.md §3, §4, §12)."""

import pytest

import hedgecore as hc


@pytest.mark.parametrize(
    ("source", "notional", "p0", "p1", "side", "expected"),
    [
        # P1, BitMEX perpetual guide: long 1,000 XBTUSD (1 USD each) 1,000 → 1,250: +0.20 XBT
        ("BitMEX inversePerpetualsGuide P1", 1_000, 1_000, 1_250, "long", 0.20),
        # P2, same guide: sell 500 of them at 1,500 → realised 0.166667 XBT
        ("BitMEX inversePerpetualsGuide P2", 500, 1_000, 1_500, "long", 0.1666667),
        # P3, https://bitmex.com/app/inverseFuturesGuide: 100,000 contracts 10,000 → 10,500
        ("BitMEX inverseFuturesGuide P3", 100_000, 10_000, 10_500, "long", 0.476190),
        # P6/P7, romanornr (medium.com): short 16,000 at 8,000 → 10,000 / 5,000
        ("romanornr P6", 16_000, 8_000, 10_000, "short", -0.4),
        ("romanornr P7", 16_000, 8_000, 5_000, "short", 1.2),
        # P8, BingX support article 360045680954: short Q=1,000 at 100 → 200: −5 coin
        ("BingX P8", 1_000, 100, 200, "short", -5.0),
        # P9, OKEx example (woaiqun.com/6939.html): long 1 BTCUSD (100 USD) 10,000 → 20,000
        ("OKEx P9", 100, 10_000, 20_000, "long", 0.005),
    ],
)
def test_inverse_pnl_reference_values(source, notional, p0, p1, side, expected):
    assert hc.inverse_pnl_coin(notional, p0, p1, side=side) == pytest.approx(expected, abs=5e-7), source


def test_inverse_pnl_usd_of_a_short_is_minus_q_r():
    # DOMAIN.md §4.3, checked against P6: Q = 16,000, r = +25 % → −4,000 USD
    assert hc.inverse_pnl_usd(16_000, 8_000, 10_000, side="short") == pytest.approx(-4_000)
    assert hc.inverse_pnl_usd(100, 10_000, 20_000, side="long") == pytest.approx(100)  # P9 = 100 USD


def test_article_5x_short_margin_and_10pct_rally():
    # Seed article: a $10,000 short at 5x needs $2,000; a 10 % rally costs half of it (linear, USD).
    margin = hc.initial_margin(10_000, 3_500, 5, contract_type="linear")
    assert margin == pytest.approx(2_000)
    loss = hc.linear_pnl(10_000 / 3_500, 3_500, 3_850, side="short")
    assert loss == pytest.approx(-1_000)
    assert -loss / margin == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("source", "sizes", "prices", "kind", "expected", "tol"),
    [
        ("Bybit help 000001113 (A1)", [50, 50], [10_000, 15_000], "inverse", 12_000, 1e-6),
        ("MyCoinStory (A4)", [100, 100], [10_000, 12_000], "inverse", 10_909.09, 0.005),
        # BitMEX A2, unrounded harmonic mean (BitMEX itself floors per-lot values → 29,933.07)
        ("BitMEX average entry (A2)", [100, 200], [29_800, 30_000], "inverse", 29_933.04, 0.005),
        ("Bybit help 000001113 (A-lin)", [1, 2], [10_000, 13_000], "linear", 12_000, 1e-9),
    ],
)
def test_average_entry(source, sizes, prices, kind, expected, tol):
    assert hc.average_entry_price(sizes, prices, contract_type=kind) == pytest.approx(expected, abs=tol), source


def test_average_entry_rejects_bad_input():
    with pytest.raises(hc.InvalidInputError, match="same length"):
        hc.average_entry_price([1, 2], [1])
    with pytest.raises(hc.InvalidInputError, match="prices must be positive"):
        hc.average_entry_price([1], [-5])


def test_funding_domain_example_short_receives():
    # DOMAIN.md §3 (Binance formula): short 400 BTCUSD_PERP (Q 40,000), mark 64,000, +0.01 %:
    # nominal 0.625 BTC, the short receives 0.0000625 BTC = 4.00 USD.
    coin = hc.funding_payment(40_000, 0.0001, side="short", mark_price_usd=64_000)
    assert coin == pytest.approx(-0.0000625)
    assert coin * 64_000 == pytest.approx(-4.0)
    assert hc.funding_payment(40_000, 0.0001, side="long", mark_price_usd=64_000) == pytest.approx(0.0000625)
    # linear: notional × rate in quote
    assert hc.funding_payment(40_000, 0.0001, side="short", contract_type="linear") == pytest.approx(-4.0)


def test_funding_projection_and_annualised_rate():
    assert hc.funding_cost_usd(40_000, 0.0001, 30) == pytest.approx(-4.0 * 3 * 30)
    assert hc.funding_cost_usd(40_000, -0.0001, 1, side="short") == pytest.approx(12.0)  # negative rate: short pays
    assert hc.funding_cost_usd(40_000, 0.0001, 1, interval_hours=4) == pytest.approx(-24.0)
    # DOMAIN.md §3: +0.01 % per 8 h ≈ 10.95 % a year (365 days, never 252)
    assert hc.annualised_funding_rate(0.0001) == pytest.approx(0.1095)
    with pytest.raises(hc.InvalidInputError, match="mark_price_usd is required"):
        hc.funding_payment(40_000, 0.0001)
