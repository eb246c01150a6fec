"""Every use of pyqtgraph's internals, in one place (pyqtgraph 0.14; `pyproject.toml` pins the
range the tests prove). Items elsewhere use only its public API and these names."""

from __future__ import annotations

from pyqtgraph.Qt import internals
from PySide6 import QtCore


def rect_array() -> internals.PrimitiveArray:
    """A growable array of QRectF backed by numpy (`.resize(n)`, `.ndarray()` as an (n, 4)
    float view, `.drawargs()` for `QPainter.drawRects`): thousands of rectangles drawn in one
    native call, filled without a Python loop."""
    return internals.PrimitiveArray(QtCore.QRectF, 4)
