"""An exchange's bar history into the store: ccxt's `fetch_ohlcv` a page at a time, within the
exchange's rate limit, every page checked as an import is and written as it comes, so an
interrupted fetch keeps what it stored and a rerun continues after the last stored bar.

Only closed bars are stored (a bar is closed once its period has ended by the exchange's
clock); the series is `EXCHANGE:SYMBOL` (BINANCE:BTC/USDT) with its source recorded.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable

import numpy as np

from data.exchange.client import Market, checked, market, ohlcv_timeframe
from data.store import BarStore, Instrument
from data.store.files import first_line
from data.store.provenance import Source, SourceKind
from engine.bars import Bars, concat, describe_invalid_row, invalid_row_mask
from engine.timeframes import is_intraday, period_ns

NS_PER_MS = 1_000_000
PAGE_BARS = 1000
WRITE_BARS = 50_000  # pages are written to the store in batches of about this many bars
WRITE_EVERY_S = 2.0  # ... or this often, whichever comes first
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
        span = f"{_when(self.first_ns)} .. {_when(self.last_ns)}"
        resumed = (f", continuing after {_when(self.resumed_after_ns)}"
                   if self.resumed_after_ns is not None else "")  # fmt: skip
        retried = f", {self.retries} retries" if self.retries else ""
        return (f"{self.series} {self.timeframe}: {self.written:,} bars {span} in "
                f"{self.pages} pages{resumed}{retried}")  # fmt: skip


def _when(ts_ns: int | None) -> str:
    return "-" if ts_ns is None else str(np.datetime64(int(ts_ns), "ns").astype("datetime64[m]"))


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
                        f"{first_line(exc)}"
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


def checked_page(rows: list, period: int, name: str) -> Bars:
    """A page of ccxt OHLCV rows ([ms, o, h, l, c, v], ...) of bars `period` ns long, checked
    as an import's are: open times on the grid and in order, prices and volume valid. A page
    that breaks a rule raises, naming the series (`name`: "binance BTC/USDT 1m"), the bar and
    what is wrong."""
    try:
        table = np.array([row[:6] for row in rows], dtype=np.float64).reshape(-1, 6)
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"{name}: the exchange sent OHLCV rows that are not numbers: "
                         f"{str(rows[:2])[:200]}") from None  # fmt: skip
    ts = table[:, 0].astype(np.int64) * NS_PER_MS
    ts, keep = np.unique(ts, return_index=True)  # a bar sent twice: once
    table = table[keep]
    off_grid = np.flatnonzero(ts % period)
    if len(off_grid):
        raise ValueError(f"{name}: a bar at {_when(ts[off_grid[0]])} is not on the "
                         "timeframe's grid; nothing of that page was stored")  # fmt: skip
    o, h, lo, c, v = (np.ascontiguousarray(table[:, k]) for k in range(1, 6))
    bad = np.flatnonzero(invalid_row_mask(o, h, lo, c, v))
    if len(bad):
        i = int(bad[0])
        raise ValueError(f"{name}: the bar at {_when(ts[i])} is invalid "
                         f"({describe_invalid_row(i, o[i], h[i], lo[i], c[i], v[i])}); nothing "
                         "of that page was stored")  # fmt: skip
    return Bars(ts, o, h, lo, c, v)


def closed_page(rows: list, cursor: int, until_ns: int, period: int, name: str) -> Bars:
    """The checked bars of a page (see `checked_page`) that open at or after `cursor` and
    have closed by `until_ns` (empty: the page holds nothing more to take)."""
    bars = checked_page(rows, period, name)
    closed = (bars.ts_ns >= cursor) & (bars.ts_ns + period <= until_ns)
    return Bars(*(column[closed] for column in bars.columns().values()))


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
    market_ = market(exchange, symbol)
    timeframe = ohlcv_timeframe(exchange, timeframe)
    if not is_intraday(timeframe):
        raise ValueError(f"fetch intraday bars (1m to 4h); {timeframe} bars are derived from them")
    period = period_ns(timeframe)
    now_ns = int(exchange.milliseconds()) * NS_PER_MS
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
    pages = _Pages(exchange, market_, timeframe, retrying or Retrying(exchange), page_bars)
    try:
        for bars in pages.closed(cursor, until_ns):
            batch.add(bars)
            report.pages = pages.fetched
            report.first_ns = int(bars.ts_ns[0]) if report.first_ns is None else report.first_ns
            report.last_ns = int(bars.ts_ns[-1])
            if progress is not None:
                done = (report.last_ns + period - cursor) / max(until_ns - cursor, 1)
                progress(f"{market_.series} {timeframe}", done)
    finally:
        batch.write()  # what was fetched is stored, whatever stopped the fetch
    report.pages = pages.fetched
    report.written = batch.written
    report.retries = pages.retrying.retries
    return report


class _Pages:
    """The exchange's pages of bars of one market and timeframe."""

    def __init__(self, exchange, market_: Market, timeframe: str, retrying: Retrying,
                 page_bars: int) -> None:  # fmt: skip
        self.exchange, self.market, self.timeframe = exchange, market_, timeframe
        self.retrying, self.page_bars = retrying, page_bars
        self.fetched = 0

    def closed(self, cursor: int, until_ns: int):
        """The checked closed bars from `cursor` to `until_ns`, a page at a time, until the
        exchange has no more."""
        period, symbol, tf = period_ns(self.timeframe), self.market.symbol, self.timeframe
        while cursor + period <= until_ns:  # a closed bar is left to fetch
            rows = self.retrying(
                f"fetch_ohlcv {symbol} {tf} from {_when(cursor)}",
                lambda c=cursor: checked(self.exchange, lambda: self.exchange.fetch_ohlcv(
                    symbol, tf, since=c // NS_PER_MS, limit=self.page_bars,
                    params={"until": until_ns // NS_PER_MS})),
            )  # fmt: skip
            self.fetched += 1
            if not rows:
                return  # nothing more on the exchange
            bars = closed_page(rows, cursor, until_ns, period, f"{self.exchange.id} {symbol} {tf}")
            if len(bars) == 0:
                return
            yield bars
            cursor = int(bars.ts_ns[-1]) + period


class _Batch:
    """Fetched pages on their way to the store, written together (a transaction costs about
    what fetching a page does) every WRITE_BARS bars or WRITE_EVERY_S seconds."""

    def __init__(self, store, series, timeframe, instrument, source) -> None:
        self._write = lambda bars: store.write_bars(
            series, timeframe, bars, instrument=instrument, source=source
        )
        self._pages: list[Bars] = []
        self._bars = 0
        self._since = time.monotonic()
        self.written = 0

    def add(self, bars: Bars) -> None:
        self._pages.append(bars)
        self._bars += len(bars)
        if self._bars >= WRITE_BARS or time.monotonic() - self._since >= WRITE_EVERY_S:
            self.write()

    def write(self) -> None:
        if self._pages:
            bars = concat(self._pages)
            self._write(bars)
            self.written += len(bars)
        self._pages, self._bars, self._since = [], 0, time.monotonic()
