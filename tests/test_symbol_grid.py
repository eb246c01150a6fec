"""The grid of symbols: any N x M up to 3 x 3, each cell its own symbol and timeframe, the
active cell following the symbol box and the timeframe buttons, every shown symbol live,
remembered between runs."""

import pytest

from app.cells import SymbolGrid
from app.controller import ChartController
from data.feeds.kinds import FeedKind
from tests.conftest import write_demo_to_now

SYMBOLS = ["AAA", "BBB", "CCC"]


def test_a_grid_is_filled_resized_and_restored():
    grid = SymbolGrid(2, 2).filled(SYMBOLS, "5m")
    assert grid.cells == (("AAA", "5m"), ("BBB", "5m"), ("CCC", "5m"), ("AAA", "5m"))
    grid = grid.with_cell(3, symbol="CCC", timeframe="1h")
    bigger = grid.resized(3, 3, SYMBOLS, "1m")
    assert bigger.cells[:4] == grid.cells and len(bigger.cells) == 9
    assert bigger.cells[4] == ("AAA", "1m")  # none unshown left: from the first again
    assert grid.resized(1, 2, SYMBOLS, "1m").cells == grid.cells[:2]
    assert SymbolGrid.restored(grid.saved(), SYMBOLS) == grid
    gone = SymbolGrid.restored(grid.saved(), ["AAA", "BBB"])
    assert ("CCC", "5m") not in gone.cells and gone.rows == 2  # a symbol deleted since
    assert SymbolGrid.restored("{not json", SYMBOLS) == SymbolGrid()
    assert SymbolGrid.restored(None, SYMBOLS) == SymbolGrid()
    with pytest.raises(ValueError, match="a grid of 4 x 2: rows must be 1 to 3"):
        SymbolGrid(4, 2)
    with pytest.raises(ValueError, match="cell AAA '2m': the timeframe must be one of"):
        SymbolGrid(1, 2, (("AAA", "2m"),))
    assert SymbolGrid(1, 2).filled([], "1m").cells == ()


def simulated(store, window, settings) -> ChartController:
    """The controller on the simulated market, its clock 60x fast (minutes seal)."""
    return ChartController(store, window, None, settings, feed_rate=20.0, feed_time_scale=60.0)


@pytest.fixture
def three(store):
    write_demo_to_now(store, SYMBOLS, 3000)
    return store


def shown(controller) -> list[tuple[str, str]]:
    return [(c.model.symbol, c.model.timeframe) for c in controller.charts]


def test_each_cell_its_own_symbol_live_and_remembered(qtbot, three, window, settings):
    controller = simulated(three, window, settings)
    try:
        controller.start("AAA")
        window.show()
        controller.set_grid_size(2, 2)
        assert controller.layout == "symbols"
        assert shown(controller) == [("AAA", "1m"), ("BBB", "1m"), ("CCC", "1m"), ("AAA", "1m")]
        for chart in controller.charts:
            stored = three.load(chart.model.symbol, "1m", limit=1)
            assert chart.model.bars.ts_ns[-1] >= stored.ts_ns[-1]
        # Every symbol on screen is live: each chart gets bars after what was stored.
        stored_end = {s: three.time_range(s)[1] for s in SYMBOLS}
        qtbot.waitUntil(lambda: all(c.model.bars.ts_ns[-1] > stored_end[c.model.symbol]
                                    for c in controller.charts), timeout=15_000)  # fmt: skip
        # The second cell made active: its symbol is the symbol box's, and a symbol chosen
        # there goes into that cell only; so does a timeframe.
        controller.charts[1].focused.emit()
        assert controller.symbol == "BBB" and window.symbol_box.currentText() == "BBB"
        assert controller.session.symbol == "BBB"
        controller.session.latency_log.clear()  # its ticks to the screen are measured now
        qtbot.waitUntil(lambda: len(controller.session.latency_log) > 0, timeout=5000)
        window.symbol_chosen.emit("CCC")
        assert shown(controller) == [("AAA", "1m"), ("CCC", "1m"), ("CCC", "1m"), ("AAA", "1m")]
        window.timeframe_chosen.emit("1h")
        assert shown(controller)[1] == ("CCC", "1h") and shown(controller)[2] == ("CCC", "1m")
        assert "BBB" in controller.live.sessions.running  # left: still live in the background
        assert controller.live.sessions.shown == {"AAA", "CCC"}
        # The crosshair's time is shown in every cell.
        t = int(controller.charts[0].model.bars.ts_ns[-10])
        controller.charts[0].crosshair.time_changed.emit(t)
        for chart in controller.charts[1:]:
            ts = chart.model.bars.ts_ns
            ix = chart.crosshair.index
            assert ix is not None and ts[ix] <= t and (ix + 1 == len(ts) or t < ts[ix + 1])
    finally:
        controller.close()
    again = ChartController(three, window, None, settings)
    try:
        again.start()
        assert again.layout == "symbols"
        assert shown(again) == [("AAA", "1m"), ("CCC", "1h"), ("CCC", "1m"), ("AAA", "1m")]
    finally:
        again.close()


def test_a_new_grid_shows_the_symbol_on_screen_once_and_the_others(three, window, settings):
    controller = ChartController(three, window, None, settings)
    controller.feed = FeedKind.OFF
    try:
        controller.start("BBB")  # not the first symbol of the list
        controller.set_grid_size(1, 3)
        assert shown(controller) == [("BBB", "1m"), ("AAA", "1m"), ("CCC", "1m")]
    finally:
        controller.close()


def test_a_grid_remembered_from_another_store_starts_with_this_stores_symbols(
    three, window, settings
):
    """The grid's cells name symbols this store does not hold (another --db, or deleted):
    the app starts (it raised IndexError at start-up) and fills the grid from its own."""
    other = SymbolGrid(1, 2, (("ZZZ", "1m"), ("YYY", "5m")))
    settings.setValue("layout", "symbols")
    settings.setValue("symbol_grid", other.saved())
    controller = ChartController(three, window, None, settings)
    controller.feed = FeedKind.OFF
    try:
        controller.start("CCC")
        assert shown(controller) == [("CCC", "1m"), ("AAA", "1m")]
    finally:
        controller.close()


def test_each_cell_has_its_own_indicators(three, window, settings):
    import numpy as np

    from engine import indicators as ind
    from engine.worker import IndicatorWorker

    worker = IndicatorWorker(timeout_s=30)
    worker.start()
    asked = {"sma": {"period": 7}, "rsi": {"period": 14}}
    controller = ChartController(three, window, worker, settings,
                                 ask_parameters=lambda spec, _: asked[spec.key])  # fmt: skip
    controller.feed = FeedKind.OFF
    try:
        controller.start("AAA")
        window.show()
        controller.set_grid_size(1, 2)
        window.indicator_chosen.emit("sma")  # into the active, first cell
        controller.charts[1].focused.emit()
        window.indicator_chosen.emit("rsi")
        controller.indicators.wait_idle()
        first, second = controller.charts
        assert set(first.indicators) == {"sma-1"} and set(second.indicators) == {"rsi-1"}
        assert [a.text() for a in window.remove_menu.actions()] == ["RSI 14"]
        # (the last bar's value may be the incremental form's, after the session seeded the
        # forming bar: equal to the batch's within rounding, 5e-13 at 90 once)
        np.testing.assert_allclose(first.indicators["sma-1"][1]["sma"].values,
                                   ind.sma(first.model.bars.close, 7), rtol=1e-12)  # fmt: skip
        np.testing.assert_allclose(second.indicators["rsi-1"][1]["rsi"].values,
                                   ind.rsi(second.model.bars.close, 14), rtol=1e-12)  # fmt: skip
        first.focused.emit()
        assert [a.text() for a in window.remove_menu.actions()] == ["SMA 7"]
        window.indicator_removed.emit("sma-1")
        assert not first.indicators and set(second.indicators) == {"rsi-1"}
        window.indicator_chosen.emit("sma")
        controller.set_layout("single")  # the single chart keeps its own (none chosen)
        assert controller.indicators.active == {}
    finally:
        controller.close()
    again = ChartController(three, window, worker, settings)
    again.feed = FeedKind.OFF
    try:
        again.start()
        again.set_layout("symbols")
        again.indicators.wait_idle()
        assert [set(c.indicators) for c in again.charts] == [{"sma-1"}, {"rsi-1"}]
    finally:
        again.close()
        worker.stop()


def test_a_symbol_deleted_while_shown_goes_and_the_rest_run(qtbot, three, window, settings):
    """Deleted while on screen (File > Delete, asked first): its session stores nothing more
    (its queued bars would bring it back), the cell that showed it shows another symbol, the
    watchlist drops it, and the other symbols' bars keep coming."""
    controller = simulated(three, window, settings)
    asked = []
    window.confirm = lambda question: asked.append(question) or question.startswith("Delete")
    try:
        controller.start("AAA")
        window.show()
        controller.set_grid_size(1, 2)
        assert shown(controller) == [("AAA", "1m"), ("BBB", "1m")]
        running = controller.live.sessions.running
        qtbot.waitUntil(lambda: "CCC" in running and running["CCC"].started, timeout=5000)
        n = three.count("BBB", "1m")
        controller.delete_symbol("BBB")
        assert asked == [f"Delete the bars of BBB ({n:,} 1-minute bars and its other "
                         "timeframes) from store.duckdb? It cannot be undone."]  # fmt: skip
        assert "BBB deleted" in window.statusBar().currentMessage()
        assert shown(controller) == [("AAA", "1m"), ("CCC", "1m")]
        ccc_end = three.time_range("CCC")[1]
        qtbot.wait(1500)  # writers write every half second: none of BBB's comes back
        assert "BBB" not in three.symbols()
        qtbot.waitUntil(lambda: three.time_range("CCC")[1] > ccc_end, timeout=10_000)
        qtbot.waitUntil(lambda: "BBB" not in controller.watchlist.model.symbols, timeout=3000)
        window.delete_requested.emit()  # the active symbol: another takes its place
        assert controller.symbol == "CCC" and "AAA" not in three.symbols()
        window.confirm = lambda question: False
        window.delete_requested.emit()  # said no: nothing goes
        assert "CCC" in three.symbols()
    finally:
        controller.close()


def test_pause_stops_every_symbol_of_the_feed_and_those_it_starts_later(
    qtbot, three, window, settings
):
    """Paused with a grid of symbols on screen, the active cell's symbol stopped and the
    others ticked on under "Resume" (so did the symbols kept running off screen): pause is
    the feed's, every symbol's, and a symbol shown while paused starts paused."""
    controller = simulated(three, window, settings)
    try:
        controller.start("AAA")
        window.show()
        controller.set_grid_size(1, 2)
        running = controller.live.sessions.running
        qtbot.waitUntil(lambda: "CCC" in running and running["CCC"].started, timeout=5000)
        window.pause_action.trigger()
        assert window.pause_action.text() == "Resume"
        sessions = controller.live.all_sessions()
        assert {s.symbol for s in sessions} == {"AAA", "BBB", "CCC"}
        assert all(s.paused for s in sessions)
        ticks = {s.symbol: s.feed.counters.ticks for s in sessions}
        qtbot.wait(600)  # at 60x, half a minute of market time
        assert {s.symbol: s.feed.counters.ticks for s in sessions} == ticks
        feed = window.stat_labels["feed"]  # it said "simulated paused (+1 more symbol live)"
        qtbot.waitUntil(lambda: "paused (+1 more symbol)" in feed.text(), timeout=3000)
        controller.charts[1].focused.emit()  # the other cell: the feed is still paused
        assert controller.symbol == "BBB" and window.pause_action.text() == "Resume"
        window.symbol_chosen.emit("CCC")  # CCC's session now on screen: still paused
        assert controller.session.symbol == "CCC" and controller.session.paused
        write_demo_to_now(three, ["DDD"], 500)
        window.symbol_chosen.emit("DDD")  # a session made while paused starts paused
        assert controller.session.symbol == "DDD" and controller.session.paused
        qtbot.waitUntil(lambda: controller.session.started, timeout=5000)
        assert controller.session.paused and window.pause_action.text() == "Resume"
        window.pause_action.trigger()
        assert window.pause_action.text() == "Pause"
        assert not any(s.paused for s in controller.live.all_sessions())
        sessions = controller.live.all_sessions()
        qtbot.waitUntil(lambda: all(s.feed.counters.ticks > ticks.get(s.symbol, 0)
                                    for s in sessions), timeout=5000)  # fmt: skip
    finally:
        controller.close()


def test_a_replays_speed_and_step_are_every_cells(qtbot, three, window, settings):
    """The speed box and Step reached the active cell's replay alone; a symbol chosen
    after a change of speed started every cell's replay again from its start."""
    controller = ChartController(three, window, None, settings)
    controller.feed = FeedKind.REPLAY
    try:
        controller.start("AAA")
        window.show()
        controller.set_grid_size(1, 2)
        qtbot.waitUntil(lambda: all(s.started for s in controller.live.all_sessions()),
                        timeout=5000)  # fmt: skip
        window.pause_action.trigger()
        window.speed_chosen.emit(300.0)
        cells = {s.symbol: s for s in controller.live.all_sessions()}
        assert set(cells) == {"AAA", "BBB"}
        assert all(s.feed.source.speed == 300.0 for s in cells.values())
        at = {s: cells[s].feed.now_ns() for s in cells}
        window.step_requested.emit()
        assert all(cells[s].feed.now_ns() > at[s] for s in cells)
        window.symbol_chosen.emit("CCC")  # the active cell's symbol; BBB's replay plays on
        sessions = {s.symbol: s for s in controller.live.all_sessions()}
        assert sessions["BBB"] is cells["BBB"] and sessions["CCC"].feed.source.speed == 300.0
    finally:
        controller.close()
