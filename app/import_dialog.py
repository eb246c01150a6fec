"""The import dialog: pick a file, see how its columns will be read, import with progress;
every problem is shown in the dialog (nothing is imported from a file with bad rows unless
the user asks to skip them)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from data.files.importer import (
    BarLabel,
    ImportOptions,
    ImportOverlaps,
    ImportRejected,
    ImportReport,
    import_file,
    preview_file,
)
from data.files.timestamps import DATE_ORDERS
from data.store import BarStore, StoreError
from engine.sessions import PRESETS, calendar_guess
from engine.timeframes import TIMEFRAMES

PREVIEW_ROWS = 12
SKIP_BAD_TEXT = "import the good rows, write the bad ones aside"
REPLACE_TEXT = "replace the bars stored in the file's span"
BAD_ROW_COLOUR = "#f4b8b8"


class ImportDialog(QtWidgets.QDialog):
    """Signals (internal, from the import thread): progressed(str, float), finished(object)."""

    progressed = QtCore.Signal(str, float)
    finished_import = QtCore.Signal(object)  # an ImportReport, or the error text

    def __init__(self, store: BarStore, parent=None, settings: QtCore.QSettings | None = None):
        super().__init__(parent)
        self.setWindowTitle("Import bars or ticks")
        self.resize(900, 600)
        self.store = store
        self.report: ImportReport | None = None
        self._thread: threading.Thread | None = None
        self._settings = settings or QtCore.QSettings()
        self._preview_lines: list[int] = []
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
        self.date_order_box = QtWidgets.QComboBox()
        self.date_order_box.addItem("as the file shows (dotted dates day first)", None)
        for order, text in DATE_ORDERS.items():
            self.date_order_box.addItem(text, order)
        self.date_order_box.setToolTip("Dates written with the year last: day first (Europe) "
                                       "or month first (US)")  # fmt: skip
        form.addRow("Date order", self.date_order_box)
        self.timeframe_box = QtWidgets.QComboBox()
        self.timeframe_box.addItems(TIMEFRAMES)
        self.timeframe_box.setToolTip("The bars' timeframe: 1m for minutes (ticks always), 1d "
                                      "for a daily file dated by day")  # fmt: skip
        form.addRow("Timeframe", self.timeframe_box)
        self.columns_edit = QtWidgets.QLineEdit()
        self.columns_edit.setPlaceholderText("automatic, or e.g. ts=time,open=o,high=h,...")
        form.addRow("Columns", self.columns_edit)
        self.skip_bad = QtWidgets.QCheckBox(SKIP_BAD_TEXT)
        form.addRow("Bad rows", self.skip_bad)
        self.replace = QtWidgets.QCheckBox(REPLACE_TEXT)
        self.replace.setToolTip("Import a corrected file over the bars of an earlier import: "
                                "none of the earlier bars stays in the file's span")  # fmt: skip
        form.addRow("Stored bars", self.replace)
        self.mapping_label = QtWidgets.QLabel()
        self.mapping_label.setWordWrap(True)
        self.table = QtWidgets.QTableWidget()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
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
        self.symbol_edit.editingFinished.connect(self._guess_calendar)
        self.columns_edit.editingFinished.connect(self.refresh_preview)
        self.tz_edit.editingFinished.connect(self.refresh_preview)
        self.label_box.currentIndexChanged.connect(self.refresh_preview)
        self.timeframe_box.currentIndexChanged.connect(self.refresh_preview)
        self.calendar_box.currentIndexChanged.connect(self.refresh_preview)
        self.date_order_box.currentIndexChanged.connect(self.refresh_preview)
        self.progressed.connect(self._on_progress)
        self.finished_import.connect(self._on_finished)
        self._restore_choices()

    def _restore_choices(self) -> None:
        """Calendar, time zone, bar label and date order as last used (files of one vendor
        come alike)."""
        s = self._settings
        calendar = s.value("import/calendar")
        if calendar in PRESETS:
            self.calendar_box.setCurrentText(calendar)
        self.tz_edit.setText(s.value("import/tz") or "UTC")
        label = self.label_box.findText(f"bar time is its {s.value('import/label') or 'start'}")
        self.label_box.setCurrentIndex(max(label, 0))
        self.date_order_box.setCurrentIndex(max(self.date_order_box.findData(
            s.value("import/date_order")), 0))  # fmt: skip
        self.timeframe_box.setCurrentText(s.value("import/timeframe") or "1m")

    def _guess_calendar(self) -> None:
        """A new symbol whose name says its calendar (EURUSD: fx, BTCUSDT: 24x7) is shown on
        it, whatever was chosen last (a currency pair imported after a coin went on 24x7)."""
        symbol = self.symbol_edit.text().strip()
        guess = calendar_guess(symbol)
        if guess and symbol not in {i.symbol for i in self.store.instruments()}:
            self.calendar_box.setCurrentText(guess)

    def _save_choices(self, opts: ImportOptions) -> None:
        self._settings.setValue("import/calendar", self.calendar_box.currentText())
        self._settings.setValue("import/tz", opts.tz)
        self._settings.setValue("import/label", opts.label.value)
        self._settings.setValue("import/date_order", opts.date_order or "")
        self._settings.setValue("import/timeframe", opts.timeframe)

    def _browse(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Import", str(Path.home()), "Bars or ticks (*.csv *.txt *.gz *.parquet *.pq)"
        )
        if path:
            self.path_edit.setText(path)
            self.refresh_preview()

    def options(self) -> ImportOptions:
        symbol = self.symbol_edit.text().strip()
        new = symbol not in {i.symbol for i in self.store.instruments()}  # for them alone
        return ImportOptions(
            symbol=symbol,
            calendar=self.calendar_box.currentText() if new else None,
            tz=self.tz_edit.text().strip() or "UTC",
            label=self.label_box.currentData(),
            date_order=self.date_order_box.currentData(),
            timeframe=self.timeframe_box.currentText(),
            columns=self.columns_edit.text().strip() or None,
            skip_bad=self.skip_bad.isChecked(),
            replace=self.replace.isChecked(),
        )

    def refresh_preview(self) -> None:
        if not self.path_edit.text().strip():
            return  # no file yet (a choice restored or changed before one is given)
        path = Path(self.path_edit.text().strip())
        if not self.symbol_edit.text().strip() and path.name:
            self.symbol_edit.setText(symbol_from_name(path.name))
            self._guess_calendar()
        try:
            preview = preview_file(path, self.options(), calendar_name=self._calendar_name())
        except (ValueError, OSError) as exc:
            self.mapping_label.setText(f"<b>Cannot read this file:</b> {exc}")
            self.table.clear()
            self.import_button.setEnabled(False)
            return
        self.mapping_label.setText(
            f"Read as <b>{preview.kind}</b>: {preview.columns}"
            + ("<br>" + "<br>".join(preview.notes) if preview.notes else "")
        )
        # each row as read, its time first: a bar's open in UTC, once the time zone and the
        # label are applied (an end-labelled file read as start-labelled shows a minute late)
        rows = [[time, *values] for time, values in zip(preview.times, preview.rows, strict=True)]
        rows = rows[:PREVIEW_ROWS]
        self._preview_lines = preview.lines[:PREVIEW_ROWS]
        read_as = "opens (UTC)" if preview.kind == "bars" else "time (UTC)"
        self.table.setColumnCount(len(preview.names) + 1)
        self.table.setHorizontalHeaderLabels([read_as, *preview.names])
        self.table.setRowCount(len(rows))
        # rows numbered as the errors number them: by file line (CSV) or row (Parquet)
        self.table.setVerticalHeaderLabels([f"{preview.row_word} {n}" for n in self._preview_lines])
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                item = QtWidgets.QTableWidgetItem(value)
                if c == 0:
                    item.setToolTip("the time this row is stored at")
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.import_button.setEnabled(True)

    def _calendar_name(self) -> str:
        """The symbol's calendar: its own if stored, else the one chosen for it."""
        symbol = self.symbol_edit.text().strip()
        known = {i.symbol: i.calendar for i in self.store.instruments()}
        return known.get(symbol) or self.calendar_box.currentText()

    def highlight(self, bad: dict[int, str]) -> None:
        """Mark the previewed rows among the bad ones (line -> reason) in red, the reason as
        their tooltip."""
        for r, line in enumerate(self._preview_lines):
            reason = bad.get(line)
            for c in range(self.table.columnCount()):
                item = self.table.item(r, c)
                if item is None:
                    continue
                item.setBackground(QtGui.QColor(BAD_ROW_COLOUR) if reason else QtGui.QBrush())
                item.setToolTip(reason or "")

    def start_import(self) -> None:
        opts = self.options()
        if not opts.symbol:
            self.messages.setPlainText("Give the symbol the bars belong to.")
            return
        path = Path(self.path_edit.text().strip())
        self.import_button.setEnabled(False)
        self._save_choices(opts)
        self.messages.setPlainText(f"importing {path.name} as {opts.symbol}...")

        def run() -> None:
            try:
                report = import_file(self.store, path, opts, self.progressed.emit)
            except (ImportRejected, ImportOverlaps) as exc:
                self.finished_import.emit(exc)
                return
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
        if isinstance(result, ImportRejected):
            hint = f"Fix these rows, or tick \u201c{SKIP_BAD_TEXT}\u201d and import again."
            self.messages.setPlainText(str(ImportRejected(result.report, hint)))
            self.highlight(dict(result.report.bad_listed))
            self.progress.setValue(0)
            self.progress.setFormat("nothing imported")
            return
        if isinstance(result, ImportOverlaps):
            hint = f"Tick \u201c{REPLACE_TEXT}\u201d and import again, or give another symbol."
            self.messages.setPlainText(str(result.again(hint)))
            self.progress.setValue(0)
            self.progress.setFormat("nothing imported")
            return
        if isinstance(result, str):
            self.messages.setPlainText(result)
            return
        self.report = result
        self.progress.setValue(1000)
        self.progress.setFormat("imported")
        self.messages.setPlainText(result.summary())
        if result.rejects_path is None:
            self.accept()
            return
        # the user should see where the rejects went: stay open until closed
        self.import_button.setEnabled(False)
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Cancel).setText("Close")
        self.buttons.rejected.disconnect()
        self.buttons.rejected.connect(self.accept)


def symbol_from_name(name: str) -> str:
    """A symbol from a file name: its leading letters and digits ("6EH4-cme-2024-01-1m.csv.gz"
    is 6EH4, "eurusd-quotes-2020.csv" EURUSD)."""
    match = re.match(r"[A-Za-z0-9]+", name)
    return match.group(0).upper() if match else ""
