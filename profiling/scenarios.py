"""The profiling suite's scenarios: each times what the user does the fast way and the slow
way it replaced, in the same process and run, with a correctness check beside every timing,
and splits the fast (and slow) action into stages for the latency-budget waterfall.

A scenario is a function `(quick) -> Result`; `profiling.suite` runs each one in a
fresh process.
"""

from __future__ import annotations

import bisect
import dataclasses
import gc
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

from profiling.timing import Stats, measure, scaled, summarize

INDICATORS = ("sma", "ema", "bollinger", "rsi")


@dataclasses.dataclass
class Result:
    """What a scenario measured. `fast` and `slow` are the compared pair (same unit);
    `stages` maps an action ("fast", "slow", ...) to {stage: p50 ms}; `facts` are other
    checked numbers (queries per minute, MB); `rows` are further timings."""

    name: str
    title: str
    fast: Stats
    slow: Stats | None = None
    rows: list[Stats] = dataclasses.field(default_factory=list)
    stages: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    facts: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def speedup(self) -> float | None:
        if self.slow is None or self.fast.p50_ms <= 0:
            return None
        return self.slow.p50_ms / self.fast.p50_ms


class StageTimer:
    """Times the stages of repeated runs of one action; `p50()` gives each stage's median."""

    def __init__(self) -> None:
        self.runs: list[dict[str, float]] = []
        self._t = 0.0

    def start(self) -> None:
        self.runs.append({})
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.runs[-1][stage] = (now - self._t) * 1e3
        self._t = now

    def p50(self) -> dict[str, float]:
        return {k: round(float(np.median([r[k] for r in self.runs])), 3) for k in self.runs[0]}


def timed_stages(name: str, action: Callable[[StageTimer], object], check, repeat: int,
                 warmup: int = 1) -> tuple[Stats, dict[str, float]]:  # fmt: skip
    """`measure` an action that marks its stages; (stats, each stage's p50 over the timed runs)."""
    timer = StageTimer()
    stats = measure(name, lambda: action(timer), check, repeat=repeat, warmup=warmup)
    timer.runs = timer.runs[-repeat:]  # the warm-up runs came first
    return stats, timer.p50()


# -- stores ----------------------------------------------------------------------------------


STORE_DIR = Path(__file__).resolve().parent / "out"  # kept between runs (not committed)


def chart_store_path(quick: bool) -> Path:
    """The benchmark store (one big 1m series), built on first use and kept with the other
    benchmarks' stores."""
    from profiling.bench_store import build_store

    big = 200_000 if quick else 10_000_000
    STORE_DIR.mkdir(parents=True, exist_ok=True)
    path = STORE_DIR / f"bench_store_{big}.duckdb"
    if not path.exists():
        build_store(path, big, 20_000 if quick else 200_000)
    return path


def chart_store(quick: bool):
    from data.store import BarStore

    return BarStore(chart_store_path(quick), read_only=True)


# -- open a chart ----------------------------------------------------------------------------


def _python_indicators(bars) -> dict[str, dict[str, np.ndarray]]:
    """The slow way: each indicator stepped bar by bar in Python."""
    from engine.indicators.registry import spec

    out = {}
    for key in INDICATORS:
        state = spec(key).start()
        rows = [state.seal(h, lo, c, v, 0) for h, lo, c, v in
                zip(bars.high.tolist(), bars.low.tolist(), bars.close.tolist(),
                    bars.volume.tolist(), strict=True)]  # fmt: skip
        out[key] = dict(zip(spec(key).outputs, np.array(rows, dtype=float).T, strict=True))
    return out


def _batch_indicators(bars) -> dict[str, dict[str, np.ndarray]]:
    from engine.indicators.registry import spec

    sessions = np.zeros(len(bars), dtype=np.int64)
    return {key: spec(key).run(bars, sessions) for key in INDICATORS}


def open_chart(quick: bool) -> Result:
    """Open a chart with 10k bars and 4 indicators: store to pixels, stage by stage."""
    import pyqtgraph as pg

    from profiling.bench_chart import HEIGHT, WIDTH, NaiveCandles, app, frame, has_colour
    from profiling.bench_store import slow_rows
    from widgets.chart import ChartWidget
    from widgets.series_model import SeriesModel
    from widgets.theme import DARK

    app()
    store = chart_store(quick)
    n = 10_000
    want = store.load("BIG", "1m", limit=n)

    def fast(t: StageTimer):
        t.start()
        buffer = store.load_series("BIG", "1m", limit=n)
        t.lap("query")
        model = SeriesModel("BIG", "1m", "UTC", buffer)
        t.lap("convert (columns + LOD pyramid)")
        values = _batch_indicators(model.bars)
        t.lap("indicators")
        chart = ChartWidget(model, DARK)
        chart.resize(WIDTH, HEIGHT)
        for key in INDICATORS:
            chart.add_indicator(key, values[key], own_pane=key == "rsi")
        chart.show()
        t.lap("build drawing objects")
        app().processEvents()
        image = frame(chart)
        t.lap("paint")
        return model.bars.close.copy(), values, image, chart

    def slow(t: StageTimer):
        t.start()
        bars = slow_rows(store, n)
        t.lap("query")
        objects = [dict(zip(("ts", "o", "h", "l", "c", "v"), row, strict=True))
                   for row in zip(*(getattr(bars, c).tolist() for c in
                                    ("ts_ns", "open", "high", "low", "close", "volume")),
                                  strict=True)]  # fmt: skip
        t.lap("convert (columns + LOD pyramid)")
        values = _python_indicators(bars)
        t.lap("indicators")
        widget = pg.PlotWidget()
        widget.resize(WIDTH, HEIGHT)
        widget.addItem(NaiveCandles(bars))
        for key in INDICATORS:
            for line in values[key].values():
                widget.addItem(pg.PlotDataItem(np.arange(n), line))
        widget.setXRange(n - 150, n)
        widget.show()
        t.lap("build drawing objects")
        app().processEvents()
        image = frame(widget)
        t.lap("paint")
        return np.array([o["c"] for o in objects]), values, image, widget

    def check(result):
        close, values, image, widget = result
        drawn = has_colour(image, DARK.up) and has_colour(image, DARK.down)
        widget.close()
        widget.deleteLater()
        assert drawn and np.array_equal(close, want.close)
        for key, outputs in _batch_indicators(want).items():
            for name, line in outputs.items():
                np.testing.assert_allclose(values[key][name], line, rtol=1e-9, atol=1e-9)

    fast_stats, fast_stages = timed_stages("open 10k bars + 4 indicators: store to pixels", fast,
                                           check, repeat=5 if quick else 9)  # fmt: skip
    slow_stats, slow_stages = timed_stages(
        "  slow: row fetch, Python objects and loops, an item per candle",
        slow,
        check,
        repeat=2 if quick else 3,
    )
    store.close()
    return Result(
        "open-chart",
        "Open a chart (10k bars, 4 indicators): store to pixels",
        fast_stats,
        slow_stats,
        stages={"fast": fast_stages, "slow": slow_stages},
    )


def layered(quick: bool) -> Result:
    """Six months of 1m bars with 5m/1h/4h/1d boxes: first frame; the boxes' alignment against
    a Python loop per base bar."""
    from engine.aggregate import resample
    from engine.align import span_of
    from profiling.bench_chart import HEIGHT, WIDTH, app, frame, has_colour
    from widgets.multi import LayeredChart
    from widgets.series_model import SeriesModel
    from widgets.theme import DARK

    app()
    store = chart_store(quick)
    n = 30_000 if quick else 262_000
    tfs = ("5m", "1h", "4h", "1d")

    def first_frame(t: StageTimer):
        t.start()
        base = store.load_series("BIG", "1m", limit=n)
        t.lap("query")
        model = SeriesModel("BIG", "1m", "UTC", base)
        higher = {tf: SeriesModel("BIG", tf, "UTC", resample(model.bars, tf, "24x7"))
                  for tf in tfs}  # fmt: skip
        t.lap("convert (resample + pyramids)")
        chart = LayeredChart(model, DARK)
        chart.set_layers(higher)
        chart.resize(WIDTH, HEIGHT)
        chart.show()
        chart.price.setXRange(n - 3000, n + 10, padding=0)
        t.lap("build drawing objects (+ align)")
        image = frame(chart)
        t.lap("paint")
        boxes = {tf: layer.prepared_boxes for tf, layer in chart.layers.items()}
        chart.close()
        return has_colour(image, DARK.up), boxes

    def check_frame(result):
        drawn, boxes = result
        assert drawn and boxes["5m"] >= 600 and boxes["1d"] >= 2

    frame_stats, stages = timed_stages(f"layered {n:,} 1m bars + 5m/1h/4h/1d: first frame",
                                       first_frame, check_frame, repeat=5)  # fmt: skip
    bars = store.load("BIG", "1m", limit=n)
    labels = {tf: resample(bars, tf, "24x7").ts_ns for tf in tfs}
    base_ts = bars.ts_ns

    def python_loop():
        spans = {}
        base = base_ts.tolist()
        for tf, higher in labels.items():
            first = np.full(len(higher), len(base), dtype=np.int64)
            last = np.full(len(higher), -1, dtype=np.int64)
            bounds = higher.tolist()
            for i, t in enumerate(base):
                k = bisect.bisect_right(bounds, t) - 1
                if k >= 0:
                    first[k] = min(first[k], i)
                    last[k] = max(last[k], i)
            spans[tf] = (first, last)
        return spans

    def fast_align():
        return {tf: span_of(base_ts, h) for tf, h in labels.items()}

    def check_align(spans):
        for tf, (first, last) in spans.items():
            want_first, want_last = span_of(base_ts, labels[tf])
            has = want_last >= want_first
            assert np.array_equal(first[has], want_first[has]), tf
            assert np.array_equal(last[has], want_last[has]), tf

    fast = measure(f"align {n:,} 1m bars to 5m/1h/4h/1d boxes (two pointers)", fast_align,
                   check_align, repeat=20)  # fmt: skip
    slow = measure("  slow: a Python loop per base bar (bisect)", python_loop, check_align,
                   repeat=1 if not quick else 2)  # fmt: skip
    store.close()
    return Result("layered", "Layered multi-timeframe chart: first frame; boxes' alignment",
                  fast, slow, rows=[frame_stats], stages={"first frame": stages})  # fmt: skip


# -- chart frames ----------------------------------------------------------------------------


def pan_zoom(quick: bool) -> Result:
    """Pan and zoom frames at growing history; a naive item (Python per candle) beside."""
    from profiling.bench_chart import (
        app,
        full_repaint_ticks,
        live_ticks,
        naive_frames,
        pan_zoom_frames,
    )
    from profiling.bench_chart import (
        open_chart as open_bench_chart,
    )

    app()
    store = chart_store(quick)
    sizes = [10_000, 100_000] if quick else [10_000, 1_000_000, 10_000_000]
    rows, p50 = [], {}
    for n in sizes:
        chart, _ = open_bench_chart(store, n)
        gc.collect()
        gc.freeze()  # as the app does once its window is up
        try:
            ms = np.concatenate([pan_zoom_frames(chart) for _ in range(1 if quick else 3)])
        finally:
            gc.unfreeze()
        rows.append(summarize(f"pan/zoom frame, {n:,} bars", ms, None if quick else 8.0, "p99"))
        p50[n] = rows[-1].p50_ms
        if n == sizes[0]:
            rows.append(summarize("live tick: forming candle + repaint", live_ticks(chart),
                                  None if quick else 2.0, "p99"))  # fmt: skip
            rows.append(summarize("  slow: repaint the whole chart per tick",
                                  full_repaint_ticks(chart), None))  # fmt: skip
        chart.close()
    bars = store.load("BIG", "1m", limit=10_000)
    slow = summarize("  slow: naive item (Python per candle), 10,000 bars",
                     naive_frames(bars, 5 if quick else 10))  # fmt: skip
    store.close()
    growth = p50[sizes[-1]] / p50[sizes[0]]
    assert growth < 3, f"frame cost grew {growth:.1f}x from {sizes[0]:,} to {sizes[-1]:,} bars"
    return Result(
        "pan-zoom",
        "Pan/zoom frames (full paint at 1600x900)",
        rows[0],
        slow,
        rows=rows[1:],
        facts={f"frame p50 {sizes[-1]:,} / {sizes[0]:,} bars": growth},
    )


# -- engine ----------------------------------------------------------------------------------


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
                  frame, slow, rows=[*_distinct(r for r in rows if r is not frame), per_tick],
                  facts=facts)  # fmt: skip


def _distinct(rows) -> list[Stats]:
    """One row per name (a row judged on two statistics is listed twice)."""
    return list({row.name: row for row in rows}.values())


def memory(quick: bool) -> Result:
    """RSS with a chart open at growing history (each in a fresh process); the slow way
    records every candle into a QPicture (pyqtgraph's candlestick example)."""
    from profiling.bench_chart import bench_memory

    path = chart_store_path(quick)
    sizes = [10_000, 100_000] if quick else [10_000, 1_000_000, 10_000_000]
    probes = bench_memory(path, sizes)
    above = {n: m["rss_mb"] - m["baseline_mb"] for n, m in probes.items()}
    rows = [Stats(f"RSS above the start with a {n:,}-bar chart open (MB)", 1, above[n],
                  above[n], above[n], None) for n in sizes]  # fmt: skip
    small, large = sizes[0], sizes[1]
    picture = bench_memory(path, [small, large], "picture")
    growth = above[large] - above[small]
    slow_growth = (picture[large]["rss_mb"] - picture[large]["baseline_mb"]) - (
        picture[small]["rss_mb"] - picture[small]["baseline_mb"]
    )
    fast = Stats(f"RSS growth from {small:,} to {large:,} bars (MB)", 1, growth, growth,
                 growth, None)  # fmt: skip
    slow = Stats("  slow: every candle in a QPicture (MB)", 1, slow_growth, slow_growth,
                 slow_growth, None)  # fmt: skip
    extra = growth - (probes[large]["data_mb"] - probes[small]["data_mb"])
    facts = {f"MB above the bar columns, {large:,} vs {small:,} bars": extra}
    assert extra <= 60, f"{large:,} bars take {extra:.0f} MB more than their columns"
    if not quick:
        assert probes[10_000_000]["rss_mb"] <= 1200, probes[10_000_000]
    return Result("memory", "Memory: RSS with a chart open", fast, slow, rows=rows, facts=facts)


SCENARIOS: dict[str, Callable[[bool], Result]] = {
    "open-chart": open_chart,
    "layered": layered,
    "pan-zoom": pan_zoom,
    "indicators": indicators,
    "align": align,
    "rolling-high-low": rolling_high_low,
    "forming-bar": forming_bar,
    "open-prices": open_prices,
    "worker": worker,
    "live": live,
    "memory": memory,
}
