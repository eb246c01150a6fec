"""A chart: price pane (candles) over a volume pane, sharing the bar-index x axis."""

from __future__ import annotations

import pyqtgraph as pg

from engine.bars import Bars
from widgets.candles import CandleItem, VolumeItem
from widgets.theme import DARK, Theme
from widgets.time_axis import TimeAxisItem

MIN_VISIBLE_BARS = 10
MAX_VISIBLE_BARS = 4000
INITIAL_VISIBLE_BARS = 150
RIGHT_MARGIN_BARS = 20
PRICE_AXIS_WIDTH_PX = 72


class ChartWidget(pg.GraphicsLayoutWidget):
    """Stacked, x-linked price and volume panes; y follows the visible bars."""

    def __init__(self, theme: Theme = DARK, parent=None) -> None:
        super().__init__(parent=parent)
        self.candles = CandleItem(theme)
        self.volume = VolumeItem(theme)
        self.price_axis = TimeAxisItem()
        self.volume_axis = TimeAxisItem()
        self.price_plot = self.addPlot(row=0, col=0, axisItems={"bottom": self.price_axis})
        self.volume_plot = self.addPlot(row=1, col=0, axisItems={"bottom": self.volume_axis})
        self.ci.layout.setRowStretchFactor(0, 4)
        self.ci.layout.setRowStretchFactor(1, 1)
        self.price_plot.addItem(self.candles)
        self.volume_plot.addItem(self.volume)
        self.volume_plot.setXLink(self.price_plot)
        self.price_plot.hideAxis("bottom")
        for plot in (self.price_plot, self.volume_plot):
            plot.hideAxis("left")
            plot.showAxis("right")
            plot.getAxis("right").setWidth(PRICE_AXIS_WIDTH_PX)
            plot.setMouseEnabled(x=True, y=False)
            plot.hideButtons()
            vb = plot.getViewBox()
            vb.setAutoVisible(y=True)
            vb.enableAutoRange(x=False, y=True)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setBackground(theme.background)
        for plot in (self.price_plot, self.volume_plot):
            for name in ("right", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(theme.foreground)
                axis.setTextPen(theme.foreground)
            plot.showGrid(x=True, y=True, alpha=theme.grid_alpha)
        self.candles.set_theme(theme)
        self.volume.set_theme(theme)

    def set_bars(self, bars: Bars, tz: str) -> None:
        self.candles.set_bars(bars)
        self.volume.set_bars(bars)
        self.price_axis.set_times(bars.ts_ns, tz)
        self.volume_axis.set_times(bars.ts_ns, tz)
        n = len(bars)
        for plot in (self.price_plot, self.volume_plot):
            plot.getViewBox().setLimits(
                xMin=-RIGHT_MARGIN_BARS,
                xMax=n + RIGHT_MARGIN_BARS,
                minXRange=MIN_VISIBLE_BARS,
                maxXRange=MAX_VISIBLE_BARS,
            )
        self.show_latest()

    def show_latest(self, visible_bars: int = INITIAL_VISIBLE_BARS) -> None:
        n = len(self.candles.bars)
        self.price_plot.setXRange(max(-0.5, n - visible_bars), n + 2, padding=0)
