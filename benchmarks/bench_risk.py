"""Benchmark: what the hedge's-real-risk cells cost in a recalculation of the example template.

    python benchmarks/bench_risk.py [--rounds 15]

The example's new add-in calls, shaped as Office.js sends them through
``xlwings.server.custom_functions_call``: ``RESIDUAL_BAND`` over the whole price block with its
header row (1,194 x 8 cells) and the holdings, ``BETA_STATS`` of one asset (the Holdings Downside
beta column asks it once per holding), and one ``SCENARIO_PNL`` stress table with the margin and
band arguments. Each against the same work in the core (``residual_band`` on the basket's value,
``beta_stats``, ``scenario_pnl``) and the classic stress table without the risk arguments,
interleaved round by round (``_harness.compare``); medians of the per-round ratios with their spread.
The dispatch runs with a stub ``pyodide.ffi`` module, as bench_recalc.py does: inside Pyodide xlwings'
per-cell ``from pyodide.ffi import JsNull`` is a cached lookup, outside it a failed import, so this
is the fair estimate of xlwings Lite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import types
from pathlib import Path

os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # noncommercial open-source project

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "addin"), str(ROOT), str(ROOT / "benchmarks")]

import pandas as pd  # noqa: E402
import xlwings  # noqa: E402
from _harness import compare, header  # noqa: E402
from xlwings.server import custom_functions_call  # noqa: E402

import hedgecore as hc  # noqa: E402
import main  # noqa: E402  (addin/main.py)
from hedgecore.excel.layout import DEFAULT_SHOCKS, EXAMPLE_PRICE_ASSETS  # noqa: E402

DATA = ROOT / "data" / "market" / "prices_daily"


def _call(name: str, *args) -> object:
    payload = {"func_name": name, "args": [a if isinstance(a, list) else [[a]] for a in args],
               "version": xlwings.__version__, "client": "Office.js", "runtime": "1.4", "date_format": "yyyy-mm-dd",
               "culture_info_name": "en-US"}
    return asyncio.run(custom_functions_call(payload, main))


def _lite_stub() -> None:
    ffi = types.ModuleType("pyodide.ffi")
    ffi.JsNull = type("JsNull", (), {})
    sys.modules.update({"pyodide": types.ModuleType("pyodide"), "pyodide.ffi": ffi})
    sys.modules["pyodide"].ffi = ffi


def main_bench() -> None:
    rounds = argparse.ArgumentParser()
    rounds.add_argument("--rounds", type=int, default=15)
    n_rounds = rounds.parse_args().rounds
    _lite_stub()
    prices = hc.load_prices(DATA, assets=list(EXAMPLE_PRICE_ASSETS))
    holdings = pd.read_csv(ROOT / "templates" / "example_holdings.csv")
    qty = dict(zip(holdings["Asset"], holdings["Quantity"].astype(float)))
    block = [list(prices.columns)] + prices.to_numpy().tolist()
    eth = [[v] for v in prices["ETH"].tolist()]
    sol = [[v] for v in prices["SOL"].tolist()]
    assets, amounts = [[a] for a in qty], [[q] for q in qty.values()]
    basket = hc.basket_value(prices, qty)
    shocks = [[x] for x in DEFAULT_SHOCKS]
    stress = (90_000.0, 0.92, 117_970.0, 3_505.16, shocks, "inverse", 10.0, 0.0001, 30.0, True, None, None)
    risk = (3.0, None, "binance:ETHUSD_PERP", None, -0.23, 0.43, 1.03)

    def stress_call(*extra):
        main._scenarios_of.cache_clear()  # a recalculation after an input change computes the table once
        return _call("scenario_pnl", *stress, *extra)

    print(header("the hedge's real risk in the template: add-in dispatch vs core"))
    cases = {
        "RESIDUAL_BAND (block + holdings)": (
            lambda: _call("residual_band", block, eth, 0.92, 30, assets, amounts, 0.05, 0.95, "low_frac"),
            lambda: hc.residual_band(hc.basket_value(prices, qty), prices["ETH"], hedge_ratio=0.92, horizon_days=30)),
        "RESIDUAL_BAND (basket column)": (
            lambda: _call("residual_band", [[v] for v in basket.tolist()], eth, 0.92, 30, None, None, 0.05, 0.95,
                          "low_frac"),
            lambda: hc.residual_band(basket, prices["ETH"], hedge_ratio=0.92, horizon_days=30)),
        "BETA_STATS downside_beta": (
            lambda: _call("beta_stats", sol, eth, "simple", "prices", "downside_beta"),
            lambda: hc.beta_stats(prices["SOL"], prices["ETH"])),
    }
    for name, (dispatch, core) in cases.items():
        res = compare({"core": core, "dispatch": dispatch}, baseline="core", rounds=n_rounds)
        print(f"{name}: {res.line('dispatch')}")
    res = compare({"classic": lambda: stress_call(), "risk": lambda: stress_call(*risk)}, baseline="classic",
                  rounds=n_rounds)
    print(f"SCENARIO_PNL table with margin and band arguments: {res.line('risk')}")


if __name__ == "__main__":
    main_bench()
