"""Live bars of several timeframes from ticks or base bars: one O(1) state machine each.

Each timeframe holds its forming bar (label, end, first/last tick time, OHLCV). A row (a tick,
or a base bar) inside the forming buckets updates every timeframe in O(1); a row past a bucket
end seals that bar into a growable column store and starts the next bucket. Single ticks and
batches go through the same compiled function, so they cannot disagree.

Late data: a row before the forming base (1m) bucket belongs to a bucket already sealed or
never formed. The base bar is merged exactly (the first/last tick times say whether the row
moves the open or the close), and each higher timeframe's bucket around it is recomputed from
the base bars it spans: O(k) for k base bars. Rows older than the horizon are rejected and
counted; rows outside every session are counted and left out, as `resample` does.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Callable, Sequence

import numpy as np

from engine.bars import DTYPES, Bars, merge_ohlcv
from engine.buckets import BucketGrid, bucket_grid, rule_for
from engine.live_kernels import (
    FIRST,
    FORMING,
    G_EVENTS,
    G_LATEST,
    G_OUTSIDE,
    G_ROWS,
    G_SESSION,
    G_WM_END,
    GRID_END,
    LABEL,
    LAST,
    LATE,
    NO_TIME,
    OK,
    SEALED,
    SEALED_LABEL,
    LiveState,
    feed_nb,
    feed_row_nb,
    flush_nb,
    live_state,
)
from engine.series_buffer import SeriesBuffer
from engine.sessions import SessionCalendar, calendar
from engine.timeframes import TIMEFRAMES, check_timeframe
from engine.units import NS_PER_HOUR

DEFAULT_HORIZON_NS = NS_PER_HOUR
# A sealed bar, and the first and last tick times inside it (for exact late merges).
SEALED_DTYPES = {**DTYPES, "first_ns": np.dtype(np.int64), "last_ns": np.dtype(np.int64)}


class EventKind(enum.Enum):
    SEALED = "sealed"  # a bar was sealed at index
    FORMING = "forming"  # the forming bar (at index = number of sealed bars) changed
    CORRECTED = "corrected"  # a sealed bar at index was recomputed
    INSERTED = "inserted"  # a bar was inserted at index; later bars moved up by one


@dataclasses.dataclass(frozen=True)
class BarEvent:
    kind: EventKind
    timeframe: str
    index: int


@dataclasses.dataclass
class BuilderStats:
    rows: int = 0  # ticks or bars taken in order
    late: int = 0  # taken through the late path
    rejected_late: int = 0  # older than the horizon
    outside_session: int = 0


class MultiTimeframeBuilder:
    """Bars of several timeframes of one instrument, built live.

    `on_tick(ts_ns, price, qty)` / `on_ticks(arrays)` take ticks; `on_bar(...)` takes base
    (1m) bars instead. `bars(tf)` gives the sealed bars with the forming bar last;
    `subscribe(fn)` delivers `BarEvent`s (sealed, forming, corrected, inserted).
    """

    def __init__(
        self,
        timeframes: Sequence[str],
        cal: SessionCalendar | str,
        *,
        horizon_ns: int = DEFAULT_HORIZON_NS,
        event_capacity: int = 1024,
    ) -> None:
        if not timeframes:
            raise ValueError("give at least one timeframe")
        for tf in timeframes:
            check_timeframe(tf)
        if horizon_ns < 0:
            raise ValueError(f"horizon_ns {horizon_ns} must be >= 0")
        self.timeframes = tuple(dict.fromkeys(timeframes))
        self.calendar = calendar(cal) if isinstance(cal, str) else cal
        self.horizon_ns = int(horizon_ns)
        # Internal order: the 1m base first, then the others by size (buckets nest).
        self._tfs = tuple(sorted({"1m", *self.timeframes}, key=TIMEFRAMES.index))
        self._index = {tf: k for k, tf in enumerate(self._tfs)}
        self._rules = np.stack([rule_for(tf).as_array() for tf in self._tfs])
        self._base_rule = rule_for("1m")
        n_tf = len(self._tfs)
        self._stores = {tf: SeriesBuffer(front_room=0, dtypes=SEALED_DTYPES) for tf in self._tfs}
        self._ist = np.zeros((n_tf, 6), np.int64)
        self._ist[:, SEALED_LABEL] = NO_TIME
        self._fst = np.zeros((n_tf, 5), np.float64)
        self._g = np.zeros(6, np.int64)
        self._g[G_WM_END] = NO_TIME
        self._g[G_LATEST] = NO_TIME
        self._ev_i = np.zeros((max(event_capacity, 2 * n_tf), 4), np.int64)
        self._ev_f = np.zeros((len(self._ev_i), 5), np.float64)
        self._touched = np.zeros(n_tf, np.int8)
        self._grid: BucketGrid | None = None
        self._state: LiveState | None = None  # the kernels' view of the arrays above
        self._rule_objs = [rule_for(tf) for tf in self._tfs]
        self._listeners: list[Callable[[BarEvent], None]] = []
        self._late_rejected = 0
        self._late_taken = 0
        self._outside_late = 0

    # -- events ------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[BarEvent], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[BarEvent], None]) -> None:
        self._listeners.remove(listener)

    def _emit(self, kind: EventKind, tf: str, index: int) -> None:
        if tf in self.timeframes:
            event = BarEvent(kind, tf, index)
            for listener in self._listeners:
                listener(event)

    def _emit_forming(self) -> None:
        if self._listeners:
            for k in np.flatnonzero(self._touched):
                tf = self._tfs[k]
                self._emit(EventKind.FORMING, tf, self._stores[tf].n)
        self._touched[:] = 0

    def _drain(self) -> None:
        for e in range(int(self._g[G_EVENTS])):
            k, label, first, last = (int(x) for x in self._ev_i[e])
            tf = self._tfs[k]
            ix = self._stores[tf].append_row((label, *self._ev_f[e].tolist(), first, last))
            self._emit(EventKind.SEALED, tf, ix)
        self._g[G_EVENTS] = 0

    # -- grid --------------------------------------------------------------------------------

    def _cover(self, t: int) -> None:
        grid = self._grid
        if grid is not None and grid.covers(t):
            return
        lo = t if grid is None else min(t, grid.start_ns)
        hi = t if grid is None else max(t, grid.end_ns - 1)
        self._grid = bucket_grid(self.calendar, lo, hi)
        self._state = live_state(self._grid.rows, self._rules, self._ist, self._fst, self._g,
                                 self._ev_i, self._ev_f, self._touched)  # fmt: skip
        self._g[G_SESSION] = 0

    # -- input -------------------------------------------------------------------------------

    def on_tick(self, ts_ns: int, price: float, qty: float = 0.0) -> None:
        """One tick: O(1) per timeframe."""
        if self._grid is None:
            self._cover(ts_ns)
        status = feed_row_nb(self._state, ts_ns, price, price, price, price, qty)
        if status != OK:
            self._after(status, ts_ns, price, price, price, price, qty)
        if self._listeners:
            self._emit_forming()

    def _after(self, status, t, o, h, lo, c, v) -> None:
        while True:
            if self._g[G_EVENTS]:
                self._drain()  # before the late path: it must see every sealed bar
            if status == SEALED:
                return
            if status == LATE:
                self._late(t, o, h, lo, c, v, replace=False)
                return
            if status == GRID_END:
                self._cover(t)
            status = feed_row_nb(self._state, t, o, h, lo, c, v)
            if status == OK:
                return

    def on_ticks(self, ts_ns: np.ndarray, price: np.ndarray, qty: np.ndarray) -> None:
        """A batch of ticks through the compiled loop; late ticks take the slow path."""
        ts = np.ascontiguousarray(ts_ns, dtype=np.int64)
        price = np.ascontiguousarray(price, dtype=np.float64)
        qty = np.ascontiguousarray(qty, dtype=np.float64)
        if not (len(ts) == len(price) == len(qty)):
            raise ValueError(f"ticks: {len(ts)} times, {len(price)} prices, {len(qty)} quantities")
        self._feed(ts, price, price, price, price, qty)

    def _feed(self, ts, o, h, lo, c, v) -> None:
        i = 0
        n = len(ts)
        if n and self._grid is None:
            self._cover(int(ts[0]))
        while i < n:
            i, status = feed_nb(self._state, ts, o, h, lo, c, v, i)
            if status in (OK, SEALED):
                self._drain()
                continue
            self._after(status, int(ts[i]), o[i], h[i], lo[i], c[i], v[i])
            i += 1
        self._drain()
        if self._listeners:
            self._emit_forming()

    def on_bar(
        self, ts_ns: int, open: float, high: float, low: float, close: float, volume: float
    ) -> None:  # fmt: skip
        """A base (1m) bar labelled by its open time. A bar for a minute already seen
        replaces it and the higher timeframes' buckets around it are recomputed."""
        self._cover(ts_ns)
        label, _ = self._grid.buckets(self._base_rule, np.array([ts_ns]))
        if label[0] != ts_ns:
            raise ValueError(
                f"bar at {np.datetime64(int(ts_ns), 'ns')} is not the start of a 1m bucket in a "
                f"{self.calendar.name} session"
            )
        if ts_ns < self._g[G_WM_END]:
            self._late(ts_ns, open, high, low, close, volume, replace=True)
        else:
            status = feed_row_nb(self._state, ts_ns, open, high, low, close, volume)
            if status != OK:
                self._after(status, ts_ns, open, high, low, close, volume)
        if self._listeners:
            self._emit_forming()

    def on_bars(self, bars: Bars) -> None:
        """Base (1m) bars in time order: new minutes go through the compiled loop; bars for
        minutes already seen replace them (see `on_bar`)."""
        if len(bars) == 0:
            return
        self._cover(int(bars.ts_ns[0]))
        self._cover(int(bars.ts_ns[-1]))
        labels, _ = self._grid.buckets(self._base_rule, bars.ts_ns)
        off_grid = np.flatnonzero(labels != bars.ts_ns)
        if len(off_grid):
            bad = int(bars.ts_ns[off_grid[0]])
            raise ValueError(
                f"bar {off_grid[0]} at {np.datetime64(bad, 'ns')} is not the start of a 1m "
                f"bucket in a {self.calendar.name} session"
            )
        seen = int(np.searchsorted(bars.ts_ns, self._g[G_WM_END]))
        for i in range(seen):
            self._late(int(bars.ts_ns[i]), bars.open[i], bars.high[i], bars.low[i],
                       bars.close[i], bars.volume[i], replace=True)  # fmt: skip
        new = bars[seen:]
        self._feed(new.ts_ns, new.open, new.high, new.low, new.close, new.volume)

    def flush(self, now_ns: int) -> None:
        """Seal forming bars whose bucket has ended by `now_ns` (call it from a timer, so
        the last bar before a break closes without waiting for the next tick)."""
        if self._state is not None:
            flush_nb(self._state, now_ns)
            self._drain()

    # -- the late path -----------------------------------------------------------------------

    def _late(self, t, o, h, lo, c, v, replace: bool) -> None:
        if t < self._g[G_LATEST] - self.horizon_ns:
            self._late_rejected += 1
            return
        self._cover(t)
        grid = self._grid
        base_label, _ = grid.buckets(self._base_rule, np.array([t]))
        if base_label[0] < 0:
            self._outside_late += 1
            return
        self._late_taken += 1
        row = (t, o, h, lo, c, v)
        for k, tf in enumerate(self._tfs):
            label, end = (int(x[0]) for x in grid.buckets(self._rule_objs[k], np.array([t])))
            store = self._stores[tf]
            ist = self._ist[k]
            if ist[FORMING] and ist[LABEL] == label:
                if k == 0:
                    self._set_forming(0, self._merged(self._forming_row(0), row, replace))
                else:
                    self._set_forming(k, self._recompute(label, end))
                self._touched[k] = 1
                continue
            ix = store.index_of(label)
            exists = ix < store.n and store.column("ts_ns")[ix] == label
            if k == 0:
                fresh = (label, o, h, lo, c, v, t, t)
                new = self._merged(store.row(ix), row, replace) if exists else fresh
            else:
                new = self._recompute(label, end)
            if exists:
                store.set_row(ix, new)
                self._emit(EventKind.CORRECTED, tf, ix)
            else:
                store.insert_row(ix, new)
                self._emit(EventKind.INSERTED, tf, ix)
            ist[SEALED_LABEL] = max(ist[SEALED_LABEL], label)

    @staticmethod
    def _merged(bar: tuple, row: tuple, replace: bool) -> tuple:
        """A base bar with a late row merged in (a tick), or replaced by it (a bar)."""
        t, o, h, lo, c, v = row
        if replace:
            return (bar[0], o, h, lo, c, v, t, t)
        return (bar[0], *merge_ohlcv(bar[1:], (o, h, lo, c, v, t, t)))

    def _forming_row(self, k: int) -> tuple:
        ist, fst = self._ist[k], self._fst[k]
        return (int(ist[LABEL]), *fst.tolist(), int(ist[FIRST]), int(ist[LAST]))

    def _set_forming(self, k: int, bar: tuple) -> None:
        label, o, h, lo, c, v, first, last = bar
        self._ist[k, [LABEL, FIRST, LAST]] = (label, first, last)
        self._fst[k] = (o, h, lo, c, v)

    def _recompute(self, label: int, end: int) -> tuple:
        """A higher timeframe's bucket [label, end) recomputed from the base bars: O(k)."""
        base = self._stores["1m"]
        ts = base.column("ts_ns")
        a, b = np.searchsorted(ts, [label, end])
        parts = []
        if b > a:
            parts.append((base.column("open")[a], base.column("high")[a:b].max(),
                          base.column("low")[a:b].min(), base.column("close")[b - 1],
                          base.column("volume")[a:b].sum(), base.column("first_ns")[a],
                          base.column("last_ns")[b - 1]))  # fmt: skip
        if self._ist[0, FORMING] and label <= self._ist[0, LABEL] < end:
            f = self._forming_row(0)
            parts.append((f[1], f[2], f[3], f[4], f[5], f[6], f[7]))
        o, h, lo, c, v, first, last = functools.reduce(merge_ohlcv, parts)
        return (label, float(o), float(h), float(lo), float(c), float(v), int(first), int(last))

    # -- output ------------------------------------------------------------------------------

    def _k(self, tf: str) -> int:
        if tf not in self.timeframes:
            raise ValueError(f"timeframe {tf!r} is not built here: {', '.join(self.timeframes)}")
        return self._index[tf]

    def sealed_count(self, tf: str) -> int:
        """len(sealed(tf)), without making the view."""
        return self._stores[self._tfs[self._k(tf)]].n

    def sealed(self, tf: str) -> Bars:
        return self._stores[self._tfs[self._k(tf)]].view()

    def forming(self, tf: str) -> tuple | None:
        """(ts_ns, open, high, low, close, volume) of the forming bar, or None."""
        k = self._k(tf)
        return self._forming_row(k)[:6] if self._ist[k, FORMING] else None

    def bars(self, tf: str) -> Bars:
        """Sealed bars with the forming bar last (views; valid until the next input)."""
        k = self._k(tf)
        forming = self._forming_row(k) if self._ist[k, FORMING] else None
        return self._stores[tf].view(forming)

    def counters(self) -> BuilderStats:
        return BuilderStats(
            rows=int(self._g[G_ROWS]),
            late=self._late_taken,
            rejected_late=self._late_rejected,
            outside_session=int(self._g[G_OUTSIDE]) + self._outside_late,
        )
