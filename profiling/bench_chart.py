"""Chart benchmark, offscreen at 1600x900, forcing a full paint per frame (the view rendered
into an image): open (store to pixels), pan/zoom frames, a live tick, memory, and the layered
multi-timeframe chart; against a naive item that draws every bar, each in Python.

    python -m profiling.bench_chart [--quick] [--out DIR]
"""

from __future__ import annotations

import dataclasses
import gc
import json
import math
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6 import QtGui, QtWidgets

from data.store import BarStore
from engine.aggregate import resample
from profiling.bench_store import build_store
from profiling.chart_memory import bench_memory
from profiling.chart_slow_ways import naive_frames
from profiling.qt_frames import HEIGHT, WIDTH, app, frame, has_colour
from profiling.timing import Stats, bench_args, measure, summarize, table
from widgets.chart import ChartWidget
from widgets.multi import LayeredChart
from widgets.series_model import SeriesModel
from widgets.theme import DARK

OPEN_TARGET_MS = {10_000: 15, 1_000_000: 150, 10_000_000: 1500}


def load_model(store: BarStore, n: int, stages: dict) -> SeriesModel:
    """The latest `n` bars from the store as a chart's model, timing both stages."""
    t = time.perf_counter()
    buffer = store.load_series("BIG", "1m", limit=n)
    stages["load"] = time.perf_counter() - t
    t = time.perf_counter()
    model = SeriesModel("BIG", "1m", "UTC", buffer)
    stages["model + LOD pyramid"] = time.perf_counter() - t
    return model


def first_paint(chart: ChartWidget, timeout_s: float = 30.0) -> None:
    """Process events until the chart has painted a frame (its layout comes first)."""
    painted = []
    chart.painted.connect(painted.append)
    deadline = time.perf_counter() + timeout_s
    while not painted:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the chart did not paint within {timeout_s} s")
        app().processEvents()
    chart.painted.disconnect(painted.append)


def close_chart(chart: ChartWidget) -> None:
    """Close a chart and free its series, as the app does with a closed session's views."""
    chart.close()
    chart.model.release()


def open_chart(
    store: BarStore, n: int, host: QtWidgets.QMainWindow | None = None
) -> tuple[ChartWidget, dict]:
    """Store to the first painted frame: load the latest `n` bars, build a chart, and put it
    in `host` in place of the chart there (as the app opens a chart in its window, closing
    the old one and freeing its series first) or, with no host, show it as a new window;
    then process events until it has painted."""
    stages = {}
    old = None
    if host is not None:  # as the app does: close the old chart, free its series, then load
        t = time.perf_counter()
        old = host.takeCentralWidget()
        if old is not None:
            close_chart(old)
        stages["close the old chart"] = time.perf_counter() - t
    model = load_model(store, n, stages)
    t = time.perf_counter()
    chart = ChartWidget(model, DARK)
    if host is None:
        chart.resize(WIDTH, HEIGHT)
        chart.show()
    else:
        host.setCentralWidget(chart)
        if old is not None:
            old.deleteLater()
    stages["widgets"] = time.perf_counter() - t
    t = time.perf_counter()
    first_paint(chart)
    stages["layout + first paint"] = time.perf_counter() - t
    return chart, stages


def show_in_chart(chart: ChartWidget, store: BarStore, n: int) -> tuple[QtGui.QImage, dict]:
    """An open chart switches to a series: store to pixels."""
    stages = {}
    model = load_model(store, n, stages)
    t = time.perf_counter()
    chart.set_model(model)
    stages["set model"] = time.perf_counter() - t
    t = time.perf_counter()
    image = frame(chart)
    stages["paint"] = time.perf_counter() - t
    return image, stages


def terminal_window() -> QtWidgets.QMainWindow:
    """A window like the app's, 1600x900, to open charts in."""
    window = QtWidgets.QMainWindow()
    window.resize(WIDTH, HEIGHT)
    window.show()
    app().processEvents()
    return window


def bench_open(rows: list[Stats], store: BarStore, sizes, quick: bool) -> dict:
    """Three ways to open a chart: in an open chart (a new series), in the terminal window
    (a new chart, as the app does on a symbol, timeframe or layout change), and as a new
    window. Each is timed from the store to the end of the first paint; the pixels are
    checked on a frame rendered after the timing."""
    waterfall = {}
    chart, _ = open_chart(store, 1000)
    for n in sizes:
        switch_stages = {}

        def switch(n=n, switch_stages=switch_stages):
            image, stages = show_in_chart(chart, store, n)
            switch_stages.update(stages)
            return len(chart.model), image

        def check_switch(result, n=n):
            length, image = result
            assert length == n and has_colour(image, DARK.up)

        rows.append(measure(f"show {n:,} bars in the open chart: store to pixels", switch,
                            check_switch, repeat=3 if n >= 10_000_000 else 5,
                            target_ms=None if quick else OPEN_TARGET_MS.get(n)))  # fmt: skip
        waterfall[f"show {n}"] = {k: round(v * 1e3, 2) for k, v in switch_stages.items()}
    chart.close()
    window = terminal_window()
    for where, host in (("in the terminal window", window), ("as a new window", None)):
        for n in sizes:
            last_stages = {}

            def action(n=n, host=host, last_stages=last_stages):
                chart, stages = open_chart(store, n, host)
                last_stages.update(stages)
                return chart

            def check(chart, n=n, host=host):
                image = frame(chart)
                assert len(chart.model) == n
                assert has_colour(image, DARK.up) and has_colour(image, DARK.down)
                if host is None:
                    close_chart(chart)
                    chart.deleteLater()
                    app().processEvents()

            rows.append(measure(f"open a chart {where}, {n:,} bars", action, check,
                                repeat=3 if n >= 10_000_000 else 9, warmup=1,
                                target_ms=None if quick else OPEN_TARGET_MS.get(n)))  # fmt: skip
            waterfall[f"{where} {n}"] = {k: round(v * 1e3, 2) for k, v in last_stages.items()}
    window.close()
    return waterfall


def assert_y_fits(chart: ChartWidget) -> None:
    """The frame showed the bars in view: the price pane's y range holds their low and high
    and is at most twice as tall, and the volume pane holds the tallest volume drawn. (From
    the columns themselves, not the pyramid the chart used, so a skipped fit fails.)"""
    x0, x1 = chart.visible_range()
    model = chart.model
    first = max(0, math.ceil(x0 - 0.5))
    stop = min(len(model), math.floor(x1 + 0.5) + 1)
    lo, hi = model.column("low")[first:stop].min(), model.column("high")[first:stop].max()
    (_, _), (y0, y1) = chart.price.view.viewRange()
    assert y0 <= lo and hi <= y1 and y1 - y0 <= 2 * (hi - lo), (
        f"price y {y0:g}..{y1:g} for the bars in view {lo:g}..{hi:g}"
    )
    (_, _), (_, v1) = chart.volume_pane.view.viewRange()
    assert model.column("volume")[first:stop].max() <= v1


def pan_zoom_frames(chart: ChartWidget) -> np.ndarray:
    """30 pans of 10% then 6 zoom-outs to fully zoomed out; ms per full frame, each frame
    checked to show the bars in view, fitted."""
    n = len(chart.model)
    chart.show_latest()
    frame(chart)
    times = []
    for _ in range(30):
        started = time.perf_counter()
        chart.pan(-0.1)
        image = frame(chart)
        times.append(time.perf_counter() - started)
        assert not image.isNull()
        assert_o_width(chart)
        assert_y_fits(chart)
    x0, x1 = chart.visible_range()
    factor = (n / (x1 - x0)) ** (1 / 6)
    for _ in range(6):
        started = time.perf_counter()
        chart.zoom(factor)
        image = frame(chart)
        times.append(time.perf_counter() - started)
        assert_o_width(chart)
        assert_y_fits(chart)
    assert has_colour(image, DARK.up)
    return np.array(times) * 1e3


def assert_o_width(chart: ChartWidget) -> None:
    """O(width) primitives: the candles drawn, and those prepared (the view and a view
    either side, for the pan's next frames)."""
    history = chart.candles.history
    assert 0 < history.drawn_blocks <= WIDTH
    assert history.prepared_blocks <= 3 * WIDTH


def bench_frames(rows: list[Stats], store: BarStore, sizes, quick: bool) -> dict:
    p99 = {}
    for n in sizes:
        chart, _ = open_chart(store, n)
        gc.collect()
        gc.freeze()  # as the app does once its window is up
        try:
            ms = np.concatenate([pan_zoom_frames(chart) for _ in range(3)])
        finally:
            gc.unfreeze()
        rows.append(summarize(f"pan/zoom frame, {n:,} bars", ms, None if quick else 8.0))
        p99[n] = float(np.percentile(ms, 99))
        if n == sizes[0]:
            ms = live_ticks(chart)
            rows.append(summarize(f"live tick: forming candle + repaint, {n:,}", ms,
                                 None if quick else 2.0))  # fmt: skip
            p99["live"] = float(np.percentile(ms, 99))
            full = full_repaint_ticks(chart)
            rows.append(summarize("  slow: full repaint per tick", full, None))
        chart.close()
    for n in (10_000, 100_000) if not quick else (10_000,):
        bars = store.load("BIG", "1m", limit=n)
        rows.append(summarize(f"  slow: naive items, pan frame, {n:,}", naive_frames(bars), None))
    return p99


def live_ticks(chart: ChartWidget, ticks: int = 300) -> np.ndarray:
    model = chart.model
    chart.show_latest()
    frame(chart)
    last = len(model) - 1
    row = [float(model.column(c)[last]) for c in ("open", "high", "low", "close", "volume")]
    ts = int(model.column("ts_ns")[last])
    rng = np.random.default_rng(1)
    times = []
    for _ in range(ticks):
        price = row[3] + rng.normal(0, 0.1)
        row = [row[0], max(row[1], price), min(row[2], price), price, row[4] + 1]
        started = time.perf_counter()
        model.update_last((ts, *row))
        app().processEvents()  # delivers the repaint of the forming candle's rectangle
        times.append(time.perf_counter() - started)
        assert model.column("close")[last] == price
    return np.array(times) * 1e3


def full_repaint_ticks(chart: ChartWidget, ticks: int = 100) -> np.ndarray:
    model = chart.model
    last = len(model) - 1
    times = []
    for _ in range(ticks):
        row = tuple(float(model.column(c)[last]) for c in ("ts_ns", "open", "high", "low",
                                                            "close", "volume"))  # fmt: skip
        started = time.perf_counter()
        model.update_last(row)
        chart.grab()
        times.append(time.perf_counter() - started)
    return np.array(times) * 1e3


def bench_layered(rows: list[Stats], store: BarStore, quick: bool) -> None:
    n = 30_000 if quick else 262_000  # six months of 24x7 minutes

    def action():
        base = store.load_series("BIG", "1m", limit=n)
        model = SeriesModel("BIG", "1m", "UTC", base)
        chart = LayeredChart(model, DARK)
        bars = model.bars
        chart.set_layers({tf: SeriesModel("BIG", tf, "UTC", resample(bars, tf, "24x7"))
                          for tf in ("5m", "1h", "4h", "1d")})  # fmt: skip
        chart.resize(WIDTH, HEIGHT)
        chart.show()
        chart.price.setXRange(n - 3000, n + 10, padding=0)
        image = frame(chart)
        boxes = {tf: layer.prepared_boxes for tf, layer in chart.layers.items()}
        chart.close()
        return image, boxes

    def check(result):
        image, boxes = result
        assert has_colour(image, DARK.up)
        assert boxes["5m"] >= 600 and boxes["1d"] >= 3

    rows.append(measure(f"layered chart, {n:,} 1m bars + 5m/1h/4h/1d: first frame", action,
                        check, repeat=5, target_ms=None if quick else 300))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = bench_args(__doc__, argv)
    app()
    big = 200_000 if args.quick else 10_000_000
    sizes = [10_000, 100_000] if args.quick else [10_000, 1_000_000, 10_000_000]
    path = args.out / f"bench_store_{big}.duckdb"
    if not path.exists():
        build_store(path, big, 20_000 if args.quick else 200_000)
    rows: list[Stats] = []
    with BarStore(path, read_only=True) as store:
        waterfall = bench_open(rows, store, sizes, args.quick)
        p99 = bench_frames(rows, store, sizes, args.quick)
        bench_layered(rows, store, args.quick)
    memory = bench_memory(path, sizes)
    print(table(rows))
    print("open, stage by stage (ms, last run):", json.dumps(waterfall))
    print("frame p99 (ms):", json.dumps({str(k): round(v, 2) for k, v in p99.items()}))
    for n, m in memory.items():
        print(f"memory with a {n:,}-bar chart open: RSS {m['rss_mb']:.0f} MB "
              f"({m['rss_mb'] - m['baseline_mb']:.0f} MB above the baseline, "
              f"{m['data_mb']:.0f} MB of bar columns); it opened in "
              f"{m['first_open_ms']:.0f} ms, the first chart of the process")  # fmt: skip
    report = {"benchmarks": [dataclasses.asdict(r) for r in rows], "open_waterfall_ms": waterfall,
              "frame_p99_ms": p99, "memory": memory}  # fmt: skip
    name = "bench_chart_quick.json" if args.quick else "bench_chart.json"
    (args.out / name).write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
