"""A simulated copy of a real series: its recent 1m bars under a symbol of its own, named as
such, for the simulated feed to continue (the real series is never written to)."""

from __future__ import annotations

from data.store import BarStore, Instrument, StoreError, check_symbol
from data.store.provenance import simulated_copy_of
from engine.units import NS_PER_DAY

COPY_SUFFIX = ".SIM"


def copy_name(symbol: str) -> str:
    return check_symbol(symbol + COPY_SUFFIX)


def make_simulated_copy(store: BarStore, symbol: str, days: float = 30.0) -> str:
    """Copy the last `days` of `symbol`'s 1m bars into `SYMBOL.SIM` (kept if it is already
    a copy of `symbol`); returns the copy's symbol."""
    if not 0 < days <= 3660:
        raise ValueError(f"days {days!r}: copy between 1 and 3660 days of bars")
    name = copy_name(symbol)
    span = store.time_range(symbol, "1m")
    if span is None:
        raise ValueError(f"{symbol} has no 1m bars to copy; stored: {', '.join(store.symbols())}")
    source = simulated_copy_of(symbol)
    held = store.sources(name)
    if held:
        if held[0].source != source:
            raise StoreError(
                f"{name} exists and is not a simulated copy of {symbol} ({held[0].describe()}); "
                f"delete it first (candleterm delete {name})"
            )
        return name
    ins = store.instrument(symbol)
    bars = store.load(symbol, "1m", start_ns=span[1] - int(days * NS_PER_DAY))
    copy = Instrument(
        name, ins.calendar, ins.tz, ins.tick_size, f"simulated copy of {symbol} (synthetic)"
    )
    store.write_bars(name, "1m", bars, instrument=copy, source=source)
    return name
