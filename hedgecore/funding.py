"""Funding of perpetual positions.

A positive rate means **longs pay shorts**, so a short hedge usually receives
(Binance, Bybit, BitMEX funding pages; DOMAIN.md §3). Amount per interval:
inverse ``(Q/P_mark)·rate`` in coin; linear ``notional·rate`` in quote. The
inverse amount is constant in USD (``Q·rate``).
"""

from __future__ import annotations

from ._validation import as_float, require_choice, require_nonnegative, require_positive
from .errors import InvalidInputError
from .pnl import side_sign

__all__ = ["funding_payment", "funding_cost_usd", "annualised_funding_rate", "funding_intervals"]


def funding_payment(
    notional_usd: float,
    funding_rate: float,
    *,
    side: str = "short",
    contract_type: str = "inverse",
    mark_price_usd: float | None = None,
) -> float:
    """Amount the position **pays** at one funding time (negative = receives).

    Coin for inverse (needs ``mark_price_usd``), quote for linear.

    Examples
    --------
    DOMAIN.md §3: short 400 BTCUSD_PERP (Q = 40,000 USD), mark 64,000, +0.01 % → receives
    0.0000625 BTC:

    >>> funding_payment(40_000, 0.0001, side="short", mark_price_usd=64_000)
    -6.25e-05
    """
    q = require_nonnegative("notional_usd", notional_usd)
    rate = as_float("funding_rate", funding_rate)
    kind = require_choice("contract_type", contract_type, ("inverse", "linear"))
    paid = side_sign(side) * q * rate
    if kind == "inverse":
        if mark_price_usd is None:
            raise InvalidInputError("mark_price_usd is required for inverse contracts (funding is paid in coin)")
        return paid / require_positive("mark_price_usd", mark_price_usd)
    return paid


def funding_intervals(days: float, interval_hours: float = 8.0) -> float:
    """Number of funding intervals in ``days`` calendar days (funding accrues every day).

    Examples
    --------
    >>> funding_intervals(1), funding_intervals(1, interval_hours=4)
    (3.0, 6.0)
    """
    return require_nonnegative("days", days) * 24.0 / require_positive("interval_hours", interval_hours)


def funding_cost_usd(
    notional_usd: float,
    funding_rate: float,
    days: float,
    *,
    side: str = "short",
    interval_hours: float = 8.0,
) -> float:
    """USD the position pays over ``days`` at a constant rate per interval (negative = receives).

    >>> round(funding_cost_usd(40_000, 0.0001, 1), 10)   # short receives 3 × 4 USD a day
    -12.0
    """
    q = require_nonnegative("notional_usd", notional_usd)
    rate = as_float("funding_rate", funding_rate)
    return side_sign(side) * q * rate * funding_intervals(days, interval_hours)


def annualised_funding_rate(funding_rate: float, interval_hours: float = 8.0) -> float:
    """Simple annual rate: ``rate · (24/interval) · 365`` (+0.01 % per 8 h ≈ 10.95 %).

    Examples
    --------
    >>> round(annualised_funding_rate(0.0001), 6)
    0.1095
    """
    return as_float("funding_rate", funding_rate) * funding_intervals(365.0, interval_hours)


# ---- funding history summary (issue 13; appended as one block so the functions above merge cleanly) --
from dataclasses import dataclass  # noqa: E402

__all__ += ["FundingSummary", "daily_funding", "funding_summary"]


@dataclass(frozen=True)
class FundingSummary:
    """Funding over the last ``days`` complete UTC days of a history, as rates per 8 h.

    Attributes
    ----------
    days : int
        Days in the window that have at least one settlement (days without are not counted).
    first_day, last_day : str
        First and last day of the window (``YYYY-MM-DD``, UTC).
    mean_per_8h : float
        Mean daily funding divided by 3, i.e. per 8 h (+ = longs pay shorts: a short hedge
        receives it). For a contract settling every ``h`` hours the mean rate per interval is
        ``mean_per_8h · h / 8``.
    p05_per_8h, p95_per_8h : float
        5th and 95th percentile of the daily funding, per 8 h (numpy linear interpolation).
    short_paid_frac : float
        Share of days whose net funding was negative, i.e. a short paid (0.2 = 20 %).
    annualised_frac : float
        ``mean daily funding · 365`` (crypto funding accrues every calendar day).
    """

    days: int
    first_day: str
    last_day: str
    mean_per_8h: float
    p05_per_8h: float
    p95_per_8h: float
    short_paid_frac: float
    annualised_frac: float


def daily_funding(rates, *, interval_hours=8.0):
    """Each UTC day's funding of a settlement history: the sum of its rates and the hours they cover.

    Parameters
    ----------
    rates : pandas Series
        Rate per settlement (decimal, + = longs pay shorts) indexed by settlement times
        (tz-aware, or naive UTC).
    interval_hours : float or pandas Series
        Hours each rate covers: one number, or one per row.

    Returns
    -------
    pandas DataFrame
        Columns ``rate`` (the day's funding: what a position held all day paid, as a fraction of
        its notional) and ``hours``, one row per UTC day with at least one settlement, indexed by
        the day (tz-aware UTC midnight).

    Raises
    ------
    InvalidInputError
        No rows, a non-finite rate, a non-positive interval, or times that are not datetimes.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.date_range("2024-01-01", periods=4, freq="8h", tz="UTC")
    >>> daily_funding(pd.Series([1e-4, 1e-4, -1e-4, 2e-4], index=t))["rate"].round(8).tolist()
    [0.0001, 0.0002]
    """
    import numpy as np
    import pandas as pd

    if not isinstance(rates, pd.Series) or not isinstance(rates.index, pd.DatetimeIndex):
        raise InvalidInputError("rates must be a pandas Series indexed by settlement times")
    values = rates.to_numpy(dtype=float)
    if values.size == 0:
        raise InvalidInputError("rates is empty: no funding settlements to summarise")
    if not np.all(np.isfinite(values)):
        raise InvalidInputError("rates must be finite numbers (found NaN or inf)")
    hours = np.broadcast_to(np.asarray(interval_hours, dtype=float), values.shape)
    if not np.all(np.isfinite(hours) & (hours > 0)):
        raise InvalidInputError("interval_hours must be positive hours")
    index = rates.index.tz_convert("UTC") if rates.index.tz is not None else rates.index.tz_localize("UTC")
    return pd.DataFrame({"rate": values, "hours": hours}, index=index.floor("D")).groupby(level=0).sum()


def funding_summary(rates, *, interval_hours=8.0, days: int = 30) -> FundingSummary:
    """Summarise a funding-rate history over its last ``days`` complete UTC days.

    Parameters
    ----------
    rates : pandas Series
        Rate per settlement (decimal, + = longs pay shorts) indexed by settlement times
        (tz-aware, or naive UTC), e.g. ``read_funding_history(path)["funding_rate"]``.
    interval_hours : float or pandas Series
        Hours each rate covers: one number, or one per row (the ``interval_hours`` column). Used
        only to tell whether the last day is complete.
    days : int
        Window length in calendar days, ending on the last complete day (default 30).

    Returns
    -------
    FundingSummary
        A day's funding is the sum of the rates settled that UTC day (:func:`daily_funding`); the
        figures are those daily sums divided by 3 (per 8 h). The last day is left out when its
        settlements cover less than 24 h (the history was fetched before the day's last
        settlement), unless it is the only day. The window is the ``days`` calendar days ending
        on the day before the last one left out, or on the last day; days without a settlement
        in it are not counted. (The template's ``FundingHistoryRate`` formula computes the mean
        this way from the Funding table.)

    Raises
    ------
    InvalidInputError
        No rows, a non-finite rate, a non-positive interval, times that are not datetimes, or
        ``days`` < 1.

    Examples
    --------
    Two days at 8 h settlements: day 1 pays +0.01 % three times, day 2 −0.01 %, +0.01 %, −0.02 %
    (net −0.02 %, a short pays):

    >>> import pandas as pd
    >>> t = pd.date_range("2024-01-01", periods=6, freq="8h", tz="UTC")
    >>> s = funding_summary(pd.Series([1e-4, 1e-4, 1e-4, -1e-4, 1e-4, -2e-4], index=t), days=2)
    >>> round(s.mean_per_8h, 8), s.short_paid_frac, s.days    # (1e-4 − 0.667e-4) / 2 per 8 h
    (1.667e-05, 0.5, 2)
    """
    import numpy as np
    import pandas as pd

    if isinstance(days, bool) or not isinstance(days, (int, np.integer)) or days < 1:
        raise InvalidInputError(f"days must be a whole number of at least 1, got {days!r}")
    per_day = daily_funding(rates, interval_hours=interval_hours)
    end = per_day.index[-1]  # the last day in the window
    if len(per_day) > 1 and per_day["hours"].iloc[-1] < 24.0 - 1e-9:
        per_day = per_day.iloc[:-1]
        end = end - pd.Timedelta(days=1)
    daily = per_day["rate"]
    daily = daily[daily.index > end - pd.Timedelta(days=days)]
    if daily.empty:  # the calendar window before an unfinished last day holds no settlement
        raise InvalidInputError(f"no complete day of funding in the last {days} days before {end:%Y-%m-%d}")
    per_8h = daily.to_numpy() / 3.0
    p05, p95 = np.percentile(per_8h, [5, 95])
    return FundingSummary(
        days=int(per_8h.size),
        first_day=daily.index[0].strftime("%Y-%m-%d"),
        last_day=daily.index[-1].strftime("%Y-%m-%d"),
        mean_per_8h=float(per_8h.mean()),
        p05_per_8h=float(p05),
        p95_per_8h=float(p95),
        short_paid_frac=float(np.mean(per_8h < 0)),
        annualised_frac=float(per_8h.mean() * 3.0 * 365.0),
    )
