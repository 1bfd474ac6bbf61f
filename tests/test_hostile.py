"""Hostile and broken workbooks (issue 15): one clear line each, no `unexpected`, no traceback, no
warning, no formula or link in any report, no leaked local file.

Every file is generated here from a small good template (tests/hostile.py); the batch runs through
the real CLI in a subprocess with ``python -W error``, so a stray warning would be an error.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

openpyxl = pytest.importorskip("openpyxl")

import hostile  # noqa: E402

from hedgecore.excel.container import LIMITS, Limits, check_container  # noqa: E402
from hedgecore.errors import WorkbookError  # noqa: E402


def run_cli(*args, cwd=None, timeout=600, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "error", "-m", "hedgecore", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout, **kwargs)


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> bytes:
    return hostile.small_workbook(tmp_path_factory.mktemp("good") / "good.xlsx").read_bytes()


def _flat(good: bytes, column: str) -> bytes:
    """Every close of one column set to 100 (a stale feed)."""
    return hostile.edit_sheet(good, "Prices", lambda xml: re.sub(
        rf'(<c r="{column}(\d+)"[^>]*><v>)[^<]*', lambda m: m.group(1) + "100" if m.group(2) != "1" else m.group(0), xml))


def _cases(good: bytes) -> dict[str, tuple[bytes, list[str]]]:
    """name -> (file, pieces its one line must hold)."""
    ds = hostile.date_style(good)
    rv = hostile.raw_value
    return {
        "serial_1e10": (rv(good, "Prices", "A3", "1e10"), ["sheet Prices, cell A3", "Date serial 1e+10 is out of range"]),
        "serial_negative": (rv(good, "Prices", "A3", "-5000"), ["cell A3", "out of range"]),
        "date_cell_1e10": (rv(good, "Prices", "A3", "1e10", style=ds), ["cell A3", "Excel error", "out of range"]),
        "date_cell_negative": (rv(good, "Prices", "A3", "-5000", style=ds), ["cell A3", "1886-04-22 is out of range"]),
        "time_of_day": (rv(good, "Prices", "A3", "0.5", style=ds), ["cell A3", "time of day"]),
        "text_today": (rv(good, "Prices", "A3", "today", t="str"), ["cell A3", "'today'"]),
        "text_now": (rv(good, "Prices", "A4", "now", t="str"), ["cell A4", "'now'"]),
        "text_garbage_date": (rv(good, "Prices", "A3", "2023-02-30", t="str"), ["cell A3", "not a calendar date"]),
        "raw_nan": (rv(good, "Prices", "B3", "NaN"), ["sheet Prices, cell B3", "'NaN'", "not a finite number"]),
        "raw_inf": (rv(good, "Prices", "C7", "inf"), ["sheet Prices, cell C7", "'inf'"]),
        "raw_1e999": (rv(good, "Prices", "B3", "1e999"), ["cell B3", "must be finite"]),
        "raw_nan_quantity": (rv(good, "Portfolio", "B5", "-NaN"), ["sheet Portfolio, cell B5", "not a finite number"]),
        "excel_error_close": (rv(good, "Prices", "B3", "#DIV/0!", t="e"), ["cell B3", "Excel error", "#DIV/0!"]),
        "duplicate_header": (rv(good, "Prices", "C1", "SOL", t="str"), ["sheet Prices, cell C1", "duplicated",
                                                                        "column B"]),
        "blank_header": (rv(good, "Prices", "C1", "", t="str"), ["sheet Prices, cell C1", "no header"]),
        "overflowing_value": (rv(good, "Portfolio", "B5", "1e308"), ["cell B5", "beyond the range of numbers"]),
        "billion_laughs": (hostile.billion_laughs(good), ["DTD or XML entities"]),
        "lying_zip_bomb": (hostile.lying_zip_bomb(good, 64 << 20), ["corrupt"]),
        "ratio_bomb": (hostile.zip_bomb(good, 64 << 20), ["image1.bin", "times its packed size"]),
        "flat_hedge_coin": (_flat(good, "D"), ["sheet Hedge, cell B5", "closes of ETH", "betas to it are undefined"]),
        "formula_contract": (rv(good, "Hedge", "B6", "=cmd|' /C calc'!A0", t="str"), ["sheet Hedge, cell B6", "Contract"]),
    }


@pytest.fixture(scope="module")
def batch(good, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    cases = _cases(good)
    for name, (data, _) in cases.items():
        (folder / f"{name}.xlsx").write_bytes(data)
    (folder / "inflated_ranges.xlsx").write_bytes(hostile.inflated_ranges(good))
    (folder / "ok.xlsx").write_bytes(good)
    out = tmp_path_factory.mktemp("hostile_out")
    done = run_cli("report", folder, "-o", out, "--jobs", "2")
    return dict(cases=cases, folder=folder, out=out, done=done)


def test_defusedxml_parses_for_openpyxl():
    import openpyxl.xml.functions as fx

    assert openpyxl.DEFUSEDXML is True
    assert fx.iterparse.__module__.startswith("defusedxml")


def test_each_hostile_file_is_one_clear_line(batch):
    done, folder = batch["done"], batch["folder"]
    assert "Traceback" not in done.stderr + done.stdout and "unexpected" not in done.stderr
    assert "Warning" not in done.stderr  # python -W error: a warning would have become an error
    for name, (_, pieces) in batch["cases"].items():
        lines = [line for line in done.stderr.splitlines() if line.startswith(str(folder / f"{name}.xlsx") + ":")]
        assert len(lines) == 1, (name, done.stderr)
        assert all(p in lines[0] for p in pieces), lines[0]
        assert len(lines[0]) - len(str(folder)) < 255
    assert done.stdout.strip().splitlines()[-1] == f"2 reports written, {len(batch['cases'])} failed"


def test_an_inflated_table_range_is_read_by_its_real_content(batch):
    """Tables declared to XFD1048576 read as the few rows they hold; the report equals the good one's."""
    out = batch["out"]
    ok, inflated = (_summary(out / f"{n}-report.xlsx") for n in ("ok", "inflated_ranges"))
    assert inflated == ok and ok["Contracts to short"] > 0


def _summary(path: Path) -> dict:
    ws = openpyxl.load_workbook(path)["Summary"]
    return {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(4, 60)
            if ws.cell(row=r, column=1).value not in (None, "Input file", "Input SHA-256", "Generated (UTC)")}


def test_external_entity_never_leaks(good, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7d1e0c")
    src = tmp_path / "in"
    src.mkdir()
    (src / "xxe.xlsx").write_bytes(hostile.external_entity(good, secret))
    for fmt in ("xlsx", "json", "csv"):
        done = run_cli("report", src, "-o", tmp_path / fmt, "--format", fmt)
        assert done.returncode == 1 and "DTD or XML entities" in done.stderr
        assert "TOP-SECRET" not in done.stdout + done.stderr
        for f in (tmp_path / fmt).iterdir():
            assert b"TOP-SECRET" not in f.read_bytes()
    # Second line of defence: openpyxl itself refuses the entity (defusedxml), should the check be bypassed.
    with pytest.raises(Exception) as caught:
        openpyxl.load_workbook(io.BytesIO(hostile.external_entity(good, secret)))
    assert "Forbidden" in type(caught.value).__name__ or "Forbidden" in repr(caught.value.__context__)


def test_container_limits_are_documented_and_enforced(good):
    assert LIMITS.max_cells >= 7_305 * 501  # 20 years of daily closes for 500 coins
    with pytest.raises(WorkbookError, match="more than 100 cells in its sheets"):
        check_container("x.xlsx", good, Limits(max_cells=100))
    with pytest.raises(WorkbookError, match="parts in the zip"):
        check_container("x.xlsx", good, Limits(max_parts=5))
    with pytest.raises(WorkbookError, match="unpacks to more than"):
        check_container("x.xlsx", good, Limits(max_total_bytes=10_000))
    prefixed = hostile.rezip(good, {hostile.sheet_part(good, "Prices"): lambda x: x.replace("<c ", "<x:c ").replace(
        "</c>", "</x:c>").replace("<worksheet ", '<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ', 1)})
    n = sum(1 for _ in openpyxl.load_workbook(io.BytesIO(prefixed))["Prices"].iter_rows()) * 4
    with pytest.raises(WorkbookError, match="cells in its sheets"):  # a namespace prefix does not hide cells
        check_container("x.xlsx", prefixed, Limits(max_cells=n - 1))


# --------------------------------------------------------------------------- no formula injection, no links

_PREFIXES = ("=", "+", "-", "@")


_INJECTED = {"TKA": '=HYPERLINK("http://x")', "TKB": "+SOL", "TKC": "-AVAX", "TKD": "@DOT"}


def _injection_workbook(path: Path) -> Path:
    """Tickers and assets that look like formulas, stored as text cells (as Excel stores typed text)."""
    hostile.small_workbook(path, assets=(*_INJECTED, "ETH"))
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in _INJECTED:
                    cell.value = _INJECTED[cell.value]
                    cell.data_type = "s"
    wb.save(path)
    return path


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_no_formula_injection_in_any_format(tmp_path, prefix):
    src = tmp_path / "in"
    src.mkdir()
    _injection_workbook(src / f"{prefix}cmd.xlsx")
    for fmt in ("xlsx", "json", "csv"):
        done = run_cli("report", src / f"{prefix}cmd.xlsx", "-o", tmp_path / fmt, "--format", fmt)
        assert done.returncode == 0, done.stderr
        assert "\r" not in done.stdout.replace("\r\n", "\n") and "\t" not in done.stdout
    _assert_no_formulas(tmp_path / "xlsx" / f"{prefix}cmd-report.xlsx")
    for f in (tmp_path / "csv").glob("*.csv"):
        _assert_csv_safe(f)
    report = json.loads((tmp_path / "json" / f"{prefix}cmd-report.json").read_text())
    assert report["summary"]["file"] == f"{prefix}cmd.xlsx"  # json keeps the text as it is


def _assert_no_formulas(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert '=HYPERLINK("http://x")' in texts and "+SOL" in texts  # the names are there, as text


def _assert_csv_safe(path: Path) -> None:
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            for field in row:
                if field[:1] in (*_PREFIXES, "\t", "\r"):
                    float(field)  # only a number may start so (-5.2); text is prefixed with '


def test_hyperlinks_and_external_links_are_dropped(good, tmp_path):
    data = hostile.with_hyperlinks_and_external_link(good)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb._external_links and wb["Portfolio"]["A1"].hyperlink is not None  # the input really has them
    src = tmp_path / "links.xlsx"
    src.write_bytes(data)
    done = run_cli("report", src, "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "out" / "links-report.xlsx") as z:
        assert not [n for n in z.namelist() if "externalLink" in n]
        for name in z.namelist():
            body = z.read(name)
            assert b"evil-host" not in body and b"<hyperlink" not in body and b"Remote" not in body, name


# --------------------------------------------------------------------------- echoed names


def test_control_characters_in_names_are_escaped(good, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("esc\x1b[31mred.xlsx", "new\nline.xlsx", "bell\x07.xlsx"):
        (src / name).write_bytes(b"junk")
    (src / "ok\x1b].xlsx").write_bytes(good)
    done = run_cli("report", src, "-o", tmp_path / "out")
    assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 3 and any("new\\x0aline.xlsx" in line for line in lines)
    assert "esc\\x1b[31mred.xlsx: not an .xlsx workbook" in done.stderr
    assert done.stdout.strip().splitlines()[-1] == "1 report written, 3 failed"
    ws = openpyxl.load_workbook(tmp_path / "out" / "ok\x1b]-report.xlsx")["Summary"]
    assert ws["A1"].value == "Hedge report — ok\\x1b].xlsx"


def test_a_very_long_file_name_gives_a_short_line(good, tmp_path):
    name = "p" * 240 + ".xlsx"
    (tmp_path / name).write_bytes(hostile.raw_value(good, "Prices", "A3", "today", t="str"))
    done = run_cli("report", tmp_path / name, "-o", tmp_path / "out")
    line = done.stderr.strip()
    assert done.returncode == 1 and "cell A3" in line
    assert len(line.split(": ", 1)[1]) < 255  # what follows the path fits an Excel cell
