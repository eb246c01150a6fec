"""Indicators on the charts: any number of instances, each with its own parameters and
colour, computed by the worker process over each chart's bars in shared memory, shown as
overlays or panes with a legend row, recomputed when a chart's series changes; the forming
bar's values follow every tick through the incremental forms (`LiveIndicator`)."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
from PySide6 import QtCore

from engine.gaps import gap_threshold_ns
from engine.indicators.live import LiveIndicator
from engine.indicators.registry import IndicatorSpec, Placement, spec
from engine.sessions import calendar as calendar_of
from engine.shm import BarSegment, ResultSegment
from engine.worker import IndicatorReply, IndicatorRequest, IndicatorWorker
from widgets.chart import ChartWidget
from widgets.indicator_items import PALETTE
from widgets.series_model import SeriesModel

POLL_MS = 30


@dataclasses.dataclass(frozen=True)
class Instance:
    """One indicator on the charts: which, with what parameters, in what colour. `uid` is
    its key and a number no other instance of that indicator has ("sma-2")."""

    uid: str
    key: str
    params: dict
    colour: str

    @property
    def spec(self) -> IndicatorSpec:
        return spec(self.key)

    @property
    def title(self) -> str:
        return self.spec.label(self.params)

    def line_colours(self) -> dict[str, str]:
        """Over the price, every line in the instance's colour (a band's edges, a channel);
        in a pane, each line its own, from the instance's colour on (MACD and its signal)."""
        start = PALETTE.index(self.colour) if self.colour in PALETTE else 0
        lines = [name for name in self.spec.outputs if self.spec.style(name) == "line"]
        if self.spec.placement is Placement.OVERLAY:
            return dict.fromkeys(lines, self.colour)
        return {name: self.colour if k == 0 else PALETTE[(start + k) % len(PALETTE)]
                for k, name in enumerate(lines)}  # fmt: skip

    def saved(self) -> dict:
        return {"uid": self.uid, "key": self.key, "params": self.params, "colour": self.colour}


def new_instance(key: str, params: dict, taken: list[Instance], colour: str | None = None,
                 uid: str | None = None) -> Instance:  # fmt: skip
    """An instance of `key` (parameters checked), numbered and coloured apart from `taken`
    (the `uid` and `colour` it had before, when they are still free)."""
    resolved = spec(key).resolve(**params)
    numbers = {i.uid for i in taken}
    if uid is None or uid in numbers or not uid.startswith(f"{key}-"):
        uid = next(f"{key}-{n}" for n in itertools.count(1) if f"{key}-{n}" not in numbers)
    if colour is None:
        used = {i.colour for i in taken}
        colour = next((c for c in PALETTE if c not in used), PALETTE[len(taken) % len(PALETTE)])
    return Instance(uid, key, resolved, colour)


class _ChartIndicators:
    """The indicators of one chart: its bars published in a shared segment, a result segment
    and an incremental form per instance. Owns its segments (it unlinks them)."""

    def __init__(self, owner: IndicatorController, chart: ChartWidget, calendar: str) -> None:
        self._owner = owner
        self.chart = chart
        self.calendar = calendar  # its symbol's sessions (indicators restart after a gap)
        self.instances: dict[str, Instance] = {}  # uid -> the instances on this chart
        self._segment: BarSegment | None = None
        self._key: str | None = None  # the series key of the versions published
        self.version = 0
        self.model: SeriesModel | None = None
        self.results: dict[str, ResultSegment] = {}  # uid -> segment
        self._live: dict[str, LiveIndicator] = {}
        chart.model_changed.connect(self.set_model)
        self.set_model(chart.model)

    def _signals(self, model: SeriesModel) -> list[tuple]:
        return [(model.bars_prepended, self._on_bars_changed),
                (model.bars_reset, self._on_bars_changed),
                (model.bars_appended, self._on_bars_changed),
                (model.bars_corrected, self._on_bars_corrected),
                (model.bars_appended, self._on_forming),
                (model.last_bar_changed, self._on_forming)]  # fmt: skip

    def _disconnect(self) -> None:
        if self.model is not None:
            for signal, slot in self._signals(self.model):
                signal.disconnect(slot)
            self.model = None

    def set_model(self, model: SeriesModel) -> None:
        """The chart shows another series: publish it and recompute every indicator."""
        self._disconnect()
        self.model = model
        for signal, slot in self._signals(model):
            signal.connect(slot)
        self._live = {uid: self._live_form(i) for uid, i in self.instances.items()}
        self._on_bars_changed()

    def _live_form(self, instance: Instance) -> LiveIndicator:
        return LiveIndicator(instance.key, instance.params, calendar_of(self.calendar),
                             gap_ns=gap_threshold_ns(self.model.timeframe))  # fmt: skip

    def series_key(self) -> str:
        """The series as the worker knows it: its bars' segment too, whose versions start
        again from 1 (a new view's chart, a segment outgrown); the worker takes results
        older than the latest version of a key for stale, and kept those of a new segment
        out until it had published as many versions as the old one."""
        return f"{self.model.symbol} {self.model.timeframe} {self._segment.name}"

    def _on_bars_corrected(self, _ix: int) -> None:
        for live in self._live.values():
            live.reset()
        self._on_bars_changed()

    def _on_forming(self, *_args) -> None:
        """A tick moved the forming bar (or a new one started): its values, O(1) each."""
        bars = self.model.bars
        for uid, live in self._live.items():
            if uid in self.chart.indicators:
                self.chart.update_indicator_last(uid, live.update(bars), len(bars) - 1)

    def _on_bars_changed(self, *_args) -> None:
        bars = self.model.bars
        if self._segment is None or not self._segment.fits(len(bars)):
            if self._segment is not None:
                self._close_segments()
            self._segment = BarSegment(max(1024, 2 * len(bars)))
        self.version = self._segment.publish(bars)
        key = self.series_key()
        if key != self._key:  # another segment, or another series: the old versions go
            self._forget()
            self._key = key
        for instance in self.instances.values():
            self.request(instance)

    def request(self, instance: Instance) -> None:
        result = self.results.get(instance.uid)
        if result is None:
            result = self.results[instance.uid] = ResultSegment(
                self._segment.capacity, len(instance.spec.outputs)
            )
        self._owner.submit(IndicatorRequest(
            self._owner.next_id(), self.series_key(), self._segment.name, self.version,
            instance.key, tuple(sorted(instance.params.items())), result.name,
            self.calendar, gap_threshold_ns(self.model.timeframe),
        ))  # fmt: skip

    def add(self, instance: Instance) -> None:
        self.instances[instance.uid] = instance
        self._live[instance.uid] = self._live_form(instance)
        self.request(instance)

    def remove(self, uid: str) -> None:
        self.instances.pop(uid, None)
        self._live.pop(uid, None)
        if uid in self.chart.indicators:
            self.chart.remove_indicator(uid)
        result = self.results.pop(uid, None)
        if result is not None:
            result.close()

    def show(self, reply: IndicatorReply, uid: str) -> bool:
        """Draw a reply for this chart's current bars; False if it is outdated."""
        instance = self.instances.get(uid)
        if reply.status != "ok" or instance is None:
            return False
        if reply.series_key != self.series_key() or reply.version != self.version:
            return False
        block = self.results[uid].outputs(reply.length)
        outputs = {name: block[k].copy() for k, name in enumerate(instance.spec.outputs)}
        if uid in self.chart.indicators:
            self.chart.set_indicator_values(uid, outputs)
        else:
            styles = {name: instance.spec.style(name) for name in instance.spec.outputs}
            title = instance.title
            if instance.spec.volume_weighted and not np.any(self.chart.model.column("volume")):
                title += " (the bars carry no volume)"  # a quote vendor's, an index's
            self.chart.add_indicator(uid, outputs, instance.spec.placement is Placement.PANE,
                                     styles, title, instance.line_colours(),
                                     daily=instance.spec.sessions)  # fmt: skip
        return True

    def close(self) -> None:
        self.chart.model_changed.disconnect(self.set_model)
        self._disconnect()
        if self._segment is not None:
            self._close_segments()
            self._segment = None
        self._forget()

    def _forget(self) -> None:
        """The worker need not keep the versions of the key published last."""
        if self._key is not None:
            self._owner.forget(self._key)
            self._key = None

    def _close_segments(self) -> None:
        for result in self.results.values():
            result.close()
        self.results = {}
        self._segment.close()


class IndicatorController(QtCore.QObject):
    """Indicator instances on the charts of a view, over one worker whose replies it routes
    to the chart that asked. `add` and `remove` act on the charts in `scope` (every chart of
    a single chart or a grid of timeframes; one cell of a grid of symbols, each with its
    own), and `active` is the instances on the first of them.

    Signals:
        indicators_changed(): an indicator was added, removed or recomputed.
    """

    indicators_changed = QtCore.Signal()

    def __init__(self, charts: list[ChartWidget], worker: IndicatorWorker,
                 calendars: list[str] | str = "24x7") -> None:  # fmt: skip
        """`calendars`: each chart's symbol's calendar (one for all)."""
        super().__init__(charts[0])
        self._worker = worker
        if isinstance(calendars, str):
            calendars = [calendars] * len(charts)
        self._ids = itertools.count(1)
        self._charts = [_ChartIndicators(self, c, cal) for c, cal in zip(charts, calendars,
                                                                          strict=True)]  # fmt: skip
        self.scope = list(range(len(charts)))
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_poll)
        self._timer.start()

    def next_id(self) -> int:
        return next(self._ids)

    def submit(self, request: IndicatorRequest) -> None:
        self._worker.submit(request)

    def forget(self, series_key: str) -> None:
        self._worker.forget(series_key)

    @property
    def active(self) -> dict[str, Instance]:
        """uid -> instance, of the charts in scope."""
        return self._charts[self.scope[0]].instances

    def set_scope(self, charts: list[int]) -> None:
        self.scope = list(charts)
        self.indicators_changed.emit()

    def add(self, key: str, colour: str | None = None, uid: str | None = None,
            **params) -> Instance:  # fmt: skip
        """Show another instance of an indicator on the charts in scope (its parameters
        checked now; the values follow from the worker)."""
        instance = new_instance(key, params, list(self.active.values()), colour, uid)
        for k in self.scope:
            self._charts[k].add(instance)
        return instance

    def remove(self, uid: str) -> None:
        for k in self.scope:
            self._charts[k].remove(uid)
        self.indicators_changed.emit()

    def _on_poll(self) -> None:
        for reply in self._worker.poll(0.0):
            self._route(reply)

    def _route(self, reply: IndicatorReply) -> None:
        for view in self._charts:
            uid = next((u for u, r in view.results.items() if r.name == reply.result_segment),
                       None)  # fmt: skip
            if uid is not None:
                if view.show(reply, uid):
                    self.indicators_changed.emit()
                return

    def wait_idle(self, timeout_s: float = 30.0) -> None:
        """Process replies until nothing is pending (for tests and scripts), and events
        meanwhile (a worker that starts after the first paint needs that paint)."""
        deadline = QtCore.QDeadlineTimer(int(timeout_s * 1000))
        while self._worker.pending and not deadline.hasExpired():
            QtCore.QCoreApplication.processEvents()
            for reply in self._worker.poll(0.05):
                self._route(reply)

    def close(self) -> None:
        """Stop, and unlink every segment (a closed controller publishes nothing more)."""
        self._timer.stop()
        for view in self._charts:
            view.close()
        self._charts = []
