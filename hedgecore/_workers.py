"""How the batch's worker processes start: a quiet fork server with one BLAS thread (stdlib only).

Workers are forked from multiprocessing's fork server (no fork of a threaded parent), which
imports every module a job needs once (:data:`FORKSERVER_PRELOAD`: numpy, pandas, openpyxl and
hedgecore's report modules, about 0.4 s of CPU), so that no worker imports them again. The
fork server and its workers start with one BLAS thread each (:func:`one_blas_thread_in_children`):
N workers on N cores must not start N BLAS pools of N threads that fight over the same cores.

``hedgecore report`` calls :func:`start_early` before importing the report modules itself, so
that the fork server's imports run on another core while the command imports the same;
:func:`hedgecore.report.run_batch` then finds it running. This module imports only the
standard library: it is what the command line can afford before it knows it needs numpy.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator

__all__ = ["FORKSERVER_PRELOAD", "ONE_BLAS_THREAD", "mp_context", "one_blas_thread_in_children", "start_early"]

#: What the fork server imports once: the batch (hence the whole job, numpy and pandas),
#: openpyxl's reader and writer, defusedxml.
FORKSERVER_PRELOAD = ["hedgecore.report.batch", "openpyxl.reader.excel", "openpyxl.writer.excel",
                      "defusedxml.ElementTree"]

#: Thread-pool sizes of the BLAS libraries numpy may use, for the worker processes: one thread each.
ONE_BLAS_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                          "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}


@contextlib.contextmanager
def one_blas_thread_in_children() -> Iterator[None]:
    """While workers (or the fork server) start, their environment asks each BLAS library for one thread.

    The variables are read when numpy loads its BLAS, which in a worker (or in the fork server
    that forks them) happens after this process set them; this process's own BLAS, loaded
    already, is unchanged. A value the user set is kept.
    """
    saved = {k: os.environ.get(k) for k in ONE_BLAS_THREAD}
    os.environ.update({k: v for k, v in ONE_BLAS_THREAD.items() if saved[k] is None})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)


def mp_context():
    """forkserver where available (no fork of a threaded parent), spawn otherwise."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
        _start_helpers_deaf_to_ctrl_c()
        return ctx
    return multiprocessing.get_context("spawn")


def _start_helpers_deaf_to_ctrl_c() -> None:
    """Start multiprocessing's fork server and resource tracker with SIGINT ignored (inherited
    across exec): a Ctrl-C while they import would print their own tracebacks. The batch
    process handles Ctrl-C and stops the workers itself."""
    if threading.current_thread() is not threading.main_thread():
        return
    from multiprocessing import forkserver, resource_tracker

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        resource_tracker.ensure_running()
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


def start_early() -> None:
    """Start the fork server now, with one BLAS thread, where the batch will use one; never raises.

    A start that fails here is left to the batch, which reports it (or runs in-process).
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if cores < 2 or "forkserver" not in multiprocessing.get_all_start_methods():
        return
    try:
        with one_blas_thread_in_children():
            mp_context()
    except Exception:  # noqa: BLE001 - only an early start; the batch starts it again and reports
        pass
