"""Exchange-local wall-clock time for whole arrays of UTC instants, DST included.

zoneinfo answers one instant at a time. Here the UTC offsets of a time zone are found once
per decade (probing daily, then bisecting each change to the second) and kept as a table of
transitions; converting an array is then one `searchsorted`. Decades are cached one by one,
so zooming out over more years computes only the decades not seen yet.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from engine.units import NS_PER_S


def _offset_s(zone: ZoneInfo, epoch_s: int) -> int:
    moment = datetime.fromtimestamp(epoch_s, tz=UTC)
    return int(zone.utcoffset(moment.astimezone(zone)).total_seconds())


DECADE = 10
# Zones of one offset for all time (UTC, crypto's; Etc/GMT+5): their table is one entry.
FIXED_OFFSET = re.compile(r"(Etc/)?(UTC|UCT|GMT|Universal|Zulu|Greenwich)|Etc/GMT[+-]\d{1,2}")


@lru_cache(maxsize=256)
def _decade_transitions(tz: str, first_year: int) -> tuple[np.ndarray, np.ndarray]:
    return _transitions(tz, first_year, first_year + DECADE - 1)


@lru_cache(maxsize=64)
def transitions(tz: str, first_year: int, last_year: int) -> tuple[np.ndarray, np.ndarray]:
    """(instants in ns where the offset starts, offset in ns from then on), sorted, covering
    at least the years first_year..last_year; the first entry covers everything before."""
    decades = range(first_year // DECADE * DECADE, last_year + 1, DECADE)
    tables = [_decade_transitions(tz, year) for year in decades]
    starts = np.concatenate([tables[0][0], *(t[0][1:] for t in tables[1:])])
    offsets = np.concatenate([tables[0][1], *(t[1][1:] for t in tables[1:])])
    return starts, offsets


def _transitions(tz: str, first_year: int, last_year: int) -> tuple[np.ndarray, np.ndarray]:
    if FIXED_OFFSET.fullmatch(tz):  # no transitions to look for (3,650 probes: 13 ms)
        offset_s = _offset_s(ZoneInfo(tz), 0)
        return (np.array([-(2**62) // NS_PER_S * NS_PER_S], np.int64),
                np.array([offset_s * NS_PER_S], np.int64))  # fmt: skip
    zone = ZoneInfo(tz)
    start = int(datetime(first_year, 1, 1, tzinfo=UTC).timestamp())
    stop = int(datetime(last_year + 1, 1, 1, tzinfo=UTC).timestamp())
    day = int(timedelta(days=1).total_seconds())
    starts, offsets = [-(2**62) // NS_PER_S], [_offset_s(zone, start)]
    t = start
    while t < stop:
        nxt = t + day
        if _offset_s(zone, nxt) != offsets[-1]:
            lo, hi = t, nxt  # the change happens in (lo, hi]
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset_s(zone, mid) == offsets[-1]:
                    lo = mid
                else:
                    hi = mid
            starts.append(hi)
            offsets.append(_offset_s(zone, hi))
        t = nxt
    return (np.array(starts, dtype=np.int64) * NS_PER_S, np.array(offsets, np.int64) * NS_PER_S)


def local_ns(ts_ns: np.ndarray, tz: str) -> np.ndarray:
    """Local wall-clock time of each UTC instant, as ns since 1970-01-01 local."""
    ts = np.asarray(ts_ns, dtype=np.int64)
    if ts.size == 0:
        return ts.copy()
    years = np.array([ts.min(), ts.max()]).astype("datetime64[ns]").astype("datetime64[Y]")
    first, last = (int(y) + 1970 for y in years.astype(np.int64))
    starts, offsets = transitions(tz, first - 1, last + 1)
    return ts + offsets[np.searchsorted(starts, ts, side="right") - 1]
