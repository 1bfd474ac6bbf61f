"""Benchmark `hedgecore report`: one report against the openpyxl load+save floor, and batch throughput.

Run from the repository root:  nice python benchmarks/bench_batch.py [--n 40] [--rounds 3] [--busy] [--keep DIR]

Measures, in one run, every comparison interleaved round by round (benchmarks/_harness.py) and
quoted as the median per-round ratio with its IQR and range:
1. the example report (hedgecore/examples/example_portfolio.xlsx) against the floor of loading and
   saving that same workbook with openpyxl;
2. a 50-asset x 5-year workbook (fixed-seed synthetic prices: the bundled data has 12 coins and
   3.3 years) against its floor;
3. N workbooks generated with write_template from the real data in data/market/prices_daily
   (holdings, hedge coin and settings varied with a fixed seed): per round, the load+save floor
   over all of them, ``run_batch`` with --jobs 1 and with --jobs 2. Reported per workbook: wall
   time and CPU time (this process plus its worker processes, sampled from /proc), and the
   parallel efficiency t(jobs 1) / (2 * t(jobs 2)). On a shared machine efficiency falls when
   another process holds a core; CPU per workbook shows whether the work itself grew.
   ``--busy`` starts a spinning process (one core) for section 3, to measure exactly that.
Goals (docs/batch-reports.md): per-workbook time <= 3x the floor; parallel efficiency >= 80 % on 2 cores.
Invariant asserted: every report is written, none fails.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import openpyxl  # noqa: E402
from _harness import DescendantCpu, compare, header  # noqa: E402

import hedgecore as hc  # noqa: E402
from hedgecore.excel import write_template  # noqa: E402
from hedgecore.report import Job, process_job, run_batch  # noqa: E402

DATA = ROOT / "data" / "market" / "prices_daily"
EXAMPLE = ROOT / "hedgecore" / "examples" / "example_portfolio.xlsx"
ALTS = ["SOL", "AVAX", "DOT", "LINK", "ADA", "XRP", "BNB", "DOGE", "TRX"]
HEDGES = {"ETH": "binance:ETHUSD_PERP", "BTC": "binance:BTCUSD_PERP"}


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


def single_reports(work: Path, rounds: int) -> None:
    big = big_workbook(work / "big_50x5y.xlsx")
    for label, path in (("example report (6 alts x 1193 days)", EXAMPLE), ("50 assets x 5 years", big)):
        report_once(path, work / "single")  # warm-up (imports, caches)
        res = compare({"floor": lambda: floor(path, work / "floor.xlsx"),
                       "report": lambda: report_once(path, work / "single")},
                      baseline="floor", rounds=rounds, inner=1)
        print(f"{label:<38} report {res.time('report').median:6.3f} s   load+save floor "
              f"{res.time('floor').median:6.3f} s   ratio {res.ratio('report')}x (goal <= 3x)")


def batch_throughput(work: Path, n: int, rounds: int, busy: bool) -> None:
    inputs = work / "inputs"
    inputs.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    paths = generate(inputs, n)
    print(f"generated {len(paths)} workbooks in {time.perf_counter() - t0:.1f} s")

    def floors() -> None:
        for p in paths:
            floor(p, work / "floor.xlsx")

    def batch(jobs: int):
        def run() -> None:
            out = work / f"out_jobs{jobs}"
            shutil.rmtree(out, ignore_errors=True)
            result = run_batch([inputs], out, jobs=jobs, quiet=True, echo=lambda text, err: None)
            assert (result.written, result.failed) == (len(paths), 0), result.final_line
        return run

    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        exclude = frozenset() if spinner is None else frozenset({spinner.pid})
        with DescendantCpu(exclude=exclude) as meter:
            res = compare({"floor": floors, "jobs1": batch(1), "jobs2": batch(2)}, baseline="floor",
                          rounds=rounds, inner=1, warmup=0, cpu_clock=meter.seconds)
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    print(f"per workbook over {len(paths)} workbooks, {rounds} rounds" + (" (one core kept busy)" if busy else "")
          + ": median (IQR, range)")
    for name in ("floor", "jobs1", "jobs2"):
        wall, cpu = res.time(name), res.cpu(name)
        print(f"  {name:<6} wall {wall.format('.3f', 1 / len(paths))} s   CPU {cpu.format('.3f', 1 / len(paths))} s")
    print(f"  --jobs 1 / floor: {res.ratio('jobs1')}x (goal <= 3x)")
    eff = res.ratio("jobs1", to="jobs2")
    print(f"  parallel efficiency t(jobs 1) / (2 t(jobs 2)): {eff.format('.0%', 0.5)} (goal >= 80 %)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40, help="generated workbooks for the batch (default 40)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--busy", action="store_true", help="keep one core busy during the batch section")
    ap.add_argument("--keep", type=Path, help="keep the generated workbooks and reports here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_batch_")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    print(header(f"bench_batch: hedgecore report vs openpyxl load+save (hedgecore {hc.__version__})"))
    try:
        single_reports(work, max(args.rounds, 5))
        batch_throughput(work, args.n, args.rounds, args.busy)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
