"""Labels drawn from the text atlas look as the same texts drawn as text, on any device pixel
ratio, and when the atlas fills up and starts again."""

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

import widgets.text_atlas as text_atlas
from widgets.text_atlas import TextAtlas
from widgets.theme import DARK

TEXTS = ["0.618 (41234.50)", "support?", "1 (39876.25)", "Mon 01 18:00"]
COLOURS = ["#d1d4dc", "#2962ff", "#ffffff", "#ef5350"]


def render(labels, atlas: TextAtlas | None, ratio: float = 1.0) -> np.ndarray:
    """`labels` (left, top, text, colour) drawn as text (atlas None) or from the atlas on
    an image of device pixel ratio `ratio`; the ink over the background, in device
    pixels."""
    image = QtGui.QImage(round(300 * ratio), round(120 * ratio),
                         QtGui.QImage.Format.Format_ARGB32_Premultiplied)  # fmt: skip
    image.setDevicePixelRatio(ratio)
    image.fill(QtGui.QColor(DARK.background))
    painter = QtGui.QPainter(image)
    font = QtGui.QFont()
    if atlas is None:
        painter.setFont(font)
        ascent = QtGui.QFontMetricsF(font).ascent()
        for left, top, text, colour in labels:
            painter.setPen(QtGui.QColor(colour))
            painter.drawText(QtCore.QPointF(left, top + ascent), text)
    else:
        atlas.draw(painter, np.array([lb[0] for lb in labels]),
                   np.array([lb[1] for lb in labels]), [lb[2] for lb in labels],
                   [QtGui.QColor(lb[3]).rgba() for lb in labels])  # fmt: skip
    painter.end()
    h, w = image.height(), image.width()
    pixels = np.frombuffer(image.constBits(), np.uint8)[: h * w * 4].reshape(h, w, 4).astype(int)
    return np.abs(pixels - pixels[0, 0]).sum(axis=2)


def labels_at(shift: float = 0.0):
    return [(5 + 70 * (k % 4) + shift, 10 + 25 * k, text, colour)
            for k, (text, colour) in enumerate(zip(TEXTS, COLOURS, strict=True))]  # fmt: skip


@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_labels_from_the_atlas_look_as_drawn_text(qtbot, ratio):
    labels = labels_at()
    drawn, atlas = render(labels, None, ratio), TextAtlas(QtGui.QFont())
    blitted = render(labels, atlas, ratio)
    assert drawn.sum() > 2000 * ratio  # the texts were drawn ...
    assert np.abs(drawn - blitted).max() <= 40  # ... and look the same from the atlas
    assert atlas.held == len(TEXTS)
    again = render(labels, atlas, ratio)  # drawn again: nothing rendered anew
    assert np.array_equal(again, blitted) and atlas.held == len(TEXTS)


def test_a_full_atlas_starts_again_with_the_frames_labels(qtbot, monkeypatch):
    monkeypatch.setattr(text_atlas, "ATLAS_ROWS", 2)
    atlas = TextAtlas(QtGui.QFont())
    for k in range(12):  # many frames of new texts: the atlas fills up and starts again
        labels = [(5, 10 + 25 * j, f"{k}.{j} ({1000 * k + j:.2f})", "#d1d4dc") for j in range(4)]
        assert np.abs(render(labels, None) - render(labels, atlas)).max() <= 40
    assert 4 <= atlas.held < 12 * 4
