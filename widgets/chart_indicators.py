"""The indicators a chart shows: each instance's items (lines, histograms, state bands) over
the price or in a pane of its own, its legend row, its colours from the palette."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from engine.timeframes import is_intraday
from widgets.indicator_items import PALETTE, HistogramItem, LineItem, StateBandItem
from widgets.legend import LegendRow
from widgets.pane import Pane

if TYPE_CHECKING:
    from widgets.chart import ChartWidget


class ChartIndicators:
    """The indicators of one chart, by key: `shown[key]` is (pane, {output: item})."""

    def __init__(self, chart: ChartWidget) -> None:
        self._chart = chart
        self.shown: dict[str, tuple[Pane, dict[str, object]]] = {}
        self._daily: set[str] = set()  # indicators that start again each trading day
        self._day_starts: tuple[tuple, np.ndarray] | None = None  # (series key, starts)

    def day_starts(self) -> np.ndarray:
        """The bars that open a trading day (intraday bars; none for days or weeks), kept
        for the bars there were and extended by those appended."""
        model = self._chart.model
        ts = model.column("ts_ns")
        n = len(ts)
        if n == 0 or not is_intraday(model.timeframe):
            return np.empty(0, np.int64)
        key = (id(model), model.timeframe, int(ts[0]))
        known = self._day_starts
        if known is not None and known[0][:3] == key and known[0][3] <= n:
            seen = known[0][3]
            if seen == n:
                return known[1]
            new = np.flatnonzero(np.diff(model.day_numbers(ts[seen - 1 :]))) + seen
            starts = np.concatenate((known[1], new)) if len(new) else known[1]
        else:
            starts = np.flatnonzero(np.diff(model.day_numbers(ts))) + 1
        self._day_starts = ((*key, n), starts)
        return starts

    def _set_breaks(self, key: str) -> None:
        if key in self._daily:
            starts = self.day_starts()
            for item in self.shown[key][1].values():
                if isinstance(item, LineItem):
                    item.set_breaks(starts)

    def add(self, key, outputs, own_pane, kinds=None, title=None, colours=None,
            daily=False) -> None:  # fmt: skip
        chart = self._chart
        if key in self.shown:
            raise ValueError(f"indicator {key!r} is already shown")
        pane = chart.add_pane(key, stretch=1) if own_pane else chart.price
        free = iter(self._free_colours())
        items = {}
        for name, values in outputs.items():
            kind = (kinds or {}).get(name, "line")
            if kind == "histogram":
                item = HistogramItem(values, chart.theme)
            elif kind == "band":
                item = StateBandItem(values, chart.theme)
            else:
                item = LineItem(values, (colours or {}).get(name) or next(free))
                if pane is chart.price:
                    item.set_price_map(chart.price_map)
            pane.addItem(item)
            items[name] = item
        self.shown[key] = (pane, items)
        if daily:
            self._daily.add(key)
            self._set_breaks(key)
        first = next(iter(items.values()))
        colour = getattr(first, "colour", chart.theme.foreground)
        decimals = chart.decimals if pane is chart.price else None
        pane.legend.add_row(LegendRow(key, title or key, colour,
                                      lambda ix: [i.legend_part(ix, decimals)
                                                  for i in items.values()]))  # fmt: skip
        pane.legend.set_last_index(len(chart.model) - 1)

    def _free_colours(self) -> list[str]:
        """The palette, the colours no shown indicator uses first."""
        used = {getattr(item, "colour", None) for _, items in self.shown.values()
                for item in items.values()}  # fmt: skip
        return [c for c in PALETTE if c not in used] + list(PALETTE) * 2

    def set_values(self, key: str, outputs: dict[str, np.ndarray]) -> None:
        pane, items = self.shown[key]
        for name, values in outputs.items():
            items[name].set_values(values)
        self._set_breaks(key)
        pane.fit_y()
        pane.legend.refresh()

    def update_last(self, key: str, values: dict[str, float], ix: int | None = None) -> None:
        chart = self._chart
        pane, items = self.shown[key]
        for name, value in values.items():
            items[name].set_last(value, ix)
        if ix is not None and key in self._daily:
            self._set_breaks(key)  # a new bar may open a day
        ix = len(chart.model) - 1 if ix is None else ix
        if pane is chart.price:
            values = {name: chart.price_map.value(v) for name, v in values.items()}
        shown = [v for v in values.values() if np.isfinite(v)]
        if shown and chart.is_visible(ix):
            pane.contain(min(shown), max(shown))
        if pane.legend.index in (None, ix):
            pane.legend.request_refresh()

    def remove(self, key: str) -> None:
        self._daily.discard(key)
        pane, items = self.shown.pop(key)
        if pane is self._chart.price:
            for item in items.values():
                pane.removeItem(item)
            pane.legend.remove_row(key)
        else:
            self._chart.remove_pane(key)

    def price_items(self) -> list:
        """The items drawn over the price (through its price map)."""
        return [item for pane, items in self.shown.values() if pane is self._chart.price
                for item in items.values()]  # fmt: skip
