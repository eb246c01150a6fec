"""An indicator condition of one symbol ("RSI(14) of 1m crosses above 70"), evaluated on
every tick: the bars of its timeframe are built live from the ticks (the O(1) state machine
of `engine.live`), the indicator's incremental form holds the sealed bars, and each tick
costs one peek at the forming bar. It fires on the tick whose value crosses the threshold,
armed at the first value after it is set: a value already beyond never fires it.
"""

from __future__ import annotations

import math

import numpy as np

from engine.alert_specs import AlertSpec
from engine.bars import Bars
from engine.indicators.registry import spec
from engine.live import MultiTimeframeBuilder
from engine.sessions import SessionCalendar

WARM_BARS = 300  # bars of its timeframe an indicator is warmed on (at least 3 periods)


def warm_bars(alert: AlertSpec) -> int:
    """Bars of the alert's timeframe its indicator needs behind the forming one."""
    longest = max((v for _, v in alert.params), default=0)
    return max(WARM_BARS, 3 * int(longest))


class IndicatorAlert:
    def __init__(self, alert: AlertSpec, cal: SessionCalendar, history_1m: Bars) -> None:
        """`history_1m`: the symbol's latest 1m bars, enough for `warm_bars` bars of the
        alert's timeframe."""
        self.alert = alert
        self._tf = alert.timeframe
        self._indicator = spec(alert.indicator)
        self._out = self._indicator.outputs.index(alert.output)
        self._inc = self._indicator.start(**dict(alert.params))
        self._calendar = cal
        self._builder = MultiTimeframeBuilder([self._tf], cal)
        self._builder.on_bars(history_1m)
        self._sealed_n = 0
        self._seal_new()
        self._side = math.nan  # the sign of value - threshold at the last tick (nan: unarmed)
        self.value = math.nan

    def _session(self, ts_ns: int) -> int:
        if not self._indicator.sessions:
            return 0
        from engine.buckets import session_keys

        return int(session_keys(self._calendar, np.array([ts_ns]))[0])

    def _seal_new(self) -> None:
        n = self._builder.sealed_count(self._tf)
        if n > self._sealed_n:
            bars = self._builder.sealed(self._tf)[self._sealed_n : n]
            for t, h, lo, c, v in zip(bars.ts_ns.tolist(), bars.high.tolist(),
                                      bars.low.tolist(), bars.close.tolist(),
                                      bars.volume.tolist(), strict=True):  # fmt: skip
                self._inc.seal(h, lo, c, v, self._session(t))
            self._sealed_n = n

    def on_ticks(self, ts_ns: np.ndarray, price: np.ndarray, qty: np.ndarray | None = None):
        """A frame's ticks: [(ts_ns, price, value)] of each tick that fired it."""
        fired = []
        a = self.alert
        qty = np.zeros(len(price)) if qty is None else qty
        for t, p, q in zip(np.asarray(ts_ns).tolist(), np.asarray(price).tolist(),
                           np.asarray(qty).tolist(), strict=True):  # fmt: skip
            self._builder.on_tick(t, p, q)
            self._seal_new()
            forming = self._builder.forming(self._tf)
            if forming is None:
                continue
            label, _o, h, lo, c, v = forming
            value = self._inc.peek(h, lo, c, v, self._session(label))[self._out]
            self.value = value
            if value != value:
                continue
            side = 1.0 if value > a.threshold else (-1.0 if value < a.threshold else 0.0)
            before, self._side = self._side, side
            up = before <= 0 < side if before == before else False
            down = before >= 0 > side if before == before else False
            if (a.op == "above" and up) or (a.op == "below" and down) or \
                    (a.op == "crosses" and (up or down)):  # fmt: skip
                fired.append((t, p, value))
                if a.once:
                    break
        return fired
