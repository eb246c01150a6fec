"""The drawings in the window: every chart's drawing tools over the drawings of its symbol
(one book a symbol, shared by the charts that show it), the toolbar acting on the active
chart, and every change written to the store within a second (SAVE_DELAY_MS), so a
drawing outlives a crash or a kill."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore

from data.store import BarStore, StoreError
from engine.drawings import DrawingBook
from widgets.chart import ChartWidget
from widgets.draw_toolbar import DrawToolbar

SAVE_DELAY_MS = 250  # a drag's or a burst of undos' changes are written together


class Drawings(QtCore.QObject):
    """Signals: changed(str): a symbol's drawings changed (the alerts on them follow)."""

    changed = QtCore.Signal(str)

    def __init__(self, store: BarStore, active: Callable[[], ChartWidget | None],
                 say: Callable[[str, int], None], parent: QtCore.QObject) -> None:  # fmt: skip
        super().__init__(parent)
        self._store = store
        self._active = active
        self._say = say
        self.books: dict[str, DrawingBook] = {}
        self._dirty: set[str] = set()
        self._charts: list[ChartWidget] = []
        self._links: list = []
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self.save)
        self.toolbar = DrawToolbar()
        self.toolbar.tool_chosen.connect(lambda tool: self._on_active(lambda t: t.choose(tool)))
        self.toolbar.magnet_toggled.connect(self.set_magnet)
        self.toolbar.undo_requested.connect(lambda: self._on_active(lambda t: t.undo()))
        self.toolbar.redo_requested.connect(lambda: self._on_active(lambda t: t.redo()))
        self.toolbar.delete_requested.connect(
            lambda: self._on_active(lambda t: t.delete_selected())
        )
        self.magnet = False

    def book(self, symbol: str) -> DrawingBook:
        """The symbol's drawings (read from the store the first time)."""
        book = self.books.get(symbol)
        if book is None:
            try:
                book = DrawingBook(self._store.drawings(symbol))
            except (StoreError, ValueError) as exc:
                self._say(f"the drawings of {symbol} could not be read: {exc}", 10_000)
                book = DrawingBook()
            self.books[symbol] = book
        return book

    def _on_active(self, act) -> None:
        chart = self._active()
        if chart is not None:
            act(chart.drawings)
            chart.setFocus()  # Esc and the keys go on working there

    def set_magnet(self, on: bool) -> None:
        self.magnet = on
        for chart in self._charts:
            chart.drawings.set_magnet(on)

    # -- the charts --------------------------------------------------------------------------

    def attach(self, charts: list[ChartWidget]) -> None:
        """The charts of a new view: each shows its symbol's drawings."""
        self.detach()
        self._charts = list(charts)
        for chart in charts:
            tools = chart.drawings
            tools.set_magnet(self.magnet)
            tools.set_book(self.book(chart.model.symbol))
            self._links += [
                (tools.edited, tools.edited.connect(lambda c=chart: self._on_edited(c))),
                (tools.tool_changed, tools.tool_changed.connect(self._on_tool)),
                (tools.magnet_changed, tools.magnet_changed.connect(self._on_magnet)),
                (tools.alert_requested,
                 tools.alert_requested.connect(self.toolbar.alert_requested)),
                (chart.model_changed, chart.model_changed.connect(
                    lambda model, c=chart: c.drawings.set_book(self.book(model.symbol)))),
            ]  # fmt: skip

    def detach(self) -> None:
        for signal, link in self._links:
            signal.disconnect(link)
        self._links = []
        self._charts = []

    def _on_tool(self, tool) -> None:
        chart = self._active()
        if chart is not None and self.sender() is chart.drawings:
            self.toolbar.show_tool(tool)

    def _on_magnet(self, on: bool) -> None:
        self.toolbar.show_magnet(on)
        self.set_magnet(on)

    def _on_edited(self, chart: ChartWidget) -> None:
        """A chart changed its symbol's drawings: shown on the others, saved shortly."""
        symbol = chart.model.symbol
        for other in self._charts:
            if other is not chart and other.model.symbol == symbol:
                other.drawings.refresh()
        self._dirty.add(symbol)
        self._timer.start()
        self.changed.emit(symbol)

    def save(self) -> None:
        """Write the changed symbols' drawings (each in one transaction)."""
        self._timer.stop()
        for symbol in sorted(self._dirty):
            try:
                self._store.set_drawings(symbol, list(self.books[symbol].drawings))
            except StoreError as exc:
                self._say(f"the drawings of {symbol} could not be saved: {exc}", 15_000)
                continue
            self._dirty.discard(symbol)

    def forget(self, symbol: str) -> None:
        """The symbol left the store."""
        self.books.pop(symbol, None)
        self._dirty.discard(symbol)

    def close(self) -> None:
        self.save()
        self.detach()
