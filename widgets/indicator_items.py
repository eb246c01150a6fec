"""Indicator views: lines, a histogram and a state band, drawn from arrays aligned with the
chart's bars (x = bar index). They draw the visible range only, sampled to about a point
per pixel when zoomed out; NaN (undefined) values break lines."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from engine.price_text import MISSING, format_value
from widgets.grid import blend
from widgets.pg_compat import rect_array
from widgets.price_map import LINEAR, PriceMap
from widgets.theme import Theme

# Distinct on the dark and the light background, and from the candles' teal and red.
PALETTE = ("#f5a623", "#2962ff", "#e040fb", "#00acc1", "#8d6e63", "#7cb342", "#ff7043",
           "#5c6bc0")  # fmt: skip
TREND_COLOURS = {1.0: "up", -1.0: "down", 0.5: "up", -0.5: "down"}
TREND_NAMES = {1.0: "up", -1.0: "down", 0.5: "up, fading", -0.5: "down, fading", 0.0: "none"}


def _stride(vb: pg.ViewBox, x_range: tuple[float, float] | None = None) -> int:
    """Every how many bars a value is drawn: about one a pixel (of `x_range` in view, the
    view's range by default)."""
    x0, x1 = vb.viewRange()[0] if x_range is None else x_range
    return max(1, int((x1 - x0) / max(vb.width(), 1.0)))


class _ArrayItem(pg.GraphicsObject):
    """Holds one values array; subclasses draw its visible part. The bounds are computed
    when the values are set (O(n) once) and widened by forming-bar updates (O(1))."""

    includes_zero = False
    price_map = LINEAR  # an overlay on the price pane draws through the pane's map

    def set_price_map(self, price_map: PriceMap) -> None:
        self.price_map = price_map
        self.set_values(self._values)

    def __init__(self, values: np.ndarray) -> None:
        super().__init__()
        # paint() is told which part is to be repainted (a tick's strip, or all)
        self.setFlag(self.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self._key = None
        self._bounds = QtCore.QRectF()
        self.set_values(values)

    @property
    def values(self) -> np.ndarray:
        return self._values

    def set_values(self, values: np.ndarray) -> None:
        self.prepareGeometryChange()
        self._values = np.asarray(values, dtype=np.float64)
        drawn = self.price_map.array(self._values)
        finite = drawn[np.isfinite(drawn)]
        if len(finite):
            lo, hi = float(finite.min()), float(finite.max())
            if self.includes_zero:
                lo, hi = min(lo, 0.0), max(hi, 0.0)
            self._bounds = QtCore.QRectF(-0.5, lo, len(self._values), max(hi - lo, 1e-12))
        else:
            self._bounds = QtCore.QRectF()
        self._key = None
        self.update()

    def set_last(self, value: float, ix: int | None = None) -> None:
        """The forming bar's value changed. `ix` is its index: one past the values (a new
        bar the batch values do not cover yet) extends them."""
        n = len(self._values)
        if ix is not None and ix == n:
            self._values = np.append(self._values, value)  # once a bar, not once a tick
            self.prepareGeometryChange()
            b = self._bounds
            self._bounds = QtCore.QRectF(-0.5, b.top(), n + 1, b.height())
        elif not n or (ix is not None and ix != n - 1):
            return
        old = self._values[-1]
        self._values[-1] = value
        self._on_last_changed()
        b = self._bounds
        value = self.price_map.value(value)
        if math.isfinite(value) and not (b.top() <= value <= b.bottom()):
            self.prepareGeometryChange()
            lo, hi = min(b.top(), value), max(b.bottom(), value)
            self._bounds = QtCore.QRectF(-0.5, lo, len(self._values), max(hi - lo, 1e-12))
        self._update_last(old)

    def _on_last_changed(self) -> None:
        """The last value changed: drop what was prepared from it."""
        self._key = None

    def _update_last(self, old: float) -> None:
        """Repaint where the last value was drawn and is now: the last two bars' columns,
        between the values there (a tick need not repaint the whole line, which spans the
        view and would repaint all of it)."""
        vb = self.getViewBox()
        n = len(self._values)
        if vb is None:
            self.update()
            return
        around = self.price_map.array(self._values[max(0, n - 2) :])
        ys = [v for v in (*around.tolist(), self.price_map.value(float(old))) if math.isfinite(v)]
        if self.includes_zero:
            ys.append(0.0)
        if not ys:
            return
        px_w, px_h = vb.viewPixelSize()
        lo, hi = min(ys) - 3 * px_h, max(ys) + 3 * px_h
        self.update(QtCore.QRectF(n - 2.5 - px_w, lo, 2.0 + 2 * px_w, hi - lo))

    def _visible(self) -> tuple[int, int, int]:
        """First, stop and stride of the bars to draw."""
        n = len(self._values)
        vb = self.getViewBox()
        if vb is None or n == 0:
            return 0, n, 1
        (x0, x1), _ = vb.viewRange()
        first, stop = max(0, math.floor(x0) - 1), min(n, math.ceil(x1) + 2)
        return first, max(first, stop), _stride(vb)

    def value_at(self, ix: int) -> float:
        return float(self._values[ix]) if 0 <= ix < len(self._values) else math.nan

    def legend_part(self, ix: int, decimals: int | None) -> tuple[str, str]:
        """The value at bar `ix` as a legend shows it, and its colour."""
        return format_value(self.value_at(ix), decimals), self.colour

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(self._bounds)

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        n = len(self._values)
        if n == 0:
            return None, None
        if ax == 0:
            return -0.5, n - 0.5
        first, stop, stride = 0, n, 1
        if orthoRange is not None:  # the values drawn there
            first = max(0, math.ceil(orthoRange[0] - 0.5))
            stop = min(n, math.floor(orthoRange[1] + 0.5) + 1)
            vb = self.getViewBox()
            stride = 1 if vb is None else _stride(vb, orthoRange)
        part = self.price_map.array(self._values[first:stop:stride])
        part = part[np.isfinite(part)]
        if len(part) == 0:
            return None, None
        lo, hi = float(part.min()), float(part.max())
        if self.includes_zero:
            lo, hi = min(lo, 0.0), max(hi, 0.0)
        return lo, hi


class LineItem(_ArrayItem):
    """A line through the values, NaN breaking it. The path stops before the last value,
    which a tick moves: the last segment is drawn on its own, so a tick neither rebuilds
    the path nor repaints more than that segment."""

    def __init__(self, values: np.ndarray, colour: str, width: int = 1) -> None:
        self.colour = colour
        self._pen = pg.mkPen(colour, width=width)
        self._path = QtGui.QPainterPath()
        self._path_end = -1  # the index of the path's last point
        self._breaks = np.empty(0, np.int64)  # bars no segment leads into (see set_breaks)
        super().__init__(values)

    def set_breaks(self, starts: np.ndarray) -> None:
        """Bars (sorted indices) where the line starts again, not joined to the bar before:
        a session VWAP's first bar of each day (a segment from yesterday's last value drew a
        move that never was)."""
        starts = np.asarray(starts, dtype=np.int64)
        if np.array_equal(starts, self._breaks):
            return  # (a tick's new value, a bar that opens no day)
        self._breaks = starts
        self._key = None
        self.update()

    def _broken(self, a: int, b: int) -> bool:
        """Whether the line starts again at a bar in (a, b]."""
        breaks = self._breaks
        return bool(len(breaks)) and int(np.searchsorted(breaks, a, side="right")) < int(
            np.searchsorted(breaks, b, side="right"))  # fmt: skip

    def _on_last_changed(self) -> None:
        """Only the separate last segment moves: the path stays."""

    def _make_path(self, x: np.ndarray, y: np.ndarray) -> QtGui.QPainterPath:
        """The path through the points, broken at NaNs and at the breaks between points."""
        if not len(x):
            return QtGui.QPainterPath()
        if not len(self._breaks):
            return pg.arrayToQPath(x, y, connect="finite")
        finite = np.isfinite(y)
        starts_again = np.searchsorted(self._breaks, x, side="right")  # breaks up to each x
        joined = finite[:-1] & finite[1:] & (starts_again[1:] == starts_again[:-1])
        return pg.arrayToQPath(x, np.where(finite, y, 0.0), connect=np.append(joined, False))

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        first, stop, stride = self._visible()
        n = len(self._values)
        end = min(stop, n - 1)  # the path: up to the bar before the last
        key = (first, end, stride)
        if key != self._key:
            x = np.arange(first, end, stride, dtype=np.float64)
            self._path = self._make_path(x, self.price_map.array(self._values[first:end:stride]))
            self._path_end = int(x[-1]) if len(x) else -1
            self._key = key
        painter.setPen(self._pen)
        exposed = args[0].exposedRect if args else None
        tail = math.floor(exposed.left()) - 1 if exposed is not None else first
        if stride == 1 and first < tail < self._path_end:  # a tick's strip: the points in it
            points = self.price_map.array(self._values[tail : self._path_end + 1])
            if np.all(np.isfinite(points)) and not self._broken(tail, self._path_end):
                painter.drawPolyline([QtCore.QPointF(tail + k, v)
                                      for k, v in enumerate(points.tolist())])  # fmt: skip
            else:
                painter.drawPath(self._path)
        else:
            painter.drawPath(self._path)
        if stop == n and self._path_end >= 0 and not self._broken(self._path_end, n - 1):
            a, b = (self.price_map.value(float(self._values[k])) for k in (self._path_end, n - 1))
            if math.isfinite(a) and math.isfinite(b):
                painter.drawLine(QtCore.QPointF(self._path_end, a), QtCore.QPointF(n - 1, b))


class HistogramItem(_ArrayItem):
    """Bars from zero, coloured by sign (MACD histogram)."""

    includes_zero = True

    def __init__(self, values: np.ndarray, theme: Theme) -> None:
        self._rects = {c: rect_array() for c in ("up", "down")}
        super().__init__(values)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self._colours = {c: blend(theme.background, getattr(theme, c), 0.7).name()
                         for c in ("up", "down")}  # fmt: skip
        self._brushes = {c: pg.mkBrush(colour) for c, colour in self._colours.items()}
        self.update()

    def legend_part(self, ix: int, decimals: int | None) -> tuple[str, str]:
        value = self.value_at(ix)
        return format_value(value, decimals), self._colours["down" if value < 0 else "up"]

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        first, stop, stride = self._visible()
        if (first, stop, stride) != self._key:
            x = np.arange(first, stop, stride, dtype=np.float64)
            y = np.nan_to_num(self._values[first:stop:stride])
            width = 0.7 * stride
            for colour, mask in (("up", y >= 0), ("down", y < 0)):
                array = self._rects[colour]
                array.resize(int(mask.sum()))
                rows = array.ndarray()
                rows[:, 0] = x[mask] - width / 2
                rows[:, 1] = 0.0
                rows[:, 2] = width
                rows[:, 3] = y[mask]
            self._key = (first, stop, stride)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        for colour in ("up", "down"):
            painter.setBrush(self._brushes[colour])
            painter.drawRects(*self._rects[colour].drawargs())


class StateBandItem(_ArrayItem):
    """A band coloured by a state per bar (the trend state: strong and faded colours)."""

    def __init__(self, values: np.ndarray, theme: Theme) -> None:
        self._rects = {s: rect_array() for s in TREND_COLOURS}
        super().__init__(values)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self._colours = {
            state: blend(theme.background, getattr(theme, colour),
                         0.9 if abs(state) == 1 else 0.35).name()
            for state, colour in TREND_COLOURS.items()
        }  # fmt: skip
        self._brushes = {state: pg.mkBrush(colour) for state, colour in self._colours.items()}
        self._foreground = theme.foreground
        self.update()

    def legend_part(self, ix: int, decimals: int | None) -> tuple[str, str]:
        state = self.value_at(ix)
        name = TREND_NAMES.get(state, MISSING)
        return name, self._colours.get(state, self._foreground)

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        return (-0.5, len(self._values) - 0.5) if ax == 0 else (0.0, 1.0)

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(-0.5, 0.0, max(len(self._values), 1), 1.0)

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        first, stop, stride = self._visible()
        if (first, stop, stride) != self._key:
            x = np.arange(first, stop, stride, dtype=np.float64)
            states = self._values[first:stop:stride]
            for state, array in self._rects.items():
                xs = x[states == state]
                array.resize(len(xs))
                rows = array.ndarray()
                rows[:, 0] = xs - stride / 2
                rows[:, 1] = 0.0
                rows[:, 2] = stride
                rows[:, 3] = 1.0
            self._key = (first, stop, stride)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        for state, array in self._rects.items():
            painter.setBrush(self._brushes[state])
            painter.drawRects(*array.drawargs())
