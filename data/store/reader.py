"""Reading a window of a series out of the store into numpy columns: streamed straight from
DuckDB's Arrow batches into preallocated arrays (room left at either end for a chart to grow
into), and the latest n bars found from the series' bar density with a few count queries
that touch only the row groups after their guess, so the cost follows n, not the series."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np

from data.store.arrow import as_numpy
from data.store.files import StoreError
from engine.bars import COLUMNS, DTYPES

_BATCH_ROWS = 262_144
# The latest n bars are fetched from a cutoff LATEST_GUESS times n bars of the series' mean
# spacing back, into room for LATEST_CAPACITY times n (more means a second, exact try).
LATEST_GUESS = 1.1
LATEST_CAPACITY = 1.6

Count = Callable[[str, list], int]  # rows matching (where, params): a query


def series_filter(
    symbol: str, timeframe: str, start_ns: int | None, end_ns: int | None
) -> tuple[str, list]:
    where = "symbol = ? AND timeframe = ?"
    params: list = [symbol, timeframe]
    if start_ns is not None:
        where += " AND ts_ns >= ?"
        params.append(int(start_ns))
    if end_ns is not None:
        where += " AND ts_ns < ?"
        params.append(int(end_ns))
    return where, params


def allocate(count: int, room: tuple[int, int]) -> dict[str, np.ndarray]:
    front, back = room
    return {c: np.empty(front + count + back, dtype=DTYPES[c]) for c in COLUMNS}


class WindowReader:
    """Reads of one connection (the caller holds the store's lock); `count` runs and counts
    a count query."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, count: Count) -> None:
        self._con = con
        self.path = path
        self._count = count

    def cutoff_for_latest(
        self, where: str, params: list, n: int, lo: int, hi: int, bar_ns: float
    ) -> tuple[int, int]:
        """(cutoff, rows at or after it) such that at least n rows of the range [lo, hi] lie
        at or after the cutoff (all rows when the range holds fewer) and at most about 1.05 n.

        The first guess comes from the series' bar density; each correction interpolates on
        the time axis between a cutoff known to keep enough rows and one known to keep too
        few. Each count touches only the row groups after its guess."""

        def count_from(ts: int) -> int:
            return self._count(f"{where} AND ts_ns >= ?", [*params, ts])

        keep_ts, keep_count = lo, None  # count_from(keep_ts) >= n, or keep_ts == lo
        past_ts, past_count = hi + 1, 0  # count_from(past_ts) < n
        guess = past_ts - max(int(n * bar_ns * 1.05), 1)
        for _ in range(40):
            guess = min(max(guess, keep_ts), past_ts - 1)
            if guess == keep_ts:
                break
            c = count_from(guess)
            if c >= n:
                keep_ts, keep_count = guess, c
                if c <= n * 1.05 + 64:
                    break
            else:
                past_ts, past_count = guess, c
            if keep_count is None:  # still looking for enough rows: reach back further
                span = hi + 1 - past_ts
                guess = past_ts - max(int(span * ((n - c) / max(c, 1)) * 1.1), span)
            else:
                share = (n - past_count) / (keep_count - past_count) * 1.02
                guess = past_ts - max(int((past_ts - keep_ts) * min(share, 1.0)), 1)
        if keep_count is None:
            keep_count = count_from(keep_ts)
        return keep_ts, keep_count

    def rows(self, where, params, limit, stats, lo, hi, whole, room):
        """(full columns, rows) of the range [lo, hi], or of its latest `limit` rows."""
        n_all, first, last = stats
        if limit is None or (whole and limit >= n_all):
            count = n_all if whole else self._count(where, params)
            return self.fetch(where, params, count, room, exact=True)
        bar_ns = (last - first) / max(n_all - 1, 1)
        latest = self.fetch_latest(where, params, limit, lo, hi, bar_ns, room)
        if latest is not None:
            return latest
        cutoff, count = self.cutoff_for_latest(where, params, limit, lo, hi, bar_ns)
        if cutoff > lo:
            where += " AND ts_ns >= ?"
            params = [*params, cutoff]
        return self.fetch(where, params, count, room, exact=True)

    def fetch_latest(self, where, params, n, lo, hi, bar_ns, room):
        """The latest `n` rows of [lo, hi] in one query, from a cutoff guessed from the
        series' bar density, into columns with room for LATEST_CAPACITY times `n`; None
        when the guess missed (too few rows, or more than that room), for the exact search
        with count queries."""
        guess = hi + 1 - max(int(n * bar_ns * LATEST_GUESS), 1)
        if guess > lo:
            where += " AND ts_ns >= ?"
            params = [*params, guess]
        columns, count = self.fetch(where, params, int(n * LATEST_CAPACITY) + 1024, room)
        if count is None or (count < n and guess > lo):
            return None
        return columns, count

    def fetch(self, where: str, params: list, capacity: int, room, exact: bool = False):
        """Stream the rows into new columns with room for `capacity` rows, `room[0]` rows
        in: (full columns, rows), with rows None when more than `capacity` rows match. With
        `exact`, exactly `capacity` rows must match."""
        full = allocate(capacity, room)
        out = {name: col[room[0] : room[0] + capacity] for name, col in full.items()}
        pos = 0
        if capacity:
            reader = self._con.sql(
                f"SELECT {', '.join(COLUMNS)} FROM bars WHERE {where}", params=params
            ).to_arrow_reader(_BATCH_ROWS)
            for batch in reader:
                k = batch.num_rows
                if pos + k > capacity:
                    if exact:
                        raise StoreError(f"{self.path}: rows changed while loading; try again")
                    return full, None
                for i, name in enumerate(COLUMNS):
                    out[name][pos : pos + k] = as_numpy(batch.column(i))
                pos += k
        if exact and pos != capacity:
            raise StoreError(f"{self.path}: expected {capacity} rows, read {pos}; try again")
        ts = out["ts_ns"][:pos]
        if pos > 1 and not np.all(ts[1:] > ts[:-1]):
            order = np.argsort(ts, kind="stable")
            for col in out.values():
                col[:pos] = col[:pos][order]
        return full, pos
