"""A fixed-capacity ring buffer of ticks between one producer thread (a feed) and one
consumer (the UI timer): bulk copies in and out, no allocation per tick, no growth.

Unread ticks are never overwritten (each one matters to the bars): when the buffer is full,
`write` takes what fits and returns how many it took, and the producer waits or retries.
The positions only ever increase; the indices are positions masked by the power-of-two size.
CPython's GIL makes each position update atomic; a position is published after the data it
covers is copied, so the reader never sees a half-written tick. Each tick also carries the
moment it was written (`time.perf_counter_ns`), so the consumer can measure tick-to-screen
latency."""

from __future__ import annotations

import threading
import time

import numpy as np


class TickRing:
    def __init__(self, capacity: int = 1 << 16) -> None:
        if capacity < 2 or capacity & (capacity - 1):
            raise ValueError(f"capacity {capacity} must be a power of two >= 2")
        self.capacity = capacity
        self._mask = capacity - 1
        self._ts = np.empty(capacity, np.int64)
        self._price = np.empty(capacity, np.float64)
        self._qty = np.empty(capacity, np.float64)
        self._recv = np.empty(capacity, np.int64)
        self._written = 0  # total ticks written (producer's position)
        self._read = 0  # total ticks read (consumer's position)
        self._space = threading.Condition()

    def __len__(self) -> int:
        return self._written - self._read

    @property
    def free(self) -> int:
        return self.capacity - len(self)

    def _copy_in(self, start: int, ts, price, qty) -> None:
        k = len(ts)
        i = start & self._mask
        first = min(k, self.capacity - i)
        for dst, src in ((self._ts, ts), (self._price, price), (self._qty, qty)):
            dst[i : i + first] = src[:first]
            dst[: k - first] = src[first:]
        now = time.perf_counter_ns()
        self._recv[i : i + first] = now
        self._recv[: k - first] = now

    def write(self, ts_ns: np.ndarray, price: np.ndarray, qty: np.ndarray) -> int:
        """Copy in as many ticks as fit; returns how many were taken."""
        k = min(len(ts_ns), self.free)
        if k:
            self._copy_in(self._written, ts_ns[:k], price[:k], qty[:k])
            self._written += k
        return k

    def write_all(self, ts_ns, price, qty, timeout_s: float | None = None) -> int:
        """Write every tick, waiting for the reader to make room; returns how many were
        written before `timeout_s` ran out."""
        done = 0
        n = len(ts_ns)
        while done < n:
            done += self.write(ts_ns[done:], price[done:], qty[done:])
            if done < n:
                with self._space:
                    if not self._space.wait_for(lambda: self.free > 0, timeout=timeout_s):
                        break
        return done

    def read(self, max_ticks: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies of the unread ticks (oldest first, at most `max_ticks`); frees their room."""
        return self.read_stamped(max_ticks)[:3]

    def read_stamped(self, max_ticks: int | None = None) -> tuple[np.ndarray, ...]:
        """`read`, plus each tick's write time (perf_counter_ns) as a fourth column."""
        k = len(self) if max_ticks is None else min(len(self), max_ticks)
        i = self._read & self._mask
        first = min(k, self.capacity - i)
        out = tuple(np.concatenate((src[i : i + first], src[: k - first]))
                    for src in (self._ts, self._price, self._qty, self._recv))  # fmt: skip
        self._read += k
        with self._space:
            self._space.notify_all()
        return out
