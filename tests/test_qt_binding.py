"""The Qt binding must not drop references to None.

PySide6 6.12.0 on Python 3.11 decrements None's reference count once per call of many
methods (QPainter.setPen, drawRects, ...); a chart makes thousands of such calls a second and
crashes within minutes ("deallocating None"). pyproject.toml excludes it; this guards it."""

import sys

from PySide6 import QtCore, QtGui


def test_painter_calls_keep_none_alive(qapp):
    image = QtGui.QImage(64, 64, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    pen = QtGui.QPen()
    rect = QtCore.QRectF(1, 1, 10, 10)
    before = sys.getrefcount(None)
    for _ in range(5000):
        painter.setPen(pen)
        painter.drawRect(rect)
    painter.end()
    assert sys.getrefcount(None) >= before - 50
