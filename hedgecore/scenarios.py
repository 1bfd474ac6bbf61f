"""Stress-test scenarios: P&L of the altcoins, the hedge, the collateral and funding per price shock.

All amounts are USD at the shocked price. The USD value of an inverse short of
notional ``Q`` is exactly linear in the return, ``−Q·r`` (DOMAIN.md §4.3), the
same as a linear short of ``Q/P0`` coins — as long as the short survives.

Liquidation-aware: a shock at or beyond the short's liquidation price is a liquidation,
not a profit. The short is closed at the liquidation price and the account's remaining
equity is lost (conservative default; ``liquidation_recovery`` returns a fraction of it), so
the hedged outcome is the altcoins' move minus the margin, whatever the price does next.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._validation import (
    as_float,
    as_float_array,
    require_choice,
    require_fraction,
    require_nonnegative,
    require_positive,
)
from .brackets import Bracket
from .contracts import get_contract
from .errors import InvalidInputError
from .funding import funding_intervals
from .margin import liquidation_or_entry, margin_brackets
from .risk import ResidualBand

__all__ = ["SCENARIO_COLUMNS", "SCENARIO_RISK_COLUMNS", "scenario_pnl"]

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
#: Columns after ``Alt move``: always the first two; the band with ``residual``, the last with ``downside_beta``.
SCENARIO_RISK_COLUMNS = (
    "Liquidated",
    "Net P&L if short survived",
    "Net P&L low",
    "Net P&L high",
    "Net P&L at downside beta",
)


def _account(kind, q, p0, collateral, wallet_balance, lev, tiers):
    """Wallet (margin unit), coin held long in the account, liquidation price, liquidated-at-entry flag."""
    if wallet_balance is not None:
        wallet = require_nonnegative("wallet_balance", wallet_balance)
    elif kind == "inverse" and collateral > 0:
        wallet = collateral
    else:  # the initial margin at ``leverage`` (as hedge_plan): coin for inverse, USDT for linear
        wallet = abs(q) / (p0 * lev) if kind == "inverse" else abs(q) / lev
    coin = (collateral if collateral > 0 else wallet) if kind == "inverse" else 0.0
    side = -1 if q >= 0 else 1
    size = abs(q) if kind == "inverse" else abs(q) / p0
    lp, mmr = liquidation_or_entry(kind, side, size, p0, wallet, tiers)
    at_entry = q != 0 and lp == p0
    return wallet, coin, lp, mmr, at_entry


def _after_liquidation(kind, q, p0, lp, wallet, prices, recovery):
    """Hedge leg after liquidation at ``lp``: realised P&L and the equity taken, valued at each shocked price."""
    if kind == "inverse":  # coin: q·(1/P − 1/P0) is the short's P&L for a signed notional q
        equity = max(wallet + q * (1.0 / lp - 1.0 / p0), 0.0)
        return (recovery * equity - wallet) * prices
    equity = max(wallet - q / p0 * (lp - p0), 0.0)
    return np.full_like(prices, recovery * equity - wallet)


def _band_edges(residual, beta) -> tuple[float, float]:
    """``(low, high)`` residual returns of a :class:`ResidualBand` at the scenario's beta, or of a pair."""
    if isinstance(residual, ResidualBand):
        if abs(residual.hedge_ratio - beta) > 1e-9 * max(1.0, abs(beta)):
            raise InvalidInputError(f"residual band is at hedge ratio {residual.hedge_ratio:.6g} but the scenario "
                                    f"moves the altcoins by beta {beta:.6g}: compute it at the same ratio")
        return residual.low_frac, residual.high_frac
    try:
        low, high = residual
    except (TypeError, ValueError):
        raise InvalidInputError("residual must be a ResidualBand or a pair (low, high) of residual returns") from None
    low, high = as_float("residual low", low), as_float("residual high", high)
    if low > high:
        raise InvalidInputError(f"residual band low {low:g} is above its high {high:g}")
    return low, high


def _bands(table, exposure, beta, residual, downside_beta):
    """Columns of the residual band and the downside-beta line (spot leg changed, the rest kept)."""
    s, alt, net = table["Shock"].to_numpy(), table["Alt move"].to_numpy(), table["Net P&L"].to_numpy()
    rest = net - table["Spot P&L"].to_numpy()
    if residual is not None:
        low, high = _band_edges(residual, beta)
        table["Net P&L low"] = rest + exposure * np.maximum(alt + low, -1.0)
        table["Net P&L high"] = rest + exposure * np.maximum(alt + high, -1.0)
    if downside_beta is not None:
        db = as_float("downside_beta", downside_beta)
        table["Net P&L at downside beta"] = np.where(s < 0, rest + exposure * np.maximum(db * s, -1.0), np.nan)


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
    interval_hours: float | None = None,
    maintenance_rate: float | None = None,
    wallet_balance: float | None = None,
    contract: str | None = None,
    brackets: Sequence[Bracket] | None = None,
    leverage: float = 1.0,
    liquidation_recovery: float = 0.0,
    residual: ResidualBand | tuple[float, float] | None = None,
    downside_beta: float | None = None,
    risk_columns: bool | None = None,
) -> pd.DataFrame:
    """P&L of a hedged basket for each shock of the hedge coin, liquidation included.

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
        Rate per interval; positive = longs pay shorts, so the short receives. Linear funding is
        paid on the notional at the shocked price (``Q·(1+shock)·rate``), inverse on ``Q`` (coin
        worth ``Q·rate`` USD at any price).
    days : float
        Horizon for the funding column.
    interval_hours : float, optional
        Hours between funding payments; default the ``contract``'s, else 8.
    maintenance_rate : float, optional
        One maintenance tier at this rate; default the ``contract``'s tiers, else 0.5 %.
    wallet_balance : float, optional
        Margin behind the short (coin for inverse, USDT for linear). Default: the coin
        collateral for inverse, else the initial margin at ``leverage`` (as :func:`~hedgecore.plan.hedge_plan`).
    contract : str, optional
        Catalog name: sets the contract type, the tier table and the funding interval.
    brackets : sequence of Bracket, optional
        Explicit tier table.
    leverage : float
        Leverage of the default wallet (initial margin = notional / leverage). Default 1.
    liquidation_recovery : float
        Fraction in [0, 1] of the equity left at the liquidation price that comes back to the
        user. Default 0: Binance's liquidation clearance takes what is left, so assume it is lost.
    residual : ResidualBand or (low, high), optional
        From :func:`~hedgecore.risk.residual_band` at ``hedge_ratio=beta``, or its ``(low_frac,
        high_frac)`` residual returns (taken at this ``beta``): adds the band columns.
    downside_beta : float, optional
        Adds ``Net P&L at downside beta`` for negative shocks (NaN for the others).
    risk_columns : bool, optional
        Whether to append ``Liquidated`` and ``Net P&L if short survived``. Default: when any
        margin input (``maintenance_rate``, ``wallet_balance``, ``contract``, ``brackets``) is given.
        ``Net P&L`` is liquidation-aware either way; the band columns come with ``residual``.

    Returns
    -------
    pandas.DataFrame
        One row per shock with :data:`SCENARIO_COLUMNS`, ``Alt move``, then (see ``risk_columns``)
        ``Liquidated``, ``Net P&L if short survived`` and the optional columns of :data:`SCENARIO_RISK_COLUMNS`. Every column is a
        P&L or a value (funding received is a positive P&L here, unlike the funding-cost figures).

        * ``Net P&L = Spot + Hedge + Collateral + Funding``. Collateral P&L is the coin held in the
          account (the collateral, or with none the coin margin the user must post) revalued.
        * Liquidated rows (the hedge price at or beyond the liquidation price): ``Hedge P&L`` is
          ``(recovered equity − wallet)`` valued at the shocked price, funding 0 (it was in the lost
          account), so ``Net P&L`` is the altcoins' P&L minus the margin's value at entry.
        * ``Net P&L if short survived`` is the beta-line P&L as if no liquidation happened.
        * ``Net P&L low``/``high``: the spot leg moved by the residual band's low/high residual return.
        * ``Unhedged value`` is the altcoins plus the own collateral without the hedge, ``Hedged
          value`` the same starting value plus ``Net P&L``.

        ``attrs`` holds ``liquidation_price_usd``, ``wallet_balance`` and ``maintenance_rate``.

    Examples
    --------
    Seed article (Alice): $50,000 of alts, 14 ETH contracts = $49,000 at $3,500, ETH −15 %:
    spot −7,500, hedge +7,350, net −150.

    >>> df = scenario_pnl(50_000, 1.0, 49_000, 3_500, [-0.15], contract_type="linear")
    >>> [round(float(df[c].iloc[0]), 6) for c in ("Spot P&L", "Hedge P&L", "Net P&L")]
    [-7500.0, 7350.0, -150.0]

    DOMAIN.md §9 (liquidation at 106,240 = +66 %): at +70 % the short is gone with the 0.25 BTC
    account; the outcome is the alts' +16,800 minus the 16,000 USD margin, not 0:

    >>> df = scenario_pnl(24_000, 1.0, 40_000, 64_000, [0.7], collateral_coin=0.25, maintenance_rate=0.004)
    >>> bool(df["Liquidated"].iloc[0]), round(float(df["Net P&L"].iloc[0]), 6)
    (True, 800.0)
    """
    spec = get_contract(contract) if contract is not None else None
    exposure = as_float("exposure_usd", exposure_usd)
    b = as_float("beta", beta)
    q = as_float("hedge_notional_usd", hedge_notional_usd)
    p0 = require_positive("entry_price_usd", entry_price_usd)
    kind = spec.contract_type if spec else require_choice("contract_type", contract_type, ("inverse", "linear"))
    collateral = require_nonnegative("collateral_coin", collateral_coin) if kind == "inverse" else 0.0
    rate = as_float("funding_rate", funding_rate)
    hours = interval_hours if interval_hours is not None else (spec.funding_interval_hours if spec else 8.0)
    n_intervals = funding_intervals(days, hours)
    recovery = require_fraction("liquidation_recovery", liquidation_recovery)
    s = as_float_array("shocks", shocks)
    if (s <= -1).any():
        pos = int(np.flatnonzero(s <= -1)[0])
        raise InvalidInputError(f"shocks must be above -1 (-100 %), got {s[pos]:g} at position {pos + 1}")
    tiers = margin_brackets(spec, maintenance_rate=maintenance_rate, brackets=brackets)
    wallet, coin, lp, mmr, at_entry = _account(
        kind, q, p0, collateral, wallet_balance, require_positive("leverage", leverage), tiers)

    with np.errstate(over="ignore", invalid="ignore"):
        prices = p0 * (1.0 + s)
        alt_move = np.maximum(b * s, -1.0)
        spot = exposure * alt_move
        coin_pnl = coin * p0 * s
        survived_hedge = -q * s
        survived_funding = q * rate * n_intervals * ((1.0 + s) if kind == "linear" else 1.0)  # received by the short
        liquidated = np.full(s.shape, at_entry) | ((prices >= lp) if q > 0 else (prices <= lp) if q < 0 else False)
        hedge = np.where(liquidated, _after_liquidation(kind, q, p0, p0 if at_entry else lp, wallet, prices,
                                                        recovery), survived_hedge)
        funding = np.where(liquidated, 0.0, survived_funding)
        net = spot + hedge + coin_pnl + funding
        start = exposure + collateral * p0
        table = pd.DataFrame(
            {
                "Shock": s,
                "Hedge price": prices,
                "Spot P&L": spot,
                "Hedge P&L": hedge,
                "Collateral P&L": coin_pnl,
                "Funding": funding,
                "Net P&L": net,
                "Unhedged value": start + spot + collateral * p0 * s,
                "Hedged value": start + net,
                "Alt move": alt_move,
                "Liquidated": liquidated,
                "Net P&L if short survived": spot + survived_hedge + coin_pnl + survived_funding,
            }
        )
    if not np.isfinite(table.drop(columns="Liquidated").to_numpy(dtype=float)).all():
        raise InvalidInputError("scenario amounts are too large to compute: check exposure_usd, hedge_notional_usd")
    if risk_columns is None:
        risk_columns = any(x is not None for x in (maintenance_rate, wallet_balance, contract, brackets))
    if not risk_columns:
        table = table.drop(columns=["Liquidated", "Net P&L if short survived"])
    _bands(table, exposure, b, residual, downside_beta)
    table.attrs.update(liquidation_price_usd=lp if math.isfinite(lp) else math.inf, wallet_balance=wallet,
                       maintenance_rate=mmr)
    return table
