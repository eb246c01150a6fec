"""The price levels of a symbol's armed alerts, on its price pane: a dashed line across the
view at each, labelled at its right end ("alert 1.08690"), so the trader sees where they
asked to be told. The levels take no part in the pane's fit."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui

from engine.price_text import format_value
from widgets.grid import ViewBackdrop, set_has_contents
from widgets.price_map import LINEAR, PriceMap
from widgets.series_model import SeriesModel
from widgets.theme import Theme

LABEL_PAD_PX = 4


class AlertLevels(ViewBackdrop):
    """Alert levels (prices) of the symbol of `model`, drawn on a price pane through its
    price map."""

    def __init__(self, model: SeriesModel, theme: Theme) -> None:
        super().__init__()
        self.symbol = model.symbol
        self.setZValue(45)  # over the candles and drawings, under the last-price line
        self.prices = np.empty(0)
        self.decimals = 2
        self.price_map = LINEAR
        self._font = QtGui.QFont()
        self._font.setPointSizeF(8.0)
        self._metrics = QtGui.QFontMetricsF(self._font)
        self.set_theme(theme)
        set_has_contents(self, False)

    def set_theme(self, theme: Theme) -> None:
        self._pen = QtGui.QPen(QtGui.QColor(theme.alert), 1, QtCore.Qt.PenStyle.DashLine)
        self._pen.setCosmetic(True)
        self._text_pen = QtGui.QPen(QtGui.QColor(theme.alert))
        self._backing = QtGui.QColor(theme.background)  # under a label, over the candles
        self._backing.setAlpha(200)
        self.update()

    def set_model(self, model: SeriesModel) -> None:
        """Another timeframe of the symbol keeps its levels; another symbol has none until
        they are given."""
        if model.symbol != self.symbol:
            self.symbol = model.symbol
            self.set_levels((), self.decimals)

    def set_levels(self, prices, decimals: int) -> None:
        """The armed levels' prices, written with `decimals`."""
        self.prices = np.asarray(prices, dtype=np.float64)
        self.decimals = decimals
        set_has_contents(self, len(self.prices) > 0)
        self.update()

    def set_price_map(self, price_map: PriceMap) -> None:
        self.price_map = price_map
        self.update()

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        vb = self.getViewBox()
        if vb is None or len(self.prices) == 0:
            return
        (x0, x1), (y0, y1) = vb.viewRange()
        ys = self.price_map.array(self.prices)
        shown = np.flatnonzero((ys >= y0) & (ys <= y1))
        if len(shown) == 0:
            return
        painter.setPen(self._pen)
        for y in ys[shown].tolist():
            painter.drawLine(QtCore.QPointF(x0, y), QtCore.QPointF(x1, y))
        transform = painter.transform()  # labels in device pixels, unscaled
        painter.resetTransform()
        painter.setFont(self._font)
        painter.setPen(self._text_pen)
        right = transform.map(QtCore.QPointF(x1, 0.0)).x() - LABEL_PAD_PX
        for k in shown.tolist():
            text = f"alert {format_value(float(self.prices[k]), self.decimals)}"
            at = transform.map(QtCore.QPointF(x0, float(ys[k])))
            width = self._metrics.horizontalAdvance(text)
            baseline = QtCore.QPointF(right - width, at.y() - LABEL_PAD_PX)
            box = QtCore.QRectF(
                baseline.x() - 2,
                baseline.y() - self._metrics.ascent() - 1,
                width + 4,
                self._metrics.ascent() + self._metrics.descent() + 2,
            )
            painter.fillRect(box, self._backing)
            painter.drawText(baseline, text)
