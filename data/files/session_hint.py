"""How a file's times would have to be read for its bars to fall inside its calendar's
sessions: a vendor's file in exchange time read as UTC, or labelled by its bars' close read as
their open, puts bars outside the sessions, and the import can name the reading that fits."""

from __future__ import annotations

import itertools

import numpy as np

from data.files.checks import BarLabel
from data.files.timestamps import wall_to_utc
from engine.localtime import local_ns
from engine.sessions import SessionCalendar


def _option_words(tz: str | None, label: BarLabel | None) -> str:
    words = []
    if tz is not None:
        words.append(f"in {tz} time (--tz {tz})")
    if label is not None:
        edge = "close" if label is BarLabel.END else "open"
        words.append(f"as labelled by each bar's {edge} (--label {label.value})")
    return " and ".join(words)


def reading_hint(
    ts_ns: np.ndarray,
    cal: SessionCalendar,
    calendar_name: str,
    tz: str,
    label: BarLabel | None,
    period_ns: int,
    wall_clock: bool,
) -> str | None:
    """A note naming another time zone (the calendar's, for times written without a zone)
    and/or bar label under which every bar of `ts_ns` (bar open times as read, in `tz` and
    by `label`; `label` None for ticks) falls inside `cal`'s sessions; None when no such
    reading exists or none is needed."""
    if len(ts_ns) == 0 or cal.is_in_session(ts_ns).all():
        return None
    zones = [None, cal.tz] if wall_clock and cal.tz != tz else [None]
    labels = [None] if label is None else [None, BarLabel.END if label is BarLabel.START
                                           else BarLabel.START]  # fmt: skip
    wall_ns = ts_ns if tz == "UTC" or len(zones) == 1 else local_ns(ts_ns, tz)
    for zone, new_label in itertools.product(zones, labels):
        if zone is None and new_label is None:
            continue
        ts = wall_to_utc(wall_ns, zone) if zone is not None else ts_ns
        if new_label is BarLabel.END:  # read as opens, they were closes: a period earlier
            ts = ts - period_ns
        elif new_label is BarLabel.START:
            ts = ts + period_ns
        if cal.is_in_session(ts).all():
            reading = _option_words(zone, new_label)
            return (f"every bar falls inside the {calendar_name} sessions read {reading}: "
                    "if the file is written so, import it again with that and --replace "
                    "(its bars then replace these)")  # fmt: skip
    return None
