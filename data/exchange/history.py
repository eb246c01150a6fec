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

from data.exchange.client import Market, _first_line, checked, market, ohlcv_timeframe
from data.store import BarStore, Instrument
from data.store.provenance import Source, SourceKind
from engine.bars import Bars, describe_invalid_row, invalid_row_mask
from engine.timeframes import is_intraday, period_ns

NS_PER_MS = 1_000_000
PAGE_BARS = 1000
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
                                 f"{_first_line(exc)}") from None  # fmt: skip
            except (ccxt.NetworkError, ccxt.BadResponse) as exc:
                if attempt + 1 == self.max_attempts:
                    raise ValueError(
                        f"{self.exchange.id} failed {self.max_attempts} times on {what}: "
                        f"{_first_line(exc)}"
                    ) from None
                seconds = self._delay(exc, attempt)
                self.retries += 1
                if self._wait is not None:
                    self._wait(seconds, _first_line(exc))
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


def checked_page(rows: list, period: int, market_: Market, timeframe: str) -> Bars:
    """A page of ccxt OHLCV rows ([ms, o, h, l, c, v], ...) as bars, checked as an import's
    are: open times on the timeframe's grid and in order, prices and volume valid. A page
    that breaks a rule raises, naming the bar and what is wrong."""
    try:
        table = np.array([row[:6] for row in rows], dtype=np.float64).reshape(-1, 6)
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"{market_.exchange} sent OHLCV rows that are not numbers: "
                         f"{str(rows[:2])[:200]}") from None  # fmt: skip
    ts = table[:, 0].astype(np.int64) * NS_PER_MS
    ts, keep = np.unique(ts, return_index=True)  # a bar sent twice: once
    table = table[keep]
    name = f"{market_.exchange} {market_.symbol} {timeframe}"
    off_grid = np.flatnonzero(ts % period)
    if len(off_grid):
        raise ValueError(f"{name}: a bar at {_when(ts[off_grid[0]])} is not on the "
                         f"{timeframe} grid; nothing of that page was stored")  # fmt: skip
    o, h, lo, c, v = (np.ascontiguousarray(table[:, k]) for k in range(1, 6))
    bad = np.flatnonzero(invalid_row_mask(o, h, lo, c, v))
    if len(bad):
        i = int(bad[0])
        raise ValueError(f"{name}: the bar at {_when(ts[i])} is invalid "
                         f"({describe_invalid_row(i, o[i], h[i], lo[i], c[i], v[i])}); nothing "
                         "of that page was stored")  # fmt: skip
    return Bars(ts, o, h, lo, c, v)


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
    retrying = retrying or Retrying(exchange)
    now_ns = int(exchange.milliseconds()) * NS_PER_MS
    until_ns = now_ns if until_ns is None else min(int(until_ns), now_ns)
    report = FetchReport(market_.series, timeframe)
    cursor = -(-int(since_ns) // period) * period  # the first bar opening at or after since
    stored = _stored_range(store, market_.series, timeframe)
    if stored is not None and stored[0] <= cursor <= stored[1]:
        report.resumed_after_ns = stored[1]
        cursor = stored[1] + period
    start = cursor
    instrument = Instrument(market_.series, "24x7", "UTC", market_.tick_size,
                            f"{symbol} on {exchange.id}")  # fmt: skip
    source = Source(SourceKind.EXCHANGE, exchange.id)
    while cursor + period <= until_ns:  # a closed bar is left to fetch
        rows = retrying(
            f"fetch_ohlcv {symbol} {timeframe} from {_when(cursor)}",
            lambda c=cursor: checked(exchange, lambda: exchange.fetch_ohlcv(
                symbol, timeframe, since=c // NS_PER_MS, limit=page_bars,
                params={"until": until_ns // NS_PER_MS})),
        )  # fmt: skip
        report.pages += 1
        bars = checked_page(rows, period, market_, timeframe) if rows else None
        if bars is None or len(bars) == 0:
            break  # nothing more on the exchange
        closed = (bars.ts_ns >= cursor) & (bars.ts_ns + period <= until_ns)
        bars = Bars(*(column[closed] for column in bars.columns().values()))
        if len(bars) == 0:
            break
        store.write_bars(market_.series, timeframe, bars, instrument=instrument, source=source)
        report.written += len(bars)
        report.first_ns = report.first_ns if report.first_ns is not None else int(bars.ts_ns[0])
        report.last_ns = int(bars.ts_ns[-1])
        cursor = report.last_ns + period
        if progress is not None:
            progress(f"{market_.series} {timeframe}", (cursor - start) / max(until_ns - start, 1))
    report.retries = retrying.retries
    return report


def _stored_range(store: BarStore, series: str, timeframe: str) -> tuple[int, int] | None:
    if series not in store.symbols():
        return None
    return store.time_range(series, timeframe)
