"""read_workbook: values back by name, and errors that name file, sheet and cell."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

openpyxl = pytest.importorskip("openpyxl")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import hedgecore as hc  # noqa: E402
from hedgecore.stats import beta  # noqa: E402
from hedgecore.excel import read_workbook, write_template  # noqa: E402
from hedgecore.excel.layout import INPUT_NAMES, OUTPUT_NAMES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "templates" / "example_portfolio.xlsx"


def _edit(tmp_path, edit, name="edited.xlsx"):
    wb = openpyxl.load_workbook(EXAMPLE)
    edit(wb)
    out = tmp_path / name
    wb.save(out)
    return out


def test_reads_the_example(tmp_path):
    w = read_workbook(EXAMPLE)
    csv = pd.read_csv(ROOT / "templates" / "example_holdings.csv")
    assert list(w.holdings["Asset"]) == list(csv["Asset"]) == ["SOL", "AVAX", "DOT", "LINK", "ADA", "XRP"]
    np.testing.assert_array_equal(w.holdings["Quantity"], csv["Quantity"].astype(float))
    last = w.prices.iloc[-1]
    np.testing.assert_allclose(w.holdings["Price"], [last[a] for a in w.holdings["Asset"]])
    assert w.prices.shape == (1193, 8) and isinstance(w.prices.index, pd.DatetimeIndex)
    assert w.prices.index[0] == pd.Timestamp("2021-01-03") and w.prices.index.is_monotonic_increasing
    assert w.prices.loc["2021-01-03", "ETH"] == pytest.approx(975.50769)  # data/market/prices_daily/ETH-USD.csv
    assert list(w.settings) == list(INPUT_NAMES)
    s = w.settings
    assert (s["HedgeAsset"], s["Contract"], s["ContractType"], s["Rounding"]) == (
        "ETH", "binance:ETHUSD_PERP", "inverse", "nearest")
    assert (s["Collateral"], s["Leverage"], s["MaintenanceMargin"], s["FundingRate"], s["HorizonDays"]) == (
        10.0, 3.0, None, 0.0001, 30.0)  # a blank maintenance rate: the contract's tiers
    assert (s["ContractsHeld"], s["MarginBalance"]) == (0.0, None)
    # Default formulas: the values the writer cached (computed by hedgecore) are read.
    assert w.computed == set()
    assert s["HedgePrice"] == pytest.approx(3505.16333)
    value = w.holdings["Quantity"] * w.holdings["Price"]
    betas = [beta(w.prices[a], w.prices["ETH"], returns="simple") for a in w.holdings["Asset"]]
    assert s["HedgeRatio"] == pytest.approx(float(np.dot(value, betas) / value.sum()), rel=1e-12)
    assert 0.8 < s["HedgeRatio"] < 1.05
    np.testing.assert_allclose(w.shocks, np.linspace(-0.5, 0.5, 11), atol=1e-12)
    assert w.cells["Collateral"] == "Hedge!B12" and w.cells["Contracts"] == "Hedge!B28"
    assert set(OUTPUT_NAMES) <= set(w.cells)
    assert w.where("HedgeRatio") == "example_portfolio.xlsx, sheet Hedge, cell B10"


def test_a_number_typed_over_a_default_formula_is_used(tmp_path):
    path = _edit(tmp_path, lambda wb: wb["Hedge"].__setitem__("B10", 1.0))
    w = read_workbook(path)  # openpyxl's save drops every cached value: the hedge price is recomputed
    assert w.settings["HedgeRatio"] == 1.0 and w.computed == {"HedgePrice"}


def test_a_blank_contract_reads_as_empty_text(tmp_path):
    path = _edit(tmp_path, lambda wb: wb["Hedge"].__setitem__("B6", None))
    assert read_workbook(path).settings["Contract"] == ""


def _with_cached_value(src: Path, dst: Path, cell: str, value: str) -> Path:
    """Mimic a file saved by Excel: give the formula in Hedge!<cell> a cached value."""
    with zipfile.ZipFile(src) as z:
        items = {i.filename: z.read(i.filename) for i in z.infolist()}
    pattern = rf'(<c r="{cell}"[^>]*>\s*<f>PortfolioBeta</f>)\s*(<v\s*/>|<v>[^<]*</v>)?'
    hits = 0
    for name in [n for n in items if n.startswith("xl/worksheets/sheet")]:
        xml, n = re.subn(pattern, rf"\1<v>{value}</v>", items[name].decode(), count=1)
        items[name], hits = xml.encode(), hits + n
    assert hits == 1
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items.items():
            z.writestr(name, data)
    return dst


def test_cached_values_from_excel_win_over_recomputation(tmp_path):
    path = _with_cached_value(EXAMPLE, tmp_path / "saved.xlsx", "B10", "0.75")
    w = read_workbook(path)
    assert w.settings["HedgeRatio"] == 0.75
    assert "HedgeRatio" not in w.computed


def test_an_unknown_formula_without_cached_value_raises(tmp_path):
    path = _edit(tmp_path, lambda wb: wb["Hedge"].__setitem__("B10", "=PortfolioBeta*0.5"))
    with pytest.raises(hc.WorkbookError, match=r"edited\.xlsx, sheet Hedge, cell B10: HedgeRatio holds the formula"):
        read_workbook(path)


def _set(wb, **cells):
    for cell, value in cells.items():
        wb["Hedge"][cell] = value


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda wb: wb.remove(wb["StressTest"]), r"sheet StressTest.*missing"),
        (lambda wb: wb["Portfolio"].tables.pop("Holdings"), r"sheet Portfolio: table Holdings is missing"),
        (lambda wb: wb.defined_names.pop("Collateral"), r"edited\.xlsx: defined name Collateral is missing"),
        (lambda wb: wb["Hedge"].__setitem__("B12", "ten"), r"sheet Hedge, cell B12: Collateral must be a number, got text 'ten'"),
        (lambda wb: wb["Hedge"].__setitem__("B13", None), r"sheet Hedge, cell B13: Leverage is blank"),
        (lambda wb: wb["Portfolio"].__setitem__("B6", -5), r"sheet Portfolio, cell B6: Quantity of AVAX is negative"),
        (lambda wb: wb["Portfolio"].__setitem__("C7", "n/a"), r"sheet Portfolio, cell C7: Price of DOT must be a number"),
        (lambda wb: wb["Portfolio"].__setitem__("A5", "DOGE"), r"sheet Portfolio, cell A5: asset DOGE has no column in table Prices"),
        (lambda wb: _set(wb, B5="BNB", B6=None), r"sheet Hedge, cell B5: HedgeAsset must be a column of table Prices \(SOL, AVAX"),
        (lambda wb: _set(wb, B7="quanto", B6=None), r"sheet Hedge, cell B7: ContractType must be one of inverse, linear, got 'quanto'"),
        (lambda wb: _set(wb, B5="BNB"), r"sheet Hedge, cell B5: HedgeAsset must be the coin of contract binance:ETHUSD_PERP \(ETH\), got 'BNB'"),
        (lambda wb: _set(wb, B7="linear"), r"sheet Hedge, cell B7: ContractType must match contract binance:ETHUSD_PERP \(inverse\), got 'linear'"),
        (lambda wb: _set(wb, B13=-2), r"sheet Hedge, cell B13: Leverage must be positive, got -2"),
        (lambda wb: _set(wb, B11="ceil"), r"sheet Hedge, cell B11: Rounding must be one of none, down, nearest, up, got 'ceil'"),
        (lambda wb: wb["Prices"].__setitem__("A3", wb["Prices"]["A2"].value), r"sheet Prices, cell A3: date 2021-01-03 is duplicated"),
        (lambda wb: wb["Prices"].__setitem__("A100", wb["Prices"]["A2"].value), r"sheet Prices, cell A100: date 2021-01-03 is not in increasing order"),
        (lambda wb: wb["Prices"].__setitem__("C50", "abc"), r"sheet Prices, cell C50: close of AVAX must be a number"),
        (lambda wb: wb["StressTest"].__setitem__("A6", -1.5), r"sheet StressTest, cell A6: Shock must be above -100 %"),
    ],
    ids=["no-sheet", "no-table", "no-name", "text-number", "blank-number", "negative-qty", "text-price",
         "asset-not-in-prices", "hedge-not-in-prices", "bad-type", "hedge-not-the-contract-coin", "type-not-the-contract-type",
         "negative-leverage", "bad-rounding", "dup-date", "unsorted-date", "text-close", "bad-shock"],
)
def test_errors_name_file_sheet_and_cell(tmp_path, edit, message):
    path = _edit(tmp_path, edit)
    with pytest.raises(hc.WorkbookError, match=message):
        read_workbook(path)


def test_empty_prices_raise(tmp_path):
    def clear(wb):
        ws = wb["Prices"]
        for row in ws.iter_rows(min_row=2):
            for c in row:
                c.value = None

    with pytest.raises(hc.WorkbookError, match=r"sheet Prices: table Prices is empty"):
        read_workbook(_edit(tmp_path, clear))


def test_empty_template_reports_what_is_missing():
    with pytest.raises(hc.WorkbookError, match=r"hedge_template\.xlsx, sheet Prices: table Prices is empty"):
        read_workbook(ROOT / "templates" / "hedge_template.xlsx")


def test_not_a_workbook(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a zip")
    with pytest.raises(hc.WorkbookError, match=r"bad\.xlsx: not an \.xlsx workbook \(not a zip file\)"):
        read_workbook(bad)


_prices = pd.DataFrame(
    {"AAA": [1.0, 1.1, 1.05, 1.2], "ETH": [100.0, 104.0, 101.0, 108.0]},
    index=pd.DatetimeIndex(pd.date_range("2024-01-01", periods=4), name="Date"),
)
_finite = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(qty=_finite, price=st.floats(min_value=1e-6, max_value=1e9), collateral=_finite,
       contract=st.sampled_from(["", "binance:ETHUSD_PERP", "okx:ETH-USDT-SWAP"]))
def test_write_read_round_trip(tmp_path, qty, price, collateral, contract):
    holdings = pd.DataFrame({"Asset": ["AAA"], "Quantity": [qty], "Price": [price]})
    path = write_template(tmp_path / "rt.xlsx", holdings, _prices,
                          {"Collateral": collateral, "Contract": contract, "HedgeRatio": 0.5})
    w = read_workbook(path)
    # openpyxl writes 16 significant digits (Excel keeps 15)
    assert w.holdings["Quantity"][0] == pytest.approx(qty, rel=1e-15) and w.holdings["Price"][0] == pytest.approx(price, rel=1e-15)
    assert w.settings["Collateral"] == pytest.approx(collateral, rel=1e-15) and w.settings["Contract"] == contract
    assert w.settings["HedgeRatio"] == 0.5 and w.computed == set()  # the hedge price was cached by the writer
    assert w.settings["HedgePrice"] == 108.0
    pd.testing.assert_frame_equal(w.prices, _prices, check_freq=False)


def test_holdings_price_defaults_to_last_close(tmp_path):
    holdings = pd.DataFrame({"Asset": ["AAA"], "Quantity": [3.0]})
    w = read_workbook(write_template(tmp_path / "d.xlsx", holdings, _prices))
    assert w.holdings["Price"][0] == 1.2


def test_write_rejects_a_holding_without_prices(tmp_path):
    holdings = pd.DataFrame({"Asset": ["ZZZ"], "Quantity": [3.0], "Price": [2.0]})
    with pytest.raises(hc.WorkbookError, match="Prices have no column for ZZZ"):
        write_template(tmp_path / "x.xlsx", holdings, _prices)
    assert not (tmp_path / "x.xlsx").exists()


def _xml_edit(src: Path, dst: Path, sheet_part: str, pattern: str, replacement: str) -> Path:
    with zipfile.ZipFile(src) as z:
        items = {i.filename: z.read(i.filename) for i in z.infolist()}
    xml, n = re.subn(pattern, replacement, items[sheet_part].decode(), count=1)
    assert n == 1
    items[sheet_part] = xml.encode()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items.items():
            z.writestr(name, data)
    return dst


def test_a_typed_input_that_is_an_error_value_is_one_line(tmp_path):
    """An error the user typed or pasted into an input (not a default formula's cache) is reported."""
    path = _xml_edit(EXAMPLE, tmp_path / "err.xlsx", "xl/worksheets/sheet4.xml",
                     r'<c r="B12"([^>]*) t="n"><v>10</v></c>', r'<c r="B12"\1 t="e"><v>#DIV/0!</v></c>')
    with pytest.raises(hc.WorkbookError) as info:
        read_workbook(path)
    assert str(info.value) == "err.xlsx, sheet Hedge, cell B12: Collateral is the error value #DIV/0!; type a value"


def test_a_default_formula_saved_as_an_error_is_recomputed(tmp_path):
    """HedgeRatio = PortfolioBeta saved as #NAME? (before the add-in loaded) means "not computed"."""
    path = _xml_edit(EXAMPLE, tmp_path / "name.xlsx", "xl/worksheets/sheet4.xml",
                     r'<c r="B10"([^>]*)><f>PortfolioBeta</f><v>[^<]*</v></c>',
                     r'<c r="B10"\1 t="e"><f>PortfolioBeta</f><v>#NAME?</v></c>')
    w = read_workbook(path)
    assert w.computed == {"HedgeRatio"}
    assert w.settings["HedgeRatio"] == pytest.approx(read_workbook(EXAMPLE).settings["HedgeRatio"], rel=1e-12)


def test_a_table_reaching_past_its_fixed_names_is_a_warning(tmp_path):
    """An older workbook's fixed range names stop short of the table: the report says which table."""
    def shorten(wb):
        wb.defined_names["HoldingsAsset"].attr_text = "Portfolio!$A$5:$A$8"

    w = read_workbook(_edit(tmp_path, shorten))
    assert w.warnings == ("table Holdings reaches past its names: rows 9-10 are not in HoldingsAsset (rows 5-8), "
                          "so the sheet's formulas leave them out; the report counts them",)


def test_the_report_says_so_in_its_line_and_on_the_summary(tmp_path):
    from hedgecore.report import Job, process_job

    def shorten(wb):
        wb.defined_names["HoldingsAsset"].attr_text = "Portfolio!$A$5:$A$8"

    src = _edit(tmp_path, shorten, name="short.xlsx")
    outcome = process_job(Job(source=str(src), outdir=str(tmp_path / "out")))
    assert outcome.ok and "; warning: table Holdings reaches past its names" in outcome.message
    summary = openpyxl.load_workbook(tmp_path / "out" / "short-report.xlsx")["Summary"]
    texts = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("table Holdings reaches past its names") for t in texts)


def test_a_workbook_older_than_the_risk_results_still_reads(tmp_path):
    """A template written before the margin-risk inputs and results existed: their names are absent, the
    inputs take their defaults and the report computes the new figures anyway."""
    from hedgecore.excel.layout import OPTIONAL_NAMES
    from hedgecore.report import compute_report

    def drop(wb):
        for name in OPTIONAL_NAMES:
            del wb.defined_names[name]

    w = read_workbook(_edit(tmp_path, drop))
    assert w.settings["ContractsHeld"] == 0.0 and w.settings["MarginBalance"] is None
    assert not OPTIONAL_NAMES & set(w.cells)
    r = compute_report(w.holdings, w.prices, w.shocks, dict(w.settings))
    assert r.trade_contracts == r.plan.contracts and r.plan.margin_shortfall > 0
