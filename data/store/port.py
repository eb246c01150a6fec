"""The bar store as the rest of candleterm sees it: the `Store` protocol (what the app,
importer, feeds and live writer call), met by the embedded DuckDB store (`BarStore`, the
default) and the team store on ArcticDB (`ArcticStore`), and `open_store`, which picks the
backend from the address. Every failure of either is a `StoreError`; one contract test suite
(tests/test_store_contract.py) runs against every backend."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from data.store.addresses import cache_of, is_team_url, shown
from data.store.bar_store import BarStore
from data.store.files import StoreError, StoreHeld
from data.store.instruments import Instrument
from data.store.provenance import Source, Stretch
from engine.alert_specs import AlertSpec
from engine.bars import Bars, PartialBar
from engine.drawings import Drawing
from engine.series_buffer import SeriesBuffer


class Store(Protocol):
    path: object  # where it is, for messages
    read_only: bool
    queries: int  # bar reads that reached the backend
    damaged: str

    def close(self) -> None: ...
    def add_instrument(self, instrument: Instrument) -> None: ...
    def instrument(self, symbol: str) -> Instrument: ...
    def instruments(self) -> list[Instrument]: ...
    def symbols(self) -> list[str]: ...
    def timeframes(self, symbol: str) -> list[str]: ...
    def write_bars(self, symbol: str, timeframe: str, bars: Bars, *,
                   instrument: Instrument | None = None,
                   source: Source = ...,
                   replace_span: tuple[int, int] | None = None) -> int: ...  # fmt: skip
    def delete_bars(self, symbol: str, timeframe: str | None = None) -> None: ...
    def load(self, symbol: str, timeframe: str, start_ns: int | None = None,
             end_ns: int | None = None, limit: int | None = None) -> Bars: ...  # fmt: skip
    def load_series(self, symbol: str, timeframe: str, **window) -> SeriesBuffer: ...
    def load_before(self, symbol: str, timeframe: str, ts_ns: int, n: int) -> Bars: ...
    def count(self, symbol: str, timeframe: str, start_ns: int | None = None,
              end_ns: int | None = None) -> int: ...  # fmt: skip
    def time_range(self, symbol: str, timeframe: str = "1m") -> tuple[int, int] | None: ...
    def bars_so_far(self, ranges, timeframe: str = "1m") -> list[PartialBar | None]: ...
    def closes(self, ranges, timeframe: str = "1m") -> dict: ...
    def sources(self, symbol: str, timeframe: str = "1m") -> list[Stretch]: ...
    def is_synthetic(self, symbol: str) -> bool | None: ...
    def drawings(self, symbol: str) -> list[Drawing]: ...
    def set_drawings(self, symbol: str, drawings: list[Drawing]) -> None: ...
    def alerts(self, symbol: str) -> list[AlertSpec]: ...
    def alert_symbols(self) -> list[str]: ...
    def set_alerts(self, symbol: str, alerts: list[AlertSpec]) -> None: ...
    def alert_log(self) -> list[dict]: ...
    def log_alerts(self, symbol: str, fired: list[dict]) -> None: ...
    def verify(self) -> list[tuple[str, str, str]]: ...
    def series_version(self, symbol: str, timeframe: str) -> int | None: ...
    def changes_since(self, symbol: str, timeframe: str,
                      version: int) -> list[tuple[int, int]] | None: ...  # fmt: skip
    def meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...


def open_store(where: str | os.PathLike[str], *, read_only: bool = False) -> Store:
    """The store at `where`: a DuckDB file path (the embedded store), or a team store's
    address, `s3://HOST:BUCKET?port=..&access=..&secret=..` or `lmdb://PATH`, with
    `&cache=PATH` (`?cache=PATH`) to read its bars through a local cache file. A file a
    running terminal holds is read, read-only, through that terminal."""
    if isinstance(where, str) and not is_team_url(where):
        where = Path(where).expanduser()
    if is_team_url(str(where)):
        url, cache = cache_of(str(where))
        try:
            from data.store.arctic_store import ArcticStore  # ArcticDB and pandas: loaded here
        except ImportError as exc:  # an extra: candleterm[team]
            raise StoreError(
                f"the team store {shown(url)} needs ArcticDB ({exc.name} is not installed): "
                "pip install 'candleterm[team]' (make run installs it)"
            ) from None
        team = ArcticStore(url, read_only=read_only)
        if cache is None:
            return team
        from data.store.cached_store import CachedTeamStore

        return CachedTeamStore(team, Path(cache).expanduser())
    try:
        return BarStore(Path(where), read_only=read_only)
    except StoreHeld:
        if not read_only:
            raise
        from data.store.relay import RelayedStore  # the terminal on it answers the reads

        return RelayedStore(Path(where))
