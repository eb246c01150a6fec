"""Wires the bar store to the main window's chart."""

from __future__ import annotations

from PySide6 import QtCore

from app.main_window import MainWindow
from data.store import BarStore

HISTORY_BARS = 20_000


class ChartController(QtCore.QObject):
    def __init__(self, store: BarStore, window: MainWindow) -> None:
        super().__init__(window)
        self._store = store
        self._window = window
        self.symbol: str | None = None
        window.symbol_chosen.connect(self._on_symbol_chosen)

    def start(self, symbol: str | None) -> None:
        symbols = self._store.symbols()
        if not symbols:
            self._window.show_status(
                f"{self._store.path} has no bars yet: import some with `candleterm import`"
            )
            return
        if symbol is not None and symbol not in symbols:
            raise ValueError(
                f"no bars of {symbol!r} in {self._store.path}; stored symbols: {', '.join(symbols)}"
            )
        current = symbol or symbols[0]
        self._window.set_symbols(symbols, current)
        self.show_symbol(current)

    def _on_symbol_chosen(self, symbol: str) -> None:
        self.show_symbol(symbol)

    def show_symbol(self, symbol: str) -> None:
        instrument = self._store.instrument(symbol)
        bars = self._store.load(symbol, "1m", limit=HISTORY_BARS)
        self.symbol = symbol
        self._window.chart.set_bars(bars, instrument.tz)
        self._window.setWindowTitle(f"candleterm - {symbol}")
        self._window.show_status(
            f"{symbol}  {instrument.description}  |  {instrument.calendar} ({instrument.tz})"
            f"  |  {len(bars):,} bars of 1m loaded"
        )
