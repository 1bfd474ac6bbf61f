"""hedgecore custom functions for Excel (xlwings Lite and classic xlwings).

Paste this file into the ``main.py`` tab of xlwings Lite (and ``requirements.txt`` into its
tab), or name it in the classic add-in's ``UDF Modules`` setting. It is the only hedgecore
code that imports xlwings; every function is a thin wrapper: cells -> one hedgecore call ->
cells. The maths lives in the ``hedgecore`` package.

Cell conventions (see docs/excel-addin.md):

* blank optional arguments (``None``, ``""``; ``0`` for option text) mean the default;
* in price ranges blanks, text (a header cell), booleans and ``0`` are missing data and are
  dropped pairwise (hedgecore.stats policy); in ``shocks`` blanks and text are skipped but
  ``0`` is a real scenario;
* a statistic that cannot be estimated (too little data) is the error value ``#N/A``;
* a liquidation price no adverse move can reach is the text ``none``;
* any other non-finite number (overflow) is ``#NUM!`` (``inf`` is not valid JSON for Office.js);
* bad input raises a short message (``#VALUE!`` with hover text in Lite, the text in classic).
"""

import math
import os
import re
from itertools import chain
from typing import Literal

import numpy as np
from xlwings import arg, func

import hedgecore
import hedgecore.contracts
import hedgecore.plan
import hedgecore.stats
from hedgecore.errors import HedgecoreError, InvalidInputError

# --------------------------------------------------------------------------- option hints
# Literal gives Lite a dropdown, but classic xlwings treats it as a converter and fails
# ("AttributeError: reader"), so it is used only under Office.js (EXCEL.md section 2, rule 2).
# The values are validated by hedgecore either way (case-insensitive).
_CONTRACT_FIELDS = tuple(field for field, _ in hedgecore.contracts.CONTRACT_SPEC_LABELS)

if os.environ.get("XLWINGS_ON_SERVER") == "true":
    ContractTypeOption = Literal["inverse", "linear"]
    RoundingOption = Literal["nearest", "down", "up", "none"]
    ReturnsOption = Literal["simple", "log"]
    DataOption = Literal["prices", "returns"]
    SideOption = Literal["short", "long"]
    FieldOption = Literal[_CONTRACT_FIELDS]  # type: ignore[valid-type]
else:
    ContractTypeOption = RoundingOption = ReturnsOption = DataOption = SideOption = FieldOption = str

# --------------------------------------------------------------------------- cell helpers
_NOT_AVAILABLE = "#N/A"  # becomes a real #N/A error in Lite (CustomFunctionsRuntime >= 1.4)
_NUM_ERROR = "#NUM!"
_NO_LIQUIDATION = "none"
# Ranges are read raw: xlwings would otherwise clean every cell in a Python loop (about 6 ms per
# 1,000 cells in Lite); hedgecore parses the raw cells vectorised with the same rules.
_RANGE = {"convert": "raw"}


def _is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _opt(value, default):
    """A blank optional number means the default; 0 is taken at face value."""
    return default if _is_blank(value) else value


def _opt_nonzero(value, default):
    """For option texts and options where 0 is meaningless (leverage, interval): blank or 0 means
    the default, as desktop Excel hands a referenced empty cell over as 0."""
    if _is_blank(value) or (not isinstance(value, bool) and isinstance(value, (int, float)) and value == 0):
        return default
    return value


def _cell(value, nan=_NUM_ERROR):
    """One result cell: numbers as float, NaN as ``nan``, +-inf as #NUM!, text unchanged."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        value = float(value)
        if math.isnan(value):
            return nan
        if math.isinf(value):
            return _NUM_ERROR
        return value + 0.0  # -0.0 -> 0.0
    return value


def _single(**cells):
    """Check that scalar arguments got one cell, not a range (in argument order)."""
    for name, value in cells.items():
        if isinstance(value, (list, tuple, np.ndarray)):
            raise InvalidInputError(f"{name} must be a single cell, not a range")


_MAX_MESSAGE = 250  # classic xlwings writes the message into the cell; Excel shows 255 chars


def _rename(message, names):
    for core_name, excel_name in names.items():
        message = re.sub(rf"\b{re.escape(core_name)}\b", excel_name, message)
    return message


def _call(names, function, *args, **kwargs):
    """Call hedgecore; error messages name the Excel arguments; overflow is a clear error."""
    try:
        return function(*args, **kwargs)
    except HedgecoreError as exc:
        message = _rename(str(exc), names)
        if len(message) > _MAX_MESSAGE:
            message = message[: _MAX_MESSAGE - 3] + "..."
        try:
            error = type(exc)(message)
        except Exception:  # an error class with a richer constructor
            error = InvalidInputError(message)
        raise error from None
    except (ArithmeticError, FloatingPointError):
        raise InvalidInputError("numbers too large or too small to compute") from None


_SEQUENCES = {list, tuple}
_NUMBERS_OR_BLANK = {float, int, type(None)}


def _range(name, value):
    """A single row or column as a 1-D object array, plus its orientation ("row"/"column").

    Ranges arrive raw (lists of rows); a single cell arrives as a scalar. Cells stay as they
    are: hedgecore parses them vectorised with its missing-data rules.
    """
    if value is None:
        raise InvalidInputError(f"{name} is empty: select a row or column of cells")
    if isinstance(value, np.ndarray):
        value = value.tolist() if value.ndim else value.item()
    if not isinstance(value, (list, tuple)):
        return np.array([value], dtype=object), "column"
    if not value:
        raise InvalidInputError(f"{name} is empty: select a row or column of cells")
    kinds = set(map(type, value))  # type checks at C speed: ranges can be 100,000 cells
    if not kinds & _SEQUENCES:  # a flat list: xlwings hands a one-row range over as its row
        nrows, ncols, cells, cell_kinds = 1, len(value), value, kinds
    elif kinds <= _SEQUENCES:
        widths = set(map(len, value))
        if len(widths) > 1:
            raise InvalidInputError(f"{name} must be a rectangular range (rows of equal length)")
        nrows, ncols = len(value), widths.pop()
        if nrows != 1 and ncols != 1:
            raise InvalidInputError(f"{name} must be a single row or column, got {nrows}x{ncols} cells")
        cells = list(chain.from_iterable(value))
        cell_kinds = set(map(type, cells))
        if cell_kinds & _SEQUENCES:
            raise InvalidInputError(f"{name} must be a single row or column")
    else:
        raise InvalidInputError(f"{name} must be a single row or column")
    if not cells:
        raise InvalidInputError(f"{name} is empty: select a row or column of cells")
    orientation = "row" if nrows == 1 and ncols > 1 else "column"
    if cell_kinds <= _NUMBERS_OR_BLANK:  # the common case: straight to floats, a blank becomes NaN
        try:
            return np.array(cells, dtype=float), orientation
        except OverflowError:  # an integer beyond float range: the general path reports it
            pass
    flat = np.empty(len(cells), dtype=object)
    flat[:] = cells
    return flat, orientation


def _as_number(value):
    """A shock cell: a float, or None for a blank, text that is not a number, or a boolean."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None
    try:
        out = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return None if math.isnan(out) else out


_STATS_NAMES = {"asset": "asset_prices", "benchmark": "benchmark_prices"}


# Argument docs (Lite tooltips, classic Function Wizard) of arguments several functions share.
_SHARED_ARGS = {
    "exposure": {"doc": "USD value of the altcoins to hedge, e.g. 50000."},
    "price": {"doc": "Price of the hedge coin in USD, e.g. 3500."},
    "contract_size": {
        "doc": 'USD per contract (inverse) or coins per contract (linear), or a catalog name such as "ETHUSD_PERP".'
    },
    "hedge_ratio": {"doc": "Hedge ratio, usually the basket's beta to the hedge coin. Default 1."},
    "contract_type": {"doc": '"inverse" (coin-margined, default) or "linear"; a catalog name sets it.'},
    "rounding": {"doc": '"nearest" (default), "down", "up" or "none".'},
    "collateral": {"doc": "Coins of the hedge coin posted as margin (inverse only). Default 0."},
    "maintenance_rate": {"doc": "Maintenance-margin rate, 0.005 = 0.5 % (default)."},
    "asset_prices": {
        "doc": "Prices (or returns) of the asset or basket, a column or row; blanks, text and 0 are skipped.",
        **_RANGE,
    },
    "benchmark_prices": {"doc": "Prices (or returns) of the hedge coin, same length as asset_prices.", **_RANGE},
    "returns": {"doc": '"simple" (default) or "log" returns from prices.'},
    "data": {"doc": '"prices" (default) or "returns": what the ranges hold.'},
}


def _shared_args(*names):
    """``@arg(name, doc=..., ...)`` for each named argument, from ``_SHARED_ARGS``."""

    def apply(f):
        for name in names:
            f = arg(name, **_SHARED_ARGS[name])(f)
        return f

    return apply


# --------------------------------------------------------------------------- sizing


@func
@_shared_args("exposure", "price", "contract_size", "hedge_ratio", "contract_type", "rounding", "collateral")
def hedge_contracts(
    exposure,
    price,
    contract_size,
    hedge_ratio=1.0,
    contract_type: ContractTypeOption = "inverse",
    rounding: RoundingOption = "nearest",
    collateral=0.0,
):
    """Number of perpetual contracts to short to hedge a USD exposure."""
    _single(**locals())  # every argument is one cell
    return _cell(
        _call(
            {"exposure_usd": "exposure", "price_usd": "price", "collateral_coin": "collateral"},
            hedgecore.hedge_contracts,
            exposure,
            price,
            contract_size,
            hedge_ratio=_opt(hedge_ratio, 1.0),
            contract_type=_opt_nonzero(contract_type, "inverse"),
            rounding=_opt_nonzero(rounding, "nearest"),
            collateral_coin=_opt(collateral, 0.0),
        )
    )


_PLAN_NAMES = {
    "exposure_usd": "exposure",
    "price_usd": "price",
    "collateral_coin": "collateral",
    "notional_usd": "notional",
}


@func
@_shared_args("exposure", "price", "contract_size", "hedge_ratio", "contract_type", "rounding", "collateral",
              "maintenance_rate")
@arg("leverage", doc="Leverage for the initial margin when no collateral is given. Default 1.")
@arg("funding_rate", doc="Funding rate per 8 h; positive = longs pay shorts. Default 0.")
def hedge_plan(
    exposure,
    price,
    contract_size,
    hedge_ratio=1.0,
    contract_type: ContractTypeOption = "inverse",
    rounding: RoundingOption = "nearest",
    collateral=0.0,
    leverage=1.0,
    maintenance_rate=0.005,
    funding_rate=0.0,
):
    """Hedge plan as a label/value table: size, margin, liquidation price, funding, net delta."""
    _single(**locals())  # every argument is one cell
    plan = _call(
        _PLAN_NAMES,
        hedgecore.hedge_plan,
        exposure,
        price,
        contract_size,
        hedge_ratio=_opt(hedge_ratio, 1.0),
        contract_type=_opt_nonzero(contract_type, "inverse"),
        rounding=_opt_nonzero(rounding, "nearest"),
        collateral_coin=_opt(collateral, 0.0),
        leverage=_opt_nonzero(leverage, 1.0),
        maintenance_rate=_opt(maintenance_rate, 0.005),
        funding_rate=_opt(funding_rate, 0.0),
    )
    table = []
    for field, label in hedgecore.plan.PLAN_LABELS:
        value = getattr(plan, field)
        label = label.replace("coin for inverse, USD for linear", plan.margin_unit)
        if field in ("liquidation_price_usd", "liquidation_distance") and (
            math.isinf(value) or (field == "liquidation_price_usd" and value == 0)
        ):
            value = _NO_LIQUIDATION
        table.append([label, _cell(value)])
    return table


# --------------------------------------------------------------------------- margin and funding


@func
@arg("entry_price", doc="Entry price of the position in USD.")
@arg("contracts", doc="Number of contracts (absolute).")
@arg("wallet_balance", doc="Margin behind the position: coins for inverse, USD(T) for linear.")
@arg("side", doc='"short" or "long".')
@_shared_args("contract_size", "maintenance_rate")
@arg("contract_type", doc='"inverse" (default) or "linear"; a catalog name sets it.')
@arg("maintenance_amount", doc="Maintenance amount (Binance cum) of the tier, in margin units. Default 0.")
def liquidation_price(
    entry_price,
    contracts,
    wallet_balance,
    side: SideOption,
    contract_size,
    contract_type: ContractTypeOption = "inverse",
    maintenance_rate=0.005,
    maintenance_amount=0.0,
):
    """Liquidation price in USD; "none" when no adverse move can liquidate the position."""
    _single(**locals())  # every argument is one cell
    price = _call(
        {},
        hedgecore.liquidation_price,
        entry_price,
        contracts,
        wallet_balance,
        side=side,
        contract_type=_opt_nonzero(contract_type, "inverse"),
        contract_size=contract_size,
        maintenance_rate=_opt(maintenance_rate, 0.005),
        maintenance_amount=_opt(maintenance_amount, 0.0),
    )
    if math.isinf(price) or price == 0:
        return _NO_LIQUIDATION
    return _cell(price)


@func
@arg("notional", doc="USD notional of the position.")
@arg("funding_rate", doc="Funding rate per interval, 0.0001 = 0.01 %; positive = longs pay shorts.")
@arg("days", doc="Number of days.")
@arg("side", doc='"short" (default) or "long".')
@arg("interval_hours", doc="Hours between funding payments. Default 8.")
def funding_cost(
    notional,
    funding_rate,
    days,
    side: SideOption = "short",
    interval_hours=8.0,
):
    """USD funding paid over a number of days (negative = received)."""
    _single(**locals())  # every argument is one cell
    return _cell(
        _call(
            {"notional_usd": "notional"},
            hedgecore.funding_cost_usd,
            notional,
            funding_rate,
            days,
            side=_opt_nonzero(side, "short"),
            interval_hours=_opt_nonzero(interval_hours, 8.0),
        )
    )


# --------------------------------------------------------------------------- scenarios


@func
@arg("exposure", doc="USD value of the altcoins.")
@arg("beta", doc="Beta of the altcoins to the hedge coin.")
@arg("hedge_notional", doc="USD notional of the short hedge.")
@arg("entry_price", doc="Hedge coin price now, USD.")
@arg("shocks", doc="Hedge-coin moves as fractions (-0.15 = -15 %), a column or row; blanks and text are skipped.", **_RANGE)
@arg("contract_type", doc='"inverse" (default) or "linear".')
@_shared_args("collateral")
@arg("funding_rate", doc="Funding rate per 8 h; positive = longs pay shorts (the short receives). Default 0.")
@arg("days", doc="Horizon in days for the funding column. Default 0.")
def scenario_pnl(
    exposure,
    beta,
    hedge_notional,
    entry_price,
    shocks,
    contract_type: ContractTypeOption = "inverse",
    collateral=0.0,
    funding_rate=0.0,
    days=0.0,
):
    """Stress table: P&L of altcoins, hedge, collateral and funding per price shock."""
    _single(exposure=exposure, beta=beta, hedge_notional=hedge_notional, entry_price=entry_price,
            contract_type=contract_type, collateral=collateral, funding_rate=funding_rate, days=days)
    cells, _ = _range("shocks", shocks)
    numbers = [x for x in map(_as_number, cells) if x is not None]
    if not numbers:
        raise InvalidInputError("shocks has no numbers: give moves such as -0.15 and 0.15")
    frame = _call(
        {
            "exposure_usd": "exposure",
            "hedge_notional_usd": "hedge_notional",
            "entry_price_usd": "entry_price",
            "collateral_coin": "collateral",
        },
        hedgecore.scenario_pnl,
        exposure,
        beta,
        hedge_notional,
        entry_price,
        numbers,
        contract_type=_opt_nonzero(contract_type, "inverse"),
        collateral_coin=_opt(collateral, 0.0),
        funding_rate=_opt(funding_rate, 0.0),
        days=_opt(days, 0.0),
    )
    header = [str(c) for c in frame.columns]
    return [header] + [[_cell(v) for v in row] for row in frame.to_numpy(dtype=float).tolist()]


# --------------------------------------------------------------------------- statistics



def _stats(function, asset_prices, benchmark_prices, returns, data, *args):
    """Two price ranges -> one hedgecore.stats call; also the orientation of the asset range."""
    asset, orientation = _range("asset_prices", asset_prices)
    benchmark, _ = _range("benchmark_prices", benchmark_prices)
    result = _call(
        _STATS_NAMES,
        function,
        asset,
        benchmark,
        *args,
        returns=_opt_nonzero(returns, "simple"),
        data=_opt_nonzero(data, "prices"),
    )
    return result, orientation


@func
@_shared_args("asset_prices", "benchmark_prices", "returns", "data")
def beta(
    asset_prices,
    benchmark_prices,
    returns: ReturnsOption = "simple",
    data: DataOption = "prices",
):
    """Beta of an asset to the hedge coin (minimum-variance hedge ratio); #N/A if too little data."""
    _single(returns=returns, data=data)
    value, _ = _stats(hedgecore.stats.beta, asset_prices, benchmark_prices, returns, data)
    return _cell(value, nan=_NOT_AVAILABLE)


@func
@_shared_args("asset_prices", "benchmark_prices", "returns", "data")
def beta_stats(
    asset_prices,
    benchmark_prices,
    returns: ReturnsOption = "simple",
    data: DataOption = "prices",
):
    """Beta, alpha, correlation, R-squared and hedged volatility as a label/value table."""
    _single(returns=returns, data=data)
    stats, _ = _stats(hedgecore.stats.beta_stats, asset_prices, benchmark_prices, returns, data)
    values = stats.as_dict().values()
    return [[label, _cell(v, nan=_NOT_AVAILABLE)] for label, v in zip(hedgecore.stats.BETA_STATS_LABELS, values)]


@func
@_shared_args("asset_prices", "benchmark_prices", "returns", "data")
@arg("window", doc="Number of returns per window, a whole number >= 2.")
def rolling_beta(
    asset_prices,
    benchmark_prices,
    window,
    returns: ReturnsOption = "simple",
    data: DataOption = "prices",
):
    """Beta over a moving window, one value per input row; blank until the window is full."""
    _single(window=window, returns=returns, data=data)
    values, orientation = _stats(hedgecore.stats.rolling_beta, asset_prices, benchmark_prices, returns, data, window)
    cells = [_cell(v) if math.isfinite(v) else ("" if math.isnan(v) else _NUM_ERROR) for v in np.asarray(values, dtype=float).tolist()]
    return [cells] if orientation == "row" else [[c] for c in cells]


# --------------------------------------------------------------------------- catalog


@func
@arg("name", doc='Catalog name, e.g. "ETHUSD_PERP" or "binance:ETHUSD_PERP".')
@arg("field", doc='One field to return, e.g. "contract_size"; blank for the whole table.')
def contract_spec(name, field: FieldOption = ""):
    """Catalog entry of a perpetual contract as a label/value table, or one field of it."""
    _single(**locals())  # every argument is one cell
    spec = _call({}, hedgecore.get_contract, name)
    if _is_blank(field) or (not isinstance(field, str) and field == 0):
        return [[label, _cell(getattr(spec, key))] for key, label in hedgecore.contracts.CONTRACT_SPEC_LABELS]
    if isinstance(field, str):
        wanted = field.strip().lower()
        for key, label in hedgecore.contracts.CONTRACT_SPEC_LABELS:
            if wanted in (key.lower(), label.lower()):
                return _cell(getattr(spec, key))
    allowed = ", ".join(f'"{key}"' for key in _CONTRACT_FIELDS)
    shown = field if isinstance(field, str) and len(field) <= 40 else type(field).__name__
    raise InvalidInputError(f"field must be one of {allowed}, got {shown!r}")
