"""From today's position to the trade: how many contracts to short more (or buy back).

The collateral to use is the **margin balance** (wallet balance + unrealised P&L), at today's
price — not the wallet balance and the entry price. For an inverse short on same-coin
collateral the account's coin delta is ``margin balance − Q/P`` (DOMAIN.md §8.1): after a rally
the short has lost coins that the wallet balance still counts, so sizing on the wallet balance
over-hedges (C = 1 BTC, short 50,000 USD at 50,000, BTC at 100,000: wallet 1 BTC, margin balance
0.5 BTC; the collateral left to hedge is 0.5 BTC = 50,000 USD, not 100,000). Marking the held
position to today's price, its liquidation price is the one of a position opened now at that
price on the margin balance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from ._validation import require_nonnegative, require_positive
from .brackets import Bracket
from .contracts import resolve_spec
from .margin import effective_leverage, liquidation_or_entry, margin_brackets
from .plan import HedgePlan, hedge_plan
from .sizing import _lot, hedged_notional, round_contracts

__all__ = ["Rebalance", "rebalance"]


@dataclass(frozen=True)
class Rebalance:
    """Result of :func:`rebalance`.

    Attributes
    ----------
    plan : HedgePlan
        The target hedge for today's exposure, price and margin balance.
    contracts_held : float
        Contracts short now.
    trade_contracts : float
        Contracts to trade: positive = short that many more, negative = buy that many back.
    trade_notional_usd : float
        USD notional of the trade (signed like ``trade_contracts``).
    leverage : float
        Effective leverage after the trade (x).
    liquidation_price_usd : float
        Liquidation price after the trade (``inf``: no rise can liquidate it).
    current_leverage, current_liquidation_price_usd : float
        The same for the position held now, before the trade.
    """

    plan: HedgePlan
    contracts_held: float
    trade_contracts: float
    trade_notional_usd: float
    leverage: float
    liquidation_price_usd: float
    current_leverage: float
    current_liquidation_price_usd: float

    def as_dict(self) -> dict:
        return asdict(self)


def rebalance(
    exposure_usd: float,
    price_usd: float,
    contract_size: float | str,
    contracts_held: float,
    margin_balance: float,
    *,
    hedge_ratio: float = 1.0,
    contract_type: str = "inverse",
    rounding: str = "nearest",
    leverage: float = 1.0,
    maintenance_rate: float | None = None,
    funding_rate: float = 0.0,
    interval_hours: float | None = None,
    brackets: Sequence[Bracket] | None = None,
    qty_step: float | None = None,
) -> Rebalance:
    """The trade that takes a held short hedge to the target for today's exposure.

    Parameters
    ----------
    exposure_usd, price_usd, contract_size
        As in :func:`~hedgecore.plan.hedge_plan`, at today's price.
    contracts_held : float
        Contracts short now (>= 0).
    margin_balance : float
        Wallet balance plus unrealised P&L now, in the margin unit (coin for inverse, USDT for
        linear). For inverse it is the collateral of the target plan (``Q = E·h + margin·P``).
    hedge_ratio, contract_type, rounding, leverage, maintenance_rate, funding_rate, interval_hours, brackets, qty_step
        As in :func:`~hedgecore.plan.hedge_plan`.

    Returns
    -------
    Rebalance

    Examples
    --------
    DOMAIN.md §9 a month on: BTC 80,000, alts now 30,000 USD (beta-weighted), 400 BTCUSD_PERP short
    from 64,000 on 0.25 BTC: unrealised −40,000·(1/64,000 − 1/80,000) = −0.125 BTC, margin
    balance 0.125 BTC. Target Q = 30,000 + 0.125·80,000 = 40,000 USD = 400 contracts: no trade.

    >>> r = rebalance(30_000, 80_000, "binance:BTCUSD_PERP", 400, 0.125, maintenance_rate=0.004)
    >>> r.trade_contracts, round(r.liquidation_price_usd, 2)
    (0.0, 106240.0)
    """
    size, kind, spec = resolve_spec(contract_size, contract_type)
    price = require_positive("price_usd", price_usd)
    held = require_nonnegative("contracts_held", contracts_held)
    balance = require_nonnegative("margin_balance", margin_balance)
    target = hedge_plan(
        exposure_usd, price, contract_size, hedge_ratio=hedge_ratio, contract_type=kind, rounding=rounding,
        collateral_coin=balance if kind == "inverse" else 0.0, leverage=leverage, maintenance_rate=maintenance_rate,
        funding_rate=funding_rate, interval_hours=interval_hours, brackets=brackets, wallet_balance=balance,
        qty_step=qty_step,
    )
    step = _lot(spec, qty_step)[0]
    trade = round_contracts(target.contracts - held, "nearest", step=step) if rounding != "none" else (
        target.contracts - held)
    held_usd = hedged_notional(held, price, size, contract_type=kind)
    tiers = margin_brackets(spec, maintenance_rate=maintenance_rate, brackets=brackets)
    position = held_usd if kind == "inverse" else held_usd / price
    current_lp = liquidation_or_entry(kind, -1, position, price, balance, tiers)[0]
    to_usd = price if kind == "inverse" else 1.0
    return Rebalance(
        plan=target,
        contracts_held=held,
        trade_contracts=trade + 0.0,
        trade_notional_usd=hedged_notional(trade, price, size, contract_type=kind) + 0.0,
        leverage=target.effective_leverage,
        liquidation_price_usd=target.liquidation_price_usd,
        current_leverage=effective_leverage(held_usd, balance * to_usd),
        current_liquidation_price_usd=current_lp if math.isfinite(current_lp) else math.inf,
    )
