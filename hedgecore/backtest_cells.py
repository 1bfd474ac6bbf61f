"""A backtest as cells: its daily fields and summary by name, and a name for the result in a cell.

What the Excel functions (``HEDGE_BACKTEST``, ``BACKTEST_DAILY``, ``BACKTEST_SUMMARY`` in
addin/main.py) return and what the template writer caches in their cells are the same values,
taken from here: dates as Excel serial numbers in the daily table and as ISO text in the summary,
a liquidation price no rise reaches as ``"none"``, the events of each row as text. NaN is left
as it is (each edge shows it as ``#N/A``).

:func:`backtest_id` names a result by its content (``"ETH threshold 2021-04-03 to 2024-04-09
#1a2b3c4d5e"``): equal results get equal names, so a cell holding the name is
recalculated to the same text, and the per-cell functions find the result by it.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from .backtesting import BACKTEST_COLUMNS, BACKTEST_SUMMARY_LABELS, BacktestResult, date_text as _date_text

__all__ = ["DAILY_FIELDS", "SUMMARY_EXTRA_LABELS", "backtest_id", "daily_cells", "daily_fields", "event_labels",
           "excel_serial", "id_digest", "summary_cells"]

_EPOCH = pd.Timestamp("1899-12-30")  # Excel's day 0 (the 1900 date system, after its leap-year bug)
_DAY = pd.Timedelta(days=1)
_NO_LIQUIDATION = "none"

#: Daily fields in display order: the date, :data:`~hedgecore.BACKTEST_COLUMNS`, then the events.
DAILY_FIELDS: tuple[tuple[str, str], ...] = (
    ("date", "Date"),
    ("hedge_price_usd", "Hedge coin close (USD)"),
    ("basket_usd", "Basket (USD)"),
    ("hedge_ratio", "Hedge ratio (beta known then)"),
    ("target_notional_usd", "Target notional (USD)"),
    ("contracts", "Contracts"),
    ("hedge_notional_usd", "Notional hedged (USD)"),
    ("margin_balance", "Margin balance ({unit})"),
    ("margin_balance_usd", "Margin balance (USD)"),
    ("liquidation_price_usd", "Liquidation price (USD)"),
    ("hedged_usd", "Hedged value (USD)"),
    ("unhedged_usd", "Unhedged value (USD)"),
    ("hedged_coin", "Hedged value ({coin})"),
    ("unhedged_coin", "Unhedged value ({coin})"),
    ("drawdown_hedged", "Drawdown, hedged"),
    ("drawdown_unhedged", "Drawdown, unhedged"),
    ("cum_funding_usd", "Funding paid so far (USD, negative = received)"),
    ("cum_fees_usd", "Fees and slippage so far (USD)"),
    ("cum_deposits_usd", "Deposits so far (USD)"),
    ("trade", "Trade"),
    ("liquidated", "Liquidated"),
    ("event", "Event"),
)
assert [k for k, _ in DAILY_FIELDS[1:-1]] == list(BACKTEST_COLUMNS)

#: Summary fields beyond :data:`~hedgecore.BACKTEST_SUMMARY_LABELS`: what the result was made of.
SUMMARY_EXTRA_LABELS: tuple[tuple[str, str], ...] = (
    ("rows", "Rows (bars simulated)"),
    ("hedge_asset", "Hedge coin"),
    ("contract_type", "Contract type"),
    ("margin_unit", "Margin unit"),
    ("policy", "Rebalancing policy"),
    ("funding_source", "Funding (history, constant or none)"),
)


def excel_serial(when: Any) -> float:
    """Excel's serial day number of a date (1900 date system): 2024-01-01 is 45292.

    >>> excel_serial(pd.Timestamp("2024-01-01")), excel_serial(pd.Timestamp("2024-01-01 12:00"))
    (45292.0, 45292.5)
    """
    return float((pd.Timestamp(when) - _EPOCH) / _DAY)


def daily_fields(result: BacktestResult) -> tuple[tuple[str, str], ...]:
    """:data:`DAILY_FIELDS` with the units of ``result`` in the labels (margin unit, hedge coin)."""
    return tuple((k, label.format(unit=result.margin_unit, coin=result.hedge_asset)) for k, label in DAILY_FIELDS)


def event_labels(result: BacktestResult) -> list[str]:
    """The events of each row as text (``"rebalance"``, ``"liquidation, reopen"``), ``""`` for none."""
    labels = [""] * len(result.daily)
    if len(result.events):
        rows = result.daily.index.get_indexer(pd.DatetimeIndex(result.events["date"]))
        for row, name in zip(rows.tolist(), result.events["event"].tolist()):
            labels[row] = f"{labels[row]}, {name}" if labels[row] else name
    return labels


def daily_cells(result: BacktestResult, field: str) -> list[Any]:
    """One cell per row of the daily field ``field`` (a key of :data:`DAILY_FIELDS`).

    Dates are Excel serial numbers, an unreachable liquidation price is ``"none"``, ``trade`` and
    ``liquidated`` are booleans, ``event`` is text (:func:`event_labels`, ``"hold"`` for a row
    without events); other fields are floats.

    Raises
    ------
    KeyError
        ``field`` is not a daily field.
    """
    daily = result.daily
    if field == "date":
        return ((daily.index - _EPOCH) / _DAY).to_numpy(dtype=float).tolist()
    if field == "event":  # "hold" where nothing happened: LibreOffice recalculates a cell cached as ""
        return [label or "hold" for label in event_labels(result)]
    values = daily[field].to_numpy()
    if values.dtype == bool:
        return values.tolist()
    cells = values.astype(float).tolist()
    if field == "liquidation_price_usd":
        return [_NO_LIQUIDATION if math.isinf(v) else v for v in cells]
    return cells


def _summary_value(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return _date_text(value)
    if isinstance(value, tuple):
        return ", ".join(_date_text(d) for d in value) if value else "none"
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value


def summary_cells(result: BacktestResult) -> list[tuple[str, str, Any]]:
    """(key, label, value) of every summary figure (:data:`~hedgecore.BACKTEST_SUMMARY_LABELS`, then
    :data:`SUMMARY_EXTRA_LABELS`): dates as ISO text, the liquidation dates joined (``"none"``)."""
    s = result.summary
    extra = {"rows": len(result.daily), "hedge_asset": result.hedge_asset, "contract_type": result.contract_type,
             "margin_unit": result.margin_unit, "policy": result.policy, "funding_source": result.funding_source}
    out = [(k, label, _summary_value(getattr(s, k))) for k, label in BACKTEST_SUMMARY_LABELS]
    return out + [(k, label, extra[k]) for k, label in SUMMARY_EXTRA_LABELS]


def backtest_id(result: BacktestResult) -> str:
    """A name for ``result`` made of what it holds: coin, policy, span and a digest of its content.

    Two results get the same name exactly when their daily table, events and summary are equal (as
    numbers: an int 3 and a float 3.0 are the same).
    """
    h = hashlib.blake2b(digest_size=5)
    daily = result.daily
    h.update(daily.index.asi8.tobytes())
    h.update(np.ascontiguousarray(daily.to_numpy(dtype=float)).tobytes())
    events = result.events
    h.update(pd.DatetimeIndex(events["date"]).asi8.tobytes() + "|".join(events["event"]).encode())
    h.update(np.ascontiguousarray(events.drop(columns=["date", "event"]).to_numpy(dtype=float)).tobytes())
    text = [v if isinstance(v, str) else _summary_value(v) for v in result.summary.as_dict().values()]
    numbers = [float(v) if isinstance(v, (int, float)) else math.nan for v in text]
    h.update(np.array(numbers).tobytes() + repr([v for v in text if isinstance(v, str)]).encode())
    h.update(repr((result.contract_type, result.hedge_asset, result.margin_unit, result.policy,
                   result.liquidation_check, result.funding_source, float(result.periods_per_year))).encode())
    s = result.summary
    return f"{result.hedge_asset} {result.policy} {_date_text(s.start)} to {_date_text(s.end)} #{h.hexdigest()}"


_DIGEST = re.compile(r"#([0-9a-f]{10})\s*$")


def id_digest(text: Any) -> str | None:
    """The digest at the end of a :func:`backtest_id` (``None`` if ``text`` is not one)."""
    m = _DIGEST.search(text) if isinstance(text, str) else None
    return m.group(1) if m else None
