"""Another symbol over the price pane, as TradingView compares: its closes at the times of
the chart's bars, scaled so that it starts where the chart's series does at the first bar in
view; its legend says its price and its change since that bar. A pan moves the start, and
with it the scale: an O(1) change of the price map the line is drawn through, not of its
values."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from PySide6 import QtCore

from engine.price_text import MISSING, format_value
from widgets.indicator_items import LineItem
from widgets.legend import price_decimals
from widgets.price_map import LINEAR, PriceMap
from widgets.series_model import SeriesModel


@dataclasses.dataclass(frozen=True)
class ScaledPriceMap(PriceMap):
    """A price map of prices times `factor`."""

    factor: float = 1.0

    def array(self, prices: np.ndarray) -> np.ndarray:
        return super().array(np.asarray(prices, dtype=np.float64) * self.factor)

    def value(self, price: float) -> float:
        return super().value(price * self.factor)

    def price(self, y: float) -> float:
        return super().price(y) / self.factor


def closes_at(ts_ns: np.ndarray, other_ts: np.ndarray, other_close: np.ndarray) -> np.ndarray:
    """The other series' close at or before each time: its last one as of then (held
    through its closed sessions, as its price is); NaN before its first bar."""
    if len(other_ts) == 0:
        return np.full(len(ts_ns), np.nan)
    i = np.searchsorted(other_ts, ts_ns, side="right") - 1
    out = other_close[np.maximum(i, 0)].astype(np.float64)
    out[i < 0] = np.nan
    return out


class CompareLine(LineItem):
    def __init__(self, model: SeriesModel, symbol: str, colour: str) -> None:
        self.symbol = symbol
        self._model = model
        self._base_map = LINEAR
        self._ts = np.empty(0, np.int64)
        self._close = np.empty(0)
        self._next_valid = np.empty(0, np.int64)
        self._lo = self._hi = math.nan
        self.base_ix = -1  # the bar the change is measured from
        self.decimals: int | None = None
        super().__init__(np.empty(0), colour)

    def set_source(self, ts_ns: np.ndarray, close: np.ndarray) -> None:
        """The compared symbol's bars (of the chart's timeframe)."""
        self._ts, self._close = np.asarray(ts_ns, np.int64), np.asarray(close, np.float64)
        self.decimals = price_decimals(self._close)  # as its own chart writes its prices
        self.realign()

    def set_model(self, model: SeriesModel) -> None:
        self._model = model
        self.realign()

    def realign(self) -> None:
        """Its closes at the chart's bars again (the bars were loaded, prepended, appended)."""
        values = closes_at(self._model.column("ts_ns"), self._ts, self._close)
        finite = np.isfinite(values)
        n = len(values)
        # the first bar at or after each that has a value (n where none does)
        ix = np.where(finite, np.arange(n), n)
        self._next_valid = np.minimum.accumulate(ix[::-1])[::-1] if n else ix
        self._lo = float(values[finite].min()) if finite.any() else math.nan
        self._hi = float(values[finite].max()) if finite.any() else math.nan
        self.base_ix = -1
        self.prepareGeometryChange()
        self._values = values
        self._key = None
        self.update()

    def set_last(self, value: float, ix: int | None = None) -> None:
        """A tick of the compared symbol at the chart's forming bar."""
        n = len(self._values)
        if n == 0:
            return
        old = self._values[-1]
        self._values[-1] = value
        if self._next_valid[-1] == n:
            self._next_valid[-1] = n - 1
        self._lo, self._hi = min(self._lo, value), max(self._hi, value)
        self._key = None
        self._update_last(old)

    def set_price_map(self, price_map: PriceMap) -> None:
        """The chart's price map (prices or log); the scale goes on top."""
        self._base_map = price_map
        self.base_ix = -1
        self._sync()

    def _sync(self, x0: float | None = None) -> None:
        """The scale for the first bar in view (from `x0`, the view's left edge by default):
        the chart's close there over this one's."""
        vb = self.getViewBox()
        n = len(self._values)
        if vb is None or n == 0:
            return
        if x0 is None:
            (x0, _), _ = vb.viewRange()
        first = min(max(math.ceil(x0), 0), n - 1)
        base = int(self._next_valid[first])
        if base == self.base_ix:
            return
        self.base_ix = base
        factor = 1.0
        if base < n:
            factor = float(self._model.column("close")[base]) / float(self._values[base])
        if not math.isfinite(factor) or factor <= 0:
            factor = 1.0
        self.prepareGeometryChange()
        self.price_map = ScaledPriceMap(log=self._base_map.log, factor=factor)
        self._key = None

    def boundingRect(self) -> QtCore.QRectF:
        self._sync()
        if not math.isfinite(self._lo):
            return QtCore.QRectF()
        lo, hi = self.price_map.value(self._lo), self.price_map.value(self._hi)
        return QtCore.QRectF(-0.5, lo, len(self._values), max(hi - lo, 1e-12))

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        self._sync(None if orthoRange is None else orthoRange[0])
        return super().dataBounds(ax, frac, orthoRange)

    def paint(self, painter, *args) -> None:
        self._sync()
        super().paint(painter, *args)

    def change_at(self, ix: int) -> float:
        """The change from the first bar in view to bar `ix`, as a fraction."""
        n = len(self._values)
        if not (0 <= ix < n) or not (0 <= self.base_ix < n):
            return math.nan
        return float(self._values[ix] / self._values[self.base_ix] - 1.0)

    def legend_part(self, ix: int, decimals: int | None) -> tuple[str, str]:
        value = self.value_at(ix)
        change = self.change_at(ix)
        if not math.isfinite(value):
            return MISSING, self.colour
        return f"{format_value(value, self.decimals)} ({change:+.2%})", self.colour
