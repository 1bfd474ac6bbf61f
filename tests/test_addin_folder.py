"""The add-in as a user installs it: the folder `hedgecore addin` writes, in an interpreter without hedgecore.

* A fresh, isolated interpreter (``python -I -S``) whose ``sys.path`` holds only the stdlib, a site
  directory with numpy, pandas and xlwings (and their dependencies) but **not** hedgecore, and
  the folder's ``personal/`` — as xlwings Lite sees personal modules. Every function is called
  through xlwings' Office.js dispatch (``custom_functions_call``) and compared with hedgecore's
  core computed here.
* The Office.js suite (tests/officejs) against the versions Pyodide 0.29's lock file pins
  (Python 3.13, numpy 2.2.5, pandas 2.3.3), in a venv made from pyenv's Python 3.13 when the
  registry has them (skipped with the reason otherwise).
* What goes to Lite is pure Python without threads, processes or sockets (Pyodide has none).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hedgecore as hc
from hedgecore.backtest_cells import backtest_id, excel_serial
from hedgecore.excel.addin import CORE_FILES, FUNCTIONS_MODULE, write_addin_files

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "market" / "prices_daily"
#: Distributions the isolated interpreter gets (import name -> distribution name).
_SITE = {"numpy": "numpy", "pandas": "pandas", "dateutil": "python_dateutil", "tzdata": "tzdata",
         "xlwings": "xlwings"}
#: What Pyodide cannot do (https://lite.xlwings.org/limitations): none of it in what goes to Lite.
_NOT_IN_PYODIDE = {"threading", "_thread", "multiprocessing", "subprocess", "socket", "concurrent", "asyncio",
                   "selectors", "ssl", "ctypes", "signal"}


def _site_dir(target: Path) -> Path:
    """A directory with numpy, pandas, xlwings and their dependencies, linked from this environment."""
    import importlib.metadata as md

    target.mkdir()
    for module, dist in _SITE.items():
        spec = __import__(module)
        src = Path(spec.__file__).parent
        (target / src.name).symlink_to(src)
        libs = src.parent / f"{src.name}.libs"
        if libs.exists():
            (target / libs.name).symlink_to(libs)
        info = Path(md.distribution(dist)._path)  # noqa: SLF001 - the .dist-info folder
        (target / info.name).symlink_to(info)
    return target


SCRIPT = textwrap.dedent(
    """
    import asyncio, json, os, sys
    personal, site_dir, calls = sys.argv[1], sys.argv[2], json.loads(sys.stdin.read())
    sys.path[:0] = [personal, site_dir]
    os.environ["XLWINGS_ON_SERVER"] = "true"
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    import xlwings
    from xlwings.server import custom_functions_call, custom_functions_meta
    import hedgecore_excel
    import hedgecore
    out = {"hedgecore": hedgecore.__file__, "path": sys.path,
           "functions": sorted(f["id"] for f in custom_functions_meta(hedgecore_excel)["functions"]), "results": []}
    for name, args in calls:
        payload = {"func_name": name, "args": args, "version": xlwings.__version__, "client": "Office.js",
                   "runtime": "1.4", "date_format": "yyyy-mm-dd", "culture_info_name": "en-US"}
        out["results"].append(asyncio.run(custom_functions_call(payload, hedgecore_excel)))
    out["loaded"] = sorted(m for m in sys.modules if m.split(".")[0] == "hedgecore")
    print(json.dumps(out, allow_nan=False))
    """
)


def _col(values):
    return [[v] for v in values]


def _one(x):
    return [[x]]


@pytest.fixture(scope="module")
def closes():
    frame = pd.concat([pd.read_csv(DATA / f"{s}-USD.csv", usecols=["Date", "Close"]).set_index("Date")["Close"]
                       for s in ("SOL", "ETH", "BTC")], axis=1, join="inner").dropna().iloc[-400:]
    frame.columns = ["SOL", "ETH", "BTC"]
    return frame


def _calls(c):
    sol, eth, btc = (_col(c[k].tolist()) for k in ("SOL", "ETH", "BTC"))
    n = [[None]]
    return [
        ("hedge_contracts", [_one(49000), _one(3500), _one("ETHUSD_PERP")]),
        ("hedge_plan", [_one(50000), _one(3500), _one("ETHUSD_PERP"), n, n, n, _one(14), n, n, n,
                        [["contracts"], ["liquidation_price_usd"]]]),
        ("liquidation_price", [_one(64000), _one(400), _one(0.25), _one("short"), _one(100), n, _one(0.004)]),
        ("funding_cost", [_one(40000), _one(0.0001), [[1, 30]]]),
        ("scenario_pnl", [_one(50000), _one(1), _one(49000), _one(3500), [[-0.15], [0.15]], _one("linear")]),
        ("beta", [sol, eth]),
        ("beta_stats", [sol, eth, n, n, _one("r_squared")]),
        ("rolling_beta", [sol, eth, _one(90)]),
        ("ewm_beta", [sol, eth, _one(30)]),
        ("two_leg_hedge", [sol, eth, btc, n, n, [["beta_1", "beta_2"]]]),
        ("best_hedge", [sol, [["ETH", "BTC"]] + c[["ETH", "BTC"]].to_numpy().tolist()]),
        ("contract_spec", [_one("ETHUSD_PERP"), _one("contract_size")]),
        ("collateral_for_liquidation", [_one(24000), _one(64000), _one("binance:BTCUSD_PERP"), _one(1), n, n, n,
                                        _one(0.004)]),
        ("hedge_trade", [_one(30000), _one(80000), _one("binance:BTCUSD_PERP"), _one(400), _one(0.125), n, n, n, n,
                         _one(0.004), n, _one("trade_contracts")]),
        ("residual_band", [sol, eth, _one(0.9), _one(30), n, n, n, n, _one("low_frac")]),
        ("hedge_backtest", [_price_table(c), _col(["SOL"]), _col([100]), _one("binance:ETHUSD_PERP"), _one(5)]),
        ("backtest_daily", [_one(_backtest(c)[0]), _one(1), _one("contracts")]),
        ("backtest_summary", [_one(_backtest(c)[0]), _one("trades")]),
    ]


def _price_table(c):
    """The closes as Office.js sends a table: a header row, then a serial day number and the closes."""
    rows = zip(c.index, c.to_numpy().tolist())
    return [["Date", *c.columns]] + [[excel_serial(pd.Timestamp(d)), *row] for d, row in rows]


def _backtest(c):
    """(name, result) of the backtest the folder's HEDGE_BACKTEST is asked for: 100 SOL on 5 ETH, no funding (the rate 0)."""
    prices = c.set_axis(pd.DatetimeIndex(c.index))
    result = hc.backtest(prices, {"SOL": 100}, "binance:ETHUSD_PERP", collateral_coin=5, funding=0.0)
    return backtest_id(result), result


def _series(values):
    return [[{"type": "Error", "errorType": "NotAvailable"}] if np.isnan(v) else [pytest.approx(v, rel=1e-12)]
            for v in np.asarray(values, dtype=float)]


def _expected(c):
    sol, eth, btc = c["SOL"], c["ETH"], c["BTC"]
    plan = hc.hedge_plan(50000, 3500, "ETHUSD_PERP", collateral_coin=14)
    stress = hc.scenario_pnl(50000, 1, 49000, 3500, [-0.15, 0.15], contract_type="linear", risk_columns=True)
    band = hc.residual_band(sol, eth, hedge_ratio=0.9, horizon_days=30)
    two = hc.two_leg_hedge(sol, eth, btc)
    ranked = hc.best_hedge(sol, c[["ETH", "BTC"]])
    name, backtest = _backtest(c)
    return [
        [[4900.0]],  # seed article: 49,000 USD / 10 USD per contract
        [[plan.contracts], [pytest.approx(plan.liquidation_price_usd)]],
        [[pytest.approx(106240.0)]],  # docs/excel-addin.md: BTCUSD_PERP short, 0.25 BTC, MMR 0.4 %
        [[pytest.approx(-12.0), pytest.approx(-360.0)]],
        [list(stress.columns)] + [[v if isinstance(v, bool) else pytest.approx(v) for v in row]
                                  for row in stress.astype(object).to_numpy().tolist()],
        [[pytest.approx(hc.beta(sol, eth), rel=1e-12)]],
        [[pytest.approx(hc.beta_stats(sol, eth).r_squared, rel=1e-12)]],
        _series(hc.rolling_beta(sol.to_numpy(), eth.to_numpy(), 90)),
        _series(hc.ewm_beta(sol.to_numpy(), eth.to_numpy(), 30)),
        [[pytest.approx(two.beta_1, rel=1e-12), pytest.approx(two.beta_2, rel=1e-12)]],
        [list(ranked.columns)] + [[r.hedge, pytest.approx(r.beta), pytest.approx(r.r_squared),
                                   pytest.approx(r.correlation), r.n] for r in ranked.itertuples()],
        [[10.0]],
        [[pytest.approx(0.378069, abs=5e-7)]],  # DOMAIN.md §9: 482 contracts, liquidation at 2x entry
        [[0.0]],  # DOMAIN.md §9 a month on: 400 contracts already the target
        [[pytest.approx(band.low_frac, rel=1e-12)]],
        [[name]],
        [[backtest.daily["contracts"].iloc[0]]],
        [[float(backtest.summary.trades)]],
    ]


def test_the_folder_works_in_a_fresh_interpreter_without_hedgecore(tmp_path, closes):
    paths = write_addin_files(tmp_path / "hedgecore-addin")
    personal = paths[0]
    site_dir = _site_dir(tmp_path / "site")
    assert not (site_dir / "hedgecore").exists()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "XLWINGS"))}
    calls = _calls(closes)
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", SCRIPT, str(personal), str(site_dir)],
                          input=json.dumps(calls), capture_output=True, text=True, env=env, timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    assert Path(out["hedgecore"]).parent == personal / "hedgecore"  # from the folder, nowhere else
    assert not [p for p in out["path"] if "site-packages" in p or str(ROOT) == p]
    assert out["functions"] == sorted(["HEDGE_CONTRACTS", "HEDGE_PLAN", "LIQUIDATION_PRICE", "FUNDING_COST",
                                       "SCENARIO_PNL", "BETA", "BETA_STATS", "ROLLING_BETA", "EWM_BETA",
                                       "TWO_LEG_HEDGE", "BEST_HEDGE", "CONTRACT_SPEC", "COLLATERAL_FOR_LIQUIDATION",
                                       "HEDGE_TRADE", "RESIDUAL_BAND", "HEDGE_BACKTEST", "BACKTEST_DAILY",
                                       "BACKTEST_SUMMARY"])
    assert {name for name, _ in calls} == {f.lower() for f in out["functions"]}  # every function was called
    assert len(out["results"]) == len(calls)
    for (name, _), got, want in zip(calls, out["results"], _expected(closes)):
        assert got == want, name
    assert not [m for m in out["loaded"] if m.split(".")[1:2] in (["excel"], ["report"], ["data"], ["cli"])]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_what_goes_to_lite_is_pure_python_without_threads_processes_or_sockets(tmp_path):
    personal = write_addin_files(tmp_path / "addin")[0]
    files = list(personal.rglob("*"))
    assert not [f for f in files if f.suffix in (".so", ".pyd", ".dll", ".dylib", ".pyc")]
    sources = [f for f in files if f.suffix == ".py"]
    assert len(sources) == len([n for n in CORE_FILES if n.endswith(".py")]) + 1
    for source in sources:
        bad = _imports(source) & _NOT_IN_PYODIDE
        assert not bad, (source.name, bad)
        allowed = {"numpy", "pandas", "hedgecore", "xlwings"} if source.stem == FUNCTIONS_MODULE else {"numpy", "pandas"}
        third_party = {m for m in _imports(source) if m not in sys.stdlib_module_names and m != "hedgecore"}
        assert third_party <= allowed, (source.name, third_party)


# ----------------------------------------------------------------------------- Pyodide 0.29's versions

#: Pyodide 0.29's lock file: CPython 3.13, numpy 2.2.5, pandas 2.3.3 (xlwings pinned as in requirements.txt).
PYODIDE_PINS = ("numpy==2.2.5", "pandas==2.3.3", "xlwings==0.37.8", "pytest>=8", "hypothesis>=6.100")


def _python_313() -> str | None:
    """A working CPython 3.13 (pyenv's 3.13.0 first; a pyenv shim may point nowhere)."""
    candidates = sorted((Path.home() / ".pyenv" / "versions").glob("3.13*/bin/python3.13"))
    candidates += [Path(p) for p in (shutil.which("python3.13"),) if p]
    for candidate in candidates:
        done = subprocess.run([str(candidate), "-c", "import sys; print(sys.version_info[:2])"],
                              capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip() == "(3, 13)":
            return str(candidate)
    return None


@pytest.fixture(scope="session")
def pyodide_python(tmp_path_factory):
    """A venv of Python 3.13 with Pyodide 0.29's numpy and pandas (kept in .cache/ between runs)."""
    base = _python_313()
    if base is None:
        pytest.skip("no Python 3.13 interpreter (pyenv 3.13.0) to run the add-in suite with Pyodide 0.29's pins")
    venv = ROOT / ".cache" / "pyodide-0.29-pins"
    python = venv / "bin" / "python"
    marker = venv / "pins.txt"
    if not (python.exists() and marker.exists() and marker.read_text() == "\n".join(PYODIDE_PINS)):
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([base, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
        proc = subprocess.run([str(python), "-m", "pip", "install", "-q", *PYODIDE_PINS], capture_output=True,
                              text=True, timeout=1200)
        if proc.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            pytest.skip(f"the registry does not serve Pyodide 0.29's pins for Python 3.13: {proc.stderr[-300:]}")
        marker.write_text("\n".join(PYODIDE_PINS))
    return python


def test_the_officejs_suite_passes_with_pyodide_pins(pyodide_python):
    versions = subprocess.run([str(pyodide_python), "-c", "import sys, numpy, pandas; "
                               "print(sys.version_info[:2], numpy.__version__, pandas.__version__)"],
                              capture_output=True, text=True, check=True).stdout.strip()
    assert versions == "(3, 13) 2.2.5 2.3.3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["XLWINGS_ON_SERVER"] = "true"
    env.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    proc = subprocess.run([str(pyodide_python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/officejs"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0, tail
    assert " passed" in proc.stdout and " failed" not in proc.stdout, tail
