"""Profit and loss of inverse and linear positions, and average entry prices.

Inverse (coin-settled): ``P&L_coin = side·Q·(1/P0 − 1/P1)`` with ``Q`` the USD
notional (BitMEX inverse perpetuals guide; Binance COIN-M beginner's guide).
Linear (quote-settled): ``P&L = side·q·(P1 − P0)`` with ``q`` coins.
"""

from __future__ import annotations

import numpy as np

from ._typing import SIDES
from ._validation import as_float_array, require_choice, require_nonnegative, require_positive
from .errors import InvalidInputError

__all__ = ["SIDES", "side_sign", "inverse_pnl_coin", "inverse_pnl_usd", "linear_pnl", "average_entry_price"]


def side_sign(side: str) -> int:
    """+1 for ``"long"``, −1 for ``"short"`` (case-insensitive)."""
    return 1 if require_choice("side", side, SIDES) == "long" else -1


def inverse_pnl_coin(notional_usd: float, entry_price: float, exit_price: float, *, side: str = "short") -> float:
    """Coin P&L of an inverse position of USD notional ``notional_usd``.

    Examples
    --------
    BitMEX guide (DOMAIN.md §12 P1): long 1,000 USD at 1,000, mark 1,250 → 0.2 coin.

    >>> round(inverse_pnl_coin(1_000, 1_000, 1_250, side="long"), 12)
    0.2
    """
    q = require_nonnegative("notional_usd", notional_usd)
    p0 = require_positive("entry_price", entry_price)
    p1 = require_positive("exit_price", exit_price)
    return side_sign(side) * q * (1.0 / p0 - 1.0 / p1)


def inverse_pnl_usd(notional_usd: float, entry_price: float, exit_price: float, *, side: str = "short") -> float:
    """USD value at ``exit_price`` of :func:`inverse_pnl_coin`; for a short it is ``−Q·r`` exactly.

    Examples
    --------
    romanornr (DOMAIN.md §12 P6): short 16,000 USD at 8,000, price 10,000 → −0.4 BTC = −4,000 USD.

    >>> round(inverse_pnl_usd(16_000, 8_000, 10_000, side="short"), 9)
    -4000.0
    """
    return inverse_pnl_coin(notional_usd, entry_price, exit_price, side=side) * float(exit_price)


def linear_pnl(size_coin: float, entry_price: float, exit_price: float, *, side: str = "short") -> float:
    """Quote (USDT) P&L of a linear position of ``size_coin`` coins.

    Examples
    --------
    Seed article: a $10,000 short at $3,500 loses $1,000 on a 10 % rally.

    >>> round(linear_pnl(10_000 / 3_500, 3_500, 3_850, side="short"), 9)
    -1000.0
    """
    q = require_nonnegative("size_coin", size_coin)
    p0 = require_positive("entry_price", entry_price)
    p1 = require_positive("exit_price", exit_price)
    return side_sign(side) * q * (p1 - p0)


def average_entry_price(sizes, prices, *, contract_type: str = "inverse") -> float:
    """Average entry of several fills.

    Inverse: notional-weighted harmonic mean ``ΣQ_i / Σ(Q_i/P_i)`` (sizes in USD or contracts
    of equal face); linear: size-weighted arithmetic mean ``Σq_i·P_i / Σq_i``.

    Examples
    --------
    Bybit (DOMAIN.md §12 A1): 50 @ 10,000 and 50 @ 15,000 inverse → 12,000.

    >>> round(average_entry_price([50, 50], [10_000, 15_000]), 6)
    12000.0
    """
    kind = require_choice("contract_type", contract_type, ("inverse", "linear"))
    q = as_float_array("sizes", sizes)
    p = as_float_array("prices", prices)
    if q.shape != p.shape:
        raise InvalidInputError(f"sizes and prices must have the same length, got {q.size} and {p.size}")
    if (q < 0).any() or q.sum() <= 0:
        raise InvalidInputError("sizes must be zero or positive with a positive total")
    if (p <= 0).any():
        raise InvalidInputError("prices must be positive")
    if kind == "inverse":
        return float(q.sum() / np.sum(q / p))
    return float(np.sum(q * p) / q.sum())
