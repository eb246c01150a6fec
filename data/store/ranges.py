"""Reads of many symbols' time ranges in one query: the bars of each range folded into one
(the open-price layer's buckets) and their closes (the watchlist's day paths)."""

from __future__ import annotations

import duckdb
import numpy as np

from engine.bars import PartialBar

Ranges = list[tuple[str, int, int]]  # (symbol, start_ns, end_ns)


def _join(ranges: Ranges, timeframe: str) -> tuple[str, dict]:
    """FROM ... WHERE of the bars b of a timeframe in each range k of `ranges` (as r.k), and
    its parameters; the overall time bounds let DuckDB skip row groups outside them."""
    symbols, lo, hi = (list(x) for x in zip(*ranges, strict=True))
    sql = """FROM bars b JOIN (
                 SELECT unnest($symbols::VARCHAR[]) AS symbol, unnest($lo::BIGINT[]) AS lo,
                        unnest($hi::BIGINT[]) AS hi, unnest(range($n)) AS k) r
             ON b.symbol = r.symbol AND b.ts_ns >= r.lo AND b.ts_ns < r.hi
             WHERE b.timeframe = $tf AND b.ts_ns >= $min_lo AND b.ts_ns < $max_hi"""
    params = {"symbols": symbols, "lo": lo, "hi": hi, "n": len(ranges), "min_lo": min(lo),
              "max_hi": max(hi), "tf": timeframe}  # fmt: skip
    return sql, params


_FOLD = (
    "arg_min(b.open, b.ts_ns), max(b.high), min(b.low), arg_max(b.close, b.ts_ns), "
    "sum(b.volume), min(b.ts_ns), max(b.ts_ns)"
)


def ranges_so_far(con: duckdb.DuckDBPyConnection, ranges: Ranges,
                  timeframe: str) -> list[PartialBar | None]:  # fmt: skip
    if len(ranges) == 1:  # one range: a plain filter (the join costs a few ms)
        ((symbol, lo, hi),) = ranges
        rows = con.sql(
            f"SELECT 0, {_FOLD} FROM bars b WHERE symbol = $s AND timeframe = $tf "
            "AND ts_ns >= $lo AND ts_ns < $hi HAVING count(*) > 0",
            params={"s": symbol, "tf": timeframe, "lo": int(lo), "hi": int(hi)},
        ).fetchall()
    else:
        join, params = _join(ranges, timeframe)
        rows = con.sql(f"SELECT r.k, {_FOLD} {join} GROUP BY r.k", params=params).fetchall()
    out: list[PartialBar | None] = [None] * len(ranges)
    for k, *row in rows:
        out[k] = PartialBar(*(float(x) for x in row[:5]), int(row[5]), int(row[6]))
    return out


def ranges_closes(con: duckdb.DuckDBPyConnection, ranges: Ranges, timeframe: str) -> dict:
    join, params = _join(ranges, timeframe)
    table = con.sql(
        f"SELECT b.symbol, b.ts_ns, b.close {join} ORDER BY b.symbol, b.ts_ns", params=params
    ).fetchnumpy()
    names, ts, close = table["symbol"], table["ts_ns"], table["close"]
    if len(names) == 0:
        return {}
    cuts = np.flatnonzero(names[1:] != names[:-1]) + 1
    starts, stops = np.r_[0, cuts], np.r_[cuts, len(names)]
    return {str(names[a]): (np.asarray(ts[a:b], dtype=np.int64), np.asarray(close[a:b]))
            for a, b in zip(starts.tolist(), stops.tolist(), strict=True)}  # fmt: skip
