"""What the watchlist shows of each symbol: last price, change since the previous day's close
(since the day's open on a symbol's first day), the day's volume, the hour's change and the
day's path.

A symbol with a live session is quoted from the session's forming day, 4 hours and hour
(`live_forming`): they hold the bars its feed fetched as well as its ticks. The others'
session open, day's volume and forming 1h bar come from `OpenPriceCache`, fed with every
live symbol's ticks once a frame; the store is asked once per bucket that began before the
symbol went live (a symbol that never goes live is quoted at its last stored day), and again
after `history_changed`. The day's path (a close every PATH_SLOT_NS, for the sparkline) is
one read of that day's 1m bars, done when the row is first drawn, then kept up by the same
ticks. The previous day's close is the last stored 1m bar's before the forming day: one query
for the symbols whose day is new, asked again a few times in the first minutes of a day that
began while the symbol was live (its last minute may not be stored yet).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from data.store import BarStore, StoreError
from engine.bars import PartialBar
from engine.sessions import SessionCalendar, calendar
from engine.units import NS_PER_MIN

if TYPE_CHECKING:
    from engine.open_cache import OpenPriceCache

PATH_SLOT_NS = 5 * NS_PER_MIN
PREVIOUS_LOOKBACK_NS = 7 * 1440 * NS_PER_MIN  # the previous close is looked for this far back
SETTLING_NS = 2 * NS_PER_MIN  # a day this young that began live: its previous close asked again
RECHECK_S = 5.0
QUOTED_TIMEFRAMES = ("1h", "4h", "1d")
# last, change, change %, volume, change % in the forming hour and in the forming 4 hours
VALUE_COLUMNS = ("last", "change", "change_pct", "volume", "hour_pct", "four_hour_pct")


@dataclasses.dataclass
class _Previous:
    day_ns: int  # the forming 1d bucket [day_ns, end_ns) whose previous close this is
    end_ns: int
    close: float  # NaN: no bar before the day (its first stored day)
    recheck_at: float | None = None  # monotonic seconds: ask again then (None: settled)

    def covers(self, at_ns: int) -> bool:
        return self.day_ns <= at_ns < self.end_ns


@dataclasses.dataclass
class _DayPath:
    day_ns: int  # the 1d bucket it belongs to: [day_ns, end_ns)
    end_ns: int
    slot: np.ndarray  # int64 slot numbers from the day's start
    close: np.ndarray


class Quotes:
    """Quotes of the symbols asked for, by symbol."""

    def __init__(self, store: BarStore) -> None:
        self.store = store
        self._calendars: dict[str, SessionCalendar] = {}
        self._cache: OpenPriceCache | None = None
        self._live_ns: dict[str, int] = {}  # the latest live tick time of a symbol
        self._paths: dict[str, _DayPath] = {}
        self._previous: dict[str, _Previous] = {}  # the close before each symbol's day
        self.previous_queries = 0
        self.clock = time.monotonic  # seconds, for asking a settling close again
        self._wanted: dict[str, None] = {}  # paths drawn before they were read, in order
        # (symbols, timeframe) -> the forming bar (ts_ns, o, h, l, c, v) a live session built
        # of each, or None: the quotes of a live symbol are its session's bars (the
        # exchange's bars over the minutes its trades missed are in them), the others the
        # open-price layer's
        self.live_forming: Callable[[list[str], str], list[tuple | None]] | None = None

    def _calendar(self, symbol: str) -> SessionCalendar:
        cal = self._calendars.get(symbol)
        if cal is None:
            cal = self._calendars[symbol] = calendar(self.store.instrument(symbol).calendar)
        return cal

    @property
    def cache(self) -> OpenPriceCache:
        """The open-price layer, made when first asked (its buckets are compiled code: not
        before the window's first paint)."""
        if self._cache is None:
            from engine.open_cache import OpenPriceCache

            self._cache = OpenPriceCache(self.store.bars_so_far, self._calendar,
                                         QUOTED_TIMEFRAMES)  # fmt: skip
        return self._cache

    @property
    def store_queries(self) -> int:
        """The store queries the open-price layer and the previous closes made so far."""
        layer = 0 if self._cache is None else self._cache.counters.store_queries
        return layer + self.previous_queries

    def at_ns(self, symbol: str) -> int | None:
        """The time a symbol is quoted at: its latest live tick, else its last stored bar."""
        live = self._live_ns.get(symbol)
        if live is not None:
            return live
        span = self.store.time_range(symbol, "1m")
        return None if span is None else span[1]

    def forget(self, symbol: str) -> None:
        """`symbol` was deleted: nothing of it is kept."""
        self._live_ns.pop(symbol, None)
        self._paths.pop(symbol, None)
        self._previous.pop(symbol, None)
        self._wanted.pop(symbol, None)
        if self._cache is not None:
            self._cache.calendar_changed(symbol)  # its buckets go

    def history_changed(self, symbol: str, first_ns: int | None = None,
                        end_ns: int | None = None) -> None:  # fmt: skip
        """The store's bars of `symbol` in [first_ns, end_ns) changed (an exchange's bars
        filling a gap, now stored; an import; None: any): the quotes and the day's path read
        them again when next drawn. (A gap filled at the start was read as empty: the day's
        volume and change counted the live trades alone.)"""
        if self._cache is not None:
            self._cache.invalidate(symbol, first_ns, end_ns)
        self._previous.pop(symbol, None)  # (one small query to know it again)
        path = self._paths.get(symbol)
        lo = -(2**63) if first_ns is None else first_ns
        hi = 2**63 - 1 if end_ns is None else end_ns
        if path is not None and path.day_ns < hi and lo < path.end_ns:
            del self._paths[symbol]

    def observe(self, symbol: str, ts_ns: np.ndarray, price: np.ndarray, qty: np.ndarray):
        """A frame's live ticks of `symbol`."""
        if len(ts_ns) == 0:
            return
        self.cache.observe_ticks(symbol, ts_ns, price, qty)
        latest = int(np.max(ts_ns))
        path = self._paths.get(symbol)
        if symbol not in self._live_ns and path is not None:
            first_slot = (int(np.min(ts_ns)) - path.day_ns) // PATH_SLOT_NS
            if len(path.slot) and path.slot[-1] > first_slot:  # a replay inside the day read
                del self._paths[symbol]  # read again up to the ticks
                path = None
        self._live_ns[symbol] = max(latest, self._live_ns.get(symbol, latest))
        if path is not None:
            self._extend_path(symbol, path, ts_ns, price)

    def values(self, symbols: list[str]) -> np.ndarray:
        """(len(symbols), len(VALUE_COLUMNS)) floats; NaN where a symbol has no bars. The
        buckets not known yet are asked of the store in one query a timeframe."""
        out = np.full((len(symbols), len(VALUE_COLUMNS)), np.nan)
        asks = [(row, symbol, self.at_ns(symbol)) for row, symbol in enumerate(symbols)]
        asks = [(row, symbol, at) for row, symbol, at in asks if at is not None]
        at_of = [(symbol, at) for _, symbol, at in asks]
        days, hours, fours = (self._forming(tf, at_of) for tf in ("1d", "1h", "4h"))
        previous = self._previous_closes(at_of)
        for (row, _, _), day, hour, four, before in zip(asks, days, hours, fours, previous,
                                                        strict=True):  # fmt: skip
            if day is None:
                continue
            since = [np.nan if b is None else 100.0 * (day.close / b.open - 1.0)
                     for b in (hour, four)]  # fmt: skip
            if np.isnan(before):  # the symbol's first day: from its open
                before = day.open
            change = day.close - before
            out[row] = (day.close, change, 100.0 * change / before, day.volume, *since)
        return out

    def _previous_closes(self, asks: list[tuple[str, int]]) -> list[float]:
        """The close before each (symbol, at_ns)'s day, NaN when none is stored: those of
        days not known yet (or still settling) asked of the store in one query."""
        now = self.clock()
        stale: dict[str, tuple[int, int]] = {}
        for symbol, at in asks:
            known = self._previous.get(symbol)
            if (
                known is not None
                and known.covers(at)
                and (known.recheck_at is None or now < known.recheck_at)
            ):
                continue
            day_ns, end_ns = self.cache.bucket(symbol, "1d", at)
            if day_ns >= 0:
                stale[symbol] = (day_ns, end_ns)
        if stale:
            ranges = [(s, day - PREVIOUS_LOOKBACK_NS, day) for s, (day, _) in stale.items()]
            failed = False
            try:
                folded = self.store.bars_so_far(ranges)
            except StoreError:  # (a team store away): asked again soon
                folded, failed = [None] * len(ranges), True
            self.previous_queries += 1
            for (symbol, (day_ns, end_ns)), bar in zip(stale.items(), folded, strict=True):
                live_ns = self._live_ns.get(symbol)
                settling = failed or (live_ns is not None and live_ns - day_ns < SETTLING_NS)
                close = np.nan if bar is None else bar.close
                recheck_at = now + RECHECK_S if settling else None
                self._previous[symbol] = _Previous(day_ns, end_ns, close, recheck_at)
        known = [self._previous.get(symbol) for symbol, _ in asks]
        return [p.close if p is not None and p.covers(at) else np.nan
                for p, (_, at) in zip(known, asks, strict=True)]  # fmt: skip

    def _forming(self, timeframe: str, asks: list[tuple[str, int]]) -> list[PartialBar | None]:
        """The forming `timeframe` bar of each (symbol, at_ns): a live session's, else the
        open-price layer's (those asked of the store in one query)."""
        symbols = [symbol for symbol, _ in asks]
        live = ([None] * len(asks) if self.live_forming is None
                else self.live_forming(symbols, timeframe))  # fmt: skip
        out = [None if row is None else PartialBar(*row[1:6], int(row[0]), int(row[0]))
               for row in live]  # fmt: skip
        rest = [k for k, row in enumerate(live) if row is None]
        if rest:
            cached = self.cache.forming_many(timeframe, [asks[k] for k in rest])
            for k, bar in zip(rest, cached, strict=True):
                out[k] = bar
        return out

    def path(self, symbol: str) -> np.ndarray:
        """The day's closes, one every PATH_SLOT_NS with data (empty when unknown)."""
        path = self._known_path(symbol)
        if path is None:
            at = self.at_ns(symbol)
            if at is None:
                return np.empty(0)
            path = self._read_path(symbol, at)
        return path.close

    def drawn_path(self, symbol: str) -> np.ndarray | None:
        """`path` if known now, else None: the read is left to `read_paths` (a frame never
        waits for the store)."""
        path = self._known_path(symbol)
        if path is None:
            self._wanted[symbol] = None
            return None
        return path.close

    def read_paths(self, symbols: list[str], most: int) -> list[str]:
        """Read, in one query, the day paths of at most `most` symbols: first those drawn
        but unknown, then those of `symbols` not read yet; the symbols read."""
        batch: dict[str, int] = {}
        for symbol in [*self._wanted, *symbols]:
            if len(batch) == most:
                break
            self._wanted.pop(symbol, None)
            at = self.at_ns(symbol)
            if symbol not in batch and at is not None and self._known_path(symbol) is None:
                batch[symbol] = at
        self._read(batch)
        return list(batch)

    def _known_path(self, symbol: str) -> _DayPath | None:
        path = self._paths.get(symbol)
        if path is None:
            return None
        at = self.at_ns(symbol)
        return path if at is not None and path.day_ns <= at < path.end_ns else None

    @property
    def paths_wanted(self) -> bool:
        return bool(self._wanted)

    def _read_path(self, symbol: str, at_ns: int) -> _DayPath:
        self._read({symbol: at_ns})
        return self._paths[symbol]

    def _read(self, at_ns: dict[str, int]) -> None:
        """The paths of the days holding each symbol's `at_ns`, up to it: one query."""
        days = {s: self.cache.bucket(s, "1d", at) for s, at in at_ns.items()}
        ranges = [(s, day, at_ns[s] + 1) for s, (day, _) in days.items() if day >= 0]
        try:
            read = self.store.closes(ranges)
        except StoreError:
            read = {}
        empty = (np.empty(0, np.int64), np.empty(0))
        for symbol, (day_ns, end_ns) in days.items():
            self._paths[symbol] = _day_path(day_ns, end_ns, *read.get(symbol, empty))

    def _extend_path(self, symbol: str, path: _DayPath, ts_ns, price) -> None:
        """Ticks in time order move the last slot's close or add slots; the ticks of a new
        day start a new path (they are all of it: the symbol is live); a late tick into an
        older slot is left out of the sparkline (the quote itself has it)."""
        order = np.argsort(ts_ns, kind="stable")
        ts, price = np.asarray(ts_ns)[order], np.asarray(price, dtype=np.float64)[order]
        day_ns, end_ns = self.cache.bucket(symbol, "1d", int(ts[-1]))
        if day_ns != path.day_ns:
            path = self._paths[symbol] = _DayPath(day_ns, end_ns, np.empty(0, np.int64),
                                                  np.empty(0))  # fmt: skip
        slot = (ts - day_ns) // PATH_SLOT_NS
        newest = path.slot[-1] if len(path.slot) else -1
        keep = (slot >= newest) & (ts >= day_ns)
        slot, price = slot[keep], price[keep]
        if len(slot) == 0:
            return
        last = np.append(slot[1:] != slot[:-1], True)
        slot, price = slot[last], price[last]
        if slot[0] == newest:
            path.close[-1] = price[0]
            slot, price = slot[1:], price[1:]
        path.slot = np.concatenate((path.slot, slot))
        path.close = np.concatenate((path.close, price))


def _day_path(day_ns: int, end_ns: int, ts_ns: np.ndarray, close: np.ndarray) -> _DayPath:
    """The last close of each PATH_SLOT_NS of the day's bars."""
    slot = (ts_ns - day_ns) // PATH_SLOT_NS
    last = np.append(slot[1:] != slot[:-1], True) if len(slot) else np.empty(0, bool)
    return _DayPath(day_ns, end_ns, slot[last], close[last].copy())
