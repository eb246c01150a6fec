"""Alerts in the window: set on the active symbol (the Alerts menu: a price, the selected
drawn line, an indicator condition), evaluated on every tick of every live session
(app/alerts.py), listed with their history in a dock, said in the status bar and, where the
platform has one, in a desktop notification. Delete (or the Remove button) takes the
selected armed alert off. What fired is logged in the store within a second (LOG_DELAY_MS)
and listed again at the next start."""

from __future__ import annotations

import time

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from app.alerts import Alerts, Fired
from data.store import StoreError
from engine.alert_specs import AlertSpec
from engine.price_text import format_value

HISTORY = 500  # fired alerts kept in the list
LOG_DELAY_MS = 1000  # what fired is in the store this long after, at most
KEY_ROLE = QtCore.Qt.ItemDataRole.UserRole


class AlertsPanel(QtCore.QObject):
    """Signals: fired(str): a line saying what fired; armed_changed(): alerts were set,
    removed or spent."""

    fired = QtCore.Signal(str)
    armed_changed = QtCore.Signal()

    def __init__(self, alerts: Alerts, parent: QtCore.QObject) -> None:
        super().__init__(parent)
        self.alerts = alerts
        self.armed = QtWidgets.QListWidget()
        self.armed.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        self.history = QtWidgets.QListWidget()
        for view in (self.armed, self.history):  # a long line wraps in the narrow dock
            view.setWordWrap(True)
            view.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        remove = QtWidgets.QPushButton("Remove")
        remove.setToolTip("Remove the selected armed alerts (Delete)")
        remove.clicked.connect(self.remove_selected)
        shortcut = QtGui.QShortcut(QtGui.QKeySequence.StandardKey.Delete, self.armed)
        shortcut.setContext(QtCore.Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(self.remove_selected)
        box = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(box)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(QtWidgets.QLabel("Armed"))
        layout.addWidget(self.armed)
        layout.addWidget(remove)
        layout.addWidget(QtWidgets.QLabel("Fired"))
        layout.addWidget(self.history)
        self.dock = QtWidgets.QDockWidget("Alerts")
        self.dock.setObjectName("alerts-dock")
        self.dock.setWidget(box)
        self._tray: QtWidgets.QSystemTrayIcon | None = None
        self._unlogged: dict[str, list[dict]] = {}  # fired, not yet in the store, by symbol
        self._say_failure = None  # `say` of `load`: a failed log write is said there
        self._log_timer = QtCore.QTimer(self)
        self._log_timer.setSingleShot(True)
        self._log_timer.setInterval(LOG_DELAY_MS)
        self._log_timer.timeout.connect(self.flush)

    def set_theme(self, theme) -> None:
        """The chart's background and text colours on both lists."""
        for view in (self.armed, self.history):
            palette = view.palette()
            palette.setColor(QtGui.QPalette.ColorRole.Base, QtGui.QColor(theme.background))
            palette.setColor(QtGui.QPalette.ColorRole.Text, QtGui.QColor(theme.foreground))
            view.setPalette(palette)

    def load(self, say) -> None:
        """Arm the alerts kept in the store and list those that fired before; `say` the
        problems."""
        self._say_failure = say
        problems = self.alerts.load()
        for problem in problems:
            say(problem, 15_000)
        for entry in self.alerts.logged()[-HISTORY:]:
            self.history.insertItem(0, _line(entry))
        if self.alerts.specs:
            self._list_armed()
            self.dock.show()

    def add_asked(self, window, symbol: str, last: float, price: float | None,
                  once: bool, decimals: int = 2) -> str | None:  # fmt: skip
        """An alert on `symbol` at `price`, or at a price asked for (from `last`); the
        status bar says why not if it cannot be set. Its id, or None."""
        if price is None:
            price, ok = QtWidgets.QInputDialog.getDouble(
                window, "Price alert", f"Alert when {symbol} crosses:", last, 0.0, 1e12, decimals
            )
            if not ok:
                return None
        return self.add(window, symbol, lambda: self.alerts.add_level(symbol, price, once))

    def add(self, window, symbol: str, make) -> str | None:
        """The alert `make()` sets on `symbol`, or the reason it cannot in the status bar."""
        try:
            spec: AlertSpec = make()
        except (ValueError, StoreError) as exc:
            window.show_status(str(exc), 8000)
            return None
        self._list_armed()
        self.dock.show()
        window.show_status(f"alert set: {self.alerts.describe(symbol, spec)}", 5000)
        return spec.id

    def remove_selected(self) -> None:
        for item in self.armed.selectedItems():
            symbol, alert_id = item.data(KEY_ROLE)
            self.alerts.remove(symbol, alert_id)
        self._list_armed()

    def follow_drawings(self, symbol: str, say) -> None:
        for gone in self.alerts.follow_drawings(symbol):
            say(gone, 10_000)
        self._list_armed()

    def on_ticks(self, symbol: str, ts_ns: np.ndarray, price: np.ndarray, qty=None) -> None:
        """A frame's ticks of a live symbol (from every session)."""
        fired = self.alerts.on_ticks(symbol, ts_ns, price, qty)
        for one in fired:
            self._say(one)
        if any(f.alert.once for f in fired):  # no longer armed
            self._list_armed()

    def _say(self, fired: Fired) -> None:
        value = ("" if fired.value is None
                 else f" ({fired.alert.output} {format_value(fired.value)})")  # fmt: skip
        what = self.alerts.describe(fired.symbol, fired.alert)
        price = format_value(fired.price, self.alerts.decimals(fired.symbol))
        entry = {"alert": fired.alert.id, "ts_ns": int(fired.ts_ns),
                 "text": f"{what}: {price}{value}"}  # fmt: skip
        self._unlogged.setdefault(fired.symbol, []).append(entry)
        if not self._log_timer.isActive():
            self._log_timer.start()
        line = _line(entry)
        self.history.insertItem(0, line)
        while self.history.count() > HISTORY:
            self.history.takeItem(self.history.count() - 1)
        self.fired.emit(line)
        if self._tray is None and QtWidgets.QSystemTrayIcon.isSystemTrayAvailable():
            self._tray = QtWidgets.QSystemTrayIcon(self)
            self._tray.show()
        if self._tray is not None:
            self._tray.showMessage("candleterm alert", line)

    def flush(self) -> None:
        """What fired, logged in the store (a failure is said, and not tried again)."""
        self._log_timer.stop()
        unlogged, self._unlogged = self._unlogged, {}
        for symbol, fired in unlogged.items():
            try:
                self.alerts.log(symbol, fired)
            except StoreError as exc:
                if self._say_failure is not None:
                    self._say_failure(f"the alerts that fired were not logged: {exc}", 15_000)

    def _list_armed(self) -> None:
        entries = sorted((self.alerts.describe(symbol, spec), symbol, spec.id)
                         for symbol, spec in self.alerts.armed())  # fmt: skip
        shown = [(self.armed.item(k).text(), *self.armed.item(k).data(KEY_ROLE))
                 for k in range(self.armed.count())]  # fmt: skip
        if shown == entries:  # the same alerts, in the same words (a line moved: new words)
            return
        self.armed.clear()
        for text, symbol, alert_id in entries:
            item = QtWidgets.QListWidgetItem(text)
            item.setData(KEY_ROLE, (symbol, alert_id))
            self.armed.addItem(item)
        self.armed_changed.emit()


def _line(entry: dict) -> str:
    """A fired alert's line in the list: its time (UTC) and what fired."""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(entry["ts_ns"] / 1e9))
    return f"{when} UTC  {entry['text']}"
