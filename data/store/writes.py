"""A series' rows written in time order: new rows after the last go at the end; rows that land
inside or before the stored ones rewrite the series' tail from the first of them, so a window
query needs no sort (DuckDB streams the row groups in insertion order)."""

from __future__ import annotations

import duckdb

from engine.bars import COLUMNS


def write_series(
    con: duckdb.DuckDBPyConnection, symbol: str, timeframe: str, first_ns: int
) -> None:
    """Insert the rows registered as `_incoming` into the series (inside the caller's
    transaction), keeping its rows in time order on disk, and its statistics."""
    (last_ns,) = con.sql(
        "SELECT max(ts_ns) FROM bars WHERE symbol = ? AND timeframe = ?",
        params=[symbol, timeframe],
    ).fetchall()[0]
    cols = ", ".join(COLUMNS)
    if last_ns is None or first_ns > last_ns:
        con.execute(f"INSERT INTO bars SELECT ?, ?, {cols} FROM _incoming", [symbol, timeframe])
        con.execute(
            """INSERT INTO series SELECT ?, ?, count(*), min(ts_ns), max(ts_ns) FROM _incoming
               ON CONFLICT DO UPDATE SET n_bars = series.n_bars + excluded.n_bars,
                                         last_ns = excluded.last_ns""",
            [symbol, timeframe],
        )
        return
    # The new rows land inside or before the stored ones: rewrite the tail from the first
    # new bar so the series stays in time order on disk. (A rollback drops the temp table.)
    con.execute(
        f"""CREATE TEMP TABLE _tail AS
            SELECT {cols} FROM bars
            WHERE symbol = ? AND timeframe = ? AND ts_ns >= ?
              AND ts_ns NOT IN (SELECT ts_ns FROM _incoming)
            UNION ALL SELECT {cols} FROM _incoming""",
        [symbol, timeframe, first_ns],
    )
    con.execute(
        "DELETE FROM bars WHERE symbol = ? AND timeframe = ? AND ts_ns >= ?",
        [symbol, timeframe, first_ns],
    )
    con.execute(
        f"INSERT INTO bars SELECT ?, ?, {cols} FROM _tail ORDER BY ts_ns", [symbol, timeframe]
    )
    con.execute("DROP TABLE _tail")
    con.execute(
        """INSERT INTO series
           SELECT ?, ?, count(*), min(ts_ns), max(ts_ns) FROM bars
           WHERE symbol = ? AND timeframe = ?
           ON CONFLICT DO UPDATE SET n_bars = excluded.n_bars, first_ns = excluded.first_ns,
                                     last_ns = excluded.last_ns""",
        [symbol, timeframe, symbol, timeframe],
    )
