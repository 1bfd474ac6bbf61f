"""Residual (basis) risk against independent pandas/numpy computations on the bundled prices.

data/market/prices_daily (Yahoo Finance closes, data/market/SOURCES.md): a SOL/LINK/ADA basket hedged
with ETH. The reference numbers are recomputed here with plain pandas (pct_change over the horizon,
Series.quantile with its default linear interpolation) and numpy (polyfit, std).
"""

from pathlib import Path

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hedgecore as hc

PRICES = Path(__file__).resolve().parents[1] / "data" / "market" / "prices_daily"
QTY = {"SOL": 100.0, "LINK": 1_000.0, "ADA": 20_000.0}


@pytest.fixture(scope="module")
def closes():
    cols = {c: pd.read_csv(PRICES / f"{c}-USD.csv", index_col="Date", parse_dates=True)["Close"]
            for c in [*QTY, "ETH"]}
    frame = pd.concat(cols, axis=1, join="inner").dropna()
    basket = sum(frame[c] * q for c, q in QTY.items())
    return basket, frame["ETH"]


def ols_beta(basket, eth):
    rb, rh = basket.pct_change().dropna(), eth.pct_change().dropna()
    return float(np.polyfit(rh.to_numpy(), rb.to_numpy(), 1)[0])


@pytest.mark.parametrize("horizon", [1, 30])
def test_band_percentiles_match_pandas(closes, horizon):
    basket, eth = closes
    h = ols_beta(basket, eth)
    resid = (basket.pct_change(horizon) - h * eth.pct_change(horizon)).dropna()
    band = hc.residual_band(basket, eth, hedge_ratio=h, horizon_days=horizon)
    assert band.n == len(resid) == len(basket) - horizon
    assert band.low_frac == pytest.approx(resid.quantile(0.05), rel=1e-9)
    assert band.high_frac == pytest.approx(resid.quantile(0.95), rel=1e-9)
    low, high = band.pnl_usd(90_000)
    assert (low, high) == (pytest.approx(90_000 * resid.quantile(0.05)), pytest.approx(90_000 * resid.quantile(0.95)))
    assert band.low_frac < 0 < band.high_frac  # R² < 1: a real band


def test_hedged_volatility_at_the_ratio_used(closes):
    basket, eth = closes
    rb, rh = basket.pct_change().dropna(), eth.pct_change().dropna()
    stats = hc.beta_stats(basket, eth)
    assert hc.hedged_volatility(basket, eth, hedge_ratio=stats.beta) == pytest.approx(stats.vol_hedged, rel=1e-12)
    at_one = float(np.std((rb - rh).to_numpy(), ddof=1) * np.sqrt(365))
    assert hc.hedged_volatility(basket, eth, hedge_ratio=1.0) == pytest.approx(at_one, rel=1e-12)
    assert at_one > stats.vol_hedged  # the OLS ratio minimises it


def test_hedged_volatility_beyond_float_range_is_nan_without_a_warning():
    """A 1 ETH collateral hedge on a portfolio worth 1e-306 USD makes a ratio of 1e306 (found by the
    round-trip property test of test_workbook_read.py): NaN, and no NumPy overflow warning."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vol = hc.hedged_volatility([1e-300, 1.1e-300, 1.05e-300, 1.2e-300], [100, 104, 101, 108], hedge_ratio=2e306)
    assert math.isnan(vol)


def test_recent_beta_against_full_period(closes):
    basket, eth = closes
    rb, rh = basket.pct_change().dropna().to_numpy(), eth.pct_change().dropna().to_numpy()
    d = hc.beta_drift(basket, eth, window=90)
    assert d.beta_full == pytest.approx(np.polyfit(rh, rb, 1)[0], rel=1e-9)
    assert d.beta_recent == pytest.approx(np.polyfit(rh[-90:], rb[-90:], 1)[0], rel=1e-9)
    assert d.warning == (abs(d.beta_recent - d.beta_full) > 0.1) and d.window == 90


def test_band_feeds_the_stress_rows(closes):
    basket, eth = closes
    h = ols_beta(basket, eth)
    band = hc.residual_band(basket, eth, hedge_ratio=h, horizon_days=30)
    df = hc.scenario_pnl(90_000, h, 90_000 * h, 3_500, [-0.3, 0.0, 0.3], contract_type="linear", residual=band)
    width = df["Net P&L high"] - df["Net P&L low"]
    np.testing.assert_allclose(width, 90_000 * (band.high_frac - band.low_frac), rtol=1e-9)


walks = st.lists(st.floats(-0.2, 0.2, allow_nan=False), min_size=3, max_size=60)


@given(walks, walks, st.floats(-2.0, 3.0), st.integers(1, 5))
def test_band_low_never_exceeds_high(r_basket, r_hedge, ratio, horizon):
    n = min(len(r_basket), len(r_hedge))
    basket = 100 * np.cumprod(1 + np.asarray(r_basket[:n]))
    hedge = 50 * np.cumprod(1 + np.asarray(r_hedge[:n]))
    band = hc.residual_band(basket, hedge, hedge_ratio=ratio, horizon_days=horizon)
    if band.n:
        assert band.low_frac <= band.high_frac


@given(walks, st.floats(0.01, 1e4), st.integers(1, 5))
def test_band_has_zero_width_for_the_hedge_coin_itself(r_hedge, units, horizon):
    hedge = 50 * np.cumprod(1 + np.asarray(r_hedge))
    band = hc.residual_band(hedge * units, hedge, hedge_ratio=1.0, horizon_days=horizon)
    if band.n:
        assert abs(band.high_frac - band.low_frac) <= 1e-12
        assert abs(band.low_frac) <= 1e-12


def test_bad_horizon_and_quantiles():
    with pytest.raises(hc.InvalidInputError, match="horizon_days must be a whole number"):
        hc.residual_band([1, 2, 3], [1, 2, 3], hedge_ratio=1, horizon_days=0)
    with pytest.raises(hc.InvalidInputError, match="low <= high"):
        hc.residual_band([1, 2, 3], [1, 2, 3], hedge_ratio=1, quantiles=(0.9, 0.1))
    assert hc.residual_band([1, 2, 3], [1, 2, 4], hedge_ratio=1, horizon_days=5).n == 0
