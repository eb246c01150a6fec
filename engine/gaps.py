"""Gaps: two adjacent bars so far apart in time that they are not one continuous series
(history imported, then live data from months later). Charts mark them; indicators start
again after them rather than average across. Holes: stretches of a calendar's session time
with no bars (a feed that was down, the terminal closed, an exchange that halted), which
the bar axis would otherwise close up unseen; charts mark them too."""

from __future__ import annotations

import numpy as np

from engine.sessions import SessionCalendar
from engine.timeframes import is_intraday, period_ns
from engine.units import NS_PER_DAY, NS_PER_MIN

MIN_GAP_NS = 14 * NS_PER_DAY  # longer than any holiday closure of a calendar we know
GAP_PERIODS = 10  # and than this many bars' periods (weekly bars)
MIN_HOLE_NS = 15 * NS_PER_MIN  # session time without bars worth marking, at least


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


def hole_threshold_ns(timeframe: str) -> int | None:
    """Session time without bars beyond which a hole is marked: a quarter of an hour, or ten
    bars' periods; None for bars of a day or longer (a day without its bar shows as one)."""
    if not is_intraday(timeframe):
        return None
    return max(MIN_HOLE_NS, GAP_PERIODS * period_ns(timeframe))


def session_holes(ts_ns: np.ndarray, calendar: SessionCalendar, timeframe: str,
                  first_ix: int = 1) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(indices i >= first_ix of bars that follow a hole, the hole's session time in ns):
    bars i - 1 and i in the same session, with more than `hole_threshold_ns` between the
    end of the one and the start of the other. Only within a session: history from years
    when the market opened later than its calendar says (FESX at 09:00 in 2006, 01:10
    now) has no bars in the early hours, and that is no hole; a session cut short (a
    holiday) is none either."""
    threshold = hole_threshold_ns(timeframe)
    first_ix = max(first_ix, 1)
    if threshold is None or len(ts_ns) <= first_ix:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    ts = np.asarray(ts_ns[first_ix - 1 :], dtype=np.int64)
    session, inside = calendar.table(int(ts[0]), int(ts[-1])).locate(ts)  # one search
    same = (session[1:] == session[:-1]) & inside[1:] & inside[:-1]
    held = np.diff(ts) - period_ns(timeframe)  # within a session, all of it session time
    ix = np.flatnonzero((held > threshold) & same)
    return ix + first_ix, held[ix]
