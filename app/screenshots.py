"""Render the README screenshots: `python -m app.screenshots [OUT_DIR]` (default docs/).

Builds a small demo store in a temporary folder and renders the main window offscreen at
1600x1000: a chart with indicators, the multi-timeframe grid, the layered chart, and the
light theme on hourly bars."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def render(out_dir: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore, QtWidgets

    from app.controller import ChartController
    from app.live import LIVE_TIMEFRAMES
    from app.main_window import MainWindow
    from data.demo import DEMO_INSTRUMENTS, create_demo_store
    from data.feeds.kinds import FeedKind
    from data.store import BarStore
    from data.store.derived import derive_timeframes
    from engine.worker import IndicatorWorker

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        store = BarStore(Path(tmp) / "demo.duckdb")
        create_demo_store(store, time.time_ns(), years=0.25, instruments=DEMO_INSTRUMENTS[:2])
        derive_timeframes(store, "ES", LIVE_TIMEFRAMES)
        settings = QtCore.QSettings(str(Path(tmp) / "settings.ini"),
                                    QtCore.QSettings.Format.IniFormat)  # fmt: skip
        worker = IndicatorWorker()
        worker.start()
        window = MainWindow()
        window.resize(1600, 1000)
        controller = ChartController(store, window, worker, settings, lambda spec, current: {})
        controller.feed = FeedKind.OFF

        def shot(name: str) -> None:
            app.processEvents()
            written.append(out_dir / name)
            window.grab().save(str(written[-1]))

        try:
            controller.start("ES")
            window.show()
            for key in ("bollinger", "rsi", "macd", "trend"):
                window.indicator_chosen.emit(key)
            controller.indicators.wait_idle()
            controller.chart.show_latest(300)
            app.processEvents()
            controller.chart.crosshair.show_index(len(controller.chart.model) - 40)
            shot("window-indicators.png")
            for uid in ("rsi-1", "macd-1", "trend-1"):
                window.indicator_removed.emit(uid)
            window.layout_chosen.emit("grid")
            app.processEvents()
            controller.charts[0].crosshair.time_changed.emit(
                int(controller.charts[0].model.column("ts_ns")[-200])
            )
            shot("multi-timeframe.png")
            window.layout_chosen.emit("layered")
            controller.chart.show_latest(600)
            shot("layered.png")
            window.theme_chosen.emit("light")
            window.layout_chosen.emit("single")
            window.timeframe_chosen.emit("1h")
            shot("light-1h.png")
        finally:
            controller.close()
            worker.stop()
            store.close()
    return written


if __name__ == "__main__":
    for path in render(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(path)
