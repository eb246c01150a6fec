"""Candles and volume bars drawn from the level-of-detail pyramid.

Each series is two items: the history (every block but the last, redrawn only when bars are
added or corrected) and the forming block (the last one, redrawn on every tick, so a tick
repaints only its small rectangle). Both draw the visible blocks only, as batched native
calls: all wicks and bodies of a colour in one `drawRects`, filled without an outline. (Qt's
raster engine strokes an outlined rectangle or a cosmetic line under the view's scaling
transform through its path stroker, about 2.5 us each; a plain fill takes 0.4 us. Widths and
heights are kept to at least a device pixel instead, so every wick and doji shows.)
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals
from PySide6 import QtCore, QtGui

from engine.lod import LEVELS, choose_level
from widgets.grid import blend
from widgets.series_model import SeriesModel
from widgets.theme import DARK, Theme

BODY_WIDTH = 0.7
MARGIN_BARS = 2
VOLUME_HEADROOM = 1.15
MAX_EXACT_BLOCKS = 4096


class LodState:
    """The level both items of a series draw at, with hysteresis (shared by the pair)."""

    def __init__(self) -> None:
        self.level = 0

    def level_for(self, bars_per_px: float) -> int:
        self.level = choose_level(bars_per_px, self.level)
        return self.level


class _SeriesItem(pg.GraphicsObject):
    """Draws the blocks of a SeriesModel at the shared level: the history part or the
    forming part. Subclasses fill and draw their primitive arrays."""

    def __init__(self, model: SeriesModel, lod: LodState, forming: bool, theme: Theme):
        super().__init__()
        self._model: SeriesModel | None = None
        self._lod = lod
        self.forming = forming
        self._key = None  # what the prepared primitives show
        self._bounds = QtCore.QRectF()
        self._bounds_span = (0, 0)
        self.prepared_blocks = 0
        self.set_theme(theme)
        self.set_model(model)

    # -- model -------------------------------------------------------------------------------

    def _connect_model(self, model: SeriesModel) -> None:
        if self._model is not None:
            for signal in self._signals(self._model):
                signal.disconnect(self._on_bars_changed)
        self._model = model
        for signal in self._signals(model):
            signal.connect(self._on_bars_changed)
        self._on_bars_changed()

    def _signals(self, model: SeriesModel):
        return [model.bars_appended, model.bars_prepended, model.bars_corrected,
                model.bars_reset]  # fmt: skip

    def set_model(self, model: SeriesModel) -> None:
        if self.forming and self._model is not None:
            self._model.last_bar_changed.disconnect(self._on_last_bar_changed)
        self._connect_model(model)
        if self.forming:
            model.last_bar_changed.connect(self._on_last_bar_changed)

    def _on_bars_changed(self, *_args) -> None:
        self._invalidate()

    def _on_last_bar_changed(self) -> None:
        """A tick: repaint this item's own rectangle only, unless the bar grew out of it
        (then its geometry changes) or out of the visible price range (then the view must
        refit y, which repaints everything anyway)."""
        first, stop = self._span()
        lo, hi = self._y_span(first, stop)
        if self._bounds.top() <= lo and hi <= self._bounds.bottom():
            self._key = None
            self.update()
        else:
            self._invalidate()
        vb = self.getViewBox()
        if vb is not None:
            (_, _), (y0, y1) = vb.viewRange()
            if lo < y0 or hi > y1:
                vb.itemBoundsChanged(self)

    def _invalidate(self) -> None:
        self.prepareGeometryChange()
        self._key = None
        self._bounds = self._compute_bounds()
        self.update()

    def close(self) -> None:
        for signal in self._signals(self._model):
            signal.disconnect(self._on_bars_changed)
        if self.forming:
            self._model.last_bar_changed.disconnect(self._on_last_bar_changed)

    # -- geometry ----------------------------------------------------------------------------

    def _forming_block(self, level: int) -> tuple[int, int]:
        """First and stop bar index of the block holding the last bar."""
        return self._model.pyramid.block_span(level, len(self._model) - 1)

    def _span(self) -> tuple[int, int]:
        """Bars this item draws: [first, stop), before any clipping to the view."""
        n = len(self._model)
        if n == 0:
            return 0, 0
        start, stop = self._forming_block(self._lod.level)
        return (start, stop) if self.forming else (0, start)

    def _compute_bounds(self) -> QtCore.QRectF:
        first, stop = self._span()
        self._bounds_span = (first, stop)
        if stop <= first:
            return QtCore.QRectF()
        lo, hi = self._y_span(first, stop)
        if self.forming:
            # Headroom, so most ticks repaint without a geometry change; kept inside the
            # visible prices (a rect reaching outside its clipping view repaints all of it).
            room = max(hi - lo, abs(hi) * 1e-4, 1e-9)
            vb = self.getViewBox()
            y0, y1 = vb.viewRange()[1] if vb is not None else (lo - room, hi + room)
            lo, hi = min(lo, max(lo - room, y0)), max(hi, min(hi + room, y1))
        return QtCore.QRectF(first - 0.5, lo, stop - first, max(hi - lo, 1e-12))

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(self._bounds)

    def visible_span(self) -> tuple[int, int]:
        first, stop = self._span()
        vb = self.getViewBox()
        if vb is not None:
            (x0, x1), _ = vb.viewRange()
            first = max(first, math.floor(x0) - MARGIN_BARS)
            stop = min(stop, math.ceil(x1) + 1 + MARGIN_BARS)
        return first, max(first, stop)

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        n = len(self._model)
        if n == 0:
            return None, None
        if ax == 0:
            return -0.5, n - 0.5
        first, stop = self._span()
        if orthoRange is not None:
            first = max(first, math.ceil(orthoRange[0] - 0.5))
            stop = min(stop, math.floor(orthoRange[1] + 0.5) + 1)
        if stop <= first:
            return None, None
        return self._y_span(first, stop)

    # -- painting ----------------------------------------------------------------------------

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        if len(self._model) == 0:
            return
        level = self._lod.level_for(max(self.pixelWidth(), 1e-12))
        if self._span() != self._bounds_span:  # a new level moved the forming block's edge
            self.prepareGeometryChange()
            self._bounds = self._compute_bounds()
        first, stop = self.visible_span()
        px = (self.pixelWidth(), self.pixelHeight())
        key = (level, first, stop, px)
        if key != self._key:
            blocks = self._model.pyramid.blocks(level, first, stop)
            if not self.forming and len(blocks[0]):
                keep = blocks[1] < stop  # whole blocks only: the last is the forming one
                blocks = tuple(b[keep] for b in blocks)
            self.prepared_blocks = len(blocks[0])
            self._prepare(px, *blocks)
            self._key = key
        self._draw(painter)

    def _y_span(self, first: int, stop: int) -> tuple[float, float]:
        raise NotImplementedError

    def _prepare(self, px: tuple[float, float], x0, x1, o, h, lo, c, v) -> None:
        """Fill the primitive arrays; `px` is a device pixel's width and height in data
        units."""
        raise NotImplementedError

    def _draw(self, painter: QtGui.QPainter) -> None:
        raise NotImplementedError

    def set_theme(self, theme: Theme) -> None:
        raise NotImplementedError


def _rects(array: internals.PrimitiveArray, x, y, w, h, offset: int = 0) -> None:
    """Rows offset.. of `array` (already sized) from left, bottom, width and height."""
    memory = array.ndarray()[offset : offset + len(x)]
    memory[:, 0] = x
    memory[:, 1] = y
    memory[:, 2] = w
    memory[:, 3] = h


class CandleItem(_SeriesItem):
    """Candlesticks: one rect array per colour, the wicks (a device pixel wide) then the
    bodies."""

    def __init__(self, model, lod, forming=False, theme: Theme = DARK):
        self._rects = {c: internals.PrimitiveArray(QtCore.QRectF, 4) for c in ("up", "down")}
        super().__init__(model, lod, forming, theme)

    def set_theme(self, theme: Theme) -> None:
        self._brushes = {c: pg.mkBrush(getattr(theme, c)) for c in ("up", "down")}
        self.update()

    def _y_span(self, first, stop):
        hi, lo = self._model.pyramid.hilo(first, stop)
        return lo, hi

    def _prepare(self, px, x0, x1, o, h, lo, c, v) -> None:
        px_w, px_h = px
        centre = (x0 + x1) / 2.0
        width = np.maximum((x1 - x0) + BODY_WIDTH, px_w)
        up = c >= o
        for colour, mask in (("up", up), ("down", ~up)):
            xs = centre[mask]
            array = self._rects[colour]
            array.resize(2 * len(xs))
            low = lo[mask]
            _rects(array, xs - px_w / 2, low, px_w, np.maximum(h[mask] - low, px_h))
            bottom = np.minimum(o[mask], c[mask])
            height = np.maximum(np.maximum(o[mask], c[mask]) - bottom, px_h)
            w = width[mask]
            _rects(array, xs - w / 2, bottom, w, height, offset=len(xs))

    def _draw(self, painter: QtGui.QPainter) -> None:
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        for colour in ("up", "down"):
            painter.setBrush(self._brushes[colour])
            painter.drawRects(*self._rects[colour].drawargs())


class VolumeItem(_SeriesItem):
    """Volume bars from zero (summed per block), coloured by the candle's direction."""

    def __init__(self, model, lod, forming=False, theme: Theme = DARK):
        self._rects = {c: internals.PrimitiveArray(QtCore.QRectF, 4) for c in ("up", "down")}
        super().__init__(model, lod, forming, theme)

    def set_theme(self, theme: Theme) -> None:
        # Opaque, pre-blended with the background: zoomed out, the bars fill most of the
        # pane, and blending that much area costs several frames' time.
        alpha = theme.volume_alpha / 255
        self._brushes = {
            colour: pg.mkBrush(blend(theme.background, getattr(theme, colour), alpha))
            for colour in ("up", "down")
        }
        self.update()

    def _y_span(self, first, stop):
        # Exact over a few thousand blocks (the visible range); over more (the whole history,
        # for the bounding rect) the sums of a coarser level bound it from above.
        level = self._lod.level
        excess = (stop - first) / (MAX_EXACT_BLOCKS << level)
        if excess > 1:
            level = min(LEVELS, level + math.ceil(math.log2(excess)))
        *_, v = self._model.pyramid.blocks(level, first, stop)
        return 0.0, float(v.max()) if len(v) else 1.0

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        lo, hi = super().dataBounds(ax, frac, orthoRange)
        if ax == 1 and hi is not None:
            hi *= VOLUME_HEADROOM  # a growing forming bar rescales the pane now and then
        return lo, hi

    def _prepare(self, px, x0, x1, o, h, lo, c, v) -> None:
        width = np.maximum((x1 - x0) + BODY_WIDTH, px[0])
        left = (x0 + x1) / 2.0 - width / 2
        up = c >= o
        for colour, mask in (("up", up), ("down", ~up)):
            self._rects[colour].resize(int(np.count_nonzero(mask)))
            _rects(self._rects[colour], left[mask], 0.0, width[mask], v[mask])

    def _draw(self, painter: QtGui.QPainter) -> None:
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        for colour in ("up", "down"):
            painter.setBrush(self._brushes[colour])
            painter.drawRects(*self._rects[colour].drawargs())


class SeriesPair:
    """The history and forming items of one series, sharing their level."""

    def __init__(self, kind: type[_SeriesItem], model: SeriesModel, theme: Theme = DARK):
        self.lod = LodState()
        self.history = kind(model, self.lod, False, theme)
        self.forming = kind(model, self.lod, True, theme)

    @property
    def items(self) -> tuple[_SeriesItem, _SeriesItem]:
        return self.history, self.forming

    def set_model(self, model: SeriesModel) -> None:
        for item in self.items:
            item.set_model(model)

    def set_theme(self, theme: Theme) -> None:
        for item in self.items:
            item.set_theme(theme)

    def close(self) -> None:
        for item in self.items:
            item.close()
