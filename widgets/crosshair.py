"""Crosshair over a chart's panes with an OHLCV readout, at most once per frame."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from engine.localtime import local_ns
from widgets.quiet import QuietLine, QuietText
from widgets.series_model import SeriesModel
from widgets.theme import Theme

FRAME_HZ = 60


class Crosshair(QtCore.QObject):
    """Vertical line in every pane, horizontal line in the pane under the mouse, and a
    readout of the bar under the cursor (plus any extra values registered for panes). The
    lines and the readout are made when first shown: a new chart need not wait for them.

    Signals:
        time_changed(int ts_ns): the crosshair moved onto a bar (for linked charts).
    """

    time_changed = QtCore.Signal(object)

    def __init__(self, scene, plots, model: SeriesModel, theme: Theme) -> None:
        super().__init__()
        self._plots = list(plots)
        self._model = model
        self.index: int | None = None
        self._vlines: list[QuietLine] = []  # one per plot, once shown
        self._hline: QuietLine | None = None
        self._hline_plot = None
        self.readout: QuietText | None = None
        self.extra_values: dict[str, object] = {}  # name -> callable(bar index) -> text
        self.set_theme(theme)
        self._proxy = pg.SignalProxy(
            scene.sigMouseMoved, rateLimit=FRAME_HZ, slot=self._on_mouse_moved
        )

    def _make_items(self) -> None:
        self._vlines = [self._vline(plot) for plot in self._plots]
        self._hline = QuietLine(angle=0, movable=False, pen=self._pen)
        self.readout = QuietText(anchor=(0, 0), color=self._colour)
        self._plots[0].addItem(self.readout, ignoreBounds=True)

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
        if self.readout is not None:
            self._vlines.append(self._vline(plot))

    def remove_plot(self, plot) -> None:
        k = self._plots.index(plot)
        self._plots.pop(k)
        if self.readout is None:
            return
        plot.removeItem(self._vlines.pop(k))
        if self._hline_plot is plot:
            plot.removeItem(self._hline)
            self._hline_plot = None

    def set_theme(self, theme: Theme) -> None:
        self._pen = pg.mkPen(theme.crosshair, width=1, style=QtCore.Qt.PenStyle.DotLine)
        self._colour = theme.foreground
        if self.readout is not None:
            for line in [*self._vlines, self._hline]:
                line.setPen(self._pen)
            self.readout.setColor(self._colour)

    def close(self) -> None:
        """Take no more mouse moves (a delayed one would reach deleted views)."""
        self._proxy.disconnect()
        self._proxy.timer.stop()

    def hide(self) -> None:
        if self.readout is not None:
            for item in [*self._vlines, self._hline, self.readout]:
                item.hide()

    def _on_mouse_moved(self, event) -> None:
        pos = event[0]
        for plot in self._plots:
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(pos):
                point = vb.mapSceneToView(pos)
                self._move_hline(plot, point.y())
                self.show_index(round(point.x()))
                ix = self.index
                if ix is not None:
                    self.time_changed.emit(int(self._model.column("ts_ns")[ix]))
                return
        self.hide()

    def _move_hline(self, plot, y: float) -> None:
        if self.readout is None:
            self._make_items()
        if self._hline_plot is not plot:
            if self._hline_plot is not None:
                self._hline_plot.removeItem(self._hline)
            plot.addItem(self._hline, ignoreBounds=True)
            self._hline_plot = plot
        self._hline.setValue(y)
        self._hline.show()

    def show_time(self, ts_ns: int) -> None:
        """Put the crosshair on the bar containing `ts_ns` (from a linked chart)."""
        ts = self._model.column("ts_ns")
        ix = int(np.searchsorted(ts, ts_ns, side="right")) - 1
        if self._hline is not None:
            self._hline.hide()
        self.show_index(ix)

    def show_index(self, ix: int) -> None:
        n = len(self._model)
        if n == 0 or not 0 <= ix < n:
            self.hide()
            self.index = None
            return
        self.index = ix
        if self.readout is None:
            self._make_items()
        for line in self._vlines:
            line.setValue(ix)
            line.show()
        self.readout.setText(self.text(ix))
        vb = self._plots[0].getViewBox()
        (x0, _), (_, y1) = vb.viewRange()
        self.readout.setPos(x0, y1)
        self.readout.show()

    def text(self, ix: int) -> str:
        m = self._model
        local = local_ns(m.column("ts_ns")[ix : ix + 1], m.tz)[0]
        when = str(np.datetime64(int(local), "ns").astype("datetime64[m]")).replace("T", " ")
        o, h, lo, c, v = (
            float(m.column(k)[ix]) for k in ("open", "high", "low", "close", "volume")
        )
        parts = [f"{m.symbol} {m.timeframe}  {when}", f"O {o:.10g}  H {h:.10g}  L {lo:.10g}  "
                 f"C {c:.10g}  V {v:.10g}"]  # fmt: skip
        parts += [value(ix) for value in self.extra_values.values()]
        return "\n".join(parts)
