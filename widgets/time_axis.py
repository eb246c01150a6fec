"""Bottom axis for x = bar index: labels in the instrument's exchange-local time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pyqtgraph as pg

NS_PER_DAY = 86_400 * 1_000_000_000


class TimeAxisItem(pg.AxisItem):
    def __init__(self, orientation: str = "bottom", **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self._ts_ns = np.empty(0, dtype=np.int64)
        self._zone = ZoneInfo("UTC")

    def set_times(self, ts_ns: np.ndarray, tz: str) -> None:
        self._ts_ns = ts_ns
        self._zone = ZoneInfo(tz)
        self.picture = None
        self.update()

    def _local(self, i: int) -> datetime:
        seconds = int(self._ts_ns[i]) / 1e9
        return datetime.fromtimestamp(seconds, tz=UTC).astimezone(self._zone)

    def tickStrings(self, values, scale, spacing):
        n = len(self._ts_ns)
        if n == 0:
            return ["" for _ in values]
        ix = [round(v) for v in values]
        inside = [i for i in ix if 0 <= i < n]
        if len(inside) >= 2:
            step_ns = abs(int(self._ts_ns[inside[-1]]) - int(self._ts_ns[inside[0]])) / (
                len(inside) - 1
            )
        else:
            step_ns = NS_PER_DAY
        labels = []
        previous_day = None
        for i in ix:
            if not 0 <= i < n:
                labels.append("")
                continue
            t = self._local(i)
            if step_ns >= 300 * NS_PER_DAY:
                labels.append(t.strftime("%Y"))
            elif step_ns >= 20 * NS_PER_DAY:
                labels.append(t.strftime("%Y-%m"))
            elif step_ns >= NS_PER_DAY * 0.9:
                labels.append(t.strftime("%m-%d"))
            elif previous_day != t.date():
                labels.append(t.strftime("%m-%d %H:%M"))
            else:
                labels.append(t.strftime("%H:%M"))
            previous_day = t.date()
        return labels
