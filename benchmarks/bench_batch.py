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
   over all of them, then ``hedgecore report INPUTS --jobs 1`` and ``--jobs 2`` as a user runs
   them (their own interpreter, imports and fork server): once as shipped (one BLAS thread per
   worker) and once with the BLAS variables set to the core count (a user's setting, which the
   batch keeps: the unpinned case). Reported per workbook: wall time and CPU time (this process
   and every descendant, sampled from /proc), the parallel efficiency t(jobs 1) / (2 * t(jobs 2))
   and CPU per workbook against --jobs 1.
   To separate what is ours from what is the machine's, the same rounds run a probe: a fixed
   pure-Python loop in one process, then split over two processes at once. Its CPU ratio and
   efficiency are the ceiling for any two-process work at that moment (two vCPUs that share a
   physical core or its caches, other processes on the machine). Last, the batch's start-up is
   timed alone: the fork server with its imports and two workers, before any job.
   ``--busy`` starts a spinning process (one core) for section 3, to measure a busy machine.
Goals (docs/batch-reports.md): per-workbook time <= 3x the floor; parallel efficiency >= 80 % on 2 cores.
Invariant asserted: every report is written, none fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import openpyxl  # noqa: E402
from _harness import DescendantCpu, Stat, compare, header  # noqa: E402

import hedgecore as hc  # noqa: E402
from hedgecore.excel import write_template  # noqa: E402
from hedgecore.report import Job, process_job  # noqa: E402

DATA = ROOT / "data" / "market" / "prices_daily"
EXAMPLE = ROOT / "hedgecore" / "examples" / "example_portfolio.xlsx"
ALTS = ["SOL", "AVAX", "DOT", "LINK", "ADA", "XRP", "BNB", "DOGE", "TRX"]
HEDGES = {"ETH": "binance:ETHUSD_PERP", "BTC": "binance:BTCUSD_PERP"}
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


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


KERNEL = """
import sys, time
t = time.process_time()
d = {}
for i in range(int(sys.argv[1])):
    d[str(i % 50_000)] = i * i
print(time.process_time() - t)
"""
KERNEL_UNITS = 5_000_000  # about 1 s of pure Python here


def _stop_forkserver() -> None:
    """Stop multiprocessing's fork server, so that the next batch starts its own, as each
    ``hedgecore report --jobs 2`` does (private API: multiprocessing's own tests use it)."""
    from multiprocessing import forkserver

    forkserver._forkserver._stop()  # noqa: SLF001


def _kernels(copies: int, units: int, cpu: list[float]) -> Callable[[], None]:
    """The machine probe: ``copies`` processes at once running a fixed pure-Python loop, the same
    total work whatever ``copies``; each reports its own CPU time (appended to ``cpu``)."""
    def run() -> None:
        procs = [subprocess.Popen([sys.executable, "-c", KERNEL, str(units // copies)], stdout=subprocess.PIPE,
                                  text=True) for _ in range(copies)]
        cpu.append(sum(float(p.communicate()[0]) for p in procs))
    return run


def _start_workers() -> None:
    """What a batch pays before its first job: the fork server (its imports) and two workers."""
    from concurrent.futures import ProcessPoolExecutor

    from hedgecore.report import batch as b

    _stop_forkserver()
    with b._one_blas_thread_in_children():  # noqa: SLF001 - the batch's own start-up, measured
        with ProcessPoolExecutor(max_workers=2, mp_context=b._mp_context(), initializer=b._worker_init,  # noqa: SLF001
                                 initargs=(os.getpid(),)) as pool:
            list(pool.map(time.sleep, [0.01, 0.01]))  # the second task needs the second worker


def batch_throughput(work: Path, n: int, rounds: int, busy: bool) -> None:
    inputs = work / "inputs"
    inputs.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    paths = generate(inputs, n)
    print(f"generated {len(paths)} workbooks in {time.perf_counter() - t0:.1f} s")

    def floors() -> None:
        for p in paths:
            floor(p, work / "floor.xlsx")

    def batch(jobs: int, blas_threads: str | None = None) -> Callable[[], None]:
        """``hedgecore report INPUTS --jobs N`` as a user runs it: its own interpreter, imports and fork server."""
        env = dict(os.environ)
        if blas_threads is not None:  # a user's setting, which the batch keeps
            env.update({k: blas_threads for k in BLAS_VARIABLES})

        def run() -> None:
            out = work / f"out_jobs{jobs}"
            shutil.rmtree(out, ignore_errors=True)
            proc = subprocess.run([sys.executable, "-m", "hedgecore", "report", str(inputs), "-o", str(out),
                                   "--jobs", str(jobs), "--quiet"], env=env, capture_output=True, text=True)
            assert proc.returncode == 0 and f"{len(paths)} reports written, 0 failed" in proc.stdout, proc.stdout + proc.stderr
        return run

    kernel_cpu: dict[int, list[float]] = {1: [], 2: []}
    variants = {"floor": floors, "jobs1": batch(1), "jobs2": batch(2), "jobs2-blas2": batch(2, str(os.cpu_count())),
                "probe1": _kernels(1, KERNEL_UNITS, kernel_cpu[1]), "probe2": _kernels(2, KERNEL_UNITS, kernel_cpu[2])}
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        exclude = frozenset() if spinner is None else frozenset({spinner.pid})
        with DescendantCpu(exclude=exclude) as meter:
            res = compare(variants, baseline="floor", rounds=rounds, inner=1, warmup=0, cpu_clock=meter.seconds)
            start = compare({"start": _start_workers}, baseline="start", rounds=max(rounds, 5), inner=1, warmup=1,
                            cpu_clock=meter.seconds)
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    per = 1 / len(paths)
    print(f"per workbook over {len(paths)} workbooks, {rounds} rounds" + (" (one core kept busy)" if busy else "")
          + ": median (IQR, range); CPU = this process and every descendant")
    for name in ("floor", "jobs1", "jobs2", "jobs2-blas2"):
        wall, cpu = res.time(name), res.cpu(name)
        print(f"  {name:<11} wall {wall.format('.3f', per)} s   CPU {cpu.format('.3f', per)} s")
    print(f"  --jobs 1 / floor: {res.ratio('jobs1')}x (goal <= 3x)")
    for name, what in (("jobs2", "BLAS one thread per worker"), ("jobs2-blas2", f"BLAS {os.cpu_count()} threads")):
        print(f"  {name} ({what}): parallel efficiency t(jobs 1) / (2 t(jobs 2)) "
              f"{res.ratio('jobs1', to=name).format('.0%', 0.5)} (goal >= 80 %); CPU per workbook "
              f"{res.cpu_ratio(name, to='jobs1')}x --jobs 1")
    probe = Stat.of([b / a for a, b in zip(kernel_cpu[1], kernel_cpu[2])])
    print(f"  machine probe (the same pure-Python work in 1 process, then split over 2 at once): CPU {probe}x, "
          f"efficiency {res.ratio('probe1', to='probe2').format('.0%', 0.5)}: the ceiling on this machine now")
    t, c = start.time("start"), start.cpu("start")
    print(f"  batch start-up (fork server with its imports, 2 workers): wall {t.format('.3f')} s, CPU {c.format('.3f')} s"
          f" = {c.median * per * 1e3:.1f} ms CPU per workbook here")


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
