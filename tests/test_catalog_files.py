"""Catalog files: tiers.csv, lot facts, funding interval, and user catalogs (HEDGECORE_CATALOG)."""

import math

import pytest

import hedgecore as hc

HEADER = ",".join(hc.CONTRACT_COLUMNS) + "\n"
TIER_HEADER = ",".join(hc.TIER_COLUMNS) + "\n"


def write(folder, contracts, tiers=None):
    (folder / "contracts.csv").write_text(HEADER + contracts)
    if tiers is not None:
        (folder / "tiers.csv").write_text(TIER_HEADER + tiers)
    return folder


def test_binance_usdm_tiers_are_the_freqtrade_snapshot():
    # freqtrade/freqtrade freqtrade/exchange/binance_leverage_tiers.json @c9ae5e1e9ff2 (DOMAIN.md §5.3, M3)
    spec = hc.get_contract("binance:BTCUSDT")
    assert "c9ae5e1e9ff2" in spec.tiers_source
    assert [b.floor for b in spec.tiers[:8]] == [0, 50e3, 600e3, 3e6, 12e6, 70e6, 100e6, 230e6]
    assert [b.maintenance_amount for b in spec.tiers[:8]] == [0, 50, 950, 11_450, 131_450, 481_450, 2_981_450,
                                                             14_481_450]
    assert [b.max_leverage for b in spec.tiers] == [125, 100, 75, 50, 25, 20, 10, 5, 4, 3, 2, 1]
    rebuilt = hc.brackets_from_rates([b.floor for b in spec.tiers], [b.maintenance_rate for b in spec.tiers])
    assert [b.maintenance_amount for b in rebuilt] == pytest.approx([b.maintenance_amount for b in spec.tiers])
    eth = hc.get_contract("ETHUSDT").tiers
    assert (eth[4].floor, eth[4].cap, eth[4].maintenance_rate, eth[4].maintenance_amount) == (12e6, 50e6, 0.02, 131_450)


def test_coin_m_has_no_invented_tier_table():
    spec = hc.get_contract("binance:ETHUSD_PERP")
    assert spec.tiers == () and "no public table found" in spec.source
    assert hc.margin_brackets(spec)[0].maintenance_rate == hc.DEFAULT_MAINTENANCE_RATE


def test_lot_facts_and_sizing_in_steps():
    btc = hc.get_contract("binance:BTCUSDT")
    assert (btc.contract_size, btc.qty_step, btc.min_qty) == (1.0, 0.001, 0.001)
    perp = hc.get_contract("binance:BTCUSD_PERP")
    assert (perp.tick_size, perp.qty_step, perp.min_qty) == (0.1, 1.0, 1.0)
    assert hc.get_contract("ETHUSD_PERP").tick_size is None  # not sourced
    # DOMAIN.md §9 linear: 24,000 USD at 64,000 is 0.375 BTC, not "375 contracts of 0.001"
    assert hc.hedge_contracts(24_000, 64_000, "binance:BTCUSDT") == 0.375
    assert hc.hedge_contracts(24_010, 64_000, "binance:BTCUSDT") == 0.375  # 0.37516 → 0.375
    assert hc.hedge_contracts(24_010, 64_000, "binance:BTCUSDT", rounding="up") == 0.376
    assert hc.hedge_contracts(20, 64_000, "binance:BTCUSDT") == 0.0  # 0.0003 BTC: below half the minimum
    assert hc.round_contracts(0.0004, "up", step=0.0001, min_qty=0.001) == 0.001
    assert hc.hedge_contracts(24_000, 64_000, 1, contract_type="linear", qty_step=0.01) == 0.38


def test_funding_interval_from_the_catalog(tmp_path, monkeypatch):
    # A user catalog runs ETHUSD_PERP at 4 h: 6 payments a day instead of 3 (Binance per-symbol intervals)
    write(tmp_path, "binance,ETHUSD_PERP,inverse,10,ETH,ETH,4,0.01,1,1,test copy of exchangeInfo\n")
    eight = hc.hedge_plan(49_000, 3_500, "binance:ETHUSD_PERP", funding_rate=0.0001)
    monkeypatch.setenv(hc.contracts.CATALOG_ENV, str(tmp_path))
    four = hc.hedge_plan(49_000, 3_500, "binance:ETHUSD_PERP", funding_rate=0.0001)
    assert (eight.funding_interval_hours, four.funding_interval_hours) == (8.0, 4.0)
    assert eight.funding_per_day_usd == pytest.approx(-49_000 * 0.0001 * 3)
    assert four.funding_per_day_usd == pytest.approx(-49_000 * 0.0001 * 6)
    df = hc.scenario_pnl(49_000, 1.0, 49_000, 3_500, [0.0], contract="ETHUSD_PERP", funding_rate=0.0001, days=2)
    assert df["Funding"].iloc[0] == pytest.approx(49_000 * 0.0001 * 12)


def test_user_catalog_replaces_a_contract_and_its_tiers(tmp_path, monkeypatch):
    write(tmp_path, "binance,BTCUSDT,linear,1,BTC,USDT,8,0.1,0.001,0.001,mine\n"
                    "kraken,PF_XBTUSD,linear,1,BTC,USD,4,0.5,0.0001,0.0001,mine\n",
          "binance,BTCUSDT,1,0,100000,0.004,,50,mine\nbinance,BTCUSDT,2,100000,,0.01,600,20,mine\n")
    specs = {s.name: s for s in hc.load_catalog(tmp_path)}
    assert len(specs["binance:BTCUSDT"].tiers) == 2 and specs["binance:BTCUSDT"].tiers[1].maintenance_amount == 600
    assert math.isinf(specs["binance:BTCUSDT"].tiers[1].cap) and specs["kraken:PF_XBTUSD"].tiers == ()
    assert "binance:ETHUSD_PERP" in specs  # the built-in rows stay
    monkeypatch.setenv(hc.contracts.CATALOG_ENV, str(tmp_path))
    assert hc.get_contract("PF_XBTUSD").funding_interval_hours == 4
    monkeypatch.delenv(hc.contracts.CATALOG_ENV)
    assert len(hc.get_contract("binance:BTCUSDT").tiers) == 12


@pytest.mark.parametrize(
    ("contracts", "tiers", "message"),
    [
        ("binance,X,inverse,-10,X,X,8,,1,1,s\n", None, "contracts.csv line 2: contract_size must be a finite number"),
        ("binance,X,quanto,10,X,X,8,,1,1,s\n", None, 'line 2: contract_type must be "inverse" or "linear"'),
        ("binance,X,inverse,10,X,USDT,8,,1,1,s\n", None, "margined in its base coin"),
        ("binance,X,inverse,10,X,X,8,,1,1,\n", None, "line 2: source is empty"),
        ("binance,X,inverse,10,X,X,8,,1,1,s\nbinance,X,inverse,10,X,X,8,,1,1,s\n", None, "line 3: contract binance:X"),
        ("a,X,inverse,10,X,X,8,,1,1,s\n", "a,X,1,0,10,0.01,,,s\na,X,2,10,,0.02,5,,s\n",
         "tiers.csv line 3: maintenance_amount 5 breaks the cum rule (expected 0.1)"),
        ("a,X,inverse,10,X,X,8,,1,1,s\n", "a,X,1,0,10,0.01,,,s\na,X,2,12,,0.02,,,s\n", "line 3: floor 12 must equal"),
        ("a,X,inverse,10,X,X,8,,1,1,s\n", "a,X,2,0,10,0.01,,,s\n", "line 2: tiers of a:x must be numbered"),
        ("a,X,inverse,10,X,X,8,,1,1,s\n", "b,Y,1,0,,0.01,,,s\n", "contract b:y is in no contracts.csv"),
    ],
)
def test_bad_catalog_rows_name_the_file_and_line(tmp_path, contracts, tiers, message):
    write(tmp_path, contracts, tiers)
    with pytest.raises(hc.DataError) as err:
        hc.load_catalog(tmp_path)
    assert message in str(err.value) and len(str(err.value)) < 255


def test_missing_file_or_column(tmp_path):
    with pytest.raises(hc.DataError, match="has no contracts.csv"):
        hc.load_catalog(tmp_path)
    (tmp_path / "contracts.csv").write_text("exchange,symbol\nbinance,X\n")
    with pytest.raises(hc.DataError, match="missing column\\(s\\) contract_type"):
        hc.load_catalog(tmp_path)
