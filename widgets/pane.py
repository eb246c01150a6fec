"""The parts a chart is laid out from: panes (a view with a value axis on its right and grid
lines under its items) and the caption line above them.

A pane is what a chart uses of pyqtgraph's PlotItem, without the rest: PlotItem builds
control and context menus, four axes and a title for every pane, about 10 ms of a new
two-pane window's 15 ms budget."""

from __future__ import annotations

import functools

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from widgets.axes import LeanAxisItem, PriceAxisItem
from widgets.grid import GridItem
from widgets.theme import Theme

PRICE_AXIS_WIDTH_PX = 76
CAPTION_POINT_SIZE = 9
CAPTION_INDENT_PX = 6


class ChartViewBox(pg.ViewBox):
    """x-only zoom and pan, y following the visible items; a double-click asks for the
    default view. No context menu (pyqtgraph's offers axis modes a chart does not have).

    Signals:
        reset_requested(): the user double-clicked.
    """

    reset_requested = QtCore.Signal()

    def __init__(self) -> None:
        super().__init__(enableMenu=False)
        self.setMouseEnabled(x=True, y=False)
        self.setAutoVisible(y=True)
        self.enableAutoRange(x=False, y=True)

    def mouseDoubleClickEvent(self, event) -> None:
        self.reset_requested.emit()
        event.accept()

    def itemBoundsChanged(self, item) -> None:
        """Ignore our own child group, whose transform is this view's range. pyqtgraph 0.14
        means to exempt it, but sets a misspelt flag, so every range change scheduled
        another auto-range: a live bar growing out of view rescaled the pane on each tick
        from then on, instead of once."""
        if item is not self.childGroup:
            super().itemBoundsChanged(item)


class Pane:
    """One of a chart's stacked panes: `view` (x = bar index) with `value_axis` on its right
    and `grid` lines at the value ticks and at the chart's time ticks. The chart places the
    view and the axis in its layout; the item methods mirror pyqtgraph's PlotItem so items
    and the crosshair take either."""

    def __init__(self, time_axis: LeanAxisItem, theme: Theme, stretch: int, compact: bool):
        self.stretch = stretch
        self.view = ChartViewBox()
        self.value_axis = PriceAxisItem(compact=compact)
        self.value_axis.setWidth(PRICE_AXIS_WIDTH_PX)
        self.value_axis.linkToView(self.view)
        self.grid = GridItem(time_axis, self.value_axis, theme)
        self.view.addItem(self.grid, ignoreBounds=True)
        self.set_theme(theme)

    def addItem(self, item: QtWidgets.QGraphicsItem, ignoreBounds: bool = False) -> None:
        self.view.addItem(item, ignoreBounds=ignoreBounds)

    def removeItem(self, item: QtWidgets.QGraphicsItem) -> None:
        self.view.removeItem(item)

    def getViewBox(self) -> ChartViewBox:
        return self.view

    def setXRange(self, x0: float, x1: float, padding: float = 0.0) -> None:
        self.view.setXRange(x0, x1, padding=padding)

    def set_theme(self, theme: Theme) -> None:
        style_axis(self.value_axis, theme)
        self.grid.set_theme(theme)


def style_axis(axis: pg.AxisItem, theme: Theme) -> None:
    axis.setPen(theme.foreground)
    axis.setTextPen(theme.foreground)


@functools.cache
def caption_font() -> tuple[QtGui.QFont, float]:
    """The caption's font and line height (measuring a font takes half a millisecond)."""
    font = QtGui.QFont()
    font.setPointSizeF(CAPTION_POINT_SIZE)
    return font, QtGui.QFontMetricsF(font).height()


class Caption(pg.GraphicsWidget):
    """One line of text, left-aligned, a row of its own (which series a chart shows)."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self._pen = QtGui.QPen()
        self._font, height = caption_font()
        height += 2
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred,
                           QtWidgets.QSizePolicy.Policy.Fixed)  # fmt: skip
        self.setPreferredHeight(height)
        self.setMinimumHeight(height)
        self.setMaximumHeight(height)

    def set_text(self, text: str, colour: str) -> None:
        self.text = text
        self._pen = QtGui.QPen(QtGui.QColor(colour))
        self.update()

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        painter.setPen(self._pen)
        painter.setFont(self._font)
        room = self.boundingRect().adjusted(CAPTION_INDENT_PX, 0, 0, 0)
        flags = QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter
        painter.drawText(room, flags, self.text)
