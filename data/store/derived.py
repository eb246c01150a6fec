"""Higher timeframes kept in the store, derived from its 1-minute bars.

Charts of 5m, 1h or 1d bars load them from the store like any series (with lazy history);
this module makes sure they exist and match the 1-minute bars: resampled under the
instrument's calendar, in chunks so memory stays bounded whatever the history length.
A series that is merely behind (new 1-minute bars since) is brought up to date from its last
bar on; one that does not start where the 1-minute bars start is derived again in full.
"""

from __future__ import annotations

from collections.abc import Iterable

from data.store import BarStore
from data.store.provenance import DERIVED
from engine.sessions import calendar
from engine.units import NS_PER_MIN

CHUNK_BARS = 1_000_000


def derive_timeframes(
    store: BarStore, symbol: str, timeframes: Iterable[str], full: bool = False
) -> dict[str, int]:
    """Bring each timeframe of `symbol` up to date with its 1m bars; returns the bars
    written per timeframe. `full` derives everything again (after a backfill)."""
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
        if full or have is None or have[0] != first_label:
            if have is not None:
                store.delete_bars(symbol, tf)
            start = base[0]
        else:
            start = have[1]  # the last derived bar may have been partial: derive it again
        written[tf] = _derive_from(store, symbol, tf, cal, start, base[1])
    return written


def _derive_from(store: BarStore, symbol: str, tf: str, cal, start_ns: int, last_ns: int) -> int:
    """Resample the 1m bars from `start_ns` on, a time chunk at a time (a chunk's last bucket
    may go on in the next chunk, so it is written with that one)."""
    from engine.aggregate import resample

    total = 0
    span_ns = CHUNK_BARS * NS_PER_MIN  # 1m bars are a minute apart at least
    while start_ns <= last_ns:
        end_ns = start_ns + span_ns
        bars = resample(store.load(symbol, "1m", start_ns=start_ns, end_ns=end_ns), tf, cal)
        if end_ns > last_ns:
            return total + _write_changed(store, symbol, tf, bars)
        if len(bars) < 2:  # one bucket longer than the chunk, or none: look further
            span_ns *= 2
            continue
        total += _write_changed(store, symbol, tf, bars[:-1])
        start_ns = int(bars.ts_ns[-1])
    return total


def _write_changed(store: BarStore, symbol: str, tf: str, bars) -> int:
    """Write `bars` unless the store holds exactly them already (an up-to-date series costs
    a read, not a write transaction)."""
    if len(bars) == 0:
        return 0
    stored = store.load(symbol, tf, start_ns=int(bars.ts_ns[0]), end_ns=int(bars.ts_ns[-1]) + 1)
    return 0 if stored.equals(bars) else store.write_bars(symbol, tf, bars, source=DERIVED)
