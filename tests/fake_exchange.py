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
    order: "429" (Retry-After: `retry_after_s`), "500", "garbled"."""

    def __init__(self, klines: Bars, retry_after_s: float = 1.0) -> None:
        self.klines = klines
        self._open_ms = klines.ts_ns // 1_000_000
        self.faults: dict[str, list[str]] = {}
        self.retry_after_s = retry_after_s
        self.requests: list[str] = []
        self.serving_s = 0.0  # time spent answering klines (the fake's own cost)
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
        pending = self.faults.get(endpoint)
        if not pending:
            return None
        kind = pending.pop(0)
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
        self.requests.append(request.path_qs)
        return web.json_response({"serverTime": int(time.time() * 1000)})

    async def _klines(self, request: web.Request) -> web.Response:
        fault = self._fault("klines", request)
        if fault is not None:
            return fault
        started = time.perf_counter()
        q = request.query
        if q.get("symbol") != "BTCUSDT" or q.get("interval") != "1m":
            return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)
        limit = min(int(q.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
        a = int(np.searchsorted(self._open_ms, int(q.get("startTime", 0))))
        b = len(self._open_ms)
        if "endTime" in q:
            b = int(np.searchsorted(self._open_ms, int(q["endTime"]), side="right"))
        b = min(b, a + limit)
        k = self.klines
        rows = [[int(t), f"{o:.8f}", f"{h:.8f}", f"{lo:.8f}", f"{c:.8f}", f"{v:.8f}",
                 int(t) + 59_999, "0", 1, "0", "0", "0"]
                for t, o, h, lo, c, v in zip(self._open_ms[a:b].tolist(), k.open[a:b].tolist(),
                                             k.high[a:b].tolist(), k.low[a:b].tolist(),
                                             k.close[a:b].tolist(), k.volume[a:b].tolist(),
                                             strict=True)]  # fmt: skip
        body = json.dumps(rows)
        self.serving_s += time.perf_counter() - started
        return web.Response(text=body, content_type="application/json")
