"""1,000 drawings on a symbol: the pan/zoom frames of its chart with them and without, in
turn in one process (issue 19: p99 within 1 ms of the chart without), against the slow way
of drawing them: a pyqtgraph item a drawing (as finplot and most Python charts do)."""

from __future__ import annotations

import gc

import numpy as np
import pyqtgraph as pg

from profiling.scenario_kit import Result, chart_store
from profiling.timing import summarize

DRAWINGS = 1_000
KINDS = ("trend", "ray", "hline", "vline", "rect", "fib", "text")


def spread_drawings(bars, n: int, seed: int = 3):
    """`n` drawings of every kind over the whole history, at its prices: a trader's years
    of marks on one symbol."""
    from engine.drawings import Drawing

    rng = np.random.default_rng(seed)
    ts, low, high = bars.ts_ns, bars.low, bars.high
    out = []
    for k in range(n):
        kind = KINDS[k % len(KINDS)]
        i = int(rng.integers(0, len(bars) - 200))
        j = i + int(rng.integers(5, 200))
        a, b = (float(low[i]), float(high[j])) if k % 2 else (float(high[i]), float(low[j]))
        points = ((int(ts[i]), a), (int(ts[j]), b))
        if kind in ("hline", "vline", "text"):
            points = points[:1]
        out.append(Drawing(f"d{k}", kind, points, "note" if kind == "text" else ""))
    return out


def _items_a_drawing(chart, drawings) -> list:
    """The slow way: a pyqtgraph item a drawing, placed by bar index."""
    from engine.bar_x import x_of_times

    ts = chart.model.column("ts_ns")
    items = []
    for d in drawings:
        x = x_of_times(ts, 60_000_000_000, np.array([t for t, _ in d.points])).tolist()
        y = [p for _, p in d.points]
        if d.kind == "hline":
            item = pg.InfiniteLine(y[0], angle=0, pen="#2962ff")
        elif d.kind == "vline":
            item = pg.InfiniteLine(x[0], angle=90, pen="#2962ff")
        elif d.kind == "text":
            item = pg.TextItem(d.text)
            item.setPos(x[0], y[0])
        elif d.kind == "rect":
            item = pg.PlotCurveItem([x[0], x[1], x[1], x[0], x[0]],
                                    [y[0], y[0], y[1], y[1], y[0]], pen="#2962ff")  # fmt: skip
        else:
            item = pg.PlotCurveItem(x, y, pen="#2962ff")
        chart.price.view.addItem(item, ignoreBounds=True)
        items.append(item)
    return items


def drawings(quick: bool) -> Result:
    from engine.drawings import DrawingBook
    from profiling.bench_chart import open_chart, pan_zoom_frames
    from profiling.qt_frames import app, frame, has_colour

    app()
    store = chart_store(quick)
    n = 10_000 if quick else 1_000_000
    chart, _ = open_chart(store, n)
    marks = spread_drawings(chart.model.bars, DRAWINGS)
    book = DrawingBook(marks)
    without, with_them = [], []
    gc.collect()
    gc.freeze()
    try:
        for _ in range(1 if quick else 5):  # in turn: the machine's noise falls on both
            chart.drawings.set_book(None)
            without.append(pan_zoom_frames(chart))
            chart.drawings.set_book(book)
            with_them.append(pan_zoom_frames(chart))
            # Drawn beside the timing: drawings are in view and on screen after the frames.
            assert len(chart.drawing_layer.segments()[0]) > 0
            assert has_colour(frame(chart), "#2962ff")
        chart.drawings.set_book(None)
        items = _items_a_drawing(chart, marks)
        slow_ms = np.concatenate([pan_zoom_frames(chart) for _ in range(1 if quick else 2)])
        for item in items:
            chart.price.view.removeItem(item)
    finally:
        gc.unfreeze()
    chart.close()
    store.close()
    plain = summarize(f"pan/zoom frame, {n:,} bars, no drawings", np.concatenate(without))
    drawn = summarize(f"pan/zoom frame, {n:,} bars, {DRAWINGS:,} drawings",
                      np.concatenate(with_them), None, "p99")  # fmt: skip
    slow = summarize(f"  slow: a pyqtgraph item a drawing, {DRAWINGS:,} drawings", slow_ms)
    added_p99 = drawn.p99_ms - plain.p99_ms
    added_p50 = drawn.p50_ms - plain.p50_ms
    return Result("drawings", f"{DRAWINGS:,} drawings on a pan/zoom frame", drawn, slow,
                  rows=[plain],
                  facts={"p99 added by the drawings (ms)": added_p99,
                         "p50 added by the drawings (ms)": added_p50})  # fmt: skip
