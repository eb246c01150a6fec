"""The chart's scenarios: opening a chart (store to pixels), the layered chart, pan and zoom
frames, and the memory a chart holds; each against the slow way it replaced."""

from __future__ import annotations

import bisect
import gc

import numpy as np

from profiling.scenario_kit import (
    INDICATORS,
    Result,
    StageTimer,
    chart_store,
    chart_store_path,
    timed_stages,
)
from profiling.timing import Stats, measure, summarize

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

    from profiling.bench_store import slow_rows
    from profiling.chart_slow_ways import NaiveCandles
    from profiling.qt_frames import HEIGHT, WIDTH, app, frame, has_colour
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
    from profiling.bench_chart import full_repaint_ticks, live_ticks, pan_zoom_frames
    from profiling.bench_chart import (
        open_chart as open_bench_chart,
    )
    from profiling.chart_slow_ways import naive_frames
    from profiling.qt_frames import app

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


def memory(quick: bool) -> Result:
    """RSS with a chart open at growing history (each in a fresh process); the slow way
    records every candle into a QPicture (pyqtgraph's candlestick example)."""
    from profiling.chart_memory import bench_memory

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
