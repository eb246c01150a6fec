"""A local fake of Binance's spot REST API, as much of it as ccxt calls for markets and bar
history, in Binance's documented wire format (`GET /api/v3/exchangeInfo`, `GET
/api/v3/klines`, `GET /api/v3/time`), on 127.0.0.1 from a thread of its own. Tests point ccxt
at it (`open_exchange("binance", fake.url)`) and inject what real exchanges do: a 429 with
Retry-After, a 5xx, a garbled body, an endpoint that is not there."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import numpy as np
from aiohttp import web

from engine.bars import Bars

MAX_LIMIT = 1000
DEFAULT_LIMIT = 500


def _market(symbol: str, base: str, quote: str, tick: str) -> dict:
    return {
        "symbol": symbol, "status": "TRADING", "baseAsset": base, "baseAssetPrecision": 8,
        "quoteAsset": quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "MARKET"], "icebergAllowed": True, "ocoAllowed": True,
        "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000.00",
             "tickSize": tick},
            {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000.00",
             "stepSize": "0.00001"},
        ],
        "permissions": [], "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "NONE", "allowedSelfTradePreventionModes": ["NONE"],
    }  # fmt: skip


class FakeBinance:
    """Serves `klines` (1m bars of BTCUSDT) until `stop()`. `faults` maps an endpoint
    ("klines", "exchangeInfo") to the replies to give instead of the next requests, in
    order: "ok" (answered as usual), "429" (Retry-After: `retry_after_s`), "500", "garbled".

    A live market instead (`klines` None): trades `trade()` puts on its tape go out on the
    trade stream (`/ws`, Binance's SUBSCRIBE protocol) to whoever is connected, and klines
    are the tape's minutes up to the market's clock, `clock_ns()`: from `start_ns`, `scale`
    times as fast as the wall clock. `disconnect()` drops every stream."""

    def __init__(self, klines: Bars | None = None, retry_after_s: float = 1.0,
                 start_ns: int | None = None, scale: float = 1.0) -> None:  # fmt: skip
        self.tape: list[tuple[int, int, float, float]] = []  # id, ms, price, qty
        self._ids: set[int] = set()
        self._streams: list = []
        self._wall0 = time.time_ns()
        self._start_ns = self._wall0 if start_ns is None else start_ns
        self.scale = scale
        self.subscriptions = 0
        self.down = False  # an outage: every request refused (503), streams too
        self.klines = klines
        self._open_ms = None if klines is None else klines.ts_ns // 1_000_000
        self.faults: dict[str, list[str]] = {}
        self.retry_after_s = retry_after_s
        self.requests: list[str] = []
        self.serving_s = 0.0  # time spent answering klines (the fake's own cost)
        self.latency_s = 0.0  # added to every klines reply
        self.in_flight = self.most_in_flight = 0  # klines requests being answered at once
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-binance", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake exchange did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- server ------------------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/api/v3/exchangeInfo", self._exchange_info)
        app.router.add_get("/api/v3/klines", self._klines)
        app.router.add_get("/api/v3/time", self._time)
        app.router.add_get("/fake/serving", self._serving)  # the fake's own cost, for benches
        app.router.add_get("/ws", self._stream)
        app.router.add_get("/ws/{tail:.*}", self._stream)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        async def shutdown() -> None:
            await self._runner.cleanup()
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop)
        self._thread.join(10)
        self._loop.close()

    def _fault(self, endpoint: str, request: web.Request) -> web.Response | None:
        self.requests.append(request.path_qs)
        if self.down:
            return web.Response(status=503, text="Service Unavailable")
        pending = self.faults.get(endpoint)
        if not pending:
            return None
        kind = pending.pop(0)
        if kind == "ok":
            return None
        if kind == "429":
            body = {"code": -1003, "msg": "Too many requests; current limit is 6000 weight."}
            return web.json_response(
                body, status=429, headers={"Retry-After": f"{self.retry_after_s:g}"}
            )
        if kind == "500":
            return web.Response(status=502, text="<html>Bad Gateway</html>")
        if kind == "garbled":
            return web.Response(
                status=200, text='[[1640995200000,"46216.9"', content_type="application/json"
            )
        raise ValueError(f"unknown fault {kind!r}")

    async def _exchange_info(self, request: web.Request) -> web.Response:
        fault = self._fault("exchangeInfo", request)
        if fault is not None:
            return fault
        return web.json_response({
            "timezone": "UTC", "serverTime": int(time.time() * 1000), "rateLimits": [],
            "exchangeFilters": [],
            "symbols": [_market("BTCUSDT", "BTC", "USDT", "0.01"),
                        _market("ETHUSDT", "ETH", "USDT", "0.01")],
        })  # fmt: skip

    async def _time(self, request: web.Request) -> web.Response:
        fault = self._fault("time", request)
        if fault is not None:
            return fault
        return web.json_response({"serverTime": self.clock_ns() // 1_000_000})

    # -- the live market ---------------------------------------------------------------------

    def clock_ns(self) -> int:
        return self._start_ns + int((time.time_ns() - self._wall0) * self.scale)

    def trade(self, trade_id: int, ts_ms: int, price: float, qty: float,
              stream: bool = True) -> None:  # fmt: skip
        """A trade on the tape, sent to the connected streams (unless `stream` is False: a
        trade the stream misses). The same trade again is sent again (a duplicate on the
        wire), not traded twice."""
        if trade_id not in self._ids:
            self._ids.add(trade_id)
            self.tape.append((trade_id, ts_ms, price, qty))
        if stream:
            self.send({"e": "trade", "E": ts_ms, "s": "BTCUSDT", "t": trade_id,
                       "p": f"{price:.8f}", "q": f"{qty:.8f}", "T": ts_ms, "m": False,
                       "M": True})  # fmt: skip

    def send(self, message: dict) -> None:
        text = json.dumps(message)
        for ws in list(self._streams):
            asyncio.run_coroutine_threadsafe(ws.send_str(text), self._loop).result(5)

    def disconnect(self) -> None:
        for ws in list(self._streams):
            asyncio.run_coroutine_threadsafe(ws.close(), self._loop).result(5)

    def connected(self) -> int:
        return len(self._streams)

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        if self.down:  # an outage
            return web.Response(status=503, text="Service Unavailable")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            data = json.loads(message.data)
            if data.get("method") == "SUBSCRIBE":
                self.subscriptions += 1
                await ws.send_str(json.dumps({"result": None, "id": data["id"]}))
                self._streams.append(ws)
        if ws in self._streams:
            self._streams.remove(ws)
        return ws

    def _tape_klines(self) -> Bars:
        """The tape's 1m bars up to the market's clock (the last one still forming)."""
        rows = sorted(self.tape, key=lambda r: (r[1], r[0]))
        rows = [r for r in rows if r[1] * 1_000_000 <= self.clock_ns()]
        if not rows:
            return Bars.from_arrays(*([] for _ in range(6)))
        ms = np.array([r[1] for r in rows], dtype=np.int64)
        price = np.array([r[2] for r in rows])
        qty = np.array([r[3] for r in rows])
        minute = ms // 60_000
        starts = np.flatnonzero(np.r_[True, minute[1:] != minute[:-1]])
        ends = np.r_[starts[1:], len(ms)]
        return Bars.from_arrays(minute[starts] * 60_000 * 1_000_000, price[starts],
                                np.maximum.reduceat(price, starts),
                                np.minimum.reduceat(price, starts), price[ends - 1],
                                np.add.reduceat(qty, starts))  # fmt: skip

    async def _serving(self, request: web.Request) -> web.Response:
        return web.json_response({"serving_s": self.serving_s, "cpu_s": time.process_time()})

    async def _klines(self, request: web.Request) -> web.Response:
        fault = self._fault("klines", request)
        if fault is not None:
            return fault
        started = time.perf_counter()
        if self.klines is None:  # a live market: its tape's minutes so far
            self.klines_now = self._tape_klines()
            k_open = self.klines_now.ts_ns // 1_000_000
        else:
            self.klines_now, k_open = self.klines, self._open_ms
        q = request.query
        if q.get("symbol") != "BTCUSDT" or q.get("interval") != "1m":
            return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)
        limit = min(int(q.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
        a = int(np.searchsorted(k_open, int(q.get("startTime", 0))))
        b = len(k_open)
        if "endTime" in q:
            b = int(np.searchsorted(k_open, int(q["endTime"]), side="right"))
        b = min(b, a + limit)
        k = self.klines_now
        rows = [[int(t), f"{o:.8f}", f"{h:.8f}", f"{lo:.8f}", f"{c:.8f}", f"{v:.8f}",
                 int(t) + 59_999, "0", 1, "0", "0", "0"]
                for t, o, h, lo, c, v in zip(k_open[a:b].tolist(), k.open[a:b].tolist(),
                                             k.high[a:b].tolist(), k.low[a:b].tolist(),
                                             k.close[a:b].tolist(), k.volume[a:b].tolist(),
                                             strict=True)]  # fmt: skip
        body = json.dumps(rows)
        self.serving_s += time.perf_counter() - started
        if self.latency_s:  # a distant exchange: the reply takes a while to arrive
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            await asyncio.sleep(self.latency_s)
            self.in_flight -= 1
        return web.Response(text=body, content_type="application/json")
