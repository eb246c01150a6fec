"""Crosshair over a chart's panes: the bar under it goes to the legends."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from widgets.quiet import QuietLine
from widgets.series_model import SeriesModel
from widgets.theme import Theme

FRAME_HZ = 60


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

    def __init__(self, scene, plots, model: SeriesModel, theme: Theme) -> None:
        super().__init__()
        self._plots = list(plots)
        self._model = model
        self.index: int | None = None
        self._vlines: list[QuietLine] = []  # one per plot, once shown
        self._hline: QuietLine | None = None
        self._hline_plot = None
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
        if self._hline is None:
            return
        plot.removeItem(self._vlines.pop(k))
        if self._hline_plot is plot:
            plot.removeItem(self._hline)
            self._hline_plot = None

    def set_theme(self, theme: Theme) -> None:
        self._pen = pg.mkPen(theme.crosshair, width=1, style=QtCore.Qt.PenStyle.DotLine)
        if self._hline is not None:
            for line in [*self._vlines, self._hline]:
                line.setPen(self._pen)

    def close(self) -> None:
        """Take no more mouse moves (a delayed one would reach deleted views)."""
        self._proxy.disconnect()
        self._proxy.timer.stop()

    def hide(self) -> None:
        following = self._mouse is not None
        self._mouse = None
        if self._hline is not None:
            for item in [*self._vlines, self._hline]:
                item.hide()
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
        if ix != self.index:
            self.index = ix
            self.index_changed.emit(ix)
