"""`BarStore`: bars of every symbol and timeframe in one embedded DuckDB database file.

Bars move in and out as Arrow/numpy columns, never row by row. Every DuckDB call in candleterm
lives in this module.

Layout. `bars` has a primary key on (symbol, timeframe, ts_ns). The rows of each series are
kept in time order physically: appends go at the end, and a write that lands inside or before
existing rows rewrites the series' tail from that point in one transaction. A window query then
needs no sort: DuckDB prunes row groups by their ts_ns min/max and streams the rows, in
insertion order, straight into preallocated numpy columns. `load` checks the order and falls
back to a sort if it ever finds the rows out of order.

Memory. Reads run under a small DuckDB memory limit so its block cache stays small; a write
raises the limit for its transaction (the primary-key index needs room) and lowers it after.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from engine.bars import COLUMNS, DTYPES, Bars
from engine.sessions import PRESETS, calendar
from engine.timeframes import check_timeframe

SCHEMA_VERSION = 1
_READ_MEMORY_LIMIT = "64MB"
_WRITE_MEMORY_LIMIT = "8GB"
_BATCH_ROWS = 262_144
_DUCKDB_MAGIC = b"DUCK"

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
    CHECK (low <= least(open, close) AND high >= greatest(open, close)),
    PRIMARY KEY (symbol, timeframe, ts_ns)
);
"""


class StoreError(Exception):
    """A bar store could not be opened or used; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class Instrument:
    symbol: str
    calendar: str = "24x7"
    tz: str = ""
    tick_size: float = 0.01
    description: str = ""

    def __post_init__(self) -> None:
        check_symbol(self.symbol)
        calendar(self.calendar)
        if not self.tz:
            object.__setattr__(self, "tz", PRESETS[self.calendar].tz)
        if not (self.tick_size > 0 and np.isfinite(self.tick_size)):
            raise ValueError(
                f"{self.symbol}: tick size {self.tick_size!r} must be a positive number"
            )


_SYMBOL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")


def check_symbol(symbol: str) -> str:
    if not isinstance(symbol, str) or not _SYMBOL_RE.match(symbol):
        raise ValueError(
            f"bad symbol {symbol!r}: use 1-64 letters, digits or . _ : / - "
            "(starting with a letter or digit)"
        )
    return symbol


class BarStore:
    """One DuckDB database file holding instruments and their bars.

    Opening a file that is not a DuckDB database, a DuckDB database that is not a candleterm
    store, or a store another process holds open raises `StoreError` and leaves the file as it
    was. The store may be used from several threads; calls are serialised.
    """

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self.path = Path(path)
        _check_is_duckdb_file(self.path)
        if read_only and not self.path.exists():
            raise StoreError(f"no bar store at {self.path}: nothing to open read-only")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._con = _connect(self.path, read_only)
        try:
            self._check_schema(read_only)
        except BaseException:
            self._con.close()
            raise

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database; the store cannot be used afterwards."""
        with self._lock:
            self._con.close()
            self._con = _Closed(self.path)

    def __enter__(self) -> BarStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_schema(self, read_only: bool) -> None:
        tables = {row[0] for row in self._con.sql("SHOW TABLES").fetchall()}
        if not tables:
            if read_only:
                raise StoreError(f"{self.path} is an empty database, not a candleterm store")
            self._con.execute("BEGIN")
            self._con.execute(_SCHEMA)
            self._con.execute("COMMIT")
            return
        if "candleterm_meta" not in tables:
            raise StoreError(
                f"{self.path} is a DuckDB database but not a candleterm store "
                f"(it has tables {', '.join(sorted(tables))}); pass another path with --db"
            )
        (version,) = self._con.sql(
            "SELECT value FROM candleterm_meta WHERE key = 'schema_version'"
        ).fetchall()[0]
        if int(version) != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has store schema version {version}, this candleterm reads "
                f"version {SCHEMA_VERSION}; use the candleterm that wrote it"
            )

    # -- instruments -------------------------------------------------------------------------

    def add_instrument(self, instrument: Instrument) -> None:
        """Insert or update an instrument's description (calendar, time zone, tick size)."""
        with self._write():
            self._upsert_instrument(instrument)

    def _upsert_instrument(self, ins: Instrument) -> None:
        self._con.execute(
            "INSERT INTO instruments VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
            "calendar = excluded.calendar, tz = excluded.tz, "
            "tick_size = excluded.tick_size, description = excluded.description",
            [ins.symbol, ins.calendar, ins.tz, ins.tick_size, ins.description],
        )

    def instrument(self, symbol: str) -> Instrument:
        with self._lock:
            rows = self._con.sql(
                "SELECT symbol, calendar, tz, tick_size, description FROM instruments "
                "WHERE symbol = ?",
                params=[symbol],
            ).fetchall()
        if not rows:
            raise KeyError(f"no instrument {symbol!r} in {self.path}")
        return Instrument(*rows[0])

    def instruments(self) -> list[Instrument]:
        with self._lock:
            rows = self._con.sql(
                "SELECT symbol, calendar, tz, tick_size, description FROM instruments "
                "ORDER BY symbol"
            ).fetchall()
        return [Instrument(*row) for row in rows]

    def symbols(self) -> list[str]:
        """Symbols that have bars, sorted."""
        with self._lock:
            rows = self._con.sql("SELECT DISTINCT symbol FROM bars ORDER BY symbol").fetchall()
        return [row[0] for row in rows]

    def timeframes(self, symbol: str) -> list[str]:
        with self._lock:
            rows = self._con.sql(
                "SELECT DISTINCT timeframe FROM bars WHERE symbol = ?", params=[symbol]
            ).fetchall()
        return sorted((row[0] for row in rows), key=_timeframe_order)

    # -- writing -----------------------------------------------------------------------------

    def write_bars(
        self,
        symbol: str,
        timeframe: str,
        bars: Bars,
        *,
        instrument: Instrument | None = None,
    ) -> int:
        """Upsert `bars` into (symbol, timeframe) in one transaction; returns rows written.

        Bars whose ts_ns is already stored replace the stored ones. A symbol not yet known is
        registered with `instrument`, or as a 24x7 instrument if none is given. If anything
        fails, the store is left exactly as it was.
        """
        check_symbol(symbol)
        check_timeframe(timeframe)
        if not isinstance(bars, Bars):
            raise TypeError(f"write_bars takes Bars, got {type(bars).__name__}")
        if instrument is not None and instrument.symbol != symbol:
            raise ValueError(f"instrument {instrument.symbol!r} does not match symbol {symbol!r}")
        bars.validate()
        incoming = pa.table({name: getattr(bars, name) for name in COLUMNS})
        with self._lock:
            self._con.register("_incoming", incoming)
            try:
                with self._write():
                    if instrument is not None:
                        self._upsert_instrument(instrument)
                    else:
                        self._con.execute(
                            "INSERT INTO instruments VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                            [symbol, "24x7", "UTC", 0.01, ""],
                        )
                    if len(bars):
                        self._write_series(symbol, timeframe, int(bars.ts_ns[0]))
            finally:
                self._con.unregister("_incoming")
        return len(bars)

    def _write_series(self, symbol: str, timeframe: str, first_ns: int) -> None:
        """Insert the registered `_incoming` rows (inside the caller's transaction)."""
        con = self._con
        (last_ns,) = con.sql(
            "SELECT max(ts_ns) FROM bars WHERE symbol = ? AND timeframe = ?",
            params=[symbol, timeframe],
        ).fetchall()[0]
        cols = ", ".join(COLUMNS)
        if last_ns is None or first_ns > last_ns:
            con.execute(f"INSERT INTO bars SELECT ?, ?, {cols} FROM _incoming", [symbol, timeframe])
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

    def delete_bars(self, symbol: str, timeframe: str | None = None) -> None:
        """Remove a symbol's bars (all timeframes unless one is named)."""
        with self._write():
            if timeframe is None:
                self._con.execute("DELETE FROM bars WHERE symbol = ?", [symbol])
            else:
                self._con.execute(
                    "DELETE FROM bars WHERE symbol = ? AND timeframe = ?",
                    [symbol, check_timeframe(timeframe)],
                )

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One transaction with room for the primary-key index; rolled back on any error."""
        with self._lock:
            con = self._con
            con.execute(f"SET memory_limit = '{_WRITE_MEMORY_LIMIT}'")
            try:
                con.execute("BEGIN")
                try:
                    yield
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
            finally:
                con.execute(f"SET memory_limit = '{_READ_MEMORY_LIMIT}'")

    # -- reading -----------------------------------------------------------------------------

    def load(
        self,
        symbol: str,
        timeframe: str,
        start_ns: int | None = None,
        end_ns: int | None = None,
        limit: int | None = None,
    ) -> Bars:
        """Bars with start_ns <= ts_ns < end_ns (either bound optional), in time order.

        With `limit`, only the latest `limit` bars of that range (what a chart shows first).
        """
        check_timeframe(timeframe)
        if limit is not None and limit < 0:
            raise ValueError(f"limit {limit} must be >= 0")
        where, params = _series_filter(symbol, timeframe, start_ns, end_ns)
        with self._lock:
            self._con.execute("BEGIN")  # one snapshot for the count and the rows
            try:
                count, lo, hi = self._con.sql(
                    f"SELECT count(*), min(ts_ns), max(ts_ns) FROM bars WHERE {where}",
                    params=params,
                ).fetchall()[0]
                if limit is not None and count > limit:
                    if limit == 0:
                        return Bars.empty()
                    cutoff, count = self._cutoff_for_latest(where, params, limit, count, lo, hi)
                    where += " AND ts_ns >= ?"
                    params = [*params, cutoff]
                bars = self._fetch(where, params, count)
            finally:
                self._con.execute("COMMIT")
        if limit is not None and len(bars) > limit:
            bars = bars[len(bars) - limit :]
        return bars

    def load_before(self, symbol: str, timeframe: str, ts_ns: int, n: int) -> Bars:
        """The `n` bars just before `ts_ns` (exclusive), for scrolling back in history."""
        return self.load(symbol, timeframe, end_ns=ts_ns, limit=n)

    def count(
        self,
        symbol: str,
        timeframe: str,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> int:
        where, params = _series_filter(symbol, check_timeframe(timeframe), start_ns, end_ns)
        with self._lock:
            return self._con.sql(
                f"SELECT count(*) FROM bars WHERE {where}", params=params
            ).fetchall()[0][0]

    def time_range(self, symbol: str, timeframe: str = "1m") -> tuple[int, int] | None:
        """(first, last) bar ts_ns of a series, or None when it has no bars."""
        with self._lock:
            lo, hi = self._con.sql(
                "SELECT min(ts_ns), max(ts_ns) FROM bars WHERE symbol = ? AND timeframe = ?",
                params=[symbol, check_timeframe(timeframe)],
            ).fetchall()[0]
        return None if lo is None else (lo, hi)

    def _cutoff_for_latest(
        self, where: str, params: list, n: int, count: int, lo: int, hi: int
    ) -> tuple[int, int]:
        """A ts_ns with between n and about 1.05 n rows at or after it, found by interpolating
        on the time axis with count queries that DuckDB answers from row-group statistics."""
        keep_ts, keep_count = lo, count  # count(ts >= keep_ts) >= n
        past_ts, past_count = hi + 1, 0  # count(ts >= past_ts) < n
        for _ in range(16):
            if keep_count <= n * 1.05 + 64 or past_ts - keep_ts <= 1:
                break
            share = (n - past_count) / (keep_count - past_count) * 1.02
            guess = past_ts - int((past_ts - keep_ts) * min(share, 1.0))
            guess = min(max(guess, keep_ts + 1), past_ts - 1)
            c = self._con.sql(
                f"SELECT count(*) FROM bars WHERE {where} AND ts_ns >= ?",
                params=[*params, guess],
            ).fetchall()[0][0]
            if c >= n:
                keep_ts, keep_count = guess, c
            else:
                past_ts, past_count = guess, c
        return keep_ts, keep_count

    def _fetch(self, where: str, params: list, count: int) -> Bars:
        out = {name: np.empty(count, dtype=DTYPES[name]) for name in COLUMNS}
        pos = 0
        if count:
            reader = self._con.sql(
                f"SELECT {', '.join(COLUMNS)} FROM bars WHERE {where}", params=params
            ).to_arrow_reader(_BATCH_ROWS)
            for batch in reader:
                k = batch.num_rows
                if pos + k > count:
                    raise StoreError(f"{self.path}: rows changed while loading; try again")
                for i, name in enumerate(COLUMNS):
                    out[name][pos : pos + k] = batch.column(i).to_numpy()
                pos += k
        if pos != count:
            raise StoreError(f"{self.path}: expected {count} rows, read {pos}; try again")
        ts = out["ts_ns"]
        if count > 1 and not np.all(ts[1:] > ts[:-1]):
            order = np.argsort(ts, kind="stable")
            out = {name: col[order] for name, col in out.items()}
        return Bars(*(out[name] for name in COLUMNS))


class _Closed:
    """Stands in for the connection of a closed store."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def __getattr__(self, name: str):
        raise StoreError(f"the bar store {self._path} is closed")

    def close(self) -> None:
        pass


def _series_filter(
    symbol: str, timeframe: str, start_ns: int | None, end_ns: int | None
) -> tuple[str, list]:
    where = "symbol = ? AND timeframe = ?"
    params: list = [symbol, timeframe]
    if start_ns is not None:
        where += " AND ts_ns >= ?"
        params.append(int(start_ns))
    if end_ns is not None:
        where += " AND ts_ns < ?"
        params.append(int(end_ns))
    return where, params


def _timeframe_order(timeframe: str) -> int:
    from engine.timeframes import TIMEFRAMES

    return TIMEFRAMES.index(timeframe) if timeframe in TIMEFRAMES else len(TIMEFRAMES)


def _check_is_duckdb_file(path: Path) -> None:
    if not path.exists():
        return
    if path.is_dir():
        raise StoreError(f"{path} is a directory; give the path of a .duckdb file")
    with path.open("rb") as fh:
        head = fh.read(12)
    if len(head) == 0:
        return  # an empty file holds nothing to lose; DuckDB initialises it
    if head[8:12] != _DUCKDB_MAGIC:
        raise StoreError(
            f"{path} is not a DuckDB database (it does not start with a DuckDB header); "
            "it was left untouched: pass another path with --db"
        )


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(
            str(path),
            read_only=read_only,
            config={"threads": min(4, os.cpu_count() or 1), "memory_limit": _READ_MEMORY_LIMIT},
        )
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            pid = re.search(r"PID (\d+)", text)
            who = f"process {pid.group(1)}" if pid else "another process"
            raise StoreError(
                f"the bar store {path} is open in {who}; close that program first, "
                "or open another store with --db PATH"
            ) from None
        raise StoreError(f"cannot open the bar store {path}: {text}") from None
    except duckdb.Error as exc:
        raise StoreError(
            f"{path} could not be opened as a DuckDB database ({exc}); it was left "
            "untouched: pass another path with --db"
        ) from None
