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
    text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"], check=True,
                          capture_output=True, text=True, timeout=120).stdout
    return dict(root=root, pdf=pdf, page1=text, pngs=sorted((root / "pdf").glob("page-*.png")))


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
    # Fit to width: the charts are on the same page as the figures.
    for title in ("Stress test: P&L unhedged vs hedged", "Rolling 90-day beta to ETH"):
        assert title in text


def test_png_pages_exist(rendered):
    assert len(rendered["pngs"]) == 2 and all(p.stat().st_size > 10_000 for p in rendered["pngs"])
    page2 = subprocess.run(["pdftotext", "-layout", "-f", "2", "-l", "2", str(rendered["pdf"]), "-"],
                           capture_output=True, text=True, check=True).stdout
    assert "Beta to ETH per asset" in page2 and "Stress test (ETH shock" in page2
