"""Deterministic synthetic 1-minute history for a first launch.

Four instruments on four calendars, about two years each (over two million bars): a random
walk whose volatility clusters (an AR(1) log-volatility with occasional bursts), higher
activity near session opens and closes, price gaps across session breaks, prices on the tick
grid. The same seed and end time give the same bars.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable

import numpy as np

from data.store import BarStore, Instrument
from data.store.provenance import DEMO
from engine.bars import Bars
from engine.sessions import calendar
from engine.units import NS_PER_MIN
from engine.volatility import ar1

YEAR_NS = 365 * 24 * 60 * NS_PER_MIN


@dataclasses.dataclass(frozen=True)
class DemoInstrument:
    symbol: str
    calendar: str
    start_price: float
    tick_size: float
    annual_vol: float
    minute_volume: float
    description: str


DEMO_INSTRUMENTS: tuple[DemoInstrument, ...] = (
    DemoInstrument("BTCUSD", "24x7", 30_000.0, 0.5, 0.55, 12.0, "Bitcoin / US dollar (synthetic)"),
    DemoInstrument(
        "ES", "cme-globex", 4_500.0, 0.25, 0.17, 900.0, "E-mini S&P 500 future (synthetic)"
    ),
    DemoInstrument("RB", "cn-futures", 3_800.0, 1.0, 0.22, 2_500.0, "Rebar future (synthetic)"),
    DemoInstrument("SPY", "us-equity", 450.0, 0.01, 0.15, 40_000.0, "S&P 500 ETF (synthetic)"),
)


def session_minutes(cal_name: str, start_ns: int, end_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """Open times of every 1-minute bar inside the calendar's sessions in [start, end), and
    each minute's position within its session (0 at the open, near 1 at the close)."""
    table = calendar(cal_name).table(start_ns, end_ns)
    keep = (table.close_ns > start_ns) & (table.open_ns < end_ns)
    opens, closes = table.open_ns[keep], table.close_ns[keep]
    lengths = (closes - opens) // NS_PER_MIN
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    ts = np.repeat(opens, lengths) + offsets * NS_PER_MIN
    position = offsets / np.repeat(lengths, lengths)
    inside = (ts >= start_ns) & (ts < end_ns)
    return ts[inside], position[inside]


def generate(spec: DemoInstrument, start_ns: int, end_ns: int, seed: int = 7) -> Bars:
    ts, position = session_minutes(spec.calendar, start_ns, end_ns)
    n = len(ts)
    if n == 0:
        return Bars.empty()
    rng = np.random.default_rng([seed, zlib.crc32(spec.symbol.encode())])
    years = (end_ns - start_ns) / YEAR_NS
    minute_sigma = spec.annual_vol / np.sqrt(n / years)
    phi = 0.998
    shocks = rng.normal(0.0, 0.45 * np.sqrt(1 - phi**2), n)
    shocks += (rng.random(n) < 1 / 4000) * rng.uniform(0.8, 1.6, n)  # news bursts
    log_vol = ar1(shocks, phi)
    activity = 1.0 + 1.2 * (2 * position - 1) ** 4  # U-shape over each session
    level = np.exp(log_vol) * activity
    sigma = minute_sigma * level / level.mean()
    returns = sigma * rng.standard_t(5, n) / np.sqrt(5 / 3)
    session_start = np.zeros(n, dtype=bool)
    session_start[0] = True
    session_start[1:] = (ts[1:] - ts[:-1]) > NS_PER_MIN
    gaps = np.where(session_start, rng.normal(0.0, 12 * minute_sigma, n), 0.0)
    log_close = np.log(spec.start_price) + np.cumsum(returns + gaps)
    close = np.exp(log_close)
    open_ = np.exp(log_close - returns)
    tick = spec.tick_size
    open_ = np.maximum(np.round(open_ / tick) * tick, tick)
    close = np.maximum(np.round(close / tick) * tick, tick)
    reach = sigma * 0.7
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 1.0, n)) * reach)
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 1.0, n)) * reach)
    high = np.maximum(np.ceil(high / tick - 1e-9) * tick, np.maximum(open_, close))
    low = np.minimum(np.floor(low / tick + 1e-9) * tick, np.minimum(open_, close))
    low = np.maximum(low, tick / 2)
    volume = np.round(
        spec.minute_volume
        * activity
        * np.exp(0.8 * (log_vol - log_vol.mean()))
        * rng.lognormal(0.0, 0.45, n),
        3 if spec.minute_volume < 100 else 0,
    )
    return Bars.from_arrays(ts, open_, high, low, close, np.maximum(volume, 0.0))


def create_demo_store(
    store: BarStore,
    end_ns: int,
    years: float = 2.0,
    seed: int = 7,
    progress: Callable[[str, float], None] | None = None,
    instruments: tuple[DemoInstrument, ...] = DEMO_INSTRUMENTS,
) -> int:
    """Fill `store` with demo history ending at `end_ns`; returns the number of bars."""
    end_ns = end_ns - end_ns % NS_PER_MIN
    start_ns = end_ns - int(years * YEAR_NS)
    total = 0
    for k, spec in enumerate(instruments):
        if progress is not None:
            progress(f"demo data: {spec.symbol}", k / len(instruments))
        bars = generate(spec, start_ns, end_ns, seed)
        store.write_bars(
            spec.symbol,
            "1m",
            bars,
            instrument=Instrument(
                spec.symbol, spec.calendar, tick_size=spec.tick_size, description=spec.description
            ),
            source=DEMO,
        )
        total += len(bars)
    if progress is not None:
        progress("demo data", 1.0)
    return total
