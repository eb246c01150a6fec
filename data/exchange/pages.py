"""An exchange's bars of one market and timeframe, a page at a time, in time order.

A page is asked from the bar after the last one taken (`since`): that finds the first bar of
the history and steps over gaps. On an exchange whose bar requests take both ends of a time
window (RAW_KLINES), the pages after it are asked as windows of `page_bars` periods, which
cannot hold more than a page, several in flight at once, each on a copy of the exchange (its
own connection and rate-limit share): the exchange serves one while the last is checked and
stored. They are still taken in time order. An empty window may be a gap or the end of the
history: the windows stop there and a page asked `since` tells which.
"""

from __future__ import annotations

import copy
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from data.exchange.client import Market, checked
from data.exchange.rows import closed_page, klines_json, when
from engine.timeframes import period_ns
from engine.units import NS_PER_MS

WINDOWS_IN_FLIGHT = 4
# Exchanges whose kline requests take startTime and endTime and whose rows are Binance's
# ([open ms, "open", "high", "low", "close", "volume", close ms, ...]), by the ccxt method
# of their spot klines endpoint.
RAW_KLINES = {"binance": "publicGetKlines", "binanceus": "publicGetKlines"}


def page_rows(exchange, symbol: str, timeframe: str, since_ms: int, until_ms: int,
              limit: int) -> list:  # fmt: skip
    """A page of OHLCV rows ([ms, o, h, l, c, v, ...], ...) from `since_ms` on, none after
    `until_ms`: ccxt's `fetch_ohlcv`, or on an exchange of RAW_KLINES the same request
    through ccxt's raw endpoint, its rows left as the exchange sent them (ccxt's parsing
    of each field in Python took twice what the exchange took to serve them; the rows are
    read into columns in one numpy call either way)."""
    raw = RAW_KLINES.get(exchange.id)
    if raw is None:
        return exchange.fetch_ohlcv(symbol, timeframe, since=since_ms, limit=limit,
                                    params={"until": until_ms})  # fmt: skip
    request = {"symbol": exchange.market(symbol)["id"], "limit": limit,
               "interval": exchange.timeframes[timeframe], "startTime": since_ms,
               "endTime": until_ms}  # fmt: skip
    return getattr(exchange, raw)(request)


def _copy_of(exchange, share: int):
    """`exchange` again with its own HTTP session and 1/`share` of its request rate, its
    replies of kline rows read straight into columns (it asks for nothing else)."""
    from data.exchange.session import EnvironmentOnce

    twin = copy.copy(exchange)
    twin.session = EnvironmentOnce()
    twin.rateLimit = exchange.rateLimit * share
    twin.on_json_response = klines_json  # ccxt's hook for decoding a reply
    return twin


class Pages:
    """The closed bars of `market_` in `timeframe`, a page (of at most `page_bars`) at a time;
    `fetched` requests made, `retries` retried."""

    def __init__(self, exchange, market_: Market, timeframe: str, retrying,
                 page_bars: int) -> None:  # fmt: skip
        self.exchange, self.market, self.timeframe = exchange, market_, timeframe
        self.retrying, self.page_bars = retrying, page_bars
        self.period = period_ns(timeframe)
        self.name = f"{exchange.id} {market_.symbol} {timeframe}"
        self.fetched = 0
        self._counting = threading.Lock()  # windows count their requests from threads
        self._twins: list = []

    @property
    def retries(self) -> int:
        return self.retrying.retries + sum(r.retries for _, r in self._twins)

    def _page(self, exchange, retrying, start: int, until_ns: int):
        """The closed bars of one request from `start` (ns) to `until_ns`; None when the
        exchange had no rows."""
        rows = retrying(
            f"fetch_ohlcv {self.market.symbol} {self.timeframe} from {when(start)}",
            lambda: checked(exchange, lambda: page_rows(
                exchange, self.market.symbol, self.timeframe, start // NS_PER_MS,
                (until_ns - 1) // NS_PER_MS, self.page_bars)),
        )  # fmt: skip
        with self._counting:
            self.fetched += 1
        return closed_page(rows, start, until_ns, self.period, self.name) if rows else None

    def closed(self, cursor: int, until_ns: int):
        """The checked closed bars from `cursor` to `until_ns`, in time order, until the
        exchange has no more."""
        windowed = self.exchange.id in RAW_KLINES
        while cursor + self.period <= until_ns:  # a closed bar is left to fetch
            bars = self._page(self.exchange, self.retrying, cursor, until_ns)
            if bars is None or len(bars) == 0:
                return  # nothing more on the exchange
            yield bars
            cursor = int(bars.ts_ns[-1]) + self.period
            if windowed:
                cursor = yield from self._windows(cursor, until_ns)

    def _windows(self, cursor: int, until_ns: int):
        """Windows of a page's span from `cursor`, WINDOWS_IN_FLIGHT at once, their bars in
        time order up to the first empty one; the time after the last bar taken (or
        `cursor`)."""
        span = self.page_bars * self.period
        if not self._twins:
            twins = [_copy_of(self.exchange, WINDOWS_IN_FLIGHT) for _ in range(WINDOWS_IN_FLIGHT)]
            self._twins = [(twin, self.retrying.again(twin)) for twin in twins]
        starts = iter(range(cursor, until_ns - self.period + 1, span))
        in_flight: deque = deque()
        with ThreadPoolExecutor(WINDOWS_IN_FLIGHT, thread_name_prefix="candleterm-fetch") as pool:

            def ask_next(k: int) -> None:
                """The next window, on twin k (free: its last window was taken)."""
                start = next(starts, None)
                if start is not None:
                    twin, retrying = self._twins[k]
                    in_flight.append((k, pool.submit(self._page, twin, retrying, start,
                                                     min(start + span, until_ns))))  # fmt: skip

            try:
                for k in range(WINDOWS_IN_FLIGHT):
                    ask_next(k)
                while in_flight:
                    k, future = in_flight.popleft()
                    bars = future.result()
                    if bars is None or len(bars) == 0:
                        return cursor  # a gap, or the end: asked `since` next
                    yield bars
                    cursor = int(bars.ts_ns[-1]) + self.period
                    ask_next(k)
            finally:
                for _, future in in_flight:
                    future.cancel()
        return cursor
