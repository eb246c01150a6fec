"""A team store read through a local DuckDB cache, so a chart opens as fast as from the
embedded store: bars are read from the cache once it holds the series' current ArcticDB
version; instruments, sources, drawings, alerts and every write go to the team store.

Read-through, refreshed by version: the first read of a series, and the first after the
team store's version of it changed (another terminal wrote), brings the cache up to date
from its last bar on; a series whose bar count then differs from the team's (history changed
in the middle, or removed) is fetched again whole. The versions a cache holds are kept in
the cache file itself, written after the bars they describe: a cache file deleted (or
replaced) takes its versions with it, and is filled again (a file of versions beside it
said a new, empty cache held every series, and it stayed empty). A version is asked of the
team store at most every VERSION_FRESH_S a series: a chart paging back through history
asks the cache alone.

A reader that listens (`listen`: the terminal's charts) is answered from the cache at once
and asked again after: the version is asked behind the read, and if the team store had
newer bars the listener is told (symbol, timeframe, "") once the cache holds them, or told
why the team store could not be asked (symbol, timeframe, reason). A chart then opens as
fast as from the embedded store however far the team store is. A reader that does not
listen (an export, a sync, a script) is answered after the version was asked: what it gets
is the team store's current bars.

Writes go through to the cache's copy as well. A correction another terminal made in the
middle of the history (a bar replaced, the count kept) is seen through the spans the team
store notes as rewritten (`ArcticStore.changes_since`): they are copied again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from data.store.arctic_store import ArcticStore
from data.store.bar_store import BarStore
from data.store.files import StoreError
from data.store.provenance import DERIVED
from data.store.sync import copy_span

VERSION_FRESH_S = 1.0
VERSIONS_KEY = "team_versions"  # in the cache's meta table: {"SYMBOL|TF": version}
log = logging.getLogger(__name__)
Listener = Callable[[str, str, str], None]


class CachedTeamStore:
    """`team` (an ArcticStore) read through `cache_path` (a DuckDB file of its own)."""

    def __init__(self, team: ArcticStore, cache_path: Path) -> None:
        self.team = team
        self.cache = BarStore(cache_path)
        self.path = team.path
        self.read_only = team.read_only
        self.damaged = ""
        self._lock = threading.RLock()
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._checked: dict[tuple[str, str], float] = {}  # series -> when its version was asked
        try:
            self._versions = json.loads(self.cache.meta(VERSIONS_KEY) or "{}")
        except ValueError:  # unreadable: every series is refreshed
            self._versions = {}
        self.refreshes = 0  # series brought up to date from the team store
        self._asker = ThreadPoolExecutor(1, thread_name_prefix="candleterm-team-version")
        self._asker.submit(lambda: None)  # its thread started now, not behind the first read
        self._filler = ThreadPoolExecutor(1, thread_name_prefix="candleterm-team-fill")
        self._listener: Listener | None = None
        self._closed = False

    @property
    def queries(self) -> int:
        return self.team.queries + self.cache.queries

    def __getattr__(self, name: str):
        """Everything but reading bars is the team store's."""
        return getattr(self.team, name)

    def listen(self, listener: Listener | None) -> None:
        """Reads answered from the cache at once, `listener(symbol, timeframe, problem)`
        called (on another thread) when a series read turned out older than the team
        store's and the cache now holds the new bars (problem ""), or when the team store
        could not be asked (problem says why). None: reads wait for the version again."""
        self._listener = listener

    def close(self) -> None:
        self._closed = True
        self._filler.shutdown(cancel_futures=True)
        self._asker.shutdown()
        self.team.close()
        self.cache.close()

    def __enter__(self) -> CachedTeamStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the cache ---------------------------------------------------------------------------

    def _series_lock(self, symbol: str, timeframe: str) -> threading.Lock:
        """One lock a series: a long fetch of one never holds up reading another."""
        with self._lock:
            return self._locks.setdefault((symbol, timeframe), threading.Lock())

    def _checked_lately(self, symbol: str, timeframe: str) -> bool:
        return time.monotonic() - self._checked.get((symbol, timeframe), -1e9) < VERSION_FRESH_S

    def _fresh(self, symbol: str, timeframe: str, behind: bool = False) -> bool:
        """Bring the cache's copy of a series to the team store's current version (asked
        now; `behind` a reader that goes on meanwhile: asked letting its thread run);
        whether it changed."""
        with self._series_lock(symbol, timeframe):
            if self._checked_lately(symbol, timeframe):
                return False
            version = self.team.series_version(symbol, timeframe, let_threads_run=behind)
            self._checked[(symbol, timeframe)] = time.monotonic()
            name = f"{symbol}|{timeframe}"
            if version is None:  # gone from the team store (or never there)
                if self.cache.time_range(symbol, timeframe) is None:
                    return False
                self.cache.delete_bars(symbol, timeframe)
                return True
            if version == self._versions.get(name):
                return False
            self._refresh(symbol, timeframe)
            with self._lock:  # written from the fetching thread too
                self._versions[name] = version
                self.cache.set_meta(VERSIONS_KEY, json.dumps(self._versions))
            return True

    def _refresh(self, symbol: str, timeframe: str) -> None:
        """The cache's copy brought to the team store's: the spans rewritten since the
        version it holds copied over it, then the bars after its last."""
        self.refreshes += 1
        self.team.refresh()
        if symbol not in {i.symbol for i in self.cache.instruments()}:
            self.cache.add_instrument(self.team.instrument(symbol))
        first, last = self.team.time_range(symbol, timeframe) or (0, -1)
        held = self.cache.time_range(symbol, timeframe)
        since = self._versions.get(f"{symbol}|{timeframe}")
        rewritten = [] if held is None or since is None else self.team.changes_since(
            symbol, timeframe, since)  # fmt: skip
        if rewritten is None:  # rewritten further back than noted: fetched whole
            self.cache.delete_bars(symbol, timeframe)
            held, rewritten = None, []
        for start, stop in rewritten:
            copy_span(self.team, self.cache, symbol, timeframe, start, stop, DERIVED,
                      replace=True)  # fmt: skip
        copy_span(self.team, self.cache, symbol, timeframe,
                  first if held is None else max(first, held[1]), last, DERIVED)  # fmt: skip
        if self.cache.count(symbol, timeframe) != self.team.count(symbol, timeframe):
            self.cache.delete_bars(symbol, timeframe)  # changed in the middle: fetch whole
            copy_span(self.team, self.cache, symbol, timeframe, first, last, DERIVED)

    # -- reading bars (from the cache) -------------------------------------------------------

    def _read(self, symbol: str, timeframe: str, read, from_team):
        """`read()` of the cache: for a listener at once, the series' version asked behind
        it; otherwise after the cache was brought up to the team store's version. A series
        the cache never held is read from the team store (`from_team()`), and the cache
        fetches it behind (a chart's first page must not wait for years of bars)."""
        if self._closed:
            raise StoreError(f"the team store {self.path} is closed")
        if f"{symbol}|{timeframe}" not in self._versions:
            found = from_team()
            self._filler.submit(self._fresh, symbol, timeframe)
            return found
        if self._listener is None:
            self._fresh(symbol, timeframe)
            return read()
        found = read()
        if not self._checked_lately(symbol, timeframe):
            self._asker.submit(self._revalidate, symbol, timeframe, self._listener)
        return found

    def _revalidate(self, symbol: str, timeframe: str, listener: Listener) -> None:
        """Behind a read answered from the cache: the team store's version asked, the
        cache brought up to it, the listener told if that changed the series."""
        try:
            changed, problem = self._fresh(symbol, timeframe, behind=True), ""
        except StoreError as exc:
            log.warning("%s", exc)
            changed, problem = True, f"{exc}; {symbol} {timeframe} shown from the local cache"
        if changed and not self._closed:
            listener(symbol, timeframe, problem)

    def load(self, symbol, timeframe, start_ns=None, end_ns=None, limit=None):
        window = (start_ns, end_ns, limit)
        return self._read(symbol, timeframe, lambda: self.cache.load(symbol, timeframe, *window),
                          lambda: self.team.load(symbol, timeframe, *window))  # fmt: skip

    def load_series(self, symbol, timeframe, **window):
        return self._read(symbol, timeframe,
                          lambda: self.cache.load_series(symbol, timeframe, **window),
                          lambda: self.team.load_series(symbol, timeframe, **window))  # fmt: skip

    def wait_filled(self) -> None:
        """Until the fetches under way are done (tests, benchmarks)."""
        self._filler.submit(lambda: None).result()

    def wait_asked(self) -> None:
        """Until the versions asked behind reads are answered (tests, benchmarks)."""
        self._asker.submit(lambda: None).result()

    def load_before(self, symbol, timeframe, ts_ns, n):
        return self.load(symbol, timeframe, end_ns=ts_ns, limit=n)

    def count(self, symbol, timeframe, start_ns=None, end_ns=None):
        self._fresh(symbol, timeframe)
        return self.cache.count(symbol, timeframe, start_ns, end_ns)

    def bars_so_far(self, ranges, timeframe="1m"):
        for symbol in {r[0] for r in ranges}:
            self._fresh(symbol, timeframe)
        return self.cache.bars_so_far(ranges, timeframe)

    def closes(self, ranges, timeframe="1m"):
        for symbol in {r[0] for r in ranges}:
            self._fresh(symbol, timeframe)
        return self.cache.closes(ranges, timeframe)

    # -- writing (to the team store) ---------------------------------------------------------

    def write_bars(self, symbol, timeframe, bars, **kwargs) -> int:
        """To the team store, and through to the cache's copy (so this terminal's own
        corrections are never missed); the version is asked again at the next read."""
        written = self.team.write_bars(symbol, timeframe, bars, **kwargs)
        if len(bars) and self.cache.time_range(symbol, timeframe) is not None:
            self.cache.write_bars(symbol, timeframe, bars, source=DERIVED,
                                  replace_span=kwargs.get("replace_span"))  # fmt: skip
        self._checked.pop((symbol, timeframe), None)
        return written

    def delete_bars(self, symbol, timeframe=None) -> None:
        self.team.delete_bars(symbol, timeframe)
        self.cache.delete_bars(symbol, timeframe)
        self._checked.clear()
