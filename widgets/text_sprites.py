"""Short texts (axis labels, legend values) measured once and drawn from a pixmap: a pan or a
tick shows mostly the texts of the frame before, and laying a text out again costs six times
blitting its pixmap (7 us against 1.2 us a label at 1600x900)."""

from __future__ import annotations

from PySide6 import QtCore, QtGui

MAX_TEXTS = 1024  # then start again: labels of a long session are not all kept (~2.5 MB)
OVERHANG_PX = 1  # a glyph may reach a little past its advance on either side
FIRST_SEEN = object()  # a text not drawn before
_TRANSLATE_ONLY = QtGui.QTransform.TransformationType.TxTranslate.value


class TextSprites:
    """Widths and pixmaps of the texts drawn in one font; a pixmap per (text, colour) at the
    painter's device pixel ratio."""

    def __init__(self, font: QtGui.QFont | None = None) -> None:
        self._font_key: str | None = None
        self.set_font(QtGui.QFont() if font is None else font)

    def set_font(self, font: QtGui.QFont) -> None:
        key = font.key()
        if key != self._font_key:
            self._font_key, self._font = key, QtGui.QFont(font)
            self._metrics = QtGui.QFontMetricsF(font)
            self._widths: dict[str, float] = {}
            self._pixmaps: dict[tuple[int, float], dict[str, QtGui.QPixmap | None]] = {}

    def width(self, text: str) -> float:
        width = self._widths.get(text)
        if width is None:
            if len(self._widths) >= MAX_TEXTS:
                self._widths.clear()
            width = self._widths[text] = self._metrics.horizontalAdvance(text)
        return width

    def draw(
        self,
        painter: QtGui.QPainter,
        texts: list[tuple[QtCore.QPointF, str]],
        colour: QtGui.QColor,
    ) -> None:
        """Each (baseline, text) of `texts` in `colour`, starting at its baseline point (as
        drawText). A text is drawn as text the first time and from its pixmap once it shows
        again (making a pixmap costs several drawings: a zoom's new labels are mostly not seen
        twice). Under a scaling transform the texts are laid out as usual (a pixmap would
        blur)."""
        if painter.transform().type().value > _TRANSLATE_ONLY:
            self._draw_texts(painter, texts, colour)
            return
        key = (colour.rgba(), painter.device().devicePixelRatioF())
        pixmaps = self._pixmaps.setdefault(key, {})
        if len(pixmaps) >= MAX_TEXTS:
            pixmaps.clear()
        up = self._metrics.ascent()
        first_seen = []
        for baseline, text in texts:
            pixmap = pixmaps.get(text, FIRST_SEEN)
            if pixmap is FIRST_SEEN:
                pixmaps[text] = None
                first_seen.append((baseline, text))
                continue
            if pixmap is None:
                pixmap = pixmaps[text] = self._render(text, colour, key[1])
            painter.drawPixmap(QtCore.QPointF(baseline.x() - OVERHANG_PX, baseline.y() - up),
                               pixmap)  # fmt: skip
        if first_seen:
            self._draw_texts(painter, first_seen, colour)

    def _draw_texts(self, painter: QtGui.QPainter, texts, colour: QtGui.QColor) -> None:
        painter.setFont(self._font)
        painter.setPen(colour)
        for baseline, text in texts:
            painter.drawText(baseline, text)

    def _render(self, text: str, colour: QtGui.QColor, ratio: float) -> QtGui.QPixmap:
        width = self.width(text) + 2 * OVERHANG_PX
        size = QtCore.QSize(round(width * ratio) + 1, round(self._metrics.height() * ratio) + 1)
        pixmap = QtGui.QPixmap(size)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(QtCore.Qt.GlobalColor.transparent)
        painter = QtGui.QPainter(pixmap)
        painter.setFont(self._font)
        painter.setPen(colour)
        painter.drawText(QtCore.QPointF(OVERHANG_PX, self._metrics.ascent()), text)
        painter.end()
        return pixmap
