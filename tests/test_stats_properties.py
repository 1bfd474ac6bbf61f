"""Property tests (hypothesis): empyrical-style invariances of beta and beta_stats."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hedgecore.stats import beta, beta_stats, ewm_beta, rolling_beta

returns_elem = st.floats(min_value=-0.5, max_value=0.5, allow_nan=False, allow_infinity=False)


@st.composite
def return_pairs(draw, min_size=3, max_size=60):
    n = draw(st.integers(min_size, max_size))
    ra = draw(arrays(np.float64, n, elements=returns_elem))
    rb = draw(arrays(np.float64, n, elements=returns_elem))
    # keep clear of a (near-)constant benchmark, where beta is NaN by design
    assume(np.std(rb) > 1e-6)
    return ra, rb


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


@settings(max_examples=200, deadline=None)
@given(return_pairs())
def test_scaling_asset_scales_beta(pair):
    ra, rb = pair
    assert close(beta(2 * ra, rb, data="returns"), 2 * beta(ra, rb, data="returns"))


@settings(max_examples=200, deadline=None)
@given(return_pairs())
def test_negating_benchmark_flips_sign(pair):
    ra, rb = pair
    assert close(beta(ra, -rb, data="returns"), -beta(ra, rb, data="returns"))


@settings(max_examples=200, deadline=None)
@given(return_pairs())
def test_beta_of_benchmark_on_itself_is_one(pair):
    _, rb = pair
    assert close(beta(rb, rb, data="returns"), 1.0)


@settings(max_examples=200, deadline=None)
@given(return_pairs(), st.floats(-0.1, 0.1), st.floats(-0.1, 0.1))
def test_constant_shift_leaves_beta_unchanged(pair, ca, cb):
    ra, rb = pair
    assert close(beta(ra + ca, rb + cb, data="returns"), beta(ra, rb, data="returns"), 1e-7)


@settings(max_examples=200, deadline=None)
@given(return_pairs())
def test_stats_bounds(pair):
    ra, rb = pair
    s = beta_stats(ra, rb, data="returns")
    assert s.n == ra.size
    if not math.isnan(s.r_squared):
        assert 0.0 <= s.r_squared <= 1.0
        assert -1.0 <= s.correlation <= 1.0
        assert close(s.r_squared, s.correlation**2)
    assert s.vol_hedged <= s.vol_unhedged * (1 + 1e-12) + 1e-15
    assert close(s.beta, beta(ra, rb, data="returns"))


@settings(max_examples=100, deadline=None)
@given(return_pairs())
def test_input_types_agree(pair):
    ra, rb = pair
    ref = beta(ra, rb, data="returns")
    assert close(beta(list(ra), list(rb), data="returns"), ref, 1e-12)
    assert close(beta(pd.Series(ra), pd.Series(rb), data="returns"), ref, 1e-12)
    assert close(beta([[v] for v in ra], [[v] for v in rb], data="returns"), ref, 1e-12)


@settings(max_examples=100, deadline=None)
@given(return_pairs(min_size=4), st.integers(2, 4))
def test_rolling_last_window_equals_beta(pair, window):
    ra, rb = pair
    # windows whose variance is ~1e-12 of the data's spread are NaN by design (cumulative sums)
    assume(np.std(rb[-window:]) > 1e-4 * np.max(np.abs(rb - rb.mean())))
    got = rolling_beta(ra, rb, window, data="returns")
    tail = beta(ra[-window:], rb[-window:], data="returns")
    if math.isnan(tail):
        assert math.isnan(got[-1])
    else:
        assert close(got[-1], tail, 1e-6)


def conditioning(variance: pd.Series, moment: pd.Series) -> np.ndarray:
    """Variance over the second moment the sums are formed from: a two-moment formula keeps
    about -log10(eps / this) digits; below 1e-12 the result is NaN by design."""
    return (variance / moment).to_numpy()


def assert_multiple(got: np.ndarray, k: float, cond: np.ndarray) -> None:
    defined = ~np.isnan(got)
    allowed = abs(k) * (1e-9 + 1e-14 / cond[defined]) + 1e-12
    assert (np.abs(got[defined] - k) <= allowed).all()


@settings(max_examples=150, deadline=None)
@given(return_pairs(min_size=3, max_size=120), st.integers(2, 40), st.floats(-3.0, 3.0))
def test_rolling_beta_of_a_multiple_is_the_multiple(pair, window, k):
    # r_a = k * r_b exactly: every defined window's beta is k, to 1e-9 where the window is
    # well conditioned. The float fallback forms a window's sums from block prefixes spanning
    # up to two windows, so conditioning is judged over those 2 * window values.
    _, rb = pair
    window = min(window, rb.size)
    got = rolling_beta(k * rb, rb, window, data="returns")
    assert np.isnan(got[: window - 1]).all()
    s = pd.Series(rb)
    span = ((s - s.mean()) ** 2).rolling(2 * window, min_periods=1).sum() / window
    cond = conditioning(s.rolling(window).var(ddof=0), span)
    assert_multiple(got, k, cond)


@settings(max_examples=150, deadline=None)
@given(return_pairs(min_size=2, max_size=120), st.floats(0.1, 500.0), st.floats(-3.0, 3.0))
def test_ewm_beta_of_a_multiple_is_the_multiple(pair, halflife, k):
    _, rb = pair
    got = ewm_beta(k * rb, rb, halflife, data="returns")
    assert np.isnan(got[0])
    s = pd.Series(rb)
    cond = conditioning(s.ewm(halflife=halflife).var(bias=True), ((s - s.mean()) ** 2).ewm(halflife=halflife).mean())
    assert_multiple(got, k, cond)


@settings(max_examples=150, deadline=None)
@given(return_pairs(min_size=2, max_size=200))
def test_rolling_window_n_equals_beta(pair):
    # One window over everything: the last value is beta() of the whole series.
    ra, rb = pair
    got = rolling_beta(ra, rb, ra.size, data="returns")
    assert np.isnan(got[:-1]).all()
    ref = beta(ra, rb, data="returns")
    if math.isnan(ref):
        assert math.isnan(got[-1])
    else:
        assert close(got[-1], ref, 1e-9)
