"""Every use of pyqtgraph's internals, in one place (pyqtgraph 0.14; `pyproject.toml` pins the
range the tests prove). Items elsewhere use only its public API and these names."""

from __future__ import annotations

import pyqtgraph as pg
import shiboken6
from pyqtgraph.Qt import internals
from PySide6 import QtCore, QtGui


class PrimitiveArray(internals.PrimitiveArray):
    """pyqtgraph's array of Qt primitives backed by numpy, its memory's address kept while
    the buffer stays (pyqtgraph asks numpy for it through ctypes on every draw: a few
    microseconds, several times a frame)."""

    _held: tuple | None = None  # (the buffer, its address, the primitive wrapped there)

    def _address(self) -> tuple[int, object]:
        buffer = self._ndarray
        if self._held is None or self._held[0] is not buffer:
            address = buffer.__array_interface__["data"][0]
            self._held = (buffer, address, shiboken6.wrapInstance(address, self._Klass))
        return self._held[1], self._held[2]

    def drawargs(self):
        if not self.use_ptr_to_array or self._capa <= 0:
            return super().drawargs()
        return self._address()[1], self._size

    def draw_rows(self, painter: QtGui.QPainter, start: int, stop: int) -> None:
        """`painter.drawRects` of rows [start, stop) of a rect array, without a copy."""
        if stop <= start:
            return
        if not self.use_ptr_to_array or self._capa <= 0:
            painter.drawRects(self.instances()[start:stop])
            return
        address, first = self._address()
        at = first if start == 0 else shiboken6.wrapInstance(
            address + start * self._nfields * 8, self._Klass)  # fmt: skip
        painter.drawRects(at, stop - start)


def rect_array() -> PrimitiveArray:
    """A growable array of QRectF backed by numpy (`.resize(n)`, `.ndarray()` as an (n, 4)
    float view, `.drawargs()` for `QPainter.drawRects`): thousands of rectangles drawn in one
    native call, filled without a Python loop."""
    return PrimitiveArray(QtCore.QRectF, 4)


def line_array() -> PrimitiveArray:
    """A growable array of QLineF backed by numpy (`.ndarray()` as an (n, 4) float view of
    x1, y1, x2, y2; `.drawargs()` for `QPainter.drawLines`)."""
    return PrimitiveArray(QtCore.QLineF, 4)


def fragment_array() -> PrimitiveArray:
    """A growable array of QPainter.PixmapFragment backed by numpy (`.ndarray()` as an
    (n, 10) float view of centre x, y, source left, top, width, height, scale x, y,
    rotation, opacity; `.drawargs()` then the pixmap for `QPainter.drawPixmapFragments`)."""
    return PrimitiveArray(QtGui.QPainter.PixmapFragment, 10)


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
    _looks: tuple | None = None  # see `looks`

    def looks(self) -> tuple[QtGui.QBrush, QtGui.QPen, int]:
        """The axis line's brush, the ticks' pen and the labels' colour (QColor.rgba()),
        kept until a pen is set (pyqtgraph makes each pen anew on every call)."""
        if self._looks is None:
            self._looks = (QtGui.QBrush(self.pen().color()), self.tickPen(),
                           self.textPen().color().rgba())  # fmt: skip
        return self._looks

    def setPen(self, *args, **kwargs) -> None:
        self._looks = None
        super().setPen(*args, **kwargs)

    def setTextPen(self, *args, **kwargs) -> None:
        self._looks = None
        super().setTextPen(*args, **kwargs)

    def setTickPen(self, *args, **kwargs) -> None:
        self._looks = None
        super().setTickPen(*args, **kwargs)

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
