"""Shift+drag on the price pane measures (TradingView's way): a box from where the drag began
to the mouse, shaded by the move's direction, and a label with the price change and its
percent, the bars and the time between the two points. It stays until the next click or Esc.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui

from engine.price_text import format_value
from engine.units import NS_PER_DAY, NS_PER_HOUR, NS_PER_MIN
from widgets.grid import ViewBackdrop, set_has_contents
from widgets.price_map import LINEAR, PriceMap
from widgets.series_model import SeriesModel
from widgets.theme import Theme

SHADE_ALPHA = 50  # of 255
LABEL_PAD_PX = 6
LABEL_GAP_PX = 4


def span_text(ns: int) -> str:
    """A length of time as a trader reads it: "2d 4h", "3h 45m", "45m"."""
    days, rest = divmod(abs(int(ns)), NS_PER_DAY)
    hours, rest = divmod(rest, NS_PER_HOUR)
    minutes = rest // NS_PER_MIN
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def measure_text(model: SeriesModel, price_map: PriceMap, decimals: int,
                 start: tuple[float, float], end: tuple[float, float]) -> list[str]:  # fmt: skip
    """The label's lines for a measure from `start` to `end` (view x, y): the price change
    with its percent of the start's price, then the bars between them and the time from the
    one bar to the other."""
    p0, p1 = price_map.price(start[1]), price_map.price(end[1])
    change = p1 - p0
    sign = "+" if change >= 0 else "\u2212"
    percent = abs(change) / abs(p0) * 100.0 if p0 else float("nan")
    lines = [f"{sign}{format_value(abs(change), decimals)} ({sign}{percent:.2f}%)"]
    n = len(model)
    if n:
        a, b = (int(np.clip(round(x), 0, n - 1)) for x in (start[0], end[0]))
        bars = abs(round(end[0]) - round(start[0]))
        ts = model.column("ts_ns")
        lines.append(f"{bars} bar{'s' * (bars != 1)}, {span_text(int(ts[b]) - int(ts[a]))}")
    return lines


class MeasureItem(ViewBackdrop):
    """The measure on a price pane (covering the view, as the drawings do)."""

    def __init__(self, model: SeriesModel, theme: Theme) -> None:
        super().__init__()
        self.setZValue(45)
        self.model = model
        model.bars_prepended.connect(self._on_prepended)
        self.price_map = LINEAR
        self.decimals = 2
        self.start: tuple[float, float] | None = None
        self.end: tuple[float, float] | None = None
        self._font = QtGui.QFont()
        self._metrics = QtGui.QFontMetricsF(self._font)
        self.set_theme(theme)
        set_has_contents(self, False)

    def set_theme(self, theme: Theme) -> None:
        self._colours = {}
        for up, name in ((True, theme.up), (False, theme.down)):
            edge = QtGui.QColor(name)
            shade = QtGui.QColor(edge)
            shade.setAlpha(SHADE_ALPHA)
            self._colours[up] = (QtGui.QBrush(shade), QtGui.QBrush(edge))
        self._text_pen = QtGui.QPen(QtGui.QColor("#ffffff"))
        self.update()

    def set_model(self, model: SeriesModel) -> None:
        self.model.bars_prepended.disconnect(self._on_prepended)
        self.model = model
        model.bars_prepended.connect(self._on_prepended)
        self.clear()

    def close(self) -> None:
        self.model.bars_prepended.disconnect(self._on_prepended)

    def _on_prepended(self, count: int) -> None:
        """Older bars came in front: the measure stays on its bars (their indices moved)."""
        if self.shown and count:
            (x0, y0), (x1, y1) = self.start, self.end
            self.set_points((x0 + count, y0), (x1 + count, y1))

    def set_price_map(self, price_map: PriceMap) -> None:
        self.price_map = price_map
        self.clear()  # its heights were on the other scale

    @property
    def shown(self) -> bool:
        return self.start is not None and self.end is not None

    def set_points(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        """A measure from `start` to `end`, in view coordinates (x a bar index, y a price's
        height on the price scale)."""
        self.start, self.end = start, end
        set_has_contents(self, True)
        super().viewRangeChanged()  # its bounds are the view's (not followed while hidden)
        self.update()

    def viewRangeChanged(self) -> None:
        """Follow the view only while shown: a pan frame asks nothing of a hidden measure."""
        if self.shown:
            super().viewRangeChanged()

    def clear(self) -> None:
        self.start = self.end = None
        set_has_contents(self, False)
        self.update()

    def lines(self) -> list[str]:
        return measure_text(self.model, self.price_map, self.decimals, self.start, self.end)

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        if not self.shown:
            return
        (x0, y0), (x1, y1) = self.start, self.end
        shade, edge = self._colours[y1 >= y0]
        t = painter.transform()
        box = t.mapRect(QtCore.QRectF(QtCore.QPointF(x0, y0), QtCore.QPointF(x1, y1)))
        box = box.normalized()
        painter.save()
        painter.resetTransform()  # pixels from here: crisp edges and text
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(shade)
        painter.drawRect(box)
        painter.setBrush(edge)
        for y in (box.top(), box.bottom()):
            painter.drawRect(QtCore.QRectF(box.left(), y, box.width(), 1))
        lines = self.lines()
        height = self._metrics.height() * len(lines) + LABEL_PAD_PX
        width = max(self._metrics.horizontalAdvance(s) for s in lines) + 2 * LABEL_PAD_PX
        view = t.mapRect(self.boundingRect()).normalized()
        up = y1 >= y0  # the label beyond the end of the move: above a rise, below a fall
        top = box.top() - LABEL_GAP_PX - height if up else box.bottom() + LABEL_GAP_PX
        top = min(max(top, view.top()), view.bottom() - height)
        left = min(max(box.center().x() - width / 2, view.left()), view.right() - width)
        label = QtCore.QRectF(left, top, width, height)
        painter.drawRoundedRect(label, 3, 3)
        painter.setFont(self._font)
        painter.setPen(self._text_pen)
        painter.drawText(label, QtCore.Qt.AlignmentFlag.AlignCenter, "\n".join(lines))
        painter.restore()
