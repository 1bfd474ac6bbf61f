"""Issue 13's "done when": a workbook from `template --fetch` reports what the same data as CSV reports.

Both come from the local fake exchange (tests/fake_exchange.py): the bundled real SOL, AVAX and ETH daily
closes (data/market/prices_daily, SOURCES.md §1) as Binance spot klines, and as the COIN-M ETHUSD_PERP
funding history the bundled real Binance ETHUSDT settlements halved (data/market/funding, SOURCES.md §2;
halved so that the COIN-M history differs from the USDⓈ-M one). One workbook is written by
``fetch_template`` (prices and funding fetched in one call), the other by ``write_template`` from the files
``hedgecore fetch prices`` and ``hedgecore fetch funding`` write. Their reports must agree figure by figure.
"""

import numpy as np
import openpyxl
import pandas as pd
import pytest
from fake_exchange import HOUR_MS, FakeExchange, bundled_closes, bundled_funding, day_ms

from hedgecore.data.exchange import FetchSettings
from hedgecore.errors import HedgecoreError
from hedgecore.data.fetch import fetch_funding, fetch_prices
from hedgecore.excel.reader import read_workbook
from hedgecore.excel.refresh import fetch_template
from hedgecore.excel.writer import write_template
from hedgecore.report.jobs import Job, process_job

pytest.importorskip("ccxt")

NOW = day_ms("2024-01-01") + 2 * HOUR_MS  # the bundled funding ends 2023-12-31 16:00 UTC
SINCE = "2023-01-01"
HOLDINGS = "templates/example_holdings.csv"
PRICES_DIR = "data/market/prices_daily"
SETTINGS = {"HedgeAsset": "ETH", "Contract": "binance:ETHUSD_PERP", "Collateral": 10, "Leverage": 1}
#: Figures that name the file itself, not the hedge.
OWN = {"file", "sha256", "generated_at"}


@pytest.fixture
def fake():
    with FakeExchange() as f:
        for coin in ("SOL", "AVAX", "DOT", "LINK", "ADA", "XRP", "ETH"):
            f.add_spot(f"{coin}USDT", coin, "USDT", bundled_closes(coin))
        f.add_coinm("ETHUSD_PERP", "ETH", funding={t: round(r / 2, 8) for t, r in bundled_funding("ETH").items()})
        yield f


def _settings(fake):
    return FetchSettings(api_url=fake.url, timeout_s=2.0, retries=1, retry_wait_s=0.01)


def _report(path, outdir):
    outcome = process_job(Job(source=str(path), outdir=str(outdir), fmt="json", as_of="2024-01-01"))
    assert outcome.ok, outcome.message
    return outcome.summary


def test_fetched_workbook_reports_what_the_csv_files_report(fake, tmp_path):
    fetched = fetch_template(tmp_path / "fetched.xlsx", ["SOL", "AVAX"], holdings=HOLDINGS, settings=SETTINGS,
                             since=SINCE, fetch_settings=_settings(fake), now_ms=NOW)
    assert fetched.ok and fetched.path == tmp_path / "fetched.xlsx", fetched.errors

    coins = ["SOL", "AVAX", "DOT", "LINK", "ADA", "XRP", "ETH"]
    assert all(r.ok for r in fetch_prices(coins, tmp_path / "prices", since=SINCE, settings=_settings(fake),
                                          now_ms=NOW))
    [f] = fetch_funding(["binance:ETHUSD_PERP"], tmp_path / "funding", since=SINCE, settings=_settings(fake),
                        now_ms=NOW)
    assert f.ok
    from_csv = write_template(tmp_path / "from_csv.xlsx", holdings=HOLDINGS, prices=tmp_path / "prices",
                              funding=f.path, settings={**SETTINGS, "FundingSource": "history"})

    a, b = _report(fetched.path, tmp_path / "out_a"), _report(from_csv, tmp_path / "out_b")
    assert a.keys() == b.keys()
    assert {k: v for k, v in a.items() if k not in OWN} == {k: v for k, v in b.items() if k not in OWN}
    # and they are about the data fetched: the last close is 2023-12-31, the rate the history's
    assert a["last_date"] == "2023-12-31" and a["funding_source"] == "history"


def test_the_funding_rate_used_is_the_mean_of_the_last_30_days_of_settlements(fake, tmp_path):
    """Reference by plain pandas on the settlements read back: the 30 UTC days 2023-12-02 .. 2023-12-31 (the
    last is complete: its 3 settlements cover 24 h), each day's sum, their mean x 8 h / 24 h per interval."""
    outcome = fetch_template(tmp_path / "mine.xlsx", ["SOL"], holdings=HOLDINGS, settings=SETTINGS,
                             since="2023-10-01", fetch_settings=_settings(fake), now_ms=NOW)
    assert outcome.ok, outcome.errors
    w = read_workbook(outcome.path)
    history = w.funding
    assert history.attrs["symbol"] == "binance:ETHUSD_PERP" and (history["interval_hours"] == 8).all()

    rates = history["funding_rate"]
    daily = rates.groupby(rates.index.floor("D")).sum()
    window = daily[daily.index > daily.index[-1] - pd.Timedelta(days=30)]
    assert (window.index[0], window.index[-1]) == (pd.Timestamp("2023-12-02", tz="UTC"),
                                                   pd.Timestamp("2023-12-31", tz="UTC"))
    expected = window.mean() * 8 / 24

    r = _report(outcome.path, tmp_path / "out")
    assert r["funding_rate_used"] == pytest.approx(expected, rel=1e-12)
    assert r["funding_mean_per_8h"] == pytest.approx(window.mean() / 3, rel=1e-12)
    assert r["funding_short_paid_frac"] == pytest.approx(float(np.mean(window.to_numpy() < 0)), abs=1e-15)
    # the workbook holds the same rate in its cached FundingRateUsed (what Excel shows before recalculating)
    assert w.settings["FundingSource"] == "history"
    book = openpyxl.load_workbook(outcome.path, data_only=True)
    sheet, ref = next(iter(book.defined_names["FundingRateUsed"].destinations))
    assert book[sheet][ref.replace("$", "")].value == pytest.approx(expected, rel=1e-12)


def test_without_holdings_the_portfolio_lists_the_coins_to_fill_in(fake, tmp_path):
    outcome = fetch_template(tmp_path / "todo.xlsx", ["SOL", "AVAX"], settings=SETTINGS, since="2023-12-01",
                             fetch_settings=_settings(fake), now_ms=NOW)
    assert outcome.ok, outcome.errors
    assert any("no --holdings: Portfolio lists SOL, AVAX with quantity 0" in n for n in outcome.notes)
    book = openpyxl.load_workbook(outcome.path, data_only=True)
    sheet, ref = next(iter(book.defined_names["HedgeRatio"].destinations))
    assert book[sheet][ref.replace("$", "")].value in ("", None)  # blank until quantities are typed, as in Excel
    with pytest.raises(HedgecoreError, match=r"todo.xlsx, sheet Hedge, cell B10: portfolio value is 0"):
        read_workbook(outcome.path)  # the report says what is missing, in one line


def test_backtest_of_a_workbook_uses_its_funding_sheet_when_funding_comes_from_history(fake, tmp_path):
    import json

    from click.testing import CliRunner

    from hedgecore.cli import main

    outcome = fetch_template(tmp_path / "mine.xlsx", ["SOL"], holdings=HOLDINGS, settings=SETTINGS,
                             since="2022-06-01", fetch_settings=_settings(fake), now_ms=NOW)
    [f] = fetch_funding(["binance:ETHUSD_PERP"], tmp_path / "funding", since="2022-06-01", settings=_settings(fake),
                        now_ms=NOW)

    def run(*extra):
        done = CliRunner().invoke(main, ["backtest", str(outcome.path), "--json", "--overwrite", "-o",
                                         str(tmp_path / "bt"), *extra])
        assert done.exit_code == 0, done.output
        return json.loads(done.output)

    sheet, given, constant = run(), run("--funding", str(f.path)), run("--funding-rate", "0.0001")
    assert sheet["backtest_funding"].startswith("history binance:ETHUSD_PERP (2022-06-01 to 2023-12-31")
    assert sheet["backtest_funding_paid_usd"] == pytest.approx(given["backtest_funding_paid_usd"], rel=1e-12)
    assert sheet["backtest_funding_paid_usd"] != pytest.approx(constant["backtest_funding_paid_usd"], rel=1e-3)


def test_template_fetch_through_the_cli(fake, tmp_path):
    from click.testing import CliRunner

    from hedgecore.cli import main

    out = tmp_path / "mine.xlsx"
    done = CliRunner().invoke(main, ["template", "--fetch", "SOL,AVAX", "--hedge", "ETH", "--contract",
                                     "binance:ETHUSD_PERP", "--holdings", HOLDINGS, "-o", str(out),
                                     "--since", "2023-06-01", "--api-url", fake.url])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0].startswith("SOL: +314 rows to 2024-04-09 (binance SOL/USDT)")  # 2023-06-01 .. 2024-04-09
    assert "binance:ETHUSD_PERP: +642 rows to 2023-12-31 16:00:00" in done.output and lines[-1] == f"wrote {out}"
    w = read_workbook(out)
    assert list(w.prices.columns) == ["SOL", "AVAX", "DOT", "LINK", "ADA", "XRP", "ETH"]
    assert w.settings["FundingSource"] == "history" and w.funding.attrs["symbol"] == "binance:ETHUSD_PERP"
    # a second call with --prices as well is a usage error, and nothing is written
    again = CliRunner().invoke(main, ["template", "--fetch", "SOL", "--prices", PRICES_DIR, "-o",
                                      str(tmp_path / "x.xlsx")])
    assert again.exit_code == 2 and "--fetch gets the prices and the funding" in again.output
    assert not (tmp_path / "x.xlsx").exists()
