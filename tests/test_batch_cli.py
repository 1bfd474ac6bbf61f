"""Batch mechanics of `hedgecore report`: INPUT expansion, overwrite rules, atomic writes, progress, exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

openpyxl = pytest.importorskip("openpyxl")

from test_report import CASES, build_workbook, run_cli, sha256  # noqa: E402

import hedgecore.report.jobs as jobs  # noqa: E402
from hedgecore.report.batch import expand_inputs, run_batch  # noqa: E402
from hedgecore.report import Job, process_job  # noqa: E402


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return build_workbook(tmp_path_factory.mktemp("good") / "good.xlsx", CASES["btc_linear"])


def _lines():
    out: list[tuple[str, bool]] = []
    return out, (lambda text, is_error: out.append((text, is_error)))


# --------------------------------------------------------------------------- inputs


def test_expand_inputs_files_folders_globs(tmp_path, good):
    a = tmp_path / "a"
    (a / "sub").mkdir(parents=True)
    for name in ("x.xlsx", "y.xlsx", "~$x.xlsx", ".hidden.xlsx", "x-report.xlsx", "notes.txt"):
        (a / name).write_bytes(b"")
    (a / "sub" / "z.xlsx").write_bytes(b"")
    paths, problems = expand_inputs([a, a / "x.xlsx", str(a / "**" / "*.xlsx"), a / "notes.txt", tmp_path / "nope"])
    names = [p.relative_to(a).as_posix() for p in paths]
    # folder: its .xlsx only (no lock, hidden or report files); the file again: dropped as a duplicate;
    # the ** glob adds the sub-folder; a file named explicitly is always taken.
    assert names == ["x.xlsx", "y.xlsx", "sub/z.xlsx", "notes.txt"]
    assert problems == [f"{tmp_path / 'nope'}: no such file or folder"]


def test_reports_in_the_input_folder_are_not_fed_back(tmp_path, good):
    shutil.copy(good, tmp_path / "mine.xlsx")
    first = run_cli("report", tmp_path, "-o", tmp_path, "--jobs", "1")
    assert first.returncode == 0, first.stderr
    again = run_cli("report", tmp_path, "-o", tmp_path, "--jobs", "1", "--overwrite")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == "1 report written, 0 failed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine-report.xlsx", "mine.xlsx"]


def test_same_report_name_from_two_folders_is_a_clash(tmp_path, good):
    for d in ("one", "two"):
        (tmp_path / d).mkdir()
        shutil.copy(good, tmp_path / d / "p.xlsx")
    done = run_cli("report", tmp_path / "one", tmp_path / "two", "-o", tmp_path / "out")
    assert done.returncode == 1
    assert done.stdout.strip().splitlines()[-1] == "1 report written, 1 failed"
    assert f"{tmp_path / 'two' / 'p.xlsx'}: its report p-report.xlsx would clash" in done.stderr


# --------------------------------------------------------------------------- overwrite and atomicity


def test_existing_report_is_kept_without_overwrite(tmp_path, good):
    out = tmp_path / "out"
    out.mkdir()
    target = out / "good-report.xlsx"
    target.write_bytes(b"an older report")
    done = run_cli("report", good, "-o", out)
    assert done.returncode == 1
    assert target.read_bytes() == b"an older report"
    assert done.stderr.strip() == f"{good}: report {target} already exists; use --overwrite to replace it"
    assert done.stdout.strip().splitlines()[-1] == "0 reports written, 1 failed"
    done = run_cli("report", good, "-o", out, "--overwrite")
    assert done.returncode == 0, done.stderr
    assert openpyxl.load_workbook(target).sheetnames[0] == "Summary"


def test_input_bytes_unchanged(tmp_path, good):
    before = sha256(good)
    for fmt in ("xlsx", "json", "csv"):
        assert run_cli("report", good, "-o", tmp_path / fmt, "--format", fmt).returncode == 0
    assert sha256(good) == before


def _crashing_save(self, filename):
    """Write part of a file, then die as a full disk or a kill would."""
    if hasattr(filename, "write"):  # the report is saved to memory first
        filename.write(b"PK\x03\x04 half a workbook")
    else:
        Path(filename).write_bytes(b"PK\x03\x04 half a workbook")
    raise OSError(28, "No space left on device")


def test_interrupted_write_leaves_nothing(tmp_path, good, monkeypatch):
    from openpyxl.workbook.workbook import Workbook

    monkeypatch.setattr(Workbook, "save", _crashing_save)
    out = tmp_path / "out"
    outcome = process_job(Job(source=str(good), outdir=str(out)))
    assert not outcome.ok and outcome.fatal  # a disk problem stops the batch
    assert outcome.message == f"cannot write {out}: No space left on device"
    assert list(out.iterdir()) == []  # no report, no temp file


def test_interrupted_overwrite_keeps_the_old_report(tmp_path, good, monkeypatch):
    from openpyxl.workbook.workbook import Workbook

    out = tmp_path / "out"
    assert process_job(Job(source=str(good), outdir=str(out))).ok
    target = out / "good-report.xlsx"
    old = sha256(target)
    monkeypatch.setattr(Workbook, "save", _crashing_save)
    outcome = process_job(Job(source=str(good), outdir=str(out), overwrite=True))
    assert not outcome.ok
    assert sha256(target) == old
    assert [p.name for p in out.iterdir()] == ["good-report.xlsx"]


def test_interrupted_json_and_csv_leave_nothing(tmp_path, good, monkeypatch):
    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(jobs, "write_csv", crash)
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C is not swallowed, but cleans up
        process_job(Job(source=str(good), outdir=str(tmp_path), fmt="csv"))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- output, progress, exit status


def test_quiet_and_non_tty_print_only_failures_and_the_final_line(tmp_path, good):
    shutil.copy(good, tmp_path / "a.xlsx")
    shutil.copy(good, tmp_path / "b.xlsx")
    (tmp_path / "c.xlsx").write_bytes(b"junk")
    # --as-of the day after the bundled closes end: no stale-data warning in the lines checked here
    done = run_cli("report", tmp_path, "-o", tmp_path / "out", "--quiet", "--as-of", "2024-04-10")
    assert done.returncode == 1
    assert done.stdout.strip() == "2 reports written, 1 failed"
    assert done.stderr.strip() == f"{tmp_path / 'c.xlsx'}: not an .xlsx workbook (not a zip file)"
    done = run_cli("report", tmp_path / "a.xlsx", tmp_path / "b.xlsx", "-o", tmp_path / "out2", "--as-of", "2024-04-10")
    assert done.returncode == 0
    out = done.stdout.splitlines()
    assert out[-1] == "2 reports written, 0 failed"
    assert sorted(out[:-1]) == [f"wrote {tmp_path / 'out2' / 'a-report.xlsx'}", f"wrote {tmp_path / 'out2' / 'b-report.xlsx'}"]
    assert "\x1b[" not in done.stderr  # no progress bar when stderr is not a terminal


def test_progress_bar_on_a_terminal(tmp_path, good, capsys):
    shutil.copy(good, tmp_path / "a.xlsx")
    (tmp_path / "b.xlsx").write_bytes(b"junk")
    lines, echo = _lines()
    result = run_batch([tmp_path], tmp_path / "out", jobs=1, echo=echo, isatty=True, as_of="2024-04-10")
    assert (result.written, result.failed) == (1, 1)
    assert result.final_line == "1 report written, 1 failed"
    assert (f"wrote {tmp_path / 'out' / 'a-report.xlsx'}", False) in lines


def test_summary_csv_is_not_overwritten_without_flag(tmp_path, good):
    out = tmp_path / "out"
    assert run_cli("report", good, "-o", out, "--format", "csv").returncode == 0
    text = (out / "summary.csv").read_text()
    done = run_cli("report", good, "-o", out, "--format", "csv")
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {out / 'summary.csv'} already exists; use --overwrite to replace it"
    assert (out / "summary.csv").read_text() == text
    assert run_cli("report", good, "-o", out, "--format", "csv", "--overwrite").returncode == 0


def test_usage_errors(tmp_path, good):
    done = run_cli("report", good, "--jobs", "0", "-o", tmp_path)
    assert done.returncode == 2 and "--jobs" in done.stderr
    done = run_cli("report", good, "--format", "pdf", "-o", tmp_path)
    assert done.returncode == 2 and "pdf" in done.stderr
    (tmp_path / "file").write_text("x")
    done = run_cli("report", good, "-o", tmp_path / "file")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    done = run_cli("report")
    assert done.returncode == 2 and "INPUT" in done.stderr


def test_help_has_examples():
    for cmd in ("report", "demo"):
        done = run_cli(cmd, "--help")
        assert done.returncode == 0 and "Example" in done.stdout


def test_script_without_main_guard_still_completes(tmp_path, good):
    """Worker processes cannot start from an unguarded script (forkserver/spawn re-import it):
    the batch says so once and finishes in-process instead of failing every input."""
    import subprocess
    import sys

    for name in ("a", "b", "c"):
        shutil.copy(good, tmp_path / f"{name}.xlsx")
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from hedgecore.report.batch import run_batch\n"
        f"r = run_batch([{str(tmp_path)!r}], {str(tmp_path / 'out')!r}, jobs=2, quiet=True,\n"
        "              echo=lambda text, err: print(('E ' if err else 'O ') + text))\n"
        "print(r.final_line)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "3 reports written, 0 failed", done.stdout + done.stderr
    assert sum(line.startswith("E worker processes could not start") for line in lines) == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a-report.xlsx", "b-report.xlsx", "c-report.xlsx"]
