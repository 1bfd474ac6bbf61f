"""Contract specs and tier tables from the exchanges, written as a user catalog folder; catalog diffs.

A catalog folder holds two CSV files in the shared schema (docs/market-data.md):

``contracts.csv``: :data:`CONTRACT_FIELDS` — ``tick_size`` in USD (the quote), ``qty_step`` and
``min_qty`` in contracts (units of ``contract_size``); Binance USDⓈ-M contracts are 1 coin with
step 0.001, inverse contracts step 1.

``tiers.csv``: :data:`TIER_FIELDS` — ``floor``/``cap`` are position notional in the base coin for
inverse contracts and in the quote for linear ones; a blank ``cap`` means no cap.

Fetching merges into an existing folder: rows of the contracts fetched now replace their old rows
(all tiers of such a contract are replaced together), other rows stay. Both files are written
atomically.
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

from ..errors import DataError, FetchError
from .exchange import ContractVenues, FetchSettings
from .fetch import write_atomically

__all__ = ["CONTRACT_FIELDS", "TIER_FIELDS", "CatalogDiff", "diff_catalogs", "fetch_contracts",
           "read_catalog_csv"]

CONTRACT_FIELDS = ("exchange", "symbol", "contract_type", "contract_size", "base_asset", "margin_asset",
                   "funding_interval_hours", "tick_size", "qty_step", "min_qty", "source")
TIER_FIELDS = ("exchange", "symbol", "tier", "floor", "cap", "maintenance_rate", "maintenance_amount",
               "max_leverage", "source")
#: Fields compared by :func:`diff_catalogs` (the built-in catalog has no tick, step or minimum).
COMPARED = ("contract_type", "contract_size", "base_asset", "margin_asset", "funding_interval_hours")
_NUMERIC = {"contract_size", "funding_interval_hours", "tick_size", "qty_step", "min_qty", "tier", "floor", "cap",
            "maintenance_rate", "maintenance_amount", "max_leverage"}


@dataclass(frozen=True)
class ContractFetch:
    """One contract's fetch: its catalog row, its tier rows (None = not published without a key)."""

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


def read_catalog_csv(path: Path | str, fields: Sequence[str] = CONTRACT_FIELDS) -> list[dict]:
    """Rows of a catalog CSV as dicts of text; the columns in ``fields`` must be present."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"catalog file not found: {path}")
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in fields if f not in (reader.fieldnames or [])]
    if missing:
        raise DataError(f"{path}: missing columns {', '.join(missing)}")
    return [dict(r) for r in reader if any((v or "").strip() for v in r.values())]


def _key(row: dict) -> tuple[str, str]:
    return row["exchange"].strip().lower(), row["symbol"].strip().upper()


def _write_csv(path: Path, fields: Sequence[str], rows: list[dict]) -> None:
    def dump(tmp: Path) -> None:
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(fields), lineterminator="\n", extrasaction="ignore")
            writer.writeheader()
            writer.writerows({f: _cell(r.get(f)) for f in fields} for r in rows)

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
    """
    fetched = fetched or datetime.now(timezone.utc).strftime("%Y-%m-%d")
    venues = ContractVenues(settings)
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
        endpoint = "/dapi/v2/leverageBracket" if row["contract_type"] == "inverse" else "/fapi/v1/leverageBracket"
        note = None if tiers is not None else (
            f"{label}: no tier table ({venue.id} serves its brackets only with an API key, {endpoint}); "
            "tiers.csv unchanged for it")
        results.append(ContractFetch(label, row, tiers, note))
    _write_folder(Path(folder), [r for r in results if r.row is not None])
    return results


def _write_folder(folder: Path, done: list[ContractFetch]) -> None:
    if not done:
        return
    contracts_path, tiers_path = folder / "contracts.csv", folder / "tiers.csv"
    old_contracts = read_catalog_csv(contracts_path) if contracts_path.exists() else []
    old_tiers = read_catalog_csv(tiers_path, TIER_FIELDS) if tiers_path.exists() else []
    replaced = {_key(r.row) for r in done}
    with_tiers = {_key(r.row) for r in done if r.tiers is not None}
    _write_csv(contracts_path, CONTRACT_FIELDS, _merge(old_contracts, [r.row for r in done], replaced))
    new_tiers = [t for r in done if r.tiers is not None for t in r.tiers]
    if with_tiers or not tiers_path.exists():
        _write_csv(tiers_path, TIER_FIELDS, _merge(old_tiers, new_tiers, with_tiers))


# ---- diff --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CatalogDiff:
    """One difference: ``field`` of ``name`` is ``builtin`` in hedgecore and ``fetched`` in the folder.

    ``field`` is ``"(missing)"`` when the contract is in the folder but not built in.
    """

    name: str
    field: str
    builtin: str
    fetched: str


def _same(field: str, a: str, b: str) -> bool:
    if field in _NUMERIC:
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-12)
        except ValueError:
            return a.strip() == b.strip()
    return a.strip().lower() == b.strip().lower()


def builtin_rows() -> list[dict]:
    """The built-in ``contracts.csv`` rows as text."""
    text = resources.files("hedgecore").joinpath("contracts.csv").read_text(encoding="utf-8")
    return [dict(r) for r in csv.DictReader(io.StringIO(text))]


def diff_catalogs(builtin: list[dict], fetched: list[dict]) -> tuple[list[CatalogDiff], list[str]]:
    """Differences between built-in and fetched rows, and the built-in names the folder lacks.

    Compares :data:`COMPARED` for every contract of the fetched catalog (numbers numerically).

    Examples
    --------
    >>> b = [{"exchange": "binance", "symbol": "BTCUSDT", "contract_type": "linear", "contract_size": "0.001",
    ...       "base_asset": "BTC", "margin_asset": "USDT", "funding_interval_hours": "8"}]
    >>> f = [dict(b[0], contract_size="1", funding_interval_hours="8.0")]
    >>> diff_catalogs(b, f)
    ([CatalogDiff(name='binance:BTCUSDT', field='contract_size', builtin='0.001', fetched='1')], [])
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
        diffs.extend(CatalogDiff(name, f, base[f].strip(), row[f].strip())
                     for f in COMPARED if not _same(f, base[f], row[f]))
    seen = {_key(r) for r in fetched}
    absent = [f"{k[0]}:{k[1]}" for k in known if k not in seen]
    return diffs, absent
