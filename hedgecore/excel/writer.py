"""Write the Excel hedge template, empty or filled with holdings and prices (the openpyxl edge).

:func:`write_template` turns holdings, prices and Hedge inputs into a workbook that follows
:mod:`hedgecore.excel.layout`: it prepares the inputs (:func:`_as_prices`, :func:`_as_holdings`,
the settings checked by :func:`hedgecore.excel.inputs.check_settings`), lays out the sheets
(:mod:`hedgecore.excel.sheets`), gives every formula cell its cached value — the figures
:func:`hedgecore.excel.compute.compute_report` computes, so the workbook opens with its numbers
before any add-in runs (:mod:`hedgecore.excel.cached`) — and writes the bytes reproducibly and
atomically. Reading a filled template back is :mod:`hedgecore.excel.reader`.

openpyxl is imported inside the functions, so ``import hedgecore`` never loads it.
"""

from __future__ import annotations

import io
import math
import os
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._atomic import atomic_write
from ..errors import HedgecoreError, WorkbookError
from . import backtest_sheet, sheets
from .cached import CachedValues, fill_sheet_xml
from .compute import compute_report, evaluate_defaults, holdings_table
from .inputs import InputError, check_settings, fill_from_contract, parse_setting
from .layout import (
    BACKTEST_DEFAULTS,
    BACKTEST_INPUT_NAMES,
    DEFAULT_FORMULAS,
    DEFAULT_SETTINGS,
    DEFAULT_SHOCKS,
    EXAMPLE_BACKTEST_SETTINGS,
    EXAMPLE_PRICE_ASSETS,
    EXAMPLE_SETTINGS,
    SHEETS,
    TEMPLATE_TIMESTAMP,
)
from .styles import template_styles

__all__ = ["write_template", "write_example"]

_ZIP_TIME = TEMPLATE_TIMESTAMP.timetuple()[:6]
#: Excel 365's calculation engine: Excel does not recalculate a file saved with it on open, so the
#: cached values stay on screen until an input changes (an older id makes Excel recalculate at once,
#: before the add-in has registered its functions).
_CALC_ID = 191029


# ---------------------------------------------------------------------------------------------
# Inputs: prices, holdings, settings
# ---------------------------------------------------------------------------------------------


def _load_prices(source: Any, assets: Iterable[str] | None = None) -> pd.DataFrame:
    from ..data.files import load_prices

    return load_prices(source, assets=list(assets) if assets is not None else None)


def _select(df: pd.DataFrame, assets: Iterable[str] | None) -> pd.DataFrame:
    if assets is None:
        return df
    missing = [a for a in assets if a not in df.columns]
    if missing:
        raise WorkbookError(f"prices have no column for {', '.join(missing)}")
    return df[list(assets)]


def _as_prices(prices: Any, assets: Iterable[str] | None) -> pd.DataFrame | None:
    """A DataFrame indexed by Date from a DataFrame, a path, or a list of paths (joined on Date)."""
    if prices is None:
        return None
    if isinstance(prices, pd.DataFrame):
        df = _select(prices.copy(), assets)
    elif isinstance(prices, (str, os.PathLike)):
        df = _load_prices(prices, assets)
    else:
        frames = [_load_prices(p) for p in prices]
        if not frames:
            return None
        df = pd.concat(frames, axis=1, join="outer").sort_index()
        df = _select(df.loc[:, ~df.columns.duplicated()], assets)
    df.index = pd.DatetimeIndex(df.index, name="Date")
    return df.astype(float)


def _as_funding(funding: Any) -> pd.DataFrame | None:
    """A funding history (``funding_rate``, ``interval_hours`` by UTC time, ``attrs["symbol"]``), from
    a DataFrame of that shape or a file written by ``hedgecore fetch funding``."""
    if funding is None:
        return None
    if isinstance(funding, (str, os.PathLike)):
        from ..data.fetch import read_funding_history

        return read_funding_history(funding)
    if not isinstance(funding, pd.DataFrame) or not {"funding_rate", "interval_hours"} <= set(funding.columns) \
            or not isinstance(funding.index, pd.DatetimeIndex):
        raise WorkbookError("funding must be a history as read_funding_history returns it "
                            "(funding_rate and interval_hours by settlement time)")
    out = funding[["funding_rate", "interval_hours"]].astype(float)
    out.index = funding.index.tz_localize("UTC") if funding.index.tz is None else funding.index.tz_convert("UTC")
    out.attrs["symbol"] = str(funding.attrs.get("symbol") or "")
    return out


def _read_holdings(holdings: Any) -> tuple[pd.DataFrame, str]:
    """Asset / Quantity / Price columns from a DataFrame or a CSV path, and how to name it in errors."""
    if isinstance(holdings, pd.DataFrame):
        df, where = holdings.copy(), "holdings"
    else:
        where = str(holdings)
        try:
            df = pd.read_csv(holdings, dtype={"Asset": str})
        except (OSError, ValueError) as exc:
            raise WorkbookError(f"{where}: cannot read holdings CSV ({exc})") from exc
    df.columns = [str(c).strip() for c in df.columns]
    for col in ("Asset", "Quantity"):
        if col not in df.columns:
            raise WorkbookError(f"{where}: holdings need columns Asset, Quantity[, Price]; missing {col}")
    if "Price" not in df.columns:
        df["Price"] = np.nan
    df = df[["Asset", "Quantity", "Price"]].copy()
    df["Asset"] = df["Asset"].astype(str).str.strip()
    return df, where


def _parse_numbers(df: pd.DataFrame, where: str) -> None:
    """Quantity and Price as floats in place; a bad cell names its CSV line (or row) and asset."""
    for col in ("Quantity", "Price"):
        raw = df[col]
        parsed = pd.to_numeric(raw, errors="coerce").astype(float)
        blank = raw.isna() | raw.astype(str).str.strip().eq("")
        bad = np.flatnonzero((parsed.isna() & ~blank).to_numpy() | ~np.isfinite(parsed.fillna(0).to_numpy()))
        if col == "Quantity":
            bad = np.union1d(bad, np.flatnonzero(blank.to_numpy()))
        if bad.size:
            i = int(bad[0])
            line = f" line {i + 2}" if where != "holdings" else f" row {i + 1}"  # CSV line 1 is the header
            got = "a blank" if blank.iloc[i] else repr(raw.iloc[i])
            raise WorkbookError(f"{where}{line}: {col} of {df['Asset'].iloc[i]} must be a number, got {got}")
        df[col] = parsed
    if (df["Quantity"] < 0).any():
        bad_asset = df.loc[df["Quantity"] < 0, "Asset"].iloc[0]
        raise WorkbookError(f"{where}: quantity of {bad_asset} is negative")


def _as_holdings(holdings: Any, prices: pd.DataFrame | None) -> pd.DataFrame | None:
    """Asset / Quantity / Price; a missing or blank Price is the asset's last close in Prices."""
    if holdings is None:
        return None
    df, where = _read_holdings(holdings)
    _parse_numbers(df, where)
    for i, row in df.iterrows():
        if math.isnan(row["Price"]):
            if prices is None or row["Asset"] not in prices.columns:
                raise WorkbookError(f"{where}: no Price for {row['Asset']} and no price column to take its last close from")
            closes = prices[row["Asset"]].dropna()
            if closes.empty:
                raise WorkbookError(f"{where}: no closes for {row['Asset']} in Prices")
            df.at[i, "Price"] = float(closes.iloc[-1])
    return df.reset_index(drop=True)


def _settings(settings: Mapping[str, Any] | None, prices: pd.DataFrame | None) -> dict[str, Any]:
    """The template defaults with the given inputs on top, checked; a catalog Contract sets type, size and coin.

    Hedge and Backtest inputs together, by defined name.
    """
    given = {name: parse_setting(name, value) for name, value in (settings or {}).items()}
    merged: dict[str, Any] = {**DEFAULT_SETTINGS, **BACKTEST_DEFAULTS, **given}
    fill_from_contract(merged, given)
    try:
        return check_settings(merged, price_columns=None if prices is None else prices.columns)
    except InputError as exc:
        raise WorkbookError(f"Hedge input {exc}") from None


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _check_price_columns(holdings: pd.DataFrame | None, prices: pd.DataFrame | None, hedge_asset: str) -> None:
    if holdings is None or prices is None:
        return
    missing = [a for a in holdings["Asset"] if a not in prices.columns]
    if hedge_asset not in prices.columns:
        missing.append(hedge_asset)
    if missing:
        raise WorkbookError(f"Prices have no column for {', '.join(dict.fromkeys(missing))}")


def _cached_values(holdings: pd.DataFrame | None, prices: pd.DataFrame | None, settings: Mapping[str, Any],
                   shocks: list[float], backtest: Mapping[str, Any],
                   funding: pd.DataFrame | None = None) -> CachedValues:
    """The value of every formula the template will hold, computed with hedgecore."""
    values = dict(settings)
    pending = {n for n, f in DEFAULT_FORMULAS.items() if values.get(n) is None}
    bad = [n for n, v in values.items() if isinstance(v, str) and v.startswith("=")]
    if bad:
        raise WorkbookError(f"Hedge input {bad[0]}: give a value (a formula other than the template's default "
                            "cannot be computed when writing)")
    try:
        worthless = holdings is not None and len(holdings) > 0 and prices is not None \
            and not float((holdings["Quantity"] * holdings["Price"]).sum()) > 0
        # a portfolio worth 0 (quantities still to type) leaves the default hedge ratio blank, as Excel does
        evaluate_defaults(values, pending - {"HedgeRatio"} if worthless else pending, holdings, prices)
        if holdings is None or not len(holdings):
            return CachedValues(None, values)
        if prices is None:
            raise WorkbookError("holdings need prices (--prices) to compute their betas and the hedge")
        if worthless:  # Excel leaves the results blank
            checked = check_settings(values, price_columns=prices.columns)
            table = holdings_table(holdings, prices, str(checked["HedgeAsset"]), str(checked.get("SecondAsset") or ""),
                                   zero_value_ok=True)
            return CachedValues(None, values, holdings=table)
        report = compute_report(holdings, prices, shocks, values, backtest=backtest, funding=funding)
    except InputError as exc:
        raise WorkbookError(f"Hedge input {exc}") from None
    except HedgecoreError as exc:
        raise WorkbookError(f"cannot compute the template's figures: {exc}") from None
    return CachedValues(report, values)


def _build(holdings: pd.DataFrame | None, prices: pd.DataFrame | None, settings: Mapping[str, Any],
           shocks: Iterable[float], funding: pd.DataFrame | None = None,
           sources: Mapping[str, str] | None = None) -> tuple[Any, CachedValues]:
    """The openpyxl workbook (every sheet of :data:`~hedgecore.excel.layout.SHEETS`, in that order)
    and the cached values of its formula cells."""
    from openpyxl import Workbook

    st = template_styles()
    wb = Workbook()
    hedge_asset = str(settings.get("HedgeAsset") or DEFAULT_SETTINGS["HedgeAsset"])
    _check_price_columns(holdings, prices, hedge_asset)
    shocks = [float(x) for x in shocks]
    backtest = {n: settings[n] for n in BACKTEST_INPUT_NAMES}
    settings = {n: v for n, v in settings.items() if n not in backtest}
    cache = _cached_values(holdings, prices, settings, shocks, backtest, funding)
    sheets.write_guide(wb, st, holdings=holdings, settings=settings, sources=sources)
    sheets.write_prices(wb, st, prices, hedge_asset)
    sheets.write_funding(wb, st, funding, cache)
    sheets.write_portfolio(wb, st, holdings, cache)
    sheets.write_hedge(wb, st, settings, cache)
    sheets.write_stress(wb, st, shocks, cache)
    backtest_sheet.write_backtest(wb, st, backtest, cache)
    sheets.write_lists(wb, st)
    sheets.write_names(wb)
    wb._sheets = [wb[n] for n in SHEETS]  # noqa: SLF001 - openpyxl has no public reorder
    wb.active = 0
    props = wb.properties
    props.creator = "hedgecore"
    props.lastModifiedBy = "hedgecore"
    props.title = "hedgecore hedge template"
    props.created = TEMPLATE_TIMESTAMP
    props.modified = TEMPLATE_TIMESTAMP
    wb.calculation.fullCalcOnLoad = False
    wb.calculation.calcId = _CALC_ID
    return wb, cache


def _sheet_parts(files: Mapping[str, bytes]) -> dict[str, str]:
    """Sheet title -> its part name (``xl/worksheets/sheetN.xml``), from workbook.xml and its rels."""
    import re

    rels = dict(re.findall(r'<Relationship[^>]*Id="(rId\d+)"[^>]*Target="([^"]+)"',
                           files["xl/_rels/workbook.xml.rels"].decode()))
    rels.update({k: v for v, k in re.findall(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="(rId\d+)"',
                                              files["xl/_rels/workbook.xml.rels"].decode())})
    out = {}
    for title, rid in re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="(rId\d+)"', files["xl/workbook.xml"].decode()):
        target = rels[rid].lstrip("/")
        out[title] = target if target.startswith("xl/") else "xl/" + target
    return out


def _with_cached_values(files: dict[str, bytes], cache: CachedValues) -> dict[str, bytes]:
    """The workbook's parts with every recorded value in its sheet's XML."""
    parts = _sheet_parts(files)
    for title, values in cache.cells.items():
        files[parts[title]] = fill_sheet_xml(files[parts[title]], values)
    return files


def _deterministic_bytes(wb: Any, cache: CachedValues) -> bytes:
    """Serialise with openpyxl's writer, add the cached values, rewrite the zip with fixed entry times."""
    from openpyxl.writer.excel import ExcelWriter

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()  # unlike save_workbook, keeps properties.modified
    with zipfile.ZipFile(raw) as src:
        files = {item.filename: src.read(item.filename) for item in src.infolist()}
    files = _with_cached_values(files, cache)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, data)
    return out.getvalue()


def write_template(
    path: str | os.PathLike[str],
    holdings: pd.DataFrame | str | os.PathLike[str] | None = None,
    prices: pd.DataFrame | str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
    settings: Mapping[str, Any] | None = None,
    *,
    assets: Iterable[str] | None = None,
    shocks: Iterable[float] | None = None,
    funding: pd.DataFrame | str | os.PathLike[str] | None = None,
    sources: Mapping[str, str] | None = None,
    overwrite: bool = True,
) -> Path:
    """Write the hedge template, empty or filled, atomically and reproducibly.

    Parameters
    ----------
    path
        Output ``.xlsx``.
    holdings
        DataFrame or CSV path with columns ``Asset``, ``Quantity`` and optionally ``Price``
        (USD; a blank or missing price is the asset's last close in ``prices``).
    prices
        Daily closes: a DataFrame indexed by date with one column per ticker, or what
        :func:`hedgecore.load_prices` reads (a wide CSV or a folder of ``<TICKER>-USD.csv``),
        or a list of those (joined on date).
    settings
        Hedge and Backtest inputs by defined name (:data:`~hedgecore.excel.layout.INPUT_NAMES`,
        :data:`~hedgecore.excel.layout.BACKTEST_INPUT_NAMES`), e.g. ``{"Collateral": 5}``.
        Strings are parsed (``"0.5%"`` → 0.005); ``None`` or ``"default"``
        for ``HedgeRatio``/``HedgePrice`` keeps their default formulas; a string starting with
        ``=`` is written as a formula.
    assets
        Price columns to keep (default: all loaded).
    shocks
        Returns of the hedge coin for the stress test (default −50 % … +50 % in 10 % steps).
    funding
        The hedge contract's funding history for sheet Funding: a file written by
        ``hedgecore fetch funding``, or the DataFrame :func:`hedgecore.data.fetch.read_funding_history`
        returns (``attrs["symbol"]`` is the contract). With ``FundingSource`` = ``history`` the plan
        and the stress test use its mean over the last ``FundingDays`` complete days.
    sources
        Guide rows of the Data sources section to replace, by key (``"Daily prices"``,
        ``"Funding rates"``): where the data of this workbook came from.
    overwrite
        Replace an existing file (default); with False an existing ``path`` raises
        :class:`FileExistsError` and is left alone.

    Returns
    -------
    pathlib.Path
        The path written. Every formula cell carries its value computed by hedgecore (the
        figures ``hedgecore report`` shows), so the file opens with its numbers before the add-in
        runs. The workbook properties carry
        :data:`~hedgecore.excel.layout.TEMPLATE_TIMESTAMP` and zip entries a fixed time, so the
        same inputs give the same bytes.

    Raises
    ------
    WorkbookError
        Unreadable holdings, a holding or the hedge coin without a price column, a bad setting,
        holdings without prices, or figures that cannot be computed (e.g. too few closes).
    """
    price_df = _as_prices(prices, assets)
    merged = _settings(settings, price_df)
    hold_df = _as_holdings(holdings, price_df)
    wb, cache = _build(hold_df, price_df, merged, DEFAULT_SHOCKS if shocks is None else shocks, _as_funding(funding),
                       sources)
    out = Path(path)
    data = _deterministic_bytes(wb, cache)
    atomic_write(out, lambda tmp: tmp.write_bytes(data), overwrite=overwrite)
    return out


def write_example(path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Write the shipped example workbook (``templates/example_portfolio.xlsx``).

    ``data_dir`` is the repository's ``data/market/prices_daily`` (default: found from this file);
    holdings come from ``templates/example_holdings.csv``. Equivalent CLI::

        hedgecore template --overwrite -o templates/example_portfolio.xlsx --holdings templates/example_holdings.csv \\
            --prices data/market/prices_daily --assets SOL,AVAX,DOT,LINK,ADA,XRP,ETH,BTC \\
            --set Collateral=10 --set Leverage=3 --set HorizonDays=30 --set SecondAsset=BTC \\
            --set BacktestCooldownDays=3 --set BacktestReopenDays=7
    """
    root = Path(__file__).resolve().parents[2]
    data = Path(data_dir) if data_dir is not None else root / "data" / "market" / "prices_daily"
    return write_template(
        path,
        holdings=root / "templates" / "example_holdings.csv",
        prices=data,
        settings={**EXAMPLE_SETTINGS, **EXAMPLE_BACKTEST_SETTINGS},
        assets=EXAMPLE_PRICE_ASSETS,
    )
