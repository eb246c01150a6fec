"""The parts a chart is laid out from: panes (a view with a value axis on its right and grid
lines under its items) and the caption line above them.

A pane is what a chart uses of pyqtgraph's PlotItem, without the rest: PlotItem builds
control and context menus, four axes and a title for every pane, about 10 ms of a new
two-pane window's 15 ms budget."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from widgets.axes import LeanAxisItem, PriceAxisItem
from widgets.grid import GridItem
from widgets.legend import PaneLegend
from widgets.theme import Theme

PRICE_AXIS_WIDTH_PX = 76
CAPTION_POINT_SIZE = 9
CAPTION_INDENT_PX = 6


class ChartViewBox(pg.ViewBox):
    """x zoom and pan by the mouse; y is the pane's to set (fitted to the visible values, or
    scaled by hand on the value axis, when a drag pans it too). pyqtgraph's own auto-range is
    off: it re-fits y after an x change only through a side path (see `Pane.fit_y`). No
    context menu (pyqtgraph's offers axis modes a chart does not have).

    `y_for_x(x0, x1)`, when set, gives the y range to show with a new x range (None: y
    stays): a pan or zoom sets both in one range update, so the range signals go out once
    a frame, not once for x and again for the fit.

    Signals:
        reset_requested(): the user double-clicked.
    """

    reset_requested = QtCore.Signal()

    def __init__(self) -> None:
        super().__init__(enableMenu=False)
        # No border: nothing of its own to paint (pyqtgraph's paint strokes a path with no
        # pen, and its border item is traversed, each frame).
        self.setFlag(self.GraphicsItemFlag.ItemHasNoContents)
        self.borderRect.hide()
        # The child group's transform changes with every pan and zoom; pyqtgraph's notice of
        # it (an itemChange into Python, then the view's bounds cache) serves its auto-range,
        # which a pane does not use.
        self.childGroup.setFlag(self.GraphicsItemFlag.ItemSendsGeometryChanges, False)
        self.setMouseEnabled(x=True, y=False)
        self.enableAutoRange(x=False, y=False)
        self.y_for_x: Callable[[float, float], tuple[float, float] | None] | None = None

    def updateViewRange(self, forceX=False, forceY=False) -> None:
        target = self.state["targetRange"]
        if self.y_for_x is not None and target[0] != self.state["viewRange"][0]:
            y = self.y_for_x(*target[0])
            if y is not None:
                target[1] = list(y)
        super().updateViewRange(forceX, forceY)

    def linkedViewChanged(self, view, axis) -> None:
        """A chart's panes stack in one column, as wide as each other: a linked x range is
        the other pane's, as it is (pyqtgraph maps it through both views' places on the
        screen, for views side by side: two of Qt's global mappings a pane a frame)."""
        if axis != self.XAxis or view is None or self.linksBlocked:
            super().linkedViewChanged(view, axis)
            return
        mine, theirs = self.sceneBoundingRect(), view.sceneBoundingRect()
        if (mine.left(), mine.width()) != (theirs.left(), theirs.width()):
            super().linkedViewChanged(view, axis)
            return
        view.blockLink(True)
        try:
            self.setXRange(*view.viewRange()[0], padding=0)
        finally:
            view.blockLink(False)

    def mouseDoubleClickEvent(self, event) -> None:
        self.reset_requested.emit()
        event.accept()

    def wheelEvent(self, event, axis=None) -> None:
        """The wheel over the view zooms time only, whatever the drag does to y."""
        super().wheelEvent(event, axis=0 if axis is None else axis)


@dataclasses.dataclass(frozen=True)
class Margins:
    """Room around the visible values when a pane fits them, as fractions of their span;
    with `legend`, the top one at least the legend's lines (up to MAX_LEGEND_SHARE of the
    pane): in a grid cell they wrap across the whole width, over the latest bars."""

    bottom: float
    top: float
    legend: bool = True


PRICE_MARGINS = Margins(0.08, 0.12)  # the legend sits at the top
VOLUME_MARGINS = Margins(0.04, 0.15, legend=False)  # a few pixels: a tick's repaint stays off
# the time axis; its legend is a word at the left
INDICATOR_MARGINS = Margins(0.08, 0.25)
MAX_LEGEND_SHARE = 0.3  # of a pane's height, kept clear for its legend at most
LEGEND_GAP_PX = 4


class Pane:
    """One of a chart's stacked panes: `view` (x = bar index) with `value_axis` on its right
    and `grid` lines at the value ticks and at the chart's time ticks. The chart places the
    view and the axis in its layout; the item methods mirror pyqtgraph's PlotItem so items
    and the crosshair take either. Its `legend` names what it shows.

    y follows the values in view (`fit_y`), from the items added without `ignoreBounds`
    (each answers `dataBounds(1, orthoRange=x range)` over what it draws there), until the
    user drags or wheels on the value axis; a double-click there fits again."""

    def __init__(self, time_axis: LeanAxisItem, theme: Theme, stretch: int, compact: bool,
                 margins: Margins = PRICE_MARGINS):  # fmt: skip
        self.stretch = stretch
        self.margins = margins
        self.shown = True  # in its chart's layout (a volume pane of a series without volume
        # is not)
        self.auto_fit = True
        self._fitted: tuple[float, float] | None = None  # the range fit_y last set
        self._fitted_x: list[float] | None = None  # the x range it was set with, if one
        self._fit_items: list[QtWidgets.QGraphicsItem] = []
        self.view = ChartViewBox()
        self.value_axis = PriceAxisItem(compact=compact)
        self.value_axis.setWidth(PRICE_AXIS_WIDTH_PX)
        self.value_axis.linkToView(self.view)
        self.value_axis.scale_requested.connect(self.scale_y)
        self.value_axis.fit_requested.connect(self.restore_fit)
        self.grid = GridItem(time_axis, self.value_axis, theme)
        self.view.addItem(self.grid, ignoreBounds=True)
        self.legend = PaneLegend(self.view, theme)
        self.legend.lines_changed.connect(self._on_legend_lines)
        self._lods: list = []  # the levels of detail of the series drawn here (LodState)
        self.view.sigXRangeChanged.connect(self._on_x_range_changed)
        self.view.sigResized.connect(self._follow_lods)
        self.view.y_for_x = self._y_for_x
        self.set_theme(theme)

    def addItem(self, item: QtWidgets.QGraphicsItem, ignoreBounds: bool = False) -> None:
        self.view.addItem(item, ignoreBounds=ignoreBounds)
        lod = getattr(item, "lod", None)  # a series drawn from the level-of-detail pyramid
        if lod is not None and lod not in self._lods:
            self._lods.append(lod)
            self._follow_lods()
        if not ignoreBounds:
            self._fit_items.append(item)
            self.fit_y()

    def removeItem(self, item: QtWidgets.QGraphicsItem) -> None:
        self.view.removeItem(item)
        lod = getattr(item, "lod", None)
        if lod in self._lods and not any(i.getViewBox() is self.view for i in lod.items):
            self._lods.remove(lod)
        if item in self._fit_items:
            self._fit_items.remove(item)
            self.fit_y()

    def getViewBox(self) -> ChartViewBox:
        return self.view

    def setXRange(self, x0: float, x1: float, padding: float = 0.0) -> None:
        self.view.setXRange(x0, x1, padding=padding)

    def set_theme(self, theme: Theme) -> None:
        style_axis(self.value_axis, theme)
        self.grid.set_theme(theme)
        self.legend.set_theme(theme)

    # -- the y range -------------------------------------------------------------------------

    def _on_x_range_changed(self, _view, x_range) -> None:
        if list(x_range) != self._fitted_x:  # not fitted with it (y follows by hand)
            self._follow_lods()
            self.fit_y()

    def _follow_lods(self, *_args) -> None:
        """The level each series draws at, for the view's new range or size (before y fits
        what those levels draw)."""
        (x0, x1), _ = self.view.viewRange()
        self._follow_lods_at(x0, x1)

    def _follow_lods_at(self, x0: float, x1: float) -> None:
        for lod in self._lods:
            lod.follow(x0, x1, self.view.width())

    def _y_for_x(self, x0: float, x1: float) -> tuple[float, float] | None:
        """The y range a new x range [x0, x1] shows (see `ChartViewBox.y_for_x`): the fit
        of what the levels for it draw there, or None (y stays)."""
        if not self.auto_fit:
            return None
        self._follow_lods_at(x0, x1)
        target = self._fit_target(self.visible_bounds((x0, x1)))
        self._fitted_x = None if target is None else [x0, x1]
        if target is not None:
            self._fitted = target
        return target

    def visible_bounds(self, x_range: tuple[float, float] | None = None
                       ) -> tuple[float, float] | None:  # fmt: skip
        """Lowest and highest value the pane's items draw in `x_range` (the visible one by
        default)."""
        (x0, x1) = self.view.viewRange()[0] if x_range is None else x_range
        lo, hi = math.inf, -math.inf
        for item in self._fit_items:
            if not item.isVisible():
                continue
            a, b = item.dataBounds(1, orthoRange=(x0, x1))
            if a is not None and math.isfinite(a) and math.isfinite(b):
                lo, hi = min(lo, a), max(hi, b)
        return (lo, hi) if lo <= hi else None

    def fit_y(self, force: bool = False, also: tuple[float, float] | None = None) -> None:
        """Fit y to the values in view (and to `also`), plus the margins; nothing is set
        when they have not changed (a pan along a flat stretch repaints no axis) or the user
        scales by hand."""
        if not self.auto_fit:
            return
        bounds = self.visible_bounds()
        if bounds is not None and also is not None:
            bounds = min(bounds[0], also[0]), max(bounds[1], also[1])
        target = self._fit_target(bounds)
        if target is not None and (force or target != self._fitted):
            self._fitted = target
            self.view.setYRange(*target, padding=0)

    def _fit_target(self, bounds: tuple[float, float] | None) -> tuple[float, float] | None:
        """The y range showing values `bounds` (low, high) with the margins."""
        if bounds is None:
            return None
        lo, hi = bounds
        span = hi - lo
        if span <= 0:
            span = max(abs(hi) * 1e-3, 1e-9)
        top, share = span * self.margins.top, self._legend_share()
        if share:  # the top `share` of the view above the highest value
            top = max(top, share * span * (1 + self.margins.bottom) / (1 - share))
        return (lo - span * self.margins.bottom, hi + top)

    def _on_legend_lines(self) -> None:
        """An indicator's row came (or a narrower view wrapped the rows): fit again, if the
        margins keep the legend's lines clear."""
        if self.margins.legend:
            self.fit_y()

    def _legend_share(self) -> float:
        """The share of the view's height the legend's lines take from its top, with a gap
        (0 when the margins do not keep them clear)."""
        height, rect = self.view.height(), self.legend.boundingRect()
        if not self.margins.legend or height <= 0 or rect.isEmpty():
            return 0.0
        return min(MAX_LEGEND_SHARE, (self.legend.pos().y() + rect.bottom() + LEGEND_GAP_PX)
                   / height)  # fmt: skip

    def contain(self, lo: float, hi: float, headroom: float = 0.0) -> None:
        """Values [lo, hi] now show in view (a tick's forming bar): fit again only if they
        fall outside the range, so most ticks repaint just their bar; then leave `headroom`
        (a fraction of hi - lo) above them, for a value that keeps growing (a forming bar's
        volume) to rescale the pane now and then, not on every tick."""
        (_, _), (y0, y1) = self.view.viewRange()
        if not (y0 <= lo and hi <= y1):
            self.fit_y(also=(lo, hi + (hi - lo) * headroom))

    def scale_y(self, factor: float, anchor: float | None = None) -> None:
        """Stretch (factor < 1) or compress the y range around `anchor` (its middle by
        default), by hand: the pane stops fitting and a drag in it pans y too."""
        (_, _), (y0, y1) = self.view.viewRange()
        if anchor is None:
            anchor = (y0 + y1) / 2
        self.auto_fit = False
        self.view.setMouseEnabled(x=True, y=True)
        self.view.setYRange(anchor - (anchor - y0) * factor, anchor + (y1 - anchor) * factor,
                            padding=0)  # fmt: skip

    def restore_fit(self) -> None:
        """Back to fitting y to the values in view."""
        self.auto_fit = True
        self.view.setMouseEnabled(x=True, y=False)
        self.fit_y(force=True)


def style_axis(axis: pg.AxisItem, theme: Theme) -> None:
    axis.setPen(theme.foreground)
    axis.setTextPen(theme.foreground)


@functools.cache
def caption_font() -> tuple[QtGui.QFont, float]:
    """The caption's font and line height (measuring a font takes half a millisecond)."""
    font = QtGui.QFont()
    font.setPointSizeF(CAPTION_POINT_SIZE)
    return font, QtGui.QFontMetricsF(font).height()


class Caption(pg.GraphicsWidget):
    """One line of text, left-aligned, a row of its own (which series a chart shows)."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self._pen = QtGui.QPen()
        self._font, height = caption_font()
        height += 2
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred,
                           QtWidgets.QSizePolicy.Policy.Fixed)  # fmt: skip
        self.setPreferredHeight(height)
        self.setMinimumHeight(height)
        self.setMaximumHeight(height)
        self.setCacheMode(self.CacheMode.DeviceCoordinateCache)  # text drawn once, then blitted

    def set_text(self, text: str, colour: str) -> None:
        self.text = text
        self._pen = QtGui.QPen(QtGui.QColor(colour))
        self.update()

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        painter.setPen(self._pen)
        painter.setFont(self._font)
        room = self.boundingRect().adjusted(CAPTION_INDENT_PX, 0, 0, 0)
        flags = QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter
        painter.drawText(room, flags, self.text)
