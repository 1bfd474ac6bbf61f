"""Contract specs and tier tables from the exchanges, written as a user catalog folder; catalog diffs.

A catalog folder holds ``contracts.csv`` and ``tiers.csv`` in the shared schema of
:mod:`hedgecore.contracts` (:data:`~hedgecore.contracts.CONTRACT_COLUMNS`,
:data:`~hedgecore.contracts.TIER_COLUMNS`), which :func:`hedgecore.contracts.load_catalog` and
``$HEDGECORE_CATALOG`` read: ``tick_size`` in USD (the quote), ``qty_step`` and ``min_qty`` in
contracts; tier ``floor``/``cap`` in base coin (inverse) or quote (linear), a blank ``cap`` = none.

Fetching merges into an existing folder: rows of the contracts fetched now replace their old rows
(all tiers of such a contract are replaced together), other rows stay. Both files are written
atomically. A contract whose exchange publishes no tier table without an API key (Binance) keeps
the built-in catalog's tier rows, with their source, so that laying the folder over the built-in
catalog does not drop them.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from ..contracts import CONTRACT_COLUMNS, TIER_COLUMNS
from ..errors import DataError, FetchError
from .exchange import ContractVenues, FetchSettings
from .fetch import write_atomically

__all__ = ["CatalogDiff", "ContractFetch", "builtin_rows", "diff_catalogs", "fetch_contracts", "read_catalog_csv"]

#: Contract fields compared by :func:`diff_catalogs`, and the tier fields compared tier by tier.
COMPARED = ("contract_type", "contract_size", "base_asset", "margin_asset", "funding_interval_hours", "tick_size",
            "qty_step", "min_qty")
TIER_COMPARED = ("floor", "cap", "maintenance_rate", "maintenance_amount", "max_leverage")
_TEXT = {"exchange", "symbol", "contract_type", "base_asset", "margin_asset", "source"}


@dataclass(frozen=True)
class ContractFetch:
    """One contract's fetch: its ``contracts.csv`` row and ``tiers.csv`` rows (None: none published
    without an API key and none built in), a note for the user, or the one-line error."""

    name: str
    row: dict | None = None
    tiers: list[dict] | None = None
    note: str | None = None
    error: str | None = None


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def read_catalog_csv(path: Path | str, columns: Sequence[str] = CONTRACT_COLUMNS) -> list[dict]:
    """Rows of a catalog CSV as dicts of text; the ``columns`` must be present."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"catalog file not found: {path}")
    return _csv_rows(path.read_text(encoding="utf-8-sig"), str(path), columns)


def _csv_rows(text: str, label: str, columns: Sequence[str]) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise DataError(f"{label}: missing columns {', '.join(missing)}")
    return [{k: (v or "").strip() for k, v in r.items() if k} for r in reader if any((v or "").strip()
                                                                                      for v in r.values())]


def builtin_rows(name: str = "contracts.csv") -> list[dict]:
    """The built-in ``contracts.csv`` (or ``tiers.csv``) rows as text."""
    text = resources.files("hedgecore").joinpath(name).read_text(encoding="utf-8")
    return _csv_rows(text, f"hedgecore/{name}", CONTRACT_COLUMNS if name == "contracts.csv" else TIER_COLUMNS)


def _key(row: dict) -> tuple[str, str]:
    return row["exchange"].strip().lower(), row["symbol"].strip().upper()


def _write_csv(path: Path, columns: Sequence[str], rows: list[dict]) -> None:
    def dump(tmp: Path) -> None:
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
            writer.writeheader()
            writer.writerows({c: _cell(r.get(c)) for c in columns} for r in rows)

    write_atomically(path, dump)


def _merge(old: list[dict], new: list[dict], replaced: set[tuple[str, str]]) -> list[dict]:
    """Old rows of contracts not in ``replaced`` (in their order), then the new rows."""
    return [r for r in old if _key(r) not in replaced] + new


def fetch_contracts(
    names: Sequence[str],
    folder: str | Path,
    *,
    settings: FetchSettings | None = None,
    fetched: str | None = None,
) -> list[ContractFetch]:
    """Fetch specs (and public tier tables) of ``exchange:SYMBOL`` contracts into a catalog folder.

    Parameters
    ----------
    names : list of str
        E.g. ``["binance:ETHUSD_PERP", "bybit:BTCUSD"]``.
    folder : path
        Catalog folder; ``contracts.csv`` and ``tiers.csv`` there are created or merged into.
    settings : FetchSettings, optional
        API URL, timeout, retries and back-off.
    fetched : str, optional
        Date recorded in the ``source`` column (default: today, UTC).

    Returns
    -------
    list of ContractFetch
        One per name; failures carry a one-line ``error`` and leave that contract's rows alone.

    Raises
    ------
    DataError
        An existing ``contracts.csv`` or ``tiers.csv`` in ``folder`` cannot be read, or the folder
        cannot be written.
    """
    fetched = fetched or datetime.now(timezone.utc).strftime("%Y-%m-%d")
    venues = ContractVenues(settings)
    builtin_tiers = builtin_rows("tiers.csv")
    results = []
    for name in names:
        label = str(name).strip()
        try:
            venue, symbol = venues.get(name)
            label = f"{venue.id}:{symbol}"
            market = venue.contract_market(symbol)
            row = venue.contract_row(label, market, fetched)
            tiers = venue.tier_rows(label, market, fetched)
        except FetchError as exc:
            results.append(ContractFetch(label, error=str(exc)))
            continue
        note = None
        if tiers is None:
            endpoint = "/dapi/v2/leverageBracket" if row["contract_type"] == "inverse" else "/fapi/v1/leverageBracket"
            kept = [t for t in builtin_tiers if _key(t) == _key(row)]
            tiers = kept or None
            note = (f"{label}: no tier table ({venue.id} serves its brackets only with an API key, {endpoint}); "
                    + (f"kept the built-in table ({len(kept)} tiers)" if kept else "tiers.csv has none for it"))
        results.append(ContractFetch(label, row, tiers, note))
    _write_folder(Path(folder), [r for r in results if r.row is not None])
    return results


def _write_folder(folder: Path, done: list[ContractFetch]) -> None:
    if not done:
        return
    contracts_path, tiers_path = folder / "contracts.csv", folder / "tiers.csv"
    old_contracts = read_catalog_csv(contracts_path) if contracts_path.exists() else []
    old_tiers = read_catalog_csv(tiers_path, TIER_COLUMNS) if tiers_path.exists() else []
    replaced = {_key(r.row) for r in done}
    _write_csv(contracts_path, CONTRACT_COLUMNS, _merge(old_contracts, [r.row for r in done], replaced))
    new_tiers = [t for r in done if r.tiers is not None for t in r.tiers]
    _write_csv(tiers_path, TIER_COLUMNS, _merge(old_tiers, new_tiers, replaced))


# ---- diff --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CatalogDiff:
    """One difference: ``field`` of ``name`` is ``builtin`` in hedgecore and ``fetched`` in the folder.

    ``field`` is ``"(missing)"`` when the contract is not built in, and ``"tier N <column>"`` or
    ``"tiers"`` (their number) for tier tables; a blank value is shown as ``-``.
    """

    name: str
    field: str
    builtin: str
    fetched: str


def _same(field: str, a: str, b: str) -> bool:
    if field in _TEXT or not a or not b:
        return a.strip().lower() == b.strip().lower()
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-12)
    except ValueError:
        return a.strip() == b.strip()


def _tier_diffs(name: str, builtin: list[dict], fetched: list[dict]) -> list[CatalogDiff]:
    if len(builtin) != len(fetched):
        return [CatalogDiff(name, "tiers", str(len(builtin)), str(len(fetched)))]
    return [CatalogDiff(name, f"tier {k} {f}", b[f] or "-", t[f] or "-")
            for k, (b, t) in enumerate(zip(builtin, fetched), start=1) for f in TIER_COMPARED if not _same(f, b[f], t[f])]


def diff_catalogs(builtin: list[dict], fetched: list[dict], builtin_tiers: list[dict] = (),
                  fetched_tiers: list[dict] = ()) -> tuple[list[CatalogDiff], list[str]]:
    """Differences between built-in and fetched rows, and the built-in names the folder lacks.

    Compares :data:`COMPARED` for every contract of the fetched catalog (numbers by value), and,
    where both sides have a tier table for it, :data:`TIER_COMPARED` tier by tier.

    Examples
    --------
    >>> b = [{"exchange": "binance", "symbol": "ETHUSD_PERP", "contract_type": "inverse", "contract_size": "10",
    ...       "base_asset": "ETH", "margin_asset": "ETH", "funding_interval_hours": "8", "tick_size": "",
    ...       "qty_step": "1", "min_qty": "1"}]
    >>> f = [dict(b[0], funding_interval_hours="8.0", tick_size="0.01")]
    >>> diff_catalogs(b, f)
    ([CatalogDiff(name='binance:ETHUSD_PERP', field='tick_size', builtin='-', fetched='0.01')], [])
    """
    known = {_key(r): r for r in builtin}
    diffs = []
    for row in fetched:
        key = _key(row)
        name = f"{key[0]}:{key[1]}"
        base = known.get(key)
        if base is None:
            diffs.append(CatalogDiff(name, "(missing)", "", "not in the built-in catalog"))
            continue
        diffs.extend(CatalogDiff(name, f, base[f] or "-", row[f] or "-")
                     for f in COMPARED if not _same(f, base[f], row[f]))
        ours = [t for t in builtin_tiers if _key(t) == key]
        theirs = [t for t in fetched_tiers if _key(t) == key]
        if ours and theirs:
            diffs.extend(_tier_diffs(name, ours, theirs))
    seen = {_key(r) for r in fetched}
    absent = [f"{k[0]}:{k[1]}" for k in known if k not in seen]
    return diffs, absent
