"""`BarStore`: bars of every symbol and timeframe in one embedded DuckDB database file.

Bars move in and out as Arrow/numpy columns, never row by row. Every DuckDB call in candleterm
lives in `data/store/` (this module; `files`: opening the file, failures in words; `schema`,
`writes`, `source_records`, `reader`).

Layout. `bars` has a primary key on (symbol, timeframe, ts_ns). The rows of each series are
kept in time order physically: appends go at the end, and a write that lands inside or before
existing rows rewrites the series' tail from that point in one transaction. A window query then
needs no sort: DuckDB prunes row groups by their ts_ns min/max and streams the rows, in
insertion order, straight into preallocated numpy columns. `load` checks the order and falls
back to a sort if it ever finds the rows out of order.

Series statistics. `series` holds each series' bar count and first/last ts_ns, updated in the
same transaction as the bars. A "latest n bars" load starts from it: it guesses the cutoff
time from the bar density and corrects the guess with count queries that touch only the row
groups after the cutoff, so its cost follows n, not the length of the series.

Memory. Reads run under a small DuckDB memory limit so its block cache stays small; a write
raises the limit for its transaction (the primary-key index needs room) and lowers it after.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from data.store import changes
from data.store.arrow import bars_table
from data.store.drawings import ALERT_LOG_KEPT, append_saved, read_saved, write_saved
from data.store.files import (
    Closed,
    StoreError,
    check_is_duckdb_file,
    connect,
    describe_failure,
    first_line,
    no_permission,
    store_errors,
)
from data.store.instruments import Instrument, check_symbol, check_write, written_span
from data.store.meta import read_meta, write_meta
from data.store.provenance import API, Source, Stretch, holds_synthetic, merged, replaced
from data.store.ranges import ranges_closes, ranges_so_far
from data.store.reader import WindowReader, allocate, series_filter
from data.store.schema import check_schema
from data.store.source_records import checked_sources, record_sources, stretches
from data.store.verify import read_every_series
from data.store.writes import write_series
from engine.alert_specs import AlertSpec, alert_from_saved
from engine.bars import COLUMNS, Bars, PartialBar
from engine.drawings import Drawing, from_saved
from engine.series_buffer import ALIGN, SeriesBuffer
from engine.timeframes import TIMEFRAMES, check_timeframe

log = logging.getLogger(__name__)

_READ_HEADROOM_BYTES = 32 << 20
_WRITE_MEMORY_LIMIT = "8GB"


@store_errors(duckdb.Error, pa.ArrowException, OSError)  # Arrow streams the reads
class BarStore:
    """One DuckDB database file holding instruments and their bars.

    Opening a file that is not a DuckDB database, a DuckDB database that is not a candleterm
    store, or a store another process holds open raises `StoreError` and leaves the file as it
    was. The store may be used from several threads; calls are serialised.

    Every failure is a `StoreError` naming the file and what to do. Once a read finds the file
    damaged (a block whose checksum does not match), `damaged` says where and nothing more is
    written to it: `verify` reads every series, `repair` (in `data.store.repair`) copies what is
    readable into a new store.
    """

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self.path = Path(path)
        check_is_duckdb_file(self.path)
        if read_only and not self.path.exists():
            raise StoreError(f"no bar store at {self.path}: nothing to open read-only")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise no_permission(self.path, exc.strerror or str(exc)) from None
        self._lock = threading.RLock()
        self._stats: dict[tuple[str, str], tuple[int, int, int]] | None = None
        self.queries = 0  # bar reads that reached DuckDB (loads, counts, bars so far)
        self.damaged = ""  # why the file is damaged, once a read found out
        self.read_only = read_only
        self._verified = threading.Event()  # no check of every block is under way
        self._verified.set()
        self._closing = False
        self._con = connect(self.path, read_only)
        try:
            check_schema(self, read_only)
        except duckdb.Error as exc:
            self._con.close()
            raise self._problem(exc) from None
        except BaseException:
            self._con.close()
            raise

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database (after a check under way stops); it cannot be used afterwards."""
        self._closing = True
        self._verified.wait()
        with self._lock:
            self._con.close()
            self._con = Closed(self.path)

    def __enter__(self) -> BarStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _problem(self, exc: BaseException) -> StoreError:
        error, damaged = describe_failure(self.path, exc)
        if damaged:
            self.damaged = self.damaged or first_line(exc)
        return error

    def verify(self) -> list[tuple[str, str, str]]:
        """Read every bar of every series (each block's checksum is checked as it is read):
        (symbol, timeframe, problem) for each series that cannot be read in full. Runs on a
        connection of its own: other calls go on meanwhile."""
        with self._lock:
            series = sorted(self._series_stats())
            con = self._con.cursor()
        try:
            return read_every_series(con, series, lambda: self._closing, self._problem)
        finally:
            con.close()

    def verify_in_background(self) -> threading.Thread:
        """`verify` on a thread; until it is done, writes wait (a damaged store is never
        written to, even where the damage lies in bars nobody has read yet)."""
        self._verified.clear()

        def run() -> None:
            try:
                self.verify()
            except StoreError as exc:  # the store closed meanwhile: nothing to protect
                log.info("store check stopped: %s", exc)
            finally:
                self._verified.set()

        thread = threading.Thread(target=run, name="candleterm-verify", daemon=True)
        thread.start()
        return thread

    # -- instruments -------------------------------------------------------------------------

    def add_instrument(self, instrument: Instrument) -> None:
        """Insert or update an instrument's description (calendar, time zone, tick size)."""
        with self._write():
            self._upsert_instrument(instrument)

    def _upsert_instrument(self, ins: Instrument) -> None:
        """Updated in place, or added (an update and an insert cost a fifth of DuckDB's
        upsert, which every fetched batch paid)."""
        ((updated,),) = self._con.execute(
            "UPDATE instruments SET calendar = ?, tz = ?, tick_size = ?, description = ? "
            "WHERE symbol = ?",
            [ins.calendar, ins.tz, ins.tick_size, ins.description, ins.symbol],
        ).fetchall()
        if not updated:
            self._con.execute(
                "INSERT INTO instruments VALUES (?, ?, ?, ?, ?)",
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
        return sorted({symbol for symbol, _ in self._stats_now()})

    def timeframes(self, symbol: str) -> list[str]:
        stats = self._stats_now()
        return sorted((tf for sym, tf in stats if sym == symbol), key=_timeframe_order)

    def _stats_now(self) -> dict[tuple[str, str], tuple[int, int, int]]:
        """The series stats without waiting for a write under way: every write replaces
        them whole (a consistent snapshot) before it lets the lock go."""
        stats = self._stats
        if stats is None:
            with self._lock:
                stats = self._series_stats()
        return stats

    def _series_stats(self) -> dict[tuple[str, str], tuple[int, int, int]]:
        """(symbol, timeframe) -> (bars, first ts_ns, last ts_ns); cached until a write."""
        if self._stats is None:
            rows = self._con.sql(
                "SELECT symbol, timeframe, n_bars, first_ns, last_ns FROM series"
            ).fetchall()
            self._stats = {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}
        return self._stats

    # -- writing -----------------------------------------------------------------------------

    def write_bars(
        self,
        symbol: str,
        timeframe: str,
        bars: Bars,
        *,
        instrument: Instrument | None = None,
        source: Source = API,
        replace_span: tuple[int, int] | None = None,
    ) -> int:
        """Upsert `bars` into (symbol, timeframe) in one transaction; returns rows written.

        Bars whose ts_ns is already stored replace the stored ones; with `replace_span`
        (first_ns, last_ns: holding the bars' times), `bars` replace every stored bar in it
        and `source` is recorded for all of it (a corrected file imported again leaves none
        of the old import's bars). A symbol not yet known is
        registered with `instrument`, or as a 24x7 instrument if none is given. `source` is
        recorded for the stretch written; synthetic bars (demo, simulated) are refused for a
        symbol holding real bars and the other way round. If anything fails, the store is
        left exactly as it was.
        """
        check_write(symbol, timeframe, bars, instrument, replace_span)
        incoming = bars_table(bars)
        with self._lock:
            self._con.register("_incoming", incoming)
            try:
                with self._write():
                    if instrument is not None:
                        self._upsert_instrument(instrument)
                    elif not self._con.execute(
                        "SELECT 1 FROM instruments WHERE symbol = ?", [symbol]
                    ).fetchall():
                        self._upsert_instrument(Instrument(symbol, "24x7"))
                    if len(bars):
                        held = checked_sources(self._con, symbol, timeframe, source)
                        if write_series(self._con, symbol, timeframe, int(bars.ts_ns[0]),
                                        replace_span):  # fmt: skip
                            changes.note(self._con, symbol, timeframe,
                                         *written_span(bars, replace_span))  # fmt: skip
                        if held is not None:
                            new = Stretch(source, *written_span(bars, replace_span))
                            record_sources(self._con, symbol, timeframe,
                                           merged(held, new) if replace_span is None
                                           else replaced(held, replace_span, new))  # fmt: skip
            finally:
                self._con.unregister("_incoming")
        return len(bars)

    def series_version(self, symbol: str, timeframe: str) -> int:
        """The number of the store's latest rewrite (of any series): what a sync from this
        store copied at (`changes_since` then gives what was rewritten after)."""
        with self._lock:
            return changes.latest(self._con)

    def changes_since(self, symbol: str, timeframe: str, version: int
                      ) -> list[tuple[int, int]] | None:  # fmt: skip
        """The (first, last) spans of a series rewritten after `version` (see
        `data.store.changes`); None when the notes do not reach back that far."""
        with self._lock:
            return changes.since(self._con, symbol, check_timeframe(timeframe), version)

    def meta(self, key: str) -> str | None:
        """A value kept in the store's own table under `key` (a team cache keeps the team
        store's versions of the series it holds there, in the file they describe)."""
        with self._lock:
            return read_meta(self._con, key)

    def set_meta(self, key: str, value: str) -> None:
        if key == "schema_version":
            raise ValueError("the schema version is the store's own: choose another key")
        with self._write():
            write_meta(self._con, key, value)

    def drawings(self, symbol: str) -> list[Drawing]:
        """The symbol's drawings, in the order they were drawn."""
        with self._lock:
            return [from_saved(e) for e in read_saved(self._con, "drawings", symbol)]

    def set_drawings(self, symbol: str, drawings: list[Drawing]) -> None:
        """The symbol's drawings are `drawings` (all of them, replaced in one transaction)."""
        check_symbol(symbol)
        with self._write():
            write_saved(self._con, "drawings", symbol, [d.saved() for d in drawings])

    def alerts(self, symbol: str) -> list[AlertSpec]:
        """The symbol's alerts, in the order they were set."""
        with self._lock:
            return [alert_from_saved(e) for e in read_saved(self._con, "alerts", symbol)]

    def alert_symbols(self) -> list[str]:
        """The symbols with alerts."""
        with self._lock:
            rows = self._con.execute("SELECT DISTINCT symbol FROM alerts ORDER BY 1").fetchall()
        return [row[0] for row in rows]

    def set_alerts(self, symbol: str, alerts: list[AlertSpec]) -> None:
        """The symbol's alerts are `alerts` (all of them, replaced in one transaction)."""
        check_symbol(symbol)
        with self._write():
            write_saved(self._con, "alerts", symbol, [a.saved() for a in alerts])

    def alert_log(self) -> list[dict]:
        """The alerts that fired (saved lines: "symbol", "ts_ns", ...), in time order, the
        latest ALERT_LOG_KEPT of each symbol."""
        with self._lock:
            symbols = [r[0] for r in self._con.execute(
                "SELECT DISTINCT symbol FROM alert_log").fetchall()]  # fmt: skip
            logged = [e for s in symbols for e in read_saved(self._con, "alert_log", s)]
        return sorted(logged, key=lambda e: e["ts_ns"])

    def log_alerts(self, symbol: str, fired: list[dict]) -> None:
        """Alerts of `symbol` that fired (each with "ts_ns") after those logged."""
        check_symbol(symbol)
        with self._write():
            append_saved(self._con, "alert_log", symbol,
                         [{**e, "symbol": symbol} for e in fired], ALERT_LOG_KEPT)  # fmt: skip

    def sources(self, symbol: str, timeframe: str = "1m") -> list[Stretch]:
        """The stretches of a series by source, in time order."""
        check_timeframe(timeframe)
        with self._lock:
            return [s for tf, s in stretches(self._con, symbol) if tf == timeframe]

    def is_synthetic(self, symbol: str) -> bool | None:
        """Whether a symbol holds synthetic (demo or simulated) bars; None when it has none."""
        with self._lock:
            held = stretches(self._con, symbol)
        return holds_synthetic([s for _, s in held])

    def delete_bars(self, symbol: str, timeframe: str | None = None) -> None:
        """Remove a symbol's bars (all timeframes unless one is named)."""
        with self._write():
            for table in ("bars", "series", "sources", "changes"):
                if timeframe is None:
                    self._con.execute(f"DELETE FROM {table} WHERE symbol = ?", [symbol])
                else:
                    self._con.execute(
                        f"DELETE FROM {table} WHERE symbol = ? AND timeframe = ?",
                        [symbol, check_timeframe(timeframe)],
                    )

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One transaction with room for the primary-key index; rolled back on any error."""
        self._verified.wait()
        with self._lock:
            if self.damaged:
                raise StoreError(
                    f"the bar store {self.path} is damaged ({self.damaged}); it is not written "
                    f"to. Copy what is readable into a new store with `candleterm repair --db "
                    f"{self.path} NEW.duckdb`"
                )
            con = self._con
            con.execute(f"SET memory_limit = '{_WRITE_MEMORY_LIMIT}'")
            try:
                con.execute("BEGIN")
                try:
                    yield
                    con.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(duckdb.Error):  # the failure is what to report
                        con.execute("ROLLBACK")
                    raise
            finally:
                # the writer pays for the new series stats (one small read), so that readers
                # on other threads (the window) find them without waiting for the lock
                self._stats = None
                with contextlib.suppress(duckdb.Error, StoreError):  # then readers ask anew
                    self._series_stats()
                # Reads stream into numpy and need little of DuckDB's memory, but what it
                # keeps pinned (the primary-key index, once a write loaded it) counts too.
                pinned = con.sql("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchall()
                limit_mb = ((pinned[0][0] or 0) + _READ_HEADROOM_BYTES) >> 20
                con.execute(f"SET memory_limit = '{max(limit_mb, 32)}MB'")

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
        columns, origin, n = self._load(symbol, timeframe, start_ns, end_ns, limit, (0, 0))
        return Bars(*(columns[c][origin : origin + n] for c in COLUMNS))

    def load_series(self, symbol: str, timeframe: str, **window) -> SeriesBuffer:
        """Like `load` (the same start_ns, end_ns and limit), into a growable SeriesBuffer:
        the rows stream straight into arrays with room at both ends, so a chart can prepend
        history and append live bars without copying what was loaded."""
        window = {"start_ns": None, "end_ns": None, "limit": None, **window}
        columns, origin, n = self._load(
            symbol, timeframe, **window, room=(ALIGN, max(1024, ALIGN // 16))
        )
        return SeriesBuffer.wrap(columns, origin, n)

    def _load(self, symbol, timeframe, start_ns, end_ns, limit, room):
        """(full columns with room, first row, rows) of a load."""
        check_timeframe(timeframe)
        if limit is not None and limit < 0:
            raise ValueError(f"limit {limit} must be >= 0")
        where, params = series_filter(symbol, timeframe, start_ns, end_ns)
        with self._lock:
            stats = self._series_stats().get((symbol, timeframe))
            lo = hi = 0
            if stats is not None and limit != 0:
                _, first, last = stats
                lo = first if start_ns is None else max(first, int(start_ns))
                hi = last if end_ns is None else min(last, int(end_ns) - 1)
            if stats is None or limit == 0 or hi < lo:
                return allocate(0, room), room[0], 0
            self.queries += 1
            whole = start_ns is None and end_ns is None
            self._con.execute("BEGIN")  # one snapshot for the counts and the rows
            try:
                reader = WindowReader(self._con, self.path, self._count)
                columns, count = reader.rows(where, params, limit, stats, lo, hi, whole, room)
            finally:
                self._con.execute("COMMIT")
        origin = room[0]
        if limit is not None and count > limit:
            origin += count - limit  # the rows before are dropped into the front room
            count = limit
        return columns, origin, count

    def closes(self, ranges: list[tuple[str, int, int]], timeframe: str = "1m") -> dict:
        """{symbol: (ts_ns, close)} of the bars in each (symbol, start_ns, end_ns), in time
        order, in one query (the watchlist's day paths)."""
        if not ranges:
            return {}
        with self._lock:
            self.queries += 1
            return ranges_closes(self._con, ranges, check_timeframe(timeframe))

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
        where, params = series_filter(symbol, check_timeframe(timeframe), start_ns, end_ns)
        with self._lock:
            if start_ns is None and end_ns is None:
                return self._series_stats().get((symbol, timeframe), (0, 0, 0))[0]
            return self._count(where, params)

    def _count(self, where: str, params: list) -> int:
        self.queries += 1
        return self._con.sql(f"SELECT count(*) FROM bars WHERE {where}", params=params).fetchall()[
            0
        ][0]

    def time_range(self, symbol: str, timeframe: str = "1m") -> tuple[int, int] | None:
        """(first, last) bar ts_ns of a series, or None when it has no bars."""
        stats = self._stats_now().get((symbol, check_timeframe(timeframe)))
        return None if stats is None else (stats[1], stats[2])

    def bars_so_far(
        self, ranges: list[tuple[str, int, int]], timeframe: str = "1m"
    ) -> list[PartialBar | None]:
        """For each (symbol, start_ns, end_ns), its stored bars of [start_ns, end_ns) folded
        into one bar (for the open-price cache), or None when there are none: one query."""
        if not ranges:
            return []
        with self._lock:
            self.queries += 1
            return ranges_so_far(self._con, ranges, check_timeframe(timeframe))


def _timeframe_order(timeframe: str) -> int:
    return TIMEFRAMES.index(timeframe) if timeframe in TIMEFRAMES else len(TIMEFRAMES)
