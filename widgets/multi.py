"""Multi-timeframe views of one symbol: a grid of linked charts, and a layered chart with the
higher timeframes' bars drawn as boxes behind the base candles they span."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from engine.align import span_of
from widgets.chart import ChartWidget
from widgets.pg_compat import rect_array
from widgets.price_map import LINEAR, PriceMap
from widgets.series_model import SeriesModel
from widgets.theme import DARK, Theme

SPAN_ALPHA = 40


def index_of_time(model: SeriesModel, ts_ns: int) -> int:
    """Index of the bar of `model` containing instant ts_ns (the last bar starting at or
    before it; -1 before the first)."""
    return int(np.searchsorted(model.column("ts_ns"), ts_ns, side="right")) - 1


class TimeframeGrid(QtWidgets.QWidget):
    """Charts of several timeframes of one symbol in a grid. Moving the crosshair in one
    shows the same instant in all; each can shade the time span the others show. One chart
    is the active one (marked in its caption; a click makes another active).

    Signals:
        active_changed(int): the chart at this index became the active one.
    """

    active_changed = QtCore.Signal(int)

    def __init__(self, models: list[SeriesModel], theme: Theme = DARK, columns: int = 2):
        super().__init__()
        self.active = 0
        layout = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.charts: list[ChartWidget] = []
        self._spans: dict[tuple[int, int], pg.LinearRegionItem] = {}
        self._spans_shown = True
        self._theme = theme
        for k, model in enumerate(models):
            chart = ChartWidget(model, theme)
            layout.addWidget(chart, k // columns, k % columns)
            self.charts.append(chart)
        for k, chart in enumerate(self.charts):
            chart.crosshair.time_changed.connect(lambda ts, k=k: self._on_time_changed(k, ts))
            chart.price.getViewBox().sigXRangeChanged.connect(
                lambda *_a, k=k: self._on_range_changed(k)
            )
        for k, chart in enumerate(self.charts):
            chart.focused.connect(lambda k=k: self.set_active(k))
            chart.model_changed.connect(self._on_model_changed)
            self._on_range_changed(k)
        self.set_active(0)

    def set_active(self, k: int) -> None:
        changed = k != self.active
        self.active = k
        for j, chart in enumerate(self.charts):
            chart.set_marked(j == k)
        if changed:
            self.active_changed.emit(k)

    def _on_model_changed(self, _model: SeriesModel) -> None:
        """A chart shows another timeframe: every span marked from or onto it moves."""
        for k in range(len(self.charts)):
            self._on_range_changed(k)

    def _on_time_changed(self, source: int, ts_ns: int) -> None:
        for k, chart in enumerate(self.charts):
            if k != source:
                chart.crosshair.show_time(ts_ns)

    def show_spans(self, shown: bool) -> None:
        self._spans_shown = shown
        for k in range(len(self.charts)):
            self._on_range_changed(k)

    def _span_item(self, source: int, target: int) -> pg.LinearRegionItem:
        region = self._spans.get((source, target))
        if region is None:
            colour = QtGui.QColor(self._theme.crosshair)
            colour.setAlpha(SPAN_ALPHA)
            region = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(colour),
                                         pen=pg.mkPen(None))  # fmt: skip
            region.setZValue(-50)
            region.setVisible(self._spans_shown)
            self.charts[target].price.addItem(region, ignoreBounds=True)
            self._spans[(source, target)] = region
        return region

    def _on_range_changed(self, source: int) -> None:
        chart = self.charts[source]
        ts = chart.model.column("ts_ns")
        if len(ts) == 0:
            return
        x0, x1 = chart.visible_range()
        first = min(max(math.ceil(x0), 0), len(ts) - 1)
        last = min(max(math.floor(x1), 0), len(ts) - 1)
        shown = int(ts[last]) - int(ts[first])
        for target, other in enumerate(self.charts):
            if target == source or len(other.model) == 0:
                continue
            a = max(index_of_time(other.model, int(ts[first])), 0)
            b = max(index_of_time(other.model, int(ts[last])), 0)
            region = self._span_item(source, target)
            region.setRegion((a - 0.5, b + 0.5))
            # Only a chart showing less time than this one is worth marking on it.
            other_ts = other.model.column("ts_ns")
            o0, o1 = other.visible_range()
            i0 = min(max(math.ceil(o0), 0), len(other_ts) - 1)
            i1 = min(max(math.floor(o1), 0), len(other_ts) - 1)
            region.setVisible(self._spans_shown and shown < int(other_ts[i1]) - int(other_ts[i0]))


class HigherTimeframeBoxes(pg.GraphicsObject):
    """The bars of a higher timeframe as translucent boxes over the base bars they span
    (low to high, coloured by direction), drawn behind the base candles. Only the boxes in
    view are prepared, one drawRects call per colour; the forming higher bar follows ticks."""

    def __init__(self, base: SeriesModel, higher: SeriesModel, theme: Theme, alpha: int = 36):
        super().__init__()
        self.base = base
        self.higher = higher
        self._alpha = alpha
        self._rects = {c: rect_array() for c in ("up", "down")}
        self._key = None
        self.prepared_boxes = 0
        self.price_map = LINEAR
        self.setZValue(-10)
        self.set_theme(theme)
        for signal, slot in self._slots():
            signal.connect(slot)
        self._on_bars_changed()

    def _slots(self) -> list[tuple]:
        """History reset, prepended or corrected: every span again; bars appended: the spans
        from the last higher bar on; a tick of the higher bar: only the last box's prices (a
        base tick changes no box)."""
        slots = [(self.higher.last_bar_changed, self._on_last_bar_changed)]
        for model in (self.base, self.higher):
            slots += [(model.bars_reset, self._on_bars_changed),
                      (model.bars_prepended, self._on_bars_changed),
                      (model.bars_corrected, self._on_bars_changed),
                      (model.bars_appended, self._on_bars_appended)]  # fmt: skip
        return slots

    def set_theme(self, theme: Theme) -> None:
        self._brushes, self._pens = {}, {}
        for colour in ("up", "down"):
            fill = QtGui.QColor(getattr(theme, colour))
            fill.setAlpha(self._alpha)
            edge = QtGui.QColor(getattr(theme, colour))
            edge.setAlpha(min(255, self._alpha * 3))
            self._brushes[colour] = pg.mkBrush(fill)
            self._pens[colour] = pg.mkPen(edge, width=1)
        self.update()

    def _on_bars_changed(self, *_args) -> None:
        self.prepareGeometryChange()
        self.first, self.last = span_of(self.base.column("ts_ns"), self.higher.column("ts_ns"))
        self._key = None
        self.update()

    def _on_bars_appended(self, *_args) -> None:
        """The last span may have grown and new ones follow it: O(bars appended)."""
        base_ts, higher_ts = self.base.column("ts_ns"), self.higher.column("ts_ns")
        k = len(self.first) - 1
        if k < 0 or k >= len(higher_ts):
            self._on_bars_changed()
            return
        b0 = int(np.searchsorted(base_ts, higher_ts[k]))
        first, last = span_of(base_ts[b0:], higher_ts[k:])
        self.prepareGeometryChange()
        self.first = np.concatenate((self.first[:k], first + b0))
        self.last = np.concatenate((self.last[:k], last + b0))
        self._key = None
        self.update()

    def _on_last_bar_changed(self, *_args) -> None:
        """A tick moved a forming bar: the spans stand; the last box is prepared again if it
        is among those in view."""
        if self._key is not None and self._key[1] >= len(self.first):
            self._key = None
            self.update()

    def boundingRect(self) -> QtCore.QRectF:
        if len(self.higher) == 0 or len(self.base) == 0:
            return QtCore.QRectF()
        hi, lo = (self.price_map.value(v) for v in self.higher.pyramid.hilo(0, len(self.higher)))
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return QtCore.QRectF()
        return QtCore.QRectF(-0.5, lo, len(self.base), max(hi - lo, 1e-12))

    def set_price_map(self, price_map: PriceMap) -> None:
        self.prepareGeometryChange()
        self.price_map = price_map
        self._key = None
        self.update()

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        """The low and high of the boxes over `orthoRange` (a box part in view shows whole:
        the price fit takes its whole range, O(log n) from the pyramid)."""
        if ax == 0 or len(self.higher) == 0 or len(self.first) == 0:
            return None, None
        k0, k1 = 0, len(self.first)
        if orthoRange is not None:
            k0 = int(np.searchsorted(self.last, orthoRange[0] - 0.5))
            k1 = int(np.searchsorted(self.first, orthoRange[1] + 0.5, side="right"))
        if k1 <= k0:
            return None, None
        hi, lo = self.higher.pyramid.hilo(k0, min(k1, len(self.higher)))
        lo, hi = self.price_map.value(lo), self.price_map.value(hi)
        return (lo, hi) if math.isfinite(lo) and math.isfinite(hi) else (None, None)

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        vb = self.getViewBox()
        if vb is None or len(self.higher) == 0:
            return
        (x0, x1), _ = vb.viewRange()
        k0 = int(np.searchsorted(self.last, x0 - 1))
        k1 = int(np.searchsorted(self.first, x1 + 1, side="right"))
        if (k0, k1) != self._key:
            h = self.higher
            sl = slice(k0, k1)
            first, last = self.first[sl], self.last[sl]
            keep = last >= first
            o, c = h.column("open")[sl][keep], h.column("close")[sl][keep]
            hi = self.price_map.array(h.column("high")[sl][keep])
            lo = self.price_map.array(h.column("low")[sl][keep])
            left, width = first[keep] - 0.5, (last - first)[keep] + 1.0
            up = c >= o
            for colour, mask in (("up", up), ("down", ~up)):
                array = self._rects[colour]
                array.resize(int(mask.sum()))
                rows = array.ndarray()
                rows[:, 0] = left[mask]
                rows[:, 1] = lo[mask]
                rows[:, 2] = width[mask]
                rows[:, 3] = (hi - lo)[mask]
            self.prepared_boxes = int(keep.sum())
            self._key = (k0, k1)
        for colour in ("up", "down"):
            painter.setPen(self._pens[colour])
            painter.setBrush(self._brushes[colour])
            painter.drawRects(*self._rects[colour].drawargs())

    def close(self) -> None:
        for signal, slot in self._slots():
            signal.disconnect(slot)


class LayeredChart(ChartWidget):
    """A base-timeframe chart with higher timeframes as boxes behind its candles, each
    layer shown or hidden on its own."""

    def __init__(self, base: SeriesModel, theme: Theme = DARK, parent=None) -> None:
        self.layers: dict[str, HigherTimeframeBoxes] = {}
        super().__init__(base, theme, parent)

    def set_layers(self, higher: dict[str, SeriesModel]) -> None:
        for layer in self.layers.values():
            layer.close()
            self.price.removeItem(layer)
        self.layers = {}
        for depth, (tf, model) in enumerate(higher.items()):  # from the smallest timeframe up
            layer = HigherTimeframeBoxes(self.model, model, self.theme, alpha=44 - 6 * depth)
            layer.set_price_map(self.price_map)
            layer.setZValue(-10 - depth)  # larger timeframes further behind
            self.price.addItem(layer)  # a box in view shows whole: the fit takes it
            self.layers[tf] = layer

    def _price_items(self) -> list:
        return [*super()._price_items(), *self.layers.values()]

    def set_layer_visible(self, timeframe: str, visible: bool) -> None:
        self.layers[timeframe].setVisible(visible)
        self.price.fit_y()  # a layer shown or hidden widens or narrows the range fitted

    def set_theme(self, theme: Theme) -> None:
        super().set_theme(theme)
        for layer in self.layers.values():
            layer.set_theme(theme)

    def close(self) -> bool:
        for layer in self.layers.values():
            layer.close()
        return super().close()
