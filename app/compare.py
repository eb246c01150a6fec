"""Compare in the window (Indicators > Compare with symbol): another symbol's bars of the
chart's timeframe over the active chart, from the chart's oldest loaded bar on (again when
older history is loaded), its last value moved by its live ticks."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtWidgets

from app.live import LIVE_TIMEFRAMES
from data.store import BarStore
from data.store.derived import derive_timeframes
from widgets.chart import ChartWidget


class Comparisons:
    def __init__(self, store: BarStore, symbols: Callable[[], list[str]]) -> None:
        self._store = store
        self._symbols = symbols

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
        self._load(chart, symbol)
        model.bars_prepended.connect(
            lambda _n, c=chart, s=symbol, m=model: self._on_prepended(c, s, m)
        )

    def _load(self, chart: ChartWidget, symbol: str) -> None:
        model = chart.model
        if model.timeframe != "1m":
            derive_timeframes(self._store, symbol, LIVE_TIMEFRAMES)
        start = int(model.column("ts_ns")[0]) if len(model) else None
        bars = self._store.load(symbol, model.timeframe, start_ns=start)
        chart.add_compare(symbol, bars.ts_ns, bars.close)

    def _on_prepended(self, chart: ChartWidget, symbol: str, model) -> None:
        if chart.model is model and symbol in chart.compares:
            self._load(chart, symbol)

    @staticmethod
    def on_ticks(charts: list[ChartWidget], symbol: str, price: float) -> None:
        for chart in charts:
            if symbol in chart.compares:
                chart.compare_tick(symbol, price)
