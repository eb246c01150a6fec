"""Drawings in the window: a symbol's drawings on every chart that shows it, on every
timeframe, the toolbar acting on the active chart, written to the store within a second and
there after a restart or a kill."""

import json
import signal
import time

from app.main_window import MainWindow
from data.store import BarStore
from engine.bar_x import x_of_times
from engine.units import NS_PER_HOUR, NS_PER_MIN
from tests.conftest import make_bars, offline
from tests.headless import TERMINAL_SCRIPT, start_script
from tests.test_drawing_tools import bar_point, click


def test_a_drawing_is_on_every_chart_of_its_symbol_and_in_the_store(qtbot, store, window,
                                                                     settings):  # fmt: skip
    store.write_bars("AAA", "1m", make_bars(3000, seed=1))
    store.write_bars("BBB", "1m", make_bars(300, seed=2))
    controller = offline(store, window, settings)
    try:
        controller.start("AAA")
        window.show()
        qtbot.waitExposed(window)
        controller.set_layout("grid")  # 1m, 5m, 1h, 1d of AAA
        first, hourly = controller.charts[0], controller.charts[2]
        assert hourly.model.timeframe == "1h"
        controller.surface.drawings.toolbar.tool_actions["hline"].trigger()  # on the active chart
        assert first.drawings.tool == "hline" and hourly.drawings.tool is None
        assert controller.surface.drawings.toolbar.tool_actions["hline"].isChecked()
        n = len(first.model)
        (_, _), (y0, y1) = first.price.view.viewRange()
        click(first, bar_point(first, n - 30, (y0 + y1) / 2))
        (line,) = controller.surface.drawings.books["AAA"].drawings
        assert not controller.surface.drawings.toolbar.tool_actions["hline"].isChecked()
        assert hourly.drawing_layer.drawings == (line,)  # shown on the others at once
        t = line.points[0][0]
        ts_1h = hourly.model.column("ts_ns")
        assert hourly.drawing_layer.x_of(t) == x_of_times(ts_1h, NS_PER_HOUR, [t])[0]
        qtbot.waitUntil(lambda: store.drawings("AAA") == [line], timeout=1000)
        controller.surface.drawings.toolbar.undo_requested.emit()
        assert hourly.drawing_layer.drawings == ()
        qtbot.waitUntil(lambda: store.drawings("AAA") == [], timeout=1000)
        controller.surface.drawings.toolbar.redo_requested.emit()
        controller.show_symbol("BBB")
        assert controller.chart.drawing_layer.drawings == ()  # BBB has none
        controller.show_symbol("AAA")
        assert controller.chart.drawing_layer.drawings == (line,)
    finally:
        controller.close()
    assert store.drawings("AAA") == [line]  # written on close, had the timer not fired
    again = MainWindow()  # a restart: the line is on the chart
    qtbot.addWidget(again)
    controller = offline(store, again, settings)
    try:
        controller.start("AAA")
        assert all(c.drawing_layer.drawings == (line,) for c in controller.charts)
    finally:
        controller.close()


CHILD = (
    TERMINAL_SCRIPT
    + """
from PySide6.QtTest import QTest
from tests.test_drawing_tools import bar_point, click
controller = ChartController(store, window, None, settings)
controller.feed = FeedKind.OFF
controller.start("AAA")
window.show()
chart = controller.chart
for _ in range(20):
    app.processEvents()
QTest.keyClick(chart, QtCore.Qt.Key.Key_R, QtCore.Qt.KeyboardModifier.AltModifier)
n = len(chart.model)
(_, _), (y0, y1) = chart.price.view.viewRange()
click(chart, bar_point(chart, n - 50, y0 + 0.4 * (y1 - y0)))
click(chart, bar_point(chart, n - 10, y0 + 0.6 * (y1 - y0)))
(ray,) = controller.surface.drawings.books["AAA"].drawings
print(json.dumps({"t": time.time(), "ray": ray.saved()}), flush=True)
app.exec()
"""
)


def test_a_drawing_survives_a_kill_a_second_after_it_was_drawn(tmp_path):
    path = tmp_path / "store.duckdb"
    with BarStore(path) as store:
        store.write_bars("AAA", "1m", make_bars(2000, start_ns=1_700_000_000 * 10**9 // NS_PER_MIN
                                                * NS_PER_MIN))  # fmt: skip
    with start_script(CHILD, path, tmp_path / "settings.ini") as child:
        try:
            drawn = json.loads(child.stdout.readline())
            time.sleep(max(0.0, drawn["t"] + 1.0 - time.time()))
        finally:  # killed whatever happened (a live child would outlast the test)
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
    with BarStore(path) as store:
        (ray,) = store.drawings("AAA")
    assert ray.saved() == drawn["ray"] and ray.kind == "ray"
