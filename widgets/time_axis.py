"""Bottom axis for x = bar index, labelled in the instrument's exchange-local time.

Tick times are chosen from a ladder (1 minute ... 10 years): the finest step whose boundaries
fall at least MIN_LABEL_PX apart (less in a narrow view: `label_spacing_px`). A tick sits on
the first bar of each new period (so on the open of each session for hourly steps, on each
day change, month, year), and the first tick of a new day, month or year says so in its
label. Only a strided sample of the visible bars is examined, so the cost does not grow with
the history.
"""

from __future__ import annotations

import bisect
import functools
import math
from typing import NamedTuple

import numpy as np

from engine.localtime import local_ns
from engine.units import NS_PER_HOUR, NS_PER_MIN
from widgets.axes import LABEL_GAP_PX, LeanAxisItem

MIN, HOUR = NS_PER_MIN, NS_PER_HOUR
DAY = 24 * HOUR
MIN_LABEL_PX = 90
NARROW_LABEL_PX = 56  # a narrow view's labels (a grid cell's) may come this close
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
def _label(local_value: int, kind: str, new_day: bool, new_year: bool,
           new_month: bool = False) -> str:  # fmt: skip
    """A tick's label; an intraday tick that starts a day says it, and the month or the
    year when it starts one too (scrolled back, "Wed 01 09:00" did not say which month)."""
    t = np.datetime64(int(local_value), "ns").astype("datetime64[s]").item()
    if kind in "mh":
        if not new_day:
            return t.strftime("%H:%M")
        if new_year:
            return t.strftime("%d %b %Y %H:%M")
        return t.strftime("%a %d %b %H:%M") if new_month else t.strftime("%a %d %H:%M")
    if kind in "dw":
        return t.strftime("%b %d %Y") if new_year else t.strftime("%a %d %b")
    if kind == "M":
        return t.strftime("%b %Y") if new_year else t.strftime("%b")
    return t.strftime("%Y")


def label_spacing_px(view_px: float) -> float:
    """How far apart labels fall at least in a view `view_px` wide: MIN_LABEL_PX, or in a
    narrow view room for three (down to NARROW_LABEL_PX): a 180 px grid cell showed one."""
    return min(MIN_LABEL_PX, max(NARROW_LABEL_PX, view_px / 3))


def _alone(ts_ns: np.ndarray, ix: int, tz: str, days: bool) -> list[tuple[int, str]]:
    """The tick of bar `ix` shown alone (a series of one bar): its date in full, and its
    time for intraday bars (with no other tick beside it, nothing else says when it is)."""
    t = np.datetime64(int(local_ns(ts_ns[ix : ix + 1], tz)[0]), "ns")
    t = t.astype("datetime64[s]").item()
    return [(ix, t.strftime("%b %d %Y") if days else t.strftime("%b %d %Y %H:%M"))]


def _boundaries(ts_ns: np.ndarray, first: int, stop: int, width_px: float, tz: str,
                days: bool = False, view_px: float | None = None,
                label_px: dict[str, float] | None = None):  # fmt: skip
    """The ticks of bars [first, stop) drawn `width_px` wide, unlabelled: (step kind, bar
    indices, local times, whether each starts a day, a month, a year). `days`:
    the bars are days or longer, stepped by a day at least. `view_px`: the width of the
    view they are shown in (all of it, or a part). `label_px`: how wide a label of each
    calendar kind ("d", "w", "M", "Y") is; their ticks are spaced for their labels then
    (months "Feb" "Mar" come closer than dates "Mon 06 Feb"), else all as times of day."""
    stride = max(1, 2 ** math.ceil(math.log2(max((stop - first) / MAX_SAMPLES, 1))))
    index = np.arange(first, stop, stride)
    local = local_ns(ts_ns[first:stop:stride], tz)
    min_px = label_spacing_px(view_px or width_px)

    def spacing(kind: str) -> tuple[float, float]:
        """How far apart ticks of `kind` fall on average, and at least."""
        if label_px is None or kind in "mh":
            return min_px, min_px * 0.75
        label = label_px[kind]
        return (max(label + 2 * LABEL_GAP_PX, NARROW_LABEL_PX),
                min(label + LABEL_GAP_PX, min_px * 0.75))  # fmt: skip

    months = None  # calendar months, for the steps that need them
    finer = None
    for kind, size in STEPS[STEPS.index(("d", DAY)) :] if days else STEPS:
        if months is None and kind in "MY":
            months = _months(local)
        ids = _period_ids(local, months, kind, size)
        change = np.flatnonzero(ids[1:] != ids[:-1]) + 1
        if len(change) <= max(2, int(width_px / spacing(kind)[0])):
            break
        finer = (kind, size, ids, change)
    # A step up the ladder can leave one tick for two months in view (eight weeks did not
    # fit 620 px): under three a view whose labels fit (not half a label from an end), the
    # finer step's ticks, thinned to those apart enough.
    px = (index[change] - first) * (width_px / (stop - first))
    edge_px = spacing(kind)[0] / 2
    fit = (px >= edge_px) & (px <= width_px - edge_px)
    if finer is not None and int(fit.sum()) * (view_px or width_px) < 3 * width_px:
        kind, size, ids, change = finer
        px = (index[change] - first) * (width_px / (stop - first))
    # Two boundaries a few bars apart: keep the first.
    apart_px = spacing(kind)[1]
    keep = np.zeros(len(change), dtype=bool)
    last_px = -math.inf
    for k, x in enumerate(px.tolist()):  # a few dozen boundaries at most
        if x - last_px >= apart_px:
            keep[k], last_px = True, x
    change = change[keep]
    at, at_local = index[change], local[change]
    if stride > 1 and len(change):  # the sample found each period's start within a stride
        at, at_local = _first_bars(ts_ns, tz, index[change - 1] + 1, at, ids[change], kind, size)
    # A tick starts a day (a year) when its day differs from the tick's before it (the
    # first tick's: the bar's before it): weekly ticks cross a new year mid-week.
    before = local[change[:1] - 1]
    days = np.concatenate((before, at_local)) // DAY
    months = _months(np.concatenate((before, at_local)))
    years = months // 12
    return (kind, at, at_local, days[1:] != days[:-1], months[1:] != months[:-1],
            years[1:] != years[:-1])  # fmt: skip


def _first_bars(ts_ns, tz, lo, hi, period, kind, size):
    """The exact first bar of each `period` (an id of `_period_ids`), known to lie in bars
    [lo, hi] (hi: the sampled bar found in it): (bar indices, their local times). One pass
    over the few bars between samples, so a tick sits on the period's first bar and its label
    says that bar's time (a day's 00:00, not the sampled 00:07)."""
    lengths = hi - lo + 1
    offsets = np.cumsum(lengths) - lengths
    bars = np.repeat(lo - offsets, lengths) + np.arange(int(lengths.sum()))
    local = local_ns(ts_ns[bars], tz)
    ids = _period_ids(local, _months(local) if kind in "MY" else None, kind, size)
    position = np.arange(len(bars))
    first = np.minimum.reduceat(np.where(ids == np.repeat(period, lengths), position,
                                         len(bars)), offsets)  # fmt: skip
    return bars[first], local[first]


class _Ticks(NamedTuple):
    """Ticks of `_boundaries` labelled, in plain lists: a pan takes a slice of them a frame."""

    kind: str
    index: list[int]
    local: list[int]
    new_day: list[bool]
    labels: list[str]  # each dated as its own day and year changes say

    @classmethod
    def of(cls, kind, index, local, new_day, new_month, new_year) -> _Ticks:
        local, new_day = local.tolist(), new_day.tolist()
        return cls(kind, index.tolist(), local, new_day, [
            _label(t, kind, d, y, m) for t, d, m, y in zip(
                local, new_day, new_month.tolist(), new_year.tolist(), strict=True)
        ])  # fmt: skip

    def labelled(self, a: int = 0, b: int | None = None) -> list[tuple[int, str]]:
        """(bar index, label) of ticks [a, b). The first label of a view of days or more says
        the year, whether or not a year begins in view (the crosshair's legend dates intraday
        bars in full)."""
        labels = self.labels[a:b]
        if labels and self.kind not in "mh":
            labels[0] = _label(self.local[a], self.kind, self.new_day[a], True)
        return list(zip(self.index[a:b], labels, strict=True))


def time_ticks(
    ts_ns: np.ndarray, first: int, stop: int, width_px: float, tz: str, days: bool = False
) -> list[tuple[int, str]]:
    """(bar index, label) ticks for bars [first, stop) of `ts_ns` drawn `width_px` wide
    (`days`: bars of a day or longer)."""
    first, stop = max(first, 0), min(stop, len(ts_ns))
    if stop - first < 1 or width_px <= 0:
        return []
    if stop - first == 1:
        return _alone(ts_ns, first, tz, days)
    return _Ticks.of(*_boundaries(ts_ns, first, stop, width_px, tz, days)).labelled()


class TimeAxisItem(LeanAxisItem):
    """Axis whose values are bar indices; `set_series` gives the bars' open times."""

    def __init__(self, orientation: str = "bottom", **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self._ts_ns = np.empty(0, dtype=np.int64)
        self._tz = "UTC"
        self._days = False
        self._labels: dict[int, str] = {}
        self._cached: tuple | None = None  # (key, tick values): grids ask for them too
        self._window: tuple | None = None  # (zoom key, first, stop, _Ticks) of a wider span
        self._label_widths: tuple | None = None  # (the font's metrics, widths by kind)

    def set_series(self, ts_ns: np.ndarray, tz: str, days: bool = False) -> None:
        """The bars' times (`days`: bars of a day or longer, labelled by date)."""
        if len(ts_ns):  # the time zone's table for the whole series, not mid-zoom
            local_ns(ts_ns[[0, -1]], tz)
        self._ts_ns = ts_ns
        self._tz = tz
        self._days = days
        self._cached = self._window = None
        self.invalidate_specs()

    def tickValues(self, minVal, maxVal, size):
        key = (math.floor(minVal), math.ceil(maxVal) + 1, round(size), len(self._ts_ns))
        if self._cached is None or self._cached[0] != key:
            ticks = self._ticks(*key)
            self._labels = dict(ticks)
            self._cached = (key, [(1.0, [float(ix) for ix, _ in ticks]), (0.5, [])])
        return self._cached[1]

    def _ticks(self, first: int, stop: int, size_px: int, n: int) -> list[tuple[int, str]]:
        """The ticks in view, taken from those of the view and a view either side at the
        same scale: a pan reuses them (and its labels stay put) until it leaves that span.
        The view's `size_px` spans its bars [first, stop), past the series' ends too (the
        room right of the latest bar): the bars in view are placed at its scale."""
        span = stop - first
        first, stop = max(first, 0), min(stop, n)
        if stop - first < 1 or size_px <= 0:
            return []
        if stop - first == 1:
            return _alone(self._ts_ns, first, self._tz, self._days)
        zoom = (span, size_px, n)
        window = self._window
        if window is None or window[0] != zoom or not (window[1] <= first and stop <= window[2]):
            w_first, w_stop = max(0, first - span), min(n, stop + span)
            width_px = size_px * (w_stop - w_first) / span
            ticks = _Ticks.of(*_boundaries(
                self._ts_ns, w_first, w_stop, width_px, self._tz, self._days, size_px,
                self._label_px()))  # fmt: skip
            self._window = window = (zoom, w_first, w_stop, ticks)
        index = window[3].index
        return window[3].labelled(bisect.bisect_left(index, first), bisect.bisect_left(index, stop))

    def tickStrings(self, values, scale, spacing):
        return [self._labels.get(round(v), "") for v in values]

    def _label_px(self) -> dict[str, float]:
        """The widest label of each calendar kind in the axis' font, over a year of dates."""
        metrics = self._texts.metrics
        if self._label_widths is None or self._label_widths[0] is not metrics:
            dates = np.datetime64("2006-01-28", "ns") + np.arange(12) * np.timedelta64(31, "D")
            self._label_widths = (metrics, {
                kind: max(self._texts.width(_label(int(t), kind, False, False))
                          for t in dates.astype(np.int64).tolist())
                for kind in "dwMY"})  # fmt: skip
        return self._label_widths[1]

    def _first_text(self, value: float, text: str) -> str:
        """The first label drawn says the year in a view of days or more, even when the
        first tick's label (which says it) lies past the axis' end and is not drawn: Home
        showed "Mon 09 Dec" ... "Mon 06 Jan" with no year."""
        ix = round(value)
        if self._window is None or ix < 0 or ix >= len(self._ts_ns):
            return text
        kind = self._window[3].kind
        if kind in "mh":
            return text
        return _label(int(local_ns(self._ts_ns[ix : ix + 1], self._tz)[0]), kind, False, True)
