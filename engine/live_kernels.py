"""The compiled state machine of the live builders (`engine.live`): the state of every
timeframe of one instrument as one record (`LiveState`), and the kernels that feed it a row
(a tick or a base bar), a batch of rows, or the time (`flush_nb`).

State, per timeframe k: `ist[k]` (int64: LABEL, END, FIRST, LAST, FORMING, SEALED_LABEL) and
`fst[k]` (float64: open, high, low, close, volume) of its forming bar; globals `g` (G_*);
sealed bars queue in `ev_i`/`ev_f` until the caller drains them; `touched[k]` marks a forming
bar that changed. `rows` is the session grid (engine.buckets) and `rules[k]` timeframe k's
bucket rule.
"""

from __future__ import annotations

import numba
import numpy as np
from numba.core import types
from numba.experimental import structref

from engine.buckets import CLOSE, OPEN, bucket_end_nb, bucket_label_nb

# istate columns (int64), fstate columns (float64), globals, statuses.
LABEL, END, FIRST, LAST, FORMING, SEALED_LABEL = range(6)
F_OPEN, F_HIGH, F_LOW, F_CLOSE, F_VOLUME = range(5)
G_SESSION, G_WM_END, G_EVENTS, G_OUTSIDE, G_ROWS, G_LATEST = range(6)
OK, SEALED, LATE, GRID_END, EVENTS_FULL = range(5)
NO_TIME = np.iinfo(np.int64).min


@structref.register
class LiveStateType(types.StructRef):
    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class LiveState(structref.StructRefProxy):
    """The arrays above as one argument (they stay shared with the caller's numpy arrays).
    Passing it costs about what passing one array does. Make one with `live_state`."""


structref.define_proxy(
    LiveState, LiveStateType, ["rows", "rules", "ist", "fst", "g", "ev_i", "ev_f", "touched"]
)


@numba.njit(cache=True)
def live_state(rows, rules, ist, fst, g, ev_i, ev_f, touched) -> LiveState:
    """A LiveState over the arrays (made by cached compiled code: the proxy's own
    constructor compiles anew in every process, 0.2 s)."""
    return LiveState(rows, rules, ist, fst, g, ev_i, ev_f, touched)


@numba.njit(cache=True, nogil=True)
def merge_nb(ist, fst, k, row):
    """Merge `row` (t, open, high, low, close, volume) into timeframe k's forming bar: the
    compiled form of `engine.bars.merge_ohlcv`."""
    t, o, h, lo, c, v = row
    if h > fst[k, F_HIGH]:
        fst[k, F_HIGH] = h
    if lo < fst[k, F_LOW]:
        fst[k, F_LOW] = lo
    if t < ist[k, FIRST]:
        ist[k, FIRST] = t
        fst[k, F_OPEN] = o
    if t >= ist[k, LAST]:
        ist[k, LAST] = t
        fst[k, F_CLOSE] = c
    fst[k, F_VOLUME] += v


@numba.njit(cache=True, nogil=True)
def _seal_nb(s, k):
    e = s.g[G_EVENTS]
    s.ev_i[e, 0] = k
    s.ev_i[e, 1] = s.ist[k, LABEL]
    s.ev_i[e, 2] = s.ist[k, FIRST]
    s.ev_i[e, 3] = s.ist[k, LAST]
    for f in range(5):
        s.ev_f[e, f] = s.fst[k, f]
    s.g[G_EVENTS] = e + 1
    s.ist[k, FORMING] = 0
    s.ist[k, SEALED_LABEL] = s.ist[k, LABEL]


@numba.njit(cache=True, nogil=True)
def _start_nb(s, k, j, row):
    """Timeframe k's forming bar starts with `row`, in session j."""
    t, o, h, lo, c, v = row
    label = bucket_label_nb(t, j, s.rows, s.rules[k])
    s.ist[k, LABEL] = label
    s.ist[k, END] = bucket_end_nb(label, j, s.rows, s.rules[k])
    s.ist[k, FIRST] = t
    s.ist[k, LAST] = t
    s.ist[k, FORMING] = 1
    s.fst[k, F_OPEN] = o
    s.fst[k, F_HIGH] = h
    s.fst[k, F_LOW] = lo
    s.fst[k, F_CLOSE] = c
    s.fst[k, F_VOLUME] = v


@numba.njit(cache=True, nogil=True)
def feed_row_nb(s, t, o, h, lo, c, v):
    """Feed one row. Returns OK, SEALED (OK and bars were sealed), LATE (before the forming
    base bucket: the caller's slow path), GRID_END or EVENTS_FULL (caller retries)."""
    ist, g = s.ist, s.g
    row = (t, o, h, lo, c, v)
    n_tf = ist.shape[0]
    if ist[0, FORMING] == 1 and ist[0, LABEL] <= t < ist[0, END]:
        for k in range(n_tf):
            merge_nb(ist, s.fst, k, row)
            s.touched[k] = 1
        g[G_ROWS] += 1
        if t > g[G_LATEST]:
            g[G_LATEST] = t
        return OK
    if t < g[G_WM_END]:
        return LATE
    rows = s.rows
    j = g[G_SESSION]
    n_sessions = rows.shape[1]
    while j < n_sessions and rows[CLOSE, j] <= t:
        j += 1
    if j == n_sessions:
        return GRID_END
    if t < rows[OPEN, j]:
        g[G_OUTSIDE] += 1  # between sessions: counted, and it changes nothing else
        return OK
    for k in range(n_tf):
        if ist[k, FORMING] == 0 and bucket_label_nb(t, j, rows, s.rules[k]) <= ist[k, SEALED_LABEL]:
            return LATE  # its bucket was sealed already (by flush): the exact late path
    if g[G_EVENTS] + n_tf > s.ev_i.shape[0]:
        return EVENTS_FULL
    g[G_SESSION] = j
    before = g[G_EVENTS]
    for k in range(n_tf):
        if ist[k, FORMING] == 1 and t >= ist[k, END]:
            _seal_nb(s, k)
    for k in range(n_tf):
        if ist[k, FORMING] == 1:
            merge_nb(ist, s.fst, k, row)
        else:
            _start_nb(s, k, j, row)
        s.touched[k] = 1
    g[G_WM_END] = ist[0, END]
    g[G_LATEST] = t
    g[G_ROWS] += 1
    return SEALED if g[G_EVENTS] > before else OK


@numba.njit(cache=True, nogil=True)
def feed_nb(s, ts, o, h, lo, c, v, start):
    """Feed rows from `start` until one needs the caller. Returns (next row, status)."""
    for i in range(start, ts.shape[0]):
        status = feed_row_nb(s, ts[i], o[i], h[i], lo[i], c[i], v[i])
        if status > SEALED:
            return i, status
    return ts.shape[0], OK


@numba.njit(cache=True, nogil=True)
def flush_nb(s, now):
    """Seal the forming bars whose bucket has ended by `now`."""
    for k in range(s.ist.shape[0]):
        if s.ist[k, FORMING] == 1 and s.ist[k, END] <= now:
            _seal_nb(s, k)
