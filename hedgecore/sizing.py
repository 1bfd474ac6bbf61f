"""Hedge sizing: notional, contract count, and what rounding leaves unhedged.

The hedge notional of an inverse (coin-margined) short backed by ``C`` coins of
the hedge coin is ``Q = E·h + C·P``: coin posted as collateral is itself a long
position and must be hedged too (project notes, DOMAIN.md §8.2). Linear
contracts are margined in USDT, so their notional is ``Q = E·h``.
"""

from __future__ import annotations

import math
from decimal import Decimal

from ._typing import ROUNDING_MODES
from ._validation import as_float, require_choice, require_nonnegative, require_positive
from .contracts import resolve_spec
from .errors import InvalidInputError

__all__ = [
    "ROUNDING_MODES",
    "hedge_notional",
    "hedge_contracts",
    "contracts_for_notional",
    "hedged_notional",
    "residual_exposure",
    "round_contracts",
]

# A count within this relative distance of a whole number is that whole number:
# 49,000 / 10 may come out as 4900.000000000001 and must not round "up" to 4901.
_SNAP = 1e-9


def round_contracts(contracts: float, rounding: str = "nearest", *, step: float = 1.0, min_qty: float = 0.0) -> float:
    """Round a signed contract count to a multiple of ``step``: ``down``/``up`` go toward/away from zero.

    ``nearest`` rounds halves away from zero (14.5 → 15, −14.5 → −15). A non-zero result below
    ``min_qty`` becomes ``min_qty`` (``up``; ``nearest`` from half of it) or 0 (``down``).

    Examples
    --------
    >>> round_contracts(14.2857, "down"), round_contracts(-2.5, "nearest"), round_contracts(2.1, "up")
    (14.0, -3.0, 3.0)
    >>> round_contracts(0.37456, "nearest", step=0.001)   # Binance BTCUSDT: 0.001 BTC steps
    0.375
    """
    mode = require_choice("rounding", rounding, ROUNDING_MODES)
    contracts = as_float("contracts", contracts)
    step = require_positive("step", step)
    minimum = require_nonnegative("min_qty", min_qty)
    if mode == "none":
        return contracts
    size = abs(contracts) / step
    whole = round(size)
    if abs(size - whole) <= _SNAP * max(1.0, size):
        size = float(whole)
    if mode == "down":
        units = math.floor(size)
    elif mode == "up":
        units = math.ceil(size)
    else:
        units = math.floor(size + 0.5)
    out = float(units) if step == 1.0 else float(Decimal(units) * Decimal(repr(step)))
    if 0 < out < minimum * (1 - _SNAP):
        out = 0.0 if mode == "down" or (mode == "nearest" and abs(contracts) < minimum / 2) else minimum
    return float(math.copysign(out, contracts)) if out else 0.0


def _lot(spec, qty_step: float | None) -> tuple[float, float]:
    """``(step, min_qty)`` in contracts: ``qty_step`` if given, else the catalog's, else whole contracts."""
    if qty_step is not None:
        return require_positive("qty_step", qty_step), 0.0
    if spec is not None:
        return spec.qty_step, spec.min_qty
    return 1.0, 0.0


def hedge_notional(
    exposure_usd: float,
    price_usd: float,
    *,
    hedge_ratio: float = 1.0,
    contract_type: str = "inverse",
    collateral_coin: float = 0.0,
) -> float:
    """USD notional to short: ``exposure_usd·hedge_ratio`` plus, for inverse, ``collateral_coin·price_usd``.

    Parameters
    ----------
    exposure_usd : float
        USD value of the holdings to protect.
    price_usd : float
        Price of the hedge coin, USD.
    hedge_ratio : float
        Usually the basket's beta to the hedge coin.
    contract_type : {"inverse", "linear"}
    collateral_coin : float
        Coins of the hedge coin posted as margin (inverse only; linear is USDT-margined).

    Returns
    -------
    float
        Hedge notional, USD.

    Examples
    --------
    Beta 1.5 on $10,000 (seed article): ``hedge_notional(10_000, 3_500, hedge_ratio=1.5)`` → 15,000.
    """
    exposure = as_float("exposure_usd", exposure_usd)
    price = require_positive("price_usd", price_usd)
    ratio = as_float("hedge_ratio", hedge_ratio)
    kind = require_choice("contract_type", contract_type, ("inverse", "linear"))
    collateral = require_nonnegative("collateral_coin", collateral_coin)
    notional = exposure * ratio
    if kind == "inverse":
        notional += collateral * price
    if not math.isfinite(notional):
        raise InvalidInputError("hedge notional is too large to compute: check exposure_usd, hedge_ratio, collateral_coin")
    return notional


def _contract_value_usd(price: float, size: float, kind: str) -> float:
    return size if kind == "inverse" else size * price


def hedge_contracts(
    exposure_usd: float,
    price_usd: float,
    contract_size: float | str,
    *,
    hedge_ratio: float = 1.0,
    contract_type: str = "inverse",
    rounding: str = "nearest",
    collateral_coin: float = 0.0,
    qty_step: float | None = None,
) -> float:
    """Number of contracts to short.

    Inverse: ``Q / contract_size`` (USD face value, independent of price);
    linear: ``Q / (contract_size·price_usd)``, where ``Q`` is :func:`hedge_notional`.

    Parameters
    ----------
    exposure_usd, price_usd, hedge_ratio, collateral_coin
        As in :func:`hedge_notional`.
    contract_size : float or str
        USD per contract (inverse) or coins per contract (linear); or a catalog
        name such as ``"binance:ETHUSD_PERP"``, whose type then overrides ``contract_type``.
    contract_type : {"inverse", "linear"}
    rounding : {"none", "down", "nearest", "up"}
        ``down``/``up`` = toward/away from zero.
    qty_step : float, optional
        Quantity step in contracts; default the catalog's (``contracts.csv``), else 1 (whole contracts).

    Returns
    -------
    float
        Contracts, a multiple of the quantity step unless ``rounding="none"``. Binance USDⓈ-M
        contracts are one coin each, so the count is a quantity in coins (0.001 steps).

    Examples
    --------
    Seed article: $10,000 at ETH $3,500 with 1-ETH linear contracts is 2.857 contracts:

    >>> hedge_contracts(10_000, 3_500, 1, contract_type="linear", rounding="none")
    2.857142857142857
    >>> hedge_contracts(50_000, 3_500, 1, contract_type="linear")   # Alice
    14.0
    >>> hedge_contracts(49_000, 3_500, "binance:ETHUSD_PERP")        # 10 USD face
    4900.0
    >>> hedge_contracts(24_000, 64_000, "binance:BTCUSDT")          # 0.375 BTC, step 0.001
    0.375
    """
    notional = hedge_notional(
        exposure_usd, price_usd, hedge_ratio=hedge_ratio, contract_type=resolve_spec(contract_size, contract_type)[1],
        collateral_coin=collateral_coin,
    )
    return contracts_for_notional(notional, price_usd, contract_size, contract_type=contract_type, rounding=rounding,
                                  qty_step=qty_step)


def contracts_for_notional(
    notional_usd: float,
    price_usd: float,
    contract_size: float | str,
    *,
    contract_type: str = "inverse",
    rounding: str = "nearest",
    qty_step: float | None = None,
) -> float:
    """Contracts covering a USD notional: ``Q/contract_size`` (inverse) or ``Q/(contract_size·P)`` (linear).

    Rounded to the quantity step (``qty_step``, else the catalog's, else whole contracts) and the
    catalog's minimum quantity.

    Examples
    --------
    DOMAIN.md §9: a 40,000 USD notional in Binance BTCUSD_PERP (100 USD face) is 400 contracts.

    >>> contracts_for_notional(40_000, 64_000, "binance:BTCUSD_PERP")
    400.0
    """
    size, kind, spec = resolve_spec(contract_size, contract_type)
    size = require_positive("contract_size", size)
    price = require_positive("price_usd", price_usd)
    value = _contract_value_usd(price, size, kind)
    count = as_float("notional_usd", notional_usd) / value if value > 0 else math.inf
    if not math.isfinite(count):
        raise InvalidInputError("contract count is too large to compute: check contract_size and price_usd")
    step, minimum = _lot(spec, qty_step)
    return round_contracts(count, rounding, step=step, min_qty=minimum)


def hedged_notional(
    contracts: float, price_usd: float, contract_size: float | str, *, contract_type: str = "inverse"
) -> float:
    """USD notional actually hedged by ``contracts`` contracts at ``price_usd``.

    Examples
    --------
    Alice (seed article): 14 one-ETH linear contracts at $3,500 cover $49,000.

    >>> hedged_notional(14, 3_500, 1, contract_type="linear")
    49000.0
    """
    size, kind = resolve_spec(contract_size, contract_type)[:2]
    size = require_positive("contract_size", size)
    price = require_positive("price_usd", price_usd)
    return as_float("contracts", contracts) * _contract_value_usd(price, size, kind)


def residual_exposure(
    exposure_usd: float,
    price_usd: float,
    contract_size: float | str,
    *,
    hedge_ratio: float = 1.0,
    contract_type: str = "inverse",
    rounding: str = "nearest",
    collateral_coin: float = 0.0,
    qty_step: float | None = None,
) -> float:
    """USD notional left unhedged after rounding: hedge notional − hedged notional.

    Alice (seed article): $50,000 at $3,500 with 1-ETH contracts → 14 contracts hedge
    $49,000, leaving $1,000.

    Examples
    --------
    >>> residual_exposure(50_000, 3_500, 1, contract_type="linear")
    1000.0
    """
    kind = resolve_spec(contract_size, contract_type)[1]
    wanted = hedge_notional(
        exposure_usd, price_usd, hedge_ratio=hedge_ratio, contract_type=kind, collateral_coin=collateral_coin
    )
    count = contracts_for_notional(wanted, price_usd, contract_size, contract_type=kind, rounding=rounding,
                                   qty_step=qty_step)
    return wanted - hedged_notional(count, price_usd, contract_size, contract_type=kind)
