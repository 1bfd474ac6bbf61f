"""`hedgecore fetch funding` against the local fake exchange (Binance USDⓈ-M and COIN-M, Bybit v5).

The USDⓈ-M fixture is the bundled real Binance ETHUSDT history (data/market/funding, SOURCES.md §2:
4,383 settlements 2020-01-01 to 2023-12-31, fetched from /fapi/v1/fundingRate), served back in the
endpoint's documented format.
"""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from fake_exchange import DAY_MS, HOUR_MS, FakeExchange, bundled_funding, day_ms

import hedgecore as hc
from hedgecore.cli import main
from hedgecore.data.exchange import FetchSettings
from hedgecore.data.fetch import FUNDING_COLUMNS, fetch_funding, load_fetched_funding, read_funding_history
from hedgecore.funding import funding_summary

pytest.importorskip("ccxt")

NOW = day_ms("2024-01-01") + 2 * HOUR_MS  # after the 2024-01-01 00:00 settlement
ETH_FILE = "data/market/funding/ETH-USDT_binance_2020-01-01_2024-01-01_funding_history.csv"


@pytest.fixture
def fake():
    with FakeExchange(timeout_sleep_s=0.6) as f:
        f.add_usdm("ETHUSDT", "ETH", funding=bundled_funding("ETH"))
        f.add_coinm("ETHUSD_PERP", "ETH", funding={t: round(r / 2, 8) for t, r in bundled_funding("ETH").items()})
        yield f


def settings(fake, **kw):
    return FetchSettings(api_url=fake.url, **({"timeout_s": 0.3, "retries": 2, "retry_wait_s": 0.01} | kw))


def test_usdm_history_round_trips_the_bundled_binance_file_in_five_pages(fake, tmp_path):
    [r] = fetch_funding(["binance:ETHUSDT"], tmp_path, since="2020-01-01", settings=settings(fake), now_ms=NOW)
    assert r.ok and r.added == 4383 and r.path.name == "binance_ETHUSDT_funding.csv"
    frame = read_funding_history(r.path)
    reference = hc.load_funding(ETH_FILE)  # the same settlements, read by the core loader
    assert frame.attrs["symbol"] == "binance:ETHUSDT"
    np.testing.assert_array_equal(frame.index.asi8, reference.index.asi8)
    np.testing.assert_array_equal(frame["funding_rate"].to_numpy(), reference.to_numpy())
    assert set(frame["interval_hours"]) == {8.0}
    requests = fake.requests_to("/fapi/v1/fundingRate")
    assert [q["limit"] for q in requests] == ["1000"] * 5 and requests[0]["startTime"] == str(day_ms("2020-01-01"))
    assert open(r.path).readline().strip() == ",".join(FUNDING_COLUMNS)
    # the load_funding-shaped reader gives the core loader's Series for the same settlements
    pd.testing.assert_series_equal(load_fetched_funding(r.path), reference.rename("binance:ETHUSDT"))


def test_coinm_uses_the_dapi_endpoints_and_appends_only_new_settlements(fake, tmp_path):
    first = day_ms("2023-12-01")
    [r] = fetch_funding(["binance:ETHUSD_PERP"], tmp_path, since="2023-12-01", settings=settings(fake),
                        now_ms=day_ms("2023-12-20"))
    assert r.added == 19 * 3 + 1 and fake.requests_to("/dapi/v1/exchangeInfo") and not fake.requests_to("/fapi/v1/fundingRate")
    fake.requests.clear()
    [r] = fetch_funding(["binance:ETHUSD_PERP"], tmp_path, settings=settings(fake), now_ms=NOW)
    assert r.added == 12 * 3 - 1 and r.last == "2023-12-31 16:00:00"  # the bundled history's last settlement
    [q] = fake.requests_to("/dapi/v1/fundingRate")
    assert int(q["startTime"]) == day_ms("2023-12-20")  # the stored last settlement (the overlap check)
    frame = read_funding_history(r.path)
    expected = {t: v for t, v in fake.coinm["ETHUSD_PERP"].funding.items() if first <= t <= NOW}
    assert frame["funding_rate"].tolist() == list(expected.values())
    assert frame.index.is_monotonic_increasing and not frame.index.has_duplicates


def test_interval_column_follows_a_switch_from_8h_to_4h(fake, tmp_path):
    t0 = day_ms("2024-01-01")
    times = [t0 + k * 8 * HOUR_MS for k in range(6)] + [t0 + 48 * HOUR_MS + k * 4 * HOUR_MS for k in range(6)]
    fake.add_usdm("BLZUSDT", "BLZ", funding={t: 0.0001 for t in times}, funding_hours=4)
    [r] = fetch_funding(["binance:BLZUSDT"], tmp_path, since="2024-01-01", settings=settings(fake),
                        now_ms=t0 + 4 * DAY_MS)
    frame = read_funding_history(r.path)
    assert frame["interval_hours"].tolist() == [8.0] * 6 + [8.0] + [4.0] * 5  # 40 h -> 48 h is 8 h; then 4 h
    summary = funding_summary(frame["funding_rate"], interval_hours=frame["interval_hours"], days=3)
    # days 1-2: three settlements of 0.01 % (0.01 % per 8 h); day 3: six (0.02 % per 8 h)
    assert (summary.last_day, summary.days) == ("2024-01-03", 3)
    assert summary.mean_per_8h == pytest.approx((1e-4 + 1e-4 + 2e-4) / 3)


def test_a_missing_settlement_keeps_the_previous_interval(fake, tmp_path):
    t0 = day_ms("2024-01-01")
    times = [t0 + k * 8 * HOUR_MS for k in range(9) if k != 4]  # 2024-01-02 08:00 missing: a 16 h gap
    fake.add_usdm("XUSDT", "X", funding={t: 0.0001 for t in times})
    [r] = fetch_funding(["binance:XUSDT"], tmp_path, since="2024-01-01", settings=settings(fake),
                        now_ms=t0 + 4 * DAY_MS)
    assert read_funding_history(r.path)["interval_hours"].tolist() == [8.0] * 8


def test_bybit_newest_first_pages_give_the_whole_history_once(tmp_path):
    t0 = day_ms("2023-01-01")
    rates = {t0 + k * 8 * HOUR_MS: round(1e-4 * np.sin(k), 8) for k in range(700)}
    with FakeExchange() as fake:
        fake.add_bybit("inverse", "ETHUSD", "ETH", risk=[], funding=rates)
        [r] = fetch_funding(["bybit:ETHUSD"], tmp_path, since="2023-01-01", settings=settings(fake),
                            now_ms=t0 + 700 * 8 * HOUR_MS)
        requests = fake.requests_to("/v5/market/funding/history")
    frame = read_funding_history(r.path)
    assert frame["funding_rate"].tolist() == list(rates.values())
    assert all(q["category"] == "inverse" and int(q["endTime"]) - int(q["startTime"]) < 200 * 8 * HOUR_MS
               for q in requests)
    assert len(requests) == 4  # 700 settlements, 200 per window of 200 · 8 h


def test_unknown_and_delisted_contracts_get_one_line(fake, tmp_path):
    fake.add_coinm("LUNAUSD_PERP", "LUNA", status="SETTLING")
    out = CliRunner().invoke(main, ["fetch", "funding", "binance:ETHUSD_PRP", "binance:LUNAUSD_PERP", "ETHUSDT",
                                    "-o", str(tmp_path), "--api-url", fake.url])
    assert out.exit_code == 1
    assert out.stderr.strip().splitlines() == [
        "error: binance:ETHUSD_PRP: binance lists no contract ETHUSD_PRP; did you mean ETHUSD_PERP, ETHUSDT, LUNAUSD_PERP?",
        "error: binance:LUNAUSD_PERP: not trading (status SETTLING; delisted?)",
        "error: ETHUSDT: name a contract as exchange:SYMBOL, e.g. binance:ETHUSD_PERP",
    ]
    assert list(tmp_path.iterdir()) == []


def test_a_timeout_mid_history_keeps_the_earlier_pages(fake, tmp_path):
    fake.fail("/fapi/v1/fundingRate", "timeout", times=3, after=2)
    [r] = fetch_funding(["binance:ETHUSDT"], tmp_path, since="2020-01-01", settings=settings(fake), now_ms=NOW)
    assert r.added == 2000 and r.error == "binance:ETHUSDT: binance did not answer within 0.3 s, gave up after 3 attempts"
    [r] = fetch_funding(["binance:ETHUSDT"], tmp_path, settings=settings(fake), now_ms=NOW)
    assert r.ok and r.added == 2383
    assert len(read_funding_history(r.path)) == 4383


def test_read_funding_history_names_file_and_line(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(",".join(FUNDING_COLUMNS) + "\nbinance:X,2024-01-01 08:00:00,0.0001,8\n"
                    "binance:X,2024-01-01 00:00:00,0.0001,8\n")
    with pytest.raises(hc.DataError, match=r"f.csv line 3: times must be increasing"):
        read_funding_history(path)
    path.write_text(",".join(FUNDING_COLUMNS) + "\nbinance:X,2024-01-01 08:00:00,abc,8\n")
    with pytest.raises(hc.DataError, match=r"line 2: cannot read 'abc'"):
        read_funding_history(path)
    with pytest.raises(hc.DataError, match="funding file not found"):
        read_funding_history(tmp_path / "nope.csv")


def test_summary_of_a_fetched_history_matches_a_resample_of_the_raw_rates(fake, tmp_path):
    [r] = fetch_funding(["binance:ETHUSDT"], tmp_path, since="2023-01-01", settings=settings(fake), now_ms=NOW)
    frame = read_funding_history(r.path)[: "2023-12-31 23:59"]
    s = funding_summary(frame["funding_rate"], interval_hours=frame["interval_hours"], days=30)
    daily = frame["funding_rate"].resample("D").sum()[-30:]  # every day has its 3 settlements
    assert (s.first_day, s.last_day, s.days) == ("2023-12-02", "2023-12-31", 30)
    assert s.mean_per_8h == pytest.approx(daily.mean() / 3, rel=1e-12)
    assert s.p05_per_8h == pytest.approx(np.percentile(daily / 3, 5), rel=1e-12)
    assert s.short_paid_frac == pytest.approx((daily < 0).mean())
    assert pd.Timestamp(s.last_day, tz="UTC") == frame.index[-1].floor("D")
