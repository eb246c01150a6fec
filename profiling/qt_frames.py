"""Frames of a Qt widget for the benchmarks: the application, a full paint of a view into an
image (as a window's backing store), and a cheap check that something was drawn."""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets

WIDTH, HEIGHT = 1600, 900


def app() -> QtWidgets.QApplication:
    return QtWidgets.QApplication.instance() or QtWidgets.QApplication([])


_IMAGES: dict[tuple[int, int], QtGui.QImage] = {}


def frame(widget) -> QtGui.QImage:
    """Paint the whole view into an image, reused from frame to frame like a window's
    backing store (the views first apply their new ranges, as the window would)."""
    widget.scene().prepareForPaint()
    size = (widget.width(), widget.height())
    image = _IMAGES.get(size)
    if image is None:
        image = QtGui.QImage(*size, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        _IMAGES[size] = image
    painter = QtGui.QPainter(image)
    widget.render(painter)
    painter.end()
    return image


def has_colour(image: QtGui.QImage, colour: str) -> bool:
    """Whether any pixel of a sparse grid has `colour` (a cheap 'candles were drawn')."""
    target = QtGui.QColor(colour)
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            if image.pixelColor(x, y) == target:
                return True
    return False
