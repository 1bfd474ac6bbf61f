"""A fake exchange for offline tests: an HTTP server on 127.0.0.1 that the tests start themselves.

It answers the documented public endpoints that ``hedgecore fetch`` uses, in the exchanges' own
JSON formats (field names, string-encoded numbers, ascending or descending order, error bodies):

==========================  =====================================================================
Binance spot                ``/api/v3/exchangeInfo``, ``/api/v3/klines``
Binance USDⓈ-M              ``/fapi/v1/exchangeInfo``, ``/fapi/v1/fundingRate``, ``/fapi/v1/fundingInfo``
Binance COIN-M              ``/dapi/v1/exchangeInfo``, ``/dapi/v1/fundingRate``, ``/dapi/v1/fundingInfo``
Bybit v5                    ``/v5/market/instruments-info``, ``/v5/market/risk-limit``,
                            ``/v5/market/funding/history``
==========================  =====================================================================

Formats follow the exchanges' API documentation (Binance: developers.binance.com, "Kline/Candlestick
Data", "Exchange Information", "Get Funding Rate History"; Bybit: bybit-exchange.github.io/docs/v5,
"Get Instruments Info", "Get Risk Limit", "Get Funding Rate History") and the sample responses
quoted in ccxt 4.5.90's ``binance.py`` and ``bybit.py``. Paging rules are the documented ones:
Binance returns the oldest ``limit`` rows at or after ``startTime`` (ascending); Bybit returns the
newest ``limit`` rows at or before ``endTime`` (descending).

Faults are injected per path (:meth:`FakeExchange.fail`): HTTP 400 (Binance's "Invalid symbol"),
HTTP 429 with ``Retry-After``, HTTP 451 (Binance's "restricted location"), HTTP 500, a timeout (the
answer comes after the client gave up), a malformed (non-JSON) body, or a dropped connection.
Every request is recorded in :attr:`FakeExchange.requests` so tests can assert on what the client
asked for. To add an exchange: add its routes to ``_ROUTES`` and a ``add_*`` method that
stores fixtures in its documented shape.
"""

from __future__ import annotations

import csv
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for 'connection refused')."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _num(x: float) -> str:
    """Binance and Bybit send numbers as strings."""
    return format(float(x), ".8f")


@dataclass
class Fault:
    path: str
    kind: str  # "400", "429", "451", "500", "timeout", "malformed", "drop"
    times: int = 1
    retry_after: str = "0"  # the Retry-After header of a 429
    after: int = 0  # let this many requests through first


@dataclass
class SpotMarket:
    base: str
    quote: str
    status: str = "TRADING"
    klines: dict[int, float] = field(default_factory=dict)  # open time (ms) -> close


@dataclass
class Contract:
    base: str
    quote: str
    margin: str
    contract_size: float
    tick: str
    step: str
    min_qty: str
    status: str = "TRADING"
    funding: dict[int, float] = field(default_factory=dict)  # funding time (ms) -> rate
    funding_hours: int = 8
    risk: list[dict] = field(default_factory=list)  # Bybit risk-limit rows


class FakeExchange:
    """Fake Binance + Bybit public API on ``http://127.0.0.1:<free port>``.

    Use as a context manager; :attr:`url` is what ``--api-url`` (or ``api_url=``) takes.
    ``timeout_sleep_s`` is how long a "timeout" fault stalls (longer than the client's timeout);
    ``delay_s`` slows every data request (to kill a fetch mid-way).
    """

    def __init__(self, *, timeout_sleep_s: float = 1.0, delay_s: float = 0.0):
        self.spot: dict[str, SpotMarket] = {}
        self.usdm: dict[str, Contract] = {}
        self.coinm: dict[str, Contract] = {}
        self.bybit: dict[tuple[str, str], Contract] = {}
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.timeout_sleep_s = timeout_sleep_s
        self.delay_s = delay_s
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ---- fixtures -------------------------------------------------------------------------
    def add_spot(self, symbol: str, base: str, quote: str, closes: dict[int, float], *, status: str = "TRADING"):
        self.spot[symbol] = SpotMarket(base, quote, status, dict(closes))
        return self.spot[symbol]

    def add_usdm(self, symbol: str, base: str, *, funding=None, tick="0.01", step="0.001", min_qty="0.001",
                 status="TRADING", funding_hours=8):
        self.usdm[symbol] = Contract(base, "USDT", "USDT", 1.0, tick, step, min_qty, status, dict(funding or {}),
                                     funding_hours)
        return self.usdm[symbol]

    def add_coinm(self, symbol: str, base: str, *, contract_size=10.0, funding=None, tick="0.01", status="TRADING"):
        self.coinm[symbol] = Contract(base, "USD", base, contract_size, tick, "1", "1", status, dict(funding or {}))
        return self.coinm[symbol]

    def add_bybit(self, category: str, symbol: str, base: str, *, risk, funding=None, tick="0.05", step="1",
                  min_qty="1", funding_minutes=480, status="Trading"):
        quote = "USD" if category == "inverse" else "USDT"
        margin = base if category == "inverse" else "USDT"
        c = Contract(base, quote, margin, 1.0, tick, step, min_qty, status, dict(funding or {}), funding_minutes // 60,
                     list(risk))
        self.bybit[(category, symbol)] = c
        return c

    def fail(self, path: str, kind: str, times: int = 1, *, after: int = 0, retry_after: str = "0") -> None:
        """Answer ``times`` requests to ``path`` with a fault (see the module docstring), after letting
        ``after`` requests through."""
        with self._lock:
            self.faults.append(Fault(path, kind, times, retry_after, after))

    def requests_to(self, path: str) -> list[dict[str, str]]:
        with self._lock:
            return [q for p, q in self.requests if p == path]

    # ---- server ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake exchange first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "FakeExchange":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server API)
                fake._handle(self)

            def log_message(self, *args):  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeExchange":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- request handling -----------------------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for f in self.faults:
                if f.path == path and f.after > 0:
                    f.after -= 1
                    return None
                if f.path == path and f.times > 0:
                    f.times -= 1
                    return f
        return None

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            self.requests.append((parts.path, query))
        taken = self._take_fault(parts.path)
        fault = taken.kind if taken else None
        if fault == "drop":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "timeout":
            time.sleep(self.timeout_sleep_s)
        if fault == "429":
            return self._send(h, 429, {"code": -1003, "msg": "Too many requests; current limit is 2400 requests per minute."},
                              headers={"Retry-After": taken.retry_after})
        if fault == "500":
            return self._send(h, 500, {"code": -1000, "msg": "An unknown error occurred while processing the request."})
        if fault == "400":  # Binance's answer to a symbol it does not know
            return self._send(h, 400, {"code": -1121, "msg": "Invalid symbol."})
        if fault == "451":  # Binance's answer to a restricted location
            return self._send(h, 451, {"code": 0, "msg": "Service unavailable from a restricted location according "
                                       "to 'b. Eligibility' in https://www.binance.com/en/terms."})
        if fault == "malformed":
            return self._send_raw(h, 200, b"<html><body>gateway error", "application/json")
        route = _ROUTES.get(parts.path)
        if route is None:
            return self._send(h, 404, {"code": -1, "msg": f"no route {parts.path}"})
        if self.delay_s and not parts.path.endswith(("exchangeInfo", "instruments-info", "fundingInfo")):
            time.sleep(self.delay_s)
        status, body = route(self, query)
        self._send(h, status, body)

    @staticmethod
    def _send(h, status: int, body, headers=None) -> None:
        FakeExchange._send_raw(h, status, json.dumps(body).encode(), "application/json;charset=UTF-8", headers)

    @staticmethod
    def _send_raw(h, status: int, data: bytes, ctype: str, headers=None) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass

    # ---- Binance --------------------------------------------------------------------------
    def _binance_spot_info(self, query):
        symbols = [
            {
                "symbol": sym, "status": m.status, "baseAsset": m.base, "baseAssetPrecision": 8,
                "quoteAsset": m.quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
                "orderTypes": ["LIMIT", "MARKET"], "icebergAllowed": True, "ocoAllowed": True,
                "isSpotTradingAllowed": m.status == "TRADING", "isMarginTradingAllowed": False,
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": "0.01000000", "maxPrice": "1000000.00000000",
                     "tickSize": "0.01000000"},
                    {"filterType": "LOT_SIZE", "minQty": "0.00100000", "maxQty": "9000000.00000000",
                     "stepSize": "0.00100000"},
                ],
                "permissions": ["SPOT"],
            }
            for sym, m in self.spot.items()
        ]
        return 200, {"timezone": "UTC", "serverTime": int(time.time() * 1000), "rateLimits": [],
                     "exchangeFilters": [], "symbols": symbols}

    def _binance_klines(self, query):
        m = self.spot.get(query.get("symbol", ""))
        if m is None:
            return 400, {"code": -1121, "msg": "Invalid symbol."}
        start = int(query.get("startTime", 0))
        end = int(query.get("endTime", 2**62))
        limit = min(int(query.get("limit", 500)), 1000)
        rows, prev = [], None
        for t in sorted(m.klines):
            close = m.klines[t]
            if start <= t <= end and len(rows) < limit:
                o = close if prev is None else prev
                rows.append([t, _num(o), _num(max(o, close)), _num(min(o, close)), _num(close), "1000.00000000",
                             t + DAY_MS - 1, _num(1000 * close), 100, "500.00000000", _num(500 * close), "0"])
            prev = close
        return 200, rows

    def _binance_contract_info(self, contracts: dict[str, Contract], coin_m: bool):
        symbols = []
        for sym, c in contracts.items():
            entry = {
                "symbol": sym, "pair": sym.split("_")[0], "contractType": "PERPETUAL", "deliveryDate": 4133404800000,
                "onboardDate": 1596006000000, "baseAsset": c.base, "quoteAsset": c.quote, "marginAsset": c.margin,
                "pricePrecision": 2, "quantityPrecision": 0 if coin_m else 3, "baseAssetPrecision": 8,
                "quotePrecision": 8, "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000",
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "100000", "tickSize": c.tick},
                    {"filterType": "LOT_SIZE", "stepSize": c.step, "maxQty": "100000", "minQty": c.min_qty},
                    {"filterType": "MARKET_LOT_SIZE", "stepSize": c.step, "maxQty": "10000", "minQty": c.min_qty},
                ],
                "orderTypes": ["LIMIT", "MARKET"], "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
            }
            if coin_m:  # dapi: contractStatus and contractSize (ccxt binance.py sample, DOMAIN §2.1)
                entry.update({"contractStatus": c.status, "contractSize": int(c.contract_size)})
            else:  # fapi: status, no contractSize
                entry.update({"status": c.status, "underlyingType": "COIN"})
            symbols.append(entry)
        return 200, {"timezone": "UTC", "serverTime": int(time.time() * 1000), "rateLimits": [],
                     "exchangeFilters": [], "symbols": symbols}

    @staticmethod
    def _binance_funding(contracts: dict[str, Contract], query):
        c = contracts.get(query.get("symbol", ""))
        if c is None:
            return 400, {"code": -1121, "msg": "Invalid symbol."}
        start = int(query.get("startTime", 0))
        end = int(query.get("endTime", 2**62))
        limit = min(int(query.get("limit", 100)), 1000)
        times = [t for t in sorted(c.funding) if start <= t <= end][:limit]
        return 200, [{"symbol": query["symbol"], "fundingTime": t, "fundingRate": _num(c.funding[t]),
                      "markPrice": "2000.00000000"} for t in times]

    @staticmethod
    def _binance_funding_info(contracts: dict[str, Contract]):
        # Only symbols whose cap, floor or interval was adjusted are listed (Binance "Get Funding Info").
        return 200, [{"symbol": s, "adjustedFundingRateCap": "0.02500000", "adjustedFundingRateFloor": "-0.02500000",
                      "fundingIntervalHours": c.funding_hours, "disclaimer": False}
                     for s, c in contracts.items() if c.funding_hours != 8]

    # ---- Bybit v5 -------------------------------------------------------------------------
    @staticmethod
    def _bybit_ok(result):
        return 200, {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": int(time.time() * 1000)}

    def _bybit_instruments(self, query):
        category = query.get("category")
        if query.get("status") == "PreLaunch" or category not in ("linear", "inverse"):
            return self._bybit_ok({"category": category, "list": [], "nextPageCursor": ""})
        rows = []
        for (cat, sym), c in self.bybit.items():
            if cat != category:
                continue
            rows.append({
                "symbol": sym, "contractType": "InversePerpetual" if cat == "inverse" else "LinearPerpetual",
                "status": c.status, "baseCoin": c.base, "quoteCoin": c.quote, "launchTime": "1585526400000",
                "deliveryTime": "0", "deliveryFeeRate": "", "priceScale": "2",
                "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
                "priceFilter": {"minPrice": "0.50", "maxPrice": "999999.00", "tickSize": c.tick},
                "lotSizeFilter": {"maxOrderQty": "1000000", "minOrderQty": c.min_qty, "qtyStep": c.step,
                                  "postOnlyMaxOrderQty": "1000000"},
                "unifiedMarginTrade": True, "fundingInterval": c.funding_hours * 60, "settleCoin": c.margin,
                "copyTrading": "none", "upperFundingRate": "0.00375", "lowerFundingRate": "-0.00375",
            })
        return self._bybit_ok({"category": category, "list": rows, "nextPageCursor": ""})

    def _bybit_lookup(self, query):
        return self.bybit.get((query.get("category", ""), query.get("symbol", "")))

    def _bybit_risk(self, query):
        c = self._bybit_lookup(query)
        if c is None:
            return 200, {"retCode": 10001, "retMsg": "params error: symbol invalid", "result": {}, "retExtInfo": {},
                         "time": int(time.time() * 1000)}
        rows = [dict(r, symbol=query["symbol"]) for r in c.risk]
        return self._bybit_ok({"category": query["category"], "list": rows, "nextPageCursor": ""})

    def _bybit_funding(self, query):
        c = self._bybit_lookup(query)
        if c is None:
            return 200, {"retCode": 10001, "retMsg": "params error: symbol invalid", "result": {}, "retExtInfo": {},
                         "time": int(time.time() * 1000)}
        if "startTime" in query and "endTime" not in query:  # documented: startTime alone is an error
            return 200, {"retCode": 10001, "retMsg": "params error: endTime required", "result": {},
                         "retExtInfo": {}, "time": int(time.time() * 1000)}
        start = int(query.get("startTime", 0))
        end = int(query.get("endTime", 2**62))
        limit = min(int(query.get("limit", 200)), 200)
        times = [t for t in sorted(c.funding, reverse=True) if start <= t <= end][:limit]  # newest first
        rows = [{"symbol": query["symbol"], "fundingRate": str(c.funding[t]), "fundingRateTimestamp": str(t)}
                for t in times]
        return self._bybit_ok({"category": query["category"], "list": rows})


_ROUTES = {
    "/api/v3/exchangeInfo": FakeExchange._binance_spot_info,
    "/api/v3/klines": FakeExchange._binance_klines,
    "/fapi/v1/exchangeInfo": lambda self, q: self._binance_contract_info(self.usdm, coin_m=False),
    "/dapi/v1/exchangeInfo": lambda self, q: self._binance_contract_info(self.coinm, coin_m=True),
    "/fapi/v1/fundingRate": lambda self, q: self._binance_funding(self.usdm, q),
    "/dapi/v1/fundingRate": lambda self, q: self._binance_funding(self.coinm, q),
    "/fapi/v1/fundingInfo": lambda self, q: self._binance_funding_info(self.usdm),
    "/dapi/v1/fundingInfo": lambda self, q: self._binance_funding_info(self.coinm),
    "/v5/market/instruments-info": FakeExchange._bybit_instruments,
    "/v5/market/risk-limit": FakeExchange._bybit_risk,
    "/v5/market/funding/history": FakeExchange._bybit_funding,
}


# ---- fixtures from the bundled real data (data/market/, see its SOURCES.md) ---------------------
ROOT = Path(__file__).resolve().parents[1]
PRICES = ROOT / "data" / "market" / "prices_daily"
FUNDING = ROOT / "data" / "market" / "funding"


def day_ms(text: str) -> int:
    """``YYYY-MM-DD`` (UTC midnight) -> ms since the epoch."""
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp() * 1000)


def bundled_closes(ticker: str) -> dict[int, float]:
    """Daily closes of ``data/market/prices_daily/<TICKER>-USD.csv`` keyed by UTC day (ms)."""
    with (PRICES / f"{ticker}-USD.csv").open(newline="") as fh:
        return {day_ms(r["Date"]): float(r["Close"]) for r in csv.DictReader(fh)}


def bundled_funding(coin: str) -> dict[int, float]:
    """Binance USDⓈ-M funding of ``data/market/funding/<COIN>-USDT_...csv`` keyed by UTC settlement (ms).

    The file's dates are naive UTC+3 with a 1 ms jitter (SOURCES.md §2): minus 3 h, floored to the hour.
    """
    path = next(FUNDING.glob(f"{coin}-USDT_binance_*.csv"))
    out = {}
    with path.open(newline="") as fh:
        for r in csv.DictReader(fh):
            local = day_ms(r["Date"][:10]) + int(r["Date"][11:13]) * HOUR_MS
            out[local - 3 * HOUR_MS] = float(r["Funding Rate"])
    return out
