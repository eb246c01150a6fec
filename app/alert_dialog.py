"""The indicator alert dialog: an indicator with its parameters, the output compared, the
timeframe of its bars, the condition and the threshold, once or every time."""

from __future__ import annotations

from PySide6 import QtWidgets

from app.live import LIVE_TIMEFRAMES
from engine.alert_specs import OPS, AlertSpec
from engine.drawings import new_id
from engine.indicators.registry import REGISTRY


class IndicatorAlertDialog(QtWidgets.QDialog):
    def __init__(self, symbol: str, timeframe: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Indicator alert on {symbol}")
        self._form = form = QtWidgets.QFormLayout(self)
        self.indicator = QtWidgets.QComboBox()
        for spec in REGISTRY.values():
            self.indicator.addItem(spec.title, spec.key)
        self.indicator.setCurrentIndex(max(self.indicator.findData("rsi"), 0))
        form.addRow("Indicator", self.indicator)
        self._params = QtWidgets.QWidget()
        self._param_form = QtWidgets.QFormLayout(self._params)
        self._param_form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self._params)
        self.output = QtWidgets.QComboBox()
        form.addRow("Value", self.output)
        self.timeframe = QtWidgets.QComboBox()
        self.timeframe.addItems(list(LIVE_TIMEFRAMES))
        self.timeframe.setCurrentText(timeframe)
        form.addRow("Bars of", self.timeframe)
        self.op = QtWidgets.QComboBox()
        for op, words in OPS.items():
            self.op.addItem(words, op)
        form.addRow("Condition", self.op)
        self.threshold = QtWidgets.QDoubleSpinBox()
        self.threshold.setRange(-1e12, 1e12)
        self.threshold.setDecimals(4)
        self.threshold.setValue(70.0)
        form.addRow("Threshold", self.threshold)
        self.once = QtWidgets.QCheckBox("Once (else every time it crosses)")
        self.once.setChecked(True)
        form.addRow(self.once)
        self.error = QtWidgets.QLabel()
        self.error.setWordWrap(True)
        form.addRow(self.error)
        button = QtWidgets.QDialogButtonBox.StandardButton
        buttons = QtWidgets.QDialogButtonBox(button.Ok | button.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._spins: dict[str, QtWidgets.QDoubleSpinBox] = {}
        self.indicator.currentIndexChanged.connect(self._show_params)
        self._show_params()

    def _show_params(self) -> None:
        spec = REGISTRY[self.indicator.currentData()]
        while self._param_form.rowCount():
            self._param_form.removeRow(0)
        self._spins = {}
        for p in spec.params:
            spin = QtWidgets.QDoubleSpinBox()
            spin.setRange(p.minimum, p.maximum)
            spin.setDecimals(0 if p.integer else 2)
            spin.setValue(p.default)
            self._param_form.addRow(p.name, spin)
            self._spins[p.name] = spin
        self.output.clear()
        self.output.addItems(list(spec.outputs))

    def spec(self) -> AlertSpec:
        """The alert asked for (ValueError naming what is wrong)."""
        indicator = REGISTRY[self.indicator.currentData()]
        params = {p.name: (int(self._spins[p.name].value()) if p.integer
                           else self._spins[p.name].value()) for p in indicator.params}  # fmt: skip
        return AlertSpec(new_id(), "indicator", self.once.isChecked(), indicator=indicator.key,
                         params=tuple(sorted(params.items())), output=self.output.currentText(),
                         timeframe=self.timeframe.currentText(), op=self.op.currentData(),
                         threshold=self.threshold.value())  # fmt: skip

    def accept(self) -> None:
        try:
            self.spec()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        super().accept()
