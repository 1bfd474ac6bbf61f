"""Contract specifications and the built-in catalog (``contracts.csv``).

Inverse (coin-margined) contracts have a USD face value per contract; P&L and
margin are in the base coin. Linear contracts are sized in coins per contract;
P&L and margin are in the quote (USDT). Each catalog row cites its source
(see ``docs/DOMAIN.md`` §2 of the project notes). Treat the figures as
fixtures: exchanges may change them, so check ``contractSize`` before trading.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources

from ._typing import CONTRACT_TYPES
from ._validation import describe_value, require_choice
from .errors import InvalidInputError, UnknownContractError

__all__ = ["CONTRACT_TYPES", "ContractSpec", "catalog", "get_contract", "CONTRACT_SPEC_LABELS"]


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
    """

    exchange: str
    symbol: str
    contract_type: str
    contract_size: float
    base_asset: str
    margin_asset: str
    funding_interval_hours: float
    source: str

    @property
    def name(self) -> str:
        """Catalog name, ``"exchange:SYMBOL"``."""
        return f"{self.exchange}:{self.symbol}"

    def as_dict(self) -> dict:
        return asdict(self)


#: Labels of a spec's fields, in the order of ``ContractSpec`` (for label/value tables).
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


@lru_cache(maxsize=1)
def catalog() -> tuple[ContractSpec, ...]:
    """All built-in contract specs, in catalog order."""
    text = resources.files("hedgecore").joinpath("contracts.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return tuple(
        ContractSpec(
            exchange=r["exchange"],
            symbol=r["symbol"],
            contract_type=r["contract_type"],
            contract_size=float(r["contract_size"]),
            base_asset=r["base_asset"],
            margin_asset=r["margin_asset"],
            funding_interval_hours=float(r["funding_interval_hours"]),
            source=r["source"],
        )
        for r in rows
    )


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


def resolve_contract(contract_size: float | str, contract_type: str) -> tuple[float, str]:
    """Return ``(contract_size, contract_type)``: from the catalog when a name is given.

    ``contract_type`` is checked even when a catalog name then decides the type, so a typo
    never passes silently.
    """
    kind = require_choice("contract_type", contract_type, CONTRACT_TYPES)
    if isinstance(contract_size, str):
        try:
            size = float(contract_size.strip())
        except ValueError:
            spec = get_contract(contract_size)
            return spec.contract_size, spec.contract_type
        return size, kind
    return contract_size, kind
