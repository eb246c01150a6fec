"""A dialog for an indicator's parameters, built from its registry description."""

from __future__ import annotations

from PySide6 import QtWidgets

from engine.indicators.registry import IndicatorSpec


class IndicatorDialog(QtWidgets.QDialog):
    def __init__(self, indicator: IndicatorSpec, current: dict | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle(indicator.title)
        self.indicator = indicator
        form = QtWidgets.QFormLayout(self)
        self.fields: dict[str, QtWidgets.QAbstractSpinBox] = {}
        for param in indicator.params:
            if param.integer:
                field = QtWidgets.QSpinBox()
            else:
                field = QtWidgets.QDoubleSpinBox()
                field.setDecimals(2)
                field.setSingleStep(0.1)
            field.setRange(param.minimum, param.maximum)
            field.setValue((current or {}).get(param.name, param.default))
            form.addRow(param.name, field)
            self.fields[param.name] = field
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, float | int]:
        return self.indicator.resolve(**{name: f.value() for name, f in self.fields.items()})
