"""Base for items drawn at x = bar index: visible-range clipping and lazy geometry."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from engine.bars import Bars

MARGIN_BARS = 2


class IndexedItem(pg.GraphicsObject):
    """Holds `Bars`; x of bar i is i. Subclasses build geometry for an index range in
    `_prepare(first_ix, stop_ix)` and draw it in `_draw(painter)`. Geometry is rebuilt lazily
    in paint() only when the visible range or the data changed."""

    def __init__(self) -> None:
        super().__init__()
        self._bars = Bars.empty()
        self._prepared: tuple[int, int] | None = None
        self._bounds = QtCore.QRectF()

    @property
    def bars(self) -> Bars:
        return self._bars

    def set_bars(self, bars: Bars) -> None:
        self._bars = bars
        self._invalidate()

    def _invalidate(self) -> None:
        self.prepareGeometryChange()
        self._prepared = None
        n = len(self._bars)
        if n:
            lo, hi = self._y_span(0, n)
            self._bounds = QtCore.QRectF(-0.5, lo, n, max(hi - lo, 1e-12))
        else:
            self._bounds = QtCore.QRectF()
        self.update()

    def visible_range(self) -> tuple[int, int]:
        """[first, stop) bar indices in view, plus a small margin, clipped to the data."""
        n = len(self._bars)
        vb = self.getViewBox()
        if vb is None or n == 0:
            return 0, n
        (x0, x1), _ = vb.viewRange()
        first = max(0, math.floor(x0) - MARGIN_BARS)
        stop = min(n, math.ceil(x1) + 1 + MARGIN_BARS)
        return first, max(first, stop)

    def _y_span(self, first: int, stop: int) -> tuple[float, float]:
        raise NotImplementedError

    def _prepare(self, first: int, stop: int) -> None:
        raise NotImplementedError

    def _draw(self, painter) -> None:
        raise NotImplementedError

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF(self._bounds)

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        n = len(self._bars)
        if n == 0:
            return None, None
        if ax == 0:
            return -0.5, n - 0.5
        first, stop = 0, n
        if orthoRange is not None:
            first = max(0, math.ceil(orthoRange[0] - 0.5))
            stop = min(n, math.floor(orthoRange[1] + 0.5) + 1)
            if stop <= first:
                return None, None
        return self._y_span(first, stop)

    def paint(self, painter, *args) -> None:
        if len(self._bars) == 0:
            return
        span = self.visible_range()
        if span != self._prepared:
            self._prepare(*span)
            self._prepared = span
        self._draw(painter)


def split_up_down(bars: Bars, first: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (absolute) of rising and falling bars in [first, stop)."""
    ix = np.arange(first, stop)
    up = bars.close[first:stop] >= bars.open[first:stop]
    return ix[up], ix[~up]
