"""The collateral that keeps a hedge alive: margin that puts the liquidation price at a target move.

Inverse short on same-coin collateral ``C`` (cross mode): the hedge notional is ``Q = E·h + C·P0``
(the collateral is itself long, DOMAIN.md §8.2), so ``Q/P0 − C = E·h/P0`` and

    LP = Q·(1 − MMR) / (E·h/P0 − cum)      →      Q = k·(E·h − cum·P0)/(1 − MMR),  C = (Q − E·h)/P0

for a target ``LP = k·P0``. Linear short of ``q = E·h/P0`` coins on ``U`` USDT:
``LP = (U + cum + q·P0)/(q·(1 + MMR))`` → ``U = q·P0·(k·(1 + MMR) − 1) − cum``. The tier is the one
holding the notional at the target price; with rounded contracts the collateral is re-solved for
the count actually traded, so :func:`~hedgecore.plan.hedge_plan` with it lands on the target.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._validation import as_float, require_positive
from .brackets import Bracket
from .contracts import resolve_spec
from .errors import InvalidInputError
from .margin import margin_brackets, position_notional
from .sizing import contracts_for_notional, hedged_notional

__all__ = ["collateral_for_liquidation"]


def _unreachable(target: float, why: str) -> InvalidInputError:
    return InvalidInputError(f"no collateral puts the liquidation price at {target:+.1%}: {why}")


def _inverse_collateral(exposure: float, p0: float, k: float, tiers: Sequence[Bracket]) -> tuple[float, Bracket]:
    """Unrounded collateral (coin) and the tier at the target price."""
    for b in tiers:
        q = k * (exposure - b.maintenance_amount * p0) / (1.0 - b.maintenance_rate)
        if b.contains(position_notional("inverse", q, k * p0)) or b is tiers[-1]:
            return (q - exposure) / p0, b
    raise AssertionError("unreachable")  # the last tier always returns


def collateral_for_liquidation(
    exposure_usd: float,
    price_usd: float,
    contract_size: float | str,
    target_distance: float,
    *,
    hedge_ratio: float = 1.0,
    contract_type: str = "inverse",
    rounding: str = "nearest",
    maintenance_rate: float | None = None,
    brackets: Sequence[Bracket] | None = None,
    qty_step: float | None = None,
) -> float:
    """Collateral that puts the short hedge's liquidation price at ``price·(1 + target_distance)``.

    Parameters
    ----------
    exposure_usd, price_usd, contract_size, hedge_ratio, contract_type, rounding, qty_step
        As in :func:`~hedgecore.plan.hedge_plan`.
    target_distance : float
        Rise of the hedge coin that should liquidate the short, > 0 (1.0 = +100 %).
    maintenance_rate, brackets
        As in :func:`~hedgecore.plan.hedge_plan` (default: the named contract's tiers, else 0.5 %).

    Returns
    -------
    float
        Inverse: hedge coins to post as collateral (the hedge then grows by ``C·P``). Linear:
        USDT margin. Passing it to ``hedge_plan`` (``collateral_coin`` / ``wallet_balance``) gives
        the target liquidation price with the rounded contract count.

    Raises
    ------
    InvalidInputError
        No collateral reaches the target: nothing to hedge, a tier amount so large the short
        cannot be liquidated, or a target below what even zero collateral gives.

    Examples
    --------
    DOMAIN.md §9: E = 24,000 USD, BTC 64,000, MMR 0.4 %, liquidation at 2x entry (+100 %):
    C·P0 = E·(k/(1 − MMR) − 1) → C = 0.378012 BTC unrounded; 0.378069 BTC with 482 contracts.

    >>> kw = dict(maintenance_rate=0.004)
    >>> round(collateral_for_liquidation(24_000, 64_000, "binance:BTCUSD_PERP", 1.0, rounding="none", **kw), 6)
    0.378012
    >>> round(collateral_for_liquidation(24_000, 64_000, "binance:BTCUSD_PERP", 1.0, **kw), 6)
    0.378069
    """
    size, kind, spec = resolve_spec(contract_size, contract_type)
    p0 = require_positive("price_usd", price_usd)
    distance = require_positive("target_distance", target_distance)
    exposure = as_float("exposure_usd", exposure_usd) * as_float("hedge_ratio", hedge_ratio)
    if exposure <= 0:
        raise _unreachable(distance, "there is no exposure to hedge, so the short on its own collateral is 1x")
    k = 1.0 + distance
    tiers = margin_brackets(spec, maintenance_rate=maintenance_rate, brackets=brackets)

    def lot(notional: float) -> float:
        count = contracts_for_notional(notional, p0, contract_size, contract_type=kind, rounding=rounding,
                                       qty_step=qty_step)
        return abs(hedged_notional(count, p0, size, contract_type=kind))

    if kind == "linear":
        q = lot(exposure) / p0
        for b in tiers:
            if b.contains(q * k * p0) or b is tiers[-1]:
                break
        wallet = q * p0 * (k * (1.0 + b.maintenance_rate) - 1.0) - b.maintenance_amount
        if wallet < 0:
            raise _unreachable(distance, "the tier's maintenance amount alone keeps it further away")
        return wallet
    collateral, b = _inverse_collateral(exposure, p0, k, tiers)
    if exposure <= b.maintenance_amount * p0:
        raise _unreachable(distance, "the tier's maintenance amount exceeds the exposure: it cannot be liquidated")
    for _ in range(8):  # re-solve for the rounded count until the count is stable
        notional = lot(exposure + collateral * p0)
        again = notional / p0 - b.maintenance_amount - notional * (1.0 - b.maintenance_rate) / (k * p0)
        if lot(exposure + again * p0) == notional:
            collateral = again
            break
        collateral = again
    if collateral < 0:
        raise _unreachable(distance, "even with no collateral the liquidation price is further away")
    return collateral
