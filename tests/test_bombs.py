"""Bombs and huge workbooks: each refused (or handled) within a stated memory bound.

Each case runs ``process_job`` in a subprocess whose address space is capped with
``resource.setrlimit(RLIMIT_AS, 1 GiB)``: a reader that unpacked a bomb or built a cell object
per cell of an inflated range would die with MemoryError (an ``unexpected`` line) instead of
giving the expected line. The subprocess prints its peak RSS and time, asserted against the
stated bound (memory) and only printed (time: no timed assertions on a shared machine; the
subprocess timeout is a hang guard). Measured figures: docs/batch-reports.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

openpyxl = pytest.importorskip("openpyxl")

import hostile  # noqa: E402

#: The stated bounds: address space of the process, and peak RSS for a refused file.
ADDRESS_SPACE = 1 << 30
REFUSED_RSS_MB = 300

# Peak RSS from /proc (VmHWM starts afresh at exec; ru_maxrss would include the forked test process).
_RUNNER = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from hedgecore.report import Job, process_job
t = time.perf_counter()
o = process_job(Job(source=sys.argv[1], outdir=sys.argv[2], fmt=sys.argv[3]))
seconds = time.perf_counter() - t
try:
    with open("/proc/self/status") as fh:
        hwm = next(l for l in fh if l.startswith("VmHWM")).split()[1]
    rss_mb = int(hwm) / 1024
except OSError:
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(ok=o.ok, message=o.message, seconds=seconds, rss_mb=rss_mb)))
"""


def run_limited(path: Path, out: Path, fmt: str = "json") -> dict:
    code = _RUNNER.format(limit=ADDRESS_SPACE)
    done = subprocess.run([sys.executable, "-W", "error", "-c", code, str(path), str(out), fmt], capture_output=True,
                          text=True, timeout=300, env={**__import__("os").environ, "OPENBLAS_NUM_THREADS": "1"})
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    result = json.loads(done.stdout)
    print(f"{path.name}: {result['seconds']:.2f} s, peak RSS {result['rss_mb']:.0f} MB: {result['message'][-90:]}")
    return result


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    return hostile.small_workbook(tmp_path_factory.mktemp("good") / "good.xlsx").read_bytes()


BOMBS = {
    "billion_laughs": (lambda g, tmp: hostile.billion_laughs(g), "DTD or XML entities"),
    "external_entity": (lambda g, tmp: hostile.external_entity(g, Path("/etc/passwd")), "DTD or XML entities"),
    "zip_bomb_1gib": (lambda g, tmp: hostile.zip_bomb(g, 1 << 30), "unpacks to more than 320 MiB"),
    "lying_zip_bomb": (lambda g, tmp: hostile.lying_zip_bomb(g, 256 << 20), "corrupt"),
    "million_rows": (lambda g, tmp: hostile.many_rows(g, 1_100_000), "more than 4,000,000 cells"),
    "too_many_price_rows": (lambda g, tmp: hostile.many_rows(g, 25_000), "more than 20,000 rows of closes"),
}


@pytest.mark.parametrize("case", list(BOMBS))
def test_bomb_is_refused_within_the_memory_bound(good, tmp_path, case):
    make, expected = BOMBS[case]
    path = tmp_path / f"{case}.xlsx"
    path.write_bytes(make(good, tmp_path))
    result = run_limited(path, tmp_path / "out")
    assert not result["ok"] and expected in result["message"], result["message"]
    assert "unexpected" not in result["message"]
    assert result["rss_mb"] < REFUSED_RSS_MB
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@pytest.mark.parametrize("fmt", ["json", "xlsx"])
def test_inflated_table_ranges_are_handled_within_the_memory_bound(good, tmp_path, fmt):
    path = tmp_path / "inflated.xlsx"
    path.write_bytes(hostile.inflated_ranges(good))
    result = run_limited(path, tmp_path / "out", fmt)
    assert result["ok"], result["message"]
    assert result["rss_mb"] < REFUSED_RSS_MB


def test_a_large_honest_workbook_is_reported_within_the_memory_bound(good, tmp_path):
    """5 years of daily closes for 100 coins (190,000 cells): a report, within 1 GiB of address space."""
    path = tmp_path / "large.xlsx"
    path.write_bytes(hostile.many_rows(good, 1_826, extra_coins=100))
    result = run_limited(path, tmp_path / "out", "xlsx")
    assert result["ok"], result["message"]
    wb = openpyxl.load_workbook(tmp_path / "out" / "large-report.xlsx", read_only=True)
    assert wb["Prices"].max_row == 1_827 and wb["Prices"].max_column == 104
