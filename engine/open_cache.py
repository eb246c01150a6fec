"""The open-price layer: the forming bar of a large timeframe, so far, answered from memory.

When a chart starts (or switches symbol) in the middle of a 5m/1h/4h/1d bucket, the forming
bar's open, high, low and volume so far lie in stored history. The cache keys each bucket by
(symbol, timeframe, bucket start) and keeps two parts: what the store held before the live
stream began (asked once, through a callable, never the store class; the buckets of many
symbols asked together go in one query) and the live ticks seen since. The store is asked
only when a bucket that started before the stream is first needed, or after `invalidate` (a
backfill into the bucket, a calendar change). Buckets that start
while the stream runs are built from its ticks alone: in steady state there are no queries.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from engine.bars import PartialBar
from engine.buckets import BucketGrid, BucketRule, bucket_grid, rule_for
from engine.sessions import SessionCalendar
from engine.units import NS_PER_MIN

# [(symbol, start_ns, end_ns), ...] -> for each, the stored base bars of [start, end) of the
# symbol folded into one bar, or None: one store query however many buckets are asked.
HistoryQuery = Callable[[list[tuple[str, int, int]]], list[PartialBar | None]]


@dataclasses.dataclass
class _Entry:
    start_ns: int
    end_ns: int
    history: PartialBar | None = None
    history_known: bool = False
    live: PartialBar | None = None

    def bar(self) -> PartialBar | None:
        if self.history is None:
            return self.live
        return self.history.then(self.live)


@dataclasses.dataclass
class CacheCounters:
    hits: int = 0
    misses: int = 0
    store_queries: int = 0


class OpenPriceCache:
    """Forming-bar-so-far of (symbol, timeframe) buckets for the given timeframes, bounded
    to `max_entries` buckets."""

    def __init__(
        self,
        query: HistoryQuery,
        calendar_of: Callable[[str], SessionCalendar],
        timeframes: tuple[str, ...] = ("5m", "1h", "4h", "1d"),
        *,
        max_entries: int = 4096,
    ) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries {max_entries} must be >= 1")
        self._rules = {tf: rule_for(tf) for tf in timeframes}
        self._query = query
        self._calendar_of = calendar_of
        self._max = max_entries
        self._entries: OrderedDict[tuple[str, str, int], _Entry] = OrderedDict()
        self._live_since: dict[str, int] = {}
        self._current: dict[tuple[str, str], _Entry] = {}  # the bucket ticks last went to
        self._grids: dict[str, BucketGrid] = {}
        self.counters = CacheCounters()

    def __len__(self) -> int:
        return len(self._entries)

    def _grid_covering(self, symbol: str, lo_ns: int, hi_ns: int) -> BucketGrid:
        grid = self._grids.get(symbol)
        if grid is None or not (grid.covers(lo_ns) and grid.covers(hi_ns)):
            grid = bucket_grid(self._calendar_of(symbol), lo_ns, hi_ns)
            self._grids[symbol] = grid
        return grid

    def _bucket(self, symbol: str, rule: BucketRule, ts_ns: int) -> tuple[int, int]:
        grid = self._grid_covering(symbol, ts_ns, ts_ns)
        label, end = grid.buckets(rule, np.array([ts_ns], dtype=np.int64))
        return int(label[0]), int(end[0])

    def _entry(self, symbol: str, timeframe: str, start: int, end: int) -> _Entry:
        key = (symbol, timeframe, start)
        entry = self._entries.get(key)
        if entry is None:
            entry = _Entry(start, end)
            since = self._live_since.get(symbol)
            if since is not None and start >= since:
                entry.history_known = True  # began while live: no history to ask for
            self._entries[key] = entry
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return entry

    def bucket(self, symbol: str, timeframe: str, ts_ns: int) -> tuple[int, int]:
        """(start, end) of the `timeframe` bucket holding `ts_ns`; (-1, -1) outside sessions."""
        return self._bucket(symbol, self._rule(timeframe), ts_ns)

    def _rule(self, timeframe: str) -> BucketRule:
        rule = self._rules.get(timeframe)
        if rule is None:
            raise ValueError(
                f"timeframe {timeframe!r} is not cached here: {', '.join(self._rules)}"
            )
        return rule

    def forming(self, symbol: str, timeframe: str, now_ns: int) -> PartialBar | None:
        """The bar so far of the `timeframe` bucket holding `now_ns` (None outside sessions
        or when the bucket has no data yet)."""
        return self.forming_many(timeframe, [(symbol, now_ns)])[0]

    def forming_many(self, timeframe: str, asks: list[tuple[str, int]]) -> list[PartialBar | None]:
        """`forming` of each (symbol, now_ns), the buckets not known yet asked of the store
        in one query."""
        rule = self._rule(timeframe)
        entries: list[_Entry | None] = []
        unknown: dict[int, _Entry] = {}  # by id: a bucket asked twice is asked once
        ranges: list[tuple[str, int, int]] = []
        for symbol, now_ns in asks:
            entry = self._current.get((symbol, timeframe))
            if entry is None or not entry.start_ns <= now_ns < entry.end_ns:
                start, end = self._bucket(symbol, rule, now_ns)
                if start < 0:
                    entries.append(None)
                    continue
                entry = self._entry(symbol, timeframe, start, end)
                self._current[(symbol, timeframe)] = entry
            entries.append(entry)
            if entry.history_known:
                self.counters.hits += 1
            elif id(entry) not in unknown:
                self.counters.misses += 1
                since = self._live_since.get(symbol)
                stop = entry.end_ns if since is None else min(entry.end_ns, since)
                unknown[id(entry)] = entry
                ranges.append((symbol, entry.start_ns, stop))
        if ranges:
            self.counters.store_queries += 1
            for entry, history in zip(unknown.values(), self._query(ranges), strict=True):
                entry.history, entry.history_known = history, True
        return [None if e is None else e.bar() for e in entries]

    def _went_live(self, symbol: str, first_ns: int) -> None:
        """`symbol`'s live stream begins with a tick at `first_ns`: its minute on is live,
        the stored 1m bars before it history. History asked before that reaches into the
        live minutes (a replay starts inside the stored bars) is asked again, up to them:
        the bucket would hold those bars and the ticks played over them both."""
        since_ns = first_ns - first_ns % NS_PER_MIN
        self._live_since[symbol] = since_ns
        entries = [e for (sym, _, _), e in self._entries.items() if sym == symbol]
        entries += [e for (sym, _), e in self._current.items() if sym == symbol]
        for entry in entries:
            if entry.history is not None and entry.history.last_ns >= since_ns:
                entry.history, entry.history_known = None, False

    def observe(self, symbol: str, ts_ns: int, price: float, qty: float) -> None:
        """A live tick: updates the symbol's cached bucket of every timeframe, in O(1) per
        timeframe while the tick stays in the current buckets."""
        if symbol not in self._live_since:
            self._went_live(symbol, ts_ns)
        for timeframe, rule in self._rules.items():
            current = self._current.get((symbol, timeframe))
            if current is None or not current.start_ns <= ts_ns < current.end_ns:
                start, end = self._bucket(symbol, rule, ts_ns)
                if start < 0:
                    continue
                current = self._entry(symbol, timeframe, start, end)
                self._current[(symbol, timeframe)] = current
            current.live = (
                PartialBar.of_tick(ts_ns, price, qty)
                if current.live is None
                else current.live.with_tick(ts_ns, price, qty)
            )

    def observe_ticks(
        self, symbol: str, ts_ns: np.ndarray, price: np.ndarray, qty: np.ndarray
    ) -> None:
        """A frame's live ticks of `symbol` at once (any order): the same as `observe` of
        each, in O(timeframes x buckets touched) Python steps; the ticks are folded by numpy."""
        ts = np.asarray(ts_ns, dtype=np.int64)
        if len(ts) == 0:
            return
        price = np.asarray(price, dtype=np.float64)
        qty = np.asarray(qty, dtype=np.float64)
        lo, hi = int(ts.min()), int(ts.max())
        if symbol not in self._live_since:
            self._went_live(symbol, lo)
        whole: PartialBar | None = None  # all the ticks folded, for buckets holding them all
        grid = self._grid_covering(symbol, lo, hi)
        for timeframe, rule in self._rules.items():
            current = self._current.get((symbol, timeframe))
            if current is not None and current.start_ns <= lo and hi < current.end_ns:
                whole = whole or _fold(ts, price, qty)  # the common case: one bucket
                current.live = whole if current.live is None else current.live.then(whole)
                continue
            label, end = grid.buckets(rule, ts)
            inside = np.flatnonzero(label >= 0)
            order = inside[np.lexsort((ts[inside], label[inside]))]  # by bucket, then time
            if len(order) == 0:
                continue
            keys = label[order]
            starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
            stops = np.append(starts[1:], len(order))
            p, t = price[order], ts[order]
            highs, lows = np.maximum.reduceat(p, starts), np.minimum.reduceat(p, starts)
            volumes = np.add.reduceat(qty[order], starts)
            latest = int(np.searchsorted(starts, np.argmax(t), side="right")) - 1
            for g, (a, b) in enumerate(zip(starts.tolist(), stops.tolist(), strict=True)):
                entry = self._entry(symbol, timeframe, int(keys[a]), int(end[order[a]]))
                part = PartialBar(float(p[a]), float(highs[g]), float(lows[g]), float(p[b - 1]),
                                  float(volumes[g]), int(t[a]), int(t[b - 1]))  # fmt: skip
                entry.live = part if entry.live is None else entry.live.then(part)
                if g == latest:  # the bucket the latest tick went to
                    self._current[(symbol, timeframe)] = entry

    def invalidate(self, symbol: str, start_ns: int | None = None, end_ns: int | None = None):
        """Stored history of `symbol` changed in [start_ns, end_ns) (a backfill): the buckets
        overlapping it ask the store again when next needed; their live parts stay."""
        lo = -(2**63) if start_ns is None else start_ns
        hi = 2**63 - 1 if end_ns is None else end_ns
        entries = [e for (sym, _, _), e in self._entries.items() if sym == symbol]
        entries += [e for (sym, _), e in self._current.items() if sym == symbol]
        for entry in entries:  # the current bucket counts even if evicted from the LRU
            if entry.start_ns < hi and lo < entry.end_ns:
                entry.history_known = False
                entry.history = None

    def calendar_changed(self, symbol: str) -> None:
        """The symbol's calendar changed: every bucket moves, so forget them all."""
        for key in [k for k in self._entries if k[0] == symbol]:
            del self._entries[key]
        self._current = {k: v for k, v in self._current.items() if k[0] != symbol}
        self._grids.pop(symbol, None)
        self._live_since.pop(symbol, None)


def _fold(ts: np.ndarray, price: np.ndarray, qty: np.ndarray) -> PartialBar:
    """Ticks as one bar: the open of the earliest (the first to arrive of equal times), the
    close of the latest (the last to arrive), as `PartialBar.with_tick` one by one would."""
    first, last = int(np.argmin(ts)), len(ts) - 1 - int(np.argmax(ts[::-1]))
    ohlcv = (price[first], price.max(), price.min(), price[last], qty.sum())
    return PartialBar(*(float(x) for x in ohlcv), int(ts[first]), int(ts[last]))
