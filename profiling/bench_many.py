"""Many symbols live: the real window (offscreen, a 2x2 grid of four symbols, the watchlist)
with the simulated market trading 50 symbols at 2,000 ticks/s in total.

Measured: the shown chart's frame time and tick-to-screen latency, the process's CPU and the
engine's share of it (the sessions' frames of the symbols off screen), store queries a
minute in steady state (all, and the open-price layer's). Checked beside the timings: every
1m bar the sessions stored equals batch aggregation of the ticks the feed sent.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from profiling.bench_live import run_loop
from profiling.timing import Stats, summarize

SYMBOLS = 50
TICKS_PER_S = 2_000
DAYS = 2


def make_store(path: Path, symbols: int) -> list[str]:
    """`symbols` demo symbols (24x7, tick sizes from 0.01 to 0.25) with DAYS of 1m bars."""
    from data.store import BarStore, Instrument
    from data.store.provenance import DEMO
    from engine.units import NS_PER_MIN
    from tests.conftest import make_bars

    names = [f"SIM{k:02d}" for k in range(symbols)]
    end = time.time_ns() // NS_PER_MIN * NS_PER_MIN
    n = DAYS * 1440
    with BarStore(path) as store:
        for k, symbol in enumerate(names):
            tick = (0.01, 0.05, 0.25)[k % 3]
            bars = make_bars(n, start_ns=end - n * NS_PER_MIN, seed=k)
            store.write_bars(symbol, "1m", bars, source=DEMO,
                             instrument=Instrument(symbol, "24x7", tick_size=tick))  # fmt: skip
    return names


@dataclasses.dataclass
class TickLog:
    """Every tick each session took, a frame's worth at a time (what the feed sent)."""

    parts: dict[str, list[tuple[np.ndarray, ...]]] = dataclasses.field(default_factory=dict)

    def take(self, symbol, ts_ns, price, qty) -> None:
        self.parts.setdefault(symbol, []).append((ts_ns.copy(), price.copy(), qty.copy()))

    def ticks(self, symbol: str) -> tuple[np.ndarray, ...]:
        parts = self.parts.get(symbol, [])
        return tuple(np.concatenate([p[c] for p in parts]) for c in range(3))


def check_stored(db: Path, log: TickLog, symbols: list[str]) -> int:
    """Every stored 1m bar from the first live minute on equals the ticks' aggregation (the
    last minute may not have sealed at close); returns the bars compared."""
    from data.store import BarStore
    from engine.aggregate import resample_ticks

    compared = 0
    with BarStore(db, read_only=True) as store:
        for symbol in symbols:
            ts, price, qty = log.ticks(symbol)
            assert len(ts), f"{symbol}: no ticks reached its session"
            built = resample_ticks(ts, price, qty, "1m", "24x7").bars
            stored = store.load(symbol, "1m", start_ns=int(built.ts_ns[0]))
            sealed = built[: len(built) - 1]
            assert len(stored) >= len(sealed), (symbol, len(stored), len(sealed))
            got = stored[: len(sealed)]
            for column in ("ts_ns", "open", "high", "low", "close", "volume"):
                assert np.allclose(getattr(got, column), getattr(sealed, column)), (symbol, column)
            assert len(stored) <= len(built), f"{symbol}: a stored bar no tick made"
            compared += len(sealed)
    return compared


def many_symbols(db: Path, seconds: float, time_scale: float = 1.0) -> tuple[list[Stats], dict]:
    """`seconds` of the window at TICKS_PER_S a wall-clock second over SYMBOLS symbols, the
    market's clock `time_scale` times as fast (minutes seal sooner: a short run checks
    them too)."""
    import app.quotes
    from app.controller import ChartController
    from app.main_window import MainWindow
    from data.feeds.kinds import FeedKind
    from data.store import BarStore

    names = make_store(db, SYMBOLS)
    log = TickLog()
    observe = app.quotes.Quotes.observe

    def observe_and_log(self, symbol, ts_ns, price, qty):
        log.take(symbol, ts_ns, price, qty)
        observe(self, symbol, ts_ns, price, qty)

    app.quotes.Quotes.observe = observe_and_log
    try:
        store = BarStore(db)
        window = MainWindow()
        controller = ChartController(store, window, None, feed_rate=TICKS_PER_S / SYMBOLS /
                                     time_scale, feed_time_scale=time_scale)  # fmt: skip
        controller.feed = FeedKind.SIMULATED
        controller.start(names[0])
        window.resize(1600, 900)
        window.show()
        controller.set_grid_size(2, 2)  # four symbols, each live on screen
        assert len({c.model.symbol for c in controller.charts}) == 4
        deadline = time.monotonic() + 30
        off_screen = SYMBOLS - len(controller.charts)
        while len(controller.live.sessions.running) < off_screen and time.monotonic() < deadline:
            run_loop(0.2)
        assert len(controller.live.sessions.running) == off_screen, "not every symbol went live"
        run_loop(2.0)  # warm-up
        shown = controller.session
        others = [
            *controller.live.sessions.running.values(),
            *(held.session for held in controller.live.cells.held.values()),
        ]
        shown.frame_log.clear()
        shown.latency_log.clear()
        for session in others:
            session.frame_log.clear()
        quotes = controller.quotes
        queries0, layer0 = store.queries, quotes.store_queries
        cpu0, wall0 = time.process_time(), time.perf_counter()
        ticks0 = sum(s.pipeline.ticks for s in [shown, *others])
        run_loop(seconds)
        wall = time.perf_counter() - wall0
        cpu = (time.process_time() - cpu0) / wall
        ticks = sum(s.pipeline.ticks for s in [shown, *others]) - ticks0
        # the engine's time: the other sessions' frames (the active one's include painting)
        engine_s = sum(sum(s.frame_log) for s in others) / 1e3
        queries = (store.queries - queries0) * 60 / wall
        layer = (quotes.store_queries - layer0) * 60 / wall
        frames, latency = list(shown.frame_log), list(shown.latency_log)
        watchlist_rows = len(controller.watchlist.model.symbols)
        controller.close()
        window.close()
        store.close()
    finally:
        app.quotes.Quotes.observe = observe
    compared = check_stored(db, log, names)
    assert ticks > 0.5 * TICKS_PER_S * seconds, f"only {ticks} ticks in {seconds} s"
    assert watchlist_rows == SYMBOLS
    rows = [
        summarize(f"{SYMBOLS} symbols at {TICKS_PER_S:,}/s: frame (ms)", frames, 16.0, "p99"),
        summarize(f"{SYMBOLS} symbols: tick-to-screen (ms)", latency, 40.0, "p99"),
    ]
    facts = {
        "ticks_per_s": round(ticks / wall),
        "process_cpu_cores": round(cpu, 3),
        "engine_cpu_cores_other_sessions": round(engine_s / wall, 3),
        "store_queries_per_min": round(queries, 1),
        "open_price_layer_queries_per_min": round(layer, 1),
        "stored_bars_checked_against_ticks": compared,
    }
    return rows, facts


def many_symbols_scenario(quick: bool):
    """The profiling suite's scenario: long enough for minutes to seal and be checked."""
    import tempfile

    from PySide6 import QtCore, QtWidgets

    from profiling.scenario_kit import Result

    QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        QtCore.QSettings.setPath(QtCore.QSettings.Format.NativeFormat,
                                 QtCore.QSettings.Scope.UserScope, tmp)  # fmt: skip
        db = Path(tmp) / "many.duckdb"
        rows, facts = many_symbols(db, 8.0, 20.0) if quick else many_symbols(db, 120.0)
    assert facts["stored_bars_checked_against_ticks"] >= SYMBOLS
    return Result("many-symbols", f"{SYMBOLS} symbols live at {TICKS_PER_S:,} ticks/s",
                  rows[0], rows=rows[1:], facts=facts)  # fmt: skip
