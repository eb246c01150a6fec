"""The spans of the embedded store's series that were rewritten (not appended to), numbered
in the order they were written: `sync` from this store copies again those rewritten after
the number it copied at. A correction that keeps the bar count (a file imported again with
--replace, an exchange's bar over a partly caught minute) looked like no change otherwise,
and a desk's team store kept the wrong bars. The team store keeps the same notes its own
way (`ArcticStore.changes_since`).

The number is the store's (`candleterm_meta`, CHANGE_KEY), one more at each rewrite of any
series; a series keeps its latest CHANGES_KEPT notes, and the number of the latest it let
go (a reader behind it copies the series again).
"""

from __future__ import annotations

import duckdb

from data.store.meta import read_meta, write_meta

CHANGES_KEPT = 256
CHANGE_KEY = "changes_seq"  # the number of the latest note, in candleterm_meta
TABLE = """
CREATE {temp} TABLE changes (
    symbol VARCHAR NOT NULL,
    timeframe VARCHAR NOT NULL,
    seq BIGINT NOT NULL,
    first_ns BIGINT NOT NULL,
    last_ns BIGINT NOT NULL
);
"""


def _dropped_key(symbol: str, timeframe: str) -> str:
    return f"changes_dropped|{symbol}|{timeframe}"


def _number(con: duckdb.DuckDBPyConnection, key: str) -> int:
    return int(read_meta(con, key) or 0)


def latest(con: duckdb.DuckDBPyConnection) -> int:
    """The number of the store's latest note (0 before any)."""
    return _number(con, CHANGE_KEY)


def note(con: duckdb.DuckDBPyConnection, symbol: str, timeframe: str, first_ns: int,
         last_ns: int) -> None:  # fmt: skip
    """Bars of a series from `first_ns` to `last_ns` were rewritten (in the writer's
    transaction: the note stands or falls with the write)."""
    seq = latest(con) + 1
    write_meta(con, CHANGE_KEY, str(seq))
    series = [symbol, timeframe]
    con.execute("INSERT INTO changes VALUES (?, ?, ?, ?, ?)",
                [*series, seq, int(first_ns), int(last_ns)])  # fmt: skip
    let_go = con.execute(
        "SELECT seq FROM changes WHERE symbol = ? AND timeframe = ? ORDER BY seq DESC "
        f"LIMIT 1 OFFSET {CHANGES_KEPT}",
        series,
    ).fetchall()
    if let_go:
        con.execute("DELETE FROM changes WHERE symbol = ? AND timeframe = ? AND seq <= ?",
                    [*series, let_go[0][0]])  # fmt: skip
        write_meta(con, _dropped_key(symbol, timeframe), str(let_go[0][0]))


def since(con: duckdb.DuckDBPyConnection, symbol: str, timeframe: str,
          seq: int) -> list[tuple[int, int]] | None:  # fmt: skip
    """The (first, last) spans of a series rewritten after note `seq`; None when the notes
    kept do not reach back that far (read it all again)."""
    if seq < _number(con, _dropped_key(symbol, timeframe)):
        return None
    rows = con.execute(
        "SELECT first_ns, last_ns FROM changes WHERE symbol = ? AND timeframe = ? AND seq > ? "
        "ORDER BY seq",
        [symbol, timeframe, seq],
    ).fetchall()
    return [(int(a), int(b)) for a, b in rows]
