"""The watchlist: one row a symbol with last price, change, change %, the day's volume, the
hour's change and a sparkline of the day; sortable, flashing briefly when a price moves.

The model holds columns (a float array a value column, a list of symbols) and is told new
values as arrays; it signals only the rows whose values changed. Sorting is Qt's proxy model
on a numeric sort role; the sparkline is a delegate drawing the day's closes as one polyline.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from widgets.axes import compact
from widgets.theme import DARK, Theme

HEADERS = ("Symbol", "Last", "Chg", "Chg %", "Volume", "1h %", "Day")
WIDTHS_PX = (78, 74, 60, 60, 52, 56, 70)  # the last stretches
NUMBERS = 5  # the value columns after the symbol, in VALUE order: last, chg, chg %, vol, 1h %
PATH_COLUMN = 6
FLASH_S = 0.4
SORT_ROLE = QtCore.Qt.ItemDataRole.UserRole
Qt = QtCore.Qt


class WatchlistModel(QtCore.QAbstractTableModel):
    """Rows of symbols; `path_of(symbol)` gives a row's sparkline (asked when drawn)."""

    def __init__(self, path_of: Callable[[str], np.ndarray], parent=None) -> None:
        super().__init__(parent)
        self.path_of = path_of
        self.symbols: list[str] = []
        self.values = np.empty((0, NUMBERS))
        self.decimals = np.empty(0, np.int64)
        self.flash_until = np.zeros(0)  # monotonic time a row's flash ends
        self.flash_up = np.zeros(0, bool)
        self.theme = DARK

    def set_symbols(self, symbols: list[str], decimals: list[int]) -> None:
        self.beginResetModel()
        self.symbols = list(symbols)
        self.values = np.full((len(symbols), NUMBERS), np.nan)
        self.decimals = np.asarray(decimals, dtype=np.int64)
        self.flash_until = np.zeros(len(symbols))
        self.flash_up = np.zeros(len(symbols), bool)
        self.endResetModel()

    def set_values(self, values: np.ndarray) -> np.ndarray:
        """New values for every row; rows whose last price moved flash. Returns the rows
        that changed."""
        old = self.values
        same = (old == values) | (np.isnan(old) & np.isnan(values))
        changed = np.flatnonzero(~same.all(axis=1))
        if len(changed) == 0:
            return changed
        moved = changed[(old[changed, 0] != values[changed, 0]) & ~np.isnan(old[changed, 0])]
        self.flash_until[moved] = time.monotonic() + FLASH_S
        self.flash_up[moved] = values[moved, 0] > old[moved, 0]
        self.values = values.copy()
        self._rows_changed(changed)
        return changed

    def end_flashes(self) -> bool:
        """Rows whose flash has ended are drawn plain again; True while some still flash."""
        now = time.monotonic()
        ended = np.flatnonzero((self.flash_until > 0) & (self.flash_until <= now))
        if len(ended):
            self.flash_until[ended] = 0.0
            self._rows_changed(ended)
        return bool((self.flash_until > 0).any())

    def _rows_changed(self, rows: np.ndarray) -> None:
        """One signal a run of adjacent rows."""
        breaks = np.flatnonzero(np.diff(rows) != 1)
        for a, b in zip(np.r_[0, breaks + 1], np.r_[breaks, len(rows) - 1], strict=True):
            top, bottom = self.index(int(rows[a]), 0), self.index(int(rows[b]), PATH_COLUMN)
            self.dataChanged.emit(top, bottom)

    # -- Qt's model interface ----------------------------------------------------------------

    def rowCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.symbols)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        row, col = index.row(), index.column()
        if col == 0:
            return self.symbols[row] if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE) else None
        if col == PATH_COLUMN:
            return None
        value = float(self.values[row, col - 1])
        if role == SORT_ROLE:
            return -np.inf if np.isnan(value) else value
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if np.isnan(value) else self._text(row, col, value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col in (2, 3, 5) and value:
            return QtGui.QColor(self.theme.up if value > 0 else self.theme.down)
        if role == Qt.ItemDataRole.BackgroundRole and col == 1 and self.flash_until[row] > 0:
            colour = QtGui.QColor(self.theme.up if self.flash_up[row] else self.theme.down)
            colour.setAlpha(110)
            return colour
        return None

    def _text(self, row: int, col: int, value: float) -> str:
        if col in (1, 2):
            sign = "+" if col == 2 and value > 0 else ""
            return f"{sign}{value:,.{int(self.decimals[row])}f}"
        if col in (3, 5):
            return f"{value:+.2f}%"
        return compact(value, 0)


class SparklineDelegate(QtWidgets.QStyledItemDelegate):
    """The day's closes as a polyline in the cell, up or down coloured by the day's change."""

    def __init__(self, model: WatchlistModel, proxy: QtCore.QSortFilterProxyModel) -> None:
        super().__init__(proxy)
        self._model, self._proxy = model, proxy

    def paint(self, painter, option, index) -> None:
        super().paint(painter, option, index)
        row = self._proxy.mapToSource(index).row()
        closes = self._model.path_of(self._model.symbols[row])
        if len(closes) < 2:
            return
        rect = QtCore.QRectF(option.rect).adjusted(3, 3, -3, -3)
        lo, hi = float(closes.min()), float(closes.max())
        span = hi - lo if hi > lo else 1.0
        x = rect.left() + np.arange(len(closes)) * (rect.width() / (len(closes) - 1))
        y = rect.bottom() - (closes - lo) * (rect.height() / span)
        theme: Theme = self._model.theme
        colour = theme.up if closes[-1] >= closes[0] else theme.down
        painter.save()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setPen(QtGui.QPen(QtGui.QColor(colour), 1.2))
        painter.drawPath(pg.arrayToQPath(x, y))
        painter.restore()


class WatchlistView(QtWidgets.QTableView):
    """Signals: symbol_opened(str): clicked, or Enter on a row."""

    symbol_opened = QtCore.Signal(str)

    def __init__(self, model: WatchlistModel, parent=None) -> None:
        super().__init__(parent)
        self.source = model
        self.proxy = QtCore.QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setSortRole(SORT_ROLE)
        self.setModel(self.proxy)
        self.setItemDelegateForColumn(PATH_COLUMN, SparklineDelegate(model, self.proxy))
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
        if len(self.source.set_values(values)) and not self._flash_timer.isActive():
            self._flash_timer.start()

    def _end_flashes(self) -> None:
        if not self.source.end_flashes():
            self._flash_timer.stop()

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._open(self.currentIndex())
            return
        super().keyPressEvent(event)

    def _open(self, index: QtCore.QModelIndex) -> None:
        self.symbol_opened.emit(self.source.symbols[self.proxy.mapToSource(index).row()])

    def select_symbol(self, symbol: str) -> None:
        """Show `symbol`'s row as current (the symbol on the chart), without opening it."""
        if symbol not in self.source.symbols:
            return
        index = self.proxy.mapFromSource(self.source.index(self.source.symbols.index(symbol), 0))
        with QtCore.QSignalBlocker(self.selectionModel()):
            self.setCurrentIndex(index)
        self.scrollTo(index)
