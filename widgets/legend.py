"""A pane's legend: what the pane shows, one row per series (the bar's OHLCV, each indicator
with its parameters), with the values of the bar under the crosshair, or of the latest bar
when the crosshair is away, each value in its series' colour.

The legend is a child of the ViewBox itself, not of its data, so it stays in the view's
top-left corner whatever the zoom; it is drawn on a semi-opaque backing, a row too wide for
the view goes on over more lines (a narrow chart of a grid still shows the close), and lines
that do not fit its height are left out, never clipped."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from engine.price_text import MAX_DECIMALS, MIN_DECIMALS
from widgets.text_atlas import TextAtlas
from widgets.theme import Theme

PAD_PX = 4
GAP_PX = 8  # between a row's parts
WRAP_INDENT_PX = 8  # a row's further lines start this far in
BACKING_ALPHA = 0.78
POINT_SIZE = 8.5
LIVE_REFRESH_MS = 100

# A row's values at a bar index: (text, colour) parts drawn after its title.
Values = Callable[[int], list[tuple[str, str]]]


@dataclasses.dataclass
class LegendRow:
    key: str
    title: str
    colour: str
    values: Values


def price_decimals(prices: np.ndarray) -> int:
    """Decimals that write these prices exactly (0.25 ticks -> 2, 1.08345 -> 5), at least 2;
    for prices on no decimal grid (computed, not traded), six significant digits."""
    sample = prices[np.isfinite(prices)][-256:]
    if len(sample) == 0:
        return MIN_DECIMALS
    for decimals in range(MIN_DECIMALS, MAX_DECIMALS + 1):
        scaled = sample * 10.0**decimals
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6):
            return decimals
    magnitude = math.floor(math.log10(max(float(np.abs(sample).max()), 1e-12)))
    return min(max(MIN_DECIMALS, 5 - magnitude), MAX_DECIMALS)


class PaneLegend(pg.GraphicsObject):
    """The rows of one pane, in the top-left corner of its view (view pixels).

    Signals:
    lines_changed(): it takes another number of lines (its pane keeps them clear).
    """

    lines_changed = QtCore.Signal()

    def __init__(self, view: pg.ViewBox, theme: Theme) -> None:
        super().__init__()
        self.setParentItem(view)
        self.setZValue(1_000_000)  # over the view's data
        # Drawn once into a pixmap whenever its text changes, blitted on every other frame
        # (a pan repaints the whole view, legend included).
        self.setCacheMode(self.CacheMode.DeviceCoordinateCache)
        self._view = view
        self.rows: list[LegendRow] = []
        self.index: int | None = None  # the crosshair's bar; None: the latest
        self._last_ix = -1
        self._font = QtGui.QFont()
        self._font.setPointSizeF(POINT_SIZE)
        self._metrics = QtGui.QFontMetricsF(self._font)
        self._lines: list[list[tuple[float, str, QtGui.QColor]]] = []  # (x, text, colour)
        self._row_lines: list[int] = []  # each row's lines
        self._shown: tuple | None = None  # what the lines were laid out from
        self._texts = TextAtlas(self._font)
        self._rect = QtCore.QRectF()
        self._pending = False
        self._refreshed_at = 0.0  # monotonic seconds: long ago
        self.setPos(PAD_PX, PAD_PX)
        view.sigResized.connect(self.refresh)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        backing = QtGui.QColor(theme.background)
        backing.setAlphaF(BACKING_ALPHA)
        self._backing = QtGui.QBrush(backing)
        self._shown = None
        self.refresh()

    def add_row(self, row: LegendRow) -> None:
        self.rows.append(row)
        self.refresh()

    def remove_row(self, key: str) -> None:
        self.rows = [row for row in self.rows if row.key != key]
        self.refresh()

    def set_last_index(self, ix: int) -> None:
        """The latest bar (shown while the crosshair is away)."""
        self._last_ix = ix
        if self.index is None:
            self.refresh()

    def request_refresh(self) -> None:
        """Refresh soon: once the current event is done, and at most every LIVE_REFRESH_MS
        (ticks change a pane's series one by one, many times a second; the legend follows
        them ten times a second, which reads as live and costs a tenth)."""
        if not self._pending:
            self._pending = True
            wait_ms = LIVE_REFRESH_MS - (time.monotonic() - self._refreshed_at) * 1000.0
            QtCore.QTimer.singleShot(max(0, min(LIVE_REFRESH_MS, round(wait_ms))), self,
                                     self._refresh_pending)  # fmt: skip

    def _refresh_pending(self) -> None:
        self._pending = False
        self._refreshed_at = time.monotonic()
        self.refresh()

    def show_index(self, ix: int | None) -> None:
        self.index = ix
        self.refresh()

    def text(self) -> str:
        """What the legend shows, a line per row (for tests and accessibility)."""
        rows, start = [], 0
        for count in self._row_lines:
            parts = [part for line in self._lines[start : start + count] for _, part, _ in line]
            rows.append("  ".join(parts))
            start += count
        return "\n".join(rows)

    def refresh(self) -> None:
        """Lay the rows out for the bar shown and the view's size: each part's place and
        colour, a row's parts that do not fit the view's width on its next lines (a part is
        never cut, but one too wide alone on a line is elided), as many lines as fit its
        height."""
        ix = self._last_ix if self.index is None else self.index
        room_w = max(0.0, self._view.width() - 2 * PAD_PX)
        line_h = self._metrics.height()
        max_lines = int(max(0.0, self._view.height() - 2 * PAD_PX) // line_h)
        content = []
        for row in self.rows[:max_lines]:
            parts = [(row.title, row.colour)] if row.title else []
            if ix >= 0:
                parts += row.values(ix)
            content.append(parts)
        if (content, room_w, max_lines) == self._shown:
            return  # a tick that changed nothing shown here
        self._shown = (content, room_w, max_lines)
        lines, row_lines = [], []
        for parts in content:
            row = self._wrap(parts, room_w)[: max_lines - len(lines)]
            if not row:
                break
            lines += row
            row_lines.append(len(row))
        widest = max((x + self._texts.width(text) for line in lines for x, text, _ in line[-1:]),
                     default=0.0)  # fmt: skip
        self.prepareGeometryChange()
        more_or_fewer = len(lines) != len(self._lines)
        self._lines, self._row_lines = lines, row_lines
        height = len(lines) * line_h
        self._rect = QtCore.QRectF(-2, 0, widest + 4, height) if lines else QtCore.QRectF()
        self.update()
        if more_or_fewer:
            self.lines_changed.emit()

    def _wrap(self, parts: list[tuple[str, str]], room_w: float) -> list[list[tuple]]:
        """A row's parts as lines of (x, text, colour) within `room_w`: whole parts, the
        lines after the first indented; a part too wide alone on its line is elided."""
        lines, line, x = [], [], 0.0
        for text, colour in parts:
            width = self._texts.width(text)
            if x + width > room_w and line:  # on the next line
                lines.append(line)
                line, x = [], WRAP_INDENT_PX
            if x + width > room_w:
                text = self._metrics.elidedText(text, QtCore.Qt.TextElideMode.ElideRight,
                                                max(0.0, room_w - x))  # fmt: skip
                width = self._metrics.horizontalAdvance(text)
            line.append((x, text, QtGui.QColor(colour)))
            x += width + GAP_PX
        return [*lines, line] if line else lines

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(self._rect)

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        if not self._lines:
            return
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(self._backing)
        painter.drawRect(self._rect)
        ascent = self._metrics.ascent()
        line_h = self._metrics.height()
        self._texts.draw_at_baselines(painter, [
            (QtCore.QPointF(x, k * line_h + ascent), text, colour)
            for k, line in enumerate(self._lines) for x, text, colour in line
        ])  # fmt: skip

    def close(self) -> None:
        self._view.sigResized.disconnect(self.refresh)
