"""Benchmark: one full recalculation of the example template, replayed through xlwings' dispatch.

    python benchmarks/bench_recalc.py [--rounds 30]

The calls are the template's own (templates/example_portfolio.xlsx, read with hedgecore): one
``BETA`` and two ``TWO_LEG_HEDGE`` per holding (Excel's ``IF`` skips the blank rows), one
``HEDGE_PLAN`` per plan result (seven cells, one plan computation: the add-in caches it per set of
inputs), one ``FUNDING_COST``, one ``SCENARIO_PNL`` per cell of table Shocks (one stress
computation) — each with its ranges shaped as Office.js sends them (a column of 1,193 closes is
1,193 one-cell rows). The template has no array formulas because LibreOffice recalculates those
on open; the add-in's caches keep the repeated calls cheap. Between rounds the caches are cleared,
so each round pays one plan and one stress computation, as a recalculation after an input change.
Each variant times one whole recalculation:

* ``core``     -- the same work as plain Python: the hedgecore functions on float arrays;
* ``addin``    -- the add-in functions called directly (cells in, result cells out, no dispatch);
* ``lite``     -- ``xlwings.server.custom_functions_call`` for each call, with stand-ins for
  Pyodide's ``pyodide.ffi`` package (benchmarks/_officejs.py): the fair estimate of xlwings Lite;
* ``cpython``  -- the same dispatch without them (what xlwings Server on CPython pays).

The calls of a recalculation are awaited one after another on one event loop kept for the run.

Variants are interleaved round by round (benchmarks/_harness.py). Prints the machine and library
versions, then per variant the median time of a recalculation and the median of the per-round
ratios to ``core`` with their IQR and range, and ``lite`` over ``addin`` (the dispatch's own
cost). Goal (issue 12): ``lite`` <= 2x the same calls as plain Python (``addin``) and <= 20 ms;
the ratio to the bare maths (``core``) is printed too — the rest of that gap is the add-in reading
1,193-cell ranges as Python lists (about 40 us per range) and checking its arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _officejs  # noqa: E402  (first: sets up xlwings for Office.js)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import hedgecore as hc  # noqa: E402
import main  # noqa: E402  (addin/main.py)
from _harness import compare, header  # noqa: E402
from hedgecore.excel import read_workbook  # noqa: E402
from hedgecore.excel.layout import OUTPUTS, STRESS_COLUMNS  # noqa: E402

EXAMPLE = ROOT / "templates" / "example_portfolio.xlsx"


def _column(values: np.ndarray) -> list[list[object]]:
    """A column range as Office.js sends it: one-cell rows, blanks as None."""
    return [[None if np.isnan(v) else float(v)] for v in values]


def template_calls(path: Path) -> tuple[list[tuple[str, list]], list]:
    """(the add-in calls of one recalculation with their cells, the same work as core callables)."""
    w = read_workbook(path)
    s, prices, h = dict(w.settings), w.prices, w.holdings
    cells = {a: _column(prices[a].to_numpy(float)) for a in prices.columns}
    hedge, second = s["HedgeAsset"], s.get("SecondAsset") or ""
    calls: list[tuple[str, list]] = []
    core: list = []
    for asset in h["Asset"]:
        calls.append(("beta", [cells[asset], cells[hedge], [["simple"]], [["prices"]]]))
        core.append(lambda a=asset: hc.beta(prices[a].to_numpy(), prices[hedge].to_numpy()))
        if second:
            for field in ("beta_1", "beta_2"):
                calls.append(("two_leg_hedge", [cells[asset], cells[hedge], cells[second], [["simple"]],
                                                [["prices"]], [[field]]]))
                core.append(lambda a=asset: hc.two_leg_hedge(prices[a].to_numpy(), prices[hedge].to_numpy(),
                                                             prices[second].to_numpy()))
    value = float((h["Quantity"] * h["Price"]).sum())
    contract = s["Contract"] or s["ContractSize"]
    plan_args = [value, s["HedgePrice"], contract, s["HedgeRatio"], s["ContractType"], s["Rounding"], s["Collateral"],
                 s["Leverage"], s["MaintenanceMargin"], s["FundingRate"]]
    for field in (o.plan_field for o in OUTPUTS if o.plan_field):  # one cell per plan result
        calls.append(("hedge_plan", [[[v]] for v in plan_args] + [[[field]]]))
    plan_kw = dict(hedge_ratio=s["HedgeRatio"], contract_type=s["ContractType"], rounding=s["Rounding"],
                   collateral_coin=s["Collateral"], leverage=s["Leverage"], maintenance_rate=s["MaintenanceMargin"],
                   funding_rate=s["FundingRate"])
    core.append(lambda: hc.hedge_plan(value, s["HedgePrice"], contract, **plan_kw))
    plan = hc.hedge_plan(value, s["HedgePrice"], contract, **plan_kw)
    calls.append(("funding_cost", [[[abs(plan.hedged_notional_usd)]], [[s["FundingRate"]]], [[s["HorizonDays"]]],
                                   [["short"]]]))
    core.append(lambda: hc.funding_cost_usd(abs(plan.hedged_notional_usd), s["FundingRate"], s["HorizonDays"]))
    pbeta = float(np.dot(h["Quantity"] * h["Price"], [hc.beta(prices[a], prices[hedge]) for a in h["Asset"]]) / value)
    stress = [value, pbeta, plan.hedged_notional_usd, s["HedgePrice"]]
    options = [[[s["ContractType"]]], [[s["Collateral"]]], [[s["FundingRate"]]], [[s["HorizonDays"]]], [[False]]]
    shocks = [[x] for x in w.shocks.tolist()]
    for shock in w.shocks.tolist():  # table Shocks: one cell per shock and stress column
        for column in STRESS_COLUMNS[1:]:
            calls.append(("scenario_pnl", [[[v]] for v in stress] + [shocks] + options + [[[shock]], [[column]]]))
    core.append(lambda: hc.scenario_pnl(*stress, w.shocks, contract_type=s["ContractType"],
                                        collateral_coin=s["Collateral"], funding_rate=s["FundingRate"],
                                        days=s["HorizonDays"]))
    return calls, core


def _arg(cells):
    """A dispatch argument as a direct call receives it: one cell as a scalar, else the raw rows."""
    return cells[0][0] if len(cells) == 1 and len(cells[0]) == 1 else cells


def _fresh(run):
    """A recalculation after an input change: the add-in's caches start empty."""
    def fresh():
        main._plan_of.cache_clear()
        main._scenarios_of.cache_clear()
        return run()
    return fresh


def variants(calls, core):
    direct = [(getattr(main, name), [_arg(a) for a in args]) for name, args in calls]

    def lite():
        _officejs.pyodide_stub(True)
        try:
            return _officejs.calls(main, calls)
        finally:
            _officejs.pyodide_stub(False)

    return {
        "core": lambda: [f() for f in core],
        "addin": _fresh(lambda: [f(*args) for f, args in direct]),
        "lite": _fresh(lite),
        "cpython": _fresh(lambda: _officejs.calls(main, calls)),
    }


def check(calls, results) -> None:
    """The dispatch results are the add-in's: the plan block and the betas equal the core's."""
    for (name, args), out in zip(calls, results):
        assert isinstance(out, list) and out and all(isinstance(r, list) for r in out), name
    assert sum(n == "hedge_plan" for n, _ in calls) == len([o for o in OUTPUTS if o.plan_field])
    assert all(len(out) == 1 and len(out[0]) == 1 for (n, _), out in zip(calls, results) if n == "scenario_pnl")


def main_bench() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    calls, core = template_calls(EXAMPLE)
    counts = pd.Series([n for n, _ in calls]).value_counts().to_dict()
    print(header("bench_recalc: one full recalculation of the example template through xlwings' dispatch"))
    print(f"hedgecore {hc.__version__}; {len(calls)} add-in calls {counts}")
    runs = variants(calls, core)
    check(calls, runs["lite"]())
    res = compare(runs, baseline="core", rounds=rounds, inner=1)
    print(f"time of one recalculation; ratio to core: median (IQR, range) over {rounds} rounds")
    for name in runs:
        print("  " + res.line(name))
    lite_ms = res.time("lite").median * 1e3
    over_calls = res.ratio("lite", to="addin")
    print(f"  lite / addin (the dispatch's own cost): {over_calls}")
    met = over_calls.median <= 2 and lite_ms <= 20
    print(f"goal (issue 12): lite <= 2x the plain calls and <= 20 ms -> {'met' if met else 'NOT met'} "
          f"({lite_ms:.1f} ms, {over_calls.median:.2f}x)")


if __name__ == "__main__":
    main_bench()
