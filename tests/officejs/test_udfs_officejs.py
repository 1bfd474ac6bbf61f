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
from hedgecore.plan import PLAN_LABELS, PLAN_RISK_LABELS

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
        ["contract_type", "collateral", "funding_rate", "days", "header", "shock", "column", "leverage",
         "maintenance_rate", "contract", "wallet_balance", "band_low", "band_high", "downside_beta",
         "liquidation_recovery"],
    ),
    "HEDGE_PLAN": (
        ["exposure", "price", "contract_size"],
        ["hedge_ratio", "contract_type", "rounding", "collateral", "leverage", "maintenance_rate", "funding_rate",
         "field"],
    ),
    "BETA_STATS": (["asset_prices", "benchmark_prices"], ["returns", "data", "field"]),
    "EWM_BETA": (["asset_prices", "benchmark_prices", "halflife"], ["returns", "data"]),
    "TWO_LEG_HEDGE": (["asset_prices", "hedge1_prices", "hedge2_prices"], ["returns", "data", "field"]),
    "BEST_HEDGE": (["asset_prices", "candidates"], ["returns", "data"]),
    "ROLLING_BETA": (["asset_prices", "benchmark_prices", "window"], ["returns", "data"]),
    "LIQUIDATION_PRICE": (
        ["entry_price", "contracts", "wallet_balance", "side", "contract_size"],
        ["contract_type", "maintenance_rate", "maintenance_amount"],
    ),
    "FUNDING_COST": (["notional", "funding_rate", "days"], ["side", "interval_hours"]),
    "CONTRACT_SPEC": (["name"], ["field"]),
    "COLLATERAL_FOR_LIQUIDATION": (
        ["exposure", "price", "contract_size", "target_distance"],
        ["hedge_ratio", "contract_type", "rounding", "maintenance_rate"],
    ),
    "HEDGE_TRADE": (
        ["exposure", "price", "contract_size", "contracts_held", "margin_balance"],
        ["hedge_ratio", "contract_type", "rounding", "leverage", "maintenance_rate", "funding_rate", "field"],
    ),
    "RESIDUAL_BAND": (
        ["prices", "hedge_prices", "hedge_ratio"],
        ["horizon_days", "assets", "quantities", "low", "high", "field"],
    ),
    "HEDGE_BACKTEST": (
        ["prices", "assets", "quantities", "contract", "collateral"],
        ["hedge_asset", "contract_type", "policy", "threshold", "hedge_ratio", "window", "halflife", "fee_bps",
         "slippage_bps", "funding_rate", "reopen_days", "cooldown_days", "every_days", "maintenance_rate"],
    ),
    "BACKTEST_DAILY": (["backtest"], ["row", "column"]),
    "BACKTEST_SUMMARY": (["backtest"], ["field"]),
}
ENUMS = {
    "contract_type": {"inverse", "linear"},
    "rounding": {"nearest", "down", "up", "none"},
    "returns": {"simple", "log"},
    "data": {"prices", "returns"},
    "side": {"short", "long"},
    "policy": {"none", "periodic", "threshold"},
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
    assert header == [*hedgecore.SCENARIO_COLUMNS, "Alt move", "Liquidated", "Net P&L if short survived"]
    assert [r[header.index("Liquidated")] for r in rows] == [False, False]  # TRUE/FALSE cells
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
    rows = PLAN_LABELS + PLAN_RISK_LABELS
    assert len(out) == len(rows) + 2 and all(len(r) == 2 for r in out)
    for (field, _), (label, value) in zip(rows, out):
        if field == "max_leverage":  # no tier table for Binance COIN-M in the catalog
            assert value == "unknown"
        else:
            assert value == pytest.approx(getattr(plan, field)), field
    assert out[-2:] == [["Delta verdict", plan.delta_verdict], ["Margin verdict", plan.margin_verdict]]
    labels = [r[0] for r in out]
    assert "Initial margin (coin)" in labels
    assert dict(out)["Liquidation price (USD)"] == pytest.approx(106240.0)
    assert dict(out)["Contracts to short"] == 400.0


def test_hedge_plan_tells_alice_her_margin_coin_is_unhedged(main_module):
    out = run_udf(main_module, "hedge_plan", 50000, 3500, "ETHUSD_PERP", None, None, None, None, None, None, None,
                  "delta_verdict")
    assert out == [[hedgecore.hedge_plan(50000, 3500, "ETHUSD_PERP").delta_verdict]]
    assert out[0][0].startswith("Not hedged: the 14.2857 ETH posted as margin is a $50,000 long in ETH")


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
    assert [r[0] for r in out[:30]] == [NOT_AVAILABLE] * 30  # no value yet: #N/A, a gap in Excel charts
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
    frame = hedgecore.scenario_pnl(50000, 1, 49000, 3500, [-0.1, 0, 0.1], risk_columns=True)
    assert out[1:] == [[v if isinstance(v, bool) else pytest.approx(v) for v in row]
                       for row in frame.astype(object).to_numpy().tolist()]
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
        ("hedge_plan", (50000, 3500, 1, None, None, None, None, None, None, None, "colour"), r"field must be"),
        ("beta_stats", ([[1], [2], [3]], [[1], [2], [3]], None, None, "slope"), r'field must be one of "beta"'),
        ("hedge_contracts", (49000, 3500, "ETHUSD_PERP", 1, "inverted"), r'contract_type must be one of'),
        ("hedge_plan", (49000, 3500, "ETHUSD_PERP", 1, "inverted"), r'contract_type must be one of'),
        ("liquidation_price", (3500, 10, 1, "short", "ETHUSD_PERP", "swap"), r'contract_type must be one of'),
        ("hedge_contracts", ([[1], [2]], [[1], [2], [3]], 1), r"ranges must have the same size"),
        ("hedge_plan", ([[1], [2]], 3500, 1), r"exposure must be a single cell"),
        ("ewm_beta", ([[1], [2], [3]], [[1], [2], [3]], -1), r"halflife must be positive"),
        ("best_hedge", ([[1], [2], [3]], 5), r"candidates must be a range"),
        ("scenario_pnl", (1, 1, 1, 100, [[0.1]], None, None, None, None, "maybe"), r"header must be TRUE or FALSE"),
        ("contract_spec", (None,), r"contract name must be text"),
    ],
)
def test_bad_input_gives_a_short_readable_error(main_module, name, args, match):
    with pytest.raises(ValueError, match=match) as info:
        run_udf(main_module, name, *args)
    assert isinstance(info.value, hedgecore.HedgecoreError)
    text = str(info.value)
    assert len(text) < 255 and "Traceback" not in text and "\n" not in text


# --------------------------------------------------------------------------- field, ranges, new functions


def test_field_returns_values_by_name(main_module):
    plan = hedgecore.hedge_plan(50000, 3500, "ETHUSD_PERP", collateral_coin=14)
    args = (50000, 3500, "ETHUSD_PERP", None, None, None, 14, None, None, None)
    assert run_udf(main_module, "hedge_plan", *args, "contracts") == [[plan.contracts]]
    assert run_udf(main_module, "hedge_plan", *args, "Contracts to short") == [[plan.contracts]]  # the label too
    # a range (or array constant) of fields: one value per cell, in its shape
    column_out = run_udf(main_module, "hedge_plan", *args, [["hedged_notional_usd"], ["liquidation_price_usd"]])
    assert column_out == [[plan.hedged_notional_usd], [pytest.approx(plan.liquidation_price_usd)]]
    assert column_out[1][0] == pytest.approx(6895.35, abs=0.005)  # docs/excel-addin.md example
    unreachable = run_udf(main_module, "hedge_plan", 50000, 3500, "ETHUSD_PERP", *[None] * 7, "liquidation_price_usd")
    assert unreachable == [["none"]]  # a 1x inverse short on same-coin collateral
    row_out = run_udf(main_module, "hedge_plan", *args, [["contracts", "effective_leverage"]])
    assert row_out == [[plan.contracts, pytest.approx(plan.effective_leverage)]]
    assert run_udf(main_module, "contract_spec", "ETHUSD_PERP", [["contract_size", "margin_asset"]]) == [[10.0, "ETH"]]


def test_beta_stats_field(main_module, eth_btc):
    eth, btc = (column(a.tolist()) for a in eth_btc)
    stats = hedgecore.stats.beta_stats(*eth_btc)
    assert run_udf(main_module, "beta_stats", eth, btc, None, None, "r_squared") == [[pytest.approx(stats.r_squared)]]
    assert run_udf(main_module, "beta_stats", eth, btc, None, None, [["beta"], ["n"]]) == [
        [pytest.approx(stats.beta)], [stats.n]]
    short = run_udf(main_module, "beta_stats", [[1], [2]], [[1], [3]], None, None, "beta")
    assert short == [[NOT_AVAILABLE]]


def test_scalar_arguments_over_ranges_give_one_result_per_cell(main_module):
    # HEDGE_CONTRACTS over a column of exposures (seed article: 49,000 USD at 10 USD per contract = 4,900)
    out = run_udf(main_module, "hedge_contracts", [[49000], [10000], [0]], 3500, "ETHUSD_PERP")
    assert out == [[4900.0], [1000.0], [0.0]]
    # a bad cell is #VALUE! in its place, the others are computed
    out = run_udf(main_module, "hedge_contracts", 10000, [[3500], [-1], ["x"]], 1, 1, "linear", "none")
    assert out == [[pytest.approx(10000 / 3500)], [{"type": "Error", "errorType": "Value"}],
                   [{"type": "Error", "errorType": "Value"}]]
    # FUNDING_COST over a row of days: 40,000 USD short at 0.01 % per 8 h receives 12 USD a day
    assert run_udf(main_module, "funding_cost", 40000, 0.0001, [[1, 2, 30]]) == [
        [pytest.approx(-12.0), pytest.approx(-24.0), pytest.approx(-360.0)]]
    # LIQUIDATION_PRICE over entry prices; two ranges of the same shape go cell by cell
    out = run_udf(main_module, "liquidation_price", [[64000], [60000]], [[400], [400]], 0.25, "short", 100, None, 0.004)
    expected = [hedgecore.liquidation_price(p, 400, 0.25, side="short", contract_size=100, maintenance_rate=0.004)
                for p in (64000, 60000)]
    assert out == [[pytest.approx(expected[0])], [pytest.approx(expected[1])]]
    assert out[0][0] == pytest.approx(106240.0)


def test_ewm_beta_equals_core(main_module, eth_btc):
    eth, btc = (a[:300] for a in eth_btc)
    out = run_udf(main_module, "ewm_beta", column(eth.tolist()), column(btc.tolist()), 30)
    core = hedgecore.stats.ewm_beta(eth, btc, 30)
    assert out[0] == [NOT_AVAILABLE]  # no return on the first row
    assert [r[0] for r in out] == [NOT_AVAILABLE if math.isnan(v) else pytest.approx(v, rel=1e-12) for v in core]
    assert sum(math.isnan(v) for v in core) < 5


def test_two_leg_hedge_equals_core(main_module):
    sol, eth, btc = (closes(s) for s in ("SOL", "ETH", "BTC"))
    frame = pd.concat([sol, eth, btc], axis=1, join="inner").dropna().iloc[-500:]
    a, e, b = (column(frame.iloc[:, k].tolist()) for k in range(3))
    fit = hedgecore.two_leg_hedge(frame.iloc[:, 0], frame.iloc[:, 1], frame.iloc[:, 2])
    table = run_udf(main_module, "two_leg_hedge", a, e, b)
    assert [r[1] for r in table] == [pytest.approx(fit.beta_1, rel=1e-12), pytest.approx(fit.beta_2, rel=1e-12),
                                     pytest.approx(fit.alpha, rel=1e-9), pytest.approx(fit.r_squared, rel=1e-12),
                                     fit.n]
    assert run_udf(main_module, "two_leg_hedge", a, e, b, None, None, [["beta_1", "beta_2"]]) == [
        [pytest.approx(fit.beta_1, rel=1e-12), pytest.approx(fit.beta_2, rel=1e-12)]]


def test_best_hedge_ranks_like_the_core(main_module):
    names = ["ETH", "BTC", "DOGE"]
    frame = pd.concat([closes(s) for s in ["SOL", *names]], axis=1, join="inner").dropna().iloc[-500:]
    frame.columns = ["SOL", *names]
    candidates = [names] + frame[names].to_numpy().tolist()
    out = run_udf(main_module, "best_hedge", column(frame["SOL"].tolist()), candidates)
    core = hedgecore.best_hedge(frame["SOL"], frame[names])
    assert out[0] == ["hedge", "beta", "r_squared", "correlation", "n"]
    assert [r[0] for r in out[1:]] == list(core["hedge"])
    assert [r[2] for r in out[1:]] == [pytest.approx(v, rel=1e-12) for v in core["r_squared"]]
    # the asset range may include its header cell, like the candidates
    with_header = run_udf(main_module, "best_hedge", column(["SOL", *frame["SOL"].tolist()]), candidates)
    assert with_header == out


def test_results_are_built_cells_not_converted_per_cell(main_module):
    """Results pass xlwings unconverted (_Cells): error values are Office.js error objects, or text
    for runtimes before 1.4; numbers stay numbers."""
    meta = {f["id"]: f for f in metadata(main_module)["functions"]}
    assert all(f["result"] == {"dimensionality": "matrix", "type": "any"} for f in meta.values())
    short = ([[100], [101], [102]], [[10], [11], [12.5]], 2)
    assert run_udf(main_module, "rolling_beta", *short)[0] == [NOT_AVAILABLE]
    assert run_udf(main_module, "rolling_beta", *short, runtime="1.1")[0] == ["#N/A"]
    assert main_module.hedge_contracts.__xlfunc__["ret"]["options"]["convert"] is main_module._Cells


def test_scenario_pnl_one_row_or_cell(main_module):
    """The template's stress cells: SCENARIO_PNL(..., FALSE, shock, column) (seed article: -150 / +150)."""
    args = (50000, 1, 49000, 3500, [[-0.15], [0.15]], "linear", None, None, None, False)
    assert run_udf(main_module, "scenario_pnl", *args, 0.15, "Net P&L") == [[pytest.approx(150.0)]]
    assert run_udf(main_module, "scenario_pnl", *args, -0.15, [["Spot P&L", "Hedge P&L"]]) == [
        [pytest.approx(-7500.0), pytest.approx(7350.0)]]
    full = run_udf(main_module, "scenario_pnl", *args)
    assert run_udf(main_module, "scenario_pnl", *args, 0.15) == [full[1]]
    with pytest.raises(ValueError, match="shock 0.3 is not one of the shocks"):
        run_udf(main_module, "scenario_pnl", *args, 0.3, "Net P&L")
    with pytest.raises(ValueError, match='column must be one of "Hedge price"'):
        run_udf(main_module, "scenario_pnl", *args, 0.15, "Profit")
