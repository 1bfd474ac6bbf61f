"""Property tests (hypothesis): empyrical-style invariances of beta and beta_stats."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hedgecore.stats import beta, beta_stats, rolling_beta

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
