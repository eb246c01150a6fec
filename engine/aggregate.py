"""Aggregation of ticks and bars into larger bars."""

from __future__ import annotations

import numpy as np

from engine.bars import Bars


def ticks_to_bars(ts_ns: np.ndarray, price: np.ndarray, qty: np.ndarray, period_ns: int) -> Bars:
    """Bars of fixed `period_ns` buckets aligned to the epoch, from time-ordered ticks.

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
