"""Bottom axis for x = bar index, labelled in the instrument's exchange-local time.

Tick times are chosen from a ladder (1 minute ... 10 years): the finest step whose boundaries
fall at least MIN_LABEL_PX apart. A tick sits on the first bar of each new period (so on the
open of each session for hourly steps, on each day change, month, year), and the first tick
of a new day, month or year says so in its label. Only a strided sample of the visible bars
is examined, so the cost does not grow with the history.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from engine.localtime import local_ns
from engine.units import NS_PER_HOUR, NS_PER_MIN
from widgets.axes import LeanAxisItem

MIN, HOUR = NS_PER_MIN, NS_PER_HOUR
DAY = 24 * HOUR
MIN_LABEL_PX = 90
MAX_SAMPLES = 2048
# (name, size): fixed steps in ns of local time, then calendar steps in months.
STEPS: tuple[tuple[str, int], ...] = (
    ("m", 1 * MIN), ("m", 2 * MIN), ("m", 5 * MIN), ("m", 10 * MIN), ("m", 15 * MIN),
    ("m", 30 * MIN), ("h", HOUR), ("h", 2 * HOUR), ("h", 3 * HOUR), ("h", 4 * HOUR),
    ("h", 6 * HOUR), ("h", 12 * HOUR), ("d", DAY), ("d", 2 * DAY), ("w", 7 * DAY),
    ("M", 1), ("M", 3), ("M", 6), ("Y", 12), ("Y", 24), ("Y", 60), ("Y", 120),
)  # fmt: skip


def _months(local: np.ndarray) -> np.ndarray:
    return local.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)


def _period_ids(local: np.ndarray, months: np.ndarray, kind: str, size: int) -> np.ndarray:
    if kind in "mhd":
        return local // size
    if kind == "w":
        return (local // DAY + 3) // 7  # Monday-based weeks
    return months // size


@functools.lru_cache(maxsize=4096)  # a pan shows mostly the labels of the frame before
def _label(local_value: int, kind: str, new_day: bool, new_year: bool) -> str:
    t = np.datetime64(int(local_value), "ns").astype("datetime64[s]").item()
    if kind in "mh":
        return t.strftime("%a %d %H:%M") if new_day else t.strftime("%H:%M")
    if kind in "dw":
        return t.strftime("%b %d %Y") if new_year else t.strftime("%a %d %b")
    if kind == "M":
        return t.strftime("%b %Y") if new_year else t.strftime("%b")
    return t.strftime("%Y")


def time_ticks(
    ts_ns: np.ndarray, first: int, stop: int, width_px: float, tz: str
) -> list[tuple[int, str]]:
    """(bar index, label) ticks for bars [first, stop) of `ts_ns` drawn `width_px` wide."""
    first, stop = max(first, 0), min(stop, len(ts_ns))
    if stop - first < 2 or width_px <= 0:
        return []
    stride = max(1, 2 ** math.ceil(math.log2(max((stop - first) / MAX_SAMPLES, 1))))
    index = np.arange(first, stop, stride)
    local = local_ns(ts_ns[first:stop:stride], tz)
    max_ticks = max(2, int(width_px / MIN_LABEL_PX))
    months = None  # calendar months, for the steps that need them
    for kind, size in STEPS:
        if months is None and kind in "MY":
            months = _months(local)
        ids = _period_ids(local, months, kind, size)
        change = np.flatnonzero(ids[1:] != ids[:-1]) + 1
        if len(change) <= max_ticks:
            break
    days = local // DAY
    years = (_months(local) if months is None else months) // 12
    ticks = []
    px_per_bar = width_px / (stop - first)
    last_px = -math.inf
    for k in change:
        px = (index[k] - first) * px_per_bar
        if px - last_px < MIN_LABEL_PX * 0.75:  # two boundaries a few bars apart
            continue
        # The first label of a view of days or more says the year, whether or not a year
        # begins in view (the crosshair's legend dates intraday bars in full).
        first_label = last_px == -math.inf
        last_px = px
        new_day = bool(days[k] != days[k - 1])
        new_year = first_label or bool(years[k] != years[k - 1])
        ticks.append((int(index[k]), _label(int(local[k]), kind, new_day, new_year)))
    return ticks


class TimeAxisItem(LeanAxisItem):
    """Axis whose values are bar indices; `set_series` gives the bars' open times."""

    def __init__(self, orientation: str = "bottom", **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self._ts_ns = np.empty(0, dtype=np.int64)
        self._tz = "UTC"
        self._labels: dict[int, str] = {}
        self._cached: tuple | None = None  # (key, tick values): grids ask for them too

    def set_series(self, ts_ns: np.ndarray, tz: str) -> None:
        if len(ts_ns):  # the time zone's table for the whole series, not mid-zoom
            local_ns(ts_ns[[0, -1]], tz)
        self._ts_ns = ts_ns
        self._tz = tz
        self._cached = None
        self.picture = None
        self.update()

    def tickValues(self, minVal, maxVal, size):
        key = (math.floor(minVal), math.ceil(maxVal) + 1, round(size), len(self._ts_ns))
        if self._cached is None or self._cached[0] != key:
            ticks = time_ticks(self._ts_ns, key[0], key[1], size, self._tz)
            self._labels = dict(ticks)
            self._cached = (key, [(1.0, [float(ix) for ix, _ in ticks]), (0.5, [])])
        return self._cached[1]

    def tickStrings(self, values, scale, spacing):
        return [self._labels.get(round(v), "") for v in values]
