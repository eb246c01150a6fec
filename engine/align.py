"""Alignment of timeframes: which higher-timeframe bar encloses each lower-timeframe bar, and
which lower bars each higher bar spans (for drawing higher-timeframe boxes over base candles).

Both are one two-pointer pass over the two sorted label columns (compiled), never nested scans;
`np.searchsorted` gives the same answer and serves as the reference (tests/reference.py).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _enclosing_1d_nb(lower_ts, higher_ts, out):
    j = -1
    m = higher_ts.shape[0]
    for i in range(lower_ts.shape[0]):
        t = lower_ts[i]
        while j + 1 < m and higher_ts[j + 1] <= t:
            j += 1
        out[i] = j


@numba.njit(cache=True, nogil=True)
def _span_1d_nb(lower_ts, higher_ts, first, last):
    n = lower_ts.shape[0]
    i = 0
    for k in range(higher_ts.shape[0]):
        while i < n and lower_ts[i] < higher_ts[k]:
            i += 1
        first[k] = i
        if k > 0:
            last[k - 1] = i - 1
    if higher_ts.shape[0] > 0:
        last[higher_ts.shape[0] - 1] = n - 1


def _labels(ts: np.ndarray, what: str) -> np.ndarray:
    ts = np.ascontiguousarray(ts, dtype=np.int64)
    if ts.ndim != 1:
        raise ValueError(f"{what} times must be 1-D, got shape {ts.shape}")
    if len(ts) > 1 and np.any(ts[1:] <= ts[:-1]):
        raise ValueError(f"{what} times must be strictly increasing")
    return ts


def enclosing_index(lower_ts: np.ndarray, higher_ts: np.ndarray) -> np.ndarray:
    """For each lower bar, the index of the last higher bar starting at or before it
    (-1 when none does)."""
    lower = _labels(lower_ts, "lower")
    higher = _labels(higher_ts, "higher")
    out = np.empty(len(lower), dtype=np.int64)
    _enclosing_1d_nb(lower, higher, out)
    return out


def span_of(lower_ts: np.ndarray, higher_ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each higher bar, the first and last index of the lower bars from its start up to
    the next higher bar's start (last < first when there are none)."""
    lower = _labels(lower_ts, "lower")
    higher = _labels(higher_ts, "higher")
    first = np.empty(len(higher), dtype=np.int64)
    last = np.empty(len(higher), dtype=np.int64)
    _span_1d_nb(lower, higher, first, last)
    return first, last


def align(lower_ts: np.ndarray, higher: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """`enclosing_index` of the lower bars in each named higher timeframe."""
    return {tf: enclosing_index(lower_ts, ts) for tf, ts in higher.items()}
