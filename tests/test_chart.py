"""Chart widgets: build a model and a chart without a main window, change the model, and
check what the view prepared and what it painted."""

import itertools
import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from engine.aggregate import resample
from engine.align import enclosing_index
from engine.bars import Bars, concat
from engine.price_text import step_decimals
from tests.conftest import NS_PER_MIN, T0_NS, make_bars
from widgets.axes import PriceAxisItem, compact, nice_step
from widgets.candles import BODY_WIDTH, CandleItem
from widgets.chart import MIN_VISIBLE_BARS, ChartWidget
from widgets.multi import LayeredChart, TimeframeGrid
from widgets.series_model import SeriesModel
from widgets.theme import DARK, LIGHT
from widgets.time_axis import TimeAxisItem, time_ticks


def alternating_bars(n: int) -> Bars:
    """Up, down, up, ... candles with bodies 10 wide around 100."""
    up = np.arange(n) % 2 == 0
    open_ = np.where(up, 95.0, 105.0)
    close = np.where(up, 105.0, 95.0)
    ts = T0_NS + np.arange(n, dtype=np.int64) * NS_PER_MIN
    return Bars.from_arrays(ts, open_, np.full(n, 106.0), np.full(n, 94.0), close, np.full(n, 5.0))


def settle(qtbot, chart):
    qtbot.wait(20)
    chart.grab()


def pixel(chart, x: float, y: float) -> str:
    image = chart.grab().toImage()
    point = chart.mapFromScene(chart.price.getViewBox().mapViewToScene(QtCore.QPointF(x, y)))
    return image.pixelColor(point.x(), point.y()).name()


def test_candle_bodies_have_their_colours(make_chart, qtbot):
    chart = make_chart(alternating_bars(40))
    chart.price.setXRange(20, 39, padding=0)
    settle(qtbot, chart)
    # Sample off the grid lines (drawn at whole ticks) and off the wicks.
    assert pixel(chart, 30.2, 101.7) == DARK.up
    assert pixel(chart, 31.2, 101.7) == DARK.down
    assert pixel(chart, 30.5, 101.7) == DARK.background
    chart.set_theme(LIGHT)
    settle(qtbot, chart)
    assert pixel(chart, 30.2, 101.7) == LIGHT.up
    assert pixel(chart, 30.5, 101.7) == LIGHT.background
    assert chart.volume_pane.legend.rows[0].colour == LIGHT.foreground  # "Vol" in the theme


def test_only_visible_candles_are_drawn_and_a_pan_reuses_those_prepared(make_chart, qtbot):
    chart = make_chart(make_bars(10_000))
    chart.price.setXRange(5000, 5100, padding=0)
    settle(qtbot, chart)
    history = chart.candles.history
    assert history.visible_span()[0] >= 4990 and history.visible_span()[1] <= 5110
    assert 100 <= history.drawn_blocks <= 110
    assert history.prepared_blocks <= 3 * 110  # the view and a view either side
    assert chart.candles.lod.level == 0
    prepared = history._rects["up"].ndarray().copy()
    chart.price.setXRange(5050, 5150, padding=0)  # half a view: inside the window
    settle(qtbot, chart)
    assert 100 <= history.drawn_blocks <= 110
    assert np.array_equal(history._rects["up"].ndarray()[:, :3], prepared[:, :3])
    chart.price.setXRange(8000, 8100, padding=0)  # far out of it: prepared again
    settle(qtbot, chart)
    assert 100 <= history.drawn_blocks <= 110
    assert history._rects["up"].ndarray()[:, 0].min() > 7800


def test_zoomed_out_draws_aggregated_candles_from_the_pyramid(make_chart, qtbot):
    bars = make_bars(1_000_000)
    chart = make_chart(bars, width=1000)
    chart.price.setXRange(-10, len(bars) + 10, padding=0)
    settle(qtbot, chart)
    level = chart.candles.lod.level
    assert level >= 10  # ~1,000 bars a pixel
    assert chart.candles.history.prepared_blocks <= 1000  # O(width), not O(history)
    # The y range follows the true extremes of the aggregated candles.
    (_, _), (y0, y1) = chart.price.getViewBox().viewRange()
    assert y0 <= bars.low.min() and bars.high.max() <= y1


def test_the_level_of_detail_follows_the_view_not_the_paint(make_chart, qtbot, monkeypatch):
    chart = make_chart(make_bars(100_000), width=1000)
    settle(qtbot, chart)
    assert chart.candles.lod.level == 0
    chart.price.setXRange(0, 100_000, padding=0)  # no paint in between
    level = chart.candles.lod.level
    assert level >= 6 and chart.volumes.lod.level == level
    history = chart.candles.history
    assert history.boundingRect().right() < history.lod.items[1].boundingRect().left()
    chart.resize(250, chart.height())  # a narrower view: coarser blocks
    qtbot.waitUntil(lambda: chart.candles.lod.level > level)
    painted = chart.candles.lod.level
    chosen_in_paint = lambda view: pytest.fail("the level was chosen while painting")  # noqa: E731
    monkeypatch.setattr(chart.candles.lod, "follow", chosen_in_paint)
    settle(qtbot, chart)
    assert chart.candles.lod.level == painted


def test_y_follows_the_visible_bars_fast(make_chart, qtbot):
    bars = make_bars(200_000)
    chart = make_chart(bars)
    chart.price.setXRange(100_000, 100_100, padding=0)
    settle(qtbot, chart)
    lo, hi = chart.candles.history.dataBounds(1, orthoRange=(100_000, 100_100))
    assert (lo, hi) == (bars.low[100_000:100_101].min(), bars.high[100_000:100_101].max())
    (_, _), (y0, y1) = chart.price.getViewBox().viewRange()
    assert y0 <= lo and hi <= y1 and (y1 - y0) < 2 * (hi - lo)


def test_a_tick_invalidates_only_the_forming_candle(make_chart, qtbot, monkeypatch):
    bars = make_bars(5_000)
    chart = make_chart(bars)
    settle(qtbot, chart)
    calls = {"history": 0, "forming": 0}
    for part in ("history", "forming"):
        item = getattr(chart.candles, part)
        original = item.update
        monkeypatch.setattr(
            item, "update", lambda *a, p=part, o=original: (calls.__setitem__(p, calls[p] + 1), o())
        )
    last = len(bars) - 1
    before = chart.candles.forming.boundingRect()
    row = (bars.ts_ns[last], bars.open[last], bars.high[last] + 0.01, bars.low[last],
           bars.close[last] + 0.005, bars.volume[last] + 1)  # fmt: skip
    chart.model.update_last(row)
    assert calls == {"history": 0, "forming": 1}
    rect = chart.candles.forming.boundingRect()
    assert rect == before  # no geometry change: Qt repaints just this rectangle
    assert rect.left() == pytest.approx(last - BODY_WIDTH / 2)  # one body wide
    assert rect.width() == pytest.approx(BODY_WIDTH)
    assert rect.top() <= bars.low[last] and rect.bottom() >= bars.high[last] + 0.01
    # A tick far above the visible prices refits the y range.
    (_, _), (_, y1) = chart.price.getViewBox().viewRange()
    chart.model.update_last((*row[:2], y1 + 5.0, row[3], y1 + 4.0, row[5]))
    settle(qtbot, chart)
    assert chart.price.getViewBox().viewRange()[1][1] >= y1 + 5.0
    assert calls["history"] == 0


def test_a_tick_repaints_neither_axis(make_chart, qtbot, monkeypatch):
    painted = []
    for cls in (PriceAxisItem, TimeAxisItem, CandleItem):
        original = cls.paint
        monkeypatch.setattr(cls, "paint", lambda self, *a, o=original: (painted.append(self),
                                                                        o(self, *a)))  # fmt: skip
    bars = make_bars(500)
    chart = make_chart(bars)
    settle(qtbot, chart)
    last = len(bars) - 1
    for step in (1, 2):  # the first tick also fits the forming bar's bounds to the view
        painted.clear()
        price = (bars.low[last] + bars.high[last]) / 2 + 0.001 * step
        chart.model.update_last((bars.ts_ns[last], bars.open[last], bars.high[last],
                                 bars.low[last], price, bars.volume[last]))  # fmt: skip
        QtWidgets.QApplication.processEvents()
    assert chart.candles.forming in painted
    assert not [item for item in painted if isinstance(item, pg.AxisItem)]


def test_a_growing_bar_rescales_its_pane_once_not_on_every_tick(make_chart, qtbot):
    bars = make_bars(500)
    chart = make_chart(bars)
    settle(qtbot, chart)
    volume_view = chart.volume_pane.getViewBox()
    changes = []
    volume_view.sigYRangeChanged.connect(lambda *_: changes.append(1))
    last = len(bars) - 1
    top = volume_view.viewRange()[1][1]
    row = [bars.ts_ns[last], bars.open[last], bars.high[last], bars.low[last], bars.close[last],
           top * 1.01]  # fmt: skip
    for _ in range(5):  # out of view once, then within the new range's headroom
        chart.model.update_last(tuple(row))
        QtWidgets.QApplication.processEvents()  # one paint per tick, as in a live frame
        row[5] *= 1.01
    assert len(changes) == 1
    assert volume_view.viewRange()[1][1] >= row[5]


def test_a_new_bar_is_followed(make_chart, qtbot):
    bars = make_bars(1000)
    chart = make_chart(bars[:999])
    x0, x1 = chart.visible_range()
    chart.model.update_last(tuple(c[999] for c in bars.columns().values()))
    assert len(chart.model) == 1000
    assert chart.visible_range() == (x0 + 1, x1 + 1)


def test_lazy_history_prepends_the_right_bars_and_keeps_the_view(make_chart, qtbot):
    bars = make_bars(30_000)
    chart = make_chart(bars[20_000:])
    pages = []

    def answer(model):
        oldest = int(model.column("ts_ns")[0])
        older = bars[: int(np.searchsorted(bars.ts_ns, oldest))]
        page = older[max(0, len(older) - 8_000) :]
        pages.append(len(page))
        model.prepend(page)

    chart.history_wanted.connect(answer)
    shown = chart.model.column("ts_ns")[200]
    chart.price.setXRange(100, 300, padding=0)  # near the oldest loaded bar
    assert pages == [8000]
    x0, x1 = chart.visible_range()
    assert chart.model.column("ts_ns")[round((x0 + x1) / 2)] == shown  # same bars on screen
    chart.show_oldest()  # Home: on to the first stored bar, a page at a time
    qtbot.waitUntil(lambda: chart.model.history_complete)
    assert pages == [8000, 8000, 4000, 0]
    assert chart.model.bars.equals(bars)
    x0, x1 = chart.visible_range()
    assert x0 < 0 < x1  # the first bar of the series in view
    chart.price.setXRange(5_000, 5_200, padding=0)  # the user moved on: the view stays
    qtbot.wait(20)
    assert chart.visible_range() == (5_000, 5_200)


def test_history_that_comes_after_a_new_series_first_bar_is_shown(make_chart, qtbot):
    """A series new to the store opens with its first live bar; its history (the exchange's
    last day, stored meanwhile) comes in front: the chart shows the latest bars, not the
    one live bar at the left edge of an otherwise empty view."""
    bars = make_bars(61)
    paged_in = (bars[60:], lambda m: m.prepend(bars[:60]))
    at_once = (bars[:0], lambda m: m.append(bars))  # the day at once into an empty chart
    for first, rest in (paged_in, at_once):
        chart = make_chart(first)
        chart.grab()  # painted before the history comes
        qtbot.wait(10)
        rest(chart.model)
        x0, x1 = chart.visible_range()
        assert x0 <= 0 and x1 >= 60  # every bar in view
        (_, _), (y0, y1) = chart.price.view.viewRange()
        assert y0 <= bars.low.min() and bars.high.max() <= y1  # the prices fitted to them
        chart.grab()
        qtbot.wait(10)
        chart.grab()
        assert len(chart.time_axis.specs.texts) >= 3  # the time axis has labels (it kept none)


def test_a_view_zoomed_out_over_all_the_loaded_bars_stays_on_them(make_chart, qtbot):
    """Zoomed out over every loaded bar of a long series, older history paged in keeps the
    view on the same bars, and a new bar keeps the whole in view: neither jumps to the
    latest bars (the short-series rule is for a chart sized to its few bars)."""
    bars = make_bars(6000)
    chart = make_chart(bars[1000:])
    n = len(chart.model)
    chart.price.setXRange(-0.5, n - 0.5, padding=0)
    x0, x1 = chart.visible_range()
    chart.model.prepend(bars[:1000])
    assert chart.visible_range() == (x0 + 1000, x1 + 1000)
    x0, x1 = chart.visible_range()
    chart.model.append(make_bars(1, start_ns=int(bars.ts_ns[-1]) + NS_PER_MIN))
    a, b = chart.visible_range()
    assert b - a == x1 - x0 and a > 900  # followed by a bar, the same width


def test_keyboard_and_zoom_limits(make_chart, qtbot):
    chart = make_chart(make_bars(10_000))
    x0, x1 = chart.visible_range()
    qtbot.keyClick(chart, QtCore.Qt.Key.Key_Left)
    assert chart.visible_range()[0] < x0
    qtbot.keyClick(chart, QtCore.Qt.Key.Key_Up)
    width = chart.visible_range()[1] - chart.visible_range()[0]
    assert width < x1 - x0
    for _ in range(30):
        qtbot.keyClick(chart, QtCore.Qt.Key.Key_Up)
    narrow = chart.visible_range()
    assert narrow[1] - narrow[0] >= MIN_VISIBLE_BARS - 1e-9
    qtbot.keyClick(chart, QtCore.Qt.Key.Key_End)
    assert chart.visible_range()[1] > 10_000
    chart.model.history_complete = True
    qtbot.keyClick(chart, QtCore.Qt.Key.Key_Home)
    assert chart.visible_range()[0] < 0


def test_time_axis_labels_local_time(make_chart, qtbot):
    chart = make_chart(make_bars(600), tz="America/Chicago")
    chart.price.setXRange(0, 300, padding=0)
    settle(qtbot, chart)
    axis = chart.time_axis
    values = axis.tickValues(0, 300, 700)[0][1]
    labels = axis.tickStrings(values, 1, 1)
    # 2024-01-02 00:00 UTC is Monday 18:00 in Chicago.
    assert labels[0].endswith(":00") and any(label.startswith("Mon 01") or ":" in label
                                             for label in labels)  # fmt: skip
    assert "19:00" in labels


@pytest.mark.parametrize(
    ("timeframe", "step_ns", "n", "want"),
    [("1d", 24 * 60 * NS_PER_MIN, 400, 5), ("1h", 60 * NS_PER_MIN, 1000, 4)],
)
def test_a_600_px_chart_of_days_or_hours_has_labels_along_its_time_axis(
    make_chart, qtbot, timeframe, step_ns, n, want
):
    """Seven months of daily bars in 600 px were labelled "Oct 2006" and "Jan 2007" (months
    were spaced as times of day, 90 px apart, and quarters chosen), and eleven days of hourly
    bars had two labels: ticks of dates, months and years are spaced for their own labels."""
    cols = make_bars(n, step_ns=step_ns).columns()
    weekday = (cols["ts_ns"] // (24 * 60 * NS_PER_MIN) + 3) % 7 < 5  # Monday to Friday
    bars = Bars.from_arrays(*(col[weekday] for col in cols.values()))
    chart = make_chart(bars, width=600, timeframe=timeframe)
    settle(qtbot, chart)
    specs = chart.time_axis.specs
    assert len(specs.texts) >= want, specs.texts
    starts = specs.left.tolist()
    ends = (specs.left + specs.width).tolist()
    assert all(b > a for a, b in zip(ends[:-1], starts[1:], strict=True))  # none overlap
    bounds = chart.time_axis.boundingRect()
    assert bounds.left() <= starts[0] and ends[-1] <= bounds.right()


def test_a_pan_keeps_the_time_labels_put_and_dates_the_first(make_chart, qtbot):
    days = make_bars(400, step_ns=24 * 60 * NS_PER_MIN)
    chart = make_chart(days, tz="UTC")
    axis = chart.time_axis
    before_values = axis.tickValues(100, 200, 1400)[0][1]
    before = dict(zip(before_values, axis.tickStrings(before_values, 1, 1), strict=True))
    after_values = axis.tickValues(130, 230, 1400)[0][1]
    after = dict(zip(after_values, axis.tickStrings(after_values, 1, 1), strict=True))
    shared = sorted(set(before) & set(after))
    assert len(shared) >= 3  # the same ticks where the views overlap ...
    assert [after[v] for v in shared[1:]] == [before[v] for v in shared[1:]]  # ... and labels
    assert time_ticks(days.ts_ns, 130, 231, 1400, "UTC")[0][1] == after[after_values[0]]
    assert any(c.isdigit() for c in after[after_values[0]][-4:])  # the first says the year


def ticked(bars: Bars, tick: float = 0.01) -> Bars:
    """The bars with prices on a grid of `tick`, as traded prices are."""
    cols = bars.columns()
    for name in ("open", "high", "low", "close"):
        cols[name] = np.round(cols[name] / tick) * tick
    return Bars.from_arrays(*cols.values())


def test_legend_shows_the_bar_under_the_crosshair_or_the_latest(make_chart, qtbot):
    bars = ticked(make_bars(100))
    chart = make_chart(bars)
    chart.crosshair.show_index(42)
    text = chart.price.legend.text()
    assert f"O {bars.open[42]:.2f}" in text and f"C {bars.close[42]:.2f}" in text
    assert "2024-01-02 00:42" in text
    assert chart.volume_pane.legend.text() == f"Vol  {bars.volume[42]:.0f}"
    chart.crosshair.hide()  # away: the latest bar
    assert "2024-01-02 01:39" in chart.price.legend.text()


def test_zoomed_out_the_legend_tells_the_candle_drawn_not_one_of_its_bars(make_chart, qtbot):
    """Wheeled out on FESX 1m, a candle is a block of bars and the volume axis read 500k,
    while the legend said "Vol 583" and the OHLC of one minute inside the candle."""
    bars = ticked(make_bars(20_000))
    chart = make_chart(bars, width=800)
    chart.price.setXRange(0, len(bars), padding=0)
    qtbot.waitUntil(lambda: chart.candles.lod.level > 0)
    level = chart.candles.lod.level
    first, stop = chart.model.pyramid.block_span(level, 10_000)
    assert stop - first == 2**level
    chart.crosshair.show_index(10_000)
    text = chart.price.legend.text()
    block = slice(first, stop)
    assert f"H {bars.high[block].max():.2f}" in text
    assert f"L {bars.low[block].min():.2f}" in text
    assert f"O {bars.open[first]:.2f}" in text and f"C {bars.close[stop - 1]:.2f}" in text
    change = bars.close[stop - 1] - bars.close[first - 1]
    assert f"{change:+.2f}" in text  # from the block before's close
    start, last = (str(np.datetime64(int(t), "ns").astype("datetime64[m]")).replace("T", " ")
                   for t in (bars.ts_ns[first], bars.ts_ns[stop - 1]))  # fmt: skip
    assert f"{start}\u2013{last[11:]} ({stop - first} bars)" in text
    volume = chart.volume_pane.legend.text()
    assert volume == f"Vol  {compact(float(bars.volume[block].sum()), 0)}"
    assert volume != f"Vol  {compact(float(bars.volume[10_000]), 0)}"
    chart.crosshair.hide()  # pointing at nothing: the latest bar itself, live
    assert f"C {bars.close[-1]:.2f}" in chart.price.legend.text()
    assert "bars)" not in chart.price.legend.text()
    chart.crosshair.show_index(10_000)
    chart.price.setXRange(9_950, 10_050, padding=0)  # zoomed in: the bar itself again
    qtbot.waitUntil(lambda: chart.candles.lod.level == 0)
    assert f"H {bars.high[10_000]:.2f}" in chart.price.legend.text()
    assert "bars)" not in chart.price.legend.text()
    assert chart.volume_pane.legend.text() == f"Vol  {bars.volume[10_000]:.0f}"


def test_a_change_that_rounds_to_nothing_has_no_sign_in_the_legend(make_chart):
    """EURUSD's mids moved by -0.00003 in an hour: the legend said "(-0.00%)", a flat bar
    "+0.00 (+0.00%)", where the watchlist says 0.00%."""
    bars = make_bars(3)
    bars.close[:] = [1.121340, 1.121310, 1.121310]
    bars.open[:] = bars.close
    bars.high[:], bars.low[:] = bars.close + 0.0001, bars.close - 0.0001
    chart = make_chart(bars)
    chart.crosshair.show_index(1)
    assert "-0.00003 (0.00%)" in chart.price.legend.text()
    chart.crosshair.show_index(2)
    assert "0.00000 (0.00%)" in chart.price.legend.text()
    assert "+0.0" not in chart.price.legend.text()


def test_a_view_moved_by_keys_moves_the_crosshair_to_the_bar_under_the_mouse(make_chart,
                                                                             qtbot):  # fmt: skip
    chart = make_chart(make_bars(1000))
    chart.price.setXRange(800, 900, padding=0)
    settle(qtbot, chart)
    vb = chart.price.getViewBox()
    (_, _), (y0, y1) = vb.viewRange()
    mouse = vb.mapViewToScene(QtCore.QPointF(850, (y0 + y1) / 2))
    chart.crosshair._on_mouse_moved((mouse,))
    assert chart.crosshair.index == 850
    qtbot.keyClick(chart, QtCore.Qt.Key.Key_Home)  # the mouse stays, the bars move under it
    x0, x1 = chart.visible_range()
    assert x0 <= chart.crosshair.index <= x1
    assert chart.crosshair.index == round(vb.mapSceneToView(mouse).x())
    when = str(np.datetime64(int(chart.model.column("ts_ns")[chart.crosshair.index]), "ns"))
    assert when[:16].replace("T", " ") in chart.price.legend.text()
    QtWidgets.QApplication.sendEvent(chart, QtCore.QEvent(QtCore.QEvent.Type.Leave))
    assert chart.crosshair.index is None  # the mouse left: the legends show the latest bar
    qtbot.keyClick(chart, QtCore.Qt.Key.Key_End)
    assert chart.crosshair.index is None  # and stay there as the view moves


def test_multi_timeframe_crosshair_maps_a_minute_to_its_hour(qtbot):
    base = make_bars(3000)
    hourly = resample(base, "1h", "24x7")
    models = [SeriesModel("X", tf, "UTC", b) for tf, b in (("1m", base), ("1h", hourly))]
    grid = TimeframeGrid(models)
    qtbot.addWidget(grid)
    grid.resize(1200, 500)
    grid.show()
    minute_chart, hour_chart = grid.charts
    for ix in (0, 59, 60, 1234, 2999):
        minute_chart.crosshair.time_changed.emit(int(base.ts_ns[ix]))
        assert hour_chart.crosshair.index == enclosing_index(base.ts_ns[ix : ix + 1],
                                                             hourly.ts_ns)[0]  # fmt: skip
    # The mouse over the minutes, then off the chart: the hours' crosshair goes with it,
    # and their legend shows the latest hour again (it kept the hovered one).
    vb = minute_chart.price.getViewBox()
    (x0, x1), (y0, y1) = vb.viewRange()
    minute_chart.crosshair._on_mouse_moved(
        (vb.mapViewToScene(QtCore.QPointF((x0 + x1) / 2, (y0 + y1) / 2)),)
    )
    assert hour_chart.crosshair.index is not None
    QtWidgets.QApplication.sendEvent(minute_chart, QtCore.QEvent(QtCore.QEvent.Type.Leave))
    assert minute_chart.crosshair.index is None and hour_chart.crosshair.index is None
    latest = str(np.datetime64(int(hourly.ts_ns[-1]), "ns"))[:16].replace("T", " ")
    assert latest in hour_chart.price.legend.text()
    minute_chart.price.setXRange(600, 720, padding=0)
    region = grid._spans[(0, 1)].getRegion()
    assert region == (10 - 0.5, 12 + 0.5)  # minutes 600..720 lie in hours 10..12
    hour_chart.price.setXRange(0, 49, padding=0)
    assert grid._spans[(0, 1)].isVisible()  # the minutes' span marked on the hours
    assert not grid._spans[(1, 0)].isVisible()  # not the other way round
    grid.show_spans(False)
    assert not grid._spans[(0, 1)].isVisible()


def test_layered_chart_boxes_span_their_base_bars_and_follow_live(make_chart, qtbot):
    base = make_bars(2000)
    chart = make_chart(base[:1999], cls=LayeredChart)
    hourly = SeriesModel("X", "1h", "UTC", resample(base[:1999], "1h", "24x7"))
    chart.set_layers({"1h": hourly})
    chart.price.setXRange(100, 400, padding=0)
    settle(qtbot, chart)
    layer = chart.layers["1h"]
    assert layer.prepared_boxes == 6  # bars 100..400 lie in hours 1..6
    assert layer.first[2] == 120 and layer.last[2] == 179
    chart.model.update_last(tuple(c[1999] for c in base.columns().values()))
    hourly.update_last(tuple(c[-1] for c in resample(base, "1h", "24x7").columns().values()))
    assert layer.last[-1] == 1999
    chart.set_layer_visible("1h", False)
    assert not layer.isVisible()


def test_a_layered_box_partly_in_view_is_fitted_whole(make_chart, qtbot):
    """A 4h box whose first bars are in view showed cut at the top: the price range fits
    the base candles in view and every box over them, whole; a hidden layer does not
    count."""
    base = make_bars(2000, seed=3)
    chart = make_chart(base, cls=LayeredChart)
    higher = resample(base, "4h", "24x7")
    chart.set_layers({"4h": SeriesModel("X", "4h", "UTC", higher)})
    chart.price.setXRange(240 - 0.5, 270 - 0.5, padding=0)  # the first half hour of box 1
    settle(qtbot, chart)
    (_, _), (y0, y1) = chart.price.view.viewRange()
    assert y0 <= higher.low[1] and higher.high[1] <= y1
    assert y1 - y0 <= 2 * (higher.high[1] - higher.low[1])
    chart.set_layer_visible("4h", False)
    (_, _), (y0, y1) = chart.price.view.viewRange()
    shown = base[240:270]
    assert y0 <= shown.low.min() and shown.high.max() <= y1
    assert y1 - y0 <= 2 * (shown.high.max() - shown.low.min())


def test_indicators_overlay_and_own_panes(make_chart, qtbot):
    from engine import indicators as ind

    bars = make_bars(3000)
    chart = make_chart(bars)
    chart.add_indicator("sma", {"sma": ind.sma(bars.close, 20)}, own_pane=False)
    line, signal, hist = ind.macd(bars.close)
    chart.add_indicator("macd", {"macd": line, "signal": signal, "hist": hist}, own_pane=True,
                        kinds={"hist": "histogram"})  # fmt: skip
    chart.add_indicator("trend", {"trend": ind.trend_state(bars.high, bars.low, bars.close)},
                        own_pane=True, kinds={"trend": "band"})  # fmt: skip
    assert list(chart.panes) == ["price", "volume", "macd", "trend"]
    settle(qtbot, chart)
    (_, _), (y0, y1) = chart.panes["macd"].getViewBox().viewRange()
    visible = hist[int(chart.visible_range()[0]) :]
    assert y0 <= np.nanmin(visible) and np.nanmax(visible) <= y1
    chart.crosshair.show_index(2500)
    text = chart.price.legend.text()
    assert f"sma  {ind.sma(bars.close, 20)[2500]:,.4f}" in text  # six significant digits
    assert chart.panes["macd"].legend.text().startswith("macd  ")
    chart.update_indicator_last("sma", {"sma": 123.0})
    assert chart.indicators["sma"][1]["sma"].values[-1] == 123.0
    chart.remove_indicator("macd")
    chart.remove_indicator("sma")
    assert list(chart.panes) == ["price", "volume", "trend"]
    chart.crosshair.show_index(2500)
    assert "sma" not in chart.price.legend.text()
    with pytest.raises(ValueError, match="already shown"):
        chart.add_indicator("trend", {"trend": np.zeros(3000)}, own_pane=True)
    with pytest.raises(ValueError, match="cannot be removed"):
        chart.remove_pane("price")


def test_price_axis_steps_and_labels():
    assert nice_step(100.0, 400.0) == 10.0  # 40 px apart at least
    assert nice_step(1.0, 900.0) == 0.05
    assert nice_step(7.0, 100.0) == 5.0
    assert [step_decimals(s) for s in (50.0, 2.5, 0.25, 0.05, 2.5e-5)] == [0, 1, 2, 2, 6]
    assert compact(1_234_567.0, 0) == "1.23M" and compact(25_000.0, 0) == "25k"
    assert compact(120.0, 0) == "120"
    axis = PriceAxisItem()
    (spacing, values), *more = axis.tickValues(101.3, 202.7, 400.0)
    assert not more and spacing == 20.0 and values == [float(v) for v in range(120, 201, 20)]
    assert axis.tickStrings([0.25, 0.5], 1.0, 0.25) == ["0.25", "0.50"]
    assert axis.tickValues(5.0, 5.0, 400.0) == []


def draw_specs(axis):
    picture = QtGui.QPicture()
    painter = QtGui.QPainter(picture)
    try:
        return axis.generateDrawSpecs(painter)
    finally:
        painter.end()


def axis_labels(axis) -> list[tuple[QtCore.QRectF, str]]:
    """Each label the axis draws now: its box and text."""
    return draw_specs(axis).labels()


def test_axes_lay_out_labels_inside_themselves(make_chart, qtbot):
    chart = make_chart(alternating_bars(400))
    chart.price.setXRange(100, 300, padding=0)
    settle(qtbot, chart)
    for axis in (chart.price.value_axis, chart.time_axis):
        specs = draw_specs(axis)
        assert len(specs.ticks) and specs.texts
        assert all(axis.boundingRect().contains(r) for r, _ in specs.labels())
    price_labels = [float(text) for _, text in axis_labels(chart.price.value_axis)]
    low, high = chart.price.getViewBox().viewRange()[1]
    assert len(price_labels) >= 3 and all(low <= v <= high for v in price_labels)
    # No value label reaches past its own pane's axis (onto the volume's labels below).
    for pane in chart.panes.values():
        axis = pane.value_axis
        own = axis.mapRectToScene(axis.mapRectFromParent(axis.geometry()))
        for rect, text in axis_labels(axis):
            assert own.contains(axis.mapRectToScene(rect)), text


def test_switching_series_frees_the_old_one_without_the_collector(make_chart, qtbot):
    import gc
    import weakref

    chart = make_chart(make_bars(500))
    old = weakref.ref(chart.model)
    gc.disable()
    try:
        chart.set_model(SeriesModel("X", "1m", "UTC", make_bars(300)))
        settle(qtbot, chart)
        assert old() is None
    finally:
        gc.enable()
    assert chart.last_price.value() == chart.model.column("close")[-1]


def test_a_released_model_holds_no_bars():
    model = SeriesModel("X", "1m", "UTC", make_bars(300_000))
    before = model.pyramid.nbytes
    model.release()
    assert len(model) == 0 and model.pyramid.nbytes < before / 4


def test_each_chart_names_its_series(make_chart):
    chart = make_chart(make_bars(100))
    assert chart.caption.text == "X  1m"
    chart.set_model(SeriesModel("Y", "1h", "UTC", make_bars(50)))
    assert chart.caption.text == "Y  1h"


def test_last_price_line_takes_the_colour_of_the_bar_direction(make_chart):
    chart = make_chart(alternating_bars(40))  # the last bar is down: open 105, close 95
    assert chart.last_price._pen.color().name() == DARK.down
    ts = chart.model.column("ts_ns")[-1] + NS_PER_MIN
    row = (np.array([ts]), *(np.array([v]) for v in (90.0, 96.0, 89.0, 95.0, 1.0)))
    chart.model.append(Bars.from_arrays(*row))
    assert chart.last_price.value() == 95.0  # the same close, now on an up bar
    assert chart.last_price._pen.color().name() == DARK.up


def test_last_price_line_spans_its_view_after_a_pan_and_a_resize(make_chart, qtbot):
    """The line's strip, kept between frames, is the view's width less its pad at each side
    (to the view's fractional pixel), at the last close, whatever moved the view: it is
    the strip worked out afresh."""
    chart = make_chart(make_bars(3000))
    line, view = chart.last_price, chart.price.view
    settle(qtbot, chart)

    def assert_spans_the_view():
        assert line.boundingRect() == line._strip()
        strip, edges = line.sceneBoundingRect(), view.sceneBoundingRect()
        assert strip.left() == pytest.approx(edges.left() + line.PAD_PX, abs=1)
        assert strip.right() == pytest.approx(edges.right() - line.PAD_PX, abs=1)
        y = view.mapViewToScene(QtCore.QPointF(0, line.value())).y()
        assert strip.top() < y < strip.bottom()

    assert_spans_the_view()
    chart.price.setXRange(1000, 1400)
    settle(qtbot, chart)
    assert_spans_the_view()
    chart.price.scale_y(0.9)  # by hand: y stays through a resize
    settle(qtbot, chart)
    ranges = view.viewRange()
    chart.resize(500, 300)  # the ranges stay; their pixels do not
    settle(qtbot, chart)
    assert view.viewRange() == ranges
    assert_spans_the_view()


def test_legends_stay_in_their_corner_inside_their_pane_and_show_missing_values(make_chart, qtbot):
    from engine import indicators as ind
    from engine.price_text import MISSING

    bars = ticked(make_bars(3000))
    chart = make_chart(bars, width=420)
    chart.add_indicator("sma-1", {"sma": ind.sma(bars.close, 200)}, own_pane=False,
                        title="SMA 200")  # fmt: skip
    chart.add_indicator("rsi-1", {"rsi": ind.rsi(bars.close, 14)}, own_pane=True,
                        title="RSI 14")  # fmt: skip
    settle(qtbot, chart)
    for pane in chart.panes.values():
        legend = pane.legend
        inside = pane.view.sceneBoundingRect()
        assert inside.contains(legend.sceneBoundingRect()), pane  # never clipped
    before = chart.price.legend.sceneBoundingRect().topLeft()
    chart.zoom(4.0)
    chart.pan(-0.5)
    settle(qtbot, chart)
    assert chart.price.legend.sceneBoundingRect().topLeft() == before  # not moved by a zoom
    chart.crosshair.show_index(100)  # before the SMA's first value
    assert chart.price.legend.text().splitlines()[1] == f"SMA 200  {MISSING}"
    assert chart.panes["rsi-1"].legend.text().startswith("RSI 14  ")
    _, stop = chart.model.pyramid.block_span(chart.candles.lod.level, 100)  # the candle's
    assert f"C {bars.close[stop - 1]:.2f}" in chart.price.legend.text().splitlines()[0]
    # The backing is semi-opaque: the grid and candles under it still show through.
    assert 0 < chart.price.legend._backing.color().alphaF() < 1


def test_a_narrow_chart_shows_the_whole_legend_row_over_more_lines(make_chart, qtbot):
    """A chart of a grid is narrow: the bar's close and change go on a second line of the
    legend, inside the view, not left out (they were, in a 2x2 grid of symbols)."""
    bars = ticked(make_bars(300))
    chart = make_chart(bars, width=330)
    settle(qtbot, chart)
    legend = chart.price.legend
    close, previous = bars.close[-1], bars.close[-2]
    row = legend.text().splitlines()[0]
    assert f"C {close:,.2f}" in row
    assert row.endswith(f"{close - previous:+,.2f} ({(close - previous) / previous:+.2%})")
    assert len(legend._lines) > 1  # over more than one line
    assert legend._lines[1][0][0] > 0  # indented, a row going on
    assert chart.price.view.sceneBoundingRect().contains(legend.sceneBoundingRect())


def test_a_days_bar_is_dated_by_its_trading_day(make_chart, qtbot):
    """ES's bar of Monday 30 Nov opens on Sunday at 17:00 in Chicago: the legend said
    "2026-11-29 17:00" and the time axis put it under Sunday."""
    opens = np.datetime64("2026-11-22T23:00", "ns") + np.arange(12) * np.timedelta64(1, "D")
    opens = opens[(opens.astype("datetime64[D]").view("int64") + 4) % 7 < 5]  # Sun..Thu
    n = len(opens)
    price = 4000.0 + np.arange(n)
    bars = Bars.from_arrays(opens.astype(np.int64), price, price + 5, price - 5, price + 1,
                            np.full(n, 1000.0))  # fmt: skip
    model = SeriesModel("ES", "1d", "America/Chicago", bars, calendar="cme-globex")
    chart = ChartWidget(model, DARK)
    qtbot.addWidget(chart)
    chart.resize(2400, 600)
    chart.show()
    settle(qtbot, chart)
    days = [str(d) for d in np.datetime64("2026-11-23") + np.arange(14)]
    trading = [d for d in days if np.datetime64(d).astype(object).weekday() < 5][:n]
    chart.crosshair.show_index(n - 1)
    assert chart.price.legend.text().startswith(f"{trading[-1]}  O ")  # a date, no time
    labels = chart.time_axis._labels
    first = min(labels)
    when = np.datetime64(trading[first]).astype(object)
    assert labels[first] in (when.strftime("%b %d %Y"), when.strftime("%a %d %b"))
    monday = trading.index("2026-11-30")
    assert labels.get(monday, "").startswith("Mon 30")


def test_daily_time_axis_names_the_year_without_a_year_boundary_in_view():
    from widgets.time_axis import time_ticks

    days = np.datetime64("2025-02-03", "ns").astype(np.int64) + np.arange(150) * 86_400 * 10**9
    ticks = time_ticks(days, 0, 150, 1400.0, "UTC")
    assert ticks[0][1] in ("Mar 2025", "Feb 2025") and "2025" not in ticks[1][1]
    minutes = days[0] + np.arange(600, dtype=np.int64) * 60 * 10**9  # intraday: short labels
    assert all("2025" not in label for _, label in time_ticks(minutes, 0, 600, 1400.0, "UTC"))


def test_the_first_time_label_drawn_says_the_year(make_chart, qtbot):
    """Home on years of 1m bars: the first tick (a Monday, its label with the year) sat at
    the view's left edge, its label did not fit and was left out, and no label in view said
    the year ("Mon 09 Dec" ... "Mon 06 Jan")."""
    start = int(np.datetime64("2024-12-01T00:00", "ns").astype(np.int64))
    bars = make_bars(45 * 1440, start_ns=start)
    chart = make_chart(bars, width=1400)
    monday = int(np.searchsorted(bars.ts_ns, np.datetime64("2024-12-02", "ns").astype(np.int64)))
    chart.price.setXRange(monday - 2, monday + 38 * 1440, padding=0)
    settle(qtbot, chart)
    labels = draw_specs(chart.time_axis).texts
    assert len(labels) >= 3 and "2024" in labels[0], labels
    # ... and the first in the new year says it too (the year began on a Wednesday)
    assert [label for label in labels if "2025" in label] == ["Jan 06 2025"]
    assert sum("2024" in label for label in labels) == 1


def test_a_series_without_volume_has_no_volume_pane_until_it_has_volume(make_chart, qtbot):
    """GBP/USD bid bars (no volume) stood over an empty volume pane, "Vol 0"; a simulated
    copy's ticks bring volume, and the pane."""
    bars = make_bars(300)
    bars.volume[:] = 0.0
    chart = make_chart(bars)
    price_h = chart.price.view.height()
    assert not chart.volume_pane.shown and not chart.volume_pane.view.isVisible()
    last = bars[-1:]
    chart.model.update_last((int(last.ts_ns[0]) + 60 * 10**9, float(last.close[0]),
                             float(last.close[0]) + 0.5, float(last.close[0]),
                             float(last.close[0]) + 0.25, 7.0))  # fmt: skip
    settle(qtbot, chart)
    assert chart.volume_pane.shown and chart.volume_pane.view.isVisible()
    assert chart.volume_pane.view.height() > 0 and chart.price.view.height() < price_h
    assert chart.volume_pane.legend.text() == "Vol  7"
    chart.set_model(SeriesModel("X", "1m", "UTC", make_bars(100)))  # with volume: kept
    assert chart.volume_pane.shown


def test_a_month_of_days_in_a_grid_cell_has_more_than_one_label(make_chart, qtbot):
    """The daily chart of a 2x2 grid (262 px) showing February and a day of March had one
    label, "Mar 2012": February's tick sat at the view's edge and was left out, and the
    bars were placed as if they filled the view (not the room right of the last bar)."""
    days = np.datetime64("2012-01-31", "ns").astype(np.int64) + np.arange(31) * 86_400 * 10**9
    weekdays = days[(days // (86_400 * 10**9) + 3) % 7 < 5]  # Monday-based: 0..4
    bars = make_bars(len(weekdays))
    bars = Bars.from_arrays(weekdays, bars.open, bars.high, bars.low, bars.close, bars.volume)
    chart = make_chart(bars, timeframe="1d", width=340, height=330)
    chart.price.setXRange(-1, len(bars) + 8, padding=0)
    settle(qtbot, chart)
    labels = draw_specs(chart.time_axis).texts
    assert len(labels) >= 2 and "2012" in labels[0], labels


def test_a_jump_of_months_between_adjacent_bars_is_marked(make_chart, qtbot):
    from engine.gaps import gap_threshold_ns, long_gaps
    from widgets.overlays import describe_gap

    old = ticked(make_bars(300))
    later = ticked(make_bars(300, start_ns=int(old.ts_ns[-1]) + 400 * 86_400 * 10**9))
    chart = make_chart(concat([old, later]))
    assert chart.gaps.gap_ix.tolist() == [300]
    assert describe_gap(400 * 86_400 * 10**9) == "13 months"
    # Weekends and overnight breaks are not gaps; a fortnight without bars is.
    ts = np.array([0, 60, 2 * 86_400 + 60, 2 * 86_400 + 120, 17 * 86_400], dtype=np.int64) * 10**9
    assert long_gaps(ts, gap_threshold_ns("1m")).tolist() == [4]
    assert gap_threshold_ns("1w") == 70 * 86_400 * 10**9
    chart.price.setXRange(250, 350, padding=0)
    settle(qtbot, chart)
    colour = QtGui.QColor(DARK.foreground).name()
    image = chart.grab().toImage()
    at = chart.mapFromScene(chart.price.view.mapViewToScene(QtCore.QPointF(299.5, 0)))
    column = {image.pixelColor(at.x(), y).name() for y in range(40, 300)}
    assert colour in column  # the dashed line is drawn there
    chart.model.append(ticked(make_bars(5, start_ns=int(later.ts_ns[-1]) + 30 * 86_400 * 10**9)))
    assert chart.gaps.gap_ix.tolist() == [300, 600]


def test_a_hole_in_the_sessions_is_marked_with_the_session_time_it_lasted(make_chart, qtbot):
    """The terminal closed for half an hour of ES's session: the bar axis closed the hole up
    and nothing said so (a label of 21:49 among 21:00 and 22:00 hinted at it). Nights, the
    daily break and weekends are no holes."""
    from engine.gaps import hole_threshold_ns, session_holes
    from engine.sessions import calendar
    from widgets.overlays import describe_gap

    cme = calendar("cme-globex")
    grid = T0_NS + np.arange(6 * 1440, dtype=np.int64) * NS_PER_MIN  # Tue to Sun, minutes
    ts = grid[cme.is_in_session(grid)]
    cut = int(np.searchsorted(ts, T0_NS + 40 * 60 * NS_PER_MIN))  # 45 minutes gone, and
    ts = np.concatenate((ts[:cut], ts[cut + 45 : cut + 500], ts[cut + 502 :]))  # two
    holes, held = session_holes(ts, cme, "1m")
    # the reference: session minutes between each bar's end and the next bar's start
    inside = cme.is_in_session(grid)
    minute = {int(t): k for k, t in enumerate(grid.tolist())}
    between = np.array([inside[minute[int(a)] + 1 : minute[int(b)]].sum()
                        for a, b in itertools.pairwise(ts)])  # fmt: skip
    want = np.flatnonzero(between * NS_PER_MIN > hole_threshold_ns("1m")) + 1
    assert holes.tolist() == want.tolist() == [cut]
    assert held.tolist() == [45 * NS_PER_MIN] and describe_gap(45 * NS_PER_MIN) == "45 min"
    assert describe_gap(5 * 3600 * 10**9) == "5 h" and describe_gap(5400 * 10**9) == "1.5 h"
    bars = make_bars(len(ts))
    bars = Bars.from_arrays(ts, bars.open, bars.high, bars.low, bars.close, bars.volume)
    chart = make_chart(bars, tz="America/Chicago", calendar="cme-globex", width=1000)
    assert chart.gaps.gap_ix.tolist() == [cut]
    chart.price.setXRange(cut - 100, cut + 100, padding=0)
    settle(qtbot, chart)
    colour = QtGui.QColor(DARK.foreground).name()
    image = chart.grab().toImage()
    at = chart.mapFromScene(chart.price.view.mapViewToScene(QtCore.QPointF(cut - 0.5, 0)))
    assert colour in {image.pixelColor(x, y).name() for x in (at.x() - 1, at.x(), at.x() + 1)
                      for y in range(40, 300)}  # fmt: skip
    # history in front keeps the hole where it is; bars appended after another hole add it
    chart.model.prepend(make_bars(10, start_ns=int(ts[0]) - 3 * 3600 * 10**9))
    assert chart.gaps.gap_ix.tolist()[-1] == cut + 10
    later = int(ts[-1]) + 2 * 3600 * 10**9  # Sunday 19:59 in Chicago, two hours on
    assert cme.is_in_session(np.array([int(ts[-1]), later])).all()
    chart.model.append(make_bars(3, start_ns=later))
    assert chart.gaps.gap_ix.tolist()[-1] == len(ts) + 10


def test_holes_side_by_side_share_a_label_that_says_them_all(make_chart, qtbot):
    """The demo's BTCUSD: half an hour without bars, one bar, then an hour and a half: the
    label said "gap 30 min", the longer hole's line beside it had none."""
    from widgets.overlays import GapMarkers

    bars = make_bars(400)
    ts = bars.ts_ns.copy()
    ts[200:] += 30 * NS_PER_MIN  # a hole of 30 minutes before bar 200
    ts[201:] += 90 * NS_PER_MIN  # and one of 90 before bar 201
    bars = Bars.from_arrays(ts, bars.open, bars.high, bars.low, bars.close, bars.volume)
    chart = make_chart(bars, calendar="24x7", width=1000)
    assert chart.gaps.gap_ix.tolist() == [200, 201]
    chart.price.setXRange(100 - 0.5, 300 - 0.5, padding=0)
    settle(qtbot, chart)
    chart.grab()
    assert chart.gaps.labels_drawn == ["2 gaps, 2 h"]
    chart.price.setXRange(195 - 0.5, 205 - 0.5, padding=0)  # zoomed in, each has its own
    settle(qtbot, chart)
    chart.grab()
    assert chart.gaps.labels_drawn == ["gap 30 min", "gap 1.5 h"]
    assert GapMarkers.labels([0.0, 50.0, 100.0], [1, 2, 3]) == [
        (0.0, "2 gaps, 0 min"),
        (100.0, "gap 0 min"),
    ]


def test_last_price_tag_follows_the_view_after_another_series_is_shown(make_chart, qtbot):
    """Showing another timeframe or symbol (a new model) used to close the tag: it stayed
    where it was through every pan, zoom and tick after (22 px off the price in a grid
    cell switched from 1m to 1h, the same close)."""
    bars = ticked(make_bars(3000))
    chart = make_chart(bars)
    settle(qtbot, chart)
    hourly = SeriesModel("X", "1h", "UTC", resample(bars, "1h", "24x7"))
    assert hourly.bars.close[-1] == bars.close[-1]
    chart.set_model(hourly)
    settle(qtbot, chart)

    def off_px(price: float) -> float:
        y = chart.price.view.mapViewToScene(QtCore.QPointF(0, price)).y()
        return abs(chart.last_price.tag.sceneBoundingRect().center().y() - y)

    assert off_px(hourly.bars.close[-1]) < 1
    chart.pan(-0.02)
    chart.zoom(0.5)
    settle(qtbot, chart)
    assert off_px(hourly.bars.close[-1]) < 1
    last = len(hourly) - 1
    b = hourly.bars
    price = float(b.low[last])
    hourly.update_last((b.ts_ns[last], b.open[last], b.high[last], price, price, b.volume[last]))
    settle(qtbot, chart)
    assert off_px(price) < 1


def test_last_price_tag_sits_on_the_price_axis_clear_of_the_candles(make_chart, qtbot):
    bars = ticked(make_bars(500))
    chart = make_chart(bars)
    settle(qtbot, chart)
    tag = chart.last_price.tag
    axis = chart.price.value_axis
    close = bars.close[-1]
    rect = tag.sceneBoundingRect()
    assert axis.sceneBoundingRect().contains(rect)  # on the axis...
    assert not rect.intersects(chart.price.view.sceneBoundingRect())  # ...not over the bars
    y = chart.price.view.mapViewToScene(QtCore.QPointF(0, close)).y()
    assert rect.top() <= y <= rect.bottom()  # at the price's height
    assert tag._text == f"{close:.2f}"
    # A tick moves it; the axis repaints (from its specs) only when the labels the tag
    # covers change: a label under the tag is not drawn, one clear of it is.
    painted = []
    original = type(axis).paint
    axis.paint = lambda *a: (painted.append(1), original(axis, *a))
    last = len(bars) - 1
    for price in (bars.low[last], bars.low[last] + 1e-9):  # a move, then one of a hair
        chart.model.update_last((bars.ts_ns[last], bars.open[last], bars.high[last],
                                 bars.low[last], price, bars.volume[last]))  # fmt: skip
        QtWidgets.QApplication.processEvents()
    y = chart.price.view.mapViewToScene(QtCore.QPointF(0, bars.low[last])).y()
    band = tag.sceneBoundingRect()
    assert band.top() <= y <= band.bottom()
    assert len(painted) <= 1  # the hair's move repainted nothing
    # a price right on a label's value: that label is covered, and it alone
    labels = axis.specs.labels()
    _, text = labels[len(labels) // 2]
    price = float(text.replace(",", ""))
    chart.model.update_last((bars.ts_ns[last], bars.open[last], max(bars.high[last], price),
                             min(bars.low[last], price), price, bars.volume[last]))  # fmt: skip
    QtWidgets.QApplication.processEvents()
    band = tag.sceneBoundingRect()
    covered = []
    hidden = axis._hidden_mask(axis.specs)
    for (rect, label), is_hidden in zip(axis.specs.labels(), hidden, strict=True):
        on_scene = axis.mapRectToScene(rect)
        under = on_scene.bottom() > band.top() and on_scene.top() < band.bottom()
        assert is_hidden == under
        covered += [label] * under
    assert covered == [text]


def test_ticks_repainting_their_strips_leave_the_picture_of_a_full_paint(make_chart, qtbot):
    """What a tick's partial repaints leave on screen (the window's backing store) equals a
    full paint of the chart: no stale segment of a line, legend or candle stays behind."""
    from engine import indicators as ind

    bars = ticked(make_bars(400))
    chart = make_chart(bars)
    chart.add_indicator("sma-1", {"sma": ind.sma(bars.close, 5)}, own_pane=False, title="SMA 5")
    chart.add_indicator("rsi-1", {"rsi": ind.rsi(bars.close, 14)}, own_pane=True, title="RSI")
    settle(qtbot, chart)
    last = len(bars) - 1
    close = bars.close.copy()
    for step in range(1, 6):
        price = round(bars.close[last] + 0.03 * step, 2)
        close[last] = price
        chart.model.update_last((bars.ts_ns[last], bars.open[last], max(bars.high[last], price),
                                 bars.low[last], price, bars.volume[last] + step))  # fmt: skip
        chart.update_indicator_last("sma-1", {"sma": ind.sma(close, 5)[-1]}, last)
        chart.update_indicator_last("rsi-1", {"rsi": ind.rsi(close, 14)[-1]}, last)
        qtbot.wait(5)
    qtbot.wait(50)
    screen = QtGui.QGuiApplication.primaryScreen()
    on_screen = screen.grabWindow(chart.winId()).toImage()
    full = chart.grab().toImage().convertToFormat(on_screen.format())
    assert on_screen.size() == full.size()
    assert on_screen == full


def test_percent_scale_labels_change_from_the_first_bar_in_view(make_chart, qtbot):
    from widgets.chart import PriceScale

    bars = ticked(make_bars(2000))
    chart = make_chart(bars)
    chart.set_price_scale(PriceScale.PERCENT)
    chart.price.setXRange(999.5, 1199.5, padding=0)
    settle(qtbot, chart)
    axis = chart.price.value_axis
    base = bars.close[1000]
    assert axis.percent_base == base
    texts = axis_labels(axis)
    labels = [text for _, text in texts]
    assert labels and all(label.endswith("%") for label in labels)
    for rect, text in texts:  # each label sits at the price it names
        price = chart.price.view.mapSceneToView(axis.mapToScene(rect.center())).y()
        percent = float(text[:-1])
        assert (price / base - 1) * 100 == pytest.approx(percent, abs=0.02 * 100 / base + 0.05)
    chart.pan(-0.5)  # a new first bar, a new base
    assert axis.percent_base == bars.close[math.ceil(chart.visible_range()[0])]
    # New bars under the same view (the team store's newer version, a reload): the base
    # is the new first bar's close; so after another series is shown.
    other = ticked(make_bars(2000, seed=5))
    chart.model.set_bars(other)
    settle(qtbot, chart)
    assert axis.percent_base == other.close[math.ceil(chart.visible_range()[0])]
    chart.set_model(SeriesModel("Y", "1m", "UTC", bars))
    settle(qtbot, chart)
    assert axis.percent_base == bars.close[math.ceil(chart.visible_range()[0])]
    chart.set_price_scale(PriceScale.LINEAR)
    assert axis.percent_base is None
    assert not any(text.endswith("%") for text in draw_specs(axis).texts)


def test_time_labels_never_overlap(make_chart, qtbot):
    """Hourly bars over days, daily over months: the labels drawn do not touch."""
    hours = ticked(make_bars(24 * 30, step_ns=3600 * 10**9))  # from Tuesday 2024-01-02
    weekday = (hours.ts_ns // (86_400 * 10**9) + 3) % 7  # Monday = 0
    hour = hours.ts_ns // (3600 * 10**9) % 24
    # Friday closes early and Sunday evening opens: two day labels only 18 bars apart.
    trading = (weekday < 4) | ((weekday == 4) & (hour < 18)) | ((weekday == 6) & (hour >= 23))
    hourly = Bars.from_arrays(*(c[trading] for c in hours.columns().values()))
    for timeframe, bars in (("1h", hourly),
                            ("1d", ticked(make_bars(400, step_ns=86_400 * 10**9)))):  # fmt: skip
        model = SeriesModel("X", timeframe, "UTC", bars)
        chart = ChartWidget(model, DARK)
        chart.resize(760, 400)
        qtbot.addWidget(chart)
        chart.show()
        qtbot.waitExposed(chart)
        for x0 in range(0, len(bars) - 180, 11):
            chart.price.setXRange(x0, x0 + 180, padding=0)
            settle(qtbot, chart)
            rects = sorted((r for r, _ in axis_labels(chart.time_axis)),
                           key=lambda r: r.left())  # fmt: skip
            assert rects
            for a, b in itertools.pairwise(rects):
                assert a.right() + 5 < b.left(), (timeframe, x0)  # a gap between


def test_log_scale_draws_and_fits_the_logarithm_of_prices(make_chart, qtbot):
    from engine import indicators as ind
    from widgets.chart import PriceScale

    n = 600  # prices growing 100-fold: on the log scale a straight rise
    close = np.round(10.0 * 100.0 ** (np.arange(n) / (n - 1)), 2)
    open_ = np.concatenate(([close[0]], close[:-1]))
    ts = T0_NS + np.arange(n, dtype=np.int64) * NS_PER_MIN
    bars = Bars.from_arrays(ts, open_, np.maximum(open_, close) * 1.001,
                            np.minimum(open_, close) * 0.999, close, np.full(n, 5.0))  # fmt: skip
    chart = make_chart(bars)
    chart.add_indicator("sma-1", {"sma": ind.sma(bars.close, 10)}, own_pane=False)
    chart.set_price_scale(PriceScale.LOG)
    chart.price.setXRange(-0.5, n - 0.5, padding=0)
    settle(qtbot, chart)
    (_, _), (y0, y1) = chart.price.view.viewRange()
    lo, hi = math.log10(bars.low.min()), math.log10(bars.high.max())
    assert y0 <= lo and hi <= y1 and y1 - y0 <= 2 * (hi - lo)  # fitted in log units
    texts = axis_labels(chart.price.value_axis)
    assert len(texts) >= 3
    for rect, text in texts:  # each label at the log of the price it names
        y = chart.price.view.mapSceneToView(chart.price.value_axis.mapToScene(rect.center())).y()
        assert 10.0**y == pytest.approx(float(text), rel=0.03)
    chart.price.setXRange(290, 310, padding=0)
    settle(qtbot, chart)
    ix = 300  # a body is drawn at the log of its prices
    assert pixel(chart, ix, math.log10((bars.open[ix] + bars.close[ix]) / 2)) == DARK.up
    chart.price.setXRange(-0.5, n - 0.5, padding=0)
    line = chart.indicators["sma-1"][1]["sma"]
    assert line.dataBounds(1, orthoRange=(400, 500))[1] == pytest.approx(
        math.log10(np.nanmax(ind.sma(bars.close, 10)[400:501])))  # fmt: skip
    # A tick far above in view refits in log units too.
    last = n - 1
    chart.model.update_last((int(ts[last]), bars.open[last], bars.high[last] * 3, bars.low[last],
                             bars.high[last] * 3, 9.0))  # fmt: skip
    assert chart.price.view.viewRange()[1][1] >= math.log10(bars.high[last] * 3)
    assert chart.last_price.tag.sceneBoundingRect().center().y() == pytest.approx(
        chart.price.view.mapViewToScene(QtCore.QPointF(0, math.log10(bars.high[last] * 3))).y(),
        abs=2)  # fmt: skip
    chart.set_price_scale(PriceScale.LINEAR)
    settle(qtbot, chart)
    assert chart.price.view.viewRange()[1][1] >= bars.high[last] * 3


def test_log_scale_is_refused_for_prices_at_or_below_zero(make_chart):
    from widgets.chart import PriceScale

    bars = make_bars(100)
    cols = bars.columns()
    cols["low"] = cols["low"] - 200.0  # a spread series dips below zero
    chart = make_chart(Bars.from_arrays(*cols.values()))
    with pytest.raises(ValueError, match="log scale needs prices above zero"):
        chart.set_price_scale(PriceScale.LOG)
    assert chart.price_scale is PriceScale.LINEAR


def test_layered_boxes_follow_live_bars_without_redoing_every_span(make_chart, qtbot, monkeypatch):
    """A tick moved only the last box, yet every span was computed again over both series."""
    import widgets.multi as multi
    from engine.align import span_of

    base = make_bars(3000)
    chart = make_chart(base[:2000], cls=LayeredChart)
    hourly = resample(base, "1h", "24x7")
    shown = int(np.searchsorted(hourly.ts_ns, base.ts_ns[1999], side="right"))
    model = SeriesModel("X", "1h", "UTC", hourly[:shown])
    chart.set_layers({"1h": model})
    settle(qtbot, chart)
    layer = chart.layers["1h"]
    calls = []
    monkeypatch.setattr(multi, "span_of", lambda *a: calls.append(len(a[0])) or span_of(*a))
    for i in range(2000, 2300):  # a minute at a time, the hour bar forming alongside
        chart.model.append(base[i : i + 1])
        now = resample(base[: i + 1], "1h", "24x7")
        if len(now) > len(model):
            model.append(now[len(model) :])
        else:
            model.update_last(tuple(c[-1] for c in now.columns().values()))
    want_first, want_last = span_of(chart.model.column("ts_ns"), model.column("ts_ns"))
    assert np.array_equal(layer.first, want_first) and np.array_equal(layer.last, want_last)
    assert max(calls) <= 61  # each append looked at the last hour only, never all 2,300 bars
    ticks = len(calls)
    model.update_last(tuple(c[-1] for c in hourly[: len(model)].columns().values()))
    assert len(calls) == ticks  # a tick: no span computed


@pytest.mark.parametrize("view_bars", [300, 60_000])
def test_every_other_day_is_shaded_to_within_half_a_pixel(make_chart, qtbot, view_bars):
    bars = make_bars(60_000)  # 1m bars, about six weeks
    chart = make_chart(bars, width=1000)
    chart.price.setXRange(60_000 - view_bars, 60_000, padding=0)
    settle(qtbot, chart)
    days = bars.ts_ns // (24 * 60 * NS_PER_MIN)  # UTC days
    starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
    ends = np.r_[starts[1:], len(days)]
    odd = (days[starts] % 2) == 1
    want = {(int(a), int(b)) for a, b in zip(starts[odd], ends[odd], strict=True)}
    rows = chart.shading._rects.ndarray()
    got = {(round(x + 0.5), round(x + 0.5 + w)) for x, _, w, _ in rows.tolist()}
    bars_per_px = view_bars / chart.price.view.width()
    tolerance = max(0, int(bars_per_px / 2))  # half a pixel, in bars
    x0, x1 = chart.visible_range()
    lo, hi = max(0, math.floor(x0)), min(len(bars), math.ceil(x1))

    def in_view(intervals):  # the part of each interval in view
        return {(max(a, lo), min(b, hi)) for a, b in intervals if b > lo and a < hi}

    shown, drawn = in_view(want), in_view(got)
    assert shown and len(drawn) == len(shown)
    for a, b in shown:  # each shaded day in view is drawn, its edges within half a pixel
        assert any(abs(a - ga) <= tolerance and abs(b - gb) <= tolerance for ga, gb in drawn)
    if tolerance == 0:
        assert shown == drawn  # exact when a bar is half a pixel or more


def test_a_shaded_day_is_a_trading_day_of_the_instruments_calendar(make_chart, qtbot):
    """CME's trading day opens at 17:00 in Chicago (its daily bar starts there): a shaded
    day runs from one session's open to the next, not from local midnight, which split a
    session in two shades."""
    from engine.localtime import local_ns
    from engine.sessions import calendar

    grid = T0_NS + np.arange(5 * 1440, dtype=np.int64) * NS_PER_MIN  # five days of minutes
    ts = grid[calendar("cme-globex").is_in_session(grid)]
    bars = make_bars(len(ts))
    bars = Bars.from_arrays(ts, bars.open, bars.high, bars.low, bars.close, bars.volume)
    chart = make_chart(bars, tz="America/Chicago", calendar="cme-globex", width=1000)
    chart.price.setXRange(-0.5, len(ts) - 0.5, padding=0)
    settle(qtbot, chart)
    rows = chart.shading._rects.ndarray()
    assert len(rows) >= 2
    minute_of_day = (local_ns(ts, "America/Chicago") // NS_PER_MIN) % 1440
    edges = [round(x + 0.5) for x, _, w, _ in rows.tolist()]
    edges += [round(x + 0.5 + w) for x, _, w, _ in rows.tolist()]
    opens = {int(k) for k in np.flatnonzero(minute_of_day == 17 * 60)}
    assert all(k in opens or k in (0, len(ts)) for k in edges), sorted(edges)


def test_days_too_narrow_to_guide_are_not_shaded(make_chart, qtbot):
    """Six weeks of 1m bars: a day 24 px wide at 1,000 px is shaded, at 400 px (10 px a
    day, a barcode behind the candles) it is not."""
    bars = make_bars(60_000)
    shaded = []
    for width in (1000, 400):
        chart = make_chart(bars, width=width)
        chart.price.setXRange(0, 60_000, padding=0)
        settle(qtbot, chart)
        colour = chart.shading._brush.color().name()
        image = chart.grab().toImage()
        view = chart.price.view.mapRectToScene(chart.price.view.boundingRect()).toRect()
        row = int(view.top() + 5)  # above the candles: background or shading
        seen = {image.pixelColor(x, row).name() for x in range(view.left() + 2, view.right() - 2)}
        shaded.append(colour in seen)
    assert shaded == [True, False]


@pytest.mark.parametrize(("first", "stop", "unit_min"), [(0, 60_000, 1440), (30_000, 33_000, 60)])
def test_a_zoomed_out_time_axis_ticks_the_first_bar_of_each_period(make_chart, qtbot, first,
                                                                   stop, unit_min):  # fmt: skip
    """With more bars than the axis samples, a tick still sits on its period's first bar (a
    day's 00:00), not on the sampled bar after it."""
    bars = make_bars(60_000)  # 1m bars from midnight UTC
    chart = make_chart(bars, width=1000)
    axis = chart.time_axis
    values = axis.tickValues(first, stop, 900)[0][1]
    assert len(values) >= 3
    ts = bars.ts_ns[np.array(values, dtype=np.int64)]
    assert np.all(ts % (unit_min * NS_PER_MIN) == 0), axis.tickStrings(values, 1, 1)


def test_a_narrow_view_of_minutes_is_labelled_every_half_hour(qtbot):
    """A 2x2 grid's 1m chart, 90 bars in 180 px, had one time label: its ticks come from
    a span three views wide, which was spaced for a wide view (hours), and the half hours
    tried then were thinned back to hours."""
    axis = TimeAxisItem()
    end = int(np.datetime64("2006-02-27T22:00", "ns").astype(np.int64))
    ts = end - np.arange(600, 0, -1, dtype=np.int64) * NS_PER_MIN  # to 21:59
    axis.set_series(ts, "UTC")
    values = axis.tickValues(600 - 90 - 0.5, 600 - 0.5, 180)[0][1]
    labels = axis.tickStrings(values, 1.0, 1.0)
    assert "21:00" in labels and "21:30" in labels, labels
    wide = axis.tickValues(0 - 0.5, 600 - 0.5, 1200)[0][1]  # a wide view keeps its spacing
    assert np.all(np.diff(wide) * 1200 / 600 >= 90 * 0.75)


def test_a_daily_indicator_starts_again_each_trading_day(make_chart, qtbot):
    """A session VWAP was drawn as one line: yesterday's last value joined today's first by
    a segment, a move that never was (BTCPERP 5m at midnight, 37,700 to 38,550)."""
    bars = make_bars(3 * 1440, start_ns=T0_NS)  # three days of minutes, 24x7
    chart = make_chart(bars, calendar="24x7", width=900)
    day = np.repeat([100.0, 130.0, 90.0], 1440)  # each day's value, as a VWAP starts again
    chart.add_indicator("vwap-1", {"vwap": day}, False, title="VWAP", colours={"vwap": "#ff00ff"},
                        daily=True)  # fmt: skip
    line = chart.indicators["vwap-1"][1]["vwap"]
    assert chart._indicators.day_starts().tolist() == [1440, 2880]
    chart.price.setXRange(1440 - 30 - 0.5, 1440 + 30 - 0.5, padding=0)
    settle(qtbot, chart)
    image = chart.grab().toImage()

    def column_rows(ix: int) -> list[int]:
        at = chart.mapFromScene(chart.price.view.mapViewToScene(QtCore.QPointF(ix, 0)))
        return [y for y in range(image.height())
                if image.pixelColor(at.x(), y).name() == "#ff00ff"]  # fmt: skip

    y_of = [chart.mapFromScene(chart.price.view.mapViewToScene(QtCore.QPointF(1440, v))).y()
            for v in (100.0, 130.0)]  # fmt: skip
    between = column_rows(1439) + column_rows(1440)  # where a join would rise
    assert not [y for y in between if min(y_of) + 3 < y < max(y_of) - 3], "joined across days"
    assert column_rows(1430) and column_rows(1450)  # each day's line is drawn
    chart.update_indicator_last("vwap-1", {"vwap": 90.5}, 3 * 1440 - 1)  # a tick
    assert line._key is not None  # the path stays: a tick redraws its strip, not the line
    chart.model.append(make_bars(1, start_ns=T0_NS + 3 * 1440 * NS_PER_MIN))  # day four opens
    chart.update_indicator_last("vwap-1", {"vwap": 95.0}, 3 * 1440)
    assert line._breaks.tolist() == [1440, 2880, 4320]


def test_a_series_of_one_bar_is_dated_on_its_time_axis(make_chart, qtbot):
    """A trades file of a few seconds made one bar: its time axis had no label at all."""
    bar = make_bars(1, start_ns=int(np.datetime64("2021-01-08T00:00", "ns").astype(np.int64)))
    chart = make_chart(bar)
    settle(qtbot, chart)
    chart.grab()
    axis = chart.time_axis
    values = axis.tickValues(*chart.visible_range(), axis.geometry().width())[0][1]
    assert axis.tickStrings(values, 1.0, 1.0) == ["Jan 08 2021 00:00"]
    chart.price.setXRange(-0.6, 30, padding=0)  # the bar at the axis' left end
    settle(qtbot, chart)
    chart.grab()
    assert axis.specs.texts == ["Jan 08 2021 00:00"]  # drawn, slid within the axis
    assert axis.specs.left[0] >= axis.boundingRect().left()
    assert time_ticks(bar.ts_ns, 0, 1, 300, "UTC", days=True) == [(0, "Jan 08 2021")]


def test_go_to_centres_the_bar_of_a_time_loading_the_older_bars_back_to_it(make_chart, qtbot):
    """A time older than the loaded bars is read back to in one request, with a view's
    width of bars before it, and its bar centred at the same zoom; a time in a gap between
    bars goes to the next bar, one outside the series to its first or latest bar; the user
    moving the view before the bars come keeps the view where the user put it."""
    gap_ns = 3 * 60 * NS_PER_MIN  # three hours without a bar after bar 9,999
    bars = make_bars(30_000)
    bars = concat([bars[:10_000], make_bars(20_000, start_ns=int(bars.ts_ns[10_000]) + gap_ns)])
    chart = make_chart(bars[25_000:])
    asked = []

    def answer(model, ts_ns, before):
        asked.append((ts_ns, before))
        oldest = int(model.column("ts_ns")[0])
        start = max(0, int(np.searchsorted(bars.ts_ns, ts_ns, side="right")) - 1 - before)
        model.prepend(bars[start : int(np.searchsorted(bars.ts_ns, oldest))])

    chart.history_wanted_back_to.connect(answer)
    chart.price.setXRange(4_000, 4_200, padding=0)

    def centre_time():
        x0, x1 = chart.visible_range()
        assert x1 - x0 == pytest.approx(200)  # the zoom kept
        return int(chart.model.column("ts_ns")[round((x0 + x1) / 2)])

    target = int(bars.ts_ns[5_000]) + 30 * 10**9  # half a minute into bar 5,000
    chart.go_to(target)
    qtbot.waitUntil(lambda: centre_time() == bars.ts_ns[5_000])
    assert asked == [(target, 1000)] and len(chart.model) == 30_000 - 4_000
    chart.go_to(int(bars.ts_ns[9_999]) + gap_ns // 2)  # in the gap: the next bar
    assert centre_time() == bars.ts_ns[10_000]
    chart.go_to(int(bars.ts_ns[-1]) + NS_PER_MIN * 60)  # after the latest bar: in view,
    assert chart.navigation.is_visible(len(chart.model) - 1)  # as near the centre as the
    assert centre_time() > bars.ts_ns[-120]  # pan limits let it be
    chart.go_to(int(bars.ts_ns[2_000]))  # older again: asked for ...
    assert len(asked) == 2
    chart.price.setXRange(20_000, 20_200, padding=0)  # ... but the user moved on
    qtbot.wait(20)
    assert chart.visible_range() == (20_000, 20_200)
    chart.go_to(int(bars.ts_ns[0]) - NS_PER_MIN)  # before the first stored bar: asked
    # back to it, then again, and an empty page says there are no more
    qtbot.waitUntil(lambda: chart.model.history_complete and chart.navigation.going_to is None)
    assert len(asked) == 4
    assert chart.navigation.is_visible(0) and centre_time() < bars.ts_ns[120]
    assert chart.model.bars.equals(bars)


def test_home_and_go_to_follow_whichever_was_asked_last(make_chart, qtbot):
    """Home, then a date before Home reached the first bar: the date is shown, and Home's
    next page does not take the view back to the oldest bars; and the other way round."""
    bars = make_bars(30_000)
    chart = make_chart(bars[24_000:])
    requests = []
    chart.history_wanted.connect(lambda model: requests.append(("page", model)))
    chart.history_wanted_back_to.connect(lambda m, ts, n: requests.append(("back", m, ts, n)))

    def answer():  # the store answers the requests in turn
        while requests:
            kind, model, *rest = requests.pop(0)
            oldest = int(np.searchsorted(bars.ts_ns, model.column("ts_ns")[0]))
            if kind == "page":
                model.prepend(bars[max(0, oldest - 2_000) : oldest])
            else:
                start = int(np.searchsorted(bars.ts_ns, rest[0], side="right")) - 1 - rest[1]
                model.prepend(bars[max(0, start) : oldest])
            qtbot.wait(10)

    target = int(bars.ts_ns[20_000])
    chart.show_oldest()
    chart.go_to(target)
    answer()
    x0, x1 = chart.visible_range()
    assert chart.model.column("ts_ns")[round((x0 + x1) / 2)] == target
    chart.go_to(int(bars.ts_ns[5_000]))
    chart.show_oldest()
    answer()
    qtbot.waitUntil(lambda: chart.model.history_complete or not requests)
    answer()
    assert chart.visible_range()[0] < 0 < chart.visible_range()[1]  # the first bar in view


def test_the_crosshair_tags_its_value_and_its_bars_time_on_the_axes(make_chart, qtbot):
    """Over a pane, the value under the crosshair is tagged on that pane's axis (a price to
    the series' decimals, hiding the labels under it; a volume as the volume axis writes
    it) and the bar's time in full on the time axis; leaving the chart takes them off."""
    from widgets.crosshair import bar_time_text

    bars = make_bars(3000)
    chart = make_chart(bars)
    settle(qtbot, chart)
    cross = chart.crosshair
    view = chart.price.view
    (_, _), (y0, y1) = view.viewRange()
    price = round((y0 + y1) / 2, 2)
    cross._on_mouse_moved((view.mapViewToScene(QtCore.QPointF(2950, price)),))
    tag = cross._value_tags[chart.price]
    assert tag._text == f"{price:.4f}"  # make_bars' prices have four decimals
    assert chart.price.value_axis.value_text(10404.914) == "10,404.9140"  # as the last price's
    axis_y = chart.price.value_axis.mapFromScene(view.mapViewToScene(QtCore.QPointF(0, price)))
    assert tag.mapToParent(tag.boundingRect().center()).y() == pytest.approx(axis_y.y(), abs=1)
    assert chart.price.value_axis._reserved["crosshair"]  # its labels under the tag hidden
    chart.price.scale_y(0.8, anchor=y0)  # the scale moves under a still mouse: the tag goes
    axis_y = chart.price.value_axis.mapFromScene(view.mapViewToScene(QtCore.QPointF(0, price)))
    assert tag.mapToParent(tag.boundingRect().center()).y() == pytest.approx(axis_y.y(), abs=1)
    chart.price.restore_fit()
    time_tag = cross._time_tag
    assert time_tag.isVisible() and time_tag.text == bar_time_text(chart.model, 2950)
    assert time_tag.text == "Thu 04 Jan 2024 01:10"
    x = time_tag.mapToScene(time_tag.boundingRect().center()).x()
    assert x == pytest.approx(view.mapViewToScene(QtCore.QPointF(2950, 0)).x(), abs=1)
    volume_view = chart.volume_pane.view
    cross._on_mouse_moved((volume_view.mapViewToScene(QtCore.QPointF(2950, 5.0)),))
    volume_axis = chart.volume_pane.value_axis
    assert cross._value_tags[chart.volume_pane]._text == volume_axis.value_text(5.0)
    assert not chart.price.value_axis._reserved["crosshair"]  # the price tag left its axis
    cross.hide()
    assert not time_tag.isVisible() and not chart.volume_pane.value_axis._reserved["crosshair"]
    from widgets.chart import PriceScale

    chart.set_price_scale(PriceScale.LOG)  # a price still, from its log
    settle(qtbot, chart)
    cross._on_mouse_moved((view.mapViewToScene(QtCore.QPointF(2950, math.log10(price))),))
    assert cross._value_tags[chart.price]._text == f"{price:.4f}"
    chart.set_price_scale(PriceScale.PERCENT)  # the percent from the base, as labelled
    settle(qtbot, chart)
    base = chart.price.value_axis.percent_base
    cross._on_mouse_moved((view.mapViewToScene(QtCore.QPointF(2950, price)),))
    assert cross._value_tags[chart.price]._text == f"{(price - base) * 100 / base:.2f}%"
    days = SeriesModel("X", "1d", "UTC", make_bars(30, step_ns=86_400 * 10**9))
    assert bar_time_text(days, 2) == "Thu 04 Jan 2024"  # a day's bar: its date
