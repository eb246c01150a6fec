"""View > Go to date: a date and time, in the time zone the chart's time axis shows, that
every chart on screen centres on (loading the older bars back to it); a time outside the
stored bars is said, and the first or the latest bar shown."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from PySide6 import QtCore, QtWidgets

from engine.bar_x import nominal_period_ns
from engine.units import minute_text
from widgets.chart import ChartWidget

NS_PER_US = 1000
SHOWN_FORMAT = "yyyy-MM-dd HH:mm"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)


def local_to_ns(when: dt.datetime, tz: str) -> int:
    """UTC ns of a wall-clock time in `tz` (in a DST fold, its first pass; in a gap, read
    at the offset before it)."""
    return (when.replace(tzinfo=ZoneInfo(tz), fold=0) - EPOCH) // MICROSECOND * NS_PER_US


def ns_to_local(ts_ns: int, tz: str) -> dt.datetime:
    """The wall-clock time in `tz` of a UTC ns instant, without its zone."""
    utc = EPOCH + dt.timedelta(microseconds=ts_ns // NS_PER_US)
    return utc.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


class GoToDateDialog(QtWidgets.QDialog):
    """A date and time in `tz` (with a calendar), first the time at the view's centre."""

    def __init__(self, parent: QtWidgets.QWidget | None, tz: str, at_ns: int) -> None:
        super().__init__(parent)
        self.setWindowTitle("Go to date")
        self._tz = tz
        self.edit = QtWidgets.QDateTimeEdit()
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat(SHOWN_FORMAT)
        self.edit.setDateTime(QtCore.QDateTime(ns_to_local(at_ns, tz)))
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QtWidgets.QFormLayout(self)
        form.addRow(f"Date and time ({tz})", self.edit)
        form.addRow(buttons)

    def ts_ns(self) -> int:
        """The time chosen, as UTC ns."""
        return local_to_ns(self.edit.dateTime().toPython(), self._tz)


def ask(window: QtWidgets.QWidget, chart: ChartWidget) -> int | None:
    """A time to go to (UTC ns), asked for in the chart's time zone; None if cancelled."""
    model = chart.model
    if len(model) == 0:
        return None
    x0, x1 = chart.visible_range()
    centre = min(max(round((x0 + x1) / 2), 0), len(model) - 1)
    dialog = GoToDateDialog(window, model.tz, int(model.column("ts_ns")[centre]))
    return dialog.ts_ns() if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted else None


def outside(ts_ns: int, symbol: str, timeframe: str, span: tuple[int, int] | None) -> str:
    """What to say of a time outside the stored bars' `span` (first, last open), or ""."""
    if span is None:
        return ""
    if ts_ns < span[0]:
        return (f"{symbol} {timeframe} begins {minute_text(span[0])} UTC, after the time "
                f"asked ({minute_text(ts_ns)} UTC): its first bar is shown")  # fmt: skip
    if ts_ns >= span[1] + nominal_period_ns(timeframe):
        return (f"{symbol} {timeframe} ends {minute_text(span[1])} UTC, before the time "
                f"asked ({minute_text(ts_ns)} UTC): its latest bar is shown")  # fmt: skip
    return ""
