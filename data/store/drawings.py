"""A symbol's drawings in the store: one row each (its saved form as JSON), in the order
they were drawn; a symbol's drawings are replaced whole, in one transaction."""

from __future__ import annotations

import json

import duckdb

from engine.drawings import Drawing, from_saved


def read_drawings(con: duckdb.DuckDBPyConnection, symbol: str) -> list[Drawing]:
    rows = con.execute("SELECT saved FROM drawings WHERE symbol = ? ORDER BY position",
                       [symbol]).fetchall()  # fmt: skip
    return [from_saved(json.loads(row[0])) for row in rows]


def write_drawings(con: duckdb.DuckDBPyConnection, symbol: str, drawings: list[Drawing]):
    con.execute("DELETE FROM drawings WHERE symbol = ?", [symbol])
    if drawings:
        con.executemany("INSERT INTO drawings VALUES (?, ?, ?, ?)",
                        [[symbol, d.id, k, json.dumps(d.saved())]
                         for k, d in enumerate(drawings)])  # fmt: skip
