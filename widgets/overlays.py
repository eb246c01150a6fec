"""Small items composed onto a chart: the last-price line and alternate-day shading."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals
from PySide6 import QtCore, QtGui

from engine.localtime import local_ns
from engine.timeframes import is_intraday
from widgets.grid import ViewBackdrop, blend, view_rect
from widgets.series_model import SeriesModel
from widgets.theme import Theme

DAY_NS = 86_400 * 1_000_000_000
MAX_SHADED_BARS = 200_000  # beyond this zoom the day bands are too thin to help


class LastPriceLine(pg.GraphicsObject):
    """A dashed horizontal line across the view at the last close, labelled with the price at
    the right, coloured by the bar's direction. A tick repaints the thin strips the line
    leaves and enters. (pyqtgraph's InfiniteLine with a label took 0.25 ms a tick to move.)"""

    PAD_PX = 3

    def __init__(self, model: SeriesModel, theme: Theme) -> None:
        super().__init__()
        self._model = model
        self._price = math.nan
        self._text = ""
        self._font = QtGui.QFont()
        self._font.setPointSizeF(8.5)
        self._metrics = QtGui.QFontMetricsF(self._font)
        self.setZValue(50)
        self._connect()
        self.set_theme(theme)

    def _signals(self):
        m = self._model
        return (m.last_bar_changed, m.bars_appended, m.bars_reset)

    def _connect(self) -> None:
        for signal in self._signals():
            signal.connect(self._on_bars_changed)

    def set_model(self, model: SeriesModel) -> None:
        self.close()
        self._model = model
        self._connect()
        self._on_bars_changed()

    def set_theme(self, theme: Theme) -> None:
        """The line's and the label's pens for an up and a down bar, made once."""
        self._pens = {}
        for up, colour in ((True, theme.up), (False, theme.down)):
            line = pg.mkPen(colour, width=1, style=QtCore.Qt.PenStyle.DashLine)
            self._pens[up] = (line, QtGui.QPen(QtGui.QColor(colour)))
        self._up = None  # restyle on the next update
        self._on_bars_changed()

    def value(self) -> float:
        return self._price

    def _on_bars_changed(self, *_args) -> None:
        n = len(self._model)
        self.setVisible(n > 0)
        if n == 0:
            return
        close = float(self._model.column("close")[-1])
        up = bool(close >= self._model.column("open")[-1])
        if (close, up) == (self._price, self._up):
            return
        self._pen, self._text_pen = self._pens[up]
        self.prepareGeometryChange()
        self._price, self._up = close, up
        self._text = f"{close:.10g}"
        self._text_width = self._metrics.horizontalAdvance(self._text)
        self.update()

    def viewRangeChanged(self) -> None:
        """The strip spans the view and the label's height is in pixels."""
        self.prepareGeometryChange()

    def boundingRect(self) -> QtCore.QRectF:
        view = view_rect(self)
        vb = self.getViewBox()
        if view.isEmpty() or not math.isfinite(self._price) or vb.height() <= 0 or vb.width() <= 0:
            return QtCore.QRectF()
        px_w, px_h = view.width() / vb.width(), view.height() / vb.height()
        above = (self._metrics.height() + 2 * self.PAD_PX) * px_h
        below = self.PAD_PX * px_h
        inset = self.PAD_PX * px_w  # off the view's edges, so a tick leaves the axes alone
        return QtCore.QRectF(view.left() + inset, self._price - below,
                             view.width() - 2 * inset, above + below)  # fmt: skip

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        bounds = self.boundingRect()
        if bounds.isEmpty():
            return
        painter.setPen(self._pen)
        painter.drawLine(QtCore.QPointF(bounds.left(), self._price),
                         QtCore.QPointF(bounds.right(), self._price))  # fmt: skip
        transform = painter.transform()  # the label is drawn in device pixels, unscaled
        end = transform.map(QtCore.QPointF(bounds.right(), self._price))
        painter.resetTransform()
        painter.setFont(self._font)
        painter.setPen(self._text_pen)
        baseline = end.y() - self.PAD_PX - self._metrics.descent()
        left = end.x() - self._text_width - self.PAD_PX
        painter.drawText(QtCore.QPointF(left, baseline), self._text)
        painter.setTransform(transform)

    def close(self) -> None:
        for signal in self._signals():
            signal.disconnect(self._on_bars_changed)


class DayShading(ViewBackdrop):
    """Every other trading day (exchange-local date) shaded, behind the candles, when zoomed
    in enough for days to be a useful guide. One drawRects call."""

    def __init__(self, model: SeriesModel, theme: Theme) -> None:
        super().__init__()
        self._model = model
        self._rects = internals.PrimitiveArray(QtCore.QRectF, 4)
        self._key = None
        self.setZValue(-100)
        self.set_theme(theme)

    def set_model(self, model: SeriesModel) -> None:
        self._model = model
        self._key = None
        self.update()

    def set_theme(self, theme: Theme) -> None:
        # Opaque (pre-blended): it is drawn first, and blending half the view costs a frame.
        self._brush = pg.mkBrush(blend(theme.background, theme.foreground, 0.05))
        self.update()

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        vb = self.getViewBox()
        n = len(self._model)
        if vb is None or n == 0:
            return
        (x0, x1), (y0, y1) = vb.viewRange()
        first, stop = max(0, math.floor(x0)), min(n, math.ceil(x1) + 1)
        if (
            stop - first < 2
            or stop - first > MAX_SHADED_BARS
            or not is_intraday(self._model.timeframe)
        ):
            return  # days are a guide for intraday bars only
        key = (first, stop, y0, y1, n)
        if key != self._key:
            days = local_ns(self._model.column("ts_ns")[first:stop], self._model.tz) // DAY_NS
            starts = np.concatenate(([0], np.flatnonzero(days[1:] != days[:-1]) + 1))
            ends = np.append(starts[1:], stop - first)
            shaded = (days[starts] % 2) == 1
            s, e = starts[shaded] + first, ends[shaded] + first
            self._rects.resize(len(s))
            rows = self._rects.ndarray()
            rows[:, 0] = s - 0.5
            rows[:, 1] = y0
            rows[:, 2] = e - s
            rows[:, 3] = y1 - y0
            self._key = key
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(self._brush)
        painter.drawRects(*self._rects.drawargs())
