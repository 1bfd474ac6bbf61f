"""Contract specifications and the catalog (``contracts.csv`` and ``tiers.csv``).

Inverse (coin-margined) contracts have a USD face value per contract; P&L and
margin are in the base coin. Linear contracts are sized in coins per contract;
P&L and margin are in the quote (USDT). Each catalog row cites its source
(see ``docs/DOMAIN.md`` §2 and §5 of the project notes). Treat the figures as
fixtures: exchanges may change them, so check ``contractSize`` before trading.

A user catalog is a folder with a ``contracts.csv`` and optionally a ``tiers.csv`` in the
same schemas (:data:`CONTRACT_COLUMNS`, :data:`TIER_COLUMNS`). It is laid over the built-in
catalog when the environment variable ``HEDGECORE_CATALOG`` names the folder, or explicitly
with :func:`load_catalog`: a row with the same ``exchange:symbol`` replaces the built-in
contract and its tiers; tier rows for a contract replace that contract's tiers.
"""

from __future__ import annotations

import csv
import difflib
import math
import os
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ._typing import CONTRACT_TYPES
from ._validation import describe_value, require_choice
from .brackets import Bracket
from .errors import DataError, InvalidInputError, UnknownContractError

__all__ = [
    "CONTRACT_TYPES",
    "CONTRACT_COLUMNS",
    "TIER_COLUMNS",
    "CATALOG_ENV",
    "ContractSpec",
    "catalog",
    "get_contract",
    "load_catalog",
    "CONTRACT_SPEC_LABELS",
    "CONTRACT_LOT_LABELS",
]

#: Columns of ``contracts.csv`` (built-in and user catalogs). ``tick_size`` in USD; ``qty_step``
#: and ``min_qty`` in contracts (units of ``contract_size``); ``tick_size`` may be blank (unknown).
CONTRACT_COLUMNS = (
    "exchange", "symbol", "contract_type", "contract_size", "base_asset", "margin_asset",
    "funding_interval_hours", "tick_size", "qty_step", "min_qty", "source",
)
#: Columns of ``tiers.csv``: ``floor``/``cap`` are the position notional in base coin (inverse)
#: or quote (linear), a blank cap is no cap; ``maintenance_amount`` is Binance's cum (blank: derived
#: by the cum rule); ``max_leverage`` blank = unknown.
TIER_COLUMNS = (
    "exchange", "symbol", "tier", "floor", "cap", "maintenance_rate", "maintenance_amount", "max_leverage",
    "source",
)
#: Environment variable naming a user catalog folder.
CATALOG_ENV = "HEDGECORE_CATALOG"


@dataclass(frozen=True)
class ContractSpec:
    """One perpetual contract.

    Attributes
    ----------
    exchange, symbol : str
        E.g. ``"binance"``, ``"ETHUSD_PERP"``.
    contract_type : {"inverse", "linear"}
    contract_size : float
        USD face value per contract (inverse) or coins per contract (linear).
    base_asset : str
        The coin the contract tracks (the hedge coin), e.g. ``"ETH"``.
    margin_asset : str
        Margin and settlement asset: the base coin for inverse, USDT for linear.
    funding_interval_hours : float
        Hours between funding payments.
    source : str
        Where the figures come from.
    tick_size : float or None
        Price step, USD; ``None`` where no source was found.
    qty_step, min_qty : float
        Order quantity step and minimum, in contracts (Binance USDⓈ-M: 0.001 of a 1-coin contract).
    tiers : tuple of Bracket
        Maintenance-margin tiers with their maximum leverage; empty where no real table is known
        (the documented single-tier default applies).
    tiers_source : str
        Where the tier table comes from (empty without tiers).
    """

    exchange: str
    symbol: str
    contract_type: str
    contract_size: float
    base_asset: str
    margin_asset: str
    funding_interval_hours: float
    source: str
    tick_size: float | None = None
    qty_step: float = 1.0
    min_qty: float = 1.0
    tiers: tuple[Bracket, ...] = field(default=(), repr=False)
    tiers_source: str = ""

    @property
    def name(self) -> str:
        """Catalog name, ``"exchange:SYMBOL"``."""
        return f"{self.exchange}:{self.symbol}"

    def as_dict(self) -> dict:
        """The scalar fields (everything but ``tiers``) as a dict."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "tiers"}


#: Labels of a spec's fields shown in label/value tables (Excel ``CONTRACT_SPEC``, CLI).
CONTRACT_SPEC_LABELS = (
    ("exchange", "Exchange"),
    ("symbol", "Symbol"),
    ("contract_type", "Type"),
    ("contract_size", "Contract size"),
    ("base_asset", "Base asset"),
    ("margin_asset", "Margin asset"),
    ("funding_interval_hours", "Funding interval (h)"),
    ("source", "Source"),
)
#: Labels of the lot and tick fields (``tick_size`` is None where not sourced), to be added to the tables.
CONTRACT_LOT_LABELS = (
    ("tick_size", "Tick size (USD)"),
    ("qty_step", "Quantity step (contracts)"),
    ("min_qty", "Minimum quantity (contracts)"),
)


# --------------------------------------------------------------------------- reading catalog files


def _where(label: str) -> str:
    return label if len(label) <= 60 else "..." + label[-57:]


def _rows(text: str, label: str, columns: tuple[str, ...]) -> list[tuple[int, dict]]:
    """``(line number, row)`` pairs of a CSV text; the header must hold ``columns``."""
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in columns if c not in (reader.fieldnames or ())]
    if missing:
        raise DataError(f"{_where(label)}: missing column(s) {', '.join(missing)}")
    return [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]


class _Row:
    """Typed access to one CSV row; errors name the file, the line and the column."""

    def __init__(self, label: str, line: int, row: dict):
        self.where, self.row = f"{_where(label)} line {line}", row

    def fail(self, message: str) -> DataError:
        return DataError(f"{self.where}: {message}")

    def text(self, key: str) -> str:
        value = self.row.get(key, "")
        if not value:
            raise self.fail(f"{key} is empty")
        return value

    def number(self, key: str, *, blank: float | None = None, low: float = 0.0, strict: bool = True):
        value = self.row.get(key, "")
        if not value:
            if blank is None:
                raise self.fail(f"{key} is empty")
            return None if math.isnan(blank) else blank
        try:
            out = float(value)
        except ValueError:
            raise self.fail(f"{key} must be a number, got {describe_value(value)}") from None
        if not math.isfinite(out) or out < low or (strict and out == low):
            bound = f"above {low:g}" if strict else f"{low:g} or more"
            raise self.fail(f"{key} must be a finite number {bound}, got {describe_value(value)}")
        return out


def _spec(r: _Row) -> ContractSpec:
    kind = r.text("contract_type").lower()
    if kind not in CONTRACT_TYPES:
        raise r.fail(f'contract_type must be "inverse" or "linear", got {describe_value(kind)}')
    base, margin = r.text("base_asset").upper(), r.text("margin_asset").upper()
    if kind == "inverse" and margin != base:
        raise r.fail(f"an inverse contract is margined in its base coin: margin_asset {margin} is not {base}")
    step = r.number("qty_step")
    return ContractSpec(
        exchange=r.text("exchange").lower(),
        symbol=r.text("symbol"),
        contract_type=kind,
        contract_size=r.number("contract_size"),
        base_asset=base,
        margin_asset=margin,
        funding_interval_hours=r.number("funding_interval_hours"),
        source=r.text("source"),
        tick_size=r.number("tick_size", blank=math.nan),
        qty_step=step,
        min_qty=r.number("min_qty", blank=step, strict=False),
    )


def _read_contracts(text: str, label: str) -> dict[str, ContractSpec]:
    out: dict[str, ContractSpec] = {}
    for line, row in _rows(text, label, CONTRACT_COLUMNS):
        r = _Row(label, line, row)
        spec = _spec(r)
        key = spec.name.lower()
        if key in out:
            raise r.fail(f"contract {spec.name} appears twice")
        out[key] = spec
    return out


def _tier(r: _Row, previous: Bracket | None) -> Bracket:
    floor = r.number("floor", low=0.0, strict=False)
    cap = r.number("cap", blank=math.inf)
    rate = r.number("maintenance_rate", low=0.0, strict=False)
    if rate >= 1:
        raise r.fail(f"maintenance_rate must be below 1, got {rate:g}")
    if previous is None:
        derived = 0.0
        if floor != 0:
            raise r.fail(f"the first tier must start at floor 0, got {floor:g}")
    else:
        derived = floor * (rate - previous.maintenance_rate) + previous.maintenance_amount
        if floor != previous.cap:
            raise r.fail(f"floor {floor:g} must equal the previous tier's cap {previous.cap:g}")
    if cap <= floor:
        raise r.fail(f"cap {cap:g} must be above floor {floor:g}")
    amount = r.number("maintenance_amount", blank=derived, strict=False)
    if abs(amount - derived) > 1e-6 * max(1.0, abs(derived)):
        raise r.fail(f"maintenance_amount {amount:g} breaks the cum rule (expected {derived:g})")
    return Bracket(floor, cap, rate, amount, r.number("max_leverage", blank=math.inf))


def _read_tiers(text: str, label: str) -> dict[str, tuple[tuple[Bracket, ...], str]]:
    """``{name: (brackets, source)}``; tiers numbered 1, 2, ... contiguously per contract."""
    grouped: dict[str, list[tuple[_Row, dict]]] = {}
    for line, row in _rows(text, label, TIER_COLUMNS):
        r = _Row(label, line, row)
        name = f"{r.text('exchange').lower()}:{r.text('symbol')}".lower()
        grouped.setdefault(name, []).append((r, row))
    out = {}
    for name, items in grouped.items():
        brackets: list[Bracket] = []
        for number, (r, _) in enumerate(items, start=1):
            if r.number("tier") != number:
                raise r.fail(f"tiers of {name} must be numbered 1, 2, 3 ... in order; expected {number}")
            if brackets and math.isinf(brackets[-1].cap):
                raise r.fail("only the last tier may have a blank (infinite) cap")
            brackets.append(_tier(r, brackets[-1] if brackets else None))
        out[name] = (tuple(brackets), items[0][0].text("source"))
    return out


def _merge(
    base: dict[str, ContractSpec], specs: dict[str, ContractSpec], tiers: dict, label: str
) -> dict[str, ContractSpec]:
    merged = dict(base) | specs
    for name, (brackets, source) in tiers.items():
        if name not in merged:
            raise DataError(f"{_where(label)}: contract {name} is in no contracts.csv (user or built-in)")
        spec = merged[name]
        merged[name] = ContractSpec(**(spec.as_dict() | {"tiers": brackets, "tiers_source": source}))
    return merged


def _builtin() -> dict[str, ContractSpec]:
    files = resources.files("hedgecore")
    contracts = _read_contracts(files.joinpath("contracts.csv").read_text(encoding="utf-8"), "hedgecore/contracts.csv")
    tiers = _read_tiers(files.joinpath("tiers.csv").read_text(encoding="utf-8"), "hedgecore/tiers.csv")
    return _merge({}, contracts, tiers, "hedgecore/tiers.csv")


def _read_folder(folder: Path, base: dict[str, ContractSpec]) -> dict[str, ContractSpec]:
    path = folder / "contracts.csv"
    if not path.is_file():
        raise DataError(f"catalog folder {_where(str(folder))} has no contracts.csv")
    specs = _read_contracts(path.read_text(encoding="utf-8-sig"), str(path))
    replaced = {name: ContractSpec(**(s.as_dict() | {"tiers": (), "tiers_source": ""})) for name, s in specs.items()}
    tiers_path = folder / "tiers.csv"
    tiers = _read_tiers(tiers_path.read_text(encoding="utf-8-sig"), str(tiers_path)) if tiers_path.is_file() else {}
    return _merge(base, replaced, tiers, str(tiers_path))


@lru_cache(maxsize=1)
def _builtin_cached() -> dict[str, ContractSpec]:
    return _builtin()


def _stamp(folder: Path) -> tuple:
    stamps = []
    for name in ("contracts.csv", "tiers.csv"):
        try:
            st = (folder / name).stat()
            stamps.append((st.st_mtime_ns, st.st_size))
        except OSError:
            stamps.append(None)
    return tuple(stamps)


@lru_cache(maxsize=4)
def _overlay_cached(folder: str, stamp: tuple) -> tuple[ContractSpec, ...]:
    return tuple(_read_folder(Path(folder), _builtin_cached()).values())


def load_catalog(folder: str | os.PathLike) -> tuple[ContractSpec, ...]:
    """The built-in catalog with the user catalog in ``folder`` laid over it.

    Parameters
    ----------
    folder : path
        A folder holding ``contracts.csv`` (columns :data:`CONTRACT_COLUMNS`) and optionally
        ``tiers.csv`` (:data:`TIER_COLUMNS`).

    Returns
    -------
    tuple of ContractSpec
        Built-in contracts in catalog order (replaced where the folder redefines them), then the
        folder's new contracts.

    Raises
    ------
    DataError
        A missing file or column, or a bad row; the message names the file and the line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "contracts.csv").write_text(",".join(CONTRACT_COLUMNS) + "\\n"
    ...     "binance,ETHUSD_PERP,inverse,10,ETH,ETH,4,0.01,1,1,my exchangeInfo copy\\n")
    >>> [s.funding_interval_hours for s in load_catalog(d) if s.symbol == "ETHUSD_PERP"]
    [4.0]
    """
    return _overlay_cached(str(Path(folder).resolve()), _stamp(Path(folder)))


def catalog() -> tuple[ContractSpec, ...]:
    """All contract specs, in catalog order: built-in, with ``$HEDGECORE_CATALOG`` laid over it if set.

    Examples
    --------
    >>> any(s.name == "binance:ETHUSD_PERP" for s in catalog())
    True
    """
    folder = os.environ.get(CATALOG_ENV, "").strip()
    if folder:
        return load_catalog(folder)
    return tuple(_builtin_cached().values())


def get_contract(name: str) -> ContractSpec:
    """Look up a contract by ``"exchange:SYMBOL"`` or by a bare symbol when unambiguous.

    Case-insensitive. An unknown or ambiguous name raises
    :class:`~hedgecore.errors.UnknownContractError` listing close matches.

    Examples
    --------
    >>> get_contract("binance:ETHUSD_PERP").contract_size
    10.0
    >>> get_contract("ethusd_perp").contract_type
    'inverse'
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"contract name must be text such as 'binance:ETHUSD_PERP', got {describe_value(name)}")
    key = name.strip().lower()
    specs = catalog()
    if ":" in key:
        exchange, _, symbol = key.partition(":")
        found = [s for s in specs if s.exchange == exchange.strip() and s.symbol.lower() == symbol.strip()]
    else:
        found = [s for s in specs if s.symbol.lower() == key]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        names = ", ".join(s.name for s in found)
        raise UnknownContractError(f"contract {describe_value(name)} is ambiguous: use one of {names}")
    candidates = {s.name.lower(): s.name for s in specs} | {s.symbol.lower(): s.name for s in specs}
    close = difflib.get_close_matches(key, list(candidates), n=3, cutoff=0.6)
    hint = ", ".join(dict.fromkeys(candidates[c] for c in close))
    suffix = f"; did you mean {hint}?" if hint else "; see `hedgecore contracts` for the list"
    raise UnknownContractError(f"unknown contract {describe_value(name)}{suffix}")


def resolve_spec(contract_size: float | str, contract_type: str) -> tuple[float, str, ContractSpec | None]:
    """``(contract_size, contract_type, spec)``: from the catalog when a name is given (else spec None).

    ``contract_type`` is checked even when a catalog name then decides the type, so a typo
    never passes silently.
    """
    kind = require_choice("contract_type", contract_type, CONTRACT_TYPES)
    if isinstance(contract_size, str):
        try:
            size = float(contract_size.strip())
        except ValueError:
            spec = get_contract(contract_size)
            return spec.contract_size, spec.contract_type, spec
        return size, kind, None
    return contract_size, kind, None


def resolve_contract(contract_size: float | str, contract_type: str) -> tuple[float, str]:
    """Return ``(contract_size, contract_type)``: from the catalog when a name is given."""
    size, kind, _ = resolve_spec(contract_size, contract_type)
    return size, kind
