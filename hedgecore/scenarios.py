"""Stress-test scenarios: P&L of the altcoins, the hedge, the collateral and funding per price shock.

All amounts are USD at the shocked price. The USD value of an inverse short of
notional ``Q`` is exactly linear in the return, ``−Q·r`` (DOMAIN.md §4.3), the
same as a linear short of ``Q/P0`` coins.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._validation import as_float, as_float_array, require_choice, require_nonnegative, require_positive
from .errors import InvalidInputError
from .funding import funding_intervals
from .margin import liquidation_price

__all__ = ["SCENARIO_COLUMNS", "scenario_pnl"]

#: The first columns of :func:`scenario_pnl`, in order.
SCENARIO_COLUMNS = (
    "Shock",
    "Hedge price",
    "Spot P&L",
    "Hedge P&L",
    "Collateral P&L",
    "Funding",
    "Net P&L",
    "Unhedged value",
    "Hedged value",
)


def scenario_pnl(
    exposure_usd: float,
    beta: float,
    hedge_notional_usd: float,
    entry_price_usd: float,
    shocks,
    *,
    contract_type: str = "inverse",
    collateral_coin: float = 0.0,
    funding_rate: float = 0.0,
    days: float = 0.0,
    interval_hours: float = 8.0,
    maintenance_rate: float | None = None,
    wallet_balance: float | None = None,
) -> pd.DataFrame:
    """P&L of a hedged basket for each shock of the hedge coin.

    Parameters
    ----------
    exposure_usd : float
        USD value of the altcoins.
    beta : float
        Their beta to the hedge coin: the altcoins move ``beta·shock``, never below −100 %.
    hedge_notional_usd : float
        USD notional of the short hedge.
    entry_price_usd : float
        Hedge coin price now.
    shocks : array-like
        Returns of the hedge coin, e.g. −0.15; each must be above −1.
    contract_type : {"inverse", "linear"}
    collateral_coin : float
        Hedge-coin collateral (inverse only: linear contracts are USDT-margined).
    funding_rate : float
        Rate per interval; positive = longs pay shorts, so the short receives.
    days : float
        Horizon for the funding column.
    maintenance_rate : float, optional
        When given, a ``Liquidated`` column flags shocks at or beyond the short's liquidation
        price (:func:`~hedgecore.margin.liquidation_price`, cross mode).
    wallet_balance : float, optional
        Margin behind the short (coin for inverse, USDT for linear); default: the coin
        collateral for inverse. Needed for linear hedges when ``maintenance_rate`` is given.

    Returns
    -------
    pandas.DataFrame
        One row per shock with :data:`SCENARIO_COLUMNS`, then ``Alt move`` (and ``Liquidated``).
        ``Net P&L = Spot + Hedge + Collateral + Funding``; ``Unhedged value`` is the altcoins
        plus collateral without the hedge, ``Hedged value`` the same with it.

    Examples
    --------
    Seed article (Alice): $50,000 of alts, 14 ETH contracts = $49,000 at $3,500, ETH −15 %:
    spot −7,500, hedge +7,350, net −150.

    >>> df = scenario_pnl(50_000, 1.0, 49_000, 3_500, [-0.15], contract_type="linear")
    >>> [round(float(df[c].iloc[0]), 6) for c in ("Spot P&L", "Hedge P&L", "Net P&L")]
    [-7500.0, 7350.0, -150.0]
    """
    exposure = as_float("exposure_usd", exposure_usd)
    b = as_float("beta", beta)
    q = as_float("hedge_notional_usd", hedge_notional_usd)
    p0 = require_positive("entry_price_usd", entry_price_usd)
    kind = require_choice("contract_type", contract_type, ("inverse", "linear"))
    collateral = require_nonnegative("collateral_coin", collateral_coin) if kind == "inverse" else 0.0
    rate = as_float("funding_rate", funding_rate)
    n_intervals = funding_intervals(days, interval_hours)
    s = as_float_array("shocks", shocks)
    if (s <= -1).any():
        pos = int(np.flatnonzero(s <= -1)[0])
        raise InvalidInputError(f"shocks must be above -1 (-100 %), got {s[pos]:g} at position {pos + 1}")

    with np.errstate(over="ignore", invalid="ignore"):
        alt_move = np.maximum(b * s, -1.0)
        spot = exposure * alt_move
        hedge = -q * s
        collateral_pnl = collateral * p0 * s
        funding = np.full_like(s, q * rate * n_intervals)  # received by the short
        net = spot + hedge + collateral_pnl + funding
        start = exposure + collateral * p0
        table = pd.DataFrame(
            {
                "Shock": s,
                "Hedge price": p0 * (1.0 + s),
                "Spot P&L": spot,
                "Hedge P&L": hedge,
                "Collateral P&L": collateral_pnl,
                "Funding": funding,
                "Net P&L": net,
                "Unhedged value": start + spot + collateral_pnl,
                "Hedged value": start + net,
                "Alt move": alt_move,
            }
        )
    if not np.isfinite(table.to_numpy(dtype=float)).all():
        raise InvalidInputError("scenario amounts are too large to compute: check exposure_usd, hedge_notional_usd")
    if maintenance_rate is not None:
        wallet = collateral if wallet_balance is None else require_nonnegative("wallet_balance", wallet_balance)
        if kind == "linear" and wallet_balance is None:
            raise InvalidInputError("wallet_balance (USDT) is required to flag liquidation of a linear hedge")
        size = abs(q) if kind == "inverse" else abs(q) / p0
        lp = liquidation_price(p0, size, wallet, side="short" if q >= 0 else "long", contract_type=kind,
                               contract_size=1.0, maintenance_rate=maintenance_rate)
        prices = table["Hedge price"].to_numpy()
        table["Liquidated"] = prices >= lp if q >= 0 else prices <= lp
    return table
