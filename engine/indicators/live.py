"""An indicator's value on the forming bar, O(1) a tick.

The batch values of the sealed bars come from the worker; the forming bar's value moves with
every tick. `LiveIndicator` keeps the indicator's incremental form over the sealed bars
(warmed on the last `warm_bars` of them, all of them for shorter series: recursive averages
forget their start geometrically, so 5000 bars agree with the batch from the first bar to
far below display precision) and rolls it forward as bars seal; a tick costs a peek.
"""

from __future__ import annotations

import numpy as np

from engine.bars import Bars
from engine.gaps import long_gaps
from engine.indicators.registry import spec
from engine.sessions import SessionCalendar

WARM_BARS = 5000


class LiveIndicator:
    def __init__(
        self,
        key: str,
        params: dict,
        cal: SessionCalendar,
        warm_bars: int = WARM_BARS,
        gap_ns: int | None = None,
    ) -> None:
        self.spec = spec(key)
        self.params = self.spec.resolve(**params)
        self.calendar = cal
        self.warm_bars = warm_bars
        self.gap_ns = gap_ns  # the state starts again after a gap longer than this
        self._inc = None
        self._sealed_ts: int | None = None  # the last bar sealed into the state
        self._session: tuple[int, int] = (-1, 0)  # (forming bar ts, its session key)

    def reset(self) -> None:
        """Bars already sealed changed (a correction): warm again on the next update."""
        self._inc = None

    def _sessions(self, ts: np.ndarray) -> np.ndarray:
        if not self.spec.sessions:  # only session-anchored indicators read them
            return np.zeros(len(ts), np.int64)
        from engine.buckets import session_keys  # compiled: loaded by the first that needs it

        return session_keys(self.calendar, ts)

    def _seal(self, bars: Bars, a: int, b: int) -> None:
        sessions = self._sessions(bars.ts_ns[a:b])
        h, lo, c, v = (bars.high[a:b].tolist(), bars.low[a:b].tolist(),
                       bars.close[a:b].tolist(), bars.volume[a:b].tolist())  # fmt: skip
        for k, s in enumerate(sessions.tolist()):
            self._inc.seal(h[k], lo[k], c[k], v[k], s)
        if b > a:
            self._sealed_ts = int(bars.ts_ns[b - 1])

    def update(self, bars: Bars) -> dict[str, float]:
        """The values on the last bar of `bars` (the forming one; the others are sealed)."""
        n = len(bars)
        if n == 0:
            return {}
        ts = bars.ts_ns
        start = 0 if self._sealed_ts is None else int(np.searchsorted(ts, self._sealed_ts, "right"))
        known = self._sealed_ts is not None and start > 0 and ts[start - 1] == self._sealed_ts
        if self._inc is None or not known or start > n - 1:
            self._inc = None
            start = max(0, n - 1 - self.warm_bars)
        if self.gap_ns is not None:  # the last gap among the new bars starts the state again
            base = max(start - 1, 0)
            gaps = long_gaps(ts[base:], self.gap_ns)
            if len(gaps):
                self._inc, start = None, base + int(gaps[-1])
        if self._inc is None:
            self._inc = self.spec.start(**self.params)
            self._sealed_ts = None
        self._seal(bars, start, n - 1)
        t = int(ts[-1])
        if self._session[0] != t:
            self._session = (t, int(self._sessions(ts[-1:])[0]))
        values = self._inc.peek(bars.high[-1], bars.low[-1], bars.close[-1], bars.volume[-1],
                                self._session[1])  # fmt: skip
        return dict(zip(self.spec.outputs, values, strict=True))
