"""The application window and controller on a real store."""

import itertools
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from app.controller import ChartController
from app.gui import open_store_creating_demo
from app.main_window import MainWindow
from data.feeds.kinds import FeedKind
from data.store import Instrument
from data.store.provenance import DEMO, SOCKET
from engine.aggregate import resample
from engine.bars import Bars
from tests.conftest import NS_PER_MIN, make_bars, offline, write_demo_to_now
from widgets.series_model import SeriesModel


def ours() -> set[Path]:
    return set(Path("/dev/shm").glob(f"ct_{os.getpid()}_*"))


def test_window_and_controller_switch_symbols_and_load_history(store, window, settings):
    store.write_bars("AAA", "1m", make_bars(300, seed=1))
    store.write_bars("BBB", "1m", make_bars(120_000, seed=2))
    controller = offline(store, window, settings)
    try:
        controller.start(None)
        assert [window.symbol_box.itemText(i) for i in range(2)] == ["AAA", "BBB"]
        assert len(controller.chart.model) == 300
        old_model, load_series = controller.chart.model, store.load_series
        old_lengths = []  # the old series is freed before the new one loads (its memory reused)
        store.load_series = lambda *a, **k: (
            old_lengths.append(len(old_model)) or load_series(*a, **k)
        )
        window.symbol_box.textActivated.emit("BBB")
        store.load_series = load_series
        assert old_lengths == [0]
        assert controller.symbol == "BBB" and "BBB" in window.windowTitle()
        model = controller.chart.model
        assert len(model) == 50_000
        controller.load_older(model)
        assert len(model) == 120_000 and model.bars.equals(store.load("BBB", "1m"))
        controller.load_older(model)
        assert model.history_complete
        with pytest.raises(ValueError, match="no bars of 'ZZZ'"):
            controller.start("ZZZ")
    finally:
        controller.close()


def test_layouts_timeframes_and_choices_are_remembered(store, window, settings):
    store.write_bars("AAA", "1m", make_bars(5000, seed=1))
    store.write_bars("BBB", "1m", make_bars(5000, seed=2))
    controller = offline(store, window, settings)
    controller.start(None)
    window.symbol_chosen.emit("BBB")
    window.timeframe_chosen.emit("1h")
    assert controller.chart.model.timeframe == "1h" and len(controller.chart.model) == 84
    assert controller.chart.model.bars.equals(store.load("BBB", "1h"))
    window.layout_chosen.emit("grid")
    assert [c.model.timeframe for c in controller.charts] == ["1m", "5m", "1h", "1d"]
    assert window.view.charts == controller.charts
    window.layout_chosen.emit("layered")
    assert set(controller.chart.layers) == {"4h", "1d"}  # the ones above 1h
    window.theme_chosen.emit("light")
    assert controller.chart.theme.name == "light"
    window.price_scale_chosen.emit("log")
    assert controller.chart.price_scale.value == "log" and controller.chart.price.value_axis.log
    assert all(layer.price_map.log for layer in controller.chart.layers.values())
    window.price_scale_chosen.emit("percent")
    assert controller.chart.price_scale.value == "percent"
    assert not controller.chart.price.value_axis.log
    assert controller.chart.price.value_axis.percent_base is not None
    controller.close()
    again_window = MainWindow()
    again = offline(store, again_window, settings)
    again.start(None)
    try:
        assert (again.symbol, again.timeframe, again.layout, again.theme.name) == (
            "BBB", "1h", "layered", "light")  # fmt: skip
        assert again.chart.price_scale.value == "percent"
        assert again_window.scale_actions["percent"].isChecked()
    finally:
        again.close()


def test_indicators_from_the_menu_are_computed_by_the_worker(store, window, settings):
    from engine import indicators as ind
    from engine.worker import IndicatorWorker

    before = ours()
    store.write_bars("AAA", "1m", make_bars(5000, seed=1))
    store.write_bars("BBB", "1m", make_bars(3000, seed=2))
    worker = IndicatorWorker(timeout_s=30)
    worker.start()
    asked = []

    def ask(indicator, current):
        asked.append(indicator.key)
        return {"period": 10} if indicator.key == "rsi" else {}

    controller = offline(store, window, settings, worker, ask)
    controller.start(None)
    window.show()  # legends lay out rows to the size their panes are given
    try:
        window.indicator_chosen.emit("rsi")
        window.indicator_chosen.emit("macd")
        controller.indicators.wait_idle()
        chart = controller.chart
        assert asked == ["rsi", "macd"] and {"rsi-1", "macd-1"} <= set(chart.panes)
        want = ind.rsi(chart.model.bars.close, 10)
        np.testing.assert_array_equal(chart.indicators["rsi-1"][1]["rsi"].values, want)
        assert [a.text() for a in window.remove_menu.actions()] == ["RSI 10", "MACD 12 26 9"]
        QtWidgets.QApplication.processEvents()  # the new panes laid out
        assert chart.panes["rsi-1"].legend.text().startswith("RSI 10  ")
        window.symbol_chosen.emit("BBB")
        controller.indicators.wait_idle()
        chart = controller.chart
        np.testing.assert_array_equal(chart.indicators["rsi-1"][1]["rsi"].values,
                                      ind.rsi(store.load("BBB", "1m").close, 10))  # fmt: skip
        window.indicator_removed.emit("rsi-1")
        assert "rsi-1" not in chart.panes and len(window.remove_menu.actions()) == 1
        assert json.loads(settings.value("indicators")) == [
            {"uid": "macd-1", "key": "macd", "params": {"fast": 12, "slow": 26, "signal": 9},
             "colour": controller.indicators.active["macd-1"].colour}]  # fmt: skip
    finally:
        controller.close()
        worker.stop()
    assert ours() <= before


def test_several_instances_of_an_indicator_in_their_own_colours_on_every_layout(
    store, window, settings
):
    from engine import indicators as ind
    from engine.worker import IndicatorWorker

    store.write_bars("AAA", "1m", make_bars(5000, seed=1))
    worker = IndicatorWorker(timeout_s=30)
    worker.start()
    periods = iter([50, 5, 14])
    controller = offline(store, window, settings, worker,
                         lambda spec, current: {"period": next(periods)})  # fmt: skip
    controller.start(None)
    window.show()
    try:
        window.indicator_chosen.emit("sma")
        window.indicator_chosen.emit("sma")  # a second SMA joins the first
        window.indicator_chosen.emit("rsi")
        controller.indicators.wait_idle()
        chart = controller.chart
        close = chart.model.bars.close
        QtWidgets.QApplication.processEvents()
        sma50, sma5 = (chart.indicators[u][1]["sma"] for u in ("sma-1", "sma-2"))
        np.testing.assert_array_equal(sma50.values, ind.sma(close, 50))
        np.testing.assert_array_equal(sma5.values, ind.sma(close, 5))
        assert sma50.colour != sma5.colour
        legend = chart.price.legend.text().splitlines()
        assert legend[1].startswith("SMA 50  ") and legend[2].startswith("SMA 5  ")
        window.indicator_removed.emit("sma-1")  # the legend drops it at once
        assert "SMA 50" not in chart.price.legend.text()
        assert "SMA 5  " in chart.price.legend.text()
        window.layout_chosen.emit("grid")
        controller.indicators.wait_idle()
        for grid_chart in controller.charts:  # every chart of the grid draws them
            assert set(grid_chart.indicators) == {"sma-2", "rsi-1"}, grid_chart.model.timeframe
            np.testing.assert_array_equal(grid_chart.indicators["sma-2"][1]["sma"].values,
                                          ind.sma(grid_chart.model.bars.close, 5))  # fmt: skip
        # The timeframe buttons change the grid's active chart (a click makes one active).
        assert window.timeframe_actions["1m"].isChecked()
        controller.charts[2].setFocus()
        controller.charts[2].focused.emit()
        assert controller.active_cell == 2 and window.timeframe_actions["1h"].isChecked()
        window.timeframe_chosen.emit("15m")
        controller.indicators.wait_idle()
        cell = controller.charts[2]
        assert cell.model.timeframe == "15m" and cell.caption.text.endswith("AAA  15m")
        np.testing.assert_array_equal(cell.indicators["rsi-1"][1]["rsi"].values,
                                      ind.rsi(cell.model.bars.close, 14))  # fmt: skip
        assert [c.model.timeframe for c in controller.charts] == ["1m", "5m", "15m", "1d"]
        assert json.loads(settings.value("grid_timeframes")) == ["1m", "5m", "15m", "1d"]
    finally:
        controller.close()
        worker.stop()


def test_indicators_stay_on_a_chart_whose_bars_grew_when_the_layout_changes(
    store, window, settings
):
    """A series whose bars grew (live, a bar a minute) has published many versions to the
    worker; the charts of a new layout publish their own from the start, and their
    results are theirs, not stale (the 1m chart lost its indicators at a layout change)."""
    from engine import indicators as ind
    from engine.worker import IndicatorWorker

    store.write_bars("AAA", "1m", make_bars(3000, seed=1))
    worker = IndicatorWorker(timeout_s=30)
    worker.start()
    controller = offline(store, window, settings, worker, lambda spec, current: {"period": 5})
    controller.start(None)
    window.show()
    try:
        window.indicator_chosen.emit("sma")
        controller.indicators.wait_idle()
        model = controller.chart.model
        for _ in range(6):  # six bars appended, each a version of the 1m series
            last = model.bars[len(model) - 1 :]
            model.update_last((int(last.ts_ns[0]) + NS_PER_MIN, *(float(c[0]) for c in (
                last.close, last.close, last.close, last.close)), 1.0))  # fmt: skip
            controller.indicators.wait_idle()
        for layout in ("grid", "single"):
            window.layout_chosen.emit(layout)
            controller.indicators.wait_idle()
            for chart in controller.charts:
                assert "sma-1" in chart.indicators, (layout, chart.model.timeframe)
                np.testing.assert_array_equal(chart.indicators["sma-1"][1]["sma"].values,
                                              ind.sma(chart.model.bars.close, 5))  # fmt: skip
            assert worker.series == len(controller.charts)  # the closed views' forgotten
    finally:
        controller.close()
        worker.stop()
    assert worker.series == 0


def test_screenshot_and_import_dialog(store, window, settings, tmp_path):
    from PySide6 import QtGui

    from app.import_dialog import ImportDialog

    store.write_bars("AAA", "1m", make_bars(500, seed=1))
    controller = offline(store, window, settings)
    controller.start(None)
    try:
        window.resize(1200, 800)
        window.show()
        path = controller.save_screenshot(tmp_path / "shot.png")
        assert QtGui.QImage(str(path)).width() == 1200
        csv = tmp_path / "ccc_1m.csv"
        bars = make_bars(100, seed=3)
        stamps = np.datetime_as_string(bars.ts_ns.astype("datetime64[ns]"), unit="s")
        rows = [
            f"{t},{o},{h},{lo},{c},{v}"
            for t, o, h, lo, c, v in zip(
                stamps, bars.open, bars.high, bars.low, bars.close, bars.volume, strict=True
            )
        ]
        csv.write_text("time,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
        dialog = ImportDialog(store, window)
        dialog.path_edit.setText(str(csv))
        dialog.refresh_preview()
        assert dialog.symbol_edit.text() == "CCC" and dialog.table.rowCount() == 12
        assert "open=open" in dialog.mapping_label.text()
        dialog.start_import()
        dialog.wait()
        assert dialog.report is not None and store.count("CCC", "1m") == 100
        again = ImportDialog(store, window)  # the same file again: refused, then replaced
        again.path_edit.setText(str(csv))
        again.refresh_preview()
        again.start_import()
        again.wait()
        assert again.report is None and "CCC already holds 100 1m bars" in (
            again.messages.toPlainText())  # fmt: skip
        assert "Tick \u201creplace the bars stored" in again.messages.toPlainText()
        again.replace.setChecked(True)
        again.start_import()
        again.wait()
        assert again.report.replaced == 100 and store.count("CCC", "1m") == 100
        assert store.instrument("CCC").calendar == "24x7"
        pair = tmp_path / "EURUSD_1m.csv"  # after a 24x7 import: a currency pair goes on fx
        pair.write_text(csv.read_text())
        fx = ImportDialog(store, window)
        assert fx.calendar_box.currentText() == "24x7"  # remembered
        fx.path_edit.setText(str(pair))
        fx.refresh_preview()
        assert fx.symbol_edit.text() == "EURUSD" and fx.calendar_box.currentText() == "fx"
        store.add_instrument(Instrument("CCC", "us-equity"))  # the dialog's calendar is for
        again.start_import()  # new symbols: CCC keeps its own
        again.wait()
        assert store.instrument("CCC").calendar == "us-equity"
        bad = tmp_path / "bad.csv"
        bad.write_text("time,open,high,low,close,volume\n2024-01-02 00:00:00,1,2,0.5,1,-3\n")
        dialog = ImportDialog(store, window)
        dialog.path_edit.setText(str(bad))
        dialog.symbol_edit.setText("DDD")
        dialog.refresh_preview()
        dialog.start_import()
        dialog.wait()
        assert dialog.report is None and "line 2" in dialog.messages.toPlainText()
        assert "DDD" not in store.symbols()
        us = tmp_path / "eee.csv"  # a US export: month first, nothing in it says so
        us.write_text("date,open,high,low,close\n01/02/2024 10:00,1,2,0.5,1\n")
        dialog = ImportDialog(store, window)
        dialog.path_edit.setText(str(us))
        dialog.refresh_preview()
        assert "--date-order" in dialog.mapping_label.text()
        assert not dialog.import_button.isEnabled()
        dialog.date_order_box.setCurrentIndex(dialog.date_order_box.findData("mdy"))
        assert dialog.table.item(0, 0).text().startswith("2024-01-02 10:00")
        dialog.start_import()
        dialog.wait()
        assert store.load("EEE", "1m").ts_ns.tolist() == [
            int(np.datetime64("2024-01-02T10:00", "ns").astype(np.int64))]  # fmt: skip
        assert ImportDialog(store, window).date_order_box.currentData() == "mdy"  # remembered
    finally:
        controller.close()


def test_live_window_end_to_end(qtbot, store, window, settings):
    """The simulated feed for a few seconds (its clock 60x fast, so minutes seal): forming
    bars move in every timeframe, sealed bars reach the store, switching symbol, layout and
    theme and adding an indicator keep it running."""
    from engine.worker import IndicatorWorker

    now_min = time.time_ns() // NS_PER_MIN * NS_PER_MIN
    for k, symbol in enumerate(("AAA", "BBB")):
        store.write_bars(symbol, "1m", make_bars(3000, start_ns=now_min - 3000 * NS_PER_MIN,
                                                 seed=k), source=DEMO)  # fmt: skip
    worker = IndicatorWorker(timeout_s=30)
    worker.start()
    controller = ChartController(store, window, worker, settings, lambda s, c: {},
                                 feed_rate=20.0, feed_time_scale=60.0)  # fmt: skip
    stats = []
    try:
        controller.start("AAA")
        controller.session.stats_changed.connect(stats.append)
        window.show()
        window.layout_chosen.emit("grid")
        first = {c.model.timeframe: c.model.bars.close[-1] for c in controller.charts}
        stored_before = store.count("AAA", "1m")
        qtbot.waitUntil(lambda: store.count("AAA", "1m") >= stored_before + 3, timeout=15_000)
        moved = {c.model.timeframe: c.model.bars.close[-1] != first[c.model.timeframe]
                 for c in controller.charts}  # fmt: skip
        assert all(moved.values()), moved
        # Ticks flow: the button offers to pause, not to resume.
        assert window.pause_action.text() == "Pause" and not window.pause_action.isChecked()
        live_1m = controller.models["1m"].bars
        stored = store.load("AAA", "1m", start_ns=int(live_1m.ts_ns[-4]))
        assert np.array_equal(stored.ts_ns[:3], live_1m.ts_ns[-4:-1])
        assert np.array_equal(stored.close[:3], live_1m.close[-4:-1])
        window.indicator_chosen.emit("sma")
        window.theme_chosen.emit("light")
        window.symbol_chosen.emit("BBB")
        window.layout_chosen.emit("single")
        stats.clear()
        controller.session.stats_changed.connect(stats.append)
        qtbot.waitUntil(lambda: len(stats) >= 2 and store.count("BBB", "1m") > 3000,
                        timeout=15_000)  # fmt: skip
        assert stats[-1].ticks_per_s > 0 and stats[-1].frame_ms_p50 > 0
        assert "simulated live" in stats[-1].feed
        # BBB's session ran in the background from the start, a minute a second: a reply can
        # come for bars already outgrown; the next one is drawn
        qtbot.waitUntil(lambda: (controller.indicators.wait_idle(1.0),
                                 "sma-1" in controller.chart.indicators)[1],
                        timeout=15_000)  # fmt: skip
    finally:
        controller.close()
        worker.stop()
    bbb = store.load("BBB", "1m")
    assert len(bbb) > 3000 and np.all(np.diff(bbb.ts_ns) > 0)
    want = resample(bbb, "5m", "24x7")[:-1]  # the last 5m bucket may still be forming
    got = store.load("BBB", "5m", end_ns=int(want.ts_ns[-1]) + 1)
    # the same bars; volumes summed tick by tick or minute by minute differ in the last bit
    assert np.array_equal(got.ts_ns, want.ts_ns)
    for column in ("open", "high", "low", "close"):
        assert np.array_equal(getattr(got, column), getattr(want, column)), column
    np.testing.assert_allclose(got.volume, want.volume, rtol=1e-12)


def test_first_launch_creates_the_demo_store(tmp_path):
    path = tmp_path / "fresh" / "candleterm.duckdb"
    stages = []
    store = open_store_creating_demo(path, lambda stage, f: stages.append(stage))
    try:
        assert len(store.symbols()) == 4
        assert sum(store.count(s, "1m") for s in store.symbols()) > 2_000_000
        assert any("BTCUSD" in s for s in stages)
        assert store.count("ES", "1h") > 10_000
    finally:
        store.close()
    reopened = open_store_creating_demo(path, lambda *a: pytest.fail("demo made twice"))
    reopened.close()
    # A new store for the exchange's (or a socket's) real bars starts empty.
    real = open_store_creating_demo(tmp_path / "real.duckdb", lambda *a: pytest.fail("demo"),
                                    demo=False)  # fmt: skip
    assert real.symbols() == []
    real.close()


def test_indicator_dialog_checks_parameters(qtbot):
    from app.indicator_dialog import IndicatorDialog
    from engine.indicators.registry import spec

    dialog = IndicatorDialog(spec("bollinger"), {"period": 30})
    qtbot.addWidget(dialog)
    assert dialog.fields["period"].value() == 30
    dialog.fields["k_std"].setValue(2.5)
    assert dialog.values() == {"period": 30, "k_std": 2.5}


def test_an_indicator_without_parameters_is_added_without_a_dialog(qtbot):
    """VWAP (session) opened a dialog of only OK and Cancel."""
    from app.indicator_choices import ask_with_dialog
    from engine.indicators.registry import spec

    def close_dialogs():  # a dialog shown would wait here for ever: it is cancelled
        for widget in QtWidgets.QApplication.topLevelWidgets():
            if isinstance(widget, QtWidgets.QDialog) and widget.isVisible():
                widget.reject()

    guard = QtCore.QTimer()
    guard.timeout.connect(close_dialogs)
    guard.start(200)
    try:
        assert ask_with_dialog(spec("vwap"), None) == {}
    finally:
        guard.stop()


def test_screenshots_are_rendered(qtbot, tmp_path):
    from PySide6 import QtGui

    from app.screenshots import render
    from widgets.theme import DARK, LIGHT

    for path in render(tmp_path):
        image = QtGui.QImage(str(path))
        assert image.width() >= 1600 and image.height() >= 900, path
        theme = LIGHT if "light" in path.name else DARK
        colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 3)
                   for y in range(60, image.height() - 40, 3)}  # fmt: skip
        # The chart is on screen: its background and both candle colours show.
        assert {theme.background, theme.up, theme.down} <= colours, path.name


def test_forming_bar_indicator_values_follow_ticks(qtbot, store, window, settings):
    from engine import indicators as ind
    from engine.worker import IndicatorWorker

    store.write_bars("AAA", "1m", make_bars(3000, seed=1))
    worker = IndicatorWorker(timeout_s=30)
    worker.start()
    controller = offline(
        store, window, settings, worker, lambda s, c: {"period": 10} if s.params else {}
    )
    controller.start(None)
    try:
        window.indicator_chosen.emit("sma")
        controller.indicators.wait_idle()
        model, chart = controller.chart.model, controller.chart
        ts, o, h, lo, c, v = (model.column(x)[-1] for x in ("ts_ns", "open", "high", "low",
                                                            "close", "volume"))  # fmt: skip
        model.update_last((ts, o, max(h, c + 5), lo, c + 5, v + 1))  # a tick
        line = chart.indicators["sma-1"][1]["sma"]
        assert line.values[-1] == pytest.approx(ind.sma(model.bars.close, 10)[-1], rel=1e-12)
        model.update_last((ts + NS_PER_MIN, c, c + 1, c, c + 1, 1.0))  # the next minute
        assert len(line.values) == len(model)
        assert line.values[-1] == pytest.approx(ind.sma(model.bars.close, 10)[-1], rel=1e-12)
        # VWAP of bid bars (no volume) says why it shows nothing
        quotes = make_bars(500, seed=2)
        store.write_bars("FX", "1m", Bars.from_arrays(quotes.ts_ns, quotes.open, quotes.high,
                                                       quotes.low, quotes.close,
                                                       np.zeros(500)))  # fmt: skip
        window.symbol_chosen.emit("FX")
        window.indicator_chosen.emit("vwap")
        controller.indicators.wait_idle()
        qtbot.waitUntil(lambda: "vwap-1" in controller.chart.indicators, timeout=10_000)
        titles = [row.title for row in controller.chart.price.legend.rows]
        assert "VWAP (the bars carry no volume)" in titles, titles
        window.symbol_chosen.emit("AAA")
        qtbot.waitUntil(lambda: "vwap-1" in controller.chart.indicators, timeout=10_000)
        assert "VWAP" in [row.title for row in controller.chart.price.legend.rows]
    finally:
        controller.close()
        worker.stop()


def test_a_replayed_day_equals_the_stored_bars(qtbot, store):
    """Replay through the app's live session (stepping bar by bar, then at full speed):
    the chart's bars after the start equal the stored ones exactly, in every timeframe."""
    from app.live import LiveSession
    from data.feeds.port import FeedSettings
    from data.store.derived import derive_timeframes

    bars = make_bars(2000, seed=4)
    store.write_bars("AAA", "1m", bars)
    derive_timeframes(store, "AAA", ("5m", "1h"))
    start_ns = int(bars.ts_ns[1500])
    session = LiveSession(store, "AAA", FeedSettings(FeedKind.REPLAY, speed=1000.0,
                                                     replay_start_ns=start_ns))  # fmt: skip
    assert session.history_end_ns == start_ns
    models = {}
    for tf in ("1m", "5m", "1h"):
        history = store.load_series("AAA", tf, end_ns=start_ns)
        models[tf] = SeriesModel("AAA", tf, "UTC", history)
        session.attach(models[tf])
    session.start()
    try:
        session.pause()
        for _ in range(10):
            session.step()
        assert models["1m"].column("ts_ns")[-1] == bars.ts_ns[1509]
        session.resume()
        qtbot.wait(1500)  # x1000: 25 bars
        session.pause()
        assert models["1m"].column("ts_ns")[-1] > bars.ts_ns[1520]
        while not session.feed.source.finished:
            session.step()
        session.builder.flush(int(bars.ts_ns[-1]) + 3600 * 10**9)
        session.frame()
        for tf, model in models.items():
            assert model.bars.equals(store.load("AAA", tf)), tf
        assert session.writer is None  # a replay writes nothing back
    finally:
        session.close()


def test_remembered_indicators_old_and_new_forms():
    from app.remembered import saved_indicators as _indicators

    old = _indicators('{"sma": {"period": 5}, "bogus": {}}')
    assert old == [{"uid": None, "key": "sma", "params": {"period": 5}, "colour": None}]
    text = json.dumps([{"uid": "sma-3", "key": "sma", "params": {"period": 7}, "colour": "#2962ff"},
                       {"key": "rsi", "params": {"period": -1}}])  # fmt: skip
    new = _indicators(text)
    assert new == [{"uid": "sma-3", "key": "sma", "params": {"period": 7}, "colour": "#2962ff"}]
    assert _indicators("not json") == []


def test_a_real_series_gets_no_simulated_bars_and_its_copy_does(qtbot, store, window, settings):
    """The default feed is simulated: on an imported series it does not run (and says why),
    nothing is stored, Pause is not offered; File > Simulated copy simulates SYMBOL.SIM."""
    store.write_bars("6E", "1m", make_bars(2000), source=SOCKET)  # January 2024, real
    write_demo_to_now(store, ["BTC"], 500)
    before = (store.time_range("6E"), store.count("6E", "1m"))
    controller = ChartController(store, window, None, settings, feed_rate=50.0,
                                 feed_time_scale=600.0)  # fmt: skip
    try:
        controller.start("6E")
        window.show()
        qtbot.waitUntil(lambda: controller.session.started, timeout=5000)
        assert controller.feed is FeedKind.SIMULATED  # the choice stays for demo symbols
        assert controller.feed_problem == "simulated feed off on 6E"
        assert "6E holds real bars" in window.statusBar().currentMessage()
        qtbot.waitUntil(lambda: "simulated feed off on 6E" in window.stat_labels["feed"].text(),
                        timeout=3000)  # fmt: skip
        # The reason says what to do, so it is shown whole: the figures beside it give way
        # (it was cut after "6E holds real bars (import of 6EH").
        window.resize(1600, 900)
        bar = window.statusBar()
        beside = sum(label.sizeHint().width() for label in (window.info_label,
                     *window.stat_labels.values()) if label.isVisible())  # fmt: skip
        assert bar.fontMetrics().horizontalAdvance(bar.currentMessage()) < window.width() - beside
        assert window.stat_labels["feed"].isVisible()
        # A menu's tip over it, or a message of a few seconds: the reason comes back after.
        reason = bar.currentMessage()
        bar.showMessage("Import bars or ticks from a file")
        bar.clearMessage()
        window.show_status("alert set", 50)
        qtbot.waitUntil(lambda: bar.currentMessage() == reason, timeout=2000)
        # A symbol the feed runs on: the reason about 6E goes, the figures come back.
        controller.show_symbol("BTC")
        qtbot.waitUntil(lambda: controller.session.started, timeout=5000)
        assert "6E" not in bar.currentMessage() and window.info_label.isVisible()
        controller.show_symbol("6E")
        assert "6E holds real bars" in bar.currentMessage()
        assert not window.pause_action.isEnabled()
        assert (store.time_range("6E"), store.count("6E", "1m")) == before
        window.simcopy_requested.emit()
        assert controller.symbol == "6E.SIM" and window.symbol_box.currentText() == "6E.SIM"
        assert controller.feed_problem == "" and window.pause_action.isEnabled()
        end = store.time_range("6E.SIM")[1]
        qtbot.waitUntil(lambda: store.time_range("6E.SIM")[1] > end + 2 * NS_PER_MIN,
                        timeout=10_000)  # fmt: skip
        assert store.time_range("6E.SIM")[1] < end + 180 * NS_PER_MIN  # from its last bar on
    finally:
        controller.close()
    assert (store.time_range("6E"), store.count("6E", "1m")) == before


def test_a_socket_feed_on_a_taken_port_says_so_in_the_window_and_on_stderr(
    qtbot, store, window, settings, capfd
):
    """It once switched quietly to Off; the sender only saw "connection refused"."""
    import socket

    store.write_bars("6E", "1m", make_bars(500), source=SOCKET)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        controller = ChartController(store, window, None, settings, feed_port=port)
        controller.feed = FeedKind.SOCKET
        try:
            controller.start("6E")
            expected = f"port {port} is in use by another program; choose another with --feed-port"
            assert expected in window.statusBar().currentMessage()
            assert expected in capfd.readouterr().err
            assert window.stat_labels["feed"].text() == "socket feed not started"
            assert expected in window.stat_labels["feed"].toolTip()
            assert window.feed_box.currentData() == "socket"  # the choice is not changed
        finally:
            controller.close()


def test_a_socket_feed_makes_a_new_symbol_for_its_ticks(qtbot, store, window, settings):
    import json
    import socket

    store.write_bars("BTCUSD", "1m", make_bars(500), source=DEMO)
    controller = ChartController(store, window, None, settings, feed_port=0)
    controller.feed = FeedKind.SOCKET
    try:
        controller.start("MYFEED")
        window.show()
        qtbot.waitUntil(lambda: controller.session.started, timeout=5000)
        assert controller.symbol == "MYFEED" and window.symbol_box.currentText() == "MYFEED"
        assert controller.feed_problem == ""
        port = controller.session.feed.port
        now = time.time_ns()
        with socket.create_connection(("127.0.0.1", port)) as conn:
            for k, price in enumerate((100.0, 100.5, 500.0, 99.5)):  # 500: an outlier
                tick = {"symbol": "MYFEED", "ts": now + k, "price": price, "qty": 1}
                conn.sendall(json.dumps(tick).encode() + b"\n")
        qtbot.waitUntil(lambda: len(controller.chart.model) == 1, timeout=5000)
        qtbot.waitUntil(lambda: controller.session.feed.counters.ticks == 3, timeout=5000)
        assert controller.session.feed.counters.outlier == 1
        qtbot.waitUntil(lambda: controller.chart.model.bars.high[-1] == 100.5, timeout=5000)
        window.symbol_chosen.emit("BTCUSD")  # a demo symbol: socket ticks are not stored there
        assert controller.feed_problem == "socket feed off on BTCUSD"
    finally:
        controller.close()
    assert store.instrument("MYFEED").description == "ticks from the socket feed"


def test_pause_tells_the_feed_state_through_symbol_and_feed_changes(qtbot, store, window,
                                                                   settings):  # fmt: skip
    """'Resume' once showed while ticks flowed (first launch, after a symbol switch, after
    choosing a feed), and the first click only flipped the label."""
    for symbol in ("AAA", "BBB"):
        store.write_bars(symbol, "1m", make_bars(500), source=DEMO)
    controller = ChartController(store, window, None, settings, feed_rate=50.0)
    try:
        controller.start("AAA")
        window.show()
        for step in ("launch", "symbol", "feed"):
            # before the session starts (its first paint) and after, the button offers Pause
            assert window.pause_action.text() == "Pause" and not window.pause_action.isChecked()
            qtbot.waitUntil(lambda: controller.session.started, timeout=5000)
            assert window.pause_action.text() == "Pause" and window.pause_action.isEnabled()
            window.pause_action.trigger()  # the first click pauses
            assert controller.session.paused and window.pause_action.text() == "Resume"
            window.pause_action.trigger()
            assert not controller.session.paused and window.pause_action.text() == "Pause"
            if step == "launch":
                window.symbol_box.textActivated.emit("BBB")
            elif step == "symbol":
                window.feed_chosen.emit("simulated")
        # the symbol box gives the keyboard back: Space reaches the pause action
        assert not window.symbol_box.lineEdit().hasFocus()
    finally:
        controller.close()


def test_a_symbol_typed_and_entered_opens_whatever_its_case(qtbot, store, window, settings):
    """Also when it begins another's name (6E and 6E.SIM: the box completes the longer)."""
    for symbol in ("6E", "6E.SIM", "ES"):
        store.write_bars(symbol, "1m", make_bars(500))
    controller = offline(store, window, settings)
    try:
        controller.start("ES")
        window.show()
        edit = window.symbol_box.lineEdit()
        for typed, symbol in (("6E", "6E"), ("es", "ES")):
            edit.setFocus()
            edit.selectAll()
            qtbot.keyClicks(edit, typed)
            qtbot.keyClick(edit, QtCore.Qt.Key.Key_Return)
            assert controller.symbol == symbol and controller.chart.model.symbol == symbol
    finally:
        controller.close()


def test_an_unknown_symbol_is_named_and_the_box_shows_the_chart(qtbot, store, window, settings):
    store.write_bars("AAA", "1m", make_bars(500))
    controller = offline(store, window, settings)
    try:
        controller.start("AAA")
        window.symbol_box.setEditText("NOPE")
        window.symbol_box.textActivated.emit("NOPE")
        assert "no symbol 'NOPE' in store.duckdb; stored: AAA" in (
            window.statusBar().currentMessage())  # fmt: skip
        assert window.symbol_box.currentText() == "AAA" and controller.symbol == "AAA"
    finally:
        controller.close()


def test_a_narrow_window_keeps_the_series_in_the_status_bar(qtbot, store, window, settings):
    """At 1000x700 the status bar dropped the symbol, calendar and bar count."""
    store.write_bars("AAA", "1m", make_bars(5000))
    controller = offline(store, window, settings)
    try:
        controller.start("AAA")
        window.show()
        window.set_stats({"feed": "simulated live, 12 rejected", "ticks": "1,234 ticks/s",
                          "frame": "frame 1.2/3.4 ms", "latency": "latency 5/9 ms",
                          "queries": "0 queries/min", "worker": "worker pid 12345"})  # fmt: skip
        for width in (1000, 1400, 800):
            window.resize(width, 700)
            qtbot.waitUntil(lambda w=width: window.statusBar().width() <= w, timeout=2000)
            QtWidgets.QApplication.processEvents()
            info = window.info_label
            assert info.isVisible() and "AAA" in info.text() and "24x7" in info.text()
            assert "5,000 bars of 1m" in info.text()
            assert info.width() >= info.sizeHint().width()  # not cut
            shown = [info] + [lb for lb in window.stat_labels.values() if lb.isVisible()]
            edges = sorted((lb.geometry().left(), lb.geometry().right()) for lb in shown)
            assert all(a[1] < b[0] for a, b in itertools.pairwise(edges))
            assert edges[-1][1] <= window.statusBar().width()
            assert window.stat_labels["feed"].isVisible()
        window.resize(1600, 700)
        QtWidgets.QApplication.processEvents()
        assert all(lb.isVisible() for lb in window.stat_labels.values())
        window.timeframe_chosen.emit("1d")
        assert "bar of 1d" in window.info_label.text() or "bars of 1d" in window.info_label.text()
        # the figures give way to a message: none of it under them (the spacing between
        # them and the size grip were not counted, and its last characters were cut)
        window.resize(1400, 700)
        QtWidgets.QApplication.processEvents()
        for n in range(40, 111, 7):  # (beside the feed's state, which stays)
            message = "no symbol 'NOPE' in gui.duckdb; stored: " + "ABCDEFG, " * (n // 9)
            window.show_status(message + "(File > Import adds one)", 5000)
            QtWidgets.QApplication.processEvents()
            text_px = window.statusBar().fontMetrics().horizontalAdvance(
                window.statusBar().currentMessage())  # fmt: skip
            shown = [lb for lb in [info, *window.stat_labels.values()] if lb.isVisible()]
            assert min(lb.geometry().left() for lb in shown) > text_px, n
        # a message longer than the window, cut at its end: whole in the tool tip
        long = "the feed cannot start: " + "a reason worth reading to its end, " * 60 + "done"
        window.show_status(long, 5000)
        assert window.statusBar().toolTip() == long
        window.statusBar().clearMessage()
        assert window.statusBar().toolTip() == ""
    finally:
        controller.close()


def test_one_bar_is_one_bar(qtbot, store, window, settings):
    store.write_bars("AAA", "1m", make_bars(30))
    controller = offline(store, window, settings)
    try:
        controller.start("AAA")
        window.timeframe_chosen.emit("1h")
        assert window.info_label.text() == "AAA  |  24x7 (UTC)  |  1 bar of 1h"
    finally:
        controller.close()


def test_a_symbol_of_less_than_a_day_is_replayed_from_halfway(store):
    """Six hours of EUR/USD quotes imported: the replay (a day before the last bar, by
    default) was refused, "replay start 2019-12-31T23:00:00.000000000 lies outside". It
    shows the first half and replays the rest."""
    from app.live import LiveSession
    from data.feeds.port import FeedSettings

    bars = make_bars(360, seed=2)
    store.write_bars("EURUSD", "1m", bars)
    session = LiveSession(store, "EURUSD", FeedSettings(FeedKind.REPLAY))
    try:
        assert session.history_end_ns == bars.ts_ns[180]
    finally:
        session.close()
    late = int(bars.ts_ns[-1]) + 3600 * 10**9
    with pytest.raises(
        ValueError,
        match=r"replay start 2024-01-02 06:59 UTC lies outside the "
        r"stored bars of EURUSD \(2024-01-02 00:00 to 2024-01-02 05:59 UTC\)",
    ):
        LiveSession(store, "EURUSD", FeedSettings(FeedKind.REPLAY, replay_start_ns=late))


def test_the_replay_status_shows_its_time(qtbot, store, settings):
    from app.live import LiveSession
    from data.feeds.port import FeedSettings

    bars = make_bars(3000)
    store.write_bars("AAA", "1m", bars)
    start_ns = int(bars.ts_ns[1500])
    session = LiveSession(store, "AAA", FeedSettings(FeedKind.REPLAY, speed=60.0,
                                                     replay_start_ns=start_ns))  # fmt: skip
    try:
        assert session.stats().feed == "replay x60 2024-01-03 01:00:00 UTC live"
    finally:
        session.close()


def test_the_import_dialog_speaks_in_its_own_terms(qtbot, store, window, settings, tmp_path):
    """It said "pass --skip-bad", stayed at "checking 0%", numbered rows unlike the preview,
    closed without saying where rejects went, and forgot calendar and label. Its preview
    did not show when a row's bar opens, so a file labelled by the bars' close imported as
    labelled by their open (every bar a minute late) looked alike: the first column is the
    open time each row is stored at, following the time zone and the label chosen."""
    from app.import_dialog import SKIP_BAD_TEXT, ImportDialog

    lines = [f"2024-01-02 00:0{k}:00,1,2,0.5,1.5,1" for k in range(6)]
    lines[2] = "2024-01-02 00:02:00,1,2,0.5,1.5,-3"  # file line 4
    path = tmp_path / "6EH4-cme-2024-01-1m.csv"
    path.write_text("time,open,high,low,close,volume\n" + "\n".join(lines) + "\n")
    dialog = ImportDialog(store, window, settings)
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(path))
    dialog.refresh_preview()
    assert dialog.symbol_edit.text() == "6EH4"
    header = [dialog.table.verticalHeaderItem(r).text() for r in range(dialog.table.rowCount())]
    assert header[:3] == ["line 2", "line 3", "line 4"]
    assert dialog.table.horizontalHeaderItem(0).text() == "opens (UTC)"
    assert dialog.table.item(0, 0).text() == "2024-01-02 00:00"
    assert dialog.table.item(0, 1).text() == "2024-01-02 00:00:00"  # the file's own
    dialog.tz_edit.setText("Europe/Berlin")
    dialog.tz_edit.editingFinished.emit()
    assert dialog.table.item(0, 0).text() == "2024-01-01 23:00"
    dialog.tz_edit.setText("UTC")
    dialog.tz_edit.editingFinished.emit()
    dialog.calendar_box.setCurrentText("cme-globex")
    dialog.label_box.setCurrentIndex(dialog.label_box.findText("bar time is its end"))
    assert dialog.table.item(0, 0).text() == "2024-01-01 23:59"
    stages = []
    dialog.progressed.connect(lambda stage, f: stages.append((stage, f)))
    dialog.start_import()
    dialog.wait()
    text = dialog.messages.toPlainText()
    assert "line 4: volume -3.0 is negative" in text
    assert "--skip-bad" not in text and SKIP_BAD_TEXT in text
    checking = [f for stage, f in stages if stage == "checking"]
    assert checking[0] == 0.0 and 0.7 < checking[-2] < 1.0 and checking[-1] == 1.0
    red = dialog.table.item(2, 0)  # line 4, as the message says
    assert red.background().color().name() == "#f4b8b8" and "negative" in red.toolTip()
    assert dialog.table.item(1, 0).background().style() == QtCore.Qt.BrushStyle.NoBrush
    dialog.skip_bad.setChecked(True)
    dialog.start_import()
    dialog.wait()
    assert dialog.result() == 0 and dialog.report is not None  # imported, still open
    text = dialog.messages.toPlainText()
    assert f"1 bad rows skipped, written to {path}.rejects.csv" in text
    assert "opening 2024-01-01 23:59 to 2024-01-02 00:04 UTC" in text
    assert dialog.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Cancel).text() == "Close"
    dialog.buttons.rejected.emit()
    assert dialog.result() == QtWidgets.QDialog.DialogCode.Accepted
    assert store.count("6EH4", "1m") == 5
    again = ImportDialog(store, window, settings)
    qtbot.addWidget(again)
    assert again.calendar_box.currentText() == "cme-globex"
    assert again.label_box.currentText() == "bar time is its end"


def test_an_indicator_starts_again_after_a_gap_on_the_chart(qtbot, store, window, settings):
    """History of January 2024, then bars of November 2026: the SMA does not bridge them,
    in the worker's values and in the forming bar's."""
    from engine.worker import IndicatorWorker

    old = make_bars(300)
    late = int(np.datetime64("2026-11-29T10:00", "ns").astype(np.int64))
    store.write_bars("AAA", "1m", old, source=SOCKET)
    store.write_bars("AAA", "1m", make_bars(100, start_ns=late, seed=2), source=SOCKET)
    worker = IndicatorWorker(timeout_s=30)
    worker.start()
    controller = offline(store, window, settings, worker, lambda spec, current: {"period": 20})
    try:
        controller.start("AAA")
        window.show()
        window.indicator_chosen.emit("sma")
        controller.indicators.wait_idle()
        chart = controller.chart
        sma = chart.indicators["sma-1"][1]["sma"].values
        assert not np.isnan(sma[299]) and np.isnan(sma[300:319]).all()
        assert not np.isnan(sma[319])
        assert list(chart.gaps.gap_ix) == [300]  # and the chart marks the gap
    finally:
        controller.close()
        worker.stop()


def test_a_symbol_left_keeps_its_bars_coming(qtbot, store, window, settings):
    """Switching symbols loses no bar: the simulated market trades every demo symbol at once,
    and the one left goes on being built and stored while another is on screen (its clock
    60x fast, so minutes seal)."""
    write_demo_to_now(store, ("AAA", "BBB"), 3000)
    controller = ChartController(store, window, None, settings, feed_rate=20.0,
                                 feed_time_scale=60.0)  # fmt: skip
    try:
        controller.start("AAA")
        window.show()
        qtbot.waitUntil(lambda: controller.session.started, timeout=5000)
        aaa = controller.session
        window.symbol_chosen.emit("BBB")
        assert controller.symbol == "BBB" and controller.session is not aaa
        left_at = store.time_range("AAA")[1]
        qtbot.waitUntil(
            lambda: store.time_range("AAA")[1] >= left_at + 3 * NS_PER_MIN, timeout=15_000
        )  # AAA's bars keep coming while BBB is shown
        qtbot.waitUntil(
            lambda: "live (+1 more symbol)" in window.stat_labels["feed"].text(), timeout=5000
        )  # the status bar says the symbol left is still live
        window.symbol_chosen.emit("AAA")
        assert controller.session is aaa  # the same session, never stopped
        shown = controller.models["1m"].bars
        assert shown.ts_ns[-1] >= left_at + 3 * NS_PER_MIN  # the chart has them
    finally:
        controller.close()
    built = aaa.builder.sealed("1m")
    built = built[int(np.searchsorted(built.ts_ns, left_at)) :]
    stored = store.load("AAA", "1m", start_ns=left_at)
    assert len(built) >= 3 and stored[: len(built)].equals(built)  # every bar built is stored
    forming = aaa.builder.forming("1m")  # and the forming one, as far as it went
    assert len(stored) == len(built) + 1
    assert stored.ts_ns[-1] == forming[0] and stored.close[-1] == forming[4]


def test_go_to_date_centres_every_chart_and_says_a_time_outside_the_bars(
    qtbot, store, window, settings, monkeypatch
):
    """View > Go to date (Ctrl+G): a time in the first page's past loads the bars back to it
    in one read and centres them, on each chart of the 2x2 grid; one before the first
    stored bar shows it and says where the series begins."""
    from app import go_to_date

    bars = make_bars(120_000, seed=1)
    store.write_bars("AAA", "1m", bars)
    controller = offline(store, window, settings)
    try:
        controller.start("AAA")
        action = next(a for a in window.view_menu.actions() if a.text() == "&Go to date...")
        assert action.shortcut().toString() == "Ctrl+G"
        target = int(bars.ts_ns[10_000]) + 30 * 10**9
        asked = []
        monkeypatch.setattr(go_to_date, "ask", lambda _w, chart: asked.append(chart) or target)
        queries = store.queries
        action.trigger()
        assert asked == [controller.chart]

        def centred(chart, ts_ns):
            x0, x1 = chart.visible_range()
            return int(chart.model.column("ts_ns")[round((x0 + x1) / 2)]) == ts_ns

        qtbot.waitUntil(lambda: centred(controller.chart, bars.ts_ns[10_000]))
        assert store.queries - queries <= 3  # the span and the bars before it, not pages
        assert controller.chart.model.bars.equals(bars[10_000 - 1000 :])
        controller.set_layout("grid")
        controller.go_to_time(int(bars.ts_ns[60_000]))
        for chart in controller.charts:  # each timeframe at the bar holding the time
            ts = chart.model.column("ts_ns")
            bar = ts[int(np.searchsorted(ts, bars.ts_ns[60_000], side="right")) - 1]
            qtbot.waitUntil(lambda c=chart, b=bar: centred(c, b))
        controller.go_to_time(int(bars.ts_ns[0]) - 3600 * 10**9)
        first = str(np.datetime64(int(bars.ts_ns[0]), "ns"))[:16].replace("T", " ")
        assert f"AAA 1m begins {first} UTC" in window.statusBar().currentMessage()
        qtbot.waitUntil(lambda: controller.chart.navigation.is_visible(0))
    finally:
        controller.close()


def test_the_go_to_dialog_reads_its_time_in_the_charts_zone(qtbot):
    """The dialog shows and reads wall-clock times of the chart's zone: 2024-03-31 01:30 in
    Berlin is 00:30 UTC (winter), 03:30 the same day is 01:30 UTC (summer: the clocks went
    from 02:00 to 03:00)."""
    from app.go_to_date import GoToDateDialog

    at_ns = int(np.datetime64("2024-03-31T00:30", "ns").astype(np.int64))
    dialog = GoToDateDialog(None, "Europe/Berlin", at_ns)
    qtbot.addWidget(dialog)
    assert dialog.edit.dateTime().toString("yyyy-MM-dd HH:mm") == "2024-03-31 01:30"
    assert dialog.ts_ns() == at_ns
    dialog.edit.setDateTime(QtCore.QDateTime(QtCore.QDate(2024, 3, 31), QtCore.QTime(3, 30)))
    assert dialog.ts_ns() == at_ns + 3600 * 10**9


def test_the_import_dialog_imports_a_daily_file_as_daily_bars(qtbot, store, window, settings,
                                                               tmp_path):  # fmt: skip
    """Its bars were always minutes: a daily file (Yahoo's) had no way in. Timeframe 1d puts
    them on their trading days, and is remembered; 1m says what to choose."""
    from app.import_dialog import ImportDialog

    path = tmp_path / "SPY.csv"
    path.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n"
                    "2024-01-02,472.16,473.67,470.49,472.65,468.79,123623700\n"
                    "2024-01-03,470.43,471.19,468.17,468.79,464.96,103585900\n")  # fmt: skip
    dialog = ImportDialog(store, window, settings)
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(path))
    dialog.refresh_preview()
    dialog.calendar_box.setCurrentText("us-equity")
    assert dialog.table.item(0, 0).text() == "2024-01-02 00:00"  # as minutes: at midnight
    dialog.start_import()
    dialog.wait()
    assert "import them as 1d bars" in dialog.messages.toPlainText()
    assert "Timeframe in the import dialog" in dialog.messages.toPlainText()
    assert store.symbols() == []
    dialog.timeframe_box.setCurrentText("1d")
    assert dialog.table.item(0, 0).text() == "2024-01-02 14:30"  # the preview: where it goes
    dialog.start_import()
    dialog.wait()
    day_open = int(np.datetime64("2024-01-02T14:30", "ns").astype(np.int64))  # 09:30 New York
    assert store.load("SPY", "1d").ts_ns.tolist() == [day_open, day_open + 86_400 * 10**9]
    again = ImportDialog(store, window, settings)
    qtbot.addWidget(again)
    assert again.timeframe_box.currentText() == "1d"
    assert "Cannot read" not in again.mapping_label.text()  # no file yet: nothing said
