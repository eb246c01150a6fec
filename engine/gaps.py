"""Gaps: two adjacent bars so far apart in time that they are not one continuous series
(history imported, then live data from months later). Charts mark them; indicators start
again after them rather than average across."""

from __future__ import annotations

import numpy as np

from engine.timeframes import is_intraday, period_ns
from engine.units import NS_PER_DAY

MIN_GAP_NS = 14 * NS_PER_DAY  # longer than any holiday closure of a calendar we know
GAP_PERIODS = 10  # and than this many bars' periods (weekly bars)


def gap_threshold_ns(timeframe: str) -> int:
    """A time between adjacent bars beyond which they are not one continuous series."""
    nominal = period_ns(timeframe) if is_intraday(timeframe) else (
        7 * NS_PER_DAY if timeframe == "1w" else NS_PER_DAY)  # fmt: skip
    return max(MIN_GAP_NS, GAP_PERIODS * nominal)


def long_gaps(ts_ns: np.ndarray, threshold_ns: int, first_ix: int = 1) -> np.ndarray:
    """Indices i >= first_ix of bars that start more than `threshold_ns` after bar i - 1."""
    first_ix = max(first_ix, 1)
    if len(ts_ns) <= first_ix:
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(np.diff(ts_ns[first_ix - 1 :]) > threshold_ns) + first_ix
