"""Widths of short texts (axis labels, legend values), each measured once per font: a pan or a
tick shows mostly the texts of the frame before, and measuring one costs more than drawing it
from a known width."""

from __future__ import annotations

from PySide6 import QtGui

MAX_TEXTS = 4096  # then start again: labels of a long session are not all kept


class TextWidths:
    def __init__(self) -> None:
        self._font_key: str | None = None
        self._metrics: QtGui.QFontMetricsF | None = None
        self._widths: dict[str, float] = {}

    def of(self, font: QtGui.QFont, text: str) -> float:
        key = font.key()
        if key != self._font_key:
            self._font_key, self._metrics, self._widths = key, QtGui.QFontMetricsF(font), {}
        width = self._widths.get(text)
        if width is None:
            if len(self._widths) >= MAX_TEXTS:
                self._widths.clear()
            width = self._widths[text] = self._metrics.horizontalAdvance(text)
        return width
