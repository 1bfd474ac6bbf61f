"""The whole hedge plan in one call: size, margin, liquidation, funding, residual delta."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from ._validation import require_positive
from .contracts import resolve_contract
from .funding import funding_cost_usd
from .margin import DEFAULT_MAINTENANCE_RATE, effective_leverage, initial_margin, liquidation_price
from .sizing import contracts_for_notional, hedge_notional, hedged_notional

__all__ = ["HedgePlan", "hedge_plan", "PLAN_LABELS"]


@dataclass(frozen=True)
class HedgePlan:
    """Result of :func:`hedge_plan`. Amounts in USD unless the name says otherwise."""

    contract_type: str
    hedge_notional_usd: float
    contracts: float
    hedged_notional_usd: float
    residual_usd: float
    initial_margin: float
    initial_margin_usd: float
    wallet_balance: float
    effective_leverage: float
    liquidation_price_usd: float
    liquidation_distance: float
    funding_per_day_usd: float
    net_delta_usd: float

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def margin_unit(self) -> str:
        """``coin`` for inverse (margin in the hedge coin), ``USD`` for linear (USDT)."""
        return "coin" if self.contract_type == "inverse" else "USD"


#: (field, label) pairs for label/value tables (Excel ``HEDGE_PLAN``, CLI, reports).
PLAN_LABELS = (
    ("hedge_notional_usd", "Hedge notional (USD)"),
    ("contracts", "Contracts to short"),
    ("hedged_notional_usd", "Notional hedged (USD)"),
    ("residual_usd", "Residual exposure (USD)"),
    ("initial_margin", "Initial margin (coin for inverse, USD for linear)"),
    ("initial_margin_usd", "Initial margin (USD)"),
    ("effective_leverage", "Effective leverage (x)"),
    ("liquidation_price_usd", "Liquidation price (USD)"),
    ("liquidation_distance", "Liquidation distance from price"),
    ("funding_per_day_usd", "Funding paid per day (USD, negative = received)"),
    ("net_delta_usd", "Net delta after hedge (USD)"),
)
assert {f for f, _ in PLAN_LABELS} <= {f.name for f in fields(HedgePlan)}


def hedge_plan(
    exposure_usd: float,
    price_usd: float,
    contract_size: float | str,
    *,
    hedge_ratio: float = 1.0,
    contract_type: str = "inverse",
    rounding: str = "nearest",
    collateral_coin: float = 0.0,
    leverage: float = 1.0,
    maintenance_rate: float = DEFAULT_MAINTENANCE_RATE,
    funding_rate: float = 0.0,
    interval_hours: float = 8.0,
) -> HedgePlan:
    """Size a short hedge and describe its margin, liquidation price and funding.

    The wallet behind the short is the coin collateral when ``collateral_coin > 0``
    (inverse, cross mode on same-coin collateral); otherwise the initial margin at
    ``leverage`` (isolated). Linear hedges are backed by ``notional/leverage`` USDT.

    ``net_delta_usd`` is the USD delta left after the hedge, counting coin in the
    account as a long: with no collateral given, an inverse hedge's initial margin
    is coin the user must post, and it is left unhedged (the seed article's trap).

    Examples
    --------
    DOMAIN.md §9: E = 24,000 USD, 0.25 BTC collateral, BTC 64,000, BTCUSD_PERP, MMR 0.4 %:

    >>> p = hedge_plan(24_000, 64_000, "binance:BTCUSD_PERP", collateral_coin=0.25, maintenance_rate=0.004)
    >>> p.contracts, round(p.liquidation_price_usd, 6), p.effective_leverage
    (400.0, 106240.0, 2.5)
    """
    size, kind = resolve_contract(contract_size, contract_type)
    price = require_positive("price_usd", price_usd)
    wanted = hedge_notional(
        exposure_usd, price, hedge_ratio=hedge_ratio, contract_type=kind, collateral_coin=collateral_coin
    )
    count = contracts_for_notional(wanted, price, size, contract_type=kind, rounding=rounding)
    covered = hedged_notional(count, price, size, contract_type=kind)
    margin = initial_margin(abs(covered), price, leverage, contract_type=kind)
    margin_usd = margin * price if kind == "inverse" else margin
    collateral = float(collateral_coin) if kind == "inverse" else 0.0
    wallet = collateral if collateral > 0 else margin
    wallet_usd = wallet * price if kind == "inverse" else wallet
    side = "short" if count >= 0 else "long"
    lp = liquidation_price(
        price,
        abs(count),
        wallet,
        side=side,
        contract_type=kind,
        contract_size=size,
        maintenance_rate=maintenance_rate,
    )
    distance = lp / price - 1.0 if math.isfinite(lp) else math.inf
    # Coin in an inverse account is a long position in the hedge coin: the collateral when
    # given (already in ``wanted``), otherwise the initial margin, which the user must post in coin.
    unhedged_margin_usd = margin_usd if kind == "inverse" and collateral == 0 else 0.0
    net_delta = wanted - covered + unhedged_margin_usd
    return HedgePlan(
        contract_type=kind,
        hedge_notional_usd=wanted,
        contracts=count,
        hedged_notional_usd=covered,
        residual_usd=wanted - covered,
        initial_margin=margin,
        initial_margin_usd=margin_usd,
        wallet_balance=wallet,
        effective_leverage=effective_leverage(abs(covered), wallet_usd),
        liquidation_price_usd=lp,
        liquidation_distance=distance,
        funding_per_day_usd=funding_cost_usd(abs(covered), funding_rate, 1.0, side=side, interval_hours=interval_hours)
        + 0.0,
        net_delta_usd=net_delta,
    )
