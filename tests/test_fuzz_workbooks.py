"""Fuzz: random workbooks never give an `unexpected …` line (issue 15).

Hypothesis builds each workbook from a small good template: random values of random kinds
(numbers including NaN, ±inf, huge and negative ones; text including formula-looking text, ISO
and non-ISO dates, ``today``; booleans; dates and times; blanks) in the input cells (Holdings,
Prices, Hedge inputs, Shocks), raw XML values openpyxl cannot write (``NaN``, ``inf``, error
values, ISO dates with zones), random table shapes (shrunk, grown, inflated to the whole sheet),
a renamed sheet, and a random file name (control characters and formula prefixes included).
Each is run through :func:`process_job` with warnings turned into errors; the outcome must be a
report or one line without ``unexpected``. 200 examples, about 20 s.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
from pathlib import Path

import pytest

openpyxl = pytest.importorskip("openpyxl")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import hostile  # noqa: E402

from hedgecore._text import escape_controls  # noqa: E402
from hedgecore.report import Job, process_job  # noqa: E402

_ROWS = 12
_GOOD: dict[str, bytes] = {}


def _good(tmp_dir: Path) -> bytes:
    if "bytes" not in _GOOD:
        _GOOD["bytes"] = hostile.small_workbook(tmp_dir / "base.xlsx", rows=_ROWS).read_bytes()
    return _GOOD["bytes"]


#: Input cells of the small template, by sheet (Holdings rows, Prices header and rows, Hedge inputs, Shocks).
CELLS = {
    "Portfolio": [f"{c}{r}" for c in "ABC" for r in range(4, 8)],
    "Prices": [f"{c}{r}" for c in "ABCD" for r in range(1, _ROWS + 3)],
    "Hedge": [f"B{r}" for r in range(5, 17)],
    "StressTest": [f"A{r}" for r in range(5, 18)],
}

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
_formulaish = st.builds(lambda p, t: p + t, st.sampled_from(["=", "+", "-", "@"]), _text)
_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -1.0, 1e308, -1e308, 5e-324, 1e10, 2958466.0, 60.0, 0.5]),
    st.integers(min_value=-(10**20), max_value=10**20),
)
_dates = st.one_of(
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.dates(), st.times(),
)
_values = st.one_of(
    _numbers, _text, _formulaish, st.booleans(), _dates, st.none(),
    st.sampled_from(["today", "now", "2023-01-05", "2023-01-05T10:00+05:00", "05/01/2023", "ETH", "SOL", "inverse",
                     "binance:ETHUSD_PERP", "nearest", "#N/A", "1e5", " "]),
)
_raw = st.sampled_from([
    ("n", "NaN"), ("n", "inf"), ("n", "-Infinity"), ("n", "1e999"), ("n", "0x10"), ("n", ""),
    ("e", "#DIV/0!"), ("e", "#NAME?"), ("d", "2023-01-03T00:00:00+02:00"), ("d", "not a date"), ("b", "2"),
    ("s", "999999"), ("str", "=1+1"),
])
_cell = st.tuples(st.sampled_from(sorted(CELLS)), st.data())


def _typed_edits(wb, edits) -> None:
    for sheet, ref, value in edits:
        if sheet in wb.sheetnames:
            try:
                wb[sheet][ref] = value
            except (ValueError, TypeError):  # openpyxl refuses some values (control characters, tz datetimes)
                pass


def _table_edit(data: bytes, table: str, ref: str) -> bytes:
    try:
        part = hostile.table_part(data, table)
    except KeyError:
        return data
    return hostile.rezip(data, {part: lambda xml: re.sub(r' ref="[^"]*"', f' ref="{ref}"', xml)})


def _raw_edit(data: bytes, sheet: str, ref: str, kind: str, text: str) -> bytes:
    part = hostile.sheet_part(data, sheet)
    xml = hostile.parts(data)[part].decode()
    if not re.search(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', xml):
        return data
    t = "" if kind == "n" else f' t="{kind}"'
    return hostile.rezip(data, {part: lambda x: hostile.set_cell_xml(x, ref, f'<c r="{ref}"{t}><v>{text}</v></c>')})


@st.composite
def workbooks(draw):
    """(file name, bytes, format) of a random variation of the good template."""
    typed = []
    for _ in range(draw(st.integers(0, 6))):
        sheet = draw(st.sampled_from(sorted(CELLS)))
        typed.append((sheet, draw(st.sampled_from(CELLS[sheet])), draw(_values)))
    raws = []
    for _ in range(draw(st.integers(0, 2))):
        sheet = draw(st.sampled_from(sorted(CELLS)))
        raws.append((sheet, draw(st.sampled_from(CELLS[sheet])), *draw(_raw)))
    tables = draw(st.lists(st.tuples(st.sampled_from(["Prices", "Holdings", "Shocks"]),
                                     st.sampled_from(["A1:B3", "A1:D5", "A4:C5", "A5:A20", "A1:XFD1048576",
                                                      "B2:A1", "A1", "ZZ", "A4:C1048576"])), max_size=2))
    rename = draw(st.one_of(st.none(), st.tuples(st.sampled_from(sorted(CELLS)),
                                                 st.text(alphabet="abcXYZ 0123_-", min_size=1, max_size=10))))
    name = draw(st.text(alphabet=st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
                        min_size=1, max_size=30))
    fmt = draw(st.sampled_from(["json", "csv", "xlsx"]))
    return typed, raws, tables, rename, name, fmt


def _build(base: bytes, typed, raws, tables, rename) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(base))
    _typed_edits(wb, typed)
    if rename and rename[0] in wb.sheetnames and rename[1].strip() and rename[1] not in wb.sheetnames:
        wb[rename[0]].title = rename[1]
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    for sheet, ref, kind, text in raws:
        if not rename or sheet != rename[0]:
            data = _raw_edit(data, sheet, ref, kind, text)
    for table, ref in tables:
        data = _table_edit(data, table, ref)
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(case=workbooks())
def test_no_unexpected_line_for_any_generated_workbook(tmp_path, case):
    typed, raws, tables, rename, name, fmt = case
    folder = tmp_path / "fuzz"
    folder.mkdir(exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl's warnings while *building* the file are not under test
        data = _build(_good(tmp_path), typed, raws, tables, rename)
    safe = name if name not in (".", "..") else "dot"
    path = folder / f"{safe}.xlsx"
    try:
        path.write_bytes(data)
    except OSError:  # a name the file system refuses (too long in bytes)
        path = folder / "fallback.xlsx"
        path.write_bytes(data)
    out = tmp_path / f"out-{fmt}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outcome = process_job(Job(source=str(path), outdir=str(out), fmt=fmt, overwrite=True))
    assert "\n" not in outcome.message and "\x1b" not in outcome.message
    event("report written" if outcome.ok else re.sub(r"[\d,.]+|'.*'", "#", outcome.message.split(": ")[-1])[:50])
    if outcome.ok:
        assert all(Path(p).is_file() for p in outcome.outputs)
        return
    shown = escape_controls(str(path))
    detail = outcome.message[len(shown) + 2:] if outcome.message.startswith(shown) else outcome.message
    assert not detail.startswith("unexpected"), (outcome.message, typed, raws, tables, rename)
    assert len(detail) < 255, detail
