"""A chart: a price pane (candles) over a volume pane and any indicator panes, sharing the
bar-index x axis. Input: wheel zooms around the cursor, drag pans, arrows pan, up/down zoom,
Home/End jump to the oldest/latest bars, double-click resets. Near the oldest loaded bar the
chart asks for more history (`history_wanted`); whoever owns the store answers by prepending
to the model, and the view stays on the same bars."""

from __future__ import annotations

import contextlib
import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from widgets.candles import CandleItem, SeriesPair, VolumeItem
from widgets.crosshair import Crosshair
from widgets.indicator_items import LINE_COLOURS, HistogramItem, LineItem, StateBandItem
from widgets.overlays import DayShading, LastPriceLine
from widgets.pane import (
    INDICATOR_MARGINS,
    PRICE_MARGINS,
    VOLUME_MARGINS,
    Caption,
    Margins,
    Pane,
    style_axis,
)
from widgets.series_model import SeriesModel
from widgets.theme import DARK, Theme
from widgets.time_axis import TimeAxisItem

MIN_VISIBLE_BARS = 10
INITIAL_VISIBLE_BARS = 150
RIGHT_PAD_BARS = 8
EDGE_MARGIN_BARS = 50
PAN_FRACTION = 0.1
ZOOM_STEP = 0.8
DEFAULT_SIZE_PX = (960, 600)  # a chart shown on its own


class ChartWidget(pg.GraphicsView):
    """Linked panes over one SeriesModel, under a caption naming the series and over one
    time axis.

    Signals:
        history_wanted(SeriesModel): the view is near the oldest loaded bar; prepend older bars
            to the model (or an empty Bars when there are no more).
    """

    history_wanted = QtCore.Signal(object)
    painted = QtCore.Signal(float)  # a frame reached the screen; the paint took this many ms

    def __init__(self, model: SeriesModel, theme: Theme = DARK, parent=None) -> None:
        super().__init__(parent=parent, background=theme.background)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        # Nothing here is antialiased, so a repaint need not spread 2 px around each changed
        # item (it reached the history next to a forming bar on every tick).
        self.setOptimizationFlag(self.OptimizationFlag.DontAdjustForAntialiasing, True)
        # The background is one colour: filling it is as cheap as copying a cached pixmap of
        # it, and a new chart need not make that pixmap (3 ms of its first frame at 1600x900).
        self.setCacheMode(self.CacheModeFlag.CacheNone)
        self.model = model
        self.theme = theme
        self._history_pending = False
        self._arranging = False  # our own range changes are not the user scrolling
        self._layout = QtWidgets.QGraphicsGridLayout()
        self._layout.setContentsMargins(1, 1, 1, 1)
        self._layout.setSpacing(0)
        central = pg.GraphicsWidget()
        central.setLayout(self._layout)
        # pyqtgraph sizes the central item to the view's size now, the 640x480 default of a
        # new widget, and the panes would be laid out at that size and again at the real
        # one. At 0x0 they are laid out once, when the chart is given its size. (Unmarking
        # the resize keeps a chart shown on its own at its size hint.)
        self.resize(0, 0)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_Resized, False)
        self.setCentralItem(central)
        self.caption = Caption()
        self.time_axis = TimeAxisItem()
        style_axis(self.time_axis, theme)
        self.panes: dict[str, Pane] = {}
        self.indicators: dict[str, tuple[Pane, dict[str, object]]] = {}
        self.price = self.add_pane("price", stretch=4, margins=PRICE_MARGINS)
        self.volume_pane = self.add_pane("volume", stretch=1, margins=VOLUME_MARGINS)
        self.time_axis.linkToView(self.price.view)
        self.candles = SeriesPair(CandleItem, model, theme)
        self.volumes = SeriesPair(VolumeItem, model, theme)
        for item in self.candles.items:
            self.price.addItem(item)
        for item in self.volumes.items:
            self.volume_pane.addItem(item)
        self.shading = DayShading(model, theme)
        self.price.addItem(self.shading, ignoreBounds=True)
        self.last_price = LastPriceLine(model, theme)
        self.price.addItem(self.last_price, ignoreBounds=True)
        self.crosshair = Crosshair(self.scene(), list(self.panes.values()), model, theme)
        self.price.view.sigXRangeChanged.connect(self._on_x_range_changed)
        self._connect(model)
        self._show_caption()  # every part was made in the theme
        self._on_bars_reset()

    # -- panes -------------------------------------------------------------------------------

    def add_pane(self, name: str, stretch: int = 1, margins: Margins = INDICATOR_MARGINS) -> Pane:
        """A new pane below the others, x-linked to the price pane."""
        if name in self.panes:
            raise ValueError(f"there is already a pane {name!r}")
        pane = Pane(self.time_axis, self.theme, stretch, compact=name == "volume",
                    margins=margins)  # fmt: skip
        pane.view.reset_requested.connect(self.reset_view)
        if self.panes:
            pane.view.setXLink(self.price.view)
        self.panes[name] = pane
        if hasattr(self, "crosshair"):
            self.crosshair.add_plot(pane)
        self._arrange()
        return pane

    def remove_pane(self, name: str) -> None:
        if name in ("price", "volume"):
            raise ValueError(f"the {name} pane cannot be removed")
        pane = self.panes.pop(name)
        self.crosshair.remove_plot(pane)
        self._arrange()
        for item in (pane.view, pane.value_axis):
            self.scene().removeItem(item)

    def _arrange(self) -> None:
        """Caption, then each pane (its view and value axis side by side), then the time
        axis under the views."""
        layout = self._layout
        while layout.count():
            layout.removeAt(layout.count() - 1)
        layout.addItem(self.caption, 0, 0, 1, 2)
        row = 0
        for row, pane in enumerate(self.panes.values(), start=1):
            layout.addItem(pane.view, row, 0)
            layout.addItem(pane.value_axis, row, 1)
            layout.setRowStretchFactor(row, pane.stretch)
        layout.addItem(self.time_axis, row + 1, 0)
        layout.setRowStretchFactor(row + 1, 0)

    def _show_caption(self) -> None:
        """The series above the price pane (in a grid, which chart is which)."""
        self.caption.set_text(f"{self.model.symbol}  {self.model.timeframe}",
                              self.theme.foreground)  # fmt: skip

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setBackground(theme.background)
        self._show_caption()
        style_axis(self.time_axis, theme)
        for pane in self.panes.values():
            pane.set_theme(theme)
        for part in (self.candles, self.volumes, self.shading, self.last_price, self.crosshair):
            part.set_theme(theme)

    # -- the model ---------------------------------------------------------------------------

    def _model_slots(self, model: SeriesModel) -> list[tuple]:
        return [(model.bars_reset, self._on_bars_reset),
                (model.bars_prepended, self._on_bars_prepended),
                (model.bars_appended, self._on_bars_appended),
                (model.bars_corrected, self._on_bars_corrected),
                (model.last_bar_changed, self._on_last_bar_changed)]  # fmt: skip

    def _connect(self, model: SeriesModel) -> None:
        for signal, slot in self._model_slots(model):
            signal.connect(slot)

    def _disconnect(self, model: SeriesModel) -> None:
        for signal, slot in self._model_slots(model):
            signal.disconnect(slot)

    def set_model(self, model: SeriesModel) -> None:
        """Show another series (symbol or timeframe)."""
        self._disconnect(self.model)
        self.model = model
        for part in (self.candles, self.volumes, self.shading, self.last_price, self.crosshair):
            part.set_model(model)
        self._show_caption()
        self._connect(model)
        self._on_bars_reset()

    def _update_axes_and_limits(self) -> None:
        n = len(self.model)
        self.time_axis.set_series(self.model.column("ts_ns"), self.model.tz)
        for pane in self.panes.values():
            pane.view.setLimits(
                xMin=-EDGE_MARGIN_BARS,
                xMax=n + EDGE_MARGIN_BARS,
                minXRange=MIN_VISIBLE_BARS,
                maxXRange=n + 2 * EDGE_MARGIN_BARS,
            )

    @contextlib.contextmanager
    def _arranging_view(self):
        self._arranging = True
        try:
            yield
        finally:
            self._arranging = False

    def _on_bars_reset(self) -> None:
        with self._arranging_view():
            self._update_axes_and_limits()
            self.show_latest()
        self._history_pending = False

    def _on_bars_prepended(self, count: int) -> None:
        if count:
            (x0, x1), _ = self.price.view.viewRange()
            with self._arranging_view():
                self._update_axes_and_limits()
                self.price.setXRange(x0 + count, x1 + count, padding=0)
        self._history_pending = False

    def _on_bars_appended(self, first_ix: int) -> None:
        (x0, x1), _ = self.price.view.viewRange()
        self._update_axes_and_limits()
        added = len(self.model) - first_ix
        if x1 >= first_ix - 1:  # following the latest bars: keep following
            with self._arranging_view():
                self.price.setXRange(x0 + added, x1 + added, padding=0)

    def _on_bars_corrected(self, _ix: int) -> None:
        self.fit_panes()

    def _on_last_bar_changed(self) -> None:
        """A tick: a pane fits again only when the forming bar is in view and outside it."""
        ix = len(self.model) - 1
        if not self.is_visible(ix):
            return
        m = self.model
        self.price.contain(float(m.column("low")[ix]), float(m.column("high")[ix]))
        self.volume_pane.contain(0.0, float(m.column("volume")[ix]))

    def is_visible(self, ix: int) -> bool:
        """Whether bar `ix` is (at least half) in view."""
        x0, x1 = self.visible_range()
        return x0 - 0.5 <= ix <= x1 + 0.5

    def fit_panes(self) -> None:
        for pane in self.panes.values():
            pane.fit_y()

    def _on_x_range_changed(self, _viewbox, x_range) -> None:
        if self._arranging:
            return
        x0, x1 = x_range
        near_start = x0 < x1 - x0  # within a screen width of the oldest loaded bar
        if near_start and not self.model.history_complete and not self._history_pending:
            self._history_pending = True
            self.history_wanted.emit(self.model)

    # -- indicators --------------------------------------------------------------------------

    def add_indicator(
        self,
        key: str,
        outputs: dict[str, np.ndarray],
        own_pane: bool,
        kinds: dict[str, str] | None = None,
    ) -> None:
        """Show an indicator's outputs (arrays aligned with the bars): over the price, or in
        a pane of its own named `key`. `kinds` maps an output to "line" (default),
        "histogram" or "band"."""
        if key in self.indicators:
            raise ValueError(f"indicator {key!r} is already shown")
        pane = self.add_pane(key, stretch=1) if own_pane else self.price
        items = {}
        for k, (name, values) in enumerate(outputs.items()):
            kind = (kinds or {}).get(name, "line")
            if kind == "histogram":
                item = HistogramItem(values, self.theme)
            elif kind == "band":
                item = StateBandItem(values, self.theme)
            else:
                item = LineItem(values, LINE_COLOURS[k % len(LINE_COLOURS)])
            pane.addItem(item)
            items[name] = item
        self.indicators[key] = (pane, items)
        self.crosshair.extra_values[key] = lambda ix, key=key: self._readout(key, ix)

    def _readout(self, key: str, ix: int) -> str:
        _, items = self.indicators[key]
        values = "  ".join(f"{name} {item.values[ix]:.6g}" for name, item in items.items()
                           if ix < len(item.values))  # fmt: skip
        return f"{key}  {values}"

    def set_indicator_values(self, key: str, outputs: dict[str, np.ndarray]) -> None:
        pane, items = self.indicators[key]
        for name, values in outputs.items():
            items[name].set_values(values)
        pane.fit_y()

    def update_indicator_last(self, key: str, values: dict[str, float], ix: int | None = None):
        """The forming bar's (bar `ix`, default the last) indicator values changed (from the
        incremental forms)."""
        pane, items = self.indicators[key]
        for name, value in values.items():
            items[name].set_last(value, ix)
        shown = [v for v in values.values() if np.isfinite(v)]
        if shown and self.is_visible(len(self.model) - 1 if ix is None else ix):
            pane.contain(min(shown), max(shown))

    def remove_indicator(self, key: str) -> None:
        pane, items = self.indicators.pop(key)
        self.crosshair.extra_values.pop(key, None)
        if pane is self.price:
            for item in items.values():
                pane.removeItem(item)
        else:
            self.remove_pane(key)

    # -- navigation --------------------------------------------------------------------------

    def visible_range(self) -> tuple[float, float]:
        return tuple(self.price.view.viewRange()[0])

    def reset_view(self) -> None:
        """The latest bars, every pane fitted to them (a double-click)."""
        for pane in self.panes.values():
            pane.restore_fit()
        self.show_latest()

    def show_latest(self, bars: int = INITIAL_VISIBLE_BARS) -> None:
        n = len(self.model)
        self.price.setXRange(max(n - bars, -1), n + RIGHT_PAD_BARS, padding=0)

    def show_oldest(self) -> None:
        x0, x1 = self.visible_range()
        self.price.setXRange(-1, x1 - x0 - 1, padding=0)

    def pan(self, fraction: float) -> None:
        x0, x1 = self.visible_range()
        shift = (x1 - x0) * fraction
        self.price.setXRange(x0 + shift, x1 + shift, padding=0)

    def zoom(self, factor: float) -> None:
        """Scale the visible width by `factor`, keeping the right edge in place."""
        x0, x1 = self.visible_range()
        self.price.setXRange(x1 - (x1 - x0) * factor, x1, padding=0)

    def keyPressEvent(self, event) -> None:
        key = event.key()
        keys = QtCore.Qt.Key
        actions = {
            keys.Key_Left: lambda: self.pan(-PAN_FRACTION),
            keys.Key_Right: lambda: self.pan(PAN_FRACTION),
            keys.Key_Up: lambda: self.zoom(ZOOM_STEP),
            keys.Key_Down: lambda: self.zoom(1 / ZOOM_STEP),
            keys.Key_Home: self.show_oldest,
            keys.Key_End: self.show_latest,
        }
        action = actions.get(key)
        if action is None:
            super().keyPressEvent(event)
            return
        action()
        event.accept()

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(*DEFAULT_SIZE_PX)

    def paintEvent(self, event) -> None:
        started = time.perf_counter()
        super().paintEvent(event)
        self.painted.emit((time.perf_counter() - started) * 1000.0)

    def close(self) -> bool:
        self._disconnect(self.model)
        self.candles.close()
        self.volumes.close()
        self.last_price.close()
        self.crosshair.close()
        return super().close()
