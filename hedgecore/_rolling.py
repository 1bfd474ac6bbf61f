"""Rolling and exponentially weighted OLS slopes over clean float arrays (pure numpy).

The engine behind :func:`hedgecore.stats.rolling_beta` and :func:`hedgecore.stats.ewm_beta`.
Both need, at every row, four weighted sums of the data centred on its global mean: of
``x``, ``y``, ``x*x`` and ``x*y``; the slope is ``(W*Sxy - Sx*Sy) / (W*Sxx - Sx**2)`` with
``W`` the total weight (the window length, or the EWM weight sum).

Why it is fast in pure numpy (measured in ``benchmarks/bench_stats.py``):

* numpy's float ``cumsum`` is a scalar loop (about 3 ns per value on the project's machine)
  whatever the dtype, while an int64 ``cumsum`` runs at about 0.3 ns. The rolling path
  therefore sums in **fixed point**: each series is scaled by a power of two and rounded to
  int64, summed exactly (a uint64 prefix sum may wrap; differences of it are exact modulo
  2**64 and the true window sums fit in 63 bits), and turned back into floats. The only
  error is the rounding of each value; a worst-case bound of it is checked for every window,
  and any window it could push past ``_PRECISION`` sends the series to the float path.
* Float sums (the EWM, and the rolling fallback) pack two series into one complex number,
  so one ``cumsum`` call sums two series for the price of one.
* Work goes chunk by chunk (``_CHUNK`` values, ``_EWM_CHUNK`` for the EWM) through one
  workspace allocated once per call, so it stays in cache and the allocator does not hand
  pages back to the OS between calls.

Accuracy: float prefix sums restart at every block (a window, or ``_EWM_SPAN`` half-lives),
so rounding error grows with the block, not with the length of the series.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ewm_slope", "rolling_slope"]

_CHUNK = 1 << 14
"""Values per chunk: big enough to amortise numpy's per-call cost, small enough for the cache."""
_EWM_CHUNK = 1 << 16
"""Values per EWM chunk: its nine workspace rows (4.5 MiB) stay in the L3 cache, and at 1e6 rows
it measured 11-17 % faster than 2**14 (2**15: 3-8 %, 2**17: the same as 2**16, 2**18: slower;
benchmarks/bench_stats.py sizes, interleaved)."""
_NOISE = 1e-12
"""A windowed variance below this fraction of the second moment about the global mean is noise."""
_PRECISION = 1e-10
"""Worst-case fixed-point rounding error allowed, relative to a window's variance."""
_FIXED_BITS = 62
"""Fixed-point values and window sums stay below 2**62, clear of int64 overflow."""
_EWM_SPAN = 64
"""EWM block length in half-lives: in-block weights grow by at most 2**64 (sums overflow, and
the slope is NaN, only for returns beyond about 1e130)."""


# --------------------------------------------------------------------------- shared pieces


def _moments_into(xc: np.ndarray, yc: np.ndarray, xx: np.ndarray, xy: np.ndarray,
                  x: np.ndarray, y: np.ndarray, mx: float, my: float) -> None:
    """Write ``x - mx``, ``y - my`` and their products ``xc*xc``, ``xc*yc`` into four views."""
    np.subtract(x, mx, out=xc)
    np.subtract(y, my, out=yc)
    np.multiply(xc, xc, out=xx)
    np.multiply(xc, yc, out=xy)


def _slope_into(o: np.ndarray, sx: np.ndarray, sy: np.ndarray, sxx: np.ndarray, sxy: np.ndarray,
                weight: float | np.ndarray, moment: np.ndarray | None = None) -> np.ndarray:
    """``o = (weight*sxy - sx*sy) / (weight*sxx - sx*sx)``, NaN where the variance is noise.

    Noise: below ``_NOISE`` of ``weight * moment``; ``moment`` defaults to ``sxx`` (the second
    moment about the global mean) and may be larger: the magnitude the sums were formed from.
    Overwrites ``sxy`` (with the covariance term), ``sy`` (with the variance term, which it
    returns) and ``sxx``; reads ``sx``. Non-finite results (sums beyond float range) are NaN.
    """
    np.multiply(sx, sy, out=o)
    sxy *= weight
    sxy -= o
    np.multiply(sx, sx, out=o)
    sxx *= weight
    var = np.subtract(sxx, o, out=sy)
    if moment is None:
        sxx *= _NOISE
    else:
        np.multiply(moment, weight * _NOISE, out=sxx)
    bad = ~np.greater(var, sxx)  # also true where either is NaN
    np.divide(sxy, var, out=o)
    bad |= ~np.isfinite(o)
    o[bad] = np.nan
    return var


def _mean(z: np.ndarray) -> float:
    return float(np.add.reduce(z)) / z.size  # pairwise sum, without ndarray.mean's Python layer


def _spread(z: np.ndarray, mean: float) -> float:
    """Largest distance of a value of ``z`` from ``mean``."""
    return max(float(np.maximum.reduce(z)) - mean, mean - float(np.minimum.reduce(z)))


def _pow2_at_most(limit: float, bound: float) -> float:
    """The largest power of two ``p`` with ``bound * p <= limit`` (``bound`` > 0, finite)."""
    return math.ldexp(1.0, math.frexp(limit / bound)[1] - 1)


def _fixed_scales(x: np.ndarray, y: np.ndarray, span: float) -> tuple[float, float, np.ndarray] | None:
    """Means of ``x``, ``y`` and the fixed-point scales of ``x - mx``, ``y - my``, ``xc*xc`` and ``xc*yc``.

    Each scale is the largest power of two keeping ``span`` times that series' bound below 2**62,
    so each series keeps its own precision (a ``y`` a billion times smaller than ``x`` is not
    rounded on ``x``'s grid). None when ``x`` or ``y`` is constant or a product exceeds float
    range (the float path then says NaN where it must).
    """
    mx, my = _mean(x), _mean(y)
    bx, by = _spread(x, mx), _spread(y, my)
    bounds = (bx, by, bx * bx, bx * by)
    if not all(b > 0.0 and math.isfinite(b) for b in bounds):
        return None
    limit = 2.0**_FIXED_BITS / span
    return mx, my, np.array([[_pow2_at_most(limit, b)] for b in bounds])


def _quantise(f: np.ndarray, scale: np.ndarray, q: np.ndarray) -> None:
    """``q = rint(f * scale)`` as int64 (``f`` is overwritten)."""
    f *= scale
    np.rint(f, out=f)
    np.copyto(q.view(np.int64), f, casting="unsafe")


def _trusted(o: np.ndarray, var: np.ndarray, sx: np.ndarray, weight: float | np.ndarray,
             ratio: float, scratch: np.ndarray) -> bool:
    """Whether fixed-point rounding cannot move any finite slope in ``o`` by ``_PRECISION``.

    ``weight = W * ratio`` (``W``: the window length; ``ratio = ax**2 / axx``). Every value is
    rounded by at most half a unit, so each of the four window sums is off by at most ``W / 2``
    units and ``var = weight*Sxx - Sx**2`` by at most ``W * (weight/2 + |Sx|)``.
    """
    if not (ratio * _PRECISION > 0.0 and math.isfinite(ratio) and np.all(np.isfinite(weight))):
        return False  # scales beyond float range (hostile data): the float path decides
    bound = np.abs(sx, out=scratch)
    bound += 0.5 * weight
    bound *= weight
    bound *= 1.0 / (ratio * _PRECISION)
    return not (np.less(var, bound) & np.isfinite(o)).any()


# --------------------------------------------------------------------------- rolling


def rolling_slope(y: np.ndarray, x: np.ndarray, window: int, out: np.ndarray) -> None:
    """OLS slope of ``y`` on ``x`` over every ``window`` consecutive values, written into ``out``.

    ``out[i]`` is the slope over ``x[i - window + 1 : i + 1]``; NaN until the window is full and
    where the window's variance of ``x`` is noise (below ``_NOISE`` of its second moment about
    the global mean) or its sums exceed float range. ``x``, ``y``: finite float64, same size.
    """
    m = x.size
    out[: window - 1] = np.nan
    if m < window:
        return
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if not _rolling_fixed(y, x, window, out):
            _rolling_float(y, x, window, out)


def _rolling_fixed(y: np.ndarray, x: np.ndarray, w: int, out: np.ndarray) -> bool:
    """Fixed-point path of :func:`rolling_slope`; False (``out`` unspecified) when it cannot vouch.

    A window sum of rounded values is exact: prefix sums in uint64 may wrap, but differences
    are exact modulo 2**64 and the true window sums stay below 2**62. Data whose dynamic range
    defeats :func:`_trusted` (an outlier 1e4 times the typical return, a near-constant stretch)
    take the float path.
    """
    m = x.size
    scales = _fixed_scales(x, y, w)
    if scales is None:
        return False
    mx, my, scale = scales
    ax, ay, axx, axy = scale[:, 0]
    ratio = ax * ax / axx
    weight = w * ratio  # W of ``_slope_into`` for sums in x's fixed-point units
    to_x_units = (ax / ay, axx / axy)  # powers of two: exact
    step = min(_CHUNK, m - w + 1)
    size = step + w
    work = np.empty(8 * size)  # one allocation: float rows, then their int64 twins
    flt = work[: 4 * size].reshape(4, size)
    fix = work[4 * size :].view(np.uint64).reshape(4, size)
    for lo in range(w - 1, m, step):
        hi = min(m, lo + step)
        first, n_loc, k = lo - w + 1, hi - lo + w, hi - lo  # data first..hi-1 after a zero column
        f, q = flt[:, :n_loc], fix[:, :n_loc]
        f[:, 0] = 0.0
        _moments_into(*f[:, 1:], x[first:hi], y[first:hi], mx, my)
        _quantise(f, scale, q)
        np.cumsum(q, axis=1, out=q)
        sums = flt.view(np.uint64)[:, :k]
        np.subtract(q[:, w:], q[:, :k], out=sums)  # exact window sums, modulo 2**64
        s = fix.view(np.float64)[:, :k]
        np.copyto(s, sums.view(np.int64), casting="unsafe")
        s[1] *= to_x_units[0]  # Sy and Sxy on x's grid, so one weight serves both terms
        s[3] *= to_x_units[1]
        o = out[lo:hi]
        var = _slope_into(o, s[0], s[1], s[2], s[3], weight)
        if not _trusted(o, var, s[0], weight, ratio, s[2]):
            return False
    return True


def _rolling_float(y: np.ndarray, x: np.ndarray, w: int, out: np.ndarray) -> None:
    """Float path of :func:`rolling_slope`: prefix sums restarted at every block of ``w`` values.

    A window ending at offset ``j`` of block ``b`` is the prefix of block ``b`` up to ``j`` plus
    the part of block ``b - 1`` after ``j`` (its total minus its prefix up to ``j``), so rounding
    error grows with ``w``, not with the series. Two series per complex number, chunked. That
    difference of prefixes can be far larger than the window's own sum of squares (zeros after
    a big move), so noise is judged against the sum of the prefixes it came from.
    """
    m = x.size
    mx, my = _mean(x), _mean(y)
    n_blocks = -(-m // w)
    per_chunk = min(n_blocks, max(1, _CHUNK // w))
    work = np.empty((2, 2 * per_chunk + 1, w), complex)
    prefix = work[:, : per_chunk + 1]  # row 0: the previous block (zeros before the first)
    sums = work[:, per_chunk + 1 :]
    prefix[:, 0] = 0.0
    for b0 in range(0, n_blocks, per_chunk):
        nb = min(per_chunk, n_blocks - b0)
        lo, hi = b0 * w, min(m, (b0 + nb) * w)
        data = prefix[:, 1 : nb + 1]
        flat = data.reshape(2, -1)
        flat[:, hi - lo :] = 0.0
        _moments_into(flat[0, : hi - lo].real, flat[0, : hi - lo].imag, flat[1, : hi - lo].real,
                      flat[1, : hi - lo].imag, x[lo:hi], y[lo:hi], mx, my)
        np.cumsum(data, axis=2, out=data)
        s = sums[:, :nb]
        np.subtract(prefix[:, :nb, -1:], prefix[:, :nb], out=s)  # rest of the previous block
        s += data
        first = w - 1 if b0 == 0 else 0
        s0, s1 = s.reshape(2, -1)[:, first : hi - lo]
        moment = s1.real + 2.0 * prefix[1, :nb].reshape(-1)[first : hi - lo].real  # all terms >= 0
        _slope_into(out[lo + first : hi], s0.real, s0.imag, s1.real, s1.imag, float(w), moment)
        prefix[:, 0] = prefix[:, nb]


# --------------------------------------------------------------------------- EWM


def ewm_slope(y: np.ndarray, x: np.ndarray, halflife: float, out: np.ndarray) -> None:
    """Exponentially weighted OLS slope of ``y`` on ``x`` at every row, written into ``out``.

    Weights ``0.5 ** (age / halflife)`` over all earlier rows (pandas ``adjust=True``). NaN on
    the first row and where the weighted variance of ``x`` is noise or beyond float range.

    The recursion ``N[t] = a*N[t-1] + z[t]`` (``a = 0.5 ** (1/halflife)``) is evaluated in
    blocks of ``L`` rows as ``N[t0+k] = a**k * (sum_{j<=k} a**-j z[t0+j] + a*N[t0-1])``: one
    cumulative sum of the data scaled by ``a**-j``, plus a carry from the previous block. The
    common factor ``a**k`` cancels in the slope, so it is never applied; the carries follow
    ``C[b] = A*C[b-1] + s[b]`` (``A = a**L``), solved by doubling in a few vector steps.
    Floating point is scale-free, so in-block growth up to ``2**_EWM_SPAN`` costs no accuracy.
    (Fixed-point sums as in the rolling path were tried: the in-block growth costs bits, and
    they were no faster at the sizes users have.)
    """
    m = x.size
    out[:1] = np.nan
    if m < 2:
        return
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        _ewm_blocks(y, x, halflife, out)
    out[0] = np.nan


def _ewm_geometry(m: int, h: float, span: float) -> tuple[float, int, int, int, np.ndarray, np.ndarray]:
    """``c = ln 2 / h``, block length ``L`` (``span`` half-lives and ``_EWM_CHUNK`` at most), blocks
    in all and per chunk, the in-block weights ``a**-k`` as an (L, 2) table (for the real and the
    imaginary part) and their running sums (the weight sums of a first block)."""
    c = math.log(2.0) / h
    n_blocks = -(-m // max(1, int(min(m, _EWM_CHUNK, span * h))))
    L = -(-m // n_blocks)  # the same number of blocks, evenly filled: little padding
    if L > 1:
        L += L % 2  # even, for :func:`_prefix_in_place` (a half-life under 1/64 row keeps L = 1)
    per_chunk = min(n_blocks, max(1, _EWM_CHUNK // L))
    grown = np.expm1(np.arange(1, L + 1) * c)  # a**-(k+1) - 1, exact even where tiny
    growth = np.empty((L, 2))
    growth[0] = 1.0
    np.add(grown[:-1], 1.0, out=growth[1:, 0])
    growth[1:, 1] = growth[1:, 0]
    running = grown / math.expm1(c) if L > 1 else np.ones(1)
    return c, L, n_blocks, per_chunk, growth, running


def _carry_in(ends: np.ndarray, carry: np.ndarray, last: np.ndarray, L: int, c: float) -> tuple[np.ndarray, np.ndarray]:
    """``a * N`` at the row before each block, and ``N`` at the end of the last one.

    ``last``: each block's in-block sum at its last row (no carry yet), shape (series, blocks);
    ``carry``: ``N`` before the first block; ``ends``: scratch of shape (series, blocks + 1).
    """
    ends[:, 0] = carry
    np.multiply(last, math.exp(-(L - 1) * c), out=ends[:, 1:])
    _linear_scan(ends, math.exp(-L * c))
    new_carry = ends[:, -1].copy()
    ends *= math.exp(-c)
    return ends[:, :-1], new_carry


def _frame_weights(dst: np.ndarray, running: np.ndarray, b0: int, L: int, c: float) -> bool:
    """Weight sum up to each row of blocks ``b0, b0+1, ...``, in each block's frame, into ``dst``.

    Rows before block ``j`` weigh ``(1 - a**(j*L)) / (1 - a)`` at its start, ``a`` times that
    one row later. Returns True once ``a**(b0*L)`` is below float resolution: from then on every
    block has the same weights, so ``dst`` holds them for all later blocks too.
    """
    before = np.expm1(np.arange(b0, b0 + dst.shape[0]) * (-L * c)) * (math.exp(-c) / math.expm1(-c))
    np.add(running, before[:, None], out=dst)
    return math.expm1(-b0 * L * c) == -1.0


def _scaled_prefix(data: np.ndarray, x: np.ndarray, y: np.ndarray, mx: float, my: float, scale: np.ndarray) -> None:
    """In-block sums ``sum_{j<=k} a**-j z[j]`` of the four series of ``x``, ``y`` into ``data``.

    ``data``: complex (2, blocks, L), (centred x, y) then (x*x, x*y), zero-padded after the
    data; ``scale``: ``a**-k`` as an (L, 2) table for the real and imaginary parts.
    """
    nb, L = data.shape[1:]
    flat = data.reshape(2, -1)
    k = x.size
    flat[:, k:] = 0.0
    _moments_into(flat[0, :k].real, flat[0, :k].imag, flat[1, :k].real, flat[1, :k].imag, x, y, mx, my)
    data.view(np.float64).reshape(2, nb, L, 2)[...] *= scale
    if L % 2:
        np.cumsum(data, axis=2, out=data)
    else:
        _prefix_in_place(data)


def _prefix_in_place(d: np.ndarray) -> None:
    """Prefix sums along the last axis (even length), in place: about 3/4 of ``np.cumsum``'s time.

    numpy's cumsum is a scalar loop; summing pairs first (vectorised) halves its length, and
    the even positions are then filled in from their odd neighbours (vectorised again).
    """
    pairs = d.reshape(*d.shape[:-1], -1, 2)
    even, odd = pairs[..., 0], pairs[..., 1]
    odd += even
    np.cumsum(odd, axis=-1, out=odd)
    even[..., 1:] += odd[..., :-1]


def _ewm_blocks(y: np.ndarray, x: np.ndarray, h: float, out: np.ndarray) -> None:
    """The block evaluation of :func:`ewm_slope`, chunk by chunk, two series per complex number.

    One block (up to ``_EWM_SPAN`` half-lives of rows, most daily series): no carries, and the
    weights are those of a first block. Otherwise the four series are split out of the complex
    layout with the carries added on the way, so the slope formula runs on contiguous rows.
    """
    m = x.size
    c, L, n_blocks, per_chunk, scale, running = _ewm_geometry(m, h, _EWM_SPAN)
    mx, my = _mean(x), _mean(y)
    if n_blocks == 1:
        work = np.empty(8 * L)
        data = work[: 4 * L].view(complex).reshape(2, 1, L)
        rows = work[4 * L :].reshape(4, L)[:, :m]
        _scaled_prefix(data, x, y, mx, my, scale)
        for row, part in zip(rows, (data[0, 0].real, data[0, 0].imag, data[1, 0].real, data[1, 0].imag)):
            np.copyto(row, part[:m])  # contiguous rows: the slope formula runs ~3x faster on them
        _slope_into(out, rows[0], rows[1], rows[2], rows[3], running[:m])
        return
    size = per_chunk * L
    work = np.empty(9 * size)  # one allocation: complex sums, four contiguous rows, weights
    cplx = work[: 4 * size].view(complex).reshape(2, per_chunk, L)
    rows = work[4 * size : 8 * size].reshape(4, per_chunk, L)
    wts = work[8 * size :].reshape(per_chunk, L)
    ends, carry = np.empty((2, per_chunk + 1), complex), np.zeros(2, complex)
    steady = False  # weights no longer change from block to block
    for b0 in range(0, n_blocks, per_chunk):
        nb = min(per_chunk, n_blocks - b0)
        lo, hi = b0 * L, min(m, (b0 + nb) * L)
        data = cplx[:, :nb]
        _scaled_prefix(data, x[lo:hi], y[lo:hi], mx, my, scale)
        before, carry = _carry_in(ends[:, : nb + 1], carry, data[:, :, -1], L, c)
        for i, part in enumerate((data[0].real, data[0].imag, data[1].real, data[1].imag)):
            carried = before[i // 2].real if i % 2 == 0 else before[i // 2].imag
            np.add(part, carried[:, None], out=rows[i, :nb])
        steady = steady or _frame_weights(wts[:nb], running, b0, L, c)
        v = rows[:, :nb].reshape(4, -1)[:, : hi - lo]
        _slope_into(out[lo:hi], v[0], v[1], v[2], v[3], wts[:nb].reshape(-1)[: hi - lo])


def _linear_scan(s: np.ndarray, factor: float) -> None:
    """In place along axis 1: ``s[:, j] += factor * s[:, j - 1]`` applied left to right.

    Doubling (Hillis-Steele): stride 1, 2, 4, ... with factor, factor**2, factor**4, ...;
    stops early once the factor underflows to 0 (older terms are below float resolution).
    """
    step = 1
    while step < s.shape[1] and factor > 0.0:
        s[:, step:] += factor * s[:, :-step]
        factor *= factor
        step *= 2
