"""`hedgecore refresh` and the stale-data warning, against the local fake exchange (tests/fake_exchange.py).

The fake serves the bundled real daily closes (data/market/prices_daily, SOURCES.md §1) as Binance spot
klines and, for COIN-M ETHUSD_PERP, the bundled real Binance ETHUSDT settlements halved (data/market/funding,
SOURCES.md §2). A workbook is fetched as of 2023-06-30 and refreshed as of 2023-12-31: what the exchange
added since must be in the new file, the input must stay byte-identical.
"""

import hashlib
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from fake_exchange import HOUR_MS, FakeExchange, bundled_closes, bundled_funding, day_ms

import hedgecore as hc
from hedgecore.cli import main
from hedgecore.data.exchange import FetchSettings
from hedgecore.excel.reader import read_workbook
from hedgecore.excel.refresh import fetch_template, refresh_workbook

pytest.importorskip("ccxt")

THEN = day_ms("2023-07-01") + 2 * HOUR_MS  # last complete day 2023-06-30
NOW = day_ms("2024-01-01") + 2 * HOUR_MS  # last complete day 2023-12-31
HOLDINGS = "templates/example_holdings.csv"
SETTINGS = {"HedgeAsset": "ETH", "Contract": "binance:ETHUSD_PERP", "Collateral": 10, "Leverage": 1,
            "BacktestThreshold": 0.2}
COINS = ("SOL", "AVAX", "DOT", "LINK", "ADA", "XRP", "ETH")


@pytest.fixture
def fake():
    with FakeExchange() as f:
        for coin in COINS:
            f.add_spot(f"{coin}USDT", coin, "USDT", bundled_closes(coin))
        f.add_coinm("ETHUSD_PERP", "ETH", funding={t: round(r / 2, 8) for t, r in bundled_funding("ETH").items()})
        yield f


@pytest.fixture
def mine(fake, tmp_path):
    out = fetch_template(tmp_path / "mine.xlsx", ["SOL"], holdings=HOLDINGS, settings=SETTINGS, since="2023-01-01",
                         fetch_settings=_settings(fake), now_ms=THEN)
    assert out.ok, out.errors
    return out.path


def _settings(fake):
    return FetchSettings(api_url=fake.url, timeout_s=2.0, retries=0, retry_wait_s=0.01)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _close(coin, day):
    return hc.load_prices(f"data/market/prices_daily/{coin}-USD.csv")[coin][pd.Timestamp(day)]


def test_refresh_extends_prices_and_funding_into_a_new_file(fake, mine):
    before = _sha(mine)
    out = refresh_workbook(mine, fetch_settings=_settings(fake), now_ms=NOW)
    assert out.ok and out.path == mine.with_name("mine-2023-12-31.xlsx"), out.errors
    assert _sha(mine) == before  # the input is only read
    old, new = read_workbook(mine), read_workbook(out.path)
    assert old.prices.index[-1] == pd.Timestamp("2023-06-30") and new.prices.index[-1] == pd.Timestamp("2023-12-31")
    pd.testing.assert_frame_equal(new.prices.loc[:"2023-06-30"], old.prices)  # history kept as it was
    assert new.prices.loc["2023-12-31", "SOL"] == _close("SOL", "2023-12-31")
    # Portfolio prices and the hedge price are the latest closes; quantities and inputs unchanged
    assert list(new.holdings["Price"]) == [_close(a, "2023-12-31") for a in new.holdings["Asset"]]
    assert list(new.holdings["Quantity"]) == list(old.holdings["Quantity"])
    assert new.settings["HedgePrice"] == _close("ETH", "2023-12-31")
    assert new.settings["Collateral"] == 10 and new.backtest["BacktestThreshold"] == 0.2
    # the funding history now reaches the exchange's last settlement
    assert old.funding.index[-1] < new.funding.index[-1] == pd.Timestamp("2023-12-31 16:00", tz="UTC")
    pd.testing.assert_frame_equal(new.funding.loc[:old.funding.index[-1]], old.funding, check_freq=False)
    # the new workbook carries its figures for the new data (cached values, as Excel shows them on open)
    cached = openpyxl.load_workbook(out.path, data_only=True)
    sheet, ref = next(iter(cached.defined_names["HedgePrice"].destinations))
    assert cached[sheet][ref.replace("$", "")].value == pytest.approx(_close("ETH", "2023-12-31"))


def test_refresh_never_replaces_a_file_without_overwrite(fake, mine, tmp_path):
    target = tmp_path / "taken.xlsx"
    target.write_bytes(b"mine")
    out = refresh_workbook(mine, out=target, fetch_settings=_settings(fake), now_ms=NOW)
    assert not out.ok and out.errors == (f"{target} already exists; use --overwrite or -o",)
    assert target.read_bytes() == b"mine"
    out = refresh_workbook(mine, out=mine, overwrite=True, fetch_settings=_settings(fake), now_ms=NOW)
    assert not out.ok and "refresh never replaces its input" in out.errors[0]
    out = refresh_workbook(mine, out=target, overwrite=True, fetch_settings=_settings(fake), now_ms=NOW)
    assert out.ok and read_workbook(target).prices.index[-1] == pd.Timestamp("2023-12-31")


def test_refresh_when_nothing_is_newer_writes_nothing(fake, mine):
    out = refresh_workbook(mine, fetch_settings=_settings(fake), now_ms=THEN)
    assert out.path is None and not out.errors
    assert any("is up to date (last close 2023-06-30); nothing written" in n for n in out.notes)
    assert sorted(p.name for p in mine.parent.iterdir()) == ["mine.xlsx"]


def test_refresh_through_the_cli_when_the_exchange_is_down_is_one_line_per_coin(mine):
    before = _sha(mine)
    done = CliRunner().invoke(main, ["refresh", str(mine), "--api-url", "http://127.0.0.1:9", "--retries", "0",
                                     "--timeout", "1"])
    assert done.exit_code == 1 and "Traceback" not in done.output
    errors = [line for line in done.output.splitlines() if line.startswith("error: ")]
    assert errors and all("cannot reach binance" in line for line in errors)
    assert _sha(mine) == before and sorted(p.name for p in mine.parent.iterdir()) == ["mine.xlsx"]


def test_a_workbook_of_other_prices_is_refused_unless_its_history_is_replaced(tmp_path):
    """The exchange's close of the workbook's last day differs (here: SOL 1 % higher on 2024-04-09, and a new
    day 2024-04-10): appending the exchange's closes to the workbook's would mix two sources."""
    example = "templates/example_portfolio.xlsx"
    before = _sha(Path(example))
    with FakeExchange() as f:
        for coin in (*COINS, "BTC"):
            closes = bundled_closes(coin)
            closes[day_ms("2024-04-10")] = closes[day_ms("2024-04-09")]
            f.add_spot(f"{coin}USDT", coin, "USDT", closes)
        f.spot["SOLUSDT"].klines[day_ms("2024-04-09")] *= 1.01
        f.add_coinm("ETHUSD_PERP", "ETH", funding={day_ms("2024-04-10"): 0.0001})
        later = day_ms("2024-04-11") + 2 * HOUR_MS
        out = refresh_workbook(example, out=tmp_path / "ex.xlsx", fetch_settings=_settings(f), now_ms=later)
        assert not out.ok and len(out.errors) == 1
        assert out.errors[0].startswith("example_portfolio.xlsx: its Prices come from another source than binance "
                                        "(SOL ") and out.errors[0].endswith("--replace-history starts them again "
                                                                            "from binance")
        assert not (tmp_path / "ex.xlsx").exists()
        out = refresh_workbook(example, out=tmp_path / "ex.xlsx", replace_history=True, fetch_settings=_settings(f),
                               now_ms=later)
    assert out.ok, out.errors
    assert _sha(Path(example)) == before
    new = read_workbook(out.path)
    assert new.prices.index[-1] == pd.Timestamp("2024-04-10")
    assert new.prices.loc["2024-04-09", "SOL"] == pytest.approx(_close("SOL", "2024-04-09") * 1.01, rel=1e-12)


def test_the_report_warns_when_the_closes_are_stale(mine, tmp_path):
    runner = CliRunner()
    fresh = runner.invoke(main, ["report", str(mine), "-o", str(tmp_path / "a"), "--format", "json",
                                 "--as-of", "2023-07-02"])
    stale = runner.invoke(main, ["report", str(mine), "-o", str(tmp_path / "b"), "--format", "json",
                                 "--as-of", "2023-07-10"])
    assert fresh.exit_code == 0 and stale.exit_code == 0, (fresh.output, stale.output)
    assert "stale" not in fresh.output
    assert ("warning: stale prices: last close 2023-06-30 (SOL, AVAX, DOT, LINK, ADA, XRP, ...), 10 days before "
            "the run date 2023-07-10; update them with hedgecore refresh") in stale.output
    report = json.loads(next((tmp_path / "b").glob("*.json")).read_text())
    summary = report["summary"]
    assert summary["price_age_days"] == 10 and summary["run_date"] == "2023-07-10"
    warnings = summary["warnings"].split(" | ")
    assert any(w.startswith("stale prices: last close 2023-06-30") for w in warnings)
    assert "stale funding: the history of binance:ETHUSD_PERP ends 2023-07-01 00:00 UTC, 9 days before the run " \
           "date 2023-07-10" in warnings
    # and on the xlsx report's Summary sheet, where a reader looks first
    assert runner.invoke(main, ["report", str(mine), "-o", str(tmp_path / "c"), "--as-of", "2023-07-10"]).exit_code == 0
    ws = openpyxl.load_workbook(next((tmp_path / "c").glob("*.xlsx")))["Summary"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("stale prices: last close 2023-06-30" in x for x in texts)
