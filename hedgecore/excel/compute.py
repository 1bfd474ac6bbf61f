"""The template's figures, computed with hedgecore from its inputs (a pure step).

:func:`compute_report` takes holdings, prices, shocks and the Hedge inputs — what
:func:`hedgecore.excel.read_workbook` read, or what :func:`hedgecore.excel.write_template` is
about to write — and computes every figure the template's formulas define, term by term, plus
the report's own statistics (basket regression, rolling beta). The writer caches these values in
the formula cells; the report (:mod:`hedgecore.report`) shows them. Nothing here reads or writes
files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd

from ..errors import HedgecoreError
from .backtest import BacktestData, compute_backtest
from .inputs import InputError, check_settings
from .layout import OUTPUTS
from ..funding import FundingSummary, daily_funding, funding_cost_usd, funding_summary
from ..plan import HedgePlan, hedge_plan
from ..rebalancing import Rebalance, rebalance
from ..risk import BetaDrift, ResidualBand, beta_drift, hedged_volatility, residual_band
from ..scenarios import scenario_pnl
from ..sizing import hedge_notional
from ..stats import BetaStats, basket_value, beta, beta_stats, portfolio_beta, rolling_beta, two_leg_hedge

__all__ = ["ROLLING_WINDOW", "RECENT_BETA_WINDOW", "BAND_QUANTILES", "STALE_AFTER_DAYS", "TwoLeg", "HedgeRisk",
           "FundingData", "ReportData", "compute_report", "evaluate_defaults", "holdings_table"]

#: Rolling-beta window in daily returns (a third of the data when there are fewer than 180 returns).
ROLLING_WINDOW = 90
#: Returns in the recent beta set beside the full-period one (a warning when they differ by > 0.1).
RECENT_BETA_WINDOW = 90
#: Quantiles of the residual band (the template's RESIDUAL_BAND(...,0.05,0.95,...)).
BAND_QUANTILES = (0.05, 0.95)
#: The report warns when a close (or the funding history) it uses is older than this many days at the
#: run date: the figures would describe a market that has moved on.
STALE_AFTER_DAYS = 3


@dataclass(frozen=True)
class TwoLeg:
    """The two-leg hedge (hedge coin + ``SecondAsset``); every field is ``""`` without a second coin.

    ``beta_1``/``beta_2`` are the value-weighted per-asset two-leg betas (the template's
    ``SUMPRODUCT``); ``notional_1_usd`` includes the collateral (inverse), as the single leg;
    ``r_squared`` is the basket regression's R² on both coins (report only).
    """

    asset: str
    beta_1: float | str = ""
    beta_2: float | str = ""
    notional_1_usd: float | str = ""
    notional_2_usd: float | str = ""
    r_squared: float | str = ""

    @property
    def on(self) -> bool:
        return bool(self.asset)


@dataclass(frozen=True)
class HedgeRisk:
    """What the hedge does not remove, and the trade to make now (issue 10).

    ``residual`` is the band of the basket's residual return over the horizon at the stress beta
    (``PortfolioBeta``); ``hedge_ratio_used`` the ratio the contracts actually hedge (HedgeRatio after
    rounding, the margin coin counted) and ``vol_hedged`` the hedged volatility at it; ``drift`` the
    recent against the full-period basket beta; ``trade_contracts`` the Hedge sheet's Trade now
    (``rebalance`` when a margin balance is given, else Contracts − Contracts held).
    """

    portfolio_downside_beta: float
    residual: ResidualBand
    hedge_ratio_used: float
    vol_hedged: float
    drift: BetaDrift
    trade_contracts: float
    trade: Rebalance | None = None


@dataclass(frozen=True)
class FundingData:
    """The funding rate the plan and the stress test use, and the history behind it (sheet Funding).

    ``source`` is the input ``FundingSource``; ``rate_used`` the rate per funding interval used (the
    constant ``FundingRate``, or the history mean); ``history_rate`` the mean per settlement interval of
    the last ``FundingDays`` complete days (``""`` without a history): their mean daily funding x the
    window's mean interval hours / 24; ``summary`` the
    :func:`~hedgecore.funding.funding_summary` of that window and ``daily_per_8h`` each UTC day's
    funding / 3 (the report's chart), ``history`` the settlements, all None without a history.
    """

    source: str
    rate_used: float
    contract: str = ""
    history_rate: float | str = ""
    summary: FundingSummary | None = None
    daily_per_8h: pd.Series | None = None
    history: pd.DataFrame | None = None  # the settlements (funding_rate, interval_hours by UTC time)

    @property
    def settlements(self) -> int:
        return 0 if self.history is None else len(self.history)

    @property
    def first_time(self) -> pd.Timestamp | None:
        return None if self.history is None else self.history.index[0]

    @property
    def last_time(self) -> pd.Timestamp | None:
        return None if self.history is None else self.history.index[-1]


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, computed by hedgecore from the inputs (no cached cell values)."""

    source_name: str
    sha256: str
    generated_at: str
    settings: dict[str, Any]
    hedge_asset: str
    holdings: pd.DataFrame  # Asset, Quantity, Price, Value, Beta, Beta exposure, Weight, 2-leg beta 1/2
    portfolio_value_usd: float
    portfolio_beta: float
    basket: BetaStats
    plan: HedgePlan
    funding_horizon_usd: float
    stress: pd.DataFrame  # scenario_pnl(...) (with Liquidated) plus "Unhedged P&L"
    rolling: pd.Series  # rolling beta of the basket value to the hedge coin, indexed by date
    rolling_window: int
    first_date: pd.Timestamp
    last_date: pd.Timestamp
    price_rows: int
    two_leg: TwoLeg = TwoLeg("")
    warnings: tuple[str, ...] = ()
    backtest: BacktestData | None = None  # the Backtest sheet (excel.backtest); None when not asked for
    risk: HedgeRisk | None = None
    funding: FundingData = FundingData("constant", 0.0)
    as_of: str = ""  # the run date (UTC, YYYY-MM-DD) the age of the data is measured at
    price_age_days: int = 0  # days from the oldest last close the report uses to the run date

    @property
    def residual(self) -> ResidualBand:
        return self.risk.residual

    @property
    def portfolio_downside_beta(self) -> float:
        return self.risk.portfolio_downside_beta

    @property
    def trade_contracts(self) -> float:
        return self.risk.trade_contracts

    @property
    def computed_names(self) -> dict[str, Any]:
        """Value of each computed defined name of the Hedge sheet (:data:`~hedgecore.excel.layout.OUTPUTS`)."""
        return {o.name: attrgetter(o.source)(self) for o in OUTPUTS}


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def evaluate_defaults(settings: dict[str, Any], names: Sequence[str] | set[str], holdings: pd.DataFrame | None,
                      prices: pd.DataFrame | None) -> None:
    """Compute the template's default formulas in ``settings`` (in place) for ``names``.

    ``HedgePrice`` = the last non-blank close of the hedge coin (``INDEX(HedgeCloses,
    MATCH(1E+300,HedgeCloses))``: Excel's ``MATCH`` of a number beyond every close finds the last
    one); ``HedgeRatio`` = the portfolio beta. A name that cannot be
    computed (no closes, no holdings) is left as None when ``holdings``/``prices`` are missing, and
    raises :class:`~hedgecore.excel.inputs.InputError` naming it when they are there but do not
    allow it.
    """
    coin = _text(settings.get("HedgeAsset"))
    if "HedgePrice" in names and prices is not None:
        closes = prices[coin].dropna() if coin in prices.columns else pd.Series(dtype=float)
        if closes.empty:
            raise InputError("HedgePrice", f"no closes for {coin} in Prices to take the hedge price from")
        settings["HedgePrice"] = float(closes.iloc[-1])
    if "HedgeRatio" in names and holdings is not None and prices is not None and len(holdings):
        value = holdings["Quantity"].to_numpy(float) * holdings["Price"].to_numpy(float)
        total = float(value.sum())
        if total == 0:
            raise InputError("HedgeRatio", "portfolio value is 0, so the default hedge ratio (portfolio beta) "
                                           "is undefined")
        betas = np.array([float(beta(prices[a], prices[coin])) for a in holdings["Asset"]])
        settings["HedgeRatio"] = float(np.dot(value, betas) / total)


def _rolling_window(n_returns: int) -> int:
    return ROLLING_WINDOW if n_returns >= 2 * ROLLING_WINDOW else max(2, n_returns // 3)


def holdings_table(holdings: pd.DataFrame, prices: pd.DataFrame, hedge_asset: str, second: str, *,
                   zero_value_ok: bool = False) -> pd.DataFrame:
    """The Holdings columns hedgecore computes: Value, Beta (to the hedge coin), Beta exposure, Weight,
    the two-leg betas to the hedge coin and ``second`` (``""`` without a second coin), and the
    downside beta (:attr:`~hedgecore.stats.BetaStats.downside_beta`, the template's ``BETA_STATS``).

    A portfolio worth 0 raises unless ``zero_value_ok`` (then Weight is NaN, as Excel's ``#DIV/0!``).
    """
    assets = [str(a) for a in holdings["Asset"]]
    qty = holdings["Quantity"].to_numpy(dtype=float)
    price = holdings["Price"].to_numpy(dtype=float)
    value = qty * price
    total = float(value.sum())
    if not total > 0 and not zero_value_ok:
        raise HedgecoreError("portfolio value is 0: give at least one holding a positive quantity")
    betas = np.array([beta(prices[a], prices[hedge_asset]) for a in assets], dtype=float)
    bad = [a for a, b in zip(assets, betas) if not math.isfinite(b)]
    if bad:
        raise HedgecoreError(f"too few prices to estimate the beta of {', '.join(bad)} to {hedge_asset} "
                             "(needs 3 or more closes on common dates)")
    legs: list[list[Any]] = [[""] * len(assets), [""] * len(assets)]
    if second:
        fits = [two_leg_hedge(prices[a], prices[hedge_asset], prices[second]) for a in assets]
        legs = [[f.beta_1 for f in fits], [f.beta_2 for f in fits]]
        bad = [a for a, f in zip(assets, fits) if not (math.isfinite(f.beta_1) and math.isfinite(f.beta_2))]
        if bad:
            raise HedgecoreError(f"cannot estimate the two-leg betas of {', '.join(bad)} to {hedge_asset} and "
                                 f"{second} (too few common closes, or the two coins move as one)")
    downside = [beta_stats(prices[a], prices[hedge_asset]).downside_beta for a in assets]
    return pd.DataFrame({
        "Asset": assets,
        "Quantity": qty,
        "Price": price,
        "Value": value,
        "Beta": betas,
        "Beta exposure": value * betas,
        "Weight": value / total if total > 0 else np.full(len(assets), np.nan),
        "2-leg beta 1": legs[0],
        "2-leg beta 2": legs[1],
        "Downside beta": np.asarray(downside, dtype=float),
    })


def _two_leg(table: pd.DataFrame, s: dict[str, Any], basket_value: pd.Series, prices: pd.DataFrame) -> TwoLeg:
    """The template's two-leg results: value-weighted betas and the USD to short of each coin."""
    second = _text(s.get("SecondAsset"))
    if not second:
        return TwoLeg("")
    value = table["Value"].to_numpy(dtype=float)
    total = float(value.sum())
    b1 = float(value @ table["2-leg beta 1"].to_numpy(dtype=float)) / total
    b2 = float(value @ table["2-leg beta 2"].to_numpy(dtype=float)) / total
    kind = _text(s.get("ContractType")).lower() or "inverse"
    n1 = hedge_notional(total, float(s["HedgePrice"]), hedge_ratio=b1, contract_type=kind,
                        collateral_coin=float(s.get("Collateral") or 0.0))
    fit = two_leg_hedge(basket_value, prices[_text(s.get("HedgeAsset"))], prices[second])
    return TwoLeg(second, b1, b2, n1, total * b2, fit.r_squared)


def _basket_value(holdings: pd.DataFrame, prices: pd.DataFrame) -> pd.Series:
    """The basket's daily USD value ``Σ Quantity·close`` (:func:`~hedgecore.stats.basket_value`; an asset
    held twice counts its quantities together); a row with any missing close is missing."""
    quantities = holdings.groupby("Asset", sort=False)["Quantity"].sum()
    return basket_value(prices, {str(a): float(q) for a, q in quantities.items()})


def _basket(basket_value: pd.Series, prices: pd.DataFrame, hedge_asset: str) -> tuple[BetaStats, pd.Series, int]:
    """Regression of the basket's daily USD value on the hedge coin, and its rolling beta.

    A row with any missing close is missing (as :func:`hedgecore.stats.basket_beta`).
    """
    bench = prices[hedge_asset]
    stats = beta_stats(basket_value, bench)
    window = _rolling_window(stats.n)
    values = rolling_beta(basket_value.to_numpy(), bench.to_numpy(dtype=float), window)
    rolling = pd.Series(np.asarray(values, dtype=float), index=prices.index, name="Rolling beta")
    return stats, rolling, window


def _maintenance_rate(s: dict[str, Any]) -> float | None:
    """MaintenanceMargin, or None when blank: the contract's tiers (the template passes ``""``)."""
    value = s.get("MaintenanceMargin")
    return None if value is None or value == "" else float(value)


def _contract(s: dict[str, Any]) -> float | str:
    """The catalog Contract, else ContractSize (the template's ``IF(Contract="",ContractSize,Contract)``)."""
    return _text(s.get("Contract")) or s["ContractSize"]


def _plan(total: float, s: dict[str, Any]) -> HedgePlan:
    """``hedge_plan`` of the portfolio value with the Hedge inputs (the catalog Contract, else its size)."""
    return hedge_plan(
        total,
        float(s["HedgePrice"]),
        _contract(s),
        hedge_ratio=float(s["HedgeRatio"]),
        contract_type=_text(s.get("ContractType")).lower() or "inverse",
        rounding=_text(s.get("Rounding")).lower() or "nearest",
        collateral_coin=float(s.get("Collateral") or 0.0),
        leverage=float(s["Leverage"]),
        maintenance_rate=_maintenance_rate(s),
        funding_rate=float(s.get("FundingRate") or 0.0),
    )


def _horizon_days(s: dict[str, Any]) -> int:
    """HorizonDays in whole days, at least 1 (the template's ``MAX(1,ROUNDUP(HorizonDays,0))``)."""
    return max(1, math.ceil(float(s.get("HorizonDays") or 0.0)))


def _trade(total: float, plan: HedgePlan, s: dict[str, Any]) -> tuple[float, Rebalance | None]:
    """Trade now: ``rebalance`` on the margin balance now, or without one the plan's contracts minus those held."""
    held = float(s.get("ContractsHeld") or 0.0)
    balance = s.get("MarginBalance")
    if balance is None or balance == "":
        return plan.contracts - held, None
    move = rebalance(total, float(s["HedgePrice"]), _contract(s), held, float(balance),
                     hedge_ratio=float(s["HedgeRatio"]), contract_type=plan.contract_type,
                     rounding=_text(s.get("Rounding")).lower() or "nearest", leverage=float(s["Leverage"]),
                     maintenance_rate=_maintenance_rate(s), funding_rate=float(s.get("FundingRate") or 0.0))
    return move.trade_contracts, move


def _risk(total: float, table: pd.DataFrame, plan: HedgePlan, s: dict[str, Any], basket: pd.Series,
          hedge: pd.Series, pbeta: float) -> HedgeRisk:
    """The residual band at the stress beta, the downside beta, the hedge ratio used and its hedged
    volatility, the recent beta, and the trade to make now."""
    value = table["Value"].to_numpy(dtype=float)
    downside = float(value @ table["Downside beta"].to_numpy(dtype=float)) / total
    band = residual_band(basket, hedge, hedge_ratio=pbeta, horizon_days=_horizon_days(s), quantiles=BAND_QUANTILES)
    used = float(s["HedgeRatio"]) - plan.net_delta_usd / total  # rounding and the margin coin counted
    if not math.isfinite(used):  # collateral on a portfolio worth 1e-320 USD: NaN, not a failed workbook
        used = math.nan
    vol = math.nan if math.isnan(used) else hedged_volatility(basket, hedge, hedge_ratio=used)
    trade, move = _trade(total, plan, s)
    return HedgeRisk(downside, band, used, vol,
                     beta_drift(basket, hedge, window=RECENT_BETA_WINDOW), trade, move)


def _stress(total: float, pbeta: float, plan: HedgePlan, s: dict[str, Any], shocks: Sequence[float],
            risk: HedgeRisk) -> pd.DataFrame:
    """``scenario_pnl`` against the notional hedged (the StressTest block), plus ``Unhedged P&L``.

    Liquidation-aware at the plan's leverage and tiers, with the residual band and the downside-beta
    line: the template's ``SCENARIO_PNL(...,Leverage,MaintenanceMargin,Contract,,ResidualLow,
    ResidualHigh,PortfolioDownsideBeta)``.
    """
    hedge_price = float(s["HedgePrice"])
    collateral = float(s.get("Collateral") or 0.0)
    downside = risk.portfolio_downside_beta
    stress = scenario_pnl(
        total,
        pbeta,
        plan.hedged_notional_usd,
        hedge_price,
        shocks,
        contract_type=plan.contract_type,
        collateral_coin=collateral,
        funding_rate=float(s.get("FundingRate") or 0.0),
        days=float(s.get("HorizonDays") or 0.0),
        leverage=float(s["Leverage"]),
        maintenance_rate=_maintenance_rate(s),
        contract=_text(s.get("Contract")) or None,
        residual=risk.residual,
        downside_beta=downside if math.isfinite(downside) else None,
        risk_columns=True,
    )
    if "Net P&L at downside beta" not in stress:  # no downside beta to compute it with
        stress["Net P&L at downside beta"] = np.nan
    start = total + (collateral * hedge_price if plan.contract_type == "inverse" else 0.0)
    stress["Unhedged P&L"] = stress["Unhedged value"] - start
    return stress


def _funding(s: dict[str, Any], history: pd.DataFrame | None) -> FundingData:
    """The funding rate used (input ``FundingSource``) and the summary of the history, if there is one.

    Raises :class:`~hedgecore.excel.inputs.InputError` naming ``FundingSource`` when it asks for a
    history that is missing or belongs to another contract, and naming ``FundingDays`` when its
    window holds no complete day.
    """
    source = _text(s.get("FundingSource")).lower() or "constant"
    constant = float(s.get("FundingRate") or 0.0)
    if history is None or not len(history):
        if source == "history":
            raise InputError("FundingSource", "FundingSource is history but sheet Funding holds no settlements; "
                                              "fetch them (hedgecore refresh) or choose constant")
        return FundingData(source, constant)
    contract, wanted = str(history.attrs.get("symbol") or ""), _text(s.get("Contract"))
    if source == "history" and contract and wanted and contract.lower() != wanted.lower():
        raise InputError("FundingSource", f"sheet Funding holds the history of {contract}, not of the Hedge "
                                          f"contract {wanted}; refresh it or choose constant")
    rates, hours = history["funding_rate"], history["interval_hours"]
    try:
        summary = funding_summary(rates, interval_hours=hours, days=int(float(s.get("FundingDays") or 30)))
    except HedgecoreError as exc:
        raise InputError("FundingDays", f"FundingDays: {exc}") from None
    daily = daily_funding(rates, interval_hours=hours)["rate"] / 3.0
    days = hours.index.tz_convert("UTC").floor("D").tz_localize(None)
    in_window = (days >= pd.Timestamp(summary.first_day)) & (days <= pd.Timestamp(summary.last_day))
    mean = summary.mean_per_8h * 3.0 * float(hours[in_window].mean()) / 24.0  # per settlement interval
    used = mean if source == "history" else constant
    return FundingData(source, used, contract, mean, summary, daily.rename("Funding per 8 h"), history)


def _run_date(as_of: date | datetime | str | None) -> date:
    if as_of is None:
        return datetime.now(timezone.utc).date()
    if isinstance(as_of, datetime):
        return as_of.date()
    if isinstance(as_of, date):
        return as_of
    try:
        return date.fromisoformat(str(as_of).strip()[:10])
    except ValueError:
        raise HedgecoreError(f"as_of must be a date (YYYY-MM-DD), got {as_of!r}") from None


def _stale(prices: pd.DataFrame, coins: Sequence[str], funding: FundingData, today: date) -> tuple[int, list[str]]:
    """Age in days of the oldest last close of ``coins``, and a warning for data older than
    :data:`STALE_AFTER_DAYS` at ``today`` (closes grouped by their last day; the funding history)."""
    last = {c: prices[c].last_valid_index() for c in dict.fromkeys(coins)}
    days = {c: (today - pd.Timestamp(d).date()).days for c, d in last.items() if d is not None}
    age = max(days.values(), default=0)
    out = []
    old = {c: n for c, n in days.items() if n > STALE_AFTER_DAYS}
    if old:
        groups: dict[str, list[str]] = {}
        for c in old:
            groups.setdefault(f"{pd.Timestamp(last[c]).date()}", []).append(c)
        shown = "; ".join(f"{d} ({', '.join(cs[:6])}{', ...' if len(cs) > 6 else ''})"
                          for d, cs in sorted(groups.items())[:3])
        out.append(f"stale prices: last close {shown}, {age} days before the run date {today}; "
                   "update them with hedgecore refresh")
    if funding.last_time is not None:
        n = (today - funding.last_time.date()).days
        if n > STALE_AFTER_DAYS:
            out.append(f"stale funding: the history of {funding.contract or 'the contract'} ends "
                       f"{funding.last_time:%Y-%m-%d %H:%M} UTC, {n} days before the run date {today}")
    return age, out


def compute_report(
    holdings: pd.DataFrame,
    prices: pd.DataFrame,
    shocks: Sequence[float] | np.ndarray,
    settings: dict[str, Any],
    *,
    source_name: str = "",
    sha256: str = "",
    generated_at: str | None = None,
    where: Callable[[str], str] | None = None,
    warnings: Sequence[str] = (),
    backtest: Mapping[str, Any] | None | bool = None,
    funding: pd.DataFrame | None = None,
    as_of: date | datetime | str | None = None,
) -> ReportData:
    """Compute every figure of a report with hedgecore, as the template's formulas define them.

    Parameters
    ----------
    holdings : DataFrame
        Columns ``Asset``, ``Quantity`` (coins) and ``Price`` (USD), one row per holding.
    prices : DataFrame
        Daily closes in USD indexed by date, one column per ticker including the hedge coin.
    shocks : array-like
        Hedge-coin returns for the stress test (−0.3 = −30 %).
    settings : dict
        The Hedge sheet's inputs by defined name, as :func:`hedgecore.excel.read_workbook`
        returns them (``HedgeAsset``, ``Contract``, ``ContractType``, ``ContractSize``,
        ``HedgePrice``, ``HedgeRatio``, ``Rounding``, ``Collateral``, ``Leverage``,
        ``MaintenanceMargin``, ``FundingRate`` per 8 h, ``HorizonDays``). They are checked by
        :func:`hedgecore.excel.inputs.check_settings`.
    where : callable, optional
        ``where(name)`` → "file, sheet, cell" of an input, for error messages.
    warnings : sequence of str, optional
        What the reader noticed (e.g. a table reaching past its names), shown with the report.
    backtest : mapping, None or False
        The Backtest inputs by defined name (:func:`~hedgecore.excel.backtest.compute_backtest`);
        None: the defaults (a workbook without a Backtest sheet); False: no backtest.
    funding : DataFrame, optional
        The hedge contract's funding history (sheet Funding): ``funding_rate`` and
        ``interval_hours`` by UTC settlement time, ``attrs["symbol"]`` its contract, as
        :func:`hedgecore.data.fetch.read_funding_history` returns it. With ``FundingSource`` =
        ``history`` the plan, the funding cost and the stress test use its mean over the last
        ``FundingDays`` complete days (:func:`hedgecore.funding.funding_summary`).
    as_of : date or "YYYY-MM-DD", optional
        The run date (default: today, UTC): a close the report uses that is older than
        :data:`STALE_AFTER_DAYS` days then, or a funding history that ends before, adds a warning.

    Returns
    -------
    ReportData

    Raises
    ------
    HedgecoreError
        An input is invalid (naming it), an asset's beta cannot be estimated, or the portfolio is
        worth 0; :class:`~hedgecore.errors.InvalidInputError` for out-of-range inputs (from the
        core functions).

    Notes
    -----
    Value = Quantity·Price; Beta = :func:`~hedgecore.stats.beta` of the asset's closes on the
    hedge coin's (simple daily returns, all rows); PortfolioBeta =
    :func:`~hedgecore.stats.portfolio_beta` (value-weighted). The basket beta and R² are
    :func:`~hedgecore.stats.beta_stats` of the basket's daily USD value ``Σ Quantity·close`` on the
    hedge coin. The plan is :func:`~hedgecore.plan.hedge_plan` of PortfolioValue at HedgePrice
    with HedgeRatio and the catalog Contract (else ContractSize and ContractType); FundingCost is
    :func:`~hedgecore.funding.funding_cost_usd` on the notional hedged over HorizonDays; the stress
    test is :func:`~hedgecore.scenarios.scenario_pnl` of PortfolioValue at PortfolioBeta against
    the notional hedged; with a ``SecondAsset`` the two-leg betas are
    :func:`~hedgecore.stats.two_leg_hedge` per asset, value-weighted — the template's formulas,
    term by term. The margin-risk results are fields of the plan (a blank MaintenanceMargin = the
    contract's tiers, the funding interval the catalog's); the stress test is liquidation-aware at
    the plan's leverage with the residual band (:func:`~hedgecore.risk.residual_band` of the basket at
    PortfolioBeta over ``max(1, ceil(HorizonDays))`` days, 5th/95th percentiles) and the value-weighted
    downside beta; Trade now is :func:`~hedgecore.rebalancing.rebalance` on MarginBalance, or
    Contracts − ContractsHeld without one (:class:`HedgeRisk`).
    """
    try:
        s = check_settings(settings, price_columns=prices.columns)
        rates = _funding(s, funding)
    except InputError as exc:
        raise HedgecoreError(f"{where(exc.name)}: {exc}" if where else str(exc)) from None
    used = {**s, "FundingRate": rates.rate_used}  # what the plan and the stress test take
    hedge_asset = _text(s.get("HedgeAsset"))
    second = _text(s.get("SecondAsset"))
    table = holdings_table(holdings, prices, hedge_asset, second)
    total = float(table["Value"].to_numpy().sum())
    pbeta = portfolio_beta(table["Value"].to_numpy(), table["Beta"].to_numpy())
    basket_value = _basket_value(holdings, prices)
    stats, rolling, window = _basket(basket_value, prices, hedge_asset)
    plan = _plan(total, used)
    side = "short" if plan.contracts >= 0 else "long"
    funding_usd = funding_cost_usd(abs(plan.hedged_notional_usd), rates.rate_used,
                                   float(s.get("HorizonDays") or 0.0), side=side,
                                   interval_hours=plan.funding_interval_hours) + 0.0
    risk = _risk(total, table, plan, used, basket_value, prices[hedge_asset], pbeta)
    today = _run_date(as_of)
    age, stale = _stale(prices, [*table["Asset"], hedge_asset, *([second] if second else [])], rates, today)
    return ReportData(
        source_name=source_name,
        sha256=sha256,
        generated_at=generated_at or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        settings=s,
        hedge_asset=hedge_asset,
        holdings=table,
        portfolio_value_usd=total,
        portfolio_beta=pbeta,
        basket=stats,
        plan=plan,
        funding_horizon_usd=funding_usd,
        stress=_stress(total, pbeta, plan, used, shocks, risk),
        rolling=rolling,
        rolling_window=window,
        first_date=pd.Timestamp(prices.index[0]),
        last_date=pd.Timestamp(prices.index[-1]),
        price_rows=len(prices),
        two_leg=_two_leg(table, s, basket_value, prices),
        warnings=(*warnings, *stale),
        risk=risk,
        backtest=None if backtest is False else _backtest(holdings, prices, used, backtest, where),
        funding=rates,
        as_of=today.isoformat(),
        price_age_days=age,
    )


def _backtest(holdings: pd.DataFrame, prices: pd.DataFrame, s: dict[str, Any], inputs: Mapping[str, Any] | None,
              where: Callable[[str], str] | None) -> BacktestData:
    """The Backtest sheet's step: the hedge over the price history (excel.backtest); a bad input names its cell."""
    try:
        return compute_backtest(holdings, prices, s, inputs)
    except InputError as exc:
        raise HedgecoreError(f"{where(exc.name)}: {exc}" if where else str(exc)) from None
