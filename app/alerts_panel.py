"""Price alerts in the window: set on the active symbol (Alerts > Add price alert), evaluated
on every tick of every live session (engine/alerts.py), listed with their history in a dock,
said in the status bar and, where the platform has one, in a desktop notification."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from engine.sessions import SessionCalendar

if TYPE_CHECKING:  # compiled code: loaded with the first alert, not before the first paint
    from engine.alerts import Fired, PriceAlerts

HISTORY = 500  # fired alerts kept in the list


class AlertsPanel(QtCore.QObject):
    """Signals: fired(str): a line saying what fired."""

    fired = QtCore.Signal(str)

    def __init__(self, calendar_of: Callable[[str], SessionCalendar],
                 parent: QtCore.QObject) -> None:  # fmt: skip
        super().__init__(parent)
        self._calendar_of = calendar_of
        self.books: dict[str, PriceAlerts] = {}  # by symbol
        self._what: dict[tuple[str, int], str] = {}  # (symbol, alert id): what, in words
        self.armed = QtWidgets.QListWidget()
        self.history = QtWidgets.QListWidget()
        box = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(box)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(QtWidgets.QLabel("Armed"))
        layout.addWidget(self.armed)
        layout.addWidget(QtWidgets.QLabel("Fired"))
        layout.addWidget(self.history)
        self.dock = QtWidgets.QDockWidget("Alerts")
        self.dock.setObjectName("alerts-dock")
        self.dock.setWidget(box)
        self._tray: QtWidgets.QSystemTrayIcon | None = None

    def set_theme(self, theme) -> None:
        """The chart's background and text colours on both lists."""
        for view in (self.armed, self.history):
            palette = view.palette()
            palette.setColor(QtGui.QPalette.ColorRole.Base, QtGui.QColor(theme.background))
            palette.setColor(QtGui.QPalette.ColorRole.Text, QtGui.QColor(theme.foreground))
            view.setPalette(palette)

    def add_asked(self, window, symbol: str, last: float, price: float | None,
                  once: bool, decimals: int = 2) -> int | None:  # fmt: skip
        """An alert on `symbol` at `price`, or at a price asked for (from `last`); the
        status bar says why not if it cannot be set. Its id, or None."""
        if price is None:
            price, ok = QtWidgets.QInputDialog.getDouble(
                window, "Price alert", f"Alert when {symbol} crosses:", last, 0.0, 1e12, decimals
            )
            if not ok:
                return None
        try:
            alert_id = self.add_level(symbol, price, once)
        except ValueError as exc:
            window.show_status(str(exc), 8000)
            return None
        self.dock.show()
        return alert_id

    def add_level(self, symbol: str, price: float, once: bool = True) -> int:
        from engine.alerts import PriceAlerts

        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = PriceAlerts(self._calendar_of(symbol))
        alert_id = book.add_level(price, once)
        what = f"{symbol} crosses {price:g}" + ("" if once else " (every time)")
        self._what[(symbol, alert_id)] = what
        self._list_armed()
        return alert_id

    def on_ticks(self, symbol: str, ts_ns: np.ndarray, price: np.ndarray, _qty=None) -> None:
        """A frame's ticks of a live symbol (from every session)."""
        book = self.books.get(symbol)
        if book is None or len(book) == 0:
            return
        fired = book.on_ticks(ts_ns, price)
        for one in fired:
            self._say(symbol, one)
        if fired:  # a once-alert that fired is no longer armed
            self._list_armed()

    def _say(self, symbol: str, fired: Fired) -> None:
        what = self._what.get((symbol, fired.alert_id), "an alert")
        when = time.strftime("%H:%M:%S", time.gmtime(fired.ts_ns / 1e9))
        line = f"{when} UTC  {what}: {fired.price:g}"
        self.history.insertItem(0, line)
        while self.history.count() > HISTORY:
            self.history.takeItem(self.history.count() - 1)
        self.fired.emit(line)
        if self._tray is None and QtWidgets.QSystemTrayIcon.isSystemTrayAvailable():
            self._tray = QtWidgets.QSystemTrayIcon(self)
            self._tray.show()
        if self._tray is not None:
            self._tray.showMessage("candleterm alert", line)

    def _list_armed(self) -> None:
        lines = sorted(self._what[(symbol, alert_id)] for symbol, book in self.books.items()
                       for alert_id in book.armed_ids())  # fmt: skip
        if [self.armed.item(k).text() for k in range(self.armed.count())] != lines:
            self.armed.clear()
            self.armed.addItems(lines)
