"""Higher timeframes kept in the store, derived from its 1-minute bars.

Charts of 5m, 1h or 1d bars load them from the store like any series (with lazy history);
this module makes sure they exist and match the 1-minute bars: resampled under the
instrument's calendar, in chunks so memory stays bounded whatever the history length.
A series that is merely behind (new 1-minute bars since) is brought up to date from its last
bar on; one that does not start where the 1-minute bars start is derived again in full, the
bars derived before that are not made again going (each chunk replaces its span at once).

Bars of a higher timeframe that were put there by a file or a program (sources import, api,
unknown: a vendor's hourly history, say) are not the 1-minute bars' to remake: derivation
writes around them and never removes them. Bars of other sources (a live feed's, an
exchange's history) are remade from the 1-minute bars where those are (after a backfill,
say), and left as they are before the first and after the last.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np

from data.store import BarStore
from data.store.provenance import DERIVED, SourceKind
from engine.bars import COLUMNS, Bars, latest_per_time
from engine.sessions import calendar
from engine.units import NS_PER_MIN

CHUNK_BARS = 1_000_000
KEPT_KINDS = (SourceKind.IMPORT, SourceKind.API, SourceKind.UNKNOWN)  # never remade
# Held by a derivation from its read of the 1m bars to its write, and by a live writer across
# a round (the 1m bars and the higher timeframes' bars sealed from them): a derivation that
# read before a round and wrote after it put back the buckets it read unfinished.
ROUND_LOCK = threading.RLock()


def derive_timeframes(
    store: BarStore, symbol: str, timeframes: Iterable[str], full: bool = False
) -> dict[str, int]:
    """Bring each timeframe of `symbol` up to date with its 1m bars; returns the bars
    written per timeframe. `full` derives everything again (after a backfill)."""
    with ROUND_LOCK:
        return _derive_timeframes(store, symbol, timeframes, full)


def _derive_timeframes(store: BarStore, symbol: str, timeframes: Iterable[str],
                       full: bool) -> dict[str, int]:  # fmt: skip
    from engine.aggregate import resample  # compiled: loaded by the first derivation

    base = store.time_range(symbol, "1m")
    written: dict[str, int] = {}
    if base is None:
        return written
    cal = calendar(store.instrument(symbol).calendar)
    first_bar = store.load(symbol, "1m", start_ns=base[0], end_ns=base[0] + 1)
    for tf in timeframes:
        if tf == "1m":
            continue
        have = store.time_range(symbol, tf)
        first_label = int(resample(first_bar, tf, cal).ts_ns[0])
        kept = _Kept(store, symbol, tf, (first_label, base[1]))
        if full or have is None or have[0] != first_label:
            # again in full: what was derived before and is not made again goes too (all of
            # it at once, when nothing there is kept)
            start, clear = base[0], have
            if have is not None and not kept:
                store.delete_bars(symbol, tf)
                clear = None
        else:
            start, clear = have[1], None  # the last bar may have been partial: again
        written[tf] = _derive_from(store, symbol, tf, cal, start, base[1], kept, clear)
    return written


class _Kept:
    """The spans of a series' bars that derivation leaves as they are: those of KEPT_KINDS,
    and those of any other source outside `covered` (the 1m bars' first bucket to their last
    bar: an exchange's hourly history fetched from before the minutes, say), which the 1m
    bars cannot make again."""

    def __init__(self, store: BarStore, symbol: str, tf: str, covered: tuple[int, int]) -> None:
        spans = []
        for s in store.sources(symbol, tf):
            if s.source.kind in KEPT_KINDS:
                spans.append((s.first_ns, s.last_ns))
                continue
            if s.first_ns < covered[0]:
                spans.append((s.first_ns, min(s.last_ns, covered[0] - 1)))
            if s.last_ns > covered[1]:
                spans.append((max(s.first_ns, covered[1] + 1), s.last_ns))
        self.first = np.array([a for a, _ in spans], np.int64)
        self.last = np.array([b for _, b in spans], np.int64)

    def __bool__(self) -> bool:
        return bool(len(self.first))

    def holds(self, ts_ns: np.ndarray) -> np.ndarray:
        """Which of these times lie in a kept span."""
        inside = np.zeros(len(ts_ns), bool)
        for a, b in zip(self.first.tolist(), self.last.tolist(), strict=True):
            inside |= (ts_ns >= a) & (ts_ns <= b)
        return inside


def _derive_from(store: BarStore, symbol: str, tf: str, cal, start_ns: int, last_ns: int,
                 kept: _Kept, clear: tuple[int, int] | None) -> int:  # fmt: skip
    """Resample the 1m bars from `start_ns` on, a time chunk at a time (a chunk's last bucket
    may go on in the next chunk, so it is written with that one). Each chunk's bars replace
    the series from the end of the chunk before; with `clear` (the series' span before), the
    first chunk's reach back to its start and the last one's on to its end, so no bar
    derived before and not made again stays."""
    from engine.aggregate import resample

    total = 0
    span_ns = CHUNK_BARS * NS_PER_MIN  # 1m bars are a minute apart at least
    lo_next = None if clear is None else clear[0]
    while start_ns <= last_ns:
        end_ns = start_ns + span_ns
        bars = resample(store.load(symbol, "1m", start_ns=start_ns, end_ns=end_ns), tf, cal)
        final = end_ns > last_ns
        if not final and len(bars) < 2:  # one bucket longer than the chunk, or none
            span_ns *= 2
            continue
        part = bars if final else bars[:-1]
        if len(part):
            lo, hi = int(part.ts_ns[0]), int(part.ts_ns[-1])
            lo = lo if lo_next is None else min(lo, lo_next)
            if final and clear is not None:
                hi = max(hi, clear[1])
            total += _write_changed(store, symbol, tf, part, (lo, hi), kept)
            lo_next = hi + 1
        if final:
            return total
        start_ns = int(bars.ts_ns[-1])
    return total


def _write_changed(store: BarStore, symbol: str, tf: str, bars: Bars,
                   span: tuple[int, int], kept: _Kept) -> int:  # fmt: skip
    """`bars` are the series over `span`, but for the kept bars there, which stay: written
    unless the store holds exactly that already (an up-to-date series costs a read, not a
    write transaction)."""
    stored = store.load(symbol, tf, start_ns=span[0], end_ns=span[1] + 1)
    made = _take(bars, ~kept.holds(bars.ts_ns))
    staying = _take(stored, kept.holds(stored.ts_ns))
    if len(staying):
        made = latest_per_time([made, staying])  # at times of their own: in time order
    if stored.equals(made) or len(made) == 0:
        return 0
    return store.write_bars(symbol, tf, made, source=DERIVED, replace_span=span)


def _take(bars: Bars, rows: np.ndarray) -> Bars:
    return Bars(*(getattr(bars, name)[rows] for name in COLUMNS))
