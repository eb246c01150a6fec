"""The main window: layout only. Wiring lives in the controller."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from widgets.chart import ChartWidget


class MainWindow(QtWidgets.QMainWindow):
    """Toolbar with a symbol picker over a chart, and a status bar.

    Signals:
        symbol_chosen(str): the user picked a symbol.
    """

    symbol_chosen = QtCore.Signal(str)

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
        self.resize(1400, 850)

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
