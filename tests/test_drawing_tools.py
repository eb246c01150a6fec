"""Drawings on a chart: placed by time and price on any timeframe, drawn where the reference
says, made, selected, moved, deleted, undone and redone with the mouse and keys."""

import bisect
import math

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from engine import drawing_geometry as geo
from engine.aggregate import resample
from engine.bar_x import times_of_x, x_of_times
from engine.drawings import FIB_LEVELS, Drawing, DrawingBook
from engine.price_text import format_value
from engine.sessions import calendar
from engine.units import NS_PER_HOUR, NS_PER_MIN
from tests.conftest import T0_NS, make_bars
from tests.test_chart_fit import drag
from widgets.chart import ChartWidget, PriceScale
from widgets.series_model import SeriesModel
from widgets.theme import DARK


def x_reference(ts: list[int], period: int, t: int) -> float:
    """Plainly: the bar opening at or before t, plus t's fraction of its period (capped at
    the next bar's start); before the first and after the last bar, a bar a period."""
    i = bisect.bisect_right(ts, t) - 1
    if i < 0:
        return (t - ts[0]) / period
    frac = (t - ts[i]) / period
    return i + (frac if i == len(ts) - 1 else min(frac, 1.0))


def test_times_land_on_the_bar_axis_as_the_reference_says():
    rng = np.random.default_rng(1)
    steps = rng.choice([1, 1, 1, 5, 600], 3000) * NS_PER_MIN  # nights and holes
    ts = T0_NS + np.concatenate(([0], np.cumsum(steps[:-1])))
    t = rng.integers(ts[0] - 50 * NS_PER_MIN, ts[-1] + 50 * NS_PER_MIN, 2000)
    got = x_of_times(ts, NS_PER_MIN, t)
    want = [x_reference(ts.tolist(), NS_PER_MIN, v) for v in t.tolist()]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    inside = np.abs(t - ts[np.clip(np.searchsorted(ts, t, "right") - 1, 0, None)]) < NS_PER_MIN
    back = times_of_x(ts, NS_PER_MIN, got)  # back to the time, outside the gaps
    np.testing.assert_array_equal(back[inside], t[inside])


def test_a_time_has_one_place_across_timeframes_and_prepends():
    bars = make_bars(6 * 60)
    hours = resample(bars, "1h", calendar("24x7"))
    t = T0_NS + 2 * NS_PER_HOUR + 15 * NS_PER_MIN  # 02:15
    assert x_of_times(bars.ts_ns, NS_PER_MIN, [t])[0] == 135.0
    assert x_of_times(hours.ts_ns, NS_PER_HOUR, [t])[0] == 2.25  # a quarter into 02:00
    later = bars.ts_ns[100:]  # 100 bars prepended: the same time moves up 100 bars
    assert x_of_times(bars.ts_ns, NS_PER_MIN, [t])[0] - x_of_times(later, NS_PER_MIN, [t])[0] == 100


def segments_reference(drawings, x, y, fib_y, view):
    """A loop over the drawings, segment by segment, kept if its box meets the view."""
    left, right, bottom, top = view
    out = []
    point = 0
    fib_row = 0
    for k, d in enumerate(drawings):
        px, py = x[point : point + len(d.points)], y[point : point + len(d.points)]
        point += len(d.points)
        if d.kind == "trend":
            segs = [(px[0], py[0], px[1], py[1])]
        elif d.kind == "ray":
            dx, dy = px[1] - px[0], py[1] - py[0]
            edge = (right if dx > 0 else left) if dx else (top if dy > 0 else bottom)
            t = (edge - px[0]) / dx if dx else (edge - py[0]) / dy if dy else 1.0
            t = max(t, 1.0)
            segs = [(px[0], py[0], px[1], py[1]), (px[1], py[1], px[0] + t * dx, py[0] + t * dy)]
        elif d.kind == "rect":
            (xa, xb), (ya, yb) = px, py
            segs = [(xa, ya, xb, ya), (xb, ya, xb, yb), (xb, yb, xa, yb), (xa, yb, xa, ya)]
        elif d.kind == "fib":
            segs = [(min(px), v, max(px), v) for v in fib_y[fib_row]]
            fib_row += 1
        elif d.kind == "hline":
            segs = [(left, py[0], right, py[0])]
        elif d.kind == "vline":
            segs = [(px[0], bottom, px[0], top)]
        else:
            segs = []
        for x0, y0, x1, y1 in segs:
            if max(x0, x1) >= left and min(x0, x1) <= right and max(y0, y1) >= bottom \
                    and min(y0, y1) <= top:  # fmt: skip
                out.append((x0, y0, x1, y1, k))
    return sorted(out)


def random_drawings(rng, n, t0, span_ns, price0):
    kinds = list(geo.KINDS)
    out = []
    for k in range(n):
        kind = kinds[k % len(kinds)]
        count = 1 if kind in ("hline", "vline", "text") else 2
        pts = tuple((int(t0 + rng.integers(0, span_ns)), float(price0 + rng.normal(0, 5)))
                    for _ in range(count))  # fmt: skip
        out.append(Drawing(f"d{k}", kind, pts, "note" if kind == "text" else ""))
    return out


def test_segments_against_the_reference():
    rng = np.random.default_rng(2)
    bars = make_bars(1000)
    drawings = random_drawings(rng, 300, T0_NS - 100 * NS_PER_MIN, 1200 * NS_PER_MIN, 100.0)
    a = geo.anchors_of(drawings)
    x = x_of_times(bars.ts_ns, NS_PER_MIN, a.t_ns)
    y = np.log10(a.price)
    _, fib = geo.fib_prices(a)
    fib_y = np.log10(fib)
    view = (300.0, 700.0, np.log10(96.0), np.log10(104.0))
    got = sorted(zip(*(c.tolist() for c in geo.segments(a, x, y, fib_y, view)), strict=True))
    want = segments_reference(drawings, x.tolist(), y.tolist(), fib_y.tolist(), view)
    assert len(got) == len(want) > 100
    np.testing.assert_allclose(np.array(got), np.array(want), rtol=1e-12, atol=1e-9)


def test_undo_and_redo_round_trip():
    book = DrawingBook()
    a = Drawing("a", "hline", ((T0_NS, 100.0),))
    b = Drawing("b", "vline", ((T0_NS, 0.0),))
    states = [book.drawings]
    for change in (lambda: book.add(a), lambda: book.add(b),
                   lambda: book.replace(a.moved(0, 1.5)), lambda: book.remove("b")):  # fmt: skip
        change()
        states.append(book.drawings)
    for state in reversed(states[:-1]):
        assert book.undo()
        assert book.drawings == state
    assert not book.undo()
    for state in states[1:]:
        assert book.redo()
        assert book.drawings == state
    assert not book.redo()
    book.undo()
    book.add(Drawing("c", "hline", ((T0_NS, 90.0),)))  # a change after an undo: no redo
    assert not book.redo()
    with pytest.raises(ValueError, match="there is already a drawing 'b'"):
        book.add(b)
    with pytest.raises(KeyError, match="no drawing 'zz'"):
        book.remove("zz")


@pytest.fixture
def chart(qtbot):
    model = SeriesModel("X", "1m", "UTC", make_bars(3000, seed=4))
    chart = ChartWidget(model, DARK)
    chart.resize(1000, 700)
    qtbot.addWidget(chart)
    chart.show()
    qtbot.waitExposed(chart)
    chart.drawings.set_book(DrawingBook())
    return chart


def widget_pos(chart, x: float, y: float) -> QtCore.QPointF:
    """Where view point (x, y) of the price pane is in the chart widget."""
    scene = chart.price.view.mapViewToScene(QtCore.QPointF(x, y))
    return QtCore.QPointF(chart.mapFromScene(scene))


def click(chart, pos: QtCore.QPointF) -> None:
    left = QtCore.Qt.MouseButton.LeftButton
    none = QtCore.Qt.KeyboardModifier.NoModifier
    release = QtCore.Qt.MouseButton.NoButton
    for kind, buttons in ((QtCore.QEvent.Type.MouseButtonPress, left),
                          (QtCore.QEvent.Type.MouseButtonRelease, release)):  # fmt: skip
        event = QtGui.QMouseEvent(kind, pos, chart.mapToGlobal(pos), left, buttons, none)
        QtWidgets.QApplication.sendEvent(chart.viewport(), event)


def key(chart, qtbot, k, mods=QtCore.Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(chart, k, mods)


def bar_point(chart, ix: int, price: float) -> QtCore.QPointF:
    return widget_pos(chart, ix, price)


def test_a_trend_line_made_with_two_clicks_sits_at_their_times_and_prices(chart, qtbot):
    m = chart.model
    n = len(m)
    (x0, x1), (y0, y1) = chart.price.view.viewRange()
    p_a, p_b = y0 + 0.3 * (y1 - y0), y0 + 0.7 * (y1 - y0)
    key(chart, qtbot, QtCore.Qt.Key.Key_T, QtCore.Qt.KeyboardModifier.AltModifier)
    assert chart.drawings.tool == "trend"
    click(chart, bar_point(chart, n - 100, p_a))
    click(chart, bar_point(chart, n - 20, p_b))
    (line,) = chart.drawings.book.drawings
    assert chart.drawings.tool is None and chart.drawings.selected == line.id
    ts = m.column("ts_ns")
    px = (x1 - x0) / chart.price.view.width()  # a pixel, in bars and in price
    py = (y1 - y0) / chart.price.view.height()
    (t_a, q_a), (t_b, q_b) = line.points
    assert abs(t_a - ts[n - 100]) <= px * NS_PER_MIN and abs(q_a - p_a) <= py
    assert abs(t_b - ts[n - 20]) <= px * NS_PER_MIN and abs(q_b - p_b) <= py
    # drawn where the reference puts it: each anchor's pixel from the view's range
    view = chart.price.view
    for (t, price), (want_x, want_y) in zip(line.points, ((n - 100, p_a), (n - 20, p_b)),
                                           strict=True):  # fmt: skip
        x = x_reference(ts.tolist(), NS_PER_MIN, t)
        at = view.mapViewToDevice(QtCore.QPointF(x, price))
        ref_px = (x - x0) / (x1 - x0) * view.width()
        ref_py = (y1 - price) / (y1 - y0) * view.height()
        origin = view.mapViewToDevice(QtCore.QPointF(x0, y1))
        assert abs(at.x() - origin.x() - ref_px) < 0.01 and abs(at.y() - origin.y() - ref_py) < 0.01
        assert abs(x - want_x) <= px and abs(price - want_y) <= py


def test_select_drag_whole_and_anchor_delete_undo_redo(chart, qtbot):
    m = chart.model
    n = len(m)
    ts = m.column("ts_ns")
    (_, _), (y0, y1) = chart.price.view.viewRange()
    mid = (y0 + y1) / 2
    line = Drawing("L", "trend", ((int(ts[n - 120]), mid), (int(ts[n - 40]), mid + (y1 - y0) / 5)))
    chart.drawings.book.add(line)
    chart.drawings.refresh()
    edits = []
    chart.drawings.edited.connect(lambda: edits.append(1))
    # drag the whole line: from its middle, 10 bars right and down a tenth of the view
    middle = (n - 80, mid + (y1 - y0) / 10)
    drag(chart, bar_point(chart, *middle), bar_point(chart, n - 70, middle[1] - (y1 - y0) / 10))
    moved = chart.drawings.book.get("L")
    assert chart.drawings.selected == "L" and edits == [1]
    (ta, pa), (tb, pb) = moved.points
    assert abs((ta - line.points[0][0]) / NS_PER_MIN - 10) < 0.6
    assert abs((tb - line.points[1][0]) / NS_PER_MIN - 10) < 0.6
    assert abs((pa - mid) + (y1 - y0) / 10) < (y1 - y0) / 100
    assert chart.visible_range()[1] >= n - 1  # the view did not pan
    # drag one anchor onto bar n - 5's high, with the magnet
    chart.drawings.set_magnet(True)
    high = float(m.column("high")[n - 5])
    drag(chart, bar_point(chart, n - 110, pa), bar_point(chart, n - 5, high + (y1 - y0) / 200))
    (ta2, pa2), second = chart.drawings.book.get("L").points
    assert second == (tb, pb)  # the other anchor stayed
    assert (ta2, pa2) == (int(ts[n - 5]), high)
    # delete, undo, redo
    key(chart, qtbot, QtCore.Qt.Key.Key_Delete)
    assert chart.drawings.book.drawings == ()
    key(chart, qtbot, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert chart.drawings.book.get("L").points == ((ta2, pa2), (tb, pb))
    key(chart, qtbot, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert chart.drawings.book.get("L") == moved
    key(chart, qtbot, QtCore.Qt.Key.Key_Y, QtCore.Qt.KeyboardModifier.ControlModifier)
    key(chart, qtbot, QtCore.Qt.Key.Key_Y, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert chart.drawings.book.drawings == ()
    # a drag off every drawing pans the chart as before
    before = chart.visible_range()
    drag(chart, bar_point(chart, n - 60, y0 + (y1 - y0) * 0.05),
         bar_point(chart, n - 30, y0 + (y1 - y0) * 0.05))  # fmt: skip
    assert chart.visible_range()[0] < before[0] - 20


def test_one_point_tools_and_notes_and_the_log_scale(chart, qtbot):
    n = len(chart.model)
    chart.set_price_scale(PriceScale.LOG)
    (_, _), (y0, y1) = chart.price.view.viewRange()
    last = np.log10(chart.model.column("close")[-1])  # the tag away from the last price's
    y = y0 + (0.25 if last > (y0 + y1) / 2 else 0.75) * (y1 - y0)
    key(chart, qtbot, QtCore.Qt.Key.Key_H, QtCore.Qt.KeyboardModifier.AltModifier)
    click(chart, bar_point(chart, n - 50, y))
    (hline,) = chart.drawings.book.drawings
    assert hline.kind == "hline" and hline.points[0][1] == pytest.approx(10**y, rel=1e-3)
    # at the price its tag writes (the chart's decimals), not at the mouse's 15 digits
    decimals = chart.drawing_layer.decimals
    assert hline.points[0][1] == round(hline.points[0][1], decimals)
    chart.drawings._ask_text = lambda: None  # the note's text is asked; cancelled
    key(chart, qtbot, QtCore.Qt.Key.Key_N, QtCore.Qt.KeyboardModifier.AltModifier)
    click(chart, bar_point(chart, n - 30, y))
    assert len(chart.drawings.book.drawings) == 1
    chart.drawings._ask_text = lambda: "support?"
    key(chart, qtbot, QtCore.Qt.Key.Key_N, QtCore.Qt.KeyboardModifier.AltModifier)
    click(chart, bar_point(chart, n - 30, y))
    note = chart.drawings.book.drawings[-1]
    assert note.kind == "text" and note.text == "support?"
    # its price is on the axis, on a tag centred on the line, also after a zoom
    assert_tag_on_line(chart, n - 50, y)
    chart.zoom(3.0)
    qtbot.wait(10)
    assert_tag_on_line(chart, n - 50, y)
    key(chart, qtbot, QtCore.Qt.Key.Key_Escape)  # unselect; Esc again does nothing
    assert chart.drawings.selected is None


def assert_tag_on_line(chart, ix: int, y: float) -> None:
    """The horizontal line's price tag on the axis is centred on the line."""
    tags = chart.drawing_layer.tags
    image = chart.grab().toImage()
    at = chart.mapFromScene(tags.mapToScene(QtCore.QPointF(tags.boundingRect().left() + 1, 0)))
    line_y = widget_pos(chart, ix, y).y()
    rows = [r for r in range(image.height()) if image.pixelColor(at.x(), r).name() == "#2962ff"]
    assert rows and abs((rows[0] + rows[-1]) / 2 - line_y) <= 1.5, (rows, line_y)


def test_a_horizontal_lines_tag_hides_the_axis_label_under_it(chart, qtbot):
    """As under the last-price tag: the axis label a line's price tag covers is not drawn,
    and it alone."""
    axis = chart.price.value_axis

    def under_lines(rect) -> bool:
        return any(rect.bottom() > top and rect.top() < bottom
                   for top, bottom in axis._reserved.get("lines", ()))  # fmt: skip

    chart.grab()
    labels = axis.specs.labels()
    _, text = labels[len(labels) // 2]
    price = float(text.replace(",", ""))
    ts = int(chart.model.column("ts_ns")[-100])
    chart.drawings.set_book(DrawingBook([Drawing("h", "hline", ((ts, price),))]))
    chart.grab()
    labels = axis.specs.labels()
    covered = [label for rect, label in labels if under_lines(rect)]
    assert covered == [text]
    hidden = axis._hidden_mask(axis.specs)
    assert all(h for (rect, _), h in zip(labels, hidden, strict=True) if under_lines(rect))
    chart.drawings.set_book(DrawingBook())  # the line gone: its label shows again
    chart.grab()
    assert axis._reserved["lines"] == ()


def test_labels_near_the_views_edges_are_drawn_whole_inside_it(chart, monkeypatch):
    """A retracement drawn up to the latest bar has its ratios at the view's right edge,
    a note near the top at its top: each label is moved in, not cut by the view."""
    m = chart.model
    n = len(m)
    ts = m.column("ts_ns")
    (_, x1), (y0, y1) = chart.price.view.viewRange()
    last = min(n - 1, int(x1) - 1)
    fib = Drawing("F", "fib", ((int(ts[last - 2]), y0 + 0.9 * (y1 - y0)),
                               (int(ts[last]), y0 + 0.1 * (y1 - y0))))  # fmt: skip
    top = y1 - 0.001 * (y1 - y0)
    note = Drawing("N", "text", ((int(ts[last]), top),), "a long note, two\nlines")
    chart.drawings.set_book(DrawingBook([fib, note]))
    layer = chart.drawing_layer
    drawn = []
    draw = layer._atlas.draw
    monkeypatch.setattr(layer._atlas, "draw", lambda painter, left, top, texts, rgba: (
        drawn.append((np.asarray(left).copy(), np.asarray(top).copy(), list(texts))),
        draw(painter, left, top, texts, rgba)))  # fmt: skip
    chart.grab()
    left, top, texts = drawn[-1]
    assert sorted(texts) == sorted([f"{level:g} ({format_value(p, layer.decimals)})"
                                    for level, p in zip(FIB_LEVELS, fib.fib_prices(), strict=True)]
                                   + ["a long note, two", "lines"])  # fmt: skip
    box = chart.mapFromScene(chart.price.view.sceneBoundingRect()).boundingRect()
    right = left + np.array([layer._atlas.width(t) for t in texts])
    assert (left >= box.left()).all() and (right <= box.right() + 1).all(), (right, box)
    assert (top >= box.top() - 1).all() and (top + 13 <= box.bottom() + 1).all(), (top, box)
    assert len(set(zip(left.tolist(), top.tolist(), strict=True))) == len(texts)  # apart


def test_a_shift_drag_measures_until_a_click(chart, qtbot):
    """Shift+drag from one bar's price to another's: the box and its label say the price
    change and its percent, the bars and the time between them (TradingView's measure); the
    view does not pan and nothing is drawn into the book; a click (or Esc) takes it off."""
    n = len(chart.model)
    (_, _), (y0, y1) = chart.price.view.viewRange()
    p_a, p_b = round(y0 + 0.3 * (y1 - y0), 2), round(y0 + 0.6 * (y1 - y0), 2)
    before = chart.visible_range()
    shift = QtCore.Qt.KeyboardModifier.ShiftModifier
    drag(chart, bar_point(chart, n - 100, p_a), bar_point(chart, n - 40, p_b), mods=shift)
    measure = chart.measure
    assert measure.shown and chart.visible_range() == before
    assert chart.drawings.book.drawings == ()
    (xa, ya), (xb, yb) = measure.start, measure.end
    assert round(xa) == n - 100 and round(xb) == n - 40
    change = yb - ya
    decimals = chart.decimals
    assert measure.lines() == [
        f"+{format_value(change, decimals)} (+{change / ya * 100:.2f}%)",
        "60 bars, 1h",
    ]
    older = int(chart.model.column("ts_ns")[0]) - 10 * NS_PER_MIN
    chart.model.prepend(make_bars(10, start_ns=older))  # history loaded in front: same bars
    assert round(measure.start[0]) == n - 90 and measure.lines()[1] == "60 bars, 1h"  # its bars
    n += 10
    image = chart.grab().toImage()  # the box is shaded in the rise's colour
    inside = bar_point(chart, n - 70, (p_a + p_b) / 2).toPoint()
    shade = image.pixelColor(inside)
    assert shade.green() > shade.red()
    click(chart, bar_point(chart, n - 70, (p_a + p_b) / 2))
    assert not measure.shown and chart.drawings.book.drawings == ()
    drag(chart, bar_point(chart, n - 40, p_b), bar_point(chart, n - 100, p_a), mods=shift)
    assert measure.lines()[0].startswith("\u2212") and measure.lines()[1] == "60 bars, 1h"
    key(chart, qtbot, QtCore.Qt.Key.Key_Escape)
    assert not measure.shown


def test_measure_texts():
    from widgets.measure import measure_text, span_text
    from widgets.price_map import LOG

    assert [span_text(m * NS_PER_MIN) for m in (0, 45, 60, 225, 1440, 1440 * 2 + 240)] == [
        "0m", "45m", "1h", "3h 45m", "1d", "2d 4h"]  # fmt: skip
    model = SeriesModel("X", "1h", "UTC", make_bars(50, step_ns=NS_PER_HOUR))
    lines = measure_text(model, LOG, 2, (10, math.log10(100.0)), (34, math.log10(110.0)))
    assert lines == ["+10.00 (+10.00%)", "24 bars, 1d"]
    lines = measure_text(model, LOG, 2, (10, math.log10(100.0)), (10, math.log10(90.0)))
    assert lines == ["\u221210.00 (\u221210.00%)", "0 bars, 0m"]
