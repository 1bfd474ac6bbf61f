"""Read price histories and funding rates from CSV files (the data edge).

Two price layouts are understood (see data/market/SOURCES.md for the bundled sample):

* one file per asset with ``Date`` and a price column (``Close`` by default), as in
  ``data/market/prices_daily/BTC-USD.csv``; the ticker is the file name up to its first
  ``-`` or ``.`` (``BTC-USD.csv`` -> ``BTC``);
* one wide file with ``Date`` and one column per asset.

Errors are :class:`~hedgecore.errors.DataError` naming the file, the 1-based line number in the
file and the column.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = ["load_funding", "load_prices"]

PathLike = str | os.PathLike[str]

_MISSING = {"", "null", "nan", "na", "n/a", "#n/a", "none"}
_FUNDING_UTC_OFFSET = pd.Timedelta(hours=3)  # Binance funding CSV dates are naive UTC+3 (SOURCES.md §2)
_FETCHED_TIME = "Funding Time (UTC)"  # the time column of the fetched layout (hedgecore.data.fetch)


def _ticker(path: Path) -> str:
    ticker = re.split(r"[-.]", path.name, maxsplit=1)[0]
    if not ticker:
        raise DataError(f"{path}: cannot take a ticker from the file name")
    return ticker


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and ``(line_number, cells)`` of each non-blank data row."""
    if not path.is_file():
        raise DataError(f"price file not found: {path}")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise DataError(f"{path}: file is empty")
        header = [h.strip() for h in header]
        rows: list[tuple[int, list[str]]] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise DataError(f"{path} line {reader.line_num}: {len(cells)} fields, expected {len(header)}")
            rows.append((reader.line_num, cells))
    return header, rows


def _column(path: Path, header: list[str], name: str) -> int:
    lower = [h.lower() for h in header]
    if name.lower() not in lower:
        raise DataError(f"{path}: no column {name!r} (columns: {', '.join(header)})")
    return lower.index(name.lower())


def _dates(path: Path, rows: list[tuple[int, list[str]]], col: int, col_name: str) -> pd.DatetimeIndex:
    """Parse, check increasing and unique; returns naive timestamps."""
    texts = [cells[col].strip() for _, cells in rows]
    parsed = pd.to_datetime(pd.Series(texts, dtype=object), errors="coerce", format="ISO8601")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        line = rows[bad[0]][0]
        raise DataError(f"{path} line {line} column {col_name}: cannot read date {texts[bad[0]]!r}")
    index = pd.DatetimeIndex(parsed)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    step = np.diff(index.asi8)
    wrong = np.flatnonzero(step <= 0)
    if wrong.size:
        k = int(wrong[0]) + 1
        line, prev_line = rows[k][0], rows[k - 1][0]
        if step[k - 1] == 0:
            raise DataError(f"{path} line {line} column {col_name}: duplicated date {texts[k]} (also on line {prev_line})")
        raise DataError(
            f"{path} line {line} column {col_name}: dates must be increasing, {texts[k]} comes after {texts[k - 1]}"
        )
    return index


def _values(path: Path, rows: list[tuple[int, list[str]]], col: int, col_name: str) -> np.ndarray:
    out = np.empty(len(rows))
    for k, (line, cells) in enumerate(rows):
        text = cells[col].strip()
        if text.lower() in _MISSING:
            out[k] = np.nan
            continue
        try:
            out[k] = float(text)
        except ValueError:
            raise DataError(f"{path} line {line} column {col_name}: cannot read number {text!r}") from None
    return out


def _read_file(path: Path, column: str) -> dict[str, pd.Series]:
    """One file: a per-asset file if it has ``column``, else a wide file."""
    header, rows = _read_rows(path)
    date_col = _column(path, header, "Date")
    index = _dates(path, rows, date_col, header[date_col])
    if column.lower() in (h.lower() for h in header):
        col = _column(path, header, column)
        return {_ticker(path): pd.Series(_values(path, rows, col, header[col]), index=index)}
    return {
        header[col]: pd.Series(_values(path, rows, col, header[col]), index=index)
        for col in range(len(header))
        if col != date_col
    }


def _files(source: PathLike | Sequence[PathLike]) -> list[Path]:
    sources: Iterable[PathLike] = [source] if isinstance(source, (str, os.PathLike)) else source
    files: list[Path] = []
    for item in sources:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
            if not found:
                raise DataError(f"no CSV files in folder {path}")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise DataError(f"price file not found: {path}")
    return files


def load_prices(
    source: PathLike | Sequence[PathLike],
    *,
    column: str = "Close",
    assets: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Load price histories from CSV into one date-aligned table.

    Parameters
    ----------
    source : path or list of paths
        A folder of per-asset CSV files, a single CSV file, or a list of either. A file that
        has a ``column`` column is a per-asset file (ticker from the file name, ``BTC-USD.csv``
        -> ``BTC``); otherwise it is a wide file whose non-``Date`` columns are assets.
    column : str
        Price column of per-asset files (case-insensitive), default ``"Close"``.
    assets : list of str, optional
        Keep only these tickers (case-insensitive), in this order.

    Returns
    -------
    pandas DataFrame
        Prices as in the files (USD for the bundled data), one float column per asset, indexed
        by a sorted DatetimeIndex named ``"Date"``; dates are the union over files (outer
        join), NaN where a file has no row. Cells that are empty, ``null``, ``NaN`` or ``N/A``
        are NaN. Time-zone-aware dates are converted to naive UTC.

    Raises
    ------
    DataError
        A file is missing or has no ``Date`` column; a row has the wrong number of fields; a
        date cannot be parsed, is duplicated or out of order; a value is not a number; a
        ticker appears twice; a requested asset is absent. Messages name file, line and column.

    Examples
    --------
    >>> from pathlib import Path
    >>> folder = Path(__file__).resolve().parents[2] / "data" / "market" / "prices_daily"
    >>> df = load_prices(folder, assets=["BTC", "ETH"])  # doctest: +SKIP
    >>> round(df.loc["2022-11-09", "BTC"])  # SOURCES.md sanity table: FTX day  # doctest: +SKIP
    15881
    """
    wanted = None if assets is None else [str(a) for a in assets]
    series: dict[str, pd.Series] = {}
    origin: dict[str, Path] = {}
    for path in _files(source):
        for ticker, s in _read_file(path, column).items():
            if ticker in series:
                raise DataError(f"asset {ticker} appears twice: {origin[ticker]} and {path}")
            series[ticker] = s
            origin[ticker] = path
    if wanted is not None:
        by_lower = {t.lower(): t for t in series}
        missing = [a for a in wanted if a.lower() not in by_lower]
        if missing:
            raise DataError(f"assets not found: {', '.join(missing)} (available: {', '.join(series)})")
        series = {by_lower[a.lower()]: series[by_lower[a.lower()]] for a in wanted}
    if not series:
        raise DataError("no price columns found")
    frame = pd.concat(series, axis=1, join="outer").sort_index().astype(float)
    frame.index.name = "Date"
    frame.columns.name = None
    return frame


def load_funding(path: PathLike) -> pd.Series:
    """Load a funding-rate CSV: the bundled Binance layout or one written by ``hedgecore fetch funding``.

    Parameters
    ----------
    path : path
        CSV as in ``data/market/funding/`` (``Symbol, Date, Funding Rate``; ``Date`` is naive local
        time at UTC+3), or a fetched file (``Symbol, Funding Time (UTC), Funding Rate, Interval
        Hours``, docs/market-data.md), told apart by the ``Funding Time (UTC)`` column.

    Returns
    -------
    pandas Series
        Funding rate per settlement as a decimal (0.0001 = 0.01 %), indexed by tz-aware UTC
        timestamps named ``"Date"``, named after the symbol (e.g. ``"BTC-USDT"``, or the catalog
        name ``"binance:ETHUSD_PERP"`` of a fetched file). Bundled files: ``Date`` − 3 h, floored
        to the hour to remove the 1 ms jitter (SOURCES.md §2), every 8 h. Fetched files: the
        times as written (:func:`hedgecore.data.fetch.load_fetched_funding`; their intervals are
        in :func:`hedgecore.data.fetch.read_funding_history`).

    Raises
    ------
    DataError
        Missing file or column, unparseable date or rate, more than one symbol, or settlement
        times that repeat or go backwards after flooring. Messages name file, line and column.

    Examples
    --------
    The bundled Binance BTCUSDT history (stamped 03:00 UTC+3, i.e. the 00:00 UTC settlement):

    >>> rates = load_funding("data/market/funding/BTC-USDT_binance_2020-01-01_2024-01-01_funding_history.csv")
    ... # doctest: +SKIP
    >>> rates.index[0], float(rates.iloc[0])  # doctest: +SKIP
    (Timestamp('2020-01-01 00:00:00+0000', tz='UTC'), -0.00012359)
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"funding file not found: {path}")
    header, rows = _read_rows(path)
    if _FETCHED_TIME.lower() in (h.lower() for h in header):  # written by `hedgecore fetch funding`
        from .fetch import load_fetched_funding

        return load_fetched_funding(path)
    sym_col = _column(path, header, "Symbol")
    date_col = _column(path, header, "Date")
    rate_col = _column(path, header, "Funding Rate")
    symbols = {cells[sym_col].strip() for _, cells in rows}
    if len(symbols) > 1:
        raise DataError(f"{path}: more than one symbol ({', '.join(sorted(symbols))})")
    local = _dates(path, rows, date_col, header[date_col])
    utc = (local - _FUNDING_UTC_OFFSET).floor("h").tz_localize("UTC")
    step = np.diff(utc.asi8)
    wrong = np.flatnonzero(step <= 0)
    if wrong.size:
        line = rows[int(wrong[0]) + 1][0]
        raise DataError(f"{path} line {line} column {header[date_col]}: settlement repeats the previous hour")
    rates = _values(path, rows, rate_col, header[rate_col])
    utc.name = "Date"
    return pd.Series(rates, index=utc, name=symbols.pop() if symbols else "funding_rate")

