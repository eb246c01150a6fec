import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from app.controller import ChartController
from app.gui import open_store_creating_demo
from app.main_window import MainWindow
from engine.bars import Bars
from tests.conftest import T0_NS, make_bars
from widgets.chart import ChartWidget
from widgets.theme import DARK, LIGHT


def alternating_bars(n: int) -> Bars:
    """Up, down, up, ... candles with bodies 10 wide around 100."""
    up = np.arange(n) % 2 == 0
    open_ = np.where(up, 95.0, 105.0)
    close = np.where(up, 105.0, 95.0)
    ts = T0_NS + np.arange(n, dtype=np.int64) * 60_000_000_000
    return Bars.from_arrays(ts, open_, close.clip(105), open_.clip(max=95), close, np.full(n, 5.0))


@pytest.fixture
def chart(qtbot):
    widget = ChartWidget(DARK)
    widget.resize(800, 600)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def pixel_at(widget: ChartWidget, plot, x: float, y: float) -> QtGui.QColor:
    image = widget.grab().toImage()
    scene_point = plot.getViewBox().mapViewToScene(QtCore.QPointF(x, y))
    point = widget.mapFromScene(scene_point)
    return image.pixelColor(point.x(), point.y())


def test_candle_bodies_have_their_colours(chart, qtbot):
    chart.set_bars(alternating_bars(40), "UTC")
    chart.price_plot.setXRange(20, 39, padding=0)
    qtbot.wait(10)
    # Sample off the grid lines (drawn at whole ticks) and off the wick.
    up_bar, down_bar = 30, 31
    assert pixel_at(chart, chart.price_plot, up_bar + 0.2, 101.7).name() == DARK.up
    assert pixel_at(chart, chart.price_plot, down_bar + 0.2, 101.7).name() == DARK.down
    assert pixel_at(chart, chart.price_plot, up_bar + 0.5, 101.7).name() == DARK.background


def test_light_theme_recolours(chart, qtbot):
    chart.set_bars(alternating_bars(40), "UTC")
    chart.set_theme(LIGHT)
    chart.price_plot.setXRange(20, 39, padding=0)
    qtbot.wait(10)
    assert pixel_at(chart, chart.price_plot, 30.2, 101.7).name() == LIGHT.up
    assert pixel_at(chart, chart.price_plot, 30.5, 101.7).name() == LIGHT.background


def test_only_visible_candles_are_prepared(chart, qtbot):
    bars = make_bars(10_000)
    chart.set_bars(bars, "UTC")
    chart.price_plot.setXRange(5000, 5100, padding=0)
    qtbot.wait(10)
    chart.grab()
    first, stop = chart.candles.visible_range()
    assert 4990 <= first <= 5000 and 5100 <= stop <= 5110
    prepared = sum(len(chart.candles._bodies[c]) for c in ("up", "down"))
    assert prepared == stop - first


def test_y_follows_the_visible_bars(chart, qtbot):
    bars = make_bars(2000)
    chart.set_bars(bars, "UTC")
    chart.price_plot.setXRange(100, 200, padding=0)
    qtbot.wait(10)
    chart.grab()
    lo, hi = chart.candles.dataBounds(1, orthoRange=(100, 200))
    assert lo == bars.low[100:201].min() and hi == bars.high[100:201].max()
    (_, _), (y0, y1) = chart.price_plot.getViewBox().viewRange()
    assert y0 <= lo and hi <= y1
    assert (y1 - y0) < 2 * (hi - lo)  # fitted, not the whole history


def test_time_axis_labels_local_time(chart):
    bars = make_bars(600)
    chart.set_bars(bars, "America/Chicago")
    labels = chart.volume_axis.tickStrings([0, 60, 120], 1, 60)
    # 2024-01-02 00:00 UTC is 01-01 18:00 in Chicago.
    assert labels == ["01-01 18:00", "19:00", "20:00"]


def test_window_and_controller_switch_symbols(qtbot, store):
    store.write_bars("AAA", "1m", make_bars(300, seed=1))
    store.write_bars("BBB", "1m", make_bars(500, seed=2))
    window = MainWindow(ChartWidget())
    qtbot.addWidget(window)
    controller = ChartController(store, window)
    controller.start(None)
    assert [window.symbol_box.itemText(i) for i in range(2)] == ["AAA", "BBB"]
    assert len(window.chart.candles.bars) == 300
    window.symbol_box.textActivated.emit("BBB")
    assert controller.symbol == "BBB"
    assert len(window.chart.candles.bars) == 500
    assert "BBB" in window.windowTitle()
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
