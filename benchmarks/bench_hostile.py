"""Time and peak memory of `process_job` on bombs and on a huge honest workbook (issue 15).

Run from the repository root:  python benchmarks/bench_hostile.py [--skip-huge]

Each case runs in a fresh subprocess (peak RSS from /proc/self/status VmHWM, which starts afresh
at exec); the files are generated with tests/hostile.py. The huge honest workbook is 20 years of
daily closes for 500 coins (7,305 rows x 501 columns, 3.66 million cells: the size the cell cap
is set for), reported as json and as xlsx. Figures go to docs/batch-reports.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import hostile  # noqa: E402

_RUNNER = """
import json, sys, time
from hedgecore.report import Job, process_job
t = time.perf_counter()
o = process_job(Job(source=sys.argv[1], outdir=sys.argv[2], fmt=sys.argv[3], overwrite=True))
seconds = time.perf_counter() - t
with open("/proc/self/status") as fh:
    rss = int(next(l for l in fh if l.startswith("VmHWM")).split()[1]) / 1024
print(json.dumps(dict(ok=o.ok, message=o.message, seconds=seconds, rss_mb=rss)))
"""


def measure(path: Path, out: Path, fmt: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _RUNNER, str(path), str(out), fmt], capture_output=True, text=True,
                          check=True, env={"OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-huge", action="store_true")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        good = hostile.small_workbook(tmp / "good.xlsx").read_bytes()
        cases = {
            "billion laughs": hostile.billion_laughs(good),
            "external entity": hostile.external_entity(good, Path("/etc/passwd")),
            "zip bomb (1 GiB of zeros, honest headers)": hostile.zip_bomb(good, 1 << 30),
            "zip bomb (256 MiB, headers say 1 KB)": hostile.lying_zip_bomb(good, 256 << 20),
            "ratio bomb (64 MiB of zeros)": hostile.zip_bomb(good, 64 << 20),
            "inflated table ranges (A1:XFD1048576)": hostile.inflated_ranges(good),
            "1,100,000 price rows": hostile.many_rows(good, 1_100_000),
            "25,000 price rows": hostile.many_rows(good, 25_000),
        }
        runs = [(name, data, "json") for name, data in cases.items()]
        runs.append(("inflated table ranges, xlsx report", cases["inflated table ranges (A1:XFD1048576)"], "xlsx"))
        if not args.skip_huge:
            huge = hostile.many_rows(good, 7_305, extra_coins=497)
            runs += [("huge honest: 7,305 days x 500 coins", huge, "json"),
                     ("huge honest: 7,305 days x 500 coins", huge, "xlsx")]
        for name, data, fmt in runs:
            path = tmp / "case.xlsx"
            path.write_bytes(data)
            r = measure(path, tmp / "out", fmt)
            verdict = "report" if r["ok"] else r["message"].split(": ", 1)[1][:70]
            print(f"| {name} | {len(data) / 1e6:.1f} MB | {fmt} | {r['seconds']:.2f} s | {r['rss_mb']:.0f} MB | {verdict} |")


if __name__ == "__main__":
    main()
