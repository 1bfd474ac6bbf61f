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
from ._typing import CONTRACT_TYPES, ROUNDING_MODES
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
    if field == "effective_leverage":
        return "inf" if math.isinf(value) else f"{value:.2f}x"
    return f"{value:,.2f}" if abs(value) >= 1 or value == 0 else f"{value:.8f}"


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
@click.option("--maintenance-rate", default=0.005, show_default=True, type=Number(0, 1, high_open=True))
@click.option("--funding-rate", default=0.0, show_default=True, type=Number(-1, 1, low_open=True, high_open=True), help="Per interval; + = longs pay shorts.")
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
@_fetch_options
@click.pass_context
def template(ctx, output, holdings, prices, assets, sets, fetch_coins, hedge, contract_name, funding_file, since,
             exchange, api_url, timeout_s, retries, retry_wait_s):
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
    from .excel.writer import write_template

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
                                 _settings(api_url, timeout_s, retries, retry_wait_s))
    if since is not None:
        raise click.UsageError("--since needs --fetch")
    if funding_file and "FundingSource" not in settings:
        settings["FundingSource"] = "history"
    keep = [a.strip() for a in assets.split(",") if a.strip()] if assets else None
    path = write_template(output, holdings=holdings, prices=list(prices) or None, settings=settings, assets=keep,
                          funding=funding_file)
    click.echo(f"wrote {path}")


def _template_fetched(ctx, output, holdings, settings, coins, since, exchange, fetch_settings) -> None:
    from .excel.refresh import fetch_template

    with _Bar() as progress:
        outcome = fetch_template(output, coins.split(","), holdings=holdings, settings=settings, exchange=exchange,
                                 since=since, fetch_settings=fetch_settings, progress=progress)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
