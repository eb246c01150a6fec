"""The chart views the main window shows: one chart, a chart with its higher timeframes
layered behind the candles, or a grid of charts of several timeframes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6 import QtCore

from app.live import LIVE_TIMEFRAMES
from widgets.chart import ChartWidget
from widgets.series_model import SeriesModel
from widgets.theme import Theme

LAYER_TIMEFRAMES = ("5m", "1h", "4h", "1d")


def make_view(
    layout: str, timeframes: list[str], model: Callable[[str], SeriesModel], theme: Theme
) -> tuple[object, list[ChartWidget]]:
    """(the view, its charts) of `layout` ("single", "layered" or "grid") over the models of
    `timeframes` (one, or one per grid chart) that `model(timeframe)` gives."""
    if layout in ("grid", "layered"):  # their alignment of timeframes is compiled code:
        from widgets.multi import LayeredChart, TimeframeGrid  # loaded when first shown

    if layout == "grid":
        grid = TimeframeGrid([model(tf) for tf in timeframes], theme)
        return grid, grid.charts
    tf = timeframes[0]
    if layout == "layered":
        chart = LayeredChart(model(tf), theme)
        higher = [t for t in LAYER_TIMEFRAMES
                  if LIVE_TIMEFRAMES.index(t) > LIVE_TIMEFRAMES.index(tf)]  # fmt: skip
        chart.set_layers({t: model(t) for t in higher})
        return chart, [chart]
    chart = ChartWidget(model(tf), theme)
    return chart, [chart]


def make_symbol_grid(models: list[SeriesModel], cols: int, theme: Theme):
    """(the view, its charts) of a grid of symbols: `models` row by row, `cols` a row, the
    crosshair's time shown in every chart."""
    from widgets.multi import TimeframeGrid

    grid = TimeframeGrid(models, theme, columns=cols)
    grid.show_spans(False)  # the time spans of other symbols' charts are no help here
    return grid, grid.charts


def when_painted(chart: ChartWidget | None, owner: QtCore.QObject, action, after_ms: int):
    """Run `action` once `chart` has painted (what it shows on screen first), or after
    `after_ms` if it does not (a hidden window, a view replaced before it painted)."""
    done = []

    def once(*_args) -> None:
        if done:
            return
        done.append(True)
        if chart is not None:  # no Python call on each paint from now on
            with contextlib.suppress(RuntimeError):  # a chart already deleted
                chart.painted.disconnect(once)
        QtCore.QTimer.singleShot(0, owner, action)  # once the paint is on screen

    if chart is not None:
        chart.painted.connect(once)
    QtCore.QTimer.singleShot(after_ms, owner, once)
