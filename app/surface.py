"""The chart as a trader's working surface: drawings on every chart of their symbol, alerts
(on a price, a drawn line, an indicator condition) on every live symbol's ticks, and other
symbols compared over the active chart. The window's Alerts menu, the drawing toolbar and
Indicators > Compare act here, on the active chart (`active()`)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6 import QtCore

from app.alert_dialog import IndicatorAlertDialog
from app.alerts import Alerts
from app.alerts_panel import AlertsPanel
from app.compare import Comparisons
from app.drawings import Drawings
from app.main_window import MainWindow
from data.store import BarStore, StoreError
from engine.alert_specs import AlertSpec
from engine.price_text import step_decimals
from engine.sessions import calendar
from widgets.chart import ChartWidget

log = logging.getLogger(__name__)


class Surface(QtCore.QObject):
    def __init__(self, store: BarStore, window: MainWindow,
                 active: Callable[[], ChartWidget | None], symbols: Callable[[], list[str]],
                 remember_compares: Callable[[str], None],
                 parent: QtCore.QObject) -> None:  # fmt: skip
        """`active()`: the chart the toolbar and menus act on; `symbols()`: those that can
        be compared; `remember_compares(text)`: the comparisons kept for the next run."""
        super().__init__(parent)
        self._store = store
        self._window = window
        self._active = active
        self._closed = False
        self.drawings = Drawings(store, active, window.show_status, self)
        self.alerts = AlertsPanel(Alerts(store, lambda s: calendar(store.instrument(s).calendar),
                                         self._drawing_of), self)  # fmt: skip
        self.comparisons = Comparisons(store, symbols, remember_compares)
        self._charts: list[ChartWidget] = []
        window.add_side_panel(self.alerts.dock, right=True)
        window.addToolBar(QtCore.Qt.ToolBarArea.LeftToolBarArea, self.drawings.toolbar)
        self.alerts.dock.hide()  # shown when the first alert is set
        self.drawings.changed.connect(
            lambda symbol: self.alerts.follow_drawings(symbol, window.show_status)
        )
        self.drawings.toolbar.alert_requested.connect(self.add_drawing_alert)
        self.alerts.fired.connect(lambda line: window.show_status(f"alert: {line}", 15_000))
        self.alerts.armed_changed.connect(self._show_alert_levels)
        w = window
        self._links = [
            w.alert_requested.connect(lambda once: self.add_price_alert(once=once)),
            w.drawing_alert_requested.connect(self.add_drawing_alert),
            w.indicator_alert_requested.connect(self.add_indicator_alert),
            w.compare_requested.connect(self.add_compare),
            w.compare_cleared.connect(self.clear_compares),
        ]

    def _say_failure(self, exc: StoreError) -> None:
        log.error("%s", exc)
        self._window.show_status(str(exc))

    # -- the charts --------------------------------------------------------------------------

    def attach(self, charts: list[ChartWidget]) -> None:
        """A new view's charts: each with its symbol's drawings, alert levels and
        comparisons."""
        self._charts = list(charts)
        self.drawings.attach(charts)
        self._show_alert_levels()
        try:
            self.comparisons.show(charts, self._window.show_status)
        except StoreError as exc:
            self._say_failure(exc)

    def detach(self) -> None:
        self._charts = []
        self.drawings.detach()
        self.comparisons.detach()

    def on_ticks(self, charts: list[ChartWidget], symbol: str, ts_ns, price) -> None:
        """A frame's ticks of a live symbol: its alerts, and its comparisons on screen."""
        self.alerts.on_ticks(symbol, ts_ns, price)
        if len(price):
            self.comparisons.on_ticks(charts, symbol, float(price[-1]))

    # -- alerts ------------------------------------------------------------------------------

    def load_alerts(self) -> None:
        """The alerts kept in the store, armed (their compiled code is loaded now); nothing
        once the window closed (this runs from a timer)."""
        if self._closed:
            return
        try:
            self.alerts.load(self._window.show_status)
        except StoreError as exc:
            self._say_failure(exc)

    def _show_alert_levels(self) -> None:
        """Each chart shows the price levels its symbol's armed alerts wait for."""
        alerts = self.alerts.alerts
        for chart in self._charts:
            symbol = chart.model.symbol
            prices = [s.price for s in alerts.specs.get(symbol, []) if s.kind == "level"]
            decimals = alerts.decimals(symbol)
            chart.alert_levels.set_levels(prices, chart.decimals if decimals is None else decimals)

    def _drawing_of(self, symbol: str, drawing_id: str):
        return self.drawings.book(symbol).get(drawing_id)

    def add_price_alert(self, price: float | None = None, once: bool = True) -> str | None:
        """An alert when the active symbol crosses `price` (asked for, from its last price,
        when not given); its id, or None."""
        chart = self._active()
        if chart is None or not len(chart.model):
            return None
        symbol = chart.model.symbol
        last = float(chart.model.column("close")[-1])
        decimals = step_decimals(self._store.instrument(symbol).tick_size)
        return self.alerts.add_asked(self._window, symbol, last, price, once, decimals)

    def add_drawing_alert(self, once: bool = True) -> str | None:
        """An alert on the drawing selected on the active chart; its id, or None (and why,
        in the status bar)."""
        chart = self._active()
        selected = chart.drawings.selected if chart is not None else None
        if selected is None:
            self._window.show_status("select a horizontal line, trend line or ray on the chart "
                                     "first (click it)", 8000)  # fmt: skip
            return None
        symbol = chart.model.symbol
        alerts = self.alerts.alerts
        return self.alerts.add(self._window, symbol,
                               lambda: alerts.add_on_drawing(symbol, selected, once))  # fmt: skip

    def add_indicator_alert(self, spec: AlertSpec | None = None) -> str | None:
        """An indicator condition on the active symbol (asked for in a dialog when not
        given); its id, or None."""
        chart = self._active()
        if chart is None:
            return None
        symbol = chart.model.symbol
        if spec is None:
            dialog = IndicatorAlertDialog(symbol, chart.model.timeframe, self._window)
            if dialog.exec() != IndicatorAlertDialog.DialogCode.Accepted:
                return None
            spec = dialog.spec()
        return self.alerts.add(self._window, symbol, lambda: self.alerts.alerts.add(symbol, spec))

    # -- compare -----------------------------------------------------------------------------

    def _symbol_charts(self, chart: ChartWidget) -> list[ChartWidget]:
        """The charts of the view showing `chart`'s symbol."""
        return [c for c in self._charts or [chart] if c.model.symbol == chart.model.symbol]

    def add_compare(self, symbol: str | None = None) -> bool:
        """`symbol` (asked for when not given) over the charts of the active symbol, and
        remembered for it."""
        chart = self._active()
        if chart is None:
            return False
        symbol = symbol or self.comparisons.ask(self._window, chart)
        if symbol is None:
            return False
        try:
            for each in self._symbol_charts(chart):
                self.comparisons.add(each, symbol)
        except ValueError as exc:
            self._window.show_status(str(exc), 8000)
            return False
        except StoreError as exc:
            self._say_failure(exc)
            return False
        main = chart.model.symbol
        self.comparisons.keep(main, [*self.comparisons.of(main), symbol])
        return True

    def clear_compares(self) -> None:
        """No comparison over the active symbol's charts any more."""
        chart = self._active()
        if chart is None:
            return
        for each in self._symbol_charts(chart):
            for symbol in list(each.compares):
                each.remove_compare(symbol)
        self.comparisons.keep(chart.model.symbol, [])

    def close(self) -> None:
        """Write what is not written yet; the menus reach nothing more here."""
        self._closed = True
        for link in self._links:
            QtCore.QObject.disconnect(link)
        self.drawings.save()
        self.alerts.flush()
        self.detach()
