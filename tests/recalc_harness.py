"""Recalculate a template workbook headlessly with ``formulas``, the add-in's names bound to addin/main.py.

The add-in's Excel function names are bound to the real add-in functions of addin/main.py
(called as plain Python, with the cells shaped as Excel sends them), which call hedgecore; so a
wiring mistake in a template formula — wrong argument order, wrong range, wrong name — or a
mismatch between the template and the add-in changes a number and fails a test.

Two limitations of formulas 1.3.4 are patched in ``INDEX``, with Excel's meaning:

* ``INDEX(range, 0, k)`` (the whole k-th column) returns only the first row there;
* ``INDEX(reference, r, c)`` builds a reference object for *every* cell of the range before
  picking one (seconds for the template's bounded dynamic-name ranges); here it builds the one
  cell's reference, as Excel returns it.

Also used to simulate what Excel does to a workbook: :func:`insert_rows` shifts cells, formulas,
tables, names and validations as Excel's *Insert row* does.
"""

from __future__ import annotations

import importlib.util
import re
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ADDIN_FUNCTIONS = ("beta", "beta_stats", "hedge_contracts", "hedge_plan", "liquidation_price", "funding_cost",
                   "scenario_pnl", "two_leg_hedge", "residual_band", "hedge_trade", "collateral_for_liquidation",
                   "hedge_backtest", "backtest_daily", "backtest_summary")


def _scalar(x):
    import schedula as sh

    while isinstance(x, np.ndarray):
        x = x.ravel()[0] if x.size else None
    if x is sh.EMPTY:
        return None
    if isinstance(x, np.generic):
        x = x.item()
    return x


def _cell_value(v):
    import schedula as sh

    if v is sh.EMPTY:
        return None
    return v.item() if isinstance(v, np.generic) else v


def _as_excel_sends(x):
    """A formulas argument as Excel hands it to the add-in: one cell as a scalar, a one-row
    range as its row (as xlwings passes it), any other range as a list of rows."""
    arr = np.asarray(x, dtype=object)
    if arr.ndim < 2:
        arr = arr.reshape(1, -1)
    rows = [[_cell_value(v) for v in row] for row in arr.tolist()]
    if arr.size == 1:
        return rows[0][0]
    return rows[0] if len(rows) == 1 else rows


def _bind(udf, calls):
    """Call the real add-in function (addin/main.py, plain Python) from a formulas model."""

    def call(*args):
        calls.append(udf.__name__)
        out = udf(*(_as_excel_sends(a) for a in args))
        return np.array(out, dtype=object) if isinstance(out, list) else out

    return call


def load_addin():
    spec = importlib.util.spec_from_file_location("hedgecore_addin_main_recalc", ROOT / "addin" / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _excel_index():
    """INDEX with Excel's row_num = 0 (whole column) and a one-cell reference built directly."""
    from formulas.functions import Array, Error, wrap_func, wrap_impure_func
    from formulas.functions.look import FUNCTIONS, xindex
    from formulas.ranges import Ranges
    from formulas.tokens.operand import _index2col

    def reference(array, rows, cols):
        """The sub-range rows x cols (1-based, inclusive) of a one-range reference, as a reference."""
        rng = array.ranges[0]
        r1, n1 = int(rng["r1"]), int(rng["n1"])
        (a, b), (c, d) = rows, cols
        if not (1 <= a <= b <= int(rng["r2"]) - r1 + 1 and 1 <= c <= d <= int(rng["n2"]) - n1 + 1):
            return Error.errors["#REF!"]
        ra, rb, na, nb = r1 + a - 1, r1 + b - 1, n1 + c - 1, n1 + d - 1
        ref = f"{_index2col(na)}{ra}" + ("" if (ra, na) == (rb, nb) else f":{_index2col(nb)}{rb}")
        sheet_id = rng["sheet_id"]
        value = np.asarray(array.value, dtype=object)[ra - r1: rb - r1 + 1, na - n1: nb - n1 + 1]
        return Ranges(values=dict(array.values)).set_value(
            {"r1": ra, "r2": rb, "c1": _index2col(na), "c2": _index2col(nb), "n1": na, "n2": nb, "ref": ref,
             "name": f"{sheet_id}!{ref}" if sheet_id else ref, "sheet_id": sheet_id}, value)

    def one_cell(array, r, c):
        rng = array.ranges[0]
        rows = int(rng["r2"]) - int(rng["r1"]) + 1
        if c is None:  # INDEX(vector, k)
            r, c = (1, r) if rows == 1 else (r, 1)
        return reference(array, (r, r), (c, c))

    def index(array, row_num, col_num=None, area_num=1):
        r, c = _scalar(row_num), _scalar(col_num)
        simple = isinstance(array, Ranges) and not array.is_set and len(array.ranges) == 1
        if r == 0 and c is not None and not isinstance(r, bool):
            if simple:  # a reference to the column: its blanks stay blank
                rng = array.ranges[0]
                return reference(array, (1, int(rng["r2"]) - int(rng["r1"]) + 1), (int(c), int(c)))
            values = np.asarray(array, dtype=object)
            return np.asarray(values[:, int(c) - 1 : int(c)], dtype=object).view(Array)
        if simple and isinstance(r, (int, float)) and (c is None or isinstance(c, (int, float))) and r >= 1:
            return one_cell(array, int(r), None if c is None else int(c))
        return xindex(array, row_num, col_num, area_num)

    spec = dict(FUNCTIONS["INDEX"])
    spec["function"] = wrap_impure_func(wrap_func(index, ranges=True))
    return spec


ADDIN = load_addin()


def trimmed_backtest(path: Path, rows: int, out: Path) -> Path:
    """A copy of ``path`` whose Backtest daily table keeps its first ``rows`` rows (``formulas`` parses
    each of its ~13,000 cells: 30 s for the whole example, where every other sheet takes 7 s)."""
    import openpyxl

    from hedgecore.excel.layout import BACKTEST_TABLE_HEADER_ROW

    wb = openpyxl.load_workbook(path)
    if "Backtest" in wb.sheetnames:
        ws = wb["Backtest"]
        first = BACKTEST_TABLE_HEADER_ROW + 1 + rows
        if ws.max_row >= first:
            ws.delete_rows(first, ws.max_row - first + 1)
    wb.save(out)
    return out


def recalculate(path: Path, *, backtest_rows: int | None = None) -> tuple[dict[str, object], list[str]]:
    """Every cell's recalculated value by ``"SHEET!A1"`` (upper case), and the add-in calls made.

    ``backtest_rows``: recalculate a copy with only that many rows of the Backtest daily table.
    """
    import formulas

    if backtest_rows is not None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            return recalculate(trimmed_backtest(path, backtest_rows, Path(tmp) / Path(path).name))

    calls: list[str] = []
    bindings = {name.upper(): _bind(getattr(ADDIN, name), calls) for name in ADDIN_FUNCTIONS}
    funcs = formulas.get_functions()
    saved = {k: funcs.get(k) for k in [*bindings, "INDEX"]}
    try:
        for name, fn in bindings.items():
            funcs[name] = formulas.functions.wrap_func(fn)
        funcs["INDEX"] = _excel_index()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = formulas.ExcelModel().loads(str(path)).finish()
            solution = model.calculate()
    finally:
        for k, v in saved.items():
            if v is None:
                funcs.pop(k, None)
            else:
                funcs[k] = v
    values = {}
    for key, val in solution.items():
        key = str(key)
        if "]" not in key:
            values[key.upper()] = val
            continue
        sheet, _, cell = key.split("]", 1)[1].partition("!")
        values[f"{sheet.strip(chr(39)).upper()}!{cell.upper()}"] = val
    return values, calls


def cell(values, address):
    """One recalculated cell's value (a scalar; a blank is None)."""
    sheet, _, ref = address.partition("!")
    key = f"{sheet.upper()}!{ref.upper()}"
    if key in values:
        v = values[key]
        return _scalar(getattr(v, "value", v))
    for k, v in values.items():  # a cell inside an array formula's range
        if k.startswith(f"{sheet.upper()}!") and ":" in k:
            from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries

            c1, r1, c2, r2 = range_boundaries(k.split("!")[1])
            row, col = coordinate_to_tuple(ref.upper())
            if r1 <= row <= r2 and c1 <= col <= c2:
                arr = np.asarray(getattr(v, "value", v), dtype=object)
                if arr.ndim == 2 and arr.shape[0] > row - r1 and arr.shape[1] > col - c1:
                    return _scalar(arr[row - r1, col - c1])
    raise KeyError(address)


# ----------------------------------------------------------------------------- Excel's Insert row


def _shift_ref(text: str, sheet: str, at: int, n: int, *, own_sheet: bool) -> str:
    """References to rows >= ``at`` of ``sheet`` move down ``n`` rows (what Excel does on insert).

    ``own_sheet``: unqualified references in ``text`` are on ``sheet`` (a formula of that sheet).
    """
    qualified = re.compile(rf"((?:'{sheet}'|{sheet})!)(\$?[A-Z]{{1,3}})(\$?)(\d+)(?::(\$?[A-Z]{{1,3}})(\$?)(\d+))?")

    def move(m):
        row1 = int(m.group(4))
        out = f"{m.group(1)}{m.group(2)}{m.group(3)}{row1 + n if row1 >= at else row1}"
        if m.group(5):
            row2 = int(m.group(7))
            out += f":{m.group(5)}{m.group(6)}{row2 + n if row2 >= at else row2}"
        return out

    text = qualified.sub(move, text)
    if own_sheet:
        bare = re.compile(r"(?<![A-Za-z_!$.\"])(\$?)([A-Z]{1,3})(\$?)(\d+)(?![\w(])")
        text = bare.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}"
                        f"{int(m.group(4)) + n if int(m.group(4)) >= at else int(m.group(4))}", text)
    return text


def insert_rows(wb, sheet: str, at: int, n: int = 1) -> None:
    """Excel's *Insert* of ``n`` rows above row ``at`` of ``sheet``: cells, their formulas,
    tables that span the row, defined names, data validations and other sheets' references move."""
    from openpyxl.worksheet.formula import ArrayFormula

    ws = wb[sheet]
    ws.insert_rows(at, n)  # moves cells and styles, nothing else
    for other in wb.worksheets:
        for row in other.iter_rows():
            for c in row:
                v = c.value
                if isinstance(v, ArrayFormula):
                    ref = _shift_ref(f"{sheet}!{v.ref}", sheet, at, n, own_sheet=False).split("!")[1]
                    c.value = ArrayFormula(ref if other.title == sheet else v.ref,
                                           _shift_ref(v.text, sheet, at, n, own_sheet=other.title == sheet))
                elif isinstance(v, str) and v.startswith("="):
                    c.value = _shift_ref(v, sheet, at, n, own_sheet=other.title == sheet)
    for table in ws.tables.values():  # a table spanning the row grows, one below it moves
        table.ref = _shift_ref(f"{sheet}!{table.ref}", sheet, at, n, own_sheet=False).split("!")[1]
        if table.autoFilter is not None:
            table.autoFilter.ref = table.ref
    for name, dn in list(wb.defined_names.items()):
        dn.attr_text = _shift_ref(dn.attr_text, sheet, at, n, own_sheet=False)
    for dv in ws.data_validations.dataValidation:
        dv.sqref = _shift_ref(f"{sheet}!{dv.sqref}", sheet, at, n, own_sheet=False).split("!")[1]
