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

from ._validation import as_float, require_choice, require_nonnegative, require_positive
from .brackets import Bracket, brackets_from_rates, pick_bracket
from .contracts import ContractSpec, resolve_spec
from .errors import BelowMaintenanceError, InvalidInputError
from .pnl import side_sign

__all__ = [
    "DEFAULT_MAINTENANCE_RATE",
    "Bracket",
    "brackets_from_rates",
    "margin_brackets",
    "initial_margin",
    "maintenance_margin",
    "liquidation_price",
    "effective_leverage",
]

#: Default maintenance-margin rate: 0.5 % (Bybit's minimum inverse MMR for BTC; Binance tier 2).
#: Used as a single tier wherever no rate is given and the contract has no tier table.
DEFAULT_MAINTENANCE_RATE = 0.005

def margin_brackets(
    spec: ContractSpec | None = None,
    *,
    maintenance_rate: float | None = None,
    maintenance_amount: float = 0.0,
    brackets: Sequence[Bracket] | None = None,
) -> tuple[Bracket, ...]:
    """The tier table to use: ``brackets`` if given, else one tier at ``maintenance_rate`` if given,
    else the catalog contract's tiers, else one tier at :data:`DEFAULT_MAINTENANCE_RATE`.

    Examples
    --------
    >>> from hedgecore.contracts import get_contract
    >>> len(margin_brackets(get_contract("binance:BTCUSDT"))), margin_brackets(maintenance_rate=0.004)[0].cap
    (12, inf)
    """
    if brackets:
        return tuple(brackets)
    if maintenance_rate is None and spec is not None and spec.tiers:
        return spec.tiers
    rate = DEFAULT_MAINTENANCE_RATE if maintenance_rate is None else require_nonnegative(
        "maintenance_rate", maintenance_rate)
    if rate >= 1:
        raise InvalidInputError(f"maintenance_rate must be below 1, got {rate}")
    return (Bracket(0.0, math.inf, rate, require_nonnegative("maintenance_amount", maintenance_amount)),)


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
        b = pick_bracket(brackets, n)
        return n * b.maintenance_rate - b.maintenance_amount
    rate = DEFAULT_MAINTENANCE_RATE if maintenance_rate is None else require_nonnegative("maintenance_rate", maintenance_rate)
    return n * rate - require_nonnegative("maintenance_amount", maintenance_amount)


def _solve(kind: str, s: int, size: float, p0: float, wb: float, mmr: float, cum: float) -> float:
    """Closed-form LP for one bracket; ``inf`` / ``0.0`` when no adverse move liquidates, NaN when
    equity is below maintenance at every price."""
    if kind == "inverse":
        numerator = size * (mmr + s)
        denominator = wb + cum + s * size / p0
        if s < 0:  # short: liquidated by a rise
            return numerator / denominator if denominator < 0 else math.inf
        return numerator / denominator if denominator > 0 else math.nan
    numerator = wb + cum - s * size * p0
    denominator = size * (mmr - s)
    lp = numerator / denominator
    if s > 0:  # long: liquidated by a fall
        return max(lp, 0.0)
    return lp if lp > 0 else math.nan


def position_notional(kind: str, size: float, price: float) -> float:
    """Position notional at ``price``: coin for inverse (``size`` USD), quote for linear (``size`` coins)."""
    if kind == "inverse":
        return 0.0 if math.isinf(price) else (size / price if price > 0 else math.inf)
    return size * price


def solve_liquidation(
    kind: str, s: int, size: float, p0: float, wb: float, brackets: Sequence[Bracket]
) -> tuple[float, Bracket]:
    """Liquidation price and the bracket it falls in; raises :class:`BelowMaintenanceError`.

    ``size`` is the whole position (USD for inverse, coins for linear), ``wb`` the margin after
    the cross-mode adjustments. Each bracket gives a candidate; the right one is the bracket that
    holds the notional at its own candidate price (MM is continuous across edges thanks to the
    cum rule), re-solved as Binance does when the price lands in another bracket.
    """
    chosen = None
    for b in brackets:
        lp = _solve(kind, s, size, p0, wb, b.maintenance_rate, b.maintenance_amount)
        n = position_notional(kind, size, lp)
        if not math.isnan(lp) and (b.contains(n) or (b is brackets[-1] and n >= b.floor)):
            chosen = (lp, b)
            break
    if chosen is None:  # no self-consistent tier (degenerate tables): the bracket at entry
        b = pick_bracket(brackets, position_notional(kind, size, p0))
        chosen = (_solve(kind, s, size, p0, wb, b.maintenance_rate, b.maintenance_amount), b)
    lp, b = chosen
    if math.isnan(lp) or (s < 0 and lp < p0) or (s > 0 and lp > p0):
        at_entry = pick_bracket(brackets, position_notional(kind, size, p0))
        mm = position_notional(kind, size, p0) * at_entry.maintenance_rate - at_entry.maintenance_amount
        unit = "coin" if kind == "inverse" else "USDT"
        raise BelowMaintenanceError(
            f"margin {wb:.8g} {unit} is below maintenance margin at entry ({mm:.8g} {unit}): "
            "the position would be liquidated at once; post more margin or trade fewer contracts")
    return lp, b


def liquidation_or_entry(kind, side, size, price, wallet, tiers) -> tuple[float, float]:
    """``(liquidation price, MMR there)`` of :func:`solve_liquidation`; a wallet already below
    maintenance is liquidated at once, so its liquidation price is ``price`` itself."""
    if size == 0:
        return (0.0 if side > 0 else math.inf), tiers[0].maintenance_rate
    try:
        lp, bracket = solve_liquidation(kind, side, size, price, wallet, tiers)
    except BelowMaintenanceError:
        return price, pick_bracket(tiers, position_notional(kind, size, price)).maintenance_rate
    return lp, bracket.maintenance_rate


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
        USD face value (inverse) or coins (linear) per contract, or a catalog name, whose tier
        table (``tiers.csv``) is then used unless ``maintenance_rate`` or ``brackets`` is given.
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

    Raises
    ------
    BelowMaintenanceError
        The margin is already below the maintenance margin at ``entry_price`` (the position is
        liquidated at once; the formula would give a price on the wrong side of entry).

    Examples
    --------
    Binance COIN-M, DOMAIN.md §9: cross short 400 BTCUSD_PERP at 64,000 on 0.25 BTC, MMR 0.4 %:

    >>> round(liquidation_price(64_000, 400, 0.25, side="short", contract_size=100,
    ...                         maintenance_rate=0.004), 6)
    106240.0
    """
    size_each, kind, spec = resolve_spec(contract_size, contract_type)
    size_each = require_positive("contract_size", size_each)
    p0 = require_positive("entry_price", entry_price)
    n = require_nonnegative("contracts", contracts)
    wb = require_nonnegative("wallet_balance", wallet_balance)
    wb = wb - require_nonnegative("other_maintenance", other_maintenance) + as_float(
        "other_unrealized_pnl", other_unrealized_pnl
    )
    s = side_sign(side)
    tiers = margin_brackets(spec, maintenance_rate=maintenance_rate, maintenance_amount=maintenance_amount,
                            brackets=brackets)
    size = n * size_each
    if size == 0:
        return 0.0 if s > 0 else math.inf
    return solve_liquidation(kind, s, size, p0, wb, tiers)[0]


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


