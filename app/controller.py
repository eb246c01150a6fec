"""Wires the bar store to the main window's chart: loads series, answers history requests."""

from __future__ import annotations

from PySide6 import QtCore

from app.indicator_dialog import IndicatorDialog
from app.indicators import IndicatorController
from app.main_window import MainWindow
from data.store import BarStore
from engine.indicators.registry import IndicatorSpec, spec
from engine.worker import IndicatorWorker
from widgets.chart import ChartWidget
from widgets.series_model import SeriesModel
from widgets.theme import Theme

FIRST_PAGE_BARS = 50_000
HISTORY_PAGE_BARS = 100_000


class ChartController(QtCore.QObject):
    def __init__(
        self,
        store: BarStore,
        window: MainWindow,
        theme: Theme,
        worker: IndicatorWorker | None = None,
        ask_parameters=None,
    ) -> None:
        """`ask_parameters(spec, current) -> dict | None` asks the user for an indicator's
        parameters (a dialog by default)."""
        super().__init__(window)
        self._store = store
        self._window = window
        self._theme = theme
        self._worker = worker
        self._ask = ask_parameters or _ask_with_dialog
        self.symbol: str | None = None
        self.chart: ChartWidget | None = None
        self.indicators: IndicatorController | None = None
        window.symbol_chosen.connect(self._on_symbol_chosen)
        window.indicator_chosen.connect(self._on_indicator_chosen)
        window.indicator_removed.connect(self._on_indicator_removed)

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

    def load_model(self, symbol: str, timeframe: str = "1m") -> SeriesModel:
        instrument = self._store.instrument(symbol)
        bars = self._store.load_series(symbol, timeframe, limit=FIRST_PAGE_BARS)
        return SeriesModel(symbol, timeframe, instrument.tz, bars)

    def show_symbol(self, symbol: str) -> None:
        model = self.load_model(symbol)
        instrument = self._store.instrument(symbol)
        if self.chart is None:
            self.chart = ChartWidget(model, self._theme)
            self.chart.history_wanted.connect(self._on_history_wanted)
            self._window.set_chart(self.chart)
            if self._worker is not None:
                self.indicators = IndicatorController(self.chart, self._worker,
                                                      instrument.calendar)  # fmt: skip
                self.indicators.indicators_changed.connect(self._on_indicators_changed)
        else:
            self.chart.set_model(model)
            if self.indicators is not None:
                self.indicators.set_model(model, instrument.calendar)
        self.symbol = symbol
        self._window.setWindowTitle(f"candleterm - {symbol}")
        self._window.show_status(
            f"{symbol}  {instrument.description}  |  {instrument.calendar} ({instrument.tz})"
            f"  |  {len(model):,} bars of 1m loaded"
        )

    def _on_indicator_chosen(self, key: str) -> None:
        if self.indicators is None:
            return
        current = self.indicators.active.get(key)
        params = self._ask(spec(key), current)
        if params is not None:
            self.indicators.add(key, **params)
            self._on_indicators_changed()

    def _on_indicator_removed(self, key: str) -> None:
        if self.indicators is not None:
            self.indicators.remove(key)

    def _on_indicators_changed(self) -> None:
        self._window.set_active_indicators(list(self.indicators.active))

    def _on_history_wanted(self, model: SeriesModel) -> None:
        # Answer after the current event: the request comes from inside a range change.
        QtCore.QTimer.singleShot(0, lambda: self.load_older(model))

    def load_older(self, model: SeriesModel) -> None:
        if len(model) == 0:
            model.prepend(self._store.load(model.symbol, model.timeframe, limit=0))
            return
        oldest = int(model.column("ts_ns")[0])
        older = self._store.load_before(model.symbol, model.timeframe, oldest, HISTORY_PAGE_BARS)
        model.prepend(older)  # an empty page marks the history complete


def _ask_with_dialog(indicator: IndicatorSpec, current: dict | None) -> dict | None:
    dialog = IndicatorDialog(indicator, current)
    return dialog.values() if dialog.exec() else None
