"""Benchmark `hedgecore report`: one report against the openpyxl load+save floor, and batch throughput.

Run from the repository root:  python benchmarks/bench_batch.py [--n 200] [--keep DIR]

Measures, in one run:
1. the example report (hedgecore/examples/example_portfolio.xlsx) against the floor of loading and
   saving that same workbook with openpyxl (best of 3 each);
2. a 50-asset x 5-year workbook (fixed-seed synthetic prices: the bundled data has 12 coins and
   3.3 years) against its floor;
3. reports per second over N workbooks generated with write_template from the real data in
   data/market/prices_daily (holdings, hedge coin and settings varied with a fixed seed), at
   --jobs 1 and --jobs 2, the per-workbook load+save floor over the same files, and the parallel
   efficiency rate(2) / (2 * rate(1)).
Goals (docs/batch-reports.md): per-workbook time <= 3x the floor; parallel efficiency >= 80 % on 2 cores.
Invariant asserted: every report is written, none fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

import hedgecore as hc  # noqa: E402
from hedgecore.excel import write_template  # noqa: E402
from hedgecore.report import Job, process_job, run_batch  # noqa: E402

DATA = ROOT / "data" / "market" / "prices_daily"
EXAMPLE = ROOT / "hedgecore" / "examples" / "example_portfolio.xlsx"
ALTS = ["SOL", "AVAX", "DOT", "LINK", "ADA", "XRP", "BNB", "DOGE", "TRX"]
HEDGES = {"ETH": "binance:ETHUSD_PERP", "BTC": "binance:BTCUSD_PERP"}


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def floor(path: Path, out: Path) -> None:
    openpyxl.load_workbook(path).save(out)


def report_once(path: Path, outdir: Path) -> None:
    outcome = process_job(Job(source=str(path), outdir=str(outdir), fmt="xlsx", overwrite=True))
    assert outcome.ok, outcome.message


def generate(folder: Path, n: int, seed: int = 7) -> list[Path]:
    """N filled templates from the real prices, holdings and settings varied with a fixed seed."""
    rng = np.random.default_rng(seed)
    prices = hc.load_prices(DATA, assets=ALTS + list(HEDGES))
    paths = []
    for i in range(n):
        k = int(rng.integers(3, len(ALTS) + 1))
        assets = list(rng.choice(ALTS, size=k, replace=False))
        last = prices[assets].iloc[-1].to_numpy()
        qty = np.round(rng.uniform(2_000, 30_000, size=k) / last, 4)
        coin = str(rng.choice(list(HEDGES)))
        settings = {"HedgeAsset": coin, "Contract": HEDGES[coin], "ContractType": "inverse",
                    "ContractSize": 100.0 if coin == "BTC" else 10.0,
                    "Collateral": float(np.round(rng.uniform(0, 3), 2)), "Leverage": float(rng.choice([1, 2, 3])),
                    "FundingRate": 0.0001, "HorizonDays": float(rng.choice([7, 30, 90]))}
        holdings = pd.DataFrame({"Asset": assets, "Quantity": qty})
        path = folder / f"portfolio_{i:04d}.xlsx"
        write_template(path, holdings=holdings, prices=prices[assets + [coin]], settings=settings)
        paths.append(path)
    return paths


def big_workbook(path: Path, n_assets: int = 50, days: int = 5 * 365 + 1, seed: int = 11) -> Path:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2019-01-01", periods=days, freq="D", name="Date")
    eth_r = rng.normal(0.0005, 0.04, days)
    cols = {"ETH": 150.0 * np.exp(np.cumsum(eth_r))}
    for i in range(n_assets):
        r = rng.uniform(0.5, 1.8) * eth_r + rng.normal(0, 0.03, days)
        cols[f"ALT{i:02d}"] = 5.0 * np.exp(np.cumsum(r))
    prices = pd.DataFrame(cols, index=dates)
    holdings = pd.DataFrame({"Asset": [f"ALT{i:02d}" for i in range(n_assets)],
                             "Quantity": np.round(rng.uniform(100, 5_000, n_assets), 2)})
    write_template(path, holdings=holdings, prices=prices, settings={"HedgeAsset": "ETH", "Collateral": 5.0})
    return path


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    return (f"{cpu}, {cores} CPUs available; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; openpyxl {openpyxl.__version__}; hedgecore {hc.__version__}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="generated workbooks for the batch (default 200)")
    ap.add_argument("--keep", type=Path, help="keep the generated workbooks and reports here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_batch_")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    rows = []
    try:
        # 1-2. Single reports against their floor.
        big = big_workbook(work / "big_50x5y.xlsx")
        for label, path in (("example report (6 alts x 1193 days)", EXAMPLE), ("50 assets x 5 years", big)):
            report_once(path, work / "single")  # warm-up (imports, caches)
            t_report = best_of(lambda: report_once(path, work / "single"))
            t_floor = best_of(lambda: floor(path, work / "floor.xlsx"))
            rows.append((label, t_report, t_floor))
            print(f"{label:<38} report {t_report:6.3f} s   load+save floor {t_floor:6.3f} s   "
                  f"ratio {t_report / t_floor:4.2f}x")

        # 3. Batch throughput over N generated workbooks.
        inputs = work / "inputs"
        inputs.mkdir(exist_ok=True)
        t0 = time.perf_counter()
        paths = generate(inputs, args.n)
        print(f"generated {len(paths)} workbooks in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        for p in paths:
            floor(p, work / "floor.xlsx")
        t_floor = (time.perf_counter() - t0) / len(paths)
        rates = {}
        for jobs in (1, 2):
            out = work / f"out_jobs{jobs}"
            shutil.rmtree(out, ignore_errors=True)
            t0 = time.perf_counter()
            result = run_batch([inputs], out, jobs=jobs, quiet=True, echo=lambda text, err: None)
            elapsed = time.perf_counter() - t0
            assert (result.written, result.failed) == (len(paths), 0), result.final_line
            rates[jobs] = len(paths) / elapsed
            print(f"batch --jobs {jobs}: {len(paths)} reports in {elapsed:6.1f} s = {rates[jobs]:5.2f} reports/s "
                  f"({elapsed / len(paths):.3f} s per workbook)")
        per_workbook = 1 / rates[1]
        efficiency = rates[2] / (2 * rates[1])
        print(f"per-workbook load+save floor {t_floor:.3f} s; batch --jobs 1 per workbook {per_workbook:.3f} s "
              f"= {per_workbook / t_floor:.2f}x the floor (goal <= 3x)")
        print(f"parallel efficiency on 2 workers: {efficiency:.0%} (goal >= 80 %)")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
