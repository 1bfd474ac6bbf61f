"""Output folders, disks and options a user gets wrong: one line, exit status 2, no traceback, no
stray temp file; reports honour the umask; no NumPy warning reaches the terminal."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

openpyxl = pytest.importorskip("openpyxl")

import hostile  # noqa: E402


def run_cli(*args, preexec_fn=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "error", "-m", "hedgecore", *map(str, args)], capture_output=True,
                          text=True, timeout=300, preexec_fn=preexec_fn, cwd=cwd)


def _one_line_exit_2(done: subprocess.CompletedProcess, *pieces: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert all(p in lines[0] for p in pieces), lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return hostile.small_workbook(tmp_path_factory.mktemp("good") / "good.xlsx")


def _no_temp_files(folder: Path) -> None:
    if folder.exists():
        assert not [p.name for p in folder.iterdir() if p.name.startswith(".~")]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_parent_of_the_output_folder_is_a_file(good, tmp_path, fmt):
    (tmp_path / "file").write_text("x")
    _one_line_exit_2(run_cli("report", good, "-o", tmp_path / "file" / "out", "--format", fmt), "Not a directory")


def test_missing_parents_are_created(good, tmp_path):
    done = run_cli("report", good, "-o", tmp_path / "a" / "b" / "c")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "a" / "b" / "c" / "good-report.xlsx").is_file()


def test_a_too_long_output_name(good, tmp_path):
    _one_line_exit_2(run_cli("report", good, "-o", tmp_path / ("d" * 300)), "too long")
    _one_line_exit_2(run_cli("template", "-o", tmp_path / ("t" * 300 + ".xlsx")), "too long")


def test_template_never_replaces_a_workbook_without_overwrite(good, tmp_path):
    """`hedgecore template -o mine.xlsx` typed over a filled workbook must not wipe it (plain or --fetch)."""
    mine = tmp_path / "mine.xlsx"
    shutil.copy(good, mine)
    before = mine.read_bytes()
    _one_line_exit_2(run_cli("template", "-o", mine), "mine.xlsx already exists", "--overwrite")
    # --fetch refuses before it goes to the network: a closed port would give a different error
    _one_line_exit_2(run_cli("template", "-o", mine, "--fetch", "SOL", "--api-url", "http://127.0.0.1:9"),
                     "already exists")
    assert mine.read_bytes() == before
    _no_temp_files(tmp_path)
    done = run_cli("template", "-o", mine, "--overwrite")
    assert done.returncode == 0, done.stderr
    assert mine.read_bytes() != before and openpyxl.load_workbook(mine)["Portfolio"] is not None


def _usage_error(done: subprocess.CompletedProcess, *pieces: str) -> None:
    """click's usage error: status 2, the error on the last line after the usage hint."""
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and all(p in last for p in pieces), last


def test_empty_output_names(good, tmp_path):
    _usage_error(run_cli("template", "-o", ""), "must not be empty")
    _usage_error(run_cli("report", good, "-o", ""), "must not be empty")
    _usage_error(run_cli("addin", "-o", " "), "must not be empty")


def _limit_file_size(limit: int):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes then fail with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize(("fmt", "limit"), [("xlsx", 4096), ("csv", 1000)])
def test_a_full_disk_stops_the_batch_with_one_line(good, tmp_path, fmt, limit):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c"):
        shutil.copy(good, src / f"{name}.xlsx")
    out = tmp_path / "out"
    done = run_cli("report", src, "-o", out, "--format", fmt, "--jobs", "1", preexec_fn=_limit_file_size(limit))
    _one_line_exit_2(done, "cannot write", "File too large", "written before the batch stopped")
    _no_temp_files(out)
    assert not (out / "summary.csv").exists() or (out / "summary.csv").stat().st_size <= limit


def _as_nobody():
    os.setgid(65534)
    os.setuid(65534)


def _nobody_can_run_python() -> bool:
    try:
        return subprocess.run([sys.executable, "-c", "import hedgecore.cli"], preexec_fn=_as_nobody,
                              capture_output=True, timeout=60).returncode == 0
    except OSError:
        return False


def test_a_read_only_output_folder_in_process(good, tmp_path, monkeypatch):
    """The same path without a second user: creating the temp file fails as in a read-only folder."""
    import hedgecore._atomic as atomic
    from hedgecore.errors import HedgecoreError
    from hedgecore.report import run_batch

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "out"))

    monkeypatch.setattr(atomic.tempfile, "mkstemp", denied)
    for fmt in ("xlsx", "csv"):
        with pytest.raises(HedgecoreError, match="Permission denied"):
            run_batch([good], tmp_path / "out", fmt=fmt, jobs=1, echo=lambda text, err: None)
    _no_temp_files(tmp_path / "out")


@pytest.mark.skipif(os.geteuid() == 0 and not _nobody_can_run_python(),
                    reason="root ignores permissions, and user nobody cannot run this interpreter")
def test_a_read_only_output_folder(good, tmp_path):
    base = Path(tempfile.mkdtemp(prefix="hc-ro-"))  # not under pytest's 0700 tmp: the other user must reach it
    try:
        os.chmod(base, 0o755)
        src = base / "good.xlsx"
        shutil.copy(good, src)
        os.chmod(src, 0o644)
        ro = base / "ro"
        ro.mkdir(mode=0o555)
        os.chmod(ro, 0o555)
        preexec = _as_nobody if os.geteuid() == 0 else None  # root ignores permissions
        for fmt in ("xlsx", "csv"):
            line = _one_line_exit_2(run_cli("report", src, "-o", ro, "--format", fmt, preexec_fn=preexec,
                                            cwd=base), "Permission denied")
            assert str(ro) in line
        _one_line_exit_2(run_cli("report", src, "-o", ro / "sub", preexec_fn=preexec, cwd=base), "Permission denied")
        assert list(ro.iterdir()) == []
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_reports_honour_the_umask(good, tmp_path, umask):
    for fmt in ("xlsx", "csv"):
        out = tmp_path / fmt
        done = run_cli("report", good, "-o", out, "--format", fmt, preexec_fn=lambda: os.umask(umask))
        assert done.returncode == 0, done.stderr
        for f in out.iterdir():
            assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~umask, f


def test_overflow_is_a_clear_error_without_numpy_warnings(good, tmp_path):
    """Closes near the float limit overflow in the returns: the CLI runs with -W error, so a NumPy
    RuntimeWarning would turn into an 'unexpected' line."""
    data = good.read_bytes()
    for ref in ("B2", "B3", "C2"):
        data = hostile.raw_value(data, "Prices", ref, "1.7e308")
    data = hostile.raw_value(data, "Prices", "B4", "1e-300")
    data = hostile.raw_value(data, "Portfolio", "B5", "1e300")
    src = tmp_path / "overflow.xlsx"
    src.write_bytes(data)
    for fmt in ("xlsx", "json", "csv"):
        done = run_cli("report", src, "-o", tmp_path / fmt, "--format", fmt)
        assert "Warning" not in done.stderr and "unexpected" not in done.stderr and "Traceback" not in done.stderr
        assert done.returncode in (0, 1), done.stderr


@pytest.mark.parametrize(("option", "value"), [
    ("--exposure", "-50000"), ("--exposure", "nan"), ("--exposure", "inf"), ("--price", "0"), ("--price", "-1"),
    ("--contract-size", "0"), ("--hedge-ratio", "-1"), ("--collateral", "-2"), ("--leverage", "0"),
    ("--maintenance-rate", "1"), ("--maintenance-rate", "-0.1"), ("--funding-rate", "2"), ("--funding-rate", "x"),
])
def test_plan_options_check_their_range(option, value):
    args = {"--exposure": "50000", "--price": "3500", "--contract": "binance:ETHUSD_PERP"}
    args[option] = value
    _one_line_exit_2(run_cli("plan", *[t for kv in args.items() for t in kv]), f"error: {option} must be", value)


def test_set_refuses_a_formula_in_a_value_cell(tmp_path):
    _one_line_exit_2(run_cli("template", "-o", tmp_path / "t.xlsx", "--set", "Collateral==1+HYPERLINK(\"x\")"),
                     "Collateral must be a value, got the formula")
    done = run_cli("template", "-o", tmp_path / "t.xlsx", "--set", "HedgeRatio==PortfolioBeta")  # its own default
    assert done.returncode == 0, done.stderr


def test_jobs_are_capped_at_the_cpus(good, tmp_path):
    from hedgecore.report.batch import _cores, _workers

    assert _workers(60) == min(60, _cores()) and _workers(None) == _cores() and _workers(1) == 1
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c"):
        shutil.copy(good, src / f"{name}.xlsx")
    done = run_cli("report", src, "-o", tmp_path / "out", "--jobs", "60")
    assert done.returncode == 0 and done.stdout.strip().splitlines()[-1] == "3 reports written, 0 failed"


@pytest.fixture
def small_fs(tmp_path):
    """A real, tiny file system (tmpfs) when this machine lets us mount one (root); else skip."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()

    def mount(*options: str) -> None:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(mnt)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()[:80]}")

    yield mnt, mount
    subprocess.run(["umount", str(mnt)], capture_output=True)


@pytest.mark.parametrize(("fmt", "size"), [("xlsx", "64k"), ("csv", "8k")])
def test_a_really_full_disk(good, tmp_path, small_fs, fmt, size):
    mnt, mount = small_fs
    mount(f"size={size}")
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c", "d", "e"):
        shutil.copy(good, src / f"{name}.xlsx")
    _one_line_exit_2(run_cli("report", src, "-o", mnt / "out", "--format", fmt, "--jobs", "2"),
                     "No space left on device")
    _no_temp_files(mnt / "out")
    for report in (mnt / "out").glob("*-report.xlsx"):
        openpyxl.load_workbook(report)  # what is there is complete


def test_a_really_read_only_folder(good, small_fs):
    mnt, mount = small_fs
    mount("size=1m", "ro")
    for fmt in ("xlsx", "csv"):
        _one_line_exit_2(run_cli("report", good, "-o", mnt, "--format", fmt), "Read-only file system", str(mnt))
    _one_line_exit_2(run_cli("report", good, "-o", mnt / "sub"), "Read-only file system")
    _one_line_exit_2(run_cli("template", "-o", mnt / "t.xlsx"), "Read-only file system")
