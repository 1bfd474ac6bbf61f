"""Benchmark: BETA through the Office.js path vs hedgecore.stats.beta on arrays.

    python benchmarks/bench_addin.py

Fixed-seed prices (1,200 and 100,000 rows). Times the same numbers three ways:

* core    -- ``hedgecore.stats.beta(asset, benchmark)`` on float64 arrays;
* excel   -- ``BETA`` via ``xlwings.server.custom_functions_call`` with the ranges as Excel
  sends them (2-D lists), on this CPython;
* lite    -- the same with a stub ``pyodide.ffi`` module in ``sys.modules``. xlwings 0.37.8
  runs ``from pyodide.ffi import JsNull`` once per *cell* while cleaning inputs; inside
  Pyodide (Lite) that import is a cached dict lookup, outside it is a failed import
  (about 0.1 ms per cell), so "lite" is the fair estimate for xlwings Lite and "excel" is
  what xlwings Server on CPython would pay.

Also times a reference variant that reads the ranges with the "raw" converter (no per-cell
cleaning) to show where the time goes. Invariant: all results equal the core's beta.

Variants are interleaved round by round (benchmarks/_harness.py); each line quotes the median
time and the median per-round ratio to the core with its IQR and range.
"""

import argparse
import asyncio
import os
import sys
import types
from pathlib import Path

os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # noncommercial open-source project

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "addin"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import xlwings  # noqa: E402
from xlwings import arg, func  # noqa: E402
from xlwings.server import custom_functions_call  # noqa: E402

import hedgecore.stats  # noqa: E402
import main  # noqa: E402  (addin/main.py)
from _harness import compare, header  # noqa: E402


def prices(n, seed):
    rng = np.random.default_rng(seed)
    common = rng.normal(0, 0.03, n)
    asset = 100 * np.exp(np.cumsum(1.2 * common + rng.normal(0, 0.02, n)))
    bench = 3000 * np.exp(np.cumsum(common))
    return asset, bench


@func
@arg("asset_prices", "raw")
@arg("benchmark_prices", "raw")
def raw_beta(asset_prices, benchmark_prices):
    """Reference only: BETA reading the ranges without xlwings' per-cell cleaning."""
    a = np.asarray(asset_prices, dtype=object).reshape(-1)
    b = np.asarray(benchmark_prices, dtype=object).reshape(-1)
    return hedgecore.stats.beta(a, b)


RAW = types.ModuleType("raw_beta_module")
RAW.raw_beta = raw_beta


def call(module, name, *ranges):
    payload = {
        "func_name": name, "args": list(ranges), "version": xlwings.__version__, "client": "Office.js",
        "runtime": "1.4", "date_format": "yyyy-mm-dd", "culture_info_name": "en-US",
    }
    return asyncio.run(custom_functions_call(payload, module))[0][0]


def pyodide_stub(on):
    if on:
        ffi = types.ModuleType("pyodide.ffi")
        ffi.JsNull = type("JsNull", (), {})
        pkg = types.ModuleType("pyodide")
        pkg.ffi = ffi
        sys.modules.update({"pyodide": pkg, "pyodide.ffi": ffi})
    else:
        sys.modules.pop("pyodide", None)
        sys.modules.pop("pyodide.ffi", None)


def dispatch(module, name, ranges, stub):
    """A variant: one Excel call through xlwings' dispatch, with or without the Pyodide stub."""
    def run():
        pyodide_stub(stub)
        return call(module, name, *ranges)
    return run


def main_bench():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9, help="interleaved rounds (default 9)")
    args = ap.parse_args()
    print(header("bench_addin: BETA through xlwings' Office.js dispatch vs the core"))
    for n in (1_200, 100_000):
        asset, bench = prices(n, seed=n)
        ranges = ([[v] for v in asset.tolist()], [[v] for v in bench.tolist()])
        core_v = hedgecore.stats.beta(asset, bench)
        variants = {
            "core": lambda: hedgecore.stats.beta(asset, bench),
            "excel": dispatch(main, "beta", ranges, False),
            "lite": dispatch(main, "beta", ranges, True),
            "raw-ref": dispatch(RAW, "raw_beta", ranges, True),
        }
        for label, fn in variants.items():
            v = fn()
            assert abs(v - core_v) <= 1e-12 * abs(core_v), (label, v, core_v)
        res = compare(variants, baseline="core", rounds=args.rounds)
        pyodide_stub(False)
        print(f"\n{n:,} rows (time per call; ratio to core: median (IQR, range) over {args.rounds} rounds)")
        for label in variants:
            print("  " + res.line(label))


if __name__ == "__main__":
    main_bench()
