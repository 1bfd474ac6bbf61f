"""`hedgecore fetch prices` against the local fake exchange (tests/fake_exchange.py): no internet.

Fixture closes are the bundled real SOL/AVAX/ETH daily closes (data/market/prices_daily, SOURCES.md §1)
served as Binance SOLUSDT/AVAXUSDT/ETHUSDT klines in Binance's documented format.
"""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from click.testing import CliRunner
from fake_exchange import DAY_MS, HOUR_MS, FakeExchange, bundled_closes, day_ms, free_port

import hedgecore as hc
from hedgecore.cli import main
from hedgecore.data.exchange import FetchSettings, Venue
from hedgecore.data.fetch import fetch_prices, last_complete_day_ms

pytest.importorskip("ccxt")

NOW = day_ms("2024-04-10") + 13 * HOUR_MS  # 2024-04-10 13:00 UTC: the last complete day is 2024-04-09
KLINES = "/api/v3/klines"


@pytest.fixture
def fake():
    with FakeExchange(timeout_sleep_s=0.6) as f:
        for coin in ("SOL", "AVAX", "ETH"):
            f.add_spot(f"{coin}USDT", coin, "USDT", bundled_closes(coin))
        yield f


def settings(fake, **kw):
    return FetchSettings(api_url=fake.url, **({"timeout_s": 0.3, "retries": 2, "retry_wait_s": 0.01} | kw))


def bundled(coin, last="2024-04-09"):
    s = hc.load_prices(f"data/market/prices_daily/{coin}-USD.csv")[coin]
    return s[: pd.Timestamp(last)]


def test_first_run_writes_the_exact_closes_in_two_pages(fake, tmp_path):
    [r] = fetch_prices(["SOL"], tmp_path, since="2021-01-03", settings=settings(fake), now_ms=NOW)
    assert r.ok and r.added == 1193 and r.last == "2024-04-09" and r.path == tmp_path / "SOL-USDT.csv"
    got = hc.load_prices(tmp_path)["SOL"]
    pd.testing.assert_series_equal(got, bundled("SOL"), check_names=False)  # float-exact round trip
    starts = [int(q["startTime"]) for q in fake.requests_to(KLINES)]
    # 1000 candles a page; the next page starts just after the last candle received
    assert starts == [day_ms("2021-01-03"), day_ms("2021-01-03") + 999 * DAY_MS + 1]
    assert all(q["interval"] == "1d" and q["limit"] == "1000" for q in fake.requests_to(KLINES))


def test_todays_unfinished_candle_is_not_written(fake, tmp_path):
    fake.spot["SOLUSDT"].klines[day_ms("2024-04-10")] = 999.0  # the candle still open at NOW
    fetch_prices(["SOL"], tmp_path, since="2024-04-01", settings=settings(fake), now_ms=NOW)
    got = hc.load_prices(tmp_path)["SOL"]
    assert got.index[-1] == pd.Timestamp("2024-04-09") and 999.0 not in got.to_numpy()
    assert last_complete_day_ms(NOW) == day_ms("2024-04-09")


def test_second_run_asks_only_for_the_missing_days(fake, tmp_path):
    fetch_prices(["SOL", "AVAX"], tmp_path, since="2023-01-01", settings=settings(fake), now_ms=day_ms("2024-01-10"))
    fake.requests.clear()
    results = fetch_prices(["SOL", "AVAX"], tmp_path, settings=settings(fake), now_ms=NOW)
    assert [r.added for r in results] == [91, 91]  # 2024-01-10 .. 2024-04-09
    # one request per coin, starting at the stored last day (the overlap check), ending at the last full day
    assert [(q["symbol"], int(q["startTime"]), int(q["endTime"])) for q in fake.requests_to(KLINES)] == [
        ("SOLUSDT", day_ms("2024-01-09"), day_ms("2024-04-09")),
        ("AVAXUSDT", day_ms("2024-01-09"), day_ms("2024-04-09")),
    ]
    frame = hc.load_prices(tmp_path)
    pd.testing.assert_series_equal(frame["SOL"], bundled("SOL")["2023-01-01":], check_names=False)


def test_an_exchange_that_stopped_updating_is_called_stale(fake, tmp_path):
    fetch_prices(["SOL"], tmp_path, since="2024-04-01", settings=settings(fake), now_ms=NOW)
    [r] = fetch_prices(["SOL"], tmp_path, settings=settings(fake), now_ms=NOW + 10 * DAY_MS)
    assert r.ok and r.stale and r.added == 0
    assert r.line().endswith("+0 rows to 2024-04-09 (binance SOL/USDT); nothing after 2024-04-09 on the exchange "
                              "(asked up to 2024-04-19)")


def test_an_up_to_date_file_needs_no_network(fake, tmp_path):
    fetch_prices(["SOL"], tmp_path, since="2024-03-01", settings=settings(fake), now_ms=NOW)
    fake.requests.clear()
    [r] = fetch_prices(["SOL"], tmp_path, settings=settings(fake), now_ms=NOW + 5 * HOUR_MS)
    assert r.ok and r.added == 0 and "up to date" in r.line() and fake.requests == []


def test_a_gap_of_missing_days_is_reported_not_filled(fake, tmp_path):
    for d in ("2024-02-10", "2024-02-11", "2024-02-12"):
        del fake.spot["SOLUSDT"].klines[day_ms(d)]
    [r] = fetch_prices(["SOL"], tmp_path, since="2024-02-01", settings=settings(fake), now_ms=NOW)
    assert r.missing == ("2024-02-10", "2024-02-11", "2024-02-12")
    assert "3 days have no candle on the exchange (2024-02-10, 2024-02-11, 2024-02-12)" in r.line()
    got = hc.load_prices(tmp_path)["SOL"]
    assert pd.Timestamp("2024-02-11") not in got.index and len(got) == 69 - 3


def test_delisted_and_unknown_coins_get_one_line_and_the_others_are_written(fake, tmp_path):
    fake.add_spot("LUNAUSDT", "LUNA", "USDT", {day_ms("2022-05-01"): 80.0}, status="BREAK")
    runner = CliRunner()
    out = runner.invoke(main, ["fetch", "prices", "SOL", "LUNA", "NOPE", "--since", "2024-04-01", "-o",
                               str(tmp_path), "--api-url", fake.url])
    assert out.exit_code == 1
    lines = out.stderr.strip().splitlines()
    assert lines == ["error: LUNA: binance LUNA/USDT is not trading (status BREAK; delisted?)",
                     "error: NOPE: binance lists no NOPE/USD or NOPE/USDT spot market"]
    assert "SOL: " in out.stdout and (tmp_path / "SOL-USDT.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["SOL-USDT.csv"]


def test_a_usd_market_is_preferred_to_usdt(fake, tmp_path):
    fake.add_spot("SOLUSD", "SOL", "USD", {day_ms("2024-04-08"): 170.0, day_ms("2024-04-09"): 171.0})
    [r] = fetch_prices(["SOL"], tmp_path, since="2024-04-08", settings=settings(fake), now_ms=NOW)
    assert r.source == "binance SOL/USD" and r.path.name == "SOL-USD.csv"
    assert hc.load_prices(tmp_path)["SOL"].tolist() == [170.0, 171.0]


@pytest.mark.parametrize("kind", ["429", "500", "drop", "timeout"])
def test_429_500_a_dropped_connection_and_a_timeout_are_retried(fake, tmp_path, kind):
    fake.fail(KLINES, kind, times=2)
    [r] = fetch_prices(["SOL"], tmp_path, since="2021-01-03", settings=settings(fake), now_ms=NOW)
    assert r.ok and r.added == 1193
    assert len(fake.requests_to(KLINES)) == 2 + 2  # two pages, two failed attempts


def test_retry_after_is_honoured_and_back_off_doubles(fake):
    waits = []
    venue = Venue("binance", "spot", settings(fake, retries=3, retry_wait_s=0.5, max_wait_s=5), sleep=waits.append)
    market = venue.spot_market("SOL")
    fake.fail(KLINES, "429", times=1, retry_after="3")
    fake.fail(KLINES, "500", times=2)
    rows = venue.daily_closes("SOL", market, day_ms("2024-04-01"), day_ms("2024-04-09"), 1000)
    assert len(rows) == 9
    assert waits == [3.0, 1.0, 2.0]  # Retry-After 3 s beats 0.5 s; then 0.5·2, 0.5·4


@pytest.mark.parametrize(("kind", "message"), [
    ("429", "SOL: binance is rate-limiting us (HTTP 429), gave up after 3 attempts"),
    ("500", "SOL: binance is unavailable (HTTP 500), gave up after 3 attempts"),
    ("timeout", "SOL: binance did not answer within 0.3 s, gave up after 3 attempts"),
    ("malformed", "SOL: binance sent a malformed answer to GET /api/v3/klines (not JSON: '<html><body>gateway error')"),
])
def test_persistent_failures_give_one_line_and_keep_what_was_written(fake, tmp_path, kind, message):
    fetch_prices(["SOL"], tmp_path, since="2024-01-01", settings=settings(fake), now_ms=day_ms("2024-03-01"))
    before = (tmp_path / "SOL-USDT.csv").read_bytes()
    fake.fail(KLINES, kind, times=10)
    [r] = fetch_prices(["SOL"], tmp_path, settings=settings(fake), now_ms=NOW)
    assert r.error == message and len(message) < 255
    assert (tmp_path / "SOL-USDT.csv").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["SOL-USDT.csv"]  # no temp file left


def test_a_refused_location_or_request_is_not_retried(fake, tmp_path):
    fake.fail("/api/v3/klines", "400", times=5)
    [r] = fetch_prices(["SOL"], tmp_path, settings=settings(fake), now_ms=NOW)
    assert r.error == 'SOL: binance refused the request ({"code": -1121, "msg": "Invalid symbol."})'
    assert len(fake.requests_to(KLINES)) == 1
    fake.requests.clear()
    fake.fail("/api/v3/exchangeInfo", "451", times=5)
    [r] = fetch_prices(["SOL"], tmp_path, settings=settings(fake), now_ms=NOW)
    assert r.error == "SOL: binance does not serve this location (HTTP 451); try another --exchange"
    assert len(fake.requests_to("/api/v3/exchangeInfo")) == 1


def test_a_failure_on_the_second_page_keeps_the_first_and_the_next_run_continues(fake, tmp_path):
    fake.fail(KLINES, "malformed", after=1)  # page 1 (1000 days) arrives, page 2 never does
    [r] = fetch_prices(["SOL"], tmp_path, since="2021-01-03", settings=settings(fake), now_ms=NOW)
    assert r.added == 1000 and r.error.startswith("SOL: binance sent a malformed answer")
    assert hc.load_prices(tmp_path)["SOL"].index[-1] == pd.Timestamp("2021-01-03") + pd.Timedelta(days=999)
    fake.requests.clear()
    [r] = fetch_prices(["SOL"], tmp_path, settings=settings(fake), now_ms=NOW)
    assert r.ok and r.added == 193
    assert int(fake.requests_to(KLINES)[0]["startTime"]) == day_ms("2021-01-03") + 999 * DAY_MS
    pd.testing.assert_series_equal(hc.load_prices(tmp_path)["SOL"], bundled("SOL"), check_names=False)


def test_connection_refused_is_one_line_per_coin_without_retrying_each(tmp_path):
    s = FetchSettings(api_url=f"http://127.0.0.1:{free_port()}", timeout_s=0.3, retries=1, retry_wait_s=0.01)
    results = fetch_prices(["SOL", "ETH"], tmp_path, settings=s, now_ms=NOW)
    assert [r.error for r in results] == [
        "SOL: cannot reach binance (connection refused), gave up after 2 attempts",
        "ETH: cannot reach binance (connection refused), gave up after 2 attempts",
    ]
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_a_file_from_another_source_is_left_alone(fake, tmp_path):
    # The bundled Yahoo closes end 2024-04-09; the fake exchange reports another close that day.
    yahoo = (tmp_path / "SOL-USD.csv")
    yahoo.write_bytes(open("data/market/prices_daily/SOL-USD.csv", "rb").read())
    fake.spot["SOLUSDT"].klines[day_ms("2024-04-09")] = 170.25
    [r] = fetch_prices(["SOL"], tmp_path, settings=settings(fake), now_ms=NOW + 2 * DAY_MS)
    assert "SOL-USD.csv has 172.41362 on 2024-04-09" in r.error and "binance SOL/USDT reports 170.25" in r.error
    assert "another source" in r.error
    assert yahoo.read_bytes() == open("data/market/prices_daily/SOL-USD.csv", "rb").read()


def test_appending_keeps_other_columns_and_bytes(fake, tmp_path):
    # A file with more columns whose last close matches the exchange is extended, not rewritten.
    path = tmp_path / "SOL-USD.csv"
    head = open("data/market/prices_daily/SOL-USD.csv", "rb").read()
    path.write_bytes(head)
    fake.spot["SOLUSDT"].klines[day_ms("2024-04-10")] = 180.0
    [r] = fetch_prices(["SOL"], tmp_path, settings=settings(fake), now_ms=NOW + DAY_MS)
    assert r.ok and r.added == 1
    assert path.read_bytes() == head + b"2024-04-10,,,,180.0,\n"
    assert hc.load_prices(tmp_path)["SOL"].iloc[-1] == 180.0


def test_wide_file_created_then_extended_with_a_new_coin(fake, tmp_path):
    wide = tmp_path / "closes.csv"
    fetch_prices(["SOL", "AVAX"], wide, wide=True, since="2024-01-01", settings=settings(fake),
                 now_ms=day_ms("2024-03-01"))
    results = fetch_prices(["SOL", "ETH"], wide, wide=True, since="2024-02-01", settings=settings(fake), now_ms=NOW)
    assert [r.added for r in results] == [40, 69]
    frame = hc.load_prices(wide)
    assert list(frame.columns) == ["SOL", "AVAX", "ETH"]
    pd.testing.assert_series_equal(frame["SOL"], bundled("SOL")["2024-01-01":], check_names=False)
    pd.testing.assert_series_equal(frame["AVAX"].dropna(), bundled("AVAX")["2024-01-01":"2024-02-29"],
                                   check_names=False)
    pd.testing.assert_series_equal(frame["ETH"].dropna(), bundled("ETH")["2024-02-01":], check_names=False)


def test_cli_prints_one_line_per_coin(fake, tmp_path):
    out = CliRunner().invoke(main, ["fetch", "prices", "sol", "eth", "--since", "2024-04-01", "-o", str(tmp_path),
                                    "--api-url", fake.url])
    assert out.exit_code == 0, out.output
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("SOL: ") and "(binance SOL/USDT)" in lines[0]
    assert out.stderr == ""  # no progress bar off a terminal


def test_import_never_pulls_in_ccxt():
    code = ("import sys, hedgecore, hedgecore.cli, hedgecore.data.fetch, hedgecore.data.catalog\n"
            "print('ccxt' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _kill_when_asked_for(proc, fake, symbol, deadline_s=60):
    start = time.monotonic()
    while not any(q.get("symbol") == symbol for q in fake.requests_to(KLINES)):
        if proc.poll() is not None or time.monotonic() - start > deadline_s:
            raise AssertionError(f"the fetch never asked for {symbol}: {proc.communicate()}")
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_killing_a_fetch_mid_way_leaves_every_file_whole(tmp_path):
    """SIGKILL while the second coin is downloading: the first coin's file is new and whole, the
    second's is byte-identical to before, and no final path holds a partial file."""
    with FakeExchange(delay_s=0.4) as fake:
        for coin in ("SOL", "AVAX", "ETH"):
            fake.add_spot(f"{coin}USDT", coin, "USDT", bundled_closes(coin))
        env = dict(os.environ, PYTHONPATH=os.getcwd())
        cmd = [sys.executable, "-m", "hedgecore", "fetch", "prices", "SOL", "AVAX", "ETH", "-o", str(tmp_path),
               "--api-url", fake.url]
        # an earlier run left SOL and AVAX up to 2023-12-31
        for coin in ("SOL", "AVAX"):
            closes = bundled(coin)["2023-06-01":"2023-12-31"]
            (tmp_path / f"{coin}-USDT.csv").write_text(
                "Date,Close\n" + "".join(f"{d:%Y-%m-%d},{v!r}\n" for d, v in closes.items()))
        before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _kill_when_asked_for(proc, fake, "AVAXUSDT")  # SOL written, AVAX's first page under way
    files = sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".csv")
    assert files == ["AVAX-USDT.csv", "SOL-USDT.csv"]
    assert (tmp_path / "AVAX-USDT.csv").read_bytes() == before["AVAX-USDT.csv"]
    sol = hc.load_prices(tmp_path / "SOL-USDT.csv")["SOL"]
    assert sol.index[0] == pd.Timestamp("2023-06-01") and sol.index[-1] > pd.Timestamp("2024-04-01")
    hc.load_prices(tmp_path)  # the folder still loads: any temp file is not a .csv


def test_progress_bar_on_a_terminal_only(tmp_path):
    """stderr on a pseudo-terminal gets rich's bar; piped (the other tests) it gets nothing."""
    import pty
    import threading

    with FakeExchange(delay_s=0.3) as fake:
        fake.add_spot("SOLUSDT", "SOL", "USDT", bundled_closes("SOL"))
        master, slave = pty.openpty()
        chunks = []
        reader = threading.Thread(target=lambda: _drain(master, chunks), daemon=True)
        reader.start()
        proc = subprocess.run([sys.executable, "-m", "hedgecore", "fetch", "prices", "SOL", "--since", "2021-01-03",
                               "-o", str(tmp_path), "--api-url", fake.url], stderr=slave, stdout=subprocess.PIPE,
                              env=dict(os.environ, PYTHONPATH=os.getcwd(), COLUMNS="100"), timeout=60)
        os.close(slave)
        reader.join(timeout=5)
    text = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0 and b"SOL: " in proc.stdout
    assert "SOL" in text and "days" in text  # the bar: "SOL ━━━━ 1000 of ... days"


def _drain(fd, chunks):
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            return
        if not data:
            return
        chunks.append(data)


def test_an_unwritable_folder_and_a_csv_name_without_wide_are_one_line(fake, tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder")
    [r] = fetch_prices(["SOL"], blocker / "prices", since="2024-04-01", settings=settings(fake), now_ms=NOW)
    assert r.error.startswith("SOL: cannot write ") and "SOL-USDT.csv" in r.error
    out = CliRunner().invoke(main, ["fetch", "prices", "SOL", "-o", str(tmp_path / "closes.csv"), "--api-url", fake.url])
    assert out.exit_code == 2 and out.stderr.startswith("error: ") and "--wide" in out.stderr
    assert not (tmp_path / "closes.csv").exists()
