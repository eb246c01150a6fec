"""Replay: stored 1-minute bars turned back into ticks and played at x1 to x1000.

Each bar becomes four ticks inside its minute: the open at the bar's start, then the low and
the high (the high first on a down bar), then the close carrying the whole volume. Built
live, they give back exactly the stored bar (open, high, low, close and volume are copied,
never recomputed), so a replayed period looks as it would have live.

The replay has its own clock, `position_ns`: wall-clock time moves it at `speed` times real
time; a pause stops it; `step()` plays the next bar at once; `seek(ts_ns)` moves it. Empty
stretches longer than `max_gap_s` (nights, weekends) are skipped so a replay never waits
for hours of nothing.
"""

from __future__ import annotations

import threading

import numpy as np

from engine.bars import Bars
from engine.units import NS_PER_MIN, NS_PER_S

MIN_SPEED, MAX_SPEED = 1.0, 1000.0
TICK_OFFSETS_NS = np.array([0, 15, 30, 45], np.int64) * NS_PER_S


def bars_to_ticks(bars: Bars) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Four ticks per 1-minute bar (open, low/high, high/low, close), in time order."""
    n = len(bars)
    up = bars.close >= bars.open
    first = np.where(up, bars.low, bars.high)
    second = np.where(up, bars.high, bars.low)
    ts = (bars.ts_ns[:, None] + TICK_OFFSETS_NS[None, :]).ravel()
    price = np.stack([bars.open, first, second, bars.close], axis=1).ravel()
    qty = np.zeros((n, 4))
    qty[:, 3] = bars.volume
    return ts, price, qty.ravel()


def check_speed(speed: float) -> float:
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"replay speed x{speed} must be between x1 and x1000")
    return float(speed)


class ReplaySource:
    """A `TickSource` playing stored bars from `start_ns` (default: the first bar)."""

    def __init__(
        self,
        bars: Bars,
        speed: float = 1.0,
        start_ns: int | None = None,
        max_gap_s: float = 60.0,
    ) -> None:
        if len(bars) == 0:
            raise ValueError("nothing to replay: the chosen period has no bars")
        self.speed = check_speed(speed)
        self.ts_ns, self.price, self.qty = bars_to_ticks(bars)
        self.max_gap_ns = int(max_gap_s * 1e9)
        self._lock = threading.Lock()
        self.position_ns = int(bars.ts_ns[0]) if start_ns is None else int(start_ns)
        self._next = int(np.searchsorted(self.ts_ns, self.position_ns))

    @property
    def finished(self) -> bool:
        return self._next >= len(self.ts_ns)

    def set_speed(self, speed: float) -> None:
        self.speed = check_speed(speed)

    def now_ns(self, wall_ns: int) -> int:
        return self.position_ns

    def state(self, paused: bool) -> str:
        position = np.datetime_as_string(
            np.datetime64(self.position_ns, "ns").astype("datetime64[s]")
        ).replace("T", " ")
        if self.finished:  # nothing flows, paused or not
            return f"replay x{self.speed:g} ended at {position} UTC (the last stored bar)"
        return f"replay x{self.speed:g} {position} UTC {'paused' if paused else 'live'}"

    def _play_to(self, position_ns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ticks in [position, position_ns); the position moves there."""
        i = self._next
        j = int(np.searchsorted(self.ts_ns, position_ns))
        self.position_ns = position_ns
        self._next = j
        return self.ts_ns[i:j], self.price[i:j], self.qty[i:j]

    def generate(self, t0_ns: int, t1_ns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with self._lock:
            if self.finished:
                return self._play_to(self.position_ns)
            upcoming = int(self.ts_ns[self._next])
            position = self.position_ns
            if upcoming - position > self.max_gap_ns:
                position = upcoming  # skip the break
            return self._play_to(position + int((t1_ns - t0_ns) * self.speed))

    def step(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ticks of the next bar, at once."""
        with self._lock:
            if self.finished:
                return self._play_to(self.position_ns)
            upcoming = int(self.ts_ns[self._next])
            bar_start = upcoming - upcoming % NS_PER_MIN
            return self._play_to(bar_start + NS_PER_MIN)

    def seek(self, ts_ns: int) -> None:
        """Continue from `ts_ns` (the ticks before it are not played)."""
        with self._lock:
            self.position_ns = int(ts_ns)
            self._next = int(np.searchsorted(self.ts_ns, self.position_ns))
