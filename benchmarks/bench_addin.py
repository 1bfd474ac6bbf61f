"""Benchmark: BETA through the Office.js path vs hedgecore.stats.beta on arrays.

    python benchmarks/bench_addin.py [--rounds 15]

Fixed-seed prices (1,200 and 100,000 rows). Times the same numbers five ways:

* core    -- ``hedgecore.stats.beta(asset, benchmark)`` on float64 arrays;
* floor   -- the least any add-in must do with the ranges as Office.js sends them (a column
  of n one-cell rows): one pass to take the cells out of their rows, one to convert them
  (``np.array([x for [x] in rows], float)``), then the core; no type checks;
* addin   -- ``BETA`` called as a plain function with those ranges (no dispatch);
* lite    -- ``BETA`` via ``xlwings.server.custom_functions_call`` with stand-ins for Pyodide's
  ``pyodide.ffi`` package (benchmarks/_officejs.py): the fair estimate for xlwings Lite;
* cpython -- the same dispatch without them: what xlwings Server on CPython pays.

Calls are awaited on one event loop kept for the run, as in Lite. Invariant: all results equal
the core's beta.

Variants are interleaved round by round (benchmarks/_harness.py); each line quotes the median
time and the median per-round ratio to the core with its IQR and range, then lite over addin
(the dispatch's own cost). Goal (issue 12): lite <= 3x the core.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _officejs  # noqa: E402  (first: sets up xlwings for Office.js)
import numpy as np  # noqa: E402

import hedgecore.stats  # noqa: E402
import main  # noqa: E402  (addin/main.py)
from _harness import compare, header  # noqa: E402


def prices(n, seed):
    rng = np.random.default_rng(seed)
    common = rng.normal(0, 0.03, n)
    asset = 100 * np.exp(np.cumsum(1.2 * common + rng.normal(0, 0.02, n)))
    bench = 3000 * np.exp(np.cumsum(common))
    return asset, bench


def floor(asset_rows, bench_rows):
    """Reference only: the two C-speed passes over each range that any reading needs, then the core."""
    asset = np.array([x for [x] in asset_rows], dtype=float)
    bench = np.array([x for [x] in bench_rows], dtype=float)
    return hedgecore.stats.beta(asset, bench)


def dispatch(module, name, ranges, stub):
    """A variant: one Excel call through xlwings' dispatch, with or without the Pyodide stub."""
    def run():
        _officejs.pyodide_stub(stub)
        return _officejs.calls(module, [(name, ranges)])[0][0][0]
    return run


def main_bench():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15)")
    args = ap.parse_args()
    print(header("bench_addin: BETA through xlwings' Office.js dispatch vs the core"))
    for n in (1_200, 100_000):
        asset, bench = prices(n, seed=n)
        ranges = ([[v] for v in asset.tolist()], [[v] for v in bench.tolist()])
        core_v = hedgecore.stats.beta(asset, bench)
        variants = {
            "core": lambda: hedgecore.stats.beta(asset, bench),
            "floor": lambda: floor(*ranges),
            "addin": lambda: main.beta(*ranges).rows[0][0],
            "lite": dispatch(main, "beta", ranges, True),
            "cpython": dispatch(main, "beta", ranges, False),
        }
        for label, fn in variants.items():
            v = fn()
            assert abs(v - core_v) <= 1e-12 * abs(core_v), (label, v, core_v)
        res = compare(variants, baseline="core", rounds=args.rounds)
        _officejs.pyodide_stub(False)
        print(f"\n{n:,} rows (time per call; ratio to core: median (IQR, range) over {args.rounds} rounds)")
        for label in variants:
            print("  " + res.line(label))
        print(f"  lite / addin (the dispatch's own cost): {res.ratio('lite', to='addin')}")
        met = res.ratio("lite").median <= 3
        print(f"  goal (issue 12): lite <= 3x core -> {'met' if met else 'NOT met'}")

if __name__ == "__main__":
    main_bench()
