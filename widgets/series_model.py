"""The model of one chart series: bars of one (symbol, timeframe) and their LOD pyramid."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from engine.bars import COLUMNS, Bars, latest_per_time
from engine.localtime import local_ns
from engine.lod import LodPyramid
from engine.series_buffer import SeriesBuffer
from engine.sessions import calendar as session_calendar
from engine.timeframes import is_intraday
from engine.units import NS_PER_DAY


class SeriesModel(QtCore.QObject):
    """Bars for the views (x = bar index), kept with a level-of-detail pyramid.

    Signals:
        bars_appended(int first_ix): new bars from first_ix to the end.
        bars_prepended(int count): `count` older bars now come first (indices moved up).
        last_bar_changed(): the last (forming) bar changed in place.
        bars_corrected(int ix): bar ix changed.
        bars_reset(): all bars were replaced.
        history_completed(): no bars are older than the first (an empty page came).
    """

    bars_appended = QtCore.Signal(int)
    bars_prepended = QtCore.Signal(int)
    last_bar_changed = QtCore.Signal()
    bars_corrected = QtCore.Signal(int)
    bars_reset = QtCore.Signal()
    history_completed = QtCore.Signal()

    def __init__(
        self,
        symbol: str,
        timeframe: str,
        tz: str,
        bars: Bars | SeriesBuffer | None = None,
        calendar: str | None = None,
    ) -> None:
        """`bars` may be a SeriesBuffer to take over (from `BarStore.load_series`, no copy)
        or Bars (copied). `calendar` (the instrument's) dates a day's bar by its trading
        day, not by the day its session opens on."""
        super().__init__()
        self.symbol = symbol
        self.timeframe = timeframe
        self.tz = tz
        self.calendar = calendar
        self.history_complete = False  # True once the oldest stored bar is loaded
        self._buffer = _buffer_of(bars)
        self.pyramid = LodPyramid(self._buffer)

    def __len__(self) -> int:
        return self._buffer.n

    @property
    def bars(self) -> Bars:
        """Views of the bars (valid until the next change)."""
        return self._buffer.bars()

    def column(self, name: str):
        b = self._buffer
        return b.raw(name)[b.origin : b.end]

    def label_times(self, first: int = 0, stop: int | None = None) -> tuple[np.ndarray, str]:
        """(times, time zone) the bars [first, stop) are labelled by: their open times in the
        exchange's zone; a day's bar (or longer) by its trading day, at midnight (ES's bar of
        Monday opens on Sunday at 17:00 in Chicago)."""
        ts = self.column("ts_ns")[first:stop]
        if self.calendar is None or is_intraday(self.timeframe) or len(ts) == 0:
            return ts, self.tz
        days = session_calendar(self.calendar).trading_day(ts)
        return days.astype("datetime64[ns]").astype(np.int64), "UTC"

    def day_numbers(self, ts_ns: np.ndarray) -> np.ndarray:
        """The day each instant belongs to, in days since 1970-01-01: its trading day when
        the instrument's calendar is known (CME's session opening at 17:00 in Chicago is the
        next day's, as its daily bar is), else its exchange-local date."""
        if self.calendar is None:
            return local_ns(ts_ns, self.tz) // NS_PER_DAY
        return session_calendar(self.calendar).trading_day(ts_ns).astype(np.int64)

    def set_bars(self, bars: Bars | SeriesBuffer) -> None:
        self._buffer = _buffer_of(bars)
        self.pyramid = LodPyramid(self._buffer)
        self.history_complete = False
        self.bars_reset.emit()

    def release(self) -> None:
        """Drop the bars of a model no view shows any more, so its columns are freed now
        rather than whenever the garbage collector reaches the views that referenced it."""
        self._buffer = SeriesBuffer()
        self.pyramid = LodPyramid(self._buffer)

    def append(self, bars: Bars) -> None:
        if len(bars) == 0:
            return
        if len(self) and bars.ts_ns[0] <= self.column("ts_ns")[-1]:
            raise ValueError("appended bars must come after the last bar")
        first = self._buffer.append(bars)
        self.pyramid.update(max(first - 1, 0), first + len(bars))
        self.bars_appended.emit(first)

    def prepend(self, bars: Bars) -> None:
        if len(bars) == 0:
            self.history_complete = True
            self.history_completed.emit()
            return
        if len(self) and bars.ts_ns[-1] >= self.column("ts_ns")[0]:
            raise ValueError("prepended bars must come before the first bar")
        count = self._buffer.prepend(bars)
        self.pyramid.update(0, count + 1)
        self.bars_prepended.emit(count)

    def update_last(self, row: tuple) -> None:
        """The forming bar (ts_ns, open, high, low, close, volume) changed, or a new one
        started (then it is appended)."""
        if len(self) == 0 or row[0] > self.column("ts_ns")[-1]:
            self.append(Bars.from_arrays(*([x] for x in row)))
            return
        ix = len(self) - 1
        self._buffer.set_row(ix, row)
        self.pyramid.update(ix, ix + 1)
        self.last_bar_changed.emit()

    def upsert(self, bars: Bars) -> None:
        """Bars in time order from a live feed: those at a time already here replace it,
        later ones are appended. A bar for a time between two bars here (a late tick opened a
        minute that had none) is merged in, which rebuilds the model (rare)."""
        if len(bars) == 0:
            return
        ts = self.column("ts_ns")
        newer = int(np.searchsorted(bars.ts_ns, ts[-1], side="right")) if len(ts) else 0
        older = bars[:newer]
        ix = np.searchsorted(ts, older.ts_ns)
        if not np.array_equal(ts[np.minimum(ix, len(ts) - 1)], older.ts_ns):
            self._merge(bars)
            return
        last = len(self) - 1
        for k, row_ix in enumerate(ix.tolist()):
            row = tuple(getattr(older, c)[k] for c in COLUMNS)
            if row_ix == last:
                self.update_last(row)  # the forming bar sealed: not a correction of history
            else:
                self.correct(row_ix, row)
        self.append(bars[newer:])

    def _merge(self, bars: Bars) -> None:
        complete = self.history_complete
        self.set_bars(latest_per_time([self.bars, bars]))  # the new one wins
        self.history_complete = complete

    def correct(self, ix: int, row: tuple) -> None:
        self._buffer.set_row(ix, row)
        self.pyramid.update(ix, ix + 1)
        self.bars_corrected.emit(ix)


def _buffer_of(bars: Bars | SeriesBuffer | None) -> SeriesBuffer:
    if isinstance(bars, SeriesBuffer):
        return bars
    return SeriesBuffer(bars)
