"""End to end: filled templates from the real market data -> `hedgecore report` in a subprocess ->
read the report back and compare every figure with direct hedgecore calls.

The workbooks are built with ``write_template`` (and once with ``hedgecore template``) from
``data/market/prices_daily``; expected values come from hedge_plan, beta, beta_stats,
portfolio_beta, rolling_beta, funding_cost_usd and scenario_pnl on the same prices.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

openpyxl = pytest.importorskip("openpyxl")

import hedgecore as hc  # noqa: E402
from hedgecore.excel import write_template  # noqa: E402
from hedgecore.excel.layout import BACKTEST_INPUT_NAMES, DEFAULT_SHOCKS, FUNDING_NAMES, INPUT_NAMES, OUTPUT_NAMES  # noqa: E402
from hedgecore.excel.layout import STRESS_COLUMNS as STRESS_BLOCK_COLUMNS  # noqa: E402
from hedgecore.report import ROLLING_WINDOW  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "market" / "prices_daily"
REL = 1e-12

#: Three filled workbooks that exercise different paths of the template.
CASES = {
    # inverse ETHUSD_PERP with coin collateral, default formulas for HedgeRatio and HedgePrice
    "eth_inverse": dict(
        assets=["SOL", "AVAX", "DOT", "LINK", "ADA", "XRP", "ETH", "BTC"],
        holdings={"SOL": 120.0, "AVAX": 350.0, "DOT": 1600.0, "LINK": 800.0, "ADA": 22_000.0, "XRP": 20_000.0},
        settings={"HedgeAsset": "ETH", "Contract": "binance:ETHUSD_PERP", "ContractType": "inverse",
                  "ContractSize": 10.0, "Collateral": 10.0, "Leverage": 3.0, "MaintenanceMargin": 0.005,
                  "FundingRate": 0.0001, "HorizonDays": 30.0, "Rounding": "nearest", "SecondAsset": "BTC"},
    ),
    # linear BTC contract by size (no catalog name), typed hedge ratio and price, rounding down, 1x
    "btc_linear": dict(
        assets=["BNB", "DOGE", "TRX", "BTC"],
        holdings={"BNB": 40.0, "DOGE": 150_000.0, "TRX": 90_000.0},
        settings={"HedgeAsset": "BTC", "Contract": "", "ContractType": "linear", "ContractSize": 0.001,
                  "HedgePrice": 69_000.0, "HedgeRatio": 0.8, "Collateral": 0.0, "Leverage": 1.0,
                  "MaintenanceMargin": 0.004, "FundingRate": -0.00005, "HorizonDays": 7.0, "Rounding": "down"},
    ),
    # inverse without collateral (isolated, 2x): a finite liquidation price, funding paid
    "sol_isolated": dict(
        assets=["AVAX", "LINK", "SOL"],
        holdings={"AVAX": 500.0, "LINK": 1500.0},
        settings={"HedgeAsset": "SOL", "Contract": "binance:SOLUSD_PERP", "ContractType": "inverse",
                  "ContractSize": 10.0, "Collateral": 0.0, "Leverage": 2.0, "MaintenanceMargin": 0.01,
                  "FundingRate": 0.0003, "HorizonDays": 14.0, "Rounding": "up"},
        shocks=[-0.6, -0.25, -0.05, 0.0, 0.05, 0.25, 0.6, 1.0],
    ),
    # linear Binance BTCUSDT from the catalog: its tier table (blank rate), coins in 0.001 steps, 5x, and a
    # short already held on a margin balance (Trade now through rebalance)
    "btc_tiers": dict(
        assets=["BNB", "DOGE", "BTC"],
        holdings={"BNB": 300.0, "DOGE": 900_000.0},
        settings={"HedgeAsset": "BTC", "Contract": "binance:BTCUSDT", "ContractType": "linear", "ContractSize": 1.0,
                  "Collateral": 0.0, "Leverage": 5.0, "MaintenanceMargin": "", "FundingRate": 0.0001,
                  "HorizonDays": 10.5, "Rounding": "nearest", "ContractsHeld": 2.5, "MarginBalance": 30_000.0},
    ),
}


def load_case_prices(assets) -> pd.DataFrame:
    return hc.load_prices(DATA, assets=list(assets))


def build_workbook(path: Path, case: dict) -> Path:
    prices = load_case_prices(case["assets"])
    holdings = pd.DataFrame({"Asset": list(case["holdings"]), "Quantity": list(case["holdings"].values())})
    write_template(path, holdings=holdings, prices=prices, settings=case["settings"], shocks=case.get("shocks"))
    return path


def run_cli(*args, cwd=None, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hedgecore", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def expected(case: dict) -> dict:
    """Every report figure from direct hedgecore calls (the template's formulas, term by term)."""
    prices = load_case_prices(case["assets"])
    s = case["settings"]
    coin = s["HedgeAsset"]
    assets = list(case["holdings"])
    qty = np.array(list(case["holdings"].values()))
    price = np.array([prices[a].dropna().iloc[-1] for a in assets])
    value = qty * price
    betas = np.array([hc.beta(prices[a], prices[coin], returns="simple", data="prices") for a in assets])
    pbeta = hc.portfolio_beta(value, betas)
    total = float(value.sum())
    hedge_price = s.get("HedgePrice", float(prices[coin].iloc[-1]))
    ratio = s.get("HedgeRatio", pbeta)
    mmr = s["MaintenanceMargin"] if s["MaintenanceMargin"] != "" else None  # blank: the contract's tiers
    contract = s["Contract"] or s["ContractSize"]
    plan = hc.hedge_plan(total, hedge_price, contract, hedge_ratio=ratio,
                         contract_type=s["ContractType"], rounding=s["Rounding"], collateral_coin=s["Collateral"],
                         leverage=s["Leverage"], maintenance_rate=mmr, funding_rate=s["FundingRate"])
    funding = hc.funding_cost_usd(abs(plan.hedged_notional_usd), s["FundingRate"], s["HorizonDays"],
                                  side="short" if plan.contracts >= 0 else "long",
                                  interval_hours=plan.funding_interval_hours)
    basket_value = (prices[assets] * qty).sum(axis=1, min_count=len(assets))
    band = hc.residual_band(basket_value, prices[coin], hedge_ratio=pbeta, horizon_days=max(1, math.ceil(s["HorizonDays"])))
    downside = float(np.dot(value, [hc.beta_stats(prices[a], prices[coin]).downside_beta for a in assets]) / total)
    shocks = case.get("shocks", DEFAULT_SHOCKS)
    stress = hc.scenario_pnl(total, pbeta, plan.hedged_notional_usd, hedge_price, shocks,
                             contract_type=s["ContractType"], collateral_coin=s["Collateral"],
                             funding_rate=s["FundingRate"], days=s["HorizonDays"], leverage=s["Leverage"],
                             maintenance_rate=mmr, contract=s["Contract"] or None, residual=band,
                             downside_beta=downside, risk_columns=True)
    held = s.get("ContractsHeld", 0.0)
    trade = (plan.contracts - held if s.get("MarginBalance") is None else
             hc.rebalance(total, hedge_price, contract, held, s["MarginBalance"], hedge_ratio=ratio,
                          contract_type=s["ContractType"], rounding=s["Rounding"], leverage=s["Leverage"],
                          maintenance_rate=mmr, funding_rate=s["FundingRate"]).trade_contracts)
    risk = {"PortfolioDownsideBeta": downside, "MarginVerdict": plan.margin_verdict, "DeltaVerdict": plan.delta_verdict,
            "MarginShortfall": plan.margin_shortfall, "LeverageToFit": plan.leverage_to_fit,
            "MaxLeverage": plan.max_leverage, "MaintenanceRate": plan.maintenance_rate,
            "LossIfLiquidated": plan.loss_if_liquidated_usd, "FundingInterval": plan.funding_interval_hours,
            "ResidualLow": band.low_frac, "ResidualHigh": band.high_frac, "TradeNow": trade}
    stats = hc.beta_stats(basket_value, prices[coin])
    start = total + (s["Collateral"] * hedge_price if s["ContractType"] == "inverse" else 0.0)
    unhedged = stress["Unhedged value"] - start
    window = ROLLING_WINDOW if stats.n >= 2 * ROLLING_WINDOW else max(2, stats.n // 3)
    two_leg = {"TwoLegBeta1": "", "TwoLegBeta2": "", "TwoLegNotional1": "", "TwoLegNotional2": ""}
    if s.get("SecondAsset"):  # value-weighted two-leg betas (hc.two_leg_hedge per asset)
        fits = [hc.two_leg_hedge(prices[a], prices[coin], prices[s["SecondAsset"]]) for a in assets]
        b1 = float(np.dot(value, [f.beta_1 for f in fits]) / total)
        b2 = float(np.dot(value, [f.beta_2 for f in fits]) / total)
        two_leg = {"TwoLegBeta1": b1, "TwoLegBeta2": b2, "TwoLegNotional2": total * b2,
                   "TwoLegNotional1": total * b1 + (s["Collateral"] * hedge_price if s["ContractType"] == "inverse" else 0)}
    return dict(risk=risk, band=band, two_leg=two_leg, prices=prices, assets=assets, qty=qty, price=price, value=value, betas=betas, pbeta=pbeta,
                total=total, hedge_price=hedge_price, ratio=ratio, plan=plan, funding=funding, stress=stress,
                stats=stats, unhedged=unhedged, basket_value=basket_value, coin=coin,
                rolling=np.asarray(hc.rolling_beta(basket_value.to_numpy(), prices[coin].to_numpy(), window)),
                window=window)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Build the three workbooks (one through `hedgecore template`), run one batch over them."""
    root = tmp_path_factory.mktemp("e2e")
    inputs = root / "in"
    inputs.mkdir()
    for name, case in CASES.items():
        if name == "sol_isolated":
            holdings_csv = root / "holdings.csv"
            pd.DataFrame({"Asset": list(case["holdings"]), "Quantity": list(case["holdings"].values())}).to_csv(
                holdings_csv, index=False)
            sets = [f"--set={k}={v}" for k, v in case["settings"].items()]
            done = run_cli("template", "-o", inputs / f"{name}.xlsx", "--holdings", holdings_csv, "--prices", DATA,
                           "--assets", ",".join(case["assets"]), *sets)
            assert done.returncode == 0, done.stderr
            # shocks are not a CLI option: set them in the Shocks table like a user would
            wb = openpyxl.load_workbook(inputs / f"{name}.xlsx")
            ws = wb["StressTest"]
            ref = ws.tables["Shocks"].ref
            first = int(ref.split(":")[0][1:]) + 1
            assert int(ref.split(":")[1][1:]) - first + 1 >= len(case["shocks"])
            for i in range(int(ref.split(":")[1][1:]) - first + 1):
                ws.cell(row=first + i, column=1).value = case["shocks"][i] if i < len(case["shocks"]) else None
            wb.save(inputs / f"{name}.xlsx")
        else:
            build_workbook(inputs / f"{name}.xlsx", case)
    before = {p.name: sha256(p) for p in inputs.iterdir()}
    out = root / "out"
    done = run_cli("report", inputs, "-o", out, "--jobs", "2")
    return dict(root=root, inputs=inputs, out=out, done=done, before=before)


def test_batch_writes_every_report_and_says_so(batch):
    done = batch["done"]
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "4 reports written, 0 failed"
    assert sorted(p.name for p in batch["out"].iterdir()) == sorted(f"{n}-report.xlsx" for n in CASES)
    assert "Traceback" not in done.stderr


def test_inputs_are_unchanged(batch):
    assert {p.name: sha256(p) for p in batch["inputs"].iterdir()} == batch["before"]


def s_contract(case: dict) -> str:
    return case["settings"].get("Contract", "")


def _summary(ws) -> dict:
    """Summary sheet label -> value (column A -> column B) above the tables."""
    out = {}
    for row in ws.iter_rows(min_row=4, max_col=2):
        label, value = row[0].value, row[1].value
        if label == "Holdings" and value is None:
            break
        if isinstance(label, str) and value is not None:
            out[label] = value
    return out


def _name_value(wb, name):
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][ref.replace("$", "")].value


@pytest.mark.parametrize("name", list(CASES))
def test_report_matches_direct_hedgecore_calls(batch, name):
    case = CASES[name]
    e = expected(case)
    src = openpyxl.load_workbook(batch["inputs"] / f"{name}.xlsx")
    wb = openpyxl.load_workbook(batch["out"] / f"{name}-report.xlsx")

    # Same sheets (plus Summary first, Rolling beta and Backtest data; the report's own Backtest sheet in place
    # of the template's), same tables and defined names (but the Backtest sheet's, which pointed into it).
    assert wb.sheetnames[0] == "Summary"
    # An empty Funding sheet (no history in the input) is left out.
    kept = [s for s in src.sheetnames if s != "Funding"]
    assert [s for s in wb.sheetnames if s not in ("Summary", "Rolling beta", "Backtest data")] == kept
    for sheet in kept:
        assert sorted(wb[sheet].tables) == sorted(src[sheet].tables)
    funding = {n for n in src.defined_names if n.startswith("Funding") and "Funding!" in src.defined_names[n].attr_text
               or n in FUNDING_NAMES}
    kept = {n for n in src.defined_names if n not in (*BACKTEST_INPUT_NAMES, "BacktestId", *funding)}
    assert kept <= set(wb.defined_names) and not set(BACKTEST_INPUT_NAMES) & set(wb.defined_names)
    assert not funding & set(wb.defined_names)  # names into the dropped Funding sheet go with it
    for n in kept:
        assert wb.defined_names[n].attr_text == src.defined_names[n].attr_text

    # No formula is left anywhere.
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                text = getattr(c.value, "text", c.value)
                assert not (isinstance(text, str) and text.startswith("=")), (ws.title, c.coordinate, text)

    # Hedge sheet: inputs (default formulas replaced by their values) and every computed name.
    p = e["plan"]
    assert _name_value(wb, "HedgeRatio") == pytest.approx(e["ratio"], rel=REL)
    assert _name_value(wb, "HedgePrice") == pytest.approx(e["hedge_price"], rel=REL)
    computed = {
        "PortfolioValue": e["total"], "PortfolioBeta": e["pbeta"], "HedgeNotional": p.hedge_notional_usd,
        "Contracts": p.contracts, "HedgedNotional": p.hedged_notional_usd, "ResidualExposure": p.residual_usd,
        "InitialMargin": p.initial_margin, "EffectiveLeverage": p.effective_leverage,
        "LiquidationPrice": p.liquidation_price_usd, "FundingCost": e["funding"], **e["two_leg"], **e["risk"],
        # no Funding history in these cases: the constant Funding rate is the one used
        "FundingHistoryRate": "", "FundingRateUsed": _name_value(src, "FundingRate"),
    }
    assert set(computed) == set(OUTPUT_NAMES)
    for n, v in computed.items():
        got = _name_value(wb, n)
        if isinstance(v, str) and v:
            assert got == v, n  # the margin verdict
        elif v == "":
            assert got in ("", None), n
        elif math.isnan(v):
            assert got == "unknown", n  # MaxLeverage without a tier table
        elif math.isinf(v):
            assert got == "none", n
        else:
            assert got == pytest.approx(v, rel=REL, abs=1e-9), n
    assert _name_value(wb, "Contracts") == p.contracts
    assert float(p.contracts).is_integer() or s_contract(case) == "binance:BTCUSDT"  # BTCUSDT: 0.001 BTC steps
    for n in INPUT_NAMES:  # only the inputs that may be blank are
        assert _name_value(wb, n) is not None or n in ("Contract", "SecondAsset", "MaintenanceMargin", "MarginBalance")

    # Holdings table: Value, Beta, Beta exposure, Weight.
    ws = wb["Portfolio"]
    ref = ws.tables["Holdings"].ref
    top = int(ref.split(":")[0][1:])
    heads = [c.value for c in ws[top]]
    rows = [[c.value for c in ws[top + 1 + i]] for i in range(len(e["assets"]))]
    col = {h: i for i, h in enumerate(heads) if h}
    for i, a in enumerate(e["assets"]):
        r = rows[i]
        assert r[col["Asset"]] == a
        assert r[col["Value"]] == pytest.approx(e["value"][i], rel=REL)
        assert r[col["Beta"]] == pytest.approx(e["betas"][i], rel=REL)
        assert r[col["Beta exposure"]] == pytest.approx(e["value"][i] * e["betas"][i], rel=REL)
        assert r[col["Weight"]] == pytest.approx(e["value"][i] / e["total"], rel=REL)
    assert ws["D2"].value == pytest.approx(e["total"], rel=REL)
    assert ws["E2"].value == pytest.approx(e["pbeta"], rel=REL)
    assert ws["G2"].value == pytest.approx(1.0, rel=1e-12)

    # Table Shocks: its stress columns = scenario_pnl with the template's arguments.
    ws = wb["StressTest"]
    ref = ws.tables["Shocks"].ref
    top = int(re.search(r"\d+", ref).group())
    width = len(STRESS_BLOCK_COLUMNS)
    block = [[c.value for c in row][:width] for row in ws.iter_rows(min_row=top, max_row=int(ref.split(":")[1][1:]))]
    assert tuple(block[0]) == STRESS_BLOCK_COLUMNS
    stress = e["stress"]
    n = len(stress)
    assert len(block) - 1 >= n and all(v is None for row in block[1 + n:] for v in row[1:])  # unused rows blank
    for j, colname in enumerate(STRESS_BLOCK_COLUMNS):
        got = np.array([np.nan if row[j] is None else row[j] for row in block[1:1 + n]], dtype=float)
        np.testing.assert_allclose(got, stress[colname].to_numpy(dtype=float), rtol=REL, atol=1e-9, err_msg=colname)
    assert ws["B3"].value == e["coin"]

    # Summary: figures against direct calls.
    summ = _summary(wb["Summary"])
    st = e["stats"]
    assert summ["Portfolio value (USD)"] == pytest.approx(e["total"], rel=REL)
    assert summ["Portfolio beta (value-weighted)"] == pytest.approx(e["pbeta"], rel=REL)
    assert summ["Basket beta (regression)"] == pytest.approx(st.beta, rel=1e-10)
    assert summ["Basket beta (regression)"] == pytest.approx(
        hc.basket_beta(e["prices"], dict(zip(e["assets"], e["qty"])), e["coin"]), rel=1e-10)
    assert summ["R² (hedge effectiveness)"] == pytest.approx(st.r_squared, rel=1e-10)
    assert summ["Correlation"] == pytest.approx(st.correlation, rel=1e-10)
    assert summ["Hedge notional wanted (USD)"] == pytest.approx(p.hedge_notional_usd, rel=REL)
    assert summ["Contracts to short"] == p.contracts
    assert summ["Notional hedged (USD)"] == pytest.approx(p.hedged_notional_usd, rel=REL)
    assert summ["Residual exposure (USD)"] == pytest.approx(p.residual_usd, rel=REL, abs=1e-9)
    assert summ["Initial margin (USD)"] == pytest.approx(p.initial_margin_usd, rel=REL)
    assert summ["Effective leverage"] == pytest.approx(p.effective_leverage, rel=REL)
    if math.isinf(p.liquidation_price_usd):
        assert summ["Liquidation price (USD)"] == "none"
        assert summ["Liquidation distance from price"] == "none"
    else:
        assert summ["Liquidation price (USD)"] == pytest.approx(p.liquidation_price_usd, rel=REL)
        assert summ["Liquidation distance from price"] == pytest.approx(p.liquidation_distance, rel=REL)
    assert summ["Funding paid per day (USD)"] == pytest.approx(p.funding_per_day_usd, rel=REL, abs=1e-12)
    assert summ["Funding paid over the horizon (USD)"] == pytest.approx(e["funding"], rel=REL, abs=1e-12)
    assert summ["Net delta after hedge (USD)"] == pytest.approx(p.net_delta_usd, rel=REL, abs=1e-9)
    assert summ["Worst outcome hedged (USD)"] == pytest.approx(stress["Net P&L"].min(), rel=REL)
    assert summ["Best outcome hedged (USD)"] == pytest.approx(stress["Net P&L"].max(), rel=REL)
    assert summ["Worst outcome unhedged (USD)"] == pytest.approx(e["unhedged"].min(), rel=REL)
    assert summ["Best outcome unhedged (USD)"] == pytest.approx(e["unhedged"].max(), rel=REL)
    assert summ["Worst outcome unhedged: " + e["coin"] + " shock"] == pytest.approx(
        stress["Shock"].iloc[int(np.argmin(e["unhedged"].to_numpy()))])
    # the hedge's real risk (issue 10): verdict, liquidation loss, residual band, hedged vol at the ratio used
    assert summ["Margin verdict"] == p.margin_verdict
    assert summ["Loss if liquidated (USD)"] == pytest.approx(p.loss_if_liquidated_usd, rel=REL)
    band = e["band"]
    assert summ[f"Residual band, low (5%, USD)"] == pytest.approx(band.low_frac * e["total"], rel=REL)
    assert summ[f"Residual band, high (95%, USD)"] == pytest.approx(band.high_frac * e["total"], rel=REL)
    assert summ["Worst outcome hedged, residual low (USD)"] == pytest.approx(stress["Net P&L low"].min(), rel=REL)
    used = e["ratio"] - p.net_delta_usd / e["total"]  # the contracts' own ratio: rounding and margin coin counted
    rb_, rh_ = e["basket_value"].pct_change().dropna(), e["prices"][e["coin"]].pct_change().dropna()
    joint = pd.concat([rb_, rh_], axis=1, join="inner").dropna()
    resid = joint.iloc[:, 0] - used * joint.iloc[:, 1]
    assert summ["Volatility hedged at the ratio used (annualised)"] == pytest.approx(
        resid.std(ddof=1) * math.sqrt(365), rel=1e-9)
    last = joint.iloc[-90:]
    recent = float(np.polyfit(last.iloc[:, 1], last.iloc[:, 0], 1)[0])
    assert summ["Basket beta, last 90 days"] == pytest.approx(recent, rel=1e-9)
    assert summ["Beta check"].startswith("Warning" if abs(recent - st.beta) > 0.1 else "ok")
    assert summ["Trade now (contracts)"] == pytest.approx(e["risk"]["TradeNow"], rel=REL, abs=1e-9)
    assert summ["First date"] == e["prices"].index[0].to_pydatetime()
    assert summ["Last date"] == e["prices"].index[-1].to_pydatetime()
    assert summ["Price rows"] == len(e["prices"])
    assert summ["Return observations (n)"] == st.n
    assert summ["Input file"] == f"{name}.xlsx"
    assert summ["Input SHA-256"] == batch["before"][f"{name}.xlsx"]
    assert summ["hedgecore version"] == hc.__version__
    assert summ["Generated"].endswith(" UTC")

    # Rolling beta sheet and the three charts.
    rb = wb["Rolling beta"]
    got = np.array([np.nan if c.value is None else c.value for (c,) in rb.iter_rows(min_row=2, min_col=2, max_col=2)],
                   dtype=float)
    np.testing.assert_allclose(got, e["rolling"], rtol=1e-9, equal_nan=True)
    assert np.isfinite(got).sum() > 100
    assert len(wb["Summary"]._charts) == 3


def test_json_and_csv_formats_carry_the_same_figures(batch, tmp_path):
    inputs = batch["inputs"]
    done = run_cli("report", inputs, "-o", tmp_path / "j", "--format", "json", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    done = run_cli("report", inputs, "-o", tmp_path / "c", "--format", "csv", "--jobs", "2")
    assert done.returncode == 0, done.stderr
    summary = pd.read_csv(tmp_path / "c" / "summary.csv")
    assert sorted(summary["file"]) == sorted(f"{n}.xlsx" for n in CASES)
    for name, case in CASES.items():
        e = expected(case)
        p = e["plan"]
        doc = json.loads((tmp_path / "j" / f"{name}-report.json").read_text())
        s = doc["summary"]
        assert s["contracts"] == p.contracts
        assert s["portfolio_value_usd"] == pytest.approx(e["total"], rel=REL)
        assert s["basket_beta"] == pytest.approx(e["stats"].beta, rel=1e-10)
        assert s["r_squared"] == pytest.approx(e["stats"].r_squared, rel=1e-10)
        assert s["liquidation_price_usd"] == ("none" if math.isinf(p.liquidation_price_usd)
                                              else pytest.approx(p.liquidation_price_usd, rel=REL))
        assert s["sha256"] == batch["before"][f"{name}.xlsx"]
        assert [a["Asset"] for a in doc["assets"]] == e["assets"]
        np.testing.assert_allclose([a["Beta"] for a in doc["assets"]], e["betas"], rtol=REL)
        np.testing.assert_allclose([r["Net P&L"] for r in doc["stress"]], e["stress"]["Net P&L"], rtol=REL)
        np.testing.assert_allclose([r["Unhedged P&L"] for r in doc["stress"]], e["unhedged"], rtol=REL, atol=1e-9)
        hit = [f"{x:+.0%}" for x, flag in zip(e["stress"]["Shock"], e["stress"]["Liquidated"]) if flag]
        assert s["liquidated_shocks"] == (", ".join(hit) or "none")
        row = summary.set_index("file").loc[f"{name}.xlsx"]
        assert row["contracts"] == p.contracts
        assert float(row["portfolio_beta"]) == pytest.approx(e["pbeta"], rel=1e-12)
        assets = pd.read_csv(tmp_path / "c" / f"{name}-assets.csv")
        np.testing.assert_allclose(assets["Beta"], e["betas"], rtol=1e-12)
        stress = pd.read_csv(tmp_path / "c" / f"{name}-stress.csv")
        np.testing.assert_allclose(stress["Hedged value"], e["stress"]["Hedged value"], rtol=1e-12)


def test_jobs_1_and_jobs_2_give_the_same_figures(batch, tmp_path):
    one = run_cli("report", batch["inputs"], "-o", tmp_path / "one", "--format", "json", "--jobs", "1")
    two = run_cli("report", batch["inputs"], "-o", tmp_path / "two", "--format", "json", "--jobs", "2")
    assert one.returncode == two.returncode == 0
    for name in CASES:
        a = json.loads((tmp_path / "one" / f"{name}-report.json").read_text())
        b = json.loads((tmp_path / "two" / f"{name}-report.json").read_text())
        a["summary"].pop("generated_at"), b["summary"].pop("generated_at")
        assert a == b


def test_demo_runs_from_any_folder_and_reruns(tmp_path):
    first = run_cli("demo", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    report = tmp_path / "hedge-report" / "example_portfolio-report.xlsx"
    assert report.exists()
    assert "Contracts to short" in first.stdout and "Liquidation price" in first.stdout
    assert "Worst stress P&L unhedged" in first.stdout and "Worst stress P&L hedged" in first.stdout
    assert "hedge-report/example_portfolio-report.xlsx" in first.stdout
    again = run_cli("demo", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in (tmp_path / "hedge-report").iterdir()) == ["example_portfolio-report.xlsx"]
    # The headline numbers are those of the report.
    wb = openpyxl.load_workbook(report)
    contracts = _name_value(wb, "Contracts")
    assert f"{contracts:,.0f}" in first.stdout
    # the hedge's real risk, in the same words as the report (issue 10)
    assert f"Margin verdict              {_name_value(wb, 'MarginVerdict')}" in first.stdout
    assert f"Loss if liquidated          ${_name_value(wb, 'LossIfLiquidated'):,.2f} if ETH spikes" in first.stdout
    assert "liquidated at +50%" in first.stdout and "Hedged at ETH +50%" in first.stdout
    low = _name_value(wb, "ResidualLow") * _name_value(wb, "PortfolioValue")
    assert f"Residual band, 30 days      -${-low:,.2f} to +$" in first.stdout
    assert "Beta check" in first.stdout
    # the backtest's verdict, as the example workbook's Backtest sheet caches it
    bt = openpyxl.load_workbook(ROOT / "templates" / "example_portfolio.xlsx", data_only=True)["Backtest"]
    verdict = next(bt.cell(row=r, column=2).value for r in range(1, 80) if bt.cell(row=r, column=3).value == "verdict")
    assert verdict.startswith("Liquidated 3 times") and f"  Backtest                    {verdict}\n" in first.stdout


def test_shared_load_reads_exactly_what_read_workbook_reads(batch):
    """read_workbook_and_book (one load, from bytes) reads the same inputs as read_workbook."""
    import hedgecore.excel.reader as wbmod

    for name in CASES:
        path = batch["inputs"] / f"{name}.xlsx"
        shared, loaded = wbmod.read_workbook_and_book(path, path.read_bytes())
        assert loaded is not None and "Summary" not in loaded.sheetnames
        plain = wbmod.read_workbook(path)
        pd.testing.assert_frame_equal(shared.holdings, plain.holdings)
        pd.testing.assert_frame_equal(shared.prices, plain.prices)
        np.testing.assert_array_equal(shared.shocks, plain.shocks)
        assert dict(shared.settings) == dict(plain.settings)
        assert dict(shared.cells) == dict(plain.cells) and shared.computed == plain.computed


@pytest.mark.parametrize("far", [False, True], ids=["one pass", "far apart: cell by cell"])
def test_a_users_own_formulas_keep_excels_cached_values(tmp_path, far):
    """Formulas hedgecore does not compute (a user's own) become the values Excel cached for them,
    read in one pass over the rectangle that holds them, or cell by cell when that rectangle is
    huge (openpyxl pads a read-only rectangle: A1 and ZZ60000 would be 40 million cells)."""
    import io
    import zipfile

    import openpyxl

    from hedgecore.excel.cached import fill_sheet_xml
    from hedgecore.report import Job, process_job

    src = build_workbook(tmp_path / "in.xlsx", CASES["btc_linear"])
    wb = openpyxl.load_workbook(src)
    cells = {"Z2": ("=1+1", 2.0), ("ZZ60000" if far else "Z3"): ('="ab"&"c"', "abc")}
    for coord, (formula, _) in cells.items():
        wb["Portfolio"][coord] = formula
    buf = io.BytesIO()
    wb.save(buf)
    part = f"xl/worksheets/sheet{wb.sheetnames.index('Portfolio') + 1}.xml"
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == part:  # openpyxl writes sheets in order as sheet1.xml, sheet2.xml, ...
                data = fill_sheet_xml(data, {coord: value for coord, (_, value) in cells.items()})
            zout.writestr(item, data)
    outcome = process_job(Job(source=str(src), outdir=str(tmp_path / "out"), fmt="xlsx", overwrite=True))
    assert outcome.ok, outcome.message
    report = openpyxl.load_workbook(tmp_path / "out" / "in-report.xlsx")
    for coord, (_, value) in cells.items():
        assert report["Portfolio"][coord].value == value, coord
