"""The watchlist of 500 symbols: scrolling it frame by frame (the sparklines read on first
sight), quoting every symbol (the open-price layer against asking the store each time), and
opening a symbol of 10k bars from it in the window."""

from __future__ import annotations

import time

import numpy as np

from profiling.scenario_kit import STORE_DIR, Result
from profiling.timing import measure, summarize

BARS_EACH = 10_000
ROWS_A_STEP = 3  # a wheel notch


def watchlist_store(symbols: int):
    """`symbols` symbols of BARS_EACH 1m bars each, ending now (kept between runs)."""
    from data.store import BarStore
    from engine.units import NS_PER_MIN
    from tests.conftest import make_bars

    STORE_DIR.mkdir(parents=True, exist_ok=True)
    path = STORE_DIR / f"watchlist_{symbols}.duckdb"
    if not path.exists():
        end = time.time_ns() // NS_PER_MIN * NS_PER_MIN
        with BarStore(path) as store:
            for k in range(symbols):
                bars = make_bars(BARS_EACH, start_ns=end - BARS_EACH * NS_PER_MIN, seed=k)
                store.write_bars(f"S{k:03d}", "1m", bars)
    return path


def _stored_quote(store, symbol: str, quotes) -> np.ndarray:
    """The slow way: the day, the hour, the 4 hours and the close before the day asked of the
    store for every row, every refresh."""
    from app.quotes import PREVIOUS_LOOKBACK_NS

    at = store.time_range(symbol)[1]
    day, hour, four = (store.bars_so_far([(symbol, *quotes.cache.bucket(symbol, tf, at))])[0]
                       for tf in ("1d", "1h", "4h"))  # fmt: skip
    day_ns = quotes.cache.bucket(symbol, "1d", at)[0]
    before = store.bars_so_far([(symbol, day_ns - PREVIOUS_LOOKBACK_NS, day_ns)])[0].close
    change = day.close - before
    return np.array(
        [
            day.close,
            change,
            100 * change / before,
            day.volume,
            100 * (day.close / hour.open - 1),
            100 * (day.close / four.open - 1),
        ]
    )


def watchlist(quick: bool) -> Result:
    from PySide6 import QtCore
    from PySide6.QtTest import QTest

    from app.controller import ChartController
    from app.main_window import MainWindow
    from data.feeds.kinds import FeedKind
    from data.store import BarStore
    from profiling.qt_frames import app, frame

    qt = app()
    n_symbols = 60 if quick else 500
    path = watchlist_store(n_symbols)
    store = BarStore(path)
    settings = QtCore.QSettings(str(STORE_DIR / "watchlist.ini"), QtCore.QSettings.Format.IniFormat)
    settings.clear()
    window = MainWindow()
    window.resize(1600, 900)
    controller = ChartController(store, window, None, settings)
    controller.feed = FeedKind.OFF
    controller.start("S000")
    window.show()
    panel = controller.watchlist
    started = time.perf_counter()
    panel.start()
    view, quotes = panel.view, panel.quotes
    symbols = list(panel.model.symbols)
    assert len(symbols) == n_symbols
    while panel._read_timer.isActive():  # the day paths, read between frames
        qt.processEvents(QtCore.QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
    paths_s = time.perf_counter() - started
    assert all(quotes.drawn_path(s) is not None for s in symbols)

    # Scroll from top to bottom a notch a frame; each frame painted now.
    bar = view.verticalScrollBar()
    frame_ms, top_rows = [], []
    for value in range(0, bar.maximum() + 1, ROWS_A_STEP):
        started = time.perf_counter()
        bar.setValue(value)
        view.viewport().repaint()
        frame_ms.append((time.perf_counter() - started) * 1e3)
        top_rows.append(view.rowAt(0))
        shown = [
            panel.model.symbol_at(r)
            for r in range(view.rowAt(0), view.rowAt(view.viewport().height() - 1) + 1)
        ]
        assert all(len(quotes.drawn_path(s)) > 1 for s in shown), "a sparkline is not drawn"
    # it scrolled: the top row is the one scrolled to (the last page aligns its last row to
    # the bottom, so its top row may show only in part: one before)
    wanted = range(0, bar.maximum() + 1, ROWS_A_STEP)
    assert all(v - 1 <= top <= v for top, v in zip(top_rows, wanted, strict=True)), top_rows
    fresh = type(quotes)(store)
    for symbol in (symbols[0], symbols[-1]):
        assert np.array_equal(quotes.path(symbol), fresh.path(symbol))
    scroll = summarize("watchlist scroll frame, a notch at a time (ms)", frame_ms, 16.7, "p99")
    again = []  # the same, from the bottom up
    for value in range(bar.maximum(), -1, -ROWS_A_STEP):
        started = time.perf_counter()
        bar.setValue(value)
        view.viewport().repaint()
        again.append((time.perf_counter() - started) * 1e3)
    scroll_again = summarize("  scrolled back up", again, 16.7, "p99")

    # Quote every symbol: the layer (memory) against the store asked for each.
    want = np.array([_stored_quote(store, s, quotes) for s in symbols])

    def check_quotes(values):
        np.testing.assert_allclose(values, want, rtol=1e-12)

    refresh = measure(f"quote {n_symbols} symbols from the open-price layer (ms)",
                      lambda: quotes.values(symbols), check_quotes, repeat=20)  # fmt: skip
    slow = measure(f"  slow: ask the store for each of the {n_symbols} (ms)",
                   lambda: np.array([_stored_quote(store, s, quotes) for s in symbols]),
                   check_quotes, repeat=3)  # fmt: skip

    # Open symbols from the list: a click to the chart painted.
    open_ms = []
    for k in range(1, 11 if quick else 41):
        view.scrollTo(panel.model.index(k, 0))
        rect = view.visualRect(panel.model.index(k, 1))
        started = time.perf_counter()
        QTest.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
        frame(window.view)
        open_ms.append((time.perf_counter() - started) * 1e3)
        symbol = panel.model.symbol_at(k)
        shown = controller.models["1m"]
        assert controller.symbol == symbol and shown.symbol == symbol
        assert shown.bars.close[-1] == store.load(symbol, "1m", limit=1).close[-1]
        assert len(shown) >= min(BARS_EACH, 2000)
    opened = summarize("open a symbol of 10k bars from the list: click to chart painted (ms)",
                       open_ms, 50.0)  # fmt: skip
    controller.close()
    window.close()
    store.close()
    return Result(
        "watchlist",
        f"Watchlist of {n_symbols} symbols: scroll, quote, open",
        refresh,
        slow,
        rows=[scroll, scroll_again, opened],
        facts={
            "layer_store_queries": quotes.store_queries,
            "symbols": n_symbols,
            "day_paths_read_in_background_s": round(paths_s, 2),
        },
    )
