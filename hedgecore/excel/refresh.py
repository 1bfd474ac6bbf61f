"""Workbooks from exchange data: ``hedgecore template --fetch`` and ``hedgecore refresh`` (issue 13).

Both fetch with :mod:`hedgecore.data.fetch` into a temporary folder — per-coin price files and the
hedge contract's funding file, exactly as ``hedgecore fetch`` writes them — and hand those files to
:func:`hedgecore.excel.writer.write_template`, so a workbook built here equals one built from the
same data as CSV files.

* :func:`fetch_template` writes a new filled template from fresh daily closes and the funding
  history of its ``Contract``.
* :func:`refresh_workbook` reads a workbook, writes its Prices table and Funding table to those
  files, extends them (only the missing days and settlements are asked for, after checking that the
  exchange still reports the last stored value) and writes a **new** workbook beside the input,
  which is only read. A workbook whose Prices come from another source (for example the bundled
  Yahoo Finance sample) gets one line saying so; ``replace_history=True`` starts the history again
  from the exchange at the workbook's first date.

Nothing is written when any coin or contract fails: each failure is one line in
:attr:`FetchOutcome.errors`. Only these two functions (and ``hedgecore fetch``) go to the network;
reading a workbook, the report and the Excel functions never do.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from .._text import short_name
from ..errors import HedgecoreError, WorkbookError
from .inputs import fill_from_contract, parse_setting
from .layout import DEFAULT_SETTINGS, SHEETS

__all__ = ["FetchOutcome", "fetch_template", "refresh_workbook", "refreshed_name"]

_DATED_STEM = re.compile(r"-\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FetchOutcome:
    """What a fetch-and-write did.

    ``path`` is the workbook written (None when nothing was: a failure, or nothing new); ``lines``
    say what was fetched (one per coin or contract), ``notes`` what the user should know, and
    ``errors`` are the one-line failures (then nothing was written).
    """

    path: Path | None
    lines: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def _today(now_ms: int | None) -> str:
    now = datetime.now(timezone.utc) if now_ms is None else datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc)
    return now.strftime("%Y-%m-%d")


def _ccxt_version() -> str:
    try:
        from importlib.metadata import version

        return version("ccxt")
    except Exception:  # noqa: BLE001 - only for the Guide's wording
        return "?"


def _sources(exchange: str, price_results: Sequence[Any], contract: str, funding: pd.DataFrame | None,
             now_ms: int | None, *, extended_from: str = "") -> dict[str, str]:
    """The Guide's Data sources rows for data fetched now (terms: docs/market-data.md)."""
    pairs = ", ".join(r.source.split(" ", 1)[-1] for r in price_results if r.source)
    when = f"fetched {_today(now_ms)} through ccxt {_ccxt_version()}"
    kept = f"; the rows up to {extended_from} are those of the workbook refreshed" if extended_from else ""
    prices = (f"{exchange} spot daily closes (UTC days) of {pairs or 'the Prices columns'}, {when}{kept}. "
              "The exchange's terms govern the data (docs/market-data.md).")
    out = {"Daily prices": prices}
    if funding is not None:
        out["Funding rates"] = (f"{contract} funding-rate history from {contract.split(':')[0]}'s public API, {when}. "
                                "The exchange's terms govern the data.")
    return out


def _line(result: Any) -> str:
    """A fetch result's line without the temporary file it went to ("SOL: +40 rows to 2024-04-09 (...)")."""
    text = result.line()
    return text.replace(f" {result.path}:", "", 1).replace(f" {result.path} is", " is", 1) if result.path else text


def _fetch_funding(contract: str, folder: Path, *, since: str | None, fetch_settings, now_ms, progress):
    """The contract's funding history into ``folder``: (frame or None, result or None, note).

    A contract of an exchange hedgecore cannot fetch from is a note, not a failure: the workbook
    then has no funding history (``FundingSource`` constant)."""
    from ..data.exchange import parse_contract_name, unsupported
    from ..data.fetch import fetch_funding, read_funding_history

    exchange, _ = parse_contract_name(contract)
    why = unsupported(exchange, "contract")
    if why:
        return None, None, f"{contract}: no funding history ({why})"
    [result] = fetch_funding([contract], folder, since=since, settings=fetch_settings, now_ms=now_ms,
                             progress=progress)
    if not result.ok:
        return None, result, ""
    return read_funding_history(result.path), result, ""


def _hedge_settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """The template defaults with ``settings`` on top; a catalog Contract sets the hedge coin."""
    given = {name: parse_setting(name, value) for name, value in (settings or {}).items()}
    merged = {**DEFAULT_SETTINGS, **given}
    fill_from_contract(merged, given)
    return merged


def fetch_template(
    path: str | Path,
    coins: Sequence[str],
    *,
    holdings: Any = None,
    settings: Mapping[str, Any] | None = None,
    exchange: str = "binance",
    since: str | None = None,
    fetch_settings: Any = None,
    now_ms: int | None = None,
    progress: Any = None,
    overwrite: bool = True,
) -> FetchOutcome:
    """A filled template from fresh exchange data: daily closes and the Contract's funding history.

    Parameters
    ----------
    path : path
        The .xlsx to write.
    coins : sequence of str
        Coins to fetch (``["SOL", "AVAX", "DOT"]``); the holdings' assets, the hedge coin and the
        second coin are fetched too.
    holdings : DataFrame or CSV path, optional
        ``Asset, Quantity[, Price]`` (a missing price is the last close). Without holdings, the
        Portfolio lists ``coins`` (less the hedge coins) with quantity 0, to be typed in.
    settings : mapping, optional
        Hedge inputs (as ``write_template``). The funding history fetched is that of ``Contract``
        (the template's default contract when not given); ``FundingSource`` defaults to
        ``history`` when one was fetched.
    exchange, since, fetch_settings, now_ms, progress
        As :func:`hedgecore.data.fetch.fetch_prices` (``since`` also starts the funding history).

    Returns
    -------
    FetchOutcome
        The workbook written, or the one-line errors (nothing written).
    """
    from ..data.fetch import fetch_prices
    from ..data.files import load_prices
    from .writer import _read_holdings, write_template

    merged = _hedge_settings(settings)
    hedge = str(merged.get("HedgeAsset") or "").strip().upper()
    second = str(merged.get("SecondAsset") or "").strip().upper()
    held = [] if holdings is None else [a.upper() for a in _read_holdings(holdings)[0]["Asset"]]
    wanted = [c.strip().upper() for c in coins if c.strip()]
    all_coins = list(dict.fromkeys([*wanted, *held, hedge, *([second] if second else [])]))
    contract = str(merged.get("Contract") or "").strip()
    with tempfile.TemporaryDirectory(prefix="hedgecore-fetch-") as tmp:
        results = fetch_prices(all_coins, Path(tmp) / "prices", exchange=exchange, since=since,
                               settings=fetch_settings, now_ms=now_ms, progress=progress)
        funding, f_result, note = (None, None, "")
        if contract:
            funding, f_result, note = _fetch_funding(contract, Path(tmp) / "funding", since=since,
                                                     fetch_settings=fetch_settings, now_ms=now_ms, progress=progress)
        every = [*results, *([f_result] if f_result else [])]
        lines = tuple(_line(r) for r in every if r.line())
        errors = tuple(r.error for r in every if r.error)
        notes = (note,) if note else ()
        if errors:
            return FetchOutcome(None, lines, notes, errors)
        prices = load_prices(Path(tmp) / "prices", assets=all_coins)
    given = dict(settings or {})
    if funding is not None and "FundingSource" not in given:
        given["FundingSource"] = "history"
    if holdings is None:
        listed = [c for c in all_coins if c not in (hedge, second)]
        holdings = pd.DataFrame({"Asset": listed, "Quantity": 0.0}) if listed else None
        if listed:
            notes += (f"no --holdings: Portfolio lists {', '.join(listed)} with quantity 0; type your quantities",)
    written = write_template(path, holdings=holdings, prices=prices, settings=given, funding=funding,
                             sources=_sources(exchange, results, contract, funding, now_ms), overwrite=overwrite)
    return FetchOutcome(written, lines, notes)


# ---------------------------------------------------------------------------------------------
# refresh
# ---------------------------------------------------------------------------------------------


def refreshed_name(source: str | Path, last_day: str) -> Path:
    """``mine.xlsx`` (or ``mine-2024-04-09.xlsx``) refreshed to ``last_day`` -> ``mine-<last_day>.xlsx`` beside it.

    >>> refreshed_name("books/mine-2024-04-09.xlsx", "2024-04-12").as_posix()
    'books/mine-2024-04-12.xlsx'
    """
    source = Path(source)
    return source.with_name(f"{_DATED_STEM.sub('', source.stem)}-{last_day}.xlsx")


def _write_wide(prices: pd.DataFrame, path: Path) -> None:
    """The workbook's Prices as the wide CSV ``fetch_prices(wide=True)`` extends (shortest round-trip floats)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Date", *prices.columns])
        for day, row in zip(prices.index, prices.to_numpy(dtype=float)):
            w.writerow([f"{pd.Timestamp(day):%Y-%m-%d}", *("" if x != x else repr(float(x)) for x in row)])


def _write_funding_file(history: pd.DataFrame, contract: str, folder: Path) -> None:
    """The workbook's Funding table as the file ``fetch_funding`` extends (its name and columns)."""
    from ..data.exchange import parse_contract_name
    from ..data.fetch import FUNDING_COLUMNS

    exchange, symbol = parse_contract_name(contract)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{exchange}_{symbol}_funding.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(FUNDING_COLUMNS)
        for t, rate, hours in zip(history.index, history["funding_rate"], history["interval_hours"]):
            w.writerow([f"{exchange}:{symbol}", f"{t:%Y-%m-%d %H:%M:%S}", repr(float(rate)), repr(float(hours))])


def _other_source_line(name: str, exchange: str, results: Sequence[Any], what: str) -> str:
    """One line for a workbook whose data the exchange does not report: which, and the way out."""
    bad = [r for r in results if r.other_source]
    more = f"; also {', '.join(r.label for r in bad[1:4])}{', ...' if len(bad) > 4 else ''}" if len(bad) > 1 else ""
    return (f"{name}: its {what} come from another source than {exchange} ({bad[0].label} {bad[0].other_source}"
            f"{more}); hedgecore refresh --replace-history starts them again from {exchange}")


def _refresh_prices(w: Any, tmp: Path, *, exchange: str, replace: bool, fetch_settings, now_ms, progress):
    """(new prices or None, price results, errors) for the workbook's Prices columns."""
    from ..data.fetch import fetch_prices
    from ..data.files import load_prices

    wide = tmp / "prices.csv"
    since = None
    if replace:
        since = f"{w.prices.index[0]:%Y-%m-%d}"
    else:
        _write_wide(w.prices, wide)
    columns = [str(c) for c in w.prices.columns]
    results = fetch_prices(columns, wide, exchange=exchange, since=since, wide=True, settings=fetch_settings,
                           now_ms=now_ms, progress=progress)
    name = short_name(Path(w.path).name)
    errors = [r.error for r in results if r.error and not r.other_source]
    if any(r.other_source for r in results):
        errors.insert(0, _other_source_line(name, exchange, results, "Prices"))
    if errors:
        return None, results, errors
    prices = load_prices(wide)
    missing = [c for c in columns if c.upper() not in {str(x).upper() for x in prices.columns}]
    if missing:  # pragma: no cover - fetch_prices reports a coin it could not fetch as an error
        return None, results, [f"{name}: no closes fetched for {', '.join(missing)}"]
    prices = prices[[next(x for x in prices.columns if str(x).upper() == c.upper()) for c in columns]]
    prices.columns = columns
    return prices, results, []


def _refresh_funding(w: Any, tmp: Path, *, replace: bool, fetch_settings, now_ms, progress):
    """(funding history, result or None, notes, errors): the Contract's history, extended or fetched anew."""
    contract = str(w.settings.get("Contract") or "").strip()
    stored = w.funding
    if not contract:
        return stored, None, [], []
    notes = []
    held = "" if stored is None else str(stored.attrs.get("symbol") or "")
    if stored is not None and held.lower() != contract.lower():
        notes.append(f"sheet Funding held the history of {held or 'an unnamed contract'}; it is replaced by "
                     f"that of {contract}")
        stored = None
    folder = tmp / "funding"
    if stored is not None and not replace:
        _write_funding_file(stored, contract, folder)
    since = f"{w.prices.index[0]:%Y-%m-%d}"
    history, result, note = _fetch_funding(contract, folder, since=since, fetch_settings=fetch_settings,
                                           now_ms=now_ms, progress=progress)
    if note:
        return w.funding, None, [*notes, note], []
    if not result.ok:
        if result.other_source:
            return None, result, notes, [_other_source_line(short_name(Path(w.path).name), contract.split(":")[0],
                                                            [result], "Funding settlements")]
        return None, result, notes, [result.error]
    return history, result, notes, []


def _refreshed_settings(w: Any, prices: pd.DataFrame) -> tuple[dict[str, Any], list[str]]:
    """The workbook's Hedge inputs; default formulas kept; a typed hedge price set to the latest close."""
    settings: dict[str, Any] = {**w.settings, **(w.backtest or {})}  # the Backtest sheet's inputs too
    for name in w.default_formulas:
        settings[name] = None  # the template's default formula (HedgePrice = last close, HedgeRatio = beta)
    notes = []
    if "HedgePrice" not in w.default_formulas:
        coin = str(settings["HedgeAsset"])
        closes = prices[coin].dropna()
        notes.append(f"HedgePrice was typed ({float(settings['HedgePrice']):,.6g}); set to the {coin} close of "
                     f"{closes.index[-1]:%Y-%m-%d}, {float(closes.iloc[-1]):,.6g}")
        settings["HedgePrice"] = float(closes.iloc[-1])
    return settings, notes


def refresh_workbook(
    source: str | Path,
    *,
    out: str | Path | None = None,
    exchange: str = "binance",
    replace_history: bool = False,
    overwrite: bool = False,
    fetch_settings: Any = None,
    now_ms: int | None = None,
    progress: Any = None,
) -> FetchOutcome:
    """A new workbook beside ``source`` with its data brought up to date; ``source`` is only read.

    Prices are extended to the last complete UTC day (every column of table Prices, from
    ``exchange``), the Portfolio prices set to the latest closes, a typed hedge price to the hedge
    coin's latest close (the default formula is kept), and table Funding extended with the
    settlements of the Hedge ``Contract`` since its last one (or fetched from the first price date).
    The workbook is rebuilt from its tables and inputs with :func:`write_template`: its figures are
    recomputed and cached; sheets of the user's own are not carried over (a note says so).

    Parameters
    ----------
    source : path
        A filled template.
    out : path, optional
        Where to write; default :func:`refreshed_name` of ``source`` and the new last day.
    exchange : str
        Exchange of the daily closes.
    replace_history : bool
        Replace Prices (and Funding) by the exchange's history from the workbook's first date, for a
        workbook whose data comes from another source (which is otherwise refused in one line).
    overwrite : bool
        Replace an existing output file (never ``source`` itself).
    fetch_settings, now_ms, progress
        As :func:`hedgecore.data.fetch.fetch_prices`.

    Returns
    -------
    FetchOutcome
        ``path`` None and a note when nothing is newer; the one-line errors when a fetch failed or
        the output exists (nothing written).

    Raises
    ------
    WorkbookError
        ``source`` is not a readable filled template (one line naming file, sheet and cell).
    """
    from .reader import read_workbook_and_book
    from .writer import write_template

    w, book = read_workbook_and_book(source)
    name = short_name(Path(source).name)
    with tempfile.TemporaryDirectory(prefix="hedgecore-refresh-") as tmp_name:
        tmp = Path(tmp_name)
        prices, results, errors = _refresh_prices(w, tmp, exchange=exchange, replace=replace_history,
                                                  fetch_settings=fetch_settings, now_ms=now_ms, progress=progress)
        funding, f_result, notes, f_errors = _refresh_funding(w, tmp, replace=replace_history,
                                                              fetch_settings=fetch_settings, now_ms=now_ms,
                                                              progress=progress)
    every = [*results, *([f_result] if f_result else [])]
    lines = tuple(_line(r) for r in every if r.line())
    if errors or f_errors:
        return FetchOutcome(None, lines, tuple(notes), (*errors, *f_errors))
    changed = replace_history or any(r.added for r in every) or (funding is not None and w.funding is None)
    last_day = f"{prices.index[-1]:%Y-%m-%d}"
    if not changed:
        return FetchOutcome(None, lines, (*notes, f"{name} is up to date (last close {last_day}); nothing written"))
    target = Path(out) if out is not None else refreshed_name(source, last_day)
    if target.resolve() == Path(source).resolve():
        return FetchOutcome(None, lines, tuple(notes), (f"{target}: refresh never replaces its input; name another -o",))
    if target.exists() and not overwrite:
        return FetchOutcome(None, lines, tuple(notes), (f"{target} already exists; use --overwrite or -o",))
    settings, more = _refreshed_settings(w, prices)
    contract = str(w.settings.get("Contract") or "")
    holdings = w.holdings.assign(Price=[float(prices[a].dropna().iloc[-1]) for a in w.holdings["Asset"]])
    own = [s for s in book.sheetnames if s not in SHEETS]
    if funding is not None and w.funding is None and str(settings.get("FundingSource")) == "constant":
        more.append(f"sheet Funding now holds the history of {contract}; set Hedge input FundingSource to history "
                    "to take the funding rate from it")
    if own:
        more.append(f"sheet{'s' * (len(own) > 1)} {', '.join(own[:5])} of {name} not carried over (refresh "
                    "rebuilds the workbook from its tables and Hedge inputs)")
    extended = "" if replace_history else f"{w.prices.index[-1]:%Y-%m-%d}"
    try:
        written = write_template(target, holdings=holdings, prices=prices, settings=settings, shocks=w.shocks,
                                 funding=funding, overwrite=overwrite,
                                 sources=_sources(exchange, results, contract, funding if f_result else None, now_ms,
                                                  extended_from=extended))
    except FileExistsError:
        return FetchOutcome(None, lines, tuple(notes), (f"{target} already exists; use --overwrite or -o",))
    except HedgecoreError as exc:
        raise WorkbookError(f"{name}: cannot write the refreshed workbook: {exc}") from None
    return FetchOutcome(written, lines, (*notes, *more))
