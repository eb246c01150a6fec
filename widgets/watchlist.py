"""The watchlist: one row a symbol with last price, change, change %, the day's volume, the
hour's change and a sparkline of the day; sortable, flashing briefly when a price moves.

The model holds columns (a float array a value column, a list of symbols, the rows' texts
formatted when their values change) and is told new values as arrays; it signals only the
rows whose values changed, and sorts itself by argsort of a column. One delegate paints
every cell straight from those columns (Qt's styled painting asks the model ten roles a cell
and took 60% of a scroll frame); the sparkline is the day's closes, one point a pixel at most.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from engine.price_text import percent_text, signed_text
from widgets.axes import compact
from widgets.theme import DARK, Theme

HEADERS = ("Symbol", "Last", "Chg", "Chg %", "Volume", "1h %", "4h %", "Day")
HEADER_TIPS = (  # what each column measures from (the chart's legend: the previous close)
    "the symbol; its feed's state on the left",
    "the last price",
    "change since the previous day's close (since the day's open on a symbol's first day)",
    "change since the previous day's close, in percent",
    "the day's volume so far (a quote counts one; \u2013: its bars carry none, as bid bars)",
    "change since the forming hour's open, in percent",
    "change since the forming 4-hour bar's open, in percent",
    "the day's closes so far",
)
WIDTHS_PX = (78, 74, 60, 60, 52, 56, 56, 70)  # the last stretches
NUMBERS = 6  # the value columns after the symbol: last, chg, chg %, vol, 1h %, 4h %
PATH_COLUMN = 7
CHANGES = (2, 3, 5, 6)  # coloured up or down
PERCENTS = (3, 5, 6)
FLASH_S = 0.4
CELL_PAD_PX = 4  # between a value and its cell's sides
NO_VOLUME = "\u2013"  # the day's bars carry no volume
Qt = QtCore.Qt
LEFT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
RIGHT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
SELECTED = QtWidgets.QStyle.StateFlag.State_Selected
NO_FEED, STOPPED, LIVE = -1, 0, 1  # a symbol's feed in the watchlist


class WatchlistModel(QtCore.QAbstractTableModel):
    """Rows of symbols; `path_of(symbol)` gives a row's sparkline, or None while it is not
    known (asked when drawn). A row of the view is `order[row]` of the columns."""

    def __init__(self, path_of: Callable[[str], np.ndarray], parent=None) -> None:
        super().__init__(parent)
        self.path_of = path_of
        self.theme = DARK
        self.sort_column, self.descending = 0, False
        self.set_symbols([], [])

    def set_symbols(self, symbols: list[str], decimals: list[int]) -> None:
        self.beginResetModel()
        self.symbols = list(symbols)
        self.where = {s: i for i, s in enumerate(self.symbols)}  # a symbol's column index
        self.values = np.full((len(symbols), NUMBERS), np.nan)
        self.decimals = np.asarray(decimals, dtype=np.int64)
        self.texts = [[s] + [""] * NUMBERS for s in symbols]
        self.flash_until = np.zeros(len(symbols))  # monotonic time a row's flash ends
        self.flash_up = np.zeros(len(symbols), bool)
        self.live = np.full(len(symbols), NO_FEED, np.int8)  # LIVE, STOPPED or NO_FEED
        self.feed_texts = [""] * len(symbols)  # each symbol's feed state, in words
        self.order = self._sorted()
        self.rank = np.argsort(self.order)  # where each symbol's row is in the view
        self.endResetModel()

    def symbol_at(self, row: int) -> str:
        return self.symbols[int(self.order[row])]

    def row_of(self, symbol: str) -> int:
        return int(self.rank[self.where[symbol]])

    def set_values(self, values: np.ndarray) -> np.ndarray:
        """New values for every symbol; those whose last price moved flash. Returns the
        symbols' indices that changed."""
        old = self.values
        same = (old == values) | (np.isnan(old) & np.isnan(values))
        changed = np.flatnonzero(~same.all(axis=1))
        if len(changed) == 0:
            return changed
        moved = changed[(old[changed, 0] != values[changed, 0]) & ~np.isnan(old[changed, 0])]
        self.flash_until[moved] = time.monotonic() + FLASH_S
        self.flash_up[moved] = values[moved, 0] > old[moved, 0]
        self.values = values.copy()
        for i in changed.tolist():
            self.texts[i][1:] = [self._text(i, col) for col in range(1, NUMBERS + 1)]
        if self.sort_column:
            self.sort(self.sort_column, self._qt_order())
        self._rows_changed(changed)
        return changed

    def set_feeds(self, live: np.ndarray, texts: list[str]) -> None:
        """Each symbol's feed: LIVE, STOPPED (a failure, reconnecting) or NO_FEED, and its
        state in words (the row's tool tip)."""
        changed = np.flatnonzero(live != self.live)
        self.live, self.feed_texts = live, texts
        if len(changed):
            self._rows_changed(changed)

    def paths_read(self, symbols: list[str]) -> None:
        """The sparklines of `symbols` can be drawn now."""
        for i in (self.where[s] for s in symbols if s in self.where):
            index = self.index(int(self.rank[i]), PATH_COLUMN)
            self.dataChanged.emit(index, index)

    def end_flashes(self) -> bool:
        """Rows whose flash has ended are drawn plain again; True while some still flash."""
        now = time.monotonic()
        ended = np.flatnonzero((self.flash_until > 0) & (self.flash_until <= now))
        if len(ended):
            self.flash_until[ended] = 0.0
            self._rows_changed(ended)
        return bool((self.flash_until > 0).any())

    def _rows_changed(self, changed: np.ndarray) -> None:
        """One signal a run of adjacent view rows."""
        rows = np.sort(self.rank[changed])
        breaks = np.flatnonzero(np.diff(rows) != 1)
        for a, b in zip(np.r_[0, breaks + 1], np.r_[breaks, len(rows) - 1], strict=True):
            top, bottom = self.index(int(rows[a]), 0), self.index(int(rows[b]), PATH_COLUMN)
            self.dataChanged.emit(top, bottom)

    def shown_value(self, i: int, col: int) -> float:
        """Row i's value in column col as written: a price or change to the symbol's
        decimals, a percentage to two (a change that rounds to nothing is 0, not -0: it is
        written and coloured as no change)."""
        value = float(self.values[i, col - 1])
        if col in (1, 2):
            return round(value, int(self.decimals[i])) + 0.0
        return round(value, 2) + 0.0 if col in PERCENTS else value

    def _text(self, i: int, col: int) -> str:
        value = self.shown_value(i, col)
        if np.isnan(value):
            return ""
        if col == 1:
            return f"{value:,.{int(self.decimals[i])}f}"
        if col == 2:
            return signed_text(value, int(self.decimals[i]))
        if col in PERCENTS:
            return percent_text(value / 100)
        # no volume in the day's bars: a source without volume (bid bars), not a
        # day without trades (a bar is a trade); "0" read as nothing traded
        return compact(value, 0) if value else NO_VOLUME

    # -- sorting -----------------------------------------------------------------------------

    def _sorted(self) -> np.ndarray:
        if self.sort_column == 0:
            keys = np.array(self.symbols, dtype=object)
            order = np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)
        elif self.sort_column == PATH_COLUMN:
            order = np.arange(len(self.symbols))
        else:
            key = np.nan_to_num(self.values[:, self.sort_column - 1], nan=-np.inf)
            order = np.argsort(key, kind="stable")
        return order[::-1].copy() if self.descending else order

    def _qt_order(self) -> Qt.SortOrder:
        return Qt.SortOrder.DescendingOrder if self.descending else Qt.SortOrder.AscendingOrder

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        """Qt's sort (a header click): rows in the column's order, the selection kept on its
        symbol."""
        self.sort_column, self.descending = column, order == Qt.SortOrder.DescendingOrder
        new = self._sorted()
        if np.array_equal(new, self.order):
            return
        self.layoutAboutToBeChanged.emit()
        rank = np.argsort(new)
        old_indexes = self.persistentIndexList()
        moved = [self.index(int(rank[self.order[ix.row()]]), ix.column()) for ix in old_indexes]
        self.order, self.rank = new, rank
        self.changePersistentIndexList(old_indexes, moved)
        self.layoutChanged.emit()

    # -- Qt's model interface ----------------------------------------------------------------

    def rowCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.symbols)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        """The text of a cell (the delegate paints from the columns; this is for Qt's
        accessibility, tool tips and tests)."""
        col, i = index.column(), int(self.order[index.row()])
        if role == Qt.ItemDataRole.DisplayRole and col != PATH_COLUMN:
            return self.texts[i][col]
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            return f"{self.symbols[i]}: {self.feed_texts[i] or 'no live feed'}"
        return None


class WatchlistDelegate(QtWidgets.QStyledItemDelegate):
    """Paints every cell from the model's columns: background (selection, flash), text in
    the up/down colour for changes, or the sparkline."""

    def __init__(self, model: WatchlistModel, parent=None) -> None:
        super().__init__(parent)
        self._model = model
        self._pixmaps: dict[tuple, QtGui.QPixmap] = {}  # by symbol, cell, closes

    def paint(self, painter, option, index) -> None:
        model, rect = self._model, option.rect
        i, col = int(model.order[index.row()]), index.column()
        theme: Theme = model.theme
        selected = option.state & SELECTED
        if selected:
            painter.fillRect(rect, option.palette.highlight())
        elif col == 1 and model.flash_until[i] > 0:
            colour = QtGui.QColor(theme.up if model.flash_up[i] else theme.down)
            colour.setAlpha(110)
            painter.fillRect(rect, colour)
        if col == PATH_COLUMN:
            self._sparkline(painter, rect, model.symbols[i], theme)
            return
        value = model.shown_value(i, col) if col else np.nan
        if selected:
            pen = option.palette.highlightedText().color()
        elif col in CHANGES and value:  # a change: up or down (NaN is true, and not > 0)
            pen = QtGui.QColor(theme.up if value > 0 else theme.down)
        else:
            pen = option.palette.text().color()
        painter.setPen(pen)
        if col == 0 and model.live[i] != NO_FEED:  # a dot: live, or its feed stopped
            dot = QtGui.QColor(theme.up if model.live[i] == LIVE else theme.down)
            painter.save()
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(dot)
            painter.drawEllipse(QtCore.QPointF(rect.left() + 6, rect.center().y() + 0.5), 2.5, 2.5)
            painter.restore()
        text_rect = rect.adjusted(12 if col == 0 else CELL_PAD_PX, 0, -CELL_PAD_PX, 0)
        text = model.texts[i][col]
        if col == 0:  # a long name keeps its two ends ("BINA…/USDT"); the tool tip has it all
            text = painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle,
                                                    text_rect.width())  # fmt: skip
        painter.drawText(text_rect, RIGHT if col else LEFT, text)

    def _sparkline(self, painter, rect: QtCore.QRect, symbol: str, theme: Theme) -> None:
        """The day's closes, drawn once into a pixmap kept until they or the cell change."""
        closes = self._model.path_of(symbol)
        if closes is None or len(closes) < 2:
            return
        ratio = painter.device().devicePixelRatioF()
        key = (symbol, rect.width(), rect.height(), ratio, theme.name, len(closes),
               float(closes[-1]))  # fmt: skip
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            if len(self._pixmaps) > 4 * 1024:
                self._pixmaps.clear()
            pixmap = self._pixmaps[key] = _sparkline_pixmap(closes, rect.size(), ratio, theme)
        painter.drawPixmap(rect.topLeft(), pixmap)


def _sparkline_pixmap(closes: np.ndarray, size: QtCore.QSize, ratio: float,
                      theme: Theme) -> QtGui.QPixmap:  # fmt: skip
    """A polyline of `closes`, at most one point a pixel (the last one always), 3 px in."""
    width, height = size.width() - 6, size.height() - 6
    step = max(1, int(np.ceil(len(closes) / max(width, 2))))
    points = closes[::step]
    if (len(closes) - 1) % step:
        points = np.append(points, closes[-1])
    lo, hi = float(points.min()), float(points.max())
    x = 3.0 + np.linspace(0.0, width, len(points))
    y = 3.0 + height - (points - lo) * (height / (hi - lo if hi > lo else 1.0))
    pixmap = QtGui.QPixmap(size * ratio)
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    colour = theme.up if closes[-1] >= closes[0] else theme.down
    painter.setPen(QtGui.QPen(QtGui.QColor(colour), 1.2))
    painter.drawPath(pg.arrayToQPath(x, y))
    painter.end()
    return pixmap


class WatchlistView(QtWidgets.QTableView):
    """Signals: symbol_opened(str): clicked, or Enter on a row."""

    symbol_opened = QtCore.Signal(str)

    def __init__(self, model: WatchlistModel, parent=None) -> None:
        super().__init__(parent)
        self.source = model
        self.setModel(model)
        self.setItemDelegate(WatchlistDelegate(model, self))
        self.setSortingEnabled(True)
        self.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(22)
        self.verticalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Fixed)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setHorizontalScrollMode(QtWidgets.QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.horizontalHeader()
        header.setMinimumSectionSize(40)
        for col, width in enumerate(WIDTHS_PX):
            header.resizeSection(col, width)
        header.setStretchLastSection(True)
        self._fitted_chars: dict[int, int] = {}  # the longest text fitted, by column
        self.clicked.connect(self._open)
        self._flash_timer = QtCore.QTimer(self)
        self._flash_timer.setInterval(100)
        self._flash_timer.timeout.connect(self._end_flashes)

    def sizeHint(self) -> QtCore.QSize:
        """Wide enough for every column (a dock starts at its widget's hint)."""
        frame = 2 * self.frameWidth() + self.verticalScrollBar().sizeHint().width()
        return QtCore.QSize(sum(WIDTHS_PX) + frame, 400)

    def set_theme(self, theme: Theme) -> None:
        """The chart's background and text colours (the selection keeps the style's)."""
        palette = self.palette()
        for role, colour in ((QtGui.QPalette.ColorRole.Base, theme.background),
                             (QtGui.QPalette.ColorRole.Text, theme.foreground)):  # fmt: skip
            palette.setColor(role, QtGui.QColor(colour))
        self.setPalette(palette)
        self.viewport().update()

    def update_values(self, values: np.ndarray) -> None:
        changed = self.source.set_values(values)
        if len(changed):
            self._fit_columns(changed)
            if not self._flash_timer.isActive():
                self._flash_timer.start()

    def _fit_columns(self, rows: np.ndarray) -> None:
        """Widen a value column whose new text does not fit it (a five-decimal instrument's
        change, "+0.00010", lost its sign under a 60-pixel column). Only a text longer than
        any the column has fitted is measured."""
        header, metrics = self.horizontalHeader(), self.fontMetrics()
        for col in range(1, NUMBERS + 1):
            longest = max(len(self.source.texts[i][col]) for i in rows.tolist())
            if longest <= self._fitted_chars.get(col, 0):
                continue
            self._fitted_chars[col] = longest
            width = max(metrics.horizontalAdvance(self.source.texts[i][col]) for i in
                        rows.tolist()) + 2 * CELL_PAD_PX + 2  # fmt: skip
            if width > header.sectionSize(col):
                header.resizeSection(col, width)

    def _end_flashes(self) -> None:
        if not self.source.end_flashes():
            self._flash_timer.stop()

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._open(self.currentIndex())
            return
        super().keyPressEvent(event)

    def _open(self, index: QtCore.QModelIndex) -> None:
        self.symbol_opened.emit(self.source.symbol_at(index.row()))

    def select_symbol(self, symbol: str) -> None:
        """Show `symbol`'s row as current (the symbol on the chart), without opening it."""
        if symbol not in self.source.where:
            return
        index = self.source.index(self.source.row_of(symbol), 0)
        with QtCore.QSignalBlocker(self.selectionModel()):
            self.setCurrentIndex(index)
        self.scrollTo(index)
