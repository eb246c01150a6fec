"""Crosshair over a chart's panes: the bar under it goes to the legends, its value to a tag
on the pane's value axis and its bar's time to a tag on the time axis."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from engine.localtime import local_ns
from engine.timeframes import is_intraday
from widgets.overlays import AxisTag, PriceTag
from widgets.quiet import QuietLine
from widgets.series_model import SeriesModel
from widgets.theme import Theme

FRAME_HZ = 60


class TimeTag(AxisTag):
    """The crosshair bar's time on the time axis, in full ("Fri 10 Feb 2012 12:00"), on a
    tag centred under the bar and kept within the axis."""

    PAD_PX = 6

    def __init__(self, axis: pg.AxisItem) -> None:
        super().__init__(axis, z=10)
        self.hide()

    def set_colour(self, colour: str) -> None:
        self._brush = QtGui.QBrush(QtGui.QColor(colour))
        self.update()

    def show_at(self, scene_x: float, text: str) -> None:
        """`text` centred at the scene's x `scene_x`, within the axis."""
        self._set_text(text)
        room = self._axis.mapRectFromParent(self._axis.geometry())
        x = self._axis.mapFromScene(QtCore.QPointF(scene_x, 0)).x() - self._rect.width() / 2
        x = min(max(x, room.left()), room.right() - self._rect.width())
        self.setPos(x, room.top() + max(1.0, (room.height() - self._rect.height()) / 2))
        self.show()


def bar_time_text(model: SeriesModel, ix: int) -> str:
    """Bar `ix`'s time in the series' zone, as the crosshair's tag writes it (a day's bar:
    its date)."""
    times, tz = model.label_times(ix, ix + 1)
    local = int(local_ns(times, tz)[0])
    shown = "%a %d %b %Y %H:%M" if is_intraday(model.timeframe) else "%a %d %b %Y"
    return np.datetime64(local, "ns").astype("datetime64[s]").item().strftime(shown)


class Crosshair(QtCore.QObject):
    """Vertical line in every pane, horizontal line in the pane under the mouse, at most
    once per frame; the bar under it is announced for the legends. The lines are made when
    first shown: a new chart need not wait for them.

    Signals:
        time_changed(object ts_ns): the crosshair moved onto a bar (an int), or the mouse
            left the chart (None), for linked charts.
        index_changed(object): the bar under the crosshair (an int), or None when it left.
    """

    time_changed = QtCore.Signal(object)
    index_changed = QtCore.Signal(object)

    def __init__(self, scene, plots, model: SeriesModel, theme: Theme,
                 time_axis: pg.AxisItem | None = None) -> None:  # fmt: skip
        super().__init__()
        self._plots = list(plots)
        self._model = model
        self._time_axis = time_axis
        self.index: int | None = None
        self._vlines: list[QuietLine] = []  # one per plot, once shown
        self._hline: QuietLine | None = None
        self._hline_plot = None
        self._value_tags: dict[object, PriceTag] = {}  # by plot, once shown there
        self._time_tag: TimeTag | None = None
        self._mouse = None  # the scene position it follows, while it follows the mouse
        self.set_theme(theme)
        self._proxy = pg.SignalProxy(
            scene.sigMouseMoved, rateLimit=FRAME_HZ, slot=self._on_mouse_moved
        )

    def _make_items(self) -> None:
        self._vlines = [self._vline(plot) for plot in self._plots]
        self._hline = QuietLine(angle=0, movable=False, pen=self._pen)

    def _vline(self, plot) -> QuietLine:
        line = QuietLine(angle=90, movable=False, pen=self._pen)
        line.hide()
        plot.addItem(line, ignoreBounds=True)
        return line

    def set_model(self, model: SeriesModel) -> None:
        self._model = model
        self.hide()

    def add_plot(self, plot) -> None:
        """A pane added to the chart gets its vertical line too."""
        self._plots.append(plot)
        if self._hline is not None:
            self._vlines.append(self._vline(plot))

    def remove_plot(self, plot) -> None:
        k = self._plots.index(plot)
        self._plots.pop(k)
        tag = self._value_tags.pop(plot, None)
        if tag is not None:
            tag.close()
        if self._hline is None:
            return
        plot.removeItem(self._vlines.pop(k))
        if self._hline_plot is plot:
            plot.removeItem(self._hline)
            self._hline_plot = None

    def set_theme(self, theme: Theme) -> None:
        self._pen = pg.mkPen(theme.crosshair, width=1, style=QtCore.Qt.PenStyle.DotLine)
        self._tag_brush = QtGui.QBrush(QtGui.QColor(theme.crosshair).darker(160))
        if self._hline is not None:
            for line in [*self._vlines, self._hline]:
                line.setPen(self._pen)
        if self._time_tag is not None:
            self._time_tag.set_colour(self._tag_brush.color().name())

    def close(self) -> None:
        """Take no more mouse moves (a delayed one would reach deleted views), and no more
        moves of the value axes."""
        self._proxy.disconnect()
        self._proxy.timer.stop()
        for tag in self._value_tags.values():
            tag.close()

    def hide(self) -> None:
        following = self._mouse is not None
        self._mouse = None
        if self._hline is not None:
            for item in [*self._vlines, self._hline]:
                item.hide()
        self._hide_tags()
        if self.index is not None:
            self.index = None
            self.index_changed.emit(None)
        if following:  # the mouse left: so does the time shown in linked charts
            self.time_changed.emit(None)

    def _on_mouse_moved(self, event) -> None:
        pos = event[0]
        for plot in self._plots:
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(pos):
                point = vb.mapSceneToView(pos)
                self._move_hline(plot, point.y())
                self.show_index(round(point.x()))
                self._mouse = pos
                ix = self.index
                if ix is not None:
                    self.time_changed.emit(int(self._model.column("ts_ns")[ix]))
                return
        self.hide()

    def follow_view(self) -> None:
        """The view moved under a still mouse (keys, Home/End, the wheel): the crosshair and
        the legends go to the bar now under it."""
        if self._mouse is not None:
            self._on_mouse_moved((self._mouse,))

    def _move_hline(self, plot, y: float) -> None:
        if self._hline is None:
            self._make_items()
        if self._hline_plot is not plot:
            if self._hline_plot is not None:
                self._hline_plot.removeItem(self._hline)
            plot.addItem(self._hline, ignoreBounds=True)
            self._hline_plot = plot
        self._hline.setValue(y)
        self._hline.show()
        self._tag_value(plot, y)

    def _tag_value(self, plot, y: float) -> None:
        """The value under the crosshair on the plot's value axis; the others' tags off."""
        axis = getattr(plot, "value_axis", None)
        for other, tag in self._value_tags.items():
            if other is not plot:
                tag.hide_tag()
        if axis is None or not math.isfinite(y):
            return
        tag = self._value_tags.get(plot)
        if tag is None:
            tag = self._value_tags[plot] = PriceTag(axis, owner="crosshair", z=11, follow=True)
        tag.show_text(y, axis.value_text(y), self._tag_brush)

    def _hide_tags(self) -> None:
        for tag in self._value_tags.values():
            tag.hide_tag()
        if self._time_tag is not None:
            self._time_tag.hide()

    def show_time(self, ts_ns: int | None) -> None:
        """Put the crosshair on the bar containing `ts_ns` (from a linked chart); None:
        away, the legends show the latest bar."""
        if ts_ns is None:
            self.hide()
            return
        ts = self._model.column("ts_ns")
        ix = int(np.searchsorted(ts, ts_ns, side="right")) - 1
        if self._hline is not None:
            self._hline.hide()
        for tag in self._value_tags.values():  # no value from a linked chart's mouse
            tag.hide_tag()
        self.show_index(ix)

    def show_index(self, ix: int) -> None:
        n = len(self._model)
        if n == 0 or not 0 <= ix < n:
            self.hide()
            return
        if self._hline is None:
            self._make_items()
        for line in self._vlines:
            line.setValue(ix)
            line.show()
        self._tag_time(ix)
        if ix != self.index:
            self.index = ix
            self.index_changed.emit(ix)

    def _tag_time(self, ix: int) -> None:
        """Bar `ix`'s time on the time axis, under the vertical line."""
        if self._time_axis is None or not self._plots:
            return
        if self._time_tag is None:
            self._time_tag = TimeTag(self._time_axis)
            self._time_tag.set_colour(self._tag_brush.color().name())
        view = self._plots[0].getViewBox()
        scene_x = view.mapViewToScene(QtCore.QPointF(ix, 0)).x()
        self._time_tag.show_at(scene_x, bar_time_text(self._model, ix))
