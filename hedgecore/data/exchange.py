"""The ccxt edge: the only hedgecore module that imports ccxt, and only when a fetch runs.

:class:`Venue` wraps one ccxt exchange object for one kind of market (``"spot"`` or
``"contract"``), with ccxt's rate limiter on, our own retries with exponential back-off (honouring
``Retry-After``) and every failure turned into one :class:`~hedgecore.errors.FetchError` line that
names the coin or contract. Covered (and tested against ``tests/fake_exchange.py``):

===========  =========================================  ==============================================
exchange     spot (daily closes)                        contracts (specs, funding history, tiers)
===========  =========================================  ==============================================
binance      ``/api/v3/exchangeInfo``, ``/api/v3/klines``  USDⓈ-M ``/fapi/v1/...`` and COIN-M ``/dapi/v1/...``:
                                                        ``exchangeInfo``, ``fundingRate``, ``fundingInfo``;
                                                        tiers need an API key (not fetched)
bybit        –                                          v5 ``instruments-info``, ``funding/history``,
                                                        ``risk-limit`` (public tier table)
===========  =========================================  ==============================================

``api_url`` replaces the scheme and host of every ccxt API URL and keeps the paths (DOMAIN.md §11.4),
so one local server can stand in for ``api.binance.com``, ``fapi.binance.com`` and
``dapi.binance.com`` at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

from ..errors import FetchError

__all__ = ["EXCHANGES", "ContractVenues", "FetchSettings", "Venue", "parse_contract_name", "unsupported"]

DAY_MS = 86_400_000
HOUR_MS = 3_600_000

#: Exchanges we fetch from, with what each offers: ccxt market types loaded per kind of market.
EXCHANGES = {
    "binance": {"spot": ["spot"], "contract": ["linear", "inverse"]},
    "bybit": {"contract": ["linear", "inverse"]},
}

#: Rows per request: the documented maxima (Binance klines/fundingRate 1000; Bybit funding 200).
_PAGE_LIMIT = {("binance", "ohlcv"): 1000, ("binance", "funding"): 1000, ("bybit", "funding"): 200}
#: Exchanges whose history endpoints return the newest rows of the window first (Bybit v5).
_NEWEST_FIRST = {"bybit"}


@dataclass(frozen=True)
class FetchSettings:
    """How to talk to the exchange.

    Attributes
    ----------
    api_url : str, optional
        Base URL replacing the exchange's API hosts (a local fake exchange, a proxy or mirror).
    timeout_s : float
        Seconds to wait for one answer.
    retries : int
        Further attempts after a timeout, a network error, HTTP 429/418 or 5xx.
    retry_wait_s : float
        Wait before the first retry, seconds; doubles at each retry (capped at ``max_wait_s``).
        A ``Retry-After`` header, when larger, is honoured up to ``max_wait_s``.
    max_wait_s : float
        Longest single wait, seconds.
    """

    api_url: str | None = None
    timeout_s: float = 10.0
    retries: int = 4
    retry_wait_s: float = 1.0
    max_wait_s: float = 30.0


def unsupported(exchange_id: str, kind: str) -> str | None:
    """Why ``exchange_id`` cannot serve ``kind`` markets, or None if it can."""
    if kind in EXCHANGES.get(exchange_id, {}):
        return None
    able = " or ".join(e for e, offers in EXCHANGES.items() if kind in offers)
    return f"{kind} markets of {exchange_id} are not supported (use {able})"


def _import_ccxt():
    try:
        import ccxt
    except ImportError:  # pragma: no cover - depends on the installation
        raise FetchError('fetching needs ccxt: pip install "hedgecore[data]"') from None
    return ccxt


def _strict_class(ccxt, exchange_id: str):
    """The ccxt class, recording each answer's HTTP status and ``Retry-After``, and refusing a 2xx
    answer that is not JSON (plain ccxt returns such a body as if it were an empty list)."""
    base = getattr(ccxt, exchange_id)

    def handle_errors(self, code, reason, url, method, headers, body, response, request_headers, request_body):
        self.hc_status = code
        self.hc_retry_after = (headers or {}).get("Retry-After")
        result = base.handle_errors(self, code, reason, url, method, headers, body, response, request_headers,
                                    request_body)
        if code is not None and 200 <= code < 300 and response is None and body and body.strip():
            snippet = " ".join(body.split())[:40]
            raise ccxt.BadResponse(f"to {method} {urlsplit(url).path} (not JSON: {snippet!r})")
        return result

    return type(f"strict_{exchange_id}", (base,), {"handle_errors": handle_errors})


def _short_url(url: str) -> str:
    return urlsplit(str(url)).path or str(url)


class Venue:
    """One exchange, one kind of market (``"spot"`` or ``"contract"``), markets loaded on first use."""

    def __init__(self, exchange_id: str, kind: str, settings: FetchSettings | None = None,
                 *, sleep: Callable[[float], None] = time.sleep):
        exchange_id = exchange_id.strip().lower()
        why = unsupported(exchange_id, kind)
        if why:
            raise FetchError(f"{exchange_id}: {why}")
        offers = EXCHANGES[exchange_id]
        self.id = exchange_id
        self.kind = kind
        self.settings = settings or FetchSettings()
        self._sleep = sleep
        ccxt = _import_ccxt()
        self._ccxt = ccxt
        self.ex = _strict_class(ccxt, exchange_id)({
            "enableRateLimit": True,
            "timeout": max(1, int(self.settings.timeout_s * 1000)),
            "options": {"fetchMarkets": {"types": list(offers[kind])}, "maxRetriesOnFailure": 0},
        })
        if self.settings.api_url:
            self._point_at(self.settings.api_url)
        self._loaded = False
        self._load_error: str | None = None

    def _point_at(self, base_url: str) -> None:
        base = urlsplit(base_url.rstrip("/"))
        if base.scheme not in ("http", "https") or not base.netloc:
            raise FetchError(f"api_url must look like http://127.0.0.1:8000, got {base_url!r}")
        api = self.ex.urls["api"]
        for key, value in api.items():
            if isinstance(value, str):
                path = urlsplit(value.replace("{hostname}", "host")).path
                api[key] = urlunsplit((base.scheme, base.netloc, base.path + path, "", ""))

    # ---- calls, retries, errors -------------------------------------------------------------
    def call(self, label: str, fn: Callable, *args, **kwargs):
        """``fn(*args, **kwargs)`` with retries; any failure becomes one FetchError naming ``label``."""
        ccxt = self._ccxt
        s = self.settings
        for attempt in range(s.retries + 1):
            self.ex.hc_status = self.ex.hc_retry_after = None
            try:
                return fn(*args, **kwargs)
            except ccxt.BadResponse as exc:
                raise FetchError(f"{label}: {self.id} sent a malformed answer {str(exc)[:120]}") from None
            except ccxt.OperationFailed as exc:  # network errors, timeouts, HTTP 429/418/5xx, ...
                if not self._retryable(exc):
                    raise FetchError(f"{label}: {self._describe(exc)}") from None
                if attempt == s.retries:
                    n = s.retries + 1
                    raise FetchError(f"{label}: {self._describe(exc)}, gave up after {n} attempt{'s' * (n > 1)}") \
                        from None
                self._sleep(self._wait_s(attempt))
            except ccxt.BaseError as exc:
                raise FetchError(f"{label}: {self.id} refused the request ({_reason(exc)})") from None
            except (TypeError, KeyError, ValueError, IndexError, AttributeError) as exc:
                # ccxt's parser met an answer of the wrong shape
                raise FetchError(f"{label}: {self.id} sent a malformed answer ({type(exc).__name__}: {exc})") \
                    from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait_s(self, attempt: int) -> float:
        """Exponential back-off; a larger ``Retry-After`` (seconds) wins, both capped at ``max_wait_s``."""
        s = self.settings
        wait = s.retry_wait_s * 2**attempt
        try:
            wait = max(wait, float(self.ex.hc_retry_after))
        except (TypeError, ValueError):
            pass
        return min(wait, s.max_wait_s)

    def _retryable(self, exc) -> bool:
        """Timeouts, no answer at all, HTTP 418/429 and 5xx are worth another try; 4xx are not."""
        status = self.ex.hc_status
        return isinstance(exc, self._ccxt.RequestTimeout) or status is None or status in (418, 429) or status >= 500

    def _describe(self, exc) -> str:
        status = self.ex.hc_status
        if isinstance(exc, self._ccxt.RequestTimeout):
            return f"{self.id} did not answer within {self.settings.timeout_s:g} s"
        if status in (418, 429):
            return f"{self.id} is rate-limiting us (HTTP {status})"
        if status == 451:
            return f"{self.id} does not serve this location (HTTP 451); try another --exchange"
        if status is not None and status >= 500:
            return f"{self.id} is unavailable (HTTP {status})"
        if status is None:
            cause = str(exc.__cause__ or exc).lower()
            why = ("connection refused" if "refused" in cause
                   else "connection dropped" if "aborted" in cause or "disconnected" in cause
                   else "no network or the host is down")
            return f"cannot reach {self.id} ({why})"
        return f"{self.id} failed (HTTP {status}: {_reason(exc)})"

    def load(self, label: str) -> None:
        """Load the markets once; if that failed, fail every later coin at once with the same reason."""
        if self._load_error is not None:
            raise FetchError(f"{label}: {self._load_error}")
        if not self._loaded:
            try:
                self.call(label, self.ex.load_markets)
            except FetchError as exc:
                self._load_error = str(exc).split(": ", 1)[-1]
                raise
            self._loaded = True

    # ---- markets ----------------------------------------------------------------------------
    def spot_market(self, coin: str, quotes: tuple[str, ...] = ("USD", "USDT")) -> dict:
        """The coin's spot market against the first quote listed (an active one preferred)."""
        self.load(coin)
        found = [self.ex.markets[f"{coin}/{q}"] for q in quotes if f"{coin}/{q}" in self.ex.markets]
        found = [m for m in found if m.get("spot")]
        active = [m for m in found if m.get("active") is not False]
        if active:
            return active[0]
        if found:
            m = found[0]
            status = (m.get("info") or {}).get("status", "not trading")
            raise FetchError(f"{coin}: {self.id} {m['symbol']} is not trading (status {status}; delisted?)")
        pairs = " or ".join(f"{coin}/{q}" for q in quotes)
        raise FetchError(f"{coin}: {self.id} lists no {pairs} spot market")

    def contract_market(self, symbol: str) -> dict:
        """The perpetual whose exchange id is ``symbol`` (e.g. ``ETHUSD_PERP``, ``BTCUSDT``, ``BTCUSD``)."""
        label = f"{self.id}:{symbol}"
        self.load(label)
        markets = [m for m in self.ex.markets_by_id.get(symbol, []) if m.get("contract")]
        if not markets:
            import difflib

            ids = [i for i, ms in self.ex.markets_by_id.items() if any(m.get("contract") for m in ms)]
            close = difflib.get_close_matches(symbol.upper(), ids, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise FetchError(f"{label}: {self.id} lists no contract {symbol}{hint}")
        m = markets[0]
        if m.get("active") is False:
            info = m.get("info") or {}
            status = info.get("contractStatus") or info.get("status") or "not trading"
            raise FetchError(f"{label}: not trading (status {status}; delisted?)")
        if not m.get("swap"):
            raise FetchError(f"{label}: not a perpetual ({m.get('type')})")
        return m

    # ---- history pages ----------------------------------------------------------------------
    @property
    def newest_first(self) -> bool:
        """True when history endpoints return the newest rows of a window first (ccxt re-sorts)."""
        return self.id in _NEWEST_FIRST

    def page_limit(self, what: str) -> int:
        return _PAGE_LIMIT[(self.id, what)]

    def daily_closes(self, label: str, market: dict, start_ms: int, end_ms: int, limit: int) -> list[tuple[int, float]]:
        """Daily candles (UTC) opening in ``[start_ms, end_ms]``: ``(open time ms, close)``, ascending."""
        rows = self.call(label, self.ex.fetch_ohlcv, market["symbol"], "1d", start_ms, limit, {"until": end_ms})
        return _checked(label, self.id, rows, start_ms, end_ms, lambda r: (r[0], r[4]), positive=True)

    def funding_rates(self, label: str, market: dict, start_ms: int, end_ms: int,
                      limit: int) -> list[tuple[int, float]]:
        """Funding settlements in ``[start_ms, end_ms]``: ``(time ms, rate per interval)``, ascending."""
        rows = self.call(label, self.ex.fetch_funding_rate_history, market["symbol"], start_ms, limit,
                         {"until": end_ms})
        return _checked(label, self.id, rows, start_ms, end_ms, lambda r: (r["timestamp"], r["fundingRate"]))

    # ---- contract specs and tiers ------------------------------------------------------------
    def funding_interval_hours(self, label: str, market: dict) -> float:
        """Hours between settlements as the exchange publishes it now.

        Binance lists only symbols whose interval was adjusted (``fundingInfo``, "Get Funding Info");
        the others settle every 8 h. Bybit publishes ``fundingInterval`` in minutes per instrument.
        """
        info = market.get("info") or {}
        if self.id == "bybit":
            minutes = float(info.get("fundingInterval") or 480)
            return minutes / 60.0
        listed = self.call(label, self.ex.fetch_funding_intervals, None, {"subType": market["subType"]})
        entry = listed.get(market["symbol"]) if isinstance(listed, dict) else None
        interval = (entry or {}).get("interval")
        return float(str(interval).rstrip("h")) if interval else 8.0

    def contract_row(self, label: str, market: dict, fetched: str) -> dict:
        """One ``contracts.csv`` row (the shared catalog schema, docs/market-data.md)."""
        if self.ex.precisionMode != self._ccxt.TICK_SIZE:  # pragma: no cover - true for binance and bybit
            raise FetchError(f"{label}: {self.id} precision is not given as tick sizes")
        inverse = bool(market.get("inverse"))
        size = market.get("contractSize")
        if self.id == "bybit" and inverse:
            size = 1.0  # ccxt fills contractSize from minOrderQty; the documented face is 1 USD (DOMAIN §2.3)
        endpoint = {"binance": "/dapi/v1/exchangeInfo" if inverse else "/fapi/v1/exchangeInfo",
                    "bybit": "/v5/market/instruments-info"}[self.id]
        row = {
            "exchange": self.id,
            "symbol": market["id"],
            "contract_type": "inverse" if inverse else "linear",
            "contract_size": size,
            "base_asset": market["base"],
            "margin_asset": market["settle"],
            "funding_interval_hours": self.funding_interval_hours(label, market),
            "tick_size": (market.get("precision") or {}).get("price"),
            "qty_step": (market.get("precision") or {}).get("amount"),
            "min_qty": ((market.get("limits") or {}).get("amount") or {}).get("min"),
            "source": f"{self.id} {endpoint} fetched {fetched} (ccxt {self._ccxt.__version__})",
        }
        missing = [k for k, v in row.items() if v is None or (isinstance(v, float) and not math.isfinite(v))]
        if missing or not (float(row["contract_size"]) > 0):
            raise FetchError(f"{label}: {self.id} sent a malformed answer (no {', '.join(missing) or 'contract size'})")
        return row

    def tier_rows(self, label: str, market: dict, fetched: str) -> list[dict] | None:
        """``tiers.csv`` rows, or None when the exchange publishes no tier table without an API key."""
        if self.id != "bybit":
            return None
        tiers = self.call(label, self.ex.fetch_market_leverage_tiers, market["symbol"])
        return _bybit_tiers(label, tiers, market, fetched, self._ccxt.__version__)


def parse_contract_name(name: str) -> tuple[str, str]:
    """``"binance:ETHUSD_PERP"`` -> ``("binance", "ETHUSD_PERP")``.

    >>> parse_contract_name(" Binance:ethusd_perp ")
    ('binance', 'ETHUSD_PERP')
    """
    exchange, sep, symbol = str(name).strip().partition(":")
    if not sep or not exchange.strip() or not symbol.strip():
        raise FetchError(f"{name}: name a contract as exchange:SYMBOL, e.g. binance:ETHUSD_PERP")
    return exchange.strip().lower(), symbol.strip().upper()


class ContractVenues:
    """Contract venues by exchange, made on first use (markets load once per exchange and run)."""

    def __init__(self, settings: FetchSettings | None = None):
        self.settings = settings
        self._venues: dict[str, Venue] = {}

    def get(self, name: str) -> tuple[Venue, str]:
        """The venue and the symbol of ``"exchange:SYMBOL"``; FetchError names the contract."""
        exchange, symbol = parse_contract_name(name)
        if exchange not in self._venues:
            why = unsupported(exchange, "contract")
            if why:
                raise FetchError(f"{exchange}:{symbol}: {why}")
            self._venues[exchange] = Venue(exchange, "contract", self.settings)
        return self._venues[exchange], symbol


def _reason(exc) -> str:
    """ccxt's message without the exchange id and the full URL (keeps our line short)."""
    text = " ".join(str(exc).split())
    parts = text.split(" ")
    parts = [_short_url(p) if p.startswith("http") else p for p in parts[1:]] or parts
    return " ".join(parts)[:120]


def _checked(label, exchange_id, rows, start_ms, end_ms, pick, *, positive=False) -> list[tuple[int, float]]:
    """Validate one page: ``(timestamp ms, finite value)`` rows, strictly increasing, inside the window."""
    if not isinstance(rows, list):
        raise FetchError(f"{label}: {exchange_id} sent a malformed answer (not a list)")
    out = []
    for row in rows:
        try:
            ts, value = pick(row)
            ts, value = int(ts), float(value)
        except (TypeError, ValueError, KeyError, IndexError):
            raise FetchError(f"{label}: {exchange_id} sent a malformed answer (row {str(row)[:60]})") from None
        if not math.isfinite(value) or (positive and value <= 0):
            raise FetchError(f"{label}: {exchange_id} sent a malformed answer (value {value!r} at {iso(ts)})")
        if start_ms <= ts <= end_ms:
            out.append((ts, value))
    out.sort()
    if any(b[0] <= a[0] for a, b in zip(out, out[1:])):
        raise FetchError(f"{label}: {exchange_id} sent a malformed answer (repeated timestamps)")
    return out


def _bybit_tiers(label, tiers, market, fetched, version) -> list[dict]:
    """Bybit v5 risk-limit rows -> tiers.csv rows, numbered 1, 2, ... in ccxt's (id) order.

    ``riskLimitValue`` is the tier's cap (base coin for inverse, USDT for linear) and the floor is
    the previous tier's cap (ccxt ``minNotional``). Bybit's docs show the rates both as decimals
    (``0.005``) and, in an older example, as percents (``0.5`` with ``initialMargin`` 1 at 100x);
    the unit is told by ``initialMargin · maxLeverage`` (1 for decimals, 100 for percents).
    ``mmDeduction`` is the maintenance amount and must follow the cum rule (DOMAIN.md §5.2),
    ``cum_n = floor_n·(mmr_n − mmr_{n−1}) + cum_{n−1}``, as hedgecore's catalog loader requires;
    when blank it is built with that rule.
    """
    if not tiers:
        raise FetchError(f"{label}: bybit sent an empty risk-limit table")
    rows, prev_rate, cum = [], 0.0, 0.0
    for number, t in enumerate(tiers, start=1):
        info = t.get("info") or {}
        try:
            mmr, lev = float(t["maintenanceMarginRate"]), float(t["maxLeverage"])
            imr = float(info.get("initialMargin"))
            floor = float(t.get("minNotional") or 0.0)
            cap = float(t["maxNotional"])
        except (TypeError, ValueError, KeyError):
            raise FetchError(f"{label}: bybit sent a malformed risk-limit row ({str(info)[:60]})") from None
        scale = imr * lev
        if abs(scale - 100.0) < 1.0:
            mmr /= 100.0
        elif abs(scale - 1.0) > 0.05:
            raise FetchError(f"{label}: bybit risk-limit rates have an unclear unit (initialMargin {imr} at {lev}x)")
        cum = floor * (mmr - prev_rate) + cum
        deduction = info.get("mmDeduction")
        if deduction not in (None, "") and abs(float(deduction) - cum) > 1e-6 * max(1.0, abs(cum)):
            raise FetchError(f"{label}: bybit tier {number} mmDeduction {deduction} breaks the cum rule "
                             f"(expected {cum:g})")
        prev_rate = mmr
        rows.append({
            "exchange": "bybit", "symbol": market["id"], "tier": number, "floor": floor, "cap": cap,
            "maintenance_rate": mmr, "maintenance_amount": float(deduction) if deduction not in (None, "") else cum,
            "max_leverage": lev,
            "source": f"bybit /v5/market/risk-limit fetched {fetched} (ccxt {version})"
                      + ("" if deduction not in (None, "") else "; maintenance_amount by the cum rule"),
        })
    return rows


def iso(ms: int) -> str:
    """UTC time of a millisecond timestamp, ``YYYY-MM-DD HH:MM``."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
