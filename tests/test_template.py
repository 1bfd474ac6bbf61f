"""The committed template files: reproducible, well-formed, and wired by name."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

openpyxl = pytest.importorskip("openpyxl")
from openpyxl.utils.cell import range_boundaries  # noqa: E402

import hedgecore as hc  # noqa: E402
from hedgecore.excel import write_example, write_template  # noqa: E402
from hedgecore.excel.layout import (  # noqa: E402
    DEFAULT_SHOCKS,
    STRESS_CHART_COLUMN,
    INPUT_NAMES,
    OUTPUT_NAMES,
    RANGE_NAMES,
    TEMPLATE_TIMESTAMP,
)

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "hedge_template.xlsx"
EXAMPLE = ROOT / "templates" / "example_portfolio.xlsx"
PACKAGED = ROOT / "hedgecore" / "examples" / "example_portfolio.xlsx"
SHEETS = ["Guide", "Portfolio", "Prices", "Hedge", "StressTest", "Backtest", "Funding", "Lists"]
ADDIN_FUNCTIONS = {"BETA", "BETA_STATS", "HEDGE_PLAN", "FUNDING_COST", "SCENARIO_PNL", "TWO_LEG_HEDGE", "RESIDUAL_BAND",
                   "HEDGE_TRADE", "HEDGE_BACKTEST", "BACKTEST_DAILY", "BACKTEST_SUMMARY"}
EXCEL_FUNCTIONS = {"IF", "OR", "AND", "SUM", "SUMPRODUCT", "INDEX", "MATCH", "ABS", "MAX", "MIN", "IFERROR", "REPT",
                   "ROUNDUP", "ISNUMBER", "NA", "LEFT", "INT", "COUNT", "SUMIFS", "AVERAGEIFS"}


def _snapshot(path: Path) -> dict:
    """Everything that matters in a workbook: cells (values, formulas, formats), names, tables, validations."""
    wb = openpyxl.load_workbook(path)
    snap: dict = {"sheets": wb.sheetnames, "names": {}, "props": (wb.properties.created, wb.properties.modified)}
    for name, dn in wb.defined_names.items():
        snap["names"][name] = dn.attr_text
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if hasattr(v, "text"):
                    v = ("array", v.ref, v.text)
                if v is not None:
                    cells[c.coordinate] = (v, c.number_format)
        snap[ws.title] = {
            "cells": cells,
            "tables": {t.displayName: (t.ref, [col.name for col in t.tableColumns]) for t in ws.tables.values()},
            "validations": sorted(
                (dv.type or "", dv.formula1 or "", dv.formula2 or "", str(dv.sqref)) for dv in ws.data_validations.dataValidation
            ),
            "state": ws.sheet_state,
            "freeze": ws.freeze_panes,
            "charts": len(ws._charts),
        }
    return snap


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    d = tmp_path_factory.mktemp("regen")
    return write_template(d / "hedge_template.xlsx"), write_example(d / "example_portfolio.xlsx")


def test_committed_files_match_regeneration(regenerated):
    empty, example = regenerated
    assert _snapshot(empty) == _snapshot(TEMPLATE), "run: hedgecore template -o templates/hedge_template.xlsx --overwrite"
    assert _snapshot(example) == _snapshot(EXAMPLE), "regenerate with hedgecore.excel.write_example"


def test_packaged_example_is_identical_to_template_copy():
    assert PACKAGED.read_bytes() == EXAMPLE.read_bytes()


def test_regeneration_is_byte_identical(tmp_path, regenerated):
    again = write_example(tmp_path / "again.xlsx")
    assert again.read_bytes() == regenerated[1].read_bytes()
    with zipfile.ZipFile(again) as z:
        assert {i.date_time for i in z.infolist()} == {(2024, 4, 10, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert "2024-04-10T00:00:00Z" in core and core.count("2024-04-10T00:00:00Z") == 2


def test_cli_writes_the_same_example(tmp_path, regenerated):
    from click.testing import CliRunner

    from hedgecore.cli import main

    out = tmp_path / "cli.xlsx"
    args = [
        "template", "-o", str(out),
        "--holdings", str(ROOT / "templates" / "example_holdings.csv"),
        "--prices", str(ROOT / "data" / "market" / "prices_daily"),
        "--assets", "SOL,AVAX,DOT,LINK,ADA,XRP,ETH,BTC",
        "--set", "HedgeAsset=ETH", "--set", "Contract=binance:ETHUSD_PERP",
        "--set", "Collateral=10", "--set", "Leverage=3", "--set", "SecondAsset=BTC",
        "--set", "BacktestCooldownDays=3", "--set", "BacktestReopenDays=7",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == regenerated[1].read_bytes()
    bad = CliRunner().invoke(main, ["template", "-o", str(tmp_path / "x.xlsx"), "--set", "Colateral=1"])
    assert bad.exit_code == 2 and "unknown Hedge input 'Colateral'" in bad.output


@pytest.mark.parametrize("path", [TEMPLATE, EXAMPLE], ids=["empty", "example"])
def test_structure_is_well_formed(path):
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS
    assert wb["Lists"].sheet_state == "hidden"
    assert wb.properties.created == TEMPLATE_TIMESTAMP == wb.properties.modified
    # Tables: header cells equal the table's column names, unique and non-empty; names unique workbook-wide.
    table_names = []
    for ws in wb.worksheets:
        for t in ws.tables.values():
            table_names.append(t.displayName)
            c1, r1, c2, r2 = range_boundaries(t.ref)
            headers = [ws.cell(row=r1, column=c).value for c in range(c1, c2 + 1)]
            assert headers == [col.name for col in t.tableColumns]
            assert all(isinstance(h, str) and h for h in headers) and len(set(headers)) == len(headers)
            assert r2 > r1, f"table {t.displayName} needs a data row"
    assert sorted(table_names) == ["Funding", "Holdings", "Prices", "Shocks"]
    assert [c.name for c in wb["Portfolio"].tables["Holdings"].tableColumns] == [
        "Asset", "Quantity", "Price", "Value", "Beta", "Beta exposure", "Weight", "2-leg beta 1", "2-leg beta 2",
        "Downside beta"]
    names = set(wb.defined_names)
    assert set(INPUT_NAMES) | set(OUTPUT_NAMES) | set(RANGE_NAMES) <= names
    assert not names & {n.lower() for n in table_names} and not names & set(table_names)
    for name in names:
        if "!" not in wb.defined_names[name].attr_text:
            continue  # a formula of other names, e.g. FundingWindowStart = FundingWindowEnd-FundingDays
        for sheet, ref in wb.defined_names[name].destinations:
            assert sheet in wb.sheetnames, name
            range_boundaries(ref.replace("$", ""))  # parses
    for name in INPUT_NAMES + OUTPUT_NAMES:
        (sheet, ref), = wb.defined_names[name].destinations
        assert sheet == "Hedge" and ":" not in ref
        assert wb["Hedge"][ref.replace("$", "")].offset(column=1).value == name  # name shown beside the cell
    # Table names are dynamic ranges anchored at the header row, reaching far below the table.
    assert wb.defined_names["HoldingsValue"].attr_text == (
        "INDEX(Portfolio!$D$4:$D$2004,2,1):INDEX(Portfolio!$D$4:$D$2004,HoldingsEnd,1)")
    assert wb.defined_names["HoldingsEnd"].attr_text == 'MAX(2,IFERROR(MATCH(REPT("z",255),Portfolio!$A$4:$A$2004),1))'
    assert wb.defined_names["PricesData"].attr_text.startswith("INDEX(Prices!$B$1:$AY$20001,2,1):")
    c1, r1, c2, r2 = range_boundaries(wb["Portfolio"].tables["Holdings"].ref)
    assert r2 < 2004
    # Excel fills a calculated column into rows added to the table
    value = wb["Portfolio"].tables["Holdings"].tableColumns[3]
    assert value.calculatedColumnFormula.attr_text == (
        'IF(Holdings[[#This Row],[Asset]]="","",Holdings[[#This Row],[Quantity]]*Holdings[[#This Row],[Price]])')


@pytest.mark.parametrize("path", [TEMPLATE, EXAMPLE], ids=["empty", "example"])
def test_formulas_use_names_not_structured_references(path):
    wb = openpyxl.load_workbook(path)
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                text = getattr(c.value, "text", c.value)
                if isinstance(text, str) and text.startswith("="):
                    assert "[" not in text, f"{ws.title}!{c.coordinate}: structured reference in {text}"
                    assert not hasattr(c.value, "ref"), f"{ws.title}!{c.coordinate}: an array formula"
                    seen |= set(re.findall(r"([A-Z_][A-Z0-9_.]*)\(", text))
    assert seen <= ADDIN_FUNCTIONS | EXCEL_FUNCTIONS, seen - ADDIN_FUNCTIONS - EXCEL_FUNCTIONS
    assert ADDIN_FUNCTIONS <= seen
    hedge = wb["Hedge"]
    contracts_ref = wb.defined_names["Contracts"].attr_text.split("!")[1].replace("$", "")
    assert hedge[contracts_ref].value == (
        '=IF(PortfolioValue=0,"",HEDGE_PLAN(PortfolioValue,HedgePrice,IF(Contract="",ContractSize,Contract),'
        'HedgeRatio,ContractType,Rounding,Collateral,Leverage,IF(MaintenanceMargin="","",MaintenanceMargin),'
        'FundingRateUsed,"contracts"))')  # a blank rate reaches the add-in as "" (the contract's tiers), never as 0
    ratio_ref = wb.defined_names["HedgeRatio"].attr_text.split("!")[1].replace("$", "")
    assert hedge[ratio_ref].value == "=PortfolioBeta"


@pytest.mark.parametrize("path", [TEMPLATE, EXAMPLE], ids=["empty", "example"])
def test_the_stress_test_is_table_shocks_with_a_column_per_result(path):
    wb = openpyxl.load_workbook(path)
    ws = wb["StressTest"]
    table = ws.tables["Shocks"]
    columns = [*hc.SCENARIO_COLUMNS, "Alt move", *hc.SCENARIO_RISK_COLUMNS, STRESS_CHART_COLUMN]
    assert table.ref == f"A5:P{5 + len(DEFAULT_SHOCKS)}"
    assert [c.name for c in table.tableColumns] == columns  # plain text headers
    assert [ws.cell(row=5, column=j).value for j in range(1, 17)] == columns
    risk = ('Leverage,IF(MaintenanceMargin="","",MaintenanceMargin),IF(Contract="","",Contract),"",ResidualLow,'
            'ResidualHigh,PortfolioDownsideBeta')
    assert ws["C6"].value == (
        '=IF(OR(PortfolioValue=0,$A6=""),"",SCENARIO_PNL(PortfolioValue,PortfolioBeta,HedgedNotional,HedgePrice,'
        f'ShockValues,ContractType,Collateral,FundingRateUsed,HorizonDays,FALSE,$A6,"Spot P&L",{risk}))')
    assert ws["K6"].value.startswith('=IF(OR(PortfolioValue=0,$A6=""),"",1*SCENARIO_PNL(')  # Liquidated as 1 / 0
    assert ws["K6"].number_format == '"yes";"yes";"no"'
    assert ws["O6"].value.startswith('=IF(OR(PortfolioValue=0,$A6=""),"",IF($A6>=0,"",SCENARIO_PNL(')  # falls only
    assert ws.column_dimensions["P"].hidden  # the chart's liquidation marks, not printed
    assert table.tableColumns[3].calculatedColumnFormula.attr_text.startswith(
        'IF(OR(PortfolioValue=0,Shocks[[#This Row],[Shock]]=""),"",SCENARIO_PNL(')
    assert len(ws._charts) == 1
    chart = ws._charts[0]  # values, the liquidated shocks and the liquidation line (from hidden columns)
    assert [str(x.tx.strRef.f if x.tx.strRef else x.tx.v) for x in chart.series][2:] == ["Liquidated",
                                                                                         "Liquidation price"]
    assert chart.visible_cells_only is False
    assert ws["R4"].value == "Liquidation line (chart)" and ws.column_dimensions["R"].hidden
    with zipfile.ZipFile(path) as z:
        assert not [n for n in z.namelist() if 't="array"' in z.read(n).decode("utf-8", "ignore")]


@pytest.mark.parametrize("path", [TEMPLATE, EXAMPLE], ids=["empty", "example"])
def test_inputs_are_validated_and_styled(path):
    wb = openpyxl.load_workbook(path)
    hedge = wb["Hedge"]
    where = {n: wb.defined_names[n].attr_text.split("!")[1].replace("$", "") for n in INPUT_NAMES + OUTPUT_NAMES}
    dvs = {str(dv.sqref): dv for dv in hedge.data_validations.dataValidation}
    assert dvs[where["ContractType"]].formula1 == '"inverse,linear"'
    assert dvs[where["Rounding"]].formula1 == '"none,down,nearest,up"'
    assert dvs[where["Contract"]].formula1 == "=ContractList"
    assert dvs[where["Contract"]].allow_blank
    assert dvs[where["HedgeAsset"]].formula1 == "=PricesHeader"
    for name in ("ContractSize", "Collateral", "Leverage", "MaintenanceMargin", "FundingRate", "HorizonDays"):
        dv = dvs[where[name]]
        assert dv.type == "decimal" and dv.showInputMessage and dv.prompt, name
    lists = wb["Lists"]
    (_, ref), = wb.defined_names["ContractList"].destinations
    c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
    listed = [lists.cell(row=r, column=c1).value for r in range(r1, r2 + 1)]
    assert listed == [s.name for s in hc.catalog()]
    assert len(",".join(listed)) > 255  # why the list lives on a sheet
    for name in INPUT_NAMES:
        assert hedge[where[name]].fill.fgColor.rgb.endswith("FFF2CC"), name
    for name in OUTPUT_NAMES:
        assert hedge[where[name]].fill.fgColor.rgb.endswith("EDEDED"), name
    assert hedge[where["PortfolioValue"]].number_format.startswith('"$"')
    assert hedge[where["Contracts"]].number_format == '#,##0" ct"'
    assert hedge[where["FundingRate"]].number_format.endswith("%")
    for ws in (wb["Portfolio"], wb["Prices"], wb["Hedge"], wb["StressTest"]):
        assert ws.freeze_panes is not None
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert wb["StressTest"].page_setup.orientation == "landscape"


def test_example_content():
    wb = openpyxl.load_workbook(EXAMPLE)
    port = wb["Portfolio"]
    assets = [port.cell(row=r, column=1).value for r in range(5, 11)]
    assert assets == ["SOL", "AVAX", "DOT", "LINK", "ADA", "XRP"]
    prices = wb["Prices"]
    assert [c.value for c in prices[1]] == ["Date", "SOL", "AVAX", "DOT", "LINK", "ADA", "XRP", "ETH", "BTC"]
    assert prices["A2"].value.date().isoformat() == "2021-01-03"
    assert prices.max_row == 1194 and prices["A1194"].value.date().isoformat() == "2024-04-09"
    assert prices["H1194"].value == pytest.approx(3505.16333)  # ETH close 2024-04-09 (data/market/prices_daily)
    assert port["C5"].value == pytest.approx(172.41362)  # SOL last close, the default price
    hedge = wb["Hedge"]
    values = {hedge.cell(row=r, column=3).value: hedge.cell(row=r, column=2).value for r in range(5, 30)}
    assert values["Contract"] == "binance:ETHUSD_PERP" and values["ContractType"] == "inverse"
    assert values["Collateral"] == 10 and values["HedgeRatio"] == "=PortfolioBeta"
    assert values["HedgePrice"] == '=IFERROR(INDEX(HedgeCloses,MATCH(1E+300,HedgeCloses)),"")'  # last non-blank close
    assert values["SecondAsset"] == "BTC"
    assert values["MaintenanceMargin"] is None  # blank: the contract's tiers (ETHUSD_PERP: the one-tier default)
    assert values["ContractsHeld"] == 0 and values["MarginBalance"] is None  # no position yet
    assert [port.cell(row=r, column=1).value for r in range(11, 31)] == [None] * 20  # rows to type into
    assert port.tables["Holdings"].ref == "A4:J30"
    shocks = [wb["StressTest"].cell(row=r, column=1).value for r in range(6, 17)]
    assert shocks == pytest.approx([-0.5, -0.4, -0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5])


def test_empty_template_is_ready_to_fill():
    wb = openpyxl.load_workbook(TEMPLATE)
    port = wb["Portfolio"]
    c1, r1, c2, r2 = range_boundaries(port.tables["Holdings"].ref)
    assert r2 - r1 == 30
    assert all(port.cell(row=r, column=1).value is None for r in range(r1 + 1, r2 + 1))
    assert [c.value for c in wb["Prices"][1]] == ["Date", "ETH"]


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")
    write_template(target)
    assert target.read_bytes()[:2] == b"PK"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_import_hedgecore_does_not_load_openpyxl():
    code = "import sys, hedgecore, hedgecore.excel; print('openpyxl' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("Asset,Quantity\nSOL,abc\n", "holdings.csv line 2: Quantity of SOL must be a number, got 'abc'"),
        ("Asset,Quantity,Price\nSOL,10,\nAVAX,,3\n", "holdings.csv line 3: Quantity of AVAX must be a number, got a blank"),
        ("Asset,Quantity,Price\nSOL,10,x1\n", "holdings.csv line 2: Price of SOL must be a number, got 'x1'"),
        ("Asset,Quantity\nFOO,1\n", "no Price for FOO"),
    ],
)
def test_bad_holdings_csv_is_one_line_naming_the_line(tmp_path, csv_text, message):
    holdings = tmp_path / "holdings.csv"
    holdings.write_text(csv_text)
    target = tmp_path / "out.xlsx"
    proc = subprocess.run(
        [sys.executable, "-m", "hedgecore", "template", "-o", str(target), "--holdings", str(holdings),
         "--prices", str(ROOT / "data" / "market" / "prices_daily"), "--assets", "SOL,AVAX,ETH"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert not target.exists()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"Rounding": "weird"}, "Hedge input Rounding must be one of none, down, nearest, up, got 'weird'"),
        ({"ContractType": "quanto", "Contract": ""}, "Hedge input ContractType must be one of inverse, linear"),
        ({"Leverage": "-3"}, "Hedge input Leverage must be positive, got -3.0"),
        ({"MaintenanceMargin": "150%"}, "Hedge input MaintenanceMargin must be at least 0 and below 1"),
        ({"Contract": "NOPE"}, "Hedge input Contract: unknown contract 'NOPE'"),
        ({"Contract": "BTCUSDT", "ContractType": "inverse"}, "must match contract binance:BTCUSDT (linear)"),
        ({"Contract": "BTCUSD_PERP", "HedgeAsset": "ETH"}, "must be the coin of contract binance:BTCUSD_PERP (BTC)"),
        ({"HedgeAsset": "DOGE", "Contract": ""}, "Hedge input HedgeAsset must be a column of table Prices (SOL, ETH, BTC)"),
    ],
)
def test_bad_settings_are_rejected_before_writing(tmp_path, settings, message):
    prices = hc.load_prices(ROOT / "data" / "market" / "prices_daily", assets=["SOL", "ETH", "BTC"])
    target = tmp_path / "bad.xlsx"
    with pytest.raises(hc.WorkbookError) as err:
        write_template(target, prices=prices, settings=settings)
    assert message in str(err.value)
    assert not target.exists()


def test_a_catalog_contract_sets_type_size_and_hedge_coin(tmp_path):
    from hedgecore.excel import read_workbook

    prices = hc.load_prices(ROOT / "data" / "market" / "prices_daily", assets=["SOL", "ETH", "BTC"])
    holdings = tmp_path / "h.csv"
    holdings.write_text("Asset,Quantity\nSOL,100\n")
    path = write_template(tmp_path / "btc.xlsx", holdings=holdings, prices=prices, settings={"Contract": "btcusdt"})
    s = read_workbook(path).settings
    assert (s["Contract"], s["ContractType"], s["ContractSize"], s["HedgeAsset"]) == (
        "binance:BTCUSDT", "linear", 1.0, "BTC")  # Binance USD-M: one-coin contracts, 0.001 steps
