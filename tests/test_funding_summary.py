"""funding_summary: the funding history's mean, 5–95 % range and share of days a short paid."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import hedgecore as hc
from hedgecore.funding import funding_summary

BTC = "data/market/funding/BTC-USDT_binance_2020-01-01_2024-01-01_funding_history.csv"


@pytest.mark.parametrize(("year", "annual"), [("2021", 0.306), ("2022", 0.042), ("2023", 0.079)])
def test_annualised_mean_matches_the_regimes_in_sources_md(year, annual):
    # data/market/SOURCES.md, "Funding" sanity checks: annualised mean BTC funding 30.6 %, 4.2 %, 7.9 %.
    s = funding_summary(hc.load_funding(BTC)[year], days=365)
    assert (s.days, s.first_day, s.last_day) == (365, f"{year}-01-01", f"{year}-12-31")
    assert round(s.annualised_frac, 3) == annual


def test_last_30_days_against_pandas_resample():
    # Independent route: pandas resample of the raw settlements into UTC-day sums, numpy percentiles.
    rates = hc.load_funding(BTC)
    s = funding_summary(rates, days=30)
    daily = rates.resample("D").sum().iloc[-30:] / 3
    assert (s.first_day, s.last_day) == ("2023-12-02", "2023-12-31")
    assert s.mean_per_8h == pytest.approx(daily.mean(), rel=1e-12)
    assert (s.p05_per_8h, s.p95_per_8h) == pytest.approx(tuple(np.percentile(daily, [5, 95])), rel=1e-12)
    assert s.short_paid_frac == pytest.approx((daily < 0).mean())
    assert s.p05_per_8h <= s.mean_per_8h <= s.p95_per_8h


def test_an_unfinished_last_day_is_left_out():
    t = pd.date_range("2024-01-01", periods=8, freq="8h", tz="UTC")  # day 3 has 2 of its 3 settlements
    s = funding_summary(pd.Series([1e-4] * 6 + [-5e-4, -5e-4], index=t), days=30)
    assert (s.last_day, s.days, s.short_paid_frac) == ("2024-01-02", 2, 0.0)
    only = funding_summary(pd.Series([2e-4, 1e-4], index=t[:2]))  # the only day is kept
    assert (only.days, only.mean_per_8h) == (1, pytest.approx(1e-4))


def test_four_hour_settlements_add_up_per_day():
    t = pd.date_range("2024-01-01", periods=12, freq="4h")  # naive times are UTC
    s = funding_summary(pd.Series([1e-4] * 12, index=t), interval_hours=4.0)
    assert s.days == 2 and s.mean_per_8h == pytest.approx(2e-4)  # six 0.01 % a day = 0.02 % per 8 h


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"rates": pd.Series([], dtype=float, index=pd.DatetimeIndex([]))}, "rates is empty"),
    ({"rates": pd.Series([np.nan], index=pd.DatetimeIndex(["2024-01-01"]))}, "finite"),
    ({"rates": pd.Series([1e-4])}, "indexed by settlement times"),
    ({"rates": pd.Series([1e-4], index=pd.DatetimeIndex(["2024-01-01"])), "days": 0}, "days must be"),
    ({"rates": pd.Series([1e-4], index=pd.DatetimeIndex(["2024-01-01"])), "interval_hours": 0}, "interval_hours"),
])
def test_bad_input_is_a_clear_error(kwargs, message):
    with pytest.raises(hc.InvalidInputError, match=message):
        funding_summary(**kwargs)


@given(rate=st.floats(-0.003, 0.003, allow_nan=False), hours=st.sampled_from([1.0, 2.0, 4.0, 8.0]),
       n_days=st.integers(1, 40), window=st.integers(1, 60))
def test_a_constant_rate_summarises_to_itself(rate, hours, n_days, window):
    per_day = int(24 / hours)
    t = pd.date_range("2024-01-01", periods=n_days * per_day, freq=f"{int(hours)}h", tz="UTC")
    s = funding_summary(pd.Series(rate, index=t), interval_hours=hours, days=window)
    expected = rate * per_day / 3
    assert s.days == min(n_days, window)
    assert s.mean_per_8h == pytest.approx(expected, abs=1e-15)
    assert s.p05_per_8h == pytest.approx(expected, abs=1e-15) and s.p95_per_8h == pytest.approx(expected, abs=1e-15)
    assert s.short_paid_frac == (1.0 if rate * per_day < 0 else 0.0)
