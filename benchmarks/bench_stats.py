"""Benchmark hedgecore.stats against a numpy floor, statsmodels and pandas.

Run from the repository root:  python benchmarks/bench_stats.py
Fixed seed; best of several repeats (time.perf_counter); an invariant is asserted per case.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hedgecore.stats import beta, rolling_beta  # noqa: E402

N = 1_000_000
WINDOW = 365


def best_of(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def floor_beta(y: np.ndarray, x: np.ndarray) -> float:
    xc = x - x.mean()
    yc = y - y.mean()
    return float(xc @ yc) / float(xc @ xc)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    rng = np.random.default_rng(20240409)
    x = rng.normal(0.0, 0.03, N)
    y = 1.2 * x + rng.normal(0.0, 0.02, N)
    sx, sy = pd.Series(x), pd.Series(y)

    ours = beta(y, x, data="returns")
    assert abs(ours - floor_beta(y, x)) <= 1e-12 * abs(ours)

    t_ours = best_of(lambda: beta(y, x, data="returns"), 21)
    t_floor = best_of(lambda: floor_beta(y, x), 21)
    t_pandas = best_of(lambda: sy.cov(sx) / sx.var(), 7)
    t_sm = best_of(lambda: sm.OLS(y, sm.add_constant(x)).fit().params[1], 3)

    roll = rolling_beta(y, x, WINDOW, data="returns")
    ref = (sy.rolling(WINDOW).cov(sx) / sx.rolling(WINDOW).var()).to_numpy()
    ok = ~np.isnan(ref)
    assert np.array_equal(ok, ~np.isnan(roll))
    max_rel = float(np.max(np.abs(roll[ok] - ref[ok]) / np.abs(ref[ok])))
    t_roll = best_of(lambda: rolling_beta(y, x, WINDOW, data="returns"), 7)
    t_roll_pd = best_of(lambda: sy.rolling(WINDOW).cov(sx) / sx.rolling(WINDOW).var(), 5)

    print(f"machine: {cpu_model()}, nproc {os.cpu_count()}, Python {platform.python_version()}, "
          f"numpy {np.__version__}, pandas {pd.__version__}")
    print(f"n = {N:,} return pairs; rolling window {WINDOW}\n")
    rows = [
        ("beta(data='returns')", t_ours, ""),
        ("numpy floor (2 dots, centred)", t_floor, f"beta / floor = {t_ours / t_floor:.2f}x  (goal <= 1.5x)"),
        ("pandas Series.cov / var", t_pandas, f"pandas / beta = {t_pandas / t_ours:.1f}x"),
        ("statsmodels OLS", t_sm, f"statsmodels / beta = {t_sm / t_ours:.0f}x  (goal >= 10x)"),
        ("rolling_beta", t_roll, ""),
        ("pandas rolling cov / var", t_roll_pd, f"pandas / rolling_beta = {t_roll_pd / t_roll:.1f}x  (goal >= 10x)"),
    ]
    print(f"{'case':34s} {'best (ms)':>10s}  ratio")
    for name, t, note in rows:
        print(f"{name:34s} {t * 1e3:10.2f}  {note}")
    print(f"\nrolling_beta vs pandas: max relative difference {max_rel:.2e}  (goal <= 1e-9)")


if __name__ == "__main__":
    main()
