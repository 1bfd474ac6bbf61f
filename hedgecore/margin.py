"""Initial and maintenance margin, tiered brackets, and liquidation prices.

Binance-style one-way mode (project notes DOMAIN.md §5–§6):

* inverse (wallet in coin, ``Q = contracts·contract_size`` USD)::

      LP = Q·(MMR + side) / (WB' + cum + side·Q/P0)

* linear (wallet in quote, ``q = contracts·contract_size`` coins)::

      LP = (WB' + cum − side·q·P0) / (q·MMR − side·q)

with ``side`` = +1 long, −1 short and ``WB' = WB − other_maintenance + other_unrealized_pnl``
(cross mode; both zero in isolated mode). The maintenance rate is the bracket's
at the notional *at the liquidation price*, re-solved when it lands in another
bracket, as Binance does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass



from ._validation import as_float, require_choice, require_nonnegative, require_positive
from .contracts import resolve_contract
from .errors import InvalidInputError
from .pnl import side_sign

__all__ = [
    "DEFAULT_MAINTENANCE_RATE",
    "Bracket",
    "brackets_from_rates",
    "initial_margin",
    "maintenance_margin",
    "liquidation_price",
    "effective_leverage",
]

#: Default maintenance-margin rate: 0.5 % (Bybit's minimum inverse MMR for BTC; Binance tier 2).
DEFAULT_MAINTENANCE_RATE = 0.005


@dataclass(frozen=True)
class Bracket:
    """One maintenance-margin tier.

    ``floor`` and ``cap`` bound the position notional — **coin** for inverse
    (Binance COIN-M), quote for linear. ``maintenance_amount`` is Binance's ``cum``.
    """

    floor: float
    cap: float
    maintenance_rate: float
    maintenance_amount: float = 0.0

    def contains(self, notional: float) -> bool:
        return self.floor <= notional < self.cap


def brackets_from_rates(floors: Sequence[float], rates: Sequence[float]) -> tuple[Bracket, ...]:
    """Build brackets from tier floors and rates with Binance's cum rule.

    ``cum_n = floor_n·(MMR_n − MMR_{n−1}) + cum_{n−1}``, ``cum_1 = 0``; the last cap is infinite.

    Examples
    --------
    Binance COIN-M BTCUSD, level 5 = 50 BTC × (5 % − 2.5 %) + 0.56 = 1.81 BTC (DOMAIN.md §5.2):

    >>> b = brackets_from_rates([0, 10, 20, 30, 50], [0.004, 0.005, 0.01, 0.025, 0.05])
    >>> round(b[4].maintenance_amount, 10)
    1.81
    """
    if len(floors) != len(rates) or not floors:
        raise InvalidInputError("floors and rates must be non-empty and of the same length")
    fl = [require_nonnegative("floors", f) for f in floors]
    rt = [require_nonnegative("rates", r) for r in rates]
    if fl[0] != 0 or any(b <= a for a, b in zip(fl, fl[1:])):
        raise InvalidInputError("floors must start at 0 and increase")
    out, cum = [], 0.0
    for i, (floor, rate) in enumerate(zip(fl, rt)):
        if i:
            cum += floor * (rate - rt[i - 1])
        cap = fl[i + 1] if i + 1 < len(fl) else math.inf
        out.append(Bracket(floor, cap, rate, cum))
    return tuple(out)


def _pick(brackets: Sequence[Bracket], notional: float) -> Bracket:
    for b in brackets:
        if b.contains(notional):
            return b
    return brackets[-1] if notional >= brackets[-1].floor else brackets[0]


def initial_margin(notional_usd: float, price_usd: float, leverage: float, *, contract_type: str = "inverse") -> float:
    """Initial margin at ``leverage``: coin ``Q/(P·L)`` for inverse, quote ``Q/L`` for linear.

    Seed article: a $10,000 short at 5x needs $2,000 (linear).

    Examples
    --------
    >>> initial_margin(10_000, 3_500, 5, contract_type="linear")   # seed article: $2,000
    2000.0
    >>> initial_margin(10_000, 50_000, 2)                            # DOMAIN.md §12 B3: 0.1 BTC
    0.1
    """
    q = require_nonnegative("notional_usd", notional_usd)
    price = require_positive("price_usd", price_usd)
    lev = require_positive("leverage", leverage)
    kind = require_choice("contract_type", contract_type, ("inverse", "linear"))
    return q / (price * lev) if kind == "inverse" else q / lev


def maintenance_margin(
    notional: float,
    *,
    maintenance_rate: float | None = None,
    maintenance_amount: float = 0.0,
    brackets: Sequence[Bracket] | None = None,
) -> float:
    """Maintenance margin ``notional·MMR − cum`` (notional in coin for inverse, quote for linear).

    Binance COIN-M FAQ (DOMAIN.md §12 M1): 100 BTCUSD contracts at mark 25,000 → notional
    0.4 BTC → MM = 0.4 × 0.4 % = 0.0016 BTC.

    Examples
    --------
    >>> round(maintenance_margin(0.4, maintenance_rate=0.004), 10)
    0.0016
    """
    n = require_nonnegative("notional", notional)
    if brackets:
        b = _pick(brackets, n)
        return n * b.maintenance_rate - b.maintenance_amount
    rate = DEFAULT_MAINTENANCE_RATE if maintenance_rate is None else require_nonnegative("maintenance_rate", maintenance_rate)
    return n * rate - require_nonnegative("maintenance_amount", maintenance_amount)


def _solve(kind: str, s: int, size: float, p0: float, wb: float, mmr: float, cum: float) -> float:
    """Closed-form LP for one bracket; ``inf`` / ``0.0`` when no adverse move liquidates."""
    if kind == "inverse":
        numerator = size * (mmr + s)
        denominator = wb + cum + s * size / p0
        if s < 0:  # short: liquidated by a rise
            return numerator / denominator if denominator < 0 else math.inf
        if denominator <= 0:
            raise InvalidInputError("wallet_balance is below maintenance margin at every price")
        return numerator / denominator
    numerator = wb + cum - s * size * p0
    denominator = size * (mmr - s)
    lp = numerator / denominator
    if s > 0:  # long: liquidated by a fall
        return max(lp, 0.0)
    if lp <= 0:
        raise InvalidInputError("wallet_balance is below maintenance margin at every price")
    return lp


def liquidation_price(
    entry_price: float,
    contracts: float,
    wallet_balance: float,
    *,
    side: str,
    contract_type: str = "inverse",
    contract_size: float | str,
    maintenance_rate: float | None = None,
    maintenance_amount: float = 0.0,
    brackets: Sequence[Bracket] | None = None,
    other_maintenance: float = 0.0,
    other_unrealized_pnl: float = 0.0,
) -> float:
    """Liquidation price of one position (Binance one-way mode; isolated or cross).

    Parameters
    ----------
    entry_price : float
        Entry price, USD per coin.
    contracts : float
        Number of contracts (absolute).
    wallet_balance : float
        Margin backing the position: coin for inverse, quote for linear. Cross mode: the
        cross wallet; isolated: the isolated margin.
    side : {"long", "short"}
    contract_type : {"inverse", "linear"}
    contract_size : float or str
        USD face value (inverse) or coins (linear) per contract, or a catalog name.
    maintenance_rate, maintenance_amount : float
        One tier's MMR and cum (default MMR 0.5 %, cum 0); ignored when ``brackets`` is given.
    brackets : sequence of Bracket, optional
        Tier table; the tier is chosen at the notional at the liquidation price.
    other_maintenance, other_unrealized_pnl : float
        Cross mode: maintenance margin and unrealised P&L of the account's other positions.

    Returns
    -------
    float
        Price in USD; ``math.inf`` for a short no rise can liquidate (e.g. a 1x inverse
        short on same-coin collateral), ``0.0`` for a long no fall can liquidate.

    Examples
    --------
    Binance COIN-M, DOMAIN.md §9: cross short 400 BTCUSD_PERP at 64,000 on 0.25 BTC, MMR 0.4 %:

    >>> round(liquidation_price(64_000, 400, 0.25, side="short", contract_size=100,
    ...                         maintenance_rate=0.004), 6)
    106240.0
    """
    size_each, kind = resolve_contract(contract_size, contract_type)
    size_each = require_positive("contract_size", size_each)
    p0 = require_positive("entry_price", entry_price)
    n = require_nonnegative("contracts", contracts)
    wb = require_nonnegative("wallet_balance", wallet_balance)
    wb = wb - require_nonnegative("other_maintenance", other_maintenance) + as_float(
        "other_unrealized_pnl", other_unrealized_pnl
    )
    s = side_sign(side)
    size = n * size_each
    if size == 0:
        return 0.0 if s > 0 else math.inf
    if not brackets:
        rate = DEFAULT_MAINTENANCE_RATE if maintenance_rate is None else require_nonnegative(
            "maintenance_rate", maintenance_rate
        )
        if rate >= 1:
            raise InvalidInputError(f"maintenance_rate must be below 1, got {rate}")
        cum = require_nonnegative("maintenance_amount", maintenance_amount)
        return _solve(kind, s, size, p0, wb, rate, cum)

    def notional_at(price: float) -> float:
        if kind == "inverse":
            return 0.0 if math.isinf(price) else (size / price if price > 0 else math.inf)
        return size * price

    # Each bracket gives a candidate; the right one is the bracket that holds the notional at
    # its own candidate price (MM is continuous across edges thanks to the cum rule).
    candidates = []
    for b in brackets:
        lp = _solve(kind, s, size, p0, wb, b.maintenance_rate, b.maintenance_amount)
        candidates.append(lp)
        if b.contains(notional_at(lp)) or (b is brackets[-1] and notional_at(lp) >= b.floor):
            return lp
    # Fall back to the bracket at entry (no self-consistent tier: degenerate tables).
    b = _pick(brackets, notional_at(p0))
    return _solve(kind, s, size, p0, wb, b.maintenance_rate, b.maintenance_amount)


def effective_leverage(notional_usd: float, collateral_usd: float) -> float:
    """Effective leverage = position notional / collateral value (both USD); ``inf`` with no collateral.

    Examples
    --------
    DOMAIN.md §9: 40,000 USD short on 0.25 BTC at 64,000 (16,000 USD) is 2.5x.

    >>> effective_leverage(40_000, 0.25 * 64_000)
    2.5
    """
    q = require_nonnegative("notional_usd", notional_usd)
    c = require_nonnegative("collateral_usd", collateral_usd)
    if c == 0:
        return math.inf if q > 0 else 0.0
    return q / c


