"""The slow ways the chart benchmarks compare against: every candle drawn with its own calls
on every frame (`NaiveCandles`), and the whole history recorded in a QPicture
(`PictureCandles`, pyqtgraph's candlestick example) for memory."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from engine.bars import Bars
from profiling.qt_frames import HEIGHT, WIDTH, frame, has_colour
from widgets.theme import DARK


class NaiveCandles(pg.GraphicsObject):
    """The slow way: every bar drawn with its own calls, every frame, whatever is in view."""

    def __init__(self, bars: Bars) -> None:
        super().__init__()
        self.bars = bars
        self._brushes = {True: pg.mkBrush(DARK.up), False: pg.mkBrush(DARK.down)}
        self._pens = {True: pg.mkPen(DARK.up, cosmetic=True),
                      False: pg.mkPen(DARK.down, cosmetic=True)}  # fmt: skip

    def boundingRect(self):
        b = self.bars
        return QtCore.QRectF(-0.5, b.low.min(), len(b), b.high.max() - b.low.min())

    def paint(self, painter, *args):
        b = self.bars
        for i in range(len(b)):
            up = bool(b.close[i] >= b.open[i])
            painter.setPen(self._pens[up])
            painter.setBrush(self._brushes[up])
            painter.drawLine(QtCore.QPointF(i, b.low[i]), QtCore.QPointF(i, b.high[i]))
            top, bottom = max(b.open[i], b.close[i]), min(b.open[i], b.close[i])
            painter.drawRect(QtCore.QRectF(i - 0.35, bottom, 0.7, top - bottom))


def naive_frames(bars: Bars, pans: int = 10) -> np.ndarray:
    widget = pg.PlotWidget()
    widget.resize(WIDTH, HEIGHT)
    widget.addItem(NaiveCandles(bars))
    widget.show()
    widget.setXRange(len(bars) - 150, len(bars))
    frame(widget)
    times = []
    for _ in range(pans):
        (x0, x1), _ = widget.getViewBox().viewRange()
        started = time.perf_counter()
        widget.setXRange(x0 - (x1 - x0) * 0.1, x1 - (x1 - x0) * 0.1, padding=0)
        image = frame(widget)
        times.append(time.perf_counter() - started)
    assert has_colour(image, DARK.up) and has_colour(image, DARK.down)  # it drew candles
    widget.close()
    return np.array(times) * 1e3


class PictureCandles(pg.GraphicsObject):
    """The slow way for memory (pyqtgraph's candlestick example): every candle recorded once
    into a QPicture, replayed whole on each paint; memory follows the history."""

    def __init__(self, bars: Bars) -> None:
        super().__init__()
        self.picture = QtGui.QPicture()
        painter = QtGui.QPainter(self.picture)
        NaiveCandles(bars).paint(painter)
        painter.end()
        self._rect = QtCore.QRectF(self.picture.boundingRect())

    def boundingRect(self):
        return QtCore.QRectF(self._rect)

    def paint(self, painter, *args):
        painter.drawPicture(0, 0, self.picture)
