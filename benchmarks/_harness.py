"""Interleaved timing for benchmarks on a shared, noisy machine.

Every benchmark script compares variants measured in the same run. Timing them one after the
other lets a burst of load from another process land on one variant only; here the variants
run round by round (A B C, then C B A, ...), each round yields one ratio per variant against
the baseline *of that round*, and the report is the median of those ratios with their spread.

    from _harness import compare, header
    print(header("rolling beta"))
    res = compare({"pandas": f_pandas, "hedgecore": f_ours}, baseline="pandas")
    print(res.line("hedgecore"))   # hedgecore 0.21x pandas (IQR 0.20-0.23, range 0.18-0.31) ...

API
---
``header(title)`` -> str
    Title, machine (CPU model, usable cores, load average) and library versions.
``compare(variants, *, baseline, rounds=15, min_time=0.005, inner=None, warmup=1)`` -> Comparison
    ``variants`` maps a name to a zero-argument callable. Each timing repeats the callable
    ``inner`` times (default: enough for ``min_time`` seconds, calibrated on the slowest
    variant) and divides; wall and CPU time (this process and its children) are recorded.
``Comparison.ratio(name, to=None)`` / ``.time(name)`` -> Stat
    Per-round ratios to the baseline (or to variant ``to``), or seconds per call; ``Stat`` has ``median``, ``q1``,
    ``q3``, ``lo``, ``hi`` and formats as ``0.21 (IQR 0.20-0.23, range 0.18-0.31)``.
``Comparison.cpu(name)`` -> Stat
    CPU seconds per call (process + children): shows time lost to waiting when a core is busy.
``Comparison.line(name, unit="ms")`` -> str
    One report line: median time, ratio to the baseline with its spread.
``Comparison.cpu_ratio(name, to=None)`` -> Stat
    Per-round ratios of CPU time per call.
``DescendantCpu`` (context manager) and its ``.seconds()``
    CPU clock of this process and every descendant, including processes it did not start
    directly and will not reap, such as a multiprocessing forkserver's workers: each process is
    counted once, by its last sample from /proc (every 20 ms; a process's last < 20 ms are
    lost), and the sampling thread's own CPU is left out; pass ``cpu_clock=meter.seconds`` to
    ``compare``. Linux only.
"""

from __future__ import annotations

import gc
import importlib.metadata
import os
import platform
import resource
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Comparison", "DescendantCpu", "Stat", "compare", "cpu_seconds", "header", "machine", "versions"]

_LIBRARIES = ("numpy", "pandas", "statsmodels", "openpyxl", "xlwings")


# --------------------------------------------------------------------------- machine


def machine() -> str:
    """CPU model, usable cores, load average and OS, in one line."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    try:
        load = "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        load = "load average unknown"
    return f"{cpu}, {cores} cores usable, {load}; {platform.system()} {platform.release()}"


def versions() -> str:
    """Python and the library versions the benchmarks depend on (``-`` when not installed)."""
    parts = [f"Python {platform.python_version()}"]
    for name in _LIBRARIES:
        try:
            parts.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{name} -")
    return ", ".join(parts)


def header(title: str) -> str:
    """A benchmark's title, machine and versions, ready to print."""
    return f"{title}\nmachine: {machine()}\nversions: {versions()}"


def cpu_seconds() -> float:
    """CPU time so far of this process and its finished children (user + system), seconds."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class DescendantCpu:
    """CPU seconds of this process and all its descendants, live or gone (sampled).

    ``exclude``: pids (and their descendants) not to count, e.g. a load generator. Children are
    counted by their samples, never by ``RUSAGE_CHILDREN``, so reaping them does not count them
    twice; the sampling thread's own CPU (reading /proc) is subtracted.
    """

    def __init__(self, interval: float = 0.02, exclude: frozenset[int] = frozenset()) -> None:
        self._interval = interval
        self._exclude = exclude
        self._seen: dict[int, float] = {}  # pid -> last sampled CPU seconds
        self._sampling = 0.0  # CPU seconds the sampling thread spent
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._tick = os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> DescendantCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _descendants(self) -> dict[int, float]:
        parent: dict[int, int] = {}
        cpu: dict[int, float] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(entry)
            parent[pid] = int(fields[1])
            cpu[pid] = (int(fields[11]) + int(fields[12])) / self._tick
        me, found, frontier = os.getpid(), {}, [os.getpid()]
        while frontier:
            p = frontier.pop()
            for child, ppid in parent.items():
                if ppid == p and child != me and child not in found and child not in self._exclude:
                    found[child] = cpu[child]
                    frontier.append(child)
        return found

    def _sample(self) -> None:
        t0 = time.thread_time()
        found = self._descendants()
        with self._lock:
            self._seen.update(found)
            self._sampling += time.thread_time() - t0

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def seconds(self) -> float:
        """CPU seconds so far: this process (without the sampling) plus the sampled descendants."""
        self._sample()
        me = resource.getrusage(resource.RUSAGE_SELF)
        with self._lock:
            return me.ru_utime + me.ru_stime - self._sampling + sum(self._seen.values())


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Stat:
    """Median and spread of a sample (quartiles and extremes)."""

    median: float
    q1: float
    q3: float
    lo: float
    hi: float

    @classmethod
    def of(cls, values: list[float]) -> Stat:
        v = sorted(values)
        if len(v) >= 4:
            q1, _, q3 = statistics.quantiles(v, n=4, method="inclusive")
        else:
            q1, q3 = v[0], v[-1]
        return cls(statistics.median(v), q1, q3, v[0], v[-1])

    def format(self, fmt: str = ".2f", scale: float = 1.0) -> str:
        f = lambda x: format(x * scale, fmt)  # noqa: E731
        return f"{f(self.median)} (IQR {f(self.q1)}-{f(self.q3)}, range {f(self.lo)}-{f(self.hi)})"

    def __str__(self) -> str:
        return self.format()


@dataclass(frozen=True)
class Comparison:
    """Timings of several variants measured round by round."""

    baseline: str
    inner: int
    wall: Mapping[str, list[float]]  # seconds per call, one entry per round
    cpu_s: Mapping[str, list[float]]

    def time(self, name: str) -> Stat:
        return Stat.of(self.wall[name])

    def cpu(self, name: str) -> Stat:
        return Stat.of(self.cpu_s[name])

    def cpu_ratio(self, name: str, to: str | None = None) -> Stat:
        """Per-round ``cpu(name) / cpu(to)`` (``to`` defaults to the baseline), median and spread."""
        other = self.cpu_s[self.baseline if to is None else to]
        return Stat.of([t / b for t, b in zip(self.cpu_s[name], other)])

    def ratio(self, name: str, to: str | None = None) -> Stat:
        """Per-round ``time(name) / time(to)`` (``to`` defaults to the baseline), median and spread."""
        other = self.wall[self.baseline if to is None else to]
        return Stat.of([t / b for t, b in zip(self.wall[name], other)])

    def line(self, name: str, unit: str = "ms") -> str:
        scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[unit]
        text = f"{name}: {self.time(name).median * scale:.3g} {unit}"
        if name != self.baseline:
            text += f" = {self.ratio(name)}x {self.baseline}"
        return text


# --------------------------------------------------------------------------- timing


def _timed(fn: Callable[[], object], inner: int, cpu_clock: Callable[[], float] = cpu_seconds) -> tuple[float, float]:
    c0 = cpu_clock()
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    wall = time.perf_counter() - t0
    return wall / inner, (cpu_clock() - c0) / inner


def _calibrate(variants: Mapping[str, Callable[[], object]], min_time: float) -> int:
    slowest = max(_timed(fn, 1)[0] for fn in variants.values())
    return max(1, int(min_time / max(slowest, 1e-9)) + 1)


def compare(
    variants: Mapping[str, Callable[[], object]],
    *,
    baseline: str,
    rounds: int = 15,
    min_time: float = 0.005,
    inner: int | None = None,
    warmup: int = 1,
    cpu_clock: Callable[[], float] = cpu_seconds,
) -> Comparison:
    """Time ``variants`` interleaved round by round; see the module docstring.

    Order alternates between rounds (forward, then reversed) so no variant always runs right
    after the same neighbour. The garbage collector is run before and paused during each round.
    """
    if baseline not in variants:
        raise ValueError(f"baseline {baseline!r} is not a variant")
    names = list(variants)
    for _ in range(warmup):
        for fn in variants.values():
            fn()
    n_inner = inner if inner is not None else _calibrate(variants, min_time)
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        gc.collect()
        gc.disable()
        try:
            for name in names if r % 2 == 0 else reversed(names):
                w, c = _timed(variants[name], n_inner, cpu_clock)
                wall[name].append(w)
                cpu[name].append(c)
        finally:
            gc.enable()
    return Comparison(baseline=baseline, inner=n_inner, wall=wall, cpu_s=cpu)
