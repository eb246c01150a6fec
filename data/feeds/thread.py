"""Tick feeds that run on the clock: a `TickSource` turns a span of wall-clock time into
ticks (the simulated market in `data.feeds.simulated`, the replay in `data.feeds.replay`);
a `FeedThread` runs one, writing batches of (ts_ns, price, qty) into its TickRing. Every
FeedThread of the process is run by one thread (`_Runner`): fifty simulated symbols are one
thread waking every 10 ms, not fifty contending for the interpreter with the window's.
The socket feed (`data.feeds.socket_feed`) is pushed from outside instead."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

from engine.ring import TickRing


@dataclasses.dataclass
class FeedCounters:
    ticks: int = 0
    batches: int = 0
    waited: int = 0  # batches that had to wait for room in the ring
    dropped: int = 0  # ticks that found no room within the timeout (the consumer stalled)


class TickSource(Protocol):
    def generate(self, t0_ns: int, t1_ns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ticks for the wall-clock span [t0, t1), in time order."""

    def now_ns(self, wall_ns: int) -> int:
        """The market time at wall-clock time `wall_ns` (bars end by it)."""

    def state(self, paused: bool) -> str:
        """Its state in a few words for the status bar."""


WRITE_WAIT_S = 0.05  # a full ring (its session stalled) drops the ticks after this long:
# the runner serves every feed, so one stalled consumer must not hold up the others


class _Runner:
    """The one thread that runs every started FeedThread: it wakes every (shortest) period
    and lets each feed that is due write its span of ticks. It ends when the last feed
    stops, and starts again with the next."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._feeds: list[FeedThread] = []
        self._thread: threading.Thread | None = None

    def add(self, feed: FeedThread) -> None:
        with self._lock:
            self._feeds.append(feed)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="candleterm-feeds",
                                                daemon=True)  # fmt: skip
                self._thread.start()

    def remove(self, feed: FeedThread) -> None:
        with self._lock:
            if feed in self._feeds:
                self._feeds.remove(feed)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._feeds:
                    self._thread = None
                    return
                feeds = list(self._feeds)
            time.sleep(min(f.period_s for f in feeds))
            now = time.monotonic()
            for feed in feeds:
                feed.advance(now)


_RUNNER = _Runner()


class FeedThread:
    """Runs a tick source on the wall clock, writing its ticks into a ring (a `Feed`), every
    `period_s` (on the runner's thread).

    `pause` stops the source's time (a simulation or a replay waits); `step()` runs a
    source's own step (a replay's next bar) from the caller's thread while paused."""

    pausable = True
    last_rejection = ""  # a source's ticks are its own: none is rejected

    def __init__(
        self,
        source: TickSource,
        ring: TickRing,
        clock: Callable[[], int] = time.time_ns,
        period_s: float = 0.01,
    ) -> None:
        self.source = source
        self.ring = ring
        self.clock = clock
        self.period_s = period_s  # how often its ticks are written (a session off screen
        # needs them less often than the chart on screen)
        self.counters = FeedCounters()
        self._stopped = False
        self._running = False  # writing (started and not paused)
        self._paused = False  # asked to pause (a feed not yet started is not paused)
        self._write_lock = threading.Lock()
        self._market_ns = source.now_ns(clock())
        self._last = 0  # the clock at the last write
        self._due = 0.0  # time.monotonic() of the next write

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def steps(self) -> bool:
        return hasattr(self.source, "step")

    @property
    def rejected(self) -> int:
        return 0

    def state(self) -> str:
        return self.source.state(self.paused)

    def set_speed(self, speed: float) -> None:
        if self.steps:
            self.source.set_speed(speed)

    ok = True  # a source on the clock does not fail on its own

    def ensure_running(self) -> bool:
        return False  # a source's errors are raised where it is stepped

    def now_ns(self) -> int:
        """The market time up to which every tick is in the ring (a replay's position,
        otherwise the clock at the last write): bars that ended by then can be sealed."""
        return self._market_ns

    def start(self) -> None:
        with self._write_lock:
            self._last = self.clock()
            self._running = not self._paused
        _RUNNER.add(self)

    def pause(self) -> None:
        """No tick is written once this returns (a write under way is waited for)."""
        with self._write_lock:
            self._paused = True
            self._running = False

    def resume(self) -> None:
        self._paused = False
        self._running = not self._stopped

    def step(self) -> int:
        """Write the source's next step (see `ReplaySource.step`); returns the ticks written."""
        if not self.steps:
            return 0
        with self._write_lock:
            done = self._write(*self.source.step())
            self._market_ns = self.source.now_ns(self.clock())
            return done

    def stop(self) -> None:
        """No more writes once this returns (one under way is waited for)."""
        _RUNNER.remove(self)
        with self._write_lock:
            self._stopped = True
            self._running = False

    def advance(self, monotonic_s: float) -> None:
        """The runner's call: when due, write the ticks of the span since the last write
        (time passes while paused: a paused market does not catch up)."""
        if monotonic_s < self._due:
            return
        self._due = monotonic_s + self.period_s
        with self._write_lock:
            if self._stopped:
                return
            now = self.clock()
            if self._running:
                self._write(*self.source.generate(self._last, now))
            self._market_ns = self.source.now_ns(now)
            self._last = now

    def _write(self, ts, price, qty) -> int:
        if not len(ts):
            return 0
        if self.ring.free < len(ts):
            self.counters.waited += 1
        done = self.ring.write_all(ts, price, qty, timeout_s=WRITE_WAIT_S)
        self.counters.ticks += done
        self.counters.dropped += len(ts) - done
        self.counters.batches += 1
        return done
