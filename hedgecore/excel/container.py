"""Checks on an .xlsx container before any XML parser sees it (untrusted workbooks).

An .xlsx is a zip of XML parts. :func:`check_container` refuses, with one line naming the file
(and the part), what would make reading it unsafe or unbounded:

* not a zip, an encrypted/legacy (OLE) file, a truncated zip, no ``xl/workbook.xml``;
* too many parts, a part or the whole that unpacks beyond :data:`LIMITS`, or a part that
  unpacks more than ``max_ratio`` times its packed size (a zip bomb) — checked on the sizes the
  zip declares, then again while unpacking, so a lying header does not help;
* a DTD or entity declaration in any XML part (entity expansion, external entities): the
  Office formats never use them;
* more worksheet cells than ``max_cells`` (counted in the XML, before openpyxl builds a cell
  object for each).

openpyxl then parses with ``defusedxml`` (a declared dependency), a second line of defence.
"""

from __future__ import annotations

import io
import math
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import WorkbookError

__all__ = ["Limits", "LIMITS", "check_container", "find_bad_table", "find_bad_value"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MIB = 1 << 20
_CHUNK = 1 << 20
#: A DTD or an entity declaration, anywhere in a part.
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
#: A cell element ``<c ...>`` or ``<prefix:c ...>``; counts every cell, over-counts only in text.
_CELL = re.compile(rb"<(?:[^\s<>/!?:=\"']+:)?c[\s/>]")
#: Bytes kept between chunks so a pattern split across two chunks is still found.
_OVERLAP = 64


@dataclass(frozen=True)
class Limits:
    """Documented caps on one input workbook (docs/batch-reports.md, "Untrusted workbooks").

    The cell cap admits 20 years of daily closes for 500 coins (7,305 rows x 501 columns =
    3.66 million cells) with room for the other sheets; that workbook unpacks to 200 MB
    (openpyxl's own XML), so the size caps leave about 1.6x headroom. A real sheet packs 3-10x;
    a zip bomb packs 1,000x.
    """

    max_parts: int = 10_000
    max_part_bytes: int = 320 * _MIB
    max_total_bytes: int = 400 * _MIB
    max_ratio: float = 100.0
    ratio_from_bytes: int = 1 * _MIB  # small parts may pack better than max_ratio
    max_cells: int = 4_000_000


LIMITS = Limits()


def _mib(n: int) -> str:
    return f"{n / _MIB:,.0f} MiB"


def _open_zip(name: str, data: bytes) -> zipfile.ZipFile:
    if data.startswith(_OLE_MAGIC):
        raise WorkbookError(f"{name}: encrypted (password-protected) workbook or legacy .xls file; "
                            "save it as .xlsx without a password")
    if not data.startswith(b"PK"):
        raise WorkbookError(f"{name}: not an .xlsx workbook (not a zip file)")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError):
        raise WorkbookError(f"{name}: not a readable .xlsx workbook (truncated or corrupt)") from None
    return z


def _check_sizes(name: str, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """The sizes the zip declares, before unpacking anything."""
    if len(infos) > limits.max_parts:
        raise WorkbookError(f"{name}: {len(infos):,} parts in the zip, more than the {limits.max_parts:,} allowed")
    total = 0
    for info in infos:
        _check_part(name, info.filename, info.file_size, info.compress_size, limits)
        total += info.file_size
        if total > limits.max_total_bytes:
            raise WorkbookError(f"{name}: unpacks to more than {_mib(limits.max_total_bytes)}, the limit "
                                "(a zip bomb, or a workbook too large for hedgecore)")


def _check_part(name: str, part: str, size: int, packed: int, limits: Limits) -> None:
    if size > limits.max_part_bytes:
        raise WorkbookError(f"{name}: part {part[:80]} unpacks to more than {_mib(limits.max_part_bytes)}, "
                            "the limit (a zip bomb, or a workbook too large for hedgecore)")
    if size > limits.ratio_from_bytes and size > limits.max_ratio * max(packed, 1):
        raise WorkbookError(f"{name}: part {part[:80]} unpacks {size / max(packed, 1):,.0f} times its packed size, "
                            f"more than the {limits.max_ratio:g} allowed (a zip bomb?)")


def _scan_part(name: str, z: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> int:
    """Unpack one part in chunks: refuse a DTD or a size beyond the declared one; count cells."""
    is_sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
    cells, seen, tail = 0, 0, b""
    with z.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            seen += len(chunk)
            _check_part(name, info.filename, seen, info.compress_size, limits)
            window = tail + chunk
            if _DTD.search(window):
                raise WorkbookError(f"{name}: part {info.filename[:80]} declares a DTD or XML entities, which "
                                    "workbooks never need (entity expansion or external entity attack?)")
            if is_sheet:  # count only matches that end in this chunk (the tail was counted before)
                cells += sum(1 for m in _CELL.finditer(window) if m.end() > len(tail))
            tail = window[-_OVERLAP:]
    return cells


def check_container(path: str | Path, data: bytes, limits: Limits = LIMITS) -> None:
    """Refuse a file that is not a safe, bounded .xlsx, with one line naming it.

    Parameters
    ----------
    path : str or path
        Used for the message only (its file name).
    data : bytes
        The whole file.
    limits : Limits
        The caps (default :data:`LIMITS`).

    Raises
    ------
    WorkbookError
        See the module docstring for what is refused.
    """
    name = Path(path).name
    with _open_zip(name, data) as z:
        infos = z.infolist()
        if "xl/workbook.xml" not in {i.filename for i in infos}:
            raise WorkbookError(f"{name}: not an .xlsx workbook (no xl/workbook.xml inside)")
        _check_sizes(name, infos, limits)
        cells = 0
        for info in infos:
            try:
                cells += _scan_part(name, z, info, limits)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
                raise WorkbookError(f"{name}: not a readable .xlsx workbook (part {info.filename[:80]} "
                                    "is corrupt)") from None
            if cells > limits.max_cells:
                raise WorkbookError(f"{name}: more than {limits.max_cells:,} cells in its sheets, the limit "
                                    "(20 years of daily closes for 500 coins fit)")


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _sheet_parts(z: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip part) of each worksheet, from xl/workbook.xml and its relationships."""
    from xml.etree.ElementTree import fromstring  # safe here: check_container refused any DTD

    rels = fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_REL}Relationship")}
    out = []
    for sheet in fromstring(z.read("xl/workbook.xml")).iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_R_ID), "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        out.append((sheet.get("name", "?"), part))
    return out


def _is_finite_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _is_iso_date(text: str) -> bool:
    from openpyxl.utils.datetime import from_ISO8601

    try:
        from_ISO8601(text)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def _value_problem(kind: str, text: str, strings: int) -> str | None:
    """Why openpyxl cannot load a cell's ``<v>`` text of type ``kind``, or None."""
    if kind == "n" and not _is_finite_number(text):
        return f"the number {text[:40]!r} in the file is not a finite number (NaN or infinity written by another program?)"
    if kind == "b" and text not in ("0", "1"):
        return f"the value {text[:40]!r} in the file is not TRUE or FALSE"
    if kind == "s" and not (text.isdigit() and int(text) < strings):
        return f"the text {text[:40]!r} in the file refers to no shared string (a damaged file?)"
    if kind == "d" and not _is_iso_date(text):
        return f"the date {text[:40]!r} in the file is not an ISO date"
    return None


def _shared_strings(z: zipfile.ZipFile) -> int:
    from xml.etree.ElementTree import iterparse

    if "xl/sharedStrings.xml" not in z.namelist():
        return 0
    with z.open("xl/sharedStrings.xml") as fh:
        return sum(1 for _, e in iterparse(fh) if e.tag == f"{_MAIN}si")


def _bad_value_in(z: zipfile.ZipFile, part: str, strings: int) -> tuple[str, str] | None:
    from xml.etree.ElementTree import iterparse

    with z.open(part) as fh:
        for _, elem in iterparse(fh):
            if elem.tag == f"{_MAIN}c":
                text = elem.findtext(f"{_MAIN}v")
                problem = _value_problem(elem.get("t", "n"), text, strings) if text else None
                if problem is not None:
                    return elem.get("r", "?"), problem
                elem.clear()
    return None


_RANGE = re.compile(r"^\$?[A-Z]{1,3}\$?[0-9]{1,7}(:\$?[A-Z]{1,3}\$?[0-9]{1,7})?$")


def find_bad_table(data: bytes) -> str | None:
    """``table NAME has an invalid range 'ZZ'`` for the first table part openpyxl cannot load, or None."""
    from xml.etree.ElementTree import fromstring

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for part in (n for n in z.namelist() if n.startswith("xl/tables/") and n.endswith(".xml")):
                root = fromstring(z.read(part))
                ref = root.get("ref", "")
                if not _RANGE.match(ref):
                    return f"table {root.get('displayName', root.get('name', '?'))[:40]} has an invalid range {ref[:40]!r}"
    except Exception:  # noqa: BLE001 - only a better message is at stake
        return None
    return None


def find_bad_value(data: bytes) -> tuple[str, str, str] | None:
    """(sheet, cell, problem) of the first cell whose stored value openpyxl cannot load (a number
    ``NaN``, a boolean ``2``, a missing shared string, a bad ISO date), or None. Run only after
    openpyxl failed, to name the cell; after :func:`check_container`."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            strings = _shared_strings(z)
            for sheet, part in _sheet_parts(z):
                hit = _bad_value_in(z, part, strings)
                if hit is not None:
                    return sheet, *hit
    except Exception:  # noqa: BLE001 - only a better message is at stake; the caller has a generic one
        return None
    return None
