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
