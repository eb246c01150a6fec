"""Small items composed onto a chart: the last-price line, alternate-day shading and the marks
of long gaps in time between adjacent bars."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from engine.gaps import gap_threshold_ns, long_gaps, session_holes
from engine.price_text import format_value
from engine.sessions import calendar as session_calendar
from engine.timeframes import is_intraday
from engine.units import NS_PER_DAY, NS_PER_HOUR, NS_PER_MIN
from widgets.axes import PriceAxisItem
from widgets.grid import ViewBackdrop, blend, set_has_contents, view_rect
from widgets.pg_compat import rect_array
from widgets.price_map import LINEAR, PriceMap
from widgets.series_model import SeriesModel
from widgets.theme import Theme

MAX_SHADED_BARS = 200_000  # beyond this zoom the day bands are too thin to help
MIN_DAY_PX = 20  # a day narrower than this on screen is not shaded (the bands were a barcode)


class LastPriceLine(pg.GraphicsObject):
    """A dashed horizontal line across the view at the last close, coloured by the bar's
    direction, with its price in a tag on the price axis (`tag`), clear of the candles. A
    tick repaints the thin strips the line leaves and enters, and the tag's two places.
    (pyqtgraph's InfiniteLine with a label took 0.25 ms a tick to move.)"""

    PAD_PX = 2

    def __init__(self, model: SeriesModel, theme: Theme, axis: pg.AxisItem) -> None:
        super().__init__()
        self._model = model
        self._price = math.nan
        self._y = math.nan  # the price's height in the view (its log on the log scale)
        self._up: bool | None = None
        self.decimals = 2
        self.price_map = LINEAR
        self._bounds: QtCore.QRectF | None = None  # kept until the view or the price moves
        self.tag = PriceTag(axis)
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
        self._disconnect()  # (not `close`: the tag goes on following the view)
        self._model = model
        self._connect()
        self._on_bars_changed()

    def set_theme(self, theme: Theme) -> None:
        """The line's pen and the tag's colours for an up and a down bar, made once."""
        self._pens = {up: pg.mkPen(colour, width=1, style=QtCore.Qt.PenStyle.DashLine)
                      for up, colour in ((True, theme.up), (False, theme.down))}  # fmt: skip
        self.tag.set_theme(theme)
        self._up = None  # restyle on the next update
        self._on_bars_changed()

    def set_decimals(self, decimals: int) -> None:
        self.decimals = decimals
        self._up = None
        self._on_bars_changed()

    def set_price_map(self, price_map: PriceMap) -> None:
        self.price_map = price_map
        self._up = None
        self._on_bars_changed()

    def value(self) -> float:
        return self._price

    def _on_bars_changed(self, *_args) -> None:
        n = len(self._model)
        self.setVisible(n > 0)
        self.tag.setVisible(n > 0)
        if n == 0:
            return
        close = float(self._model.column("close")[-1])
        up = bool(close >= self._model.column("open")[-1])
        if (close, up) == (self._price, self._up):
            return
        self._pen = self._pens[up]
        self._moved()
        self._price, self._up = close, up
        self._y = self.price_map.value(close)
        self.tag.show_price(self._y, format_value(close, self.decimals), up)

    def viewRangeChanged(self) -> None:
        """The strip spans the view; the tag follows the price's place on the axis."""
        self._moved()
        self.tag.place()

    def viewChanged(self, view, oldView) -> None:
        """The strip's pixels are the view's: a resize moves its edges in its values."""
        if isinstance(oldView, pg.ViewBox):
            oldView.sigResized.disconnect(self._moved)
        if isinstance(view, pg.ViewBox):
            view.sigResized.connect(self._moved)

    def _moved(self, *_args) -> None:
        self.prepareGeometryChange()
        self._bounds = None

    def boundingRect(self) -> QtCore.QRectF:
        """The strip, kept until the view or the price moves (Qt asks several times a
        frame)."""
        if self._bounds is None:
            self._bounds = self._strip()
        return QtCore.QRectF(self._bounds)

    def _strip(self) -> QtCore.QRectF:
        view = view_rect(self)
        vb = self.getViewBox()
        if view.isEmpty() or not math.isfinite(self._y) or vb.height() <= 0 or vb.width() <= 0:
            return QtCore.QRectF()
        px_w, px_h = view.width() / vb.width(), view.height() / vb.height()
        inset = self.PAD_PX * px_w  # off the view's edges, so a tick leaves the axes alone
        return QtCore.QRectF(view.left() + inset, self._y - self.PAD_PX * px_h,
                             view.width() - 2 * inset, 2 * self.PAD_PX * px_h)  # fmt: skip

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        bounds = self.boundingRect()
        if bounds.isEmpty():
            return
        painter.setPen(self._pen)
        painter.drawLine(QtCore.QPointF(bounds.left(), self._y),
                         QtCore.QPointF(bounds.right(), self._y))  # fmt: skip

    def _disconnect(self) -> None:
        for signal in self._signals():
            signal.disconnect(self._on_bars_changed)

    def close(self) -> None:
        self._disconnect()
        self.tag.close()


class AxisTag(pg.GraphicsObject):
    """A text on a filled tag over an axis (a price on a value axis, a time on the time
    axis), white on its brush."""

    PAD_PX = 3  # either side of the text

    def __init__(self, axis: pg.AxisItem, z: float) -> None:
        super().__init__()
        self.setParentItem(axis)
        self.setZValue(z)
        self._axis = axis
        self._text = ""
        self._font = QtGui.QFont()
        self._font.setPointSizeF(8.5)
        self._metrics = QtGui.QFontMetricsF(self._font)
        self._rect = QtCore.QRectF()
        self._text_pen = QtGui.QPen(QtGui.QColor("#ffffff"))
        self._brush = QtGui.QBrush()

    @property
    def text(self) -> str:
        return self._text

    def _set_text(self, text: str) -> None:
        if text != self._text:
            self.prepareGeometryChange()
            self._text = text
            self._rect = self._tag_rect(self._metrics.horizontalAdvance(text) + 2 * self.PAD_PX,
                                        self._metrics.height() + 2)  # fmt: skip

    def _tag_rect(self, width: float, height: float) -> QtCore.QRectF:
        """The tag's rect in its own coordinates, its position being its anchor."""
        return QtCore.QRectF(0, 0, width, height)

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(self._rect)

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        if not self._text:
            return
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(self._brush)
        painter.drawRect(self._rect)
        painter.setFont(self._font)
        painter.setPen(self._text_pen)
        painter.drawText(self._rect, QtCore.Qt.AlignmentFlag.AlignCenter, self._text)


class PriceTag(AxisTag):
    """A value on a value axis (the last price, the crosshair's): its text on a tag, at the
    value's height, drawn over the axis' labels, which it hides (`owner` names it to the
    axis). The axis keeps its picture in a pixmap cache, so moving the tag repaints two small
    rects from it, not the axis."""

    def __init__(self, axis: PriceAxisItem, owner: str = "last price", z: float = 10,
                 follow: bool = False) -> None:  # fmt: skip
        """`follow`: the tag follows its value when the view's y range changes (the last
        price's line moves it itself, with the line)."""
        super().__init__(axis, z)
        self._owner = owner
        self._view = axis.linkedView() if follow else None
        if self._view is not None:
            self._view.sigYRangeChanged.connect(self._on_y_range)
        axis.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        axis.geometryChanged.connect(self.place)
        self._y = math.nan  # the price's height in the view
        self._closed = False

    def close(self) -> None:
        """The chart closes: follow the axis no more (its teardown moves its geometry, and
        the axis must not be asked to repaint while its scene is cleared)."""
        if not self._closed:
            self._closed = True
            self._axis.geometryChanged.disconnect(self.place)
            if self._view is not None:
                self._view.sigYRangeChanged.disconnect(self._on_y_range)

    def _on_y_range(self, *_args) -> None:
        if math.isfinite(self._y):
            self.place()

    def set_theme(self, theme: Theme) -> None:
        self._brushes = {up: QtGui.QBrush(QtGui.QColor(colour))
                         for up, colour in ((True, theme.up), (False, theme.down))}  # fmt: skip
        self._brush = self._brushes[True]
        self.update()

    def show_price(self, y: float, text: str, up: bool) -> None:
        """The price `text` at height `y` in the view (its log on the log scale), on the
        colour of an up or a down bar."""
        self.show_text(y, text, self._brushes[up])

    def show_text(self, y: float, text: str, brush: QtGui.QBrush) -> None:
        """`text` at height `y` in the view, on `brush`."""
        self._brush = brush
        self._set_text(text)
        self._y = y
        self.place()
        self.update()

    def place(self) -> None:
        """At the price's height on the axis; hidden when the price is out of view."""
        if self._closed:
            return
        view = self._axis.linkedView()
        if view is None or not math.isfinite(self._y):
            return
        (_, _), (y0, y1) = view.viewRange()
        geometry = self._axis.mapRectFromParent(self._axis.geometry())
        if not y0 <= self._y <= y1 or y1 <= y0:
            self.setPos(geometry.left(), -1e6)  # off the axis, nothing repainted on ticks
            self._axis.reserve(self._owner, ())
            return
        y = geometry.bottom() - (self._y - y0) * geometry.height() / (y1 - y0)
        top = geometry.top() - self._rect.top()
        bottom = geometry.bottom() - self._rect.bottom()
        y = min(max(y, top), bottom)
        self.setPos(geometry.left() + 1, y)  # right of the axis line
        self._axis.reserve(self._owner, ((y + self._rect.top(), y + self._rect.bottom()),))

    def hide_tag(self) -> None:
        """Off the axis (its labels shown again) until shown again."""
        self._y = math.nan
        self.setPos(self.pos().x(), -1e6)
        self._axis.reserve(self._owner, ())

    def _tag_rect(self, width: float, height: float) -> QtCore.QRectF:
        return QtCore.QRectF(0, -height / 2, width, height)  # centred on its price


class DayShading(ViewBackdrop):
    """Every other trading day (`SeriesModel.day_numbers`) shaded, behind the candles, when zoomed
    in enough for days to be a useful guide (a day MIN_DAY_PX wide or more). One drawRects
    call."""

    def __init__(self, model: SeriesModel, theme: Theme) -> None:
        super().__init__()
        self._model = model
        self._rects = rect_array()
        self._window = (0, 0)  # the bars the rects are prepared for
        self._day_bars = 0.0  # the bars of a day there
        self._key = None  # the series' length and the stride then
        self._y = None  # the view's y range they span
        self.setZValue(-100)
        self.set_theme(theme)

    def set_model(self, model: SeriesModel) -> None:
        self._model = model
        self._key, self._day_bars = None, 0.0
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
        bar_px = vb.width() / (x1 - x0)
        if self._day_bars * bar_px < MIN_DAY_PX and self._day_bars:
            return  # days too narrow to guide (a day's bars known): nothing prepared either
        # Day edges to half a pixel: a zoomed-out view reads every stride-th bar's date.
        stride = max(1, int((x1 - x0) / max(vb.width(), 1.0) / 2))
        window = self._window
        if self._key != (n, stride) or not (window[0] <= first and stop <= window[1]):
            self._prepare_window(first, stop, n, stride)  # the view and a view either side
        if self._day_bars * bar_px < MIN_DAY_PX:
            return
        if (y0, y1) != self._y:
            self._y = (y0, y1)
            rows = self._rects.ndarray()
            rows[:, 1] = y0
            rows[:, 3] = y1 - y0
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(self._brush)
        painter.drawRects(*self._rects.drawargs())

    def _prepare_window(self, first: int, stop: int, n: int, stride: int) -> None:
        """The shaded days over the visible bars and a view more on either side: the frames
        of a pan reuse them until the view leaves that window. With `stride` > 1 (under half
        a pixel a bar) each day starts at the first of every stride-th bar in it."""
        extra = stop - first
        first, stop = max(0, first - extra), min(n, stop + extra)
        sample = self._model.column("ts_ns")[first:stop:stride]
        days = self._model.day_numbers(sample)
        starts = np.concatenate(([0], np.flatnonzero(days[1:] != days[:-1]) + 1))
        shaded = (days[starts] % 2) == 1
        bars = starts * stride + first
        ends = np.append(bars[1:], stop)
        s, e = bars[shaded], ends[shaded]
        self._day_bars = float(np.median(ends - bars))  # a day's bars, as many as most have
        self._rects.resize(len(s))
        rows = self._rects.ndarray()
        rows[:, 0] = s - 0.5
        rows[:, 2] = e - s
        self._window, self._key, self._y = (first, stop), (n, stride), None


def describe_gap(gap_ns: int) -> str:
    """A gap's length in words: minutes, hours, days, weeks, months or years."""
    if gap_ns < NS_PER_HOUR:
        return f"{round(gap_ns / NS_PER_MIN)} min"
    if gap_ns < NS_PER_DAY:
        return f"{gap_ns / NS_PER_HOUR:.1f} h".replace(".0 h", " h")
    days = gap_ns / NS_PER_DAY
    if days >= 548:
        return f"{days / 365.25:.1f} years"
    if days >= 60:
        return f"{round(days / 30.44)} months"
    if days >= 14:
        return f"{round(days / 7)} weeks"
    return f"{round(days)} days"


class GapMarkers(ViewBackdrop):
    """A dashed line between two adjacent bars far apart in time (history imported, then
    data from much later), labelled with how long the gap is: the x axis counts bars, so
    without it months or years would pass unseen between two candles. So too a hole in the
    calendar's sessions with no bars (the feed or the terminal down for an hour), labelled
    with the session time it lasted. Lines closer than LABEL_APART_PX share one label, which
    counts them and says their time together ("2 gaps, 2 h")."""

    PAD_PX = 4
    LABEL_APART_PX = 80

    def __init__(self, model: SeriesModel, theme: Theme) -> None:
        super().__init__()
        self._model = model
        self.gap_ix = np.empty(0, dtype=np.int64)
        self._held_ns = np.empty(0, dtype=np.int64)  # a hole's session time, -1 for a gap
        self.labels_drawn: list[str] = []  # by the last paint
        self._font = QtGui.QFont()
        self._font.setPointSizeF(8.5)
        self._metrics = QtGui.QFontMetricsF(self._font)
        self.setZValue(40)
        self._connect()
        self.set_theme(theme)

    def _slots(self):
        m = self._model
        return ((m.bars_reset, self._on_bars_reset), (m.bars_prepended, self._on_bars_prepended),
                (m.bars_corrected, self._on_bars_reset),
                (m.bars_appended, self._on_bars_appended))  # fmt: skip

    def _connect(self) -> None:
        for signal, slot in self._slots():
            signal.connect(slot)
        self._on_bars_reset()

    def close(self) -> None:
        for signal, slot in self._slots():
            signal.disconnect(slot)

    def set_model(self, model: SeriesModel) -> None:
        self.close()
        self._model = model
        self._connect()

    def set_theme(self, theme: Theme) -> None:
        self._pen = pg.mkPen(theme.foreground, width=1, style=QtCore.Qt.PenStyle.DashLine)
        self._text_pen = QtGui.QPen(QtGui.QColor(theme.foreground))
        self.update()

    def _found(self, first_ix: int, stop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The gaps and holes before bars [first_ix, stop): (bar indices, session time of
        each hole, -1 for a gap)."""
        m = self._model
        ts = m.column("ts_ns")[:stop]
        gaps = long_gaps(ts, self._threshold_ns, first_ix)
        if m.calendar is None:
            return gaps, np.full(len(gaps), -1, dtype=np.int64)
        holes, held = session_holes(ts, session_calendar(m.calendar), m.timeframe, first_ix)
        keep = ~np.isin(holes, gaps)  # a gap of months is said as one
        ix = np.concatenate((gaps, holes[keep]))
        order = np.argsort(ix, kind="stable")
        return ix[order], np.concatenate((np.full(len(gaps), -1), held[keep]))[order]

    def _show(self, ix: np.ndarray, held_ns: np.ndarray) -> None:
        self.gap_ix, self._held_ns = ix.astype(np.int64), held_ns.astype(np.int64)
        set_has_contents(self, len(ix) > 0)
        self.update()

    def _on_bars_reset(self, *_args) -> None:
        self._threshold_ns = gap_threshold_ns(self._model.timeframe)
        self._show(*self._found(1))

    def _on_bars_prepended(self, count: int) -> None:
        """Older bars in front: the gaps and holes among them and where they meet the bars
        there were, and those of the bars there were, moved up by `count`."""
        ix, held = self._found(1, count + 1)
        self._show(np.concatenate((ix, self.gap_ix + count)),
                   np.concatenate((held, self._held_ns)))  # fmt: skip

    def _on_bars_appended(self, first_ix: int) -> None:
        ix, held = self._found(first_ix)
        if len(ix):
            self._show(np.concatenate((self.gap_ix, ix)), np.concatenate((self._held_ns, held)))

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        vb = self.getViewBox()
        if vb is None or len(self.gap_ix) == 0:
            return
        (x0, x1), (y0, y1) = vb.viewRange()
        a, b = np.searchsorted(self.gap_ix, x0 + 0.5), np.searchsorted(self.gap_ix, x1 + 0.5)
        shown, held = self.gap_ix[a:b], self._held_ns[a:b]
        if len(shown) == 0:
            return
        ts = self._model.column("ts_ns")
        painter.setPen(self._pen)
        for ix in shown.tolist():
            painter.drawLine(QtCore.QPointF(ix - 0.5, y0), QtCore.QPointF(ix - 0.5, y1))
        transform = painter.transform()  # labels in device pixels, unscaled
        painter.resetTransform()
        painter.setFont(self._font)
        painter.setPen(self._text_pen)
        right = transform.map(QtCore.QPointF(x1, y0)).x()
        bottom = transform.map(QtCore.QPointF(x0, y0)).y() - self.PAD_PX
        px = [transform.map(QtCore.QPointF(ix - 0.5, y0)).x() for ix in shown.tolist()]
        lengths = [int(ts[ix]) - int(ts[ix - 1]) if held_ns < 0 else held_ns
                   for ix, held_ns in zip(shown.tolist(), held.tolist(), strict=True)]  # fmt: skip
        self.labels_drawn = []
        for at, text in self.labels(px, lengths):
            width = self._metrics.horizontalAdvance(text)
            x = at + self.PAD_PX
            if x + width > right:  # by the view's right edge: on the line's left
                x = at - self.PAD_PX - width
            painter.drawText(QtCore.QPointF(x, bottom), text)
            self.labels_drawn.append(text)
        painter.setTransform(transform)

    @classmethod
    def labels(cls, px: list[float], lengths: list[int]) -> list[tuple[float, str]]:
        """(x, text) of the labels of lines at `px` (in order) for gaps or holes of `lengths`
        ns: the lines within LABEL_APART_PX of a run's first share its label, which counts
        them and says their total (one said "gap 30 min" beside an unlabelled 1.6 h)."""
        out = []
        k = 0
        while k < len(px):
            j = k + 1
            while j < len(px) and px[j] - px[k] < cls.LABEL_APART_PX:
                j += 1
            total = describe_gap(sum(lengths[k:j]))
            out.append((px[k], f"gap {total}" if j - k == 1 else f"{j - k} gaps, {total}"))
            k = j
        return out
