"""Render the committed workbooks with LibreOffice as a user would see them (skipped without soffice).

LibreOffice has no hedgecore add-in: what it shows are the values the writer cached in every formula
cell (it keeps single-cell caches; it would recalculate array formulas, which the template has
none of). Checked: pages come out, the static text and the example's figures are there, no error
value anywhere, and the stress chart of the example is drawn (its series colour is on the page).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
ERRORS = ("#NAME?", "#VALUE!", "#N/A", "#REF!", "#DIV/0!", "#NUM!", "Err:")

pytestmark = [
    pytest.mark.skipif(SOFFICE is None or not POPPLER, reason="LibreOffice (soffice) or poppler not installed"),
]


def render(source: Path, outdir: Path) -> Path:
    """``source`` as PDF by headless LibreOffice (a private profile: no clash with a running soffice)."""
    profile = outdir / "profile"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(outdir), str(source)], capture_output=True, text=True, timeout=300, check=True)
    pdf = outdir / (source.stem + ".pdf")
    assert pdf.exists() and pdf.stat().st_size > 10_000
    return pdf


def pdf_text(pdf: Path, page: int | None = None) -> str:
    pages = [] if page is None else ["-f", str(page), "-l", str(page)]
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def page_of(pdf: Path, title: str) -> int:
    """The first page whose text holds ``title``."""
    for k, text in enumerate(pdf_text(pdf).split("\f"), start=1):
        if title in text:
            return k
    raise AssertionError(f"no page with {title!r}")


def colour_pixels(pdf: Path, page: int, rgb: tuple[int, int, int], tol: int = 40) -> int:
    """How many pixels of ``page`` (rendered at 50 dpi) are close to ``rgb``: a drawn chart series."""
    out = pdf.with_name(f"{pdf.stem}-{page}")
    subprocess.run(["pdftoppm", "-r", "50", "-f", str(page), "-l", str(page), "-singlefile", str(pdf), str(out)],
                   check=True, timeout=120)
    data = out.with_suffix(".ppm").read_bytes()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    width, height, raw = int(m.group(1)), int(m.group(2)), data[m.end():]
    pixels = np.frombuffer(raw[: width * height * 3], dtype=np.uint8).reshape(height, width, 3).astype(int)
    return int((np.abs(pixels - np.array(rgb)).max(axis=2) <= tol).sum())


def assert_no_error_values(text: str) -> None:
    found = [e for e in ERRORS if e in text]
    assert not found, found


@pytest.mark.parametrize("name", ["hedge_template.xlsx", "example_portfolio.xlsx"])
def test_renders_with_its_numbers(tmp_path, name):
    pdf = render(ROOT / "templates" / name, tmp_path)
    text = pdf_text(pdf)
    pages = text.count("\f")
    assert pages >= 5  # Guide, Portfolio, Prices, Hedge, StressTest (Lists is hidden)
    for title in ("hedge an altcoin basket", "Portfolio", "Hedge", "Stress test", "Colour legend"):
        assert title in text
    assert "binance:BTCUSD_PERP" not in text  # the hidden Lists sheet is not printed
    assert_no_error_values(text)
    if name == "example_portfolio.xlsx":
        assert "$89,998.46" in text  # PortfolioValue
        assert "2024-04-09" in text and "3,505.16" in text  # last ETH close in Prices, the hedge price
        assert "11,797 ct" in text and "$4,961.95" in text  # contracts and liquidation price, from the add-in's cache
        stress = page_of(pdf, "Portfolio value: hedged vs unhedged")
        assert "$126,112" in pdf_text(pdf, stress)  # hedged value at every shock (StressTest table)
        # the chart has its series: the unhedged line in dark red and the hedged one in blue
        assert colour_pixels(pdf, stress, (0xC0, 0x00, 0x00)) > 200
        assert colour_pixels(pdf, stress, (0x1F, 0x4E, 0x9E)) > 200
        # the Backtest sheet opens with its numbers: the result's name, the summary and the daily table, and
        # its chart is drawn: the unhedged line (dark red) and the trade markers (green, only in the chart);
        # the page is the wide sheet fitted to A4, so the counts at 50 dpi are small
        backtest = page_of(pdf, "Backtest — would the hedge have protected me")
        page = pdf_text(pdf, backtest)
        for text in ("ETH threshold 2021-04-03 to 2024-04-09 #", "89.4%", "2021-04-14, 2021-05-01, 2021-11-08",
                     "$160,685", "liquidation", "rebalance"):
            assert text in page, text
        assert colour_pixels(pdf, backtest, (0xC0, 0x00, 0x00)) > 30
        assert colour_pixels(pdf, backtest, (0x2E, 0x9E, 0x44)) > 20
