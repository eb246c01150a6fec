"""Reading every bar of a store, so DuckDB checks every block's checksum: which series
cannot be read in full, and why."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pyarrow as pa

from data.store.files import first_line
from engine.bars import COLUMNS


def read_every_series(
    con: duckdb.DuckDBPyConnection,
    series: list[tuple[str, str]],
    stop: Callable[[], bool],
    problem: Callable[[BaseException], object],
) -> list[tuple[str, str, str]]:
    """(symbol, timeframe, problem) of each of `series` that cannot be read in full;
    `problem(exc)` is told of each failure (it marks the store damaged); `stop()` ends the
    check early."""
    problems = []
    sums = ", ".join(f"sum({c})" for c in COLUMNS)
    for symbol, timeframe in series:
        if stop():
            break
        try:
            con.sql(f"SELECT count(*), {sums} FROM bars WHERE symbol = ? AND timeframe = ?",
                    params=[symbol, timeframe]).fetchall()  # fmt: skip
        except (duckdb.Error, pa.ArrowException, OSError) as exc:
            problem(exc)
            problems.append((symbol, timeframe, first_line(exc)))
    return problems
