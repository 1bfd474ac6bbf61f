"""The built-in contract catalog (figures from DOMAIN.md §2, each row citing its source)."""

import dataclasses

import pytest

import hedgecore as hc

EXPECTED = {
    "binance:BTCUSD_PERP": ("inverse", 100, "BTC"),
    "binance:ETHUSD_PERP": ("inverse", 10, "ETH"),
    "binance:SOLUSD_PERP": ("inverse", 10, "SOL"),
    "bybit:BTCUSD": ("inverse", 1, "BTC"),
    "bybit:ETHUSD": ("inverse", 1, "ETH"),
    "deribit:BTC-PERPETUAL": ("inverse", 10, "BTC"),
    "deribit:ETH-PERPETUAL": ("inverse", 1, "ETH"),
    "okx:BTC-USD-SWAP": ("inverse", 100, "BTC"),
    "okx:ETH-USD-SWAP": ("inverse", 10, "ETH"),
    "binance:BTCUSDT": ("linear", 1, "USDT"),  # quantity in coins, 0.001 steps (see test_lots)
    "binance:ETHUSDT": ("linear", 1, "USDT"),
    "okx:BTC-USDT-SWAP": ("linear", 0.01, "USDT"),
    "okx:ETH-USDT-SWAP": ("linear", 0.1, "USDT"),
}


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_catalog_rows(name, expected):
    spec = hc.get_contract(name)
    assert (spec.contract_type, spec.contract_size, spec.margin_asset) == expected
    assert spec.source.strip()
    assert spec.funding_interval_hours == 8


def test_every_row_has_a_source_and_valid_fields():
    specs = hc.catalog()
    assert len({s.name.lower() for s in specs}) == len(specs)
    for s in specs:
        assert s.contract_type in hc.CONTRACT_TYPES
        assert s.contract_size > 0
        assert "http" in s.source or "@" in s.source
        if s.contract_type == "inverse":
            assert s.margin_asset == s.base_asset


def test_lookup_is_case_insensitive_and_bare_symbol_works():
    assert hc.get_contract("BINANCE:ethusd_perp") == hc.get_contract("ETHUSD_PERP")
    assert hc.get_contract(" okx:btc-usd-swap ").contract_size == 100


def test_ambiguous_bare_symbol_lists_the_candidates():
    # Bybit's linear BTCUSDT is not in the catalog, so only Binance's: unambiguous.
    assert hc.get_contract("BTCUSDT").exchange == "binance"


def test_unknown_name_lists_close_matches():
    with pytest.raises(hc.UnknownContractError, match=r"unknown contract 'ETHUSD_PERPX'; did you mean binance:ETHUSD_PERP"):
        hc.get_contract("ETHUSD_PERPX")
    with pytest.raises(hc.InvalidInputError):
        hc.get_contract("")


def test_spec_is_frozen():
    spec = hc.get_contract("ETHUSD_PERP")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.contract_size = 1  # type: ignore[misc]
