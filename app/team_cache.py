"""The local cache's word, from its thread, carried to the window's: a series the charts were
shown from the cache was older than the team store's (the cache holds the new bars now: the
symbol's charts load them again), or the team store could not be asked (said in the status
bar; the charts keep the cached bars)."""

from __future__ import annotations

from PySide6 import QtCore

from data.store.cached_store import CachedTeamStore


class TeamCacheUpdates(QtCore.QObject):
    """Listens to `store` for `controller`; `close` stops listening."""

    said = QtCore.Signal(str, str, str)  # symbol, timeframe, problem ("" when updated)

    def __init__(self, store: CachedTeamStore, controller, window) -> None:
        super().__init__(controller)
        self._store = store
        self._controller = controller
        self._window = window
        self.said.connect(self._on_said)
        store.listen(self.said.emit)

    def _on_said(self, symbol: str, timeframe: str, problem: str) -> None:
        if problem:
            self._window.show_status(problem)
            return
        self._controller.on_store_changed("team", symbol)
        self._window.show_status(f"{symbol} {timeframe}: newer bars from the team store shown")

    def close(self) -> None:
        self._store.listen(None)


def listen_to_cache(store, controller, window) -> TeamCacheUpdates | None:
    """A team store read through a local cache: its charts open from the cache and are
    updated behind (None for a team store without a cache)."""
    if not isinstance(store, CachedTeamStore):
        return None
    return TeamCacheUpdates(store, controller, window)
