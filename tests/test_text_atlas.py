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
    assert np.array_equal(render(labels, atlas, ratio), drawn)  # seen once: drawn as text
    assert atlas.held == 0
    blitted = render(labels, atlas, ratio)  # seen again: from the atlas
    assert drawn.sum() > 2000 * ratio  # the texts were drawn ...
    assert np.abs(drawn - blitted).max() <= 40  # ... and look the same from the atlas
    assert atlas.held == len(TEXTS)
    again = render(labels, atlas, ratio)  # drawn again: nothing rendered anew
    assert np.array_equal(again, blitted) and atlas.held == len(TEXTS)


def test_an_axis_atlas_keeps_its_texts_from_the_first_sight(qtbot):
    """An axis' labels show again frame after frame of a pan: each is rendered into the atlas
    when first drawn (it was drawn as text first, then rendered the next frame: twice the
    work on every frame bringing new labels), and looks as drawn text."""
    labels = labels_at()
    drawn, atlas = render(labels, None), TextAtlas(QtGui.QFont(), first_sight=True)
    first = render(labels, atlas)
    assert atlas.held == len(TEXTS)
    assert drawn.sum() > 2000 and np.abs(drawn - first).max() <= 40
    assert np.array_equal(render(labels, atlas), first) and atlas.held == len(TEXTS)


def test_a_full_atlas_starts_again_with_the_frames_labels(qtbot, monkeypatch):
    monkeypatch.setattr(text_atlas, "ATLAS_ROWS", 2)
    atlas = TextAtlas(QtGui.QFont())
    for k in range(12):  # many frames of new texts: the atlas fills up and starts again
        labels = [(5, 10 + 25 * j, f"{k}.{j} ({1000 * k + j:.2f})", "#d1d4dc") for j in range(4)]
        render(labels, atlas)  # as text; then from the atlas
        assert np.abs(render(labels, None) - render(labels, atlas)).max() <= 40
    assert 4 <= atlas.held < 12 * 4


def render_at_baselines(texts, atlas: TextAtlas | None, scale: float = 1.0) -> np.ndarray:
    """(baseline, text) pairs drawn as text (atlas None) or from the atlas under the painter's
    `scale`, as the ink over the background."""
    colour = QtGui.QColor(DARK.foreground)
    image = QtGui.QImage(200, 60, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QtGui.QColor(DARK.background))
    painter = QtGui.QPainter(image)
    painter.scale(scale, scale)
    if atlas is None:
        painter.setFont(QtGui.QFont())
        painter.setPen(colour)
        for at, text in texts:
            painter.drawText(at, text)
    else:
        atlas.draw_at_baselines(painter, [(at, text, colour) for at, text in texts])
    painter.end()
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(60, 200, 4).astype(int)
    return np.abs(pixels - pixels[0, 0]).sum(axis=2)


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_axis_texts_at_their_baselines_look_as_drawn_text(qtbot, scale):
    """The axes' and legends' texts, placed by their baselines in the painter's coordinates
    (under a scaling transform they are drawn as text: a pixmap would blur)."""
    whole = [(QtCore.QPointF(3, 20), "103.25"), (QtCore.QPointF(60, 40), "Mon 01 18:00")]
    atlas = TextAtlas()
    render_at_baselines(whole, atlas, scale)  # seen once: as text; then from the atlas
    drawn, blitted = (
        render_at_baselines(whole, None, scale),
        render_at_baselines(whole, atlas, scale),
    )
    assert drawn.sum() > 1000  # the texts were drawn ...
    assert np.abs(drawn - blitted).max() <= 24  # ... and look the same from the atlas
    assert atlas.held == (2 if scale == 1.0 else 0)
    # Off the pixel grid, a label moves by at most half a pixel.
    off = [(QtCore.QPointF(3.4, 20.3), "103.25")]
    atlas = TextAtlas()
    render_at_baselines(off, atlas)
    drawn, blitted = render_at_baselines(off, None), render_at_baselines(off, atlas)
    centre = [(np.indices(ink.shape) * ink).sum(axis=(1, 2)) / ink.sum()
              for ink in (drawn, blitted)]  # fmt: skip
    assert np.abs(centre[0] - centre[1]).max() <= 0.75


def test_the_atlas_grows_keeping_the_texts_it_holds(qtbot):
    atlas = TextAtlas(QtGui.QFont())
    first = labels_at()
    render(first, atlas)
    render(first, atlas)
    rows = atlas._rows
    many = [(5 + 150 * (j % 2), 5 + 3 * j, f"{j:03d} a longer label ({40000 + j:.2f})",
             "#d1d4dc") for j in range(36)]  # fmt: skip
    render(many, atlas)
    assert np.abs(render(many, None) - render(many, atlas)).max() <= 40
    assert atlas._rows > rows and atlas.held == len(TEXTS) + 36  # grown, nothing dropped
    assert np.abs(render(first, None) - render(first, atlas)).max() <= 40  # kept as they were
