"""Aggregation of base bars or ticks into larger bars under a session calendar."""

from __future__ import annotations

import dataclasses

import numba
import numpy as np

from engine.bars import Bars
from engine.buckets import CLOSE, OPEN, BucketGrid, bucket_grid, bucket_label_nb, rule_for
from engine.sessions import SessionCalendar, calendar


@dataclasses.dataclass(frozen=True)
class Resampled:
    bars: Bars
    outside: int  # input rows outside every session: counted, left out of the bars


@numba.njit(cache=True, nogil=True)
def _resample_1d_nb(columns, rows, rule, out):
    """One pass over time-ordered rows (`columns`: ts, open, high, low, close, volume) and
    the sessions (two pointers), into `out` (the same six columns). Returns (bars written,
    rows outside every session)."""
    ts, o, h, lo, c, v = columns
    out_ts, out_o, out_h, out_l, out_c, out_v = out
    n_sessions = rows.shape[1]
    j = 0
    k = -1
    outside = 0
    for i in range(ts.shape[0]):
        t = ts[i]
        while j < n_sessions and rows[CLOSE, j] <= t:
            j += 1
        if j == n_sessions or t < rows[OPEN, j]:
            outside += 1
            continue
        label = bucket_label_nb(t, j, rows, rule)
        if k < 0 or label != out_ts[k]:
            k += 1
            out_ts[k] = label
            out_o[k] = o[i]
            out_h[k] = h[i]
            out_l[k] = lo[i]
            out_c[k] = c[i]
            out_v[k] = v[i]
        else:
            if h[i] > out_h[k]:
                out_h[k] = h[i]
            if lo[i] < out_l[k]:
                out_l[k] = lo[i]
            out_c[k] = c[i]
            out_v[k] += v[i]
    return k + 1, outside


def _as_calendar(cal: SessionCalendar | str) -> SessionCalendar:
    return calendar(cal) if isinstance(cal, str) else cal


def _run(ts, o, h, lo, c, v, timeframe: str, cal: SessionCalendar) -> Resampled:
    rule = rule_for(timeframe)
    if len(ts) == 0:
        return Resampled(Bars.empty(), 0)
    grid: BucketGrid = bucket_grid(cal, int(ts[0]), int(ts[-1]))
    n = len(ts)
    out = [np.empty(n, np.int64)] + [np.empty(n, np.float64) for _ in range(5)]
    written, outside = _resample_1d_nb((ts, o, h, lo, c, v), grid.rows, rule.as_array(), tuple(out))
    return Resampled(Bars(*(col[:written].copy() for col in out)), int(outside))


def resample_detailed(bars: Bars, timeframe: str, cal: SessionCalendar | str) -> Resampled:
    """`resample`, also counting the base bars that fall outside every session."""
    return _run(bars.ts_ns, bars.open, bars.high, bars.low, bars.close, bars.volume,
                timeframe, _as_calendar(cal))  # fmt: skip


def resample(bars: Bars, timeframe: str, cal: SessionCalendar | str) -> Bars:
    """Base bars into `timeframe` bars under the calendar, in one compiled pass.

    Open = first open, high = max, low = min, close = last close, volume = sum; a bucket
    with no base bars gives no bar. Base bars outside every session are left out; use
    `resample_detailed` to get their count.
    """
    return resample_detailed(bars, timeframe, cal).bars


def resample_ticks(
    ts_ns: np.ndarray, price: np.ndarray, qty: np.ndarray, timeframe: str,
    cal: SessionCalendar | str,
) -> Resampled:  # fmt: skip
    """Ticks (time-ordered; equal times keep their order) into `timeframe` bars."""
    ts = np.ascontiguousarray(ts_ns, dtype=np.int64)
    price = np.ascontiguousarray(price, dtype=np.float64)
    qty = np.ascontiguousarray(qty, dtype=np.float64)
    if not (len(ts) == len(price) == len(qty)):
        raise ValueError(f"ticks: {len(ts)} times, {len(price)} prices, {len(qty)} quantities")
    if len(ts) > 1 and np.any(ts[1:] < ts[:-1]):
        first = int(np.flatnonzero(ts[1:] < ts[:-1])[0]) + 1
        raise ValueError(f"tick {first}: ts_ns {ts[first]} is before the previous tick's")
    return _run(ts, price, price, price, price, qty, timeframe, _as_calendar(cal))


def ticks_to_bars(ts_ns: np.ndarray, price: np.ndarray, qty: np.ndarray, period_ns: int) -> Bars:
    """Bars of fixed `period_ns` buckets aligned to the epoch, from time-ordered ticks,
    keeping every tick whatever the calendar (the importer reports off-session ones).

    Minute buckets aligned to the epoch are the session-aligned 1m buckets of every calendar
    (sessions open on whole minutes). Open = first price, close = last, volume = summed qty.
    """
    ts = np.asarray(ts_ns, dtype=np.int64)
    price = np.asarray(price, dtype=np.float64)
    qty = np.asarray(qty, dtype=np.float64)
    if len(ts) == 0:
        return Bars.empty()
    if np.any(ts[1:] < ts[:-1]):
        raise ValueError("ticks must be in time order")
    bucket = ts - ts % period_ns
    starts = np.flatnonzero(np.concatenate(([True], bucket[1:] != bucket[:-1])))
    ends = np.append(starts[1:], len(ts)) - 1
    return Bars(
        bucket[starts],
        price[starts],
        np.maximum.reduceat(price, starts),
        np.minimum.reduceat(price, starts),
        price[ends],
        np.add.reduceat(qty, starts),
    )
