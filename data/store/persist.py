"""Sealed live bars written to the store from a background thread, in small batches.

The UI thread hands over sealed (and corrected) bars with `put`; a writer thread upserts
what has gathered every `interval_s` (one transaction per timeframe), so the store is at most
about that far behind and the UI never waits for a disk write. `close()` writes the rest.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time

import numpy as np

from data.store import BarStore
from data.store.derived import ROUND_LOCK
from data.store.provenance import Source
from engine.bars import COLUMNS, Bars, latest_per_time

log = logging.getLogger(__name__)


@dataclasses.dataclass
class WriterCounters:
    bars: int = 0  # bars written
    writes: int = 0  # transactions
    failures: int = 0
    last_write_s: float = 0.0  # how long the last write took
    last_error: str = ""


class BarWriter:
    def __init__(
        self, store: BarStore, symbol: str, source: Source, interval_s: float = 0.5
    ) -> None:
        self.store = store
        self.symbol = symbol
        self.source = source
        self.interval_s = interval_s
        self.counters = WriterCounters()
        self._pending: dict[str, list[Bars]] = {}
        self.puts = 0  # `put`s of bars so far
        self.stored_puts = 0  # of them, how many are in the store (all before it, too)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="candleterm-writer", daemon=True)
        self._thread.start()

    def put(self, timeframe: str, bars: Bars) -> None:
        """Queue bars (copies are kept: the caller's arrays may change)."""
        if len(bars):
            copy = Bars(*(np.array(getattr(bars, c)) for c in COLUMNS))
            with self._lock:
                self._pending.setdefault(timeframe, []).append(copy)
                self.puts += 1

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(len(b) for parts in self._pending.values() for b in parts)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.write_pending()

    def write_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            taken = self.puts
        with ROUND_LOCK:
            failed = self._write(pending)
        if not failed:
            self.stored_puts = max(self.stored_puts, taken)

    def _write(self, pending: dict[str, list[Bars]]) -> bool:
        """Write each timeframe's pending bars; those that fail are put back (True if any)."""
        failed = False
        for timeframe, parts in pending.items():
            bars = latest_per_time(parts)
            started = time.perf_counter()
            try:
                self.store.write_bars(self.symbol, timeframe, bars, source=self.source)
            except Exception as exc:  # keep the bars, report, try again next round
                self.counters.failures += 1
                self.counters.last_error = f"writing {len(bars)} {timeframe} bars: {exc}"
                log.error("%s", self.counters.last_error)
                with self._lock:
                    self._pending.setdefault(timeframe, []).insert(0, bars)
                failed = True
                continue
            self.counters.last_write_s = time.perf_counter() - started
            self.counters.bars += len(bars)
            self.counters.writes += 1
        return failed

    def discard(self) -> None:
        """Stop the thread and drop what is pending (its symbol was deleted)."""
        self._stop.set()
        self._thread.join(timeout=10)
        with self._lock:
            self._pending = {}

    def close(self) -> None:
        """Stop the thread and write everything still pending."""
        self._stop.set()
        self._thread.join(timeout=10)
        self.write_pending()
