"""The workbook contract: sheets, tables, defined names, inputs, results and their formulas.

This module is the one description of the template that the writer
(:mod:`hedgecore.excel.writer`), the reader (:mod:`hedgecore.excel.reader`) and the report
(:mod:`hedgecore.report`) share. Scripts and batch mode address a workbook only through the names
here: the Hedge inputs (:data:`INPUTS`), the Hedge results (:data:`OUTPUTS`), the range names
(:data:`RANGE_NAMES`) and the tables ``Holdings``, ``Prices`` and ``Shocks``.

Each result carries both its Excel formula and the :class:`~hedgecore.excel.compute.ReportData`
attribute the report recomputes it as (``Output.source``): the sheet, its cached values and the
report are generated from the same entry, so they cannot drift apart. Every computed cell is a
single-cell formula — LibreOffice recalculates array formulas on open, ignoring their cached
values — and the add-in computes a hedge plan or a stress table once per set of inputs, however
many cells ask for its fields (``HEDGE_PLAN(...,"contracts")``, ``SCENARIO_PNL(...,shock,column)``).

Names that grow with the tables: every table range name is a non-volatile dynamic range,
``INDEX(bounded,2,1):INDEX(bounded,<End>,<width>)``, whose end is the last row holding a key
(an Asset, a Date, a Shock) inside a generous bounded range anchored at the header row, found
with ``MATCH`` (:func:`dynamic_range`). Typing below a table, inserting a row anywhere under its
header or pasting a longer history therefore moves the names with the data, in Excel and in the
headless ``formulas`` recalculation alike (which cannot parse structured references such as
``Holdings[Value]``, EXCEL.md §8). Pure data: no openpyxl here.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .._typing import HEDGE_RATIO_MODES, POLICIES
from ..contracts import CONTRACT_TYPES
from ..plan import PLAN_LABELS, PLAN_RISK_LABELS
from ..scenarios import SCENARIO_COLUMNS, SCENARIO_RISK_COLUMNS
from ..sizing import ROUNDING_MODES
from . import styles

__all__ = [
    "Check",
    "Validation",
    "Input",
    "Output",
    "Column",
    "SHEETS",
    "INPUTS",
    "OUTPUTS",
    "INPUT_NAMES",
    "BLANK_OK_INPUTS",
    "OUTPUT_NAMES",
    "TEXT_INPUTS",
    "RANGE_NAMES",
    "DEFAULT_SETTINGS",
    "DEFAULT_FORMULAS",
    "DEFAULT_SHOCKS",
    "HOLDINGS_COLUMNS",
    "HOLDINGS_COMPUTED",
    "HOLDINGS_TOTALS",
    "TABLE_NAMES",
    "TABLE_SPANS",
    "TABLE_KEY_NAMES",
    "Span",
    "plan_formula",
    "stress_formula",
    "SHOCKS_COLUMNS",
    "dynamic_range",
    "end_formula",
    "STRESS_COLUMNS",
    "TEMPLATE_TIMESTAMP",
    "EXAMPLE_ASSETS",
    "EXAMPLE_PRICE_ASSETS",
    "EXAMPLE_SETTINGS",
    "input_spec",
    "OPTIONAL_NAMES",
    "STRESS_CHART_COLUMN",
    "LIQUIDATION_LINE",
    "BACKTEST_INPUTS",
    "BACKTEST_INPUT_NAMES",
    "BACKTEST_DEFAULTS",
    "BACKTEST_NAMES",
    "BACKTEST_ID_FORMULA",
    "BACKTEST_ID_OUTPUT",
    "BACKTEST_TABLE",
    "BACKTEST_MARKERS",
    "BACKTEST_SUMMARY_FORMATS",
    "EXAMPLE_BACKTEST_SETTINGS",
    "backtest_summary_formula",
    "backtest_daily_formula",
    "FUNDING_SOURCES",
    "FUNDING_COLUMNS",
    "FUNDING_SPAN",
    "FUNDING_NAMES",
    "FUNDING_CONTRACT_NAME",
    "FUNDING_CONTRACT_CELL",
]

#: Every workbook property timestamp is this, so regeneration is reproducible.
TEMPLATE_TIMESTAMP = _dt.datetime(2024, 4, 10, 0, 0, 0)

#: Sheets in workbook order (``Lists`` is hidden: the drop-down lists).
SHEETS = ("Guide", "Portfolio", "Prices", "Hedge", "StressTest", "Backtest", "Funding", "Lists")


# ---------------------------------------------------------------------------------------------
# Hedge inputs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """What a numeric input accepts: ``test(x)`` must hold, else ``"<name> <message>, got x"``."""

    test: Callable[[float], bool]
    message: str


@dataclass(frozen=True)
class Validation:
    """The Excel data validation of an input cell (a typing guard; :class:`Check` is the rule)."""

    type: str  # "list" or "decimal"
    formula1: str
    error: str
    operator: str | None = None
    formula2: str | None = None


@dataclass(frozen=True)
class Input:
    """One named input cell of the Hedge sheet."""

    name: str
    label: str
    unit: str
    help: str
    default: Any  # value in the empty template; None = the default formula (or blank)
    validation: Validation
    text: bool = False  # a text input (else a number)
    choices: tuple[str, ...] = ()  # allowed texts (case-insensitive), for text inputs with a list
    check: Check | None = None  # accepted numbers
    formula: str | None = None  # default formula, evaluated by hedgecore when no value is cached
    number_format: str | None = None
    blank_ok: bool = False  # may be left blank: "none" for a text input, the default (None) for a number
    optional: bool = False  # older templates may lack it: read as its default


def _list(values: tuple[str, ...], error: str) -> Validation:
    return Validation("list", '"' + ",".join(values) + '"', error)


def _between(low: str, high: str, error: str) -> Validation:
    return Validation("decimal", low, error, "between", high)


#: Where the funding rate the plan and the stress test use comes from (input ``FundingSource``).
FUNDING_SOURCES: tuple[str, ...] = ("constant", "history")

_POSITIVE = Check(lambda x: x > 0, "must be positive")
_NONNEGATIVE = Check(lambda x: x >= 0, "must be zero or positive")
_FINITE = Check(math.isfinite, "must be a finite number")

#: The Hedge sheet's input cells, in sheet order.
INPUTS: tuple[Input, ...] = (
    Input("HedgeAsset", "Hedge coin", "ticker", "Coin of the perpetual, a column header of Prices (e.g. ETH).",
          "ETH", Validation("list", "=PricesHeader", "Pick a ticker that heads a column of Prices."), text=True),
    Input("Contract", "Catalog contract", "name",
          "From the drop-down, e.g. binance:ETHUSD_PERP. Blank = use type and size below. When set, its type and size win.",
          "binance:ETHUSD_PERP", Validation("list", "=ContractList", "Pick a catalog contract or leave blank."),
          text=True, blank_ok=True),
    Input("ContractType", "Contract type", "",
          "inverse (coin-margined, USD face value) or linear (USDT-margined, size in coins). Must match the catalog contract.",
          "inverse", _list(CONTRACT_TYPES, "Pick inverse or linear."), text=True, choices=CONTRACT_TYPES),
    Input("ContractSize", "Contract size", "USD or coin",
          "USD face value per contract (inverse) or coins per contract (linear). Used when Catalog contract is blank.",
          10.0, Validation("decimal", "0", "Must be a number > 0.", "greaterThan"), check=_POSITIVE,
          number_format=styles.SIZE),
    Input("HedgePrice", "Hedge coin price", "USD",
          "Default: the last non-blank close of the hedge coin in Prices (formula; blank without closes). Overwrite with a live price.",
          None, Validation("decimal", "0", "Must be a price > 0 (USD).", "greaterThan"), check=_POSITIVE,
          formula='=IFERROR(INDEX(HedgeCloses,MATCH(1E+300,HedgeCloses)),"")', number_format=styles.USD),
    Input("HedgeRatio", "Hedge ratio", "x",
          "Default: the portfolio beta (formula =PortfolioBeta). Overwrite with a number, e.g. 1.",
          None, _between("-10", "10", "Must be a number between -10 and 10."), check=_FINITE,
          formula="=PortfolioBeta", number_format=styles.BETA),
    Input("Rounding", "Rounding", "", "Contracts are whole: nearest, down (toward zero), up, or none.",
          "nearest", _list(ROUNDING_MODES, "Pick none, down, nearest or up."), text=True, choices=ROUNDING_MODES),
    Input("Collateral", "Collateral", "coins",
          "Hedge-coin posted as margin (inverse only; a long position, hedged too). 0 = isolated margin at Leverage.",
          0.0, Validation("decimal", "0", "Must be 0 or more coins.", "greaterThanOrEqual"), check=_NONNEGATIVE,
          number_format=styles.COIN),
    Input("Leverage", "Leverage", "x", "Initial-margin leverage; sets the wallet when Collateral is 0.",
          1.0, _between("1", "125", "Must be between 1 and 125."), check=_POSITIVE, number_format=styles.TIMES),
    Input("MaintenanceMargin", "Maintenance margin rate", "%",
          "Blank = the catalog contract's tier table, re-solved at the liquidation price (one tier at 0.5 % where the "
          "catalog has none, e.g. Binance COIN-M). A number = one tier at that rate (Binance ETHUSD_PERP tier 1: 0.5 %).",
          None, _between("0", "0.5", "Must be between 0 % and 50 %, or blank for the contract's tiers."),
          check=Check(lambda x: 0 <= x < 1, "must be at least 0 and below 1 (0.005 = 0.5 %)"),
          number_format=styles.PCT3, blank_ok=True),
    Input("FundingRate", "Funding rate", "% per interval",
          "Per funding interval (Funding interval below: the catalog contract's, else 8 h). Positive = longs pay "
          "shorts, so the short hedge receives.",
          0.0001, _between("-0.05", "0.05", "Must be between -5 % and +5 % per interval."), check=_FINITE,
          number_format=styles.RATE),
    # funding from the history (issue 13): the Funding sheet, FundingHistoryRate and FundingRateUsed below
    Input("FundingSource", "Funding rate from", "",
          "constant = the Funding rate above; history = the mean of the last FundingDays complete UTC days of the "
          "Funding sheet. The result Funding rate used is what the plan and the stress test take.",
          "constant", _list(FUNDING_SOURCES, "Pick constant or history."), text=True, choices=FUNDING_SOURCES,
          optional=True),
    Input("FundingDays", "Funding history window", "days",
          "Complete UTC days of the Funding sheet averaged when Funding rate from is history.",
          30.0, Validation("whole", "1", "Must be a whole number of days from 1 to 3650.", "between", "3650"),
          check=Check(lambda x: 1 <= x <= 3650 and float(x).is_integer(), "must be a whole number of days from 1 to 3650"),
          number_format=styles.DAYS, optional=True),
    Input("HorizonDays", "Horizon", "days", "Holding period for the funding cost and the stress test.",
          30.0, _between("0", "3650", "Must be between 0 and 3650 days."), check=_NONNEGATIVE,
          number_format=styles.DAYS),
    Input("ContractsHeld", "Contracts held now", "contracts",
          "Contracts already short on the exchange (0 = no position yet). Trade now below says what to add or buy back.",
          0.0, Validation("decimal", "0", "Must be 0 or more contracts.", "greaterThanOrEqual"), check=_NONNEGATIVE,
          number_format=styles.QTY, optional=True),
    Input("MarginBalance", "Margin balance now", "coin (inverse) / USDT",
          "Wallet balance + unrealised P&L of the account holding that short: the collateral to size on (the wallet "
          "balance alone over-sizes the hedge after a rally). Blank = no position yet.",
          None, Validation("decimal", "0", "Must be 0 or more, or blank.", "greaterThanOrEqual"), check=_NONNEGATIVE,
          number_format=styles.COIN, blank_ok=True, optional=True),
    Input("SecondAsset", "Second hedge coin (two-leg)", "ticker",
          "Optional, e.g. BTC: a two-leg hedge (hedge coin + this coin) is computed below; blank = one leg.",
          "", Validation("list", "=PricesHeader", "Pick a ticker that heads a column of Prices, or leave blank."),
          text=True, blank_ok=True),
)

INPUT_NAMES: tuple[str, ...] = tuple(i.name for i in INPUTS)
TEXT_INPUTS = frozenset(i.name for i in INPUTS if i.text)
DEFAULT_SETTINGS = MappingProxyType({i.name: i.default for i in INPUTS})
DEFAULT_FORMULAS = MappingProxyType({i.name: i.formula for i in INPUTS if i.formula})
BLANK_OK_INPUTS = frozenset(i.name for i in INPUTS if i.blank_ok)
_BY_NAME = {i.name: i for i in INPUTS}


def input_spec(name: str) -> Input:
    """The :class:`Input` called ``name`` (KeyError if there is none)."""
    return _BY_NAME[name]


# ---------------------------------------------------------------------------------------------
# Hedge results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Output:
    """One named result cell of the Hedge sheet.

    ``formula`` is what Excel computes; for a result of the hedge plan it is :func:`plan_formula`
    of ``plan_field`` (a :data:`~hedgecore.plan.PLAN_LABELS` field). ``source`` is the attribute
    path of :class:`~hedgecore.excel.compute.ReportData` holding the value hedgecore computes for it.
    """

    name: str
    label: str
    unit: str
    help: str
    formula: str
    source: str
    number_format: str
    plan_field: str | None = None
    optional: bool = False  # older templates may lack it (the reader skips it)


_CONTRACT_ARG = 'IF(Contract="",ContractSize,Contract)'
#: A blank MaintenanceMargin reaches the add-in as "" (the contract's tiers), never as desktop Excel's 0.
_MMR_ARG = 'IF(MaintenanceMargin="","",MaintenanceMargin)'
_PLAN_ARGS = (
    f"PortfolioValue,HedgePrice,{_CONTRACT_ARG},HedgeRatio,ContractType,Rounding,"
    f"Collateral,Leverage,{_MMR_ARG},FundingRateUsed"
)
_SIDE = 'IF(Contracts<0,"long","short")'
_PLAN_FIELDS = frozenset(field for field, _ in PLAN_LABELS + PLAN_RISK_LABELS) | {"margin_verdict", "delta_verdict"}
#: Results are blank ("") while the portfolio is empty (the empty template).
_UNLESS_EMPTY = 'IF(PortfolioValue=0,"",{})'


def plan_formula(field: str) -> str:
    """``HEDGE_PLAN(...,"field")``: one result of the hedge plan in one cell.

    Every plan result calls ``HEDGE_PLAN`` with the same inputs; the add-in computes the plan
    once per set of inputs and answers the other cells from it. Single cells, not one array
    formula, because LibreOffice recalculates array formulas on open (ignoring their cached
    values), which would show ``#NAME?`` wherever the add-in is missing.
    """
    if field not in _PLAN_FIELDS:
        raise ValueError(f"not a HEDGE_PLAN field: {field!r}")
    return "=" + _UNLESS_EMPTY.format(f'HEDGE_PLAN({_PLAN_ARGS},"{field}")')


def _plan(name: str, label: str, unit: str, help_text: str, field: str, number_format: str,
          optional: bool = False) -> Output:
    return Output(name, label, unit, help_text, plan_formula(field), f"plan.{field}", number_format, plan_field=field,
                  optional=optional)


def _risk(name: str, label: str, unit: str, help_text: str, field: str, number_format: str) -> Output:
    """A margin or liquidation-risk result of the hedge plan (issue 10), absent from older templates."""
    return _plan(name, label, unit, help_text, field, number_format, optional=True)


#: RESIDUAL_BAND of the basket (Prices with its header, the holdings) at the stress beta over the horizon.
_BAND = ('=IF(PortfolioValue=0,"",RESIDUAL_BAND(PricesTable,HedgeCloses,PortfolioBeta,MAX(1,ROUNDUP(HorizonDays,0)),'
         'HoldingsAsset,HoldingsQuantity,0.05,0.95,"{field}"))')
_TRADE = ('=IF(PortfolioValue=0,"",IF(MarginBalance="",Contracts-ContractsHeld,HEDGE_TRADE(PortfolioValue,HedgePrice,'
          f'{_CONTRACT_ARG},ContractsHeld,MarginBalance,HedgeRatio,ContractType,Rounding,Leverage,{_MMR_ARG},'
          'FundingRateUsed,"trade_contracts")))')


_TWO_LEG_ON = 'OR(SecondAsset="",PortfolioValue=0)'
_IN_WINDOW = 'FundingTimes,">="&FundingWindowStart,FundingTimes,"<"&FundingWindowEnd'
#: The history mean per interval from the Funding table: the window's rates / its days with a settlement
#: (funding_summary's daily mean) x its mean interval hours / 24.
_FUNDING_MEAN = (f"SUMIFS(FundingRates,{_IN_WINDOW})/SUMIFS(FundingNewDay,{_IN_WINDOW})"
                 f"*AVERAGEIFS(FundingHours,{_IN_WINDOW})/24")

#: The Hedge sheet's result cells, in sheet order.
OUTPUTS: tuple[Output, ...] = (
    Output("PortfolioValue", "Portfolio value", "USD", "Sum of Holdings Value.", "=SUM(HoldingsValue)",
           "portfolio_value_usd", styles.USD),
    Output("PortfolioBeta", "Portfolio beta", "x",
           "Value-weighted mean of Holdings Beta (simple daily returns, all rows of Prices).",
           '=IF(PortfolioValue=0,"",SUMPRODUCT(HoldingsValue,HoldingsBeta)/PortfolioValue)', "portfolio_beta",
           styles.BETA),
    Output("PortfolioDownsideBeta", "Portfolio downside beta", "x",
           "Value-weighted Holdings Downside beta (days the hedge coin fell); the stress shows the P&L at it for falls.",
           '=IF(PortfolioValue=0,"",SUMPRODUCT(HoldingsValue,HoldingsDownsideBeta)/PortfolioValue)',
           "portfolio_downside_beta", styles.BETA, optional=True),
    _plan("HedgeNotional", "Hedge notional wanted", "USD",
          "Portfolio value x hedge ratio, plus the collateral (inverse).", "hedge_notional_usd", styles.USD),
    _plan("Contracts", "Contracts to short", "contracts", "Rounded as chosen. Negative = long.",
          "contracts", styles.CONTRACTS),
    _plan("HedgedNotional", "Notional hedged", "USD", "Contracts x contract value: what is actually shorted.",
          "hedged_notional_usd", styles.USD),
    _plan("ResidualExposure", "Residual exposure", "USD", "Wanted minus hedged notional (rounding leftover).",
          "residual_usd", styles.USD),
    _plan("InitialMargin", "Initial margin", "coin (inverse) / USD",
          "Hedged notional / leverage; in the hedge coin for inverse contracts.", "initial_margin", styles.COIN),
    _plan("EffectiveLeverage", "Effective leverage", "x",
          "Hedged notional / wallet (collateral, or the initial margin).", "effective_leverage", styles.TIMES),
    _plan("LiquidationPrice", "Liquidation price", "USD",
          "Hedge-coin price at which the short is liquidated; none = cannot be.",
          "liquidation_price_usd", styles.USD),
    _risk("MarginVerdict", "Margin verdict", "",
          "Whether the wallet (Collateral, or the initial margin) covers the initial margin at Leverage; if not, what "
          "to post or which leverage fits.", "margin_verdict", "General"),
    _risk("DeltaVerdict", "Delta verdict", "",
          "Whether the short covers the delta, margin coin included: with Collateral 0 the coin posted as margin is "
          "itself a long in the hedge coin, left unhedged; it says how much collateral would cover both.",
          "delta_verdict", "General"),
    _risk("MarginShortfall", "Margin still to post", "coin (inverse) / USDT",
          "Initial margin at Leverage minus the wallet; 0 when it fits. In the hedge coin for inverse contracts.",
          "margin_shortfall", styles.COIN),
    _risk("LeverageToFit", "Leverage at which it fits", "x",
          "Notional hedged / wallet value: the lowest leverage whose initial margin the wallet covers.",
          "leverage_to_fit", styles.TIMES),
    _risk("MaxLeverage", "Maximum leverage of the tier", "x",
          "Highest leverage the contract's tier at this size allows; unknown where the catalog has no tier table.",
          "max_leverage", styles.TIMES),
    _risk("MaintenanceRate", "Maintenance rate used", "%",
          "Of the tier at the liquidation price: Maintenance margin rate, or the contract's tiers when it is blank.",
          "maintenance_rate", styles.PCT3),
    _risk("LossIfLiquidated", "Loss if liquidated, price comes back", "USD",
          "The wallet's value at entry: a spike through the liquidation price closes the short and takes the "
          "account, even if the price then falls back.", "loss_if_liquidated_usd", styles.USD),
    _risk("FundingInterval", "Funding interval", "h", "Hours between funding payments: the catalog contract's, else 8.",
          "funding_interval_hours", "0.##"),
    Output("FundingHistoryRate", "Funding rate, history mean", "% per interval",
           "Mean funding per settlement of the last FundingDays complete UTC days of the Funding sheet (each day's "
           "funding x its mean interval / 24; blank without a history); the report adds its 5-95 % range and the "
           "share of days a short paid.",
           "=" + _UNLESS_EMPTY.format(f'IF(COUNT(FundingTimes)=0,"",{_FUNDING_MEAN})'),
           "funding.history_rate", styles.RATE, optional=True),
    Output("FundingRateUsed", "Funding rate used", "% per interval",
           "Funding rate, or the history mean when Funding rate from is history: what the plan, the funding cost "
           "and the stress test use.",
           "=" + _UNLESS_EMPTY.format('IF(FundingSource="history",FundingHistoryRate,FundingRate)'),
           "funding.rate_used", styles.RATE, optional=True),
    Output("FundingCost", "Funding over horizon", "USD",
           "Paid over Horizon days at Funding rate used every Funding interval; negative = received.",
           "=" + _UNLESS_EMPTY.format(f"FUNDING_COST(ABS(HedgedNotional),FundingRateUsed,HorizonDays,{_SIDE},"
                                      "FundingInterval)"),
           "funding_horizon_usd", styles.FUNDING_USD),
    Output("ResidualLow", "Residual band, low (5th pct)", "% of portfolio",
           "5th percentile of the basket's return minus Portfolio beta x the hedge coin's over Horizon days (whole, "
           ">= 1) in Prices: the hedged P&L ended this far below the stress line in 1 window of 20.",
           _BAND.format(field="low_frac"), "residual.low_frac", styles.PCT_SIGNED, optional=True),
    Output("ResidualHigh", "Residual band, high (95th pct)", "% of portfolio",
           "95th percentile of the same residual return: 1 window of 20 ended this far above the stress line.",
           _BAND.format(field="high_frac"), "residual.high_frac", styles.PCT_SIGNED, optional=True),
    Output("TradeNow", "Trade now", "contracts",
           "Contracts to short more (+) or buy back (-) to reach the target for today's portfolio and Margin balance "
           "now; blank Margin balance now: Contracts - Contracts held now.",
           _TRADE, "trade_contracts", styles.QTY, optional=True),
    Output("TwoLegBeta1", "Two-leg ratio, hedge coin", "x",
           "Two-leg regression: value-weighted Holdings 2-leg beta 1 (blank without a second coin).",
           f'=IF({_TWO_LEG_ON},"",SUMPRODUCT(HoldingsValue,HoldingsTwoLegBeta1)/PortfolioValue)',
           "two_leg.beta_1", styles.BETA),
    Output("TwoLegBeta2", "Two-leg ratio, second coin", "x",
           "Two-leg regression: value-weighted Holdings 2-leg beta 2.",
           f'=IF({_TWO_LEG_ON},"",SUMPRODUCT(HoldingsValue,HoldingsTwoLegBeta2)/PortfolioValue)',
           "two_leg.beta_2", styles.BETA),
    Output("TwoLegNotional1", "Two-leg short, hedge coin", "USD",
           "Portfolio value x ratio 1, plus the collateral (inverse); size it with Contract as above.",
           '=IF(TwoLegBeta1="","",PortfolioValue*TwoLegBeta1+IF(ContractType="inverse",Collateral*HedgePrice,0))',
           "two_leg.notional_1_usd", styles.USD),
    Output("TwoLegNotional2", "Two-leg short, second coin", "USD",
           "Portfolio value x ratio 2: USD to short of the second coin (HEDGE_CONTRACTS sizes it).",
           '=IF(TwoLegBeta2="","",PortfolioValue*TwoLegBeta2)', "two_leg.notional_2_usd", styles.USD),
)

OUTPUT_NAMES: tuple[str, ...] = tuple(o.name for o in OUTPUTS)
#: Inputs and results added after the first templates shipped: a workbook without them still reads.
OPTIONAL_NAMES = frozenset(i.name for i in INPUTS if i.optional) | frozenset(o.name for o in OUTPUTS if o.optional)



# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of the Holdings table: an input, or a formula ``formula.format(r=row)``.

    ``name`` is the range name over the column's data cells.
    """

    header: str
    name: str
    number_format: str
    formula: str | None = None
    hidden: bool = False  # a helper column (data of a chart), not printed

    @property
    def is_input(self) -> bool:
        return self.formula is None


_ASSET_CLOSES = "INDEX(PricesData,0,MATCH(A{r},PricesHeader,0))"
_BETA = '=IF(A{r}="","",BETA(' + _ASSET_CLOSES + ',HedgeCloses,"simple","prices"))'
_DOWNSIDE_BETA = ('=IF(A{r}="","",BETA_STATS(' + _ASSET_CLOSES + ',HedgeCloses,"simple","prices",'
                  '"downside_beta"))')
_TWO_LEG = ('=IF(OR(A{{r}}="",SecondAsset=""),"",TWO_LEG_HEDGE(' + _ASSET_CLOSES.replace("{r}", "{{r}}")
            + ',HedgeCloses,SecondCloses,"simple","prices","{field}"))')

#: Holdings table columns A:I (inputs Asset, Quantity, Price; the rest computed per row).
HOLDINGS_COLUMNS: tuple[Column, ...] = (
    Column("Asset", "HoldingsAsset", "@"),
    Column("Quantity", "HoldingsQuantity", styles.QTY),
    Column("Price", "HoldingsPrice", styles.USD4),
    Column("Value", "HoldingsValue", styles.USD, '=IF(A{r}="","",B{r}*C{r})'),
    Column("Beta", "HoldingsBeta", styles.BETA, _BETA),
    Column("Beta exposure", "HoldingsBetaExposure", styles.USD, '=IF(A{r}="","",D{r}*E{r})'),
    Column("Weight", "HoldingsWeight", styles.PCT, '=IF(A{r}="","",D{r}/PortfolioValue)'),
    Column("2-leg beta 1", "HoldingsTwoLegBeta1", styles.BETA, _TWO_LEG.format(field="beta_1")),
    Column("2-leg beta 2", "HoldingsTwoLegBeta2", styles.BETA, _TWO_LEG.format(field="beta_2")),
    Column("Downside beta", "HoldingsDownsideBeta", styles.BETA, _DOWNSIDE_BETA),
)
#: Computed Holdings columns: header -> range name (the report fills these with values).
HOLDINGS_COMPUTED = MappingProxyType({c.header: c.name for c in HOLDINGS_COLUMNS if not c.is_input})
#: Totals above the Holdings table (row 2), by column header: (formula, number format).
HOLDINGS_TOTALS = MappingProxyType({
    "Value": ("=PortfolioValue", styles.USD),
    "Beta": ("=PortfolioBeta", styles.BETA),
    "Beta exposure": ("=SUM(HoldingsBetaExposure)", styles.USD),
    "Weight": ("=SUM(HoldingsWeight)", styles.PCT),
})

#: Columns of the stress test: the scenario columns (the first is the Shock itself), Alt move, then the
#: liquidation and residual-risk columns (``Net P&L`` is liquidation-aware; the survived line beside it).
STRESS_COLUMNS: tuple[str, ...] = tuple(SCENARIO_COLUMNS) + ("Alt move",) + tuple(SCENARIO_RISK_COLUMNS)
#: Liquidated shows as yes/no: the cell holds 1 or 0 (LibreOffice recalculates a cached TRUE/FALSE on open).
LIQUIDATED_FORMAT = '"yes";"yes";"no"'
STRESS_FORMATS: tuple[str, ...] = ((styles.PCT, styles.USD) + (styles.USD0,) * 7 + (styles.PCT, LIQUIDATED_FORMAT)
                                   + (styles.USD0,) * 4)
_STRESS_ARGS = ("PortfolioValue,PortfolioBeta,HedgedNotional,HedgePrice,ShockValues,ContractType,Collateral,"
                "FundingRateUsed,HorizonDays")
#: After ``column``: the margin of the plan (leverage, tiers, contract), the residual band and the downside beta.
_STRESS_RISK_ARGS = (f'Leverage,{_MMR_ARG},IF(Contract="","",Contract),"",ResidualLow,ResidualHigh,'
                     "PortfolioDownsideBeta")


def stress_formula(column: str) -> str:
    """The stress cell of ``column`` in the row of shock ``$A{r}`` (``.format(r=row)``).

    ``SCENARIO_PNL`` of all the shocks, answering this row and column: the add-in computes the
    table once per set of inputs, and single cells keep their cached values in LibreOffice.
    """
    if column not in STRESS_COLUMNS[1:]:
        raise ValueError(f"not a stress column: {column!r}")
    call = f'SCENARIO_PNL({_STRESS_ARGS},FALSE,$A{{r}},"{column}",{_STRESS_RISK_ARGS})'
    return '=IF(OR(PortfolioValue=0,$A{r}=""),"",' + _STRESS_WRAP.get(column, "{call}").format(call=call) + ")"


#: Cells whose add-in value is wrapped: Liquidated as 1/0; the downside line only for falls (blank otherwise,
#: without asking the add-in, so the blank is what LibreOffice shows too).
_STRESS_WRAP = {"Liquidated": "1*{call}", "Net P&L at downside beta": 'IF($A{{r}}>=0,"",{call})'}


#: The chart's marker column (hidden): the hedged value where the short is liquidated, else #N/A (no point).
STRESS_CHART_COLUMN = "Hedged value if liquidated"
_LETTER = {c: chr(65 + k) for k, c in enumerate(STRESS_COLUMNS)}
_CHART_FORMULA = ('=IF(OR(PortfolioValue=0,$A{{r}}=""),NA(),IF({liq}{{r}}=1,{value}{{r}},NA()))'
                  .format(liq=_LETTER["Liquidated"], value=_LETTER["Hedged value"]))
#: The liquidation price as a vertical line on the stress chart: its shock (x, twice) and the chart's value
#: range (y), in two cells each in hidden columns beside table Shocks; #N/A (no line) when no shock reaches it.
LIQUIDATION_LINE = "Liquidation line (chart)"

#: Table Shocks: the Shock (input), then one computed column per stress column.
SHOCKS_COLUMNS: tuple[Column, ...] = (Column("Shock", "ShockValues", styles.PCT),) + tuple(
    Column(c, "", f, stress_formula(c)) for c, f in zip(STRESS_COLUMNS[1:], STRESS_FORMATS[1:])
) + (Column(STRESS_CHART_COLUMN, "", styles.USD0, _CHART_FORMULA, hidden=True),)
DEFAULT_SHOCKS: tuple[float, ...] = tuple(round(-0.5 + 0.1 * i, 10) for i in range(11))

# Positions (1-based rows and columns). Changing them changes the contract only through the names.
HEDGE_FIRST_INPUT_ROW = 5
HEDGE_FIRST_OUTPUT_ROW = HEDGE_FIRST_INPUT_ROW + len(INPUTS) + 2
HOLDINGS_HEADER_ROW = 4
HOLDINGS_BLANK_ROWS = 30  # data rows in the empty template
HOLDINGS_SPARE_ROWS = 20  # blank rows under the holdings of a filled template, ready to type into
PRICES_BLANK_ROWS = 5
SHOCK_HEADER_ROW = 5

# How far the dynamic names look for content, in rows (columns) after the header.
HOLDINGS_MAX_ROWS = 2_000
PRICES_MAX_ROWS = 20_000
PRICES_MAX_COLS = 50
SHOCKS_MAX_ROWS = 500


@dataclass(frozen=True)
class Span:
    """Where a table's dynamic names look: header row, first and last bounded column, key column.

    The names end at the last key of ``key`` kind ("text" or "number") in the key column within
    ``max_rows`` rows under the header (Excel's ``MATCH`` of a value above every key).
    """

    sheet: str
    header_row: int
    first_col: int
    last_col: int
    key_col: int
    key: str
    max_rows: int

    @property
    def last_row(self) -> int:
        return self.header_row + self.max_rows


HOLDINGS_SPAN = Span("Portfolio", HOLDINGS_HEADER_ROW, 1, len(HOLDINGS_COLUMNS), 1, "text", HOLDINGS_MAX_ROWS)
PRICES_SPAN = Span("Prices", 1, 1, 1 + PRICES_MAX_COLS, 1, "number", PRICES_MAX_ROWS)
SHOCKS_SPAN = Span("StressTest", SHOCK_HEADER_ROW, 1, len(SHOCKS_COLUMNS), 1, "number", SHOCKS_MAX_ROWS)
#: Past every key: the largest text (``REPT("z",255)``) or number.
_BEYOND = {"text": 'REPT("z",255)', "number": "1E+300"}


def _col(j: int) -> str:
    letters = ""
    while j:
        j, rem = divmod(j - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def bounded(span: Span, first_col: int, last_col: int | None = None, *, header: bool = True) -> str:
    """``Sheet!$A$h:$B$end``: the columns' bounded range from the header row (or the row below)."""
    last_col = first_col if last_col is None else last_col
    top = span.header_row if header else span.header_row + 1
    return f"{span.sheet}!${_col(first_col)}${top}:${_col(last_col)}${span.last_row}"


def end_formula(span: Span) -> str:
    """Position (header = 1) of the last key in the bounded key column; 2 when there is none."""
    key = bounded(span, span.key_col)
    return f"MAX(2,IFERROR(MATCH({_BEYOND[span.key]},{key}),1))"


def dynamic_range(span: Span, first_col: int, last_col: int | None = None, *, end: str, width: str | None = None) -> str:
    """A non-volatile range from the row under the header to row ``end`` of the bounded columns.

    ``INDEX(b,2,1):INDEX(b,end,width)``: anchored at the header row, so a row inserted right under
    it falls inside; ``end`` is a defined name holding :func:`end_formula`.
    """
    last_col = first_col if last_col is None else last_col
    b = bounded(span, first_col, last_col)
    width = width or str(last_col - first_col + 1)
    return f"INDEX({b},2,1):INDEX({b},{end},{width})"


def _holdings_name(j: int) -> str:
    return dynamic_range(HOLDINGS_SPAN, j, end="HoldingsEnd")


def _with_header(text: str) -> str:
    """A :func:`dynamic_range` that starts at the header row instead of the row below it."""
    return text.replace(",2,1):", ",1,1):", 1)


# ---- the Funding sheet (issue 13): the hedge contract's funding history, table Funding ----------------
FUNDING_HEADER_ROW = 4
FUNDING_BLANK_ROWS = 5  # data rows of an empty Funding table
FUNDING_MAX_ROWS = 40_000  # 4.5 years of hourly settlements
#: The single cell naming the contract the history belongs to (``binance:ETHUSD_PERP``; blank without one).
FUNDING_CONTRACT_NAME = "FundingContract"
FUNDING_CONTRACT_CELL = "B3"

#: Table Funding: the settlements as fetched (``hedgecore fetch funding``'s columns, the contract in
#: ``FundingContract``), and ``New day`` = 1 on the first settlement of each UTC day, which lets the
#: ``FundingHistoryRate`` formula count the days of its window as :func:`hedgecore.funding.funding_summary`
#: does. ``New day`` reads the row above (``{p}``), so it is not a calculated column: hedgecore writes it
#: on every row it writes.
FUNDING_COLUMNS: tuple[Column, ...] = (
    Column("Funding Time (UTC)", "FundingTimes", styles.DATETIME),
    Column("Funding Rate", "FundingRates", styles.RATE),
    Column("Interval Hours", "FundingHours", "0.##"),
    Column("New day", "FundingNewDay", "0", '=IF(A{r}="","",IF(INT(A{r})=IFERROR(INT(A{p}),-1),0,1))'),
)
FUNDING_SPAN = Span("Funding", FUNDING_HEADER_ROW, 1, len(FUNDING_COLUMNS), 1, "number", FUNDING_MAX_ROWS)
#: The Funding table's range names, and the window of ``FundingHistoryRate`` as date serials: it ends
#: (exclusive) after the last complete UTC day — the last day is complete when its settlements cover
#: 24 h or it is the only day — and starts ``FundingDays`` days earlier.
FUNDING_NAMES = MappingProxyType({
    "FundingEnd": end_formula(FUNDING_SPAN),
    **{c.name: dynamic_range(FUNDING_SPAN, j, end="FundingEnd") for j, c in enumerate(FUNDING_COLUMNS, start=1)},
    "FundingLastDay": "INT(MAX(FundingTimes))",
    "FundingWindowEnd": ('FundingLastDay+IF(AND(SUMIFS(FundingHours,FundingTimes,">="&FundingLastDay)<24-1E-9,'
                         "MIN(FundingTimes)<FundingLastDay),0,1)"),
    "FundingWindowStart": "FundingWindowEnd-FundingDays",
})

_PRICES_HEADER = f"Prices!$B$1:${_col(1 + PRICES_MAX_COLS)}$1"
_SHOCKS_END = end_formula(SHOCKS_SPAN)

#: Range names and their Excel definitions (dynamic, so they grow with the tables). The single
#: cells of ``INPUTS`` and ``OUTPUTS`` and ``ContractList`` are defined by the writer at their
#: positions.
TABLE_NAMES = MappingProxyType({
    "HoldingsEnd": end_formula(HOLDINGS_SPAN),
    **{c.name: _holdings_name(j) for j, c in enumerate(HOLDINGS_COLUMNS, start=1)},
    "PricesEnd": end_formula(PRICES_SPAN),
    "PricesWidth": f'MAX(1,IFERROR(MATCH({_BEYOND["text"]},{_PRICES_HEADER}),1))',
    "PricesDates": dynamic_range(PRICES_SPAN, 1, end="PricesEnd"),
    "PricesHeader": f"INDEX({_PRICES_HEADER},1,1):INDEX({_PRICES_HEADER},1,PricesWidth)",
    "PricesData": dynamic_range(PRICES_SPAN, 2, 1 + PRICES_MAX_COLS, end="PricesEnd", width="PricesWidth"),
    # the closes with their header row of tickers (RESIDUAL_BAND finds the holdings' columns by name)
    "PricesTable": _with_header(dynamic_range(PRICES_SPAN, 2, 1 + PRICES_MAX_COLS, end="PricesEnd",
                                              width="PricesWidth")),
    "HedgeCloses": "INDEX(PricesData,0,MATCH(HedgeAsset,PricesHeader,0))",
    "SecondCloses": "INDEX(PricesData,0,MATCH(SecondAsset,PricesHeader,0))",
    "ShocksEnd": _SHOCKS_END,
    "ShockValues": dynamic_range(SHOCKS_SPAN, 1, end="ShocksEnd"),
    "StressResult": dynamic_range(SHOCKS_SPAN, 2, len(SHOCKS_COLUMNS), end="ShocksEnd"),
    **FUNDING_NAMES,
})
#: The table each table name belongs to, with the representative name the reader checks.
TABLE_KEY_NAMES = MappingProxyType({"Holdings": "HoldingsAsset", "Prices": "PricesDates", "Shocks": "ShockValues",
                                    "Funding": "FundingTimes"})
TABLE_SPANS = MappingProxyType({"Holdings": HOLDINGS_SPAN, "Prices": PRICES_SPAN, "Shocks": SHOCKS_SPAN,
                                "Funding": FUNDING_SPAN})

#: Every range name of the template.
RANGE_NAMES: tuple[str, ...] = tuple(TABLE_NAMES) + ("ContractList", FUNDING_CONTRACT_NAME)


# ---------------------------------------------------------------------------------------------
# The shipped example
# ---------------------------------------------------------------------------------------------

#: Holdings and price columns of the shipped example, and its Hedge inputs.
EXAMPLE_ASSETS: tuple[str, ...] = ("SOL", "AVAX", "DOT", "LINK", "ADA", "XRP")
EXAMPLE_PRICE_ASSETS: tuple[str, ...] = EXAMPLE_ASSETS + ("ETH", "BTC")
EXAMPLE_SETTINGS = MappingProxyType(
    {
        "HedgeAsset": "ETH",
        "Contract": "binance:ETHUSD_PERP",
        "ContractType": "inverse",
        "ContractSize": 10.0,
        "Rounding": "nearest",
        "Collateral": 10.0,
        "Leverage": 3.0,
        "MaintenanceMargin": None,
        "FundingRate": 0.0001,
        "HorizonDays": 30.0,
        "SecondAsset": "BTC",
    }
)


# ---------------------------------------------------------------------------------------------
# Backtest sheet
# ---------------------------------------------------------------------------------------------

#: The Backtest sheet's input cells, in sheet order (each a defined name; checked by
#: :func:`~hedgecore.excel.inputs.check_settings` like the Hedge inputs).
BACKTEST_INPUTS: tuple[Input, ...] = (
    Input("BacktestPolicy", "Rebalancing policy", "",
          "none: open once, never trade; periodic: back to the target every N days; threshold: when the hedge "
          "drifts from its target by more than the threshold.",
          "threshold", _list(POLICIES, "Pick none, periodic or threshold."), text=True, choices=POLICIES),
    Input("BacktestThreshold", "Drift threshold", "% of target",
          "threshold policy: trade when |target - held| / target notional exceeds this (0.1 = 10 %).",
          0.1, _between("0", "10", "Must be between 0 % and 1000 %."), check=_NONNEGATIVE, number_format=styles.PCT),
    Input("BacktestEveryDays", "Rebalance every", "days", "periodic policy: days between rebalances.",
          7.0, Validation("decimal", "0", "Must be a number of days > 0.", "greaterThan"), check=_POSITIVE,
          number_format=styles.DAYS),
    Input("BacktestCooldownDays", "Cooldown", "days", "No trade sooner than this after the previous one (all policies).",
          0.0, Validation("decimal", "0", "Must be 0 or more days.", "greaterThanOrEqual"), check=_NONNEGATIVE,
          number_format=styles.DAYS),
    Input("BacktestBeta", "Beta", "",
          "rolling: the beta of the last Window daily returns; ewm: weighted with Half-life, once Window returns "
          "exist. Only prices known at each date are used.",
          "rolling", _list(HEDGE_RATIO_MODES, "Pick rolling or ewm."), text=True, choices=HEDGE_RATIO_MODES),
    Input("BacktestWindow", "Window", "days", "Daily returns in the beta's window (whole, >= 2); the backtest starts once it is full.",
          90.0, _between("2", "20000", "Must be a whole number of days, 2 or more."),
          check=Check(lambda x: x >= 2 and float(x).is_integer(), "must be a whole number of days, 2 or more"),
          number_format=styles.DAYS),
    Input("BacktestHalfLife", "Half-life", "days", "ewm beta: a return this many days old weighs half.",
          30.0, Validation("decimal", "0", "Must be a number of days > 0.", "greaterThan"), check=_POSITIVE,
          number_format=styles.DAYS),
    Input("BacktestFeeBps", "Taker fee", "bps", "On the notional of every trade, basis points (Binance futures taker: 4-5).",
          5.0, _between("0", "1000", "Must be between 0 and 1000 bps."), check=_NONNEGATIVE, number_format="0.0"),
    Input("BacktestSlippageBps", "Slippage", "bps", "Allowance on the notional of every trade, basis points.",
          2.0, _between("0", "1000", "Must be between 0 and 1000 bps."), check=_NONNEGATIVE, number_format="0.0"),
    Input("BacktestReopenDays", "Reopen after", "days",
          "After a liquidation, reopen this many days later by depositing the collateral again. Blank = never.",
          None, Validation("decimal", "0", "Must be 0 or more days, or blank.", "greaterThanOrEqual"),
          check=_NONNEGATIVE, number_format=styles.DAYS, blank_ok=True),
    Input("BacktestCollateral", "Collateral", "coins / USDT",
          "Margin at the start: hedge coins (inverse) or USDT (linear). Blank = the Hedge sheet's Collateral.",
          None, Validation("decimal", "0", "Must be a number > 0, or blank.", "greaterThan"), check=_POSITIVE,
          number_format=styles.COIN, blank_ok=True),
)
BACKTEST_INPUT_NAMES: tuple[str, ...] = tuple(i.name for i in BACKTEST_INPUTS)
BACKTEST_DEFAULTS = MappingProxyType({i.name: i.default for i in BACKTEST_INPUTS})
_BY_NAME.update({i.name: i for i in BACKTEST_INPUTS})

#: The shipped example's Backtest inputs (the others keep their defaults; the collateral is the Hedge sheet's).
EXAMPLE_BACKTEST_SETTINGS = MappingProxyType({"BacktestCooldownDays": 3.0, "BacktestReopenDays": 7.0})

#: Range names of the Backtest sheet: the whole Prices table with its header row and Date column.
_PRICES_ALL = bounded(PRICES_SPAN, 1, 1 + PRICES_MAX_COLS)
BACKTEST_NAMES = MappingProxyType({"PricesWithDates": f"INDEX({_PRICES_ALL},1,1):INDEX({_PRICES_ALL},PricesEnd,PricesWidth+1)"})

#: ``BacktestId``: the backtest of the Holdings basket with the Hedge sheet's contract, named by its
#: content; every other Backtest cell asks for one field of it (blank while the portfolio is empty).
BACKTEST_ID_FORMULA = (
    '=IF(PortfolioValue=0,"",HEDGE_BACKTEST(PricesWithDates,HoldingsAsset,HoldingsQuantity,' + _CONTRACT_ARG + ","
    'IF(ISNUMBER(BacktestCollateral),BacktestCollateral,IF(ContractType="inverse",Collateral,0)),'
    "HedgeAsset,ContractType,BacktestPolicy,BacktestThreshold,BacktestBeta,BacktestWindow,BacktestHalfLife,"
    'BacktestFeeBps,BacktestSlippageBps,FundingRateUsed,IF(ISNUMBER(BacktestReopenDays),BacktestReopenDays,"never"),'
    "BacktestCooldownDays,BacktestEveryDays," + _MMR_ARG + "))"
)


#: The cell naming the backtest (``HEDGE_BACKTEST``); ``source`` is the attribute of ``ReportData``.
BACKTEST_ID_OUTPUT = Output(
    "BacktestId", "Backtest", "name",
    "HEDGE_BACKTEST of the Holdings, Prices and Hedge inputs above: the result's name; the cells below ask it for one "
    "field each (BACKTEST_SUMMARY, BACKTEST_DAILY).",
    BACKTEST_ID_FORMULA, "backtest.id", "General")


_UNLESS_NO_BACKTEST = 'IF(BacktestId="","",{})'


def backtest_summary_formula(field: str) -> str:
    """One summary figure of the backtest named in ``BacktestId`` (blank without one).

    The guard matters in LibreOffice: it recalculates a cell cached as empty text, and without the
    add-in ``BACKTEST_SUMMARY`` is ``#NAME?`` there; ``IF`` answers first.
    """
    return "=" + _UNLESS_NO_BACKTEST.format(f'BACKTEST_SUMMARY(BacktestId,"{field}")')


def backtest_daily_formula(row: int, field: str) -> str:
    """Field ``field`` of row ``row`` (1-based) of the backtest's daily table (``#N/A`` past its end)."""
    return "=" + _UNLESS_NO_BACKTEST.format(f'BACKTEST_DAILY(BacktestId,{row},"{field}")')


_RATIOS = {"total_return_hedged", "total_return_unhedged", "volatility_hedged", "volatility_unhedged",
           "variance_reduction", "max_drawdown_hedged", "max_drawdown_unhedged", "worst_day_hedged",
           "worst_day_unhedged", "worst_week_hedged", "worst_week_unhedged", "worst_month_hedged",
           "worst_month_unhedged", "tracking_error"}
#: Number format of each backtest summary field (the others are text: "General").
BACKTEST_SUMMARY_FORMATS = MappingProxyType({
    **{k: styles.PCT_SIGNED if k.startswith(("total_", "max_", "worst_")) else styles.PCT for k in _RATIOS},
    **{k: styles.USD0 for k in ("funding_paid_usd", "fees_usd", "slippage_usd", "deposits_usd", "final_hedged_usd",
                                "final_unhedged_usd")},
    **{k: styles.COUNT for k in ("periods", "trades", "liquidations", "rows")},
})

#: The daily table of the Backtest sheet: (field of ``BACKTEST_DAILY``, header, number format).
BACKTEST_TABLE: tuple[tuple[str, str, str], ...] = (
    ("date", "Date", styles.DATE),
    ("hedged_usd", "Hedged (USD)", styles.USD0),
    ("unhedged_usd", "Unhedged (USD)", styles.USD0),
    ("drawdown_hedged", "DD hedged", styles.PCT),
    ("drawdown_unhedged", "DD unhedged", styles.PCT),
    ("hedge_ratio", "Beta then", styles.BETA),
    ("contracts", "Contracts", styles.COUNT),
    ("margin_balance", "Margin", styles.COIN),
    ("liquidation_price_usd", "Liq. price", styles.USD_PRICE),
    ("cum_funding_usd", "Funding so far", styles.USD0),
    ("event", "Event", "@"),
)
#: Hidden columns after the table for the chart's markers: (header, formula of the row's Event and Hedged cells).
BACKTEST_MARKERS: tuple[tuple[str, str], ...] = (
    ("Trade marker", '=IF(OR({event}="",{event}="hold",{event}="liquidation"),NA(),{value})'),
    ("Liquidation marker", '=IF(LEFT({event},11)="liquidation",{value},NA())'),
)

# Positions: inputs and results in A:E, the chart at G4, the daily table from G under the chart.
BACKTEST_FIRST_INPUT_ROW = 5
BACKTEST_ID_ROW = BACKTEST_FIRST_INPUT_ROW + len(BACKTEST_INPUTS) + 2
BACKTEST_TABLE_COL = 7
BACKTEST_TABLE_HEADER_ROW = 28
BACKTEST_BLANK_ROWS = 1_100  # daily rows of the empty template (about three years)
