"""Tests of hedgecore.stats against statsmodels, scipy, pandas and DOMAIN.md test vectors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats as sps

from hedgecore.errors import DataError, InvalidInputError
from hedgecore.data.files import load_prices
from hedgecore.stats import (
    BETA_STATS_LABELS,
    BetaStats,
    TwoLegHedge,
    basket_beta,
    best_hedge,
    beta,
    beta_stats,
    ewm_beta,
    portfolio_beta,
    resample_prices,
    rolling_beta,
    two_leg_hedge,
)

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "market"
ALTS = ["SOL", "AVAX", "DOT", "LINK", "ADA", "XRP"]


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return load_prices(DATA_DIR / "prices_daily")


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


# ----------------------------------------------------------------- real data vs statsmodels / scipy


@pytest.mark.parametrize("bench", ["BTC", "ETH"])
@pytest.mark.parametrize("coin", ALTS)
def test_beta_matches_statsmodels_and_scipy(prices, coin, bench):
    # Reference values come from statsmodels OLS (sm.OLS(y, add_constant(x)).fit()) and
    # scipy.stats.linregress on the same simple returns.
    r = prices[[coin, bench]].pct_change().dropna()
    y, x = r[coin].to_numpy(), r[bench].to_numpy()
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    lr = sps.linregress(x, y)

    b = beta(prices[coin], prices[bench])
    assert rel(b, fit.params[1]) < 1e-10
    assert rel(b, lr.slope) < 1e-10

    s = beta_stats(prices[coin], prices[bench])
    assert s.n == len(r) == 1192
    assert rel(s.beta, fit.params[1]) < 1e-10
    assert rel(s.alpha, fit.params[0]) < 1e-10
    assert rel(s.r_squared, fit.rsquared) < 1e-10
    assert rel(s.beta_stderr, fit.bse[1]) < 1e-10
    assert rel(s.t_stat, fit.tvalues[1]) < 1e-10
    assert rel(s.correlation, lr.rvalue) < 1e-10
    assert rel(s.alpha_annualised, 365 * fit.params[0]) < 1e-10
    # vol_hedged² = vol_unhedged² · (1 − R²): hedging effectiveness (DOMAIN.md §10)
    assert rel(s.vol_hedged**2, s.vol_unhedged**2 * (1 - fit.rsquared)) < 1e-10
    assert rel(s.vol_unhedged, np.std(y, ddof=1) * math.sqrt(365)) < 1e-12
    # downside beta: OLS on the periods where the benchmark fell
    down = x < 0
    assert rel(s.downside_beta, sps.linregress(x[down], y[down]).slope) < 1e-10


# data/market/SOURCES.md "Sanity checks": OLS betas of daily log returns on BTC, two decimals.
SOURCES_LOG_BETAS = {"ETH": 1.06, "SOL": 1.15, "AVAX": 1.20, "DOT": 1.18, "LINK": 1.15, "ADA": 1.02, "XRP": 0.99,
                     "BNB": 0.96, "TRX": 0.81, "DOGE": 1.14}


@pytest.mark.parametrize("coin", sorted(SOURCES_LOG_BETAS))
def test_log_betas_match_sources_table(prices, coin):
    assert beta(prices[coin], prices["BTC"], returns="log") == pytest.approx(SOURCES_LOG_BETAS[coin], abs=0.01)


def test_log_returns_match_statsmodels(prices):
    r = np.log(prices[["SOL", "BTC"]]).diff().dropna()
    fit = sm.OLS(r["SOL"].to_numpy(), sm.add_constant(r["BTC"].to_numpy())).fit()
    assert rel(beta(prices["SOL"], prices["BTC"], returns="LOG"), fit.params[1]) < 1e-10


def test_data_returns_equals_prices_path(prices):
    r = prices[["AVAX", "ETH"]].pct_change().dropna()
    assert rel(beta(r["AVAX"].to_numpy(), r["ETH"].to_numpy(), data="returns"),
               beta(prices["AVAX"], prices["ETH"])) < 1e-12


# ----------------------------------------------------------------- rolling and EWM vs pandas


@pytest.mark.parametrize("window", [30, 365])
def test_rolling_beta_matches_pandas(prices, window):
    a, b = prices["SOL"], prices["BTC"]
    ra, rb = a.pct_change(), b.pct_change()
    ref = (ra.rolling(window).cov(rb) / rb.rolling(window).var()).to_numpy()
    got = rolling_beta(a, b, window)
    assert isinstance(got, pd.Series) and got.index.equals(prices.index)
    assert np.array_equal(np.isnan(got.to_numpy()), np.isnan(ref))
    assert np.isnan(got.iloc[: window]).all() and not np.isnan(got.iloc[window])
    ok = ~np.isnan(ref)
    assert np.max(np.abs(got.to_numpy()[ok] - ref[ok]) / np.abs(ref[ok])) < 1e-9
    # last value = beta over the last `window` returns
    assert rel(got.iloc[-1], beta(a.iloc[-window - 1 :], b.iloc[-window - 1 :])) < 1e-10


def test_rolling_beta_numpy_returns_and_full_window():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 0.03, 500)
    y = 1.3 * x + rng.normal(0, 0.02, 500)
    got = rolling_beta(y, x, 500, data="returns")
    assert isinstance(got, np.ndarray) and got.shape == (500,)
    assert np.isnan(got[:-1]).all()
    assert rel(got[-1], beta(y, x, data="returns")) < 1e-10


def test_rolling_beta_missing_rows_are_dropped_then_windowed():
    rng = np.random.default_rng(2)
    p_b = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 60)))
    p_a = 50 * np.exp(np.cumsum(rng.normal(0, 0.03, 60)))
    a = list(p_a)
    a[10] = None
    a[20] = 0.0  # Excel blank
    got = rolling_beta(a, p_b, 5)
    keep = [i for i in range(60) if i not in (10, 20)]
    clean = rolling_beta(p_a[keep], p_b[keep], 5)
    assert np.isnan(got[[10, 20]]).all()
    np.testing.assert_allclose(got[keep], clean, rtol=1e-12, equal_nan=True)
    assert np.isnan(got[:5]).all() and not np.isnan(got[5])


def test_rolling_constant_benchmark_window_is_nan_not_inf():
    x = np.r_[np.full(10, 0.01), np.linspace(-0.02, 0.02, 10)]
    y = 2 * x
    got = rolling_beta(y, x, 5, data="returns")
    assert np.isnan(got[4:10]).all()
    np.testing.assert_allclose(got[14:], 2.0, rtol=1e-9)
    assert not np.isinf(got).any()


@pytest.mark.parametrize("halflife", [5, 30.5])
def test_ewm_beta_matches_pandas(prices, halflife):
    a, b = prices["DOT"], prices["ETH"]
    ra, rb = a.pct_change(), b.pct_change()
    ref = (ra.ewm(halflife=halflife).cov(rb) / rb.ewm(halflife=halflife).var()).to_numpy()
    got = ewm_beta(a, b, halflife).to_numpy()
    assert np.array_equal(np.isnan(got), np.isnan(ref))
    ok = ~np.isnan(ref)
    assert np.max(np.abs(got[ok] - ref[ok]) / np.abs(ref[ok])) < 1e-9


def synthetic_returns(n: int, seed: int, *, tail: str = "normal") -> tuple[np.ndarray, np.ndarray]:
    """Fixed-seed (asset, benchmark) daily returns: benchmark ~3 %, asset 1.2x it plus noise."""
    rng = np.random.default_rng(seed)
    draw = (lambda size: rng.standard_t(3, size)) if tail == "t3" else (lambda size: rng.normal(size=size))
    x = 0.03 * draw(n)
    return 1.2 * x + 0.02 * draw(n), x


def pandas_rolling(y: np.ndarray, x: np.ndarray, w: int) -> np.ndarray:
    sy, sx = pd.Series(y), pd.Series(x)
    return (sy.rolling(w).cov(sx) / sx.rolling(w).var()).to_numpy()


def pandas_ewm(y: np.ndarray, x: np.ndarray, h: float) -> np.ndarray:
    sy, sx = pd.Series(y), pd.Series(x)
    return (sy.ewm(halflife=h).cov(sx) / sx.ewm(halflife=h).var()).to_numpy()


def exact_rolling(y: np.ndarray, x: np.ndarray, w: int) -> np.ndarray:
    """Two-pass slope of every window in long double (64-bit mantissa): the accuracy reference."""
    from numpy.lib.stride_tricks import sliding_window_view

    xs = sliding_window_view(x.astype(np.longdouble), w)
    ys = sliding_window_view(y.astype(np.longdouble), w)
    xc, yc = xs - xs.mean(axis=1, keepdims=True), ys - ys.mean(axis=1, keepdims=True)
    return np.r_[np.full(w - 1, np.nan), ((xc * yc).sum(axis=1) / (xc * xc).sum(axis=1)).astype(float)]


def max_rel(got: np.ndarray, ref: np.ndarray) -> float:
    assert np.array_equal(np.isnan(got), np.isnan(ref))
    ok = ~np.isnan(ref)
    return float(np.max(np.abs(got[ok] - ref[ok]) / np.abs(ref[ok])))


# n = 40,000 spans several of the core's 16,384-value chunks; 500 and 5,000 are user sizes.
@pytest.mark.parametrize("n", [500, 5_000, 40_000])
@pytest.mark.parametrize("window", [5, 30, 90, 365])
def test_rolling_beta_matches_pandas_at_sizes(n, window):
    # Reference: pandas rolling cov / var on the same returns (the documented equivalence).
    y, x = synthetic_returns(n, seed=n + window)
    assert max_rel(rolling_beta(y, x, window, data="returns"), pandas_rolling(y, x, window)) < 1e-9


@pytest.mark.parametrize("n", [500, 5_000, 40_000])
@pytest.mark.parametrize("halflife", [0.5, 5, 30, 90, 365, 1e5])
def test_ewm_beta_matches_pandas_at_sizes(n, halflife):
    # Reference: pandas ewm(halflife=h, adjust=True) cov / var on the same returns.
    y, x = synthetic_returns(n, seed=n + 7)
    assert max_rel(ewm_beta(y, x, halflife, data="returns"), pandas_ewm(y, x, halflife)) < 1e-9


@pytest.mark.parametrize("tail", ["normal", "t3"])
def test_rolling_beta_accuracy_against_long_double(tail):
    # Reference: a two-pass slope per window in extended precision (numpy long double).
    y, x = synthetic_returns(3_000, seed=3, tail=tail)
    for w in (30, 365):
        assert max_rel(rolling_beta(y, x, w, data="returns"), exact_rolling(y, x, w)) < 1e-12


def test_rolling_outlier_takes_the_float_path_and_stays_accurate():
    # A return 10,000x the typical one (a price typo) defeats the fixed-point sums' error bound
    # for the calm windows; the float path must answer, still matching the long double reference.
    from hedgecore import _rolling

    y, x = synthetic_returns(2_000, seed=5)
    x[700] = 300.0
    out = np.empty(x.size)
    with np.errstate(all="ignore"):
        assert not _rolling._rolling_fixed(y, x, 90, out)
        assert _rolling._rolling_fixed(*synthetic_returns(2_000, seed=5), 90, out)
    got = rolling_beta(y, x, 90, data="returns")
    ref = exact_rolling(y, x, 90)
    far = np.abs(np.arange(x.size) - 700) > 90  # windows without the outlier
    assert np.max(np.abs(got[far][89:] - ref[far][89:]) / np.abs(ref[far][89:])) < 1e-9
    assert max_rel(got, ref) < 1e-7  # windows holding it: conditioning, not the method


def test_rolling_and_ewm_independent_of_chunking(monkeypatch):
    # The core works chunk by chunk; chunk boundaries (here every 64 values) must not show.
    from hedgecore import _rolling

    y, x = synthetic_returns(3_000, seed=9)
    full = {w: (rolling_beta(y, x, w, data="returns"), ewm_beta(y, x, w, data="returns")) for w in (7, 30, 100)}
    monkeypatch.setattr(_rolling, "_CHUNK", 64)
    for w, (roll, ewm) in full.items():
        assert max_rel(rolling_beta(y, x, w, data="returns"), roll) < 1e-12
        assert max_rel(ewm_beta(y, x, w, data="returns"), ewm) < 1e-12


def test_rolling_sums_beyond_float_range_are_nan_not_a_number():
    # A 1e200 return overflows every centred sum: cannot estimate, so NaN, never inf or 0.
    y, x = synthetic_returns(200, seed=11)
    x[100] = 1e200
    with np.errstate(all="ignore"):
        assert np.isnan(rolling_beta(y, x, 30, data="returns")).all()
        assert np.isnan(ewm_beta(y, x, 30, data="returns")).all()


def test_ewm_missing_rows_are_dropped_then_weighted():
    rng = np.random.default_rng(4)
    p_b = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 80)))
    p_a = 50 * np.exp(np.cumsum(rng.normal(0, 0.03, 80)))
    a = list(p_a)
    a[10], a[40] = None, 0.0  # a blank and an Excel blank
    got = ewm_beta(a, p_b, 12)
    keep = [i for i in range(80) if i not in (10, 40)]
    assert np.isnan(got[[10, 40]]).all() and np.isnan(got[0])
    np.testing.assert_allclose(got[keep], ewm_beta(p_a[keep], p_b[keep], 12), rtol=1e-12, equal_nan=True)


def test_ewm_constant_benchmark_is_nan_not_inf():
    x = np.full(20, 0.01)
    got = ewm_beta(2 * x, x, 5, data="returns")
    assert np.isnan(got).all()


def test_window_and_halflife_validation():
    with pytest.raises(InvalidInputError, match="window"):
        rolling_beta([1, 2, 3], [1, 2, 3], 1)
    with pytest.raises(InvalidInputError, match="window"):
        rolling_beta([1, 2, 3], [1, 2, 3], 2.5)
    with pytest.raises(InvalidInputError, match="halflife"):
        ewm_beta([1, 2, 3], [1, 2, 3], 0)


# ----------------------------------------------------------------- missing-data policy

CLEAN_A = [100.0, 102.0, 101.0, 104.0, 103.5, 107.0]
CLEAN_B = [50.0, 50.5, 50.2, 51.5, 51.0, 52.8]


@pytest.mark.parametrize("bad", [None, "", "abc", float("nan"), 0, 0.0, True, float("inf"), "  "])
@pytest.mark.parametrize("where", ["asset", "benchmark"])
def test_missing_prices_dropped_pairwise(bad, where):
    a = CLEAN_A[:3] + [999.0] + CLEAN_A[3:]
    b = CLEAN_B[:3] + [999.0] + CLEAN_B[3:]
    (a if where == "asset" else b)[3] = bad
    assert beta(a, b) == pytest.approx(beta(CLEAN_A, CLEAN_B), rel=1e-12)
    assert beta(CLEAN_A, CLEAN_B) != pytest.approx(1.0)


def test_numeric_text_counts():
    a = [str(v) for v in CLEAN_A]
    a[2] = " 101 "
    assert beta(a, CLEAN_B) == pytest.approx(beta(CLEAN_A, CLEAN_B), rel=1e-12)


def test_returns_mode_zero_is_real_and_text_dropped():
    ra = [0.01, 0.0, -0.02, 0.03, 0.015]
    rb = [0.008, 0.001, -0.015, 0.02, 0.0]
    full = beta(ra, rb, data="returns")
    fit = sm.OLS(np.array(ra), sm.add_constant(np.array(rb))).fit()
    assert full == pytest.approx(fit.params[1], rel=1e-12)
    assert beta(ra + ["x"], rb + [0.5], data="returns") == pytest.approx(full, rel=1e-12)
    assert beta(np.r_[ra, np.nan], np.r_[rb, 0.5], data="returns") == pytest.approx(full, rel=1e-12)
    assert math.isnan(beta([0.01], [0.02], data="returns"))
    assert math.isnan(beta([0.01, None], [0.02, 0.03], data="returns"))


def test_negative_price_error_names_position():
    with pytest.raises(InvalidInputError, match=r"asset price must not be negative, got -5 at position 4"):
        beta([100, 101, 102, -5, 103], [1, 2, 3, 4, 5])
    with pytest.raises(InvalidInputError, match=r"benchmark .* position 2"):
        beta([100, 101, 102], [1, -2, 3])


def test_too_few_prices_is_nan():
    assert math.isnan(beta([100, 101], [50, 51]))
    assert math.isnan(beta([100, None, 101, 0], [50, 51, 52, 53]))
    assert math.isnan(beta([], []))
    s = beta_stats([100, 101], [50, 51])
    assert s.n == 1
    assert all(math.isnan(v) for k, v in s.as_dict().items() if k != "n")


def test_constant_benchmark_is_nan_not_inf():
    assert math.isnan(beta([100, 102, 101, 104], [50, 50, 50, 50]))
    assert math.isnan(beta([0.01, 0.02, -0.01], [0.1, 0.1, 0.1], data="returns"))
    assert math.isnan(beta(np.array([0.01, 0.02, -0.01]), np.array([0.1, 0.1, 0.1]), data="returns"))
    s = beta_stats([100, 102, 101, 104], [50, 50, 50, 50])
    assert s.n == 3 and math.isnan(s.beta) and math.isnan(s.r_squared) and s.vol_unhedged > 0


def test_length_mismatch_message():
    with pytest.raises(InvalidInputError, match="asset and benchmark must have the same length, got 10 and 9"):
        beta(list(range(1, 11)), list(range(1, 10)))


def test_options_case_insensitive_and_validated():
    assert beta(CLEAN_A, CLEAN_B, returns="Simple", data="PRICES") == beta(CLEAN_A, CLEAN_B)
    with pytest.raises(InvalidInputError, match='returns must be one of "simple", "log"'):
        beta(CLEAN_A, CLEAN_B, returns="pct")
    with pytest.raises(InvalidInputError, match='data must be one of "prices", "returns"'):
        beta(CLEAN_A, CLEAN_B, data="levels")
    with pytest.raises(InvalidInputError, match="freq must be one of"):
        beta(CLEAN_A, CLEAN_B, freq="hourly")


def test_series_align_on_index():
    idx = pd.date_range("2024-01-01", periods=6)
    a = pd.Series(CLEAN_A, index=idx)
    b = pd.Series(CLEAN_B, index=idx)
    shuffled = b.iloc[[3, 0, 5, 1, 4, 2]]
    assert beta(a, shuffled) == pytest.approx(beta(CLEAN_A, CLEAN_B), rel=1e-12)
    extra = pd.concat([b, pd.Series([77.0], index=[pd.Timestamp("2025-01-01")])])
    assert beta(a, extra) == pytest.approx(beta(CLEAN_A, CLEAN_B), rel=1e-12)
    with pytest.raises(DataError, match="duplicated"):
        beta(a, pd.Series(CLEAN_B, index=[idx[0]] * 6))


@pytest.mark.parametrize(
    "shape",
    [lambda v: [[x] for x in v], lambda v: [list(v)], lambda v: np.array(v).reshape(-1, 1),
     lambda v: pd.DataFrame({"p": v}), lambda v: tuple(v)],
    ids=["excel-column", "excel-row", "ndarray-column", "dataframe-column", "tuple"],
)
def test_excel_shapes_flattened(shape):
    assert beta(shape(CLEAN_A), shape(CLEAN_B)) == pytest.approx(beta(CLEAN_A, CLEAN_B), rel=1e-12)


def test_two_d_block_rejected():
    with pytest.raises(InvalidInputError, match="single row or column"):
        beta([[1, 2], [3, 4]], [[1, 2], [3, 4]])


def test_inputs_not_mutated():
    a = np.array([100.0, 0.0, 101.0, 103.0, np.nan, 102.0])
    b = np.array([50.0, 51.0, 52.0, 51.0, 53.0, 54.0])
    a0, b0 = a.copy(), b.copy()
    beta(a, b)
    rolling_beta(a, b, 2)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


# ----------------------------------------------------------------- DOMAIN.md §12 vectors


@pytest.mark.parametrize("raw, adjusted", [(1.5, 1.335), (0.6, 0.732)])
def test_blume_adjusted_beta_h3(raw, adjusted):
    # DOMAIN.md §12 H3 (Blume 1971 / Bloomberg): 0.67·β + 0.33
    rb = np.array([0.01, -0.02, 0.015, 0.03, -0.01])
    s = beta_stats(raw * rb + 0.001, rb, data="returns")
    assert s.beta == pytest.approx(raw, rel=1e-12)
    assert s.adjusted_beta == pytest.approx(adjusted, rel=1e-12)
    assert s.r_squared == pytest.approx(1.0)


def test_min_variance_hedge_h1():
    # DOMAIN.md §12 H1: ρ 0.8, σ_S 1.2, σ_F 1.0 → h* 0.96, HE 64 %, hedged variance 0.5184, unhedged 1.44.
    rng = np.random.default_rng(7)
    u, v = rng.normal(size=(2, 1000))
    u = (u - u.mean()) / u.std(ddof=1)
    v = v - v.mean()
    v -= (v @ u) / (u @ u) * u  # exactly orthogonal to u
    v /= v.std(ddof=1)
    f = 1.0 * u
    s_ = 1.2 * (0.8 * u + 0.6 * v)  # σ_S = 1.2, ρ = 0.8
    st = beta_stats(s_, f, data="returns", periods_per_year=1)
    assert st.beta == pytest.approx(0.96, rel=1e-12)
    assert st.r_squared == pytest.approx(0.64, rel=1e-12)
    assert st.correlation == pytest.approx(0.8, rel=1e-12)
    assert st.vol_unhedged**2 == pytest.approx(1.44, rel=1e-12)
    assert st.vol_hedged**2 == pytest.approx(0.5184, rel=1e-12)
    assert round(st.beta * 10_000 / 500) == 19  # N* = h*·Q_A/Q_F = 19.2 → 19


# ----------------------------------------------------------------- BetaStats shape


def test_beta_stats_fields_and_labels():
    names = [
        "beta", "alpha", "alpha_annualised", "correlation", "r_squared", "beta_stderr", "t_stat", "n",
        "adjusted_beta", "downside_beta", "vol_unhedged", "vol_hedged",
    ]
    s = beta_stats(CLEAN_A, CLEAN_B)
    assert list(s.as_dict()) == names
    assert len(BETA_STATS_LABELS) == len(names) and BETA_STATS_LABELS[0] == "Beta"
    assert BETA_STATS_LABELS[1] == "Alpha (per period)"
    with pytest.raises(AttributeError):
        s.beta = 2.0  # type: ignore[misc]
    assert isinstance(s, BetaStats) and isinstance(s.n, int)


def test_periods_per_year_follows_freq(prices):
    a, b = prices["LINK"], prices["BTC"]
    weekly = beta_stats(a, b, freq="weekly")
    wa, wb = resample_prices(a, "weekly"), resample_prices(b, "weekly")
    ref = beta_stats(wa, wb, periods_per_year=52)
    assert weekly == ref
    assert weekly.n == len(wa) - 1
    r = wa.pct_change().dropna()
    assert weekly.vol_unhedged == pytest.approx(r.std() * math.sqrt(52), rel=1e-12)
    monthly = beta_stats(a, b, freq="monthly")
    assert monthly.alpha_annualised == pytest.approx(12 * monthly.alpha, rel=1e-12)
    assert beta_stats(a, b, periods_per_year=365).vol_unhedged == beta_stats(a, b).vol_unhedged


def test_freq_requires_date_indexed_pandas():
    with pytest.raises(InvalidInputError, match="date-indexed"):
        beta(CLEAN_A, CLEAN_B, freq="weekly")
    with pytest.raises(InvalidInputError, match="periods_per_year"):
        beta_stats(CLEAN_A, CLEAN_B, periods_per_year=0)


def test_resample_prices_last_close_weekly_sunday_and_monthly():
    idx = pd.date_range("2024-01-01", "2024-02-10")  # Monday 1 Jan …
    s = pd.Series(np.arange(len(idx), dtype=float), index=idx)
    w = resample_prices(s, "weekly")
    assert w.index[0] == pd.Timestamp("2024-01-07") and w.iloc[0] == 6.0  # Sunday close
    assert (w.index[:-1].day_of_week == 6).all()
    m = resample_prices(s.to_frame("x"), "Monthly")
    assert list(m.index) == [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-29")]
    assert m["x"].tolist() == [30.0, 40.0]
    s2 = s.copy()
    s2.iloc[6] = np.nan  # missing Sunday: the week's last close is Saturday's
    assert resample_prices(s2, "weekly").iloc[0] == 5.0
    with pytest.raises(InvalidInputError, match="DatetimeIndex"):
        resample_prices(pd.Series([1.0, 2.0]), "weekly")


# ----------------------------------------------------------------- portfolios and hedges


def test_portfolio_beta():
    assert portfolio_beta([60_000, 40_000], [1.2, 0.9]) == pytest.approx(1.08)
    assert portfolio_beta([0, 5], [3.0, 0.5]) == pytest.approx(0.5)
    with pytest.raises(InvalidInputError, match="same length, got 2 and 3"):
        portfolio_beta([1, 2], [1, 2, 3])
    with pytest.raises(InvalidInputError, match="values_usd must be zero or positive, got -1 at position 2"):
        portfolio_beta([1, -1], [1, 2])
    with pytest.raises(InvalidInputError, match="all be zero"):
        portfolio_beta([0, 0], [1, 2])
    with pytest.raises(InvalidInputError, match="betas must be finite"):
        portfolio_beta([1, 1], [1, float("nan")])


def test_basket_beta_from_value_series(prices):
    qty = {"SOL": 100.0, "AVAX": 250.0, "LINK": 400.0}
    value = sum(q * prices[c] for c, q in qty.items())
    expected = beta(value, prices["BTC"])
    assert basket_beta(prices, qty, "BTC") == pytest.approx(expected, rel=1e-12)
    assert basket_beta(prices[list(qty)], list(qty.values()), prices["BTC"]) == pytest.approx(expected, rel=1e-12)
    # one coin's beta equals its basket-of-one beta
    assert basket_beta(prices, {"SOL": 3.0}, "BTC") == pytest.approx(beta(prices["SOL"], prices["BTC"]), rel=1e-12)
    with pytest.raises(InvalidInputError, match="unknown columns"):
        basket_beta(prices, {"FOO": 1.0}, "BTC")
    with pytest.raises(InvalidInputError, match="quantities"):
        basket_beta(prices[["SOL"]], [-1.0], prices["BTC"])


def test_best_hedge_ranks_by_r_squared(prices):
    cands = {c: prices[c] for c in ["BTC", "ETH", "DOGE", "TRX"]}
    table = best_hedge(prices["SOL"], cands)
    assert list(table.columns) == ["hedge", "beta", "r_squared", "correlation", "n"]
    assert table["r_squared"].is_monotonic_decreasing
    assert table["hedge"].iloc[0] == "ETH"
    row = table.set_index("hedge").loc["BTC"]
    s = beta_stats(prices["SOL"], prices["BTC"])
    assert row["beta"] == s.beta and row["r_squared"] == s.r_squared and row["n"] == s.n
    assert best_hedge(prices["SOL"], prices[["BTC", "ETH", "DOGE", "TRX"]]).equals(table)


def test_two_leg_hedge_matches_statsmodels(prices):
    # Reference: statsmodels OLS with a constant on the two hedge return series.
    r = prices[["SOL", "BTC", "ETH"]].pct_change().dropna()
    fit = sm.OLS(r["SOL"].to_numpy(), sm.add_constant(r[["BTC", "ETH"]].to_numpy())).fit()
    h = two_leg_hedge(prices["SOL"], prices["BTC"], prices["ETH"])
    assert isinstance(h, TwoLegHedge) and h.n == 1192
    assert rel(h.alpha, fit.params[0]) < 1e-10
    assert rel(h.beta_1, fit.params[1]) < 1e-10
    assert rel(h.beta_2, fit.params[2]) < 1e-10
    assert rel(h.r_squared, fit.rsquared) < 1e-10
    assert list(h.as_dict()) == ["beta_1", "beta_2", "alpha", "r_squared", "n"]


def test_two_leg_hedge_degenerate_is_nan():
    x = [0.01, -0.02, 0.03, 0.0, 0.01]
    h = two_leg_hedge([0.02, 0.01, 0.0, 0.01, 0.02], x, [2 * v for v in x], data="returns")
    assert h.n == 5 and math.isnan(h.beta_1) and math.isnan(h.r_squared)
    h2 = two_leg_hedge([1, 2, 3], [1, 2, 3], [3, 2, 1])
    assert h2.n == 2 and math.isnan(h2.beta_2)
    with pytest.raises(InvalidInputError, match="asset, hedge1 and hedge2 must have the same length, got 3, 3 and 2"):
        two_leg_hedge([1, 2, 3], [1, 2, 3], [1, 2])


def test_sums_beyond_float_range_give_nan_not_a_wrong_number():
    # found by the add-in fuzz: returns near 1e200 overflow the sums of squares (inf), and
    # finite / inf would have been a silent beta of 0
    huge = np.array([1e200, -1e200, 3e200, -2e200, 1e200])
    small = np.array([0.01, -0.02, 0.015, 0.0, 0.01])
    assert math.isnan(beta(small, huge, data="returns"))
    assert math.isnan(beta(list(small), list(huge), data="returns"))
    stats = beta_stats(small, huge, data="returns")
    assert math.isnan(stats.beta) and stats.n == 5


def test_rolling_beta_on_prices_at_the_edges_of_float_range_gives_nan_not_an_exception():
    """Closes of 1.7e308 and 1e-300 (a hostile workbook): the fixed-point scales leave float range;
    the result is NaN where nothing can be estimated, never a ZeroDivisionError."""
    bench = np.array([1.7e308, 1.7e308, 1e-300, 100.0, 101.0, 99.0, 102.0, 103.0, 101.0, 104.0])
    asset = np.array([1e300, 1e300, 2.0, 5.0, 5.1, 4.9, 5.2, 5.3, 5.0, 5.4]) * 1e8
    from hedgecore.stats import rolling_beta as rb

    out = rb(asset, bench, 3)
    assert out.shape == bench.shape and not np.isinf(out).any()
