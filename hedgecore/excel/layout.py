"""The workbook contract: sheets, tables, defined names, inputs, results and their formulas.

This module is the one description of the template that the writer
(:mod:`hedgecore.excel.writer`), the reader (:mod:`hedgecore.excel.reader`) and the report
(:mod:`hedgecore.report`) share. Scripts and batch mode address a workbook only through the names
here: the Hedge inputs (:data:`INPUTS`), the Hedge results (:data:`OUTPUTS`), the range names
(:data:`RANGE_NAMES`) and the tables ``Holdings``, ``Prices`` and ``Shocks``.

Each result carries both its Excel formula and the :class:`~hedgecore.report.ReportData`
attribute the report recomputes it as (``Output.source``), and the formulas that read a row of
``HEDGE_PLAN`` find the row from :data:`hedgecore.plan.PLAN_LABELS`: the sheet and the report
are generated from the same entry, so they cannot drift apart.

Formulas never use table structured references (``Holdings[Value]``): the ``formulas`` package
used for headless recalculation cannot parse them, so every range is a defined name over an
absolute A1 range (EXCEL.md §8). Pure data: no openpyxl here.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..contracts import CONTRACT_TYPES
from ..plan import PLAN_LABELS
from ..scenarios import SCENARIO_COLUMNS
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
    "OUTPUT_NAMES",
    "TEXT_INPUTS",
    "RANGE_NAMES",
    "DEFAULT_SETTINGS",
    "DEFAULT_FORMULAS",
    "DEFAULT_SHOCKS",
    "HOLDINGS_COLUMNS",
    "HOLDINGS_COMPUTED",
    "HOLDINGS_TOTALS",
    "STRESS_COLUMNS",
    "STRESS_FORMULA",
    "TEMPLATE_TIMESTAMP",
    "EXAMPLE_ASSETS",
    "EXAMPLE_PRICE_ASSETS",
    "EXAMPLE_SETTINGS",
    "input_spec",
]

#: Every workbook property timestamp is this, so regeneration is reproducible.
TEMPLATE_TIMESTAMP = _dt.datetime(2024, 4, 10, 0, 0, 0)

#: Sheets in workbook order (``Lists`` is hidden: the drop-down lists).
SHEETS = ("Guide", "Portfolio", "Prices", "Hedge", "StressTest", "Lists")


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


def _list(values: tuple[str, ...], error: str) -> Validation:
    return Validation("list", '"' + ",".join(values) + '"', error)


def _between(low: str, high: str, error: str) -> Validation:
    return Validation("decimal", low, error, "between", high)


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
          text=True),
    Input("ContractType", "Contract type", "",
          "inverse (coin-margined, USD face value) or linear (USDT-margined, size in coins). Must match the catalog contract.",
          "inverse", _list(CONTRACT_TYPES, "Pick inverse or linear."), text=True, choices=CONTRACT_TYPES),
    Input("ContractSize", "Contract size", "USD or coin",
          "USD face value per contract (inverse) or coins per contract (linear). Used when Catalog contract is blank.",
          10.0, Validation("decimal", "0", "Must be a number > 0.", "greaterThan"), check=_POSITIVE,
          number_format=styles.SIZE),
    Input("HedgePrice", "Hedge coin price", "USD",
          "Default: last close of the hedge coin in Prices (formula). Overwrite with a live price.",
          None, Validation("decimal", "0", "Must be a price > 0 (USD).", "greaterThan"), check=_POSITIVE,
          formula="=INDEX(PricesData,ROWS(PricesData),MATCH(HedgeAsset,PricesHeader,0))", number_format=styles.USD),
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
          "Exchange maintenance margin rate of the first tier (Binance ETHUSD_PERP 0.5 %).",
          0.005, _between("0", "0.5", "Must be between 0 % and 50 %."),
          check=Check(lambda x: 0 <= x < 1, "must be at least 0 and below 1 (0.005 = 0.5 %)"),
          number_format=styles.PCT3),
    Input("FundingRate", "Funding rate", "% per 8 h", "Positive = longs pay shorts, so the short hedge receives.",
          0.0001, _between("-0.05", "0.05", "Must be between -5 % and +5 % per 8 h."), check=_FINITE,
          number_format=styles.RATE),
    Input("HorizonDays", "Horizon", "days", "Holding period for the funding cost and the stress test.",
          30.0, _between("0", "3650", "Must be between 0 and 3650 days."), check=_NONNEGATIVE,
          number_format=styles.DAYS),
)

INPUT_NAMES: tuple[str, ...] = tuple(i.name for i in INPUTS)
TEXT_INPUTS = frozenset(i.name for i in INPUTS if i.text)
DEFAULT_SETTINGS = MappingProxyType({i.name: i.default for i in INPUTS})
DEFAULT_FORMULAS = MappingProxyType({i.name: i.formula for i in INPUTS if i.formula})
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

    ``formula`` is what Excel computes; ``source`` is the attribute path of
    :class:`~hedgecore.report.ReportData` holding the value hedgecore computes for it.
    """

    name: str
    label: str
    unit: str
    help: str
    formula: str
    source: str
    number_format: str


_CONTRACT_ARG = 'IF(Contract="",ContractSize,Contract)'
_PLAN_CALL = (
    f"HEDGE_PLAN(PortfolioValue,HedgePrice,{_CONTRACT_ARG},HedgeRatio,ContractType,Rounding,"
    "Collateral,Leverage,MaintenanceMargin,FundingRate)"
)
_SIDE = 'IF(Contracts<0,"long","short")'
_PLAN_ROWS = {field: row for row, (field, _) in enumerate(PLAN_LABELS, start=1)}


def _plan_row(field: str) -> str:
    """``=INDEX(HEDGE_PLAN(...),k,2)``: the value on the row of ``HEDGE_PLAN`` that shows ``field``."""
    return f"=INDEX({_PLAN_CALL},{_PLAN_ROWS[field]},2)"


def _plan(name: str, label: str, unit: str, help_text: str, field: str, number_format: str) -> Output:
    return Output(name, label, unit, help_text, _plan_row(field), f"plan.{field}", number_format)


#: The Hedge sheet's result cells, in sheet order.
OUTPUTS: tuple[Output, ...] = (
    Output("PortfolioValue", "Portfolio value", "USD", "Sum of Holdings Value.", "=SUM(HoldingsValue)",
           "portfolio_value_usd", styles.USD),
    Output("PortfolioBeta", "Portfolio beta", "x",
           "Value-weighted mean of Holdings Beta (simple daily returns, all rows of Prices).",
           '=IF(PortfolioValue=0,"",SUMPRODUCT(HoldingsValue,HoldingsBeta)/PortfolioValue)', "portfolio_beta",
           styles.BETA),
    _plan("HedgeNotional", "Hedge notional wanted", "USD",
          "Portfolio value x hedge ratio, plus the collateral (inverse).", "hedge_notional_usd", styles.USD),
    Output("Contracts", "Contracts to short", "contracts", "HEDGE_CONTRACTS, rounded as chosen. Negative = long.",
           f"=HEDGE_CONTRACTS(PortfolioValue,HedgePrice,{_CONTRACT_ARG},HedgeRatio,ContractType,Rounding,Collateral)",
           "plan.contracts", styles.CONTRACTS),
    _plan("HedgedNotional", "Notional hedged", "USD", "Contracts x contract value: what is actually shorted.",
          "hedged_notional_usd", styles.USD),
    _plan("ResidualExposure", "Residual exposure", "USD", "Wanted minus hedged notional (rounding leftover).",
          "residual_usd", styles.USD),
    _plan("InitialMargin", "Initial margin", "coin (inverse) / USD",
          "Hedged notional / leverage; in the hedge coin for inverse contracts.", "initial_margin", styles.COIN),
    _plan("EffectiveLeverage", "Effective leverage", "x",
          "Hedged notional / wallet (collateral, or the initial margin).", "effective_leverage", styles.TIMES),
    Output("LiquidationPrice", "Liquidation price", "USD",
           "Hedge-coin price at which the short is liquidated; none = cannot be.",
           "=LIQUIDATION_PRICE(HedgePrice,ABS(Contracts),"
           'IF(AND(ContractType="inverse",Collateral>0),Collateral,InitialMargin),'
           f"{_SIDE},{_CONTRACT_ARG},ContractType,MaintenanceMargin)",
           "plan.liquidation_price_usd", styles.USD),
    Output("FundingCost", "Funding over horizon", "USD", "Paid over Horizon days at Funding rate; negative = received.",
           f"=FUNDING_COST(ABS(HedgedNotional),FundingRate,HorizonDays,{_SIDE})", "funding_horizon_usd", styles.USD),
)

OUTPUT_NAMES: tuple[str, ...] = tuple(o.name for o in OUTPUTS)


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

    @property
    def is_input(self) -> bool:
        return self.formula is None


_BETA = (
    '=IF(A{r}="","",BETA(INDEX(PricesData,0,MATCH(A{r},PricesHeader,0)),'
    'INDEX(PricesData,0,MATCH(HedgeAsset,PricesHeader,0)),"simple","prices"))'
)

#: Holdings table columns A:G (inputs Asset, Quantity, Price; the rest computed per row).
HOLDINGS_COLUMNS: tuple[Column, ...] = (
    Column("Asset", "HoldingsAsset", "@"),
    Column("Quantity", "HoldingsQuantity", styles.QTY),
    Column("Price", "HoldingsPrice", styles.USD4),
    Column("Value", "HoldingsValue", styles.USD, '=IF(A{r}="","",B{r}*C{r})'),
    Column("Beta", "HoldingsBeta", styles.BETA, _BETA),
    Column("Beta exposure", "HoldingsBetaExposure", styles.USD, '=IF(A{r}="","",D{r}*E{r})'),
    Column("Weight", "HoldingsWeight", styles.PCT, '=IF(A{r}="","",D{r}/PortfolioValue)'),
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

#: Columns of the StressTest block (one ``SCENARIO_PNL`` array formula): the scenario columns, then Alt move.
STRESS_COLUMNS: tuple[str, ...] = tuple(SCENARIO_COLUMNS) + ("Alt move",)
STRESS_FORMATS: tuple[str, ...] = (styles.PCT, styles.USD) + (styles.USD0,) * 7 + (styles.PCT,)
STRESS_FORMULA = (
    "=SCENARIO_PNL(PortfolioValue,PortfolioBeta,HedgedNotional,HedgePrice,ShockValues,"
    "ContractType,Collateral,FundingRate,HorizonDays)"
)
DEFAULT_SHOCKS: tuple[float, ...] = tuple(round(-0.5 + 0.1 * i, 10) for i in range(11))

#: Range names over table columns (absolute A1 ranges, so headless recalculation can read them).
RANGE_NAMES: tuple[str, ...] = tuple(c.name for c in HOLDINGS_COLUMNS) + (
    "PricesDates",
    "PricesHeader",
    "PricesData",
    "ShockValues",
    "StressResult",
    "ContractList",
)

# Positions (1-based rows and columns). Changing them changes the contract only through the names.
HEDGE_FIRST_INPUT_ROW = 5
HEDGE_FIRST_OUTPUT_ROW = HEDGE_FIRST_INPUT_ROW + len(INPUTS) + 2
HOLDINGS_HEADER_ROW = 4
HOLDINGS_BLANK_ROWS = 10  # data rows in the empty template
PRICES_BLANK_ROWS = 5
SHOCK_HEADER_ROW = 5
STRESS_FIRST_COL = 3  # column C: the SCENARIO_PNL block


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
        "MaintenanceMargin": 0.005,
        "FundingRate": 0.0001,
        "HorizonDays": 30.0,
    }
)
