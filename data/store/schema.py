"""A store's tables: made in a new file, checked in an existing one (a DuckDB file that is not
a candleterm store, or one of another schema version, is refused with what to do), and the
tables added since version 1 added to an older store."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from data.store import changes
from data.store.files import StoreError

if TYPE_CHECKING:
    from data.store.bar_store import BarStore

SCHEMA_VERSION = 1
# The bars table has no primary key: the writes keep each series' times unique and in order
# (`data.store.writes`, property-tested), and DuckDB's index on (symbol, timeframe, ts_ns)
# took two thirds of every write's time (a fetch's 200,000 bars: 240 ms against 80 ms).
# A store made with the key keeps it; it reads and writes the same, the writes slower.
_SCHEMA = f"""
CREATE TABLE candleterm_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
INSERT INTO candleterm_meta VALUES ('schema_version', '{SCHEMA_VERSION}');
CREATE TABLE instruments (
    symbol VARCHAR PRIMARY KEY,
    calendar VARCHAR NOT NULL,
    tz VARCHAR NOT NULL,
    tick_size DOUBLE NOT NULL CHECK (tick_size > 0),
    description VARCHAR NOT NULL DEFAULT ''
);
CREATE TABLE bars (
    symbol VARCHAR NOT NULL,
    timeframe VARCHAR NOT NULL,
    ts_ns BIGINT NOT NULL,
    open DOUBLE NOT NULL,
    high DOUBLE NOT NULL,
    low DOUBLE NOT NULL,
    close DOUBLE NOT NULL,
    volume DOUBLE NOT NULL CHECK (volume >= 0),
    CHECK (low <= least(open, close) AND high >= greatest(open, close))
);
CREATE TABLE series (
    symbol VARCHAR NOT NULL,
    timeframe VARCHAR NOT NULL,
    n_bars BIGINT NOT NULL,
    first_ns BIGINT NOT NULL,
    last_ns BIGINT NOT NULL,
    PRIMARY KEY (symbol, timeframe)
);
CREATE TABLE sources (
    symbol VARCHAR NOT NULL,
    timeframe VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    detail VARCHAR NOT NULL,
    first_ns BIGINT NOT NULL,
    last_ns BIGINT NOT NULL
);
"""
# A symbol's drawings, alerts and the alerts that fired: each its saved form (JSON), in the
# order they were made.
_SAVED_TABLE = """
CREATE {temp} TABLE {name} (
    symbol VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    saved VARCHAR NOT NULL,
    PRIMARY KEY (symbol, id)
);
"""
SAVED_TABLES = ("drawings", "alerts", "alert_log")  # the log: what fired, the latest kept


def check_schema(store: BarStore, read_only: bool) -> None:
    tables = {row[0] for row in store._con.sql("SHOW TABLES").fetchall()}
    if not tables:
        if read_only:
            raise StoreError(f"{store.path} is an empty database, not a candleterm store")
        store._con.execute("BEGIN")
        store._con.execute(_SCHEMA + "".join(_SAVED_TABLE.format(temp="", name=name)
                                             for name in SAVED_TABLES)
                           + changes.TABLE.format(temp=""))  # fmt: skip
        store._con.execute("COMMIT")
        return
    if "candleterm_meta" not in tables:
        raise StoreError(
            f"{store.path} is a DuckDB database but not a candleterm store "
            f"(it has tables {', '.join(sorted(tables))}); pass another path with --db"
        )
    try:
        (version,) = store._con.sql(
            "SELECT value FROM candleterm_meta WHERE key = 'schema_version'"
        ).fetchall()[0]
    except duckdb.Error as exc:
        error = store._problem(exc)
        if read_only and store.damaged and {"bars", "instruments", "series"} <= tables:
            return  # damaged, opened to be checked or repaired: read what can be read
        raise error from None
    if int(version) != SCHEMA_VERSION:
        raise StoreError(
            f"{store.path} has store schema version {version}, this candleterm reads "
            f"version {SCHEMA_VERSION}; use the candleterm that wrote it"
        )
    if "series" not in tables:
        _add_series_table(store, read_only)
    if "sources" not in tables:
        _add_sources_table(store, read_only)
    for name in SAVED_TABLES:
        if name not in tables:
            _add_saved_table(store, read_only, name)
    if "changes" not in tables:
        _add_changes_table(store, read_only)


def _add_changes_table(store: BarStore, read_only: bool) -> None:
    """Stores written before rewrites were noted get the (empty) table of notes; read-only,
    an empty one of their own (no rewrite noted: a sync copies what it did before)."""
    if read_only:
        store._con.execute(changes.TABLE.format(temp="TEMP"))
        return
    with store._write():
        store._con.execute(changes.TABLE.format(temp=""))


def _add_saved_table(store: BarStore, read_only: bool, name: str) -> None:
    """Stores written before drawings (alerts) were kept get their (empty) table; read-only,
    an empty one of their own, the file left as it is."""
    if read_only:
        store._con.execute(_SAVED_TABLE.format(temp="TEMP", name=name))
        return
    with store._write():
        store._con.execute(_SAVED_TABLE.format(temp="", name=name))


def _add_series_table(store: BarStore, read_only: bool) -> None:
    """Stores written before the series statistics existed get them, from the bars."""
    if read_only:
        raise StoreError(
            f"{store.path} was written by an older candleterm; open it once without "
            "read-only so it can add its series statistics"
        )
    with store._write():
        series = _SCHEMA[_SCHEMA.index("CREATE TABLE series") :]
        store._con.execute(series[: series.index("CREATE TABLE sources")])
        store._con.execute(
            "INSERT INTO series SELECT symbol, timeframe, count(*), min(ts_ns), max(ts_ns) "
            "FROM bars GROUP BY symbol, timeframe"
        )


def _add_sources_table(store: BarStore, read_only: bool) -> None:
    """Stores written before sources were recorded: each series gets one stretch, demo
    for the demo instruments (described as synthetic), unknown (so, real) otherwise. A
    store opened read-only gets them as a view of its own, the file left as it is."""
    derived = """SELECT s.symbol, s.timeframe,
                        CASE WHEN i.description LIKE '%(synthetic)' THEN 'demo'
                             ELSE 'unknown' END AS kind,
                        '' AS detail, s.first_ns, s.last_ns
                 FROM series s LEFT JOIN instruments i USING (symbol)"""
    if read_only:
        store._con.execute(f"CREATE TEMP VIEW sources AS {derived}")
        return
    with store._write():
        start = _SCHEMA.index("CREATE TABLE sources")
        store._con.execute(_SCHEMA[start:])
        store._con.execute(f"INSERT INTO sources {derived}")
