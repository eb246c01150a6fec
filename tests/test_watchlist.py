"""The watchlist dock in the window: quotes from the open-price layer, sorting, opening a
symbol by click or Enter, flashes on live ticks, the layer's queries in the status bar."""

import time

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from app.controller import ChartController
from app.quotes import Quotes
from tests.conftest import offline, write_demo_to_now

SYMBOLS = ("AAA", "BBB", "CCC", "DDD")


@pytest.fixture
def filled(store):
    write_demo_to_now(store, SYMBOLS, 2000)
    return store


def rows_in_view_order(view) -> list[str]:
    model = view.model()
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_the_watchlist_quotes_sorts_and_opens(qtbot, filled, window, settings):
    controller = offline(filled, window, settings)
    try:
        controller.start("AAA")
        window.show()
        view = controller.watchlist.view
        qtbot.waitUntil(lambda: view.model().rowCount() == len(SYMBOLS), timeout=5000)
        want = Quotes(filled).values(list(SYMBOLS))
        assert controller.watchlist.model.values == pytest.approx(want, nan_ok=True)
        assert view.currentIndex().data() == "AAA"  # the symbol on the chart
        # Sorted by change % (the header clicked twice: descending).
        view.sortByColumn(3, QtCore.Qt.SortOrder.DescendingOrder)
        assert rows_in_view_order(view) == [SYMBOLS[i] for i in np.argsort(-want[:, 2])]
        # A click opens a row's symbol; so do the arrow keys then Enter.
        first = rows_in_view_order(view)[0]
        rect = view.visualRect(view.model().index(0, 1))
        QTest.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
        assert controller.symbol == first and window.symbol_box.currentText() == first
        view.setFocus()
        QTest.keyClick(view, QtCore.Qt.Key.Key_Down)
        assert controller.symbol == first  # moving does not open
        QTest.keyClick(view, QtCore.Qt.Key.Key_Return)
        assert controller.symbol == rows_in_view_order(view)[1]
        assert controller.models["1m"].bars.close[-1] == filled.load(controller.symbol, "1m",
                                                                     limit=1).close[-1]  # fmt: skip
    finally:
        controller.close()


def test_live_ticks_flash_the_rows_and_the_layer_asks_no_more(qtbot, filled, window, settings):
    """The simulated market trades every symbol: their quotes move (and flash) while one is
    shown; after the first quotes the open-price layer asks the store nothing more."""
    controller = ChartController(filled, window, None, settings, feed_rate=40.0)
    try:
        controller.start("AAA")
        window.show()
        model = controller.watchlist.model
        qtbot.waitUntil(lambda: len(model.symbols) == len(SYMBOLS), timeout=5000)
        qtbot.waitUntil(lambda: len(controller.live.sessions.running) == len(SYMBOLS) - 1,
                        timeout=5000)  # fmt: skip
        first = model.values[:, 0].copy()
        qtbot.waitUntil(lambda: (model.values[:, 0] != first).all(), timeout=10_000)
        asked, hour = controller.quotes.store_queries, time.time() // 3600  # all live now
        others = np.array([s != "AAA" for s in model.symbols])  # AAA's row is selected
        qtbot.waitUntil(lambda: (model.flash_until[others] > 0).any(), timeout=5000)
        i = int(np.argmax(np.where(others, model.flash_until, 0)))
        up = bool(model.flash_up[i])
        view = controller.watchlist.view
        rect = view.visualRect(model.index(int(model.rank[i]), 1))
        pixel = view.viewport().grab().toImage().pixelColor(rect.left() + 2, rect.center().y())
        red, green = pixel.red(), pixel.green()
        assert (green - red if up else red - green) > 30, (up, pixel.name())  # drawn flashing
        if time.time() // 3600 == hour:  # (a new hour's bucket began before its ticks)
            assert controller.quotes.store_queries == asked  # steady: no query
        qtbot.waitUntil(lambda: f"(watchlist {controller.quotes.store_queries} so far)"
                        in window.stat_labels["queries"].text(),
                        timeout=3000)  # fmt: skip
        # The shown symbol's last quote is its chart's last close.
        controller.watchlist.refresh()
        row = model.symbols.index("AAA")
        assert model.values[row, 0] == controller.session.builder.forming("1m")[4]
    finally:
        controller.close()
    # the flash ends by itself
    model.flash_until[:] = np.where(model.flash_until > 0, time.monotonic() - 1, 0)
    assert model.end_flashes() is False


def test_a_feed_that_drops_one_symbol_is_said_and_the_rest_run(qtbot, filled, window, settings):
    from widgets.watchlist import LIVE, STOPPED

    controller = ChartController(filled, window, None, settings, feed_rate=40.0)
    try:
        controller.start("AAA")
        window.show()
        model = controller.watchlist.model
        running = controller.live.sessions.running
        qtbot.waitUntil(lambda: len(running) == len(SYMBOLS) - 1, timeout=5000)
        qtbot.waitUntil(lambda: (model.live == LIVE).all(), timeout=5000)
        dropped = running["BBB"].feed
        dropped.stop()  # as an exchange stream lost for one market
        dropped.ok = False
        dropped.state = lambda: "simulated stopped: the market closed the stream"
        row = model.where["BBB"]
        qtbot.waitUntil(lambda: model.live[row] == STOPPED, timeout=3000)
        said = window.statusBar().currentMessage()
        assert said == ("BBB: simulated stopped: the market closed the stream; the other "
                        "symbols keep running")  # fmt: skip
        tip = model.data(model.index(int(model.rank[row]), 0), QtCore.Qt.ItemDataRole.ToolTipRole)
        assert tip == "BBB: simulated stopped: the market closed the stream"
        others = [model.where[s] for s in SYMBOLS if s != "BBB"]
        before = model.values[others, 0].copy()
        qtbot.waitUntil(lambda: (model.values[others, 0] != before).all(), timeout=10_000)
        assert (model.live[others] == LIVE).all()
    finally:
        controller.close()


def test_a_symbol_with_its_feed_off_shows_no_failure(qtbot, filled, window, settings):
    """With the feed off, the symbols on screen had the red dot of a failing feed (their
    tool tip said "feed off"); they have none, and nothing is said stopped."""
    from widgets.watchlist import NO_FEED

    controller = offline(filled, window, settings)
    try:
        controller.start("AAA")
        window.show()
        model = controller.watchlist.model
        qtbot.waitUntil(lambda: model.rowCount() == len(SYMBOLS), timeout=5000)
        controller.watchlist.refresh()
        assert "AAA" in controller.live.feed_states()  # it has a session, with no feed
        assert model.live[model.where["AAA"]] == NO_FEED
        tip = model.data(model.index(model.row_of("AAA"), 0), QtCore.Qt.ItemDataRole.ToolTipRole)
        assert tip == "AAA: feed off"
        assert "stopped" not in window.statusBar().currentMessage()
    finally:
        controller.close()


def test_a_change_that_rounds_to_nothing_is_written_without_a_sign(qtbot):
    """A simulated copy's hour moved by -0.001%: it read "-0.00%"."""
    from widgets.watchlist import WatchlistModel

    model = WatchlistModel(lambda symbol: np.empty(0))
    model.set_symbols(["6E.SIM", "ES", "GBPUSD"], [5, 2, 5])
    # last, change, change %, volume, hour %, 4 hours %
    model.set_values(np.array([[1.08229, -0.000001, -0.004, 2930.0, -0.001, -0.12],
                               [4298.0, 0.25, 0.01, 231.0, 0.0049, 0.006],
                               [1.59208, 0.00101, 0.06, 0.0, 0.01, 0.06]]))  # fmt: skip
    assert model.texts[0][1:] == ["1.08229", "0.00000", "0.00%", "2.93k", "0.00%", "-0.12%"]
    assert model.texts[1][1:] == ["4,298.00", "+0.25", "+0.01%", "231", "0.00%", "+0.01%"]
    assert model.texts[2][4] == "\u2013"  # bid bars carry no volume: it read "0"
    assert model.shown_value(0, 5) == 0.0 and model.shown_value(0, 6) == -0.12  # not red
    # what "Chg" is measured from is said: the previous day's close (a 1d chart's legend too)
    tip = model.headerData(2, QtCore.Qt.Orientation.Horizontal, QtCore.Qt.ItemDataRole.ToolTipRole)
    assert tip == (
        "change since the previous day's close (since the day's open on a symbol's first day)"
    )


def test_a_value_wider_than_its_column_widens_it(qtbot):
    """6E's change "+0.00010" lost its sign under the 60-pixel Chg column ("0.00010")."""
    from widgets.watchlist import CELL_PAD_PX, WatchlistModel, WatchlistView

    model = WatchlistModel(lambda symbol: np.empty(0))
    model.set_symbols(["6EH4", "ES"], [5, 2])
    view = WatchlistView(model)
    qtbot.addWidget(view)
    before = [view.horizontalHeader().sectionSize(col) for col in range(8)]
    view.update_values(np.array([[1.08665, 0.0001, 0.01, 1350.0, 0.03, 0.01],
                                 [4298.0, 0.25, 0.01, 231.0, 0.0049, 0.006]]))  # fmt: skip
    metrics = view.fontMetrics()
    for col in range(1, 7):
        need = max(metrics.horizontalAdvance(model.texts[i][col]) for i in range(2))
        assert view.horizontalHeader().sectionSize(col) >= need + 2 * CELL_PAD_PX, col
    assert model.texts[0][2] == "+0.00010"
    assert view.horizontalHeader().sectionSize(4) == before[4]  # a column that fits is kept


def test_a_whole_tick_price_is_written_alike_in_the_watchlist_and_on_the_chart(
    qtbot, store, window, settings
):
    """An index future of tick 1 (FESX imported): the watchlist wrote 3,838, the chart's
    legend, last-price tag and alerts 3,838.00."""
    from data.store import Instrument
    from tests.conftest import make_bars

    bars = make_bars(300, seed=4)
    bars.open[:], bars.close[:] = np.round(bars.open), np.round(bars.close)
    bars.high[:] = np.maximum(np.ceil(bars.high), np.maximum(bars.open, bars.close))
    bars.low[:] = np.minimum(np.floor(bars.low), np.minimum(bars.open, bars.close))
    store.write_bars("FESX", "1m", bars, instrument=Instrument("FESX", tick_size=1.0))
    controller = offline(store, window, settings)
    try:
        controller.start("FESX")
        window.show()
        model = controller.watchlist.model
        qtbot.waitUntil(lambda: model.rowCount() == 1 and model.texts[0][1] != "", timeout=5000)
        last = f"{bars.close[-1]:,.2f}"
        assert model.texts[0][1] == last
        legend = controller.chart.price.legend
        qtbot.waitUntil(lambda: legend.text() != "", timeout=5000)
        assert f"C {last}" in legend.text()
    finally:
        controller.close()
