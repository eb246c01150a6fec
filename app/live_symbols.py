"""The symbols on screen and their live sessions: the active symbol's, those the other cells
of a grid of symbols show, and the feed's sessions they come from (the rest kept running off
screen); the series of the symbols let go are freed once no view shows them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6 import QtCore

from app.cells import CellSymbols, Held
from app.live import LiveSession, LiveStats
from app.sessions import FeedSessions
from app.symbol_models import SymbolModels
from data.feeds.port import FeedSettings
from data.store import BarStore
from widgets.series_model import SeriesModel


class LiveSymbols:
    def __init__(self, store: BarStore, parent: QtCore.QObject, tick_listener: Callable,
                 on_stats: Callable[[LiveStats], None],
                 history_listener: Callable | None = None) -> None:  # fmt: skip
        """`tick_listener(symbol, ts_ns, price, qty)` hears every session's ticks;
        `on_stats` the active session's stats, once a second; `history_listener(symbol,
        first_ns, end_ns)` of bars a feed fetched, once stored."""
        self.store, self._parent = store, parent
        self._tick_listener, self._on_stats = tick_listener, on_stats
        self._history_listener = history_listener
        self.sessions: FeedSessions | None = None
        self.cells = CellSymbols(store)
        self.active: Held | None = None
        self._stale: list[SeriesModel] = []  # let go, until no view shows them

    @property
    def running(self) -> int:
        """Symbols the feed keeps live off screen."""
        return len(self.sessions.running) if self.sessions is not None else 0

    def use_feed(self, settings: FeedSettings) -> None:
        """Sessions from the feed `settings` name: another feed's end (with the cells'). A
        replay's speed is not another feed: its sessions play on at it."""
        if (
            self.sessions is not None
            and self.sessions.settings != settings
            and (dataclasses.replace(self.sessions.settings, speed=settings.speed) == settings)
        ):
            self.set_speed(settings.speed)
        if self.sessions is not None and self.sessions.settings != settings:
            self._stale.extend(self.cells.close(self.sessions))
            self.sessions.close()
            self.sessions = None
        if self.sessions is None:
            self.sessions = FeedSessions(self.store, settings, self._parent,
                                         self._tick_listener, self._history_listener)  # fmt: skip

    def show(self, symbol: str) -> Held:
        """`symbol` is the active symbol: its session held by a cell, or opened (a feed that
        does not run on it gives a session without one, and says why)."""
        held = self.cells.take(symbol)
        if held is None:
            session, problem, reason = self.sessions.open(symbol)
            held = Held(session, SymbolModels(self.store, symbol, session), problem, reason)
        self._hold(held)
        return held

    def let_go(self, still_shown: set[str]) -> None:
        """The active symbol is no longer active: held by a cell if one of `still_shown`,
        else on in the background if the feed keeps it, or closed."""
        held, self.active = self.active, None
        if held is None:
            return
        held.session.stats_changed.disconnect(self._on_stats)
        symbol = held.session.symbol
        if symbol in still_shown:
            self.cells.put(symbol, held)
            return
        if self.sessions is not None and held.session.feed is not None:
            self.sessions.park(held.session)
        else:
            held.session.close()
            held.session.deleteLater()
        self._stale.extend(held.series.models.values())

    def activate(self, symbol: str) -> Held:
        """A cell's symbol becomes the active one; the active one goes to its cell."""
        old = self.active
        old.session.stats_changed.disconnect(self._on_stats)
        self.cells.put(old.session.symbol, old)
        self._hold(self.cells.take(symbol))
        return self.active

    def _hold(self, held: Held) -> None:
        self.active = held
        held.session.stats_changed.connect(self._on_stats)

    # -- the feed's controls: every symbol's session at once ------------------------------------

    def set_paused(self, paused: bool) -> None:
        """Pause (or resume) the feed: the sessions of every symbol, on screen or not, and
        those it starts later. Pausing the active symbol's alone let a grid's other cells
        and the symbols off screen tick on under "Resume"."""
        if self.sessions is None:
            return
        self.sessions.paused = paused
        for session in self.all_sessions():
            if paused:
                session.pause()
            else:
                session.resume()

    def set_speed(self, speed: float) -> None:
        """A replay's pace, for every symbol it plays (and those it starts later)."""
        if self.sessions is None:
            return
        self.sessions.settings = dataclasses.replace(self.sessions.settings, speed=speed)
        for session in self.all_sessions():
            session.settings = dataclasses.replace(session.settings, speed=speed)
            session.set_speed(speed)

    def step(self) -> None:
        """A replay's next bar, for every symbol it plays."""
        for session in self.all_sessions():
            session.step()

    def cell_series(self, symbol: str) -> SymbolModels:
        return self.cells.series(self.sessions, symbol)

    def keep_cells(self, symbols: set[str]) -> None:
        """The cells show `symbols` (besides the active one): the others are let go."""
        self._stale.extend(self.cells.keep(symbols, self.sessions))

    def series_of(self, symbol: str) -> SymbolModels | None:
        if self.active is not None and self.active.session.symbol == symbol:
            return self.active.series
        held = self.cells.held.get(symbol)
        return held.series if held is not None else None

    def all_sessions(self) -> list[LiveSession]:
        """Every session: in the grid's cells, the active one, kept running off screen."""
        sessions = [*(h.session for h in self.cells.held.values())]
        if self.active is not None:
            sessions.append(self.active.session)
        if self.sessions is not None:
            sessions.extend(self.sessions.running.values())
        return sessions

    def forming(self, symbols: list[str], timeframe: str) -> list[tuple | None]:
        """The forming `timeframe` bar (ts_ns, open, high, low, close, volume) of each
        symbol with a live session, as the session built it (its stored history, the bars
        its feed fetched, its ticks); None for the others."""
        builders = {s.symbol: s.builder for s in self.all_sessions() if s.builder is not None}
        return [None if symbol not in builders else builders[symbol].forming(timeframe)
                for symbol in symbols]  # fmt: skip

    def feed_states(self) -> dict[str, tuple[bool | None, str]]:
        """{symbol: (its ticks are coming, its feed's state in words)} of every symbol with
        a session: on screen, in the grid, kept running. Ticks coming is None when no feed
        runs for the symbol (the feed is off, or cannot run on it): nothing failed."""
        sessions = self.all_sessions()
        problems = {h.session.symbol: h.reason for h in self.cells.held.values()}
        if self.active is not None:
            problems[self.active.session.symbol] = self.active.reason
        states = {}
        for session in sessions:
            feed = session.feed
            if feed is None:
                states[session.symbol] = (None, problems.get(session.symbol) or "feed off")
            else:
                states[session.symbol] = (bool(feed.ok) and session.started, feed.state())
        return states

    def drop(self, symbol: str) -> None:
        """`symbol` was deleted: wherever its session is (active, in a cell, off screen), it
        ends storing nothing more (its queued bars would bring the series back)."""
        self._stale.extend(self.cells.drop(symbol))
        if self.sessions is not None:
            self.sessions.drop(symbol)
        held = self.active
        if held is not None and held.session.symbol == symbol:
            held.session.stats_changed.disconnect(self._on_stats)
            self.active = None
            held.session.close(store=False)
            held.session.deleteLater()
            self._stale.extend(held.series.models.values())

    def release_stale(self) -> None:
        """Free the columns of the series let go, now that no view shows them (the closed
        views hold them in reference cycles, and the app freezes the collector's
        generations after start-up)."""
        for model in self._stale:
            model.release()
        self._stale = []

    def close(self) -> None:
        self.let_go(set())
        self._stale.extend(self.cells.close(self.sessions))
        if self.sessions is not None:
            self.sessions.close()
        self.release_stale()
