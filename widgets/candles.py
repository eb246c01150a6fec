"""Candlestick and volume items: batched native draw calls over the visible bars."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals
from PySide6 import QtCore, QtGui

from widgets.indexed_item import IndexedItem, split_up_down
from widgets.theme import DARK, Theme

BODY_WIDTH = 0.7


def _fill_rects(array: internals.PrimitiveArray, x0, y0, w, h) -> None:
    array.resize(len(x0))
    memory = array.ndarray()
    memory[:, 0] = x0
    memory[:, 1] = y0
    memory[:, 2] = w
    memory[:, 3] = h


class CandleItem(IndexedItem):
    """Candles: wicks as one line array, bodies as one rect array per colour."""

    def __init__(self, theme: Theme = DARK) -> None:
        super().__init__()
        self._wicks = {c: internals.PrimitiveArray(QtCore.QLineF, 4) for c in ("up", "down")}
        self._bodies = {c: internals.PrimitiveArray(QtCore.QRectF, 4) for c in ("up", "down")}
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self._pens = {c: pg.mkPen(getattr(theme, c), width=1) for c in ("up", "down")}
        self._brushes = {c: pg.mkBrush(getattr(theme, c)) for c in ("up", "down")}
        for pen in self._pens.values():
            pen.setCosmetic(True)
        self.update()

    def _y_span(self, first: int, stop: int) -> tuple[float, float]:
        return float(self._bars.low[first:stop].min()), float(self._bars.high[first:stop].max())

    def _prepare(self, first: int, stop: int) -> None:
        b = self._bars
        for colour, ix in zip(("up", "down"), split_up_down(b, first, stop), strict=True):
            wicks = self._wicks[colour]
            wicks.resize(len(ix))
            lines = wicks.ndarray()
            lines[:, 0] = ix
            lines[:, 1] = b.low[ix]
            lines[:, 2] = ix
            lines[:, 3] = b.high[ix]
            top = np.maximum(b.open[ix], b.close[ix])
            bottom = np.minimum(b.open[ix], b.close[ix])
            _fill_rects(self._bodies[colour], ix - BODY_WIDTH / 2, bottom, BODY_WIDTH, top - bottom)

    def _draw(self, painter: QtGui.QPainter) -> None:
        for colour in ("up", "down"):
            painter.setPen(self._pens[colour])
            painter.drawLines(*self._wicks[colour].drawargs())
            painter.setBrush(self._brushes[colour])
            painter.drawRects(*self._bodies[colour].drawargs())


class VolumeItem(IndexedItem):
    """Volume bars from zero, coloured by the candle's direction."""

    def __init__(self, theme: Theme = DARK) -> None:
        super().__init__()
        self._rects = {c: internals.PrimitiveArray(QtCore.QRectF, 4) for c in ("up", "down")}
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self._brushes = {}
        for colour in ("up", "down"):
            qcolour = QtGui.QColor(getattr(theme, colour))
            qcolour.setAlpha(theme.volume_alpha)
            self._brushes[colour] = pg.mkBrush(qcolour)
        self.update()

    def _y_span(self, first: int, stop: int) -> tuple[float, float]:
        return 0.0, float(self._bars.volume[first:stop].max())

    def _prepare(self, first: int, stop: int) -> None:
        b = self._bars
        for colour, ix in zip(("up", "down"), split_up_down(b, first, stop), strict=True):
            _fill_rects(self._rects[colour], ix - BODY_WIDTH / 2, 0.0, BODY_WIDTH, b.volume[ix])

    def _draw(self, painter: QtGui.QPainter) -> None:
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        for colour in ("up", "down"):
            painter.setBrush(self._brushes[colour])
            painter.drawRects(*self._rects[colour].drawargs())
