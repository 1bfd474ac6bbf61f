"""Hedge reports from filled templates: compute every figure with hedgecore, then write xlsx, json or csv.

One input workbook (the template of :mod:`hedgecore.template`, filled in) gives one report:

* ``xlsx`` — ``<stem>-report.xlsx``: the input workbook with every cell hedgecore computes holding
  its value, formulas replaced by values (Holdings Value/Beta/Beta exposure/Weight and totals,
  the Hedge sheet's computed names and default-formula inputs, the StressTest block), plus a
  **Summary** sheet (portfolio, beta and R², hedge plan, stress extremes, data window,
  provenance, per-asset and stress tables, three native Excel charts) and a **Rolling beta**
  sheet with the series behind the rolling-beta chart.
* ``json`` — ``<stem>-report.json``: ``summary`` (every Summary figure by key), ``assets`` (the
  Holdings table) and ``stress`` (the stress table).
* ``csv`` — ``<stem>-assets.csv`` and ``<stem>-stress.csv`` per input, and one row per input in
  the batch's ``summary.csv`` (written by :mod:`hedgecore.batch`).

Cached values in the input are never trusted for anything hedgecore computes. Inputs are only
read. Reports are written to a temporary file in the output folder and moved into place with
:func:`os.replace`, so an interrupted run leaves the old report or none, never half of one.

openpyxl is imported lazily, so ``import hedgecore`` stays light.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from ._atomic import atomic_write
from .contracts import get_contract
from .errors import HedgecoreError, WorkbookError
from .funding import funding_cost_usd
from .plan import HedgePlan, hedge_plan
from .scenarios import SCENARIO_COLUMNS, scenario_pnl
from .stats import BetaStats, beta, beta_stats, portfolio_beta, rolling_beta
from .workbook import read_workbook_and_book

__all__ = [
    "FORMATS",
    "ROLLING_WINDOW",
    "SUMMARY_CSV",
    "Figure",
    "Job",
    "Outcome",
    "ReportData",
    "build_report_workbook",
    "compute_report",
    "output_paths",
    "process_job",
    "report_json",
    "summary_figures",
    "write_report",
]

FORMATS = ("xlsx", "json", "csv")
SUMMARY_CSV = "summary.csv"
#: Rolling-beta window in daily returns (a third of the data when there are fewer than 180 returns).
ROLLING_WINDOW = 90
#: Text of a liquidation price no adverse move can reach (as the add-in's ``LIQUIDATION_PRICE``).
NO_LIQUIDATION = "none"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Columns of the StressTest block (``SCENARIO_PNL`` array formula): the scenario columns, then Alt move.
STRESS_BLOCK_COLUMNS = tuple(SCENARIO_COLUMNS) + ("Alt move",)
#: Holdings columns hedgecore computes, with the range name over each.
HOLDINGS_COMPUTED = {"Value": "HoldingsValue", "Beta": "HoldingsBeta", "Beta exposure": "HoldingsBetaExposure",
                     "Weight": "HoldingsWeight"}


# --------------------------------------------------------------------------- compute


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, computed by hedgecore from the inputs (no cached cell values)."""

    source_name: str
    sha256: str
    generated_at: str
    settings: dict[str, Any]
    hedge_asset: str
    holdings: pd.DataFrame  # Asset, Quantity, Price, Value, Beta, Beta exposure, Weight
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

    @property
    def computed_names(self) -> dict[str, Any]:
        """Value of each computed defined name of the Hedge sheet."""
        p = self.plan
        return {
            "PortfolioValue": self.portfolio_value_usd,
            "PortfolioBeta": self.portfolio_beta,
            "HedgeNotional": p.hedge_notional_usd,
            "Contracts": p.contracts,
            "HedgedNotional": p.hedged_notional_usd,
            "ResidualExposure": p.residual_usd,
            "InitialMargin": p.initial_margin,
            "EffectiveLeverage": p.effective_leverage,
            "LiquidationPrice": p.liquidation_price_usd,
            "FundingCost": self.funding_horizon_usd,
        }


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _rolling_window(n_returns: int) -> int:
    return ROLLING_WINDOW if n_returns >= 2 * ROLLING_WINDOW else max(2, n_returns // 3)


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
        The Hedge sheet's inputs by defined name, as :func:`hedgecore.workbook.read_workbook`
        returns them (``HedgeAsset``, ``Contract``, ``ContractType``, ``ContractSize``,
        ``HedgePrice``, ``HedgeRatio``, ``Rounding``, ``Collateral``, ``Leverage``,
        ``MaintenanceMargin``, ``FundingRate`` per 8 h, ``HorizonDays``).
    where : callable, optional
        ``where(name)`` → "file, sheet, cell" of an input, for error messages.

    Returns
    -------
    ReportData

    Raises
    ------
    HedgecoreError
        An asset's beta cannot be estimated, the portfolio is worth 0, or ``ContractType``
        contradicts the catalog ``Contract``; :class:`~hedgecore.errors.InvalidInputError` for
        out-of-range inputs (from the core functions).

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
    the notional hedged — the template's formulas, term by term.
    """
    at = (lambda name: f"{where(name)}: ") if where else (lambda name: "")
    hedge_asset = _text(settings.get("HedgeAsset"))
    if hedge_asset not in prices.columns:
        raise HedgecoreError(f"{at('HedgeAsset')}hedge coin {hedge_asset!r} has no column in table Prices")
    assets = [str(a) for a in holdings["Asset"]]
    qty = holdings["Quantity"].to_numpy(dtype=float)
    price = holdings["Price"].to_numpy(dtype=float)
    bench = prices[hedge_asset]

    value = qty * price
    total = float(value.sum())
    if not total > 0:
        raise HedgecoreError("portfolio value is 0: give at least one holding a positive quantity")
    betas = np.array([beta(prices[a], bench) for a in assets], dtype=float)
    bad = [a for a, b in zip(assets, betas) if not math.isfinite(b)]
    if bad:
        raise HedgecoreError(f"too few prices to estimate the beta of {', '.join(bad)} to {hedge_asset} "
                             "(needs 3 or more closes on common dates)")
    pbeta = portfolio_beta(value, betas)
    table = pd.DataFrame({
        "Asset": assets,
        "Quantity": qty,
        "Price": price,
        "Value": value,
        "Beta": betas,
        "Beta exposure": value * betas,
        "Weight": value / total,
    })

    # Basket USD value per day; a row with any missing close is missing (as stats.basket_beta).
    closes = prices[assets].to_numpy(dtype=float, na_value=np.nan)
    basket_value = pd.Series(closes @ qty, index=prices.index)
    stats = beta_stats(basket_value, bench)
    window = _rolling_window(stats.n)
    rolling = pd.Series(np.asarray(rolling_beta(basket_value.to_numpy(), bench.to_numpy(dtype=float), window),
                                   dtype=float), index=prices.index, name="Rolling beta")

    contract = _text(settings.get("Contract"))
    kind = _text(settings.get("ContractType")).lower() or "inverse"
    if contract:
        spec = get_contract(contract)
        if spec.contract_type != kind:
            raise HedgecoreError(f"{at('ContractType')}ContractType is {kind} but contract {contract} is "
                                 f"{spec.contract_type}; make them match")
        if spec.base_asset != hedge_asset.upper():
            raise HedgecoreError(f"{at('HedgeAsset')}hedge coin is {hedge_asset} but contract {contract} "
                                 f"trades {spec.base_asset}; make them match")
    hedge_price = float(settings["HedgePrice"])
    collateral = float(settings.get("Collateral") or 0.0)
    funding_rate = float(settings.get("FundingRate") or 0.0)
    horizon = float(settings.get("HorizonDays") or 0.0)
    maintenance = float(settings["MaintenanceMargin"])
    plan = hedge_plan(
        total,
        hedge_price,
        contract or settings["ContractSize"],
        hedge_ratio=float(settings["HedgeRatio"]),
        contract_type=kind,
        rounding=_text(settings.get("Rounding")).lower() or "nearest",
        collateral_coin=collateral,
        leverage=float(settings["Leverage"]),
        maintenance_rate=maintenance,
        funding_rate=funding_rate,
    )
    side = "short" if plan.contracts >= 0 else "long"
    funding_horizon = funding_cost_usd(abs(plan.hedged_notional_usd), funding_rate, horizon, side=side) + 0.0
    stress = scenario_pnl(
        total,
        pbeta,
        plan.hedged_notional_usd,
        hedge_price,
        shocks,
        contract_type=plan.contract_type,
        collateral_coin=collateral,
        funding_rate=funding_rate,
        days=horizon,
        maintenance_rate=maintenance,
        wallet_balance=plan.wallet_balance,
    )
    start = total + (collateral * hedge_price if plan.contract_type == "inverse" else 0.0)
    stress["Unhedged P&L"] = stress["Unhedged value"] - start
    return ReportData(
        source_name=source_name,
        sha256=sha256,
        generated_at=generated_at or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        settings=dict(settings),
        hedge_asset=hedge_asset,
        holdings=table,
        portfolio_value_usd=total,
        portfolio_beta=pbeta,
        basket=stats,
        plan=plan,
        funding_horizon_usd=funding_horizon,
        stress=stress,
        rolling=rolling,
        rolling_window=window,
        first_date=pd.Timestamp(prices.index[0]),
        last_date=pd.Timestamp(prices.index[-1]),
        price_rows=len(prices),
    )


# --------------------------------------------------------------------------- figures


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


_USD = '"$"#,##0.00;[Red]-"$"#,##0.00'
_USD0 = '"$"#,##0;[Red]-"$"#,##0'
_PRICE = '"$"#,##0.00'
_BETA = "0.000"
_PCT = "0.0%"
_PCT_SIGNED = '+0.0%;[Red]-0.0%;0.0%'
_COUNT = "#,##0"
_COIN = "#,##0.0000"


def _extreme(stress: pd.DataFrame, column: str, worst: bool) -> tuple[float, float]:
    values = stress[column].to_numpy(dtype=float)
    i = int(np.argmin(values) if worst else np.argmax(values))
    return float(values[i]), float(stress["Shock"].iloc[i])


def summary_figures(r: ReportData) -> list[Figure]:
    """The Summary sheet's figures in display order (also the json ``summary`` and csv columns)."""
    p, s = r.plan, r.settings
    coin = r.hedge_asset
    lp = p.liquidation_price_usd
    if math.isinf(lp) or lp == 0:
        lp_value: Any = NO_LIQUIDATION
        lp_note = "a rally cannot liquidate this short" if p.contracts >= 0 else "a fall cannot liquidate this long"
    else:
        lp_value, lp_note = lp, f"{coin} {p.liquidation_distance:+.1%} from the hedge price"
    margin_unit = coin if p.contract_type == "inverse" else "USD"
    figs = [
        Figure("portfolio_value_usd", "Portfolio", "Portfolio value (USD)", r.portfolio_value_usd, _USD),
        Figure("holdings", "Portfolio", "Holdings", len(r.holdings), _COUNT, "assets"),
        Figure("hedge_asset", "Portfolio", "Hedge coin", coin),
        Figure("portfolio_beta", "Portfolio", "Portfolio beta (value-weighted)", r.portfolio_beta, _BETA,
               f"to {coin}, simple daily returns"),
        Figure("basket_beta", "Portfolio", "Basket beta (regression)", r.basket.beta, _BETA,
               f"basket value returns on {coin} returns"),
        Figure("r_squared", "Portfolio", "R² (hedge effectiveness)", r.basket.r_squared, _BETA,
               f"share of basket variance explained by {coin}"),
        Figure("correlation", "Portfolio", "Correlation", r.basket.correlation, _BETA),
        Figure("vol_unhedged", "Portfolio", "Volatility unhedged (annualised)", r.basket.vol_unhedged, _PCT),
        Figure("vol_hedged", "Portfolio", "Volatility hedged (annualised)", r.basket.vol_hedged, _PCT,
               "at the regression beta, 365 days"),
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
        Figure("initial_margin", "Hedge plan", f"Initial margin ({margin_unit})", p.initial_margin,
               _COIN if p.contract_type == "inverse" else _USD),
        Figure("initial_margin_usd", "Hedge plan", "Initial margin (USD)", p.initial_margin_usd, _USD),
        Figure("effective_leverage", "Hedge plan", "Effective leverage", p.effective_leverage, '0.00"x"'),
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
    figs += [
        Figure("first_date", "Data", "First date", r.first_date.to_pydatetime(), "yyyy-mm-dd"),
        Figure("last_date", "Data", "Last date", r.last_date.to_pydatetime(), "yyyy-mm-dd"),
        Figure("price_rows", "Data", "Price rows", r.price_rows, _COUNT, "days in table Prices"),
        Figure("return_observations", "Data", "Return observations (n)", r.basket.n, _COUNT,
               "used for basket beta and R²"),
        Figure("rolling_window", "Data", "Rolling-beta window (days)", r.rolling_window, _COUNT),
        Figure("file", "Source", "Input file", r.source_name),
        Figure("sha256", "Source", "Input SHA-256", r.sha256),
        Figure("hedgecore_version", "Source", "hedgecore version", __version__),
        Figure("generated_at", "Source", "Generated", r.generated_at),
    ]
    return figs


def _json_value(x: Any) -> Any:
    """JSON-safe: NaN → null, ±inf → "inf"/"-inf" (as ``hedgecore plan --json``), dates → ISO."""
    if isinstance(x, (np.floating, np.integer, np.bool_)):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, datetime):
        return x.date().isoformat()
    return x


def _csv_value(x: Any) -> Any:
    v = _json_value(x)
    return "" if v is None else v


#: Columns of the json/csv stress table, in order.
STRESS_COLUMNS = ("Shock", "Hedge price", "Alt move", "Spot P&L", "Hedge P&L", "Collateral P&L", "Funding", "Net P&L",
                  "Unhedged P&L", "Unhedged value", "Hedged value", "Liquidated")


def _stress_table(r: ReportData) -> pd.DataFrame:
    return r.stress[[c for c in STRESS_COLUMNS if c in r.stress.columns]]


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _json_value(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def report_json(r: ReportData) -> dict[str, Any]:
    """The json report: ``summary`` figures by key, ``assets`` (Holdings) and ``stress`` tables."""
    return {
        "summary": {f.key: _json_value(f.value) for f in summary_figures(r)},
        "assets": _records(r.holdings),
        "stress": _records(_stress_table(r)),
    }


# --------------------------------------------------------------------------- xlsx


def _cell_value(x: Any) -> Any:
    """A value openpyxl can store: numpy scalars unwrapped, NaN → blank, ±inf → ``none``."""
    if isinstance(x, (np.floating, np.integer, np.bool_)):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else NO_LIQUIDATION
    return x


def _formula_text(value: Any) -> str | None:
    text = getattr(value, "text", value)
    return text if isinstance(text, str) and text.startswith("=") else None


_SIMPLE_NAME = re.compile(r"^=\s*([A-Za-z_][A-Za-z0-9_.]*)\s*$")
_SIMPLE_SUM = re.compile(r"^=\s*SUM\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\)\s*$", re.IGNORECASE)


class _Filler:
    """Replace every formula of the input workbook by the value hedgecore computed for it."""

    def __init__(self, wb: Any, r: ReportData, source: Path) -> None:
        self.wb, self.r, self.source = wb, r, source
        self.names: dict[str, Any] = {**r.settings, **r.computed_names}
        self.ranges: dict[str, list[Any]] = {}
        self._cached = None

    def cached(self, sheet: str, coord: str) -> Any:
        """Excel's cached value of a formula hedgecore does not compute (a user's own formula)."""
        if self._cached is None:
            from openpyxl import load_workbook

            self._cached = load_workbook(self.source, read_only=True, data_only=True)
        try:
            return self._cached[sheet][coord].value
        except (KeyError, AttributeError, IndexError):
            return None

    def close(self) -> None:
        if self._cached is not None:
            self._cached.close()

    def fill(self) -> None:
        wb = self.wb
        for name, value in self.names.items():
            dn = wb.defined_names.get(name)
            if dn is None:
                continue
            for sheet, ref in dn.destinations:
                if sheet in wb.sheetnames and ":" not in ref:
                    wb[sheet][ref.replace("$", "")].value = _cell_value(value)
        self._fill_holdings()
        self._fill_stress()
        for ws in wb.worksheets:
            if ws.title == "Prices":  # read_workbook accepts numbers only there
                continue
            for row in ws.iter_rows():
                for cell in row:
                    text = _formula_text(cell.value)
                    if text is None:
                        continue
                    cell.value = self._evaluate(ws.title, cell.coordinate, text)

    def _evaluate(self, sheet: str, coord: str, text: str) -> Any:
        m = _SIMPLE_NAME.match(text)
        if m and m.group(1) in self.names:
            return _cell_value(self.names[m.group(1)])
        m = _SIMPLE_SUM.match(text)
        if m and m.group(1) in self.ranges:
            return float(np.nansum([v for v in self.ranges[m.group(1)] if isinstance(v, (int, float))]))
        return self.cached(sheet, coord)

    def _fill_holdings(self) -> None:
        from openpyxl.utils.cell import range_boundaries

        ws = self.wb["Portfolio"]
        table = ws.tables[next(k for k in ws.tables if k.lower() == "holdings")]
        c1, r1, c2, r2 = range_boundaries(table.ref)
        cols = {_text(ws.cell(row=r1, column=c).value): c for c in range(c1, c2 + 1)}
        rows = iter(self.r.holdings.to_dict(orient="records"))
        for name in HOLDINGS_COMPUTED.values():
            self.ranges[name] = []
        for rr in range(r1 + 1, r2 + 1):
            if _text(ws.cell(row=rr, column=cols["Asset"]).value) == "":
                record = None
            else:
                record = next(rows)
            for col, name in HOLDINGS_COMPUTED.items():
                if col not in cols:
                    continue
                v = None if record is None else _cell_value(record[col])
                ws.cell(row=rr, column=cols[col]).value = v
                self.ranges[name].append(v)

    def _fill_stress(self) -> None:
        from openpyxl.utils.cell import range_boundaries

        dn = self.wb.defined_names.get("StressResult")
        if dn is None:
            return
        for sheet, ref in dn.destinations:
            ws = self.wb[sheet]
            c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
            stress = self.r.stress
            for j, col in enumerate(STRESS_BLOCK_COLUMNS[: c2 - c1 + 1]):
                ws.cell(row=r1, column=c1 + j).value = col
                values = stress[col].to_numpy(dtype=float) if col in stress else []
                for i in range(r2 - r1):
                    ws.cell(row=r1 + 1 + i, column=c1 + j).value = _cell_value(values[i]) if i < len(values) else None


def _styles() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="BFBFBF")
    return {
        "title": Font(bold=True, size=16, color="1F3864"),
        "subtitle": Font(italic=True, size=9, color="595959"),
        "section": Font(bold=True, size=12, color="1F3864"),
        "label": Font(size=10),
        "value": Font(size=10, bold=True),
        "small": Font(size=8),
        "note": Font(size=9, italic=True, color="595959"),
        "head": Font(bold=True, color="FFFFFF", size=10),
        "head_fill": PatternFill("solid", fgColor="1F3864"),
        "band_fill": PatternFill("solid", fgColor="EDEDED"),
        "bottom": Border(bottom=thin),
        "right": Alignment(horizontal="right"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "left": Alignment(horizontal="left"),
    }


def _write_table(ws: Any, st: dict[str, Any], top: int, title: str, headers: Sequence[str],
                 rows: Iterable[Sequence[Any]], formats: Sequence[str]) -> tuple[int, int]:
    """A small banded table at ``top``; returns (first data row, last data row)."""
    ws.cell(row=top, column=1, value=title).font = st["section"]
    for j, h in enumerate(headers, start=1):
        c = ws.cell(row=top + 1, column=j, value=h)
        c.font, c.fill, c.alignment = st["head"], st["head_fill"], st["center"]
    r = top + 1
    for r, values in enumerate(rows, start=top + 2):
        for j, (v, fmt) in enumerate(zip(values, formats), start=1):
            c = ws.cell(row=r, column=j, value=_cell_value(v))
            c.number_format = fmt
            c.border = st["bottom"]
    return top + 2, r


def _summary_sheet(wb: Any, r: ReportData) -> None:
    from openpyxl.chart import BarChart, Reference, ScatterChart, Series
    from openpyxl.worksheet.pagebreak import Break
    from openpyxl.worksheet.properties import PageSetupProperties

    st = _styles()
    ws = wb.create_sheet("Summary", 0)
    ws.sheet_view.showGridLines = False
    ws.sheet_properties.tabColor = "1F3864"
    ws["A1"] = f"Hedge report — {r.source_name}"
    ws["A1"].font = st["title"]
    ws["A2"] = (f"Computed by hedgecore {__version__} on {r.generated_at} from the inputs of the workbook; "
                "every figure below and in the sheets is a value, not a formula.")
    ws["A2"].font = st["subtitle"]
    row = 4
    sections: dict[str, list[Figure]] = {}
    for f in summary_figures(r):
        sections.setdefault(f.section, []).append(f)
    for section, figs in sections.items():
        ws.cell(row=row, column=1, value=section).font = st["section"]
        row += 1
        for f in figs:
            ws.cell(row=row, column=1, value=f.label).font = st["label"]
            c = ws.cell(row=row, column=2, value=_cell_value(f.value))
            c.font, c.number_format, c.alignment = st["value"], f.number_format, st["right"]
            if f.note:
                ws.cell(row=row, column=3, value=f.note).font = st["note"]
            for j in (1, 2):
                ws.cell(row=row, column=j).border = st["bottom"]
            row += 1
        row += 1
    for i in range(4, row):  # long text runs on into the empty note columns
        if ws.cell(row=i, column=1).value in ("Input SHA-256", "Input file"):
            ws.cell(row=i, column=2).alignment = st["left"]
        if ws.cell(row=i, column=1).value == "Input SHA-256":
            ws.cell(row=i, column=2).font = st["small"]
    ws.row_breaks.append(Break(id=row - 1))  # the tables start a printed page

    # Per-asset table and stress table (the charts' data).
    h = r.holdings
    a_first, a_last = _write_table(
        ws, st, row, "Holdings", ("Asset", "Value (USD)", "Weight", "Beta", "Beta exposure (USD)"),
        h[["Asset", "Value", "Weight", "Beta", "Beta exposure"]].itertuples(index=False),
        ("@", _USD0, _PCT, _BETA, _USD0))
    row = a_last + 2
    s = r.stress
    liquidated = s["Liquidated"] if "Liquidated" in s else pd.Series(False, index=s.index)
    s_first, s_last = _write_table(
        ws, st, row, f"Stress test ({r.hedge_asset} shock; alts move beta × shock; funding over the horizon)",
        ("Shock", "Hedge price", "Unhedged P&L", "Hedged P&L", "Liquidated"),
        zip(s["Shock"], s["Hedge price"], s["Unhedged P&L"], s["Net P&L"], np.where(liquidated, "yes", "")),
        (_PCT_SIGNED, _PRICE, _USD0, _USD0, "@"))
    for rr in range(s_first, s_last + 1):
        ws.cell(row=rr, column=5).alignment = st["right"]

    for col, width in zip("ABCDEFG", (36, 23, 15, 15, 19, 3, 3)):
        ws.column_dimensions[col].width = width

    def style(chart: Any, title: str, x_title: str, y_title: str, y_fmt: str) -> None:
        chart.title = title
        chart.style = 10
        chart.height, chart.width = 7.6, 17.0
        chart.x_axis.title, chart.y_axis.title = x_title, y_title
        chart.y_axis.number_format = y_fmt
        chart.x_axis.delete = chart.y_axis.delete = False
        chart.legend.position = "b"

    stress_chart = BarChart()
    stress_chart.type, stress_chart.grouping = "col", "clustered"
    style(stress_chart, "Stress test: P&L unhedged vs hedged", f"{r.hedge_asset} shock", "P&L (USD)", '"$"#,##0')
    stress_chart.add_data(Reference(ws, min_col=3, max_col=4, min_row=s_first - 1, max_row=s_last), titles_from_data=True)
    stress_chart.set_categories(Reference(ws, min_col=1, min_row=s_first, max_row=s_last))
    stress_chart.x_axis.number_format = "0%"
    stress_chart.x_axis.tickLblPos = "low"
    for series, color in zip(stress_chart.series, ("C00000", "1F4E9E")):
        series.graphicalProperties.solidFill = color
        series.graphicalProperties.line.solidFill = color
    stress_chart.gapWidth = 60
    ws.add_chart(stress_chart, "H4")

    # Beta per asset beside the Holdings table (page 2); horizontal bars, table order, for many assets.
    beta_chart = BarChart()
    many = len(h) > 12
    beta_chart.type = "bar" if many else "col"
    style(beta_chart, f"Beta to {r.hedge_asset} per asset", "", "Beta", "0.00")
    beta_chart.add_data(Reference(ws, min_col=4, min_row=a_first - 1, max_row=a_last), titles_from_data=True)
    beta_chart.set_categories(Reference(ws, min_col=1, min_row=a_first, max_row=a_last))
    beta_chart.legend = None
    beta_chart.series[0].graphicalProperties.solidFill = "2E75B6"
    beta_chart.gapWidth = 40
    beta_chart.x_axis.tickLblPos = "low"
    if many:
        beta_chart.x_axis.scaling.orientation = "maxMin"  # first asset on top, as in the table
        beta_chart.x_axis.tickLblSkip = 1
        beta_chart.height = 2.5 + 0.45 * len(h)
    ws.add_chart(beta_chart, f"H{a_first - 1}")

    rb = _rolling_sheet(wb, r)
    line = ScatterChart(scatterStyle="line")
    style(line, f"Rolling {r.rolling_window}-day beta to {r.hedge_asset}", "", "Beta", "0.00")
    n = len(r.rolling)
    lines = ((Reference(rb, min_col=2, min_row=1, max_row=n + 1), Reference(rb, min_col=1, min_row=2, max_row=n + 1),
              "2E75B6", 15875, None),
             (Reference(rb, min_col=5, min_row=1, max_row=3), Reference(rb, min_col=4, min_row=2, max_row=3),
              "C00000", 12700, "dash"))
    for values, dates, color, width, dash in lines:
        series = Series(values, dates, title_from_data=True)
        series.graphicalProperties.line.solidFill = color
        series.graphicalProperties.line.width = width
        series.graphicalProperties.line.dashStyle = dash
        series.marker.symbol = "none"
        series.smooth = False
        line.series.append(series)
    # A date axis on a scatter chart: serial days, a label every ~6 months.
    first, last = (float((d - pd.Timestamp("1899-12-30")).days) for d in (r.first_date, r.last_date))
    line.x_axis.scaling.min, line.x_axis.scaling.max = first, last
    line.x_axis.majorUnit = max(1.0, round((last - first) / 6))
    line.x_axis.number_format = "mmm yyyy"
    line.x_axis.tickLblPos = "low"
    ws.add_chart(line, "H21")

    ws.freeze_panes = "A4"
    ws.print_title_rows = "1:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.oddFooter.center.text = "&F — &A — page &P of &N"


def _rolling_sheet(wb: Any, r: ReportData) -> Any:
    """The series behind the rolling-beta chart: Date, rolling beta, full-period basket beta."""
    from openpyxl.worksheet.properties import PageSetupProperties

    st = _styles()
    at = wb.sheetnames.index("StressTest") + 1 if "StressTest" in wb.sheetnames else len(wb.sheetnames)
    ws = wb.create_sheet("Rolling beta", at)
    ws.sheet_view.showGridLines = False
    heads = ("Date", f"Rolling {r.rolling_window}-day beta", "", "Date", "Full-period beta")
    for j, text in enumerate(heads, start=1):
        if text:
            c = ws.cell(row=1, column=j, value=text)
            c.font, c.fill, c.alignment = st["head"], st["head_fill"], st["center"]
    for i, (d, b) in enumerate(zip(r.rolling.index, r.rolling.to_numpy()), start=2):
        ws.cell(row=i, column=1, value=pd.Timestamp(d).to_pydatetime()).number_format = "yyyy-mm-dd"
        ws.cell(row=i, column=2, value=_cell_value(b)).number_format = _BETA
    # The full-period basket beta as a two-point line from the first to the last date.
    for i, d in enumerate((r.first_date, r.last_date), start=2):
        ws.cell(row=i, column=4, value=d.to_pydatetime()).number_format = "yyyy-mm-dd"
        ws.cell(row=i, column=5, value=_cell_value(r.basket.beta)).number_format = _BETA
    for col, width in zip("ABCDE", (12, 22, 3, 12, 16)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    return ws


def build_report_workbook(r: ReportData, source: Path, workbook: Any = None) -> Any:
    """The report workbook: the input's sheets with values in place of formulas, plus Summary and Rolling beta.

    ``workbook`` is the input already loaded with openpyxl (``data_only=False``); loaded here if
    not given. The input file is never written.
    """
    if workbook is None:
        from openpyxl import load_workbook

        workbook = load_workbook(source)
    wb = workbook
    filler = _Filler(wb, r, source)
    try:
        filler.fill()
    finally:
        filler.close()
    for name in ("Summary", "Rolling beta"):
        if name in wb.sheetnames:  # a report fed back in: replace, don't duplicate
            del wb[name]
    _summary_sheet(wb, r)
    wb.active = 0
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == "Summary"
    wb.calculation.fullCalcOnLoad = False
    props = wb.properties
    props.title = f"hedgecore report — {r.source_name}"
    props.lastModifiedBy = f"hedgecore {__version__}"
    props.modified = datetime.now(timezone.utc).replace(tzinfo=None)
    return wb


# --------------------------------------------------------------------------- jobs


@dataclass(frozen=True)
class Job:
    """One input of a batch (picklable, sent to a worker process)."""

    source: str
    outdir: str
    fmt: str = "xlsx"
    overwrite: bool = False


@dataclass(frozen=True)
class Outcome:
    """Result of one job: ``message`` is the line to print (``wrote ...`` or the failure).

    ``summary`` holds the figures by key (json-safe values) for ``summary.csv`` and callers.
    """

    source: str
    ok: bool
    message: str
    outputs: tuple[str, ...] = ()
    summary: dict[str, Any] | None = None


def output_paths(source: str | os.PathLike[str], outdir: str | os.PathLike[str], fmt: str) -> tuple[Path, ...]:
    """Report file(s) an input gives: ``<stem>-report.xlsx|json``, or ``<stem>-assets.csv`` and ``<stem>-stress.csv``."""
    stem, out = Path(source).stem, Path(outdir)
    if fmt == "csv":
        return out / f"{stem}-assets.csv", out / f"{stem}-stress.csv"
    return (out / f"{stem}-report.{fmt}",)


def _check_container(path: Path, data: bytes) -> None:
    """Fail early and clearly on files that cannot be an xlsx workbook."""
    if data.startswith(_OLE_MAGIC):
        raise WorkbookError(f"{path.name}: encrypted (password-protected) workbook or legacy .xls file; "
                            "save it as .xlsx without a password")
    if not data.startswith(b"PK"):
        raise WorkbookError(f"{path.name}: not an .xlsx workbook (not a zip file)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise WorkbookError(f"{path.name}: not a readable .xlsx workbook (truncated or corrupt)") from None
    if "xl/workbook.xml" not in names:
        raise WorkbookError(f"{path.name}: not an .xlsx workbook (no xl/workbook.xml inside)")


def _failure_message(path: Path, exc: BaseException) -> str:
    """One line for a failed input; names the file once."""
    if isinstance(exc, FileExistsError):
        target = Path(exc.filename)
        return f"{path}: report {target} already exists; use --overwrite to replace it"
    if isinstance(exc, HedgecoreError):
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        # read_workbook's messages start with the file name ("x.xlsx, sheet Portfolio, cell B5: ...").
        if text.startswith(path.name):
            text = text[len(path.name):].lstrip(":, ")
        return f"{path}: {text}"
    if isinstance(exc, ImportError) and exc.name in ("openpyxl", "et_xmlfile"):
        return f"{path}: reading workbooks needs openpyxl: pip install 'hedgecore[batch]'"
    if isinstance(exc, (zipfile.BadZipFile, EOFError)):
        return f"{path}: not a readable .xlsx workbook (truncated or corrupt)"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else ""
        return f"{path}: {exc.strerror or type(exc).__name__}{where}"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{path}: unexpected {type(exc).__name__}{': ' + text if text else ''} (please report this)"


def _write_csv(path: Path, df: pd.DataFrame) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(df.columns)
        for row in df.itertuples(index=False):
            w.writerow([_csv_value(v) for v in row])


def write_report(r: ReportData, source: Path, outdir: Path, fmt: str, *, overwrite: bool = False,
                 workbook: Any = None) -> tuple[Path, ...]:
    """Write the report(s) of one input into ``outdir``; returns the paths written."""
    targets = output_paths(source, outdir, fmt)
    if fmt == "xlsx":
        wb = build_report_workbook(r, source, workbook=workbook)
        atomic_write(targets[0], wb.save, overwrite=overwrite)
    elif fmt == "json":
        text = json.dumps(report_json(r), indent=2, allow_nan=False) + "\n"
        atomic_write(targets[0], lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite)
    elif fmt == "csv":
        for target, df in zip(targets, (r.holdings, _stress_table(r))):
            atomic_write(target, lambda tmp, df=df: _write_csv(tmp, df), overwrite=overwrite)
    else:
        raise HedgecoreError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return targets


def process_job(job: Job) -> Outcome:
    """Run one input end to end; never raises for a problem with the input (one line instead)."""
    path = Path(job.source)
    try:
        targets = output_paths(path, job.outdir, job.fmt)
        if any(t.resolve() == path.resolve() for t in targets):
            raise HedgecoreError("the report would replace the input file; choose another output folder")
        if not job.overwrite:
            for t in targets:
                if t.exists():
                    raise FileExistsError(17, "File exists", str(t))
        data = path.read_bytes()
        _check_container(path, data)
        Path(job.outdir).mkdir(parents=True, exist_ok=True)
        inputs, loaded = read_workbook_and_book(path, data)
        r = compute_report(
            inputs.holdings,
            inputs.prices,
            inputs.shocks,
            dict(inputs.settings),
            source_name=path.name,
            sha256=hashlib.sha256(data).hexdigest(),
            where=lambda name: inputs.where(name).split(", ", 1)[1] if name in inputs.cells else name,
        )
        written = write_report(r, path, Path(job.outdir), job.fmt, overwrite=job.overwrite, workbook=loaded)
        summary = {f.key: _json_value(f.value) for f in summary_figures(r)}
        return Outcome(source=job.source, ok=True, message=f"wrote {', '.join(str(w) for w in written)}",
                       outputs=tuple(str(w) for w in written), summary=summary)
    except Exception as exc:  # noqa: BLE001 - one line per bad input, never a traceback
        return Outcome(source=job.source, ok=False, message=_failure_message(path, exc))
