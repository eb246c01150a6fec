"""The application window and controller on a real store."""

import pytest

from app.controller import ChartController
from app.gui import open_store_creating_demo
from app.main_window import MainWindow
from tests.conftest import make_bars
from widgets.theme import DARK


def test_window_and_controller_switch_symbols_and_load_history(qtbot, store):
    store.write_bars("AAA", "1m", make_bars(300, seed=1))
    store.write_bars("BBB", "1m", make_bars(120_000, seed=2))
    window = MainWindow()
    qtbot.addWidget(window)
    controller = ChartController(store, window, DARK)
    controller.start(None)
    assert [window.symbol_box.itemText(i) for i in range(2)] == ["AAA", "BBB"]
    assert len(window.chart.model) == 300
    window.symbol_box.textActivated.emit("BBB")
    assert controller.symbol == "BBB" and "BBB" in window.windowTitle()
    model = window.chart.model
    assert len(model) == 50_000
    controller.load_older(model)
    assert len(model) == 120_000 and model.bars.equals(store.load("BBB", "1m"))
    controller.load_older(model)
    assert model.history_complete
    with pytest.raises(ValueError, match="no bars of 'ZZZ'"):
        controller.start("ZZZ")


def test_first_launch_creates_the_demo_store(qtbot, tmp_path):
    path = tmp_path / "fresh" / "candleterm.duckdb"
    stages = []
    store = open_store_creating_demo(path, lambda stage, f: stages.append(stage))
    try:
        assert len(store.symbols()) == 4
        assert sum(store.count(s, "1m") for s in store.symbols()) > 2_000_000
        assert any("BTCUSD" in s for s in stages)
    finally:
        store.close()
    reopened = open_store_creating_demo(path, lambda *a: pytest.fail("demo made twice"))
    reopened.close()


def test_indicators_from_the_menu_are_computed_by_the_worker(qtbot, store):
    import os
    from pathlib import Path

    import numpy as np

    from engine import indicators as ind
    from engine.worker import IndicatorWorker

    def ours():
        return set(Path("/dev/shm").glob(f"ct_{os.getpid()}_*"))

    before = ours()
    store.write_bars("AAA", "1m", make_bars(5000, seed=1))
    store.write_bars("BBB", "1m", make_bars(3000, seed=2))
    worker = IndicatorWorker(timeout_s=30)
    worker.start()
    window = MainWindow()
    qtbot.addWidget(window)
    asked = []

    def ask(indicator, current):
        asked.append(indicator.key)
        return {"period": 10} if indicator.key == "rsi" else {}

    controller = ChartController(store, window, DARK, worker, ask_parameters=ask)
    controller.start(None)
    try:
        window.indicator_chosen.emit("rsi")
        window.indicator_chosen.emit("macd")
        controller.indicators.wait_idle()
        chart = window.chart
        assert asked == ["rsi", "macd"] and {"rsi", "macd"} <= set(chart.panes)
        want = ind.rsi(chart.model.bars.close, 10)
        np.testing.assert_array_equal(chart.indicators["rsi"][1]["rsi"].values, want)
        assert len(window.remove_menu.actions()) == 2
        window.symbol_chosen.emit("BBB")
        controller.indicators.wait_idle()
        np.testing.assert_array_equal(chart.indicators["rsi"][1]["rsi"].values,
                                      ind.rsi(store.load("BBB", "1m").close, 10))  # fmt: skip
        window.indicator_removed.emit("rsi")
        assert "rsi" not in chart.panes and len(window.remove_menu.actions()) == 1
    finally:
        controller.indicators.close()
        worker.stop()
    assert ours() <= before


def test_indicator_dialog_checks_parameters(qtbot):
    from app.indicator_dialog import IndicatorDialog
    from engine.indicators.registry import spec

    dialog = IndicatorDialog(spec("bollinger"), {"period": 30})
    qtbot.addWidget(dialog)
    assert dialog.fields["period"].value() == 30
    dialog.fields["k_std"].setValue(2.5)
    assert dialog.values() == {"period": 30, "k_std": 2.5}


def test_screenshots_are_rendered(qtbot, tmp_path):
    from PySide6 import QtGui

    from app.screenshots import render

    for path in render(tmp_path):
        image = QtGui.QImage(str(path))
        assert image.width() >= 1600 and image.height() >= 900, path
