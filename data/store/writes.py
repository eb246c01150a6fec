"""A series' rows written in time order: new rows after the last go at the end; rows that land
inside or before the stored ones rewrite the series' tail from the first of them, so a window
query needs no sort (DuckDB streams the row groups in insertion order)."""

from __future__ import annotations

import duckdb

from engine.bars import COLUMNS


def write_series(
    con: duckdb.DuckDBPyConnection,
    symbol: str,
    timeframe: str,
    first_ns: int,
    replace_span: tuple[int, int] | None = None,
) -> bool:
    """Insert the rows registered as `_incoming` (first_ns their first time) into the series
    (inside the caller's transaction), keeping its rows in time order on disk, and its
    statistics: a stored bar at the time of an incoming one is replaced; with
    `replace_span` (first, last: holding the incoming times), so is every stored bar in it
    (the incoming rows are the series there). (The series' statistics row gives its last
    bar, and is updated in place: DuckDB's upsert, and a max over the bars, took half of a
    small write's time.) True when stored bars were rewritten (not only appended to)."""
    stats = [symbol, timeframe]
    held = con.execute(
        "SELECT last_ns FROM series WHERE symbol = ? AND timeframe = ?", stats
    ).fetchall()
    cols = ", ".join(COLUMNS)
    start_ns = first_ns if replace_span is None else int(replace_span[0])  # it holds first_ns
    if not held or start_ns > held[0][0]:
        con.execute(f"INSERT INTO bars SELECT ?, ?, {cols} FROM _incoming", stats)
        if held:
            con.execute(
                """UPDATE series SET n_bars = n_bars + (SELECT count(*) FROM _incoming),
                                     last_ns = (SELECT max(ts_ns) FROM _incoming)
                   WHERE symbol = ? AND timeframe = ?""",
                stats,
            )
        else:
            con.execute(
                "INSERT INTO series SELECT ?, ?, count(*), min(ts_ns), max(ts_ns) FROM _incoming",
                stats,
            )
        return False
    # The new rows land inside or before the stored ones: rewrite the tail from the first
    # new bar so the series stays in time order on disk. (A rollback drops the temp table.)
    kept = ("ts_ns NOT IN (SELECT ts_ns FROM _incoming)" if replace_span is None
            else f"ts_ns > {int(replace_span[1])}")  # fmt: skip
    con.execute(
        f"""CREATE TEMP TABLE _tail AS
            SELECT {cols} FROM bars
            WHERE symbol = ? AND timeframe = ? AND ts_ns >= ? AND {kept}
            UNION ALL SELECT {cols} FROM _incoming""",
        [symbol, timeframe, start_ns],
    )
    con.execute(
        "DELETE FROM bars WHERE symbol = ? AND timeframe = ? AND ts_ns >= ?",
        [symbol, timeframe, start_ns],
    )
    con.execute(f"INSERT INTO bars SELECT ?, ?, {cols} FROM _tail ORDER BY ts_ns", stats)
    con.execute("DROP TABLE _tail")
    con.execute(
        """UPDATE series SET n_bars = s.n, first_ns = s.first, last_ns = s.last
           FROM (SELECT count(*) AS n, min(ts_ns) AS first, max(ts_ns) AS last FROM bars
                 WHERE symbol = ? AND timeframe = ?) AS s
           WHERE series.symbol = ? AND series.timeframe = ?""",
        stats + stats,
    )
    return True
