"""The engine's scenarios: indicators, alignment of timeframes, rolling windows, the forming
bar, the open-price layer, the indicator worker and the live pipeline; each against the slow
way it replaced."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from profiling.scenario_kit import (
    Result,
    distinct,
)
from profiling.timing import Stats, measure, scaled


def indicators(quick: bool) -> Result:
    """A new bar's indicator values: all 9 recalculated over the history vs the incremental
    forms (O(1) each)."""
    from engine.indicators.registry import REGISTRY, spec
    from profiling.bench_indicators import bench_incremental, random_bars

    n = 100_000 if quick else 1_000_000
    bars = random_bars(n)
    sessions = np.zeros(n, dtype=np.int64)

    def full():
        return {key: spec(key).run(bars, sessions) for key in REGISTRY}

    live = {key: spec(key).start() for key in REGISTRY}
    for i in range(n - 1):  # history sealed into the incremental forms (untimed)
        for state in live.values():
            state.seal(bars.high[i], bars.low[i], bars.close[i], bars.volume[i], 0)

    def check_full(values):
        last = n - 1
        h, lo, c, v = (float(x[last]) for x in (bars.high, bars.low, bars.close, bars.volume))
        for key, state in live.items():
            got = state.peek(h, lo, c, v, 0)
            want = [values[key][o][last] for o in spec(key).outputs]
            np.testing.assert_allclose(got, want, rtol=1e-8, equal_nan=True)

    slow = measure(f"  slow: recalculate all 9 over {n:,} bars (us)", full, check_full,
                   repeat=3 if quick else 5)  # fmt: skip
    slow = scaled(slow, 1e3)  # ms -> us, the unit of the incremental update
    rows: list[Stats] = []
    bench_incremental(rows)  # checks the incremental values against the batch itself
    return Result("indicators", "Indicators on a new bar: incremental vs full recalculation",
                  rows[0], slow)  # fmt: skip


def align(quick: bool) -> Result:
    """Which daily bar holds each of 10k 1m bars: nested scan vs two pointers."""
    from engine.aggregate import resample
    from engine.align import enclosing_index
    from profiling.bench_engine import cme_minutes
    from tests.reference import enclosing_index_reference

    bars = cme_minutes(100_000 if quick else 1_000_000)
    day = resample(bars, "1d", "cme-globex").ts_ns
    lower = bars.ts_ns[-10_000:]
    want = enclosing_index_reference(lower, day)

    def nested():
        out = np.empty(len(lower), dtype=np.int64)
        days = day.tolist()
        for i, t in enumerate(lower.tolist()):
            j = -1
            for k, h in enumerate(days):
                if h <= t:
                    j = k
                else:
                    break
            out[i] = j
        return out

    def check(got):
        assert np.array_equal(got, want)

    fast = measure("align 10,000 1m bars to 1d: two pointers (compiled)",
                   lambda: enclosing_index(lower, day), check, repeat=50)  # fmt: skip
    reference = measure("  searchsorted", lambda: enclosing_index_reference(lower, day), check,
                        repeat=50)  # fmt: skip
    slow = measure("  slow: nested scan", nested, check, repeat=1, warmup=0)
    return Result("align", "Layered timestamp alignment", fast, slow, rows=[reference])


def rolling_high_low(quick: bool) -> Result:
    """Highest high / lowest low over a 50-bar window: rescanning the window per bar vs the
    monotonic deque."""
    from numpy.lib.stride_tricks import sliding_window_view

    from engine.indicators import rolling_high_low as deque_high_low
    from profiling.bench_indicators import random_bars

    n, window = (200_000 if quick else 1_000_000), 50
    bars = random_bars(n)

    def rescan():
        hh = np.full(n, np.nan)
        ll = np.full(n, np.nan)
        hh[window - 1 :] = sliding_window_view(bars.high, window).max(axis=1)
        ll[window - 1 :] = sliding_window_view(bars.low, window).min(axis=1)
        return hh, ll

    want = rescan()

    def check(got):
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)

    fast = measure(
        f"rolling high/low, {n:,} bars, window {window}: monotonic deque",
        lambda: deque_high_low(bars.high, bars.low, window),
        check,
        repeat=10,
    )
    slow = measure("  slow: rescan the window at every bar (numpy)", rescan, check, repeat=5)
    return Result("rolling-high-low", "Rolling highest high / lowest low", fast, slow)


def forming_bar(quick: bool) -> Result:
    """The forming 1m..1d bars on each tick: rescan each bucket vs the O(1) state machine."""
    from engine.aggregate import resample_ticks
    from engine.live import MultiTimeframeBuilder
    from profiling.bench_engine import LIVE_TFS, rescan_forming, tick_stream

    m = 3_000 if quick else 20_000
    ts, price, qty = tick_stream(m)
    starts = {tf: resample_ticks(ts, price, qty, tf, "cme-globex").bars.ts_ns for tf in LIVE_TFS}
    ts_l, price_l, qty_l = ts.tolist(), price.tolist(), qty.tolist()

    def state_machine():
        builder = MultiTimeframeBuilder(LIVE_TFS, "cme-globex")
        for i in range(m):
            builder.on_tick(ts_l[i], price_l[i], qty_l[i])
        return [builder.forming(tf)[1:] for tf in LIVE_TFS]

    def rescan():
        return rescan_forming(ts, price, qty, starts)

    want = state_machine()

    def check(got):
        assert [tuple(x) for x in got] == [tuple(x) for x in want]

    fast = scaled(measure("forming bars of 6 timeframes: state machine (us per tick)",
                          state_machine, check, repeat=5), 1e3 / m)  # fmt: skip
    slow = scaled(measure("  slow: rescan each bucket (us per tick)", rescan, check, repeat=1),
                  1e3 / m)  # fmt: skip
    return Result("forming-bar", "Forming large-timeframe bars on a tick", fast, slow)


def open_prices(quick: bool) -> Result:
    """The open of each forming 5m/1h/4h/1d bar: a store query per tick vs the cache."""
    from profiling.bench_engine import bench_open_cache

    rows: list[Stats] = []
    facts = bench_open_cache(rows, quick)  # checks the cache against the store itself
    return Result("open-prices", "Open prices of forming bars: store queries vs the cache",
                  rows[0], rows[1], facts={k: float(v) for k, v in facts.items()})  # fmt: skip


# -- worker and live -------------------------------------------------------------------------


def worker(quick: bool) -> Result:
    """Bar columns to the indicator worker: pickled through a queue vs shared memory; chart
    frames while the worker computes."""
    from engine.worker import IndicatorWorker
    from profiling.bench_indicators import bench_frames_while_busy, bench_transport, bench_worker

    rows: list[Stats] = []
    bench_transport(rows, 200_000 if quick else 1_000_000)  # each checks what arrived
    slow, fast = rows[0], rows[1]
    more: list[Stats] = []
    ind_worker = IndicatorWorker(timeout_s=120.0)
    ind_worker.start()
    try:
        bench_worker(more, ind_worker, 100_000 if quick else 1_000_000, None)
        bench_frames_while_busy(more, ind_worker, 1_000_000 if quick else 10_000_000)
    finally:
        ind_worker.stop()
    return Result("worker", "Indicator worker: shared memory vs pickling; frames while busy",
                  fast, slow, rows=more)  # fmt: skip


def live(quick: bool) -> Result:
    """The real window (2x2 grid, 4 indicators) fed at 1k, 10k and 100k ticks/s: frame time
    and tick-to-screen latency; the slow way repaints on every tick."""
    from PySide6 import QtCore, QtWidgets

    from profiling import bench_live

    QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    rows: list[Stats] = []
    facts: dict[str, float] = {}
    seconds = 2.0 if quick else 10.0
    with tempfile.TemporaryDirectory() as tmp:
        QtCore.QSettings.setPath(QtCore.QSettings.Format.NativeFormat,
                                 QtCore.QSettings.Scope.UserScope, tmp)  # fmt: skip
        db = Path(tmp) / "live.duckdb"
        bench_live.make_store(db, 0.05 if quick else 1.0)
        for rate in (1_000, 10_000, 100_000):
            part, extra = bench_live.steady(db, seconds, rate)
            rows += part
            facts[f"ticks/s at {rate:,}"] = extra["ticks_per_s"]
        per_tick = bench_live.per_tick_baseline(db, 20 if quick else 100)
    frame = next(r for r in rows if r.name == "steady 10k ticks/s: frame")
    ticks_per_frame = facts["ticks/s at 10,000"] / max(1.0, frame.runs / seconds)
    slow = scaled(per_tick, ticks_per_frame,
                  f"  slow: a repaint per tick x {ticks_per_frame:.0f} ticks a frame")  # fmt: skip
    facts["ticks per frame at 10k/s"] = ticks_per_frame
    return Result("live", "Live: frame and tick-to-screen latency at 1k/10k/100k ticks/s",
                  frame, slow, rows=[*distinct(r for r in rows if r is not frame), per_tick],
                  facts=facts)  # fmt: skip
