"""Compare: another symbol over the price pane as its change from the first bar in view,
starting where the chart's series does, in its own colour with its own legend row."""

import math

import numpy as np
import pytest
from PySide6 import QtCore

from tests.conftest import NS_PER_MIN, T0_NS, make_bars
from tests.test_chart_fit import drag, view_centre
from widgets.chart import ChartWidget, PriceScale
from widgets.compare import closes_at
from widgets.series_model import SeriesModel
from widgets.theme import DARK


def test_closes_at_the_charts_times_against_a_loop():
    rng = np.random.default_rng(0)
    other_ts = np.sort(rng.choice(np.arange(1000), 300, replace=False)).astype(np.int64)
    other_close = rng.uniform(1, 2, 300)
    ts = np.arange(-10, 1100, dtype=np.int64)
    got = closes_at(ts, other_ts, other_close)
    for t, value in zip(ts.tolist(), got.tolist(), strict=True):
        before = [c for s, c in zip(other_ts.tolist(), other_close.tolist(), strict=True)
                  if s <= t]  # fmt: skip
        want = before[-1] if before else math.nan
        assert value == want or (math.isnan(value) and math.isnan(want))


@pytest.fixture
def chart(qtbot):
    bars = make_bars(5000, seed=1)
    chart = ChartWidget(SeriesModel("AAA", "1m", "UTC", bars), DARK)
    chart.resize(1000, 700)
    qtbot.addWidget(chart)
    chart.show()
    qtbot.waitExposed(chart)
    return chart


def first_in_view(chart) -> int:
    x0, _ = chart.visible_range()
    return min(max(math.ceil(x0), 0), len(chart.model) - 1)


def check_drawn(chart, line, other_close):
    """The line starts at the chart's close at the first bar in view, and goes on as the
    other symbol's changes from there; the pane's y range holds it."""
    b = first_in_view(chart)
    main_close = chart.model.column("close")
    ys = line.price_map.array(line.values)
    want = chart.price_map.array(main_close[b] * other_close / other_close[b])
    np.testing.assert_allclose(ys, want, rtol=1e-12)
    x0, x1 = chart.visible_range()
    seen = ys[max(0, math.ceil(x0)) : math.floor(x1) + 1]
    (_, _), (y0, y1) = chart.price.view.viewRange()
    assert y0 <= np.nanmin(seen) and np.nanmax(seen) <= y1


def test_a_compared_currency_is_written_to_its_own_decimals(chart, qtbot):
    """GBP/USD compared: its legend said 1.592 (four digits), not 1.59208."""
    other = make_bars(5000, seed=9)
    line = chart.add_compare("GBPUSD", other.ts_ns, np.round(1.59 + other.close / 1e4, 5))
    text, _ = line.legend_part(len(chart.model) - 1, None)
    assert text.startswith(f"{line.values[-1]:.5f} (")


def test_a_compared_symbol_starts_with_the_chart_at_the_first_bar_in_view(chart, qtbot):
    from widgets.legend import price_decimals

    other = make_bars(5000, seed=9)
    other_close = other.close * 30.0  # another price level altogether
    line = chart.add_compare("BBB", other.ts_ns, other_close)
    check_drawn(chart, line, other_close)
    row = next(r for r in chart.price.legend.rows if r.key == "compare:BBB")
    text, colour = row.values(len(chart.model) - 1)[0]
    b = first_in_view(chart)
    change = other_close[-1] / other_close[b] - 1
    assert text.endswith(f"({change:+.2%})") and colour == line.colour
    assert text.startswith(f"{other_close[-1]:,.{price_decimals(other_close)}f} ")
    # a pan moves the first bar in view, and the start with it
    centre = view_centre(chart, chart.price)
    drag(chart, centre, centre + QtCore.QPointF(300, 0))
    assert first_in_view(chart) != b
    check_drawn(chart, line, other_close)
    chart.set_price_scale(PriceScale.LOG)
    check_drawn(chart, line, other_close)
    # a tick of the compared symbol moves its last value
    chart.compare_tick("BBB", float(other_close[-1] * 1.01))
    assert line.values[-1] == pytest.approx(other_close[-1] * 1.01)
    chart.remove_compare("BBB")
    assert "BBB" not in chart.compares
    assert not [r for r in chart.price.legend.rows if r.key == "compare:BBB"]
    with pytest.raises(ValueError, match="AAA is the chart's own symbol"):
        chart.add_compare("AAA", other.ts_ns, other_close)


def test_a_compared_symbol_with_less_history_starts_at_its_first_bar(chart):
    other = make_bars(5000, seed=9)[4950:]  # the last 50 minutes only
    line = chart.add_compare("CCC", other.ts_ns, other.close)
    chart.price.setXRange(len(chart.model) - 500, len(chart.model))  # its start in view
    n = len(chart.model)
    assert np.isnan(line.values[: n - 50]).all() and np.isfinite(line.values[n - 50 :]).all()
    assert line.base_ix == n - 50
    assert line.price_map.array(line.values)[n - 50] == pytest.approx(
        chart.model.column("close")[n - 50])  # fmt: skip


def test_compare_in_the_window(qtbot, store, window, settings):
    """A comparison belongs to the symbol, as its drawings do: on every chart of it, kept
    across timeframes, layouts and runs, until cleared."""
    from app.controller import ChartController
    from app.main_window import MainWindow
    from data.feeds.kinds import FeedKind

    store.write_bars("AAA", "1m", make_bars(3000, seed=1))
    later = T0_NS + 1000 * NS_PER_MIN
    store.write_bars("BBB", "1m", make_bars(2000, start_ns=later, seed=2))  # AAA's last 2000
    store.write_bars("CCC", "1m", make_bars(3000, seed=3))
    store.write_bars("OLD", "1m", make_bars(100, start_ns=T0_NS - 400 * 86_400 * 10**9))

    def run(win):
        controller = ChartController(store, win, None, settings)
        controller.feed = FeedKind.OFF
        controller.start("AAA")
        return controller

    controller = run(window)
    try:
        assert not controller.surface.add_compare("ZZZ")
        assert "no bars of 'ZZZ' to compare with" in window.statusBar().currentMessage()
        assert not controller.surface.add_compare("OLD")  # a year before: it drew nothing
        assert "OLD has no bar in the span of AAA's (2024-01-02 00:00 to 2024-01-04 01:59 " \
            "UTC; OLD's are 2022-11-28 00:00 to 2022-11-28 01:39): nothing to compare" in (
            window.statusBar().currentMessage())  # fmt: skip
        assert controller.chart.compares == {}
        assert controller.surface.add_compare("BBB")
        line = controller.chart.compares["BBB"]
        assert np.isfinite(line.values).sum() == 2000
        controller.set_timeframe("1h")  # the comparison stays, of 1h bars
        hours = controller.chart.compares["BBB"].values
        assert len(hours) == len(controller.chart.model) == 50
        assert np.isfinite(hours).sum() == 34  # from 16:40, in the 16:00 bar, on
        controller.set_layout("grid")  # on every chart of AAA
        assert all(list(c.compares) == ["BBB"] for c in controller.charts)
        controller.set_layout("single")
        controller.show_symbol("CCC")  # another symbol: its own comparisons (none)
        assert controller.chart.compares == {}
        controller.show_symbol("AAA")
        assert list(controller.chart.compares) == ["BBB"]
        # the closed views' charts are no longer loaded with older history: one chart's
        links = controller.surface.comparisons._links
        assert [(m, f.args[0]) for m, f in links] == [(controller.chart.model, controller.chart)]
    finally:
        controller.close()
    again = MainWindow()  # the next run shows it again
    qtbot.addWidget(again)
    controller = run(again)
    try:
        assert list(controller.chart.compares) == ["BBB"]
        controller.surface.clear_compares()
        assert controller.chart.compares == {}
    finally:
        controller.close()
    store.delete_bars("CCC")
    settings.setValue("compares", '{"AAA": ["CCC"], "BBB": "garbled"}')
    last = MainWindow()  # a remembered symbol no longer stored: said and forgotten
    qtbot.addWidget(last)
    controller = run(last)
    try:
        assert controller.chart.compares == {}
        assert "comparison of AAA with CCC left out" in last.statusBar().currentMessage()
        assert settings.value("compares") == "{}"
    finally:
        controller.close()
