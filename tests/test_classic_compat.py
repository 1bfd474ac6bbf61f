"""Classic (COM/VBA) xlwings compatibility of addin/main.py without Windows (EXCEL.md section 6.5).

In a fresh interpreter, stub pywin32 so that the BSD ``xlwings.udfs`` module imports, bind
``func``/``arg``/``ret`` to the classic decorators, import addin/main.py, generate the VBA
wrappers and build every argument's converter reader. An unguarded ``Literal`` fails here
("AttributeError: reader"). No licence key is involved.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import io, json, sys, types
    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        sys.modules[name] = types.ModuleType(name)
    sys.modules["pythoncom"].CoInitialize = lambda: None
    sys.modules["win32com.client"].Dispatch = lambda *a, **k: None
    sys.modules["win32com"].client = sys.modules["win32com.client"]

    import xlwings
    import xlwings.udfs as udfs
    from xlwings import conversion
    xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret

    sys.path.insert(0, sys.argv[1])
    import main

    out = io.StringIO()
    udfs.generate_vba_wrapper("main", main, out, types.SimpleNamespace(Name="hedgecore.xlsm"))
    functions = {}
    for attr in dir(main):
        f = getattr(main, attr)
        if not hasattr(f, "__xlfunc__"):
            continue
        info = f.__xlfunc__
        for a in info["args"]:
            c = a["options"].get("convert")
            conversion.accessors.get(c, c).reader(a["options"])  # must not raise
        functions[info["name"]] = {
            "doc": info["ret"]["doc"],
            "args": [[a["name"], "optional" in a, a["doc"]] for a in info["args"]],
        }
    print(json.dumps({"vba": out.getvalue(), "functions": functions}))
    """
)


def classic():
    env = {k: v for k, v in os.environ.items() if k not in ("XLWINGS_ON_SERVER", "XLWINGS_LICENSE_KEY")}
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT / "addin")], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_vba_wrappers_for_every_function():
    result = classic()
    vba, functions = result["vba"], result["functions"]
    assert set(functions) == {
        "hedge_contracts", "beta", "scenario_pnl", "hedge_plan", "beta_stats", "rolling_beta",
        "liquidation_price", "funding_cost", "contract_spec", "ewm_beta", "two_leg_hedge", "best_hedge",
        "collateral_for_liquidation", "hedge_trade", "residual_band",
        "hedge_backtest", "backtest_daily", "backtest_summary",
    }
    assert (
        "Function hedge_contracts(exposure, price, contract_size, Optional hedge_ratio, Optional contract_type, "
        "Optional rounding, Optional collateral)" in vba
    )
    assert "Function beta(asset_prices, benchmark_prices, Optional returns, Optional data)" in vba
    assert "Function contract_spec(name, Optional field)" in vba
    assert ("Function hedge_trade(exposure, price, contract_size, contracts_held, margin_balance, Optional hedge_ratio, "
            in vba)
    assert "Function hedge_plan(exposure, price, contract_size, Optional hedge_ratio, Optional contract_type, " in vba
    for name, info in functions.items():
        signature = ", ".join(("Optional " if optional else "") + arg for arg, optional, _ in info["args"])
        assert f"Function {name}({signature})" in vba
        assert f'{name} = XLPy.CallUDF("main", "{name}"' in vba
        # descriptions reach the classic function wizard (cut at 255 characters there)
        assert info["doc"] and "\n" not in info["doc"].strip() and len(info["doc"]) < 255
        for arg, _, doc in info["args"]:
            assert doc and not doc.startswith("Positional argument"), (name, arg)
