"""Look at the report as a user would: LibreOffice renders it to PDF and PNG.

Skipped when ``soffice`` (LibreOffice) or ``pdftoppm``/``pdftotext`` (poppler) are missing. Checks
what a reader sees on the first printed page of the Summary: the title, the figures formatted
(no ``###`` from a too-narrow column, no raw floats), and the three chart titles — i.e. the
Summary is fitted to the page width with its charts.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

pytest.importorskip("openpyxl")

from test_report import CASES, build_workbook, expected, run_cli  # noqa: E402

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext")
pytestmark = pytest.mark.skipif(not (SOFFICE and POPPLER), reason="LibreOffice (soffice) or poppler not installed")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("render")
    src = build_workbook(root / "eth.xlsx", CASES["eth_inverse"])
    done = run_cli("report", src, "-o", root / "out")
    assert done.returncode == 0, done.stderr
    report = root / "out" / "eth-report.xlsx"
    profile = root / "lo-profile"  # a private profile: no clash with another running soffice
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(root / "pdf"), str(report)], check=True, capture_output=True, timeout=300)
    pdf = root / "pdf" / "eth-report.pdf"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf), str(root / "pdf" / "page")],
                   check=True, timeout=120)
    everything = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True,
                                timeout=120).stdout
    text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "2", str(pdf), "-"], check=True,
                          capture_output=True, text=True, timeout=120).stdout
    return dict(root=root, pdf=pdf, page1=text, pngs=sorted((root / "pdf").glob("page-*.png")), text=everything)


def test_summary_page_reads_well(rendered):
    text = rendered["page1"]
    e = expected(CASES["eth_inverse"])
    assert "Hedge report — eth.xlsx" in text
    for label in ("Portfolio value (USD)", "Contracts to short", "Liquidation price (USD)", "R² (hedge effectiveness)",
                  "Worst outcome hedged (USD)", "Input SHA-256"):
        assert label in text
    assert f"${e['total']:,.2f}" in text
    assert f"{e['plan'].contracts:,.0f}" in text
    assert f"${e['plan'].liquidation_price_usd:,.2f}" in text
    assert "###" not in text  # no column too narrow for its number
    assert not re.search(r"\d\.\d{7,}", text)  # no unformatted floats
    # Fit to two pages: the figures, the charts and the tables.
    for title in ("Stress test: P&L unhedged vs hedged", "Rolling 90-day beta to ETH"):
        assert title in text


def test_png_pages_exist(rendered):
    assert len(rendered["pngs"]) == 2 and all(p.stat().st_size > 10_000 for p in rendered["pngs"])
    page2 = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "2", str(rendered["pdf"]), "-"],
                           capture_output=True, text=True, check=True).stdout
    assert "Beta to ETH per asset" in page2 and "Stress test (ETH shock" in page2


def test_the_report_reads_as_a_document(rendered):
    from test_template_render import ERRORS, colour_pixels

    text = rendered["text"]
    assert not [e for e in ERRORS if e in text]
    pages = text.count("\f")
    assert pages <= 12, pages  # the daily prices and backtest data print their newest rows only (was 51-58 pages)
    assert "A hedge report of eth.xlsx" in text and "SHA-256" in text  # its own Guide
    for prompt in ("Edit the yellow", "Yellow: inputs", "Fill Asset", "What to fill"):
        assert prompt not in text, prompt
    assert "hedgecore report — eth.xlsx" in text and "page 1 of" in text  # header and footer
    # the stress chart of the Summary is drawn: unhedged (dark red) and hedged (blue) columns
    assert colour_pixels(rendered["pdf"], 1, (0xC0, 0x00, 0x00)) > 100
    assert colour_pixels(rendered["pdf"], 1, (0x1F, 0x4E, 0x9E)) > 20


def test_the_backtest_page_has_its_figures_and_charts(rendered):
    from test_template_render import colour_pixels, page_of

    page = page_of(rendered["pdf"], "Backtest — eth.xlsx")
    text = subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(rendered["pdf"]), "-"],
                          capture_output=True, text=True, check=True).stdout
    for label in ("Volatility, hedged (annualised)", "Liquidation dates", "Events (", "Funding and fees so far",
                  "Drawdown from the running peak", "constant 0.0100 % per funding interval"):
        assert label in text, label
    assert colour_pixels(rendered["pdf"], page, (0xC0, 0x00, 0x00)) > 100  # unhedged lines
    assert colour_pixels(rendered["pdf"], page, (0x1F, 0x4E, 0x9E)) > 100  # hedged lines
