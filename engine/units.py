"""Time units in nanoseconds (ts_ns is int64 nanoseconds since the epoch, UTC)."""

import numpy as np

NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000
NS_PER_MIN = 60 * NS_PER_S
NS_PER_HOUR = 60 * NS_PER_MIN
NS_PER_DAY = 24 * NS_PER_HOUR


def minute_text(ts_ns: int) -> str:
    """A time as messages write it: UTC, to the minute ("2024-01-02 09:30")."""
    return str(np.datetime64(int(ts_ns), "ns").astype("datetime64[m]")).replace("T", " ")
