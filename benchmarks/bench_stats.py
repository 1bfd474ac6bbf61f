"""Benchmark hedgecore.stats: beta against a numpy floor, statsmodels and pandas; rolling and EWM betas against pandas.

    nice python benchmarks/bench_stats.py [--rounds 9] [--quick]

Every comparison is interleaved round by round (benchmarks/_harness.py) and quoted as the median
of the per-round ratios hedgecore / baseline with the interquartile range and the min-max range.
Fixed-seed synthetic daily returns (benchmark N(0, 3 %), asset 1.2 x benchmark + N(0, 2 %)).

1. ``beta(asset, benchmark, data="returns")`` on float arrays at 1,000, 5,000 and 100,000 rows vs
   the numpy floor (two dot products on centred arrays), statsmodels OLS and pandas cov/var.
2. ``rolling_beta`` vs pandas ``r_a.rolling(w).cov(r_b) / r_b.rolling(w).var()`` and ``ewm_beta``
   vs ``r_a.ewm(halflife=h).cov(r_b) / r_b.ewm(halflife=h).var()`` at n = 500 ... 10,000 rows
   and windows / half-lives 30, 90, 365 (goal: <= 1/3 of pandas' time), and at 1,000,000 rows
   (goal: <= 1/1.5). hedgecore gets numpy arrays of returns, pandas gets Series of the same
   returns, as each would be called. Also one call as a user makes it: date-indexed daily price
   Series of the bundled data (1,193 rows), vs pandas' pct_change + rolling.
3. Agreement: the largest relative difference to pandas over every row (goal <= 1e-9), and at
   10,000 rows to an extended-precision (long double) reference.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import compare, header  # noqa: E402

from hedgecore.data.files import load_prices  # noqa: E402
from hedgecore.stats import beta, ewm_beta, rolling_beta  # noqa: E402

GRID_N = (500, 1_000, 2_000, 5_000, 10_000)
GRID_W = (30, 90, 365)
BIG_N = 1_000_000
SEED = 20240409


def returns(n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + n)
    x = rng.normal(0.0, 0.03, n)
    return 1.2 * x + rng.normal(0.0, 0.02, n), x


def floor_beta(y: np.ndarray, x: np.ndarray) -> float:
    xc = x - x.mean()
    return float(xc @ (y - y.mean())) / float(xc @ xc)


def max_rel(got: np.ndarray, ref: np.ndarray) -> float:
    """Largest relative difference where ``ref`` is a number; inf if the NaN patterns differ."""
    ok = ~np.isnan(ref)
    if not np.array_equal(ok, ~np.isnan(got)):
        return float("inf")
    return float(np.max(np.abs(got[ok] - ref[ok]) / np.abs(ref[ok]))) if ok.any() else 0.0


def ratio_cell(stat) -> str:
    return f"{stat.median:.2f} ({stat.q1:.2f}-{stat.q3:.2f}; {stat.lo:.2f}-{stat.hi:.2f})"


# --------------------------------------------------------------------------- 1. beta


def bench_beta(rounds: int) -> None:
    print("\n1. beta(data='returns') on float arrays: time / baseline, median (IQR; range)")
    print(f"{'rows':>8} {'beta':>9} {'floor':>9} {'beta / floor':>24} {'pandas / beta':>24} {'statsmodels / beta':>24}")
    for n in (1_000, 5_000, 100_000):
        y, x = returns(n)
        ours = beta(y, x, data="returns")
        assert abs(ours - floor_beta(y, x)) <= 1e-12 * abs(ours)
        sy, sx = pd.Series(y), pd.Series(x)
        res = compare({
            "floor": lambda: floor_beta(y, x),
            "beta": lambda: beta(y, x, data="returns"),
            "pandas": lambda: sy.cov(sx) / sx.var(),
            "statsmodels": lambda: sm.OLS(y, sm.add_constant(x)).fit().params[1],
        }, baseline="floor", rounds=rounds)
        print(f"{n:>8} {res.time('beta').median * 1e6:>7.1f}us {res.time('floor').median * 1e6:>7.1f}us "
              f"{ratio_cell(res.ratio('beta')):>24} {ratio_cell(res.ratio('pandas', to='beta')):>24} "
              f"{ratio_cell(res.ratio('statsmodels', to='beta')):>24}")


# --------------------------------------------------------------------------- 2. rolling / EWM


def rolling_pair(sy: pd.Series, sx: pd.Series, w: int):
    return lambda: sy.rolling(w).cov(sx) / sx.rolling(w).var()


def ewm_pair(sy: pd.Series, sx: pd.Series, h: float):
    return lambda: sy.ewm(halflife=h).cov(sx) / sx.ewm(halflife=h).var()


def bench_case(kind: str, n: int, w: int, rounds: int) -> tuple[object, float]:
    y, x = returns(n)
    sy, sx = pd.Series(y), pd.Series(x)
    if kind == "rolling":
        ref_fn, ours = rolling_pair(sy, sx, w), lambda: rolling_beta(y, x, w, data="returns")
    else:
        ref_fn, ours = ewm_pair(sy, sx, w), lambda: ewm_beta(y, x, w, data="returns")
    agreement = max_rel(ours(), ref_fn().to_numpy())
    res = compare({"pandas": ref_fn, "hedgecore": ours}, baseline="pandas", rounds=rounds)
    return res, agreement


def bench_grid(rounds: int, grid_n: tuple[int, ...], big_rounds: int) -> None:
    print("\n2. rolling_beta / ewm_beta vs pandas: hedgecore time / pandas time, median (IQR; range)")
    print(f"{'kind':<8} {'rows':>9} {'w / h':>6} {'pandas':>10} {'hedgecore':>10} {'ratio':>25} {'faster':>7} {'max rel diff':>13}")
    worst = {"user": 0.0, "big": 0.0}
    for kind in ("rolling", "ewm"):
        for n in (*grid_n, BIG_N):
            for w in GRID_W if n != BIG_N else (30, 365):
                res, agree = bench_case(kind, n, w, big_rounds if n == BIG_N else rounds)
                r = res.ratio("hedgecore")
                key = "big" if n == BIG_N else "user"
                worst[key] = max(worst[key], r.median)
                print(f"{kind:<8} {n:>9,} {w:>6} {res.time('pandas').median * 1e3:>8.3f}ms "
                      f"{res.time('hedgecore').median * 1e3:>8.3f}ms {ratio_cell(r):>25} {1 / r.median:>6.1f}x {agree:>13.1e}")
    print(f"worst median ratio: user sizes {worst['user']:.2f} (goal <= 0.33), 1e6 rows {worst['big']:.2f} (goal <= 0.67)")


def bench_user_call(rounds: int) -> None:
    prices = load_prices(ROOT / "data" / "market" / "prices_daily")
    a, b = prices["SOL"], prices["BTC"]
    w = 90
    pandas_fn = lambda: a.pct_change().rolling(w).cov(b.pct_change()) / b.pct_change().rolling(w).var()  # noqa: E731
    ours = lambda: rolling_beta(a, b, w)  # noqa: E731
    agree = max_rel(ours().to_numpy(), pandas_fn().to_numpy())
    res = compare({"pandas": pandas_fn, "hedgecore": ours}, baseline="pandas", rounds=rounds)
    print(f"\nuser call: rolling_beta(SOL, BTC daily price Series, {len(a):,} rows, window {w}) vs pandas pct_change"
          f" + rolling: {res.line('hedgecore', 'us')}; max rel diff {agree:.1e}")


# --------------------------------------------------------------------------- 3. exact reference


def exact_rolling(y: np.ndarray, x: np.ndarray, w: int) -> np.ndarray:
    from numpy.lib.stride_tricks import sliding_window_view

    out = np.full(x.size, np.nan)
    xs, ys = sliding_window_view(x.astype(np.longdouble), w), sliding_window_view(y.astype(np.longdouble), w)
    xc, yc = xs - xs.mean(axis=1, keepdims=True), ys - ys.mean(axis=1, keepdims=True)
    out[w - 1 :] = ((xc * yc).sum(axis=1) / (xc * xc).sum(axis=1)).astype(float)
    return out


def exact_ewm(y: np.ndarray, x: np.ndarray, h: float) -> np.ndarray:
    a = np.longdouble(0.5) ** (np.longdouble(1) / np.longdouble(h))
    xl, yl = x.astype(np.longdouble), y.astype(np.longdouble)
    xl, yl = xl - xl.mean(), yl - yl.mean()
    out = np.full(x.size, np.nan)
    sx = sy = sxx = sxy = d = np.longdouble(0)
    for t in range(x.size):
        sx, sy, sxx, sxy, d = a * sx + xl[t], a * sy + yl[t], a * sxx + xl[t] ** 2, a * sxy + xl[t] * yl[t], a * d + 1
        if t:
            out[t] = float((sxy * d - sx * sy) / (sxx * d - sx * sx))
    return out


def bench_exact() -> None:
    n = 10_000
    y, x = returns(n)
    sy, sx = pd.Series(y), pd.Series(x)
    print(f"\n3. agreement with a long double reference at {n:,} rows (max relative difference)")
    for w in GRID_W:
        ref_r, ref_e = exact_rolling(y, x, w), exact_ewm(y, x, w)
        print(f"   window/half-life {w:>3}: rolling hedgecore {max_rel(rolling_beta(y, x, w, data='returns'), ref_r):.1e}"
              f" pandas {max_rel(rolling_pair(sy, sx, w)().to_numpy(), ref_r):.1e} | ewm hedgecore "
              f"{max_rel(ewm_beta(y, x, w, data='returns'), ref_e):.1e} pandas {max_rel(ewm_pair(sy, sx, w)().to_numpy(), ref_e):.1e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9, help="interleaved rounds per comparison (default 9)")
    ap.add_argument("--quick", action="store_true", help="fewer sizes and rounds (a smoke run)")
    args = ap.parse_args()
    rounds = 3 if args.quick else args.rounds
    print(header("bench_stats: hedgecore.stats vs numpy floor, statsmodels and pandas"))
    bench_beta(rounds)
    bench_grid(rounds, (1_000, 10_000) if args.quick else GRID_N, 3 if args.quick else 5)
    bench_user_call(rounds)
    if not args.quick:
        bench_exact()


if __name__ == "__main__":
    main()
