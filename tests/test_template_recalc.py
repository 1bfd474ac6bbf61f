"""Recompute the example workbook headlessly with ``formulas`` and compare with hedgecore.

The add-in's Excel function names are bound to the real add-in functions of addin/main.py
(called as plain Python, with the cells shaped as Excel sends them), which call hedgecore; so a
wiring mistake in a template formula — wrong argument order, wrong range, wrong name — or a
mismatch between the template and the add-in changes a number and fails a test.

One limitation of formulas 1.3.4 is patched: ``INDEX(range, 0, k)`` (Excel: the whole k-th
column) returns only the first row there; the wrapper below implements Excel's meaning.
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

formulas = pytest.importorskip("formulas")

import hedgecore as hc  # noqa: E402
from hedgecore.stats import beta as hc_beta  # noqa: E402
from hedgecore.excel import read_workbook  # noqa: E402
from hedgecore.excel.layout import OUTPUT_NAMES, OUTPUTS  # noqa: E402
from hedgecore.report import compute_report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "templates" / "example_portfolio.xlsx"


# ----------------------------------------------------------------------------- bindings


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


def _bind(udf):
    """Call the real add-in function (addin/main.py, plain Python) from a formulas model."""

    def call(*args):
        out = udf(*(_as_excel_sends(a) for a in args))
        return np.array(out, dtype=object) if isinstance(out, list) else out

    return call


def _addin():
    spec = importlib.util.spec_from_file_location("hedgecore_addin_main_recalc", ROOT / "addin" / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _excel_index():
    """INDEX with Excel's row_num = 0 (whole column); otherwise formulas' own INDEX."""
    from formulas.functions import Array, wrap_func, wrap_impure_func
    from formulas.functions.look import FUNCTIONS, xindex
    from formulas.ranges import Ranges

    def index(array, row_num, col_num=None, area_num=1):
        r, c = _scalar(row_num), _scalar(col_num)
        if r == 0 and c is not None and not isinstance(r, bool):
            values = array.value if isinstance(array, Ranges) else np.asarray(array, dtype=object)
            return np.asarray(values[:, int(c) - 1 : int(c)], dtype=object).view(Array)
        return xindex(array, row_num, col_num, area_num)

    spec = dict(FUNCTIONS["INDEX"])
    spec["function"] = wrap_impure_func(wrap_func(index, ranges=True))
    return spec


ADDIN = _addin()
BINDINGS = {name.upper(): _bind(getattr(ADDIN, name)) for name in (
    "beta", "hedge_contracts", "hedge_plan", "liquidation_price", "funding_cost", "scenario_pnl")}


@pytest.fixture(scope="module")
def recalc():
    funcs = formulas.get_functions()
    saved = {k: funcs.get(k) for k in [*BINDINGS, "INDEX"]}
    try:
        for name, fn in BINDINGS.items():
            funcs[name] = formulas.functions.wrap_func(fn)
        funcs["INDEX"] = _excel_index()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = formulas.ExcelModel().loads(str(EXAMPLE)).finish()
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
        if "]" not in key or ":" in key:
            values[key.upper()] = val
            continue
        sheet, _, cell = key.split("]", 1)[1].partition("!")
        values[f"{sheet.strip(chr(39)).upper()}!{cell.upper()}"] = val
    return values


@pytest.fixture(scope="module")
def inputs():
    return read_workbook(EXAMPLE)


def _cell(values, address):
    sheet, _, cell = address.partition("!")
    v = values[f"{sheet.upper()}!{cell.upper()}"]
    return _scalar(getattr(v, "value", v))


def _block(values, sheet, ref):
    for key, v in values.items():
        if key.endswith(f"{sheet.upper()}'!{ref}") or key.endswith(f"{sheet.upper()}!{ref}"):
            return np.asarray(getattr(v, "value", v), dtype=object)
    raise KeyError(ref)


def _expected(inputs):
    s = inputs.settings
    h = inputs.holdings
    value = (h["Quantity"] * h["Price"]).to_numpy(float)
    betas = np.array([hc_beta(inputs.prices[a], inputs.prices[s["HedgeAsset"]]) for a in h["Asset"]])
    pv = float(value.sum())
    pbeta = float(np.dot(value, betas) / pv)
    plan = hc.hedge_plan(
        pv,
        s["HedgePrice"],
        s["Contract"] or s["ContractSize"],
        hedge_ratio=pbeta,
        contract_type=s["ContractType"],
        rounding=s["Rounding"],
        collateral_coin=s["Collateral"],
        leverage=s["Leverage"],
        maintenance_rate=s["MaintenanceMargin"],
        funding_rate=s["FundingRate"],
    )
    return pv, pbeta, betas, plan


def test_every_computed_name_matches_hedge_plan(recalc, inputs):
    pv, pbeta, _, plan = _expected(inputs)
    want = {
        "PortfolioValue": pv,
        "PortfolioBeta": pbeta,
        "HedgeNotional": plan.hedge_notional_usd,
        "Contracts": plan.contracts,
        "HedgedNotional": plan.hedged_notional_usd,
        "ResidualExposure": plan.residual_usd,
        "InitialMargin": plan.initial_margin,
        "EffectiveLeverage": plan.effective_leverage,
        "LiquidationPrice": plan.liquidation_price_usd,
        "FundingCost": plan.funding_per_day_usd * inputs.settings["HorizonDays"],
    }
    assert set(want) == set(OUTPUT_NAMES)
    for name, expected in want.items():
        got = _cell(recalc, inputs.cells[name])
        assert isinstance(got, (int, float)), f"{name} = {got!r}"
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-9), name


def test_the_sheet_and_the_report_agree_on_every_computed_name(recalc, inputs):
    """Each layout Output: its Excel formula (recalculated) equals the ReportData value it names."""
    report = compute_report(inputs.holdings, inputs.prices, inputs.shocks, dict(inputs.settings))
    computed = report.computed_names
    assert list(computed) == [o.name for o in OUTPUTS]
    for out in OUTPUTS:
        got = _cell(recalc, inputs.cells[out.name])
        assert got == pytest.approx(computed[out.name], rel=1e-9, abs=1e-9), (out.name, out.formula, out.source)


def test_example_numbers_are_realistic(recalc, inputs):
    """Pin the example: ~$90k of alts, beta ~0.92 to ETH, 10 ETH collateral, ETHUSD_PERP."""
    pv, pbeta, _, plan = _expected(inputs)
    assert pv == pytest.approx(89_998.46, abs=0.01)
    assert 0.8 < pbeta < 1.05
    # Inverse: notional = value*beta + collateral*price, contracts of 10 USD.
    assert plan.hedge_notional_usd == pytest.approx(pv * pbeta + 10 * 3505.16333, rel=1e-9)
    assert _cell(recalc, inputs.cells["Contracts"]) == round(plan.hedge_notional_usd / 10)
    assert math.isfinite(plan.liquidation_price_usd) and plan.liquidation_price_usd > 3505.16333


def test_holdings_columns_match_hedgecore(recalc, inputs):
    pv, _, betas, _ = _expected(inputs)
    h = inputs.holdings
    for i in range(len(h)):
        r = 5 + i
        value = h["Quantity"][i] * h["Price"][i]
        assert _cell(recalc, f"Portfolio!D{r}") == pytest.approx(value, rel=1e-12)
        assert _cell(recalc, f"Portfolio!E{r}") == pytest.approx(betas[i], rel=1e-9)
        assert _cell(recalc, f"Portfolio!F{r}") == pytest.approx(value * betas[i], rel=1e-9)
        assert _cell(recalc, f"Portfolio!G{r}") == pytest.approx(value / pv, rel=1e-9)
    assert _cell(recalc, "Portfolio!G2") == pytest.approx(1.0)


def test_hedge_price_default_is_last_close(recalc, inputs):
    assert _cell(recalc, inputs.cells["HedgePrice"]) == pytest.approx(float(inputs.prices["ETH"].iloc[-1]))
    assert _cell(recalc, inputs.cells["HedgeRatio"]) == pytest.approx(_cell(recalc, inputs.cells["PortfolioBeta"]))


def test_stress_table_matches_scenario_pnl(recalc, inputs):
    pv, pbeta, _, plan = _expected(inputs)
    s = inputs.settings
    df = hc.scenario_pnl(
        pv,
        pbeta,
        plan.hedged_notional_usd,
        s["HedgePrice"],
        inputs.shocks,
        contract_type=s["ContractType"],
        collateral_coin=s["Collateral"],
        funding_rate=s["FundingRate"],
        days=s["HorizonDays"],
    )
    block = _block(recalc, "StressTest", "C5:L16")
    cols = list(hc.SCENARIO_COLUMNS) + ["Alt move"]
    assert list(block[0]) == cols
    np.testing.assert_allclose(block[1:].astype(float), df[cols].to_numpy(float), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(inputs.shocks, np.round(np.arange(-0.5, 0.51, 0.1), 10))
