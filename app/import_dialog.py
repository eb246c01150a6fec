"""The import dialog: pick a file, see how its columns will be read, import with progress;
every problem is shown in the dialog (nothing is imported from a file with bad rows unless
the user asks to skip them)."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from data.importer import BarLabel, ImportOptions, ImportReport, import_file, preview_file
from data.store import BarStore, StoreError
from engine.sessions import PRESETS

PREVIEW_ROWS = 12


class ImportDialog(QtWidgets.QDialog):
    """Signals (internal, from the import thread): progressed(str, float), finished(object)."""

    progressed = QtCore.Signal(str, float)
    finished_import = QtCore.Signal(object)  # an ImportReport, or the error text

    def __init__(self, store: BarStore, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import bars or ticks")
        self.resize(900, 600)
        self.store = store
        self.report: ImportReport | None = None
        self._thread: threading.Thread | None = None
        form = QtWidgets.QFormLayout()
        self.path_edit = QtWidgets.QLineEdit()
        browse = QtWidgets.QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.path_edit)
        row.addWidget(browse)
        form.addRow("File", row)
        self.symbol_edit = QtWidgets.QLineEdit()
        form.addRow("Symbol", self.symbol_edit)
        self.calendar_box = QtWidgets.QComboBox()
        self.calendar_box.addItems(sorted(PRESETS))
        form.addRow("Calendar (new symbols)", self.calendar_box)
        self.tz_edit = QtWidgets.QLineEdit("UTC")
        self.tz_edit.setToolTip("Time zone of timestamps written without an offset")
        form.addRow("Time zone", self.tz_edit)
        self.label_box = QtWidgets.QComboBox()
        for label in BarLabel:
            self.label_box.addItem(f"bar time is its {label.value}", label)
        form.addRow("Bar label", self.label_box)
        self.columns_edit = QtWidgets.QLineEdit()
        self.columns_edit.setPlaceholderText("automatic, or e.g. ts=time,open=o,high=h,...")
        form.addRow("Columns", self.columns_edit)
        self.skip_bad = QtWidgets.QCheckBox("import the good rows, write the bad ones aside")
        form.addRow("Bad rows", self.skip_bad)
        self.mapping_label = QtWidgets.QLabel()
        self.mapping_label.setWordWrap(True)
        self.table = QtWidgets.QTableWidget()
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.messages = QtWidgets.QPlainTextEdit()
        self.messages.setReadOnly(True)
        self.messages.setMaximumHeight(120)
        self.buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton(
            "Import", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setEnabled(False)
        self.buttons.accepted.connect(self.start_import)
        self.buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.mapping_label)
        layout.addWidget(self.table, stretch=1)
        layout.addWidget(self.progress)
        layout.addWidget(self.messages)
        layout.addWidget(self.buttons)
        self.path_edit.editingFinished.connect(self.refresh_preview)
        self.columns_edit.editingFinished.connect(self.refresh_preview)
        self.progressed.connect(self._on_progress)
        self.finished_import.connect(self._on_finished)

    def _browse(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Import", str(Path.home()), "Bars or ticks (*.csv *.txt *.gz *.parquet *.pq)"
        )
        if path:
            self.path_edit.setText(path)
            self.refresh_preview()

    def options(self) -> ImportOptions:
        return ImportOptions(
            symbol=self.symbol_edit.text().strip(),
            calendar=self.calendar_box.currentText(),
            tz=self.tz_edit.text().strip() or "UTC",
            label=self.label_box.currentData(),
            columns=self.columns_edit.text().strip() or None,
            skip_bad=self.skip_bad.isChecked(),
        )

    def refresh_preview(self) -> None:
        path = Path(self.path_edit.text().strip())
        if not self.symbol_edit.text().strip() and path.name:
            self.symbol_edit.setText(path.name.split(".")[0].split("_")[0].upper())
        try:
            preview = preview_file(path, self.options())
        except (ValueError, OSError) as exc:
            self.mapping_label.setText(f"<b>Cannot read this file:</b> {exc}")
            self.table.clear()
            self.import_button.setEnabled(False)
            return
        self.mapping_label.setText(
            f"Read as <b>{preview.kind}</b>: {preview.columns}"
            + ("<br>" + "<br>".join(preview.notes) if preview.notes else "")
        )
        rows = preview.rows[:PREVIEW_ROWS]
        self.table.setColumnCount(len(preview.names))
        self.table.setHorizontalHeaderLabels(preview.names)
        self.table.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                self.table.setItem(r, c, QtWidgets.QTableWidgetItem(value))
        self.import_button.setEnabled(True)

    def start_import(self) -> None:
        opts = self.options()
        if not opts.symbol:
            self.messages.setPlainText("Give the symbol the bars belong to.")
            return
        path = Path(self.path_edit.text().strip())
        self.import_button.setEnabled(False)
        self.messages.setPlainText(f"importing {path.name} as {opts.symbol}...")

        def run() -> None:
            try:
                report = import_file(self.store, path, opts, self.progressed.emit)
            except (ValueError, OSError, StoreError) as exc:
                self.finished_import.emit(str(exc))
                return
            self.finished_import.emit(report)

        self._thread = threading.Thread(target=run, name="candleterm-import", daemon=True)
        self._thread.start()

    def wait(self, timeout_s: float = 60.0) -> None:
        """Wait for a running import (for tests and scripts)."""
        if self._thread is not None:
            self._thread.join(timeout_s)
        QtCore.QCoreApplication.processEvents()

    def _on_progress(self, stage: str, fraction: float) -> None:
        self.progress.setFormat(f"{stage} %p%")
        self.progress.setValue(int(fraction * 1000))

    def _on_finished(self, result) -> None:
        self.import_button.setEnabled(True)
        if isinstance(result, str):
            self.messages.setPlainText(result)
            return
        self.report = result
        self.progress.setValue(1000)
        self.messages.setPlainText(result.summary())
        self.accept()
