"""Bad workbooks: each gets ONE clear line naming file, sheet and cell; the batch goes on.

The broken files are made from a good filled template with openpyxl (delete a sheet, a table or a
name; text or a negative number in Quantity; an asset missing from Prices; duplicated or unsorted
dates; an empty Prices table) or as raw bytes (garbage, a truncated xlsx, an "encrypted" file).
Real Office encryption needs msoffcrypto-tool, which is not installed: the encrypted case is a
file that starts with the OLE/CFB magic D0 CF 11 E0 A1 B1 1A E1, which is what an encrypted .xlsx
(and a legacy .xls) looks like to a reader.
"""

from __future__ import annotations

import re
import shutil

import pytest

openpyxl = pytest.importorskip("openpyxl")

from test_report import CASES, build_workbook, run_cli, sha256  # noqa: E402

from hedgecore.report import Job, process_job  # noqa: E402


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "good.xlsx"
    return build_workbook(path, CASES["eth_inverse"])


def _edit(good, tmp_path, name, change):
    path = tmp_path / f"{name}.xlsx"
    wb = openpyxl.load_workbook(good)
    change(wb)
    wb.save(path)
    return path


def _holdings_first_row(wb):
    ref = wb["Portfolio"].tables["Holdings"].ref
    return int(re.match(r"[A-Z]+(\d+)", ref).group(1)) + 1


def _delete_sheet(wb):
    del wb["Portfolio"]


def _remove_table(wb):
    del wb["Portfolio"].tables["Holdings"]


def _remove_name(wb):
    del wb.defined_names["Contracts"]


def _text_quantity(wb):
    wb["Portfolio"].cell(row=_holdings_first_row(wb), column=2).value = "lots"


def _negative_quantity(wb):
    wb["Portfolio"].cell(row=_holdings_first_row(wb), column=2).value = -5


def _missing_asset(wb):
    wb["Portfolio"].cell(row=_holdings_first_row(wb), column=1).value = "PEPE"


def _duplicated_date(wb):
    ws = wb["Prices"]
    ws["A3"].value = ws["A2"].value


def _unsorted_dates(wb):
    ws = wb["Prices"]
    ws["A10"].value, ws["A11"].value = ws["A11"].value, ws["A10"].value


def _empty_prices(wb):
    ws = wb["Prices"]
    for row in ws.iter_rows(min_row=2):
        for c in row:
            c.value = None


def _text_in_hedge_input(wb):
    sheet, ref = next(iter(wb.defined_names["Collateral"].destinations))
    wb[sheet][ref.replace("$", "")].value = "ten"


def _contract_type_mismatch(wb):
    sheet, ref = next(iter(wb.defined_names["ContractType"].destinations))
    wb[sheet][ref.replace("$", "")].value = "linear"


def _hedge_asset_mismatch(wb):
    sheet, ref = next(iter(wb.defined_names["HedgeAsset"].destinations))
    wb[sheet][ref.replace("$", "")].value = "SOL"  # the contract stays binance:ETHUSD_PERP


#: case -> (edit, pieces the one line must contain)
EDITS = {
    "no_portfolio_sheet": (_delete_sheet, ["sheet Portfolio", "missing"]),
    "no_holdings_table": (_remove_table, ["sheet Portfolio", "table Holdings is missing"]),
    "no_contracts_name": (_remove_name, ["defined name Contracts is missing"]),
    "text_quantity": (_text_quantity, ["sheet Portfolio", "cell B", "Quantity", "must be a number", "'lots'"]),
    "negative_quantity": (_negative_quantity, ["sheet Portfolio", "cell B", "negative"]),
    "missing_asset": (_missing_asset, ["sheet Portfolio", "cell A", "PEPE", "Prices"]),
    "duplicated_date": (_duplicated_date, ["sheet Prices", "cell A3", "duplicated"]),
    "unsorted_dates": (_unsorted_dates, ["sheet Prices", "cell A11", "increasing"]),
    "empty_prices": (_empty_prices, ["sheet Prices", "empty"]),
    "text_collateral": (_text_in_hedge_input, ["sheet Hedge", "cell B", "Collateral", "must be a number"]),
    "contract_type_mismatch": (_contract_type_mismatch, ["sheet Hedge", "cell B", "ContractType", "inverse"]),
    "hedge_asset_mismatch": (_hedge_asset_mismatch, ["sheet Hedge", "cell B", "SOL", "ETHUSD_PERP", "ETH"]),
}

RAW = {
    "garbage": (lambda good: b"this is not a workbook\n" * 20, ["not an .xlsx workbook"]),
    "truncated": (lambda good: good.read_bytes()[:6000], ["truncated or corrupt"]),
    "encrypted": (lambda good: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000, ["encrypted", "password"]),
    "empty_file": (lambda good: b"", ["not an .xlsx workbook"]),
}


@pytest.fixture(scope="module")
def bad_batch(good, tmp_path_factory):
    """One batch: every broken file plus two good copies."""
    folder = tmp_path_factory.mktemp("bad")
    for name, (edit, _) in EDITS.items():
        _edit(good, folder, name, edit)
    for name, (make, _) in RAW.items():
        (folder / f"{name}.xlsx").write_bytes(make(good))
    (folder / "notes.txt").write_text("not a workbook")
    shutil.copy(good, folder / "ok1.xlsx")
    shutil.copy(good, folder / "ok2.xlsx")
    before = {p.name: sha256(p) for p in folder.iterdir()}
    out = tmp_path_factory.mktemp("bad_out")
    done = run_cli("report", folder, folder / "notes.txt", "-o", out, "--jobs", "2")
    return dict(folder=folder, out=out, done=done, before=before)


def _lines_for(done, name):
    return [line for line in done.stderr.splitlines() if f"{name}.xlsx" in line or f"{name}.txt" in line]


@pytest.mark.parametrize("case", list(EDITS) + list(RAW))
def test_one_clear_line_per_bad_workbook(bad_batch, case):
    pieces = EDITS[case][1] if case in EDITS else RAW[case][1]
    lines = _lines_for(bad_batch["done"], case)
    assert len(lines) == 1, bad_batch["done"].stderr
    line = lines[0]
    assert line.startswith(str(bad_batch["folder"] / f"{case}.xlsx") + ":")
    for piece in pieces:
        assert piece in line, line
    assert "Traceback" not in line and "unexpected" not in line
    assert line.count(f"{case}.xlsx") == 1  # the file is named once


def test_the_batch_goes_on_and_counts(bad_batch):
    done = bad_batch["done"]
    assert done.returncode == 1
    n_bad = len(EDITS) + len(RAW) + 1  # + notes.txt, named explicitly
    assert done.stdout.strip().splitlines()[-1] == f"2 reports written, {n_bad} failed"
    assert sorted(p.name for p in bad_batch["out"].iterdir()) == ["ok1-report.xlsx", "ok2-report.xlsx"]
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    assert len(done.stderr.strip().splitlines()) == n_bad
    assert "notes.txt: not an .xlsx workbook" in done.stderr


def test_inputs_are_never_modified(bad_batch):
    assert {p.name: sha256(p) for p in bad_batch["folder"].iterdir()} == bad_batch["before"]


def test_no_temp_files_left_behind(bad_batch):
    assert not [p for p in bad_batch["out"].iterdir() if p.name.startswith(".")]


def test_worker_never_raises_on_odd_errors(tmp_path, good, monkeypatch):
    """A genuine bug still gives one short line with the exception type, not a traceback."""
    import hedgecore.report.jobs as jobs

    def boom(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(jobs, "compute_report", boom)
    outcome = process_job(Job(source=str(good), outdir=str(tmp_path)))
    assert not outcome.ok
    assert outcome.message == f"{good}: unexpected ZeroDivisionError: float division by zero (please report this)"


def test_missing_inputs_and_empty_folders_are_failures(tmp_path):
    (tmp_path / "empty").mkdir()
    done = run_cli("report", tmp_path / "nothing.xlsx", tmp_path / "empty", str(tmp_path / "*.xlsx"),
                   "-o", tmp_path / "out")
    assert done.returncode == 1
    assert done.stdout.strip().splitlines()[-1] == "0 reports written, 3 failed"
    assert "nothing.xlsx: no such file or folder" in done.stderr
    assert "empty: folder holds no .xlsx workbooks" in done.stderr
    assert "*.xlsx: no .xlsx workbooks match" in done.stderr


def test_missing_openpyxl_is_one_line_with_the_fix(tmp_path, good, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "openpyxl", None)  # as if not installed
    outcome = process_job(Job(source=str(good), outdir=str(tmp_path)))
    assert outcome.message == f"{good}: reading workbooks needs openpyxl: pip install 'hedgecore[batch]'"
