"""Tick feeds that run on the clock: a `TickSource` turns a span of wall-clock time into
ticks (the simulated market in `data.feeds.simulated`, the replay in `data.feeds.replay`);
`FeedThread` runs one from its own thread, writing batches of (ts_ns, price, qty) into a
TickRing. The socket feed (`data.feeds.socket_feed`) is pushed from outside instead."""

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


class FeedThread:
    """Runs a tick source on the wall clock, writing its ticks into a ring (a `Feed`).

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
        self.period_s = period_s
        self.counters = FeedCounters()
        self._stop = threading.Event()
        self._running = threading.Event()
        self._paused = False  # asked to pause (a feed not yet started is not paused)
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._market_ns = source.now_ns(clock())

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

    def ensure_running(self) -> bool:
        return False  # a source's errors are raised where it is stepped

    def now_ns(self) -> int:
        """The market time up to which every tick is in the ring (a replay's position,
        otherwise the clock at the last write): bars that ended by then can be sealed."""
        return self._market_ns

    def start(self) -> None:
        if not self._paused:
            self._running.set()
        self._thread = threading.Thread(target=self._run, name="candleterm-feed", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        self._paused = True
        self._running.clear()

    def resume(self) -> None:
        self._paused = False
        self._running.set()

    def step(self) -> int:
        """Write the source's next step (see `ReplaySource.step`); returns the ticks written."""
        if not self.steps:
            return 0
        with self._write_lock:
            done = self._write(*self.source.step())
            self._market_ns = self.source.now_ns(self.clock())
            return done

    def stop(self) -> None:
        self._stop.set()
        self._running.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _write(self, ts, price, qty) -> int:
        if not len(ts):
            return 0
        if self.ring.free < len(ts):
            self.counters.waited += 1
        done = self.ring.write_all(ts, price, qty, timeout_s=1.0)
        self.counters.ticks += done
        self.counters.dropped += len(ts) - done
        self.counters.batches += 1
        return done

    def _run(self) -> None:
        last = self.clock()
        while not self._stop.wait(self.period_s):
            now = self.clock()
            with self._write_lock:
                if self._running.is_set():
                    self._write(*self.source.generate(last, now))
                self._market_ns = self.source.now_ns(now)
            last = now
