"""A chart: a price pane (candles) over a volume pane and any indicator panes, sharing the
bar-index x axis. Input: wheel zooms around the cursor, drag pans, arrows pan, up/down zoom,
Home/End jump to the oldest/latest bars, double-click resets. Near the oldest loaded bar the
chart asks for more history (`history_wanted`); whoever owns the store answers by prepending
to the model, and the view stays on the same bars."""

from __future__ import annotations

import enum
import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from widgets.alert_levels import AlertLevels
from widgets.candles import CandleItem, SeriesPair, VolumeItem
from widgets.chart_indicators import ChartIndicators
from widgets.compare import CompareLine
from widgets.crosshair import Crosshair
from widgets.drawing_layer import DrawingLayer
from widgets.drawing_tools import DrawingTools, ask_note
from widgets.indicator_items import PALETTE
from widgets.legend import LegendRow, price_decimals
from widgets.measure import MeasureItem
from widgets.navigation import INITIAL_VISIBLE_BARS, MIN_VISIBLE_BARS, RangePolicy
from widgets.overlays import DayShading, GapMarkers, LastPriceLine
from widgets.pane import (
    INDICATOR_MARGINS,
    PRICE_MARGINS,
    VOLUME_MARGINS,
    Caption,
    Margins,
    Pane,
    style_axis,
)
from widgets.price_map import LINEAR, LOG, PriceMap
from widgets.series_legend import bar_parts, volume_parts
from widgets.series_model import SeriesModel
from widgets.theme import DARK, Theme
from widgets.time_axis import TimeAxisItem

__all__ = ["MIN_VISIBLE_BARS", "ChartWidget", "PriceScale"]
DEFAULT_SIZE_PX = (960, 600)  # a chart shown on its own
FORMING_VOLUME_HEADROOM = 0.5  # a forming bar's volume grows all through its period
SERIES_ROWS = ("bar", "volume")  # the legend rows of the series itself (not indicators)


class PriceScale(enum.Enum):
    LINEAR = "linear"  # prices
    PERCENT = "percent"  # change from the first bar in view (TradingView's percent scale)
    LOG = "log"  # logarithmic: equal percentage moves, equal heights


class ChartWidget(pg.GraphicsView):
    """Linked panes over one SeriesModel, under a caption naming the series and over one
    time axis.

    Signals:
        history_wanted(SeriesModel): the view is near the oldest loaded bar; prepend older bars
            to the model (or an empty Bars when there are no more).
        history_wanted_back_to(SeriesModel, int ts_ns, int bars): a time gone to is older
            than the loaded bars; prepend them back to the one holding it and `bars` more
            before it (an empty Bars when there are none).
        model_changed(SeriesModel): `set_model` put another series on the chart.
        focused(): the chart took the keyboard focus (a click, a tab).
        painted(float): a frame reached the screen; the paint took this many ms.
    """

    history_wanted = QtCore.Signal(object)
    history_wanted_back_to = QtCore.Signal(object, object, int)  # (ns exceed a C++ int)
    model_changed = QtCore.Signal(object)
    focused = QtCore.Signal()
    painted = QtCore.Signal(float)

    def __init__(self, model: SeriesModel, theme: Theme = DARK, parent=None) -> None:
        super().__init__(parent=parent, background=theme.background)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        # Nothing here is antialiased, so a repaint need not spread 2 px around each changed
        # item (it reached the history next to a forming bar on every tick).
        self.setOptimizationFlag(self.OptimizationFlag.DontAdjustForAntialiasing, True)
        # The background is one colour: filling it is as cheap as copying a cached pixmap of
        # it, and a new chart need not make that pixmap (3 ms of its first frame at 1600x900).
        self.setCacheMode(self.CacheModeFlag.CacheNone)
        # ... and it covers the viewport: Qt need not fill the viewport first (a second
        # 1600x900 fill a frame).
        self.viewport().setAutoFillBackground(False)
        self.viewport().setAttribute(QtCore.Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        # The viewport covers the whole chart (no frame, no scroll bars): a grab (a
        # screenshot) need not clear its pixmap first either.
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.model = model
        self.theme = theme
        self.navigation = RangePolicy(self)
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
        self.marked: bool | None = None
        self.price_scale = PriceScale.LINEAR
        self.time_axis = TimeAxisItem()
        style_axis(self.time_axis, theme)
        self.panes: dict[str, Pane] = {}
        self.compares: dict[str, CompareLine] = {}  # other symbols over the price, by symbol
        self._indicators = ChartIndicators(self)
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
        self.last_price = LastPriceLine(model, theme, self.price.value_axis)
        self.price.addItem(self.last_price, ignoreBounds=True)
        self.gaps = GapMarkers(model, theme)
        self.price.addItem(self.gaps, ignoreBounds=True)
        self.drawing_layer = DrawingLayer(model, theme, self.price.value_axis)
        self.price.addItem(self.drawing_layer, ignoreBounds=True)
        self.alert_levels = AlertLevels(model, theme)
        self.price.addItem(self.alert_levels, ignoreBounds=True)
        self.measure = MeasureItem(model, theme)
        self.price.addItem(self.measure, ignoreBounds=True)
        self.drawings = DrawingTools(self.drawing_layer, lambda: ask_note(self), self.measure)
        self.crosshair = Crosshair(self.scene(), list(self.panes.values()), model, theme,
                                   self.time_axis)  # fmt: skip
        self.crosshair.index_changed.connect(self._on_crosshair_index)
        self.decimals = 2
        self._add_series_rows()
        # Zoomed in or out to another level, the candle under the crosshair is another block:
        # the legends say so (with the crosshair away they tell the latest bar, unchanged).
        self.candles.lod.listeners.append(lambda: self._pointed_level_changed(self.price))
        self.volumes.lod.listeners.append(lambda: self._pointed_level_changed(self.volume_pane))
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
        pane.legend.close()
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
        for pane in self.panes.values():
            pane.view.setVisible(pane.shown)
            pane.value_axis.setVisible(pane.shown)
        for row, pane in enumerate((p for p in self.panes.values() if p.shown), start=1):
            layout.addItem(pane.view, row, 0)
            layout.addItem(pane.value_axis, row, 1)
            layout.setRowStretchFactor(row, pane.stretch)
        layout.addItem(self.time_axis, row + 1, 0)
        layout.setRowStretchFactor(row + 1, 0)

    def _show_caption(self) -> None:
        """The series above the price pane (in a grid, which chart is which, and the one
        marked as the active)."""
        marker = "\u25cf " if self.marked else ""
        colour = self.theme.foreground if self.marked is not False else self.theme.crosshair
        self.caption.set_text(f"{marker}{self.model.symbol}  {self.model.timeframe}", colour)

    def set_marked(self, marked: bool | None) -> None:
        """Mark the chart as the active one of several (True), one of the others (False),
        or neither (None, a chart on its own)."""
        self.marked = marked
        self._show_caption()

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        self.focused.emit()

    def leaveEvent(self, event) -> None:
        """The mouse left the chart: the crosshair goes, the legends show the latest bar."""
        super().leaveEvent(event)
        self.crosshair.hide()

    def _parts(self) -> tuple:
        """What draws the model, and follows its theme and series."""
        return (self.candles, self.volumes, self.shading, self.last_price, self.gaps,
                self.drawing_layer, self.alert_levels, self.crosshair,
                self.measure)  # fmt: skip

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setBackground(theme.background)
        self._show_caption()
        style_axis(self.time_axis, theme)
        for pane in self.panes.values():
            for row in pane.legend.rows:  # the series' rows are in the theme's colours
                if row.key in SERIES_ROWS:
                    row.colour = theme.foreground
            pane.set_theme(theme)
        for part in self._parts():
            part.set_theme(theme)

    # -- the model ---------------------------------------------------------------------------

    def _model_slots(self, model: SeriesModel) -> list[tuple]:
        return [(model.bars_reset, self._on_bars_reset),
                (model.bars_prepended, self._on_bars_prepended),
                (model.history_completed, self._on_history_completed),
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
        """Show another series (symbol or timeframe); the comparisons go (their bars were
        of the other series' timeframe)."""
        for symbol in list(self.compares):
            self.remove_compare(symbol)
        self._disconnect(self.model)
        self.model = model
        for part in self._parts():
            part.set_model(model)
        self._show_caption()
        self._connect(model)
        self._on_bars_reset()
        self.model_changed.emit(model)

    def _realign_compares(self) -> None:
        for line in self.compares.values():
            line.realign()

    def _show_volume(self, first_ix: int = 0) -> None:
        """The volume pane is laid out while the series has volume: whether any bar from
        `first_ix` on has some (the bars before, none). Bid bars of a currency have none,
        and the pane stood empty under them, "Vol 0"."""
        shown = bool((self.model.column("volume")[first_ix:] > 0).any())
        if shown != self.volume_pane.shown:
            self.volume_pane.shown = shown
            self._arrange()

    def _on_bars_reset(self) -> None:
        self._show_volume()
        self._realign_compares()
        self.decimals = price_decimals(self.model.column("close"))
        self.last_price.set_decimals(self.decimals)
        self.price.value_axis.tag_decimals = self.decimals
        self.drawing_layer.set_decimals(self.decimals)
        self.measure.decimals = self.decimals
        self.navigation.on_reset()
        self._show_percent_base()  # new bars, perhaps under the same view
        self._show_last_bar()

    def _on_bars_prepended(self, count: int) -> None:
        if not self.volume_pane.shown:
            self._show_volume()
        self._realign_compares()
        self.navigation.on_prepended(count)
        if count:
            self.crosshair.hide()  # its bar moved
            self._show_last_bar()
        if self.navigation.to_first:  # once this change has reached every item
            QtCore.QTimer.singleShot(0, self, self._on_to_first)
        if self.navigation.going_to is not None:
            QtCore.QTimer.singleShot(0, self, self._on_going_to)

    def _on_to_first(self) -> None:
        """Home goes on to the first bar, unless the user moved the view meanwhile."""
        if self.navigation.to_first:
            self.show_oldest()

    def _on_history_completed(self) -> None:
        """No older bars: a time gone to before the first is shown at the first bar."""
        if self.navigation.going_to is not None:
            QtCore.QTimer.singleShot(0, self, self._on_going_to)

    def _on_going_to(self) -> None:
        """The bars back to a time gone to came: show it, unless the user moved meanwhile."""
        if self.navigation.going_to is not None:
            self.go_to(self.navigation.going_to)

    def _on_bars_appended(self, first_ix: int) -> None:
        if not self.volume_pane.shown:
            self._show_volume(first_ix)
        self._realign_compares()
        self.navigation.on_appended(first_ix)
        self._show_last_bar()

    def _on_bars_corrected(self, _ix: int) -> None:
        self.fit_panes()
        for pane in self.panes.values():
            pane.legend.refresh()

    def _on_last_bar_changed(self) -> None:
        """A tick: a pane fits again only when the forming bar is in view and outside it;
        the legends follow it while the crosshair is away."""
        ix = len(self.model) - 1
        if not self.volume_pane.shown and self.model.column("volume")[ix] > 0:
            self._show_volume(ix)
        if self.crosshair.index in (None, ix):
            self.price.legend.request_refresh()
            self.volume_pane.legend.request_refresh()
        if not self.is_visible(ix):
            return
        m = self.model
        self.price.contain(self.price_map.value(float(m.column("low")[ix])),
                           self.price_map.value(float(m.column("high")[ix])))  # fmt: skip
        self.volume_pane.contain(0.0, float(m.column("volume")[ix]), FORMING_VOLUME_HEADROOM)

    def fit_panes(self) -> None:
        for pane in self.panes.values():
            pane.fit_y()

    def set_price_scale(self, scale: PriceScale) -> None:
        """Prices, percent from the first bar in view, or log (refused, with the reason, for
        a series with a price at or below zero)."""
        scale = PriceScale(scale)
        n = len(self.model)
        low = self.model.pyramid.hilo(0, n)[1] if scale is PriceScale.LOG and n else 1.0
        if low <= 0:
            raise ValueError(f"the log scale needs prices above zero; {self.model.symbol} "
                             f"{self.model.timeframe} has a low of {low:g}: use prices or "
                             "percent")  # fmt: skip
        self.price_scale = scale
        for item in self._price_items():
            item.set_price_map(self.price_map)
        self.price.value_axis.set_log(self.price_map.log)
        self._show_percent_base()
        self.price.fit_y(force=True)

    @property
    def price_map(self) -> PriceMap:
        """How the price pane's items turn prices into y."""
        return LOG if self.price_scale is PriceScale.LOG else LINEAR

    def _price_items(self) -> list:
        """The items that draw prices on the price pane (through its price map)."""
        return [*self.candles.items, self.last_price, self.drawing_layer, self.alert_levels,
                self.measure, *self._indicators.price_items(),
                *self.compares.values()]  # fmt: skip

    def _show_percent_base(self) -> None:
        """On the percent scale, 0% is the close of the first bar centred in view."""
        base = None
        n = len(self.model)
        if self.price_scale is PriceScale.PERCENT and n:
            x0, _ = self.visible_range()
            base = float(self.model.column("close")[min(max(math.ceil(x0), 0), n - 1)])
        self.price.value_axis.set_percent_base(base)

    def _on_x_range_changed(self, _viewbox, x_range) -> None:
        self.crosshair.follow_view()
        if self.price_scale is PriceScale.PERCENT:
            self._show_percent_base()
        if self.navigation.on_x_range_changed(*x_range):
            self.history_wanted.emit(self.model)

    # -- indicators --------------------------------------------------------------------------

    @property
    def indicators(self) -> dict[str, tuple[Pane, dict[str, object]]]:
        """The indicators shown, by key: (pane, {output: item})."""
        return self._indicators.shown

    def add_indicator(
        self,
        key: str,
        outputs: dict[str, np.ndarray],
        own_pane: bool,
        kinds: dict[str, str] | None = None,
        title: str | None = None,
        colours: dict[str, str] | None = None,
        daily: bool = False,
    ) -> None:
        """Show an indicator's outputs (arrays aligned with the bars): over the price, or in
        a pane of its own named `key`, with a legend row `title` (default `key`). `kinds` maps
        an output to "line" (default), "histogram" or "band"; `colours` a line to its colour
        (default: the palette, from the first colour no other indicator here uses); `daily`:
        it starts again each trading day (a session VWAP), its lines broken there."""
        self._indicators.add(key, outputs, own_pane, kinds, title, colours, daily)

    def set_indicator_values(self, key: str, outputs: dict[str, np.ndarray]) -> None:
        self._indicators.set_values(key, outputs)

    def update_indicator_last(self, key: str, values: dict[str, float], ix: int | None = None):
        """The forming bar's (bar `ix`, default the last) indicator values changed (from the
        incremental forms)."""
        self._indicators.update_last(key, values, ix)

    def remove_indicator(self, key: str) -> None:
        self._indicators.remove(key)

    # -- compare -----------------------------------------------------------------------------

    def add_compare(self, symbol: str, ts_ns: np.ndarray, close: np.ndarray,
                    colour: str | None = None) -> CompareLine:  # fmt: skip
        """`symbol`'s closes (its bars of this chart's timeframe) over the price, scaled to
        start with this series at the first bar in view, with a legend row; the bars of a
        symbol already compared are replaced."""
        line = self.compares.get(symbol)
        if line is not None:
            line.set_source(ts_ns, close)
            self.price.fit_y()
            return line
        if symbol == self.model.symbol:
            raise ValueError(f"{symbol} is the chart's own symbol: compare another")
        used = {c.colour for c in self.compares.values()}
        used |= {getattr(i, "colour", None) for i in self._indicators.price_items()}
        colour = colour or next((c for c in reversed(PALETTE) if c not in used), PALETTE[-1])
        line = CompareLine(self.model, symbol, colour)
        line.set_source(ts_ns, close)
        line.set_price_map(self.price_map)
        self.compares[symbol] = line
        self.price.addItem(line)
        self.price.legend.add_row(LegendRow(f"compare:{symbol}", symbol, colour,
                                            lambda ix: [line.legend_part(ix, None)]))  # fmt: skip
        self.price.legend.set_last_index(len(self.model) - 1)
        return line

    def remove_compare(self, symbol: str) -> None:
        line = self.compares.pop(symbol)
        self.price.removeItem(line)
        self.price.legend.remove_row(f"compare:{symbol}")

    def compare_tick(self, symbol: str, price: float) -> None:
        """The latest price of a compared symbol: its value at the forming bar."""
        line = self.compares.get(symbol)
        if line is not None:
            line.set_last(price)
            if self.crosshair.index is None:
                self.price.legend.request_refresh()

    # -- legends -----------------------------------------------------------------------------

    def _add_series_rows(self) -> None:
        self.price.legend.add_row(LegendRow(
            "bar", "", self.theme.foreground,
            lambda ix: bar_parts(self.model, self.theme, self.decimals, ix,
                                 self._pointed_level(self.candles))))  # fmt: skip
        self.volume_pane.legend.add_row(LegendRow(
            "volume", "Vol", self.theme.foreground,
            lambda ix: volume_parts(self.model, self.theme, ix,
                                    self._pointed_level(self.volumes))))  # fmt: skip

    def _pointed_level_changed(self, pane: Pane) -> None:
        if self.crosshair.index is not None:
            pane.legend.refresh()

    def _pointed_level(self, series: SeriesPair) -> int:
        """The level whose block the legends tell: the candle under the crosshair (zoomed
        out, a block of bars); with the crosshair away, the latest bar itself."""
        return 0 if self.crosshair.index is None else series.lod.level

    def _on_crosshair_index(self, ix) -> None:
        for pane in self.panes.values():
            pane.legend.show_index(ix)

    def _show_last_bar(self) -> None:
        """The legends follow the latest bar while the crosshair is away."""
        n = len(self.model)
        for pane in self.panes.values():
            pane.legend.set_last_index(n - 1)

    # -- navigation --------------------------------------------------------------------------

    def visible_range(self) -> tuple[float, float]:
        return self.navigation.visible_range()

    def is_visible(self, ix: int) -> bool:
        return self.navigation.is_visible(ix)

    def reset_view(self) -> None:
        """The latest bars, every pane fitted to them (a double-click)."""
        for pane in self.panes.values():
            pane.restore_fit()
        self.navigation.show_latest()

    def show_latest(self, bars: int = INITIAL_VISIBLE_BARS) -> None:
        self.navigation.show_latest(bars)

    def show_oldest(self) -> None:
        """Home: the first bar of the series (older history loads a page at a time)."""
        if self.navigation.show_oldest():
            self.history_wanted.emit(self.model)

    def go_to(self, ts_ns: int) -> None:
        """Centre the view, at its zoom, on the bar holding the time `ts_ns` (the next bar
        after a gap; the first or the latest bar for a time outside the series), loading the
        older bars back to it first."""
        if self.navigation.show_time(ts_ns):
            x0, x1 = self.visible_range()
            self.history_wanted_back_to.emit(self.model, ts_ns, max(math.ceil(x1 - x0), 1000))

    def pan(self, fraction: float) -> None:
        self.navigation.pan(fraction)

    def zoom(self, factor: float) -> None:
        self.navigation.zoom(factor)

    def keyPressEvent(self, event) -> None:
        if self.drawings.key(event):
            event.accept()
            return
        action = self.navigation.key_action(event.key())
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
        self.navigation.to_first = False  # Home's next step, if due, is not taken
        self.navigation.going_to = None
        self._disconnect(self.model)
        self.candles.close()
        self.volumes.close()
        self.last_price.close()
        self.gaps.close()
        self.drawing_layer.close()
        self.measure.close()
        self.crosshair.close()
        return super().close()
