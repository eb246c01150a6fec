"""The team store: a desk's bars, instruments, sources, drawings and alerts in an ArcticDB
library, on S3-compatible object storage (`s3://HOST:BUCKET?port=..&access=..&secret=..`)
or on LMDB (`lmdb://PATH`): serverless, many readers and writers on many machines.

It keeps the embedded store's contract (`data.store.port.Store`, one contract test suite for
both). Layout, one ArcticDB symbol each, so that writers of different symbols never touch
the same object:
- `bars|SYMBOL|TF`: the bars of a series, indexed by their open time;
- `instrument|SYMBOL`, `sources|SYMBOL`, `drawings|SYMBOL`, `alerts|SYMBOL`: small JSON
  documents (in the symbol's metadata). (`|` never occurs in a symbol; `/` does.)
- `changes|bars|SYMBOL|TF`: the spans of a series rewritten (not appended to), each with
  the series' version before, noted before the write: a reader that copied the series at
  some version (a team cache) copies them again (a correction that keeps the bar count
  looks like no change otherwise). The latest CHANGES_KEPT are kept.

Bars are upserted as in the embedded store: a write after the last bar appends; one that
overlaps is merged with the stored bars of its time span (the new win) and that span is
replaced. History is read by time range (ArcticDB reads only the segments in range): the
latest n bars before a time are read from a window widened until it holds them, never the
whole series. The bars and their recorded source are two ArcticDB writes: a failure between
them leaves the bars written without their stretch recorded, and says so.

Every failure is a `StoreError` naming the store and what to do; no ArcticDB exception
leaves this module.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from data.store.addresses import check_team_url, shown
from data.store.drawings import ALERT_LOG_KEPT
from data.store.files import StoreError, store_errors
from data.store.instruments import Instrument, check_symbol, check_write, written_span
from data.store.provenance import (
    API,
    Source,
    SourceKind,
    Stretch,
    holds_synthetic,
    merged,
    refused_mix,
    replaced,
)
from engine.alert_specs import AlertSpec, alert_from_saved
from engine.bar_x import nominal_period_ns
from engine.bars import COLUMNS, Bars, PartialBar
from engine.drawings import Drawing, from_saved
from engine.series_buffer import SeriesBuffer
from engine.timeframes import TIMEFRAMES, check_timeframe

LIBRARY = "candleterm"
PRICES = COLUMNS[1:]  # open, high, low, close, volume
STATS_FRESH_S = 5.0  # the series list is read again after this long (other terminals write)
CHANGES_KEPT = 256  # rewritten spans noted a series


def _in_words(exc: BaseException) -> str:
    """ArcticDB's error in words: a connection that failed says where and why (its own text
    ends in advice on file descriptors, whatever the cause), anything else its first line."""
    text = str(exc).strip()
    refused = re.search(r"Failed to connect to (\S+) port (\d+)", text)
    if refused is not None:
        return (f"nothing answers at {refused[1]} port {refused[2]} (is the S3 server running "
                "there, on that port?)")  # fmt: skip
    unresolved = re.search(r"Could not resolve host:? (\S+)", text)
    if unresolved is not None:
        return f"the host name {unresolved[1].rstrip(';,')} does not resolve"
    if "curlCode: 28" in text or "Timeout was reached" in text:
        return "the S3 server did not answer in time"
    lines = text.splitlines()
    return lines[0] if lines else type(exc).__name__


def _frame(bars: Bars) -> pd.DataFrame:
    index = pd.DatetimeIndex(bars.ts_ns.view("datetime64[ns]"), name="ts")
    return pd.DataFrame({c: getattr(bars, c) for c in PRICES}, index=index)


def _bars(df: pd.DataFrame) -> Bars:
    if len(df) == 0:
        return Bars.from_arrays(*([] for _ in COLUMNS))
    ts = np.ascontiguousarray(df.index.asi8, dtype=np.int64)
    return Bars(ts, *(np.ascontiguousarray(df[c].to_numpy(np.float64)) for c in PRICES))


def _ts(ns: int) -> pd.Timestamp:
    return pd.Timestamp(int(ns), unit="ns")


@store_errors(RuntimeError, OSError, pd.errors.ParserError)  # ArcticDB's are RuntimeErrors
class ArcticStore:
    """A bar store in an ArcticDB library (see the module's description)."""

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        check_team_url(url)
        self.path = shown(url)
        self.read_only = read_only
        self.queries = 0
        self.versions_asked = 0
        self.damaged = ""
        self._lock = threading.RLock()
        self._stats: dict[tuple[str, str], tuple[int, int, int]] | None = None
        self._stats_at = 0.0
        self._described: set[str] = set()  # symbols whose instrument is known to be there
        import arcticdb  # an optional dependency's import: only for a team store
        from arcticdb.config import set_config_int, set_log_level

        # Other terminals write: a series' version is read from the storage on every use,
        # not from a copy up to seconds old (ArcticDB's default), and its notices of keys
        # not found yet (a new library) stay out of the terminal's stderr.
        set_config_int("VersionMap.ReloadInterval", 0)
        set_log_level("CRITICAL")  # its errors come to us as exceptions, said in words
        try:
            arctic = arcticdb.Arctic(url)
            if read_only and LIBRARY not in arctic.list_libraries():
                raise StoreError(f"no candleterm store at {self.path}: nothing to open read-only "
                                 "(write to it first, or `candleterm sync` into it)")  # fmt: skip
            self._lib = arctic.get_library(LIBRARY, create_if_missing=not read_only)
        except StoreError:
            raise
        except Exception as exc:  # any failure to reach it, said in words
            raise StoreError(
                f"the team store {self.path} could not be opened: {_in_words(exc)}; check "
                "the address (s3://HOST:BUCKET?port=..&access=..&secret=.. or lmdb://PATH), "
                "that the bucket exists and the keys may use it"
            ) from None

    # -- lifecycle ---------------------------------------------------------------------------

    def _problem(self, exc: BaseException) -> StoreError:
        return StoreError(f"the team store {self.path} failed: {_in_words(exc)}; check "
                          "that it is reachable, then try again")  # fmt: skip

    def close(self) -> None:
        with self._lock:
            self._lib = _Closed(self.path)

    def __enter__(self) -> ArcticStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def verify(self) -> list[tuple[str, str, str]]:
        """Read every bar of every series: (symbol, timeframe, problem) for those that
        cannot be read in full."""
        problems = []
        for symbol, tf in sorted(self._series_stats(fresh=True)):
            try:
                with self._lock:
                    self._lib.read(self._name(symbol, tf))
            except RuntimeError as exc:
                problems.append((symbol, tf, _in_words(exc)))
        return problems

    def verify_in_background(self) -> threading.Thread:
        """Nothing at a terminal's start: reading a desk's whole history from object
        storage at every launch is not a check worth its cost (`candleterm check` reads it)."""
        thread = threading.Thread(target=lambda: None, name="candleterm-verify", daemon=True)
        thread.start()
        return thread

    # -- documents ---------------------------------------------------------------------------

    @staticmethod
    def _name(symbol: str, timeframe: str) -> str:
        return f"bars|{symbol}|{timeframe}"

    def _doc(self, kind: str, symbol: str):
        name = f"{kind}|{symbol}"
        with self._lock:
            if not self._lib.has_symbol(name):
                return None
            return self._lib.read_metadata(name).metadata["doc"]

    def _docs(self, kind: str) -> dict[str, object]:
        """{symbol: document} of every symbol with one of this kind, in one batch read."""
        with self._lock:
            names = self._lib.list_symbols(regex=f"^{kind}\\|")
            if not names:
                return {}
            found = self._lib.read_metadata_batch(names)
        return {name.split("|", 1)[1]: one.metadata["doc"]
                for name, one in zip(names, found, strict=True)}  # fmt: skip

    def _set_doc(self, kind: str, symbol: str, doc) -> None:
        self._writable()
        with self._lock:
            self._lib.write(f"{kind}|{symbol}", pd.DataFrame({"v": [0]}), metadata={"doc": doc})

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"the team store {self.path} is open read-only: nothing is written")

    # -- instruments -------------------------------------------------------------------------

    def add_instrument(self, instrument: Instrument) -> None:
        self._set_doc("instrument", instrument.symbol, _instrument_doc(instrument))

    def instrument(self, symbol: str) -> Instrument:
        doc = self._doc("instrument", symbol)
        if doc is None:
            raise KeyError(f"no instrument {symbol!r} in {self.path}")
        return Instrument(*doc)

    def instruments(self) -> list[Instrument]:
        return [Instrument(*doc) for _, doc in sorted(self._docs("instrument").items())]

    def symbols(self) -> list[str]:
        return sorted({symbol for symbol, _ in self._series_stats()})

    def timeframes(self, symbol: str) -> list[str]:
        return sorted((tf for s, tf in self._series_stats() if s == symbol),
                      key=lambda tf: TIMEFRAMES.index(tf) if tf in TIMEFRAMES else 99)  # fmt: skip

    def _series_stats(self, fresh: bool = False) -> dict[tuple[str, str], tuple[int, int, int]]:
        """(symbol, timeframe) -> (bars, first ts_ns, last ts_ns), read again after our own
        writes and every STATS_FRESH_S (other terminals write too)."""
        stats = self._stats
        if stats is not None and not fresh and time.monotonic() - self._stats_at < STATS_FRESH_S:
            return stats
        with self._lock:
            names = self._lib.list_symbols(regex="^bars\\|")
            found = self._lib.get_description_batch(names) if names else []
            stats = {}
            for name, desc in zip(names, found, strict=True):
                _, symbol, tf = name.split("|")
                if desc.row_count:
                    first, last = desc.date_range
                    stats[(symbol, tf)] = (int(desc.row_count), _ns(first), _ns(last))
            self._stats, self._stats_at = stats, time.monotonic()
        return stats

    # -- writing -----------------------------------------------------------------------------

    def write_bars(self, symbol: str, timeframe: str, bars: Bars, *,
                   instrument: Instrument | None = None, source: Source = API,
                   replace_span: tuple[int, int] | None = None) -> int:  # fmt: skip
        """Upsert `bars` into (symbol, timeframe); see `BarStore.write_bars`."""
        check_write(symbol, timeframe, bars, instrument, replace_span)
        self._writable()
        with self._lock:
            held = self._stretches(symbol)
            if len(bars) and source.kind is not SourceKind.DERIVED:
                refused = refused_mix(symbol, [s for _, s in held], source)
                if refused is not None:
                    raise StoreError(refused)
            if instrument is not None:
                self.add_instrument(instrument)
            elif symbol not in self._described and self._doc("instrument", symbol) is None:
                self.add_instrument(Instrument(symbol))
            self._described.add(symbol)
            if len(bars) == 0:
                return 0
            self._upsert(self._name(symbol, timeframe), bars, replace_span)
            self._stats = None
            if source.kind is not SourceKind.DERIVED:
                mine = [s for tf, s in held if tf == timeframe]
                new = Stretch(source, *written_span(bars, replace_span))
                others = [(tf, s) for tf, s in held if tf != timeframe]
                now = (merged(mine, new) if replace_span is None
                       else replaced(mine, replace_span, new))  # fmt: skip
                self._record(symbol, others + [(timeframe, s) for s in now])
        return len(bars)

    def _upsert(self, name: str, bars: Bars,
                replace_span: tuple[int, int] | None = None) -> None:  # fmt: skip
        """`bars` into series `name`: after its last bar, or over the stored ones at their
        times; with `replace_span`, over every stored bar in it (ArcticDB's update replaces
        the date range given)."""
        lib = self._lib
        frame = _frame(bars)
        if not lib.has_symbol(name):
            lib.write(name, frame)
            return
        last = _ns(lib.get_description(name).date_range[1])
        if written_span(bars, replace_span)[0] > last:
            lib.append(name, frame)
            return
        if replace_span is not None:
            self._note_change(name, *written_span(bars, replace_span))
            lib.update(name, frame, upsert=True,
                       date_range=(_ts(replace_span[0]), _ts(replace_span[1])))  # fmt: skip
            return
        span = (_ts(bars.ts_ns[0]), _ts(bars.ts_ns[-1]))
        read = lib.read(name, date_range=span)
        self._note_change(name, int(bars.ts_ns[0]), int(bars.ts_ns[-1]), read.version)
        stored = read.data
        kept = stored[~stored.index.isin(frame.index)]
        lib.update(name, pd.concat([kept, frame]).sort_index(), upsert=True)

    def _note_change(self, name: str, first_ns: int, last_ns: int,
                     before: int | None = None) -> None:  # fmt: skip
        """Bars of series `name` from `first_ns` to `last_ns` are about to be rewritten:
        noted with its version now (`before`, asked when not given; noted first: a write
        that then fails costs a reader a copy it did not need, never a change it misses)."""
        if before is None:
            latest = self._lib.list_versions(name, latest_only=True, skip_snapshots=True)
            before = max((key.version for key in latest), default=-1)
        # "dropped": the version before the latest change left out of the notes (a reader
        # at it or before must read the series again), -1 while none was
        log = self._doc("changes", name) or {"dropped": -1, "spans": []}
        spans = [*log["spans"], [before, int(first_ns), int(last_ns)]]
        dropped = log["dropped"] if len(spans) <= CHANGES_KEPT else spans[-CHANGES_KEPT - 1][0]
        self._set_doc("changes", name, {"dropped": dropped, "spans": spans[-CHANGES_KEPT:]})

    def changes_since(self, symbol: str, timeframe: str, version: int
                      ) -> list[tuple[int, int]] | None:  # fmt: skip
        """The (first, last) spans of a series rewritten by the writes after its `version`;
        None when its notes do not reach back that far (read it all again)."""
        log = self._doc("changes", self._name(symbol, check_timeframe(timeframe)))
        if log is None:
            return []
        if version <= log["dropped"]:
            return None
        return [(first, last) for before, first, last in log["spans"] if before >= version]

    def meta(self, key: str) -> str | None:
        """A value kept under `key` (what a sync into this store copied, by version)."""
        return self._doc("meta", key)

    def set_meta(self, key: str, value: str) -> None:
        self._set_doc("meta", key, value)

    def refresh(self) -> None:
        """Read the list of series again now (other terminals write)."""
        self._series_stats(fresh=True)

    def series_version(self, symbol: str, timeframe: str, *, let_threads_run: bool = False
                       ) -> int | None:  # fmt: skip
        """The ArcticDB version of a series (it changes with every write), None without one.

        Asked by its version reference alone: one request, but ArcticDB holds the GIL
        through it (its version-map calls do: man-group/ArcticDB#577), so every other
        Python thread, a window's among them, waits as long. With `let_threads_run`, asked
        by reading the series' last close instead: two requests more, but ArcticDB's reads
        let the other threads run (for a thread asking behind a window)."""
        from arcticdb.exceptions import NoDataFoundException

        name = self._name(symbol, check_timeframe(timeframe))
        with self._lock:
            self.versions_asked += 1
            if not let_threads_run:
                latest = self._lib.list_versions(name, latest_only=True, skip_snapshots=True)
                return max((key.version for key in latest), default=None)
            try:
                return int(self._lib.tail(name, 1, columns=["close"]).version)
            except NoDataFoundException:
                return None

    def _stretches(self, symbol: str) -> list[tuple[str, Stretch]]:
        doc = self._doc("sources", symbol) or []
        return [(tf, Stretch(Source(SourceKind(kind), detail), first, last))
                for tf, kind, detail, first, last in doc]  # fmt: skip

    def _record(self, symbol: str, stretches: list[tuple[str, Stretch]]) -> None:
        ordered = sorted(stretches, key=lambda x: (x[1].first_ns, x[1].last_ns))
        doc = [[tf, s.source.kind.value, s.source.detail, s.first_ns, s.last_ns]
               for tf, s in ordered]  # fmt: skip
        self._set_doc("sources", symbol, doc)

    def delete_bars(self, symbol: str, timeframe: str | None = None) -> None:
        self._writable()
        with self._lock:
            tfs = self.timeframes(symbol) if timeframe is None else [check_timeframe(timeframe)]
            for tf in tfs:
                for name in (self._name(symbol, tf), f"changes|{self._name(symbol, tf)}"):
                    if self._lib.has_symbol(name):
                        self._lib.delete(name)
            kept = [(tf, s) for tf, s in self._stretches(symbol) if tf not in tfs]
            self._record(symbol, kept)
            self._stats = None

    # -- drawings, alerts, sources -----------------------------------------------------------

    def drawings(self, symbol: str) -> list[Drawing]:
        return [from_saved(e) for e in self._doc("drawings", symbol) or []]

    def set_drawings(self, symbol: str, drawings: list[Drawing]) -> None:
        check_symbol(symbol)
        self._set_doc("drawings", symbol, [d.saved() for d in drawings])

    def alerts(self, symbol: str) -> list[AlertSpec]:
        return [alert_from_saved(e) for e in self._doc("alerts", symbol) or []]

    def alert_symbols(self) -> list[str]:
        return sorted(symbol for symbol, doc in self._docs("alerts").items() if doc)

    def set_alerts(self, symbol: str, alerts: list[AlertSpec]) -> None:
        check_symbol(symbol)
        self._set_doc("alerts", symbol, [a.saved() for a in alerts])

    def alert_log(self) -> list[dict]:
        logged = [e for doc in self._docs("alert_log").values() for e in doc or []]
        return sorted(logged, key=lambda e: e["ts_ns"])

    def log_alerts(self, symbol: str, fired: list[dict]) -> None:
        check_symbol(symbol)
        logged = [*(self._doc("alert_log", symbol) or []),
                  *({**e, "symbol": symbol} for e in fired)]  # fmt: skip
        self._set_doc("alert_log", symbol, logged[-ALERT_LOG_KEPT:])

    def sources(self, symbol: str, timeframe: str = "1m") -> list[Stretch]:
        check_timeframe(timeframe)
        return [s for tf, s in self._stretches(symbol) if tf == timeframe]

    def is_synthetic(self, symbol: str) -> bool | None:
        return holds_synthetic([s for _, s in self._stretches(symbol)])

    # -- reading -----------------------------------------------------------------------------

    def load(self, symbol: str, timeframe: str, start_ns: int | None = None,
             end_ns: int | None = None, limit: int | None = None) -> Bars:  # fmt: skip
        """Bars with start_ns <= ts_ns < end_ns, in time order; with `limit`, the latest
        `limit` of them, read from a window of time (never the whole series)."""
        check_timeframe(timeframe)
        if limit is not None and limit < 0:
            raise ValueError(f"limit {limit} must be >= 0")
        stats = self._series_stats().get((symbol, timeframe))
        if stats is None or limit == 0:
            stats = self._series_stats(fresh=True).get((symbol, timeframe))
        if stats is None or limit == 0:
            return _bars(pd.DataFrame())
        _, first, last = stats
        lo = first if start_ns is None else max(first, int(start_ns))
        hi = last if end_ns is None else min(last, int(end_ns) - 1)
        if hi < lo:
            return _bars(pd.DataFrame())
        name = self._name(symbol, timeframe)
        with self._lock:
            self.queries += 1
            if limit is None:
                return _bars(self._lib.read(name, date_range=(_ts(lo), _ts(hi))).data)
            if start_ns is None and end_ns is None:
                return _bars(self._lib.tail(name, limit).data)
            span = 2 * limit * nominal_period_ns(timeframe)
            while True:  # widen the window until it holds `limit` bars, or reaches `lo`
                a = max(lo, hi - span)
                frame = self._lib.read(name, date_range=(_ts(a), _ts(hi))).data
                if len(frame) >= limit or a == lo:
                    return _bars(frame.iloc[-limit:])
                span *= 4

    def load_series(self, symbol: str, timeframe: str, **window) -> SeriesBuffer:
        return SeriesBuffer(self.load(symbol, timeframe, **window))

    def load_before(self, symbol: str, timeframe: str, ts_ns: int, n: int) -> Bars:
        return self.load(symbol, timeframe, end_ns=ts_ns, limit=n)

    def count(self, symbol: str, timeframe: str, start_ns: int | None = None,
              end_ns: int | None = None) -> int:  # fmt: skip
        check_timeframe(timeframe)
        if start_ns is None and end_ns is None:
            return self._series_stats().get((symbol, timeframe), (0, 0, 0))[0]
        return len(self.load(symbol, timeframe, start_ns, end_ns))

    def time_range(self, symbol: str, timeframe: str = "1m") -> tuple[int, int] | None:
        stats = self._series_stats().get((symbol, check_timeframe(timeframe)))
        return None if stats is None else (stats[1], stats[2])

    def _ranges(self, ranges, timeframe: str, fold: Callable[[pd.DataFrame], object]) -> list:
        """`fold` of the bars of each (symbol, start_ns, end_ns), in one batch read."""
        from arcticdb import ReadRequest

        check_timeframe(timeframe)
        stats = self._series_stats()
        asked = [(k, symbol, lo, hi) for k, (symbol, lo, hi) in enumerate(ranges)
                 if (symbol, timeframe) in stats and hi > lo]  # fmt: skip
        out: list = [None] * len(ranges)
        if not asked:
            return out
        requests = [ReadRequest(self._name(symbol, timeframe),
                                date_range=(_ts(lo), _ts(int(hi) - 1)))
                    for _, symbol, lo, hi in asked]  # fmt: skip
        with self._lock:
            self.queries += 1
            found = self._lib.read_batch(requests)
        for (k, *_), one in zip(asked, found, strict=True):
            if len(one.data):
                out[k] = fold(one.data)
        return out

    def bars_so_far(self, ranges, timeframe: str = "1m") -> list[PartialBar | None]:
        """Each range's bars folded into one (the open-price layer), one batch read."""

        def fold(df: pd.DataFrame) -> PartialBar:
            ts = df.index.asi8
            return PartialBar(float(df["open"].iloc[0]), float(df["high"].max()),
                              float(df["low"].min()), float(df["close"].iloc[-1]),
                              float(df["volume"].sum()), int(ts[0]), int(ts[-1]))  # fmt: skip

        return self._ranges(ranges, timeframe, fold) if ranges else []

    def closes(self, ranges, timeframe: str = "1m") -> dict:
        found = self._ranges(ranges, timeframe,
                             lambda df: (np.asarray(df.index.asi8, np.int64),
                                         df["close"].to_numpy(np.float64)))  # fmt: skip
        return {symbol: one for (symbol, _, _), one in zip(ranges, found, strict=True)
                if one is not None}  # fmt: skip


def _instrument_doc(ins: Instrument) -> list:
    return [ins.symbol, ins.calendar, ins.tz, ins.tick_size, ins.description]


def _ns(value) -> int:
    return int(pd.Timestamp(value).value)


class _Closed:
    """A closed store's library: every use says so."""

    def __init__(self, path: str) -> None:
        self._path = path

    def __getattr__(self, name: str):
        raise StoreError(f"the team store {self._path} is closed")
