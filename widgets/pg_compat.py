"""Every use of pyqtgraph's internals, in one place (pyqtgraph 0.14; `pyproject.toml` pins the
range the tests prove). Items elsewhere use only its public API and these names."""

from __future__ import annotations

import pyqtgraph as pg
import shiboken6
from pyqtgraph.Qt import internals
from PySide6 import QtCore, QtGui

PrimitiveArray = internals.PrimitiveArray


def rect_array() -> internals.PrimitiveArray:
    """A growable array of QRectF backed by numpy (`.resize(n)`, `.ndarray()` as an (n, 4)
    float view, `.drawargs()` for `QPainter.drawRects`): thousands of rectangles drawn in one
    native call, filled without a Python loop."""
    return internals.PrimitiveArray(QtCore.QRectF, 4)


def line_array() -> internals.PrimitiveArray:
    """A growable array of QLineF backed by numpy (`.ndarray()` as an (n, 4) float view of
    x1, y1, x2, y2; `.drawargs()` for `QPainter.drawLines`)."""
    return internals.PrimitiveArray(QtCore.QLineF, 4)


def fragment_array() -> internals.PrimitiveArray:
    """A growable array of QPainter.PixmapFragment backed by numpy (`.ndarray()` as an
    (n, 10) float view of centre x, y, source left, top, width, height, scale x, y,
    rotation, opacity; `.drawargs()` then the pixmap for `QPainter.drawPixmapFragments`)."""
    return internals.PrimitiveArray(QtGui.QPainter.PixmapFragment, 10)


def draw_rect_rows(
    painter: QtGui.QPainter, array: internals.PrimitiveArray, start: int, stop: int
) -> None:
    """`painter.drawRects` of rows [start, stop) of a `rect_array`, without a copy."""
    if stop > start:
        rows = array.ndarray()
        at = rows.ctypes.data + start * rows.strides[0]
        painter.drawRects(shiboken6.wrapInstance(at, QtCore.QRectF), stop - start)


class AxisBase(pg.AxisItem):
    """pyqtgraph's AxisItem with the parts of it our axes build on named here: the draw
    specs cached in its `picture` slot (pyqtgraph clears the slot whenever the axis
    changes: range, size, pen, style), the room it reserves for its labels, and its title
    label skipped when hidden."""

    @property
    def specs(self):
        """The axis' draw specs, None once pyqtgraph or we mark the axis changed."""
        return self.picture

    @specs.setter
    def specs(self, specs) -> None:
        self.picture = specs

    def invalidate_specs(self) -> None:
        self.picture = None
        self.update()

    _text_px: int | None = None  # the room asked for last
    _bounds: tuple | None = None  # (what the bounding rect depends on, the rect)

    def boundingRect(self) -> QtCore.QRectF:
        """pyqtgraph's, kept while the geometry and tick style stay (Qt asks for it about
        ten times a frame). (With pyqtgraph's grid, it covers the view: not kept.)"""
        if self.grid is not False:
            return super().boundingRect()
        key = (self.geometry().getRect(), self.style["tickLength"],
               self.style["hideOverlappingLabels"])  # fmt: skip
        if self._bounds is None or self._bounds[0] != key:
            self._bounds = (key, super().boundingRect())
        return QtCore.QRectF(self._bounds[1])

    def reserve_text_size(self, px: int) -> None:
        """Room for labels `px` wide (a value axis) or high (a time axis). (Asking again for
        the same room would set the item's size limits again: a layout call a frame.)"""
        if px != self._text_px:
            self._text_px = px
            self._updateMaxTextSize(px)

    def _updateLabel(self) -> None:
        """Our axes show no title label, so skip typesetting its HTML, which pyqtgraph does
        on every pen, style or range change (a third of building an axis)."""
        if self.label.isVisible():
            super()._updateLabel()
            return
        self.invalidate_specs()
