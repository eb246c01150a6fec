"""A live session: ticks of one symbol from a feed into every timeframe on screen and the store.

The feed writes into a tick ring from its own thread; a ~60 Hz UI timer drains the ring
through the engine (`LivePipeline`), hands each shown timeframe's change to its model once
per frame, and gives sealed bars to the background writer. The numbers a trader watches (ticks
a second, frame time, tick-to-screen latency, store queries a minute, rejected ticks) are
gathered here and reported once a second.
"""

from __future__ import annotations

import dataclasses
import time
import weakref
from collections import deque
from collections.abc import Callable

import numpy as np
from PySide6 import QtCore

from data.feeds.kinds import FEED_SPECS
from data.feeds.port import Feed, FeedContext, FeedRefused, FeedSettings
from data.store import BarStore
from data.store.persist import BarWriter
from engine.bars import Bars
from engine.ring import TickRing
from engine.sessions import calendar
from engine.units import NS_PER_MIN
from widgets.series_model import SeriesModel

LIVE_TIMEFRAMES = ("1m", "5m", "15m", "1h", "4h", "1d")
FRAME_MS = 16
BACKGROUND_FRAME_MS = 250  # a session not on screen builds and stores 4 frames a second
SHOWN_FEED_PERIOD_S = 0.01
BACKGROUND_STATS_MS = 5000  # and checks its feed's thread every 5 s (nobody reads its stats)
STATS_MS = 1000
RING_TICKS = 1 << 18
SAMPLE_LOG = 1 << 16


@dataclasses.dataclass(frozen=True)
class LiveStats:
    ticks_per_s: float
    frame_ms_p50: float
    frame_ms_max: float
    latency_ms_p50: float
    latency_ms_max: float
    backlog: int
    queries_per_min: float
    rejected: int
    feed: str  # "live", "paused", "replay 2024-03-04 15:02", "listening on :7878"
    last_rejection: str = ""  # why the feed's latest rejected tick was left out
    not_stored: str = ""  # why sealed bars wait to be written (the store failed)
    frames_ms: tuple[float, ...] = ()  # the second's frame times (for p99 across seconds)


def _percentile(values, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else 0.0


class LiveSession(QtCore.QObject):
    """Signals:
    stats_changed(LiveStats): once a second.
    """

    stats_changed = QtCore.Signal(object)

    def __init__(
        self,
        store: BarStore,
        symbol: str,
        settings: FeedSettings,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.symbol = symbol
        self.settings = settings
        instrument = store.instrument(symbol)
        self.calendar = calendar(instrument.calendar)
        self.models: dict[str, SeriesModel] = {}
        self.ring = TickRing(RING_TICKS)
        self.builder = None  # the timeframes' state machines, once the session starts
        self.pipeline = None
        last = store.time_range(symbol, "1m")
        spec = FEED_SPECS[settings.key]
        context = FeedContext(store, symbol, self.ring, instrument, self.calendar, settings,
                              store.sources(symbol), last, self._take_bars)  # fmt: skip
        refusal = spec.refuse(context)
        if refusal is not None:
            self.setParent(None)  # not kept as a child of whoever asked
            raise FeedRefused(refusal)
        # a replay shows the history before its start; live feeds all of it
        self.history_end_ns = spec.history_end(context)
        self._seed_end_ns = None if last is None else self.history_end_ns or last[1] + 1
        self.feed: Feed | None = spec.make(context)
        self.started = False
        source = spec.source(context)
        self.writer = BarWriter(store, symbol, source) if source is not None else None
        self._frame_ms: deque[float] = deque(maxlen=240)
        self._latency_ms: deque[float] = deque(maxlen=240)
        # every frame's time and every painted latency, bounded (for benchmarks and tests)
        self.frame_log: deque[float] = deque(maxlen=SAMPLE_LOG)
        self.latency_log: deque[float] = deque(maxlen=SAMPLE_LOG)
        self._paint_ms = 0.0
        self._watched: weakref.WeakSet = weakref.WeakSet()  # the charts whose paints count
        self._unpainted_recv = 0  # write time of the oldest tick not yet on screen
        self._ticks_window = 0
        self._queries: deque[tuple[float, int]] = deque(maxlen=120)
        # called with (symbol, ts_ns, price, qty) of each frame's ticks (the quotes)
        self.tick_listener: Callable[[str, np.ndarray, np.ndarray, np.ndarray], None] | None = None
        # called with (symbol, first_ns, end_ns) once 1m bars the feed fetched itself (an
        # exchange's, filling a gap) are in the store: history the quotes read changed
        self.history_listener: Callable[[str, int, int], None] | None = None
        self._fetched: deque[tuple[int, int]] = deque()  # spans fetched, not yet put
        self._storing: deque[tuple[int, int, int]] = deque()  # (writer's puts, span)
        self._timer = QtCore.QTimer(self)
        self._timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self.frame)
        self._stats_timer = QtCore.QTimer(self)
        self._stats_timer.setInterval(STATS_MS)
        self._stats_timer.timeout.connect(self._report)

    # -- set-up ------------------------------------------------------------------------------

    def _take_bars(self, base_bars) -> None:
        """1m bars the feed fetched itself (from its thread): into the next frame."""
        if self.pipeline is not None and len(base_bars):
            self.pipeline.put_bars(base_bars)
            # noted after: a frame that takes the note has the bars in its step
            self._fetched.append((int(base_bars.ts_ns[0]), int(base_bars.ts_ns[-1]) + NS_PER_MIN))

    def _forming_history(self, end_ns: int):
        """The stored 1m bars of the buckets forming at `end_ns` (from the start of the
        longest one): two small reads."""
        from engine.aggregate import resample

        before = self.store.load(self.symbol, "1m", end_ns=end_ns, limit=1)
        if len(before) == 0:
            return before
        longest = resample(before, LIVE_TIMEFRAMES[-1], self.calendar)
        return self.store.load(self.symbol, "1m", start_ns=int(longest.ts_ns[0]), end_ns=end_ns)

    def attach(self, model: SeriesModel) -> None:
        """Keep `model` (a timeframe of this symbol, loaded from the store) up to date,
        first with what the session built since the store last heard of it."""
        tf = model.timeframe
        if tf not in LIVE_TIMEFRAMES:
            return
        self.models[tf] = model
        if self.builder is None:
            return  # nothing built yet: `start` brings it up to the builders
        sealed = self.builder.sealed(tf)
        if len(model) and len(sealed):
            sealed = sealed[int(np.searchsorted(sealed.ts_ns, model.column("ts_ns")[-1])) :]
        model.upsert(sealed)
        forming = self.builder.forming(tf)
        if forming is not None:
            model.update_last(forming)

    def detach(self, model: SeriesModel) -> None:
        if self.models.get(model.timeframe) is model:
            del self.models[model.timeframe]

    def set_shown(self, shown: bool) -> None:
        """On screen: a frame every FRAME_MS, stats every STATS_MS; off screen (its bars built
        and stored, its quotes in the watchlist) every BACKGROUND_FRAME_MS and
        BACKGROUND_STATS_MS."""
        self._timer.setInterval(FRAME_MS if shown else BACKGROUND_FRAME_MS)
        self._stats_timer.setInterval(STATS_MS if shown else BACKGROUND_STATS_MS)
        if hasattr(self.feed, "period_s"):  # a feed on the clock writes as often as needed
            self.feed.period_s = SHOWN_FEED_PERIOD_S if shown else BACKGROUND_FRAME_MS / 1000

    def watch_paints(self, chart: QtCore.QObject) -> None:
        """Count a chart's paints as frames reaching the screen (for the latency figures);
        once a chart, however often asked."""
        if chart not in self._watched:
            self._watched.add(chart)
            chart.painted.connect(self._on_painted)

    # -- running -----------------------------------------------------------------------------

    def start(self) -> None:
        """Seed the builders with the forming buckets' history (the first compiled code a
        session runs, so a window can show its history before: the engine's compiled parts
        are loaded here, not at launch), bring the attached models up to them, and start the
        feed."""
        from engine.live import MultiTimeframeBuilder
        from engine.pipeline import LivePipeline

        self.builder = MultiTimeframeBuilder(LIVE_TIMEFRAMES, self.calendar)
        self.pipeline = LivePipeline(self.builder, self.ring)
        self.started = True
        if self._seed_end_ns is not None:
            self.pipeline.seed(self._forming_history(self._seed_end_ns))
            for model in list(self.models.values()):
                self.attach(model)
        if self.feed is not None:
            self.feed.start()
        self._timer.start()
        self._stats_timer.start()

    @property
    def paused(self) -> bool:
        return self.feed is not None and self.feed.paused

    @property
    def pausable(self) -> bool:
        return self.feed is not None and self.feed.pausable

    def pause(self) -> None:
        if self.pausable:
            self.feed.pause()

    def resume(self) -> None:
        if self.pausable:
            self.feed.resume()

    def step(self) -> None:
        """A feed that steps (a replay): play the next bar now."""
        if self.feed is not None and self.feed.steps:
            self.feed.step()
            self.frame()

    def set_speed(self, speed: float) -> None:
        if self.feed is not None and self.feed.steps:
            self.feed.set_speed(speed)

    def frame(self) -> None:
        """Drain the ring, build, update every model once."""
        if self.pipeline is None:
            return  # not started
        started = time.perf_counter()
        now_ns = self.feed.now_ns() if self.feed is not None else None
        fetched = [self._fetched.popleft() for _ in range(len(self._fetched))]  # in this step
        frame = self.pipeline.step(now_ns)
        for tf, update in frame.updates.items():
            if self.writer is not None:
                self.writer.put(tf, update.sealed)
            model = self.models.get(tf)
            if model is None or not (frame.ticks or len(update.sealed)):
                continue
            model.upsert(update.sealed)
            if update.forming is not None:
                model.update_last(update.forming)
        self._tell_stored(fetched)
        if frame.ticks:
            if self.tick_listener is not None:
                self.tick_listener(self.symbol, *frame.tick_columns)
            self._ticks_window += frame.ticks
            if not self._unpainted_recv:
                self._unpainted_recv = frame.oldest_recv_ns
        frame_ms = (time.perf_counter() - started) * 1000.0 + self._paint_ms
        self._frame_ms.append(frame_ms)
        self.frame_log.append(frame_ms)
        self._paint_ms = 0.0

    def _tell_stored(self, fetched: list[tuple[int, int]]) -> None:
        """The spans of fetched bars put to the writer this frame, told to the history
        listener once the writer has stored them (read before, the store had not)."""
        if self.writer is None or self.history_listener is None:
            return
        self._storing.extend((self.writer.puts, *span) for span in fetched)
        while self._storing and self._storing[0][0] <= self.writer.stored_puts:
            _, first_ns, end_ns = self._storing.popleft()
            self.history_listener(self.symbol, first_ns, end_ns)

    def _on_painted(self, paint_ms: float) -> None:
        self._paint_ms += paint_ms
        if self._unpainted_recv:
            latency_ms = (time.perf_counter_ns() - self._unpainted_recv) / 1e6
            self._latency_ms.append(latency_ms)
            self.latency_log.append(latency_ms)
            self._unpainted_recv = 0

    def stats(self) -> LiveStats:
        if self.feed is not None and self.started:
            self.feed.ensure_running()
        now = time.monotonic()
        self._queries.append((now, self.store.queries))
        t0, q0 = next(((t, q) for t, q in self._queries if now - t <= 60.0), (now, 0))
        per_min = (self.store.queries - q0) * 60.0 / max(now - t0, 1.0)
        frames, latency = list(self._frame_ms), list(self._latency_ms)
        return LiveStats(
            ticks_per_s=self._ticks_window * 1000.0 / STATS_MS,
            frame_ms_p50=_percentile(frames, 50),
            frame_ms_max=max(frames, default=0.0),
            latency_ms_p50=_percentile(latency, 50),
            latency_ms_max=max(latency, default=0.0),
            backlog=len(self.ring),
            queries_per_min=per_min,
            rejected=0 if self.feed is None else self.feed.rejected,
            feed="feed off" if self.feed is None else self.feed.state(),
            last_rejection="" if self.feed is None else self.feed.last_rejection,
            not_stored=self._not_stored(),
            frames_ms=tuple(frames),
        )

    def _not_stored(self) -> str:
        writer = self.writer
        return writer.counters.last_error if writer is not None and writer.pending else ""

    def _store_forming(self) -> None:
        """The forming 1m bar as it stands, stored: a session started again within its minute
        goes on from it (the seed), and one started later keeps what was seen of that minute.
        Left out, the minute was built again from the later ticks alone, without its open, its
        extremes and its volume so far, and stored so. (An exchange feed fetches the
        exchange's own bar of the last stored minute when it starts: it replaces this one.)"""
        forming = None if self.builder is None else self.builder.forming("1m")
        if forming is not None:
            self.writer.put("1m", Bars.from_arrays(*([x] for x in forming)))

    def _report(self) -> None:
        stats = self.stats()
        self._ticks_window = 0
        self._frame_ms.clear()
        self._latency_ms.clear()
        self.stats_changed.emit(stats)

    def close(self, store: bool = True) -> None:
        """Stop the feed, take its last ticks, write every sealed bar (none if not `store`:
        the symbol was deleted)."""
        self._timer.stop()
        self._stats_timer.stop()
        if self.feed is not None:
            self.feed.stop()
        if self.writer is not None and not store:
            self.writer.discard()
            self.writer = None
        self.frame()
        if self.writer is not None:
            self._store_forming()
            self.writer.close()
        if self.pipeline is not None:
            self.pipeline.close()
