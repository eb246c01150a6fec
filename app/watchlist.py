"""The watchlist dock: every symbol of the store and of the running feed, quoted from the
open-price layer a few times a second; a click or Enter opens a symbol in the chart."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtWidgets

from app.quotes import Quotes
from widgets.axes import step_decimals
from widgets.theme import Theme
from widgets.watchlist import WatchlistModel, WatchlistView

REFRESH_MS = 250


class WatchlistPanel(QtCore.QObject):
    """Signals: symbol_opened(str)."""

    symbol_opened = QtCore.Signal(str)

    def __init__(self, quotes: Quotes, symbols_of: Callable[[], list[str]],
                 parent: QtCore.QObject) -> None:  # fmt: skip
        super().__init__(parent)
        self.quotes = quotes
        self._symbols_of = symbols_of
        self.model = WatchlistModel(quotes.path, self)
        self.view = WatchlistView(self.model)
        self.view.symbol_opened.connect(self.symbol_opened)
        self.dock = QtWidgets.QDockWidget("Watchlist")
        self.dock.setObjectName("watchlist-dock")  # its place is kept with the window's state
        self.dock.setWidget(self.view)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
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

    def refresh(self) -> None:
        symbols = self._symbols_of()
        if symbols != self.model.symbols:
            ticks = {i.symbol: i.tick_size for i in self.quotes.store.instruments()}
            self.model.set_symbols(symbols, [step_decimals(ticks.get(s, 0.01)) for s in symbols])
            self.view.select_symbol(self.shown)
        self.view.update_values(self.quotes.values(symbols))

    def show_symbol(self, symbol: str) -> None:
        """`symbol` is on the chart: its row is the current one."""
        self.shown = symbol
        self.view.select_symbol(symbol)

    def set_theme(self, theme: Theme) -> None:
        self.model.theme = theme
        self.view.set_theme(theme)
