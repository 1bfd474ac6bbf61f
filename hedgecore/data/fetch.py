"""Fetch daily closes and funding histories into files hedgecore reads: incremental and atomic.

Price files are the layout :func:`hedgecore.load_prices` reads: one ``<COIN>-<QUOTE>.csv`` per coin
with ``Date,Close`` (e.g. ``SOL-USDT.csv``), or one wide file with ``Date`` and a column per coin.
Dates are UTC days; only complete days are written (never today's unfinished candle).

Funding files (``<exchange>_<SYMBOL>_funding.csv``) have the columns :data:`FUNDING_COLUMNS`:
the catalog name, the settlement time in UTC, the rate per interval (decimal; positive = longs pay
shorts) and the interval in hours. :func:`read_funding_history` reads them.

Every run appends only what is missing: it asks the exchange from the last stored day (or
settlement) on, checks that the exchange still reports the stored value there (otherwise the file
comes from another source and is left alone) and appends the rest. Each file is rewritten through a
temp file beside it and ``os.replace``, so it is always either the old file or the new one. A coin
or contract that fails gets one error line; rows fetched before the failure are kept and the next
run continues from there.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd

from .._atomic import atomic_write
from ..errors import DataError, FetchError
from .exchange import DAY_MS, HOUR_MS, ContractVenues, FetchSettings, Venue, iso

__all__ = [
    "DEFAULT_HISTORY_DAYS",
    "FUNDING_COLUMNS",
    "FetchResult",
    "OtherSourceError",
    "fetch_funding",
    "fetch_prices",
    "last_complete_day_ms",
    "load_fetched_funding",
    "read_funding_history",
]

#: History fetched for a new file when no ``since`` is given.
DEFAULT_HISTORY_DAYS = 3 * 365
FUNDING_COLUMNS = ("Symbol", "Funding Time (UTC)", "Funding Rate", "Interval Hours")
_INTERVALS_H = (1.0, 2.0, 4.0, 8.0)  # settlement spacings exchanges use; others are gaps in the history

#: ``progress(label, done, total)``: days covered so far out of the days asked for.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class FetchResult:
    """What one coin's or contract's fetch did.

    ``added`` rows were appended to ``path``, which now ends at ``last``; ``missing`` lists days the
    exchange has no candle for (prices). ``error`` is the one-line failure, if any (rows fetched
    before it are kept).
    """

    label: str
    path: Path | None = None
    added: int = 0
    last: str | None = None
    source: str = ""
    missing: tuple[str, ...] = ()
    error: str | None = None
    upto: str | None = None  # the last day asked for (prices)
    other_source: str = ""  # the error is OtherSourceError: what differs (its ``detail``)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def stale(self) -> bool:
        """True when the exchange had nothing up to the last complete day (halted or delisted?)."""
        return self.error is None and self.upto is not None and self.last is not None and self.last < self.upto

    def line(self) -> str:
        """One line for the terminal ("" when there is only an error to tell)."""
        if self.added == 0 and self.error is not None:
            return ""
        if self.added == 0 and not self.stale:
            return f"{self.label}: {self.path} is up to date (last {self.last})"
        text = f"{self.label}: {self.path}: +{self.added} rows to {self.last} ({self.source})"
        if self.missing:
            shown = ", ".join(self.missing[:3]) + (", ..." if len(self.missing) > 3 else "")
            text += f"; {len(self.missing)} days have no candle on the exchange ({shown})"
        if self.stale:
            text += f"; nothing after {self.last} on the exchange (asked up to {self.upto})"
        return text


def last_complete_day_ms(now_ms: int) -> int:
    """Open time (ms) of the last complete UTC day before ``now_ms``.

    >>> iso(last_complete_day_ms(1712707200000 + 5 * HOUR_MS))   # 2024-04-10 05:00 UTC
    '2024-04-09 00:00'
    """
    return (now_ms // DAY_MS) * DAY_MS - DAY_MS


def _now_ms() -> int:
    return int(time.time() * 1000)


def _day_ms(text: str, where: str) -> int:
    try:
        d = date.fromisoformat(str(text).strip()[:10])
    except ValueError:
        raise DataError(f"{where}: cannot read date {text!r} (use YYYY-MM-DD)") from None
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp() * 1000)


def _day(ms: int) -> str:
    return iso(ms)[:10]


def _num(x: float) -> str:
    return repr(float(x))


def _pages(fetch_page, start_ms: int, end_ms: int, *, step_ms: int, limit: int,
           newest_first: bool) -> Iterator[tuple[list[tuple[int, float]], int]]:
    """Yield ``(rows, covered_to_ms)`` pages covering ``[start_ms, end_ms]`` in windows of ``limit`` steps.

    ``fetch_page(start, stop, limit)`` returns ascending rows inside ``[start, stop]``. A full page
    from an oldest-first exchange continues after its last row. A full page from a newest-first
    exchange whose oldest row is a step or more after the window start may lack the window's oldest
    rows, so the window is halved and asked again.
    """
    window = limit * step_ms
    while start_ms <= end_ms:
        stop = min(start_ms + window - 1, end_ms)
        rows = fetch_page(start_ms, stop, limit)
        full = len(rows) >= limit
        if full and newest_first and rows[0][0] >= start_ms + step_ms and window > step_ms:
            window //= 2
            continue
        covered = rows[-1][0] if full else stop
        yield rows, covered
        start_ms = covered + 1


def _collect(pages: Iterator, label: str, start_ms: int, end_ms: int, progress: Progress | None):
    """All rows of ``pages``; on a FetchError the rows so far and the error (never both lost)."""
    rows: list[tuple[int, float]] = []
    total = max(1, (end_ms - start_ms) // DAY_MS + 1)
    try:
        for page, covered in pages:
            rows.extend(page)
            if progress:
                progress(label, min(total, (covered - start_ms) // DAY_MS + 1), total)
    except FetchError as exc:
        return rows, str(exc)
    return rows, None


# ---- CSV files ---------------------------------------------------------------------------------
@dataclass
class _Table:
    """A CSV file as text cells (existing cells are written back unchanged)."""

    header: list[str]
    rows: list[list[str]]
    newline: str = "\n"

    @classmethod
    def read(cls, path: Path) -> "_Table":
        raw = path.read_bytes().decode("utf-8-sig")
        records = [r for r in csv.reader(io.StringIO(raw)) if any(c.strip() for c in r)]
        if not records:
            raise DataError(f"{path}: file is empty")
        header = [h.strip() for h in records[0]]
        for k, r in enumerate(records[1:], start=2):
            if len(r) != len(header):
                raise DataError(f"{path} line {k}: {len(r)} fields, expected {len(header)}")
        return cls(header, records[1:], "\r\n" if "\r\n" in raw else "\n")

    def col(self, path: Path, name: str) -> int:
        lower = [h.lower() for h in self.header]
        if name.lower() not in lower:
            raise DataError(f"{path}: no column {name!r} (columns: {', '.join(self.header)})")
        return lower.index(name.lower())

    def last(self, path: Path, col: int) -> tuple[int, str] | None:
        """``(row index, cell)`` of the last non-empty cell of ``col``."""
        for k in range(len(self.rows) - 1, -1, -1):
            if self.rows[k][col].strip():
                return k, self.rows[k][col].strip()
        return None

    def write(self, path: Path) -> None:
        def dump(tmp: Path) -> None:
            with tmp.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh, lineterminator=self.newline)
                writer.writerow(self.header)
                writer.writerows(self.rows)

        write_atomically(path, dump)


def write_atomically(path: Path, dump) -> None:
    """:func:`atomic_write`, an OS failure (no such folder, read-only disk) as one DataError line."""
    try:
        atomic_write(path, dump)
    except OSError as exc:
        raise DataError(f"cannot write {path}: {exc.strerror or exc}") from None


class OtherSourceError(FetchError):
    """The exchange does not report a file's last value: the file comes from another source.

    ``detail`` says what differs, without the file name (``172.41362 on 2024-04-09, binance
    SOL/USDT reports 170.25``), for callers that word the line themselves (``hedgecore refresh``).
    """

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


def _check_overlap(label: str, path: Path, when: str, stored: str, fetched: dict[int, float], at_ms: int,
                   source: str) -> None:
    """The exchange must still report the file's last value (same source, no revision)."""
    try:
        value = float(stored)
    except ValueError:
        raise DataError(f"{path}: cannot read number {stored!r} on {when}") from None
    got = fetched.get(at_ms)
    if got is None:
        raise OtherSourceError(f"{label}: {source} has no value for {when}, the last row of {path}; "
                               "the file comes from another source (use another -o)",
                               f"{stored} on {when}, {source} has no value that day")
    if not math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-15):
        raise OtherSourceError(f"{label}: {path} has {stored} on {when} but {source} reports {_num(got)}; "
                               "the file comes from another source (use another -o)",
                               f"{stored} on {when}, {source} reports {_num(got)}")


# ---- prices ------------------------------------------------------------------------------------
def _ticker_file(folder: Path, coin: str) -> Path | None:
    """The folder's file for ``coin`` (ticker = file name up to its first '-' or '.', as load_prices)."""
    if not folder.is_dir():
        return None
    found = [p for p in sorted(folder.iterdir())
             if p.suffix.lower() == ".csv" and p.name.replace(".", "-").split("-")[0].upper() == coin.upper()]
    if len(found) > 1:
        raise FetchError(f"{coin}: {folder} has several files for {coin} ({', '.join(p.name for p in found)})")
    return found[0] if found else None


def _fetch_closes(venue: Venue, coin: str, market: dict, start_ms: int, end_ms: int, progress):
    limit = venue.page_limit("ohlcv")
    pages = _pages(lambda a, b, n: venue.daily_closes(coin, market, a, b, n), start_ms, end_ms,
                   step_ms=DAY_MS, limit=limit, newest_first=venue.newest_first)
    return _collect(pages, coin, start_ms, end_ms, progress)


def _missing_days(times: Sequence[int], after_ms: int | None) -> tuple[str, ...]:
    """Days without a candle between ``after_ms`` (or the first row) and the last row."""
    out, prev = [], after_ms
    for t in times:
        if prev is not None:
            out.extend(_day(d) for d in range(prev + DAY_MS, t, DAY_MS))
        prev = t
    return tuple(out)


def _series_update(venue: Venue, coin: str, table: _Table | None, path: Path, value_col: int | None,
                   since_ms: int, until_ms: int, quotes, progress):
    """New ``(day ms, close)`` rows for one coin's column, after checking the overlap day."""
    last = table.last(path, value_col) if table is not None else None
    if last is not None:
        last_ms = _day_ms(table.rows[last[0]][table.col(path, "Date")], str(path))
        if last_ms >= until_ms:
            return [], None, last_ms, ""
    market = venue.spot_market(coin, quotes)
    source = f"{venue.id} {market['symbol']}"
    start = last_ms if last is not None else since_ms
    rows, error = _fetch_closes(venue, coin, market, start, until_ms, progress)
    if last is not None:
        if rows or error is None:
            _check_overlap(coin, path, _day(last_ms), last[1], dict(rows), last_ms, source)
        rows = [r for r in rows if r[0] > last_ms]
    return rows, error, (last_ms if last is not None else None), source


def fetch_prices(
    coins: Sequence[str],
    out: str | Path,
    *,
    exchange: str = "binance",
    since: str | None = None,
    wide: bool = False,
    quotes: tuple[str, ...] = ("USD", "USDT"),
    settings: FetchSettings | None = None,
    now_ms: int | None = None,
    progress: Progress | None = None,
) -> list[FetchResult]:
    """Fetch or extend daily UTC closes of each coin's USD (else USDT) spot market.

    Parameters
    ----------
    coins : list of str
        Tickers, e.g. ``["SOL", "AVAX"]``.
    out : path
        Folder of per-coin files (created if missing), or with ``wide=True`` the wide CSV file.
    exchange : str
        ``"binance"`` (see :data:`hedgecore.data.exchange.EXCHANGES`).
    since : str, optional
        First day (``YYYY-MM-DD``) for a coin that has no data yet; default
        :data:`DEFAULT_HISTORY_DAYS` before the last complete day. Existing data is only extended.
    quotes : tuple of str
        Quote currencies to try, in order.
    settings : FetchSettings, optional
        API URL, timeout, retries and back-off.
    now_ms : int, optional
        The current time (ms since the epoch); the last complete UTC day before it is the last
        day written. Default: the clock.
    progress : callable, optional
        ``progress(coin, done_days, total_days)``.

    Returns
    -------
    list of FetchResult
        One per coin, in order; failures carry their one-line ``error``.

    Raises
    ------
    FetchError
        The exchange is not supported (per-coin failures are returned, not raised).
    DataError
        ``since`` is not a date, or ``out`` names a .csv file without ``wide``. (An unreadable or
        unwritable file is the failure of the coins it concerns.)
    """
    until_ms = last_complete_day_ms(_now_ms() if now_ms is None else now_ms)
    since_ms = (_day_ms(since, "since") if since else until_ms - DEFAULT_HISTORY_DAYS * DAY_MS)
    coins = [c.strip().upper() for c in coins if c.strip()]
    out = Path(out)
    if not wide and out.suffix.lower() == ".csv":
        raise DataError(f"{out} is a file name: write one wide file with wide=True (--wide), or name a folder")
    venue = Venue(exchange, "spot", settings)
    if wide:
        return _update_wide(venue, coins, out, since_ms, until_ms, quotes, progress)
    return [_update_coin_file(venue, coin, out, since_ms, until_ms, quotes, progress) for coin in coins]


def _update_coin_file(venue, coin, folder: Path, since_ms, until_ms, quotes, progress) -> FetchResult:
    try:
        path = _ticker_file(folder, coin)
        table = _Table.read(path) if path is not None else None
        col = table.col(path, "Close") if table is not None else None
        rows, error, last_ms, source = _series_update(venue, coin, table, path, col, since_ms, until_ms, quotes,
                                                      progress)
        if table is None and not rows:
            raise FetchError(error or f"{coin}: {source} has no daily candles since {_day(since_ms)}")
        if table is None:
            path = folder / f"{coin}-{source.rsplit('/', 1)[-1]}.csv"
            table, col = _Table(["Date", "Close"], []), 1
        date_col = table.col(path, "Date")
        for t, close in rows:
            cells = [""] * len(table.header)
            cells[date_col], cells[col] = _day(t), _num(close)
            table.rows.append(cells)
        if rows:
            table.write(path)
    except (FetchError, DataError) as exc:
        return _failed(coin, exc)
    return _price_result(coin, path, rows, last_ms, source, error, until_ms)


def _failed(label: str, exc: Exception) -> FetchResult:
    return FetchResult(label, error=_named(label, exc), other_source=getattr(exc, "detail", ""))


def _named(label: str, exc: Exception) -> str:
    """The error line, starting with the coin or contract it concerns."""
    text = str(exc)
    return text if text.lower().startswith(f"{label.lower()}:") else f"{label}: {text}"


def _price_result(coin, path, rows, last_ms, source, error, until_ms) -> FetchResult:
    last = _day(rows[-1][0]) if rows else (_day(last_ms) if last_ms is not None else None)
    return FetchResult(coin, path, len(rows), last, source, _missing_days([t for t, _ in rows], last_ms), error,
                       _day(until_ms))


def _update_wide(venue, coins, path: Path, since_ms, until_ms, quotes, progress) -> list[FetchResult]:
    """All coins into one wide file, written once at the end (atomically)."""
    table = _Table.read(path) if path.is_file() else _Table(["Date"], [])
    date_col = table.col(path, "Date")
    by_day = {_day_ms(r[date_col], str(path)): r for r in table.rows}
    results, changed = [], False
    for coin in coins:
        lower = [h.lower() for h in table.header]
        col = lower.index(coin.lower()) if coin.lower() in lower else None
        try:
            rows, error, last_ms, source = _series_update(venue, coin, table if col is not None else None, path,
                                                          col, since_ms, until_ms, quotes, progress)
        except (FetchError, DataError) as exc:
            results.append(_failed(coin, exc))
            continue
        if rows and col is None:
            table.header.append(coin)
            for r in by_day.values():
                r.append("")
            col = len(table.header) - 1
        for t, close in rows:
            if t not in by_day:
                by_day[t] = [""] * len(table.header)
                by_day[t][date_col] = _day(t)
            by_day[t][col] = _num(close)
        changed = changed or bool(rows)
        results.append(_price_result(coin, path, rows, last_ms, source, error, until_ms))
    if changed:
        table.rows = [by_day[t] for t in sorted(by_day)]
        table.write(path)
    return results


# ---- funding -----------------------------------------------------------------------------------
def _time_text(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _time_ms(text: str, where: str) -> int:
    try:
        t = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise DataError(f"{where}: cannot read time {text!r} (use YYYY-MM-DD HH:MM:SS, UTC)") from None
    t = t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)
    return int(t.timestamp() * 1000)


def _intervals(times: Sequence[int], prev_ms: int | None, prev_h: float | None, published_h: float) -> list[float]:
    """Interval (hours) each settlement's rate covers: the spacing from the previous settlement when
    it is 1, 2, 4 or 8 h; otherwise (a gap in the history, or the first row) the previous row's
    interval, else the next spacing, else the interval the exchange publishes now."""
    def spacing(a, b):
        h = (b - a) / HOUR_MS
        return next((v for v in _INTERVALS_H if abs(h - v) < 0.05), None)

    out: list[float] = []
    for k, t in enumerate(times):
        before = prev_ms if k == 0 else times[k - 1]
        h = spacing(before, t) if before is not None else None
        if h is None:
            h = out[-1] if out else prev_h
        if h is None and k + 1 < len(times):
            h = spacing(t, times[k + 1])
        out.append(h if h is not None else published_h)
    return out


def fetch_funding(
    contracts: Sequence[str],
    out: str | Path,
    *,
    since: str | None = None,
    settings: FetchSettings | None = None,
    now_ms: int | None = None,
    progress: Progress | None = None,
) -> list[FetchResult]:
    """Fetch or extend the funding-rate history of each contract (``exchange:SYMBOL``).

    Writes ``out/<exchange>_<SYMBOL>_funding.csv`` (:data:`FUNDING_COLUMNS`) with every settlement
    up to ``now_ms``. ``since`` (``YYYY-MM-DD``) applies to contracts without a file; default
    :data:`DEFAULT_HISTORY_DAYS` back. Other parameters and the result as :func:`fetch_prices`.
    """
    end_ms = _now_ms() if now_ms is None else now_ms
    since_ms = _day_ms(since, "since") if since else last_complete_day_ms(end_ms) - DEFAULT_HISTORY_DAYS * DAY_MS
    venues = ContractVenues(settings)
    results = []
    for name in contracts:
        try:
            venue, symbol = venues.get(name)
            results.append(_update_funding_file(venue, symbol, Path(out), since_ms, end_ms, progress))
        except (FetchError, DataError) as exc:
            results.append(_failed(str(name).strip(), exc))
    return results


def _update_funding_file(venue: Venue, symbol: str, folder: Path, since_ms, end_ms, progress) -> FetchResult:
    label = f"{venue.id}:{symbol}"
    path = folder / f"{venue.id}_{symbol}_funding.csv"
    table = _Table.read(path) if path.is_file() else None
    last = prev_h = None
    if table is not None:
        t_col, r_col, h_col = (table.col(path, c) for c in FUNDING_COLUMNS[1:])
        last = table.last(path, r_col)
    if last is not None:
        last_ms = _time_ms(table.rows[last[0]][t_col], str(path))
        try:
            prev_h = float(table.rows[last[0]][h_col])
        except ValueError:
            raise DataError(f"{path}: cannot read interval {table.rows[last[0]][h_col]!r} in the last row") from None
    market = venue.contract_market(symbol)
    published_h = venue.funding_interval_hours(label, market)
    start = last_ms if last is not None else since_ms
    pages = _pages(lambda a, b, n: venue.funding_rates(label, market, a, b, n), start, end_ms,
                   step_ms=int(published_h * HOUR_MS), limit=venue.page_limit("funding"),
                   newest_first=venue.newest_first)
    rows, error = _collect(pages, label, start, end_ms, progress)
    source = f"{venue.id} {market['symbol']}"
    if last is not None:
        if rows or error is None:
            by_second = {t // 1000 * 1000: v for t, v in rows}
            _check_overlap(label, path, table.rows[last[0]][t_col], last[1], by_second, last_ms, source)
        rows = [r for r in rows if r[0] // 1000 * 1000 > last_ms]
    if table is None:
        if not rows:
            raise FetchError(error or f"{label}: {source} has no funding settlements since {_day(since_ms)}")
        table = _Table(list(FUNDING_COLUMNS), [])
        t_col, r_col, h_col = 1, 2, 3
    hours = _intervals([t for t, _ in rows], last_ms if last is not None else None, prev_h, published_h)
    s_col = table.col(path, "Symbol")
    for (t, rate), h in zip(rows, hours):
        cells = [""] * len(table.header)
        cells[s_col], cells[t_col], cells[r_col], cells[h_col] = label, _time_text(t), _num(rate), _num(h)
        table.rows.append(cells)
    if rows:
        table.write(path)
    last_text = _time_text(rows[-1][0]) if rows else (table.rows[last[0]][t_col] if last else None)
    return FetchResult(label, path, len(rows), last_text, source, (), error)


def read_funding_history(path: str | Path) -> pd.DataFrame:
    """Read a funding file written by :func:`fetch_funding`.

    Returns
    -------
    pandas DataFrame
        Columns ``funding_rate`` (decimal per interval, + = longs pay shorts) and
        ``interval_hours``, indexed by tz-aware UTC settlement times named ``"Funding Time (UTC)"``;
        ``attrs["symbol"]`` is the contract (``"binance:ETHUSD_PERP"``).

    Raises
    ------
    DataError
        Missing file or column, unreadable time or number, times not increasing, or more than one
        contract in the file. Messages name the file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"funding file not found: {path}")
    table = _Table.read(path)
    s_col, t_col, r_col, h_col = (table.col(path, c) for c in FUNDING_COLUMNS)
    symbols = sorted({r[s_col].strip() for r in table.rows})
    if len(symbols) > 1:
        raise DataError(f"{path}: more than one contract ({', '.join(symbols)})")
    times, rates, hours = [], [], []
    for line, r in enumerate(table.rows, start=2):
        times.append(_time_ms(r[t_col], f"{path} line {line}"))
        if len(times) > 1 and times[-1] <= times[-2]:
            raise DataError(f"{path} line {line}: times must be increasing, {r[t_col]} is not after the previous row")
        try:
            rates.append(float(r[r_col]))
            hours.append(float(r[h_col]))
        except ValueError:
            raise DataError(f"{path} line {line}: cannot read {r[r_col]!r} or {r[h_col]!r} as a number") from None
    index = pd.DatetimeIndex(pd.to_datetime(times, unit="ms", utc=True), name=FUNDING_COLUMNS[1])
    frame = pd.DataFrame({"funding_rate": rates, "interval_hours": hours}, index=index)
    frame.attrs["symbol"] = symbols[0] if symbols else ""
    return frame


def load_fetched_funding(path: str | Path) -> pd.Series:
    """A fetched funding file as :func:`hedgecore.load_funding` returns the bundled layout.

    For ``load_funding`` to accept both layouts: when the header has ``Funding Time (UTC)``,
    return this. A Series of rates per settlement, tz-aware UTC index named ``"Date"``, named after
    the contract (``"binance:ETHUSD_PERP"``); the interval column is in :func:`read_funding_history`.
    """
    frame = read_funding_history(path)
    rates = frame["funding_rate"].rename(frame.attrs["symbol"] or "funding_rate")
    rates.index = rates.index.rename("Date")
    return rates
