"""One input workbook end to end: read it, compute its report, write xlsx, json or csv.

:func:`process_job` is what ``hedgecore report`` runs for each input (in a worker process or in
this one): it never raises for a problem with the input and returns an :class:`Outcome` holding
the one line to print. Inputs are only read; every report is written to a temporary file in the
output folder and moved into place (:func:`hedgecore._atomic.atomic_write`), so an interrupted run
leaves the old report or none, never half of one.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import io
import json
import os
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_write
from .._text import escape_controls, short_name
from ..errors import HedgecoreError
from ..excel.reader import read_workbook_and_book
from .compute import ReportData, compute_report
from .figures import summary_figures
from .records import json_value, report_json, stress_table, write_csv
from .xlsx import build_report_workbook

__all__ = ["FORMATS", "SUMMARY_CSV", "Job", "Outcome", "OutputProblem", "output_paths", "write_report", "process_job"]

FORMATS = ("xlsx", "json", "csv")
SUMMARY_CSV = "summary.csv"


@dataclass(frozen=True)
class Job:
    """One input of a batch (picklable, sent to a worker process)."""

    source: str
    outdir: str
    fmt: str = "xlsx"
    overwrite: bool = False
    as_of: str | None = None  # the run date for the stale-data warning (YYYY-MM-DD); default today


@dataclass(frozen=True)
class Outcome:
    """Result of one job: ``message`` is the line to print (``wrote ...`` or the failure).

    ``summary`` holds the figures by key (json-safe values) for ``summary.csv`` and callers.
    ``fatal`` marks a problem with the output folder or the disk (not with this input): the
    batch stops there, since every later report would fail the same way.
    """

    source: str
    ok: bool
    message: str
    outputs: tuple[str, ...] = ()
    summary: dict[str, Any] | None = None
    fatal: bool = False


class OutputProblem(HedgecoreError):
    """The output folder or the disk failed (full, read-only, missing, not a folder)."""


def output_paths(source: str | os.PathLike[str], outdir: str | os.PathLike[str], fmt: str) -> tuple[Path, ...]:
    """Report file(s) an input gives: ``<stem>-report.xlsx|json``, or ``<stem>-assets.csv`` and ``<stem>-stress.csv``."""
    stem, out = Path(source).stem, Path(outdir)
    if fmt == "csv":
        return out / f"{stem}-assets.csv", out / f"{stem}-stress.csv"
    return (out / f"{stem}-report.{fmt}",)


def _output_message(exc: OSError, outdir: str) -> str:
    where = exc.filename if exc.filename else outdir
    reason = exc.strerror or type(exc).__name__
    if exc.errno == errno.ENAMETOOLONG:
        reason = "file name too long"
    return f"cannot write {where}: {reason}"


def _failure_message(path: Path, exc: BaseException) -> str:
    """One line for a failed input; names the file once; control characters escaped."""
    return escape_controls(f"{path}: {_failure_text(path, exc)}")


def _failure_text(path: Path, exc: BaseException) -> str:
    if isinstance(exc, FileExistsError):
        return f"report {exc.filename} already exists; use --overwrite to replace it"
    if isinstance(exc, HedgecoreError):
        text = str(exc) or type(exc).__name__
        # read_workbook's messages start with the file name ("x.xlsx, sheet Portfolio, cell B5: ..."),
        # which may hold line breaks itself: drop it before taking the first line.
        for name in (path.name, short_name(path.name)):
            if text.startswith(name):
                text = text[len(name):].lstrip(":, ")
                break
        return text.split("\n")[0]
    if isinstance(exc, ImportError) and exc.name in ("openpyxl", "et_xmlfile", "defusedxml"):
        return "reading workbooks needs openpyxl: pip install 'hedgecore[batch]'"
    if isinstance(exc, (zipfile.BadZipFile, EOFError)):
        return "not a readable .xlsx workbook (truncated or corrupt)"
    if isinstance(exc, MemoryError):
        return "out of memory reading this workbook; it is too large for this machine"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else ""
        return f"{exc.strerror or type(exc).__name__}{where}"
    text = str(exc).splitlines()[0][:150] if str(exc) else ""
    return f"unexpected {type(exc).__name__}{': ' + text if text else ''} (please report this)"


def _workbook_bytes(wb: Any) -> bytes:
    """The saved workbook, built in memory: a full disk then fails in one plain write, not inside
    openpyxl's zip file (whose clean-up would print "Exception ignored" tracebacks).

    openpyxl still streams each sheet through a temporary file; when that write fails, the sheet's
    half-written stream is closed on garbage collection and its second failure is silenced here, so
    the user sees the one line of the error raised.
    """
    buf = io.BytesIO()
    try:
        wb.save(buf)
    except OSError as exc:
        error = exc.with_traceback(None)  # drop the frames that keep openpyxl's sheet streams alive
    else:
        return buf.getvalue()
    hook, sys.unraisablehook = sys.unraisablehook, lambda _: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook
    raise error


def write_report(r: ReportData, source: Path, outdir: Path, fmt: str, *, overwrite: bool = False,
                 workbook: Any = None) -> tuple[Path, ...]:
    """Write the report(s) of one input into ``outdir``; returns the paths written."""
    targets = output_paths(source, outdir, fmt)
    if fmt == "xlsx":
        wb = build_report_workbook(r, source, workbook=workbook)
        atomic_write(targets[0], lambda tmp: tmp.write_bytes(_workbook_bytes(wb)), overwrite=overwrite)
    elif fmt == "json":
        text = json.dumps(report_json(r), indent=2, allow_nan=False) + "\n"
        atomic_write(targets[0], lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite)
    elif fmt == "csv":
        for target, df in zip(targets, (r.holdings, stress_table(r))):
            atomic_write(target, lambda tmp, df=df: write_csv(tmp, df), overwrite=overwrite)
    else:
        raise HedgecoreError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return targets


def _prepare_output(path: Path, job: Job) -> tuple[Path, ...]:
    """The report paths; the input is never a target; an existing report is refused early."""
    targets = output_paths(path, job.outdir, job.fmt)
    if any(t.resolve() == path.resolve() for t in targets):
        raise HedgecoreError("the report would replace the input file; choose another output folder")
    if not job.overwrite:
        for t in targets:
            if t.exists():
                raise FileExistsError(errno.EEXIST, "File exists", str(t))
    return targets


def _report(path: Path, job: Job) -> Outcome:
    _prepare_output(path, job)
    data = path.read_bytes()
    inputs, loaded = read_workbook_and_book(path, data)
    r = compute_report(
        inputs.holdings,
        inputs.prices,
        inputs.shocks,
        dict(inputs.settings),
        source_name=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        where=lambda name: inputs.where(name).split(", ", 1)[1] if name in inputs.cells else name,
        warnings=inputs.warnings,
        backtest=inputs.backtest,
        funding=inputs.funding,
        as_of=job.as_of,
    )
    try:
        Path(job.outdir).mkdir(parents=True, exist_ok=True)
        written = write_report(r, path, Path(job.outdir), job.fmt, overwrite=job.overwrite, workbook=loaded)
    except FileExistsError:
        raise
    except OSError as exc:
        raise OutputProblem(_output_message(exc, job.outdir)) from None
    summary = {f.key: json_value(f.value) for f in summary_figures(r)}
    message = f"wrote {', '.join(str(w) for w in written)}" + "".join(f"; warning: {w}" for w in r.warnings)
    return Outcome(source=job.source, ok=True, message=escape_controls(message),
                   outputs=tuple(str(w) for w in written), summary=summary)


def process_job(job: Job) -> Outcome:
    """Run one input end to end; never raises for a problem with the input (one line instead).

    Numerical overflow in a hostile workbook ends in the clear error the core raises for a
    non-finite result; NumPy's own warnings about it are silenced here.
    """
    path = Path(job.source)
    try:
        with np.errstate(all="ignore"):
            return _report(path, job)
    except OutputProblem as exc:
        return Outcome(source=job.source, ok=False, message=escape_controls(str(exc)), fatal=True)
    except Exception as exc:  # noqa: BLE001 - one line per bad input, never a traceback
        return Outcome(source=job.source, ok=False, message=_failure_message(path, exc))
