"""The openpyxl edge, writing: the Excel template and its layout contract.

The template has five visible sheets (Guide, Portfolio, Prices, Hedge, StressTest) and a hidden
``Lists`` sheet. Scripts and batch mode address it only through the names in :data:`INPUT_NAMES`,
:data:`OUTPUT_NAMES` and :data:`RANGE_NAMES`, and the tables ``Holdings``, ``Prices`` and ``Shocks``.

Formulas never use table structured references (``Holdings[Value]``): the ``formulas`` package
used for headless recalculation cannot parse them, so every range is a defined name over an
absolute A1 range (EXCEL.md §8). Spilled results are legacy array formulas over their exact
output range.

openpyxl is imported inside the functions, so ``import hedgecore`` never loads it. Reading a
filled template back is :mod:`hedgecore.workbook`.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ._atomic import atomic_write
from .contracts import CONTRACT_TYPES, catalog, get_contract
from .errors import HedgecoreError, WorkbookError
from .scenarios import SCENARIO_COLUMNS
from .sizing import ROUNDING_MODES

__all__ = [
    "INPUT_NAMES",
    "OUTPUT_NAMES",
    "RANGE_NAMES",
    "DEFAULT_SETTINGS",
    "DEFAULT_SHOCKS",
    "TEMPLATE_TIMESTAMP",
    "EXAMPLE_ASSETS",
    "EXAMPLE_PRICE_ASSETS",
    "EXAMPLE_SETTINGS",
    "TEXT_INPUTS",
    "DEFAULT_FORMULAS",
    "write_template",
    "write_example",
]

# ---------------------------------------------------------------------------------------------
# The contract: names, defaults, layout
# ---------------------------------------------------------------------------------------------

#: Every workbook property timestamp is this, so regeneration is reproducible.
TEMPLATE_TIMESTAMP = _dt.datetime(2024, 4, 10, 0, 0, 0)
_ZIP_TIME = (2024, 4, 10, 0, 0, 0)

#: Input cells on the Hedge sheet: (name, label, unit, help), in sheet order (rows 5..16).
_INPUTS: tuple[tuple[str, str, str, str], ...] = (
    ("HedgeAsset", "Hedge coin", "ticker", "Coin of the perpetual, a column header of Prices (e.g. ETH)."),
    ("Contract", "Catalog contract", "name", "From the drop-down, e.g. binance:ETHUSD_PERP. Blank = use type and size below. When set, its type and size win."),
    ("ContractType", "Contract type", "", "inverse (coin-margined, USD face value) or linear (USDT-margined, size in coins). Must match the catalog contract."),
    ("ContractSize", "Contract size", "USD or coin", "USD face value per contract (inverse) or coins per contract (linear). Used when Catalog contract is blank."),
    ("HedgePrice", "Hedge coin price", "USD", "Default: last close of the hedge coin in Prices (formula). Overwrite with a live price."),
    ("HedgeRatio", "Hedge ratio", "x", "Default: the portfolio beta (formula =PortfolioBeta). Overwrite with a number, e.g. 1."),
    ("Rounding", "Rounding", "", "Contracts are whole: nearest, down (toward zero), up, or none."),
    ("Collateral", "Collateral", "coins", "Hedge-coin posted as margin (inverse only; a long position, hedged too). 0 = isolated margin at Leverage."),
    ("Leverage", "Leverage", "x", "Initial-margin leverage; sets the wallet when Collateral is 0."),
    ("MaintenanceMargin", "Maintenance margin rate", "%", "Exchange maintenance margin rate of the first tier (Binance ETHUSD_PERP 0.5 %)."),
    ("FundingRate", "Funding rate", "% per 8 h", "Positive = longs pay shorts, so the short hedge receives."),
    ("HorizonDays", "Horizon", "days", "Holding period for the funding cost and the stress test."),
)

#: Computed cells on the Hedge sheet: (name, label, unit, help), in sheet order.
_OUTPUTS: tuple[tuple[str, str, str, str], ...] = (
    ("PortfolioValue", "Portfolio value", "USD", "Sum of Holdings Value."),
    ("PortfolioBeta", "Portfolio beta", "x", "Value-weighted mean of Holdings Beta (simple daily returns, all rows of Prices)."),
    ("HedgeNotional", "Hedge notional wanted", "USD", "Portfolio value x hedge ratio, plus the collateral (inverse)."),
    ("Contracts", "Contracts to short", "contracts", "HEDGE_CONTRACTS, rounded as chosen. Negative = long."),
    ("HedgedNotional", "Notional hedged", "USD", "Contracts x contract value: what is actually shorted."),
    ("ResidualExposure", "Residual exposure", "USD", "Wanted minus hedged notional (rounding leftover)."),
    ("InitialMargin", "Initial margin", "coin (inverse) / USD", "Hedged notional / leverage; in the hedge coin for inverse contracts."),
    ("EffectiveLeverage", "Effective leverage", "x", "Hedged notional / wallet (collateral, or the initial margin)."),
    ("LiquidationPrice", "Liquidation price", "USD", "Hedge-coin price at which the short is liquidated; none = cannot be."),
    ("FundingCost", "Funding over horizon", "USD", "Paid over Horizon days at Funding rate; negative = received."),
)

INPUT_NAMES: tuple[str, ...] = tuple(n for n, *_ in _INPUTS)
OUTPUT_NAMES: tuple[str, ...] = tuple(n for n, *_ in _OUTPUTS)
TEXT_INPUTS = frozenset({"HedgeAsset", "Contract", "ContractType", "Rounding"})

#: Range names over table columns (absolute A1 ranges, so headless recalculation can read them).
RANGE_NAMES: tuple[str, ...] = (
    "HoldingsAsset",
    "HoldingsQuantity",
    "HoldingsPrice",
    "HoldingsValue",
    "HoldingsBeta",
    "HoldingsBetaExposure",
    "HoldingsWeight",
    "PricesDates",
    "PricesHeader",
    "PricesData",
    "ShockValues",
    "StressResult",
    "ContractList",
)

DEFAULT_SETTINGS: Mapping[str, Any] = MappingProxyType(
    {
        "HedgeAsset": "ETH",
        "Contract": "binance:ETHUSD_PERP",
        "ContractType": "inverse",
        "ContractSize": 10.0,
        "HedgePrice": None,  # None = the default formula (last close in Prices)
        "HedgeRatio": None,  # None = the default formula (=PortfolioBeta)
        "Rounding": "nearest",
        "Collateral": 0.0,
        "Leverage": 1.0,
        "MaintenanceMargin": 0.005,
        "FundingRate": 0.0001,
        "HorizonDays": 30.0,
    }
)

DEFAULT_SHOCKS: tuple[float, ...] = tuple(round(-0.5 + 0.1 * i, 10) for i in range(11))

#: The shipped example: holdings and price columns, and its Hedge inputs.
EXAMPLE_ASSETS: tuple[str, ...] = ("SOL", "AVAX", "DOT", "LINK", "ADA", "XRP")
EXAMPLE_PRICE_ASSETS: tuple[str, ...] = EXAMPLE_ASSETS + ("ETH", "BTC")
EXAMPLE_SETTINGS: Mapping[str, Any] = MappingProxyType(
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

# Layout (1-based rows). Changing these changes the contract only through the names.
_HEDGE_FIRST_INPUT_ROW = 5
_HEDGE_FIRST_OUTPUT_ROW = _HEDGE_FIRST_INPUT_ROW + len(_INPUTS) + 2
_HOLDINGS_HEADER_ROW = 4
_HOLDINGS_COLUMNS = ("Asset", "Quantity", "Price", "Value", "Beta", "Beta exposure", "Weight")
_HOLDINGS_BLANK_ROWS = 10  # rows in the empty template
_PRICES_BLANK_ROWS = 5
_SHOCK_HEADER_ROW = 5
_STRESS_FIRST_COL = 3  # column C: the SCENARIO_PNL block
_STRESS_HEADERS = tuple(SCENARIO_COLUMNS) + ("Alt move",)

DEFAULT_FORMULAS = {
    "HedgeRatio": "=PortfolioBeta",
    "HedgePrice": "=INDEX(PricesData,ROWS(PricesData),MATCH(HedgeAsset,PricesHeader,0))",
}

# Styles (colour legend on the Guide sheet).
_INPUT_FILL = "FFF2CC"  # light yellow
_INPUT_FONT = "1F4E9E"  # blue
_CALC_FILL = "EDEDED"  # light grey
_HEADER_FILL = "1F3864"  # dark blue
_NOTE_FONT = "595959"

_FMT_USD = '"$"#,##0.00;[Red]-"$"#,##0.00'
_FMT_USD0 = '"$"#,##0;[Red]-"$"#,##0'
_FMT_PRICE = "#,##0.00##"
_FMT_PCT = "0.0%"
_FMT_PCT3 = "0.000%"
_FMT_X = '0.00"x"'
_FMT_BETA = "0.000"
_FMT_CONTRACTS = '#,##0" ct"'
_FMT_COIN = "#,##0.0000"
_FMT_QTY = "#,##0.####"
_FMT_DAYS = '0" d"'
_FMT_DATE = "yyyy-mm-dd"

_INPUT_FORMATS = {
    "ContractSize": "#,##0.#####",
    "HedgePrice": _FMT_USD,
    "HedgeRatio": _FMT_BETA,
    "Collateral": _FMT_COIN,
    "Leverage": _FMT_X,
    "MaintenanceMargin": _FMT_PCT3,
    "FundingRate": "0.0000%",
    "HorizonDays": _FMT_DAYS,
}
_OUTPUT_FORMATS = {
    "PortfolioValue": _FMT_USD,
    "PortfolioBeta": _FMT_BETA,
    "HedgeNotional": _FMT_USD,
    "Contracts": _FMT_CONTRACTS,
    "HedgedNotional": _FMT_USD,
    "ResidualExposure": _FMT_USD,
    "InitialMargin": _FMT_COIN,
    "EffectiveLeverage": _FMT_X,
    "LiquidationPrice": _FMT_USD,
    "FundingCost": _FMT_USD,
}
_STRESS_FORMATS = (_FMT_PCT, _FMT_USD, _FMT_USD0, _FMT_USD0, _FMT_USD0, _FMT_USD0, _FMT_USD0, _FMT_USD0, _FMT_USD0, _FMT_PCT)

_CONTRACT_ARG = 'IF(Contract="",ContractSize,Contract)'
_PLAN_CALL = (
    "HEDGE_PLAN(PortfolioValue,HedgePrice," + _CONTRACT_ARG + ",HedgeRatio,ContractType,Rounding,"
    "Collateral,Leverage,MaintenanceMargin,FundingRate)"
)
_SIDE = 'IF(Contracts<0,"long","short")'

#: Formulas of the computed Hedge cells (index into HEDGE_PLAN rows = PLAN_LABELS order).
_OUTPUT_FORMULAS = {
    "PortfolioValue": "=SUM(HoldingsValue)",
    "PortfolioBeta": '=IF(PortfolioValue=0,"",SUMPRODUCT(HoldingsValue,HoldingsBeta)/PortfolioValue)',
    "HedgeNotional": f"=INDEX({_PLAN_CALL},1,2)",
    "Contracts": (
        f"=HEDGE_CONTRACTS(PortfolioValue,HedgePrice,{_CONTRACT_ARG},HedgeRatio,ContractType,Rounding,Collateral)"
    ),
    "HedgedNotional": f"=INDEX({_PLAN_CALL},3,2)",
    "ResidualExposure": f"=INDEX({_PLAN_CALL},4,2)",
    "InitialMargin": f"=INDEX({_PLAN_CALL},5,2)",
    "EffectiveLeverage": f"=INDEX({_PLAN_CALL},7,2)",
    "LiquidationPrice": (
        "=LIQUIDATION_PRICE(HedgePrice,ABS(Contracts),"
        'IF(AND(ContractType="inverse",Collateral>0),Collateral,InitialMargin),'
        f"{_SIDE},{_CONTRACT_ARG},ContractType,MaintenanceMargin)"
    ),
    "FundingCost": f"=FUNDING_COST(ABS(HedgedNotional),FundingRate,HorizonDays,{_SIDE})",
}

_STRESS_FORMULA = (
    "=SCENARIO_PNL(PortfolioValue,PortfolioBeta,HedgedNotional,HedgePrice,ShockValues,"
    "ContractType,Collateral,FundingRate,HorizonDays)"
)


def _beta_formula(row: int) -> str:
    return (
        f'=IF(A{row}="","",BETA(INDEX(PricesData,0,MATCH(A{row},PricesHeader,0)),'
        'INDEX(PricesData,0,MATCH(HedgeAsset,PricesHeader,0)),"simple","prices"))'
    )


# ---------------------------------------------------------------------------------------------
# Inputs: holdings, prices, settings
# ---------------------------------------------------------------------------------------------


def _load_prices(source: Any, assets: Iterable[str] | None = None) -> pd.DataFrame:
    from .prices import load_prices

    return load_prices(source, assets=list(assets) if assets is not None else None)


def _as_prices(prices: Any, assets: Iterable[str] | None) -> pd.DataFrame | None:
    """A DataFrame indexed by Date from a DataFrame, a path, or a list of paths (joined on Date)."""
    if prices is None:
        return None
    if isinstance(prices, pd.DataFrame):
        df = prices.copy()
        if assets is not None:
            missing = [a for a in assets if a not in df.columns]
            if missing:
                raise WorkbookError(f"prices have no column for {', '.join(missing)}")
            df = df[list(assets)]
    elif isinstance(prices, (str, os.PathLike)):
        df = _load_prices(prices, assets)
    else:
        frames = [_load_prices(p) for p in prices]
        if not frames:
            return None
        df = pd.concat(frames, axis=1, join="outer").sort_index()
        df = df.loc[:, ~df.columns.duplicated()]
        if assets is not None:
            missing = [a for a in assets if a not in df.columns]
            if missing:
                raise WorkbookError(f"prices have no column for {', '.join(missing)}")
            df = df[list(assets)]
    df.index = pd.DatetimeIndex(df.index, name="Date")
    return df.astype(float)


def _as_holdings(holdings: Any, prices: pd.DataFrame | None) -> pd.DataFrame | None:
    """Asset / Quantity / Price; a missing or blank Price is the asset's last close in Prices."""
    if holdings is None:
        return None
    if isinstance(holdings, pd.DataFrame):
        df = holdings.copy()
        where = "holdings"
    else:
        where = str(holdings)
        try:
            df = pd.read_csv(holdings, dtype={"Asset": str})
        except (OSError, ValueError) as exc:
            raise WorkbookError(f"{where}: cannot read holdings CSV ({exc})") from exc
    df.columns = [str(c).strip() for c in df.columns]
    for col in ("Asset", "Quantity"):
        if col not in df.columns:
            raise WorkbookError(f"{where}: holdings need columns Asset, Quantity[, Price]; missing {col}")
    if "Price" not in df.columns:
        df["Price"] = np.nan
    df = df[["Asset", "Quantity", "Price"]].copy()
    df["Asset"] = df["Asset"].astype(str).str.strip()
    for col in ("Quantity", "Price"):
        raw = df[col]
        parsed = pd.to_numeric(raw, errors="coerce").astype(float)
        blank = raw.isna() | raw.astype(str).str.strip().eq("")
        bad = np.flatnonzero((parsed.isna() & ~blank).to_numpy() | ~np.isfinite(parsed.fillna(0).to_numpy()))
        if col == "Quantity":
            bad = np.union1d(bad, np.flatnonzero(blank.to_numpy()))
        if bad.size:
            i = int(bad[0])
            line = f" line {i + 2}" if where != "holdings" else f" row {i + 1}"  # CSV line 1 is the header
            got = "a blank" if blank.iloc[i] else repr(raw.iloc[i])
            raise WorkbookError(f"{where}{line}: {col} of {df['Asset'].iloc[i]} must be a number, got {got}")
        df[col] = parsed
    if (df["Quantity"] < 0).any():
        bad = df.loc[df["Quantity"] < 0, "Asset"].iloc[0]
        raise WorkbookError(f"{where}: quantity of {bad} is negative")
    for i, row in df.iterrows():
        if math.isnan(row["Price"]):
            if prices is None or row["Asset"] not in prices.columns:
                raise WorkbookError(f"{where}: no Price for {row['Asset']} and no price column to take its last close from")
            closes = prices[row["Asset"]].dropna()
            if closes.empty:
                raise WorkbookError(f"{where}: no closes for {row['Asset']} in Prices")
            df.at[i, "Price"] = float(closes.iloc[-1])
    return df.reset_index(drop=True)


def _parse_setting(name: str, value: Any) -> Any:
    if name not in INPUT_NAMES:
        raise WorkbookError(f"unknown Hedge input {name!r}; one of {', '.join(INPUT_NAMES)}")
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("="):
            return text
        if name in TEXT_INPUTS:
            return text
        if name in ("HedgeRatio", "HedgePrice") and text.lower() in ("", "default"):
            return None
        try:
            return float(text.rstrip("%")) / (100.0 if text.endswith("%") else 1.0)
        except ValueError:
            raise WorkbookError(f"Hedge input {name} must be a number, got {value!r}") from None
    if name in TEXT_INPUTS:
        return str(value)
    return float(value)


def _check_settings(merged: dict[str, Any], given: Mapping[str, Any], prices: pd.DataFrame | None) -> None:
    """Validate the Hedge inputs as the add-in would; a catalog Contract sets type and size.

    Formula inputs (``=...``) are left to Excel.
    """

    def bad(name: str, message: str) -> WorkbookError:
        return WorkbookError(f"Hedge input {name} {message}, got {merged[name]!r}")

    contract = merged.get("Contract") or ""
    if isinstance(contract, str) and contract and not contract.startswith("="):
        try:
            spec = get_contract(contract)
        except HedgecoreError as exc:
            raise WorkbookError(f"Hedge input Contract: {exc}") from None
        merged["Contract"] = spec.name
        if "ContractType" not in given:
            merged["ContractType"] = spec.contract_type
        if "ContractSize" not in given:
            merged["ContractSize"] = spec.contract_size
        if "HedgeAsset" not in given:
            merged["HedgeAsset"] = spec.base_asset
        if str(merged["ContractType"]).lower() != spec.contract_type:
            raise bad("ContractType", f"must match contract {spec.name} ({spec.contract_type})")
        if str(merged["HedgeAsset"]).upper() != spec.base_asset:
            raise bad("HedgeAsset", f"must be the coin of contract {spec.name} ({spec.base_asset})")
    for name, allowed in (("ContractType", CONTRACT_TYPES), ("Rounding", ROUNDING_MODES)):
        value = merged[name]
        if isinstance(value, str) and value.startswith("="):
            continue
        if str(value).strip().lower() not in allowed:
            raise bad(name, f"must be one of {', '.join(allowed)}")
        merged[name] = str(value).strip().lower()
    ranges = {
        "ContractSize": (lambda x: x > 0, "must be positive"),
        "HedgePrice": (lambda x: x > 0, "must be positive"),
        "HedgeRatio": (math.isfinite, "must be a finite number"),
        "Collateral": (lambda x: x >= 0, "must be zero or positive"),
        "Leverage": (lambda x: x > 0, "must be positive"),
        "MaintenanceMargin": (lambda x: 0 <= x < 1, "must be at least 0 and below 1 (0.005 = 0.5 %)"),
        "FundingRate": (math.isfinite, "must be a finite number"),
        "HorizonDays": (lambda x: x >= 0, "must be zero or positive"),
    }
    for name, (ok, message) in ranges.items():
        value = merged[name]
        if isinstance(value, float) and not (math.isfinite(value) and ok(value)):
            raise bad(name, message)
    hedge_asset = merged["HedgeAsset"]
    if prices is not None and isinstance(hedge_asset, str) and hedge_asset not in prices.columns:
        raise bad("HedgeAsset", f"must be one of the price columns ({', '.join(map(str, prices.columns))})")


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _styles():
    from openpyxl.styles import Alignment, Border, PatternFill, Side
    from openpyxl.styles import Font as _Font

    def Font(**kw):  # noqa: N802 - every font names its face, or LibreOffice falls back to a serif
        return _Font(name="Calibri", **{"size": 11, **kw})

    thin = Side(style="thin", color="BFBFBF")
    return {
        "input_fill": PatternFill("solid", fgColor=_INPUT_FILL),
        "input_font": Font(color=_INPUT_FONT, bold=False),
        "calc_fill": PatternFill("solid", fgColor=_CALC_FILL),
        "calc_font": Font(color="000000", bold=True),
        "title": Font(size=14, bold=True, color=_HEADER_FILL),
        "h2": Font(size=11, bold=True, color=_HEADER_FILL),
        "head_fill": PatternFill("solid", fgColor=_HEADER_FILL),
        "head_font": Font(color="FFFFFF", bold=True),
        "note": Font(color=_NOTE_FONT, italic=True, size=9),
        "name": Font(color=_NOTE_FONT, size=9),
        "key": Font(bold=True),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "center": Alignment(horizontal="center"),
        "right": Alignment(horizontal="right"),
        "plain": Font(),
    }


def _define(wb, name: str, sheet: str, ref: str) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    wb.defined_names[name] = DefinedName(name, attr_text=f"{sheet}!{ref}")


def _abs(col: int, row: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"${get_column_letter(col)}${row}"


def _print_setup(ws, *, landscape: bool, title_rows: str | None = None) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows


def _add_table(ws, name: str, ref: str, style: str = "TableStyleMedium2") -> None:
    from openpyxl.worksheet.table import Table, TableStyleInfo

    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=True, showColumnStripes=False)
    ws.add_table(table)


def _input_message(dv, title: str, text: str) -> None:
    dv.showInputMessage = True
    dv.showErrorMessage = True
    dv.promptTitle = title[:32]
    dv.prompt = text[:255]
    dv.errorTitle = title[:32]


def _write_guide(wb, st, *, filled: bool) -> None:
    ws = wb.active
    ws.title = "Guide"
    ws.sheet_view.showGridLines = False
    ws.column_dimensions["A"].width = 3
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 92
    ws["B1"] = "hedgecore — hedge an altcoin basket with a perpetual future"
    ws["B1"].font = st["title"]
    ws["B2"] = (
        "Example: holdings in SOL, AVAX, DOT, LINK, ADA and XRP hedged with Binance ETHUSD_PERP (inverse), ETH collateral."
        if filled
        else "Empty template: fill the yellow cells in the order below, or generate a filled copy with `hedgecore template`."
    )
    ws["B2"].font = st["note"]
    sections: list[tuple[str, list[tuple[str, str]]]] = [
        (
            "What to fill, in order",
            [
                ("1. Prices", "Table Prices: column Date (oldest first, one row per day), then one column of daily closes per asset, headed by the ticker used in Holdings, including the hedge coin."),
                ("2. Portfolio", "Table Holdings: Asset (a Prices header), Quantity (coins, >= 0) and Price (USD). Value, Beta, Beta exposure and Weight are computed."),
                ("3. Hedge", "Yellow input cells: hedge coin, catalog contract (or type and size), price, hedge ratio, rounding, collateral, leverage, margin, funding, horizon. Grey cells are the results."),
                ("4. StressTest", "Table Shocks: moves of the hedge coin (-50 % ... +50 %). The P&L table and chart beside it update."),
                ("More rows", "Add holdings, prices or shocks by inserting rows inside the tables (not below them): the defined names the formulas use (Formulas > Name Manager, e.g. PricesData) then grow with them. Or regenerate: hedgecore template -o my.xlsx --holdings my.csv --prices prices_dir/"),
            ],
        ),
        (
            "Colour legend",
            [
                ("Input", "Light yellow fill, blue text: type here. Drop-downs and ranges are checked (Data > Data Validation)."),
                ("Computed", "Grey fill, bold black text: formulas; do not overwrite (except Hedge ratio and Hedge coin price, which hold default formulas)."),
                ("Headers", "Dark blue: table headers."),
            ],
        ),
        (
            "Install the add-in",
            [
                ("xlwings Lite", "Excel 365 / web: Home > Add-ins > search 'xlwings Lite' > Add. Open the xlwings Lite pane, paste addin/main.py into main.py and addin/requirements.txt into requirements.txt, then Restart. The formulas calculate."),
                ("Classic (Windows)", 'pip install "hedgecore[excel]"; xlwings addin install; in the xlwings ribbon set UDF Modules to the add-in module (hedgecore\'s addin/main.py) and click Import Functions.'),
                ("Without the add-in", "Cells calling HEDGE_CONTRACTS, BETA, HEDGE_PLAN, LIQUIDATION_PRICE, FUNDING_COST or SCENARIO_PNL show #NAME?. Batch mode (hedgecore) reads this file by its names and computes the same numbers in Python."),
            ],
        ),
        (
            "Units and signs",
            [
                ("Money", "USD unless stated. Collateral and inverse margin are in coins of the hedge coin."),
                ("Inverse contracts", "Face value in USD per contract (Binance ETHUSD_PERP: 10 USD); P&L and margin in the coin. Linear contracts: coins per contract, margin in USDT."),
                ("Collateral is a long", "Coin posted as margin moves with the hedge coin, so the hedge notional is value x ratio + collateral x price."),
                ("Funding", "Rate per 8 h; positive = longs pay shorts, so a short hedge receives it. Funding cost: negative = received."),
                ("Rates", "Percent cells: 0.5 % = 0.005. Shocks are returns of the hedge coin; alts move beta x shock."),
                ("Contracts", "Positive = short contracts (the hedge). Liquidation price: none = cannot be liquidated."),
            ],
        ),
        (
            "Data sources",
            [
                ("Daily prices", "Yahoo Finance daily closes (UTC), via yifei99/SAL-Cryptopulse, Apache-2.0, Copyright 2024 Amit Kumar, Dr. Taoran Ji (columns reduced)."),
                ("Funding rates", "Binance USD-M funding history via supervik/historical-funding-rates-fetcher, MIT, Copyright (c) 2024 supervik."),
                ("Contracts", "Built-in catalog (hedgecore contracts); check the exchange's contract size before trading."),
            ],
        ),
    ]
    row = 4
    for title, items in sections:
        ws.cell(row=row, column=2, value=title).font = st["h2"]
        row += 1
        for key, text in items:
            a = ws.cell(row=row, column=2, value=key)
            a.font = st["key"]
            a.alignment = st["wrap"]
            c = ws.cell(row=row, column=3, value=text)
            c.alignment = st["wrap"]
            if key == "Input":
                a.fill, a.font = st["input_fill"], st["input_font"]
            elif key == "Computed":
                a.fill, a.font = st["calc_fill"], st["calc_font"]
            elif key == "Headers":
                a.fill, a.font = st["head_fill"], st["head_font"]
            lines = max(1, math.ceil(len(text) / 95))
            ws.row_dimensions[row].height = 15 * lines + 2
            row += 1
        row += 1
    _print_setup(ws, landscape=False)


def _write_lists(wb, st) -> int:
    ws = wb.create_sheet("Lists")
    ws["A1"], ws["B1"], ws["C1"] = "Contract", "ContractType", "Rounding"
    names = [s.name for s in catalog()]
    for i, n in enumerate(names, start=2):
        ws.cell(row=i, column=1, value=n)
    for i, n in enumerate(("inverse", "linear"), start=2):
        ws.cell(row=i, column=2, value=n)
    for i, n in enumerate(ROUNDING_MODES, start=2):
        ws.cell(row=i, column=3, value=n)
    for c in ("A", "B", "C"):
        ws[f"{c}1"].font = st["head_font"]
        ws[f"{c}1"].fill = st["head_fill"]
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["C"].width = 12
    ws.sheet_state = "hidden"
    _define(wb, "ContractList", "Lists", f"$A$2:$A${len(names) + 1}")
    return len(names)


def _write_prices(wb, st, prices: pd.DataFrame | None, hedge_asset: str) -> tuple[list[str], int]:
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet("Prices")
    if prices is None:
        tickers = [hedge_asset]
        n = _PRICES_BLANK_ROWS
    else:
        tickers = [str(c) for c in prices.columns]
        n = len(prices)
    headers = ["Date", *tickers]
    if len(set(headers)) != len(headers) or any(not h for h in headers):
        raise WorkbookError("price column headers must be unique, non-empty tickers other than Date")
    for j, h in enumerate(headers, start=1):
        c = ws.cell(row=1, column=j, value=h)
        c.fill, c.font, c.alignment = st["head_fill"], st["head_font"], st["center"]
    if prices is not None:
        values = prices.to_numpy(dtype=float)
        formats = []
        for k in range(values.shape[1]):
            col = values[:, k][~np.isnan(values[:, k])]
            formats.append("#,##0.0000" if col.size and np.median(col) < 10 else "#,##0.00")
        for i, (date, row) in enumerate(zip(prices.index, values), start=2):
            ws.cell(row=i, column=1, value=pd.Timestamp(date).to_pydatetime().replace(tzinfo=None)).number_format = _FMT_DATE
            for j, v in enumerate(row, start=2):
                cell = ws.cell(row=i, column=j, value=None if math.isnan(v) else float(v))
                cell.number_format = formats[j - 2]
    else:
        for i in range(2, n + 2):
            ws.cell(row=i, column=1).number_format = _FMT_DATE
            for j in range(2, len(headers) + 1):
                ws.cell(row=i, column=j).number_format = _FMT_PRICE
    last_col = get_column_letter(len(headers))
    _add_table(ws, "Prices", f"A1:{last_col}{n + 1}", style="TableStyleLight9")
    ws.freeze_panes = "B2"
    ws.column_dimensions["A"].width = 12
    for j in range(2, len(headers) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 12
    _define(wb, "PricesDates", "Prices", f"$A$2:$A${n + 1}")
    _define(wb, "PricesHeader", "Prices", f"$B$1:${last_col}$1")
    _define(wb, "PricesData", "Prices", f"$B$2:${last_col}${n + 1}")
    _print_setup(ws, landscape=len(headers) > 10, title_rows="1:1")
    return tickers, n


def _write_portfolio(wb, st, holdings: pd.DataFrame | None) -> int:
    from openpyxl.worksheet.datavalidation import DataValidation

    ws = wb.create_sheet("Portfolio", 1)
    ws.sheet_view.showGridLines = False
    ws["A1"] = "Portfolio — the altcoins to hedge"
    ws["A1"].font = st["title"]
    ws["A2"] = "Total"
    ws["A2"].font = st["h2"]
    h = _HOLDINGS_HEADER_ROW
    n = len(holdings) if holdings is not None and len(holdings) else _HOLDINGS_BLANK_ROWS
    first, last = h + 1, h + n
    for j, name in enumerate(_HOLDINGS_COLUMNS, start=1):
        c = ws.cell(row=h, column=j, value=name)
        c.fill, c.font, c.alignment = st["head_fill"], st["head_font"], st["center"]
    for i in range(n):
        r = first + i
        if holdings is not None and i < len(holdings):
            ws.cell(row=r, column=1, value=str(holdings["Asset"].iloc[i]))
            ws.cell(row=r, column=2, value=float(holdings["Quantity"].iloc[i]))
            ws.cell(row=r, column=3, value=float(holdings["Price"].iloc[i]))
        ws.cell(row=r, column=4, value=f'=IF(A{r}="","",B{r}*C{r})')
        ws.cell(row=r, column=5, value=_beta_formula(r))
        ws.cell(row=r, column=6, value=f'=IF(A{r}="","",D{r}*E{r})')
        ws.cell(row=r, column=7, value=f'=IF(A{r}="","",D{r}/PortfolioValue)')
        for j, fmt in zip(range(1, 8), ("@", _FMT_QTY, '"$"#,##0.0000', _FMT_USD, _FMT_BETA, _FMT_USD, _FMT_PCT)):
            cell = ws.cell(row=r, column=j)
            cell.number_format = fmt
            if j <= 3:
                cell.fill, cell.font = st["input_fill"], st["input_font"]
            else:
                cell.fill = st["calc_fill"]
    _add_table(ws, "Holdings", f"A{h}:G{last}")
    # Totals above the table, so rows can be added below it.
    totals = {
        4: ("=PortfolioValue", _FMT_USD),
        5: ("=PortfolioBeta", _FMT_BETA),
        6: ("=SUM(HoldingsBetaExposure)", _FMT_USD),
        7: ("=SUM(HoldingsWeight)", _FMT_PCT),
    }
    for j, (formula, fmt) in totals.items():
        c = ws.cell(row=2, column=j, value=formula)
        c.number_format, c.fill, c.font, c.border = fmt, st["calc_fill"], st["calc_font"], st["border"]
    for name, col in zip(
        ("HoldingsAsset", "HoldingsQuantity", "HoldingsPrice", "HoldingsValue", "HoldingsBeta", "HoldingsBetaExposure", "HoldingsWeight"),
        "ABCDEFG",
    ):
        _define(wb, name, "Portfolio", f"${col}${first}:${col}${last}")
    ws["A3"] = "Fill Asset (a Prices header), Quantity (coins) and Price (USD). Beta: to the hedge coin (Hedge sheet), simple daily returns."
    ws["A3"].font = st["note"]
    dv_asset = DataValidation(type="list", formula1="=PricesHeader", allow_blank=True)
    _input_message(dv_asset, "Asset", "Ticker of a column of the Prices sheet, e.g. SOL.")
    dv_asset.error = "Pick a ticker that heads a column of Prices."
    dv_qty = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    _input_message(dv_qty, "Quantity", "Coins held, 0 or more.")
    dv_qty.error = "Quantity must be a number >= 0."
    dv_price = DataValidation(type="decimal", operator="greaterThan", formula1="0", allow_blank=True)
    _input_message(dv_price, "Price", "USD per coin now (default: the last close in Prices).")
    dv_price.error = "Price must be a number > 0 (USD)."
    for dv, col in ((dv_asset, "A"), (dv_qty, "B"), (dv_price, "C")):
        dv.add(f"{col}{first}:{col}{last}")
        ws.add_data_validation(dv)
    ws.freeze_panes = f"A{first}"
    for col, w in zip("ABCDEFG", (12, 14, 14, 16, 10, 16, 10)):
        ws.column_dimensions[col].width = w
    ws.column_dimensions["C"].width = 14
    _print_setup(ws, landscape=False, title_rows=f"{h}:{h}")
    return n


def _named_row(wb, ws, st, r: int, row: tuple[str, str, str, str], value: Any, kind: str,
               number_format: str | None) -> str:
    """One Hedge-sheet row: label, the named cell (``kind`` "input" or "calc" style), name, unit, help.

    Returns the cell's address, ``"Hedge!B5"``.
    """
    name, label, unit, help_text = row
    ws.cell(row=r, column=1, value=label)
    cell = ws.cell(row=r, column=2, value=value)
    cell.fill, cell.font, cell.border = st[f"{kind}_fill"], st[f"{kind}_font"], st["border"]
    if kind == "input":
        cell.alignment = st["right"]
    if number_format:
        cell.number_format = number_format
    ws.cell(row=r, column=3, value=name).font = st["name"]
    ws.cell(row=r, column=4, value=unit).font = st["name"]
    ws.cell(row=r, column=5, value=help_text).font = st["note"]
    ref = _abs(2, r)
    _define(wb, name, "Hedge", ref)
    return f"Hedge!{ref.replace('$', '')}"


def _write_hedge(wb, st, settings: Mapping[str, Any]) -> dict[str, str]:
    from openpyxl.worksheet.datavalidation import DataValidation

    ws = wb.create_sheet("Hedge")
    ws.sheet_view.showGridLines = False
    ws["A1"] = "Hedge — size the perpetual short"
    ws["A1"].font = st["title"]
    ws["A2"] = "Yellow: inputs (defined names in column C). Grey: results. Hedge ratio and price hold default formulas; type a number to override."
    ws["A2"].font = st["note"]
    head = ("Item", "Value", "Name", "Unit", "Notes")
    for j, text in enumerate(head, start=1):
        c = ws.cell(row=_HEDGE_FIRST_INPUT_ROW - 1, column=j, value=text)
        c.fill, c.font = st["head_fill"], st["head_font"]
    ws.cell(row=_HEDGE_FIRST_INPUT_ROW - 2, column=1, value="Inputs").font = st["h2"]
    addresses: dict[str, str] = {}
    validations = {
        "ContractType": ("list", '"inverse,linear"', None, "Pick inverse or linear."),
        "Rounding": ("list", '"' + ",".join(ROUNDING_MODES) + '"', None, "Pick none, down, nearest or up."),
        "Contract": ("list", "=ContractList", None, "Pick a catalog contract or leave blank."),
        "HedgeAsset": ("list", "=PricesHeader", None, "Pick a ticker that heads a column of Prices."),
        "ContractSize": ("decimal", "0", ("greaterThan",), "Must be a number > 0."),
        "HedgePrice": ("decimal", "0", ("greaterThan",), "Must be a price > 0 (USD)."),
        "HedgeRatio": ("decimal", "-10", ("between", "10"), "Must be a number between -10 and 10."),
        "Collateral": ("decimal", "0", ("greaterThanOrEqual",), "Must be 0 or more coins."),
        "Leverage": ("decimal", "1", ("between", "125"), "Must be between 1 and 125."),
        "MaintenanceMargin": ("decimal", "0", ("between", "0.5"), "Must be between 0 % and 50 %."),
        "FundingRate": ("decimal", "-0.05", ("between", "0.05"), "Must be between -5 % and +5 % per 8 h."),
        "HorizonDays": ("decimal", "0", ("between", "3650"), "Must be between 0 and 3650 days."),
    }
    for i, (name, label, unit, help_text) in enumerate(_INPUTS):
        r = _HEDGE_FIRST_INPUT_ROW + i
        value = settings.get(name)
        if value is None:
            value = DEFAULT_FORMULAS.get(name, "")
        addresses[name] = _named_row(wb, ws, st, r, (name, label, unit, help_text), value if value != "" else None,
                                     "input", _INPUT_FORMATS.get(name))
        kind, formula1, extra, err = validations[name]
        if kind == "list":
            dv = DataValidation(type="list", formula1=formula1, allow_blank=True)
        else:
            op = extra[0]
            dv = DataValidation(type=kind, operator=op, formula1=formula1, formula2=extra[1] if len(extra) > 1 else None, allow_blank=True)
        _input_message(dv, label, f"{help_text} ({unit})" if unit else help_text)
        dv.error = err
        dv.add(f"B{r}")
        ws.add_data_validation(dv)
    top = _HEDGE_FIRST_OUTPUT_ROW
    ws.cell(row=top - 1, column=1, value="Results (computed)").font = st["h2"]
    for i, row in enumerate(_OUTPUTS):
        name = row[0]
        r = top + i
        addresses[name] = _named_row(wb, ws, st, r, row, _OUTPUT_FORMULAS[name], "calc", _OUTPUT_FORMATS[name])
    for col, w in zip("ABCDE", (24, 27, 18, 18, 80)):
        ws.column_dimensions[col].width = w
    ws.freeze_panes = f"A{_HEDGE_FIRST_INPUT_ROW}"
    _print_setup(ws, landscape=True)
    return addresses


def _write_stress(wb, st, shocks: Iterable[float], hedge_asset: str) -> None:
    from openpyxl.chart import Reference, ScatterChart, Series
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.formula import ArrayFormula

    ws = wb.create_sheet("StressTest")
    ws.sheet_view.showGridLines = False
    ws["A1"] = "Stress test — P&L for moves of the hedge coin"
    ws["A1"].font = st["title"]
    ws["A2"] = "Edit the yellow shocks (returns of the hedge coin; alts move beta x shock). Columns C:L are one SCENARIO_PNL array formula."
    ws["A2"].font = st["note"]
    ws["A3"] = "Hedge coin:"
    ws["A3"].font = st["name"]
    ws["B3"] = "=HedgeAsset"
    ws["B3"].font = st["calc_font"]
    values = [float(s) for s in shocks]
    h = _SHOCK_HEADER_ROW
    first, last = h + 1, h + len(values)
    c = ws.cell(row=h, column=1, value="Shock")
    c.fill, c.font, c.alignment = st["head_fill"], st["head_font"], st["center"]
    for i, s in enumerate(values):
        c = ws.cell(row=first + i, column=1, value=s)
        c.number_format, c.fill, c.font = _FMT_PCT, st["input_fill"], st["input_font"]
    _add_table(ws, "Shocks", f"A{h}:A{last}")
    _define(wb, "ShockValues", "StressTest", f"$A${first}:$A${last}")
    dv = DataValidation(type="decimal", operator="between", formula1="-0.99", formula2="10", allow_blank=False)
    _input_message(dv, "Shock", "Return of the hedge coin, e.g. -0.3 = -30 %; above -100 %.")
    dv.error = "A shock must be a return between -99 % and +1000 %."
    dv.add(f"A{first}:A{last}")
    ws.add_data_validation(dv)
    c0 = _STRESS_FIRST_COL
    c1 = c0 + len(_STRESS_HEADERS) - 1
    ref = f"{get_column_letter(c0)}{h}:{get_column_letter(c1)}{last}"
    ws.cell(row=h, column=c0).value = ArrayFormula(ref, _STRESS_FORMULA)
    _define(wb, "StressResult", "StressTest", f"${get_column_letter(c0)}${h}:${get_column_letter(c1)}${last}")
    for j, fmt in zip(range(c0, c1 + 1), _STRESS_FORMATS):
        head = ws.cell(row=h, column=j)
        head.fill, head.font = st["head_fill"], st["head_font"]
        head.alignment = st["center"]
        for r in range(first, last + 1):
            cell = ws.cell(row=r, column=j)
            cell.number_format, cell.fill = fmt, st["calc_fill"]
    ws.column_dimensions["A"].width = 10
    ws.column_dimensions["B"].width = 8
    for j in range(c0, c1 + 1):
        ws.column_dimensions[get_column_letter(j)].width = 14
    # Native chart: hedged vs unhedged value across the shocks.
    chart = ScatterChart()
    chart.title = "Portfolio value: hedged vs unhedged"
    chart.style = 2
    chart.x_axis.title = "Shock to the hedge coin"
    chart.y_axis.title = "Value (USD)"
    chart.x_axis.number_format = "0%"
    chart.y_axis.number_format = '"$"#,##0'
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.height, chart.width = 9, 22
    chart.y_axis.crosses = "min"  # value axis at the left edge, not at shock 0
    chart.x_axis.crosses = "min"
    chart.legend.position = "b"
    xref = Reference(ws, min_col=1, min_row=first, max_row=last)
    for colname, color in (("Unhedged value", "C00000"), ("Hedged value", "1F4E9E")):
        col = c0 + _STRESS_HEADERS.index(colname)
        yref = Reference(ws, min_col=col, min_row=first, max_row=last)
        series = Series(yref, xref, title=colname)
        series.marker.symbol = "circle"
        series.graphicalProperties.line.solidFill = color
        series.graphicalProperties.line.width = 28575
        series.marker.graphicalProperties.solidFill = color
        series.smooth = False
        chart.series.append(series)
    ws.add_chart(chart, f"C{last + 2}")
    ws.freeze_panes = f"A{first}"
    _print_setup(ws, landscape=True)


def _build(holdings, prices, settings: Mapping[str, Any], shocks) -> Any:
    from openpyxl import Workbook

    st = _styles()
    wb = Workbook()
    hedge_asset = str(settings.get("HedgeAsset") or DEFAULT_SETTINGS["HedgeAsset"])
    if holdings is not None and prices is not None:
        missing = [a for a in holdings["Asset"] if a not in prices.columns]
        if hedge_asset not in prices.columns:
            missing.append(hedge_asset)
        if missing:
            raise WorkbookError(f"Prices have no column for {', '.join(dict.fromkeys(missing))}")
    _write_guide(wb, st, filled=holdings is not None)
    _write_prices(wb, st, prices, hedge_asset)
    _write_portfolio(wb, st, holdings)
    _write_hedge(wb, st, settings)
    _write_stress(wb, st, shocks, hedge_asset)
    _write_lists(wb, st)
    # Order: Guide, Portfolio, Prices, Hedge, StressTest, Lists.
    order = ["Guide", "Portfolio", "Prices", "Hedge", "StressTest", "Lists"]
    wb._sheets = [wb[n] for n in order]  # noqa: SLF001 - openpyxl has no public reorder
    wb.active = 0
    props = wb.properties
    props.creator = "hedgecore"
    props.lastModifiedBy = "hedgecore"
    props.title = "hedgecore hedge template"
    props.created = TEMPLATE_TIMESTAMP
    props.modified = TEMPLATE_TIMESTAMP
    wb.calculation.fullCalcOnLoad = True
    return wb


def _deterministic_bytes(wb) -> bytes:
    """Serialise with openpyxl's writer, then rewrite the zip with fixed entry timestamps."""
    from openpyxl.writer.excel import ExcelWriter

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()  # unlike save_workbook, keeps properties.modified
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


def write_template(
    path: str | os.PathLike[str],
    holdings: pd.DataFrame | str | os.PathLike[str] | None = None,
    prices: pd.DataFrame | str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
    settings: Mapping[str, Any] | None = None,
    *,
    assets: Iterable[str] | None = None,
    shocks: Iterable[float] | None = None,
) -> Path:
    """Write the hedge template, empty or filled, atomically and reproducibly.

    Parameters
    ----------
    path
        Output ``.xlsx``.
    holdings
        DataFrame or CSV path with columns ``Asset``, ``Quantity`` and optionally ``Price``
        (USD; a blank or missing price is the asset's last close in ``prices``).
    prices
        Daily closes: a DataFrame indexed by date with one column per ticker, or what
        :func:`hedgecore.prices.load_prices` reads (a wide CSV or a folder of ``<TICKER>-USD.csv``),
        or a list of those (joined on date).
    settings
        Hedge inputs by defined name (:data:`INPUT_NAMES`), e.g. ``{"Collateral": 5}``.
        Strings are parsed (``"0.5%"`` → 0.005); ``None`` or ``"default"`` for ``HedgeRatio``/
        ``HedgePrice`` keeps their default formulas; a string starting with ``=`` is written as a formula.
    assets
        Price columns to keep (default: all loaded).
    shocks
        Returns of the hedge coin for the stress test (default −50 % … +50 % in 10 % steps).

    Returns
    -------
    pathlib.Path
        The path written. The workbook properties carry :data:`TEMPLATE_TIMESTAMP` and zip entries
        a fixed time, so the same inputs give the same bytes.

    Raises
    ------
    WorkbookError
        Unreadable holdings, a holding or the hedge coin without a price column, a bad setting.
    """
    merged: dict[str, Any] = dict(DEFAULT_SETTINGS)
    given = {name: _parse_setting(name, value) for name, value in (settings or {}).items()}
    merged.update(given)
    price_df = _as_prices(prices, assets)
    _check_settings(merged, given, price_df)
    hold_df = _as_holdings(holdings, price_df)
    wb = _build(hold_df, price_df, merged, DEFAULT_SHOCKS if shocks is None else shocks)
    out = Path(path)
    data = _deterministic_bytes(wb)
    atomic_write(out, lambda tmp: tmp.write_bytes(data))
    return out


def write_example(path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Write the shipped example workbook (``templates/example_portfolio.xlsx``).

    ``data_dir`` is the repository's ``data/market/prices_daily`` (default: found from this file);
    holdings come from ``templates/example_holdings.csv``. Equivalent CLI::

        hedgecore template -o templates/example_portfolio.xlsx --holdings templates/example_holdings.csv \\
            --prices data/market/prices_daily --assets SOL,AVAX,DOT,LINK,ADA,XRP,ETH,BTC \\
            --set Collateral=10 --set Leverage=3 --set HorizonDays=30
    """
    root = Path(__file__).resolve().parent.parent
    data = Path(data_dir) if data_dir is not None else root / "data" / "market" / "prices_daily"
    return write_template(
        path,
        holdings=root / "templates" / "example_holdings.csv",
        prices=data,
        settings=EXAMPLE_SETTINGS,
        assets=EXAMPLE_PRICE_ASSETS,
    )
