"""Residual (basis) risk of a beta hedge: what the hedge does not remove.

A short of ``h`` USD of the hedge coin per USD of basket leaves the residual return
``e = r_basket − h·r_hedge``. Its spread over the horizon is the hedged P&L's uncertainty
around the beta line (R² = 0.67 leaves a third of the variance). Same input rules as
:mod:`hedgecore.stats`: prices (or returns) as lists, arrays or Series, missing cells dropped
pairwise, Series aligned on their index; 365 periods a year for daily data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ._validation import as_float, require_fraction, require_positive
from .errors import InvalidInputError
from .stats import _options, _prepare, _slope

__all__ = ["ResidualBand", "BetaDrift", "residual_returns", "residual_band", "hedged_volatility", "beta_drift"]


@dataclass(frozen=True)
class ResidualBand:
    """Quantiles of the residual return over a horizon (fractions of the basket value).

    ``low_frac``/``high_frac`` at ``quantiles`` (default the 5th and 95th percentiles) of
    ``r_basket − hedge_ratio·r_hedge`` over ``horizon_days`` periods; ``n`` windows (overlapping).
    Multiply by the portfolio value for the band of the hedged P&L around the beta line.
    """

    low_frac: float
    high_frac: float
    quantiles: tuple[float, float]
    horizon_days: int
    hedge_ratio: float
    n: int

    def as_dict(self) -> dict:
        return asdict(self)

    def pnl_usd(self, exposure_usd: float) -> tuple[float, float]:
        """``(low, high)`` residual P&L of a basket worth ``exposure_usd``.

        >>> ResidualBand(-0.1, 0.12, (0.05, 0.95), 30, 0.9, 1000).pnl_usd(50_000)
        (-5000.0, 6000.0)
        """
        e = as_float("exposure_usd", exposure_usd)
        return e * self.low_frac, e * self.high_frac


@dataclass(frozen=True)
class BetaDrift:
    """Recent beta against the full-period beta; ``warning`` when they differ by more than ``threshold``."""

    beta_full: float
    beta_recent: float
    difference: float
    warning: bool
    window: int
    threshold: float

    def as_dict(self) -> dict:
        return asdict(self)


def _horizon(value: object) -> int:
    h = as_float("horizon_days", value)
    if not h.is_integer() or h < 1:
        raise InvalidInputError(f"horizon_days must be a whole number of periods >= 1, got {value}")
    return int(h)


def _pair(basket: object, hedge: object, returns: str, data: str) -> tuple[np.ndarray, np.ndarray]:
    returns, data = _options(returns, data)
    r = _prepare((("basket", basket), ("hedge", hedge)), data=data, returns=returns)
    return r.cols[0], r.cols[1]


def residual_returns(
    basket: object,
    hedge: object,
    *,
    hedge_ratio: float,
    horizon_days: int = 1,
    data: str = "prices",
) -> np.ndarray:
    """Residual returns ``r_basket − hedge_ratio·r_hedge`` over every window of ``horizon_days`` periods.

    Parameters
    ----------
    basket, hedge : sequence, array or Series
        USD value of the basket and price of the hedge coin (``data="prices"``), or simple returns
        per period (``data="returns"``); missing cells are dropped pairwise as in :func:`~hedgecore.stats.beta`.
    hedge_ratio : float
        USD of hedge per USD of basket (the ratio the hedge is sized with).
    horizon_days : int
        Periods per window (days for daily data), >= 1. Windows overlap: one starts at every
        period (``n − horizon + 1`` windows from ``n`` returns), so neighbours share data.

    Returns
    -------
    numpy.ndarray
        Compounded simple returns of each window: ``B_{t+h}/B_t − 1 − hedge_ratio·(H_{t+h}/H_t − 1)``.

    Examples
    --------
    >>> residual_returns([100, 110, 99], [10, 11, 9.9], hedge_ratio=1.0).round(12).tolist()
    [0.0, 0.0]
    """
    h = _horizon(horizon_days)
    ratio = as_float("hedge_ratio", hedge_ratio)
    rb, rh = _pair(basket, hedge, "simple", data)
    if rb.size < h:
        return np.empty(0)
    level_b = np.concatenate(([1.0], np.cumprod(1.0 + rb)))
    level_h = np.concatenate(([1.0], np.cumprod(1.0 + rh)))
    return (level_b[h:] / level_b[:-h] - 1.0) - ratio * (level_h[h:] / level_h[:-h] - 1.0)


def residual_band(
    basket: object,
    hedge: object,
    *,
    hedge_ratio: float,
    horizon_days: int = 1,
    quantiles: Sequence[float] = (0.05, 0.95),
    data: str = "prices",
) -> ResidualBand:
    """Low and high quantiles of the residual return over the horizon (see :func:`residual_returns`).

    Quantiles by linear interpolation (numpy's and pandas' default). NaN with ``n = 0`` when the
    data hold fewer returns than the horizon. Zero width only when the basket moves exactly as
    ``hedge_ratio`` times the hedge coin (the hedge coin itself at ratio 1).

    Examples
    --------
    >>> band = residual_band([100, 103, 101, 104, 108], [10, 10.2, 10.1, 10.5, 10.6], hedge_ratio=1.0,
    ...                      quantiles=(0.0, 1.0))
    >>> round(band.low_frac, 6), round(band.high_frac, 6), band.n   # 101/103 - 10.1/10.2, 108/104 - 10.6/10.5
    (-0.009901, 0.028938, 4)
    """
    lo, hi = (require_fraction("quantiles", x) for x in quantiles)
    if lo > hi:
        raise InvalidInputError(f"quantiles must be (low, high) with low <= high, got ({lo:g}, {hi:g})")
    e = residual_returns(basket, hedge, hedge_ratio=hedge_ratio, horizon_days=horizon_days, data=data)
    low, high = (float(x) for x in np.quantile(e, [lo, hi])) if e.size else (math.nan, math.nan)
    return ResidualBand(low, high, (lo, hi), _horizon(horizon_days), float(hedge_ratio), int(e.size))


def hedged_volatility(
    basket: object,
    hedge: object,
    *,
    hedge_ratio: float,
    periods_per_year: float = 365.0,
    data: str = "prices",
) -> float:
    """Annualised volatility of the hedged return ``r_basket − hedge_ratio·r_hedge`` at the ratio used.

    ``std(ddof=1)·sqrt(periods_per_year)`` (365 for daily crypto data). At the OLS beta it equals
    :attr:`~hedgecore.stats.BetaStats.vol_hedged`; at another ratio it is higher. NaN beyond float
    range (a ratio of 1e306: a collateral hedge on a portfolio worth 1e-306 USD).

    Examples
    --------
    >>> round(hedged_volatility([0.02, -0.01, 0.03], [0.01, -0.005, 0.015], hedge_ratio=2.0, data="returns"), 12)
    0.0
    """
    rb, rh = _pair(basket, hedge, "simple", data)
    ppy = require_positive("periods_per_year", periods_per_year)
    if rb.size < 2:
        return math.nan
    with np.errstate(over="ignore", invalid="ignore"):
        vol = float(np.std(rb - as_float("hedge_ratio", hedge_ratio) * rh, ddof=1) * math.sqrt(ppy))
    return vol if math.isfinite(vol) else math.nan


def beta_drift(
    basket: object,
    hedge: object,
    *,
    window: int = 90,
    threshold: float = 0.1,
    data: str = "prices",
) -> BetaDrift:
    """Beta over the last ``window`` returns against the beta over all of them.

    A beta that drifted (``|recent − full| > threshold``, default 0.1) means the hedge ratio from
    the whole history may no longer fit: ``warning`` is True. NaN when too few returns.

    Examples
    --------
    The basket moved 1:1 with the hedge coin, then twice as much over the last two periods:

    >>> d = beta_drift([0.01, -0.02, 0.03, 0.01, -0.02, 0.04], [0.01, -0.02, 0.03, 0.005, -0.01, 0.02],
    ...                window=2, data="returns")
    >>> round(d.beta_full, 4), round(d.beta_recent, 4), d.warning
    (1.2542, 2.0, True)
    """
    w = as_float("window", window)
    if not w.is_integer() or w < 2:
        raise InvalidInputError(f"window must be a whole number of returns >= 2, got {window}")
    limit = as_float("threshold", threshold)
    rb, rh = _pair(basket, hedge, "simple", data)
    full = _slope(rb, rh)
    recent = _slope(rb[-int(w):], rh[-int(w):]) if rb.size >= w else math.nan
    diff = recent - full
    return BetaDrift(full, recent, diff, bool(abs(diff) > limit), int(w), limit)
