"""Tick feeds: each produces batches of (ts_ns, price, qty) into a TickRing from its own
thread. A `TickSource` turns a span of wall-clock time into ticks (the simulated market here,
the replay in `data.replay`); `FeedThread` runs one on the clock. The socket feed
(`data.socket_feed`) is pushed from outside instead."""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

from engine.ring import TickRing
from engine.sessions import SessionCalendar

STEP_NS = 10_000_000  # the simulation advances in 10 ms steps
NS_PER_S = 1_000_000_000


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


class SimulatedMarket:
    """A market that continues from `price`: ticks arrive with a self-exciting (Hawkes-like)
    intensity, so activity comes in bursts; prices follow a random walk on the tick grid whose
    volatility clusters; nothing trades outside the calendar's sessions.

    `generate(t0, t1)` is a pure step of the simulation (same seed, same ticks)."""

    def __init__(
        self,
        price: float,
        calendar: SessionCalendar,
        tick_size: float,
        rate: float = 100.0,
        seed: int | None = None,
        excitation: float = 0.6,
        decay_s: float = 2.0,
    ) -> None:
        if not (price > 0 and math.isfinite(price)):
            raise ValueError(f"start price {price!r} must be a positive number")
        if not 0 <= excitation < 1:
            raise ValueError(f"excitation {excitation!r} must lie in [0, 1)")
        self.calendar = calendar
        self.tick_size = tick_size
        self.price = price
        self.rng = np.random.default_rng(seed)
        self.excitation = excitation
        self.decay_s = decay_s
        self.rate = self.intensity = rate  # the long-run mean: the rate holds from the start
        self.set_rate(rate)
        self.log_vol = 0.0

    def now_ns(self, wall_ns: int) -> int:
        return wall_ns

    def set_rate(self, rate: float) -> None:
        """The average ticks a second, from now on (the base rate is scaled so that the
        bursts' extra ticks bring the mean to `rate`, and the current intensity with it: left
        to climb from the base rate, the first several seconds ran at about half the rate)."""
        if not 1 <= rate <= 100_000:
            raise ValueError(f"rate {rate!r} must be between 1 and 100000 ticks a second")
        self.intensity *= rate / self.rate
        self.rate = rate
        self.base_rate = rate * (1 - self.excitation)

    def generate(self, t0_ns: int, t1_ns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ticks in [t0, t1), in time order."""
        stamps = []
        for start in range(t0_ns, t1_ns, STEP_NS):
            stop = min(start + STEP_NS, t1_ns)
            dt = (stop - start) / NS_PER_S
            k = self.rng.poisson(self.intensity * dt)
            # each tick excites future arrivals; the excitation fades with decay_s over the
            # step's own length (a feed thread asks for steps shorter than STEP_NS)
            keep = math.exp(-dt / self.decay_s)
            jump = self.excitation * k / self.decay_s
            self.intensity = self.base_rate + (self.intensity - self.base_rate) * keep + jump
            if k:
                stamps.append(np.sort(self.rng.integers(start, stop, k)))
            self.log_vol = 0.999 * self.log_vol + self.rng.normal(0, 0.02)
        if not stamps:
            empty = np.empty(0)
            return empty.astype(np.int64), empty, empty
        ts = np.concatenate(stamps).astype(np.int64)
        ts = ts[self.calendar.is_in_session(ts)]
        n = len(ts)
        sigma = 2e-5 * math.exp(self.log_vol)
        steps = self.rng.standard_t(4, n) * sigma
        prices = self.price * np.exp(np.cumsum(steps))
        prices = np.maximum(np.round(prices / self.tick_size) * self.tick_size, self.tick_size)
        if n:
            self.price = float(prices[-1])
        sizes = np.maximum(np.round(self.rng.lognormal(0.0, 0.8, n)), 1.0)
        return ts, prices, sizes


class FeedThread:
    """Runs a tick source on the wall clock, writing its ticks into a ring.

    `pause` stops the source's time (a simulation or a replay waits); `step()` runs a
    source's own step (a replay's next bar) from the caller's thread while paused."""

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
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._market_ns = source.now_ns(clock())

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def now_ns(self) -> int:
        """The market time up to which every tick is in the ring (a replay's position,
        otherwise the clock at the last write): bars that ended by then can be sealed."""
        return self._market_ns

    def start(self) -> None:
        self._running.set()
        self._thread = threading.Thread(target=self._run, name="candleterm-feed", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def step(self) -> int:
        """Write the source's next step (see `ReplaySource.step`); returns the ticks written."""
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
