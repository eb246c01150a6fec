"""A symbol's drawings and alerts in the store: one row each (its saved form as JSON), in
the order they were made; a symbol's drawings (alerts) are replaced whole, in one
transaction. The alerts that fired are appended, the oldest beyond the latest kept
dropped."""

from __future__ import annotations

import json

import duckdb

from data.store.schema import SAVED_TABLES

ALERT_LOG_KEPT = 500  # fired alerts kept a symbol


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


def append_saved(con: duckdb.DuckDBPyConnection, table: str, symbol: str,
                 entries: list[dict], kept: int) -> None:  # fmt: skip
    """`entries` after the symbol's rows of `table` (each row's id its position), of which
    the latest `kept` stay."""
    assert table in SAVED_TABLES
    (start,) = con.execute(f"SELECT coalesce(max(position) + 1, 0) FROM {table} "
                           "WHERE symbol = ?", [symbol]).fetchone()  # fmt: skip
    con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?)",
                    [[symbol, str(start + k), start + k, json.dumps(e)]
                     for k, e in enumerate(entries)])  # fmt: skip
    con.execute(
        f"DELETE FROM {table} WHERE symbol = ? AND position < ?",
        [symbol, start + len(entries) - kept],
    )
