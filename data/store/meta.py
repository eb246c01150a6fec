"""The embedded store's own values by key (`candleterm_meta`: its schema version, a team
cache's versions, what a sync copied, the count of rewrites), read and written on its
connection (inside the caller's transaction for a write)."""

from __future__ import annotations

import duckdb


def read_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = con.execute("SELECT value FROM candleterm_meta WHERE key = ?", [key]).fetchall()
    return rows[0][0] if rows else None


def write_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO candleterm_meta VALUES (?, ?)", [key, value])
