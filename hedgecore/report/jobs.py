"""One input workbook end to end: read it, compute its report, write xlsx, json or csv.

:func:`process_job` is what ``hedgecore report`` runs for each input (in a worker process or in
this one): it never raises for a problem with the input and returns an :class:`Outcome` holding
the one line to print. Inputs are only read; every report is written to a temporary file in the
output folder and moved into place (:func:`hedgecore._atomic.atomic_write`), so an interrupted run
leaves the old report or none, never half of one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._atomic import atomic_write
from ..errors import HedgecoreError, WorkbookError
from ..excel.reader import read_workbook_and_book
from .compute import ReportData, compute_report
from .figures import summary_figures
from .records import json_value, report_json, stress_table, write_csv
from .xlsx import build_report_workbook

__all__ = ["FORMATS", "SUMMARY_CSV", "Job", "Outcome", "output_paths", "write_report", "process_job"]

FORMATS = ("xlsx", "json", "csv")
SUMMARY_CSV = "summary.csv"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Job:
    """One input of a batch (picklable, sent to a worker process)."""

    source: str
    outdir: str
    fmt: str = "xlsx"
    overwrite: bool = False


@dataclass(frozen=True)
class Outcome:
    """Result of one job: ``message`` is the line to print (``wrote ...`` or the failure).

    ``summary`` holds the figures by key (json-safe values) for ``summary.csv`` and callers.
    """

    source: str
    ok: bool
    message: str
    outputs: tuple[str, ...] = ()
    summary: dict[str, Any] | None = None


def output_paths(source: str | os.PathLike[str], outdir: str | os.PathLike[str], fmt: str) -> tuple[Path, ...]:
    """Report file(s) an input gives: ``<stem>-report.xlsx|json``, or ``<stem>-assets.csv`` and ``<stem>-stress.csv``."""
    stem, out = Path(source).stem, Path(outdir)
    if fmt == "csv":
        return out / f"{stem}-assets.csv", out / f"{stem}-stress.csv"
    return (out / f"{stem}-report.{fmt}",)


def _check_container(path: Path, data: bytes) -> None:
    """Fail early and clearly on files that cannot be an xlsx workbook."""
    if data.startswith(_OLE_MAGIC):
        raise WorkbookError(f"{path.name}: encrypted (password-protected) workbook or legacy .xls file; "
                            "save it as .xlsx without a password")
    if not data.startswith(b"PK"):
        raise WorkbookError(f"{path.name}: not an .xlsx workbook (not a zip file)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise WorkbookError(f"{path.name}: not a readable .xlsx workbook (truncated or corrupt)") from None
    if "xl/workbook.xml" not in names:
        raise WorkbookError(f"{path.name}: not an .xlsx workbook (no xl/workbook.xml inside)")


def _failure_message(path: Path, exc: BaseException) -> str:
    """One line for a failed input; names the file once."""
    if isinstance(exc, FileExistsError):
        target = Path(exc.filename)
        return f"{path}: report {target} already exists; use --overwrite to replace it"
    if isinstance(exc, HedgecoreError):
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        # read_workbook's messages start with the file name ("x.xlsx, sheet Portfolio, cell B5: ...").
        if text.startswith(path.name):
            text = text[len(path.name):].lstrip(":, ")
        return f"{path}: {text}"
    if isinstance(exc, ImportError) and exc.name in ("openpyxl", "et_xmlfile"):
        return f"{path}: reading workbooks needs openpyxl: pip install 'hedgecore[batch]'"
    if isinstance(exc, (zipfile.BadZipFile, EOFError)):
        return f"{path}: not a readable .xlsx workbook (truncated or corrupt)"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else ""
        return f"{path}: {exc.strerror or type(exc).__name__}{where}"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{path}: unexpected {type(exc).__name__}{': ' + text if text else ''} (please report this)"


def write_report(r: ReportData, source: Path, outdir: Path, fmt: str, *, overwrite: bool = False,
                 workbook: Any = None) -> tuple[Path, ...]:
    """Write the report(s) of one input into ``outdir``; returns the paths written."""
    targets = output_paths(source, outdir, fmt)
    if fmt == "xlsx":
        wb = build_report_workbook(r, source, workbook=workbook)
        atomic_write(targets[0], wb.save, overwrite=overwrite)
    elif fmt == "json":
        text = json.dumps(report_json(r), indent=2, allow_nan=False) + "\n"
        atomic_write(targets[0], lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite)
    elif fmt == "csv":
        for target, df in zip(targets, (r.holdings, stress_table(r))):
            atomic_write(target, lambda tmp, df=df: write_csv(tmp, df), overwrite=overwrite)
    else:
        raise HedgecoreError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return targets


def process_job(job: Job) -> Outcome:
    """Run one input end to end; never raises for a problem with the input (one line instead)."""
    path = Path(job.source)
    try:
        targets = output_paths(path, job.outdir, job.fmt)
        if any(t.resolve() == path.resolve() for t in targets):
            raise HedgecoreError("the report would replace the input file; choose another output folder")
        if not job.overwrite:
            for t in targets:
                if t.exists():
                    raise FileExistsError(17, "File exists", str(t))
        data = path.read_bytes()
        _check_container(path, data)
        Path(job.outdir).mkdir(parents=True, exist_ok=True)
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
        )
        written = write_report(r, path, Path(job.outdir), job.fmt, overwrite=job.overwrite, workbook=loaded)
        summary = {f.key: json_value(f.value) for f in summary_figures(r)}
        message = f"wrote {', '.join(str(w) for w in written)}" + "".join(f"; warning: {w}" for w in r.warnings)
        return Outcome(source=job.source, ok=True, message=message,
                       outputs=tuple(str(w) for w in written), summary=summary)
    except Exception as exc:  # noqa: BLE001 - one line per bad input, never a traceback
        return Outcome(source=job.source, ok=False, message=_failure_message(path, exc))
