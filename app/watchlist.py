"""The watchlist dock: every symbol of the store and of the running feed, quoted from the
open-price layer a few times a second; a click or Enter opens a symbol in the chart."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6 import QtCore, QtWidgets

from app.quotes import Quotes
from engine.price_text import tick_decimals
from widgets.theme import Theme
from widgets.watchlist import LIVE, NO_FEED, STOPPED, WatchlistModel, WatchlistView

REFRESH_MS = 250
READ_MS = 30  # day paths are read READ_AT_ONCE symbols at a time (about 5 ms), between frames
READ_AT_ONCE = 16


class WatchlistPanel(QtCore.QObject):
    """`feeds_of()` gives {symbol: (ticks coming, feed state in words)} of the symbols with
    a session; ticks coming is None when no feed runs for the symbol.

    Signals: symbol_opened(str); feed_stopped(str symbol, str state): a live symbol's feed
    stopped or lost its connection (the others keep running)."""

    symbol_opened = QtCore.Signal(str)
    feed_stopped = QtCore.Signal(str, str)

    def __init__(self, quotes: Quotes, symbols_of: Callable[[], list[str]],
                 feeds_of: Callable[[], dict], parent: QtCore.QObject) -> None:  # fmt: skip
        super().__init__(parent)
        self.quotes = quotes
        self._symbols_of = symbols_of
        self._feeds_of = feeds_of
        self._was_live: set[str] = set()
        self.model = WatchlistModel(quotes.drawn_path, self)
        self.view = WatchlistView(self.model)
        self.view.symbol_opened.connect(self.symbol_opened)
        self.dock = QtWidgets.QDockWidget("Watchlist")
        self.dock.setObjectName("watchlist-dock")  # its place is kept with the window's state
        self.dock.setWidget(self.view)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._read_timer = QtCore.QTimer(self)
        self._read_timer.setInterval(READ_MS)
        self._read_timer.timeout.connect(self._read_paths)
        self._stopped = False
        self.shown = ""  # the symbol on the chart: the current row

    def start(self) -> None:
        """Quote now, then every REFRESH_MS (not once stopped: the store may be closed)."""
        if self._stopped:
            return
        self.refresh()
        self._timer.start()

    def stop(self) -> None:
        self._stopped = True
        self._timer.stop()
        self._read_timer.stop()

    def refresh(self) -> None:
        symbols = self._symbols_of()
        if symbols != self.model.symbols:
            ticks = {i.symbol: i.tick_size for i in self.quotes.store.instruments()}
            self.model.set_symbols(symbols, [tick_decimals(ticks.get(s, 0.01)) for s in symbols])
            self.view.select_symbol(self.shown)
        self.view.update_values(self.quotes.values(symbols))
        self._show_feeds(symbols)
        if not self._read_timer.isActive():
            self._read_timer.start()

    def _show_feeds(self, symbols: list[str]) -> None:
        feeds = self._feeds_of()
        states = {None: NO_FEED, True: LIVE, False: STOPPED}  # no feed here, ticks, failing
        live = np.array([states[feeds[s][0]] if s in feeds else NO_FEED for s in symbols],
                        np.int8)  # fmt: skip
        self.model.set_feeds(live, [feeds[s][1] if s in feeds else "" for s in symbols])
        now_live = {s for s, (ok, _) in feeds.items() if ok}
        for symbol in sorted(self._was_live - now_live):
            if symbol in feeds and feeds[symbol][0] is False:  # failing, not let go or off
                self.feed_stopped.emit(symbol, feeds[symbol][1])
        self._was_live = now_live

    def _read_paths(self) -> None:
        """The sparklines on screen not read yet, then every other symbol's: in small steps
        between frames; done when every symbol's is known."""
        read = self.quotes.read_paths(self.model.symbols, READ_AT_ONCE)
        if read:
            self.model.paths_read(read)
        elif not self.quotes.paths_wanted:
            self._read_timer.stop()

    def show_symbol(self, symbol: str) -> None:
        """`symbol` is on the chart: its row is the current one."""
        self.shown = symbol
        self.view.select_symbol(symbol)

    def set_theme(self, theme: Theme) -> None:
        self.model.theme = theme
        self.view.set_theme(theme)
