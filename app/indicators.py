"""Indicators on the chart: computed by the worker process over the bars in shared memory,
shown as overlays or panes, recomputed when the series changes; the forming bar's values
follow every tick through the incremental forms (`LiveIndicator`)."""

from __future__ import annotations

import itertools

from PySide6 import QtCore

from engine.indicators.live import LiveIndicator
from engine.indicators.registry import Placement, spec
from engine.sessions import calendar as calendar_of
from engine.shm import BarSegment, ResultSegment
from engine.worker import IndicatorReply, IndicatorRequest, IndicatorWorker
from widgets.chart import ChartWidget
from widgets.series_model import SeriesModel

POLL_MS = 30
KINDS = {"macd": {"hist": "histogram"}, "trend": {"trend": "band"}}


class IndicatorController(QtCore.QObject):
    """Owns the shared segments of the shown series and its indicators (it unlinks them).

    Signals:
        indicators_changed(): an indicator was added, removed or recomputed.
    """

    indicators_changed = QtCore.Signal()

    def __init__(self, chart: ChartWidget, worker: IndicatorWorker, calendar: str = "24x7"):
        super().__init__(chart)
        self._chart = chart
        self._worker = worker
        self._calendar = calendar
        self._ids = itertools.count(1)
        self._segment: BarSegment | None = None
        self._version = 0
        self._model: SeriesModel | None = None
        self.active: dict[str, dict] = {}  # key -> params
        self._results: dict[str, ResultSegment] = {}
        self._live: dict[str, LiveIndicator] = {}
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_poll)
        self._timer.start()
        self.set_model(chart.model, calendar)

    def _signals(self, model: SeriesModel) -> list[tuple]:
        return [(model.bars_prepended, self._on_bars_changed),
                (model.bars_reset, self._on_bars_changed),
                (model.bars_appended, self._on_bars_changed),
                (model.bars_corrected, self._on_bars_corrected),
                (model.bars_appended, self._on_forming),
                (model.last_bar_changed, self._on_forming)]  # fmt: skip

    def _disconnect(self) -> None:
        if self._model is not None:
            for signal, slot in self._signals(self._model):
                signal.disconnect(slot)
            self._model = None

    def set_model(self, model: SeriesModel, calendar: str) -> None:
        """The chart shows another series: publish it and recompute every indicator."""
        self._disconnect()
        self._model = model
        self._calendar = calendar
        for signal, slot in self._signals(model):
            signal.connect(slot)
        self._live = {key: self._live_form(key) for key in self.active}
        self._on_bars_changed()

    def _live_form(self, key: str) -> LiveIndicator:
        return LiveIndicator(key, self.active[key], calendar_of(self._calendar))

    def _on_bars_corrected(self, _ix: int) -> None:
        for live in self._live.values():
            live.reset()
        self._on_bars_changed()

    def _on_forming(self, *_args) -> None:
        """A tick moved the forming bar (or a new one started): its values, O(1) each."""
        bars = self._model.bars
        for key, live in self._live.items():
            if key in self._chart.indicators:
                self._chart.update_indicator_last(key, live.update(bars), len(bars) - 1)

    def _on_bars_changed(self, *_args) -> None:
        bars = self._model.bars
        if self._segment is None or not self._segment.fits(len(bars)):
            old = self._segment
            self._segment = BarSegment(max(1024, 2 * len(bars)))
            for result in self._results.values():
                result.close()
            self._results = {}
            if old is not None:
                old.close()
        self._version = self._segment.publish(bars)
        for key in self.active:
            self._request(key)

    def _series_key(self) -> str:
        return f"{self._model.symbol} {self._model.timeframe}"

    def _request(self, key: str) -> None:
        indicator = spec(key)
        result = self._results.get(key)
        if result is None:
            result = self._results[key] = ResultSegment(self._segment.capacity,
                                                        len(indicator.outputs))  # fmt: skip
        self._worker.submit(
            IndicatorRequest(
                next(self._ids),
                self._series_key(),
                self._segment.name,
                self._version,
                key,
                tuple(sorted(self.active[key].items())),
                result.name,
                self._calendar,
            )
        )

    def add(self, key: str, **params) -> None:
        """Show an indicator (its parameters checked now; the values follow from the worker)."""
        resolved = spec(key).resolve(**params)
        if key in self.active:
            self.remove(key)
        self.active[key] = resolved
        self._live[key] = self._live_form(key)
        self._request(key)

    def remove(self, key: str) -> None:
        self.active.pop(key)
        self._live.pop(key, None)
        if key in self._chart.indicators:
            self._chart.remove_indicator(key)
        result = self._results.pop(key, None)
        if result is not None:
            result.close()
        self.indicators_changed.emit()

    def _on_poll(self) -> None:
        for reply in self._worker.poll(0.0):
            self._show(reply)

    def _show(self, reply: IndicatorReply) -> None:
        key = next((k for k, r in self._results.items() if r.name == reply.result_segment), None)
        if reply.status != "ok" or key is None or key not in self.active:
            return
        if reply.series_key != self._series_key() or reply.version != self._version:
            return
        indicator = spec(key)
        block = self._results[key].outputs(reply.length)
        outputs = {name: block[k].copy() for k, name in enumerate(indicator.outputs)}
        if key in self._chart.indicators:
            self._chart.set_indicator_values(key, outputs)
        else:
            self._chart.add_indicator(key, outputs, indicator.placement is Placement.PANE,
                                      KINDS.get(key))  # fmt: skip
        self.indicators_changed.emit()

    def wait_idle(self, timeout_s: float = 30.0) -> None:
        """Process replies until nothing is pending (for tests and scripts)."""
        deadline = QtCore.QDeadlineTimer(int(timeout_s * 1000))
        while self._worker.pending and not deadline.hasExpired():
            for reply in self._worker.poll(0.05):
                self._show(reply)

    def close(self) -> None:
        """Stop, and unlink every segment (a closed controller publishes nothing more)."""
        self._disconnect()
        self._timer.stop()
        for result in self._results.values():
            result.close()
        self._results = {}
        if self._segment is not None:
            self._segment.close()
            self._segment = None
