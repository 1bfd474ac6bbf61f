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
from ._text import escape_controls, short_name
from ._typing import CONTRACT_TYPES, HEDGE_RATIO_MODES, POLICIES, ROUNDING_MODES
from .errors import HedgecoreError

# The seed article's worked example: Alice holds $50,000 of altcoins and hedges with ETH at $3,500.
ALICE = {"exposure": 50_000.0, "price": 3_500.0, "contract": "binance:ETHUSD_PERP"}


class HedgecoreGroup(click.Group):
    """Turn :class:`HedgecoreError` and file-system errors into one line on stderr and exit status 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except HedgecoreError as exc:
            click.echo(escape_controls(f"error: {exc}"), err=True)
            ctx.exit(2)
        except OSError as exc:  # an output path that cannot be written: missing, read-only, too long, full
            name = exc.filename2 or exc.filename  # a move names its target second
            where = f"{short_name(str(name), 120)}: " if name else ""
            click.echo(escape_controls(f"error: {where}{exc.strerror or type(exc).__name__}"), err=True)
            ctx.exit(2)


class Number(click.ParamType):
    """A finite float within bounds; the message names the option and the accepted range."""

    name = "number"

    def __init__(self, low: float | None = None, high: float | None = None, *, low_open: bool = False,
                 high_open: bool = False) -> None:
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open

    def _range(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        return " and ".join(parts) or "finite"

    def convert(self, value, param, ctx):
        """One line (``error: --price must be finite and > 0, got -3500``), as for every bad input."""
        name = param.opts[0] if param is not None and param.opts else "value"
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise HedgecoreError(f"{name} must be a number, got {value!r}") from None
        too_low = self.low is not None and (x <= self.low if self.low_open else x < self.low)
        too_high = self.high is not None and (x >= self.high if self.high_open else x > self.high)
        if not math.isfinite(x) or too_low or too_high:
            raise HedgecoreError(f"{name} must be finite and {self._range()}, got {value}")
        return x


def _run_date(ctx, param, value):
    if value is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise click.BadParameter(f"must be a date YYYY-MM-DD, got {value!r}", ctx=ctx, param=param) from None


def _output_path(ctx, param, value):
    if value is not None and not str(value).strip():
        raise click.BadParameter("must not be empty", ctx=ctx, param=param)
    return value


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
    if field in ("effective_leverage", "leverage_to_fit", "max_leverage"):
        if math.isnan(value):
            return "unknown (no tier table in the catalog)"
        return "inf" if math.isinf(value) else f"{value:.2f}x"
    if field == "maintenance_rate":
        return f"{value:.3%}"
    if field == "funding_interval_hours":
        return f"{value:g} h"
    if field == "loss_if_liquidated_usd" and value == 0:
        return "0.00 (it cannot be liquidated)"
    return f"{value:,.2f}" if abs(value) >= 1 or value == 0 else f"{value:.8f}"


def _plan_lines(result, size: float, base: str) -> list[tuple[str, str]]:
    """(label, text) rows of a hedge plan: sizing, margin and liquidation risk, in the margin's own unit.

    A linear contract's quantity is also given in coins (``contracts × coins per contract``).
    """
    from .plan import PLAN_LABELS, PLAN_RISK_LABELS

    unit = result.margin_asset or result.margin_unit
    rows = []
    for field, label in PLAN_LABELS + PLAN_RISK_LABELS:
        text = _fmt(field, getattr(result, field))
        if field == "contracts" and result.contract_type == "linear":  # linear quantities are coins
            label = "Quantity to short"
            text = f"{result.contracts * size:,.6g} {base or 'coins'}" + (
                f" ({text} contracts of {size:g})" if size != 1 else "")
        rows.append((label.replace("coin for inverse, USD for linear", unit), text))
    return rows


@main.command()
@click.option("--exposure", type=Number(0), help="USD value of the holdings to protect.")
@click.option("--price", type=Number(0, low_open=True), help="Hedge coin price, USD.")
@click.option("--contract", "contract", help='Catalog contract, e.g. "binance:ETHUSD_PERP".')
@click.option("--contract-size", type=Number(0, low_open=True), help="USD per contract (inverse) or coins per contract (linear).")
@click.option("--contract-type", default="inverse", show_default=True, type=click.Choice(CONTRACT_TYPES, case_sensitive=False))
@click.option("--hedge-ratio", default=1.0, show_default=True, type=Number(0), help="Usually the basket's beta.")
@click.option("--rounding", default="nearest", show_default=True, type=click.Choice(ROUNDING_MODES, case_sensitive=False))
@click.option("--collateral", default=0.0, show_default=True, type=Number(0), help="Hedge-coin collateral, coins (inverse).")
@click.option("--leverage", default=1.0, show_default=True, type=Number(0, low_open=True))
@click.option("--maintenance-rate", type=Number(0, 1, high_open=True),
              help="One tier at this rate [default: the catalog contract's tier table, else 0.5 %].")
@click.option("--funding-rate", default=0.0, show_default=True, type=Number(-1, 1, low_open=True, high_open=True), help="Per interval; + = longs pay shorts.")
@click.option("--example", type=click.Choice(["alice"]), help="Use the seed article's example (Alice: $50,000 at ETH $3,500, ETHUSD_PERP).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def plan(exposure, price, contract, contract_size, contract_type, hedge_ratio, rounding, collateral, leverage,
         maintenance_rate, funding_rate, example, as_json):
    """Print the hedge plan: notional, contracts, margin and its verdict, liquidation, loss if liquidated, funding.

    \b
    Examples:
      hedgecore plan --example alice
      hedgecore plan --exposure 50000 --price 3500 --contract binance:ETHUSD_PERP --collateral 14
      hedgecore plan --exposure 10000 --price 3500 --contract-size 1 --contract-type linear --json
    """
    from .contracts import resolve_spec
    from .plan import hedge_plan

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
        payload["margin_verdict"] = result.margin_verdict
        payload["delta_verdict"] = result.delta_verdict
        click.echo(json.dumps(payload, indent=2, allow_nan=False))
        return
    size, _, spec = resolve_spec(contract if contract is not None else contract_size, contract_type)
    title = f"Hedge plan: ${exposure:,.2f} at {price:,.2f} USD, {contract or f'{contract_size:g} per contract ({contract_type})'}"
    click.echo(title)
    rows = _plan_lines(result, float(size), spec.base_asset if spec is not None else "")
    width = max(len(label) for label, _ in rows)
    for label, text in rows:
        click.echo(f"  {label:<{width}}  {text}")
    click.echo(f"  {result.margin_verdict}")
    click.echo(f"  {result.delta_verdict}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Show where the built-in catalog differs from a fetched one (exit 1 if it does).")
@click.option("--catalog", "catalog_dir", envvar="HEDGECORE_CATALOG", type=click.Path(file_okay=False),
              help="Fetched catalog folder for --diff (see `hedgecore fetch contracts`) [env: HEDGECORE_CATALOG].")
@click.pass_context
def contracts(ctx, as_json, show_diff, catalog_dir):
    """List the built-in contract catalog (name, type, size, margin asset).

    \b
    Examples:
      hedgecore contracts
      hedgecore contracts --diff --catalog mycatalog
    """
    if show_diff:
        return _contracts_diff(ctx, catalog_dir, as_json)
    from .contracts import catalog

    specs = catalog()
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in specs], indent=2))
        return
    for s in specs:
        unit = "USD" if s.contract_type == "inverse" else s.base_asset
        click.echo(f"{s.name:<24} {s.contract_type:<8} {s.contract_size:g} {unit:<5} margin {s.margin_asset}")


def _fetch_options(fn):
    """Options every fetch command shares: where the exchange is and how patient to be."""
    fn = click.option("--api-url", help="Base URL replacing the exchange's API hosts (a mirror, a proxy or the "
                                        "tests' fake exchange), e.g. http://127.0.0.1:8000.")(fn)
    fn = click.option("--timeout", "timeout_s", type=Number(0.05), default=10.0, show_default=True,
                      help="Seconds to wait for one answer.")(fn)
    fn = click.option("--retries", type=click.IntRange(min=0), default=4, show_default=True,
                      help="Retries after a timeout, network error, HTTP 429 or 5xx.")(fn)
    fn = click.option("--retry-wait", "retry_wait_s", type=Number(0), default=1.0, show_default=True,
                      help="Seconds before the first retry; doubles each time (Retry-After is honoured).")(fn)
    return fn


@main.command()
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), callback=_output_path, help="The .xlsx to write.")
@click.option("--holdings", type=click.Path(exists=True, dir_okay=False), help="CSV with Asset, Quantity[, Price] (price defaults to the last close).")
@click.option("--prices", multiple=True, type=click.Path(exists=True), help="Daily closes: a wide CSV or a folder of <TICKER>-USD.csv (repeatable).")
@click.option("--assets", help="Comma-separated price columns to keep, e.g. SOL,ETH,BTC (default: all).")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="Fill a named Hedge input, e.g. --set Collateral=5 (repeatable).")
@click.option("--fetch", "fetch_coins", metavar="COINS",
              help="Fetch the daily closes of these coins (e.g. SOL,AVAX,DOT; with the holdings' and the hedge coin) "
                   "and the funding history of the contract, instead of --prices.")
@click.option("--hedge", help="Hedge coin (Hedge input HedgeAsset), e.g. ETH [default: the contract's coin].")
@click.option("--contract", "contract_name", help="Catalog contract (Hedge input Contract), e.g. binance:ETHUSD_PERP.")
@click.option("--funding", "funding_file", type=click.Path(exists=True, dir_okay=False),
              help="Funding history for sheet Funding: a file of `hedgecore fetch funding`.")
@click.option("--since", help="With --fetch: first day (YYYY-MM-DD) of the history [default: 3 years back].")
@click.option("--exchange", default="binance", show_default=True, help="With --fetch: exchange of the daily closes.")
@click.option("--overwrite", is_flag=True, help="Replace an existing file (otherwise it is left alone: it may be a filled workbook).")
@_fetch_options
@click.pass_context
def template(ctx, output, holdings, prices, assets, sets, fetch_coins, hedge, contract_name, funding_file, since,
             exchange, overwrite, api_url, timeout_s, retries, retry_wait_s):
    """Write the Excel hedge template, empty or filled with holdings and prices (given, or fetched).

    With a funding history (--fetch, or --funding) Hedge input FundingSource defaults to history:
    the plan and the stress test use its mean over the last FundingDays complete days.

    \b
    Examples:
      hedgecore template -o hedge.xlsx
      hedgecore template -o mine.xlsx --holdings holdings.csv --prices data/market/prices_daily \\
          --assets SOL,AVAX,ETH,BTC --set HedgeAsset=ETH --set Contract=binance:ETHUSD_PERP --set Collateral=5
      hedgecore template --fetch SOL,AVAX,DOT --hedge ETH --contract binance:ETHUSD_PERP \\
          --holdings holdings.csv -o mine.xlsx
    """
    from pathlib import Path

    from .excel.writer import write_template

    if not overwrite and Path(output).exists():  # before any work or fetch: a filled workbook is never lost
        raise HedgecoreError(f"{short_name(output, 120)} already exists; use --overwrite to replace it")
    settings = {}
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"--set needs NAME=VALUE, got {item!r}")
        settings[name.strip()] = value
    settings.update({k: v for k, v in (("HedgeAsset", hedge), ("Contract", contract_name)) if v is not None})
    if fetch_coins is not None:
        if prices or funding_file:
            raise click.UsageError("--fetch gets the prices and the funding: drop --prices and --funding")
        return _template_fetched(ctx, output, holdings, settings, fetch_coins, since, exchange,
                                 _settings(api_url, timeout_s, retries, retry_wait_s), overwrite)
    if since is not None:
        raise click.UsageError("--since needs --fetch")
    if funding_file and "FundingSource" not in settings:
        settings["FundingSource"] = "history"
    keep = [a.strip() for a in assets.split(",") if a.strip()] if assets else None
    path = write_template(output, holdings=holdings, prices=list(prices) or None, settings=settings, assets=keep,
                          funding=funding_file, overwrite=overwrite)
    click.echo(f"wrote {path}")


def _template_fetched(ctx, output, holdings, settings, coins, since, exchange, fetch_settings, overwrite) -> None:
    from .excel.refresh import fetch_template

    with _Bar() as progress:
        outcome = fetch_template(output, coins.split(","), holdings=holdings, settings=settings, exchange=exchange,
                                 since=since, fetch_settings=fetch_settings, progress=progress, overwrite=overwrite)
    _print_outcome(ctx, outcome)


def _print_outcome(ctx, outcome) -> None:
    """Fetched lines on stdout; notes and errors on stderr; 'wrote' last; exit status 1 on errors."""
    for line in outcome.lines:
        click.echo(escape_controls(line))
    for note in outcome.notes:
        click.echo(escape_controls(f"note: {note}"), err=True)
    for error in outcome.errors:
        click.echo(escape_controls(f"error: {error}"), err=True)
    if outcome.path is not None:
        click.echo(f"wrote {outcome.path}")
    if outcome.errors:
        ctx.exit(1)


@main.command()
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), callback=_output_path,
              help="The new .xlsx [default: beside the input, named after the new last day: mine-2024-04-12.xlsx].")
@click.option("--exchange", default="binance", show_default=True, help="Exchange of the daily closes.")
@click.option("--replace-history", is_flag=True,
              help="Replace Prices and Funding by the exchange's history from the workbook's first date (for a "
                   "workbook whose prices come from another source, such as the bundled Yahoo sample).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file (never the input).")
@_fetch_options
@click.pass_context
def refresh(ctx, workbook, output, exchange, replace_history, overwrite, api_url, timeout_s, retries, retry_wait_s):
    """Bring a filled workbook's data up to date, into a new file beside it (the input is only read).

    Prices extended to the last complete UTC day, Portfolio prices and the hedge price at the latest
    closes, the Contract's funding history extended; every figure recomputed. See docs/market-data.md.

    \b
    Examples:
      hedgecore refresh mine.xlsx
      hedgecore refresh example_portfolio.xlsx --replace-history -o mine.xlsx
    """
    from .excel.refresh import refresh_workbook

    with _Bar() as progress:
        outcome = refresh_workbook(workbook, out=output, exchange=exchange, replace_history=replace_history,
                                   overwrite=overwrite, progress=progress,
                                   fetch_settings=_settings(api_url, timeout_s, retries, retry_wait_s))
    _print_outcome(ctx, outcome)


@main.command()
@click.option("-o", "--output", "folder", required=True, type=click.Path(file_okay=False), callback=_output_path,
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
              callback=_output_path, help="Folder for the reports (created if missing).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes [default and cap: the CPUs available]; 1 runs in this process.")
@click.option("--format", "fmt", type=click.Choice(("xlsx", "json", "csv")), default="xlsx", show_default=True,
              help="xlsx: the workbook with values, a Summary sheet and charts; json: one file per input; "
                   "csv: per-input tables plus summary.csv (one row per input).")
@click.option("--overwrite", is_flag=True, help="Replace existing reports (otherwise that input fails).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no 'wrote' lines; failures still print.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", callback=_run_date,
              help="Run date for the stale-data warning (closes older than 3 days) [default: today, UTC].")
@click.pass_context
def report(ctx, inputs, outdir, jobs, fmt, overwrite, quiet, as_of):
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
    import glob
    import os

    if jobs != 1 and (len(inputs) > 1 or any(os.path.isdir(i) or glob.has_magic(i) for i in inputs)):
        from ._workers import start_early

        start_early()  # its imports run on another core while this process imports the report
    from .report.batch import run_batch

    result = run_batch(inputs, outdir, fmt=fmt, jobs=jobs, overwrite=overwrite, quiet=quiet, as_of=as_of,
                       echo=lambda text, is_error: click.echo(text, err=is_error))
    click.echo(result.final_line)
    if result.failed:
        ctx.exit(1)


def _money(x, sign: bool = False) -> str:
    if not isinstance(x, (int, float)):
        return "-"
    return f"-${-x:,.2f}" if x < 0 else f"{'+' if sign else ''}${x:,.2f}"


def _demo_rows(f: dict) -> list[tuple[str, str]]:
    """The demo's headline figures from the report summary: size, margin verdict, liquidation, stress, band,
    the backtest's verdict, the data's age."""
    coin = f["hedge_asset"]
    lp = f["liquidation_price_usd"]
    lp_text = (f"{_money(lp)} ({coin} {f['liquidation_distance']:+.1%})" if isinstance(lp, (int, float))
               else "none (a rally cannot liquidate this short)")
    liquidated = f.get("liquidated_shocks") or "none"
    rows = [
        ("Portfolio value", f"{_money(f['portfolio_value_usd'])} in {f['holdings']} altcoins"),
        (f"Portfolio beta to {coin}", f"{f['portfolio_beta']:.3f} (basket regression {f['basket_beta']:.3f}, "
                                      f"R² {f['r_squared']:.2f})"),
        ("Contracts to short", f"{f['contracts']:,.0f} {f['contract']} ({_money(f['hedged_notional_usd'])})"),
        ("Margin verdict", f["margin_verdict"]),
        *([("Delta verdict", f["delta_verdict"])] if str(f.get("delta_verdict")).startswith("Not hedged") else []),
        ("Liquidation price", lp_text),
        ("Loss if liquidated", f"{_money(f['loss_if_liquidated_usd'])} if {coin} spikes through it and comes back"),
        ("Worst stress P&L unhedged",
         f"{_money(f['worst_unhedged_pnl_usd'], True)} (at {coin} {f['worst_unhedged_shock']:+.0%})"),
        ("Worst stress P&L hedged", f"{_money(f['worst_hedged_pnl_usd'], True)} (at {coin} "
                                    f"{f['worst_hedged_shock']:+.0%}; liquidated at {liquidated})"),
    ]
    if f.get("liquidated_hedged_pnl_usd") is not None:
        rows.append((f"Hedged at {coin} {f['liquidated_shock']:+.0%}", f"{_money(f['liquidated_hedged_pnl_usd'], True)}"
                     f" after liquidation (the alts' gain minus the lost margin)"))
    if f.get("residual_band_low_usd") is not None:
        rows += [
            (f"Residual band, {f['residual_horizon_days']} days", f"{_money(f['residual_band_low_usd'], True)} to "
             f"{_money(f['residual_band_high_usd'], True)} around the stress line (5th-95th percentile)"),
            ("Worst hedged, residual low", f"{_money(f['worst_hedged_low_pnl_usd'], True)} (at {coin} "
                                           f"{f['worst_hedged_low_shock']:+.0%})"),
            ("Volatility hedged", f"{f['vol_hedged_at_ratio_used']:.1%} a year at the ratio used "
                                  f"{f['hedge_ratio_used']:.3f} (unhedged {f['vol_unhedged']:.1%})"),
            ("Beta check", f["beta_drift_warning"]),
        ]
    if f.get("backtest_verdict"):
        rows.append(("Backtest", f["backtest_verdict"]))
    from .excel.compute import STALE_AFTER_DAYS  # loaded with the report already

    age = f.get("price_age_days")
    if isinstance(age, (int, float)) and age > STALE_AFTER_DAYS:
        rows.append(("Data age", f"stale: the last close is {f['last_date']}, {age:.0f} days before the run date "
                                 f"{f['run_date']} (hedgecore refresh brings a workbook up to date)"))
    return rows


@main.command()
@click.option("-o", "--outdir", default="hedge-report", show_default=True, type=click.Path(file_okay=False),
              callback=_output_path, help="Folder for the demo report (its own earlier report there is replaced).")
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
    click.echo(f"hedgecore demo: {f['file']} ({f['first_date']} to {f['last_date']}, {f['price_rows']} days)")
    rows = _demo_rows(f)
    width = max(len(label) for label, _ in rows)
    for label, text in rows:
        click.echo(f"  {label:<{width}}  {text}")
    click.echo(f"Report: {outcome.outputs[0]} (open the Summary sheet)")


# ---- market data: hedgecore fetch ... and contracts --diff (docs/market-data.md) -----------------
def _settings(api_url, timeout_s, retries, retry_wait_s):
    from .data.exchange import FetchSettings

    return FetchSettings(api_url=api_url, timeout_s=timeout_s, retries=retries, retry_wait_s=retry_wait_s)


class _Bar:
    """A rich progress bar on stderr, one task per coin or contract, only when stderr is a terminal."""

    def __init__(self):
        self.progress, self.tasks = None, {}
        if sys.stderr.isatty():
            try:
                from rich.console import Console
                from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
            except ImportError:  # rich is optional: no bar
                return
            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} of "
                                     "{task.total} days"), TimeRemainingColumn(), console=Console(stderr=True),
                                     transient=True)

    def __enter__(self):
        if self.progress is not None:
            self.progress.start()
        return self.update if self.progress is not None else None

    def update(self, label: str, done: int, total: int) -> None:
        if label not in self.tasks:
            self.tasks[label] = self.progress.add_task(label, total=total)
        self.progress.update(self.tasks[label], completed=done, total=total)

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.stop()


def _report(ctx, results) -> None:
    """One line per coin or contract; failures on stderr; exit status 1 if any failed."""
    for r in results:
        if r.line():
            click.echo(r.line())
        if r.error:
            click.echo(f"error: {r.error}", err=True)
    if any(r.error for r in results):
        ctx.exit(1)


@main.group(cls=HedgecoreGroup)
def fetch():
    """Fetch market data from the exchanges (needs the [data] extra: pip install "hedgecore[data]").

    Files are extended, never re-downloaded, and written atomically. See docs/market-data.md.

    \b
    Examples:
      hedgecore fetch prices SOL AVAX ETH --since 2023-01-01 -o prices/
      hedgecore fetch funding binance:ETHUSD_PERP -o funding/
      hedgecore fetch contracts binance:ETHUSD_PERP bybit:BTCUSD -o mycatalog/
    """


@fetch.command("prices")
@click.argument("coins", nargs=-1, required=True, metavar="COIN...")
@click.option("-o", "--output", "out", required=True, type=click.Path(), callback=_output_path,
              help="Folder of <COIN>-<QUOTE>.csv files, or with --wide the CSV file.")
@click.option("--since", help="First day (YYYY-MM-DD) for coins without data yet [default: 3 years back].")
@click.option("--exchange", default="binance", show_default=True, help="Exchange with the spot markets.")
@click.option("--quote", "quotes", default="USD,USDT", show_default=True,
              help="Quote currencies to try, in order (comma-separated).")
@click.option("--wide", is_flag=True, help="One CSV with Date and a column per coin, instead of one file per coin.")
@_fetch_options
@click.pass_context
def fetch_prices_cmd(ctx, coins, out, since, exchange, quotes, wide, api_url, timeout_s, retries, retry_wait_s):
    """Daily UTC closes of each coin's USD or USDT spot market, up to the last complete day.

    \b
    Examples:
      hedgecore fetch prices SOL AVAX ETH --since 2023-01-01 -o prices/
      hedgecore fetch prices SOL AVAX ETH -o prices/          # later: appends the missing days
      hedgecore fetch prices SOL ETH --wide -o closes.csv
    """
    from .data.fetch import fetch_prices

    with _Bar() as progress:
        results = fetch_prices(coins, out, exchange=exchange, since=since, wide=wide,
                               quotes=tuple(q.strip().upper() for q in quotes.split(",") if q.strip()),
                               settings=_settings(api_url, timeout_s, retries, retry_wait_s), progress=progress)
    _report(ctx, results)


@fetch.command("funding")
@click.argument("contracts", nargs=-1, required=True, metavar="EXCHANGE:SYMBOL...")
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False), callback=_output_path,
              help="Folder for <exchange>_<SYMBOL>_funding.csv files.")
@click.option("--since", help="First day (YYYY-MM-DD) for contracts without a file yet [default: 3 years back].")
@_fetch_options
@click.pass_context
def fetch_funding_cmd(ctx, contracts, out, since, api_url, timeout_s, retries, retry_wait_s):
    """Funding-rate history of perpetuals (Binance COIN-M and USDⓈ-M, Bybit), with each interval.

    \b
    Examples:
      hedgecore fetch funding binance:ETHUSD_PERP --since 2024-01-01 -o funding/
      hedgecore fetch funding binance:ETHUSD_PERP binance:ETHUSDT bybit:ETHUSD -o funding/
    """
    from .data.fetch import fetch_funding

    with _Bar() as progress:
        results = fetch_funding(contracts, out, since=since, progress=progress,
                                settings=_settings(api_url, timeout_s, retries, retry_wait_s))
    _report(ctx, results)


@fetch.command("contracts")
@click.argument("contracts", nargs=-1, required=True, metavar="EXCHANGE:SYMBOL...")
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False), callback=_output_path,
              help="Catalog folder: contracts.csv and tiers.csv are created or merged into.")
@_fetch_options
@click.pass_context
def fetch_contracts_cmd(ctx, contracts, out, api_url, timeout_s, retries, retry_wait_s):
    """Contract specs and, where published without an API key (Bybit), maintenance-margin tiers.

    \b
    Examples:
      hedgecore fetch contracts binance:ETHUSD_PERP binance:BTCUSDT bybit:BTCUSD -o mycatalog/
      hedgecore contracts --diff --catalog mycatalog/
    """
    from pathlib import Path

    from .data.catalog import fetch_contracts

    results = fetch_contracts(contracts, out, settings=_settings(api_url, timeout_s, retries, retry_wait_s))
    for r in results:
        if r.row is not None:
            tiers = f", {len(r.tiers)} tiers" if r.tiers is not None else ""
            click.echo(f"{r.name}: {r.row['contract_type']} {r.row['contract_size']:g} per contract, tick "
                       f"{r.row['tick_size']:g}, step {r.row['qty_step']:g}, funding every "
                       f"{r.row['funding_interval_hours']:g} h{tiers}")
        if r.note:
            click.echo(f"note: {r.note}", err=True)
        if r.error:
            click.echo(f"error: {r.error}", err=True)
    if any(r.row is not None for r in results):
        click.echo(f"wrote {Path(out) / 'contracts.csv'} and {Path(out) / 'tiers.csv'}")
    if any(r.error for r in results):
        ctx.exit(1)


def _contracts_diff(ctx, catalog_dir, as_json) -> None:
    from pathlib import Path

    from .contracts import TIER_COLUMNS
    from .data.catalog import builtin_rows, diff_catalogs, read_catalog_csv

    if not catalog_dir:
        raise click.UsageError("--diff needs --catalog DIR (or HEDGECORE_CATALOG)")
    path, tiers_path = Path(catalog_dir) / "contracts.csv", Path(catalog_dir) / "tiers.csv"
    fetched = read_catalog_csv(path)
    tiers = read_catalog_csv(tiers_path, TIER_COLUMNS) if tiers_path.is_file() else []
    diffs, absent = diff_catalogs(builtin_rows(), fetched, builtin_rows("tiers.csv"), tiers)
    if as_json:
        click.echo(json.dumps({"differences": [d.__dict__ for d in diffs], "not_fetched": absent}, indent=2))
    else:
        width = max([len(d.name) for d in diffs] + [8])
        for d in diffs:
            if d.field == "(missing)":
                click.echo(f"{d.name:<{width}}  not in the built-in catalog")
            else:
                click.echo(f"{d.name:<{width}}  {d.field:<22}  built-in {d.builtin:<10}  fetched {d.fetched}")
        click.echo(f"{len(diffs)} differences in {len(fetched)} fetched contracts; "
                   f"{len(absent)} built-in contracts are not in {path}")
    if diffs:
        ctx.exit(1)


# ---- hedgecore backtest (docs/backtest.md) -------------------------------------------------------
class OneOf(click.Choice):
    """A choice whose error is one line (``error: --policy must be one of ...``), as for every bad input."""

    def convert(self, value, param, ctx):
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            name = param.opts[0] if param is not None and param.opts else "value"
            raise HedgecoreError(f"{name} must be one of {', '.join(self.choices)}, got {value!r}") from None


class Whole(Number):
    """A whole number within bounds (``--window 90``)."""

    name = "integer"

    def convert(self, value, param, ctx):
        x = super().convert(value, param, ctx)
        if not float(x).is_integer():
            raise HedgecoreError(f"{param.opts[0] if param is not None else 'value'} must be a whole number, got {value}")
        return int(x)


class Days(Number):
    """A number of days, or ``never``."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value.strip().lower() == "never":
            return "never"
        return super().convert(value, param, ctx)


#: Option -> the Backtest input it overrides (the workbook's Backtest sheet, else the layout default).
_BACKTEST_OPTIONS = {
    "policy": "BacktestPolicy", "threshold": "BacktestThreshold", "every_days": "BacktestEveryDays",
    "cooldown_days": "BacktestCooldownDays", "beta": "BacktestBeta", "window": "BacktestWindow",
    "halflife": "BacktestHalfLife", "fee_bps": "BacktestFeeBps", "slippage_bps": "BacktestSlippageBps",
    "reopen_days": "BacktestReopenDays", "collateral": "BacktestCollateral",
}


def _cli_names(text: str) -> str:
    """A backtest message naming the command's options (``--window``) instead of the Backtest inputs."""
    import re

    for option, name in _BACKTEST_OPTIONS.items():
        text = re.sub(rf"\b{name}\b( \(blank: the Hedge sheet's Collateral\))?", f"--{option.replace('_', '-')}", text)
    text = re.sub(r"^(start|end) must", r"--\1 must", text)
    return text.replace("start=/end=", "--start/--end")


def _funding_history(path: str):
    """A funding CSV: the bundled Binance layout (Symbol, Date, Funding Rate) or a `hedgecore fetch funding` file."""
    from .data.fetch import read_funding_history
    from .data.files import load_funding

    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline()
    if "Funding Rate" in header and "Symbol" in header:
        return load_funding(path)
    table = read_funding_history(path)
    rates = table["funding_rate"].rename(table.attrs.get("symbol", "funding"))
    rates.attrs["symbol"] = table.attrs.get("symbol", "")
    return rates


def _funding_error(funding, prices) -> str:
    """The funding history's span against the prices', with the --start/--end that fits."""
    import pandas as pd

    when = funding.dropna().index
    when = when.tz_convert(None) if when.tz is not None else when
    first, last = when.min(), when.max()
    hint = []
    if first.normalize() > prices.index[0]:
        hint.append(f"--start {(first + pd.Timedelta(days=1)).date()}")
    if last.normalize() < prices.index[-1]:
        hint.append(f"--end {last.date()}")
    return (f"--funding history runs {first.date()} to {last.date()} and does not cover the backtest "
            f"(prices {prices.index[0].date()} to {prices.index[-1].date()}): pass {' and '.join(hint) or '--start/--end'}"
            ", or a longer history")


def _backtest_lines(data, source: str) -> list[str]:
    from .backtest_cells import summary_cells
    from .excel.layout import BACKTEST_SUMMARY_FORMATS
    from .report.backtest import settings_text

    r = data.result
    out = [f"Backtest of {source}: {r.hedge_asset} {r.contract_type} short, {r.summary.start.date()} to "
           f"{r.summary.end.date()} ({len(r.daily):,} rows, liquidation checked on the {r.liquidation_check})",
           f"  {settings_text(data)}", f"  funding: {data.funding}", f"  {r.summary.verdict}"]
    cells = [c for c in summary_cells(r) if c[0] not in ("start", "end", "liquidation_check", "hedge_asset",
                                                          "contract_type", "policy", "funding_source", "rows",
                                                          "verdict")]
    width = max(len(label) for _, label, _ in cells)
    for key, label, value in cells:
        fmt = BACKTEST_SUMMARY_FORMATS.get(key, "")
        if isinstance(value, float) and math.isnan(value):
            text = "-"
        elif "%" in fmt and isinstance(value, (int, float)):
            text = f"{value:+.1%}" if fmt.startswith("+") else f"{value:.1%}"
        elif "$" in fmt:
            text = _money(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4f}"
        else:
            text = str(value)
        out.append(f"  {label:<{width}}  {text}")
    return out


@main.command()
@click.argument("workbook", type=click.Path(dir_okay=False), metavar="WORKBOOK")
@click.option("--policy", type=OneOf(POLICIES, case_sensitive=False), help="Rebalancing: none, periodic or threshold.")
@click.option("--threshold", type=Number(0, 10), help="threshold policy: drift from the target notional, 0.1 = 10 %.")
@click.option("--every-days", type=Number(0, low_open=True), help="periodic policy: days between rebalances.")
@click.option("--cooldown-days", type=Number(0), help="No trade sooner than this after the previous one.")
@click.option("--beta", type=OneOf(HEDGE_RATIO_MODES, case_sensitive=False), help="rolling or ewm beta (known at each date).")
@click.option("--window", type=Whole(2, 100_000), help="Returns in the beta's window; the backtest starts once it is full.")
@click.option("--halflife", type=Number(0, low_open=True), help="Half-life of the ewm beta, in returns.")
@click.option("--fee-bps", type=Number(0, 1000), help="Taker fee on every trade's notional, basis points.")
@click.option("--slippage-bps", type=Number(0, 1000), help="Slippage allowance on every trade's notional, basis points.")
@click.option("--reopen-days", type=Days(0), help="Reopen this many days after a liquidation (with the collateral again), or never.")
@click.option("--collateral", type=Number(0, low_open=True), help="Margin at the start: hedge coins (inverse) or USDT (linear).")
@click.option("--funding", "funding_file", type=click.Path(dir_okay=False),
              help="Funding history CSV (data/market/funding/*.csv or `hedgecore fetch funding`) instead of the "
                   "workbook's funding (its Funding sheet when Funding rate from is history, else its constant rate).")
@click.option("--funding-rate", type=Number(-1, 1, low_open=True, high_open=True), help="A constant rate per settlement instead.")
@click.option("--no-funding", is_flag=True, help="No funding at all.")
@click.option("--highs", type=click.Path(),
              help="Daily highs (a CSV or a folder, as --prices of `template`): liquidation is checked on each day's high.")
@click.option("--start", help="First day to simulate (YYYY-MM-DD; earlier prices still feed the beta).")
@click.option("--end", help="Last day to simulate (YYYY-MM-DD).")
@click.option("-o", "--outdir", default="hedge-report", show_default=True, type=click.Path(file_okay=False),
              callback=_output_path, help="Folder for the report (created if missing).")
@click.option("--format", "fmt", type=OneOf(("xlsx", "json", "csv")), default="xlsx", show_default=True,
              help="xlsx: Backtest sheet with charts and the daily data; json: summary, events, daily; csv: summary and daily.")
@click.option("--overwrite", is_flag=True, help="Replace an existing report.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def backtest(workbook, funding_file, funding_rate, no_funding, highs, start, end, outdir, fmt, overwrite, as_json,
             **options):
    """Backtest the hedge of a filled template over its price history; print the summary, write a report.

    The workbook's Backtest sheet gives the settings (a workbook made before it: the defaults); the
    options override them. Funding: the workbook's Funding rate as a constant rate, unless --funding
    gives a history (the bundled ETH history is Binance USDⓈ-M ETHUSDT and ends 2023-12-31).

    \b
    Examples:
      hedgecore backtest mine.xlsx
      hedgecore backtest mine.xlsx --policy threshold --threshold 0.1 --window 90 --fee-bps 5
      hedgecore backtest templates/example_portfolio.xlsx --collateral 100 --end 2023-12-31 \\
          --funding data/market/funding/ETH-USDT_binance_2020-01-01_2024-01-01_funding_history.csv
    """
    from pathlib import Path

    from .excel.backtest import compute_backtest
    from .excel.layout import BACKTEST_DEFAULTS
    from .excel.reader import read_workbook
    from .report.backtest import write_backtest_report

    if sum(x is not None and x is not False for x in (funding_file, funding_rate, no_funding or None)) > 1:
        raise HedgecoreError("give one of --funding, --funding-rate and --no-funding")
    inputs = read_workbook(workbook)
    settings = dict(inputs.settings)
    chosen = {_BACKTEST_OPTIONS[k]: v for k, v in options.items() if v is not None}
    if chosen.get("BacktestReopenDays") == "never":
        chosen["BacktestReopenDays"] = None
    bt = {**BACKTEST_DEFAULTS, **(inputs.backtest or {}), **chosen}
    funding = "settings" if funding_rate is None and not funding_file and not no_funding else (
        None if no_funding else funding_rate if funding_rate is not None else _funding_history(funding_file))
    if isinstance(funding, str) and inputs.funding is not None and settings.get("FundingSource") == "history":
        funding = inputs.funding["funding_rate"].rename(inputs.funding.attrs.get("symbol") or "funding")
        funding.attrs["symbol"] = inputs.funding.attrs.get("symbol", "")  # the Funding sheet's settlements
    high = None
    if highs:
        from .data.files import load_prices

        high = load_prices(highs, column="High", assets=[settings["HedgeAsset"]])
    data = compute_backtest(inputs.holdings, inputs.prices, settings, bt, funding=funding, high=high, start=start,
                            end=end)
    if data.error:
        if funding_file and data.error.startswith("funding history"):
            raise HedgecoreError(_funding_error(funding, inputs.prices))
        raise HedgecoreError(_cli_names(data.error))
    try:
        written = write_backtest_report(data, workbook, outdir, fmt, overwrite=overwrite)
    except FileExistsError as exc:
        raise HedgecoreError(f"{exc.filename or exc} already exists; use --overwrite to replace it") from None
    if as_json:
        from .report.backtest import backtest_figures
        from .report.records import json_value

        payload = {f.key: json_value(f.value) for f in backtest_figures(data)} | {"report": [str(w) for w in written]}
        click.echo(json.dumps(payload, indent=2, allow_nan=False))
        return
    for line in _backtest_lines(data, escape_controls(short_name(Path(workbook).name))):
        click.echo(line)
    click.echo(f"Report: {', '.join(str(w) for w in written)}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
