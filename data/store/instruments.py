"""An instrument: a symbol and how it trades (calendar, time zone, tick size)."""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from engine.bars import Bars
from engine.sessions import PRESETS, calendar
from engine.timeframes import check_timeframe


@dataclasses.dataclass(frozen=True)
class Instrument:
    symbol: str
    calendar: str = "24x7"
    tz: str = ""
    tick_size: float = 0.01
    description: str = ""

    def __post_init__(self) -> None:
        check_symbol(self.symbol)
        calendar(self.calendar)
        if not self.tz:
            object.__setattr__(self, "tz", PRESETS[self.calendar].tz)
        if not (self.tick_size > 0 and np.isfinite(self.tick_size)):
            raise ValueError(
                f"{self.symbol}: tick size {self.tick_size!r} must be a positive number"
            )


_SYMBOL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")


def check_symbol(symbol: str) -> str:
    if not isinstance(symbol, str) or not _SYMBOL_RE.match(symbol):
        raise ValueError(
            f"bad symbol {symbol!r}: use 1-64 letters, digits or . _ : / - "
            "(starting with a letter or digit)"
        )
    return symbol


def check_write(symbol: str, timeframe: str, bars: Bars, instrument: Instrument | None,
                replace_span: tuple[int, int] | None = None) -> None:  # fmt: skip
    """The arguments of a store's `write_bars`, checked before anything is written."""
    check_symbol(symbol)
    check_timeframe(timeframe)
    if not isinstance(bars, Bars):
        raise TypeError(f"write_bars takes Bars, got {type(bars).__name__}")
    if instrument is not None and instrument.symbol != symbol:
        raise ValueError(f"instrument {instrument.symbol!r} does not match symbol {symbol!r}")
    bars.validate()
    if replace_span is not None and len(bars):
        first, last = replace_span
        a, b = int(bars.ts_ns[0]), int(bars.ts_ns[-1])
        if not first <= a <= b <= last:
            raise ValueError(f"the span replaced ({first} to {last} ns) must hold the bars "
                             f"written ({a} to {b} ns)")  # fmt: skip


def written_span(bars: Bars, replace_span: tuple[int, int] | None) -> tuple[int, int]:
    """The times a write of `bars` (a non-empty series) is the truth for: their own first
    to last, or the span they replace."""
    if replace_span is not None:
        return int(replace_span[0]), int(replace_span[1])
    return int(bars.ts_ns[0]), int(bars.ts_ns[-1])
