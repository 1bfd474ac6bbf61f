"""The whole plan and the command line (exit codes, messages, --json, --help examples)."""

import json
import math
import subprocess
import sys

import pytest
from click.testing import CliRunner

import hedgecore as hc
from hedgecore.cli import main


def test_plan_domain_worked_example():
    # DOMAIN.md §9: E 24,000, C 0.25 BTC, BTCUSD_PERP at 64,000, MMR 0.4 %
    p = hc.hedge_plan(24_000, 64_000, "binance:BTCUSD_PERP", collateral_coin=0.25, maintenance_rate=0.004,
                      funding_rate=0.0001)
    assert p.hedge_notional_usd == pytest.approx(40_000)
    assert p.contracts == 400 and p.residual_usd == 0
    assert p.effective_leverage == pytest.approx(2.5)
    assert p.liquidation_price_usd == pytest.approx(106_240)
    assert p.liquidation_distance == pytest.approx(0.66)
    assert p.funding_per_day_usd == pytest.approx(-12.0)  # the short receives 3 × 4 USD
    assert p.net_delta_usd == pytest.approx(0.0)


def test_plan_without_collateral_shows_the_margin_left_unhedged():
    # The trap of the seed article: a 1x inverse hedge needs its notional in coin as margin, and that
    # coin is long. Alice's 1x ETHUSD_PERP short on 14.29 ETH of margin leaves $50,000 of delta.
    p = hc.hedge_plan(50_000, 3_500, "ETHUSD_PERP")
    assert p.contracts == 5_000
    assert p.initial_margin == pytest.approx(50_000 / 3_500)
    assert p.liquidation_price_usd == math.inf
    assert p.net_delta_usd == pytest.approx(50_000)
    aware = hc.hedge_plan(50_000, 3_500, "ETHUSD_PERP", collateral_coin=50_000 / 3_500)
    assert aware.net_delta_usd == pytest.approx(0.0, abs=1e-6)
    assert math.isfinite(aware.liquidation_price_usd) and aware.liquidation_price_usd > 3_500


def test_plan_linear():
    p = hc.hedge_plan(10_000, 3_500, 1, contract_type="linear", rounding="none", leverage=5)
    assert p.initial_margin == pytest.approx(2_000)  # seed article: $10,000 at 5x needs $2,000
    assert p.margin_unit == "USD"


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_plan_alice():
    out = run("plan", "--example", "alice")
    assert out.exit_code == 0
    assert "5,000" in out.output and "binance:ETHUSD_PERP" in out.output


def test_alice_is_told_her_margin_coin_is_unhedged():
    """The seed article's plan (50,000 USD short, no collateral) posts 50,000 / 3,500 = 14.2857 ETH of margin: a
    50,000 USD long in ETH the short does not cover. At 2x, C = E / (P·(L − 1)) = 14.2857 ETH backs a short of
    E + C·P = 100,000 USD whose initial margin 100,000 / (2·3,500) is exactly C (DOMAIN.md §8.2)."""
    verdict = ("Not hedged: the 14.2857 ETH posted as margin is a $50,000 long in ETH, left unhedged. Count it as "
               "collateral: at 2x, 14.2857 ETH backs a $100,000 short covering both.")
    out = run("plan", "--example", "alice")
    assert out.output.splitlines()[-1].strip() == verdict
    assert json.loads(run("plan", "--example", "alice", "--json").output)["delta_verdict"] == verdict
    fixed = hc.hedge_plan(50_000, 3_500, "binance:ETHUSD_PERP", collateral_coin=50_000 / 3_500, leverage=2)
    assert fixed.margin_ok and fixed.hedged_notional_usd == 100_000 and abs(fixed.net_delta_usd) < 1
    assert fixed.delta_verdict.startswith("On target")
    at_3x = hc.hedge_plan(50_000, 3_500, "binance:ETHUSD_PERP", leverage=3)
    assert "at 3x, 7.14286 ETH backs a $75,000 short" in at_3x.delta_verdict  # 50,000 / (3,500 * 2)
    linear = hc.hedge_plan(50_000, 3_500, "binance:ETHUSDT", leverage=3)  # USDT margin: no coin left long
    assert linear.delta_verdict.startswith("On target")


def test_cli_plan_says_whether_it_can_be_opened_and_what_a_liquidation_costs():
    """README's example: 14 ETH posted, 99,000 USD short at 1x needs 28.2857 ETH (99,000 / 3,500); DOMAIN.md §9:
    a liquidation at 106,240 would take the 0.25 BTC wallet, 16,000 USD at entry."""
    out = run("plan", "--example", "alice", "--collateral", "14")
    assert out.exit_code == 0
    assert ("Cannot be opened: 28.2857 ETH initial margin at 1x, 14 ETH posted: post 14.2857 ETH more or set "
            "leverage to 2.03x or more.") in out.output
    assert "Margin still to post (ETH)" in out.output and "14.29" in out.output
    out = run("plan", "--exposure", "24000", "--price", "64000", "--contract", "binance:BTCUSD_PERP",
              "--collateral", "0.25", "--maintenance-rate", "0.004", "--leverage", "3")
    lines = _rows(out.output)
    assert lines["Liquidation price (USD)"] == "106,240.00"
    assert lines["Loss if liquidated and the price comes back (USD)"] == "16,000.00"
    assert out.output.splitlines()[-2].strip().startswith("Margin fits: 0.208333 BTC initial margin at 3x")
    assert out.output.splitlines()[-1].strip().startswith("On target: the short covers the delta wanted")
    assert "Maximum leverage of the tier (x)" in out.output and "unknown (no tier table in the catalog)" in out.output


def test_cli_plan_linear_quantities_are_coins_and_tiers_come_from_the_catalog():
    """Binance BTCUSDT: 24,000 USD at 64,000 is 0.375 BTC (0.001 steps); 24,000 USDT sits in tier 1 of the
    freqtrade snapshot (0-50k, MMR 0.4 %, max 125x, DOMAIN.md §5.3)."""
    out = run("plan", "--exposure", "24000", "--price", "64000", "--contract", "binance:BTCUSDT", "--leverage", "5")
    lines = _rows(out.output)
    assert lines["Quantity to short"] == "0.375 BTC"
    assert lines["Maximum leverage of the tier (x)"] == "125.00x"
    assert lines["Maintenance margin rate at the liquidation price"] == "0.400%"
    plan = hc.hedge_plan(24_000, 64_000, "binance:BTCUSDT", leverage=5)
    assert lines["Liquidation price (USD)"] == f"{plan.liquidation_price_usd:,.2f}"
    data = json.loads(run("plan", "--exposure", "24000", "--price", "64000", "--contract", "binance:BTCUSDT",
                          "--json").output)
    assert data["margin_verdict"] == "Margin fits: 24000 USDT initial margin at 1x, 24000 USDT in the account."
    assert data["max_leverage"] == 125.0 and data["margin_asset"] == "USDT"


def _rows(output: str) -> dict[str, str]:
    """``hedgecore plan``'s label/value lines (between the title and the two verdicts) by label."""
    pairs = (line.strip().split("  ", 1) for line in output.splitlines()[1:-2])
    return {label.strip(): value.strip() for label, value in pairs}


def test_cli_plan_json_is_strict_json():
    out = run("plan", "--example", "alice", "--collateral", "14", "--json")
    data = json.loads(out.output)
    assert data["contracts"] == 9_900
    out = run("plan", "--example", "alice", "--json")
    assert json.loads(out.output)["liquidation_price_usd"] == "inf"


def test_cli_bad_input_is_one_line_exit_2():
    proc = subprocess.run(
        [sys.executable, "-m", "hedgecore", "plan", "--exposure", "1000", "--price", "-3500", "--contract-size", "10"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: --price must be finite and > 0, got -3500"  # checked by the CLI option
    assert "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "hedgecore", "plan", "--example", "alice", "--contract", "FOO"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1


def test_cli_missing_inputs_is_a_usage_error():
    out = CliRunner().invoke(main, ["plan", "--price", "3500"])
    assert out.exit_code == 2 and "missing --exposure" in out.output


def test_every_command_help_has_an_example():
    for name, command in main.commands.items():
        out = run(name, "--help")
        assert out.exit_code == 0
        assert "hedgecore " + name in out.output, f"`hedgecore {name} --help` shows no example"


def test_contracts_command():
    out = run("contracts")
    assert "binance:ETHUSD_PERP" in out.output and "inverse" in out.output
