"""Look of the workbooks hedgecore writes: colours, number formats and openpyxl styles.

Shared by the template writer (:mod:`hedgecore.excel.writer`) and the report
(:mod:`hedgecore.report.xlsx`), so a figure has the same format in both. openpyxl is imported
inside the style factories only.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "INPUT_FILL",
    "INPUT_FONT",
    "CALC_FILL",
    "HEADER_FILL",
    "NOTE_FONT",
    "USD",
    "USD0",
    "FUNDING_USD",
    "USD_PRICE",
    "USD4",
    "PRICE",
    "PCT",
    "PCT3",
    "PCT_SIGNED",
    "RATE",
    "TIMES",
    "BETA",
    "CONTRACTS",
    "COUNT",
    "COIN",
    "QTY",
    "SIZE",
    "DAYS",
    "DATE",
    "DATETIME",
    "template_styles",
    "report_styles",
]

# Colours (the colour legend on the template's Guide sheet).
INPUT_FILL = "FFF2CC"  # light yellow
INPUT_FONT = "1F4E9E"  # blue
CALC_FILL = "EDEDED"  # light grey
HEADER_FILL = "1F3864"  # dark blue
NOTE_FONT = "595959"

# Number formats.
USD = '"$"#,##0.00;[Red]-"$"#,##0.00'
USD0 = '"$"#,##0;[Red]-"$"#,##0'
#: Funding paid (+) or received (-): a received amount is not a loss, so it is not red.
FUNDING_USD = '"$"#,##0.00;-"$"#,##0.00'
USD_PRICE = '"$"#,##0.00'
USD4 = '"$"#,##0.0000'
PRICE = "#,##0.00##"
PCT = "0.0%"
PCT3 = "0.000%"
PCT_SIGNED = "+0.0%;[Red]-0.0%;0.0%"
RATE = "0.0000%"
TIMES = '0.00"x"'
BETA = "0.000"
CONTRACTS = '#,##0" ct"'
COUNT = "#,##0"
COIN = "#,##0.0000"
QTY = "#,##0.####"
SIZE = "#,##0.#####"
DAYS = '0" d"'
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"


def template_styles() -> dict[str, Any]:
    """Fonts, fills and alignments of the template sheets."""
    from openpyxl.styles import Alignment, Border, PatternFill, Side
    from openpyxl.styles import Font as _Font

    def Font(**kw: Any) -> Any:  # noqa: N802 - every font names its face, or LibreOffice falls back to a serif
        return _Font(name="Calibri", **{"size": 11, **kw})

    thin = Side(style="thin", color="BFBFBF")
    return {
        "input_fill": PatternFill("solid", fgColor=INPUT_FILL),
        "input_font": Font(color=INPUT_FONT, bold=False),
        "calc_fill": PatternFill("solid", fgColor=CALC_FILL),
        "calc_font": Font(color="000000", bold=True),
        "title": Font(size=14, bold=True, color=HEADER_FILL),
        "h2": Font(size=11, bold=True, color=HEADER_FILL),
        "head_fill": PatternFill("solid", fgColor=HEADER_FILL),
        "head_font": Font(color="FFFFFF", bold=True),
        "note": Font(color=NOTE_FONT, italic=True, size=9),
        "name": Font(color=NOTE_FONT, size=9),
        "key": Font(bold=True),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "center": Alignment(horizontal="center"),
        "center_wrap": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "right": Alignment(horizontal="right"),
        "plain": Font(),
    }


def report_styles() -> dict[str, Any]:
    """Fonts, fills and alignments of the report's Summary and Rolling beta sheets."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="BFBFBF")
    return {
        "title": Font(bold=True, size=16, color=HEADER_FILL),
        "subtitle": Font(italic=True, size=9, color=NOTE_FONT),
        "section": Font(bold=True, size=12, color=HEADER_FILL),
        "label": Font(size=10),
        "value": Font(size=10, bold=True),
        "small": Font(size=8),
        "note": Font(size=9, italic=True, color=NOTE_FONT),
        "head": Font(bold=True, color="FFFFFF", size=10),
        "head_fill": PatternFill("solid", fgColor=HEADER_FILL),
        "band_fill": PatternFill("solid", fgColor=CALC_FILL),
        "bottom": Border(bottom=thin),
        "right": Alignment(horizontal="right"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "left": Alignment(horizontal="left"),
        "wrap": Alignment(horizontal="left", vertical="top", wrap_text=True),
        "top": Alignment(vertical="top"),
    }
