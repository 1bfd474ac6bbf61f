"""Backtest a hedge over history: hold the basket, run the short, pay or receive funding, rebalance.

One row per bar of the price history (daily closes, or hourly). At each close the hedge may trade;
between closes the position is held. Mechanics are the core's (DOMAIN.md §3–§8):

* **inverse** (coin-margined): the margin balance ``M`` is in the hedge coin; a short of ``n``
  contracts of face ``F`` USD gains ``n·F·(1/P_t − 1/P_{t−1})`` coin per bar (§4.1), receives
  ``n·F·rate/P`` coin at each funding settlement with a positive rate (§3), and the target
  notional counts the coin margin as a long position, ``Q = E·β + M·P`` (§8.2);
* **linear** (USDT-margined): ``M`` is in USDT, the short of ``n·s`` coins gains ``n·s·(P_{t−1} − P_t)``,
  funding is ``n·s·P·rate`` USDT, and ``Q = E·β``.

The account is marked to market every bar, so its margin balance is Binance's wallet balance plus
unrealised P&L; the liquidation price of :func:`~hedgecore.margin.liquidation_price` is the same
whether it is computed from (wallet, average entry) or from (margin balance, last close), since
``WB + UPnL − side·Q/P = WB − side·Q/P_entry``. The beta behind the target is the one known at each
close (:func:`~hedgecore.stats.rolling_beta` and :func:`~hedgecore.stats.ewm_beta` are causal).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ._typing import HEDGE_RATIO_MODES, POLICIES
from ._validation import as_float, describe_value, require_choice, require_nonnegative, require_positive
from .contracts import CONTRACT_TYPES, get_contract
from .errors import DataError, InvalidInputError
from .margin import DEFAULT_MAINTENANCE_RATE, Bracket
from .sizing import ROUNDING_MODES, contracts_for_notional, hedge_notional, round_contracts
from .stats import ewm_beta, rolling_beta

__all__ = [
    "BACKTEST_COLUMNS",
    "BACKTEST_SUMMARY_LABELS",
    "POLICIES",
    "BacktestResult",
    "BacktestSummary",
    "backtest",
    "backtest_verdict",
]

_DRIFTS = ("notional", "beta")
_DAY_NS = 86_400 * 10**9
_FIRST_WINDOW = 32  # rows looked ahead after an event; doubles while nothing happens
_SAME = 1e-9  # contract counts this close (relative) are the same count

#: Columns of :attr:`BacktestResult.daily`, in order. Values are at each close, after its trade.
BACKTEST_COLUMNS = (
    "hedge_price_usd",
    "basket_usd",
    "hedge_ratio",
    "target_notional_usd",
    "contracts",
    "hedge_notional_usd",
    "margin_balance",
    "margin_balance_usd",
    "liquidation_price_usd",
    "hedged_usd",
    "unhedged_usd",
    "hedged_coin",
    "unhedged_coin",
    "drawdown_hedged",
    "drawdown_unhedged",
    "cum_funding_usd",
    "cum_fees_usd",
    "cum_deposits_usd",
    "trade",
    "liquidated",
)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestSummary:
    """Summary figures of a backtest. Returns and drawdowns are fractions (−0.25 = −25 %).

    Attributes
    ----------
    start, end : pandas.Timestamp
        First row (the close where the hedge opens) and last row.
    periods : int
        Number of returns (rows − 1).
    total_return_hedged, total_return_unhedged : float
        Time-weighted total return: deposits made to reopen after a liquidation are not gains.
    volatility_hedged, volatility_unhedged : float
        Annualised standard deviation of the per-row returns (365 days a year: × √365 for daily
        rows, × √8,760 for hourly).
    variance_reduction : float
        ``1 − Var(hedged)/Var(unhedged)`` of the per-row returns (Ederington's hedging effectiveness).
    max_drawdown_hedged, max_drawdown_unhedged : float
        Worst fall from a running peak of the time-weighted value (≤ 0).
    worst_day_*, worst_week_*, worst_month_* : float
        Worst return over a calendar day, week (ending Sunday) or month, from the previous period's
        last close (the opening close for the first period).
    tracking_error : float
        Annualised standard deviation of the return the hedge's distance from its target cost or
        added, ``−(Q_held − Q_target)·r_hedge / V`` per row (the USD P&L of a short is ``−Q·r``, §4.3).
    funding_paid_usd : float
        Funding paid in USD at each settlement's price; **negative = received** (a short receives
        positive funding).
    fees_usd, slippage_usd : float
        Taker fees and the slippage allowance on every trade, USD.
    deposits_usd : float
        Collateral deposited to reopen the hedge after liquidations, USD.
    trades : int
        Trades that changed the contract count, the opening one included.
    liquidations : int
    liquidation_dates : tuple of pandas.Timestamp
    final_hedged_usd, final_unhedged_usd : float
        Value on the last row: the basket plus the hedge account, and the basket plus the
        collateral left untouched.
    liquidation_check : str
        ``"close"`` or ``"high"``: which price of each bar was tested against the liquidation price.
    verdict : str
        The outcome in a sentence or two, the way a trader would say it: liquidations first
        (and whether the basket then ran unhedged), then whether the hedge cut the risk or added
        to it (:func:`backtest_verdict`).
    """

    start: pd.Timestamp
    end: pd.Timestamp
    periods: int
    total_return_hedged: float
    total_return_unhedged: float
    volatility_hedged: float
    volatility_unhedged: float
    variance_reduction: float
    max_drawdown_hedged: float
    max_drawdown_unhedged: float
    worst_day_hedged: float
    worst_day_unhedged: float
    worst_week_hedged: float
    worst_week_unhedged: float
    worst_month_hedged: float
    worst_month_unhedged: float
    tracking_error: float
    funding_paid_usd: float
    fees_usd: float
    slippage_usd: float
    deposits_usd: float
    trades: int
    liquidations: int
    liquidation_dates: tuple[pd.Timestamp, ...]
    final_hedged_usd: float
    final_unhedged_usd: float
    liquidation_check: str
    verdict: str

    def as_dict(self) -> dict:
        """The fields as an ordered ``{name: value}`` dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: (field, label) pairs of :class:`BacktestSummary`, in display order (Excel, CLI, reports).
BACKTEST_SUMMARY_LABELS = (
    ("start", "Start"),
    ("end", "End"),
    ("periods", "Periods (returns)"),
    ("total_return_hedged", "Total return, hedged"),
    ("total_return_unhedged", "Total return, unhedged"),
    ("volatility_hedged", "Volatility, hedged (annualised)"),
    ("volatility_unhedged", "Volatility, unhedged (annualised)"),
    ("variance_reduction", "Variance reduction"),
    ("max_drawdown_hedged", "Max drawdown, hedged"),
    ("max_drawdown_unhedged", "Max drawdown, unhedged"),
    ("worst_day_hedged", "Worst day, hedged"),
    ("worst_day_unhedged", "Worst day, unhedged"),
    ("worst_week_hedged", "Worst week, hedged"),
    ("worst_week_unhedged", "Worst week, unhedged"),
    ("worst_month_hedged", "Worst month, hedged"),
    ("worst_month_unhedged", "Worst month, unhedged"),
    ("tracking_error", "Tracking error to target (annualised)"),
    ("funding_paid_usd", "Funding paid (USD, negative = received)"),
    ("fees_usd", "Trading fees (USD)"),
    ("slippage_usd", "Slippage (USD)"),
    ("deposits_usd", "Collateral deposited to reopen (USD)"),
    ("trades", "Trades"),
    ("liquidations", "Liquidations"),
    ("liquidation_dates", "Liquidation dates"),
    ("final_hedged_usd", "Final value, hedged (USD)"),
    ("final_unhedged_usd", "Final value, unhedged (USD)"),
    ("liquidation_check", "Liquidation checked on"),
    ("verdict", "Verdict"),
)
assert [f for f, _ in BACKTEST_SUMMARY_LABELS] == [f.name for f in fields(BacktestSummary)]


@dataclass(frozen=True)
class BacktestResult:
    """Result of :func:`backtest`.

    Attributes
    ----------
    daily : pandas.DataFrame
        One row per bar with :data:`BACKTEST_COLUMNS` (values at the close, after its trade):
        ``hedge_ratio`` is the beta known at that close; ``target_notional_usd`` the hedge the
        policy aims at; ``margin_balance`` is in :attr:`margin_unit`; ``liquidation_price_usd`` is
        ``inf`` when no rise can liquidate the short; ``hedged_usd`` = basket + hedge account,
        ``unhedged_usd`` = basket + the collateral left untouched; ``*_coin`` are the same in the
        hedge coin; ``cum_funding_usd`` is paid (negative = received); ``trade`` and ``liquidated``
        mark the events.
    events : pandas.DataFrame
        One row per trade or liquidation: ``event`` (open, rebalance, liquidation, reopen),
        ``price_usd`` (the close, or the liquidation price), ``contracts_before``, ``contracts_after``,
        ``cost_usd`` (fee + slippage), ``margin_balance`` after the event.
    summary : BacktestSummary
    contract_type : {"inverse", "linear"}
    hedge_asset : str
    margin_unit : str
        The hedge coin (inverse) or ``"USDT"`` (linear).
    policy : str
    liquidation_check : {"close", "high"}
    funding_source : {"history", "constant", "none"}
    periods_per_year : float
    """

    daily: pd.DataFrame
    events: pd.DataFrame
    summary: BacktestSummary
    contract_type: str
    hedge_asset: str
    margin_unit: str
    policy: str
    liquidation_check: str
    funding_source: str
    periods_per_year: float


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _Contract:
    kind: str
    size: float  # USD face (inverse) or coins (linear) per contract
    step: float  # contracts per order step
    rounding: str
    maintenance_rate: float
    maintenance_amount: float
    brackets: tuple[Bracket, ...] | None


@dataclass(frozen=True)
class _Policy:
    name: str
    threshold: float
    drift: str
    cooldown_ns: int
    min_trade_usd: float
    fee_frac: float
    slippage_frac: float
    reopen_ns: int | None
    scheduled: np.ndarray  # rows where the periodic policy rebalances


@dataclass(frozen=True)
class _Market:
    """Aligned arrays over the simulated rows."""

    index: pd.DatetimeIndex
    times: np.ndarray  # int64 ns of each row label
    price: np.ndarray  # hedge coin close, USD
    high: np.ndarray  # price tested against the liquidation price (the close in close mode)
    basket: np.ndarray  # E_t, USD
    ratio: np.ndarray  # beta known at each close
    funding_usd: np.ndarray  # USD a short receives per contract from the settlements booked on each row
    gain: np.ndarray  # cumulative account change per short contract (P&L + funding), account unit


def _catalog_defaults(contract: object, contract_type: str) -> dict:
    """Contract facts from a catalog name, or from the number given (then ``contract_type`` says which kind).

    The one place where catalog fields become backtest defaults: when the catalog carries tier
    tables, order steps or per-contract maintenance rates, each is one more key read from ``spec``.
    """
    facts = {"hedge_asset": None, "interval_hours": 8.0, "step": 1.0, "brackets": None,
             "maintenance_rate": DEFAULT_MAINTENANCE_RATE}
    try:
        size = float(contract.strip()) if isinstance(contract, str) else contract
    except ValueError:
        spec = get_contract(contract)
        return facts | {"kind": spec.contract_type, "size": spec.contract_size, "hedge_asset": spec.base_asset,
                        "interval_hours": spec.funding_interval_hours, "step": spec.qty_step,
                        "brackets": spec.tiers or None}
    return facts | {"kind": require_choice("contract_type", contract_type, CONTRACT_TYPES),
                    "size": require_positive("contract", size)}


def _utc_naive(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Naive UTC at nanosecond resolution (``asi8`` is then in ns whatever unit pandas parsed)."""
    index = index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index
    return index.as_unit("ns")


def _as_frame(prices: object) -> pd.DataFrame:
    if not isinstance(prices, pd.DataFrame) or not isinstance(prices.index, pd.DatetimeIndex):
        raise InvalidInputError("prices must be a pandas DataFrame with a DatetimeIndex (one column per coin)")
    return prices


def _column(frame: pd.DataFrame, name: object, what: str, where: str = "prices") -> object:
    """The column of ``frame`` called ``name`` (case-insensitive)."""
    if name in frame.columns:
        return name
    by_lower = {str(c).lower(): c for c in frame.columns}
    if str(name).lower() not in by_lower:
        cols = ", ".join(map(str, frame.columns))
        raise InvalidInputError(f"{what} {describe_value(name)} is not a column of {where} (columns: {cols})"[:250])
    return by_lower[str(name).lower()]


def _prices_table(frame: pd.DataFrame, columns: list) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Dates (naive UTC, sorted) and the needed columns as floats; rows with a missing price dropped."""
    if all(t.kind == "f" for t in frame.dtypes):  # float columns: one conversion, no per-column parsing
        values = frame.to_numpy(dtype=float)[:, [frame.columns.get_loc(c) for c in columns]]
    else:
        values = frame[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    index = _utc_naive(frame.index)
    if not index.is_monotonic_increasing:
        order = np.argsort(index.asi8, kind="stable")
        index, values = index[order], values[order]
    if index.has_duplicates:
        raise DataError(f"prices has the date {index[index.duplicated()][0]} twice")
    ok = np.isfinite(values).all(axis=1)
    if not ok.all():
        index, values = index[ok], values[ok]
    bad = values <= 0
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(f"prices {columns[c]} must be positive, got {values[r, c]:g} on {index[r].date()}")
    return index, values


def _basket(quantities: object, frame: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    if not isinstance(quantities, Mapping) or not quantities:
        raise InvalidInputError("quantities must be a non-empty mapping {coin: quantity held}")
    cols = [_column(frame, k, "quantities coin") for k in quantities]
    qty = np.array([require_nonnegative(f"quantities[{k}]", v) for k, v in quantities.items()])
    if not (qty > 0).any():
        raise InvalidInputError("quantities must hold at least one coin with a positive quantity")
    return cols, qty


def _ratios(value: np.ndarray, price: np.ndarray, hedge_ratio: object, window: object, halflife: object) -> np.ndarray:
    """Hedge ratio known at each row: fixed, or a causal rolling / EWM beta (NaN while warming up)."""
    if not isinstance(hedge_ratio, str):
        return np.full(price.size, as_float("hedge_ratio", hedge_ratio))
    try:
        return np.full(price.size, float(hedge_ratio.strip()))
    except ValueError:
        pass
    mode = require_choice("hedge_ratio", hedge_ratio, HEDGE_RATIO_MODES)
    w = as_float("window", window)
    if not w.is_integer() or w < 2:
        raise InvalidInputError(f"window must be a whole number of returns >= 2, got {describe_value(window)}")
    if mode == "rolling":
        betas = np.asarray(rolling_beta(value, price, int(w)), dtype=float)
    else:
        betas = np.asarray(ewm_beta(value, price, require_positive("halflife", halflife)), dtype=float)
        betas[: int(w)] = np.nan  # first used once `window` returns are known, as the rolling beta
    known = np.isfinite(betas)
    if known.any() and not known[np.argmax(known):].all():  # a gap (constant stretch) keeps the last beta
        betas = pd.Series(betas).ffill().to_numpy()
    return betas


def _bar_ns(index: pd.DatetimeIndex) -> int:
    step = np.diff(index.asi8)
    return int(np.median(step)) if step.size else _DAY_NS


def _funding_rates(funding: object, close_ns: np.ndarray, interval_hours: float) -> tuple[np.ndarray, str]:
    """Summed funding rate booked on each row, and where it came from.

    A settlement at time τ is booked on the first row whose close is at or after τ and paid by the
    position held into that close; settlements at or before the first close (the opening trade)
    and after the last close are outside the backtest.
    """
    rates = np.zeros(close_ns.size)
    if funding is None:
        return rates, "none"
    step = int(round(interval_hours * 3_600e9))
    if isinstance(funding, pd.Series):
        when, values = _settlements(funding)
        if when.size == 0 or when.min() > close_ns[0] + step or when.max() < close_ns[-1] - step:
            have = "no rates" if when.size == 0 else f"{pd.Timestamp(when.min())} to {pd.Timestamp(when.max())}"
            raise DataError(f"funding history ({have}) does not cover the backtest, {pd.Timestamp(close_ns[0])} "
                            f"to {pd.Timestamp(close_ns[-1])}: pass start=/end= or a longer history")
        source = "history"
    else:
        rate = as_float("funding", funding)
        first = -(-int(close_ns[0]) // step) * step  # settlements at whole multiples of the interval (UTC)
        when = first + step * np.arange(max((int(close_ns[-1]) - first) // step + 1, 0), dtype=np.int64)
        values = np.full(when.size, rate)
        source = "constant"
    rows = np.searchsorted(close_ns, when, side="left")
    keep = (rows > 0) & (rows < close_ns.size)
    rates += np.bincount(rows[keep], weights=values[keep], minlength=close_ns.size)
    return rates, source


def _settlements(funding: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Settlement times (ns, naive UTC) and rates of a funding history; NaN rates are skipped."""
    if not isinstance(funding.index, pd.DatetimeIndex):
        raise InvalidInputError("funding must be a rate per interval or a pandas Series with a DatetimeIndex")
    if pd.api.types.is_numeric_dtype(funding.dtype) and not pd.api.types.is_bool_dtype(funding.dtype):
        values = funding.to_numpy(dtype=float, na_value=np.nan)
    else:
        values = pd.to_numeric(funding, errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(np.isnan(values) & funding.notna().to_numpy())
        if bad.size:
            raise DataError(f"funding rate on {funding.index[bad[0]]} is not a number: {describe_value(funding.iloc[bad[0]])}")
    if np.isinf(values).any():
        raise DataError("funding rates must be finite")
    keep = ~np.isnan(values)
    return _utc_naive(funding.index).asi8[keep], values[keep]


def _window_rows(index: pd.DatetimeIndex, start: object, end: object) -> tuple[int, int]:
    lo, hi = 0, index.size
    if start is not None:
        lo = int(index.searchsorted(_timestamp("start", start), side="left"))
    if end is not None:
        hi = int(index.searchsorted(_timestamp("end", end), side="right"))
    return lo, hi


def _timestamp(name: str, value: object) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must be a date, got {describe_value(value)}") from None
    return ts.tz_convert("UTC").tz_localize(None) if ts.tz is not None else ts


def _schedule(times: np.ndarray, every_days: float) -> np.ndarray:
    """Rows of the periodic rebalances: the first row at or after start + k·every_days, k ≥ 1."""
    out = np.zeros(times.size, dtype=bool)
    step = max(int(round(every_days * _DAY_NS)), 1)
    marks = times[0] + step * np.arange(1, (times[-1] - times[0]) // step + 1, dtype=np.int64)
    rows = np.searchsorted(times, marks, side="left")
    out[rows[rows < times.size]] = True
    return out


# --------------------------------------------------------------------------- mechanics


def _held_usd(ct: _Contract, contracts: np.ndarray | float, price: np.ndarray | float) -> np.ndarray | float:
    return contracts * ct.size if ct.kind == "inverse" else contracts * ct.size * price


def _target_usd(ct: _Contract, basket: np.ndarray, ratio: np.ndarray, margin: np.ndarray, price: np.ndarray):
    """Target short notional (never negative): ``E·β + M·P`` inverse (§8.2), ``E·β`` linear."""
    target = basket * ratio + (margin * price if ct.kind == "inverse" else 0.0)
    return np.maximum(target, 0.0)


def _solve_short(ct: _Contract, size: np.ndarray, wallet: np.ndarray, ref: np.ndarray, mmr: float, cum: float):
    """Liquidation price of a short for one tier (margin._solve, over arrays); ``inf`` when none."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if ct.kind == "inverse":
            denominator = wallet + cum - size / ref
            lp = np.where(denominator < 0, size * (mmr - 1.0) / denominator, np.inf)
        else:
            lp = np.maximum((wallet + cum + size * ref) / (size * (mmr + 1.0)), 0.0)
    return np.where(size > 0, lp, np.inf)


def _liquidation_prices(ct: _Contract, contracts, wallet, ref) -> np.ndarray:
    """Vectorised :func:`~hedgecore.margin.liquidation_price` of the short (same tier choice).

    ``wallet`` is the margin balance at the reference price ``ref`` (the last close). A short
    already below maintenance at ``ref`` (the core solves below ``ref``), or with a negative margin
    (the core rejects it), is liquidated at once: its liquidation price is ``ref`` itself.
    """
    size = np.broadcast_to(np.asarray(contracts, dtype=float) * ct.size, np.shape(wallet))
    wallet = np.asarray(wallet, dtype=float)
    ref = np.asarray(ref, dtype=float)
    if ct.brackets:
        out = _tiered_short(ct, size, wallet, ref)
    else:
        out = _solve_short(ct, size, wallet, ref, ct.maintenance_rate, ct.maintenance_amount)
    return np.where((size > 0) & ((out < ref) | (wallet < 0)), ref, out)


def _tiered_short(ct: _Contract, size: np.ndarray, wallet: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """The tier holding the notional at its own candidate price (coin for inverse), else the one at ``ref``."""
    tiers = ct.brackets

    def notional_at(price: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.isinf(price), 0.0, size / price) if ct.kind == "inverse" else size * price

    out = np.full(wallet.shape, np.nan)
    candidates = [_solve_short(ct, size, wallet, ref, b.maintenance_rate, b.maintenance_amount) for b in tiers]
    for b, lp in zip(tiers, candidates):
        held = notional_at(lp)
        take = np.isnan(out) & (b.floor <= held) & ((held < b.cap) | (b is tiers[-1]))
        out[take] = lp[take]
    if np.isnan(out).any():  # no self-consistent tier: the tier at the reference price, as the core does
        held = notional_at(ref)
        for b, lp in reversed(list(zip(tiers, candidates))):
            take = np.isnan(out) & ((held >= b.floor) | (b is tiers[0]))
            out[take] = lp[take]
    return out


class _Path:
    """Per-row state written by the simulation (after each close's trade)."""

    def __init__(self, n_rows: int) -> None:
        self.contracts = np.zeros(n_rows)
        self.margin = np.zeros(n_rows)
        self.target = np.zeros(n_rows)
        self.fee_usd = np.zeros(n_rows)
        self.slippage_usd = np.zeros(n_rows)
        self.deposit_usd = np.zeros(n_rows)
        self.trade = np.zeros(n_rows, dtype=bool)
        self.liquidated = np.zeros(n_rows, dtype=bool)
        self.events: list[tuple] = []


class _Simulation:
    """The event loop: look ahead in vectorised windows for the next liquidation or rebalance.

    Between events the contract count is constant, so the margin balance of any later row is
    ``M_s + n·(G_t − G_s)`` with ``G`` the cumulative P&L-plus-funding of one short contract.
    Each window is checked at once; the first event is applied with the core's scalar sizing
    functions and the scan resumes after it. Cost: O(rows + events·window).
    """

    def __init__(self, mk: _Market, ct: _Contract, pol: _Policy, collateral: float) -> None:
        self.mk, self.ct, self.pol, self.collateral = mk, ct, pol, collateral
        self.path = _Path(mk.price.size)
        self.n = 0.0
        self.m = collateral
        self.last_trade_ns: int | None = None
        self.dead = False  # liquidated and not reopened
        self.reopen_at_ns: int | None = None
        self.window_lp: tuple[int, np.ndarray] = (0, np.empty(0))

    def run(self) -> _Path:
        mk, path = self.mk, self.path
        self.trade(0, "open")
        s, width, last = 0, _FIRST_WINDOW, mk.price.size - 1
        while s < last:
            if self.dead and self.reopen_at_ns is None:
                self.hold(s + 1, last + 1, np.full(last - s, self.m))
                break
            e = min(last, s + width)
            lo, hi = s + 1, e + 1
            m_close = self.m + self.n * (mk.gain[lo:hi] - mk.gain[s])
            liquid = self.liquidations(lo, hi, m_close)
            if self.dead:
                trigger = mk.times[lo:hi] >= self.reopen_at_ns
            else:
                trigger = self.triggers(lo, hi, m_close)
            events = liquid | trigger
            if not events.any():
                self.hold(lo, hi, m_close)
                self.m = float(m_close[-1])
                s, width = e, 2 * width
                continue
            j = int(np.argmax(events))
            k = lo + j
            self.hold(lo, k + 1, m_close[: j + 1])
            self.m = float(m_close[j])
            if liquid[j]:
                self.liquidate(k)
            if self.dead:
                if self.reopen_at_ns is not None and mk.times[k] >= self.reopen_at_ns:
                    self.reopen(k)
            else:
                self.trade(k, "rebalance")
            s, width = k, _FIRST_WINDOW
        return path

    def hold(self, lo: int, hi: int, margin: np.ndarray) -> None:
        mk, p = self.mk, self.path
        p.contracts[lo:hi] = self.n
        p.margin[lo:hi] = margin
        p.target[lo:hi] = _target_usd(self.ct, mk.basket[lo:hi], mk.ratio[lo:hi], margin, mk.price[lo:hi])

    def liquidations(self, lo: int, hi: int, m_close: np.ndarray) -> np.ndarray:
        """Rows where the bar's tested price reaches the liquidation price of the position held into it.

        The wallet tested is the previous close's margin plus this row's funding; the reference price
        is the previous close.
        """
        if self.n == 0:
            return np.zeros(hi - lo, dtype=bool)
        mk = self.mk
        m_prev = np.concatenate(([self.m], m_close[:-1]))
        received = self.n * mk.funding_usd[lo:hi] / (mk.price[lo:hi] if self.ct.kind == "inverse" else 1.0)
        ref = mk.price[lo - 1 : hi - 1]
        lp = _liquidation_prices(self.ct, self.n, m_prev + received, ref)
        self.window_lp = (lo, lp)
        return (mk.high[lo:hi] >= lp) | (lp <= ref)  # reached, or below maintenance from the start

    def triggers(self, lo: int, hi: int, m_close: np.ndarray) -> np.ndarray:
        mk, ct, pol = self.mk, self.ct, self.pol
        if pol.name == "none":
            return np.zeros(hi - lo, dtype=bool)
        price = mk.price[lo:hi]
        target = _target_usd(ct, mk.basket[lo:hi], mk.ratio[lo:hi], m_close, price)
        gap = np.abs(target - _held_usd(ct, self.n, price))
        ok = (gap > 0) & (gap >= pol.min_trade_usd)
        if self.last_trade_ns is not None and pol.cooldown_ns > 0:
            ok &= mk.times[lo:hi] - self.last_trade_ns >= pol.cooldown_ns
        if pol.name == "periodic":
            return ok & pol.scheduled[lo:hi]
        base = target if pol.drift == "notional" else mk.basket[lo:hi]
        with np.errstate(divide="ignore", invalid="ignore"):
            drift = np.where(base > 0, gap / base, np.inf)
        return ok & (drift > pol.threshold)

    def trade(self, k: int, event: str) -> None:
        """Trade at close ``k`` to the target, sized with the core's functions; no-op if the count stays."""
        mk, ct, pol, p = self.mk, self.ct, self.pol, self.path
        price = float(mk.price[k])
        collateral = max(self.m, 0.0) if ct.kind == "inverse" else 0.0
        wanted = hedge_notional(float(mk.basket[k]), price, hedge_ratio=float(mk.ratio[k]), contract_type=ct.kind,
                                collateral_coin=collateral)
        wanted = max(wanted, 0.0)
        raw = contracts_for_notional(wanted, price, ct.size, contract_type=ct.kind, rounding="none")
        count = round_contracts(raw / ct.step, ct.rounding) * ct.step
        p.target[k] = wanted
        p.contracts[k], p.margin[k] = self.n, self.m
        if abs(count - self.n) <= _SAME * max(abs(self.n), 1.0):  # unrounded counts: float noise is no trade
            return
        traded_usd = float(_held_usd(ct, abs(count - self.n), price))
        fee, slip = traded_usd * pol.fee_frac, traded_usd * pol.slippage_frac
        before = self.n
        self.m -= (fee + slip) / price if ct.kind == "inverse" else fee + slip
        self.n = count
        self.last_trade_ns = int(mk.times[k])
        p.contracts[k], p.margin[k], p.trade[k] = count, self.m, True
        p.fee_usd[k] += fee
        p.slippage_usd[k] += slip
        p.events.append((int(mk.times[k]), event, price, before, count, fee + slip, self.m))

    def liquidate(self, k: int) -> None:
        """The short is closed at its liquidation price; the margin left (the maintenance margin) is lost.

        Binance's insurance fund "will collect liquidation fees from clients that do not result in
        client bankruptcy" (https://www.binance.com/en/support/articles/360033525371-Insurance-Fund):
        the account of a liquidated single-position cross wallet ends at zero.
        """
        mk, p = self.mk, self.path
        lo, lp = self.window_lp
        p.events.append((int(mk.times[k]), "liquidation", float(lp[k - lo]), self.n, 0.0, 0.0, 0.0))
        self.n, self.m = 0.0, 0.0
        p.contracts[k], p.margin[k], p.liquidated[k] = 0.0, 0.0, True
        p.target[k] = float(_target_usd(self.ct, mk.basket[k : k + 1], mk.ratio[k : k + 1], np.zeros(1),
                                        mk.price[k : k + 1])[0])
        self.dead = True
        if self.pol.reopen_ns is not None:
            self.reopen_at_ns = int(mk.times[k]) + self.pol.reopen_ns

    def reopen(self, k: int) -> None:
        """Deposit the initial collateral again and open the hedge at the target."""
        mk = self.mk
        self.m += self.collateral
        self.path.deposit_usd[k] += self.collateral * (mk.price[k] if self.ct.kind == "inverse" else 1.0)
        self.dead, self.reopen_at_ns = False, None
        self.path.margin[k] = self.m
        self.trade(k, "reopen")


# --------------------------------------------------------------------------- outputs


def _growth(value: np.ndarray, deposits: np.ndarray, before: float) -> np.ndarray:
    """Time-weighted value index from ``before`` (the value ahead of the opening trade) = 1.

    ``r_t = (V_t − D_t)/V_{t−1} − 1``: a deposit made at a close is capital, not a return.
    """
    out = np.empty(value.size)
    out[0] = value[0] / before
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = (value[1:] - deposits[1:]) / value[:-1]
    out[1:] = out[0] * np.cumprod(growth)
    return out


def _drawdown(index: np.ndarray) -> np.ndarray:
    return index / np.maximum(np.maximum.accumulate(index), 1.0) - 1.0


def _daily(mk: _Market, ct: _Contract, path: _Path, collateral: float) -> tuple[dict, np.ndarray, np.ndarray]:
    """The daily columns (:data:`BACKTEST_COLUMNS`) and the hedged and unhedged time-weighted value indices."""
    inverse = ct.kind == "inverse"
    price, basket, n, m = mk.price, mk.basket, path.contracts, path.margin
    margin_usd = m * price if inverse else m
    hedged = basket + margin_usd
    unhedged = basket + (collateral * price if inverse else collateral)
    n_before = np.concatenate(([0.0], n[:-1]))  # funding is paid by the position held into the close
    g_h = _growth(hedged, path.deposit_usd, float(unhedged[0]))
    g_u = _growth(unhedged, np.zeros(price.size), float(unhedged[0]))
    columns = {
        "hedge_price_usd": price,
        "basket_usd": basket,
        "hedge_ratio": mk.ratio,
        "target_notional_usd": path.target,
        "contracts": n,
        "hedge_notional_usd": _held_usd(ct, n, price),
        "margin_balance": m,
        "margin_balance_usd": margin_usd,
        "liquidation_price_usd": _liquidation_prices(ct, n, m, price),
        "hedged_usd": hedged,
        "unhedged_usd": unhedged,
        "hedged_coin": hedged / price,
        "unhedged_coin": unhedged / price,
        "drawdown_hedged": _drawdown(g_h),
        "drawdown_unhedged": _drawdown(g_u),
        "cum_funding_usd": np.cumsum(-n_before * mk.funding_usd),
        "cum_fees_usd": np.cumsum(path.fee_usd + path.slippage_usd),
        "cum_deposits_usd": np.cumsum(path.deposit_usd),
        "trade": path.trade,
        "liquidated": path.liquidated,
    }
    return columns, g_h, g_u


def _period_keys(times: np.ndarray) -> dict[str, np.ndarray]:
    """Calendar day, week (Monday to Sunday, as pandas ``W-SUN``) and month of each ns timestamp."""
    days = times // _DAY_NS
    months = times.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    return {"day": days, "week": (days - 4) // 7, "month": months}  # 1970-01-05 was a Monday


def _worst(index: np.ndarray, key: np.ndarray) -> float:
    """Worst return over calendar periods, each from the previous period's last value (the opening close first)."""
    if index.size < 2:
        return math.nan
    k = key[1:]
    ends = np.flatnonzero(np.append(k[1:] != k[:-1], True)) + 1  # rows closing each period after the start
    last = index[ends]
    base = np.concatenate(([index[0]], last[:-1]))
    return float(np.min(last / base - 1.0))


def _summary(cols: dict, g_h: np.ndarray, g_u: np.ndarray, index: pd.DatetimeIndex, path: _Path, ppy: float,
             check: str) -> BacktestSummary:
    r_h, r_u = g_h[1:] / g_h[:-1] - 1.0, g_u[1:] / g_u[:-1] - 1.0
    keys = _period_keys(index.asi8)
    price, hedged = cols["hedge_price_usd"], cols["hedged_usd"]
    miss = (cols["hedge_notional_usd"] - cols["target_notional_usd"])[:-1]
    te = -miss * (price[1:] / price[:-1] - 1.0) / hedged[:-1]
    var_h, var_u = (float(np.var(r, ddof=1)) if r.size > 1 else math.nan for r in (r_h, r_u))
    liq_dates = tuple(index[path.liquidated])
    root = math.sqrt(ppy)
    vol_h, vol_u = math.sqrt(var_h) * root, math.sqrt(var_u) * root
    reduction = 1.0 - var_h / var_u if var_u > 0 else math.nan
    drawdowns = float(cols["drawdown_hedged"].min()), float(cols["drawdown_unhedged"].min())
    return BacktestSummary(
        start=index[0],
        end=index[-1],
        periods=index.size - 1,
        total_return_hedged=float(g_h[-1]) - 1.0,
        total_return_unhedged=float(g_u[-1]) - 1.0,
        volatility_hedged=vol_h,
        volatility_unhedged=vol_u,
        variance_reduction=reduction,
        max_drawdown_hedged=drawdowns[0],
        max_drawdown_unhedged=drawdowns[1],
        worst_day_hedged=_worst(g_h, keys["day"]),
        worst_day_unhedged=_worst(g_u, keys["day"]),
        worst_week_hedged=_worst(g_h, keys["week"]),
        worst_week_unhedged=_worst(g_u, keys["week"]),
        worst_month_hedged=_worst(g_h, keys["month"]),
        worst_month_unhedged=_worst(g_u, keys["month"]),
        tracking_error=float(np.std(te, ddof=1)) * root if te.size > 1 else math.nan,
        funding_paid_usd=float(cols["cum_funding_usd"][-1]),
        fees_usd=float(path.fee_usd.sum()),
        slippage_usd=float(path.slippage_usd.sum()),
        deposits_usd=float(path.deposit_usd.sum()),
        trades=int(path.trade.sum()),
        liquidations=len(liq_dates),
        liquidation_dates=liq_dates,
        final_hedged_usd=float(hedged[-1]),
        final_unhedged_usd=float(cols["unhedged_usd"][-1]),
        liquidation_check=check,
        verdict=backtest_verdict(liq_dates, bool(path.contracts[-1] > 0), float(path.deposit_usd.sum()),
                                 (vol_h, vol_u), reduction, drawdowns),
    )


def date_text(when: pd.Timestamp) -> str:
    """A bar's date as ISO text: ``2021-05-08``, or ``2021-05-08 16:00:00`` for an intraday bar."""
    return when.date().isoformat() if when == when.normalize() else when.isoformat(sep=" ")


def backtest_verdict(liquidation_dates: tuple[pd.Timestamp, ...], hedged_at_end: bool, deposits_usd: float,
                     volatility: tuple[float, float], variance_reduction: float,
                     max_drawdown: tuple[float, float]) -> str:
    """The outcome of a backtest in words: liquidations, then whether the hedge cut the risk.

    Parameters
    ----------
    liquidation_dates : tuple of pandas.Timestamp
    hedged_at_end : bool
        A hedge was held on the last row (False after a liquidation that was never reopened).
    deposits_usd : float
        Collateral deposited to reopen the hedge after liquidations, USD.
    volatility : (float, float)
        Annualised volatility hedged, unhedged (fractions).
    variance_reduction : float
        ``1 − Var(hedged)/Var(unhedged)``; NaN when unknown.
    max_drawdown : (float, float)
        Max drawdown hedged, unhedged (≤ 0).

    Examples
    --------
    >>> backtest_verdict((pd.Timestamp("2021-05-08"),), False, 0.0, (1.057, 0.917), -0.33, (-0.93, -0.89))
    'Liquidated on 2021-05-08 and not reopened: the margin was lost and the basket ran unhedged from then on. The hedge added risk: volatility 105.7% a year hedged vs 91.7% unhedged.'
    >>> backtest_verdict((), True, 0.0, (0.52, 0.91), 0.67, (-0.40, -0.80))
    'The hedge cut the variance by 67% (volatility 52.0% a year hedged vs 91.0% unhedged).'
    """
    parts = []
    if liquidation_dates:
        days = [date_text(d) for d in liquidation_dates]
        times = f"on {days[0]}" if len(days) == 1 else f"{len(days)} times ({days[0]} first, {days[-1]} last)"
        parts.append(f"Liquidated {times} and not reopened: the margin was lost and the basket ran unhedged "
                     "from then on." if not hedged_at_end else
                     f"Liquidated {times}: the margin was lost{' each time' if len(days) > 1 else ''} and the "
                     f"hedge was reopened with ${deposits_usd:,.0f} of new collateral in all.")
    vol = f"volatility {volatility[0]:.1%} a year hedged vs {volatility[1]:.1%} unhedged"
    if math.isnan(variance_reduction):
        parts.append("Too few returns to say whether the hedge cut the risk.")
    elif variance_reduction <= 0.0:
        parts.append(f"The hedge added risk: {vol}.")
    else:
        deeper = (f"; but its max drawdown was deeper, {max_drawdown[0]:.1%} vs {max_drawdown[1]:.1%}"
                  if max_drawdown[0] < max_drawdown[1] else "")
        parts.append(f"The hedge cut the variance by {variance_reduction:.0%} ({vol}){deeper}.")
    return " ".join(parts)


# --------------------------------------------------------------------------- public API


def _market(frame, cols, qty, hedge_col, high, ratios, span, funding, interval_hours, ct) -> tuple[_Market, str]:
    """Arrays over the simulated rows ``span``, with the funding booked per row (see :func:`backtest`)."""
    columns = list(dict.fromkeys([*cols, hedge_col]))
    all_index, table = _prices_table(frame, columns)
    value = table[:, [columns.index(c) for c in cols]] @ qty
    price_all = table[:, columns.index(hedge_col)]
    ratio_all = ratios(value, price_all)
    lo, hi = _window_rows(all_index, *span)
    known = np.flatnonzero(np.isfinite(ratio_all[lo:hi]))
    if known.size == 0 or hi - (lo + known[0]) < 2:
        raise InvalidInputError(f"not enough price history: {len(all_index)} usable rows, and the beta needs "
                                "a full window before the hedge opens (lower window= or give more history)")
    rows = slice(lo + int(known[0]), hi)
    index = all_index[rows]
    price = price_all[rows]
    close_ns = index.asi8 + _bar_ns(all_index)  # a row is labelled by its bar's open; it closes a bar later
    rates, source = _funding_rates(funding, close_ns, interval_hours)
    tested = price if high is None else _highs(high, hedge_col, index, price)
    received_usd = ct.size * rates * (1.0 if ct.kind == "inverse" else price)  # per contract, a short receives
    value_per = ct.size / price if ct.kind == "inverse" else -ct.size * price  # a short's P&L is its change
    received = received_usd / price if ct.kind == "inverse" else received_usd
    gain = (value_per - value_per[0]) + np.cumsum(received)
    mk = _Market(index=index, times=index.asi8, price=price, high=tested, basket=value[rows],
                 ratio=ratio_all[rows], funding_usd=received_usd, gain=gain)
    return mk, source


def _highs(high: object, hedge_col: object, index: pd.DatetimeIndex, price: np.ndarray) -> np.ndarray:
    """The hedge coin's highs on the simulated rows; the close where a high is missing or below it."""
    if isinstance(high, pd.DataFrame) and isinstance(high.index, pd.DatetimeIndex):
        high = high[_column(high, hedge_col, "hedge coin", "high")]
    if not isinstance(high, pd.Series) or not isinstance(high.index, pd.DatetimeIndex):
        raise InvalidInputError("high must be a Series (or DataFrame) of the hedge coin's highs with a DatetimeIndex")
    when = _utc_naive(high.index)
    if when.has_duplicates:
        raise DataError(f"high has the date {when[when.duplicated()][0]} twice")
    h = pd.to_numeric(high, errors="coerce").set_axis(when).reindex(index).to_numpy(dtype=float)
    return np.fmax(np.where(np.isfinite(h), h, price), price)


def backtest(
    prices: pd.DataFrame,
    quantities: Mapping[str, float],
    contract: str | float,
    *,
    hedge_asset: str | None = None,
    contract_type: str = "inverse",
    collateral_coin: float = 0.0,
    collateral_usd: float = 0.0,
    hedge_ratio: float | str = "rolling",
    window: int = 90,
    halflife: float = 30.0,
    policy: str = "threshold",
    threshold: float = 0.1,
    drift: str = "notional",
    every_days: float = 7.0,
    cooldown_days: float = 0.0,
    min_trade_usd: float = 0.0,
    fee_bps: float = 5.0,
    slippage_bps: float = 0.0,
    funding: pd.Series | float | None = None,
    interval_hours: float | None = None,
    maintenance_rate: float | None = None,
    maintenance_amount: float = 0.0,
    brackets: Sequence[Bracket] | None = None,
    contract_step: float | None = None,
    rounding: str = "nearest",
    high: pd.Series | pd.DataFrame | None = None,
    start: object = None,
    end: object = None,
    reopen_after_days: float | None = None,
    periods_per_year: float | None = None,
) -> BacktestResult:
    """Simulate holding a basket and running a short perpetual hedge over a price history.

    Parameters
    ----------
    prices : pandas DataFrame
        Closes in USD, one column per coin (the basket's coins and the hedge coin), indexed by the
        bars' open times (a daily row ``2022-11-09`` is the UTC day that closes at 2022-11-10 00:00),
        as :func:`~hedgecore.load_prices` returns. Rows with a missing price are dropped.
    quantities : mapping {coin: quantity}
        Coins held, constant over the backtest (buy and hold). May include the hedge coin.
    contract : str or float
        A catalog name (``"binance:ETHUSD_PERP"``), which sets the type, size, hedge coin and
        funding interval; or the contract size (USD face for inverse, coins for linear).
    hedge_asset : str, optional
        Column of the hedge coin; default the catalog contract's base coin.
    contract_type : {"inverse", "linear"}
        Used when ``contract`` is a number.
    collateral_coin : float
        Inverse: hedge-coin margin posted at the start (> 0; cross mode on same-coin collateral).
    collateral_usd : float
        Linear: USDT margin posted at the start (> 0).
    hedge_ratio : {"rolling", "ewm"} or float
        The beta behind the target: a rolling beta over ``window`` returns, an EWM beta with
        ``halflife`` (first used once ``window`` returns exist), both causal — or a fixed number.
        The backtest starts at the first row with a beta (or ``start``, if later).
    window : int
        Returns in the rolling window (rows, so hours for hourly data).
    halflife : float
        Half-life of the EWM beta, in returns.
    policy : {"none", "periodic", "threshold"}
        Never rebalance; rebalance to the target at the first close at or after every
        ``every_days``; or when the drift exceeds ``threshold``.
    threshold : float
        ``drift="notional"``: ``|Q_target − Q_held| / Q_target`` (0.1 = 10 %); ``drift="beta"``:
        ``|Q_target − Q_held| / E``, the hedge ratio gap in beta units.
    every_days, cooldown_days : float
        Period of the periodic policy; minimum time between two trades (all policies).
    min_trade_usd : float
        Skip rebalances whose USD gap to the target is smaller (hummingbot's ``min_notional_size``).
    fee_bps, slippage_bps : float
        Taker fee and slippage allowance, basis points of the traded notional (Binance's
        "notional value × fee rate"; regular-user futures taker 4–5 bps, fee-structure FAQ
        https://www.binance.com/en/support/faq/360033544231 — use your own rate).
    funding : pandas Series, float or None
        Rates per settlement (decimal, positive = longs pay shorts) indexed by settlement time
        (UTC; tz-aware or naive), e.g. :func:`~hedgecore.load_funding`; or one rate for every
        settlement at multiples of ``interval_hours`` (00:00, 08:00, 16:00 UTC for 8 h); or none.
    interval_hours : float, optional
        Funding interval; default the catalog contract's (else 8).
    maintenance_rate, maintenance_amount, brackets
        As in :func:`~hedgecore.margin.liquidation_price` (default MMR 0.5 %, cum 0).
    contract_step : float, optional
        Order step in contracts (default 1: whole contracts).
    rounding : {"none", "down", "nearest", "up"}
        Rounding of each new contract count to the step.
    high : pandas Series or DataFrame, optional
        The hedge coin's highs (or a frame with its column); then each bar's high is tested
        against the liquidation price instead of its close.
    start, end : date, optional
        Simulate only these rows (the beta still uses the history before ``start``).
    reopen_after_days : float, optional
        After a liquidation, reopen at the first close this many days later (0 = the same close),
        depositing the initial collateral again; default never.
    periods_per_year : float, optional
        Annualisation; default 365 days a year over the bar length (365 daily, 8,760 hourly).

    Returns
    -------
    BacktestResult
        ``daily`` series (:data:`BACKTEST_COLUMNS`), ``events`` and ``summary``
        (:data:`BACKTEST_SUMMARY_LABELS`).

    Raises
    ------
    InvalidInputError
        A bad option, a missing column, too little history for the beta, no collateral.
    DataError
        A duplicated date, a non-positive price, a funding history that does not cover the span.

    Notes
    -----
    Per bar: the position set at the previous close earns its P&L; the funding settlements
    booked on the bar are paid or received (in coin at the bar's close for inverse, constant in
    USD, §3); the bar's high (or close) is tested against the liquidation price — a liquidation
    closes the short and the account's margin is lost; then, at the close, the policy may trade
    to the target, paying ``fee_bps + slippage_bps`` on the traded notional. A settlement at τ is
    booked on the first bar whose close is at or after τ.

    Examples
    --------
    Hedge 10 ETH with the ETH inverse perp itself at β = 1 on 10 ETH of collateral, no fees:
    ``Q = 10·P + 10·P`` (§8.2), and the value stays at the opening 20 ETH's worth, 40,000 USD;
    the short has a liquidation price, at +99 % (``Q·(1 − MMR)/(E/P0)``, §8.2):

    >>> idx = pd.date_range("2024-01-01", periods=4, freq="D")
    >>> px = pd.DataFrame({"ETH": [2_000.0, 2_500.0, 1_600.0, 2_200.0]}, index=idx)
    >>> r = backtest(px, {"ETH": 10}, "binance:ETHUSD_PERP", collateral_coin=10, hedge_ratio=1.0,
    ...              policy="none", fee_bps=0)
    >>> float(r.daily["contracts"].iloc[0]), float(r.daily["liquidation_price_usd"].iloc[0])
    (4000.0, 3980.0)
    >>> r.daily["hedged_usd"].round(6).tolist(), r.summary.liquidations
    ([40000.0, 40000.0, 40000.0, 40000.0], 0)

    With 2 ETH of collateral the same hedge is 6x leveraged and the +25 % day liquidates it:

    >>> r = backtest(px, {"ETH": 10}, "binance:ETHUSD_PERP", collateral_coin=2, hedge_ratio=1.0,
    ...              policy="none", fee_bps=0)
    >>> float(r.daily["liquidation_price_usd"].iloc[0]), r.summary.liquidation_dates[0].date()
    (2388.0, datetime.date(2024, 1, 2))
    """
    frame = _as_frame(prices)
    facts = _catalog_defaults(contract, contract_type)
    kind = facts["kind"]
    coin = hedge_asset if hedge_asset is not None else facts["hedge_asset"]
    if coin is None:
        raise InvalidInputError("hedge_asset is required when contract is a size, not a catalog name")
    hedge_col = _column(frame, coin, "hedge_asset")
    cols, qty = _basket(quantities, frame)
    ct = _Contract(
        kind=kind,
        size=facts["size"],
        step=require_positive("contract_step", facts["step"] if contract_step is None else contract_step),
        rounding=require_choice("rounding", rounding, ROUNDING_MODES),
        maintenance_rate=_rate(facts["maintenance_rate"] if maintenance_rate is None else maintenance_rate),
        maintenance_amount=require_nonnegative("maintenance_amount", maintenance_amount),
        # given brackets, else a given rate (one tier), else the catalog's tiers, else the default rate
        brackets=tuple(brackets) if brackets else (facts["brackets"] if maintenance_rate is None else None),
    )
    collateral = _collateral(kind, collateral_coin, collateral_usd)
    hours = require_positive("interval_hours", facts["interval_hours"] if interval_hours is None else interval_hours)

    def ratios(value: np.ndarray, price: np.ndarray) -> np.ndarray:
        return _ratios(value, price, hedge_ratio, window, halflife)

    mk, source = _market(frame, cols, qty, hedge_col, high, ratios, (start, end), funding, hours, ct)
    pol = _policy(mk.times, policy, threshold, drift, every_days, cooldown_days, min_trade_usd, fee_bps,
                  slippage_bps, reopen_after_days)
    path = _Simulation(mk, ct, pol, collateral).run()
    cols, g_h, g_u = _daily(mk, ct, path, collateral)
    ppy = _periods_per_year(periods_per_year, mk.index)
    check = "close" if high is None else "high"
    daily = pd.DataFrame(cols, index=mk.index.rename("Date"), copy=False)
    events = _events_frame(path.events)
    return BacktestResult(
        daily=daily,
        events=events,
        summary=_summary(cols, g_h, g_u, mk.index, path, ppy, check),
        contract_type=kind,
        hedge_asset=str(hedge_col),
        margin_unit=str(hedge_col) if kind == "inverse" else "USDT",
        policy=pol.name,
        liquidation_check=check,
        funding_source=source,
        periods_per_year=ppy,
    )


_EVENT_COLUMNS = ("date", "event", "price_usd", "contracts_before", "contracts_after", "cost_usd", "margin_balance")


def _events_frame(events: list[tuple]) -> pd.DataFrame:
    """The events table from the simulation's (ns, event, five numbers) tuples, built column by column
    from typed arrays (half the time of pandas parsing the tuples)."""
    cols = list(zip(*events)) if events else [()] * len(_EVENT_COLUMNS)
    data = {"date": np.array(cols[0], dtype=np.int64).view("datetime64[ns]"),
            "event": np.array(cols[1], dtype=object)}
    data.update((name, np.array(c, dtype=float)) for name, c in zip(_EVENT_COLUMNS[2:], cols[2:]))
    return pd.DataFrame(data)


def _rate(value: object) -> float:
    rate = require_nonnegative("maintenance_rate", value)
    if rate >= 1:
        raise InvalidInputError(f"maintenance_rate must be below 1, got {describe_value(rate)}")
    return rate


def _collateral(kind: str, coin: object, usd: object) -> float:
    coin, usd = require_nonnegative("collateral_coin", coin), require_nonnegative("collateral_usd", usd)
    if kind == "inverse":
        if usd:
            raise InvalidInputError("an inverse hedge is margined in the hedge coin: give collateral_coin, not collateral_usd")
        if coin <= 0:
            raise InvalidInputError("collateral_coin must be positive: an inverse short needs hedge-coin margin")
        return coin
    if coin:
        raise InvalidInputError("a linear hedge is margined in USDT: give collateral_usd, not collateral_coin")
    if usd <= 0:
        raise InvalidInputError("collateral_usd must be positive: a linear short needs USDT margin")
    return usd


def _policy(times, policy, threshold, drift, every_days, cooldown_days, min_trade_usd, fee_bps, slippage_bps,
            reopen_after_days) -> _Policy:
    name = require_choice("policy", policy, POLICIES)
    every = require_positive("every_days", every_days)
    reopen = None if reopen_after_days is None else require_nonnegative("reopen_after_days", reopen_after_days)
    return _Policy(
        name=name,
        threshold=require_nonnegative("threshold", threshold),
        drift=require_choice("drift", drift, _DRIFTS),
        cooldown_ns=int(round(require_nonnegative("cooldown_days", cooldown_days) * _DAY_NS)),
        min_trade_usd=require_nonnegative("min_trade_usd", min_trade_usd),
        fee_frac=require_nonnegative("fee_bps", fee_bps) / 1e4,
        slippage_frac=require_nonnegative("slippage_bps", slippage_bps) / 1e4,
        reopen_ns=None if reopen is None else int(round(reopen * _DAY_NS)),
        scheduled=_schedule(times, every) if name == "periodic" else np.zeros(times.size, dtype=bool),
    )


def _periods_per_year(value: object, index: pd.DatetimeIndex) -> float:
    if value is not None:
        return require_positive("periods_per_year", value)
    return 365.0 * _DAY_NS / _bar_ns(index)
