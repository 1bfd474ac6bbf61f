"""Batch runs of ``hedgecore report``: expand INPUTs, run one job per workbook, report progress.

Each input is handled on its own: a bad workbook gives one line naming the file (and sheet and
cell where it applies) and the batch goes on. Jobs run in worker processes
(:class:`concurrent.futures.ProcessPoolExecutor`) unless ``jobs == 1``, which runs in-process.
Results are streamed: at most a few jobs per worker are in flight and each outcome is printed
(and, for ``--format csv``, appended to ``summary.csv``) as soon as it arrives, so a batch of
thousands of workbooks runs in constant memory.

``rich`` draws the progress bar when it is installed, the batch has more than one input, stderr
is a terminal and ``quiet`` is off; otherwise nothing but the per-file lines is printed.
"""

from __future__ import annotations

import csv
import glob
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from ..errors import HedgecoreError
from .jobs import FORMATS, SUMMARY_CSV, Job, Outcome, output_paths, process_job

__all__ = ["BatchResult", "expand_inputs", "plan_jobs", "run_batch"]

_GLOB_CHARS = frozenset("*?[")
#: Jobs in flight per worker process: enough to keep workers busy, few enough to stream.
_IN_FLIGHT_PER_WORKER = 4


@dataclass(frozen=True)
class BatchResult:
    """Counts of one batch run."""

    written: int
    failed: int

    @property
    def final_line(self) -> str:
        noun = "report" if self.written == 1 else "reports"
        return f"{self.written} {noun} written, {self.failed} failed"


def _is_candidate(path: Path) -> bool:
    """A workbook a folder or glob should pick up: not Excel's lock files, hidden or temp files, or our reports."""
    name = path.name
    return (
        path.is_file()
        and name.lower().endswith(".xlsx")
        and not name.startswith(("~$", "."))
        and not name.lower().endswith("-report.xlsx")
    )


def expand_inputs(specs: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[str]]:
    """Files named by INPUT arguments: files, folders (their ``*.xlsx``) and glob patterns.

    A file named explicitly is always taken (a non-.xlsx file then fails with a clear line).
    Folders and globs take ``*.xlsx`` files only, skipping Excel lock files (``~$...``), hidden
    files and earlier reports (``*-report.xlsx``). Folders are not searched recursively; use a
    ``**`` glob for that. Duplicates are dropped, first occurrence kept.

    Returns
    -------
    (paths, problems)
        The files in order, and one message per INPUT that matched nothing.
    """
    paths: list[Path] = []
    problems: list[str] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            paths.append(p)

    for spec in specs:
        text = os.fspath(spec)
        p = Path(text)
        if p.is_dir():
            found = sorted(c for c in p.iterdir() if _is_candidate(c))
            if not found:
                problems.append(f"{text}: folder holds no .xlsx workbooks")
            for c in found:
                add(c)
        elif p.exists():
            add(p)
        elif _GLOB_CHARS & set(text):
            found = sorted(Path(m) for m in glob.glob(text, recursive=True) if _is_candidate(Path(m)))
            if not found:
                problems.append(f"{text}: no .xlsx workbooks match")
            for c in found:
                add(c)
        else:
            problems.append(f"{text}: no such file or folder")
    return paths, problems


def plan_jobs(paths: Sequence[Path], outdir: Path, fmt: str, overwrite: bool) -> tuple[list[Job], list[Outcome]]:
    """One :class:`Job` per input; inputs whose report name clashes with an earlier one fail here."""
    jobs: list[Job] = []
    clashes: list[Outcome] = []
    taken: dict[Path, Path] = {}
    for path in paths:
        outs = output_paths(path, outdir, fmt)
        clash = next((taken[o] for o in outs if o in taken), None)
        if clash is not None:
            clashes.append(Outcome(source=str(path), ok=False,
                                   message=f"{path}: its report {outs[0].name} would clash with that of {clash}; "
                                           "rename one of them or run them separately"))
            continue
        for o in outs:
            taken[o] = path
        jobs.append(Job(source=str(path), outdir=str(outdir), fmt=fmt, overwrite=overwrite))
    return jobs, clashes


def _default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def _mp_context():
    """forkserver where available (no fork of a threaded parent), spawn otherwise."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["hedgecore.report.jobs"])
        return ctx
    return multiprocessing.get_context("spawn")


class _PoolFailed(Exception):
    """The worker processes died before finishing any job (e.g. they could not start)."""

    def __init__(self, remaining: list[Job]) -> None:
        super().__init__(f"{len(remaining)} jobs left")
        self.remaining = remaining


def _run_parallel(jobs: Sequence[Job], workers: int) -> Iterator[Outcome]:
    """Outcomes in completion order, with a bounded number of jobs in flight.

    A worker that dies (killed, out of memory) fails the jobs it may have held with one line
    each; the batch continues in a fresh pool. A pool that breaks before finishing any job
    (workers that cannot start) raises :class:`_PoolFailed` with the jobs not yet done.
    """
    todo = list(reversed(jobs))
    limit = workers * _IN_FLIGHT_PER_WORKER
    while todo:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context())
        running: dict[Future[Outcome], Job] = {}
        broken, completed = False, 0
        try:
            while todo or running:
                while todo and len(running) < limit and not broken:
                    job = todo.pop()
                    try:
                        running[pool.submit(process_job, job)] = job
                    except BrokenProcessPool:
                        todo.append(job)
                        broken = True
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = running.pop(fut)
                    try:
                        outcome = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        if completed == 0:  # nothing ever worked in this pool: retry the job elsewhere
                            todo.append(job)
                            continue
                        outcome = Outcome(source=job.source, ok=False,
                                          message=f"{job.source}: the worker process died (out of memory or killed?)")
                    else:
                        completed += 1
                    yield outcome
                if broken and not running:
                    break
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if broken and completed == 0:
            raise _PoolFailed(list(reversed(todo)))


def _outcomes(jobs: Sequence[Job], workers: int, notice: Callable[[str], None]) -> Iterator[Outcome]:
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield process_job(job)
        return
    try:
        yield from _run_parallel(jobs, min(workers, len(jobs)))
    except _PoolFailed as failed:
        notice("worker processes could not start; running the remaining inputs in this process "
               "(a script calling run_batch needs an `if __name__ == \"__main__\":` guard)")
        for job in failed.remaining:
            yield process_job(job)


class _SummaryCsv:
    """``summary.csv`` for ``--format csv``: one row per report written, streamed to a temp file
    in the output folder and moved into place when the batch ends (so a crash leaves none)."""

    def __init__(self, outdir: Path, overwrite: bool) -> None:
        self.target = outdir / SUMMARY_CSV
        if self.target.exists() and not overwrite:
            raise HedgecoreError(f"{self.target} already exists; use --overwrite to replace it")
        fd, tmp = tempfile.mkstemp(dir=outdir, prefix=".~summary-", suffix=".tmp")
        self.tmp = Path(tmp)
        self.fh = os.fdopen(fd, "w", newline="", encoding="utf-8")
        self.writer = csv.writer(self.fh)
        self.header: list[str] | None = None
        self.rows = 0

    def add(self, figures: dict[str, object]) -> None:
        if self.header is None:  # every report has the same keys, in the same order
            self.header = list(figures)
            self.writer.writerow(self.header)
        self.writer.writerow(["" if figures.get(k) is None else figures.get(k) for k in self.header])
        self.rows += 1

    def close(self, keep: bool) -> None:
        self.fh.close()
        if keep and self.rows:
            os.replace(self.tmp, self.target)
        else:
            self.tmp.unlink(missing_ok=True)


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    try:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    except ImportError:  # rich is optional: no bar
        return None
    return Progress(
        TextColumn("[bold]hedgecore report"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def run_batch(
    inputs: Sequence[str | os.PathLike[str]],
    outdir: str | os.PathLike[str],
    *,
    fmt: str = "xlsx",
    jobs: int | None = None,
    overwrite: bool = False,
    quiet: bool = False,
    echo: Callable[[str, bool], None] | None = None,
    isatty: bool | None = None,
) -> BatchResult:
    """Write one report per input workbook into ``outdir``; never raises for a bad input.

    Parameters
    ----------
    inputs : sequence of str or path
        Files, folders and glob patterns (see :func:`expand_inputs`).
    outdir : path
        Output folder, created if missing.
    fmt : {"xlsx", "json", "csv"}
    jobs : int, optional
        Worker processes; default the CPU count; 1 runs in this process.
    overwrite : bool
        Replace existing reports; otherwise an existing report is a per-file failure.
    quiet : bool
        No progress bar and no per-report "wrote" lines (failures and the final line still print).
    echo : callable(text, is_error), optional
        Where lines go; default ``click.echo``-like printing to stdout/stderr.
    isatty : bool, optional
        Override terminal detection (tests).

    Returns
    -------
    BatchResult
        Reports written and inputs failed. The caller prints :attr:`BatchResult.final_line`.
    """
    if fmt not in FORMATS:
        raise HedgecoreError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise HedgecoreError(f"output folder {out} is a file")
    out.mkdir(parents=True, exist_ok=True)
    workers = _default_jobs() if jobs is None else int(jobs)
    if workers < 1:
        raise HedgecoreError(f"--jobs must be at least 1, got {workers}")

    if echo is None:
        def echo(text: str, is_error: bool) -> None:
            print(text, file=sys.stderr if is_error else sys.stdout, flush=True)

    paths, problems = expand_inputs(inputs)
    job_list, clashes = plan_jobs(paths, out, fmt, overwrite)
    failed = len(problems)
    for p in problems:
        echo(p, True)
    for c in clashes:
        echo(c.message, True)
        failed += 1
    written = 0
    summary = _SummaryCsv(out, overwrite) if fmt == "csv" and job_list else None
    tty = sys.stderr.isatty() if isatty is None else isatty
    bar = _progress(len(job_list), enabled=tty and not quiet and len(job_list) > 1)
    say = echo
    task = None
    if bar is not None:
        bar.start()
        task = bar.add_task("report", total=len(job_list), failed=0)

        def say(text: str, is_error: bool) -> None:  # print above the bar
            bar.console.print(text, markup=False, highlight=False, soft_wrap=True) if is_error else echo(text, False)

    ok_run = False
    try:
        for outcome in _outcomes(job_list, workers, lambda text: say(text, True)):
            if outcome.ok:
                written += 1
                if summary is not None and outcome.summary is not None:
                    summary.add(outcome.summary)
                if not quiet:
                    say(outcome.message, False)
            else:
                failed += 1
                say(outcome.message, True)
            if bar is not None:
                bar.update(task, advance=1, failed=failed)
        ok_run = True
    finally:
        if bar is not None:
            bar.stop()
        if summary is not None:
            summary.close(keep=ok_run)
    return BatchResult(written=written, failed=failed)
