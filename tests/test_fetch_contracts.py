"""`hedgecore fetch contracts` and `hedgecore contracts --diff` against the local fake exchange."""

import csv
import json

import pytest
from click.testing import CliRunner
from fake_exchange import FakeExchange

from hedgecore.cli import main
from hedgecore.contracts import CONTRACT_COLUMNS, TIER_COLUMNS, load_catalog
from hedgecore.data.catalog import builtin_rows, diff_catalogs, fetch_contracts
from hedgecore.data.exchange import FetchSettings

pytest.importorskip("ccxt")

# DOMAIN.md §5.2: the BTCUSD ladder whose cum column reproduces Binance's published 0.56 and 1.81 BTC,
# served as a Bybit inverse risk-limit table without mmDeduction (so the cum rule must rebuild it).
LADDER = [(10, "0.004", 125), (20, "0.005", 100), (30, "0.01", 50), (50, "0.025", 20), (100, "0.05", 10)]
CUM = [0.0, 0.01, 0.11, 0.56, 1.81]
# Bybit linear BTCUSDT as returned by /v5/market/risk-limit (decimal rates; carpenstar/bybitapi-sdk-derivatives
# README sample): 2,000,000 USDT at 0.5 % / 1 % / 100x, then 4,000,000 at 1 % / 1.75 % / 57.14x.
LINEAR = [{"id": 1, "riskLimitValue": "2000000", "maintenanceMargin": "0.005", "initialMargin": "0.01",
           "isLowestRisk": 1, "maxLeverage": "100.00", "mmDeduction": "0"},
          {"id": 2, "riskLimitValue": "4000000", "maintenanceMargin": "0.01", "initialMargin": "0.0175",
           "isLowestRisk": 0, "maxLeverage": "57.14", "mmDeduction": "10000"}]
# The Bybit v5 docs' own example row uses percents: 150 BTC, maintenanceMargin 0.5, initialMargin 1, 100x.
PERCENT = [{"id": 1, "riskLimitValue": "150", "maintenanceMargin": "0.5", "initialMargin": "1", "isLowestRisk": 1,
            "maxLeverage": "100.00", "mmDeduction": ""}]


@pytest.fixture
def fake():
    with FakeExchange() as f:
        f.add_coinm("ETHUSD_PERP", "ETH", contract_size=10, tick="0.01")
        f.add_coinm("BTCUSD_PERP", "BTC", contract_size=100, tick="0.1")
        f.add_usdm("BTCUSDT", "BTC", tick="0.10", step="0.001", min_qty="0.001")
        f.add_usdm("BLZUSDT", "BLZ", tick="0.00001", step="1", min_qty="1", funding_hours=4)
        ladder = [{"id": k + 1, "riskLimitValue": str(cap), "maintenanceMargin": mmr,
                   "initialMargin": repr(round(1 / lev, 6)), "isLowestRisk": int(k == 0), "maxLeverage": f"{lev}.00",
                   "mmDeduction": ""} for k, (cap, mmr, lev) in enumerate(LADDER)]
        f.add_bybit("inverse", "BTCUSD", "BTC", risk=ladder, tick="0.50", step="1", min_qty="1")
        f.add_bybit("linear", "BTCUSDT", "BTC", risk=LINEAR, tick="0.10", step="0.001", min_qty="0.001")
        f.add_bybit("inverse", "ETHUSD", "ETH", risk=PERCENT, tick="0.05", funding_minutes=240)
        yield f


def rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def fetch(fake, tmp_path, *names):
    return fetch_contracts(names, tmp_path, settings=FetchSettings(api_url=fake.url, retry_wait_s=0.01),
                           fetched="2026-01-02")


def test_specs_in_the_shared_schema(fake, tmp_path):
    results = fetch(fake, tmp_path, "binance:ETHUSD_PERP", "binance:BTCUSDT", "binance:BLZUSDT", "bybit:BTCUSD",
                    "bybit:BTCUSDT")
    assert all(r.error is None for r in results)
    got = rows(tmp_path / "contracts.csv")
    assert list(got[0]) == list(CONTRACT_COLUMNS)
    table = [[r[f] for f in CONTRACT_COLUMNS[:-1]] for r in got]
    assert table == [
        ["binance", "ETHUSD_PERP", "inverse", "10", "ETH", "ETH", "8", "0.01", "1", "1"],
        ["binance", "BTCUSDT", "linear", "1", "BTC", "USDT", "8", "0.1", "0.001", "0.001"],
        ["binance", "BLZUSDT", "linear", "1", "BLZ", "USDT", "4", "1e-05", "1", "1"],  # fundingInfo: 4 h
        ["bybit", "BTCUSD", "inverse", "1", "BTC", "BTC", "8", "0.5", "1", "1"],  # face 1 USD, not ccxt's minOrderQty
        ["bybit", "BTCUSDT", "linear", "1", "BTC", "USDT", "8", "0.1", "0.001", "0.001"],
    ]
    assert got[0]["source"] == "binance /dapi/v1/exchangeInfo fetched 2026-01-02 (ccxt 4.5.90)"
    assert got[3]["source"] == "bybit /v5/market/instruments-info fetched 2026-01-02 (ccxt 4.5.90)"


def test_bybit_tiers_with_the_cum_rule_and_binance_needs_a_key(fake, tmp_path):
    results = fetch(fake, tmp_path, "binance:ETHUSD_PERP", "bybit:BTCUSD", "bybit:BTCUSDT", "bybit:ETHUSD")
    assert results[0].tiers is None and results[0].note == (
        "binance:ETHUSD_PERP: no tier table (binance serves its brackets only with an API key, "
        "/dapi/v2/leverageBracket); tiers.csv has none for it")
    tiers = rows(tmp_path / "tiers.csv")
    assert list(tiers[0]) == list(TIER_COLUMNS)
    btc = [t for t in tiers if t["symbol"] == "BTCUSD"]
    assert [(t["tier"], t["floor"], t["cap"], t["maintenance_rate"], t["max_leverage"]) for t in btc] == [
        ("1", "0", "10", "0.004", "125"), ("2", "10", "20", "0.005", "100"), ("3", "20", "30", "0.01", "50"),
        ("4", "30", "50", "0.025", "20"), ("5", "50", "100", "0.05", "10")]
    assert [float(t["maintenance_amount"]) for t in btc] == pytest.approx(CUM, abs=1e-12)
    assert btc[0]["source"].endswith("maintenance_amount by the cum rule")
    linear = [t for t in tiers if t["symbol"] == "BTCUSDT"]
    assert [(t["floor"], t["cap"], t["maintenance_rate"], t["maintenance_amount"]) for t in linear] == [
        ("0", "2000000", "0.005", "0"), ("2000000", "4000000", "0.01", "10000")]
    [eth] = [t for t in tiers if t["symbol"] == "ETHUSD"]
    assert (eth["cap"], eth["maintenance_rate"]) == ("150", "0.005")  # percent-style answer converted
    assert [r["funding_interval_hours"] for r in rows(tmp_path / "contracts.csv") if r["symbol"] == "ETHUSD"] == ["4"]


def test_fetching_again_replaces_only_those_contracts(fake, tmp_path):
    fetch(fake, tmp_path, "binance:ETHUSD_PERP", "bybit:BTCUSD", "bybit:BTCUSDT")
    fake.coinm["ETHUSD_PERP"].tick = "0.05"
    fake.bybit[("linear", "BTCUSDT")].risk = LINEAR[:1]
    results = fetch(fake, tmp_path, "binance:ETHUSD_PERP", "bybit:BTCUSDT", "bybit:NOPE")
    assert results[2].error == "bybit:NOPE: bybit lists no contract NOPE"
    got = rows(tmp_path / "contracts.csv")
    assert [(r["exchange"], r["symbol"], r["tick_size"]) for r in got] == [
        ("bybit", "BTCUSD", "0.5"), ("binance", "ETHUSD_PERP", "0.05"), ("bybit", "BTCUSDT", "0.1")]
    tiers = rows(tmp_path / "tiers.csv")
    assert [t["symbol"] for t in tiers] == ["BTCUSD"] * 5 + ["BTCUSDT"]


def test_cli_lines_and_failures(fake, tmp_path):
    out = CliRunner().invoke(main, ["fetch", "contracts", "binance:ETHUSD_PERP", "bybit:BTCUSD", "okx:BTC-USD-SWAP",
                                    "-o", str(tmp_path), "--api-url", fake.url])
    assert out.exit_code == 1
    assert out.stdout.splitlines() == [
        "binance:ETHUSD_PERP: inverse 10 per contract, tick 0.01, step 1, funding every 8 h",
        "bybit:BTCUSD: inverse 1 per contract, tick 0.5, step 1, funding every 8 h, 5 tiers",
        f"wrote {tmp_path / 'contracts.csv'} and {tmp_path / 'tiers.csv'}",
    ]
    err = out.stderr.splitlines()
    assert err[0].startswith("note: binance:ETHUSD_PERP: no tier table")
    assert err[1] == "error: okx:BTC-USD-SWAP: contract markets of okx are not supported (use binance or bybit)"


def test_connection_refused_writes_nothing(tmp_path):
    from fake_exchange import free_port

    results = fetch_contracts(["binance:ETHUSD_PERP"], tmp_path,
                              settings=FetchSettings(api_url=f"http://127.0.0.1:{free_port()}", retries=0))
    assert results[0].error == "binance:ETHUSD_PERP: cannot reach binance (connection refused), gave up after 1 attempt"
    assert not (tmp_path / "contracts.csv").exists()


def test_binance_contracts_keep_the_built_in_tier_table(fake, tmp_path):
    [r] = fetch(fake, tmp_path, "binance:BTCUSDT")
    assert r.note.endswith("/fapi/v1/leverageBracket); kept the built-in table (12 tiers)")
    kept = [t for t in builtin_rows("tiers.csv") if t["symbol"] == "BTCUSDT"]
    assert rows(tmp_path / "tiers.csv") == kept  # same rows, same sources (freqtrade snapshot)


def test_the_fetched_folder_loads_as_a_catalog(fake, tmp_path):
    fetch(fake, tmp_path, "binance:ETHUSD_PERP", "binance:BTCUSDT", "bybit:BTCUSD", "bybit:BTCUSDT")
    specs = {s.name: s for s in load_catalog(tmp_path)}
    eth = specs["binance:ETHUSD_PERP"]
    assert (eth.contract_size, eth.tick_size, eth.qty_step, eth.min_qty, eth.tiers) == (10.0, 0.01, 1.0, 1.0, ())
    btc = specs["bybit:BTCUSD"]
    assert [(b.floor, b.cap, b.maintenance_rate, b.max_leverage) for b in btc.tiers][:2] == [
        (0.0, 10.0, 0.004, 125.0), (10.0, 20.0, 0.005, 100.0)]
    assert [b.maintenance_amount for b in btc.tiers] == pytest.approx(CUM)
    assert len(specs["binance:BTCUSDT"].tiers) == 12 and specs["bybit:BTCUSDT"].tiers[1].maintenance_amount == 10000
    assert "binance:SOLUSD_PERP" in specs  # laid over the built-in catalog


def test_a_deduction_that_breaks_the_cum_rule_is_refused(fake, tmp_path):
    fake.bybit[("linear", "BTCUSDT")].risk = [LINEAR[0], dict(LINEAR[1], mmDeduction="10500")]
    [r] = fetch(fake, tmp_path, "bybit:BTCUSDT")
    assert r.error == "bybit:BTCUSDT: bybit tier 2 mmDeduction 10500 breaks the cum rule (expected 10000)"
    assert not (tmp_path / "contracts.csv").exists()


def test_diff_shows_where_the_built_in_catalog_differs(fake, tmp_path):
    fetch(fake, tmp_path, "binance:ETHUSD_PERP", "binance:BTCUSDT", "bybit:BTCUSDT")
    out = CliRunner().invoke(main, ["contracts", "--diff", "--catalog", str(tmp_path)])
    assert out.exit_code == 1  # differences found, like diff(1)
    assert [line.split() for line in out.stdout.splitlines()[:-1]] == [
        ["binance:ETHUSD_PERP", "tick_size", "built-in", "-", "fetched", "0.01"],
        ["binance:BTCUSDT", "tick_size", "built-in", "-", "fetched", "0.1"],
        ["bybit:BTCUSDT", "not", "in", "the", "built-in", "catalog"],
    ]
    assert out.stdout.splitlines()[-1].startswith("3 differences in 3 fetched contracts; 20 built-in contracts")
    # a changed tier shows tier by tier; --json and $HEDGECORE_CATALOG
    tiers = (tmp_path / "tiers.csv").read_text().replace(",2,50000,600000,0.005,50,", ",2,50000,600000,0.006,100,")
    (tmp_path / "tiers.csv").write_text(tiers)
    data = json.loads(CliRunner().invoke(main, ["contracts", "--diff", "--json"],
                                         env={"HEDGECORE_CATALOG": str(tmp_path)}).stdout)
    assert {"name": "binance:BTCUSDT", "field": "tier 2 maintenance_rate", "builtin": "0.005",
            "fetched": "0.006"} in data["differences"]


def test_diff_of_an_identical_catalog_exits_0(tmp_path):
    same = [r for r in builtin_rows() if r["symbol"] in ("ETHUSD_PERP", "BTCUSD")]
    with open(tmp_path / "contracts.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CONTRACT_COLUMNS)
        writer.writeheader()
        writer.writerows(dict(r, funding_interval_hours="8.0") for r in same)
    out = CliRunner().invoke(main, ["contracts", "--diff", "--catalog", str(tmp_path)])
    assert out.exit_code == 0 and out.stdout.startswith("0 differences in 2 fetched contracts")
    assert diff_catalogs(builtin_rows(), []) == ([], [f"{r['exchange']}:{r['symbol']}" for r in builtin_rows()])


def test_diff_needs_a_catalog_and_a_readable_one(tmp_path):
    out = CliRunner().invoke(main, ["contracts", "--diff"], env={"HEDGECORE_CATALOG": ""})
    assert out.exit_code == 2 and "--diff needs --catalog" in out.output
    (tmp_path / "contracts.csv").write_text("exchange,symbol\nbinance,X\n")
    out = CliRunner().invoke(main, ["contracts", "--diff", "--catalog", str(tmp_path)])
    assert out.exit_code == 2 and out.stderr.startswith("error: ") and "missing columns contract_type" in out.stderr
