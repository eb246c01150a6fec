"""One frame of the live pipeline: drain the tick ring, build bars, say what changed.

The UI calls `step` about 60 times a second. Whatever arrived since the last frame goes
through the builder's batch path at once, and each timeframe's change comes out as one update:
the bars sealed (or corrected by late ticks) since the last frame, and the forming bar. However
many ticks came in, a frame draws the latest state once: under overload frames coalesce
instead of queueing, and the ring bounds the memory.
"""

from __future__ import annotations

import collections
import dataclasses

import numpy as np

from engine.bars import COLUMNS, Bars
from engine.live import BarEvent, EventKind, MultiTimeframeBuilder
from engine.ring import TickRing

DEFAULT_MAX_TICKS_PER_FRAME = 1 << 18
_NOTHING = Bars.from_arrays(*([] for _ in COLUMNS))  # no bars sealed this frame


@dataclasses.dataclass(frozen=True)
class SeriesUpdate:
    """A timeframe's change in one frame: `sealed` holds copies of the bars sealed or
    corrected since the last frame (time order); `forming` the forming bar, or None."""

    sealed: Bars
    forming: tuple | None


@dataclasses.dataclass(frozen=True)
class Frame:
    ticks: int  # ticks taken in this frame
    backlog: int  # ticks left in the ring (more than a frame's budget arrived)
    updates: dict[str, SeriesUpdate]
    oldest_recv_ns: int  # when the oldest tick of the frame was written (perf_counter_ns)
    newest_recv_ns: int
    tick_columns: tuple[np.ndarray, np.ndarray, np.ndarray]  # the ticks: ts_ns, price, qty


class LivePipeline:
    def __init__(
        self,
        builder: MultiTimeframeBuilder,
        ring: TickRing,
        max_ticks_per_frame: int = DEFAULT_MAX_TICKS_PER_FRAME,
    ) -> None:
        self.builder = builder
        self.ring = ring
        self.max_ticks_per_frame = max_ticks_per_frame
        self._synced = {tf: 0 for tf in builder.timeframes}
        self._dirty_from = dict(self._synced)
        builder.subscribe(self._on_event)
        self._bars_in: collections.deque[Bars] = collections.deque()  # from any thread
        self._stored_forming: dict[str, tuple] = {}  # the seed's forming bars, by timeframe
        self.ticks = 0
        self.frames = 0

    def seed(self, base_bars: Bars) -> None:
        """History of the forming buckets (1m bars from the start of the longest one), so the
        forming bars carry their open, high, low and volume so far. It is not reported as
        sealed: it is stored already."""
        self.builder.on_bars(base_bars)
        for tf in self.builder.timeframes:
            self._synced[tf] = self._dirty_from[tf] = len(self.builder.sealed(tf))
            forming = self.builder.forming(tf)
            if forming is not None:  # stored already: sealed as it is, it is no news either
                self._stored_forming[tf] = forming

    def put_bars(self, base_bars: Bars) -> None:
        """1m bars from the feed's thread (an exchange's own bars for minutes its stream
        missed): the next frame takes them after the ticks in the ring (written before them);
        a bar for a minute already built replaces it (see `MultiTimeframeBuilder.on_bars`)."""
        self._bars_in.append(base_bars)

    def _on_event(self, event: BarEvent) -> None:
        if event.kind in (EventKind.CORRECTED, EventKind.INSERTED):
            tf = event.timeframe
            self._dirty_from[tf] = min(self._dirty_from[tf], event.index)

    def step(self, now_ns: int | None = None) -> Frame:
        """Take the ticks waiting in the ring, then seal the bars that ended by `now_ns`
        (the feed's time, read before this call so that every tick before it is in)."""
        ts, price, qty, recv = self.ring.read_stamped(self.max_ticks_per_frame)
        if len(ts):
            self.builder.on_ticks(ts, price, qty)
        while self._bars_in:  # after the ticks: they were written before (a bar replaces them)
            self.builder.on_bars(self._bars_in.popleft())
        if now_ns is not None:
            self.builder.flush(now_ns)
        updates = {}
        for tf in self.builder.timeframes:
            count = self.builder.sealed_count(tf)
            start = min(self._synced[tf], self._dirty_from[tf])
            if start == count:
                new = _NOTHING
            else:
                sealed = self.builder.sealed(tf)
                new = Bars(*(np.array(getattr(sealed, c)[start:]) for c in COLUMNS))
            self._synced[tf] = self._dirty_from[tf] = count
            if len(new) and tf in self._stored_forming:
                new = self._unless_stored(tf, new)
            updates[tf] = SeriesUpdate(new, self.builder.forming(tf))
        self.ticks += len(ts)
        self.frames += 1
        first, last = (int(recv[0]), int(recv[-1])) if len(recv) else (0, 0)
        return Frame(len(ts), len(self.ring), updates, first, last, (ts, price, qty))

    def _unless_stored(self, tf: str, new: Bars) -> Bars:
        """`new` without the seed's forming bar if it sealed as it was seeded (no tick came
        into its bucket): it is in the store already, under the source that wrote it."""
        stored = self._stored_forming[tf]
        if int(new.ts_ns[0]) > stored[0]:
            del self._stored_forming[tf]  # sealed past it: nothing more to compare
            return new
        if int(new.ts_ns[0]) == stored[0]:
            del self._stored_forming[tf]
            first = tuple(float(getattr(new, c)[0]) for c in COLUMNS[1:])
            if first == tuple(float(x) for x in stored[1:6]):
                return new[1:]
        return new

    def close(self) -> None:
        self.builder.unsubscribe(self._on_event)
