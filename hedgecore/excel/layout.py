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
    "FUNDING_SOURCES",
    "FUNDING_COLUMNS",
    "FUNDING_SPAN",
    "FUNDING_NAMES",
    "FUNDING_CONTRACT_NAME",
    "FUNDING_CONTRACT_CELL",
    "OPTIONAL_NAMES",
]

#: Every workbook property timestamp is this, so regeneration is reproducible.
TEMPLATE_TIMESTAMP = _dt.datetime(2024, 4, 10, 0, 0, 0)

#: Sheets in workbook order (``Lists`` is hidden: the drop-down lists).
SHEETS = ("Guide", "Portfolio", "Prices", "Funding", "Hedge", "StressTest", "Lists")


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
    blank_ok: bool = False  # a text input that may be left blank (it then means "none")


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
          "Exchange maintenance margin rate of the first tier (Binance ETHUSD_PERP 0.5 %).",
          0.005, _between("0", "0.5", "Must be between 0 % and 50 %."),
          check=Check(lambda x: 0 <= x < 1, "must be at least 0 and below 1 (0.005 = 0.5 %)"),
          number_format=styles.PCT3),
    Input("FundingRate", "Funding rate", "% per 8 h", "Positive = longs pay shorts, so the short hedge receives.",
          0.0001, _between("-0.05", "0.05", "Must be between -5 % and +5 % per 8 h."), check=_FINITE,
          number_format=styles.RATE),
    # funding from the history (issue 13): the Funding sheet, FundingHistoryRate and FundingRateUsed below
    Input("FundingSource", "Funding rate from", "",
          "constant = the Funding rate above; history = the mean of the last FundingDays complete UTC days of the "
          "Funding sheet. The result Funding rate used is what the plan and the stress test take.",
          "constant", _list(FUNDING_SOURCES, "Pick constant or history."), text=True, choices=FUNDING_SOURCES),
    Input("FundingDays", "Funding history window", "days",
          "Complete UTC days of the Funding sheet averaged when Funding rate from is history.",
          30.0, Validation("whole", "1", "Must be a whole number of days from 1 to 3650.", "between", "3650"),
          check=Check(lambda x: 1 <= x <= 3650 and float(x).is_integer(), "must be a whole number of days from 1 to 3650"),
          number_format=styles.DAYS),
    Input("HorizonDays", "Horizon", "days", "Holding period for the funding cost and the stress test.",
          30.0, _between("0", "3650", "Must be between 0 and 3650 days."), check=_NONNEGATIVE,
          number_format=styles.DAYS),
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


_CONTRACT_ARG = 'IF(Contract="",ContractSize,Contract)'
_PLAN_ARGS = (
    f"PortfolioValue,HedgePrice,{_CONTRACT_ARG},HedgeRatio,ContractType,Rounding,"
    "Collateral,Leverage,MaintenanceMargin,FundingRateUsed"
)
_SIDE = 'IF(Contracts<0,"long","short")'
_PLAN_FIELDS = frozenset(field for field, _ in PLAN_LABELS)
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


def _plan(name: str, label: str, unit: str, help_text: str, field: str, number_format: str) -> Output:
    return Output(name, label, unit, help_text, plan_formula(field), f"plan.{field}", number_format, plan_field=field)


_TWO_LEG_ON = 'OR(SecondAsset="",PortfolioValue=0)'
_IN_WINDOW = 'FundingTimes,">="&FundingWindowStart,FundingTimes,"<"&FundingWindowEnd'
#: funding_summary's mean per 8 h from the Funding table: the window's rates / its days with a settlement / 3.
_FUNDING_MEAN = f"SUMIFS(FundingRates,{_IN_WINDOW})/SUMIFS(FundingNewDay,{_IN_WINDOW})/3"

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
    Output("FundingCost", "Funding over horizon", "USD",
           "Paid over Horizon days at Funding rate used; negative = received.",
           "=" + _UNLESS_EMPTY.format(f"FUNDING_COST(ABS(HedgedNotional),FundingRateUsed,HorizonDays,{_SIDE})"),
           "funding_horizon_usd", styles.USD),
    Output("FundingHistoryRate", "Funding rate, history mean", "% per 8 h",
           "Mean daily funding / 3 of the last FundingDays complete UTC days of the Funding sheet (blank without "
           "a history); the report adds its 5-95 % range and the share of days a short paid.",
           "=" + _UNLESS_EMPTY.format(f'IF(COUNT(FundingTimes)=0,"",{_FUNDING_MEAN})'),
           "funding.history_rate_per_8h", styles.RATE),
    Output("FundingRateUsed", "Funding rate used", "% per 8 h",
           "Funding rate, or the history mean when Funding rate from is history: what the plan, the funding cost "
           "and the stress test use.",
           "=" + _UNLESS_EMPTY.format('IF(FundingSource="history",FundingHistoryRate,FundingRate)'),
           "funding.rate_used_per_8h", styles.RATE),
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


_ASSET_CLOSES = "INDEX(PricesData,0,MATCH(A{r},PricesHeader,0))"
_BETA = '=IF(A{r}="","",BETA(' + _ASSET_CLOSES + ',HedgeCloses,"simple","prices"))'
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

#: Columns of the stress test: the scenario columns (the first is the Shock itself), then Alt move.
STRESS_COLUMNS: tuple[str, ...] = tuple(SCENARIO_COLUMNS) + ("Alt move",)
STRESS_FORMATS: tuple[str, ...] = (styles.PCT, styles.USD) + (styles.USD0,) * 7 + (styles.PCT,)
_STRESS_ARGS = ("PortfolioValue,PortfolioBeta,HedgedNotional,HedgePrice,ShockValues,ContractType,Collateral,"
                "FundingRateUsed,HorizonDays")


def stress_formula(column: str) -> str:
    """The stress cell of ``column`` in the row of shock ``$A{r}`` (``.format(r=row)``).

    ``SCENARIO_PNL`` of all the shocks, answering this row and column: the add-in computes the
    table once per set of inputs, and single cells keep their cached values in LibreOffice.
    """
    if column not in STRESS_COLUMNS[1:]:
        raise ValueError(f"not a stress column: {column!r}")
    call = f'SCENARIO_PNL({_STRESS_ARGS},FALSE,$A{{r}},"{column}")'
    return '=IF(OR(PortfolioValue=0,$A{r}=""),"",' + call + ")"


#: Table Shocks: the Shock (input), then one computed column per stress column.
SHOCKS_COLUMNS: tuple[Column, ...] = (Column("Shock", "ShockValues", styles.PCT),) + tuple(
    Column(c, "", f, stress_formula(c)) for c, f in zip(STRESS_COLUMNS[1:], STRESS_FORMATS[1:])
)
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
#: Names added after the first templates: a workbook without them reads with the inputs' defaults.
OPTIONAL_NAMES = frozenset({"FundingSource", "FundingDays", "FundingHistoryRate", "FundingRateUsed"})

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
        "MaintenanceMargin": 0.005,
        "FundingRate": 0.0001,
        "HorizonDays": 30.0,
        "SecondAsset": "BTC",
    }
)
