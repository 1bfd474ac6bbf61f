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
from ..excel import styles
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
        Figure("vol_hedged", "Portfolio", "Volatility hedged (annualised)", b.vol_hedged, _PCT,
               "at the regression beta, 365 days"),
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
        Figure("funding_per_day_usd", "Hedge plan", "Funding paid per day (USD)", p.funding_per_day_usd, _USD,
               "negative = received"),
        Figure("horizon_days", "Hedge plan", "Horizon (days)", float(s.get("HorizonDays") or 0.0), "0"),
        Figure("funding_horizon_usd", "Hedge plan", "Funding paid over the horizon (USD)", r.funding_horizon_usd,
               _USD, "negative = received"),
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
                           "General", "hedged P&L there assumes the short survives" if len(hit) else ""))
    return figs


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
        Figure("funding_rate_used_per_8h", sec, "Funding rate used (per 8 h)", f.rate_used_per_8h, styles.RATE,
               "positive = longs pay shorts: a short hedge receives"),
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
    return _portfolio(r) + _plan(r) + _funding(r) + _stress(r) + _two_leg(r) + _data_and_source(r) + _freshness(r)
