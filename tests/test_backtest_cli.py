"""``hedgecore backtest WORKBOOK``: the summary printed, the report written, options checked, one-line errors.

Numbers come from ``hedgecore.backtest`` on the same data; the bundled-data figures of
docs/backtest.md (100 ETH, threshold 10 %, 3-day cooldown, the ETHUSDT funding history to
2023-12-31: volatility 0.19 hedged vs 0.80 unhedged, no liquidation) are reproduced through the CLI.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

openpyxl = pytest.importorskip("openpyxl")

import hedgecore as hc  # noqa: E402
from hedgecore.excel import read_workbook  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "templates" / "example_portfolio.xlsx"
FUNDING = ROOT / "data" / "market" / "funding" / "ETH-USDT_binance_2020-01-01_2024-01-01_funding_history.csv"
PRICES = ROOT / "data" / "market" / "prices_daily"


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "hedgecore", "backtest", *map(str, args)], capture_output=True,
                          text=True, timeout=600, cwd=cwd)


@pytest.fixture(scope="module")
def example():
    return read_workbook(EXAMPLE)


def test_prints_the_summary_and_writes_the_report(tmp_path, example):
    done = run(EXAMPLE, "-o", tmp_path)
    assert done.returncode == 0, done.stderr
    q = dict(zip(example.holdings["Asset"], example.holdings["Quantity"]))
    r = hc.backtest(example.prices, q, "binance:ETHUSD_PERP", collateral_coin=10, funding=0.0001, maintenance_rate=0.005,
                    cooldown_days=3, slippage_bps=2, reopen_after_days=7)
    out = done.stdout
    assert "Backtest of example_portfolio.xlsx: ETH inverse short, 2021-04-03 to 2024-04-09 (1,103 rows" in out
    assert "3-day cooldown" in out and "reopened 7 days after a liquidation" in out and "collateral 10 ETH" in out
    assert "funding: constant 0.0100 % per funding interval" in out
    assert f"{r.summary.volatility_hedged:.1%}" in out and f"{r.summary.volatility_unhedged:.1%}" in out
    assert "2021-04-14, 2021-05-01, 2021-11-08" in out
    report = tmp_path / "example_portfolio-backtest.xlsx"
    assert f"Report: {report}" in out
    wb = openpyxl.load_workbook(report)
    assert wb.sheetnames == ["Backtest", "Backtest data"]
    assert run(EXAMPLE, "-o", tmp_path).returncode == 2  # no silent overwrite
    assert run(EXAMPLE, "-o", tmp_path, "--overwrite").returncode == 0


def test_the_documented_bundled_data_figures(tmp_path, example):
    done = run(EXAMPLE, "-o", tmp_path, "--collateral", 100, "--reopen-days", "never", "--end", "2023-12-31",
               "--funding", FUNDING, "--highs", PRICES, "--json")
    assert done.returncode == 0, done.stderr
    s = json.loads(done.stdout)
    assert round(s["backtest_volatility_hedged"], 2) == 0.19 and round(s["backtest_volatility_unhedged"], 2) == 0.80
    assert s["backtest_liquidations"] == 0 and s["backtest_trades"] == 8 and s["backtest_liquidation_check"] == "high"
    assert "USDⓈ-M rates as a proxy" in s["backtest_funding"]
    q = dict(zip(example.holdings["Asset"], example.holdings["Quantity"]))
    r = hc.backtest(example.prices, q, "binance:ETHUSD_PERP", collateral_coin=100, funding=hc.load_funding(FUNDING),
                    high=hc.load_prices(PRICES, assets=["ETH"], column="High"), end="2023-12-31",
                    maintenance_rate=0.005, cooldown_days=3, slippage_bps=2)
    assert s["backtest_funding_paid_usd"] == pytest.approx(r.summary.funding_paid_usd, rel=1e-12)


def test_options_override_the_workbook(tmp_path, example):
    done = run(EXAMPLE, "-o", tmp_path, "--policy", "periodic", "--every-days", 30, "--beta", "ewm", "--halflife", 20,
               "--fee-bps", 4, "--slippage-bps", 0, "--cooldown-days", 0, "--no-funding", "--format", "json")
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "example_portfolio-backtest.json").read_text())
    q = dict(zip(example.holdings["Asset"], example.holdings["Quantity"]))
    r = hc.backtest(example.prices, q, "binance:ETHUSD_PERP", collateral_coin=10, maintenance_rate=0.005,
                    policy="periodic", every_days=30, hedge_ratio="ewm", halflife=20, fee_bps=4, reopen_after_days=7)
    assert record["summary"]["backtest_total_return_hedged"] == pytest.approx(r.summary.total_return_hedged, rel=1e-12)
    assert record["summary"]["backtest_funding_source"] == "none"
    assert len(record["daily"]) == len(r.daily) and record["daily"][0]["Date"] == "2021-04-03"
    assert record["settings"]["BacktestPolicy"] == "periodic"


def test_csv_report(tmp_path):
    done = run(EXAMPLE, "-o", tmp_path, "--format", "csv")
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "example_portfolio-backtest-summary.csv", newline="") as fh:
        summary = {row["key"]: row["value"] for row in csv.DictReader(fh)}
    assert summary["backtest_liquidations"] == "3"
    with open(tmp_path / "example_portfolio-backtest-daily.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1103 and rows[0]["event"] == "open"


@pytest.mark.parametrize("args, message", [
    (("--window", 1), "error: --window must be finite and >= 2 and <= 100000, got 1"),
    (("--window", 9.5), "error: --window must be a whole number, got 9.5"),
    (("--policy", "sometimes"), "error: --policy must be one of none, periodic, threshold, got 'sometimes'"),
    (("--threshold", -1), "error: --threshold must be finite and >= 0 and <= 10, got -1"),
    (("--fee-bps", "nan"), "error: --fee-bps must be finite and >= 0 and <= 1000, got nan"),
    (("--collateral", 0), "error: --collateral must be finite and > 0, got 0"),
    (("--window", 5000), "error: not enough price history: 1193 usable rows, and the beta needs a full --window"),
    (("--start", "2023-13-01"), "error: --start must be a date, got '2023-13-01'"),
    (("--no-funding", "--funding-rate", 0.1), "error: give one of --funding, --funding-rate and --no-funding"),
    (("--funding", FUNDING), "error: --funding history runs 2020-01-01 to 2023-12-31 and does not cover the backtest "
                             "(prices 2021-01-03 to 2024-04-09): pass --end 2023-12-31, or a longer history"),
])
def test_bad_options_are_one_line(tmp_path, args, message):
    done = run(EXAMPLE, "-o", tmp_path, *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), done.stderr
    assert not list(tmp_path.iterdir())  # nothing written


def test_a_bad_workbook_is_one_line(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    done = run(bad, "-o", tmp_path / "out")
    assert done.returncode == 2 and done.stderr.startswith("error: bad.xlsx") and len(done.stderr.splitlines()) == 1


def test_the_cli_lists_policies_without_numpy():
    code = ("import sys, hedgecore.cli as c; "
            "print(list([p.type.choices for p in c.backtest.params if p.name == 'policy'][0]), 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['none', 'periodic', 'threshold'] False"
