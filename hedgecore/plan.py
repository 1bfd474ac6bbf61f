"""The whole hedge plan in one call: size, margin, liquidation, funding, residual delta, margin verdict."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields

from ._validation import require_nonnegative, require_positive
from .brackets import Bracket, pick_bracket
from .contracts import resolve_spec
from .funding import funding_cost_usd
from .margin import effective_leverage, initial_margin, liquidation_or_entry, margin_brackets, position_notional
from .sizing import contracts_for_notional, hedge_notional, hedged_notional

__all__ = ["HedgePlan", "hedge_plan", "PLAN_LABELS", "PLAN_RISK_LABELS"]

_DEFAULT_INTERVAL_HOURS = 8.0


@dataclass(frozen=True)
class HedgePlan:
    """Result of :func:`hedge_plan`. Amounts in USD unless the name says otherwise.

    Margin amounts (``initial_margin``, ``wallet_balance``, ``margin_shortfall``) are in the
    margin unit: coin for inverse, USDT for linear (:attr:`margin_unit`, :attr:`margin_asset`).

    Attributes added for the hedge's real risk
    ------------------------------------------
    margin_shortfall : float
        Margin to post on top of the wallet so it covers the initial margin at the chosen
        leverage (0 when it fits), margin unit.
    leverage_to_fit : float
        The lowest leverage at which the wallet covers the initial margin: notional / wallet
        value, i.e. the effective leverage (x). Exchanges with whole-number leverage need its ceiling.
    max_leverage : float
        Highest leverage the contract's tier at this size allows (x); NaN when the catalog has no
        tier table for the contract.
    margin_ok : bool
        The plan can be opened as given: no shortfall, the leverage within ``max_leverage`` and
        the wallet above maintenance margin.
    loss_if_liquidated_usd : float
        What is lost if the price spikes through the liquidation price and comes back: the
        wallet's USD value at entry (the liquidation takes the account; the coins come back).
    maintenance_rate : float
        Maintenance-margin rate of the tier at the liquidation price (at entry when there is none).
    funding_interval_hours : float
        Hours between funding payments used for ``funding_per_day_usd`` (the catalog's).
    """

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
    margin_asset: str = ""
    leverage: float = 1.0
    margin_shortfall: float = 0.0
    leverage_to_fit: float = math.nan
    max_leverage: float = math.nan
    margin_ok: bool = True
    loss_if_liquidated_usd: float = 0.0
    maintenance_rate: float = math.nan
    funding_interval_hours: float = _DEFAULT_INTERVAL_HOURS

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def margin_unit(self) -> str:
        """``coin`` for inverse (margin in the hedge coin), ``USD`` for linear (USDT)."""
        return "coin" if self.contract_type == "inverse" else "USD"

    @property
    def delta_verdict(self) -> str:
        """One sentence (< 255 characters): does the short cover the delta, margin coin included?

        With no collateral given, an inverse short's initial margin is coin the user must post, and
        that coin is itself a long position in the hedge coin: the hedge leaves it unhedged (the
        seed article's trap). The sentence says how much and how to fix it: count the coin as
        collateral, which needs a leverage above 1x, since at leverage ``L`` a short of ``E`` plus
        its own backing needs ``C = E / (P·(L − 1))`` coins (effective leverage ``1 + E/(C·P)``, DOMAIN.md §8.2).

        Examples
        --------
        The seed article's Alice ($50,000 of altcoins, ETH at $3,500, ETHUSD_PERP, no collateral):

        >>> print(hedge_plan(50_000, 3_500, "ETHUSD_PERP").delta_verdict)
        Not hedged: the 14.2857 ETH posted as margin is a $50,000 long in ETH, left unhedged. Count it as collateral: at 2x, 14.2857 ETH backs a $100,000 short covering both.
        >>> print(hedge_plan(50_000, 3_500, "ETHUSD_PERP", collateral_coin=14.2857, leverage=2).delta_verdict)
        On target: the short covers the delta wanted, margin coin included, to within $0.05 (contract rounding).
        """
        unhedged = self.net_delta_usd - self.residual_usd  # the margin coin left long (inverse, no collateral)
        if self.contract_type == "inverse" and unhedged > 0.005 and self.initial_margin > 0:
            price = self.initial_margin_usd / self.initial_margin
            unit = self.margin_asset or "coin"
            lev = self.leverage if self.leverage > 1 else 2.0
            coins = self.hedge_notional_usd / (price * (lev - 1.0))
            return (f"Not hedged: the {self.wallet_balance:.6g} {unit} posted as margin is a ${unhedged:,.0f} long in "
                    f"{unit}, left unhedged. Count it as collateral: at {lev:g}x, {coins:.6g} {unit} backs a "
                    f"${self.hedge_notional_usd + coins * price:,.0f} short covering both.")
        return (f"On target: the short covers the delta wanted, margin coin included, to within "
                f"${abs(self.residual_usd):,.2f} (contract rounding).")

    @property
    def margin_verdict(self) -> str:
        """One sentence (< 255 characters) saying whether the margin can be posted, and what to do if not.

        Examples
        --------
        >>> print(hedge_plan(50_000, 3_500, "ETHUSD_PERP", collateral_coin=14).margin_verdict)
        Cannot be opened: 28.2857 ETH initial margin at 1x, 14 ETH posted: post 14.2857 ETH more or set leverage to 2.03x or more.
        """
        unit = self.margin_asset or self.margin_unit
        if self.liquidation_distance == 0.0 and self.contracts:
            return (f"Cannot be opened: {self.wallet_balance:.6g} {unit} is below maintenance margin; "
                    "it would be liquidated at once.")
        if self.leverage > self.max_leverage:
            return f"Cannot be opened: leverage {self.leverage:g}x is above the {self.max_leverage:g}x this size allows."
        if self.margin_shortfall > 0:
            fix = f"post {self.margin_shortfall:.6g} {unit} more"
            if not self.leverage_to_fit > self.max_leverage:
                fix += f" or set leverage to {math.ceil(self.leverage_to_fit * 100) / 100:g}x or more"
            return (f"Cannot be opened: {self.initial_margin:.6g} {unit} initial margin at {self.leverage:g}x, "
                    f"{self.wallet_balance:.6g} {unit} posted: {fix}.")
        return (f"Margin fits: {self.initial_margin:.6g} {unit} initial margin at {self.leverage:g}x, "
                f"{self.wallet_balance:.6g} {unit} in the account.")


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
#: Labels of the margin and liquidation-risk fields (to be wired into the edges with PLAN_LABELS).
PLAN_RISK_LABELS = (
    ("wallet_balance", "Margin in the account (coin for inverse, USD for linear)"),
    ("margin_shortfall", "Margin still to post (coin for inverse, USD for linear)"),
    ("leverage_to_fit", "Leverage at which the margin fits (x)"),
    ("max_leverage", "Maximum leverage of the tier (x)"),
    ("loss_if_liquidated_usd", "Loss if liquidated and the price comes back (USD)"),
    ("maintenance_rate", "Maintenance margin rate at the liquidation price"),
    ("funding_interval_hours", "Funding interval (h)"),
)
assert {f for f, _ in PLAN_LABELS + PLAN_RISK_LABELS} <= {f.name for f in fields(HedgePlan)}


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
    maintenance_rate: float | None = None,
    funding_rate: float = 0.0,
    interval_hours: float | None = None,
    brackets: Sequence[Bracket] | None = None,
    wallet_balance: float | None = None,
    qty_step: float | None = None,
) -> HedgePlan:
    """Size a short hedge and describe its margin, liquidation price, funding and margin verdict.

    The wallet behind the short is ``wallet_balance`` when given; else the coin collateral when
    ``collateral_coin > 0`` (inverse, cross mode on same-coin collateral); else the initial margin
    at ``leverage`` (isolated). Linear hedges are backed by ``notional/leverage`` USDT unless
    ``wallet_balance`` (USDT) is given.

    ``net_delta_usd`` is the USD delta left after the hedge, counting coin in the account as a
    long: with no collateral given, an inverse hedge's initial margin is coin the user must
    post, and it is left unhedged (the seed article's trap).

    Parameters
    ----------
    maintenance_rate : float, optional
        One maintenance tier at this rate. Default: the named contract's tier table
        (``tiers.csv``, re-solved at the liquidation price), else 0.5 %.
    brackets : sequence of Bracket, optional
        An explicit tier table (overrides both).
    interval_hours : float, optional
        Hours between funding payments; default the named contract's, else 8.
    wallet_balance : float, optional
        Margin in the account (coin for inverse, USDT for linear), e.g. today's margin balance.
    qty_step : float, optional
        Quantity step in contracts; default the catalog's, else whole contracts.

    Examples
    --------
    DOMAIN.md §9: E = 24,000 USD, 0.25 BTC collateral, BTC 64,000, BTCUSD_PERP, MMR 0.4 %:

    >>> p = hedge_plan(24_000, 64_000, "binance:BTCUSD_PERP", collateral_coin=0.25, maintenance_rate=0.004)
    >>> p.contracts, round(p.liquidation_price_usd, 6), p.effective_leverage, p.loss_if_liquidated_usd
    (400.0, 106240.0, 2.5, 16000.0)
    """
    size, kind, spec = resolve_spec(contract_size, contract_type)
    price = require_positive("price_usd", price_usd)
    lev = require_positive("leverage", leverage)
    wanted = hedge_notional(
        exposure_usd, price, hedge_ratio=hedge_ratio, contract_type=kind, collateral_coin=collateral_coin
    )
    count = contracts_for_notional(wanted, price, contract_size, contract_type=kind, rounding=rounding,
                                   qty_step=qty_step)
    covered = hedged_notional(count, price, size, contract_type=kind)
    margin = initial_margin(abs(covered), price, lev, contract_type=kind)
    to_usd = price if kind == "inverse" else 1.0
    collateral = float(collateral_coin) if kind == "inverse" else 0.0
    if wallet_balance is not None:
        wallet = require_nonnegative("wallet_balance", wallet_balance)
    else:
        wallet = collateral if collateral > 0 else margin
    tiers = margin_brackets(spec, maintenance_rate=maintenance_rate, brackets=brackets)
    side = -1 if count >= 0 else 1
    position = abs(covered) if kind == "inverse" else abs(covered) / price
    lp, mmr = liquidation_or_entry(kind, side, position, price, wallet, tiers)
    distance = lp / price - 1.0 if math.isfinite(lp) else math.inf
    max_lev = pick_bracket(tiers, position_notional(kind, position, price)).max_leverage
    max_lev = max_lev if math.isfinite(max_lev) else math.nan
    shortfall = max(margin - wallet, 0.0)
    # Coin in an inverse account is a long position in the hedge coin: the collateral when
    # given (already in ``wanted``), otherwise the wallet, which the user must post in coin.
    unhedged_margin_usd = wallet * price if kind == "inverse" and collateral == 0 else 0.0
    interval = interval_hours if interval_hours is not None else (
        spec.funding_interval_hours if spec is not None else _DEFAULT_INTERVAL_HOURS)
    funding = funding_cost_usd(abs(covered), funding_rate, 1.0, side="short" if side < 0 else "long",
                               interval_hours=interval)
    return HedgePlan(
        contract_type=kind,
        hedge_notional_usd=wanted,
        contracts=count,
        hedged_notional_usd=covered,
        residual_usd=wanted - covered,
        initial_margin=margin,
        initial_margin_usd=margin * to_usd,
        wallet_balance=wallet,
        effective_leverage=effective_leverage(abs(covered), wallet * to_usd),
        liquidation_price_usd=lp,
        liquidation_distance=distance,
        funding_per_day_usd=funding + 0.0,
        net_delta_usd=wanted - covered + unhedged_margin_usd,
        margin_asset=spec.margin_asset if spec is not None else ("" if kind == "inverse" else "USDT"),
        leverage=lev,
        margin_shortfall=shortfall,
        leverage_to_fit=effective_leverage(abs(covered), wallet * to_usd),
        max_leverage=max_lev,
        margin_ok=shortfall == 0 and not lev > max_lev and not (distance == 0.0 and count != 0),
        loss_if_liquidated_usd=wallet * to_usd if math.isfinite(lp) and lp > 0 else 0.0,
        maintenance_rate=mmr,
        funding_interval_hours=float(interval),
    )

