"""Copy everything readable from a damaged store into a new one.

Each series is copied stretch by stretch with its recorded source; a range that cannot be read
(a damaged block) is halved until the readable parts are found, down to a day, and what could
not be read is reported. The damaged file is only read.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from data.store import BarStore, StoreError
from data.store.provenance import API, DERIVED, Source
from engine.units import NS_PER_DAY, minute_text


@dataclasses.dataclass
class RepairReport:
    copied: dict[tuple[str, str], int] = dataclasses.field(default_factory=dict)
    lost: list[tuple[str, str, int, int]] = dataclasses.field(default_factory=list)
    lost_series: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)

    def summary(self, dest: Path) -> str:
        lines = [f"copied {sum(self.copied.values()):,} bars of {len(self.copied)} series "
                 f"into {dest}"]  # fmt: skip
        for symbol, tf, first, last in self.lost:
            lines.append(f"lost {symbol} {tf} bars from {minute_text(first)} to "
                         f"{minute_text(last)} (unreadable)")  # fmt: skip
        for symbol, tf, why in self.lost_series:
            lines.append(f"lost {symbol} {tf}: {why}")
        return "\n".join(lines)


def repair(src: BarStore, dest_path: Path) -> RepairReport:
    if Path(dest_path).exists():
        raise StoreError(f"{dest_path} exists: repair copies into a new file; choose another")
    report = RepairReport()
    with BarStore(dest_path) as dest:
        for instrument in src.instruments():
            dest.add_instrument(instrument)
            for tf in src.timeframes(instrument.symbol):
                _copy_series(src, dest, instrument.symbol, tf, report)
            _copy_drawings(src, dest, instrument.symbol, report)
    return report


def _copy_drawings(src: BarStore, dest: BarStore, symbol: str, report) -> None:
    try:
        drawings = src.drawings(symbol)
    except (StoreError, ValueError) as exc:
        report.lost_series.append((symbol, "drawings", f"unreadable ({exc})"))
        return
    if drawings:
        dest.set_drawings(symbol, drawings)


def _copy_series(src: BarStore, dest: BarStore, symbol: str, tf: str, report) -> None:
    span = src.time_range(symbol, tf)
    try:
        stretches = src.sources(symbol, tf)
    except StoreError as exc:
        report.lost_series.append((symbol, tf, f"its sources are unreadable ({exc})"))
        return
    if span is None:
        return
    default = DERIVED if tf != "1m" else API
    pieces = [(s.source, s.first_ns, s.last_ns) for s in stretches] or [(default, span[0], span[1])]
    for source, first, last in pieces:
        _copy_range(src, dest, symbol, tf, source, first, last, report)


def _copy_range(src, dest, symbol, tf, source: Source, first: int, last: int, report) -> None:
    try:
        bars = src.load(symbol, tf, start_ns=first, end_ns=last + 1)
    except StoreError:
        if last - first <= NS_PER_DAY:
            report.lost.append((symbol, tf, first, last))
            return
        middle = first + (last - first) // 2
        _copy_range(src, dest, symbol, tf, source, first, middle, report)
        _copy_range(src, dest, symbol, tf, source, middle + 1, last, report)
        return
    if len(bars):
        dest.write_bars(symbol, tf, bars, source=source)
        key = (symbol, tf)
        report.copied[key] = report.copied.get(key, 0) + len(bars)
