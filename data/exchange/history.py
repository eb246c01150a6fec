"""An exchange's bar history into the store: through ccxt a page at a time, in time order
(`data.exchange.pages`: on Binance several in flight), within the exchange's rate limit,
every page checked as an import is and written as it comes, so an interrupted fetch keeps
what it stored and a rerun continues after the last stored bar.

Only closed bars are stored (a bar is closed once its period has ended by the exchange's
clock); the series is `EXCHANGE:SYMBOL` (BINANCE:BTC/USDT) with its source recorded.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from data.exchange.client import failure_words, market, ohlcv_timeframe
from data.exchange.pages import Pages
from data.exchange.rows import when
from data.store import BarStore, Instrument
from data.store.files import first_line
from data.store.provenance import Source, SourceKind
from engine.bars import Bars, concat
from engine.timeframes import is_intraday, period_ns
from engine.units import NS_PER_MS

PAGE_BARS = 1000
WRITE_BARS = 200_000  # pages are written to the store in batches of about this many bars,
WRITE_EVERY_S = 2.0  # ... or this often,
LAST_WRITE_BARS = 5_000  # ... or, near the end, of as many as are left to fetch (at least this)
MAX_ATTEMPTS = 6
BACKOFF_S = (1.0, 30.0)  # the first wait after a failure, and the longest


@dataclasses.dataclass
class FetchReport:
    series: str
    timeframe: str
    written: int = 0
    pages: int = 0
    retries: int = 0
    resumed_after_ns: int | None = None  # the last bar stored before this fetch
    first_ns: int | None = None
    last_ns: int | None = None

    def summary(self) -> str:
        if not self.written:
            return f"{self.series} {self.timeframe}: up to date, no new closed bars"
        span = f"{when(self.first_ns)} .. {when(self.last_ns)}"
        resumed = (f", continuing after {when(self.resumed_after_ns)}"
                   if self.resumed_after_ns is not None else "")  # fmt: skip
        retried = f", {self.retries} retries" if self.retries else ""
        return (f"{self.series} {self.timeframe}: {self.written:,} bars {span} in "
                f"{self.pages} pages{resumed}{retried}")  # fmt: skip


class Retrying:
    """Calls to the exchange, retried on what passes (rate limits, 5xx, timeouts, a garbled
    response): after a 429 as long as its Retry-After says, otherwise exponential backoff with
    jitter; `wait(seconds, why)` is told of each wait."""

    def __init__(self, exchange, sleep=time.sleep, wait: Callable | None = None,
                 max_attempts: int = MAX_ATTEMPTS) -> None:  # fmt: skip
        self.exchange = exchange
        self._sleep = sleep
        self._wait = wait
        self.max_attempts = max_attempts
        self.retries = 0

    def again(self, exchange) -> Retrying:
        """The same retrying (waits, attempts) of calls to `exchange`, counted apart."""
        return Retrying(exchange, self._sleep, self._wait, self.max_attempts)

    def __call__(self, what: str, call: Callable):
        import ccxt

        for attempt in range(self.max_attempts):
            try:
                return call()
            except ccxt.NotSupported as exc:
                raise ValueError(f"{self.exchange.id} does not support {what}: "
                                 f"{first_line(exc)}") from None  # fmt: skip
            except (ccxt.NetworkError, ccxt.BadResponse) as exc:
                if attempt + 1 == self.max_attempts:
                    raise ValueError(
                        f"{self.exchange.id} failed {self.max_attempts} times on {what}: "
                        f"{failure_words(exc)}"
                    ) from None
                seconds = self._delay(exc, attempt)
                self.retries += 1
                if self._wait is not None:
                    self._wait(seconds, first_line(exc))
                self._sleep(seconds)
        raise AssertionError("unreachable")

    def _delay(self, exc: Exception, attempt: int) -> float:
        import ccxt

        if isinstance(exc, ccxt.DDoSProtection):  # 429 / 418: the exchange says how long
            headers = self.exchange.last_response_headers or {}
            after = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
            try:
                return min(max(float(after), 0.0), 600.0)
            except (TypeError, ValueError):
                pass
        first, longest = BACKOFF_S
        return min(longest, first * 2**attempt) * random.uniform(0.5, 1.0)


def fetch_history(
    store: BarStore,
    exchange,
    symbol: str,
    since_ns: int,
    until_ns: int | None = None,
    timeframe: str = "1m",
    progress: Callable[[str, float], None] | None = None,
    retrying: Retrying | None = None,
    page_bars: int = PAGE_BARS,
) -> FetchReport:
    """Store `symbol`'s closed `timeframe` bars from `since_ns` to `until_ns` (default: now,
    by the exchange's clock). A series already stored from `since_ns` or before continues
    after its last bar; bars stored again are replaced by the same bars (no duplicates)."""
    # The span first: it is the user's to fix, before the exchange is asked anything (its
    # markets were loaded first, and without a network the span's error was never seen).
    now_ns = int(exchange.milliseconds()) * NS_PER_MS
    if until_ns is not None and int(since_ns) >= int(until_ns):
        raise ValueError(f"--since {when(since_ns)} is not before --until {when(until_ns)}: "
                         "give the until after the since")  # fmt: skip
    if int(since_ns) >= now_ns:
        raise ValueError(f"--since {when(since_ns)} is not before {exchange.id}'s now "
                         f"({when(now_ns)} UTC): there is no history there yet")  # fmt: skip
    market_ = market(exchange, symbol)
    timeframe = ohlcv_timeframe(exchange, timeframe)
    if not is_intraday(timeframe):
        raise ValueError(f"fetch intraday bars (1m to 4h); {timeframe} bars are derived from them")
    period = period_ns(timeframe)
    until_ns = now_ns if until_ns is None else min(int(until_ns), now_ns)
    report = FetchReport(market_.series, timeframe)
    cursor = -(-int(since_ns) // period) * period  # the first bar opening at or after since
    stored = store.time_range(market_.series, timeframe)
    if stored is not None and stored[0] <= cursor <= stored[1]:
        report.resumed_after_ns = stored[1]
        cursor = stored[1] + period
    instrument = Instrument(market_.series, "24x7", "UTC", market_.tick_size,
                            f"{symbol} on {exchange.id}")  # fmt: skip
    batch = _Batch(store, market_.series, timeframe, instrument,
                   Source(SourceKind.EXCHANGE, exchange.id))  # fmt: skip
    pages = Pages(exchange, market_, timeframe, retrying or Retrying(exchange), page_bars)
    try:
        for bars in pages.closed(cursor, until_ns):
            batch.add(bars, left=(until_ns - int(bars.ts_ns[-1])) // period - 1)
            report.pages = pages.fetched
            report.first_ns = int(bars.ts_ns[0]) if report.first_ns is None else report.first_ns
            report.last_ns = int(bars.ts_ns[-1])
            if progress is not None:
                done = (report.last_ns + period - cursor) / max(until_ns - cursor, 1)
                progress(f"{market_.series} {timeframe}", done)
    finally:
        batch.close()  # what was fetched is stored, whatever stopped the fetch
    report.pages = pages.fetched
    report.written = batch.written
    report.retries = pages.retries
    return report


class _Batch:
    """Fetched pages on their way to the store, written together (a transaction costs as
    much as fetching several pages) every WRITE_BARS bars or WRITE_EVERY_S seconds, on a
    thread of their own: the store works while the next pages are fetched (DuckDB lets
    other threads run while it writes). Near the end a batch is written once it holds as
    many bars as are left to fetch, so the write the fetch waits for at its end is small.
    One batch is written at a time, in time order; a write that failed raises at the next
    `add` or at `close`."""

    def __init__(self, store, series, timeframe, instrument, source) -> None:
        self._write = lambda bars: store.write_bars(
            series, timeframe, bars, instrument=instrument, source=source
        )
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="candleterm-fetch-store")
        self._writing: Future | None = None
        self._pages: list[Bars] = []
        self._bars = 0
        self._since = time.monotonic()
        self.written = 0

    def add(self, bars: Bars, left: int) -> None:
        """`bars` fetched, about `left` bars still to fetch."""
        self._pages.append(bars)
        self._bars += len(bars)
        if (self._bars >= min(WRITE_BARS, max(left, LAST_WRITE_BARS))
                or time.monotonic() - self._since >= WRITE_EVERY_S):  # fmt: skip
            self._submit()

    def close(self) -> None:
        """Write what is left and wait for the writes; the thread ends."""
        try:
            self._submit()
            self._written()
        finally:
            self._writer.shutdown()

    def _submit(self) -> None:
        self._written()  # the batch before is in: batches land in order
        if self._pages:
            bars = concat(self._pages)
            self._writing = self._writer.submit(self._write, bars)
        self._pages, self._bars, self._since = [], 0, time.monotonic()

    def _written(self) -> None:
        if self._writing is not None:
            self.written += self._writing.result()
            self._writing = None
