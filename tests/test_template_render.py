"""Render the committed workbooks with LibreOffice (skipped when soffice is not installed).

LibreOffice has no hedgecore add-in, so cells calling HEDGE_CONTRACTS, BETA, ... show #NAME?;
every other cell must render. This checks that pages come out and the static text is there.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = [
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed"),
]


def _pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext") is None:
        return ""
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("name", ["hedge_template.xlsx", "example_portfolio.xlsx"])
def test_renders_to_pdf(tmp_path, name):
    profile = tmp_path / "profile"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(ROOT / "templates" / name)],
        capture_output=True, text=True, timeout=240, check=True,
    )
    pdf = tmp_path / name.replace(".xlsx", ".pdf")
    assert pdf.exists() and pdf.stat().st_size > 10_000
    text = _pdf_text(pdf)
    if text:
        pages = text.count("\f") + 1
        assert pages >= 5  # Guide, Portfolio, Prices, Hedge, StressTest (Lists is hidden)
        for title in ("hedge an altcoin basket", "Portfolio", "Hedge", "Stress test", "Colour legend"):
            assert title in text
        assert "binance:BTCUSD_PERP" not in text  # the hidden Lists sheet is not printed
        if name == "example_portfolio.xlsx":
            assert "$89,998.46" in text  # PortfolioValue: SUM of Holdings Value, plain Excel
            assert "2024-04-09" in text and "3,505.16" in text  # last ETH close in Prices
