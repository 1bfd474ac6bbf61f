"""Benchmark: one recalculation of the example's Backtest sheet, replayed through xlwings' dispatch.

    python benchmarks/bench_backtest_sheet.py [--rounds 5]

The calls are the sheet's own (templates/example_portfolio.xlsx): one ``HEDGE_BACKTEST`` with the
price table (1,194 rows x 9 columns as Office.js sends them: serial dates, the closes), one
``BACKTEST_SUMMARY`` per summary cell and one ``BACKTEST_DAILY`` per cell of the daily table.
Variants, interleaved round by round (benchmarks/_harness.py):

* ``core``  -- hedgecore.backtest on the DataFrame, then every cell's value from hedgecore.backtest_cells;
* ``addin`` -- the add-in functions called directly (cells in, cells out, no dispatch);
* ``lite``  -- ``xlwings.server.custom_functions_call`` for each call with the Pyodide stub of
  bench_recalc.py (the fair estimate of xlwings Lite; the JavaScript side is not measured);
* ``lite, 3 spilled calls`` -- what the array alternative would cost: ``HEDGE_BACKTEST``, then
  ``BACKTEST_SUMMARY`` and ``BACKTEST_DAILY`` each spilling its whole table (the template does not do
  this: LibreOffice recalculates array formulas on open and would show ``#NAME?``).

It shows what the design costs: the table's cells pass only the result's name and a row, so each
is a dispatch of a few microseconds of work; the price history is transferred once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_recalc import _arg, dispatch, pyodide_stub  # noqa: E402  (sets the Office.js environment)

import main  # noqa: E402  (addin/main.py)
from _harness import compare, header  # noqa: E402

import hedgecore as hc  # noqa: E402
from hedgecore.backtest_cells import backtest_id, daily_cells, excel_serial, summary_cells  # noqa: E402
from hedgecore.excel import read_workbook  # noqa: E402
from hedgecore.excel.backtest import backtest_options  # noqa: E402
from hedgecore.excel.layout import BACKTEST_DEFAULTS, BACKTEST_TABLE  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "templates" / "example_portfolio.xlsx"


def sheet_calls(path: Path):
    """(the Backtest sheet's add-in calls, the same work on the core)."""
    w = read_workbook(path)
    s, bt = dict(w.settings), {**BACKTEST_DEFAULTS, **(w.backtest or {})}
    table = [["Date", *w.prices.columns]] + [[excel_serial(d), *(None if v != v else float(v) for v in row)]
                                             for d, row in zip(w.prices.index, w.prices.to_numpy())]
    assets = [[a] for a in w.holdings["Asset"]]
    qty = [[float(q)] for q in w.holdings["Quantity"]]
    contract, options, collateral = backtest_options(s, bt)
    reopen = "never" if bt["BacktestReopenDays"] is None else bt["BacktestReopenDays"]
    args = [table, assets, qty, [[contract]], [[collateral]], [[s["HedgeAsset"]]], [[s["ContractType"]]],
            [[bt["BacktestPolicy"]]], [[bt["BacktestThreshold"]]], [[bt["BacktestBeta"]]], [[bt["BacktestWindow"]]],
            [[bt["BacktestHalfLife"]]], [[bt["BacktestFeeBps"]]], [[bt["BacktestSlippageBps"]]], [[s["FundingRate"]]],
            [[reopen]], [[bt["BacktestCooldownDays"]]], [[bt["BacktestEveryDays"]]], [[s["MaintenanceMargin"]]]]
    quantities = dict(zip(w.holdings["Asset"], w.holdings["Quantity"]))
    result = hc.backtest(w.prices, quantities, contract, **options)
    name = backtest_id(result)
    calls = [("hedge_backtest", args)]
    calls += [("backtest_summary", [[[name]], [[key]]]) for key, _, _ in summary_cells(result)]
    calls += [("backtest_daily", [[[name]], [[k]], [[f]]]) for k in range(1, len(result.daily) + 1)
              for f, _, _ in BACKTEST_TABLE]

    def core():
        r = hc.backtest(w.prices, quantities, contract, **options)
        summary_cells(r)
        return [daily_cells(r, f) for f, _, _ in BACKTEST_TABLE]

    return calls, core


def main_() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    calls, core = sheet_calls(EXAMPLE)

    def direct():
        for name, cells in calls:
            getattr(main, name)(*map(_arg, cells))

    def lite(these=calls):
        pyodide_stub(True)
        try:
            dispatch(these)
        finally:
            pyodide_stub(False)

    name = calls[1][1][0]
    spilled = [calls[0], ("backtest_summary", [name]), ("backtest_daily", [name])]  # the array alternative

    print(header(f"the example's Backtest sheet: {len(calls):,} add-in calls per recalculation"))
    res = compare({"core": core, "addin": direct, "lite": lite, "lite, 3 spilled calls": lambda: lite(spilled)},
                  baseline="core", rounds=args.rounds, min_time=0)
    for name in res.wall:
        print(f"  {name:22s} {res.time(name).format('.1f', 1e3)} ms" + ("" if name == "core" else
              f" = {res.ratio(name).format('.1f')}x core"))
    print(f"  lite / addin: {res.ratio('lite', to='addin').format('.2f')}x; "
          f"per call through the dispatch {res.time('lite').median / len(calls) * 1e6:.0f} us")


if __name__ == "__main__":
    main_()
