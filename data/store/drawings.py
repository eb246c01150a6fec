"""A symbol's drawings and alerts in the store: one row each (its saved form as JSON), in
the order they were made; a symbol's drawings (alerts) are replaced whole, in one
transaction."""

from __future__ import annotations

import json

import duckdb

from data.store.schema import SAVED_TABLES


def read_saved(con: duckdb.DuckDBPyConnection, table: str, symbol: str) -> list[dict]:
    assert table in SAVED_TABLES
    rows = con.execute(f"SELECT saved FROM {table} WHERE symbol = ? ORDER BY position",
                       [symbol]).fetchall()  # fmt: skip
    return [json.loads(row[0]) for row in rows]


def write_saved(con: duckdb.DuckDBPyConnection, table: str, symbol: str,
                entries: list[dict]) -> None:  # fmt: skip
    """`entries` (each with an "id") are the symbol's rows of `table`."""
    assert table in SAVED_TABLES
    con.execute(f"DELETE FROM {table} WHERE symbol = ?", [symbol])
    if entries:
        con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?)",
                        [[symbol, e["id"], k, json.dumps(e)]
                         for k, e in enumerate(entries)])  # fmt: skip
