"""Where a time falls on a chart's bar axis, and back: x is the bar index, bar i spanning
x in [i, i + 1) for the times [ts[i], ts[i] + period). A time inside a bar lands at its
fraction of the bar's period; a time in a gap between bars (a night, a weekend) lands at the
next bar's start; times before the first bar and after the last go on at one bar a period.

This is how drawings anchored in (time, price) are placed on a chart of any timeframe: a
point at 10:07 sits at 7/60 of the 10:00 bar of an hourly chart and on the 10:07 bar of a
minute chart, whatever history is loaded in front.
"""

from __future__ import annotations

import numpy as np

from engine.timeframes import is_intraday, period_ns
from engine.units import NS_PER_DAY


def nominal_period_ns(timeframe: str) -> int:
    """A bar's length on the axis: its period, a day for 1d and a week for 1w (a trading
    day's hours vary with the calendar; a time inside lands at its share of 24 hours)."""
    if is_intraday(timeframe):
        return period_ns(timeframe)
    return NS_PER_DAY if timeframe == "1d" else 7 * NS_PER_DAY


def x_of_times(ts_ns: np.ndarray, period_ns: int, t_ns: np.ndarray) -> np.ndarray:
    """The bar-axis x of each time `t_ns`, over bars opening at `ts_ns` (sorted)."""
    t = np.asarray(t_ns, dtype=np.int64)
    n = len(ts_ns)
    if n == 0:
        return np.full(t.shape, np.nan)
    i = np.searchsorted(ts_ns, t, side="right") - 1  # the bar opening at or before t
    before = i < 0
    i = np.maximum(i, 0)
    frac = (t - ts_ns[i]) / period_ns
    x = i + np.where(i < n - 1, np.minimum(frac, 1.0), frac)  # a gap: the next bar's start
    return np.where(before, (t - ts_ns[0]) / period_ns, x)


def times_of_x(ts_ns: np.ndarray, period_ns: int, x: np.ndarray) -> np.ndarray:
    """The time at each bar-axis `x` (the inverse of `x_of_times` outside gaps)."""
    x = np.asarray(x, dtype=np.float64)
    n = len(ts_ns)
    if n == 0:
        raise ValueError("a chart without bars has no times on its axis")
    i = np.clip(np.floor(x), 0, n - 1).astype(np.int64)
    return ts_ns[i] + np.round((x - i) * period_ns).astype(np.int64)
