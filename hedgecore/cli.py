"""Command line: a thin shell over the library (``hedgecore --help``).

Each command parses its options, calls one library function and prints the result; the modules
it needs are imported inside the command, so ``hedgecore --help`` loads neither numpy nor pandas.
Errors a user can fix (:class:`~hedgecore.errors.HedgecoreError`) print one line on stderr and
exit with status 2 — never a traceback.
"""

from __future__ import annotations

import json
import math
import sys

import click

from . import __version__
from ._typing import CONTRACT_TYPES, ROUNDING_MODES
from .errors import HedgecoreError

# The seed article's worked example: Alice holds $50,000 of altcoins and hedges with ETH at $3,500.
ALICE = {"exposure": 50_000.0, "price": 3_500.0, "contract": "binance:ETHUSD_PERP"}


class HedgecoreGroup(click.Group):
    """Turn :class:`HedgecoreError` into one line on stderr and exit status 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except HedgecoreError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=HedgecoreGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hedgecore")
def main() -> None:
    """Size and stress-test perpetual-futures hedges of altcoin baskets."""


def _json_number(x: float):
    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def _fmt(field: str, value) -> str:
    if isinstance(value, str):
        return value
    if field == "liquidation_price_usd" and math.isinf(value):
        return "none (cannot be liquidated by a rise)"
    if field == "liquidation_price_usd" and value == 0:
        return "none (cannot be liquidated by a fall)"
    if field == "liquidation_distance":
        return "-" if not math.isfinite(value) else f"{value:+.2%}"
    if field == "contracts":
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4f}"
    if field == "effective_leverage":
        return "inf" if math.isinf(value) else f"{value:.2f}x"
    return f"{value:,.2f}" if abs(value) >= 1 or value == 0 else f"{value:.8f}"


@main.command()
@click.option("--exposure", type=float, help="USD value of the holdings to protect.")
@click.option("--price", type=float, help="Hedge coin price, USD.")
@click.option("--contract", "contract", help='Catalog contract, e.g. "binance:ETHUSD_PERP".')
@click.option("--contract-size", type=float, help="USD per contract (inverse) or coins per contract (linear).")
@click.option("--contract-type", default="inverse", show_default=True, type=click.Choice(CONTRACT_TYPES, case_sensitive=False))
@click.option("--hedge-ratio", default=1.0, show_default=True, type=float, help="Usually the basket's beta.")
@click.option("--rounding", default="nearest", show_default=True, type=click.Choice(ROUNDING_MODES, case_sensitive=False))
@click.option("--collateral", default=0.0, show_default=True, type=float, help="Hedge-coin collateral, coins (inverse).")
@click.option("--leverage", default=1.0, show_default=True, type=float)
@click.option("--maintenance-rate", default=0.005, show_default=True, type=float)
@click.option("--funding-rate", default=0.0, show_default=True, type=float, help="Per interval; + = longs pay shorts.")
@click.option("--example", type=click.Choice(["alice"]), help="Use the seed article's example (Alice: $50,000 at ETH $3,500, ETHUSD_PERP).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def plan(exposure, price, contract, contract_size, contract_type, hedge_ratio, rounding, collateral, leverage,
         maintenance_rate, funding_rate, example, as_json):
    """Print the hedge plan: notional, contracts, residual, margin, liquidation, funding.

    \b
    Examples:
      hedgecore plan --example alice
      hedgecore plan --exposure 50000 --price 3500 --contract binance:ETHUSD_PERP --collateral 14
      hedgecore plan --exposure 10000 --price 3500 --contract-size 1 --contract-type linear --json
    """
    from .plan import PLAN_LABELS, hedge_plan

    if example == "alice":
        exposure = ALICE["exposure"] if exposure is None else exposure
        price = ALICE["price"] if price is None else price
        contract = contract or (None if contract_size is not None else ALICE["contract"])
    missing = [n for n, v in (("--exposure", exposure), ("--price", price)) if v is None]
    if contract is None and contract_size is None:
        missing.append("--contract or --contract-size")
    if missing:
        raise click.UsageError("missing " + ", ".join(missing) + " (or use --example alice)")
    result = hedge_plan(
        exposure,
        price,
        contract if contract is not None else contract_size,
        hedge_ratio=hedge_ratio,
        contract_type=contract_type,
        rounding=rounding,
        collateral_coin=collateral,
        leverage=leverage,
        maintenance_rate=maintenance_rate,
        funding_rate=funding_rate,
    )
    if as_json:
        payload = {k: _json_number(v) for k, v in result.as_dict().items()}
        click.echo(json.dumps(payload, indent=2, allow_nan=False))
        return
    title = f"Hedge plan: ${exposure:,.2f} at {price:,.2f} USD, {contract or f'{contract_size:g} per contract ({contract_type})'}"
    click.echo(title)
    width = max(len(label) for _, label in PLAN_LABELS)
    for field, label in PLAN_LABELS:
        label = label.replace("coin for inverse, USD for linear", result.margin_unit)
        click.echo(f"  {label:<{width}}  {_fmt(field, getattr(result, field))}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def contracts(as_json):
    """List the built-in contract catalog (name, type, size, margin asset).

    \b
    Example:
      hedgecore contracts
    """
    from .contracts import catalog

    specs = catalog()
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in specs], indent=2))
        return
    for s in specs:
        unit = "USD" if s.contract_type == "inverse" else s.base_asset
        click.echo(f"{s.name:<24} {s.contract_type:<8} {s.contract_size:g} {unit:<5} margin {s.margin_asset}")


@main.command()
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), help="The .xlsx to write.")
@click.option("--holdings", type=click.Path(exists=True, dir_okay=False), help="CSV with Asset, Quantity[, Price] (price defaults to the last close).")
@click.option("--prices", multiple=True, type=click.Path(exists=True), help="Daily closes: a wide CSV or a folder of <TICKER>-USD.csv (repeatable).")
@click.option("--assets", help="Comma-separated price columns to keep, e.g. SOL,ETH,BTC (default: all).")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Fill a named Hedge input, e.g. --set Collateral=5 (repeatable).")
def template(output, holdings, prices, assets, sets):
    """Write the Excel hedge template, empty or filled with holdings and prices.

    \b
    Examples:
      hedgecore template -o hedge.xlsx
      hedgecore template -o mine.xlsx --holdings holdings.csv --prices data/market/prices_daily \\
          --assets SOL,AVAX,ETH,BTC --set HedgeAsset=ETH --set Contract=binance:ETHUSD_PERP --set Collateral=5
    """
    from .excel.writer import write_template

    settings = {}
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"--set needs NAME=VALUE, got {item!r}")
        settings[name.strip()] = value
    keep = [a.strip() for a in assets.split(",") if a.strip()] if assets else None
    path = write_template(output, holdings=holdings, prices=list(prices) or None, settings=settings, assets=keep)
    click.echo(f"wrote {path}")


@main.command()
@click.option("-o", "--output", "folder", required=True, type=click.Path(file_okay=False),
              help="Folder to write the add-in into (personal/, requirements.txt, README.txt).")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
def addin(folder, force):
    """Write the Excel add-in: a personal/ folder for xlwings Lite (or classic xlwings) and its steps.

    \b
    Example:
      hedgecore addin -o hedgecore-addin
    Then follow the steps it prints (also in hedgecore-addin/README.txt).
    """
    from .excel.addin import CLASSIC_STEPS, INSTALL_STEPS, write_addin_files

    for path in write_addin_files(folder, overwrite=force):
        click.echo(f"wrote {path}")
    click.echo("xlwings Lite:")
    for k, step in enumerate(INSTALL_STEPS, start=1):
        click.echo(f"  {k}. {step}")
    click.echo("Classic xlwings:")
    for k, step in enumerate(CLASSIC_STEPS, start=1):
        click.echo(f"  {k}. {step}")


@main.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--outdir", default="hedge-report", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the reports (created if missing).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes [default: CPU count]; 1 runs in this process.")
@click.option("--format", "fmt", type=click.Choice(("xlsx", "json", "csv")), default="xlsx", show_default=True,
              help="xlsx: the workbook with values, a Summary sheet and charts; json: one file per input; "
                   "csv: per-input tables plus summary.csv (one row per input).")
@click.option("--overwrite", is_flag=True, help="Replace existing reports (otherwise that input fails).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no 'wrote' lines; failures still print.")
@click.pass_context
def report(ctx, inputs, outdir, jobs, fmt, overwrite, quiet):
    """Write a hedge report for each filled template: files, folders or globs.

    Every figure is recomputed with hedgecore (cached cell values are never trusted); input
    files are only read. A bad workbook gets one line naming file, sheet and cell, and the
    batch goes on; the exit status is 1 if any input failed.

    \b
    Examples:
      hedgecore report my_portfolio.xlsx
      hedgecore report portfolios/ 'archive/**/*.xlsx' -o reports --jobs 4
      hedgecore report portfolios/ --format json -o out --overwrite
    """
    from .report.batch import run_batch

    result = run_batch(inputs, outdir, fmt=fmt, jobs=jobs, overwrite=overwrite, quiet=quiet,
                       echo=lambda text, is_error: click.echo(text, err=is_error))
    click.echo(result.final_line)
    if result.failed:
        ctx.exit(1)


def _money(x, sign: bool = False) -> str:
    if not isinstance(x, (int, float)):
        return "-"
    return f"-${-x:,.2f}" if x < 0 else f"{'+' if sign else ''}${x:,.2f}"


@main.command()
@click.option("-o", "--outdir", default="hedge-report", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the demo report (its own earlier report there is replaced).")
def demo(outdir):
    """Run the whole pipeline on the bundled example workbook and print the headline figures.

    \b
    Example:
      hedgecore demo
    """
    from importlib import resources

    from .report.jobs import Job, process_job

    source = resources.files("hedgecore").joinpath("examples", "example_portfolio.xlsx")
    with resources.as_file(source) as path:
        outcome = process_job(Job(source=str(path), outdir=str(outdir), fmt="xlsx", overwrite=True))
    if not outcome.ok:
        raise HedgecoreError(outcome.message)
    f = outcome.summary
    coin = f["hedge_asset"]
    lp = f["liquidation_price_usd"]
    lp_text = (f"{_money(lp)} ({coin} {f['liquidation_distance']:+.1%})" if isinstance(lp, (int, float))
               else "none (a rally cannot liquidate this short)")
    rows = [
        ("Portfolio value", f"{_money(f['portfolio_value_usd'])} in {f['holdings']} altcoins"),
        (f"Portfolio beta to {coin}", f"{f['portfolio_beta']:.3f} (basket regression {f['basket_beta']:.3f}, "
                                      f"R² {f['r_squared']:.2f})"),
        ("Contracts to short", f"{f['contracts']:,.0f} {f['contract']} ({_money(f['hedged_notional_usd'])})"),
        ("Liquidation price", lp_text),
        ("Worst stress P&L unhedged",
         f"{_money(f['worst_unhedged_pnl_usd'], True)} (at {coin} {f['worst_unhedged_shock']:+.0%})"),
        ("Worst stress P&L hedged", f"{_money(f['worst_hedged_pnl_usd'], True)} (at {coin} {f['worst_hedged_shock']:+.0%})"),
    ]
    click.echo(f"hedgecore demo: {f['file']} ({f['first_date']} to {f['last_date']}, {f['price_rows']} days)")
    width = max(len(label) for label, _ in rows)
    for label, text in rows:
        click.echo(f"  {label:<{width}}  {text}")
    click.echo(f"Report: {outcome.outputs[0]} (open the Summary sheet)")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
