"""Start the Qt application on a bar store."""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

from app.controller import ChartController
from app.main_window import MainWindow
from data.demo import create_demo_store
from data.store import BarStore
from engine.worker import IndicatorWorker
from widgets.theme import THEMES


def _progress_dialog(QtWidgets, title: str):
    dialog = QtWidgets.QProgressDialog(title, None, 0, 1000)
    dialog.setWindowTitle("candleterm")
    dialog.setMinimumDuration(0)
    app = QtWidgets.QApplication.instance()

    def report(stage: str, fraction: float) -> None:
        dialog.setLabelText(stage)
        dialog.setValue(int(fraction * 1000))
        app.processEvents()

    return dialog, report


def open_store_creating_demo(path: Path, progress) -> BarStore:
    """Open the store; a store that does not exist yet is created with demo data."""
    first_run = not path.exists()
    store = BarStore(path)
    if first_run:
        try:
            create_demo_store(store, end_ns=time.time_ns(), progress=progress)
        except BaseException:
            store.close()
            path.unlink(missing_ok=True)
            raise
    return store


def run_gui(db: Path, symbol: str | None, theme: str) -> int:
    import pyqtgraph as pg
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("candleterm")
    pg.setConfigOptions(antialias=False)
    dialog, report = _progress_dialog(QtWidgets, "Creating demo data...")
    try:
        store = open_store_creating_demo(db, report)
    finally:
        dialog.close()
    worker = IndicatorWorker()
    worker.start()
    window = MainWindow()
    controller = ChartController(store, window, THEMES[theme], worker)
    try:
        controller.start(symbol)
    except ValueError:
        store.close()
        raise
    window.show()
    # Everything built so far lives as long as the app: keep the cyclic collector off it, so
    # its full passes stay short and frames do not stall on them.
    gc.collect()
    gc.freeze()
    try:
        return app.exec()
    finally:
        if controller.indicators is not None:
            controller.indicators.close()
        worker.stop()
        store.close()
