"""The report's summary figures: one list that the Summary sheet, the json and the csv all show.

Each :class:`Figure` has a stable key (json and csv), a section and a label (the Summary sheet),
a value, an Excel number format and an optional note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..contracts import get_contract
from ..excel import styles
from ..margin import DEFAULT_MAINTENANCE_RATE
from .compute import ReportData

__all__ = ["NO_LIQUIDATION", "Figure", "summary_figures"]

#: Text of a liquidation price no adverse move can reach (as the add-in's ``LIQUIDATION_PRICE``).
NO_LIQUIDATION = "none"


@dataclass(frozen=True)
class Figure:
    """One summary figure: a stable key (json/csv), a section and label (Summary sheet), a value,
    an Excel number format and an optional note shown beside it."""

    key: str
    section: str
    label: str
    value: Any
    number_format: str = "General"
    note: str = ""
    shown: bool = True  # on the Summary sheet (json and csv always carry every key)


_USD, _PRICE, _BETA, _PCT = styles.USD, styles.USD_PRICE, styles.BETA, styles.PCT
_PCT_SIGNED, _COUNT, _COIN = styles.PCT_SIGNED, styles.COUNT, styles.COIN
_FUNDING = styles.FUNDING_USD


def _extreme(stress: pd.DataFrame, column: str, worst: bool) -> tuple[float, float]:
    values = stress[column].to_numpy(dtype=float)
    i = int(np.argmin(values) if worst else np.argmax(values))
    return float(values[i]), float(stress["Shock"].iloc[i])


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _portfolio(r: ReportData) -> list[Figure]:
    coin, b = r.hedge_asset, r.basket
    return [
        Figure("portfolio_value_usd", "Portfolio", "Portfolio value (USD)", r.portfolio_value_usd, _USD),
        Figure("holdings", "Portfolio", "Holdings", len(r.holdings), _COUNT, "assets"),
        Figure("hedge_asset", "Portfolio", "Hedge coin", coin),
        Figure("portfolio_beta", "Portfolio", "Portfolio beta (value-weighted)", r.portfolio_beta, _BETA,
               f"to {coin}, simple daily returns"),
        Figure("basket_beta", "Portfolio", "Basket beta (regression)", b.beta, _BETA,
               f"basket value returns on {coin} returns"),
        Figure("r_squared", "Portfolio", "R² (hedge effectiveness)", b.r_squared, _BETA,
               f"share of basket variance explained by {coin}"),
        Figure("correlation", "Portfolio", "Correlation", b.correlation, _BETA),
        Figure("vol_unhedged", "Portfolio", "Volatility unhedged (annualised)", b.vol_unhedged, _PCT),
        Figure("vol_hedged", "Portfolio", "Volatility hedged at the regression beta", b.vol_hedged, _PCT,
               f"annualised, 365 days; at the ratio used: {r.risk.vol_hedged:.1%}" if r.risk else "annualised, 365 days"),
    ]


def _liquidation(r: ReportData) -> tuple[Any, str]:
    """The liquidation price figure and its note: ``none`` when no adverse move reaches it."""
    p = r.plan
    lp = p.liquidation_price_usd
    if math.isinf(lp) or lp == 0:
        return NO_LIQUIDATION, ("a rally cannot liquidate this short" if p.contracts >= 0
                                else "a fall cannot liquidate this long")
    return lp, f"{r.hedge_asset} {p.liquidation_distance:+.1%} from the hedge price"


def _plan(r: ReportData) -> list[Figure]:
    p, s, coin = r.plan, r.settings, r.hedge_asset
    lp_value, lp_note = _liquidation(r)
    inverse = p.contract_type == "inverse"
    return [
        Figure("contract", "Hedge plan", "Contract", _text(s.get("Contract")) or "(by type and size)"),
        Figure("contract_type", "Hedge plan", "Contract type", p.contract_type),
        Figure("hedge_price_usd", "Hedge plan", f"Hedge price ({coin}, USD)", float(s["HedgePrice"]), _PRICE),
        Figure("hedge_ratio", "Hedge plan", "Hedge ratio", float(s["HedgeRatio"]), _BETA),
        Figure("collateral_coin", "Hedge plan", f"Collateral ({coin})", float(s.get("Collateral") or 0.0), _COIN),
        Figure("hedge_notional_usd", "Hedge plan", "Hedge notional wanted (USD)", p.hedge_notional_usd, _USD),
        Figure("contracts", "Hedge plan", "Contracts to short", p.contracts, _COUNT,
               "negative = long" if p.contracts < 0 else ""),
        Figure("hedged_notional_usd", "Hedge plan", "Notional hedged (USD)", p.hedged_notional_usd, _USD),
        Figure("residual_usd", "Hedge plan", "Residual exposure (USD)", p.residual_usd, _USD, "rounding leftover"),
        Figure("initial_margin", "Hedge plan", f"Initial margin ({coin if inverse else 'USD'})", p.initial_margin,
               _COIN if inverse else _USD),
        Figure("initial_margin_usd", "Hedge plan", "Initial margin (USD)", p.initial_margin_usd, _USD),
        Figure("effective_leverage", "Hedge plan", "Effective leverage", p.effective_leverage, styles.TIMES),
        Figure("liquidation_price_usd", "Hedge plan", "Liquidation price (USD)", lp_value, _PRICE, lp_note),
        Figure("liquidation_distance", "Hedge plan", "Liquidation distance from price",
               p.liquidation_distance if math.isfinite(p.liquidation_distance) else NO_LIQUIDATION, _PCT_SIGNED),
        Figure("funding_per_day_usd", "Hedge plan", "Funding paid per day (USD)", p.funding_per_day_usd, _FUNDING,
               f"negative = received; paid every {p.funding_interval_hours:g} h"),
        Figure("horizon_days", "Hedge plan", "Horizon (days)", float(s.get("HorizonDays") or 0.0), "0"),
        Figure("funding_horizon_usd", "Hedge plan", "Funding paid over the horizon (USD)", r.funding_horizon_usd,
               _FUNDING, "negative = received"),
        Figure("net_delta_usd", "Hedge plan", "Net delta after hedge (USD)", p.net_delta_usd, _USD,
               "unhedged margin coin included"),
    ]


def _stress(r: ReportData) -> list[Figure]:
    coin, figs = r.hedge_asset, []
    for worst, word in ((True, "Worst"), (False, "Best")):
        for col, name in (("Unhedged P&L", "unhedged"), ("Net P&L", "hedged")):
            pnl, shock = _extreme(r.stress, col, worst)
            figs.append(Figure(f"{word.lower()}_{name}_pnl_usd", "Stress test", f"{word} outcome {name} (USD)",
                               pnl, _USD, f"at {coin} {shock:+.0%}"))
            figs.append(Figure(f"{word.lower()}_{name}_shock", "Stress test", f"{word} outcome {name}: {coin} shock",
                               shock, _PCT_SIGNED))
    if "Liquidated" in r.stress:
        hit = r.stress.loc[r.stress["Liquidated"].astype(bool), "Shock"]
        text = ", ".join(f"{x:+.0%}" for x in hit) if len(hit) else "none"
        figs.append(Figure("liquidated_shocks", "Stress test", f"Hedge liquidated at {coin} shocks", text,
                           "General", "hedged P&L there is after liquidation: the margin is lost" if len(hit) else ""))
        if len(hit):
            first = hit.abs().idxmin()  # the liquidated shock nearest to today's price
            figs.append(Figure("liquidated_hedged_pnl_usd", "Stress test", "Hedged outcome once liquidated (USD)",
                               float(r.stress.loc[first, "Net P&L"]), _USD,
                               f"at {coin} {r.stress.loc[first, 'Shock']:+.0%}: the alts' move minus the lost margin; "
                               f"if the price comes back, -{r.plan.loss_if_liquidated_usd:,.0f}"))
            figs.append(Figure("liquidated_shock", "Stress test", "Hedged outcome once liquidated: shock",
                               float(r.stress.loc[first, "Shock"]), _PCT_SIGNED, shown=False))
    if "Net P&L low" in r.stress:
        pnl, shock = _extreme(r.stress, "Net P&L low", True)
        figs.append(Figure("worst_hedged_low_pnl_usd", "Stress test", "Worst outcome hedged, residual low (USD)", pnl,
                           _USD, f"at {coin} {shock:+.0%}, 5th-percentile residual of the basket"))
        figs.append(Figure("worst_hedged_low_shock", "Stress test", "Worst outcome hedged, residual low: shock", shock,
                           _PCT_SIGNED, shown=False))
    return figs


def _tier_source(r: ReportData) -> str:
    """Where the maintenance-margin tiers come from: the input rate, the catalog's table, or the default."""
    mmr = r.settings.get("MaintenanceMargin")
    if mmr not in (None, ""):
        return f"Maintenance margin rate input: one tier at {float(mmr):.3%}"
    name = _text(r.settings.get("Contract"))
    spec = get_contract(name) if name else None
    if spec is not None and spec.tiers:
        return f"{spec.name} tier table ({len(spec.tiers)} tiers): {spec.tiers_source}"
    why = f"the catalog has no tier table for {spec.name}" if spec is not None else "no catalog contract"
    return f"single tier at {DEFAULT_MAINTENANCE_RATE:.1%} ({why})"


def _margin_risk(r: ReportData) -> list[Figure]:
    """The margin verdict, what a liquidation would cost, the tier, and the trade to make now (issue 10)."""
    p, coin, sec = r.plan, r.hedge_asset, "Margin and liquidation"
    unit = p.margin_asset or p.margin_unit
    max_lev = p.max_leverage if math.isfinite(p.max_leverage) else "unknown"
    trade = r.risk.trade
    return [
        Figure("margin_verdict", sec, "Margin verdict", p.margin_verdict),
        Figure("delta_verdict", sec, "Delta verdict", p.delta_verdict),
        Figure("margin_ok", sec, "Plan can be opened", "yes" if p.margin_ok else "no"),
        Figure("margin_shortfall", sec, f"Margin still to post ({unit})", p.margin_shortfall,
               _COIN if p.contract_type == "inverse" else _USD, "0 = the wallet covers the initial margin"),
        Figure("leverage_to_fit", sec, "Leverage at which the margin fits", p.leverage_to_fit, styles.TIMES,
               f"chosen: {p.leverage:g}x"),
        Figure("max_leverage", sec, "Maximum leverage of the tier", max_lev, styles.TIMES,
               "" if max_lev != "unknown" else "no tier table in the catalog"),
        Figure("maintenance_rate", sec, "Maintenance rate at the liquidation price", p.maintenance_rate, styles.PCT3),
        Figure("tier_source", sec, "Tier table", _tier_source(r)),
        Figure("loss_if_liquidated_usd", sec, "Loss if liquidated (USD)", p.loss_if_liquidated_usd, _USD,
               f"the {p.wallet_balance:.6g} {unit} wallet at entry, if {coin} spikes through the liquidation price "
               "and comes back" if p.loss_if_liquidated_usd else "no rise can liquidate this short"),
        Figure("contracts_held", sec, "Contracts held now", float(r.settings.get("ContractsHeld") or 0.0), _COUNT),
        Figure("trade_contracts", sec, "Trade now (contracts)", r.risk.trade_contracts, styles.QTY,
               "+ = short more, - = buy back" + ("" if trade is None else
                                                 f"; liquidation after it {_price_text(trade.liquidation_price_usd)}")),
    ]


def _price_text(price: float) -> str:
    return NO_LIQUIDATION if math.isinf(price) or price == 0 else f"${price:,.2f}"


def _residual_risk(r: ReportData) -> list[Figure]:
    """What the hedge does not remove: the residual band, hedged volatility at the ratio used, beta drift."""
    k, b, sec = r.risk, r.basket, "Residual (basis) risk"
    band = k.residual
    low, high = band.pnl_usd(r.portfolio_value_usd)
    d = k.drift
    drift = (f"recent beta {d.beta_recent:.3f} differs from the full-period {d.beta_full:.3f} by {d.difference:+.3f} "
             f"(more than {d.threshold:g}): the hedge ratio from the whole history may no longer fit"
             if d.warning else f"within {d.threshold:g} of the full-period beta")
    return [
        Figure("residual_band_low_usd", sec, f"Residual band, low ({band.quantiles[0]:.0%}, USD)", low, _USD,
               f"{band.low_frac:+.1%} of the portfolio over {band.horizon_days} days, {band.n} windows"),
        Figure("residual_band_high_usd", sec, f"Residual band, high ({band.quantiles[1]:.0%}, USD)", high, _USD,
               f"{band.high_frac:+.1%}; around the stress line at beta {band.hedge_ratio:.3f}"),
        Figure("residual_band_low_frac", sec, "Residual band, low (fraction)", band.low_frac, _PCT_SIGNED, shown=False),
        Figure("residual_band_high_frac", sec, "Residual band, high (fraction)", band.high_frac, _PCT_SIGNED,
               shown=False),
        Figure("residual_horizon_days", sec, "Residual band horizon (days)", band.horizon_days, _COUNT, shown=False),
        Figure("portfolio_downside_beta", sec, "Portfolio downside beta (value-weighted)", k.portfolio_downside_beta,
               _BETA, f"beta on days {r.hedge_asset} fell; full beta {r.portfolio_beta:.3f}"),
        Figure("hedge_ratio_used", sec, "Hedge ratio actually used", k.hedge_ratio_used, _BETA,
               "after rounding, margin coin counted"),
        Figure("vol_hedged_at_ratio_used", sec, "Volatility hedged at the ratio used (annualised)", k.vol_hedged, _PCT,
               f"at the regression beta {b.beta:.3f}: {b.vol_hedged:.1%}; unhedged {b.vol_unhedged:.1%}"),
        Figure("beta_recent", sec, f"Basket beta, last {d.window} days", d.beta_recent, _BETA,
               f"full period: {d.beta_full:.3f}"),
        Figure("beta_drift_warning", sec, "Beta check", ("Warning: " if d.warning else "ok: ") + drift),
    ]


def _two_leg(r: ReportData) -> list[Figure]:
    """The two-leg option (hedge coin + SecondAsset): ratios, USD to short, R² of both legs; blank when off."""
    t, coin, on = r.two_leg, r.hedge_asset, r.two_leg.on
    second = t.asset or "second coin"
    sec = "Two-leg hedge"
    return [
        Figure("two_leg_asset", sec, "Second hedge coin", t.asset, shown=on),
        Figure("two_leg_beta_1", sec, f"Hedge ratio, {coin}", t.beta_1, _BETA, "value-weighted two-leg betas",
               shown=on),
        Figure("two_leg_beta_2", sec, f"Hedge ratio, {second}", t.beta_2, _BETA, shown=on),
        Figure("two_leg_notional_1_usd", sec, f"Short {coin} (USD)", t.notional_1_usd, _USD,
               "collateral included (inverse)", shown=on),
        Figure("two_leg_notional_2_usd", sec, f"Short {second} (USD)", t.notional_2_usd, _USD, shown=on),
        Figure("two_leg_r_squared", sec, "R² with both legs", t.r_squared, _BETA,
               f"one leg ({coin}): {r.basket.r_squared:.3f}", shown=on),
    ]


def _data_and_source(r: ReportData) -> list[Figure]:
    return [
        Figure("first_date", "Data", "First date", r.first_date.to_pydatetime(), styles.DATE),
        Figure("last_date", "Data", "Last date", r.last_date.to_pydatetime(), styles.DATE),
        Figure("price_rows", "Data", "Price rows", r.price_rows, _COUNT, "days in table Prices"),
        Figure("return_observations", "Data", "Return observations (n)", r.basket.n, _COUNT,
               "used for basket beta and R²"),
        Figure("rolling_window", "Data", "Rolling-beta window (days)", r.rolling_window, _COUNT),
        Figure("file", "Source", "Input file", r.source_name),
        Figure("sha256", "Source", "Input SHA-256", r.sha256),
        Figure("hedgecore_version", "Source", "hedgecore version", __version__),
        Figure("generated_at", "Source", "Generated", r.generated_at),
        Figure("warnings", "Source", "Warnings", " | ".join(r.warnings), shown=bool(r.warnings)),
    ]


def _funding(r: ReportData) -> list[Figure]:
    """The funding rate used and, with a history (sheet Funding), its summary over the window (issue 13)."""
    f, s = r.funding, r.funding.summary
    on = s is not None
    sec = "Funding"
    source = (f"history of {f.contract or 'the Funding sheet'}, last {s.days} days" if f.source == "history" and on
              else "constant (Hedge input Funding rate)")
    figs = [
        Figure("funding_source", sec, "Funding rate from", f.source, note=source),
        Figure("funding_rate_used", sec, f"Funding rate used (per {r.plan.funding_interval_hours:g} h)", f.rate_used,
               styles.RATE, "positive = longs pay shorts: a short hedge receives"),
        Figure("funding_history_contract", sec, "Funding history of", f.contract, shown=on),
        Figure("funding_settlements", sec, "Settlements in the history", f.settlements, _COUNT,
               "" if f.first_time is None else f"{f.first_time:%Y-%m-%d %H:%M} to {f.last_time:%Y-%m-%d %H:%M} UTC",
               shown=on),
    ]
    if not on:
        return figs
    window = f"{s.first_day} to {s.last_day} ({s.days} days)"
    return figs + [
        Figure("funding_mean_per_8h", sec, "History mean (per 8 h)", s.mean_per_8h, styles.RATE, window),
        Figure("funding_p05_per_8h", sec, "History 5th percentile (per 8 h)", s.p05_per_8h, styles.RATE,
               "of the daily funding / 3"),
        Figure("funding_p95_per_8h", sec, "History 95th percentile (per 8 h)", s.p95_per_8h, styles.RATE),
        Figure("funding_short_paid_frac", sec, "Share of days a short paid", s.short_paid_frac, _PCT,
               "days whose net funding was negative"),
        Figure("funding_annualised_frac", sec, "History mean, annualised", s.annualised_frac, _PCT_SIGNED,
               "x 3 x 365"),
    ]


def _freshness(r: ReportData) -> list[Figure]:
    """How old the data is at the run date (the Data section; a warning says when it is stale)."""
    return [
        Figure("run_date", "Data", "Run date", r.as_of, note="the age of the data is measured at this date"),
        Figure("price_age_days", "Data", "Days since the oldest last close", r.price_age_days, _COUNT,
               "of the coins the report uses"),
    ]


def summary_figures(r: ReportData) -> list[Figure]:
    """The Summary sheet's figures in display order (also the json ``summary`` and csv columns)."""
    from .backtest import backtest_figures  # it builds on Figure

    risk = _margin_risk(r) + _residual_risk(r) if r.risk is not None else []
    return (_portfolio(r) + _plan(r) + risk + _funding(r) + _stress(r) + _two_leg(r)
            + backtest_figures(r.backtest) + _data_and_source(r) + _freshness(r))
