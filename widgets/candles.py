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
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from engine.lod import LEVELS, choose_level
from widgets.grid import blend
from widgets.pg_compat import rect_array
from widgets.price_map import LINEAR, PriceMap
from widgets.series_model import SeriesModel
from widgets.theme import DARK, Theme

BODY_WIDTH = 0.7
MARGIN_BARS = 2
MAX_EXACT_BLOCKS = 4096


class LodState:
    """The level both items of a series draw at, with hysteresis (shared by the pair). It is
    chosen when the view's range or size changes (`follow`, called by the pane), never while
    painting; the items hear of a new level before the pane fits y or anything repaints."""

    def __init__(self) -> None:
        self.level = 0
        self.items: list[_SeriesItem] = []
        self.listeners: list[Callable[[], None]] = []  # told after the items of a new level

    def follow(self, x0: float, x1: float, width_px: float) -> None:
        """The level for showing bars x0..x1 across `width_px` pixels."""
        if width_px <= 0:
            return
        level = choose_level((x1 - x0) / width_px, self.level)
        if level != self.level:
            self.level = level
            for item in self.items:
                item.level_changed()
            for listener in self.listeners:
                listener()


class _SeriesItem(pg.GraphicsObject):
    """Draws the blocks of a SeriesModel at the shared level: the history part or the
    forming part. Subclasses fill and draw their primitive arrays."""

    GROWS_DOWN = True  # whether a tick can move the forming bar's low (not a volume's zero)

    def __init__(self, model: SeriesModel, lod: LodState, forming: bool, theme: Theme):
        super().__init__()
        self._model: SeriesModel | None = None
        self.lod = lod
        lod.items.append(self)
        self.forming = forming
        self._key = None  # the level and pixel width the prepared primitives are for
        self._window = (0, 0)  # the bars they cover
        self._px_h = None  # the pixel height their heights are for
        self._heights: dict[str, np.ndarray] = {}
        self._blocks: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # first, last bar of each
        self._kinds = 1  # rects a block
        self._bounds = QtCore.QRectF()
        self.prepared_blocks = 0  # blocks ready to draw (the view and a view either side)
        self.drawn_blocks = 0  # of them, drawn by the last paint (those in view)
        self._rects = {c: rect_array() for c in ("up", "down")}
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
        (then its geometry changes). Whether the pane must fit y again is its own call."""
        first, stop = self._span()
        lo, hi = self._y_span(first, stop)
        if self._bounds.top() <= lo and hi <= self._bounds.bottom():
            self._key = None
            self.update()
        else:
            self._invalidate()

    def level_changed(self) -> None:
        """A new level moves the forming block's edge, and with it both items' bounds."""
        self._invalidate()

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
        start, stop = self._forming_block(self.lod.level)
        return (start, stop) if self.forming else (0, start)

    def _compute_bounds(self) -> QtCore.QRectF:
        first, stop = self._span()
        if stop <= first:
            return QtCore.QRectF()
        lo, hi = self._y_span(first, stop)
        if self.forming:
            # Headroom, so most ticks repaint without a geometry change; kept inside the
            # visible prices (a rect reaching outside its clipping view repaints all of it).
            room = max(hi - lo, abs(hi) * 1e-4, 1e-9)
            vb = self.getViewBox()
            y0, y1 = vb.viewRange()[1] if vb is not None else (lo - room, hi + room)
            if self.GROWS_DOWN:
                lo = min(lo, max(lo - room, y0))
            hi = max(hi, min(hi + room, y1))
        # The bodies' extent, not the bars' cells: the forming item's repaints then stay off
        # its neighbour, the history, whenever a bar is a few pixels wide or more.
        left = first - BODY_WIDTH / 2
        return QtCore.QRectF(left, lo, stop - 1 + BODY_WIDTH / 2 - left, max(hi - lo, 1e-12))

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
            a = max(first, math.ceil(orthoRange[0] - 0.5))
            b = min(stop, math.floor(orthoRange[1] + 0.5) + 1)
            if b <= a:
                return None, None
            level = self.lod.level
            if level:  # the whole blocks drawn over the visible bars
                pyramid = self._model.pyramid
                a = max(first, pyramid.block_span(level, a)[0])
                b = min(stop, pyramid.block_span(level, b - 1)[1])
            first, stop = a, b
        if stop <= first:
            return None, None
        return self._y_span(first, stop)

    # -- painting ----------------------------------------------------------------------------

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        if len(self._model) == 0:
            return
        transform = painter.transform()  # item to device: a scale and a translation
        px = (1.0 / max(abs(transform.m11()), 1e-300), 1.0 / max(abs(transform.m22()), 1e-300))
        level = self.lod.level
        first, stop = self.visible_span()
        if self._key != (level, px[0]) or not (
            self._window[0] <= first and stop <= self._window[1]
        ):
            self._prepare_window(level, px[0], first, stop)
        if px[1] != self._px_h:
            self._px_h = px[1]
            for colour, array in self._rects.items():
                self._set_heights(array.ndarray(), self._heights[colour], px[1])
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        self.drawn_blocks = 0
        for colour, array in self._rects.items():  # the blocks in view of those prepared
            starts, lasts = self._blocks[colour]
            a, b = np.searchsorted(lasts, first), np.searchsorted(starts, stop)
            painter.setBrush(self._brushes[colour])
            array.draw_rows(painter, a * self._kinds, b * self._kinds)
            self.drawn_blocks += b - a

    def _prepare_window(self, level: int, px_w: float, first: int, stop: int) -> None:
        """Prepare the blocks of the visible bars and of a view more on either side, so the
        frames of a pan reuse them until the view leaves that window (each frame draws the
        blocks in view of them: the rects of a block are adjacent, the blocks in time order)."""
        extra = stop - first
        span_first, span_stop = self._span()
        first, stop = max(span_first, first - extra), min(span_stop, stop + extra)
        blocks = self._model.pyramid.blocks(level, first, stop)
        if not self.forming and len(blocks[0]):
            keep = blocks[1] < stop  # whole blocks only: the last is the forming one
            blocks = tuple(b[keep] for b in blocks)
        self.prepared_blocks = len(blocks[0])
        rows = self._rows(px_w, *blocks)
        self._kinds = len(rows)
        up = blocks[5] >= blocks[2]  # close >= open
        for colour, mask in (("up", up), ("down", ~up)):
            chosen = rows[:, mask].transpose(1, 0, 2).reshape(-1, 4)
            self._blocks[colour] = (blocks[0][mask], blocks[1][mask])
            array = self._rects[colour]
            array.resize(len(chosen))
            array.ndarray()[:] = chosen
            self._heights[colour] = chosen[:, 3].copy()
        self._key, self._window, self._px_h = (level, px_w), (first, stop), None

    @staticmethod
    def _set_heights(rows: np.ndarray, heights: np.ndarray, px_h: float) -> None:
        """Heights of the prepared rects at a device pixel's height `px_h` (a fit of the
        pane changes only that)."""
        rows[:, 3] = heights

    def _y_span(self, first: int, stop: int) -> tuple[float, float]:
        raise NotImplementedError

    def _rows(self, px_w: float, x0, x1, o, h, lo, c, v) -> np.ndarray:
        """The rects of each block as (kinds, blocks, 4) rows of left, bottom, width, height
        in data units; `px_w` is a device pixel's width in data units."""
        raise NotImplementedError

    def set_theme(self, theme: Theme) -> None:
        raise NotImplementedError


class CandleItem(_SeriesItem):
    """Candlesticks: one rect array per colour, the wicks (a device pixel wide) then the
    bodies."""

    price_map = LINEAR

    def set_price_map(self, price_map: PriceMap) -> None:
        """Draw prices as they are or on the log scale."""
        self.price_map = price_map
        self._invalidate()

    def set_theme(self, theme: Theme) -> None:
        self._brushes = {c: pg.mkBrush(getattr(theme, c)) for c in ("up", "down")}
        self.update()

    def _y_span(self, first, stop):
        hi, lo = self._model.pyramid.hilo(first, stop)
        return self.price_map.value(lo), self.price_map.value(hi)

    @staticmethod
    def _set_heights(rows: np.ndarray, heights: np.ndarray, px_h: float) -> None:
        np.maximum(heights, px_h, out=rows[:, 3])  # every wick and doji at least a pixel

    def _rows(self, px_w, x0, x1, o, h, lo, c, v) -> np.ndarray:
        o, h, lo, c = (self.price_map.array(a) for a in (o, h, lo, c))
        centre = (x0 + x1) / 2.0
        width = np.maximum((x1 - x0) + BODY_WIDTH, px_w)
        bottom = np.minimum(o, c)
        rows = np.empty((2, len(o), 4))
        rows[0, :, 0] = centre - px_w / 2  # wicks
        rows[0, :, 1] = lo
        rows[0, :, 2] = px_w
        rows[0, :, 3] = h - lo
        rows[1, :, 0] = centre - width / 2  # bodies
        rows[1, :, 1] = bottom
        rows[1, :, 2] = width
        rows[1, :, 3] = np.maximum(o, c) - bottom
        return rows


class VolumeItem(_SeriesItem):
    """Volume bars from zero (summed per block), coloured by the candle's direction."""

    GROWS_DOWN = False

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
        # The tallest bar drawn: the summed volumes of the drawn level's blocks. Exact over a
        # few thousand blocks (the visible range); over more (the whole history, for the
        # bounding rect) the sums of a coarser level bound it from above.
        level = self.lod.level
        excess = (stop - first) / (MAX_EXACT_BLOCKS << level)
        if excess > 1:
            level = min(LEVELS, level + math.ceil(math.log2(excess)))
        *_, v = self._model.pyramid.blocks(level, first, stop)
        return 0.0, float(v.max()) if len(v) else 1.0

    def _rows(self, px_w, x0, x1, o, h, lo, c, v) -> np.ndarray:
        width = np.maximum((x1 - x0) + BODY_WIDTH, px_w)
        rows = np.empty((1, len(o), 4))
        rows[0, :, 0] = (x0 + x1) / 2.0 - width / 2
        rows[0, :, 1] = 0.0
        rows[0, :, 2] = width
        rows[0, :, 3] = v
        return rows


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
