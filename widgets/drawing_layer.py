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
from engine.price_text import format_value
from widgets.grid import ViewBackdrop, set_has_contents
from widgets.pg_compat import line_array, rect_array
from widgets.price_map import LINEAR, PriceMap
from widgets.series_model import SeriesModel
from widgets.text_atlas import TextAtlas
from widgets.theme import Theme

DEFAULT_COLOUR = "#2962ff"  # TradingView's blue
HANDLE_PX = 4  # half the side of a selected drawing's anchor handles
MAX_TAGS = 40  # horizontal-line prices drawn on the axis at most
TEXT_LINE_PX = 13
LABEL_CELL_PX = (80, TEXT_LINE_PX)  # one label a cell of the screen
MAX_LABELS = 120  # labels drawn a frame at most, the latest first
TAG_TEXT = QtGui.QColor("#ffffff")


class DrawingLayer(ViewBackdrop):
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
        self._view = QtCore.QRectF()  # the view's area, in view coordinates
        self._x = self._y = np.empty(0)
        self._fib_k, self._fib_y = np.empty(0, np.int64), np.empty((0, len(FIB_LEVELS)))
        self._colours: list[str] = []
        self._colour_ix = np.empty(0, np.int64)  # a drawing's colour, in `_colours`
        self._lines = line_array()
        self._rects = rect_array()
        self._brushes: dict[str, QtGui.QBrush] = {}
        self._pens: dict[tuple[str, float], QtGui.QPen] = {}
        self._font = QtGui.QFont()
        self._atlas = TextAtlas(self._font)
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
        self._text_rgba = QtGui.QColor(theme.foreground).rgba()
        self._handle_brush = QtGui.QBrush(QtGui.QColor(theme.background))
        self._place()  # the notes' default colour

    def set_decimals(self, decimals: int) -> None:
        """Prices written with `decimals` (the series')."""
        self.decimals = decimals
        self._place()

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

    @property
    def model(self) -> SeriesModel:
        return self._model

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
        self._placed = geo.place(a, self._x, self._y, self._fib_y)
        self._prepare_text()
        names = [d.colour or DEFAULT_COLOUR for d in self.shown()]
        self._colours = sorted(set(names))
        where = {c: k for k, c in enumerate(self._colours)}
        self._colour_ix = np.array([where[c] for c in names], np.int64)
        set_has_contents(self, len(a) > 0)
        self.update()
        self.tags.follow_view()

    def _prepare_text(self) -> None:
        """The labels' texts, made once for every frame: the notes' lines, last first, all
        notes' in one list (note j's from `_note_start[j]`, `_note_lines[j]` of them) with
        their colours; each retracement's ratios with their prices (retracement r's level l
        at r * len(FIB_LEVELS) + l); the horizontal lines' prices."""
        drawings = self.shown()
        self._index = {d.id: k for k, d in enumerate(drawings)}
        self._note_k = np.flatnonzero(self._anchors.kind == geo.TEXT)
        lines = [list(reversed(drawings[k].text.splitlines() or [""]))
                 for k in self._note_k.tolist()]  # fmt: skip
        rgba = [QtGui.QColor(drawings[k].colour or self.theme.foreground).rgba()
                for k in self._note_k.tolist()]  # fmt: skip
        self._note_lines = np.array([len(x) for x in lines], np.int64)
        self._note_start = np.cumsum(self._note_lines) - self._note_lines
        self._note_text = [line for note in lines for line in note]
        self._note_rgba = [c for c, note in zip(rgba, lines, strict=True) for _ in note]
        self._fib_text = [f"{level:g} ({format_value(price, self.decimals)})"
                          for k in self._fib_k.tolist()
                          for level, price in zip(FIB_LEVELS, drawings[k].fib_prices(),
                                                  strict=True)]  # fmt: skip
        width = self._atlas.width  # the labels' widths, to keep them whole in view
        self._fib_w = np.array([width(t) for t in self._fib_text], dtype=float)
        self._note_w = np.array([width(t) for t in self._note_text], dtype=float)
        hlines = np.flatnonzero(self._anchors.kind == geo.HLINE).tolist()
        self.tags.set_lines(np.array(hlines, np.int64),
                            [format_value(drawings[k].points[0][1], self.decimals) for k in hlines],
                            [drawings[k].colour or DEFAULT_COLOUR for k in hlines])  # fmt: skip

    # -- view coordinates --------------------------------------------------------------------

    def x_of(self, t_ns: int) -> float:
        ts = self._model.column("ts_ns")
        return float(x_of_times(ts, self.period_ns(), np.array([t_ns]))[0])

    def time_of(self, x: float) -> int:
        return int(times_of_x(self._model.column("ts_ns"), self.period_ns(), np.array([x]))[0])

    def segments(self) -> tuple[np.ndarray, ...]:
        """The segments in view (x0, y0, x1, y1, drawing index)."""
        r = self._view
        return geo.view_segments(self._placed, (r.left(), r.right(), r.top(), r.bottom()))

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
        metrics = QtGui.QFontMetricsF(self._font)
        lines = self.shown()[k].text.splitlines() or [""]
        width = max(metrics.horizontalAdvance(s) for s in lines) + 8
        return QtCore.QRectF(at.x(), at.y() - TEXT_LINE_PX * len(lines) - 4, width,
                             TEXT_LINE_PX * len(lines) + 4)  # fmt: skip

    # -- painting ----------------------------------------------------------------------------

    def viewRangeChanged(self) -> None:
        """The view moved: the layer covers it and the axis tags follow."""
        super().viewRangeChanged()
        self.tags.follow_view()

    def viewTransformChanged(self) -> None:
        """The view was resized (or its range set): the axis tags follow."""
        self.viewRangeChanged()

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        if len(self._anchors) == 0:
            return
        drawings = self.shown()
        x0, y0, x1, y1, owner = self.segments()
        if len(self._colours) == 1:  # the usual case: no mask a colour
            self._stroke(painter, x0, y0, x1, y1, self._colours[0], 1)
        else:
            seg_colour = self._colour_ix[owner]
            for c in np.unique(seg_colour).tolist():
                on = seg_colour == c
                self._stroke(painter, x0[on], y0[on], x1[on], y1[on], self._colours[c], 1)
        chosen = [self._index[self.selected]] if self.selected in self._index else []
        for k in chosen:
            on = owner == k
            colour = self._colours[self._colour_ix[k]]
            self._stroke(painter, x0[on], y0[on], x1[on], y1[on], colour, 2)
        self._paint_text(painter, drawings, chosen)

    def _stroke(self, painter, x0, y0, x1, y1, colour: str, width: int) -> None:
        """The segments in native calls from the columns (no Python object a line). Level
        and upright ones (horizontal and vertical lines, rectangles, retracement levels) are
        filled `width`-pixel rectangles: Qt's raster engine fills a rectangle some 30 times
        faster than it strokes the same line (and under the view's scaling twice as fast as
        the same pixels in device coordinates, where it takes its general path)."""
        if len(x0) == 0:
            return
        flat = (y0 == y1) | (x0 == x1)
        slanted = ~flat
        if slanted.any():
            self._lines.resize(int(slanted.sum()))
            rows = self._lines.ndarray()
            rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3] = (
                x0[slanted], y0[slanted], x1[slanted], y1[slanted])  # fmt: skip
            pen = self._pens.get((colour, width))
            if pen is None:
                pen = self._pens[(colour, width)] = pg.mkPen(colour, width=width)
                pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawLines(*self._lines.drawargs())
        if flat.any():
            t = painter.transform()  # the view's: a scale and a shift
            px_w, px_h = width / abs(t.m11()), width / abs(t.m22())  # `width` pixels
            x_lo, x_hi = np.minimum(x0[flat], x1[flat]), np.maximum(x0[flat], x1[flat])
            y_lo, y_hi = np.minimum(y0[flat], y1[flat]), np.maximum(y0[flat], y1[flat])
            self._rects.resize(len(x_lo))
            rows = self._rects.ndarray()  # in the view's values, as the candles
            rows[:, 0], rows[:, 1] = x_lo - px_w / 2, y_lo - px_h / 2
            rows[:, 2], rows[:, 3] = x_hi - x_lo + px_w, y_hi - y_lo + px_h
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            painter.setBrush(self._brush(colour))
            painter.drawRects(*self._rects.drawargs())

    def _brush(self, colour: str) -> QtGui.QBrush:
        brush = self._brushes.get(colour)
        if brush is None:
            brush = self._brushes[colour] = QtGui.QBrush(QtGui.QColor(colour))
        return brush

    def _paint_text(self, painter: QtGui.QPainter, drawings, chosen: list[int]) -> None:
        """Notes, the ratios of the Fibonacci levels and the handles of the selected drawing,
        in pixels. Labels do not overlap: one a cell of the screen (LABEL_CELL_PX), the
        latest first, at most MAX_LABELS, and a retracement's ratios only when its levels are
        a line of text apart. A thousand labels in view would be unreadable ink, and as many
        text draws a frame; each shows again as the view zooms in. A label that would reach
        past the view's edge is moved in: whole, not cut (a retracement drawn up to the
        latest bar has its ratios at the right edge)."""
        t = painter.transform()  # the view's: a scale and a shift
        sx, dx, sy, dy = t.m11(), t.dx(), t.m22(), t.dy()
        r = self._view
        xa, xb = sorted((sx * r.left() + dx, sx * r.right() + dx))
        ya, yb = sorted((sy * r.top() + dy, sy * r.bottom() + dy))
        a = self._anchors
        note_x = sx * self._x[a.first[self._note_k]] + dx
        note_y = sy * self._y[a.first[self._note_k]] + dy
        fib_x = sx * np.minimum(self._x[a.first[self._fib_k]], self._x[a.first[self._fib_k] + 1])
        fib_x += dx
        fib_y = sy * self._fib_y + dy
        tall = np.abs(fib_y[:, -1] - fib_y[:, 0]) >= TEXT_LINE_PX * (len(FIB_LEVELS) - 1)
        rows = np.flatnonzero(tall & (fib_x >= xa - 1) & (fib_x <= xb))
        px = np.concatenate((note_x, np.repeat(fib_x[rows], len(FIB_LEVELS))))
        py = np.concatenate((note_y - TEXT_LINE_PX, fib_y[rows].ravel() - TEXT_LINE_PX))
        which = np.concatenate((-1 - np.arange(len(note_x)),  # a note, or a fib row's level
                                (rows[:, None] * len(FIB_LEVELS)
                                 + np.arange(len(FIB_LEVELS))[None, :]).ravel()))  # fmt: skip
        seen = np.flatnonzero((px >= xa) & (px <= xb) & (py >= ya - TEXT_LINE_PX) & (py <= yb))
        seen = seen[np.argsort(-px[seen], kind="stable")]  # the latest first
        px, py, which = px[seen], py[seen], which[seen]
        cells = np.floor(px / LABEL_CELL_PX[0]) * 1e6 + np.floor(py / LABEL_CELL_PX[1])
        keep = np.sort(np.unique(cells, return_index=True)[1])[:MAX_LABELS]
        if not (len(keep) or chosen):
            return
        painter.save()
        painter.resetTransform()
        px, py, which = px[keep], py[keep], which[keep]
        fib, note = which >= 0, -1 - which[which < 0]
        count = self._note_lines[note]  # each note's lines, one label a line
        line_no = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        line = np.repeat(self._note_start[note], count) + line_no
        texts = [self._fib_text[w] for w in which[fib].tolist()]
        texts += [self._note_text[i] for i in line.tolist()]
        colours = [self._text_rgba] * int(fib.sum()) + [self._note_rgba[i] for i in line.tolist()]
        # moved into the view whole: a ratio by its width, a note by its widest line and
        # its lines' height (its last line is at its anchor, the lines before it above)
        widths = np.concatenate((self._fib_w[which[fib]], self._note_w[line]))
        n_fib = int(fib.sum())
        note_w = (np.maximum.reduceat(widths[n_fib:], np.cumsum(count) - count) if len(count)
                  else widths[:0])  # fmt: skip
        fib_left = np.maximum(np.minimum(px[fib] + 2, xb - 2 - widths[:n_fib]), xa + 2)
        note_left = np.maximum(np.minimum(px[~fib] + 4, xb - 2 - note_w), xa + 2)
        fib_top = np.clip(py[fib], ya, yb - TEXT_LINE_PX)
        note_top = np.maximum(
            np.minimum(py[~fib], yb - TEXT_LINE_PX), ya + TEXT_LINE_PX * (count - 1)
        )
        lefts = np.concatenate((fib_left, np.repeat(note_left, count)))
        tops = np.concatenate((fib_top, np.repeat(note_top, count) - TEXT_LINE_PX * line_no))
        self._atlas.draw(painter, lefts, tops, texts, colours)
        for k in chosen:
            pen = pg.mkPen(drawings[k].colour or DEFAULT_COLOUR, width=1.5)
            painter.setPen(pen)
            painter.setBrush(self._handle_brush)
            for x, y in self.anchor_points(k):
                if math.isfinite(x) and math.isfinite(y):
                    at = t.map(QtCore.QPointF(x, y))
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
    """The prices of the horizontal lines in view, on tags on the price axis. It follows
    the view through its layer (no signal of the axis or the view: at teardown those fire
    into half-deleted items)."""

    def __init__(self, axis: pg.AxisItem, layer: DrawingLayer) -> None:
        super().__init__()
        self.setParentItem(axis)
        self.setZValue(5)  # under the last-price tag
        self._axis = axis
        self._layer = layer
        self._font = QtGui.QFont()
        self._font.setPointSizeF(8.5)
        self._metrics = QtGui.QFontMetricsF(self._font)
        self._tag_h = self._metrics.height() + 2
        self._atlas = TextAtlas(self._font)
        self._k = np.empty(0, np.int64)  # the horizontal lines' drawing indices
        self._tags: list[tuple[str, float, QtGui.QColor]] = []
        self._shown, self._at = np.empty(0, np.int64), np.empty(0)  # see `_layout`
        self._laid_out: tuple | None = None  # the view and axis `_layout` was made for
        self._closed = False
        self._rect = QtCore.QRectF()  # the axis' (boundingRect must not ask the axis: Qt
        # asks for it as the axis deletes its children)
        set_has_contents(self, False)  # until a line's tag shows

    def follow_view(self) -> None:
        """The view's range (or size) or the lines changed: the tags move, and the axis'
        labels under them are not drawn (as under the last-price tag)."""
        if self._closed or (len(self._k) == 0 and len(self._shown) == 0
                            and self._laid_out is not None):  # fmt: skip
            return  # no lines: no tags to move (`set_lines` lays the next ones out)
        rect = self._axis_rect()
        view = self._axis.linkedView()
        key = (None if view is None else tuple(view.viewRange()[1]), rect.getRect())
        if key == self._laid_out:
            return  # a view change seen already (a frame tells it more than once)
        self._laid_out = key
        self.prepareGeometryChange()
        self._rect = rect
        self._shown, self._at = self._layout()
        set_has_contents(self, len(self._shown) > 0)
        half = self._tag_h / 2
        self._axis.reserve("lines", tuple((y - half, y + half)
                                          for y in self._at[self._shown].tolist()))  # fmt: skip
        self.update()

    def _layout(self) -> tuple[np.ndarray, np.ndarray]:
        """The lines whose tags show (one a row of text, at most MAX_TAGS) and where each
        line is on the axis, in its coordinates."""
        view = None if self._closed else self._axis.linkedView()
        box = self._rect
        if view is None or len(self._k) == 0 or box.isEmpty():
            return np.empty(0, np.int64), np.empty(0)
        (_, _), (y0, y1) = view.viewRange()
        if y1 <= y0:
            return np.empty(0, np.int64), np.empty(0)
        ys = self._layer._y[self._layer._anchors.first[self._k]]
        at = box.bottom() - (ys - y0) * box.height() / (y1 - y0)
        seen = np.flatnonzero((at >= box.top()) & (at <= box.bottom()))
        _, one_a_row = np.unique(np.floor(at[seen] / self._tag_h), return_index=True)  # apart
        return seen[np.sort(one_a_row)[:MAX_TAGS]], at

    def _axis_rect(self) -> QtCore.QRectF:
        """The axis' own area (its boundingRect reaches past it for its end labels)."""
        return self._axis.mapRectFromParent(self._axis.geometry())

    def close(self) -> None:
        self._closed = True

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(self._rect)

    def set_lines(self, k: np.ndarray, texts: list[str], colours: list[str]) -> None:
        """The horizontal lines (drawing indices `k`), their prices written and colours."""
        self._k = k
        self._laid_out = None  # laid out again by the next `follow_view`
        self._tags = []
        for text, colour in zip(texts, colours, strict=True):
            width = self._metrics.horizontalAdvance(text) + 6
            self._tags.append((text, width, QtGui.QColor(colour)))

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        shown, at = self._shown, self._at
        if self._closed or len(shown) == 0:
            return
        height, left = self._tag_h, self._rect.left()
        baseline = 1 - height / 2 + self._metrics.ascent()  # below the line's height
        texts = []
        for j, y in zip(shown.tolist(), at[shown].tolist(), strict=True):
            text, width, colour = self._tags[j]
            painter.fillRect(QtCore.QRectF(left, y - height / 2, width, height), colour)
            texts.append((QtCore.QPointF(left + 3, y + baseline), text, TAG_TEXT))
        self._atlas.draw_at_baselines(painter, texts)
