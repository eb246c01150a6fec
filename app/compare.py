"""Compare in the window (Indicators > Compare with symbol): another symbol's bars of the
chart's timeframe over the charts of the active symbol, from each chart's oldest loaded bar
on (again when older history is loaded), its last value moved by its live ticks. A
comparison belongs to the symbol, as its drawings do: it is shown on every chart of the
symbol, on any timeframe and layout, and remembered between runs (`saved`, written back
through `remember`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from PySide6 import QtWidgets

from app.live import LIVE_TIMEFRAMES
from data.store import BarStore
from data.store.derived import derive_timeframes
from engine.units import minute_text
from widgets.chart import ChartWidget


class Comparisons:
    def __init__(self, store: BarStore, symbols: Callable[[], list[str]],
                 remember: Callable[[str], None]) -> None:  # fmt: skip
        """`remember(text)`: keep `saved`, written as JSON, for the next run."""
        self._store = store
        self._symbols = symbols
        self._remember = remember
        self.saved: dict[str, list[str]] = {}  # the symbols compared, by the symbol charted
        self._links: list[tuple] = []  # (model, slot): older history loaded for a chart

    def of(self, symbol: str) -> list[str]:
        return list(self.saved.get(symbol, ()))

    def keep(self, symbol: str, others: list[str]) -> None:
        """The symbols compared over `symbol`'s charts are `others`."""
        if others:
            self.saved[symbol] = list(others)
        else:
            self.saved.pop(symbol, None)
        self._remember(json.dumps(self.saved))

    def show(self, charts: list[ChartWidget], say: Callable[[str, int], None]) -> None:
        """Each chart with the comparisons of its symbol; one whose symbol has no bars
        (any more) is said and forgotten."""
        for chart in charts:
            symbol = chart.model.symbol
            for other in self.of(symbol):
                if other in chart.compares:
                    continue
                try:
                    self.add(chart, other)
                except ValueError as exc:
                    say(f"comparison of {symbol} with {other} left out: {exc}", 8000)
                    self.keep(symbol, [o for o in self.of(symbol) if o != other])

    def ask(self, window, chart: ChartWidget) -> str | None:
        """A symbol to compare the chart with, asked for; None if cancelled."""
        others = [s for s in self._symbols() if s != chart.model.symbol and s not in chart.compares]
        if not others:
            window.show_status("no other symbol to compare with", 5000)
            return None
        symbol, ok = QtWidgets.QInputDialog.getItem(
            window, "Compare", f"Compare {chart.model.symbol} with:", others, 0, False
        )
        return symbol if ok else None

    def add(self, chart: ChartWidget, symbol: str) -> None:
        """`symbol` over `chart` (ValueError naming why not)."""
        if symbol not in self._store.symbols():
            raise ValueError(f"no bars of {symbol!r} to compare with: one of "
                             f"{', '.join(self._store.symbols())}")  # fmt: skip
        model = chart.model
        ours, theirs = self._store.time_range(model.symbol), self._store.time_range(symbol)
        if (
            ours is not None and theirs is not None and (theirs[1] < ours[0] or ours[1] < theirs[0])
        ):  # it drew nothing, and said nothing
            raise ValueError(
                f"{symbol} has no bar in the span of {model.symbol}'s "
                f"({minute_text(ours[0])} to {minute_text(ours[1])} UTC; {symbol}'s are "
                f"{minute_text(theirs[0])} to {minute_text(theirs[1])}): nothing to compare"
            )
        self._load(chart, symbol)
        slot = functools.partial(self._on_prepended, chart, symbol, model)
        model.bars_prepended.connect(slot)
        self._links.append((model, slot))

    def detach(self) -> None:
        """The view's charts close: their models (kept for the next view) reach them no
        more."""
        for model, slot in self._links:
            model.bars_prepended.disconnect(slot)
        self._links = []

    def _load(self, chart: ChartWidget, symbol: str) -> None:
        model = chart.model
        if model.timeframe != "1m":
            derive_timeframes(self._store, symbol, LIVE_TIMEFRAMES)
        start = int(model.column("ts_ns")[0]) if len(model) else None
        bars = self._store.load(symbol, model.timeframe, start_ns=start)
        chart.add_compare(symbol, bars.ts_ns, bars.close)

    def _on_prepended(self, chart: ChartWidget, symbol: str, model, _n: int) -> None:
        if chart.model is model and symbol in chart.compares:
            self._load(chart, symbol)

    @staticmethod
    def on_ticks(charts: list[ChartWidget], symbol: str, price: float) -> None:
        for chart in charts:
            if symbol in chart.compares:
                chart.compare_tick(symbol, price)
