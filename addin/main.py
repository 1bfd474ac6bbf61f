"""hedgecore custom functions for Excel (xlwings Lite and classic xlwings).

``hedgecore addin -o FOLDER`` writes this file as ``personal/hedgecore_excel.py`` beside the
pure-Python ``hedgecore`` package: a folder of xlwings Lite personal modules (or a classic
``UDF Modules`` entry). It is the only hedgecore code that imports xlwings; every function is
a thin wrapper: cells -> one hedgecore call -> cells. The maths lives in ``hedgecore``.

Cell conventions (see docs/excel-addin.md):

* blank optional arguments (``None``, ``""``; ``0`` for option text) mean the default;
* option texts are checked whatever else is given (a catalog contract does not excuse a bad
  ``contract_type``);
* in price ranges blanks, text (a header cell), booleans and ``0`` are missing data and are
  dropped pairwise (hedgecore.stats policy); in ``shocks`` blanks and text are skipped but
  ``0`` is a real scenario;
* a statistic that cannot be estimated, and a series row without a value (the warm-up of a
  rolling beta), is the error value ``#N/A`` (Excel charts leave a gap);
* a liquidation price no adverse move can reach is the text ``none``;
* any other non-finite number (overflow) is ``#NUM!`` (``inf`` is not valid JSON for Office.js);
* the numeric arguments of HEDGE_CONTRACTS, FUNDING_COST and LIQUIDATION_PRICE, and ``field``
  of HEDGE_PLAN, BETA_STATS, TWO_LEG_HEDGE and CONTRACT_SPEC, accept a range: one result per
  cell, a failed cell is ``#VALUE!``;
* bad input raises a short message (``#VALUE!`` with hover text in Lite, the text in classic).

Results are built here as the cells Office.js receives (numbers, text and error objects) and
passed through xlwings unconverted (the ``_Cells`` return converter), instead of being cleaned
cell by cell.
"""

import inspect
import math
import os
import re
from functools import lru_cache
from itertools import chain
from typing import Literal

import numpy as np
from xlwings import arg, ret
from xlwings import func as _xlwings_func
from xlwings.conversion import Converter, RawValueAccessor, ValueAccessor
from xlwings.conversion.framework import Pipeline

import hedgecore
import hedgecore.contracts
import hedgecore.plan
import hedgecore.stats
from hedgecore.errors import HedgecoreError, InvalidInputError

_OFFICE_JS = os.environ.get("XLWINGS_ON_SERVER") == "true"

# --------------------------------------------------------------------------- dispatch plumbing
# xlwings' Office.js dispatch (``custom_functions_call``) costs more per call than most of these
# functions: for every argument it builds a five-stage conversion pipeline that cleans the cells
# one by one, and on every call it re-reads the function's signature and type hints looking for
# framework-injected arguments. A recalculation of the template makes over a hundred calls with
# about ten arguments each, so the plumbing below keeps that per-call cost small (Office.js only;
# classic xlwings is left as it is).


_NO_STAGES = Pipeline()


class _RawIn:
    """Input converter: the cells exactly as Office.js sent them (range arguments, ``_RANGE``)."""

    @staticmethod
    def reader(options):
        return _NO_STAGES  # conversion.read only runs a pipeline; nothing changes it


def _clean_one_cell(c):
    value = c.value
    if isinstance(value, (list, tuple)):
        ValueAccessor.reader({})(c)  # a range: xlwings' default (these arguments have no options)
    elif isinstance(value, dict):
        c.value = None if value.get("type") == "Error" else value.get("basicValue")
    elif isinstance(value, str) and not value:
        c.value = None


_ONE_CELL_STAGES = Pipeline([_clean_one_cell])


class _OneCell:
    """Input converter for arguments without options of their own: one cell cleaned as xlwings'
    default converter cleans it under Office.js (``""`` and error cells -> None, a data type ->
    its ``basicValue``; ``_xlofficejs._clean_value_data_element``), without building its
    five-stage pipeline on every call; a range takes the default path unchanged."""

    @staticmethod
    def reader(options):
        return _ONE_CELL_STAGES


def _lighten(f):
    """Cheaper Office.js calls of a decorated function, with the same registration metadata.

    Plain arguments get ``_OneCell``; the ``Literal`` annotations, already turned into dropdown
    metadata by the decorators, are dropped (xlwings evaluates every annotation on every call to
    look for injected arguments); the signature is computed once (``__signature__``).
    """
    info = f.__xlfunc__
    for a in info["args"]:
        if set(a["options"]) <= {"enum"}:
            a["options"]["convert"] = _OneCell
    enums = {a["name"] for a in info["args"] if "enum" in a["options"]}
    f.__annotations__ = {k: v for k, v in f.__annotations__.items() if k not in enums}
    f.__signature__ = inspect.signature(f)
    return f


def func(f=None, **options):
    """xlwings' ``@func`` (same options), with cheaper calls under Office.js (``_lighten``)."""
    if f is None:
        return lambda g: func(g, **options)
    f = _xlwings_func(**options)(f) if options else _xlwings_func(f)
    return _lighten(f) if _OFFICE_JS else f


# --------------------------------------------------------------------------- option hints
# Literal gives Lite a dropdown, but classic xlwings treats it as a converter and fails
# ("AttributeError: reader"), so it is used only under Office.js (EXCEL.md section 2, rule 2).
# The values are validated here either way (case-insensitive).
_CONTRACT_TYPES = ("inverse", "linear")
_ROUNDINGS = ("none", "down", "nearest", "up")
_RETURNS = ("simple", "log")
_DATA = ("prices", "returns")
_SIDES = ("long", "short")

if _OFFICE_JS:
    ContractTypeOption = Literal["inverse", "linear"]
    RoundingOption = Literal["nearest", "down", "up", "none"]
    ReturnsOption = Literal["simple", "log"]
    DataOption = Literal["prices", "returns"]
    SideOption = Literal["short", "long"]
else:
    ContractTypeOption = RoundingOption = ReturnsOption = DataOption = SideOption = str

# --------------------------------------------------------------------------- result cells
_NOT_AVAILABLE = "#N/A"  # a real #N/A error in Lite (CustomFunctionsRuntime >= 1.4)
_NUM_ERROR = "#NUM!"
_VALUE_ERROR = "#VALUE!"
_NO_LIQUIDATION = "none"
_ERROR_TYPES = {_NOT_AVAILABLE: "NotAvailable", _NUM_ERROR: "Num", _VALUE_ERROR: "Value"}
# Ranges are read raw: xlwings would otherwise clean every cell in a Python loop (about 6 ms per
# 1,000 cells in Lite); hedgecore parses the raw cells vectorised with the same rules.
_RANGE = {"convert": _RawIn if _OFFICE_JS else "raw"}


class _Table:
    """Result rows (lists of numbers and text) plus the error values to put at (row, column)."""

    __slots__ = ("rows", "errors")

    def __init__(self, rows, errors=()):
        self.rows, self.errors = rows, list(errors)


class _Cells(Converter):
    """Office.js return converter: the rows as they are, error values as Office.js error objects.

    One pass over the few error cells, instead of xlwings' per-cell cleaning of every result.
    """

    base = RawValueAccessor

    @classmethod
    def writer(cls, options):
        return Pipeline([cls.ToValueStage(cls.write_value, options)])  # a UDF has no range to write

    @staticmethod
    def write_value(value, options):
        rows = value.rows
        if value.errors:
            objects = float(options.get("runtime") or 1.4) >= 1.4  # older runtimes take "#N/A" text
            for i, j, code in value.errors:
                rows[i][j] = {"type": "Error", "errorType": _ERROR_TYPES[code]} if objects else code
        return rows


def _out(table):
    """What a function returns: the table for ``_Cells`` (Office.js), plain cells for classic."""
    if _OFFICE_JS:
        return table
    rows = table.rows
    for i, j, code in table.errors:
        rows[i][j] = code  # classic shows the text; a 1x1 result is one cell
    return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows


_cells_result = ret(_Cells) if _OFFICE_JS else (lambda f: f)


def _cell(value, nan=_NUM_ERROR):
    """One result cell as (value, error code or None): floats, text; NaN as ``nan``, +-inf as #NUM!."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value), None
    if isinstance(value, (int, float, np.integer, np.floating)):
        value = float(value)
        if math.isnan(value):
            return None, nan
        if math.isinf(value):
            return None, _NUM_ERROR
        return value + 0.0, None  # -0.0 -> 0.0
    return value, None


def _one(value, nan=_NUM_ERROR):
    """A one-cell result."""
    cell, error = _cell(value, nan)
    return _Table([[cell]], [(0, 0, error)] if error else ())


def _rows(rows, nan=_NUM_ERROR):
    """A table of values (lists), each cell through :func:`_cell`."""
    out, errors = [], []
    for i, row in enumerate(rows):
        cells = []
        for j, value in enumerate(row):
            cell, error = _cell(value, nan)
            if error:
                errors.append((i, j, error))
            cells.append(cell)
        out.append(cells)
    return _Table(out, errors)


def _series(values, orientation):
    """A float series as a column (or row): NaN -> #N/A (no value there), +-inf -> #NUM!.

    Vectorised: numbers go to Python floats in one ``tolist``; only the missing cells are visited.
    """
    values = np.asarray(values, dtype=float) + 0.0
    nan = np.isnan(values)
    bad = ~np.isfinite(values)
    cells = np.where(bad, 0.0, values)
    if orientation == "row":
        rows, where = [cells.tolist()], lambda k: (0, k)
    else:
        rows, where = cells.reshape(-1, 1).tolist(), lambda k: (k, 0)
    errors = [(*where(k), _NOT_AVAILABLE if nan[k] else _NUM_ERROR) for k in np.flatnonzero(bad).tolist()]
    return _Table(rows, errors)


# --------------------------------------------------------------------------- argument helpers


def _is_blank(value):
    return value is None or type(value).__name__ == "JsNull" or (isinstance(value, str) and not value.strip())


def _opt(value, default):
    """A blank optional number means the default; 0 is taken at face value."""
    return default if _is_blank(value) else value


def _opt_nonzero(value, default):
    """For option texts and options where 0 is meaningless (leverage, interval): blank or 0 means
    the default, as desktop Excel hands a referenced empty cell over as 0."""
    if _is_blank(value) or (not isinstance(value, bool) and isinstance(value, (int, float)) and value == 0):
        return default
    return value


def _choice(name, value, allowed, default):
    """An option text among ``allowed`` (case-insensitive), blank or 0 = ``default``; else a clear error."""
    value = _opt_nonzero(value, default)
    if isinstance(value, str) and value.strip().lower() in allowed:
        return value.strip().lower()
    listed = ", ".join(f'"{a}"' for a in allowed)
    shown = value if isinstance(value, str) and len(value) <= 40 else type(value).__name__
    raise InvalidInputError(f"{name} must be one of {listed}, got {shown!r}")


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


def _grid(name, value):
    """A range argument as a list of rows; None when it is one cell."""
    if isinstance(value, np.ndarray):
        value = value.tolist() if value.ndim else value.item()
    if not isinstance(value, (list, tuple)):
        return None
    rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in value] if value else []
    if rows and not any(isinstance(r, (list, tuple)) for r in value):
        rows = [list(value)]  # a flat list: one row
    if not rows or len(set(map(len, rows))) != 1 or not rows[0]:
        raise InvalidInputError(f"{name} must be a rectangular range")
    return rows


def _each_cell(names, function, cells):
    """``function(**arguments)`` once per cell when some arguments are ranges (Excel's habit).

    ``cells`` maps argument names to values; ranges must all have the same shape. A single call
    returns its result (errors raise); over ranges a failed cell is ``#VALUE!``.
    """
    grids = {n: g for n, g in ((n, _grid(n, v)) for n, v in cells.items()) if g is not None}
    if not grids:
        return _one(function(**cells))
    shapes = {n: (len(g), len(g[0])) for n, g in grids.items()}
    if len(set(shapes.values())) > 1:
        shown = ", ".join(f"{n} {r}x{c}" for n, (r, c) in shapes.items())
        raise InvalidInputError(f"ranges must have the same size, got {shown}")
    n_rows, n_cols = next(iter(shapes.values()))
    rows, errors = [], []
    for i in range(n_rows):
        out = []
        for j in range(n_cols):
            here = {n: (grids[n][i][j] if n in grids else v) for n, v in cells.items()}
            try:
                cell, error = _cell(function(**here))
            except (HedgecoreError, ArithmeticError, TypeError, ValueError):
                cell, error = None, _VALUE_ERROR
            if error:
                errors.append((i, j, error))
            out.append(cell)
        rows.append(out)
    return _Table(rows, errors)


def _fields(name, field, table, nan=_NUM_ERROR):
    """``field`` blank: the label/value table; a name (key or label): its value; a range: one per cell.

    ``table`` is a list of (key, label, value).
    """
    if _is_blank(field) or (not isinstance(field, (str, list, tuple, np.ndarray)) and field == 0):
        return _rows([[label, value] for _, label, value in table], nan)
    lookup = {}
    for key, label, value in table:
        lookup[key.lower()] = lookup[label.lower()] = value

    def one(field):
        if isinstance(field, str) and field.strip().lower() in lookup:
            return lookup[field.strip().lower()]
        allowed = ", ".join(f'"{key}"' for key, _, _ in table)
        shown = field if isinstance(field, str) and len(field) <= 40 else type(field).__name__
        message = f"{name} must be one of {allowed}, got {shown!r}"
        if len(message) > _MAX_MESSAGE:
            message = f'{name} must be a field name such as "{table[0][0]}" (see the argument help), got {shown!r}'
        raise InvalidInputError(message)

    grid = _grid(name, field)
    if grid is None:
        return _one(one(field), nan)
    return _rows([[one(f) for f in row] for row in grid], nan)


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
    if len(value) > 1:  # the common case, a column of one-cell rows: two passes at C speed
        try:
            cells = [cell for [cell] in value]  # fails unless every row holds exactly one cell
        except (TypeError, ValueError):  # a flat list of numbers, wider rows: the general path
            cells = None
        if cells is not None:
            cell_kinds = set(map(type, cells))
            if not cell_kinds & _SEQUENCES:
                return _cells_array(cells, cell_kinds), "column"
    kinds = set(map(type, value))
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
    return _cells_array(cells, cell_kinds), "row" if nrows == 1 and ncols > 1 else "column"


def _cells_array(cells, kinds):
    """Plain numbers and blanks straight to floats (a blank becomes NaN); anything else as objects."""
    if kinds <= _NUMBERS_OR_BLANK:
        try:
            return np.array(cells, dtype=float)
        except OverflowError:  # an integer beyond float range: hedgecore reports it
            pass
    flat = np.empty(len(cells), dtype=object)
    flat[:] = cells
    return flat


def _as_number(value):
    """A shock cell: a float, or None for a blank, text that is not a number, or a boolean."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None
    try:
        out = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return None if math.isnan(out) else out


_STATS_NAMES = {"asset": "asset_prices", "benchmark": "benchmark_prices", "hedge1": "hedge1_prices",
                "hedge2": "hedge2_prices"}


# Argument docs (Lite tooltips, classic Function Wizard) of arguments several functions share.
_SHARED_ARGS = {
    "exposure": {"doc": "USD value of the altcoins to hedge, e.g. 50000 (a range: one result per cell).", **_RANGE},
    "price": {"doc": "Price of the hedge coin in USD, e.g. 3500.", **_RANGE},
    "contract_size": {
        "doc": 'USD per contract (inverse) or coins per contract (linear), or a catalog name such as "ETHUSD_PERP".',
        **_RANGE,
    },
    "hedge_ratio": {"doc": "Hedge ratio, usually the basket's beta to the hedge coin. Default 1.", **_RANGE},
    "contract_type": {"doc": '"inverse" (coin-margined, default) or "linear"; a catalog name sets it.'},
    "rounding": {"doc": '"nearest" (default), "down", "up" or "none".'},
    "collateral": {"doc": "Coins of the hedge coin posted as margin (inverse only). Default 0.", **_RANGE},
    "maintenance_rate": {"doc": "Maintenance-margin rate, 0.005 = 0.5 %. Blank: the catalog contract's tier table "
                                "(re-solved at the liquidation price), else 0.5 %.", **_RANGE},
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
@_cells_result
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
    _single(contract_type=contract_type, rounding=rounding)
    kind = _choice("contract_type", contract_type, _CONTRACT_TYPES, "inverse")
    mode = _choice("rounding", rounding, _ROUNDINGS, "nearest")
    names = {"exposure_usd": "exposure", "price_usd": "price", "collateral_coin": "collateral"}

    def one(exposure, price, contract_size, hedge_ratio, collateral):
        return _call(names, hedgecore.hedge_contracts, exposure, price, contract_size,
                     hedge_ratio=_opt(hedge_ratio, 1.0), contract_type=kind, rounding=mode,
                     collateral_coin=_opt(collateral, 0.0))

    return _out(_each_cell(names, one, dict(exposure=exposure, price=price, contract_size=contract_size,
                                            hedge_ratio=hedge_ratio, collateral=collateral)))


_PLAN_NAMES = {
    "exposure_usd": "exposure",
    "price_usd": "price",
    "collateral_coin": "collateral",
    "notional_usd": "notional",
}
_PLAN_ROWS = hedgecore.plan.PLAN_LABELS + hedgecore.plan.PLAN_RISK_LABELS + (
    ("delta_verdict", "Delta verdict"), ("margin_verdict", "Margin verdict"))


def _once(cached, *args):
    """``cached(*args)`` through its cache, or computed directly for arguments that cannot be keys
    (an error cell arrives as a dict); hedgecore then reports them."""
    try:
        hash(args)
    except TypeError:
        return cached.__wrapped__(*args)
    return cached(*args)


@lru_cache(maxsize=64, typed=True)
def _plan_of(exposure, price, contract_size, hedge_ratio, contract_type, rounding, collateral, leverage,
             maintenance_rate, funding_rate):
    """The hedge plan, computed once per set of inputs: the template asks each of its cells for one field."""
    return _call(_PLAN_NAMES, hedgecore.hedge_plan, exposure, price, contract_size, hedge_ratio=hedge_ratio,
                 contract_type=contract_type, rounding=rounding, collateral_coin=collateral, leverage=leverage,
                 maintenance_rate=maintenance_rate, funding_rate=funding_rate)


def _plan_table(plan):
    """(field, label, value) rows of a hedge plan, the margin verdict last; an unreachable liquidation
    price is "none", a maximum leverage the catalog has no tier table for "unknown"."""
    table = []
    for field, label in _PLAN_ROWS:
        value = getattr(plan, field)
        label = label.replace("coin for inverse, USD for linear", plan.margin_unit)
        if field in ("liquidation_price_usd", "liquidation_distance") and (
            math.isinf(value) or (field == "liquidation_price_usd" and value == 0)
        ):
            value = _NO_LIQUIDATION
        elif field == "max_leverage" and math.isnan(value):
            value = "unknown"
        table.append((field, label, value))
    return table


@func
@_cells_result
@_shared_args("exposure", "price", "contract_size", "hedge_ratio", "contract_type", "rounding", "collateral",
              "maintenance_rate")
@arg("leverage", doc="Leverage for the initial margin when no collateral is given. Default 1.")
@arg("funding_rate", doc="Funding rate per funding interval (the catalog contract's, else 8 h); positive = longs "
     "pay shorts. Default 0.")
@arg("field", doc="Blank: the table; or field name(s) or labels, one result per cell, e.g. contracts, "
     "liquidation_price_usd, margin_shortfall, max_leverage, loss_if_liquidated_usd, margin_verdict (all: "
     "docs/excel-addin.md).", **_RANGE)
def hedge_plan(
    exposure,
    price,
    contract_size,
    hedge_ratio=1.0,
    contract_type: ContractTypeOption = "inverse",
    rounding: RoundingOption = "nearest",
    collateral=0.0,
    leverage=1.0,
    maintenance_rate=None,
    funding_rate=0.0,
    field="",
):
    """Hedge plan (size, margin, liquidation, funding, net delta, margin verdict) as a label/value table, or fields."""
    _single(exposure=exposure, price=price, contract_size=contract_size, hedge_ratio=hedge_ratio,
            contract_type=contract_type, rounding=rounding, collateral=collateral, leverage=leverage,
            maintenance_rate=maintenance_rate, funding_rate=funding_rate)
    plan = _once(
        _plan_of,
        exposure,
        price,
        contract_size,
        _opt(hedge_ratio, 1.0),
        _choice("contract_type", contract_type, _CONTRACT_TYPES, "inverse"),
        _choice("rounding", rounding, _ROUNDINGS, "nearest"),
        _opt(collateral, 0.0),
        _opt_nonzero(leverage, 1.0),
        _opt(maintenance_rate, None),
        _opt(funding_rate, 0.0),
    )
    return _out(_fields("field", field, _plan_table(plan), nan=_NOT_AVAILABLE))


# --------------------------------------------------------------------------- margin and funding


@func
@_cells_result
@arg("entry_price", doc="Entry price of the position in USD (a range: one result per cell).", **_RANGE)
@arg("contracts", doc="Number of contracts (absolute).", **_RANGE)
@arg("wallet_balance", doc="Margin behind the position: coins for inverse, USD(T) for linear.", **_RANGE)
@arg("side", doc='"short" or "long".')
@_shared_args("contract_size", "maintenance_rate")
@arg("contract_type", doc='"inverse" (default) or "linear"; a catalog name sets it.')
@arg("maintenance_amount", doc="Maintenance amount (Binance cum) of the tier, in margin units. Default 0.", **_RANGE)
def liquidation_price(
    entry_price,
    contracts,
    wallet_balance,
    side: SideOption,
    contract_size,
    contract_type: ContractTypeOption = "inverse",
    maintenance_rate=None,
    maintenance_amount=0.0,
):
    """Liquidation price in USD; "none" when no adverse move can liquidate the position."""
    _single(side=side, contract_type=contract_type)
    position = _choice("side", side, _SIDES, None)
    kind = _choice("contract_type", contract_type, _CONTRACT_TYPES, "inverse")

    def one(entry_price, contracts, wallet_balance, contract_size, maintenance_rate, maintenance_amount):
        price = _call({}, hedgecore.liquidation_price, entry_price, contracts, wallet_balance, side=position,
                      contract_type=kind, contract_size=contract_size,
                      maintenance_rate=_opt(maintenance_rate, None), maintenance_amount=_opt(maintenance_amount, 0.0))
        return _NO_LIQUIDATION if math.isinf(price) or price == 0 else price

    return _out(_each_cell({}, one, dict(entry_price=entry_price, contracts=contracts, wallet_balance=wallet_balance,
                                         contract_size=contract_size, maintenance_rate=maintenance_rate,
                                         maintenance_amount=maintenance_amount)))


@func
@_cells_result
@arg("notional", doc="USD notional of the position (a range: one result per cell).", **_RANGE)
@arg("funding_rate", doc="Funding rate per interval, 0.0001 = 0.01 %; positive = longs pay shorts.", **_RANGE)
@arg("days", doc="Number of days.", **_RANGE)
@arg("side", doc='"short" (default) or "long".')
@arg("interval_hours", doc="Hours between funding payments. Default 8.", **_RANGE)
def funding_cost(
    notional,
    funding_rate,
    days,
    side: SideOption = "short",
    interval_hours=8.0,
):
    """USD funding paid over a number of days (negative = received)."""
    _single(side=side)
    position = _choice("side", side, _SIDES, "short")

    def one(notional, funding_rate, days, interval_hours):
        return _call({"notional_usd": "notional"}, hedgecore.funding_cost_usd, notional, funding_rate, days,
                     side=position, interval_hours=_opt_nonzero(interval_hours, 8.0))

    return _out(_each_cell({}, one, dict(notional=notional, funding_rate=funding_rate, days=days,
                                         interval_hours=interval_hours)))


# --------------------------------------------------------------------------- scenarios


_SCENARIO_NAMES = {
    "exposure_usd": "exposure",
    "hedge_notional_usd": "hedge_notional",
    "entry_price_usd": "entry_price",
    "collateral_coin": "collateral",
}


@lru_cache(maxsize=64, typed=True)
def _scenarios_of(exposure, beta, hedge_notional, entry_price, shocks, contract_type, collateral, funding_rate, days,
                  risk):
    """(column names, values) of the stress table, computed once per set of inputs (a table of cells asks).

    ``risk`` is the tuple of the margin and residual-risk options (:func:`_scenario_risk`); the table
    always carries Liquidated and the survived line, so ``Net P&L`` is never read without them.
    """
    leverage, maintenance_rate, contract, wallet, band, downside, recovery = risk
    frame = _call(_SCENARIO_NAMES, hedgecore.scenario_pnl, exposure, beta, hedge_notional, entry_price, list(shocks),
                  contract_type=contract_type, collateral_coin=collateral, funding_rate=funding_rate, days=days,
                  leverage=leverage, maintenance_rate=maintenance_rate, contract=contract, wallet_balance=wallet,
                  residual=band, downside_beta=downside, liquidation_recovery=recovery, risk_columns=True)
    values = frame.to_numpy(dtype=float) + 0.0
    values.flags.writeable = False
    return tuple(str(c) for c in frame.columns), values


def _scenario_risk(leverage, maintenance_rate, contract, wallet_balance, band_low, band_high, downside_beta,
                   liquidation_recovery):
    """The margin and residual-risk arguments of SCENARIO_PNL as hedgecore options (blank = default)."""
    if _is_blank(band_low) != _is_blank(band_high):
        raise InvalidInputError("band_low and band_high go together: give both (RESIDUAL_BAND) or neither")
    band = None if _is_blank(band_low) else (band_low, band_high)
    return (_opt_nonzero(leverage, 1.0), _opt(maintenance_rate, None), None if _is_blank(contract) else contract,
            _opt(wallet_balance, None), band, _opt(downside_beta, None), _opt(liquidation_recovery, 0.0))


def _stress_cells(names, rows):
    """Stress rows as cells: Liquidated TRUE/FALSE, a cell without a value (the downside line of a rise)
    blank, any other non-finite number #NUM!."""
    cells = rows.tolist()
    missing = np.isnan(rows)
    for i, j in zip(*np.nonzero(missing)):
        cells[i][j] = ""
    if "Liquidated" in names:
        k = names.index("Liquidated")
        for row in cells:
            row[k] = bool(row[k])
    return _Table(cells, [(int(i), int(j), _NUM_ERROR) for i, j in zip(*np.nonzero(~np.isfinite(rows) & ~missing))])


def _pick_columns(names, column):
    """Positions of the ``column`` name(s) among ``names`` (case-insensitive), and their shape."""
    grid = _grid("column", column) or [[column]]
    lookup = {n.lower(): k for k, n in enumerate(names)}
    picked = []
    for row in grid:
        for name in row:
            key = name.strip().lower() if isinstance(name, str) else None
            if key not in lookup:
                listed = ", ".join(f'"{n}"' for n in names[1:])
                raise InvalidInputError(f"column must be one of {listed}, got {name!r}"[:_MAX_MESSAGE])
            picked.append(lookup[key])
    return picked, (len(grid), len(grid[0]))


@func
@_cells_result
@arg("exposure", doc="USD value of the altcoins.")
@arg("beta", doc="Beta of the altcoins to the hedge coin.")
@arg("hedge_notional", doc="USD notional of the short hedge.")
@arg("entry_price", doc="Hedge coin price now, USD.")
@arg("shocks", doc="Hedge-coin moves as fractions (-0.15 = -15 %), a column or row; blanks and text are skipped.", **_RANGE)
@arg("contract_type", doc='"inverse" (default) or "linear".')
@_shared_args("collateral")
@arg("funding_rate", doc="Funding rate per funding interval (8 h, or the contract's); positive = longs pay shorts "
     "(the short receives). Default 0.")
@arg("days", doc="Horizon in days for the funding column. Default 0.")
@arg("header", doc="TRUE (default) for a header row of column names above the rows; FALSE for the rows only.")
@arg("shock", doc="Optional: one of the shocks; only its row is returned.")
@arg("column", doc='Optional: a column name (e.g. "Net P&L") or a range of names; only those columns.', **_RANGE)
@arg("leverage", doc="Leverage of the margin when no collateral (or wallet) is given: initial margin = notional / "
     "leverage. Default 1.")
@_shared_args("maintenance_rate")
@arg("contract", doc='Optional catalog name, e.g. "ETHUSD_PERP": its type, tier table and funding interval.')
@arg("wallet_balance", doc="Optional margin behind the short (coins for inverse, USDT for linear). Default: the "
     "collateral, else the initial margin at leverage.")
@arg("band_low", doc="Optional residual return of the basket at its low percentile (RESIDUAL_BAND low_frac, at this "
     "beta): adds Net P&L low.")
@arg("band_high", doc="Optional residual return at the high percentile (RESIDUAL_BAND high_frac): adds Net P&L high.")
@arg("downside_beta", doc="Optional beta on falls: adds Net P&L at downside beta for negative shocks (blank for rises).")
@arg("liquidation_recovery", doc="Fraction 0-1 of the equity left at the liquidation price that comes back. Default 0 "
     "(assume it is lost).")
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
    header=True,
    shock=None,
    column=None,
    leverage=1.0,
    maintenance_rate=None,
    contract=None,
    wallet_balance=None,
    band_low=None,
    band_high=None,
    downside_beta=None,
    liquidation_recovery=0.0,
):
    """Stress table per price shock: P&L of altcoins, hedge, collateral, funding; liquidation-aware; or one row or cell."""
    _single(exposure=exposure, beta=beta, hedge_notional=hedge_notional, entry_price=entry_price,
            contract_type=contract_type, collateral=collateral, funding_rate=funding_rate, days=days, header=header,
            shock=shock, leverage=leverage, maintenance_rate=maintenance_rate, contract=contract,
            wallet_balance=wallet_balance, band_low=band_low, band_high=band_high, downside_beta=downside_beta,
            liquidation_recovery=liquidation_recovery)
    kind = _choice("contract_type", contract_type, _CONTRACT_TYPES, "inverse")
    if isinstance(header, str) and header.strip().upper() in ("TRUE", "FALSE"):
        header = header.strip().upper() == "TRUE"
    if not _is_blank(header) and not isinstance(header, (bool, int, float)):
        raise InvalidInputError(f"header must be TRUE or FALSE, got {header!r}")
    cells, _ = _range("shocks", shocks)
    numbers = tuple(x for x in map(_as_number, cells) if x is not None)
    if not numbers:
        raise InvalidInputError("shocks has no numbers: give moves such as -0.15 and 0.15")
    risk = _scenario_risk(leverage, maintenance_rate, contract, wallet_balance, band_low, band_high, downside_beta,
                          liquidation_recovery)
    names, values = _once(_scenarios_of, exposure, beta, hedge_notional, entry_price, numbers, kind,
                          _opt(collateral, 0.0), _opt(funding_rate, 0.0), _opt(days, 0.0), risk)
    rows = values
    if not _is_blank(shock):
        wanted = _as_number(shock)
        hits = [i for i, x in enumerate(numbers) if x == wanted]
        if not hits:
            raise InvalidInputError(f"shock {shock!r} is not one of the shocks")
        rows = values[hits[0]: hits[0] + 1]
    if not _is_blank(column):
        picked, shape = _pick_columns(names, column)
        names, rows = tuple(names[k] for k in picked), rows[:, picked]
        if rows.shape[0] == 1:  # one row: the columns in the shape they were asked in
            table = _stress_cells(names, rows)
            flat = table.rows[0]
            return _out(_Table([flat[r * shape[1]:(r + 1) * shape[1]] for r in range(shape[0])],
                               [(k // shape[1], k % shape[1], code) for _, k, code in table.errors]))
    table = _stress_cells(names, rows)
    if _is_blank(header) or bool(header):
        table.rows.insert(0, list(names))
        table.errors = [(i + 1, j, code) for i, j, code in table.errors]
    return _out(table)


# --------------------------------------------------------------------------- statistics


def _stats(function, returns, data, *series, extra=()):
    """Price ranges -> one hedgecore.stats call; also the orientation of the first range."""
    arrays, orientation = [], None
    for name, value in series:
        values, how = _range(name, value)
        arrays.append(values)
        orientation = orientation or how
    result = _call(
        _STATS_NAMES,
        function,
        *arrays,
        *extra,
        returns=_choice("returns", returns, _RETURNS, "simple"),
        data=_choice("data", data, _DATA, "prices"),
    )
    return result, orientation


@func
@_cells_result
@_shared_args("asset_prices", "benchmark_prices", "returns", "data")
def beta(
    asset_prices,
    benchmark_prices,
    returns: ReturnsOption = "simple",
    data: DataOption = "prices",
):
    """Beta of an asset to the hedge coin (minimum-variance hedge ratio); #N/A if too little data."""
    _single(returns=returns, data=data)
    value, _ = _stats(hedgecore.stats.beta, returns, data, ("asset_prices", asset_prices), ("benchmark_prices", benchmark_prices))
    return _out(_one(value, nan=_NOT_AVAILABLE))


_STATS_KEYS = tuple(hedgecore.stats.BetaStats.__dataclass_fields__)


@func
@_cells_result
@_shared_args("asset_prices", "benchmark_prices", "returns", "data")
@arg("field", doc=f"Blank for the label/value table, or field name(s), one result per cell: {', '.join(_STATS_KEYS)}.",
     **_RANGE)
def beta_stats(
    asset_prices,
    benchmark_prices,
    returns: ReturnsOption = "simple",
    data: DataOption = "prices",
    field="",
):
    """Beta, alpha, correlation, R-squared and hedged volatility as a label/value table, or fields."""
    _single(returns=returns, data=data)
    stats, _ = _stats(hedgecore.stats.beta_stats, returns, data, ("asset_prices", asset_prices),
                      ("benchmark_prices", benchmark_prices))
    table = [(key, label, value) for key, label, value in
             zip(_STATS_KEYS, hedgecore.stats.BETA_STATS_LABELS, stats.as_dict().values())]
    return _out(_fields("field", field, table, nan=_NOT_AVAILABLE))


@func
@_cells_result
@_shared_args("asset_prices", "benchmark_prices", "returns", "data")
@arg("window", doc="Number of returns per window, a whole number >= 2.")
def rolling_beta(
    asset_prices,
    benchmark_prices,
    window,
    returns: ReturnsOption = "simple",
    data: DataOption = "prices",
):
    """Beta over a moving window, one value per input row; #N/A until the window is full."""
    _single(window=window, returns=returns, data=data)
    values, orientation = _stats(hedgecore.stats.rolling_beta, returns, data, ("asset_prices", asset_prices),
                                 ("benchmark_prices", benchmark_prices), extra=(window,))
    return _out(_series(values, orientation))


@func
@_cells_result
@_shared_args("asset_prices", "benchmark_prices", "returns", "data")
@arg("halflife", doc="Half-life of the weights in returns (> 0), e.g. 30: a return 30 rows old weighs half.")
def ewm_beta(
    asset_prices,
    benchmark_prices,
    halflife,
    returns: ReturnsOption = "simple",
    data: DataOption = "prices",
):
    """Exponentially weighted beta, one value per input row; #N/A where there is no value."""
    _single(halflife=halflife, returns=returns, data=data)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow from extreme prices: #NUM! in its cells
        values, orientation = _stats(hedgecore.stats.ewm_beta, returns, data, ("asset_prices", asset_prices),
                                     ("benchmark_prices", benchmark_prices), extra=(halflife,))
    return _out(_series(values, orientation))


_TWO_LEG_LABELS = (("beta_1", "Hedge ratio, leg 1"), ("beta_2", "Hedge ratio, leg 2"),
                   ("alpha", "Alpha (per period)"), ("r_squared", "R-squared (both legs)"),
                   ("n", "Observations (n)"))


@func
@_cells_result
@_shared_args("asset_prices", "returns", "data")
@arg("hedge1_prices", doc="Prices (or returns) of the first hedge coin, e.g. ETH; same length.", **_RANGE)
@arg("hedge2_prices", doc="Prices (or returns) of the second hedge coin, e.g. BTC; same length.", **_RANGE)
@arg("field", doc="Blank for the label/value table, or field name(s), one result per cell: "
     "beta_1, beta_2, alpha, r_squared, n.", **_RANGE)
def two_leg_hedge(
    asset_prices,
    hedge1_prices,
    hedge2_prices,
    returns: ReturnsOption = "simple",
    data: DataOption = "prices",
    field="",
):
    """Hedge ratios for hedging with two coins at once (two-factor regression); #N/A if too little data."""
    _single(returns=returns, data=data)
    result, _ = _stats(hedgecore.stats.two_leg_hedge, returns, data, ("asset_prices", asset_prices),
                       ("hedge1_prices", hedge1_prices), ("hedge2_prices", hedge2_prices))
    values = result.as_dict()
    table = [(key, label, values[key]) for key, label in _TWO_LEG_LABELS]
    return _out(_fields("field", field, table, nan=_NOT_AVAILABLE))


@func
@_cells_result
@_shared_args("asset_prices", "returns", "data")
@arg("candidates", doc="Price columns of the candidate hedge coins, first row their names (e.g. Prices!B1:I1194).",
     **_RANGE)
def best_hedge(
    asset_prices,
    candidates,
    returns: ReturnsOption = "simple",
    data: DataOption = "prices",
):
    """Candidate hedge coins ranked by hedge effectiveness (R-squared): name, beta, R-squared, correlation, n."""
    _single(returns=returns, data=data)
    grid = _grid("candidates", candidates)
    if grid is None or len(grid) < 2:
        raise InvalidInputError("candidates must be a range: a row of names above one price column per coin")
    names = [str(n).strip() if not _is_blank(n) else f"column {k + 1}" for k, n in enumerate(grid[0])]
    if len(set(names)) != len(names):
        raise InvalidInputError("candidates must have a different name above each column")
    asset, _ = _range("asset_prices", asset_prices)
    if asset.size == len(grid):  # the asset range includes its header cell, as the candidates do
        asset = asset[1:]
    columns = {name: [row[k] for row in grid[1:]] for k, name in enumerate(names)}
    ranked = _call(_STATS_NAMES, hedgecore.best_hedge, asset, columns,
                   returns=_choice("returns", returns, _RETURNS, "simple"),
                   data=_choice("data", data, _DATA, "prices"))
    table = _rows(ranked.to_numpy(dtype=object).tolist(), nan=_NOT_AVAILABLE)
    table.rows.insert(0, [str(c) for c in ranked.columns])
    table.errors = [(i + 1, j, code) for i, j, code in table.errors]
    return _out(table)


# --------------------------------------------------------------------------- catalog


@func
@_cells_result
@arg("name", doc='Catalog name, e.g. "ETHUSD_PERP" or "binance:ETHUSD_PERP".')
@arg("field", doc="Blank for the label/value table, or field name(s), one result per cell: "
     + ", ".join(key for key, _ in hedgecore.contracts.CONTRACT_SPEC_LABELS) + ".", **_RANGE)
def contract_spec(name, field=""):
    """Catalog entry of a perpetual contract as a label/value table, or fields of it."""
    _single(name=name)
    spec = _call({}, hedgecore.get_contract, name)
    table = [(key, label, getattr(spec, key)) for key, label in hedgecore.contracts.CONTRACT_SPEC_LABELS]
    return _out(_fields("field", field, table))


# --------------------------------------------------------------------------- the hedge's real risk (issue 10)
# Collateral that keeps the hedge alive, the trade to make now, the residual (basis) risk.


@func
@_cells_result
@_shared_args("exposure", "price", "contract_size")
@arg("target_distance", doc="Rise of the hedge coin that should liquidate the short, e.g. 1 = +100 % (a range: one "
     "result per cell).", **_RANGE)
@_shared_args("hedge_ratio", "contract_type", "rounding", "maintenance_rate")
def collateral_for_liquidation(
    exposure,
    price,
    contract_size,
    target_distance,
    hedge_ratio=1.0,
    contract_type: ContractTypeOption = "inverse",
    rounding: RoundingOption = "nearest",
    maintenance_rate=None,
):
    """Collateral that puts the short's liquidation price at a target rise: coins (inverse, hedged too) or USDT (linear)."""
    _single(contract_type=contract_type, rounding=rounding)
    kind = _choice("contract_type", contract_type, _CONTRACT_TYPES, "inverse")
    mode = _choice("rounding", rounding, _ROUNDINGS, "nearest")

    def one(exposure, price, contract_size, target_distance, hedge_ratio, maintenance_rate):
        return _call(_PLAN_NAMES, hedgecore.collateral_for_liquidation, exposure, price, contract_size,
                     target_distance, hedge_ratio=_opt(hedge_ratio, 1.0), contract_type=kind, rounding=mode,
                     maintenance_rate=_opt(maintenance_rate, None))

    return _out(_each_cell(_PLAN_NAMES, one, dict(exposure=exposure, price=price, contract_size=contract_size,
                                                  target_distance=target_distance, hedge_ratio=hedge_ratio,
                                                  maintenance_rate=maintenance_rate)))


_TRADE_LABELS = (
    ("trade_contracts", "Contracts to trade (+ short more, - buy back)"),
    ("trade_notional_usd", "Trade notional (USD)"),
    ("target_contracts", "Contracts short after the trade"),
    ("contracts_held", "Contracts held now"),
    ("leverage", "Effective leverage after the trade (x)"),
    ("liquidation_price_usd", "Liquidation price after the trade (USD)"),
    ("current_leverage", "Effective leverage now (x)"),
    ("current_liquidation_price_usd", "Liquidation price now (USD)"),
    ("margin_verdict", "Margin verdict after the trade"),
)


@lru_cache(maxsize=64, typed=True)
def _trade_of(exposure, price, contract_size, contracts_held, margin_balance, hedge_ratio, contract_type, rounding,
              leverage, maintenance_rate, funding_rate):
    """The rebalance, computed once per set of inputs (several cells may ask for its fields)."""
    return _call({**_PLAN_NAMES, "margin_balance": "margin_balance"}, hedgecore.rebalance, exposure, price,
                 contract_size, contracts_held, margin_balance, hedge_ratio=hedge_ratio, contract_type=contract_type,
                 rounding=rounding, leverage=leverage, maintenance_rate=maintenance_rate, funding_rate=funding_rate)


def _liquidation_cell(price):
    return _NO_LIQUIDATION if math.isinf(price) or price == 0 else price


@func
@_cells_result
@_shared_args("exposure", "price", "contract_size")
@arg("contracts_held", doc="Contracts short now (0 or more).")
@arg("margin_balance", doc="Wallet balance + unrealised P&L now (coins for inverse, USDT for linear): the collateral "
     "to size on, not the wallet balance.")
@_shared_args("hedge_ratio", "contract_type", "rounding", "maintenance_rate")
@arg("leverage", doc="Initial-margin leverage for the margin verdict. Default 1.")
@arg("funding_rate", doc="Funding rate per interval; positive = longs pay shorts. Default 0.")
@arg("field", doc="Blank: the table; or name(s), one result per cell: "
     + ", ".join(k for k, _ in _TRADE_LABELS) + ".", **_RANGE)
def hedge_trade(
    exposure,
    price,
    contract_size,
    contracts_held,
    margin_balance,
    hedge_ratio=1.0,
    contract_type: ContractTypeOption = "inverse",
    rounding: RoundingOption = "nearest",
    leverage=1.0,
    maintenance_rate=None,
    funding_rate=0.0,
    field="",
):
    """The trade from the short held now to the hedge for today: contracts to short more (+) or buy back (-)."""
    _single(exposure=exposure, price=price, contract_size=contract_size, contracts_held=contracts_held,
            margin_balance=margin_balance, hedge_ratio=hedge_ratio, contract_type=contract_type, rounding=rounding,
            leverage=leverage, maintenance_rate=maintenance_rate, funding_rate=funding_rate)
    move = _once(_trade_of, exposure, price, contract_size, _opt(contracts_held, 0.0), margin_balance,
                 _opt(hedge_ratio, 1.0), _choice("contract_type", contract_type, _CONTRACT_TYPES, "inverse"),
                 _choice("rounding", rounding, _ROUNDINGS, "nearest"), _opt_nonzero(leverage, 1.0),
                 _opt(maintenance_rate, None), _opt(funding_rate, 0.0))
    values = {**move.as_dict(), "target_contracts": move.plan.contracts, "margin_verdict": move.plan.margin_verdict}
    for key in ("liquidation_price_usd", "current_liquidation_price_usd"):
        values[key] = _liquidation_cell(values[key])
    table = [(key, label, values[key]) for key, label in _TRADE_LABELS]
    return _out(_fields("field", field, table))


_BAND_LABELS = (
    ("low_frac", "Residual return, low"),
    ("high_frac", "Residual return, high"),
    ("low_quantile", "Low quantile"),
    ("high_quantile", "High quantile"),
    ("horizon_days", "Horizon (periods)"),
    ("hedge_ratio", "Hedge ratio"),
    ("n", "Windows (n)"),
)


def _basket_prices(prices, assets, quantities):
    """``prices`` as one series: the column itself, or with ``assets``/``quantities`` the basket's value
    from a block of closes whose first row names the tickers (one core call, ``basket_value``)."""
    if _is_blank(assets) and _is_blank(quantities):
        return _range("prices", prices)[0]
    names, amounts = _range("assets", assets)[0], _range("quantities", quantities)[0]
    if names.size != amounts.size:
        raise InvalidInputError(f"assets and quantities must have the same length, got {names.size} and {amounts.size}")
    grid = _grid("prices", prices)
    if grid is None or len(grid) < 2:
        raise InvalidInputError("prices must be a block of closes whose first row names the tickers")
    header = [str(h).strip() if not _is_blank(h) else "" for h in grid[0]]
    held = {}
    for k, (name, amount) in enumerate(zip(names.tolist(), amounts.tolist()), start=1):
        if _is_blank(name):
            continue  # a blank row of a holdings table
        ticker, coins = str(name).strip(), _as_number(amount)
        if ticker not in header:
            raise InvalidInputError(f"asset {ticker[:40]!r} is not a ticker in the first row of prices")
        if coins is None:
            raise InvalidInputError(f"quantities must be numbers, got {str(amount)[:20]!r} at position {k}")
        held[ticker] = held.get(ticker, 0.0) + coins  # an asset held twice counts once, with both quantities
    import pandas as pd  # hedgecore's own dependency, loaded with it

    columns = {t: [row[header.index(t)] for row in grid[1:]] for t in held}
    return _call({}, hedgecore.basket_value, pd.DataFrame(columns), held).to_numpy()


@func
@_cells_result
@arg("prices", doc="A column of the basket's values (or one coin's closes); or, with assets and quantities, a block "
     "of closes whose first row names the tickers (e.g. Prices!B1:I1194).", **_RANGE)
@arg("hedge_prices", doc="Closes of the hedge coin, same rows as the prices (a header cell is skipped).", **_RANGE)
@arg("hedge_ratio", doc="Hedge ratio the residual is taken at: the stress's beta (PortfolioBeta).")
@arg("horizon_days", doc="Periods per window (days for daily closes), a whole number >= 1. Default 1.")
@arg("assets", doc="Optional: tickers held (e.g. Portfolio!A5:A10), each a ticker in the first row of prices.", **_RANGE)
@arg("quantities", doc="Optional: coins held of each asset, same length as assets.", **_RANGE)
@arg("low", doc="Low quantile, default 0.05 (5th percentile).")
@arg("high", doc="High quantile, default 0.95 (95th percentile).")
@arg("field", doc="Blank: the table; or name(s), one result per cell: "
     + ", ".join(k for k, _ in _BAND_LABELS) + ".", **_RANGE)
def residual_band(
    prices,
    hedge_prices,
    hedge_ratio,
    horizon_days=1,
    assets=None,
    quantities=None,
    low=0.05,
    high=0.95,
    field="",
):
    """Band of the hedged residual return (basket minus ratio x hedge coin) over a horizon, at two quantiles; #N/A if too short."""
    _single(hedge_ratio=hedge_ratio, horizon_days=horizon_days, low=low, high=high)
    basket = _basket_prices(prices, assets, quantities)
    hedge, _ = _range("hedge_prices", hedge_prices)
    if hedge.size == basket.size + 1:  # the hedge range includes its header cell
        hedge = hedge[1:]
    band = _call({"basket": "prices", "hedge": "hedge_prices"}, hedgecore.residual_band, basket, hedge,
                 hedge_ratio=hedge_ratio, horizon_days=_opt(horizon_days, 1),
                 quantiles=(_opt(low, 0.05), _opt(high, 0.95)))
    values = {**band.as_dict(), "low_quantile": band.quantiles[0], "high_quantile": band.quantiles[1]}
    table = [(key, label, values[key]) for key, label in _BAND_LABELS]
    return _out(_fields("field", field, table, nan=_NOT_AVAILABLE))


# --------------------------------------------------------------------------- backtest
# HEDGE_BACKTEST runs hedgecore.backtest once and returns the result's name (its content id); the
# per-cell functions find the result by that name, so a table of cells transfers the price
# history once, not once per cell (docs/excel-addin.md, "Backtest").

from collections import OrderedDict  # noqa: E402

import pandas as pd  # noqa: E402

import hedgecore.backtest_cells  # noqa: E402

_POLICIES = ("none", "periodic", "threshold")
_BETA_MODES = ("rolling", "ewm")
PolicyOption = Literal["threshold", "periodic", "none"] if _OFFICE_JS else str
_BACKTESTS = OrderedDict()  # digest -> (result, {field: cells}); the last few results, newest last
_BACKTESTS_KEPT = 16
_BACKTEST_NAMES = {
    "collateral_coin": "collateral",
    "collateral_usd": "collateral",
    "reopen_after_days": "reopen_days",
}


def _price_table(prices):
    """The prices argument (header row: a Date label and the tickers; first column: dates) as a DataFrame."""
    grid = _grid("prices", prices)
    if grid is None or len(grid) < 3 or len(grid[0]) < 2:
        raise InvalidInputError("prices must be a table: a header row (Date, tickers) over rows of a date and closes")
    tickers = [str(t).strip() if not _is_blank(t) else "" for t in grid[0][1:]]
    if not all(tickers) or len(set(tickers)) != len(tickers):
        raise InvalidInputError("prices must have a different ticker above each column of closes")
    rows = [row for row in grid[1:] if not all(_is_blank(c) for c in row)]
    dates = [row[0] for row in rows]
    if any(_is_blank(d) for d in dates):
        raise InvalidInputError("prices has a row of closes without a date")
    closes = np.empty((len(rows), len(tickers)))
    for i, row in enumerate(rows):
        for j, c in enumerate(row[1:]):
            x = np.nan if _is_blank(c) or isinstance(c, bool) else _as_number(c)
            if x is None:
                raise InvalidInputError(f"prices: the close of {tickers[j]} in row {i + 2} is not a number: {c!r}"[:250])
            closes[i, j] = x if x > 0 else np.nan  # 0 is missing data, as in every price range
    return pd.DataFrame(closes, index=_dates(dates), columns=tickers)


def _dates(cells):
    """Date cells as a DatetimeIndex: Excel serial numbers (Lite), datetimes (classic) or ISO text."""
    if all(isinstance(d, (int, float)) and not isinstance(d, bool) for d in cells):
        return pd.to_datetime(np.asarray(cells, dtype=float), unit="D", origin="1899-12-30").round("s")
    try:
        return pd.DatetimeIndex([pd.Timestamp(d) if not isinstance(d, (int, float)) else
                                 pd.Timestamp("1899-12-30") + pd.Timedelta(days=float(d)) for d in cells])
    except (TypeError, ValueError):
        raise InvalidInputError("prices: the first column must hold dates") from None


def _holdings(assets, quantities):
    """{coin: quantity} from two ranges of the same length; a coin on two rows counts once, with both."""
    coins, _ = _range("assets", assets)
    qty, _ = _range("quantities", quantities)
    if coins.size != qty.size:
        raise InvalidInputError(f"assets and quantities must have the same length, got {coins.size} and {qty.size}")
    out = {}
    for coin, q in zip(coins.tolist(), qty.tolist()):
        if _is_blank(coin):
            continue
        x = None if _is_blank(q) else _as_number(q)
        if x is None:
            raise InvalidInputError(f"quantities: the quantity of {str(coin).strip()[:20]} is not a number")
        out[str(coin).strip()] = out.get(str(coin).strip(), 0.0) + x
    return out


def _kind_of(contract, contract_type):
    """The contract type: the catalog's for a name, else the contract_type argument."""
    if isinstance(contract, str) and not _as_number(contract):
        return _call({}, hedgecore.get_contract, contract).contract_type
    return _choice("contract_type", contract_type, _CONTRACT_TYPES, "inverse")


def _hedge_ratio(value):
    """ "rolling", "ewm" or a fixed number (in a cell or as text)."""
    if not _is_blank(value) and _as_number(value) is not None:
        return _as_number(value)
    return _choice("hedge_ratio", value, _BETA_MODES, "rolling")


def _reopen(value):
    if _is_blank(value) or (isinstance(value, str) and value.strip().lower() == "never"):
        return None
    return value


@func
@_cells_result
@arg("prices", doc="The price table: a header row (Date, then tickers) over one row per day (date, closes), "
     "e.g. Prices!A1:I1194.", **_RANGE)
@arg("assets", doc="Coins held (a column), each a ticker of prices.", **_RANGE)
@arg("quantities", doc="Coins held of each asset, same length as assets.", **_RANGE)
@arg("contract", doc='A catalog name such as "binance:ETHUSD_PERP", or the contract size (USD inverse, coins linear).')
@arg("collateral", doc="Margin at the start: hedge coins (inverse) or USDT (linear), > 0.")
@arg("hedge_asset", doc="Ticker of the hedge coin; default the catalog contract's coin.")
@arg("contract_type", doc='"inverse" (default) or "linear", when contract is a size.')
@arg("policy", doc='"threshold" (default): trade when the drift passes threshold; "periodic": every every_days; '
     '"none": open once.')
@arg("threshold", doc="Drift from the target notional that triggers a trade, 0.1 = 10 % (default).")
@arg("hedge_ratio", doc='"rolling" (default) beta over window returns, "ewm" with halflife, or a fixed number.')
@arg("window", doc="Returns in the rolling window (default 90); the backtest starts once it is full.")
@arg("halflife", doc="Half-life of the ewm beta, in returns (default 30).")
@arg("fee_bps", doc="Taker fee on every trade's notional, basis points (default 5).")
@arg("slippage_bps", doc="Slippage allowance on every trade's notional, basis points (default 0).")
@arg("funding_rate", doc="Funding rate per settlement, constant; positive = longs pay shorts (default 0).")
@arg("reopen_days", doc='After a liquidation, reopen this many days later with the collateral again; "never" '
     "(default; a blank is never too).")
@arg("cooldown_days", doc="No trade sooner than this many days after the previous one (default 0).")
@arg("every_days", doc="Days between rebalances of the periodic policy (default 7).")
@arg("maintenance_rate", doc="Maintenance-margin rate, 0.005 = 0.5 %; default the catalog's tiers (else 0.5 %).")
def hedge_backtest(
    prices,
    assets,
    quantities,
    contract,
    collateral,
    hedge_asset=None,
    contract_type: ContractTypeOption = "inverse",
    policy: PolicyOption = "threshold",
    threshold=0.1,
    hedge_ratio="rolling",
    window=90,
    halflife=30.0,
    fee_bps=5.0,
    slippage_bps=0.0,
    funding_rate=0.0,
    reopen_days="never",
    cooldown_days=0.0,
    every_days=7.0,
    maintenance_rate=None,
):
    """Backtest of holding the coins and running the short hedge over the price history: the result's name."""
    _single(contract=contract, collateral=collateral, hedge_asset=hedge_asset, contract_type=contract_type,
            policy=policy, threshold=threshold, hedge_ratio=hedge_ratio, window=window, halflife=halflife,
            fee_bps=fee_bps, slippage_bps=slippage_bps, funding_rate=funding_rate, reopen_days=reopen_days,
            cooldown_days=cooldown_days, every_days=every_days, maintenance_rate=maintenance_rate)
    kind = _kind_of(contract, contract_type)
    margin = "collateral_coin" if kind == "inverse" else "collateral_usd"
    with np.errstate(all="ignore"):
        result = _call(
            _BACKTEST_NAMES, hedgecore.backtest, _price_table(prices), _holdings(assets, quantities), contract,
            hedge_asset=None if _is_blank(hedge_asset) else str(hedge_asset).strip(), contract_type=kind,
            **{margin: collateral}, policy=_choice("policy", policy, _POLICIES, "threshold"),
            threshold=_opt(threshold, 0.1), hedge_ratio=_hedge_ratio(hedge_ratio), window=_opt_nonzero(window, 90),
            halflife=_opt_nonzero(halflife, 30.0), fee_bps=_opt(fee_bps, 5.0), slippage_bps=_opt(slippage_bps, 0.0),
            funding=_opt(funding_rate, 0.0), reopen_after_days=_reopen(reopen_days),
            cooldown_days=_opt(cooldown_days, 0.0), every_days=_opt_nonzero(every_days, 7.0),
            maintenance_rate=None if _is_blank(maintenance_rate) else maintenance_rate,
        )
    name = hedgecore.backtest_cells.backtest_id(result)
    digest = hedgecore.backtest_cells.id_digest(name)
    _BACKTESTS.pop(digest, None)
    _BACKTESTS[digest] = (result, {})
    while len(_BACKTESTS) > _BACKTESTS_KEPT:
        _BACKTESTS.popitem(last=False)
    return _out(_one(name))


def _backtest_of(backtest):
    """(result, its cells by field) of a name HEDGE_BACKTEST returned; None for a blank cell."""
    if _is_blank(backtest):
        return None
    digest = hedgecore.backtest_cells.id_digest(backtest)
    if digest is None:
        raise InvalidInputError("backtest must be the name HEDGE_BACKTEST returns (a cell holding it)")
    if digest not in _BACKTESTS:
        raise InvalidInputError(f"backtest #{digest} is no longer in memory: recalculate (Ctrl+Alt+F9) so "
                                "HEDGE_BACKTEST runs again")
    return _BACKTESTS[digest]


def _daily_column(entry, field):
    result, columns = entry
    if field not in columns:
        columns[field] = hedgecore.backtest_cells.daily_cells(result, field)
    return columns[field]


@func
@_cells_result
@arg("backtest", doc="The name HEDGE_BACKTEST returned (its cell).")
@arg("row", doc="Optional: a row number (1 = the first day); past the last row: #N/A. Blank: every row.")
@arg("column", doc="Optional: a field, e.g. hedged_usd, drawdown_hedged, contracts, event; blank: every field.")
def backtest_daily(backtest, row=None, column=None):
    """The backtest's daily table (date, values, contracts, margin, liquidation price, events), a row, a column or a cell."""
    _single(backtest=backtest, row=row, column=column)
    entry = _backtest_of(backtest)
    if entry is None:
        return _out(_one(""))
    result = entry[0]
    fields = hedgecore.backtest_cells.daily_fields(result)
    keys = [k for k, _ in fields]
    if not _is_blank(column):
        wanted = str(column).strip().lower()
        if wanted not in keys:
            raise InvalidInputError(f"column must be one of {', '.join(keys)}, got {str(column)[:40]!r}"[:_MAX_MESSAGE])
        keys = [wanted]
    n = len(result.daily)
    if _is_blank(row):
        table = _rows(zip(*(_daily_column(entry, k) for k in keys)), nan=_NOT_AVAILABLE)
        if _is_blank(column):
            table.rows.insert(0, [label for _, label in fields])
            table.errors = [(i + 1, j, code) for i, j, code in table.errors]
        return _out(table)
    k = _as_number(row)
    if k is None or not float(k).is_integer() or k < 1:
        raise InvalidInputError(f"row must be a whole number from 1 (the first day), got {row!r}"[:_MAX_MESSAGE])
    if k > n:
        return _out(_Table([[None] * len(keys)], [(0, j, _NOT_AVAILABLE) for j in range(len(keys))]))
    return _out(_rows([[_daily_column(entry, key)[int(k) - 1] for key in keys]], nan=_NOT_AVAILABLE))


@func
@_cells_result
@arg("backtest", doc="The name HEDGE_BACKTEST returned (its cell).")
@arg("field", doc="Blank for the label/value table, or a field name, e.g. volatility_hedged, max_drawdown_hedged, "
     "funding_paid_usd, liquidations, liquidation_dates.", **_RANGE)
def backtest_summary(backtest, field=""):
    """The backtest's summary (returns, volatility, drawdowns, funding, fees, trades, liquidations), or fields of it."""
    _single(backtest=backtest)
    entry = _backtest_of(backtest)
    if entry is None:
        return _out(_one(""))
    result, columns = entry
    if "summary" not in columns:
        columns["summary"] = hedgecore.backtest_cells.summary_cells(result)
    return _out(_fields("field", field, columns["summary"], nan=_NOT_AVAILABLE))
