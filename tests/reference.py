"""Slow, obvious reference implementations for the tests: zoneinfo and dicts, one row at a
time, sharing nothing with the session tables and kernels they check."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from engine.sessions import OpensOn, SessionCalendar

UTC = ZoneInfo("UTC")
PERIOD_S = {"1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200,
            "4h": 14400}  # fmt: skip


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000


@lru_cache(maxsize=65536)
def sessions_of_day(cal: SessionCalendar, day: date) -> list[tuple[int, int]]:
    """(open_ns, close_ns) of the sessions of trading day `day` ([] if it does not trade)."""
    if day.weekday() not in cal.weekdays or day in cal.holidays:
        return []
    zone = ZoneInfo(cal.tz)
    previous = day - timedelta(days=1)
    while previous.weekday() not in cal.weekdays or previous in cal.holidays:
        previous -= timedelta(days=1)
    out = []
    for s in cal.sessions:
        open_day = {
            OpensOn.SAME_DAY: day,
            OpensOn.PREVIOUS_DAY: day - timedelta(days=1),
            OpensOn.PREVIOUS_TRADING_DAY: previous,
        }[s.opens_on]
        close_day = open_day + timedelta(days=1) if s.close <= s.open else open_day
        out.append(
            (
                _ns(datetime.combine(open_day, s.open, tzinfo=zone)),
                _ns(datetime.combine(close_day, s.close, tzinfo=zone)),
            )
        )
    return out


def session_of(cal: SessionCalendar, ts_ns: int) -> tuple[date, int, int] | None:
    """(trading day, open_ns, close_ns) of the session containing the instant, or None."""
    local = datetime.fromtimestamp(ts_ns / 1e9, tz=UTC).astimezone(ZoneInfo(cal.tz)).date()
    for k in range(-8, 9):
        day = local + timedelta(days=k)
        for open_ns, close_ns in sessions_of_day(cal, day):
            if open_ns <= ts_ns < close_ns:
                return day, open_ns, close_ns
    return None


def in_session(cal: SessionCalendar, ts_ns: int) -> bool:
    return session_of(cal, ts_ns) is not None


def bucket_label(cal: SessionCalendar, timeframe: str, ts_ns: int) -> int | None:
    found = session_of(cal, ts_ns)
    if found is None:
        return None
    day, open_ns, _ = found
    if timeframe in PERIOD_S:
        period = PERIOD_S[timeframe] * 1_000_000_000
        return open_ns + (ts_ns - open_ns) // period * period
    if timeframe == "1d":
        return sessions_of_day(cal, day)[0][0]
    monday = day - timedelta(days=day.weekday())
    for k in range(7):
        first = sessions_of_day(cal, monday + timedelta(days=k))
        if first:
            return first[0][0]
    raise AssertionError("a trading day in a week with no trading day")


def resample(cal, timeframe, ts_ns, open_, high, low, close, volume):
    """Group rows by their bucket label in a dict, in the order they come."""
    bars: dict[int, list[float]] = {}
    for t, o, h, lo, c, v in zip(ts_ns, open_, high, low, close, volume, strict=True):
        label = bucket_label(cal, timeframe, int(t))
        if label is None:
            continue
        if label not in bars:
            bars[label] = [o, h, lo, c, v]
        else:
            bar = bars[label]
            bar[1] = max(bar[1], h)
            bar[2] = min(bar[2], lo)
            bar[3] = c
            bar[4] += v
    labels = sorted(bars)
    return np.array(labels, dtype=np.int64), np.array([bars[k] for k in labels]).reshape(-1, 5)


# -- kernels' plain references (align, lod, volatility) ----------------------------------


def enclosing_index_reference(lower_ts: np.ndarray, higher_ts: np.ndarray) -> np.ndarray:
    return np.searchsorted(higher_ts, lower_ts, side="right") - 1


def span_of_reference(lower_ts: np.ndarray, higher_ts: np.ndarray):
    first = np.searchsorted(lower_ts, higher_ts, side="left")
    last = np.append(first[1:], len(lower_ts))[: len(first)] - 1
    return first, last


def hilo_reference(high: np.ndarray, low: np.ndarray, first: int, stop: int):
    return float(high[first:stop].max()), float(low[first:stop].min())


def blocks_reference(bars, level: int, origin: int, first_ix: int, stop_ix: int):
    """Plain loop: group bars by absolute block (origin + i) >> level."""
    out = {}
    for i in range(first_ix, stop_ix):
        k = (origin + i) >> level
        if k not in out:
            out[k] = [i, i, bars.open[i], bars.high[i], bars.low[i], bars.close[i],
                      bars.volume[i]]  # fmt: skip
        else:
            row = out[k]
            row[1] = i
            row[3] = max(row[3], bars.high[i])
            row[4] = min(row[4], bars.low[i])
            row[5] = bars.close[i]
            row[6] += bars.volume[i]
    return [out[k] for k in sorted(out)]


def ar1_reference(shocks: np.ndarray, phi: float) -> np.ndarray:
    """Plain-Python reference for `ar1`."""
    out = []
    level = 0.0
    for s in shocks:
        level = phi * level + float(s)
        out.append(level)
    return np.array(out, dtype=np.float64)
