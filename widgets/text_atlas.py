"""Short texts drawn from pixmaps, many in one native call: each (text, colour) is rendered
once into one pixmap, the atlas, and a frame's texts are pieces of it placed by one
`QPainter.drawPixmapFragments` (as pyqtgraph's scatter plot draws its symbols). Labels of
drawings, axes and legends: a pan or a tick shows mostly the texts of the frame before, and
laying a text out again costs several times placing its piece (160 labels take about 80 us
from the atlas, against 550 us drawn as QStaticText)."""

from __future__ import annotations

import math

import numpy as np
from PySide6 import QtCore, QtGui

from widgets.pg_compat import fragment_array

ATLAS_WIDTH_PX = 1024  # device pixels; a longer text is cut there
ATLAS_ROWS = 32  # rows of text held before it starts again (2 MB at 15 px a row: a chart
# holds about eight atlases, its axes, legends and drawings)
FIRST_ROWS = 2  # rows it is made with; it doubles as texts come (an axis needs one or two)
OVERHANG_PX = 1  # a glyph may reach a little past its advance on either side
MAX_WIDTHS = 1024  # text widths kept, then start again
MAX_SEEN = 4096  # texts remembered as drawn once, then start again
_TRANSLATE_ONLY = QtGui.QTransform.TransformationType.TxTranslate.value


class TextAtlas:
    """The labels of one font. `draw` places each text with its top-left corner at a point
    of the painter's device (its transform reset: logical pixels, rendered at the device's
    pixel ratio)."""

    def __init__(self, font: QtGui.QFont | None = None, first_sight: bool = False) -> None:
        """`first_sight`: a text goes into the atlas the first time it is drawn (an axis'
        labels, which a pan shows again frame after frame); otherwise the second time (a
        legend's values, which a tick replaces)."""
        self._first_sight = first_sight
        self._fragments = fragment_array()
        self._colours: dict[int, QtGui.QColor] = {}
        self._font_key: str | None = None
        self._ratio = 1.0
        self.set_font(QtGui.QFont() if font is None else font)

    def set_font(self, font: QtGui.QFont) -> None:
        if self._font_key is not None and font == self._font:  # (cheaper than its key)
            return
        key = font.key()
        if key != self._font_key:
            self._font_key, self._font = key, QtGui.QFont(font)
            self._metrics = QtGui.QFontMetricsF(self._font)
            self._widths: dict[str, float] = {}
            self._start(self._ratio)

    @property
    def metrics(self) -> QtGui.QFontMetricsF:
        """The font's metrics."""
        return self._metrics

    def width(self, text: str) -> float:
        """The text's advance, in the font's pixels."""
        width = self._widths.get(text)
        if width is None:
            if len(self._widths) >= MAX_WIDTHS:
                self._widths.clear()
            width = self._widths[text] = self._metrics.horizontalAdvance(text)
        return width

    def draw_at_baselines(self, painter: QtGui.QPainter, texts: list[tuple]) -> None:
        """Each (baseline, text, colour) starting at its baseline point, in the painter's
        coordinates (as drawText)."""
        if not texts:
            return
        up = self._metrics.ascent()
        left = np.array([b.x() for b, _, _ in texts])
        top = np.array([b.y() - up for b, _, _ in texts])
        self.draw_in_place(painter, left, top, [text for _, text, _ in texts],
                           [c.rgba() for _, _, c in texts])  # fmt: skip

    def draw_in_place(self, painter: QtGui.QPainter, left: np.ndarray, top: np.ndarray,
                      texts: list[str], rgba: list[int] | int) -> None:  # fmt: skip
        """As `draw`, the points in the painter's coordinates: under a translation from the
        atlas, under a scaling transform laid out as text (a pixmap would blur)."""
        if not texts:
            return
        t = painter.transform()
        if t.type().value > _TRANSLATE_ONLY:
            colours = [rgba] * len(texts) if isinstance(rgba, int) else rgba
            up = self._metrics.ascent()
            self.lay_out(painter, [
                (QtCore.QPointF(x, y + up), text, self._colour(c))
                for x, y, text, c in zip(np.asarray(left).tolist(), np.asarray(top).tolist(),
                                         texts, colours, strict=True)
            ])  # fmt: skip
            return
        painter.save()
        painter.resetTransform()
        self.draw(painter, np.asarray(left) + t.dx(), np.asarray(top) + t.dy(), texts, rgba)
        painter.restore()

    @property
    def held(self) -> int:
        """Texts rendered into the atlas."""
        return len(self._where)

    def _start(self, ratio: float) -> None:
        """An empty atlas for a device of pixel ratio `ratio`."""
        self._ratio = ratio
        self._row_px = math.ceil(self._metrics.height() * ratio) + 1
        self._rows = FIRST_ROWS
        self._pixmap = QtGui.QPixmap(ATLAS_WIDTH_PX, self._row_px * self._rows)
        self._pixmap.fill(QtCore.Qt.GlobalColor.transparent)
        self._where: dict[tuple[str, int], tuple[int, int, int, int]] = {}  # device px
        self._seen: set[tuple[str, int]] = set()  # drawn once as text, not in the atlas
        self._x, self._row = 0, 0

    def draw(self, painter: QtGui.QPainter, left: np.ndarray, top: np.ndarray,
             texts: list[str], rgba: list[int] | int) -> None:  # fmt: skip
        """Text k at (left[k], top[k]) in colour rgba[k] (QColor.rgba()), or all in `rgba`."""
        if not texts:
            return
        ratio = painter.device().devicePixelRatioF()
        if ratio != self._ratio:
            self._start(ratio)
        if isinstance(rgba, int):
            keys = [(text, rgba) for text in texts]
        else:
            keys = list(zip(texts, rgba, strict=True))
        source = [self._where.get(k) for k in keys]
        if None in source:  # texts not in the atlas yet
            keys, left, top = self._add(painter, keys, left, top)
            if not keys:
                return
            source = [self._where[k] for k in keys]
        source = np.array(source, np.float64)
        self._fragments.resize(len(keys))
        rows = self._fragments.ndarray()  # centre x, y, source x, y, w, h, scale x, y, angle, alpha
        rows[:, 0] = np.asarray(left) - OVERHANG_PX + source[:, 2] / (2 * ratio)
        rows[:, 1] = np.asarray(top) + source[:, 3] / (2 * ratio)
        rows[:, 2:6] = source
        rows[:, 6:10] = (1 / ratio, 1 / ratio, 0.0, 1.0)
        painter.drawPixmapFragments(*self._fragments.drawargs(), self._pixmap)

    def _add(self, painter, keys, left, top) -> tuple[list, np.ndarray, np.ndarray]:
        """Texts new to the atlas: those seen before (or all, at `first_sight`) rendered
        into it, the others drawn as text now (a tick's new price costs no more than its
        drawing). The keys and places left to draw from the atlas."""
        first = [] if self._first_sight else [
            k not in self._where and k not in self._seen for k in keys]  # fmt: skip
        if any(first):
            self._draw_as_text(painter, left, top, keys, first)
            keep = np.flatnonzero(~np.array(first))
            keys, left, top = [keys[i] for i in keep], np.asarray(left)[keep], np.asarray(top)[keep]
            if not keys:
                return keys, left, top
        missing = [k for k in dict.fromkeys(keys) if k not in self._where]
        if missing and not self._render(missing):  # full: start again with this frame's
            self._start(self._ratio)
            self._render(list(dict.fromkeys(keys)))
        return keys, left, top

    def _draw_as_text(self, painter, left, top, keys, chosen) -> None:
        """The `chosen` of `keys` laid out as text, and remembered as seen: the next time
        they show they are rendered into the atlas."""
        if len(self._seen) >= MAX_SEEN:
            self._seen.clear()
        up = self._metrics.ascent()
        texts = []
        for x, y, key, now in zip(np.asarray(left).tolist(), np.asarray(top).tolist(), keys,
                                  chosen, strict=True):  # fmt: skip
            if now:
                self._seen.add(key)
                texts.append((QtCore.QPointF(x, y + up), key[0], self._colour(key[1])))
        self.lay_out(painter, texts)

    def lay_out(self, painter: QtGui.QPainter, texts: list[tuple]) -> None:
        """Each (baseline, text, colour) laid out as text."""
        painter.setFont(self._font)
        for baseline, text, colour in texts:
            painter.setPen(colour)
            painter.drawText(baseline, text)

    def _colour(self, rgba: int) -> QtGui.QColor:
        colour = self._colours.get(rgba)
        if colour is None:
            colour = self._colours[rgba] = QtGui.QColor.fromRgba(rgba)
        return colour

    def _render(self, keys: list[tuple[str, int]]) -> bool:
        """Render `keys` into the atlas; False (nothing rendered) when they do not fit."""
        ratio = self._ratio
        widths = [min(math.ceil((self.width(text) + 2 * OVERHANG_PX) * ratio), ATLAS_WIDTH_PX)
                  for text, _ in keys]  # fmt: skip
        places, x, row = [], self._x, self._row
        for width in widths:
            if x + width > ATLAS_WIDTH_PX:
                x, row = 0, row + 1
            places.append((x, row))
            x += width
        if row >= ATLAS_ROWS:
            return False
        if row >= self._rows:
            self._grow(min(ATLAS_ROWS, max(2 * self._rows, row + 1)))
        self._pixmap.setDevicePixelRatio(ratio)
        painter = QtGui.QPainter(self._pixmap)
        painter.setFont(self._font)
        ascent = self._metrics.ascent()
        for (text, rgba), width, (x0, r) in zip(keys, widths, places, strict=True):
            painter.setPen(self._colour(rgba))
            painter.drawText(QtCore.QPointF(x0 / ratio + OVERHANG_PX,
                                            r * self._row_px / ratio + ascent), text)  # fmt: skip
            self._where[(text, rgba)] = (x0, r * self._row_px, width, self._row_px)
        painter.end()
        self._pixmap.setDevicePixelRatio(1.0)  # fragments are cut in device pixels
        self._x, self._row = x, row
        return True

    def _grow(self, rows: int) -> None:
        """Room for `rows` rows, the texts rendered so far kept where they are."""
        pixmap = QtGui.QPixmap(ATLAS_WIDTH_PX, self._row_px * rows)
        pixmap.fill(QtCore.Qt.GlobalColor.transparent)
        painter = QtGui.QPainter(pixmap)
        painter.setCompositionMode(QtGui.QPainter.CompositionMode.CompositionMode_Source)
        painter.drawPixmap(0, 0, self._pixmap)
        painter.end()
        self._pixmap, self._rows = pixmap, rows
