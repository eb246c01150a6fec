"""The `sources` table: each series' stretches of bars by source, read and recorded in the
write that adds bars, and the rule that a symbol never mixes synthetic and real bars."""

from __future__ import annotations

import duckdb

from data.store.files import StoreError
from data.store.provenance import Source, SourceKind, Stretch, refused_mix


def checked_sources(con: duckdb.DuckDBPyConnection, symbol: str, timeframe: str, source: Source):
    """The series' stretches before this write (None for derived bars, which keep no
    stretches); a StoreError if the write would mix synthetic and real bars in a symbol.
    One read serves both."""
    if source.kind is SourceKind.DERIVED:
        return None
    held = stretches(con, symbol)
    refused = refused_mix(symbol, [s for _, s in held], source)
    if refused is not None:
        raise StoreError(refused)
    return [s for tf, s in held if tf == timeframe]


def record_sources(
    con: duckdb.DuckDBPyConnection, symbol: str, timeframe: str, stretches: list[Stretch]
) -> None:
    con.execute("DELETE FROM sources WHERE symbol = ? AND timeframe = ?", [symbol, timeframe])
    con.executemany(
        "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?)",
        [
            [symbol, timeframe, s.source.kind.value, s.source.detail, s.first_ns, s.last_ns]
            for s in stretches
        ],
    )


def stretches(con: duckdb.DuckDBPyConnection, symbol: str) -> list[tuple[str, Stretch]]:
    """(timeframe, stretch) of every series of a symbol, in time order."""
    rows = con.sql(
        "SELECT timeframe, kind, detail, first_ns, last_ns FROM sources WHERE symbol = ? "
        "ORDER BY first_ns, last_ns",
        params=[symbol],
    ).fetchall()
    return [(tf, Stretch(Source(SourceKind(k), d), f, last)) for tf, k, d, f, last in rows]
