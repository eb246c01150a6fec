"""Every pane fits the values in view after every way of moving the view: the wheel, a drag,
the keys, Home/End, a double-click, programmatic ranges, history prepended, bars appended
while following, a tick; and the price scale can be set by hand on its axis."""

import math
import time

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from engine import indicators as ind
from tests.conftest import make_bars
from widgets.chart import ChartWidget
from widgets.series_model import SeriesModel
from widgets.theme import DARK

MOVE_INTERVAL_S = 1.2 / pg.getConfigOption("mouseRateLimit")


@pytest.fixture
def chart(qtbot):
    bars = make_bars(100_000, seed=3)
    model = SeriesModel("X", "1m", "UTC", bars[60_000:])
    model.history_complete = False
    chart = ChartWidget(model, DARK)
    chart.resize(1000, 700)
    qtbot.addWidget(chart)
    chart.show()
    qtbot.waitExposed(chart)
    older = bars[:60_000]

    def answer(model):
        oldest = int(model.column("ts_ns")[0])
        page = older[: int(np.searchsorted(older.ts_ns, oldest))]
        model.prepend(page[max(0, len(page) - 20_000) :])

    chart.history_wanted.connect(answer)
    return chart


def visible_bars(chart):
    x0, x1 = chart.visible_range()
    first = max(0, math.ceil(x0 - 0.5))
    stop = min(len(chart.model), math.floor(x1 + 0.5) + 1)
    assert stop > first, "no bar in view"
    return first, stop


def assert_fits(chart):
    """Each pane holds the low/high of the bars (or values) in view, at most twice as tall."""
    QtWidgets.QApplication.processEvents()
    chart.grab()  # a frame: the level drawn is settled too
    first, stop = visible_bars(chart)
    bars = chart.model.bars
    lo, hi = bars.low[first:stop].min(), bars.high[first:stop].max()
    (_, _), (y0, y1) = chart.price.view.viewRange()
    assert y0 <= lo and hi <= y1, f"price y {y0:.3f}..{y1:.3f} misses bars {lo:.3f}..{hi:.3f}"
    assert y1 - y0 <= 2 * (hi - lo), f"price y {y0:.3f}..{y1:.3f} for bars {lo:.3f}..{hi:.3f}"
    level = chart.volumes.lod.level
    *_, drawn = chart.model.pyramid.blocks(level, first, stop)
    (_, _), (v0, v1) = chart.volume_pane.view.viewRange()
    assert v0 <= 0 and drawn.max() <= v1 <= 2 * drawn.max()
    for key, (pane, items) in chart.indicators.items():
        if pane is chart.price:
            continue
        values = np.concatenate([item.values[first:stop] for item in items.values()])
        values = values[np.isfinite(values)]
        (_, _), (i0, i1) = pane.view.viewRange()
        assert i0 <= values.min() and values.max() <= i1, key
        assert i1 - i0 <= 2 * (values.max() - values.min()), key


def wheel(chart, notches: int, x_frac: float = 0.5) -> None:
    view = chart.price.view
    point = view.mapToScene(view.boundingRect().center())
    pos = QtCore.QPointF(chart.mapFromScene(point))
    pos.setX(chart.width() * x_frac)
    for _ in range(abs(notches)):
        event = QtGui.QWheelEvent(
            pos, chart.mapToGlobal(pos), QtCore.QPoint(0, 0),
            QtCore.QPoint(0, -120 if notches < 0 else 120), QtCore.Qt.MouseButton.NoButton,
            QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase, False,
        )  # fmt: skip
        QtWidgets.QApplication.sendEvent(chart.viewport(), event)


def drag(chart, start: QtCore.QPointF, end: QtCore.QPointF, steps: int = 10,
         mods=QtCore.Qt.KeyboardModifier.NoModifier) -> None:  # fmt: skip
    """A left-button drag in widget coordinates, through the viewport as a user's (with
    the keyboard modifiers `mods` held)."""
    left = QtCore.Qt.MouseButton.LeftButton
    target = chart.viewport()

    def send(kind, pos, buttons):
        event = QtGui.QMouseEvent(kind, pos, chart.mapToGlobal(pos), left, buttons, mods)
        QtWidgets.QApplication.sendEvent(target, event)

    send(QtCore.QEvent.Type.MouseButtonPress, start, left)
    for k in range(1, steps + 1):
        time.sleep(MOVE_INTERVAL_S)  # pyqtgraph drops moves closer than its rate limit
        pos = start + (end - start) * (k / steps)
        send(QtCore.QEvent.Type.MouseMove, pos, left)
    send(QtCore.QEvent.Type.MouseButtonRelease, end, QtCore.Qt.MouseButton.NoButton)


def view_centre(chart, pane) -> QtCore.QPointF:
    return QtCore.QPointF(chart.mapFromScene(pane.view.sceneBoundingRect().center()))


def test_wheel_out_twenty_notches_and_back_in(chart):
    assert_fits(chart)
    for _ in range(20):
        wheel(chart, -1)
        assert_fits(chart)
    assert chart.candles.lod.level > 0  # zoomed out into the pyramid
    for _ in range(10):
        wheel(chart, 1, x_frac=0.3)
        assert_fits(chart)


def test_drag_into_older_bars(chart):
    centre = view_centre(chart, chart.price)
    drag(chart, centre, centre + QtCore.QPointF(400, 0))
    assert chart.visible_range()[1] < len(chart.model) - 50
    assert_fits(chart)
    wheel(chart, -15)
    for _ in range(6):
        drag(chart, centre, centre + QtCore.QPointF(400, 0))
        assert_fits(chart)
    assert len(chart.model) > 40_000  # the drag reached older pages, which loaded


def test_keys_home_end_and_double_click(chart, qtbot):
    k = QtCore.Qt.Key
    for key in (k.Key_Left, k.Key_Left, k.Key_Down, k.Key_Down, k.Key_Down, k.Key_Right,
                k.Key_Up, k.Key_Home, k.Key_Left, k.Key_End):  # fmt: skip
        qtbot.keyClick(chart, key)
        assert_fits(chart)
    chart.show_oldest()
    assert_fits(chart)
    qtbot.mouseDClick(chart.viewport(), QtCore.Qt.MouseButton.LeftButton,
                      pos=view_centre(chart, chart.price).toPoint())  # fmt: skip
    assert chart.visible_range()[1] > len(chart.model)
    assert_fits(chart)


def test_programmatic_ranges(chart):
    for _ in range(10):
        chart.zoom(2.0)
        assert_fits(chart)
    for _ in range(5):
        chart.pan(-0.3)
        assert_fits(chart)
    chart.price.setXRange(100, 400, padding=0)
    assert_fits(chart)
    chart.volume_pane.setXRange(500, 700, padding=0)  # through a linked pane
    assert_fits(chart)


def test_appended_bars_while_following_and_a_tick(chart):
    n = len(chart.model)
    bars = chart.model.bars
    close = float(bars.close[-1])
    for k in range(1, 4):  # new bars, each further up
        chart.model.update_last((int(bars.ts_ns[-1]) + k * 60_000_000_000, close, close + 20 * k,
                                 close - 1, close + 20 * k - 1, 3.0))  # fmt: skip
        bars = chart.model.bars
        close = float(bars.close[-1])
        assert_fits(chart)
    assert len(chart.model) == n + 3
    assert_fits(chart)
    last = len(chart.model) - 1
    bars = chart.model.bars
    row = (int(bars.ts_ns[last]), bars.open[last], bars.high[last] + 30.0, bars.low[last] - 30.0,
           bars.close[last], bars.volume[last] * 50)  # fmt: skip
    chart.model.update_last(row)  # a wild tick in view: every pane takes it in
    assert_fits(chart)


def test_a_tick_out_of_view_does_not_refit(chart):
    chart.price.setXRange(1000, 1200, padding=0)
    assert_fits(chart)
    changes = []
    for pane in chart.panes.values():
        pane.view.sigYRangeChanged.connect(lambda *_: changes.append(1))
    bars = chart.model.bars
    last = len(bars) - 1
    chart.model.update_last((int(bars.ts_ns[last]), bars.open[last], bars.high[last] + 500,
                             bars.low[last] - 500, bars.close[last], 1e9))  # fmt: skip
    assert changes == []
    assert_fits(chart)


def test_indicator_panes_fit_their_visible_values(chart):
    bars = chart.model.bars
    chart.add_indicator("rsi", {"rsi": ind.rsi(bars.close, 14)}, own_pane=True)
    line, signal, hist = ind.macd(bars.close)
    chart.add_indicator("macd", {"macd": line, "signal": signal, "hist": hist}, own_pane=True,
                        kinds={"hist": "histogram"})  # fmt: skip
    assert_fits(chart)
    chart.price.setXRange(10_000, 10_300, padding=0)
    assert_fits(chart)
    wheel(chart, -8)
    assert_fits(chart)


def test_price_axis_drag_and_wheel_scale_by_hand_until_a_double_click(chart, qtbot):
    assert_fits(chart)
    axis = chart.price.value_axis
    (_, _), (y0, y1) = chart.price.view.viewRange()
    centre = QtCore.QPointF(chart.mapFromScene(axis.sceneBoundingRect().center()))
    drag(chart, centre, centre + QtCore.QPointF(0, 70))  # down: compress, about 2x the range
    (_, _), (c0, c1) = chart.price.view.viewRange()
    assert c1 - c0 == pytest.approx(2 * (y1 - y0), rel=0.05)
    assert not chart.price.auto_fit
    chart.pan(-0.5)  # the hand-set scale stays while panning
    (_, _), (p0, p1) = chart.price.view.viewRange()
    assert (p0, p1) == (c0, c1)
    drag(chart, view_centre(chart, chart.price), view_centre(chart, chart.price)
         + QtCore.QPointF(0, 100))  # fmt: skip
    assert chart.price.view.viewRange()[1][0] > p0  # a drag in the view now pans y too
    event_pos = centre.toPoint()
    for _ in range(3):
        event = QtGui.QWheelEvent(
            QtCore.QPointF(event_pos), chart.mapToGlobal(QtCore.QPointF(event_pos)),
            QtCore.QPoint(0, 0), QtCore.QPoint(0, 120), QtCore.Qt.MouseButton.NoButton,
            QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase, False,
        )  # fmt: skip
        QtWidgets.QApplication.sendEvent(chart.viewport(), event)
    (_, _), (w0, w1) = chart.price.view.viewRange()
    assert w1 - w0 < (c1 - c0) * 0.7  # the wheel on the axis stretched it
    qtbot.mouseDClick(chart.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=event_pos)
    assert chart.price.auto_fit
    assert_fits(chart)


def test_the_legend_of_a_grid_cell_covers_no_bar(make_chart, qtbot):
    """In a 2x2 grid's cell the legend wraps over the whole width, three lines with an
    indicator: the latest daily highs were drawn under it (the top margin was a share of
    the prices' span, about 24 px here). The pane fits again when its legend takes a line
    more (an indicator's row comes after the bars)."""
    bars = make_bars(400, seed=5)
    chart = make_chart(bars, width=340, height=330)
    chart.add_indicator("sma 20", {"sma": ind.sma(bars.close, 20)}, own_pane=False)
    qtbot.waitUntil(lambda: len(chart.price.legend._lines) >= 3, timeout=2000)
    chart.grab()
    legend = chart.price.legend
    first, stop = visible_bars(chart)
    high = float(chart.model.bars.high[first:stop].max())
    view = chart.price.view
    high_px = view.mapViewToDevice(QtCore.QPointF(first, high)).y()
    legend_px = legend.mapToDevice(legend.boundingRect().bottomLeft()).y()
    assert high_px > legend_px, (high_px, legend_px)
    assert_fits(chart)
