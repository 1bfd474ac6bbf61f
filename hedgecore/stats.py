"""Betas and hedge ratios from price or return series.

Every estimator here is the OLS slope of asset returns on benchmark (hedge) returns,
``beta = Cov(r_a, r_b) / Var(r_b)`` — the minimum-variance hedge ratio h* of DOMAIN.md §10,
equal to Excel's ``SLOPE(asset_returns, benchmark_returns)``.

Missing-data policy (shared by every function that takes price or return series)
--------------------------------------------------------------------------------
* Inputs may be lists, 1-D numpy arrays, pandas Series, or 2-D inputs that are a single row
  or column (Excel ranges arrive as ``[[a], [b], ...]`` or ``[[a, b, c]]``); they are flattened.
  Two (or more) Series are aligned on their index (inner join); otherwise lengths must match.
* A cell that is blank, ``None``, NaN, ±inf, a boolean or text that does not parse as a number
  is *missing*. Rows where any input is missing are dropped pairwise before returns are
  computed, as Excel's ``SLOPE`` ignores such cells.
* With ``data="prices"`` a price of exactly 0 is also missing (desktop Excel hands blank cells
  to add-in functions as 0) and a negative price raises :class:`InvalidInputError` naming
  its 1-based position. With ``data="returns"`` 0 is a real return.
* Too little data (fewer than 3 usable prices / 2 return pairs) or a benchmark with zero
  variance gives NaN — never inf, never an exception.

Annualisation uses 365 periods a year for daily data (52 weekly, 12 monthly), DOMAIN.md §10.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import astuple, dataclass, fields
from typing import Literal

import numpy as np
import pandas as pd

from ._rolling import ewm_slope, rolling_slope
from ._validation import as_float, as_float_array, require_choice, require_positive
from .errors import DataError, InvalidInputError

__all__ = [
    "BETA_STATS_LABELS",
    "BetaStats",
    "TwoLegHedge",
    "basket_beta",
    "basket_value",
    "best_hedge",
    "beta",
    "beta_stats",
    "ewm_beta",
    "portfolio_beta",
    "resample_prices",
    "rolling_beta",
    "two_leg_hedge",
]

ReturnsKind = Literal["simple", "log"]
DataKind = Literal["prices", "returns"]
Freq = Literal["daily", "weekly", "monthly"]

_RETURNS = ("simple", "log")
_DATA = ("prices", "returns")
_FREQS = ("daily", "weekly", "monthly")
_PERIODS_PER_YEAR = {"daily": 365.0, "weekly": 52.0, "monthly": 12.0}
_RULES = {"daily": "D", "weekly": "W-SUN", "monthly": "ME"}
_BLUME_WEIGHT, _BLUME_PRIOR = 0.67, 0.33
# Two-pass variance below (_NOISE * |mean|)**2 per observation is rounding noise of a constant.
_NOISE = 64 * np.finfo(float).eps
# Sums of squares below this hold subnormal terms (values near 1e-155): precision is lost.
_TINY = 1e-280

BETA_STATS_LABELS: tuple[str, ...] = (
    "Beta",
    "Alpha (per period)",
    "Alpha (annualised)",
    "Correlation",
    "R-squared (hedge effectiveness)",
    "Std. error of beta",
    "t-stat of beta",
    "Observations (n)",
    "Adjusted beta (Blume)",
    "Downside beta",
    "Volatility unhedged (annualised)",
    "Volatility hedged (annualised)",
)
"""Human labels of the :class:`BetaStats` fields, in field order (for Excel label/value tables)."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True, kw_only=True)
class BetaStats:
    """Regression statistics of asset returns on benchmark returns.

    Attributes
    ----------
    beta : float
        OLS slope, the minimum-variance hedge ratio (benchmark units per unit of asset value).
    alpha : float
        Intercept, in return per period (0.001 = 0.1 % per period).
    alpha_annualised : float
        ``alpha * periods_per_year``.
    correlation : float
        Pearson correlation of the two return series.
    r_squared : float
        R² of the regression = hedging effectiveness (Ederington), in [0, 1].
    beta_stderr : float
        OLS standard error of ``beta`` (NaN when n < 3).
    t_stat : float
        ``beta / beta_stderr`` (NaN when the fit is perfect or n < 3).
    n : int
        Number of return observations used.
    adjusted_beta : float
        Blume / Bloomberg adjusted beta ``0.67 * beta + 0.33``.
    downside_beta : float
        OLS slope over the periods where the benchmark return is negative.
    vol_unhedged : float
        Annualised volatility of asset returns, ``std(ddof=1) * sqrt(periods_per_year)``.
    vol_hedged : float
        Annualised volatility of the hedged return ``r_a - beta * r_b``.
    """

    beta: float
    alpha: float
    alpha_annualised: float
    correlation: float
    r_squared: float
    beta_stderr: float
    t_stat: float
    n: int
    adjusted_beta: float
    downside_beta: float
    vol_unhedged: float
    vol_hedged: float

    def as_dict(self) -> dict[str, float | int]:
        """The fields as an ordered ``{name: value}`` dict."""
        return dict(zip((f.name for f in fields(self)), astuple(self)))


@dataclass(frozen=True, slots=True, kw_only=True)
class TwoLegHedge:
    """Result of regressing asset returns on two hedge instruments' returns.

    Attributes
    ----------
    beta_1, beta_2 : float
        Hedge ratio of each leg (USD of hedge per USD of asset).
    alpha : float
        Intercept, return per period.
    r_squared : float
        R² of the two-factor regression (hedging effectiveness of both legs together).
    n : int
        Number of return observations used.
    """

    beta_1: float
    beta_2: float
    alpha: float
    r_squared: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        """The fields as an ordered ``{name: value}`` dict."""
        return dict(zip((f.name for f in fields(self)), astuple(self)))


# --------------------------------------------------------------------------- input handling


def _to_float(value: object) -> float:
    """One cell to a float, or NaN when it is missing (None, bool, text, non-finite)."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return math.nan
    try:
        out = float(value.strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def _from_objects(arr: np.ndarray) -> np.ndarray:
    """Cells to floats, NaN where missing; vectorised (pandas' C parser), same rules as :func:`_to_float`."""
    flat = arr.reshape(-1)
    try:
        out = pd.to_numeric(flat, errors="coerce").astype(float, copy=False)
    except (TypeError, ValueError, OverflowError):  # exotic cells: the one-by-one path
        return np.fromiter((_to_float(v) for v in flat), dtype=float, count=flat.size)
    # booleans parse as 1.0 / 0.0 but are not numbers here: check only those few cells
    for i in np.flatnonzero((out == 1.0) | (out == 0.0)):
        if isinstance(flat[i], (bool, np.bool_)):
            out[i] = np.nan
    out[~np.isfinite(out)] = np.nan
    return out


def _coerce(name: str, x: object) -> tuple[np.ndarray, pd.Index | None]:
    """A 1-D float array (NaN or inf where missing) and the pandas index, if any."""
    if isinstance(x, pd.DataFrame):
        if x.shape[1] == 1:
            x = x.iloc[:, 0]
        elif x.shape[0] == 1:
            x = x.iloc[0].to_numpy(dtype=object)
        else:
            raise InvalidInputError(f"{name} must be a single row or column, got {x.shape[0]}x{x.shape[1]}")
    if isinstance(x, pd.Series):
        if pd.api.types.is_bool_dtype(x.dtype):
            vals = np.full(len(x), np.nan)
        elif pd.api.types.is_numeric_dtype(x.dtype):
            vals = x.to_numpy(dtype=float, na_value=np.nan)
        else:
            vals = _from_objects(x.to_numpy(dtype=object))
        return vals, x.index
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x, dtype=object)
        except ValueError:
            raise InvalidInputError(f"{name} must be a list of numbers or a single row or column") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    elif arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    elif arr.ndim != 1:
        shape = "x".join(str(s) for s in arr.shape)
        raise InvalidInputError(f"{name} must be a single row or column, got {shape}")
    kind = arr.dtype.kind
    if kind == "f":
        return arr.astype(float, copy=False), None
    if kind in "iu":
        return arr.astype(float), None
    if kind == "b":
        return np.full(arr.size, np.nan), None
    return _from_objects(arr), None


def _join_names(names: Sequence[str]) -> str:
    return " and ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True, slots=True)
class _Returns:
    """Cleaned return columns plus where they sit among the (aligned) input rows."""

    cols: tuple[np.ndarray, ...]
    rows: np.ndarray | range  # input-row position of each return (a range when there are no gaps)
    n_rows: int
    index: pd.Index | None


def _all_usable(arrays: Sequence[np.ndarray], data: str) -> bool:
    """No cell is missing: a finite sum has no NaN or inf terms (an overflowing sum only sends
    the data to the cell-by-cell check); prices must also be non-zero."""
    with np.errstate(over="ignore", invalid="ignore"):
        if not all(math.isfinite(float(np.add.reduce(a))) for a in arrays):
            return False
    return data != "prices" or all(bool(a.all()) for a in arrays)


def _prepare(
    inputs: Sequence[tuple[str, object]],
    *,
    data: str,
    returns: str,
    freq: str | None = None,
) -> _Returns:
    """Validate, align, drop missing rows pairwise, resample and turn prices into returns."""
    names = [name for name, _ in inputs]
    coerced = [_coerce(name, x) for name, x in inputs]
    arrays = [a for a, _ in coerced]
    indexes = [i for _, i in coerced]
    if data == "prices":
        for name, (arr, idx) in zip(names, coerced):
            neg = np.flatnonzero((arr < 0) & (arr > -np.inf))
            if neg.size:
                pos = int(neg[0])
                where = f"position {pos + 1}" + ("" if idx is None else f" ({idx[pos]})")
                raise InvalidInputError(f"{name} price must not be negative, got {arr[pos]:g} at {where}")

    index: pd.Index | None = None
    if all(i is not None for i in indexes) and len(indexes) > 1:
        index = indexes[0]
        if not all(index.equals(i) for i in indexes[1:]):  # type: ignore[union-attr]
            for name, i in zip(names, indexes):
                if not i.is_unique:  # type: ignore[union-attr]
                    raise DataError(f"{name} has duplicated index labels")
            frame = pd.concat([pd.Series(a, index=i) for a, i in zip(arrays, indexes)], axis=1, join="inner")
            index = frame.index
            arrays = [frame.iloc[:, k].to_numpy() for k in range(len(arrays))]
        if isinstance(index, pd.DatetimeIndex) and not index.is_monotonic_increasing:
            order = np.argsort(index.asi8, kind="stable")
            index = index[order]
            arrays = [a[order] for a in arrays]
    else:
        lengths = [a.size for a in arrays]
        if len(set(lengths)) > 1:
            raise InvalidInputError(
                f"{_join_names(names)} must have the same length, got {_join_names([str(n) for n in lengths])}"
            )
        index = next((i for i in indexes if i is not None), None)

    rows: np.ndarray | range
    if _all_usable(arrays, data):  # common case: nothing missing, no copies
        rows, cols = range(arrays[0].size), list(arrays)
    else:
        mask = np.isfinite(arrays[0])
        for a in arrays[1:]:
            mask &= np.isfinite(a)
        if data == "prices":
            for a in arrays:
                mask &= a != 0
        rows = np.flatnonzero(mask)
        cols = [a[rows] for a in arrays]

    if freq is not None:
        if data != "prices":
            raise InvalidInputError('freq needs data="prices" (returns cannot be resampled by taking the last value)')
        if not (isinstance(index, pd.DatetimeIndex) and all(i is not None for i in indexes)):
            raise InvalidInputError("freq needs date-indexed pandas input (Series with a DatetimeIndex)")
        frame = resample_prices(pd.DataFrame(dict(enumerate(cols)), index=index[np.asarray(rows)]), freq)
        cols = [frame[k].to_numpy() for k in range(len(cols))]
        index = frame.index
        rows = range(len(frame))

    if data == "prices":
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = [c[1:] / c[:-1] for c in cols]
        cols = [np.log(r) for r in ratios] if returns == "log" else [r - 1.0 for r in ratios]
        rows = rows[1:]
    n_rows = len(index) if index is not None else arrays[0].size
    return _Returns(tuple(cols), rows, n_rows, index)


def _options(returns: str, data: str) -> tuple[str, str]:
    return require_choice("returns", returns, _RETURNS), require_choice("data", data, _DATA)


def _periods(periods_per_year: object, freq: str | None) -> float:
    if periods_per_year is None:
        return _PERIODS_PER_YEAR[freq or "daily"]
    return require_positive("periods_per_year", periods_per_year)


def _freq(freq: object) -> str | None:
    return None if freq is None else require_choice("freq", freq, _FREQS)


# --------------------------------------------------------------------------- estimators


def _slope(y: np.ndarray, x: np.ndarray) -> float:
    """OLS slope of y on x (two-pass, centred); NaN for n < 2 or constant x."""
    n = x.size
    if n < 2:
        return math.nan
    with np.errstate(over="ignore", invalid="ignore"):
        mx = x.mean()
        xc = x - mx
        sxx = float(xc @ xc)
        sxy = float(xc @ (y - y.mean()))
        noise = n * (_NOISE * mx) ** 2
    if not (sxx > noise and math.isfinite(sxx) and math.isfinite(sxy)):
        return math.nan  # constant x, or sums beyond float range
    return sxy / sxx


def _fast_returns_beta(asset: object, benchmark: object) -> float | None:
    """Beta of two clean float64 return arrays, or None when the general path is needed."""
    if not (type(asset) is np.ndarray and type(benchmark) is np.ndarray):
        return None
    if asset.dtype != np.float64 or benchmark.dtype != np.float64 or asset.ndim != 1 or benchmark.ndim != 1:
        return None
    n = benchmark.size
    if n != asset.size or n < 2:
        return None
    slope = _slope(asset, benchmark)
    # NaN: missing values inside, a constant benchmark or an overflow; the general path decides
    return None if math.isnan(slope) else slope


def beta(
    asset: object,
    benchmark: object,
    *,
    returns: ReturnsKind = "simple",
    data: DataKind = "prices",
    freq: Freq | None = None,
) -> float:
    """Beta of an asset to a benchmark: the minimum-variance hedge ratio.

    Parameters
    ----------
    asset, benchmark : sequence of float, numpy array, pandas Series or single-row/column 2-D range
        Prices in USD (``data="prices"``) or returns per period as fractions (``data="returns"``,
        0.01 = 1 %). Equal length unless both are Series, which are aligned on their index.
    returns : {"simple", "log"}
        How prices become returns: ``P_t / P_{t-1} - 1`` or ``ln(P_t / P_{t-1})``.
        Ignored for ``data="returns"``. Case-insensitive.
    data : {"prices", "returns"}
        What the inputs hold. Case-insensitive.
    freq : {"daily", "weekly", "monthly"}, optional
        Resample date-indexed prices to the last close of each period first (see
        :func:`resample_prices`). Only for pandas input with a DatetimeIndex and ``data="prices"``.

    Returns
    -------
    float
        ``Cov(r_a, r_b) / Var(r_b)`` (dimensionless; USD of benchmark per USD of asset), equal to
        Excel's ``SLOPE(asset_returns, benchmark_returns)``. NaN when fewer than 3 usable prices
        (2 return pairs) remain or the benchmark returns have zero variance.

    Raises
    ------
    InvalidInputError
        Lengths differ (non-Series input), a price is negative (the message names its
        1-based position), an option is unknown, or ``freq`` is used on non-date-indexed input.

    Notes
    -----
    Missing cells (blank, None, NaN, inf, booleans, non-numeric text — and, for prices, 0) are
    dropped pairwise before returns are computed; see the module docstring. Returns across a
    dropped row span the gap (as a SLOPE over the remaining cells would).
    Clean float64 numpy arrays with ``data="returns"`` take a fast path (two dot products).

    Examples
    --------
    An asset that moves exactly 1.5x the benchmark each period:

    >>> round(beta([0.03, -0.015, 0.045, 0.0], [0.02, -0.01, 0.03, 0.0], data="returns"), 12)
    1.5

    Rows with a blank cell or a 0 (Excel's empty cell) are dropped pairwise; the remaining
    rows move in step (+3 %, then -1.94 %), so beta is 1:

    >>> round(beta([100, None, 103, 0, 101], [50, 51, 51.5, 52, 50.5]), 12)
    1.0
    """
    returns, data = _options(returns, data)
    freq = _freq(freq)
    if data == "returns" and freq is None:
        fast = _fast_returns_beta(asset, benchmark)
        if fast is not None:
            return fast
    r = _prepare((("asset", asset), ("benchmark", benchmark)), data=data, returns=returns, freq=freq)
    return _slope(r.cols[0], r.cols[1])


def _correlation(xc: np.ndarray, yc: np.ndarray, sxx: float, syy: float, sxy: float) -> float:
    """Pearson correlation of centred arrays from their sums of squares and products.

    When a sum of squares is tiny its terms have lost precision as subnormals (returns near
    1e-155), so the arrays are first scaled by powers of two (exact) to order one.
    """
    if min(sxx, syy) <= _TINY:
        xc = np.ldexp(xc, -math.frexp(float(np.abs(xc).max()))[1])
        yc = np.ldexp(yc, -math.frexp(float(np.abs(yc).max()))[1])
        sxx, syy, sxy = float(xc @ xc), float(yc @ yc), float(xc @ yc)
    return max(-1.0, min(1.0, sxy / (math.sqrt(sxx) * math.sqrt(syy))))


def _stats(y: np.ndarray, x: np.ndarray, periods_per_year: float) -> BetaStats:
    n = int(x.size)
    nan = math.nan
    values: dict[str, float] = dict.fromkeys(
        ("beta", "alpha", "alpha_annualised", "correlation", "r_squared", "beta_stderr", "t_stat",
         "adjusted_beta", "downside_beta", "vol_unhedged", "vol_hedged"),
        nan,
    )
    if n >= 2:
        with np.errstate(over="ignore", invalid="ignore"):
            mx, my = x.mean(), y.mean()
            xc, yc = x - mx, y - my
            sxx, syy, sxy = float(xc @ xc), float(yc @ yc), float(xc @ yc)
            noise = n * (_NOISE * mx) ** 2
        if not all(map(math.isfinite, (sxx, syy, sxy))):  # sums beyond float range: cannot estimate
            return BetaStats(n=n, **values)
        values["vol_unhedged"] = math.sqrt(syy / (n - 1) * periods_per_year)
        if sxx > noise:
            b = sxy / sxx
            resid = yc - b * xc
            ssr = min(float(resid @ resid), syy)
            alpha = float(my - b * mx)
            values.update(
                beta=b,
                alpha=alpha,
                alpha_annualised=alpha * periods_per_year,
                adjusted_beta=_BLUME_WEIGHT * b + _BLUME_PRIOR,
                vol_hedged=math.sqrt(ssr / (n - 1) * periods_per_year),
            )
            if syy > 0:
                corr = _correlation(xc, yc, sxx, syy, sxy)
                r2 = max(0.0, 1.0 - ssr / syy) if syy > _TINY else corr * corr
                values.update(correlation=corr, r_squared=r2)
            if n > 2:
                se = math.sqrt(ssr / (n - 2) / sxx)
                values["beta_stderr"] = se
                values["t_stat"] = b / se if se > 0 else nan
            down = x < 0
            values["downside_beta"] = _slope(y[down], x[down])
    return BetaStats(n=n, **values)


def beta_stats(
    asset: object,
    benchmark: object,
    *,
    returns: ReturnsKind = "simple",
    data: DataKind = "prices",
    periods_per_year: float | None = None,
    freq: Freq | None = None,
) -> BetaStats:
    """Beta with alpha, R², standard error, Blume-adjusted and downside beta, and hedged volatility.

    Parameters
    ----------
    asset, benchmark, returns, data, freq
        As for :func:`beta` (same missing-data policy).
    periods_per_year : float, optional
        Return periods per year for annualisation. Default follows ``freq``: 365 daily (crypto
        trades every day, DOMAIN.md §10), 52 weekly, 12 monthly.

    Returns
    -------
    BetaStats
        Frozen result, fields in :data:`BETA_STATS_LABELS` order. With fewer than 2 return pairs
        every field is NaN except ``n``. With zero benchmark variance every field is NaN except
        ``n`` and ``vol_unhedged``. ``correlation``/``r_squared`` are NaN when the asset returns are
        constant, ``beta_stderr``/``t_stat`` when n < 3, ``t_stat`` when the fit is perfect, and
        ``downside_beta`` when fewer than 2 benchmark returns are negative.

    Raises
    ------
    InvalidInputError
        As for :func:`beta`; also a non-positive ``periods_per_year``.

    Notes
    -----
    ``r_squared = 1 - SSR/SST`` is the hedging effectiveness ``1 - Var(hedged)/Var(unhedged)``
    (Ederington 1979), and ``vol_hedged = vol_unhedged * sqrt(1 - r_squared)``.
    ``beta_stderr = sqrt(SSR / (n - 2) / Sxx)`` as in any OLS package.

    Examples
    --------
    DOMAIN.md §12 H3 (Blume / Bloomberg): a raw beta of 1.5 adjusts to 1.335.

    >>> s = beta_stats([0.03, -0.015, 0.045, 0.0], [0.02, -0.01, 0.03, 0.0], data="returns")
    >>> round(s.beta, 6), round(s.adjusted_beta, 6), s.n
    (1.5, 1.335, 4)
    """
    returns, data = _options(returns, data)
    freq = _freq(freq)
    ppy = _periods(periods_per_year, freq)
    r = _prepare((("asset", asset), ("benchmark", benchmark)), data=data, returns=returns, freq=freq)
    return _stats(r.cols[0], r.cols[1], ppy)


def resample_prices(prices: pd.Series | pd.DataFrame, freq: Freq) -> pd.Series | pd.DataFrame:
    """Last close of each day, week or month of date-indexed prices.

    Parameters
    ----------
    prices : pandas Series or DataFrame with a DatetimeIndex
        Prices (any unit); NaN cells are skipped when taking the last value.
    freq : {"daily", "weekly", "monthly"}
        Weeks end on Sunday (pandas ``"W-SUN"``), months on the calendar month end (``"ME"``).
        Case-insensitive.

    Returns
    -------
    Series or DataFrame
        Same type, one row per period labelled with the period's last day (a Sunday for
        weekly, the month end for monthly), holding the last non-missing value in that
        period per column. Periods with no data at all are dropped.

    Raises
    ------
    InvalidInputError
        ``prices`` is not date-indexed pandas, or ``freq`` is unknown.

    Examples
    --------
    >>> s = pd.Series([1.0, 2.0, 3.0], index=pd.to_datetime(["2024-01-05", "2024-01-07", "2024-01-08"]))
    >>> resample_prices(s, "weekly").tolist()
    [2.0, 3.0]
    """
    freq = require_choice("freq", freq, _FREQS)
    if not isinstance(prices, (pd.Series, pd.DataFrame)) or not isinstance(prices.index, pd.DatetimeIndex):
        raise InvalidInputError("prices must be a pandas Series or DataFrame with a DatetimeIndex")
    out = prices.resample(_RULES[freq]).last()
    return out.dropna(how="all") if isinstance(out, pd.DataFrame) else out.dropna()


# --------------------------------------------------------------------------- rolling / EWM


def _window(value: object) -> int:
    w = as_float("window", value)
    if not w.is_integer() or w < 2:
        raise InvalidInputError(f"window must be a whole number of returns >= 2, got {value}")
    return int(w)


def _placed(r: _Returns, like_series: bool, fill: Callable[[np.ndarray], None]) -> np.ndarray | pd.Series:
    """One value per input row: ``fill`` writes the per-return values, NaN on rows without one.

    When the returns sit on consecutive rows (no gaps), ``fill`` writes straight into the
    result, so there is no second pass.
    """
    out = np.empty(r.n_rows)
    m = len(r.rows)
    if m and r.rows[-1] - r.rows[0] == m - 1:  # contiguous rows
        start = int(r.rows[0])
        out[:start] = np.nan
        out[start + m :] = np.nan
        fill(out[start : start + m])
    else:
        out[:] = np.nan
        values = np.empty(m)
        fill(values)
        out[r.rows] = values
    if like_series and r.index is not None:
        return pd.Series(out, index=r.index, name="beta")
    return out


def _rolling_inputs(asset: object, benchmark: object, returns: str, data: str) -> tuple[_Returns, bool]:
    returns, data = _options(returns, data)
    r = _prepare((("asset", asset), ("benchmark", benchmark)), data=data, returns=returns)
    return r, isinstance(asset, pd.Series) or isinstance(benchmark, pd.Series)


def rolling_beta(
    asset: object,
    benchmark: object,
    window: int,
    *,
    returns: ReturnsKind = "simple",
    data: DataKind = "prices",
) -> np.ndarray | pd.Series:
    """Beta over a moving window of the last ``window`` returns.

    Parameters
    ----------
    asset, benchmark, returns, data
        As for :func:`beta` (same missing-data policy).
    window : int
        Number of returns per window (as pandas counts on a returns series), >= 2.

    Returns
    -------
    numpy array, or pandas Series when an input is a Series
        One value per input row (aligned rows for two Series). NaN until the window is full —
        so for ``data="prices"`` the first ``window`` rows are NaN, the first having no return —
        on rows dropped as missing, and where the benchmark is constant over the window
        (windowed variance below 1e-12 of its second moment about the global mean, or of the
        sums it is computed from) or its sums exceed float range.

    Raises
    ------
    InvalidInputError
        As for :func:`beta`; also a window that is not a whole number >= 2.

    Notes
    -----
    Missing rows are dropped first (as in :func:`beta`), so a window always holds ``window``
    usable returns, possibly spanning a gap, and the value on the last row with
    ``window = n`` equals ``beta`` of the whole series. Equals pandas
    ``r_a.rolling(window).cov(r_b) / r_b.rolling(window).var()`` on gap-free data, to about
    1e-14 relative (long double reference) on realistic returns. O(n), pure numpy: exact
    fixed-point window sums, or block-wise float prefix sums when rounding could show; see
    ``hedgecore/_rolling.py``.

    Examples
    --------
    >>> rolling_beta([0.01, 0.02, -0.01, 0.03], [0.005, 0.01, -0.005, 0.015], 2, data="returns")
    array([nan,  2.,  2.,  2.])
    """
    w = _window(window)
    r, like_series = _rolling_inputs(asset, benchmark, returns, data)
    return _placed(r, like_series, lambda out: rolling_slope(r.cols[0], r.cols[1], w, out))


def ewm_beta(
    asset: object,
    benchmark: object,
    halflife: float,
    *,
    returns: ReturnsKind = "simple",
    data: DataKind = "prices",
) -> np.ndarray | pd.Series:
    """Exponentially weighted beta with a half-life in periods.

    Parameters
    ----------
    asset, benchmark, returns, data
        As for :func:`beta` (same missing-data policy).
    halflife : float
        Half-life of the weights, in return periods (> 0): a return ``halflife`` periods old
        weighs half as much as the newest.

    Returns
    -------
    numpy array, or pandas Series when an input is a Series
        One value per input row, NaN on the first return, on rows without a return and
        where the weighted benchmark variance is zero.

    Notes
    -----
    Same as pandas ``r_a.ewm(halflife=h).cov(r_b) / r_b.ewm(halflife=h).var()`` (``adjust=True``;
    the bias correction cancels in the ratio), with missing rows dropped first as in :func:`beta`.
    O(n), pure numpy: the recursion evaluated as scaled block-wise cumulative sums.

    Examples
    --------
    >>> ewm_beta([0.01, 0.02, -0.01], [0.005, 0.01, -0.005], 10, data="returns")
    array([nan,  2.,  2.])
    """
    h = require_positive("halflife", halflife)
    r, like_series = _rolling_inputs(asset, benchmark, returns, data)
    return _placed(r, like_series, lambda out: ewm_slope(r.cols[0], r.cols[1], h, out))


# --------------------------------------------------------------------------- portfolios and hedges


def portfolio_beta(values_usd: object, betas: object) -> float:
    """Value-weighted beta of a portfolio.

    Parameters
    ----------
    values_usd : sequence of float
        Market value of each holding in USD, >= 0, not all zero.
    betas : sequence of float
        Beta of each holding to the common benchmark; same length.

    Returns
    -------
    float
        ``sum(values_usd * betas) / sum(values_usd)``.

    Raises
    ------
    InvalidInputError
        Lengths differ, a value is negative or not finite, all values are zero, or a beta is
        not finite (a NaN beta would silently size a wrong hedge).

    Examples
    --------
    >>> portfolio_beta([60_000, 40_000], [1.2, 0.9])
    1.08
    """
    v = as_float_array("values_usd", values_usd)
    b = as_float_array("betas", betas)
    if v.size != b.size:
        raise InvalidInputError(f"values_usd and betas must have the same length, got {v.size} and {b.size}")
    neg = np.flatnonzero(v < 0)
    if neg.size:
        raise InvalidInputError(f"values_usd must be zero or positive, got {v[neg[0]]:g} at position {neg[0] + 1}")
    total = float(v.sum())
    if total <= 0:
        raise InvalidInputError("values_usd must not all be zero")
    return float(v @ b) / total


def basket_value(
    prices_df: pd.DataFrame | object,
    quantities: Mapping[str, float] | Sequence[float],
) -> pd.Series:
    """The USD value of a basket per row: ``sum_i qty_i * price_i``.

    Parameters
    ----------
    prices_df : pandas DataFrame (or 2-D array)
        Prices in USD, one column per coin, one row per date.
    quantities : mapping {column: coins} or sequence aligned with the columns
        Coins held of each asset (>= 0, not all 0). A mapping may name a subset of the columns.

    Returns
    -------
    pandas.Series
        Indexed like ``prices_df``; a row with a missing (blank, text, NaN or 0) price of any coin
        in the basket is NaN, as :func:`beta` treats such a cell.

    Examples
    --------
    >>> df = pd.DataFrame({"A": [10.0, 11.0, None], "B": [5.0, 5.5, 6.0]})
    >>> basket_value(df, {"A": 1.0, "B": 2.0}).tolist()
    [20.0, 22.0, nan]
    """
    frame = prices_df if isinstance(prices_df, pd.DataFrame) else pd.DataFrame(np.asarray(prices_df, dtype=object))
    if isinstance(quantities, Mapping):
        missing = [k for k in quantities if k not in frame.columns]
        if missing:
            raise InvalidInputError(f"quantities names unknown columns {missing}; columns are {list(frame.columns)}")
        cols = list(quantities)
        qty = as_float_array("quantities", [quantities[k] for k in cols])
    else:
        cols = list(frame.columns)
        qty = as_float_array("quantities", quantities)
        if qty.size != len(cols):
            raise InvalidInputError(f"quantities must have one entry per column ({len(cols)}), got {qty.size}")
    if (qty < 0).any() or not (qty > 0).any():
        raise InvalidInputError("quantities must be zero or positive and not all zero")
    prices = np.column_stack([_coerce(str(c), frame[c])[0] for c in cols])
    prices[prices == 0] = np.nan  # a zero price is a missing cell, as in beta()
    return pd.Series(prices @ qty, index=frame.index)  # NaN when any held coin's price is missing


def basket_beta(
    prices_df: pd.DataFrame | object,
    quantities: Mapping[str, float] | Sequence[float],
    benchmark: object,
    *,
    returns: ReturnsKind = "simple",
    freq: Freq | None = None,
) -> float:
    """Beta of a basket's USD value series to a benchmark.

    Parameters
    ----------
    prices_df : pandas DataFrame (or 2-D array)
        Prices in USD, one column per coin, one row per date.
    quantities : mapping {column: coins} or sequence aligned with the columns
        Coins held of each asset (>= 0). A mapping may name a subset of the columns.
    benchmark : sequence, Series, or str
        Benchmark prices, or the name of a column of ``prices_df``.
    returns, freq
        As for :func:`beta`.

    Returns
    -------
    float
        ``beta(basket_value(prices_df, quantities), benchmark)``; a row with any missing price in
        the basket is missing. NaN as for :func:`beta`.

    Examples
    --------
    >>> df = pd.DataFrame({"A": [10.0, 11.0, 10.5, 12.0], "B": [5.0, 5.5, 5.25, 6.0]})
    >>> round(basket_beta(df, {"A": 1.0, "B": 2.0}, df["A"]), 12)
    1.0
    """
    frame = prices_df if isinstance(prices_df, pd.DataFrame) else pd.DataFrame(np.asarray(prices_df, dtype=object))
    value = basket_value(frame, quantities)
    bench = frame[benchmark] if isinstance(benchmark, str) else benchmark
    return beta(value if isinstance(bench, pd.Series) else value.to_numpy(), bench, returns=returns, freq=freq)


def best_hedge(
    asset: object,
    candidates: Mapping[str, object] | pd.DataFrame,
    *,
    returns: ReturnsKind = "simple",
    data: DataKind = "prices",
    freq: Freq | None = None,
) -> pd.DataFrame:
    """Rank candidate hedge instruments by hedging effectiveness (R²).

    Parameters
    ----------
    asset : sequence or Series
        Prices (or returns) of the position to hedge.
    candidates : mapping {name: prices} or DataFrame (one column per candidate)
        Price (or return) series of each candidate hedge coin.
    returns, data, freq
        As for :func:`beta`.

    Returns
    -------
    pandas DataFrame
        Columns ``hedge, beta, r_squared, correlation, n``, one row per candidate, sorted by
        ``r_squared`` descending (NaN last), index 0..k-1. ``beta`` is the hedge ratio.

    Notes
    -----
    R² ranks the OLS hedge of each candidate; it should not be used to compare other hedge
    ratios (DOMAIN.md §10).

    Examples
    --------
    >>> a = [0.01, -0.02, 0.03, 0.0, -0.01, 0.02]
    >>> candidates = {"BTC": [0.008, -0.015, 0.02, 0.001, -0.012, 0.01],
    ...               "SOL": [0.02, 0.01, -0.01, 0.0, 0.005, -0.02]}
    >>> best_hedge(a, candidates, data="returns").round(3)
      hedge   beta  r_squared  correlation  n
    0   BTC  1.363      0.966        0.983  6
    1   SOL -0.759      0.336       -0.580  6
    """
    items = candidates.items() if isinstance(candidates, (Mapping, pd.DataFrame)) else None
    if items is None:
        raise InvalidInputError("candidates must be a dict {name: prices} or a DataFrame")
    rows = []
    for name, series in items:
        s = beta_stats(asset, series, returns=returns, data=data, freq=freq)
        rows.append({"hedge": str(name), "beta": s.beta, "r_squared": s.r_squared,
                     "correlation": s.correlation, "n": s.n})
    table = pd.DataFrame(rows, columns=["hedge", "beta", "r_squared", "correlation", "n"])
    return table.sort_values("r_squared", ascending=False, na_position="last", kind="stable").reset_index(drop=True)


def two_leg_hedge(
    asset: object,
    hedge1: object,
    hedge2: object,
    *,
    returns: ReturnsKind = "simple",
    data: DataKind = "prices",
    freq: Freq | None = None,
) -> TwoLegHedge:
    """Hedge ratios for hedging with two instruments at once (multiple OLS regression).

    Parameters
    ----------
    asset, hedge1, hedge2
        Price (or return) series; same missing-data policy as :func:`beta`, applied to all
        three together.
    returns, data, freq
        As for :func:`beta`.

    Returns
    -------
    TwoLegHedge
        ``r_a = alpha + beta_1 * r_1 + beta_2 * r_2 + e`` fitted by least squares with an
        intercept. All-NaN (with ``n`` set) when n < 3 or the two hedges' returns are collinear
        or constant.

    Examples
    --------
    >>> r1, r2 = [0.01, -0.02, 0.03, 0.0, 0.01], [0.02, 0.01, -0.01, 0.0, 0.03]
    >>> ra = [0.5 * a + 0.25 * b for a, b in zip(r1, r2)]
    >>> h = two_leg_hedge(ra, r1, r2, data="returns")
    >>> round(h.beta_1, 9), round(h.beta_2, 9), h.n
    (0.5, 0.25, 5)
    """
    returns, data = _options(returns, data)
    freq = _freq(freq)
    r = _prepare((("asset", asset), ("hedge1", hedge1), ("hedge2", hedge2)), data=data, returns=returns, freq=freq)
    y, x1, x2 = r.cols
    n = int(y.size)
    nan = math.nan
    if n >= 3:
        yc = y - y.mean()
        design = np.column_stack([x1 - x1.mean(), x2 - x2.mean()])
        coef, _, rank, _ = np.linalg.lstsq(design, yc, rcond=None)
        if rank == 2:
            b1, b2 = float(coef[0]), float(coef[1])
            resid = yc - design @ coef
            sst = float(yc @ yc)
            r2 = max(0.0, 1.0 - float(resid @ resid) / sst) if sst > 0 else nan
            alpha = float(y.mean() - b1 * x1.mean() - b2 * x2.mean())
            return TwoLegHedge(beta_1=b1, beta_2=b2, alpha=alpha, r_squared=r2, n=n)
    return TwoLegHedge(beta_1=nan, beta_2=nan, alpha=nan, r_squared=nan, n=n)
