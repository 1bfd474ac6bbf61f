"""Recompute template workbooks headlessly with ``formulas`` and compare with hedgecore and the report.

The add-in's functions are bound to addin/main.py (tests/recalc_harness.py). Checked:

* every formula cell of the shipped example recalculates to the value the writer cached in it
  (so the cached values are what Excel with the add-in shows, and equal the report's figures);
* each layout Output's formula equals the ``ReportData`` value it names;
* one hedge-plan computation per recalculation (seven cells ask ``HEDGE_PLAN`` for a field);
* the sheet and the report still agree after what an Excel user does to the tables: a holding
  typed below the table, a holding inserted above the first, a longer price history pasted below
  (also into the empty template), and a file saved with ``#NAME?`` in every add-in cell.
"""

from __future__ import annotations

import datetime
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

formulas = pytest.importorskip("formulas")
openpyxl = pytest.importorskip("openpyxl")

import hedgecore as hc  # noqa: E402
from hedgecore.backtest_cells import excel_serial  # noqa: E402
from hedgecore.excel import read_workbook, write_template  # noqa: E402
from hedgecore.excel.layout import HOLDINGS_COLUMNS, OUTPUTS  # noqa: E402
from hedgecore.report import compute_report  # noqa: E402
from recalc_harness import cell, insert_rows, recalculate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "templates" / "example_portfolio.xlsx"
EMPTY = ROOT / "templates" / "hedge_template.xlsx"
DATA = ROOT / "data" / "market" / "prices_daily"
#: The figures compared between the sheet and the report in the scenarios.
KEY_NAMES = ("PortfolioValue", "PortfolioBeta", "HedgePrice", "HedgeRatio", "Contracts", "HedgedNotional",
             "LiquidationPrice", "FundingCost", "TwoLegBeta1", "TwoLegNotional2")


@pytest.fixture(scope="module")
def example():
    values, calls = recalculate(EXAMPLE)
    return values, calls, read_workbook(EXAMPLE)


def _report(path: Path):
    w = read_workbook(path)
    return w, compute_report(w.holdings, w.prices, w.shocks, dict(w.settings), warnings=w.warnings)


def _figure(r, name):
    if name in r.computed_names:
        return r.computed_names[name]
    return r.settings[name]


def _same(got, want):
    if isinstance(want, float) and math.isinf(want):
        return got == "none"  # LIQUIDATION_PRICE: no adverse move reaches it
    if isinstance(want, float) and math.isnan(want):
        return str(got) in ("#N/A", "unknown")  # not available (MaxLeverage: no tier table in the catalog)
    if isinstance(want, str) or isinstance(got, str):
        return got == want or (want == "" and got is None)
    return got == pytest.approx(want, rel=1e-9, abs=1e-9)


def assert_sheet_equals_report(path: Path, names=KEY_NAMES):
    """Recalculate ``path`` and compare the named cells with the report computed from it."""
    values, _ = recalculate(path, backtest_rows=5)
    w, r = _report(path)
    for name in names:
        got, want = cell(values, w.cells[name]), _figure(r, name)
        assert _same(got, want), (name, got, want)
    return w, r


# ----------------------------------------------------------------------------- the shipped example


def _formula_cells(path: Path) -> dict[str, tuple[str, str]]:
    """``"Sheet!A1"`` -> (formula text, cached ``<v>``) of every formula cell and array-range cell."""
    from openpyxl.utils.cell import range_boundaries

    wb = openpyxl.load_workbook(path)
    out = {}
    with zipfile.ZipFile(path) as z:
        names = {ws.title: f"xl/worksheets/sheet{i}.xml" for i, ws in enumerate(wb.worksheets, start=1)}
        for ws in wb.worksheets:
            xml = z.read(names[ws.title]).decode()
            cached = dict(re.findall(r'<c r="([A-Z]+\d+)"[^>]*>(?:<f[^>]*>[^<]*</f>|<f[^>]*/>)?<v>([^<]*)</v></c>', xml))
            for row in ws.iter_rows():
                for c in row:
                    text = getattr(c.value, "text", c.value)
                    if not (isinstance(text, str) and text.startswith("=")):
                        continue
                    ref = getattr(c.value, "ref", None) or c.coordinate
                    c1, r1, c2, r2 = range_boundaries(ref)
                    for rr in range(r1, r2 + 1):
                        for cc in range(c1, c2 + 1):
                            coord = ws.cell(row=rr, column=cc).coordinate
                            out[f"{ws.title}!{coord}"] = (text, cached.get(coord))
    return out


@pytest.mark.parametrize("path", [EXAMPLE, EMPTY], ids=["example", "empty"])
def test_every_formula_cell_has_a_cached_value(path):
    cells = _formula_cells(path)
    assert len(cells) > 100
    missing = [k for k, (_, v) in cells.items() if v is None]
    assert not missing, missing[:10]
    assert not [k for k, (_, v) in cells.items() if v.startswith("#NAME")]


def test_every_formula_cell_recalculates_to_its_cached_value(example):
    values, _, _ = example
    cached_wb = openpyxl.load_workbook(EXAMPLE, data_only=True)
    checked = 0
    for address, (formula, _) in _formula_cells(EXAMPLE).items():
        sheet, coord = address.split("!")
        want = cached_wb[sheet][coord].value
        if isinstance(want, datetime.datetime):  # a serial day number in a date-formatted cell (Backtest dates)
            want = excel_serial(want)
        got = cell(values, address)
        if want is None:  # an empty text result ("")
            assert got in ("", None), (address, formula, got)
        elif isinstance(want, str):  # text, or an error value (formulas' XlError prints as its code; #N/A: a chart gap)
            assert got is not None and str(got) == want, (address, formula, got, want)
        else:
            assert isinstance(got, (int, float)) and got == pytest.approx(want, rel=1e-9, abs=1e-12), (
                address, formula, got, want)
        checked += 1
    assert checked > 150


def test_the_sheet_and_the_report_agree_on_every_computed_name(example):
    """Each layout Output: its Excel formula (recalculated) equals the ReportData value it names."""
    values, _, inputs = example
    report = compute_report(inputs.holdings, inputs.prices, inputs.shocks, dict(inputs.settings))
    computed = report.computed_names
    assert list(computed) == [o.name for o in OUTPUTS]
    for out in OUTPUTS:
        assert _same(cell(values, inputs.cells[out.name]), computed[out.name]), (out.name, out.formula, out.source)


def test_one_hedge_plan_computation_per_recalculation(example):
    """Each plan result asks HEDGE_PLAN for its field; the add-in computes the plan once for them all."""
    _, calls, inputs = example
    plan_cells = [o for o in OUTPUTS if o.plan_field]
    assert calls.count("hedge_plan") == len(plan_cells) == 15  # 7 sizing and 8 margin-risk results
    assert calls.count("funding_cost") == 1
    assert calls.count("residual_band") == 2  # low and high (formulas also evaluates the IF branch Excel skips)
    assert "hedge_contracts" not in calls and "liquidation_price" not in calls
    from recalc_harness import ADDIN

    ADDIN._plan_of.cache_clear()
    ADDIN._scenarios_of.cache_clear()
    recalculate(EXAMPLE, backtest_rows=5)
    assert ADDIN._plan_of.cache_info().misses == 1 and ADDIN._plan_of.cache_info().hits == 14
    assert ADDIN._scenarios_of.cache_info().misses == 1


def test_example_numbers_are_realistic(example):
    """Pin the example: ~$90k of alts, beta ~0.92 to ETH, 10 ETH collateral, ETHUSD_PERP; BTC as second leg."""
    values, _, inputs = example
    pv, pbeta = cell(values, inputs.cells["PortfolioValue"]), cell(values, inputs.cells["PortfolioBeta"])
    assert pv == pytest.approx(89_998.46, abs=0.01)
    assert 0.8 < pbeta < 1.05
    # Inverse: notional = value*beta + collateral*price, contracts of 10 USD.
    notional = pv * pbeta + 10 * 3505.16333
    assert cell(values, inputs.cells["HedgeNotional"]) == pytest.approx(notional, rel=1e-9)
    assert cell(values, inputs.cells["Contracts"]) == round(notional / 10)
    assert cell(values, inputs.cells["LiquidationPrice"]) > 3505.16333
    b1, b2 = cell(values, inputs.cells["TwoLegBeta1"]), cell(values, inputs.cells["TwoLegBeta2"])
    assert 0 < b2 < b1 < pbeta  # part of the ETH hedge moves to BTC


def test_holdings_columns_match_hedgecore(example):
    values, _, inputs = example
    r = compute_report(inputs.holdings, inputs.prices, inputs.shocks, dict(inputs.settings))
    for i in range(len(inputs.holdings)):
        for j, col in enumerate(HOLDINGS_COLUMNS, start=1):
            if col.formula is None:
                continue
            address = f"Portfolio!{chr(64 + j)}{5 + i}"
            assert cell(values, address) == pytest.approx(r.holdings[col.header].iloc[i], rel=1e-9), address
    # hedgecore.stats.beta directly, for one asset
    assert cell(values, "Portfolio!E5") == pytest.approx(hc.beta(inputs.prices["SOL"], inputs.prices["ETH"]), rel=1e-12)
    assert cell(values, "Portfolio!G2") == pytest.approx(1.0)


def test_stress_table_matches_scenario_pnl(example):
    """Every stress column of the recalculated sheet equals scenario_pnl called directly: liquidation at the
    plan's leverage and the contract's tiers, the residual band of the basket (plain pandas here) at the
    portfolio beta over the horizon, and the value-weighted downside beta."""
    values, _, inputs = example
    s = inputs.settings
    pv, pbeta = cell(values, inputs.cells["PortfolioValue"]), cell(values, inputs.cells["PortfolioBeta"])
    h, prices = inputs.holdings, inputs.prices
    basket = (prices[list(h["Asset"])] * h["Quantity"].to_numpy()).sum(axis=1)
    band = hc.residual_band(basket, prices["ETH"], hedge_ratio=pbeta, horizon_days=math.ceil(s["HorizonDays"]))
    weights = (h["Quantity"] * h["Price"]).to_numpy() / pv
    downside = float(weights @ [hc.beta_stats(prices[a], prices["ETH"]).downside_beta for a in h["Asset"]])
    assert cell(values, inputs.cells["PortfolioDownsideBeta"]) == pytest.approx(downside, rel=1e-12)
    assert cell(values, inputs.cells["ResidualLow"]) == pytest.approx(band.low_frac, rel=1e-12)
    df = hc.scenario_pnl(pv, pbeta, cell(values, inputs.cells["HedgedNotional"]), s["HedgePrice"], inputs.shocks,
                         contract_type=s["ContractType"], collateral_coin=s["Collateral"],
                         funding_rate=s["FundingRate"], days=s["HorizonDays"], leverage=s["Leverage"],
                         contract=s["Contract"], residual=band, downside_beta=downside)
    cols = list(hc.SCENARIO_COLUMNS) + ["Alt move"] + list(hc.SCENARIO_RISK_COLUMNS)
    assert list(df.columns) == cols
    got = np.array([[cell(values, f"StressTest!{chr(65 + j)}{6 + i}") for j in range(len(cols))]
                    for i in range(len(inputs.shocks))], dtype=object)
    got[got == ""] = np.nan  # the downside line of a rise is blank
    np.testing.assert_allclose(got.astype(float), df[cols].to_numpy(float), rtol=1e-9, atol=1e-9)
    assert list(got[:, cols.index("Liquidated")]) == list(df["Liquidated"])  # TRUE/FALSE in the sheet
    assert df["Liquidated"].iloc[-1] and not df["Liquidated"].iloc[-2]  # +50 % is past the liquidation at +41.6 %
    wb = openpyxl.load_workbook(EXAMPLE)
    assert [wb["StressTest"].cell(row=5, column=1 + j).value for j in range(len(cols))] == cols  # plain text


# ----------------------------------------------------------------------------- what users do to the tables

SMALL_ASSETS = ["SOL", "AVAX", "LINK", "ETH", "BTC"]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A filled template on 400 days of SOL, AVAX, LINK, ETH and BTC (quick to recalculate)."""
    prices = hc.load_prices(DATA, assets=SMALL_ASSETS).iloc[-400:]
    holdings = {"Asset": ["SOL", "AVAX"], "Quantity": [100.0, 300.0]}
    import pandas as pd

    path = tmp_path_factory.mktemp("small") / "small.xlsx"
    write_template(path, holdings=pd.DataFrame(holdings), prices=prices,
                   settings={"Contract": "binance:ETHUSD_PERP", "Collateral": 2, "SecondAsset": "BTC"})
    return path, prices


def _type_holding(ws, row, asset, qty, price):
    """Type a holding in ``row`` and fill the computed columns as Excel's calculated columns do."""
    for j, value in enumerate((asset, qty, price), start=1):
        ws.cell(row=row, column=j, value=value)
    for j, col in enumerate(HOLDINGS_COLUMNS, start=1):
        if col.formula is not None:
            ws.cell(row=row, column=j, value=col.formula.format(r=row))


def _grow_table(ws, name, rows):
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.utils import get_column_letter

    t = ws.tables[name]
    c1, r1, c2, r2 = range_boundaries(t.ref)
    t.ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2 + rows}"
    if t.autoFilter is not None:
        t.autoFilter.ref = t.ref


def _table_end(ws, name):
    from openpyxl.utils.cell import range_boundaries

    return range_boundaries(ws.tables[name].ref)[3]


def test_a_holding_typed_below_the_table(small, tmp_path):
    src, _ = small
    _, before = _report(src)
    wb = openpyxl.load_workbook(src)
    ws = wb["Portfolio"]
    row = _table_end(ws, "Holdings") + 1  # past the spare rows: Excel extends the table to it
    _type_holding(ws, row, "LINK", 50.0, 15.0)
    _grow_table(ws, "Holdings", 1)
    wb.save(tmp_path / "below.xlsx")
    w, r = assert_sheet_equals_report(tmp_path / "below.xlsx")
    assert r.portfolio_value_usd == pytest.approx(before.portfolio_value_usd + 750.0)
    assert w.warnings == ()


def test_a_holding_typed_below_the_table_without_extending_it_is_a_warning(small, tmp_path):
    src, _ = small
    wb = openpyxl.load_workbook(src)
    ws = wb["Portfolio"]
    row = _table_end(ws, "Holdings") + 2  # a gap: Excel leaves the table as it is
    _type_holding(ws, row, "LINK", 50.0, 15.0)
    wb.save(tmp_path / "outside.xlsx")
    w, _ = _report(tmp_path / "outside.xlsx")
    assert len(w.warnings) == 1
    assert f"rows {row} of sheet Portfolio are in HoldingsAsset but outside table Holdings" in w.warnings[0]


def test_a_holding_inserted_above_the_first(small, tmp_path):
    src, _ = small
    _, before = _report(src)
    wb = openpyxl.load_workbook(src)
    insert_rows(wb, "Portfolio", 5)
    _type_holding(wb["Portfolio"], 5, "LINK", 50.0, 15.0)
    wb.save(tmp_path / "above.xlsx")
    w, r = assert_sheet_equals_report(tmp_path / "above.xlsx")
    assert list(w.holdings["Asset"]) == ["LINK", "SOL", "AVAX"]
    assert r.portfolio_value_usd == pytest.approx(before.portfolio_value_usd + 750.0)


def _paste_prices(ws, prices, first_row):
    for i, (date, row) in enumerate(zip(prices.index, prices.to_numpy(float)), start=first_row):
        ws.cell(row=i, column=1, value=date.to_pydatetime())
        for j, v in enumerate(row, start=2):
            if not math.isnan(v):  # a blank stays a missing cell (formulas reads a written empty cell as 0)
                ws.cell(row=i, column=j, value=float(v))


def test_a_longer_price_history_pasted_below(tmp_path):
    import pandas as pd

    prices = hc.load_prices(DATA, assets=SMALL_ASSETS).iloc[-400:]
    src = tmp_path / "short.xlsx"
    write_template(src, holdings=pd.DataFrame({"Asset": ["SOL"], "Quantity": [100.0]}), prices=prices.iloc[:300],
                   settings={"Contract": "binance:ETHUSD_PERP"})
    wb = openpyxl.load_workbook(src)
    ws = wb["Prices"]
    _paste_prices(ws, prices.iloc[300:], _table_end(ws, "Prices") + 1)
    _grow_table(ws, "Prices", 100)  # Excel extends a table over a block pasted right below it
    wb.save(tmp_path / "longer.xlsx")
    w, r = assert_sheet_equals_report(tmp_path / "longer.xlsx")
    assert r.price_rows == 400
    assert w.settings["HedgePrice"] == pytest.approx(float(prices["ETH"].iloc[-1]))  # the last close, not row 300's


def test_a_price_history_pasted_into_the_empty_template(tmp_path):
    """The issue's case: the hedge price was the 5th row's close; it must be the last non-blank one."""
    prices = hc.load_prices(DATA, assets=["ETH", "SOL"]).iloc[-400:]
    prices.iloc[-1, prices.columns.get_loc("ETH")] = np.nan  # the newest day lacks an ETH close
    wb = openpyxl.load_workbook(EMPTY)
    ws = wb["Prices"]
    ws["C1"] = "SOL"  # a second ticker typed beside the table's header: Excel extends the table
    _paste_prices(ws, prices[["ETH", "SOL"]], 2)
    t = ws.tables["Prices"]
    t.ref = f"A1:C{len(prices) + 1}"
    t.autoFilter.ref = t.ref
    t._initialise_columns()  # noqa: SLF001 - the header names of the widened table
    _type_holding(wb["Portfolio"], 5, "SOL", 100.0, float(prices["SOL"].iloc[-1]))
    wb.save(tmp_path / "pasted.xlsx")
    w, r = assert_sheet_equals_report(tmp_path / "pasted.xlsx", names=KEY_NAMES[:-2])
    assert w.settings["HedgePrice"] == pytest.approx(float(prices["ETH"].dropna().iloc[-1]))
    assert r.price_rows == 400


def _with_error_caches(src: Path, dst: Path, error: str = "#NAME?") -> Path:
    """Mimic a save before the add-in loaded: every formula cell's cached value is ``error``,
    except the native hedge-price default (Excel computes it without the add-in)."""
    wb = openpyxl.load_workbook(src)
    hedge_price = wb.defined_names["HedgePrice"].attr_text.split("!")[1].replace("$", "")
    with zipfile.ZipFile(src) as z:
        items = {i.filename: z.read(i.filename) for i in z.infolist()}

    def swap(m):
        if m.group(1) == hedge_price and current[0].endswith("sheet4.xml"):
            return m.group(0)
        attrs = re.sub(r' t="[^"]*"', "", m.group(2))
        return f'<c r="{m.group(1)}"{attrs} t="e">{m.group(3)}<v>{error}</v></c>'

    for name in [n for n in items if n.startswith("xl/worksheets/sheet")]:
        current = [name]
        xml = items[name].decode()
        xml = re.sub(r'<c r="([A-Z]+\d+)"((?: [a-z]+="[^"]*")*)>(<f[^>]*>[^<]*</f>|<f[^>]*/>)<v>[^<]*</v></c>', swap, xml)
        items[name] = xml.encode()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items.items():
            z.writestr(name, data)
    return dst


def test_saved_with_name_errors_the_report_recomputes(small, example, tmp_path):
    src, _ = small
    path = _with_error_caches(src, tmp_path / "name-errors.xlsx")
    w, r = assert_sheet_equals_report(path)
    assert {"HedgeRatio"} <= w.computed
    beta_cell = w.cells["PortfolioBeta"].split("!")[1]
    assert openpyxl.load_workbook(path, data_only=True)["Hedge"][beta_cell].value == "#NAME?"
    # the shipped example, too: the report's figures equal the recalculated sheet's
    values, _, _ = example
    we, re_ = _report(_with_error_caches(EXAMPLE, tmp_path / "example-errors.xlsx"))
    for name in KEY_NAMES:
        assert _same(cell(values, we.cells[name]), _figure(re_, name)), name


RISK_NAMES = ("Contracts", "LiquidationPrice", "MarginVerdict", "MarginShortfall", "LeverageToFit", "MaxLeverage",
              "MaintenanceRate", "LossIfLiquidated", "FundingInterval", "FundingCost", "ResidualLow", "ResidualHigh",
              "PortfolioDownsideBeta", "TradeNow")


def test_a_tiered_linear_hedge_held_on_a_margin_balance(tmp_path):
    """Binance BTCUSDT from the catalog with a blank rate (its tier table), 4x, a short already held on a margin
    balance: the sheet's margin verdict, tier, liquidation loss, band and trade equal the report's."""
    import pandas as pd

    prices = hc.load_prices(DATA, assets=SMALL_ASSETS).iloc[-400:]
    path = tmp_path / "tiers.xlsx"
    write_template(path, holdings=pd.DataFrame({"Asset": ["SOL", "AVAX"], "Quantity": [400.0, 3000.0]}),
                   prices=prices, settings={"Contract": "binance:BTCUSDT", "Leverage": 4, "ContractsHeld": 0.5,
                                            "MarginBalance": 9000, "HorizonDays": 14})
    w, r = assert_sheet_equals_report(path, names=RISK_NAMES)
    assert w.settings["MaintenanceMargin"] is None
    assert r.plan.max_leverage == 100.0 and r.plan.maintenance_rate == 0.005  # ~226k USDT: tier 2 (50k-600k)
    assert r.risk.trade is not None and r.trade_contracts == pytest.approx(r.risk.trade.plan.contracts - 0.5)
    values, calls = recalculate(path)
    assert "hedge_trade" in calls
    liquidated = [cell(values, f"StressTest!K{6 + i}") for i in range(len(w.shocks))]
    assert liquidated == [float(x) for x in r.stress["Liquidated"]]  # 1 / 0 in the sheet
    assert sum(liquidated) >= 1  # a 4x linear short is liquidated within +50 %


def test_a_workbook_without_a_margin_balance_says_what_the_plan_needs(example):
    """The example: the 10 ETH wallet does not cover 11.22 ETH at 3x; the verdict cell says so."""
    values, _, inputs = example
    verdict = cell(values, inputs.cells["MarginVerdict"])
    assert verdict.startswith("Cannot be opened: 11.2187 ETH initial margin at 3x, 10 ETH posted")
    assert cell(values, inputs.cells["MarginShortfall"]) == pytest.approx(1.2186878701978578, rel=1e-12)
    assert cell(values, inputs.cells["MaxLeverage"]) == "unknown"  # no COIN-M tier table in the catalog
    assert cell(values, inputs.cells["TradeNow"]) == cell(values, inputs.cells["Contracts"])  # nothing held yet
