"""Small items composed onto a chart: the last-price line and alternate-day shading."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals
from PySide6 import QtCore, QtGui

from engine.localtime import local_ns
from engine.timeframes import is_intraday
from widgets.grid import blend, view_rect
from widgets.quiet import QuietLine, QuietLineLabel
from widgets.series_model import SeriesModel
from widgets.theme import Theme

DAY_NS = 86_400 * 1_000_000_000
MAX_SHADED_BARS = 200_000  # beyond this zoom the day bands are too thin to help


class LastPriceLine(QuietLine):
    """A horizontal line at the last close, labelled with the price, coloured by direction."""

    def __init__(self, model: SeriesModel, theme: Theme) -> None:
        super().__init__(angle=0, movable=False)
        self._model = model
        self._theme = theme
        self.label = QuietLineLabel(self, position=0.98, anchors=[(1, 1), (1, 1)])
        self._connect()
        self._on_bars_changed()

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
        self._theme = theme
        self._on_bars_changed()

    def _on_bars_changed(self, *_args) -> None:
        n = len(self._model)
        self.setVisible(n > 0)
        if n == 0:
            return
        close = float(self._model.column("close")[-1])
        colour = self._theme.up if close >= self._model.column("open")[-1] else self._theme.down
        self.setPen(pg.mkPen(colour, width=1, style=QtCore.Qt.PenStyle.DashLine))
        self.label.setColor(colour)
        self.label.setFormat(f"{close:.10g}")
        self.setValue(close)

    def close(self) -> None:
        for signal in self._signals():
            signal.disconnect(self._on_bars_changed)


class DayShading(pg.GraphicsObject):
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

    def boundingRect(self) -> QtCore.QRectF:
        return view_rect(self)

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        return None, None

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
