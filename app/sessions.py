"""The live sessions of one feed, by symbol: the shown symbol's, and those the feed keeps
running while another symbol is on screen (every demo symbol the simulated market trades, an
exchange's markets and a socket's symbols once shown), so their bars are built and stored
whatever is on screen."""

from __future__ import annotations

import sys

from PySide6 import QtCore

from app.live import LiveSession
from data.feeds.kinds import FEED_SPECS
from data.feeds.port import FeedRefused, FeedSettings
from data.store import BarStore

KEPT_RUNNING = ("simulated", "exchange", "socket")  # a replay is a view's: it ends with it
START_EVERY_MS = 50


class FeedSessions:
    def __init__(self, store: BarStore, settings: FeedSettings, parent: QtCore.QObject,
                 tick_listener=None, history_listener=None) -> None:  # fmt: skip
        """`tick_listener(symbol, ts_ns, price, qty)` hears every session's ticks, a frame's
        at a time, and `history_listener(symbol, first_ns, end_ns)` of the bars its feed
        fetched once they are stored (the watchlist's quotes)."""
        self.store, self.settings, self._parent = store, settings, parent
        self.tick_listener = tick_listener
        self.history_listener = history_listener
        self.running: dict[str, LiveSession] = {}  # not shown, kept running
        self.shown: set[str] = set()  # the symbols whose sessions are on screen
        self.paused = False  # the feed is paused: every session, those made later too
        self._closed = False

    @property
    def keeps(self) -> bool:
        return self.settings.key in KEPT_RUNNING

    def open(self, symbol: str) -> tuple[LiveSession, str, str]:
        """(`symbol`'s session, "", ""): the one running in the background, or a new one.
        When the feed does not run on it: (a session without a feed, the problem in short,
        and in full)."""
        session = self.running.pop(symbol, None)
        try:
            session = session or self._session(symbol)
        except (OSError, ValueError) as exc:
            kind = self.settings.key
            if isinstance(exc, FeedRefused):
                problem = f"{kind} feed off on {symbol}"
            else:
                problem = f"{kind} feed not started"
                print(f"candleterm: {kind} feed not started: {exc}", file=sys.stderr)
            off = LiveSession(self.store, symbol, FeedSettings("off"), self._parent)
            return off, problem, f"{problem}: {exc}"
        self.shown.add(symbol)
        session.set_shown(True)
        return session, "", ""

    def _session(self, symbol: str) -> LiveSession:
        session = LiveSession(self.store, symbol, self.settings, self._parent)
        session.tick_listener = self.tick_listener
        session.history_listener = self.history_listener
        if self.paused:
            session.pause()
        return session

    def park(self, session: LiveSession) -> None:
        """`session` is no longer shown: it keeps running if the feed keeps its symbols,
        with no model to update; otherwise it closes."""
        for model in list(session.models.values()):
            session.detach(model)
        self.shown.discard(session.symbol)
        kept = self.keeps and session.started and session.settings == self.settings
        if kept and session.symbol not in self.running:
            session.set_shown(False)
            self.running[session.symbol] = session
        else:
            _close(session)

    def start_others(self) -> None:
        """The feed keeps its symbols live (every demo symbol the simulated market trades,
        the series an exchange or the socket fed before): a session for each one not on
        screen, one every START_EVERY_MS (the window stays responsive)."""
        if self._closed or not self.keeps:
            return
        symbols = FEED_SPECS[self.settings.key].keeps(self.store, self.settings)
        waiting = [s for s in symbols if s not in self.shown | set(self.running)]
        for k, symbol in enumerate(waiting):
            QtCore.QTimer.singleShot(START_EVERY_MS * (k + 1), self._parent,
                                     lambda symbol=symbol: self._start(symbol))  # fmt: skip

    def _start(self, symbol: str) -> None:
        if self._closed or symbol in self.running or symbol in self.shown:
            return  # one session a symbol
        try:  # a symbol the feed refuses (real bars) raises FeedRefused, a ValueError
            session = self._session(symbol)
        except (OSError, ValueError, KeyError):
            return  # this one stays off; the others run
        session.set_shown(False)
        session.start()
        self.running[symbol] = session

    def drop(self, symbol: str) -> None:
        """`symbol` was deleted: its session (if kept running) ends, storing nothing more;
        the feed does not start it again."""
        session = self.running.pop(symbol, None)
        if session is not None:
            _close(session, store=False)

    def close(self) -> None:
        self._closed = True
        for session in self.running.values():
            _close(session)
        self.running = {}


def _close(session: LiveSession, store: bool = True) -> None:
    session.close(store)
    session.deleteLater()
