"""Fuzz: random cells into every custom function give a result or a clear error, never a crash.

Cells are what Office.js can send: finite numbers (ints, huge, tiny), text (including option
names, catalog names and numeric text), booleans, blanks (None, "") and error-cell objects.
Ranges are rectangular like Excel's, plus ragged and mismatched ones.
"""

import json

from excel_harness import run_udf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hedgecore

FUNCTIONS = {
    # name: (number of required args, total args)
    "hedge_contracts": (3, 7),
    "beta": (2, 4),
    "scenario_pnl": (5, 12),
    "hedge_plan": (3, 11),
    "beta_stats": (2, 5),
    "rolling_beta": (3, 5),
    "ewm_beta": (3, 5),
    "two_leg_hedge": (3, 6),
    "best_hedge": (2, 4),
    "liquidation_price": (5, 8),
    "funding_cost": (3, 5),
    "contract_spec": (1, 2),
}

WORDS = [
    "inverse", "LINEAR", "nearest", "down", "up", "none", "simple", "Log", "prices", "returns",
    "short", "long", "ETHUSD_PERP", "binance:BTCUSD_PERP", "contract_size", "Source", "abc", "contracts",
    "beta_1", "r_squared", "TRUE", "FALSE",
    "3500", " 0.1 ", "1e309", "nan", "-inf", "#N/A", "",
]
numbers = st.one_of(
    st.integers(min_value=-10**6, max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False),  # includes huge and subnormal values
    st.sampled_from([0, 1, 2, 0.5, -0.15, 0.15, 3500.0, 1e-300, 5e-324, 1e308, -1e308, 1.7976931348623157e308]),
)
cells = st.one_of(
    numbers,
    numbers,
    st.sampled_from(WORDS),
    st.text(max_size=12),
    st.booleans(),
    st.none(),
    st.just({"type": "Error", "errorType": "Div0", "basicValue": "#DIV/0!"}),
)
prices = st.floats(min_value=1e-3, max_value=1e6)


@st.composite
def ranges(draw):
    kind = draw(st.sampled_from(["column", "row", "block", "ragged", "prices"]))
    if kind == "prices":
        values = draw(st.lists(st.one_of(prices, prices, prices, cells), min_size=1, max_size=40))
        return [[v] for v in values]
    if kind == "ragged":
        return draw(st.lists(st.lists(cells, min_size=1, max_size=3), min_size=2, max_size=5))
    n_rows = draw(st.integers(1, 20)) if kind != "row" else 1
    n_cols = draw(st.integers(1, 20)) if kind == "row" else (1 if kind == "column" else draw(st.integers(2, 3)))
    return [[draw(cells) for _ in range(n_cols)] for _ in range(n_rows)]


arguments = st.one_of(cells, cells, cells, ranges())


def check(name, args):
    try:
        out = run_udf(__import__("main"), name, *args)
    except (hedgecore.HedgecoreError, ValueError) as exc:
        text = str(exc)
        assert text and len(text) < 255 and "Traceback" not in text, text
        return
    # a result: rectangular, strict JSON
    assert isinstance(out, list) and out and all(isinstance(r, list) for r in out)
    assert len({len(r) for r in out}) == 1
    json.dumps(out, allow_nan=False)


def _strategy(name):
    required, total = FUNCTIONS[name]
    return st.integers(required, total).flatmap(lambda n: st.lists(arguments, min_size=n, max_size=n))


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(args=_strategy("hedge_contracts"))
def test_fuzz_hedge_contracts(args):
    check("hedge_contracts", args)


@SETTINGS
@given(args=_strategy("beta"))
def test_fuzz_beta(args):
    check("beta", args)


@SETTINGS
@given(args=st.tuples(ranges(), ranges(), st.sampled_from([None, "simple", "log", "x"]),
                      st.sampled_from([None, "prices", "returns", 0])))
def test_fuzz_beta_price_ranges(args):
    check("beta", list(args))
    check("beta_stats", list(args))
    check("rolling_beta", [args[0], args[1], 3, *args[2:]])
    check("ewm_beta", [args[0], args[1], 10, *args[2:]])
    check("two_leg_hedge", [args[0], args[1], args[0], *args[2:]])


@SETTINGS
@given(args=_strategy("scenario_pnl"))
def test_fuzz_scenario_pnl(args):
    check("scenario_pnl", args)


@SETTINGS
@given(args=_strategy("hedge_plan"))
def test_fuzz_hedge_plan(args):
    check("hedge_plan", args)


@SETTINGS
@given(args=_strategy("beta_stats"))
def test_fuzz_beta_stats(args):
    check("beta_stats", args)


@SETTINGS
@given(args=_strategy("rolling_beta"))
def test_fuzz_rolling_beta(args):
    check("rolling_beta", args)


@SETTINGS
@given(args=_strategy("ewm_beta"))
def test_fuzz_ewm_beta(args):
    check("ewm_beta", args)


@SETTINGS
@given(args=_strategy("two_leg_hedge"))
def test_fuzz_two_leg_hedge(args):
    check("two_leg_hedge", args)


@SETTINGS
@given(args=_strategy("best_hedge"))
def test_fuzz_best_hedge(args):
    check("best_hedge", args)


@SETTINGS
@given(args=_strategy("liquidation_price"))
def test_fuzz_liquidation_price(args):
    check("liquidation_price", args)


@SETTINGS
@given(args=_strategy("funding_cost"))
def test_fuzz_funding_cost(args):
    check("funding_cost", args)


@SETTINGS
@given(args=_strategy("contract_spec"))
def test_fuzz_contract_spec(args):
    check("contract_spec", args)


@SETTINGS
@given(
    exposure=numbers, price=numbers, size=st.one_of(numbers, st.sampled_from(["ETHUSD_PERP", "BTCUSD_PERP"])),
    ratio=numbers, kind=st.sampled_from(["inverse", "linear", None]), collateral=numbers,
    leverage=numbers, mmr=numbers, funding=numbers,
)
def test_fuzz_numbers_only_plan(exposure, price, size, ratio, kind, collateral, leverage, mmr, funding):
    check("hedge_contracts", [exposure, price, size, ratio, kind, None, collateral])
    check("hedge_plan", [exposure, price, size, ratio, kind, None, collateral, leverage, mmr, funding])
    check("liquidation_price", [price, exposure, collateral, "short", size, kind, mmr])
    check("scenario_pnl", [exposure, ratio, collateral, price, [[-0.5], [0], [funding]], kind, collateral, funding, 3])
