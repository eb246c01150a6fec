"""The exchange feed: live trades of one market through ccxt.pro's `watch_trades` (a
websocket), on a thread with an asyncio loop of its own, into the tick ring.

Exchange time, not the local clock: trades carry the exchange's timestamps, and bars seal by
the local clock plus the measured offset to the exchange's (`fetch_time`), shown in the state.
Duplicate trades (an id seen before) are dropped and counted. The minutes the stream did not
see are filled with the exchange's own 1m bars through REST, handed to the live pipeline
(`bars_out`): on start, from the minute after `resume_after_ns` (its maker passes the one
before the last stored minute, which a terminal that quit within it stored partial; a series
new to the store opens with the exchange's last NEW_SERIES_FILL_NS of bars); after a
disconnect, from the minute of the last trade received. The first minute after a
(re)connection is partial (its trades before the subscription are missing), and so may be
the minutes between the last one filled and it: they are replaced by the exchange's bars once
they have closed.
On a disconnect the feed reconnects with exponential backoff and jitter, and says so.
"""

from __future__ import annotations

import asyncio
import collections
import random
import threading
import time
from collections.abc import Callable

import numpy as np

from data.exchange.client import failure_words, open_exchange
from data.exchange.rows import closed_page
from data.store.files import first_line
from engine.ring import TickRing
from engine.units import NS_PER_MIN, NS_PER_MS

BACKOFF_S = (1.0, 30.0)  # the first wait before reconnecting, and the longest
SETTLE_NS = 5 * 1_000_000_000  # a minute is the exchange's to finish this long after its end
RECHECK_S = 1.0
SEEN_IDS = 100_000  # trade ids remembered to drop duplicates
PAGE_BARS = 1000
NEW_SERIES_FILL_NS = 24 * 60 * NS_PER_MIN  # a day: a new series is not an empty chart


def _wont_pass() -> tuple:
    import ccxt

    return (ccxt.BadSymbol, ccxt.BadRequest, ccxt.AuthenticationError, ccxt.PermissionDenied,
            ccxt.NotSupported)  # fmt: skip


class ExchangeFeed:
    """Live trades of `symbol` (unified, BTC/USDT) on exchange `exchange_id`."""

    pausable = False
    steps = False

    def __init__(
        self,
        exchange_id: str,
        symbol: str,
        ring: TickRing,
        bars_out: Callable[[object], None],
        *,
        url: str | None = None,
        resume_after_ns: int | None = None,
        clock: Callable[[], int] = time.time_ns,
        backoff_s: tuple[float, float] = BACKOFF_S,
    ) -> None:
        self.exchange_id, self.symbol, self.ring = exchange_id, symbol, ring
        self._bars_out = bars_out
        self._url = url
        self._resume_after_ns = resume_after_ns  # the last stored 1m bar
        self._clock = clock
        self._backoff_s = backoff_s
        self.offset_ns = 0  # exchange clock - local clock
        self.trades = 0
        self.duplicates = 0
        self.reconnects = 0
        self.backfilled_bars = 0
        self.last_rejection = ""
        self._state = "connecting"
        self._seen: collections.deque = collections.deque(maxlen=SEEN_IDS)
        self._seen_set: set = set()
        self._last_trade_ns: int | None = None
        # Minutes [recheck_from, recheck_until) may lack trades (before the subscription):
        # replaced by the exchange's bars once they have closed.
        self._recheck_from: int | None = None
        self._recheck_until: int | None = None
        self._fresh = True  # no trade taken since the (re)connection
        self._filled_to: int | None = None  # the last minute filled from the exchange's bars
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._gave_up = False  # a failure no retry passes: the state says it
        self.error = ""

    # -- the Feed port -----------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return False

    @property
    def rejected(self) -> int:
        return self.duplicates

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def step(self) -> int:
        return 0

    def set_speed(self, speed: float) -> None: ...

    def now_ns(self) -> int:
        return self._clock() + self.offset_ns

    def state(self) -> str:
        offset = f", clock {self.offset_ns / 1e6:+.0f} ms" if self._state == "live" else ""
        return f"{self.exchange_id} {self.symbol} {self._state}{offset}"

    @property
    def ok(self) -> bool:
        return not self._state.startswith(("stopped", "reconnecting"))

    def start(self) -> None:
        """Start (or, after a failure, start again from the last minute known whole)."""
        self._stopping = False
        self._fresh = True
        self._resume_after_ns = self._whole_until(self._resume_after_ns)
        self._thread = threading.Thread(target=self._run, name="candleterm-exchange", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping = True
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def ensure_running(self) -> bool:
        """Start the thread again if it died of a failure that may pass (not of an unknown
        market, which a restart would only meet again)."""
        if self._stopping or self._gave_up or self._thread is None or self._thread.is_alive():
            return False
        self.start()
        return True

    # -- the stream --------------------------------------------------------------------------

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)  # this thread's, for ccxt and for the clean-up
        try:
            self._task = self._loop.create_task(self._main())
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # said in the status bar; the session restarts the thread
            self.error = first_line(exc)
            self._state = f"stopped: {self.error}"
        finally:  # ccxt's own tasks (a connection being opened) end with the loop
            left = asyncio.all_tasks(self._loop)
            for task in left:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
            self._loop.close()

    async def _main(self) -> None:
        import ccxt

        wont_pass = _wont_pass()  # ccxt's exception classes, imported with it

        exchange = open_exchange(self.exchange_id, self._url, streaming=True)
        fill_after = self._resume_after_ns  # the last minute known whole: fill from the next
        new_series = fill_after is None
        attempt = 0
        checker = asyncio.get_running_loop().create_task(self._keep_rechecking(exchange))
        try:
            while not self._stopping:
                try:
                    if fill_after is not None or new_series:  # on start, after a disconnect
                        await self._sync_clock(exchange)
                        if new_series:  # by the exchange's clock: the day before now
                            start = self.now_ns() // NS_PER_MIN * NS_PER_MIN - NEW_SERIES_FILL_NS
                            fill_after, new_series = start - NS_PER_MIN, False
                        self._recheck_from = await self._backfill(exchange, fill_after)
                        fill_after = None
                    trades = await exchange.watch_trades(self.symbol)
                except wont_pass as exc:  # an unknown market, a refused request: said, ended
                    self.error = first_line(exc)
                    self._state = f"stopped: {self.error}"
                    self._gave_up = True
                    return
                except (ccxt.NetworkError, ccxt.ExchangeError) as exc:
                    delay = min(self._backoff_s[1], self._backoff_s[0] * 2**attempt)
                    delay *= random.uniform(0.5, 1.0)
                    attempt += 1
                    self.reconnects += 1
                    self.last_rejection = failure_words(exc)
                    self._state = f"reconnecting in {delay:.0f} s"
                    self._fresh = True
                    fill_after = self._whole_until(fill_after)
                    await asyncio.sleep(delay)
                    continue
                attempt = 0
                self._state = "live"
                self._take(trades)
        finally:
            checker.cancel()
            await exchange.close()

    async def _keep_rechecking(self, exchange) -> None:
        """`_recheck` once a second, trades or none (a quiet market still closes minutes)."""
        import ccxt

        while True:
            await asyncio.sleep(RECHECK_S)
            try:
                await self._recheck(exchange)
            except ccxt.BaseError:  # the exchange is away: the reconnection fills it
                continue

    def _whole_until(self, pending: int | None) -> int | None:
        """The last minute known whole after a disconnect: the one before the last trade's
        (the stream may have caught only part of it), else the last one filled, or what was
        still to fill."""
        known = self._filled_to
        if self._last_trade_ns is not None:
            before_last = self._last_trade_ns // NS_PER_MIN * NS_PER_MIN - NS_PER_MIN
            known = before_last if known is None else max(known, before_last)
        if known is None:
            return pending
        return known if pending is None else min(pending, known)

    async def _sync_clock(self, exchange) -> None:
        """The offset of the exchange's clock from ours (`fetch_time`, halfway through)."""
        import ccxt

        if not exchange.has.get("fetchTime"):
            return
        before = self._clock()
        try:
            server_ms = await exchange.fetch_time()
        except ccxt.BaseError:
            return  # kept as it was
        after = self._clock()
        self.offset_ns = int(server_ms) * NS_PER_MS - (before + after) // 2

    def _take(self, trades: list[dict]) -> None:
        """New trades into the ring (an id seen before is dropped)."""
        rows = []
        for trade in trades:
            key = trade.get("id")
            if key is not None:
                if key in self._seen_set:
                    self.duplicates += 1
                    continue
                if len(self._seen) == self._seen.maxlen:
                    self._seen_set.discard(self._seen[0])
                self._seen.append(key)
                self._seen_set.add(key)
            rows.append((int(trade["timestamp"]) * NS_PER_MS, float(trade["price"]),
                         float(trade["amount"] or 0.0)))  # fmt: skip
        if not rows:
            return
        ts, price, qty = (np.array(col) for col in zip(*rows, strict=True))
        self.ring.write_all(ts.astype(np.int64), price, qty, timeout_s=1.0)
        self.trades += len(rows)
        first_minute = int(ts.min()) // NS_PER_MIN * NS_PER_MIN
        if self._fresh:  # the first trades since (re)connecting: their minute is partial
            self._recheck_until = first_minute + NS_PER_MIN
            if self._recheck_from is None or self._recheck_from > first_minute:
                self._recheck_from = first_minute
            self._fresh = False
        self._last_trade_ns = max(int(ts.max()), self._last_trade_ns or 0)

    async def _recheck(self, exchange) -> None:
        """The minutes the stream may have missed part of, from the exchange, once closed."""
        first, stop = self._recheck_from, self._recheck_until
        if first is None or stop is None or self.now_ns() < stop + SETTLE_NS:
            return
        await self._backfill(exchange, first - NS_PER_MIN, until_ns=stop)
        if (self._recheck_from, self._recheck_until) == (first, stop):  # no reconnect since
            self._recheck_from = self._recheck_until = None

    async def _backfill(self, exchange, after_ns: int | None,
                        until_ns: int | None = None) -> int | None:  # fmt: skip
        """The exchange's closed 1m bars after `after_ns` (up to `until_ns`, default: those
        settled by now) to the pipeline, a page at a time; the first minute not filled."""
        if after_ns is None:
            return None
        cursor = after_ns + NS_PER_MIN
        until_ns = self.now_ns() - SETTLE_NS if until_ns is None else until_ns
        if self._state != "live":
            self._state = f"backfilling {_span(until_ns - cursor)}"
        while cursor + NS_PER_MIN <= until_ns:
            rows = await exchange.fetch_ohlcv(self.symbol, "1m", since=cursor // NS_PER_MS,
                                              limit=PAGE_BARS,
                                              params={"until": until_ns // NS_PER_MS})  # fmt: skip
            if not rows:
                return cursor
            bars = closed_page(rows, cursor, until_ns, NS_PER_MIN,
                               f"{self.exchange_id} {self.symbol} 1m")  # fmt: skip
            if len(bars) == 0:
                return cursor
            self._bars_out(bars)
            self.backfilled_bars += len(bars)
            cursor = int(bars.ts_ns[-1]) + NS_PER_MIN
            self._filled_to = max(self._filled_to or 0, cursor - NS_PER_MIN)
        return cursor


def _span(ns: int) -> str:
    minutes = max(ns, 0) / NS_PER_MIN
    if minutes < 120:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.0f} h" if minutes < 2880 else f"{minutes / 1440:.0f} days"
