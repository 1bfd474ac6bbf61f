"""Maintenance-margin tiers (brackets): the rate, the cum amount and the maximum leverage per size.

Binance tiers apply to the position notional — **base coin** for COIN-M (inverse), quote
(USDT) for USDⓈ-M (linear) — and ``MM = notional·MMR_n − cum_n``, continuous across the
edges thanks to the cum rule ``cum_n = floor_n·(MMR_n − MMR_{n−1}) + cum_{n−1}``
(Binance COIN-M liquidation FAQ; project notes DOMAIN.md §5.2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ._validation import require_nonnegative
from .errors import InvalidInputError

__all__ = ["Bracket", "brackets_from_rates", "pick_bracket"]


@dataclass(frozen=True)
class Bracket:
    """One maintenance-margin tier.

    ``floor`` and ``cap`` bound the position notional — **coin** for inverse (Binance COIN-M),
    quote for linear. ``maintenance_amount`` is Binance's ``cum`` (same unit as the margin).
    ``max_leverage`` is the highest leverage the exchange allows in this tier (``inf`` = unknown).
    """

    floor: float
    cap: float
    maintenance_rate: float
    maintenance_amount: float = 0.0
    max_leverage: float = math.inf

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


def pick_bracket(brackets: Sequence[Bracket], notional: float) -> Bracket:
    """The bracket holding ``notional``; past the last cap, the last bracket.

    Examples
    --------
    >>> b = brackets_from_rates([0, 10], [0.004, 0.005])
    >>> pick_bracket(b, 12.0).maintenance_rate
    0.005
    """
    for b in brackets:
        if b.contains(notional):
            return b
    return brackets[-1] if notional >= brackets[-1].floor else brackets[0]
