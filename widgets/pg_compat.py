"""Every use of pyqtgraph's internals, in one place (pyqtgraph 0.14; `pyproject.toml` pins the
range the tests prove). Items elsewhere use only its public API and these names."""

from __future__ import annotations

import shiboken6
from pyqtgraph.Qt import internals
from PySide6 import QtCore, QtGui


def rect_array() -> internals.PrimitiveArray:
    """A growable array of QRectF backed by numpy (`.resize(n)`, `.ndarray()` as an (n, 4)
    float view, `.drawargs()` for `QPainter.drawRects`): thousands of rectangles drawn in one
    native call, filled without a Python loop."""
    return internals.PrimitiveArray(QtCore.QRectF, 4)


def draw_rect_rows(
    painter: QtGui.QPainter, array: internals.PrimitiveArray, start: int, stop: int
) -> None:
    """`painter.drawRects` of rows [start, stop) of a `rect_array`, without a copy."""
    if stop > start:
        rows = array.ndarray()
        at = rows.ctypes.data + start * rows.strides[0]
        painter.drawRects(shiboken6.wrapInstance(at, QtCore.QRectF), stop - start)
