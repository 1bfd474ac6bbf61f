"""addin/main.py called as plain Python (XLWINGS_ON_SERVER unset: the decorators are no-ops).

The licence-free tier (EXCEL.md section 1): no xlwings PRO code runs here. The Office.js
conversion layer is covered by tests/officejs (run by tests/test_officejs_suite.py).
"""

import importlib.util
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hedgecore
import hedgecore.stats
from hedgecore.excel.addin import addin_main_text, addin_requirements_text, write_addin_files
from hedgecore.plan import PLAN_LABELS, PLAN_RISK_LABELS

ROOT = Path(__file__).resolve().parents[1]
ADDIN = ROOT / "addin"
PRICES = ROOT / "data" / "market" / "prices_daily"


@pytest.fixture(scope="module")
def addin():
    assert os.environ.get("XLWINGS_ON_SERVER") != "true", "run the Office.js tests in tests/officejs"
    spec = importlib.util.spec_from_file_location("hedgecore_addin_main_plain", ADDIN / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def eth_btc():
    frames = [pd.read_csv(PRICES / f"{s}-USD.csv", usecols=["Date", "Close"]).set_index("Date")["Close"]
              for s in ("ETH", "BTC")]
    both = pd.concat(frames, axis=1, join="inner").dropna()
    return both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy()


def strict(result):
    json.dumps(result, allow_nan=False)
    return result


def test_seed_article(addin):
    assert addin.hedge_contracts(10000, 3500, 1, 1, "linear", "none") == pytest.approx(2.857142857142857)
    assert addin.hedge_contracts(10000, 3500, 1, 1, "linear", "down") == 2.0
    assert addin.hedge_contracts(10000, 3500, 1, 1, "linear", "up") == 3.0
    assert addin.hedge_contracts(50000, 3500, 1, 1, "linear") == 14.0
    assert addin.hedge_contracts(49000, 3500, "ETHUSD_PERP") == 4900.0
    table = strict(addin.scenario_pnl(50000, 1, 49000, 3500, [[-0.15], [0.15]], "linear"))
    net = table[0].index("Net P&L")
    assert [r[net] for r in table[1:]] == [pytest.approx(-150.0), pytest.approx(150.0)]


def test_integers_and_floats_are_interchangeable(addin):
    assert addin.hedge_contracts(50000.0, 3500.0, 1.0, 1.0, "linear") == addin.hedge_contracts(50000, 3500, 1, 1, "linear")


def test_beta_on_real_prices_equals_core(addin, eth_btc):
    eth, btc = eth_btc
    expected = hedgecore.stats.beta(eth, btc)
    assert addin.beta([[v] for v in eth.tolist()], [[v] for v in btc.tolist()]) == pytest.approx(expected, rel=1e-12)
    assert addin.beta(eth.tolist(), btc.tolist(), "simple", "prices") == pytest.approx(expected, rel=1e-12)
    assert addin.beta(np.array([eth]), np.array([btc])) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("blank", [None, "", 0])
def test_beta_blanks_and_header(addin, eth_btc, blank):
    eth, btc = (a[:250].tolist() for a in eth_btc)
    asset = ["ETH", *eth]
    asset[10] = blank
    expected_asset = np.array([np.nan, *eth])
    expected_asset[10] = np.nan
    expected = hedgecore.stats.beta(expected_asset, np.array([np.nan, *btc]))
    assert addin.beta([[v] for v in asset], [["BTC"], *[[v] for v in btc]]) == pytest.approx(expected, rel=1e-12)


def test_beta_not_enough_data_is_na_text(addin):
    assert addin.beta([[1], [2]], [[1], [3]]) == "#N/A"


def test_stats_tables(addin, eth_btc):
    eth, btc = (a[:120] for a in eth_btc)
    table = strict(addin.beta_stats(eth.tolist(), btc.tolist()))
    assert [r[0] for r in table] == list(hedgecore.stats.BETA_STATS_LABELS)
    expected = hedgecore.stats.beta_stats(eth, btc).as_dict()
    assert [r[1] for r in table] == [pytest.approx(v, rel=1e-12) for v in expected.values()]
    rolling = strict(addin.rolling_beta([[x] for x in eth], [[x] for x in btc], 20, None, None))
    core = hedgecore.stats.rolling_beta(eth, btc, 20)
    assert [r[0] for r in rolling] == ["#N/A" if math.isnan(v) else pytest.approx(v, rel=1e-12) for v in core]
    # a flat list is how xlwings hands over a one-row range: the result is a row too
    assert strict(addin.rolling_beta(eth.tolist(), btc.tolist(), 20, None, None)) == [[r[0] for r in rolling]]


def test_plan_liquidation_funding_spec(addin):
    table = strict(addin.hedge_plan(24000, 64000, "binance:BTCUSD_PERP", None, None, None, 0.25, None, 0.004))
    plan = hedgecore.hedge_plan(24000, 64000, "binance:BTCUSD_PERP", collateral_coin=0.25, maintenance_rate=0.004)
    rows = PLAN_LABELS + PLAN_RISK_LABELS
    assert [v for _, v in table[:len(rows)]] == [
        "unknown" if f == "max_leverage" else pytest.approx(getattr(plan, f)) for f, _ in rows]
    assert table[-1] == ["Margin verdict", plan.margin_verdict]
    assert addin.hedge_trade(30000, 80000, "binance:BTCUSD_PERP", 400, 0.125, None, None, None, None, 0.004, None,
                             "trade_contracts") == 0.0  # DOMAIN.md §9 a month on: no trade
    assert addin.collateral_for_liquidation(24000, 64000, "binance:BTCUSD_PERP", 1, None, None, None,
                                            0.004) == pytest.approx(0.378069, abs=5e-7)
    assert addin.liquidation_price(64000, 400, 0.25, "short", 100, "inverse", 0.004) == pytest.approx(106240.0)
    assert addin.liquidation_price(3500, 4900, 14, "short", "ETHUSD_PERP") == "none"
    assert addin.liquidation_price(3500, 1, 10**6, "long", 1, "linear") == "none"
    assert addin.funding_cost(40000, 0.0001, 1) == pytest.approx(-12.0)
    assert addin.contract_spec("binance:ETHUSD_PERP", "contract_size") == 10.0
    assert strict(addin.contract_spec("ETHUSD_PERP"))[0] == ["Exchange", "binance"]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda a: a.hedge_contracts(1, 2, 3, 1, "swap"), "contract_type must be one of"),
        (lambda a: a.hedge_plan([[1, 2]], 2, 3), "exposure must be a single cell"),
        (lambda a: a.hedge_contracts([[1, 2]], [[1], [2]], 3), "ranges must have the same size"),
        (lambda a: a.hedge_contracts(1, 2, "ETHUSD_PERP", 1, "inverted"), "contract_type must be one of"),
        (lambda a: a.hedge_plan(1, 2, 3, field="colour"), "field must be a field name"),
        (lambda a: a.beta([[1], [2, 3]], [[1], [2]]), "rectangular"),
        (lambda a: a.beta([1, 2, 3], [1, 2]), "same length"),
        (lambda a: a.beta([1, -2, 3], [1, 2, 3]), "must not be negative"),
        (lambda a: a.beta([], [1]), "empty"),
        (lambda a: a.hedge_contracts(1e308, 1e-300, 1e-300, 1e308, "linear", "up"), "too large"),
        (lambda a: a.contract_spec("ETHUSD_PERP", 5), "field must be one of"),
    ],
)
def test_errors_are_short_and_readable(addin, call, match):
    with pytest.raises(hedgecore.HedgecoreError, match=match) as info:
        call(addin)
    assert isinstance(info.value, ValueError) or "exists" in str(info.value)
    assert len(str(info.value)) < 255


# --------------------------------------------------------------------------- shipped copies


def test_packaged_template_is_identical_to_addin():
    assert addin_main_text().encode() == (ADDIN / "main.py").read_bytes()
    packaged = Path(hedgecore.__file__).parent / "excel" / "addin_template" / "requirements.txt"
    assert packaged.read_bytes() == (ADDIN / "requirements.txt").read_bytes()


def test_requirements_pins():
    text = (ADDIN / "requirements.txt").read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines == ["xlwings==0.37.8", "numpy", "pandas"]  # numpy, pandas unpinned: Pyodide provides them
    assert not any("hedgecore" in line for line in lines)  # not on PyPI: it comes from the personal folder
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"xlwings==0.37.8"' in pyproject


def test_write_addin_files(tmp_path):
    from hedgecore.excel.addin import CORE_FILES, FUNCTIONS_MODULE

    paths = write_addin_files(tmp_path / "lite")
    assert [p.name for p in paths] == ["personal", "requirements.txt", "README.txt"]
    personal = paths[0]
    assert (personal / f"{FUNCTIONS_MODULE}.py").read_bytes() == (ADDIN / "main.py").read_bytes()
    assert sorted(p.name for p in (personal / "hedgecore").iterdir()) == sorted(CORE_FILES)
    assert {"__init__.py", "plan.py", "stats.py", "contracts.csv", "errors.py"} <= set(CORE_FILES)
    assert not {"cli.py", "_atomic.py"} & set(CORE_FILES)
    assert not [p for p in (personal / "hedgecore").iterdir() if p.is_dir()]  # no edges (files, workbooks, reports)
    assert paths[1].read_text() == addin_requirements_text()
    with pytest.raises(hedgecore.HedgecoreError, match="already exist"):
        write_addin_files(tmp_path / "lite")
    assert write_addin_files(tmp_path / "lite", overwrite=True) == paths


def test_the_install_steps_are_the_same_everywhere():
    """README, docs/excel-addin.md, the folder's README.txt and the Guide sheet give the same steps, word for word."""
    from hedgecore.excel.addin import CLASSIC_STEPS, INSTALL_STEPS
    from hedgecore.excel.sheets import GUIDE_SECTIONS

    steps = (*INSTALL_STEPS, *CLASSIC_STEPS)
    docs = {name: (ROOT / name).read_text(encoding="utf-8") for name in ("README.md", "docs/excel-addin.md")}
    for name, text in docs.items():
        for k, step in enumerate(INSTALL_STEPS, start=1):
            assert f"{k}. {step}" in text, (name, step)
        for step in CLASSIC_STEPS:
            assert step in text, (name, step)
    guide = dict(next(items for title, items in GUIDE_SECTIONS if title == "Install the add-in"))
    assert [guide[f"xlwings Lite {k}"] for k in range(1, len(INSTALL_STEPS) + 1)] == list(INSTALL_STEPS)
    assert [guide[f"Classic {k}"] for k in range(1, len(CLASSIC_STEPS) + 1)] == list(CLASSIC_STEPS)
    for text in docs.values():  # nothing that does not exist is installed from an index
        assert "pip install hedgecore" not in text and "hedgecore==0.1.0\n" not in text


def test_main_is_the_only_xlwings_importer():
    hits = [p for p in (ROOT / "hedgecore").rglob("*.py") if "import xlwings" in p.read_text() or "from xlwings" in p.read_text()]
    assert hits == []


def test_cli_addin_command(tmp_path):
    from click.testing import CliRunner

    from hedgecore.cli import main

    result = CliRunner().invoke(main, ["addin", "-o", str(tmp_path / "x")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "x" / "personal" / "hedgecore_excel.py").read_bytes() == (ADDIN / "main.py").read_bytes()
    assert "Menu > Restart" in result.output  # the steps follow
    again = CliRunner().invoke(main, ["addin", "-o", str(tmp_path / "x")])
    assert again.exit_code == 2 and "already exist" in again.output
