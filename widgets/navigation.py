"""Where a chart's x range goes: the latest bars at first and while they are followed, the
same bars when older history is prepended, keys and Home/End, a date gone to, the pan and
zoom limits, and the request for more history near the oldest loaded bar."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import numpy as np
from PySide6 import QtCore

from engine.bar_x import nominal_period_ns
from engine.timeframes import is_intraday

if TYPE_CHECKING:
    from widgets.chart import ChartWidget

MIN_VISIBLE_BARS = 10
INITIAL_VISIBLE_BARS = 150
RIGHT_PAD_BARS = 8
EDGE_MARGIN_BARS = 50
PAN_FRACTION = 0.1
ZOOM_STEP = 0.8


class RangePolicy:
    """The x range of one chart (its price pane's; the other panes are linked to it)."""

    def __init__(self, chart: ChartWidget) -> None:
        self._chart = chart
        self.history_pending = False
        self._arranging = False  # our own range changes are not the user scrolling
        self.to_first = False  # Home: on to the first stored bar as older pages load
        self.going_to: int | None = None  # a time (ns) whose older bars are being loaded

    @contextlib.contextmanager
    def _arranging_view(self):
        self._arranging = True
        try:
            yield
        finally:
            self._arranging = False

    def _set(self, x0: float, x1: float) -> None:
        self._chart.price.setXRange(x0, x1, padding=0)

    def visible_range(self) -> tuple[float, float]:
        return tuple(self._chart.price.view.viewRange()[0])

    def is_visible(self, ix: int) -> bool:
        """Whether bar `ix` is (at least half) in view."""
        x0, x1 = self.visible_range()
        return x0 - 0.5 <= ix <= x1 + 0.5

    def show_latest(self, bars: int = INITIAL_VISIBLE_BARS) -> None:
        n = len(self._chart.model)
        self._set(max(n - bars, -1), n + RIGHT_PAD_BARS)

    def show_oldest(self) -> bool:
        """The oldest loaded bars, and on to the first stored bar: each older page that
        comes is shown from its oldest bar (a view that stayed on the same bars would land a
        page later than the start of the series). True: ask for older history now."""
        x0, x1 = self.visible_range()
        with self._arranging_view():
            self._set(-1, x1 - x0 - 1)
        self.going_to = None  # Home asked for after a date: Home
        self.to_first = not self._chart.model.history_complete
        if not self.to_first or self.history_pending:  # done, or a page is on its way
            return False
        self.history_pending = True
        return True

    def show_time(self, ts_ns: int) -> bool:
        """Centre the view, at its zoom, on the bar holding `ts_ns` (in a gap between bars,
        the next bar; before the first bar or after the last, that bar). True: the bars back
        to it are not loaded yet: ask for them (`going_to` keeps the time until they come
        and the chart shows it, or the user moves the view)."""
        model = self._chart.model
        n = len(model)
        self.to_first = False  # a date asked for after Home: the date
        if n == 0:
            return False
        ts = model.column("ts_ns")
        if ts_ns < ts[0] and not model.history_complete:
            self.going_to = ts_ns
            return True
        self.going_to = None
        ix = int(np.searchsorted(ts, ts_ns, side="right")) - 1
        if ix < 0 or (ts_ns >= int(ts[ix]) + nominal_period_ns(model.timeframe) and ix < n - 1):
            ix += 1  # before the first bar, or in a gap after bar ix
        x0, x1 = self.visible_range()
        half = (x1 - x0) / 2
        with self._arranging_view():
            self._set(ix - half, ix + half)
        return False

    def pan(self, fraction: float) -> None:
        x0, x1 = self.visible_range()
        shift = (x1 - x0) * fraction
        self._set(x0 + shift, x1 + shift)

    def zoom(self, factor: float) -> None:
        """Scale the visible width by `factor`, keeping the right edge in place."""
        x0, x1 = self.visible_range()
        self._set(x1 - (x1 - x0) * factor, x1)

    def key_action(self, key):
        """What a key does to the view (None: nothing)."""
        keys = QtCore.Qt.Key
        return {
            keys.Key_Left: lambda: self.pan(-PAN_FRACTION),
            keys.Key_Right: lambda: self.pan(PAN_FRACTION),
            keys.Key_Up: lambda: self.zoom(ZOOM_STEP),
            keys.Key_Down: lambda: self.zoom(1 / ZOOM_STEP),
            keys.Key_Home: self._chart.show_oldest,
            keys.Key_End: self.show_latest,
        }.get(key)

    def _update_limits(self) -> None:
        chart = self._chart
        n = len(chart.model)
        days = not is_intraday(chart.model.timeframe)
        chart.time_axis.set_series(*chart.model.label_times(), days=days)
        for pane in chart.panes.values():
            pane.view.setLimits(
                xMin=-EDGE_MARGIN_BARS,
                xMax=n + EDGE_MARGIN_BARS,
                minXRange=MIN_VISIBLE_BARS,
                maxXRange=n + 2 * EDGE_MARGIN_BARS,
            )

    # -- the model's changes -----------------------------------------------------------------

    def on_reset(self) -> None:
        with self._arranging_view():
            self._update_limits()
            self.show_latest()
        self.history_pending = self.to_first = False
        self.going_to = None

    def on_prepended(self, count: int) -> None:
        """Older bars came in front: the view stays on the same bars (on Home's way to the
        first bar, the chart then shows the oldest again: `to_first`); a view of a short
        series that held all its bars (a new series, its history coming after its first
        live bar) shows the latest bars, as at the start."""
        if count:
            x0, x1 = self.visible_range()
            before = len(self._chart.model) - count
            with self._arranging_view():
                self._update_limits()
                if _short(before, x0, x1) and not self.to_first:
                    self.show_latest()
                else:
                    self._set(x0 + count, x1 + count)
        self.history_pending = False

    def on_appended(self, first_ix: int) -> None:
        """New bars: a view following the latest bars keeps following; a view of a short
        series that held all its bars (none: a series new to the store, its last day coming
        at once) shows the latest bars, as at the start."""
        x0, x1 = self.visible_range()
        self._update_limits()
        added = len(self._chart.model) - first_ix
        if x1 >= first_ix - 1:
            with self._arranging_view():
                if _short(first_ix, x0, x1):
                    self.show_latest()
                else:
                    self._set(x0 + added, x1 + added)

    def on_x_range_changed(self, x0: float, x1: float) -> bool:
        """Whether to ask for older history: the user came within a screen width of the
        oldest loaded bar and more may exist (asked once until it comes)."""
        if self._arranging:
            return False
        self.to_first = False  # the user moved the view
        self.going_to = None
        if self.history_pending or self._chart.model.history_complete:
            return False
        if x0 < x1 - x0:
            self.history_pending = True
            return True
        return False


def _short(n: int, x0: float, x1: float) -> bool:
    """Whether a view (x0, x1) held all of a series of `n` bars, fewer than a first view
    shows: one the chart sized to its few bars, not one the user zoomed out on."""
    return n < INITIAL_VISIBLE_BARS and x0 <= 0 and x1 >= n - 1
