"""addin/main.py through the real Office.js code path (xlwings.server), as Lite runs it."""

import inspect
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from excel_harness import NOT_AVAILABLE, metadata, run_udf

import hedgecore
import hedgecore.stats
from hedgecore.contracts import CONTRACT_SPEC_LABELS
from hedgecore.plan import PLAN_LABELS

DATA = Path(__file__).resolve().parents[2] / "data" / "market" / "prices_daily"

EXPECTED = {
    # name: (required params, optional params)
    "HEDGE_CONTRACTS": (
        ["exposure", "price", "contract_size"],
        ["hedge_ratio", "contract_type", "rounding", "collateral"],
    ),
    "BETA": (["asset_prices", "benchmark_prices"], ["returns", "data"]),
    "SCENARIO_PNL": (
        ["exposure", "beta", "hedge_notional", "entry_price", "shocks"],
        ["contract_type", "collateral", "funding_rate", "days"],
    ),
    "HEDGE_PLAN": (
        ["exposure", "price", "contract_size"],
        ["hedge_ratio", "contract_type", "rounding", "collateral", "leverage", "maintenance_rate", "funding_rate"],
    ),
    "BETA_STATS": (["asset_prices", "benchmark_prices"], ["returns", "data"]),
    "ROLLING_BETA": (["asset_prices", "benchmark_prices", "window"], ["returns", "data"]),
    "LIQUIDATION_PRICE": (
        ["entry_price", "contracts", "wallet_balance", "side", "contract_size"],
        ["contract_type", "maintenance_rate", "maintenance_amount"],
    ),
    "FUNDING_COST": (["notional", "funding_rate", "days"], ["side", "interval_hours"]),
    "CONTRACT_SPEC": (["name"], ["field"]),
}
ENUMS = {
    "contract_type": {"inverse", "linear"},
    "rounding": {"nearest", "down", "up", "none"},
    "returns": {"simple", "log"},
    "data": {"prices", "returns"},
    "side": {"short", "long"},
    "field": {f for f, _ in CONTRACT_SPEC_LABELS},
}


def closes(symbol):
    frame = pd.read_csv(DATA / f"{symbol}-USD.csv", usecols=["Date", "Close"])
    return frame.set_index("Date")["Close"]


@pytest.fixture(scope="module")
def eth_btc():
    both = pd.concat([closes("ETH"), closes("BTC")], axis=1, join="inner").dropna()
    return both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy()


def column(values):
    return [[v] for v in values]


# --------------------------------------------------------------------------- registration


def test_metadata_lists_exactly_the_functions(main_module):
    meta = metadata(main_module)
    assert {f["id"] for f in meta["functions"]} == set(EXPECTED)
    # no namespace: the same formula text works in Lite and in classic
    assert all(f["name"] == f["id"] for f in meta["functions"])


def test_descriptions_params_and_optional_flags(main_module):
    meta = {f["id"]: f for f in metadata(main_module)["functions"]}
    for name, (required, optional) in EXPECTED.items():
        f = meta[name]
        python = getattr(main_module, name.lower())
        assert f["description"] == inspect.getdoc(python)
        assert "\n" not in f["description"] and 10 < len(f["description"]) < 255
        params = f["parameters"]
        assert [p["name"] for p in params] == required + optional
        for p in params:
            assert p["description"] and not p["description"].startswith("Positional argument")
            assert len(p["description"]) < 255
            assert bool(p.get("optional")) is (p["name"] in optional), (name, p["name"])


def test_option_arguments_get_dropdowns(main_module):
    meta = metadata(main_module)
    enums = {e["id"]: {v["stringValue"] for v in e["values"]} for e in meta["enums"]}
    for f in meta["functions"]:
        for p in f["parameters"]:
            if p["name"] in ENUMS:
                assert enums[p["customEnumId"]] == ENUMS[p["name"]]
            else:
                assert "customEnumId" not in p


# --------------------------------------------------------------------------- seed article


@pytest.mark.parametrize(
    "args, expected",
    [
        ((10000, 3500, 1, 1, "linear", "none"), 2.857142857142857),
        ((10000, 3500, 1, 1, "linear", "down"), 2.0),
        ((10000, 3500, 1, 1, "linear", "up"), 3.0),
        ((50000, 3500, 1, 1, "linear"), 14.0),  # Alice
        ((49000, 3500, "ETHUSD_PERP"), 4900.0),
        ((49000, 3500, "binance:ETHUSD_PERP"), 4900.0),
    ],
)
def test_seed_article_hedge_contracts(main_module, args, expected):
    out = run_udf(main_module, "hedge_contracts", *args)
    assert out == [[pytest.approx(expected, rel=1e-12)]]


def test_seed_article_scenario_pnl(main_module):
    out = run_udf(main_module, "scenario_pnl", 50000, 1, 49000, 3500, [[-0.15], [0.15]], "linear")
    header, *rows = out
    assert header == [*hedgecore.SCENARIO_COLUMNS, "Alt move"]
    net = header.index("Net P&L")
    assert [r[net] for r in rows] == [pytest.approx(-150.0), pytest.approx(150.0)]
    assert [r[header.index("Spot P&L")] for r in rows] == [pytest.approx(-7500.0), pytest.approx(7500.0)]


# --------------------------------------------------------------------------- equal to the core


def test_hedge_contracts_equals_core(main_module):
    for args, kwargs in [
        ((24000, 64000, "binance:BTCUSD_PERP"), {"collateral_coin": 0.25}),
        ((10000, 2.5, 100), {"hedge_ratio": 1.5, "rounding": "up"}),
        ((-5000, 3500, 1), {"contract_type": "linear", "rounding": "none"}),
    ]:
        py_args = [*args, kwargs.get("hedge_ratio"), kwargs.get("contract_type"), kwargs.get("rounding"),
                   kwargs.get("collateral_coin")]
        out = run_udf(main_module, "hedge_contracts", *py_args)
        assert out == [[hedgecore.hedge_contracts(*args, **kwargs)]]


def test_hedge_plan_equals_core(main_module):
    out = run_udf(main_module, "hedge_plan", 24000, 64000, "binance:BTCUSD_PERP", None, None, None, 0.25, None, 0.004)
    plan = hedgecore.hedge_plan(24000, 64000, "binance:BTCUSD_PERP", collateral_coin=0.25, maintenance_rate=0.004)
    assert len(out) == len(PLAN_LABELS) and all(len(r) == 2 for r in out)
    for (field, _), (label, value) in zip(PLAN_LABELS, out):
        assert value == pytest.approx(getattr(plan, field)), field
    labels = [r[0] for r in out]
    assert "Initial margin (coin)" in labels
    assert dict(out)["Liquidation price (USD)"] == pytest.approx(106240.0)
    assert dict(out)["Contracts to short"] == 400.0


def test_hedge_plan_unliquidatable_short_shows_none(main_module):
    out = dict(run_udf(main_module, "hedge_plan", 50000, 3500, "ETHUSD_PERP"))
    assert out["Liquidation price (USD)"] == "none"
    assert out["Liquidation distance from price"] == "none"


def test_liquidation_price(main_module):
    out = run_udf(main_module, "liquidation_price", 64000, 400, 0.25, "short", 100, None, 0.004)
    assert out == [[pytest.approx(106240.0)]]
    expected = hedgecore.liquidation_price(3500, 14, 7000, side="LONG", contract_type="linear", contract_size=1,
                                           maintenance_rate=0.005)
    assert run_udf(main_module, "liquidation_price", 3500, 14, 7000, "LONG", 1, "linear") == [[expected]]
    # 1x inverse short on same-coin collateral: no rise liquidates it
    assert run_udf(main_module, "liquidation_price", 3500, 4900, 14, "short", "ETHUSD_PERP") == [["none"]]


def test_funding_cost(main_module):
    assert run_udf(main_module, "funding_cost", 40000, 0.0001, 1) == [[pytest.approx(-12.0)]]
    expected = hedgecore.funding_cost_usd(40000, 0.0001, 30, side="long", interval_hours=4)
    assert run_udf(main_module, "funding_cost", 40000, 0.0001, 30, "Long", 4) == [[expected]]


def test_contract_spec(main_module):
    spec = hedgecore.get_contract("binance:ETHUSD_PERP")
    out = run_udf(main_module, "contract_spec", "ETHUSD_PERP")
    assert out == [[label, getattr(spec, field)] for field, label in CONTRACT_SPEC_LABELS]
    assert run_udf(main_module, "contract_spec", "ethusd_perp", "contract_size") == [[10.0]]
    assert run_udf(main_module, "contract_spec", "ETHUSD_PERP", "Margin asset") == [["ETH"]]
    assert run_udf(main_module, "contract_spec", "ETHUSD_PERP", None) == out


def test_beta_real_prices_equal_core(main_module, eth_btc):
    eth, btc = eth_btc
    assert len(eth) > 1000
    for returns in ("simple", "log"):
        out = run_udf(main_module, "beta", column(eth.tolist()), column(btc.tolist()), returns)
        assert out == [[pytest.approx(hedgecore.stats.beta(eth, btc, returns=returns), rel=1e-12)]]
    # a row works as well as a column
    out = run_udf(main_module, "beta", [eth.tolist()], [btc.tolist()])
    assert out == [[pytest.approx(hedgecore.stats.beta(eth, btc), rel=1e-12)]]
    assert 0.5 < out[0][0] < 2.0


def test_beta_stats_equal_core(main_module, eth_btc):
    eth, btc = eth_btc
    out = run_udf(main_module, "beta_stats", column(eth.tolist()), column(btc.tolist()))
    stats = hedgecore.stats.beta_stats(eth, btc)
    assert [r[0] for r in out] == list(hedgecore.stats.BETA_STATS_LABELS)
    assert [r[1] for r in out] == [pytest.approx(v, rel=1e-12) for v in stats.as_dict().values()]


def test_rolling_beta_aligned_with_rows(main_module, eth_btc):
    eth, btc = eth_btc
    eth, btc = eth[:200], btc[:200]
    out = run_udf(main_module, "rolling_beta", column(eth.tolist()), column(btc.tolist()), 30)
    core = hedgecore.stats.rolling_beta(eth, btc, 30)
    assert len(out) == 200 and all(len(r) == 1 for r in out)
    assert [r[0] for r in out[:30]] == [""] * 30
    assert [r[0] for r in out[30:]] == [pytest.approx(v, rel=1e-12) for v in core[30:]]
    row = run_udf(main_module, "rolling_beta", [eth.tolist()], [btc.tolist()], 30)
    assert len(row) == 1 and row[0] == [r[0] for r in out]


# --------------------------------------------------------------------------- blanks, headers, errors


@pytest.mark.parametrize("blank", [None, "", 0], ids=["None", "empty-string", "zero"])
def test_beta_blank_cells_are_missing(main_module, eth_btc, blank):
    eth, btc = (a[:300].tolist() for a in eth_btc)
    holes = [5, 50, 51, 299]
    asset = list(eth)
    for i in holes:
        asset[i] = blank
    expected_asset = np.array(eth, dtype=float)
    expected_asset[holes] = np.nan
    expected = hedgecore.stats.beta(expected_asset, np.array(btc))
    assert math.isfinite(expected)
    assert run_udf(main_module, "beta", column(asset), column(btc)) == [[pytest.approx(expected, rel=1e-12)]]


def test_beta_header_cells_are_ignored(main_module, eth_btc):
    eth, btc = (a[:300].tolist() for a in eth_btc)
    out = run_udf(main_module, "beta", column(["ETH-USD", *eth]), column(["BTC-USD", *btc]))
    assert out == [[pytest.approx(hedgecore.stats.beta(np.array(eth), np.array(btc)), rel=1e-12)]]


def test_beta_too_little_data_is_na(main_module):
    assert run_udf(main_module, "beta", [[100], [101]], [[10], [11]]) == [[NOT_AVAILABLE]]
    assert run_udf(main_module, "beta", [[100], [101]], [[10], [11]], runtime="1.1") == [["#N/A"]]


def test_scenario_shocks_skip_blanks_and_headers_keep_zero(main_module):
    out = run_udf(main_module, "scenario_pnl", 50000, 1, 49000, 3500, [["Shock"], [-0.1], [None], [""], [0], [0.1]])
    assert [r[0] for r in out[1:]] == [-0.1, 0.0, 0.1]
    frame = hedgecore.scenario_pnl(50000, 1, 49000, 3500, [-0.1, 0, 0.1])
    assert out[1:] == [[pytest.approx(v) for v in row] for row in frame.to_numpy().tolist()]
    row = run_udf(main_module, "scenario_pnl", 50000, 1, 49000, 3500, [[-0.1, 0, 0.1]])
    assert row == out[:1] + out[1:]


@pytest.mark.parametrize("blank", [None, ""], ids=["None", "empty-string"])
def test_blank_optional_arguments_take_defaults(main_module, blank):
    expected = run_udf(main_module, "hedge_contracts", 49000, 3500, 10)
    assert run_udf(main_module, "hedge_contracts", 49000, 3500, 10, blank, blank, blank, blank) == expected
    expected = run_udf(main_module, "hedge_plan", 50000, 3500, 1)
    assert run_udf(main_module, "hedge_plan", 50000, 3500, 1, *[blank] * 7) == expected


def test_zero_in_option_text_means_default(main_module):
    # desktop Excel hands a referenced blank cell to add-ins as 0
    assert run_udf(main_module, "hedge_contracts", 49000, 3500, 10, 1, 0, 0, 0) == [[4900.0]]
    assert run_udf(main_module, "funding_cost", 40000, 0.0001, 1, 0, 0) == [[pytest.approx(-12.0)]]


def test_options_are_case_insensitive(main_module):
    assert run_udf(main_module, "hedge_contracts", 10000, 3500, 1, 1, " Linear ", "DOWN") == [[2.0]]


@pytest.mark.parametrize(
    "name, args, match",
    [
        ("hedge_contracts", (10000, 3500, 1, 1, "futures"), r'contract_type must be one of "inverse", "linear"'),
        ("hedge_contracts", (10000, 3500, 1, 1, "linear", "ceil"), r'rounding must be one of "none", "down"'),
        ("hedge_contracts", (10000, -3500, 1), r"price must be positive, got -3500"),
        ("hedge_contracts", (10000, "abc", 1), r"price must be a number"),
        ("hedge_contracts", (10000, 3500, "NOPE_PERP"), r"unknown contract"),
        ("beta", ([[1], [2], [3], [4]], [[1], [2], [3]]), r"asset_prices and benchmark_prices must have the same length"),
        ("beta", ([[100], [-101], [102]], [[1], [2], [3]]), r"asset_prices price must not be negative"),
        ("beta", ([[100], [101]], [[1], [2]], "cubic"), r'returns must be one of "simple", "log"'),
        ("beta", ([[100], [101]], [[1], [2]], None, "levels"), r'data must be one of "prices", "returns"'),
        ("beta", ([[1, 2], [3, 4]], [[1], [2]]), r"asset_prices must be a single row or column, got 2x2"),
        ("beta", (None, [[1], [2]]), r"asset_prices is empty"),
        ("rolling_beta", ([[1], [2], [3]], [[1], [2], [3]], 1.5), r"window must be a whole number"),
        ("scenario_pnl", (1, 1, 1, 100, [["x"], [None]]), r"shocks has no numbers"),
        ("scenario_pnl", (1, 1, 1, 100, [[-1.5]]), r"shocks must be above -1"),
        ("liquidation_price", (100, 1, 1, "sideways", 1), r'side must be one of "long", "short"'),
        ("funding_cost", (-1, 0.0001, 1), r"notional must be zero or positive"),
        ("contract_spec", ("ETHUSD_PERP", "colour"), r'field must be one of "exchange"'),
        ("contract_spec", (None,), r"contract name must be text"),
    ],
)
def test_bad_input_gives_a_short_readable_error(main_module, name, args, match):
    with pytest.raises(ValueError, match=match) as info:
        run_udf(main_module, name, *args)
    assert isinstance(info.value, hedgecore.HedgecoreError)
    text = str(info.value)
    assert len(text) < 255 and "Traceback" not in text and "\n" not in text
