"""Render the README screenshots: `python -m app.screenshots [OUT_DIR]` (default docs/).

Builds a small demo store in a temporary folder and renders the main window with indicators,
the multi-timeframe grid and the layered chart offscreen, at 1600x1000."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def render(out_dir: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtWidgets

    from app.controller import ChartController
    from app.main_window import MainWindow
    from data.demo import DEMO_INSTRUMENTS, create_demo_store
    from data.store import BarStore
    from engine.aggregate import resample
    from engine.worker import IndicatorWorker
    from widgets.multi import LayeredChart, TimeframeGrid
    from widgets.series_model import SeriesModel
    from widgets.theme import DARK

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        store = BarStore(Path(tmp) / "demo.duckdb")
        create_demo_store(store, time.time_ns(), years=0.25, instruments=DEMO_INSTRUMENTS[:2])
        worker = IndicatorWorker()
        worker.start()
        window = MainWindow()
        window.resize(1600, 1000)
        controller = ChartController(store, window, DARK, worker, lambda spec, current: {})
        try:
            controller.start("ES")
            window.show()
            app.processEvents()
            for key in ("bollinger", "rsi", "macd", "trend"):
                window.indicator_chosen.emit(key)
            controller.indicators.wait_idle()
            window.chart.show_latest(300)
            app.processEvents()
            window.chart.crosshair.show_index(len(window.chart.model) - 40)
            app.processEvents()
            written.append(out_dir / "window-indicators.png")
            window.grab().save(str(written[-1]))

            base = store.load("ES", "1m", limit=60_000)
            tz = store.instrument("ES").tz
            models = [
                SeriesModel("ES", tf, tz, b if tf == "1m" else resample(b, tf, "cme-globex"))
                for tf, b in (("1m", base), ("5m", base), ("1h", base), ("1d", base))
            ]
            grid = TimeframeGrid(models, DARK)
            grid.resize(1600, 1000)
            grid.show()
            app.processEvents()
            grid.charts[0].crosshair.time_changed.emit(int(base.ts_ns[-200]))
            app.processEvents()
            written.append(out_dir / "multi-timeframe.png")
            grid.grab().save(str(written[-1]))

            layered = LayeredChart(SeriesModel("ES", "1m", tz, base), DARK)
            layered.set_layers({tf: SeriesModel("ES", tf, tz, resample(base, tf, "cme-globex"))
                                for tf in ("5m", "1h", "4h")})  # fmt: skip
            layered.resize(1600, 1000)
            layered.show()
            layered.show_latest(600)
            app.processEvents()
            written.append(out_dir / "layered.png")
            layered.grab().save(str(written[-1]))
        finally:
            if controller.indicators is not None:
                controller.indicators.close()
            worker.stop()
            store.close()
    return written


if __name__ == "__main__":
    for path in render(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(path)
