"""Which bucket (bar) of a timeframe an instant falls in, under a session calendar.

Intraday buckets start at each session's open and step by the period; the last bucket of a
session ends at its close (so a bucket never straddles a break). A `1d` bucket is a trading
day (all its sessions), a `1w` bucket a trading week (Monday-based weeks of trading days). A
bucket is labelled by its start; the label of a day or week is the open of its first session.

`BucketGrid` packs, for every session of a span of years, what the compiled kernels need:
open, close, and the label and end of its trading day and trading week.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numba
import numpy as np

from engine.sessions import SessionCalendar
from engine.timeframes import check_timeframe, is_intraday, period_ns

# Rows of BucketGrid.rows.
OPEN, CLOSE, DAY_LABEL, DAY_END, WEEK_LABEL, WEEK_END = range(6)
# Group of a rule: 0 intraday (fixed period), else the grid rows holding label and end.
INTRADAY = 0
# Columns of BucketRule.as_array() (the compiled kernels take rules as rows of these).
RULE_PERIOD, RULE_LABEL_ROW, RULE_END_ROW = range(3)
_GROUP_ROWS = {"1d": (DAY_LABEL, DAY_END), "1w": (WEEK_LABEL, WEEK_END)}


@dataclasses.dataclass(frozen=True)
class BucketRule:
    """How one timeframe cuts sessions into buckets: a period, or a day/week group."""

    timeframe: str
    period_ns: int  # 0 for 1d and 1w
    label_row: int  # grid row with the group label (unused when intraday)
    end_row: int

    def as_array(self) -> np.ndarray:
        """[RULE_PERIOD, RULE_LABEL_ROW, RULE_END_ROW]."""
        return np.array([self.period_ns, self.label_row, self.end_row], dtype=np.int64)


@numba.njit(cache=True, nogil=True, inline="always")
def bucket_label_nb(t, j, rows, rule):
    """The label of the bucket of `rule` (a BucketRule array) holding instant `t` of
    session `j`: whole periods from the session's open, or the session's day/week label.
    The one rule batch resampling, the live builders and `BucketGrid.buckets` follow."""
    period = rule[RULE_PERIOD]
    if period > 0:
        return rows[OPEN, j] + (t - rows[OPEN, j]) // period * period
    return rows[rule[RULE_LABEL_ROW], j]


@numba.njit(cache=True, nogil=True, inline="always")
def bucket_end_nb(label, j, rows, rule):
    """The end of that bucket: a period on, cut at the session's close; or the group's end."""
    period = rule[RULE_PERIOD]
    if period > 0:
        return min(label + period, rows[CLOSE, j])
    return rows[rule[RULE_END_ROW], j]


@numba.njit(cache=True, nogil=True)
def _buckets_nb(ts, rows, rule, label_out, end_out):
    """Label and end of each instant's bucket (any order of instants); -1 outside sessions."""
    opens = rows[OPEN]
    for i in range(ts.shape[0]):
        t = ts[i]
        j = np.searchsorted(opens, t, side="right") - 1
        if j < 0 or t >= rows[CLOSE, j]:
            label_out[i] = -1
            end_out[i] = -1
            continue
        label = bucket_label_nb(t, j, rows, rule)
        label_out[i] = label
        end_out[i] = bucket_end_nb(label, j, rows, rule)


def rule_for(timeframe: str) -> BucketRule:
    check_timeframe(timeframe)
    if is_intraday(timeframe):
        return BucketRule(timeframe, period_ns(timeframe), OPEN, CLOSE)
    label_row, end_row = _GROUP_ROWS[timeframe]
    return BucketRule(timeframe, 0, label_row, end_row)


@dataclasses.dataclass(frozen=True)
class BucketGrid:
    """Sessions of a span of years with their day and week groups: rows[6, n_sessions]."""

    rows: np.ndarray
    start_ns: int  # instants in [start_ns, end_ns) are safely covered
    end_ns: int

    @property
    def open_ns(self) -> np.ndarray:
        return self.rows[OPEN]

    @property
    def close_ns(self) -> np.ndarray:
        return self.rows[CLOSE]

    def covers(self, ts_ns: int) -> bool:
        return self.start_ns <= ts_ns < self.end_ns

    def buckets(self, rule: BucketRule, ts_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Label and end of each instant's bucket (vectorized); -1 for instants outside
        every session."""
        ts = np.ascontiguousarray(ts_ns, dtype=np.int64).reshape(-1)
        label, end = np.empty_like(ts), np.empty_like(ts)
        _buckets_nb(ts, self.rows, rule.as_array(), label, end)
        return label, end


def _group_bounds(keys: np.ndarray, opens: np.ndarray, closes: np.ndarray):
    """For sessions grouped by contiguous equal keys: each session's group first open and
    last close."""
    first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    last = np.append(first[1:], len(keys)) - 1
    sizes = last - first + 1
    return np.repeat(opens[first], sizes), np.repeat(closes[last], sizes)


@lru_cache(maxsize=64)
def _grid(cal: SessionCalendar, first_year: int, last_year: int) -> BucketGrid:
    start = int(np.datetime64(f"{first_year}-01-01", "ns").astype(np.int64))
    end = int(np.datetime64(f"{last_year + 1}-01-01", "ns").astype(np.int64))
    table = cal.table(start, end - 1)
    day = table.trading_day
    week = (day + 3) // 7  # 1970-01-01 was a Thursday: Monday-based week numbers
    day_label, day_end = _group_bounds(day, table.open_ns, table.close_ns)
    week_label, week_end = _group_bounds(week, table.open_ns, table.close_ns)
    rows = np.stack([table.open_ns, table.close_ns, day_label, day_end, week_label, week_end])
    rows.setflags(write=False)
    return BucketGrid(np.ascontiguousarray(rows), start, end)


def bucket_grid(cal: SessionCalendar, start_ns: int, end_ns: int) -> BucketGrid:
    """A grid covering [start_ns, end_ns] with whole years of margin on each side (so the
    day and week groups near the instants asked about are complete)."""
    first = int(np.datetime64(int(start_ns), "ns").astype("datetime64[Y]").astype(int)) + 1970
    last = int(np.datetime64(int(end_ns), "ns").astype("datetime64[Y]").astype(int)) + 1970
    grid = _grid(cal, first - 1, last + 1)
    # Report as covered only the span whose groups are complete (one year of margin).
    start = int(np.datetime64(f"{first}-01-01", "ns").astype(np.int64))
    end = int(np.datetime64(f"{last + 1}-01-01", "ns").astype(np.int64))
    return dataclasses.replace(grid, start_ns=start, end_ns=end)


@numba.njit(cache=True, nogil=True)
def _session_keys_1d_nb(ts, rows, out):
    """For time-ordered instants: the label of the trading day of the session containing
    each (or of the next session), in one pass over instants and sessions."""
    j = 0
    n_sessions = rows.shape[1]
    for i in range(ts.shape[0]):
        while j < n_sessions - 1 and rows[CLOSE, j] <= ts[i]:
            j += 1
        out[i] = rows[DAY_LABEL, j]


def session_keys(cal: SessionCalendar, ts_ns: np.ndarray) -> np.ndarray:
    """A key per bar that changes exactly when the trading day changes (the day's first
    session open), for session-anchored indicators. `ts_ns` must be sorted."""
    ts = np.ascontiguousarray(ts_ns, dtype=np.int64)
    out = np.empty(len(ts), dtype=np.int64)
    if len(ts):
        grid = bucket_grid(cal, int(ts[0]), int(ts[-1]))
        _session_keys_1d_nb(ts, grid.rows, out)
    return out


def group_labels(cal: SessionCalendar, ts_ns: np.ndarray, timeframe: str) -> np.ndarray:
    """The label of the trading day (1d) or trading week (1w) of each instant: the open of
    the first session of the day or week of the session containing it, else of the next
    session (a daily bar dated by its day, read as that day's midnight, is labelled by the
    day's first open, as the bars resampled from minutes are)."""
    if timeframe not in _GROUP_ROWS:
        raise ValueError(
            f"{timeframe!r} is no trading day or week: one of {', '.join(_GROUP_ROWS)}"
        )
    ts = np.asarray(ts_ns, dtype=np.int64)
    if ts.size == 0:
        return ts.copy()
    grid = bucket_grid(cal, int(ts.min()), int(ts.max()))
    opens, closes = grid.rows[OPEN], grid.rows[CLOSE]
    j = np.searchsorted(opens, ts, side="right") - 1
    inside = (j >= 0) & (ts < closes[np.maximum(j, 0)])
    return grid.rows[_GROUP_ROWS[timeframe][0], np.where(inside, j, j + 1)]
