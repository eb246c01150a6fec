"""Grid lines at the axes' ticks: one drawRects call of pixel-thin opaque fills, under the
candles. (pyqtgraph's axis grid, drawn by each axis over the whole view, cost most of a frame
at 1600x900.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from widgets.pg_compat import rect_array
from widgets.theme import Theme

if TYPE_CHECKING:
    from widgets.axes import LeanAxisItem


def blend(background: str, foreground: str, alpha: float) -> QtGui.QColor:
    """The opaque colour of `foreground` drawn at `alpha` over `background`."""
    bg, fg = QtGui.QColor(background), QtGui.QColor(foreground)
    mix = [
        round(b + (f - b) * alpha) for b, f in zip(bg.getRgb()[:3], fg.getRgb()[:3], strict=True)
    ]
    return QtGui.QColor(*mix)


def view_rect(item: pg.GraphicsObject) -> QtCore.QRectF:
    """The visible area of the item's view, in data coordinates (for items that cover it)."""
    vb = item.getViewBox()
    if not isinstance(vb, pg.ViewBox):  # none yet (or the scene's view, as it is added)
        return QtCore.QRectF()
    (x0, x1), (y0, y1) = vb.viewRange()
    return QtCore.QRectF(x0, y0, x1 - x0, y1 - y0)


class ViewBackdrop(pg.GraphicsObject):
    """An item that covers its view's visible area (grid lines, shading) and takes no part
    in the view's bounds. The area is kept from the view's range changes, not asked of the
    view on every one of Qt's many calls of boundingRect a frame."""

    _view: QtCore.QRectF | None = None

    def boundingRect(self) -> QtCore.QRectF:
        if self._view is None:
            self._view = view_rect(self)
        return QtCore.QRectF(self._view)

    def viewRangeChanged(self) -> None:
        rect = view_rect(self)
        if self._view is None or rect != self._view:  # (a transform change tells it again)
            self.prepareGeometryChange()
            self._view = rect

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        return None, None


def set_has_contents(item: QtWidgets.QGraphicsItem, has_contents: bool) -> None:
    """Whether Qt paints `item` at all: one with nothing to draw (no drawings, no gaps) is
    left out of every frame's painting, and still takes the mouse."""
    item.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, not has_contents)


class GridItem(ViewBackdrop):
    """Vertical lines at the x axis' ticks, horizontal at the y axis' ticks."""

    def __init__(self, x_axis: LeanAxisItem, y_axis: LeanAxisItem, theme: Theme) -> None:
        super().__init__()
        self._x_axis = x_axis
        self._y_axis = y_axis
        self._lines = rect_array()
        self._key = None
        self.setZValue(-90)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self._brush = pg.mkBrush(blend(theme.background, theme.foreground, theme.grid_alpha))
        self.update()

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        vb = self.getViewBox()
        if vb is None:
            return
        (x0, x1), (y0, y1) = vb.viewRange()
        transform = painter.transform()  # the view's values to device pixels: a scaling
        px_w, px_h = abs(transform.m11()), abs(transform.m22())
        if px_w == 0 or px_h == 0:
            return
        key = (x0, x1, y0, y1, px_w, px_h)
        if key != self._key:  # a tick repaints parts of the view: reuse the lines
            self._key = key
            self._fill(x0, x1, y0, y1, 1.0 / px_w, 1.0 / px_h)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(self._brush)
        painter.drawRects(*self._lines.drawargs())

    def _fill(self, x0, x1, y0, y1, px_w, px_h) -> None:
        """Lines a device pixel (`px_w` by `px_h` in the view's values) thick, as filled
        rects (a fill costs a sixth of a cosmetic line under the view's scaling)."""
        xs = self._x_axis.major_ticks(x0, x1)  # minor ones crowd small panes
        ys = self._y_axis.major_ticks(y0, y1)
        self._lines.resize(len(xs) + len(ys))
        rows = self._lines.ndarray()
        rows[: len(xs), 0] = np.asarray(xs) - px_w / 2
        rows[: len(xs), 1] = y0
        rows[: len(xs), 2] = px_w
        rows[: len(xs), 3] = y1 - y0
        rows[len(xs) :, 0] = x0
        rows[len(xs) :, 1] = np.asarray(ys) - px_h / 2
        rows[len(xs) :, 2] = x1 - x0
        rows[len(xs) :, 3] = px_h
