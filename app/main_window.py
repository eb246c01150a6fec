"""The main window: layout only. Wiring lives in the controller."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from engine.indicators.registry import REGISTRY
from widgets.chart import ChartWidget


class MainWindow(QtWidgets.QMainWindow):
    """Toolbar with a symbol picker and an indicators menu over a chart, and a status bar.

    Signals:
        symbol_chosen(str): the user picked a symbol.
        indicator_chosen(str): the user asked to add (or edit) an indicator.
        indicator_removed(str): the user asked to remove an indicator.
    """

    symbol_chosen = QtCore.Signal(str)
    indicator_chosen = QtCore.Signal(str)
    indicator_removed = QtCore.Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.chart: ChartWidget | None = None
        toolbar = self.addToolBar("Chart")
        toolbar.setObjectName("chart-toolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(QtWidgets.QLabel(" Symbol "))
        self.symbol_box = QtWidgets.QComboBox()
        self.symbol_box.setMinimumContentsLength(10)
        self.symbol_box.setToolTip("Symbol shown in the chart")
        toolbar.addWidget(self.symbol_box)
        self.symbol_box.textActivated.connect(self.symbol_chosen)
        self.indicators_menu = self.menuBar().addMenu("&Indicators")
        for indicator in REGISTRY.values():
            action = self.indicators_menu.addAction(indicator.title)
            action.triggered.connect(lambda _=False, k=indicator.key: self.indicator_chosen.emit(k))
        self.remove_menu = self.indicators_menu.addMenu("Remove")
        self.remove_menu.setEnabled(False)
        self.resize(1400, 850)

    def set_active_indicators(self, keys: list[str]) -> None:
        self.remove_menu.clear()
        for key in keys:
            action = self.remove_menu.addAction(REGISTRY[key].title)
            action.triggered.connect(lambda _=False, k=key: self.indicator_removed.emit(k))
        self.remove_menu.setEnabled(bool(keys))

    def set_chart(self, chart: ChartWidget) -> None:
        self.chart = chart
        self.setCentralWidget(chart)

    def set_symbols(self, symbols: list[str], current: str) -> None:
        with QtCore.QSignalBlocker(self.symbol_box):
            self.symbol_box.clear()
            self.symbol_box.addItems(symbols)
            self.symbol_box.setCurrentText(current)

    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(text)
