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

import contextlib
import csv
import glob
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._atomic import (create_exclusive, discard, move_into_place, pid_alive, remove_own_temp_files,
                       remove_stale_temp_files, temp_path)
from .._text import escape_controls
from .._workers import mp_context as _mp_context
from .._workers import one_blas_thread_in_children as _one_blas_thread_in_children
from ..errors import HedgecoreError
from .jobs import FORMATS, SUMMARY_CSV, Job, Outcome, OutputProblem, output_paths, process_job
from .records import csv_value

__all__ = ["BatchResult", "expand_inputs", "plan_jobs", "run_batch"]

_GLOB_CHARS = frozenset("*?[")
#: Jobs in flight per worker process: enough to keep workers busy, few enough to stream.
_IN_FLIGHT_PER_WORKER = 4
#: How often a worker checks that its batch is alive, and how long stopped workers get to clean up.
_WATCH_SECONDS = 0.25
_GRACE_SECONDS = 5.0
_SUMMARY_LOCK = ".~hedgecore-summary.lock"


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


def plan_jobs(paths: Sequence[Path], outdir: Path, fmt: str, overwrite: bool,
              as_of: str | None = None) -> tuple[list[Job], list[Outcome]]:
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
        jobs.append(Job(source=str(path), outdir=str(outdir), fmt=fmt, overwrite=overwrite, as_of=as_of))
    return jobs, clashes


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------- worker processes


class _Terminated(SystemExit):
    """SIGTERM in the batch process: unwinds like Ctrl-C (workers stopped, temp files removed), then exits."""

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)


class _Held:
    """Signals that arrived while a worker was being started (see :func:`_submit`)."""

    depth = 0
    pending: int | None = None


_held = _Held()


def _raise_for(signum: int) -> None:
    raise KeyboardInterrupt if signum == signal.SIGINT else _Terminated


def _on_signal(signum, frame) -> None:
    """SIGTERM and SIGINT in the batch process: unwind, unless a worker is being started right now."""
    if _held.depth:
        _held.pending = signum
        return
    _raise_for(signum)


def _worker_sigterm(signum, frame) -> None:
    """SIGTERM in a worker: remove its temp file and exit at once. Raising instead could be
    swallowed (an exception in a ``__del__`` is only printed) and the job would go on."""
    remove_own_temp_files()
    os._exit(128 + signal.SIGTERM)


def _set_parent_death_signal() -> None:
    """Linux: the kernel sends SIGTERM to this worker when its parent process dies."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the watchdog thread does it
        pass


def _watch_parent(batch_pid: int, parent_pid: int) -> None:
    """Terminate this worker soon after the batch process (or the fork server) is gone."""
    while os.getppid() == parent_pid and pid_alive(batch_pid):
        time.sleep(_WATCH_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


def _worker_init(batch_pid: int) -> None:
    """Each worker: Ctrl-C is the parent's business, SIGTERM cleans up and exits, and it dies with the batch."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_sigterm)
    _set_parent_death_signal()
    threading.Thread(target=_watch_parent, args=(batch_pid, os.getppid()), daemon=True).start()


def _worker_job(job: Job) -> Outcome:
    """:func:`process_job` in a worker process (module level, so workers can import it)."""
    return process_job(job)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """SIGTERM every worker (each removes its temp file), then SIGKILL what is left after a grace period."""
    processes = list(getattr(pool, "_processes", {}).values())  # noqa: SLF001 - no public handle on them
    for p in processes:
        if p.is_alive():
            p.terminate()
    deadline = time.monotonic() + _GRACE_SECONDS
    for p in processes:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()


def _submit(pool: ProcessPoolExecutor, job: Job) -> Future[Outcome]:
    """``pool.submit`` with SIGTERM and SIGINT held back until it returns: a signal in the middle
    of starting a worker would leave that worker half-started, unknown to the pool (and printing a
    traceback). A signal mask cannot do it: multiprocessing unblocks both signals itself."""
    _held.depth += 1
    try:
        return pool.submit(_worker_job, job)
    finally:
        _held.depth -= 1
        if not _held.depth and _held.pending is not None:
            signum, _held.pending = _held.pending, None
            _raise_for(signum)


class _PoolFailed(Exception):
    """The worker processes died before finishing any job (e.g. they could not start)."""

    def __init__(self, remaining: list[Job]) -> None:
        super().__init__(f"{len(remaining)} jobs left")
        self.remaining = remaining


def _pool_round(queue: deque[Job], workers: int, lost: list[Job]) -> Iterator[Outcome]:
    """Run jobs from ``queue`` in one pool until it is empty or a worker dies.

    The jobs in flight when a worker died are appended to ``lost``. On any exit other than a
    normal end (Ctrl-C, SIGTERM, an error) the workers are stopped before the pool is shut down.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(), initializer=_worker_init,
                               initargs=(os.getpid(),))
    limit = 1 if workers == 1 else workers * _IN_FLIGHT_PER_WORKER
    running: dict[Future[Outcome], Job] = {}
    clean = False
    try:
        while queue or running:
            while queue and len(running) < limit:
                job = queue.popleft()
                try:
                    running[_submit(pool, job)] = job
                except BrokenProcessPool:
                    queue.appendleft(job)
                    break
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                job = running.pop(fut)
                try:
                    outcome = fut.result()
                except BrokenProcessPool:
                    lost.append(job)
                    continue
                yield outcome
            if lost:  # the pool is broken: every job still in flight is lost with it
                lost.extend(running.values())
                running.clear()
                break
        clean = True
    finally:
        if not clean:
            _stop_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)


def _run_parallel(jobs: Sequence[Job], workers: int) -> Iterator[Outcome]:
    """Outcomes in completion order, with a bounded number of jobs in flight.

    A worker that dies (killed, out of memory) breaks its pool and every job in flight with it.
    Those jobs are retried one at a time in a fresh pool, so only the job that kills its worker
    again fails (one line); the others are reported as usual. A pool that breaks before finishing
    any job (workers that cannot start) raises :class:`_PoolFailed` with the jobs not yet done.
    """
    with _one_blas_thread_in_children():
        yield from _rounds(jobs, workers)


def _rounds(jobs: Sequence[Job], workers: int) -> Iterator[Outcome]:
    """The pool rounds of :func:`_run_parallel`: all jobs, then the suspects of a broken pool one by one."""
    todo, suspects = deque(jobs), deque[Job]()
    finished = 0
    while todo or suspects:
        alone = bool(suspects)
        lost: list[Job] = []
        for outcome in _pool_round(suspects if alone else todo, 1 if alone else workers, lost):
            finished += 1
            yield outcome
        if lost and not finished:
            raise _PoolFailed([*lost, *suspects, *todo])
        if alone and lost:
            job = lost.pop(0)
            finished += 1
            yield Outcome(source=job.source, ok=False,
                          message=escape_controls(f"{job.source}: the worker process died reading it "
                                                  "(out of memory or killed?)"))
        suspects.extend(lost)


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
    in the output folder and moved into place when the batch ends (so a crash leaves none).

    One batch at a time writes a folder's summary.csv: a lock file, created exclusively, holds
    the batch's pid; a second batch into the same folder stops before writing anything, so no
    row is ever lost to a concurrent run. A lock whose process is gone (kill -9) is removed.
    """

    def __init__(self, outdir: Path, overwrite: bool) -> None:
        self.target = outdir / SUMMARY_CSV
        self.lock = outdir / _SUMMARY_LOCK
        self.overwrite = overwrite
        _take_lock(self.lock)
        try:
            if self.target.exists() and not overwrite:
                raise HedgecoreError(f"{self.target} already exists; use --overwrite to replace it")
            self.tmp = temp_path(outdir)
        except BaseException:
            self.lock.unlink(missing_ok=True)
            raise
        self.fh = open(self.tmp, "w", newline="", encoding="utf-8")
        self.writer = csv.writer(self.fh)
        self.header: list[str] | None = None
        self.rows = 0

    def add(self, figures: dict[str, object]) -> None:
        if self.header is None:  # every report has the same keys, in the same order
            self.header = list(figures)
            self.writer.writerow(self.header)
        self.writer.writerow([csv_value(figures.get(k)) for k in self.header])
        self.fh.flush()
        self.rows += 1

    def close(self, keep: bool) -> None:
        try:
            self.fh.close()
            if keep and self.rows:
                move_into_place(self.tmp, self.target, overwrite=self.overwrite)
        finally:
            discard(self.tmp)
            self.lock.unlink(missing_ok=True)


def _take_lock(lock: Path) -> None:
    """Create ``lock`` holding this pid, exclusively; refuse if a live batch holds it."""
    for _ in range(2):
        try:
            create_exclusive(lock, f"{os.getpid()}\n".encode())
            return
        except FileExistsError:
            try:
                pid = int(lock.read_text(encoding="ascii").split()[0])
            except (OSError, ValueError, IndexError):
                pid = 0
            if pid and pid_alive(pid):
                raise HedgecoreError(f"another hedgecore report (process {pid}) is writing {lock.parent / SUMMARY_CSV}; "
                                     "wait for it or use another output folder") from None
            stale = lock.with_name(f"{lock.name}.stale-{os.getpid()}")
            try:  # rename first: of two runs removing the same stale lock, one wins
                os.replace(lock, stale)
                stale.unlink()
            except FileNotFoundError:
                pass
    raise HedgecoreError(f"cannot lock {lock.parent / SUMMARY_CSV}: another run keeps taking it")


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
    as_of: str | None = None,
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
        Worker processes; default and cap the CPUs available; 1 runs in this process.
    overwrite : bool
        Replace existing reports; otherwise an existing report is a per-file failure.
    quiet : bool
        No progress bar and no per-report "wrote" lines (failures and the final line still print).
    echo : callable(text, is_error), optional
        Where lines go; default ``click.echo``-like printing to stdout/stderr.
    isatty : bool, optional
        Override terminal detection (tests).
    as_of : str, optional
        The run date (``YYYY-MM-DD``) against which stale prices are flagged; default today (UTC).

    Returns
    -------
    BatchResult
        Reports written and inputs failed. The caller prints :attr:`BatchResult.final_line`.

    Raises
    ------
    HedgecoreError
        A usage problem, an unusable output folder, another batch writing its summary.csv, or
        (:class:`~hedgecore.report.jobs.OutputProblem`) a disk problem, which stops the batch.
    """
    if fmt not in FORMATS:
        raise HedgecoreError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out = _prepare_outdir(Path(outdir))
    workers = _workers(jobs)
    if echo is None:
        def echo(text: str, is_error: bool) -> None:
            print(text, file=sys.stderr if is_error else sys.stdout, flush=True)

    paths, problems = expand_inputs(inputs)
    job_list, clashes = plan_jobs(paths, out, fmt, overwrite, as_of)
    for line in [*problems, *(c.message for c in clashes)]:
        echo(escape_controls(line), True)
    with _signals_unwind():
        summary = _open_summary(out, overwrite) if fmt == "csv" and job_list else None
        tty = sys.stderr.isatty() if isatty is None else isatty
        bar = _progress(len(job_list), enabled=tty and not quiet and len(job_list) > 1)
        written, failed = _run(job_list, workers, summary, bar, echo, quiet)
    return BatchResult(written=written, failed=failed + len(problems) + len(clashes))


def _prepare_outdir(out: Path) -> Path:
    """The output folder, created if missing; stale temp files of killed runs removed. One line if not usable."""
    if str(out).strip() == "":
        raise HedgecoreError("the output folder name is empty")
    if out.exists() and not out.is_dir():
        raise HedgecoreError(f"output folder {escape_controls(str(out))} is a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(out)
    except OSError as exc:
        raise HedgecoreError(escape_controls(f"cannot use output folder {out}: {exc.strerror or exc}")) from None
    return out


def _workers(jobs: int | None) -> int:
    """Worker processes: ``jobs`` capped at the CPUs available (more only cost memory)."""
    if jobs is None:
        return _cores()
    if int(jobs) < 1:
        raise HedgecoreError(f"--jobs must be at least 1, got {jobs}")
    return min(int(jobs), _cores())


@contextlib.contextmanager
def _signals_unwind():
    """In the main thread, SIGTERM unwinds like Ctrl-C: workers stopped, temp files removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run(job_list: Sequence[Job], workers: int, summary: _SummaryCsv | None, bar: Any,
         echo: Callable[[str, bool], None], quiet: bool) -> tuple[int, int]:
    """Print each outcome as it arrives; (written, failed). A disk problem stops the batch (OutputProblem)."""
    say, task = echo, None
    if bar is not None:
        bar.start()
        task = bar.add_task("report", total=len(job_list), failed=0)

        def say(text: str, is_error: bool) -> None:  # print above the bar
            bar.console.print(text, markup=False, highlight=False, soft_wrap=True) if is_error else echo(text, False)

    written = failed = 0
    keep = False
    try:
        with contextlib.closing(_outcomes(job_list, workers, lambda text: say(text, True))) as outcomes:
            for outcome in outcomes:
                if outcome.fatal:
                    keep = True  # the rows of the reports already written
                    raise OutputProblem(f"{outcome.message} ({written} written before the batch stopped)")
                written += outcome.ok
                failed += not outcome.ok
                if outcome.ok and summary is not None and outcome.summary is not None:
                    summary.add(outcome.summary)
                if not (outcome.ok and quiet):
                    say(outcome.message, not outcome.ok)
                if bar is not None:
                    bar.update(task, advance=1, failed=failed)
        keep = True
    finally:
        if bar is not None:
            bar.stop()
        if summary is not None:
            _close_summary(summary, keep)
    return written, failed


def _open_summary(out: Path, overwrite: bool) -> _SummaryCsv:
    try:
        return _SummaryCsv(out, overwrite)
    except OSError as exc:
        raise HedgecoreError(escape_controls(f"cannot write {out / SUMMARY_CSV}: {exc.strerror or exc}")) from None


def _close_summary(summary: _SummaryCsv, keep: bool) -> None:
    try:
        summary.close(keep=keep)
    except FileExistsError:
        raise HedgecoreError(f"{summary.target} appeared during the run; it was kept and this run's summary dropped") from None
    except OSError as exc:
        raise HedgecoreError(f"cannot write {summary.target}: {exc.strerror or exc}") from None
