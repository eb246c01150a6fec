"""The socket feed takes several symbols at once in the window: a symbol left for another
keeps its route, and the ticks of both are built and stored."""

import contextlib
import json
import socket
import time

from app.controller import ChartController
from app.main_window import MainWindow
from data.feeds.kinds import FeedKind
from data.store import Instrument
from tests.conftest import NS_PER_MIN


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def send(port: int, ticks: list[dict]) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"".join(json.dumps(t).encode() + b"\n" for t in ticks))


@contextlib.contextmanager
def socket_chart(qtbot, store, window, settings, symbol: str = "AAA"):
    """The window on `symbol`, fed by the socket feed, its first tick (100.0, now) charted:
    (the controller, the feed's port, now in ns); closed after."""
    store.add_instrument(Instrument(symbol))
    port = free_port()
    controller = ChartController(store, window, None, settings, feed_port=port)
    controller.feed = FeedKind.SOCKET
    now = time.time_ns()
    try:
        controller.start(symbol)
        window.show()
        qtbot.waitUntil(lambda: controller.session.started, timeout=5000)
        send(port, [{"symbol": symbol, "ts": now, "price": 100.0}])
        qtbot.waitUntil(lambda: len(controller.chart.model) == 1, timeout=5000)
        yield controller, port, now
    finally:
        controller.close()


def test_two_symbols_on_one_port_both_stored(qtbot, store, window, settings):
    port = free_port()
    store.add_instrument(Instrument("BBB"))  # a symbol with no bars yet, as one imported
    controller = ChartController(store, window, None, settings, feed_port=port)
    controller.feed = FeedKind.SOCKET
    minute = (time.time_ns() // NS_PER_MIN - 2) * NS_PER_MIN  # two minutes ago: sealed
    try:
        controller.start("AAA")
        window.show()
        qtbot.waitUntil(lambda: controller.session.started, timeout=5000)
        window.symbol_chosen.emit("BBB")
        qtbot.waitUntil(lambda: controller.session.started, timeout=5000)
        assert "AAA" in controller.live.sessions.running  # left, still routed
        ticks = [{"symbol": s, "ts": minute + k * 10**9, "price": p + k, "qty": 1}
                 for k in range(5) for s, p in (("AAA", 100.0), ("BBB", 50.0))]  # fmt: skip
        send(port, [*ticks, {"symbol": "CCC", "ts": minute, "price": 1.0}])
        feed = controller.session.feed
        qtbot.waitUntil(lambda: feed.counters.ticks == 10, timeout=5000)
        assert "symbol 'CCC' has no chart here" in feed.last_rejection
        qtbot.waitUntil(lambda: store.time_range("AAA") is not None
                        and store.time_range("BBB") is not None, timeout=5000)  # fmt: skip
    finally:
        controller.close()
    for symbol, price in (("AAA", 100.0), ("BBB", 50.0)):
        bar = store.load(symbol, "1m")
        assert bar.ts_ns.tolist() == [minute]
        assert (bar.open[0], bar.high[0], bar.low[0], bar.close[0], bar.volume[0]) == (
            price, price + 4, price, price + 4, 5.0)  # fmt: skip


def test_the_socket_keeps_the_symbols_it_fed_before(qtbot, store, window, settings):
    """Started on one symbol, the socket feed takes the ticks of every symbol it fed before
    (the watchlist shows them live) without their charts being opened."""
    from data.store.provenance import SOCKET
    from tests.conftest import make_bars

    now_min = time.time_ns() // NS_PER_MIN * NS_PER_MIN
    for k, symbol in enumerate(("AAA", "BBB")):
        store.write_bars(symbol, "1m", make_bars(10, start_ns=now_min - 20 * NS_PER_MIN,
                                                 seed=k), source=SOCKET)  # fmt: skip
    store.write_bars("IMP", "1m", make_bars(10, start_ns=now_min - 20 * NS_PER_MIN))
    port = free_port()
    controller = ChartController(store, window, None, settings, feed_port=port)
    controller.feed = FeedKind.SOCKET
    minute = now_min - 2 * NS_PER_MIN
    try:
        controller.start("AAA")
        window.show()
        running = controller.live.sessions.running
        qtbot.waitUntil(lambda: "BBB" in running and running["BBB"].started, timeout=5000)
        assert "IMP" not in running  # imported bars the socket never fed: not taken
        price = float(store.load("BBB", "1m", limit=1).close[-1])
        send(port, [{"symbol": "BBB", "ts": minute + k, "price": price, "qty": 1}
                    for k in range(3)])  # fmt: skip
        qtbot.waitUntil(lambda: store.time_range("BBB")[1] == minute, timeout=5000)
    finally:
        controller.close()
    assert store.load("BBB", "1m", start_ns=minute).volume.tolist() == [3.0]


def test_a_price_alert_fires_on_the_tick_that_crosses(qtbot, store, window, settings):
    with socket_chart(qtbot, store, window, settings) as (controller, port, now):
        once = controller.surface.add_price_alert(100.5)
        every = controller.surface.add_price_alert(99.5, once=False)
        assert once is not None and every is not None and controller.surface.alerts.dock.isVisible()
        assert controller.surface.add_price_alert(-3.0) is None
        assert "alert price -3.0 must be a positive number" in window.statusBar().currentMessage()
        levels = controller.chart.alert_levels  # the armed levels are drawn on the chart
        assert levels.prices.tolist() == [100.5, 99.5]
        assert_alert_level_drawn(controller.chart, 99.5)
        prices = [100.2, 100.6, 99.0, 100.0, 101.0, 99.4]
        send(port, [{"symbol": "AAA", "ts": now + k + 1, "price": p}
                    for k, p in enumerate(prices)])  # fmt: skip
        history = controller.surface.alerts.history
        qtbot.waitUntil(lambda: history.count() == 4, timeout=5000)
        said = [history.item(k).text().split("  ", 1)[1] for k in range(4)][::-1]
        assert said == ["AAA crosses 100.50: 100.60", "AAA crosses 99.50 (every time): 99.00",
                        "AAA crosses 99.50 (every time): 100.00",
                        "AAA crosses 99.50 (every time): 99.40"]  # fmt: skip
        assert "alert: " in window.statusBar().currentMessage()
        armed = controller.surface.alerts.armed
        assert [armed.item(k).text() for k in range(armed.count())] == [
            "AAA crosses 99.50 (every time)"]  # fmt: skip
        assert levels.prices.tolist() == [99.5]  # the spent one is gone from the chart
        # what fired is in the store within a second, and listed again at the next start
        qtbot.waitUntil(lambda: len(store.alert_log()) == 4, timeout=3000)
        assert [e["text"] for e in store.alert_log()] == said
        lines = [history.item(k).text() for k in range(4)]
    again = MainWindow()
    qtbot.addWidget(again)
    controller = ChartController(store, again, None, settings)
    controller.feed = FeedKind.OFF
    try:
        controller.start("AAA")
        controller.surface.load_alerts()
        history = controller.surface.alerts.history
        assert [history.item(k).text() for k in range(history.count())] == lines
    finally:
        controller.close()


def assert_alert_level_drawn(chart, price: float) -> None:
    """The alert colour runs along the level's row of the rendered chart (its view range
    holding the price)."""
    from PySide6 import QtCore, QtGui

    from widgets.theme import DARK

    view = chart.price.view
    (x0, x1), (y0, y1) = view.viewRange()
    view.setYRange(min(y0, price - 1), max(y1, price + 1), padding=0)
    image = chart.grab().toImage()
    ratio = image.devicePixelRatio()
    row = view.mapViewToScene(QtCore.QPointF(x0, price)).y()
    left = view.mapViewToScene(QtCore.QPointF(x0, price)).x()
    right = view.mapViewToScene(QtCore.QPointF(x1, price)).x()
    target = QtGui.QColor(DARK.alert)
    hits = sum(image.pixelColor(int(x * ratio), int(round(row) * ratio)) == target
               or image.pixelColor(int(x * ratio), int(round(row - 1) * ratio)) == target
               for x in range(int(left) + 2, int(right) - 2))  # fmt: skip
    assert hits > (right - left) / 4  # a dashed line across the view


def test_a_new_store_for_the_socket_feed_starts_with_no_demo_data(qtbot, tmp_path):
    """`candleterm --db NEW --feed socket` (or exchange): the store is for a market's real
    ticks; it was filled with two years of the four demo symbols first."""
    import argparse

    from app.gui import build_app

    args = argparse.Namespace(feed="socket", feed_rate=20.0, feed_port=free_port(),
                              outlier_band=20.0, exchange="binance", exchange_url=None,
                              symbol="FX1", theme=None)  # fmt: skip
    running = build_app(tmp_path / "new.duckdb", args)
    try:
        assert running.store.symbols() == []
        assert running.controller.symbol == "FX1"
        send(args.feed_port, [{"symbol": "FX1", "ts": time.time(), "price": 1.5, "qty": 2.0}])
        qtbot.waitUntil(lambda: len(running.controller.chart.model) == 1, timeout=5000)
    finally:
        running.close()


def test_a_terminal_quit_mid_minute_keeps_that_minute_and_goes_on_from_it(qtbot, store, settings):
    """Quit at 10:00:30 and started again at 10:00:50 on the socket feed: the forming minute
    was not stored, and the 10:00 bar was built again from the ticks after 10:00:50 alone and
    stored so, its open, its low and its volume so far lost."""
    from app.main_window import MainWindow

    into_minute_ns = time.time_ns() % NS_PER_MIN
    if into_minute_ns > 40 * 10**9:  # room for both sessions within one minute
        time.sleep((NS_PER_MIN - into_minute_ns) / 1e9 + 0.05)
    minute = time.time_ns() // NS_PER_MIN * NS_PER_MIN

    def session(prices: list[float]) -> None:
        window = MainWindow()
        qtbot.addWidget(window)
        with socket_chart(qtbot, store, window, settings) as (controller, port, now):
            send(port, [{"symbol": "AAA", "ts": now + k + 1, "price": p, "qty": 2}
                        for k, p in enumerate(prices)])  # fmt: skip
            feed = controller.session.feed
            qtbot.waitUntil(lambda: feed.counters.ticks == 1 + len(prices), timeout=5000)
            qtbot.waitUntil(lambda: controller.chart.model.column("close")[-1] == prices[-1],
                            timeout=5000)  # fmt: skip

    session([98.0, 101.0])  # then quit, mid-minute
    bar = store.load("AAA", "1m")
    assert bar.ts_ns.tolist() == [minute]  # stored as far as it was seen
    assert (bar.open[0], bar.high[0], bar.low[0], bar.close[0]) == (100.0, 101.0, 98.0, 101.0)
    first_volume = float(bar.volume[0])
    assert first_volume >= 4.0
    session([97.0])  # started again within the minute: it goes on from there
    assert time.time_ns() // NS_PER_MIN * NS_PER_MIN == minute
    bar = store.load("AAA", "1m")
    assert bar.ts_ns.tolist() == [minute]
    assert (bar.open[0], bar.high[0], bar.low[0], bar.close[0]) == (100.0, 101.0, 97.0, 97.0)
    assert bar.volume[0] >= first_volume + 2.0
