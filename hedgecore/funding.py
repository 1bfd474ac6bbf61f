"""Funding of perpetual positions.

A positive rate means **longs pay shorts**, so a short hedge usually receives
(Binance, Bybit, BitMEX funding pages; DOMAIN.md §3). Amount per interval:
inverse ``(Q/P_mark)·rate`` in coin; linear ``notional·rate`` in quote. The
inverse amount is constant in USD (``Q·rate``).
"""

from __future__ import annotations

from ._validation import as_float, require_choice, require_nonnegative, require_positive
from .errors import InvalidInputError
from .pnl import side_sign

__all__ = ["funding_payment", "funding_cost_usd", "annualised_funding_rate", "funding_intervals"]


def funding_payment(
    notional_usd: float,
    funding_rate: float,
    *,
    side: str = "short",
    contract_type: str = "inverse",
    mark_price_usd: float | None = None,
) -> float:
    """Amount the position **pays** at one funding time (negative = receives).

    Coin for inverse (needs ``mark_price_usd``), quote for linear.

    Examples
    --------
    DOMAIN.md §3: short 400 BTCUSD_PERP (Q = 40,000 USD), mark 64,000, +0.01 % → receives
    0.0000625 BTC:

    >>> funding_payment(40_000, 0.0001, side="short", mark_price_usd=64_000)
    -6.25e-05
    """
    q = require_nonnegative("notional_usd", notional_usd)
    rate = as_float("funding_rate", funding_rate)
    kind = require_choice("contract_type", contract_type, ("inverse", "linear"))
    paid = side_sign(side) * q * rate
    if kind == "inverse":
        if mark_price_usd is None:
            raise InvalidInputError("mark_price_usd is required for inverse contracts (funding is paid in coin)")
        return paid / require_positive("mark_price_usd", mark_price_usd)
    return paid


def funding_intervals(days: float, interval_hours: float = 8.0) -> float:
    """Number of funding intervals in ``days`` calendar days (funding accrues every day).

    Examples
    --------
    >>> funding_intervals(1), funding_intervals(1, interval_hours=4)
    (3.0, 6.0)
    """
    return require_nonnegative("days", days) * 24.0 / require_positive("interval_hours", interval_hours)


def funding_cost_usd(
    notional_usd: float,
    funding_rate: float,
    days: float,
    *,
    side: str = "short",
    interval_hours: float = 8.0,
) -> float:
    """USD the position pays over ``days`` at a constant rate per interval (negative = receives).

    >>> round(funding_cost_usd(40_000, 0.0001, 1), 10)   # short receives 3 × 4 USD a day
    -12.0
    """
    q = require_nonnegative("notional_usd", notional_usd)
    rate = as_float("funding_rate", funding_rate)
    return side_sign(side) * q * rate * funding_intervals(days, interval_hours)


def annualised_funding_rate(funding_rate: float, interval_hours: float = 8.0) -> float:
    """Simple annual rate: ``rate · (24/interval) · 365`` (+0.01 % per 8 h ≈ 10.95 %).

    Examples
    --------
    >>> round(annualised_funding_rate(0.0001), 6)
    0.1095
    """
    return as_float("funding_rate", funding_rate) * funding_intervals(365.0, interval_hours)
