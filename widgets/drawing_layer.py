"""A symbol's drawings on a chart's price pane, and the prices of its horizontal lines on the
price axis.

The anchors are placed on the bar axis when the drawings or the bars change (one
`searchsorted` over every anchor); a frame cuts the segments to the view and strokes them
as one path a colour (`engine.drawing_geometry`), so a pan costs the drawings in view, not
all of them. Text (notes, Fibonacci ratios, handles) is drawn in pixels, for the few in view.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from engine import drawing_geometry as geo
from engine.bar_x import nominal_period_ns, times_of_x, x_of_times
from engine.drawings import FIB_LEVELS, Drawing
from widgets.grid import view_rect
from widgets.legend import format_value
from widgets.price_map import LINEAR, PriceMap
from widgets.series_model import SeriesModel
from widgets.theme import Theme

DEFAULT_COLOUR = "#2962ff"  # TradingView's blue
HANDLE_PX = 4  # half the side of a selected drawing's anchor handles
MAX_TAGS = 40  # horizontal-line prices drawn on the axis at most


class DrawingLayer(pg.GraphicsObject):
    """Paints `drawings` (with `preview` in place of the one of its id) over `model`'s bars;
    `selected` is drawn thicker, with its anchors. Covers the whole view, so the chart's
    drawing tools get the mouse first (`tools`: what the mouse does here, or None)."""

    def __init__(self, model: SeriesModel, theme: Theme, axis: pg.AxisItem) -> None:
        super().__init__()
        self.setZValue(40)  # over the candles, under the last-price line
        self._model = model
        self.price_map = LINEAR
        self.decimals = 2
        self.drawings: tuple[Drawing, ...] = ()
        self.preview: Drawing | None = None
        self.selected: str | None = None
        self.tools = None
        self._anchors = geo.anchors_of(())
        self._x = self._y = np.empty(0)
        self._fib_k, self._fib_y = np.empty(0, np.int64), np.empty((0, len(FIB_LEVELS)))
        self.tags = LevelTags(axis, self)
        self._connect()
        self.set_theme(theme)

    # -- what is drawn -----------------------------------------------------------------------

    def _signals(self):
        m = self._model
        return (m.bars_reset, m.bars_prepended, m.bars_appended)

    def _connect(self) -> None:
        for signal in self._signals():
            signal.connect(self._place)

    def set_model(self, model: SeriesModel) -> None:
        for signal in self._signals():
            signal.disconnect(self._place)
        self._model = model
        self._connect()
        self._place()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._text_pen = QtGui.QPen(QtGui.QColor(theme.foreground))
        self._handle_brush = QtGui.QBrush(QtGui.QColor(theme.background))
        self.update()

    def set_price_map(self, price_map: PriceMap) -> None:
        self.price_map = price_map
        self._place()

    def set_drawings(self, drawings: tuple[Drawing, ...], selected: str | None = None) -> None:
        self.drawings, self.preview, self.selected = tuple(drawings), None, selected
        self._place()

    def set_preview(self, drawing: Drawing | None) -> None:
        """A drawing being made or moved, shown in place of the one of its id."""
        self.preview = drawing
        self._place()

    def shown(self) -> tuple[Drawing, ...]:
        return geo.shown(self.drawings, self.preview)

    def period_ns(self) -> int:
        return nominal_period_ns(self._model.timeframe)

    def _place(self, *_args) -> None:
        """The anchors on the bar axis, at their prices' heights: again when the drawings,
        the bars or the price scale change."""
        a = geo.anchors_of(self.shown())
        ts = self._model.column("ts_ns")
        self._anchors = a
        self._x = x_of_times(ts, self.period_ns(), a.t_ns) if len(ts) else a.price * np.nan
        self._y = self.price_map.array(a.price)
        self._fib_k, fib = geo.fib_prices(a)
        self._fib_y = self.price_map.array(fib)
        self.update()
        self.tags.update()

    # -- view coordinates --------------------------------------------------------------------

    def x_of(self, t_ns: int) -> float:
        ts = self._model.column("ts_ns")
        return float(x_of_times(ts, self.period_ns(), np.array([t_ns]))[0])

    def time_of(self, x: float) -> int:
        return int(times_of_x(self._model.column("ts_ns"), self.period_ns(), np.array([x]))[0])

    def segments(self) -> tuple[np.ndarray, ...]:
        """The segments in view (x0, y0, x1, y1, drawing index)."""
        r = view_rect(self)
        return geo.segments(self._anchors, self._x, self._y, self._fib_y,
                            (r.left(), r.right(), r.top(), r.bottom()))  # fmt: skip

    def anchor_points(self, k: int) -> list[tuple[float, float]]:
        """Drawing k's anchors in view coordinates."""
        i = int(self._anchors.first[k])
        n = len(self.shown()[k].points)
        return list(zip(self._x[i : i + n].tolist(), self._y[i : i + n].tolist(), strict=True))

    def hit(self, pos: QtCore.QPointF, tolerance_px: float = 6.0) -> tuple[str, int | None] | None:
        """(the id of the drawing under `pos` (view coordinates), the index of its anchor
        there or None for the drawing itself), or None."""
        vb = self.getViewBox()
        if vb is None or len(self._anchors) == 0:
            return None
        px_w, px_h = vb.viewPixelSize()
        drawings = self.shown()
        qx, qy = pos.x(), pos.y()
        j, d = geo.nearest_anchor(self._anchors, self._x, self._y, qx, qy, px_w, px_h)
        if d <= tolerance_px + 1:
            k = int(self._anchors.owner[j])
            one_point = len(drawings[k].points) == 1
            return drawings[k].id, None if one_point else j - int(self._anchors.first[k])
        k, d = geo.nearest_segment(self.segments(), qx, qy, px_w, px_h)
        if d <= tolerance_px:
            return drawings[k].id, None
        for k in np.flatnonzero(self._anchors.kind == geo.TEXT).tolist():  # notes: few
            if self._text_rect(k).contains(vb.mapViewToScene(pos)):
                return drawings[k].id, None
        return None

    def _text_rect(self, k: int) -> QtCore.QRectF:
        """Note k's text, in scene coordinates."""
        vb = self.getViewBox()
        x, y = self.anchor_points(k)[0]
        at = vb.mapViewToScene(QtCore.QPointF(x, y))
        metrics = QtGui.QFontMetricsF(QtGui.QFont())
        lines = self.shown()[k].text.splitlines() or [""]
        width = max(metrics.horizontalAdvance(s) for s in lines) + 8
        return QtCore.QRectF(at.x(), at.y() - metrics.height() * len(lines) - 4, width,
                             metrics.height() * len(lines) + 4)  # fmt: skip

    # -- painting ----------------------------------------------------------------------------

    def boundingRect(self) -> QtCore.QRectF:
        return view_rect(self)

    def viewRangeChanged(self) -> None:
        self.prepareGeometryChange()

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        if len(self._anchors) == 0:
            return
        drawings = self.shown()
        x0, y0, x1, y1, owner = self.segments()
        colours = np.array([d.colour or DEFAULT_COLOUR for d in drawings])
        seg_colour = colours[owner]
        for colour in np.unique(seg_colour).tolist():
            on = seg_colour == colour
            self._stroke(painter, x0[on], y0[on], x1[on], y1[on], colour, 1)
        chosen = [k for k, d in enumerate(drawings) if d.id == self.selected]
        for k in chosen:
            on = owner == k
            self._stroke(painter, x0[on], y0[on], x1[on], y1[on], colours[k], 2)
        self._paint_text(painter, drawings, chosen)

    @staticmethod
    def _stroke(painter, x0, y0, x1, y1, colour: str, width: float) -> None:
        if len(x0) == 0:
            return
        xs = np.column_stack((x0, x1)).ravel()
        ys = np.column_stack((y0, y1)).ravel()
        pen = pg.mkPen(colour, width=width)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.drawPath(pg.arrayToQPath(xs, ys, connect="pairs"))

    def _paint_text(self, painter: QtGui.QPainter, drawings, chosen: list[int]) -> None:
        """Notes, the ratios of the Fibonacci levels in view and the handles of the selected
        drawing, in pixels."""
        r = view_rect(self)
        to_px = painter.transform()
        a = self._anchors
        first_x = self._x[a.first]
        in_x = (first_x >= r.left()) & (first_x <= r.right())
        notes = np.flatnonzero((a.kind == geo.TEXT) & in_x).tolist()
        fib_rows = np.flatnonzero(in_x[self._fib_k]).tolist()
        if not (notes or fib_rows or chosen):
            return
        painter.save()
        painter.resetTransform()
        painter.setPen(self._text_pen)
        for k in notes:
            x, y = self.anchor_points(k)[0]
            at = to_px.map(QtCore.QPointF(x, y))
            colour = QtGui.QColor(drawings[k].colour or self.theme.foreground)
            painter.setPen(colour)
            for line_no, line in enumerate(reversed(drawings[k].text.splitlines() or [""])):
                painter.drawText(at + QtCore.QPointF(4, -4 - 14 * line_no), line)
        painter.setPen(self._text_pen)
        for row in fib_rows:
            k = int(self._fib_k[row])
            fx = min(p[0] for p in self.anchor_points(k))
            prices = drawings[k].fib_prices()
            for level, y, price in zip(FIB_LEVELS, self._fib_y[row].tolist(), prices,
                                       strict=True):  # fmt: skip
                at = to_px.map(QtCore.QPointF(fx, y))
                painter.drawText(at + QtCore.QPointF(2, -3),
                                 f"{level:g} ({format_value(price, self.decimals)})")  # fmt: skip
        for k in chosen:
            pen = pg.mkPen(drawings[k].colour or DEFAULT_COLOUR, width=1.5)
            painter.setPen(pen)
            painter.setBrush(self._handle_brush)
            for x, y in self.anchor_points(k):
                if math.isfinite(x) and math.isfinite(y):
                    at = to_px.map(QtCore.QPointF(x, y))
                    painter.drawRect(QtCore.QRectF(at.x() - HANDLE_PX, at.y() - HANDLE_PX,
                                                   2 * HANDLE_PX, 2 * HANDLE_PX))  # fmt: skip
        painter.restore()

    # -- the mouse: the chart's drawing tools --------------------------------------------------

    def mouseClickEvent(self, event) -> None:
        if self.tools is None or not self.tools.click(event):
            event.ignore()

    def mouseDragEvent(self, event) -> None:
        if self.tools is None or not self.tools.drag(event):
            event.ignore()

    def hoverEvent(self, event) -> None:
        if self.tools is not None and not event.isExit():
            self.tools.hover(event)

    def close(self) -> None:
        for signal in self._signals():
            signal.disconnect(self._place)
        self.tags.close()


class LevelTags(pg.GraphicsObject):
    """The prices of the horizontal lines in view, on tags on the price axis."""

    def __init__(self, axis: pg.AxisItem, layer: DrawingLayer) -> None:
        super().__init__()
        self.setParentItem(axis)
        self.setZValue(5)  # under the last-price tag
        self._axis = axis
        self._layer = layer
        self._font = QtGui.QFont()
        self._font.setPointSizeF(8.5)
        self._metrics = QtGui.QFontMetricsF(self._font)
        self._closed = False
        axis.linkedView().sigYRangeChanged.connect(self._on_range)
        axis.geometryChanged.connect(self._on_range)

    def _on_range(self, *_args) -> None:
        if not self._closed:
            self.prepareGeometryChange()
            self.update()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._axis.linkedView().sigYRangeChanged.disconnect(self._on_range)
            self._axis.geometryChanged.disconnect(self._on_range)

    def boundingRect(self) -> QtCore.QRectF:
        if self._closed:  # the axis may be gone
            return QtCore.QRectF()
        return self._axis.mapRectFromParent(self._axis.geometry())

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        layer = self._layer
        a = layer._anchors
        view = None if self._closed else self._axis.linkedView()
        if view is None or len(a) == 0:
            return
        (_, _), (y0, y1) = view.viewRange()
        k = np.flatnonzero(a.kind == geo.HLINE)
        ys = layer._y[a.first[k]]
        seen = (ys >= y0) & (ys <= y1)
        k, ys = k[seen][:MAX_TAGS], ys[seen][:MAX_TAGS]
        if len(k) == 0 or y1 <= y0:
            return
        drawings = layer.shown()
        box = self.boundingRect()
        height = self._metrics.height() + 2
        painter.setFont(self._font)
        for one, y in zip(k.tolist(), ys.tolist(), strict=True):
            d = drawings[one]
            at = box.bottom() - (y - y0) * box.height() / (y1 - y0)
            text = format_value(d.points[0][1], layer.decimals)
            rect = QtCore.QRectF(box.left(), at - height / 2,
                                 self._metrics.horizontalAdvance(text) + 6, height)  # fmt: skip
            painter.fillRect(rect, QtGui.QColor(d.colour or DEFAULT_COLOUR))
            painter.setPen(QtGui.QColor("#ffffff"))
            painter.drawText(rect, QtCore.Qt.AlignmentFlag.AlignCenter, text)
