"""The template's backtest: the Holdings basket hedged as the Hedge sheet says, over the Prices history.

:func:`compute_backtest` turns the workbook's inputs — holdings, prices, the Hedge inputs (contract,
collateral, funding rate, maintenance margin) and the Backtest inputs (policy, threshold, beta
window, fees, slippage, reopen) — into one :func:`hedgecore.backtest` call, the same call the
template's ``HEDGE_BACKTEST`` cell makes through the add-in. The writer caches its cells from the
result, the report shows it, ``hedgecore backtest`` prints it. A backtest that cannot run (too
little history for the beta, no collateral, a funding history that ends too early) is not an
exception here but :attr:`BacktestData.error`, one line naming the input: the rest of a report
does not depend on it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..backtest_cells import backtest_id
from ..backtesting import BacktestResult, backtest
from ..errors import HedgecoreError
from .inputs import check_settings
from .layout import BACKTEST_DEFAULTS, BACKTEST_INPUT_NAMES

__all__ = ["BacktestData", "backtest_options", "compute_backtest", "funding_label"]

#: Core argument -> the input it comes from, for error messages.
_INPUT_OF = {
    "lower window=": "use a shorter BacktestWindow",
    "collateral_coin": "BacktestCollateral (blank: the Hedge sheet's Collateral)",
    "collateral_usd": "BacktestCollateral",
    "window": "BacktestWindow",
    "halflife": "BacktestHalfLife",
    "threshold": "BacktestThreshold",
    "every_days": "BacktestEveryDays",
    "cooldown_days": "BacktestCooldownDays",
    "fee_bps": "BacktestFeeBps",
    "slippage_bps": "BacktestSlippageBps",
    "reopen_after_days": "BacktestReopenDays",
    "maintenance_rate": "MaintenanceMargin",
}


@dataclass(frozen=True)
class BacktestData:
    """The backtest a workbook asks for, and what it gave.

    Attributes
    ----------
    settings : dict
        The Backtest inputs used (checked), by defined name.
    from_workbook : bool
        False when the workbook has no Backtest sheet (made before it existed): the defaults were used.
    funding : str
        Which funding was used, in words (shown wherever the figures are).
    collateral : float
        Margin at the start, in the margin unit (hedge coins for inverse, USDT for linear).
    result : BacktestResult or None
        None when the backtest could not run; then ``error`` says why.
    error : str
    """

    settings: dict[str, Any]
    from_workbook: bool
    funding: str
    collateral: float
    result: BacktestResult | None = None
    error: str = ""
    options: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        """The result's name (:func:`~hedgecore.backtest_cells.backtest_id`), ``""`` without a result."""
        return "" if self.result is None else backtest_id(self.result)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def funding_label(funding: Any, contract_type: str) -> str:
    """Which funding a backtest used, in words: a constant rate, or a history with its span and source.

    A USDⓈ-M (USDT) history standing in for a coin-margined contract's funding is called a proxy.

    >>> funding_label(0.0001, "inverse")
    'constant 0.0100 % per funding interval'
    """
    if funding is None:
        return "none"
    if not isinstance(funding, pd.Series):
        return f"constant {float(funding) * 100:.4f} % per funding interval"
    when = funding.dropna().index
    name = _text(funding.attrs.get("symbol") or funding.name) or "funding"
    span = f"{when.min():%Y-%m-%d} to {when.max():%Y-%m-%d}" if len(when) else "no rates"
    label = f"history {name} ({span}, {len(when):,} settlements)"
    if contract_type == "inverse" and "USDT" in name.upper():
        label += ", USDⓈ-M rates as a proxy for the coin-margined contract's funding"
    return label


def backtest_options(settings: Mapping[str, Any], bt: Mapping[str, Any]) -> tuple[Any, dict[str, Any], float]:
    """(contract, keyword arguments of :func:`hedgecore.backtest`, collateral) from the Hedge and Backtest inputs.

    The same arguments the template's ``HEDGE_BACKTEST`` cell passes: the catalog Contract (else
    its size and type), the Hedge coin, Collateral (or BacktestCollateral), the Funding rate as a
    constant rate per settlement, the maintenance margin rate, and the Backtest inputs.
    """
    kind = _text(settings.get("ContractType")).lower() or "inverse"
    collateral = bt.get("BacktestCollateral")
    if collateral is None:
        collateral = float(settings.get("Collateral") or 0.0) if kind == "inverse" else 0.0
    reopen = bt.get("BacktestReopenDays")
    options = dict(
        hedge_asset=_text(settings.get("HedgeAsset")),
        contract_type=kind,
        collateral_coin=float(collateral) if kind == "inverse" else 0.0,
        collateral_usd=float(collateral) if kind == "linear" else 0.0,
        policy=bt["BacktestPolicy"],
        threshold=float(bt["BacktestThreshold"]),
        every_days=float(bt["BacktestEveryDays"]),
        cooldown_days=float(bt["BacktestCooldownDays"]),
        hedge_ratio=bt["BacktestBeta"],
        window=int(bt["BacktestWindow"]),
        halflife=float(bt["BacktestHalfLife"]),
        fee_bps=float(bt["BacktestFeeBps"]),
        slippage_bps=float(bt["BacktestSlippageBps"]),
        funding=float(settings.get("FundingRate") or 0.0),
        reopen_after_days=None if reopen is None else float(reopen),
        maintenance_rate=None if settings.get("MaintenanceMargin") is None else float(settings["MaintenanceMargin"]),
    )
    return _text(settings.get("Contract")) or float(settings["ContractSize"]), options, float(collateral)


def _quantities(holdings: pd.DataFrame) -> dict[str, float]:
    """Coins held per asset (a coin on two rows counts once, with both quantities)."""
    qty = holdings.groupby(holdings["Asset"].astype(str), sort=False)["Quantity"].sum()
    return {str(k): float(v) for k, v in qty.items()}


def _message(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    for core, name in _INPUT_OF.items():
        text = re.sub(rf"(?<![\w.]){re.escape(core)}(?!\w)", name, text)
    return text[:250]


def compute_backtest(
    holdings: pd.DataFrame,
    prices: pd.DataFrame,
    settings: Mapping[str, Any],
    backtest_settings: Mapping[str, Any] | None = None,
    *,
    funding: Any = "settings",
    high: pd.Series | pd.DataFrame | None = None,
    start: Any = None,
    end: Any = None,
) -> BacktestData:
    """Backtest the workbook's hedge (see the module docstring); never raises for a backtest that cannot run.

    Parameters
    ----------
    holdings, prices, settings
        As :func:`~hedgecore.excel.compute.compute_report` takes them (settings checked there).
    backtest_settings : mapping, optional
        The Backtest inputs by defined name; missing ones take their defaults, None = all defaults
        (a workbook without a Backtest sheet).
    funding : "settings", float, pandas Series or None
        "settings": the Hedge sheet's Funding rate as a constant rate (what the template does); or a
        rate, a history (e.g. :func:`hedgecore.load_funding`) or None, as :func:`hedgecore.backtest` takes.
    high, start, end
        As :func:`hedgecore.backtest` takes them (the template has closes only: close-checked).

    Raises
    ------
    InputError
        A Backtest input its layout entry rejects (naming it).
    """
    bt = check_settings({**BACKTEST_DEFAULTS, **(backtest_settings or {})})
    bt = {n: bt[n] for n in BACKTEST_INPUT_NAMES}
    contract, options, collateral = backtest_options(settings, bt)
    if not isinstance(funding, str):
        options["funding"] = funding
    label = funding_label(options["funding"], options["contract_type"])
    if isinstance(funding, str):
        label += " (the Hedge sheet's Funding rate; the workbook holds no funding history)"
    data = dict(settings=bt, from_workbook=backtest_settings is not None, funding=label, collateral=collateral,
                options=options)
    try:
        with np.errstate(all="ignore"):
            result = backtest(prices, _quantities(holdings), contract, high=high, start=start, end=end, **options)
    except (HedgecoreError, ArithmeticError) as exc:
        return BacktestData(**data, error=_message(exc))
    return BacktestData(**data, result=result)

