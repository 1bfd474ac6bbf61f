"""Kills and concurrent runs of `hedgecore report` (real processes, real signals).

* 10 trials (seeded) kill ``hedgecore report --jobs 2`` at a random moment with SIGKILL (the batch
  process alone, or its whole process group as the OOM killer or ``kill -9 -PGID`` would), SIGTERM
  or SIGINT (SIGINT to the whole process group, as Ctrl-C in a terminal). Afterwards no process
  of the run's group is left (workers die with their parent), every report at its final path is
  complete and readable, SIGTERM/SIGINT leave no temp file, and the temp files a SIGKILL leaves
  are recognised and removed by the next run.
* A worker killed mid-batch costs no input: the jobs in flight are retried one at a time.
* Two concurrent csv runs into one folder never lose a summary.csv row; two concurrent xlsx runs
  write each report exactly once and never replace a report they were told to keep.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

openpyxl = pytest.importorskip("openpyxl")

import hostile  # noqa: E402

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and process groups")

TRIALS = 10
INPUTS = 10


def start(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hedgecore", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def group_gone(pgid: int, within: float = 15.0) -> bool:
    """True once no process of the group is left (the forkserver and the workers included)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    good = hostile.small_workbook(folder / "w00.xlsx", rows=800, assets=("SOL", "AVAX", "DOT", "LINK", "ETH"))
    for i in range(1, INPUTS):
        shutil.copy(good, folder / f"w{i:02d}.xlsx")
    return folder


def _assert_reports_complete(out: Path, skip: Path | None = None) -> int:
    reports = sorted(p for p in out.glob("*-report.xlsx") if p != skip)
    for path in reports:
        wb = openpyxl.load_workbook(path, read_only=True)
        assert wb.sheetnames[0] == "Summary", path
        wb.close()
    return len(reports)


def _temp_files(out: Path) -> list[str]:
    return [p.name for p in out.iterdir() if p.name.startswith(".~hedgecore-")] if out.exists() else []


def test_killing_a_batch_at_random_moments(inputs, tmp_path):
    rng = random.Random(15)
    signals = [(signal.SIGKILL, False), (signal.SIGTERM, False), (signal.SIGINT, True), (signal.SIGKILL, True)]
    seen = {s: 0 for s in signals}
    for trial in range(TRIALS):
        sig, group = signals[trial % len(signals)]
        out = tmp_path / f"out{trial}"
        proc = start("report", inputs, "-o", out, "--jobs", "2", "--overwrite")
        time.sleep(rng.uniform(1.0, 4.0))  # start-up takes about a second; a batch about three more
        try:
            if group:
                os.killpg(proc.pid, sig)  # Ctrl-C reaches the whole foreground group
            else:
                os.kill(proc.pid, sig)
            _, err = proc.communicate(timeout=60)
            assert group_gone(proc.pid), f"trial {trial}: processes of the batch outlived it ({sig!r})"
        finally:
            _kill_group(proc.pid)
        if sig != signal.SIGKILL:  # after kill -9, multiprocessing's helpers may print as they find the parent gone
            assert "Traceback" not in err, (trial, sig, err)
        written = _assert_reports_complete(out) if out.exists() else 0
        left = _temp_files(out)
        if sig != signal.SIGKILL:
            assert left == [], (trial, sig, left)
        seen[sig, group] += 1
        print(f"trial {trial}: {sig.name}{' to the group' if group else ''}, {written} complete reports, "
              f"{len(left)} temp files left")
        if left:  # the next run into the folder removes what a kill -9 left
            shutil.copy(inputs / "w00.xlsx", tmp_path / "next.xlsx")
            done = subprocess.run([sys.executable, "-m", "hedgecore", "report", tmp_path / "next.xlsx", "-o", out],
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            assert _temp_files(out) == []
    assert all(seen.values())


def test_temp_files_of_dead_processes_are_removed_by_the_next_run(inputs, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = out / f".~hedgecore-{int(dead.stdout)}-abc123.tmp"  # what a kill -9 leaves
    live = out / f".~hedgecore-{os.getpid()}-def456.tmp"  # a running batch's: not touched
    stale.write_bytes(b"PK half a report")
    live.write_bytes(b"PK being written")
    done = subprocess.run([sys.executable, "-m", "hedgecore", "report", inputs / "w00.xlsx", "-o", out],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not stale.exists() and live.exists()


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the workers")
def test_a_killed_worker_costs_no_input(inputs, tmp_path):
    out = tmp_path / "out"
    proc = start("report", inputs, "-o", out, "--jobs", "2")
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline:  # the batch, its fork server, two workers
            workers = [w for child in _children(proc.pid) for w in _children(child)]
            time.sleep(0.05)
        assert workers, "no worker processes seen"
        time.sleep(0.5)
        os.kill(workers[0], signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        _kill_group(proc.pid)
    assert "Traceback" not in stderr
    died = [line for line in stderr.splitlines() if "worker process died" in line]
    assert len(died) <= 1, stderr
    assert stdout.strip().splitlines()[-1] == f"{INPUTS - len(died)} reports written, {len(died)} failed", stdout
    assert _assert_reports_complete(out) == INPUTS - len(died)


def _summary_files(out: Path) -> set[str]:
    if not (out / "summary.csv").exists():
        return set()
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        return {row["file"] for row in csv.DictReader(fh)}


def test_two_concurrent_csv_runs_never_lose_a_summary_row(inputs, tmp_path):
    sets = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        for i in range(4):
            shutil.copy(inputs / "w00.xlsx", folder / f"{name}{i}.xlsx")
        sets.append(folder)
    out = tmp_path / "out"
    runs = [start("report", folder, "-o", out, "--format", "csv", "--jobs", "1") for folder in sets]
    results = [run.communicate(timeout=300) for run in runs]
    codes = [run.returncode for run in runs]
    for (_, err), code in zip(results, codes):
        assert "Traceback" not in err
        assert code == 0 or (code == 2 and ("another hedgecore report" in err or "already exists" in err)), err
    written = {p.name.removesuffix("-assets.csv") + ".xlsx" for p in out.glob("*-assets.csv")}
    assert written and _summary_files(out) == written  # every report written has its row
    assert _temp_files(out) == [] and not (out / ".~hedgecore-summary.lock").exists()


def test_two_concurrent_runs_write_each_report_once_and_keep_existing_ones(inputs, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    keep = out / "w00-report.xlsx"
    keep.write_bytes(b"a report the user keeps")
    runs = [start("report", inputs, "-o", out, "--jobs", "1") for _ in range(2)]
    results = [run.communicate(timeout=300) for run in runs]
    wrote = [line for stdout, _ in results for line in stdout.splitlines() if line.startswith("wrote ")]
    exists = [line for _, stderr in results for line in stderr.splitlines() if "already exists" in line]
    assert len(wrote) == len(set(wrote)) == INPUTS - 1  # create-exclusive: one winner per report
    assert len(exists) == INPUTS + 1  # the kept report twice, every other report once
    assert keep.read_bytes() == b"a report the user keeps"
    assert _assert_reports_complete(out, skip=keep) == INPUTS - 1 and _temp_files(out) == []
