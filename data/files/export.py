"""Export stored bars to Parquet or CSV through pyarrow, a window of time at a time (memory
stays bounded, and a terminal exporting for another process never holds the interpreter
long: its frames go on), into a temporary file renamed when complete (a failed export leaves
no partial file)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from data.store import BarStore
from engine.bar_x import nominal_period_ns
from engine.bars import Bars
from engine.units import minute_text

CHUNK_BARS = 250_000  # bars a window of time holds at most


MAX_DECIMALS = 10  # a column written with more is written as it is held


def as_written(column: np.ndarray) -> np.ndarray:
    """The column at the fewest decimals that hold every value but for the float's noise
    (1.1215600000000001, a mid of two quotes, is the price 1.12156: a CSV shows it so), or
    as it is when no such decimals (computed values)."""
    finite = column[np.isfinite(column)]
    for decimals in range(MAX_DECIMALS + 1):
        scaled = finite * 10.0**decimals
        if np.all(np.abs(scaled - np.rint(scaled)) <= np.abs(scaled) * 1e-13 + 1e-9):
            return np.round(column, decimals)
    return column


def table_of(bars: Bars, written: bool = False) -> pa.Table:
    """Bars as an Arrow table whose `ts` column is a UTC timestamp of the bar's open (and,
    `written`, its values `as_written`)."""
    columns = bars.columns()
    return pa.table(
        {
            "ts": pa.array(bars.ts_ns, pa.int64()).cast(pa.timestamp("ns", tz="UTC")),
            **{name: as_written(columns[name]) if written else columns[name]
               for name in ("open", "high", "low", "close", "volume")},
        }
    )  # fmt: skip


def export_bars(
    store: BarStore,
    symbol: str,
    timeframe: str,
    out: str | Path,
    start_ns: int | None = None,
    end_ns: int | None = None,
) -> int:
    """Write a series to `out` (.parquet or .csv by its suffix); returns the bar count."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv"):
        raise ValueError(f"export to {out}: use a .parquet or .csv file name")
    if symbol not in store.symbols():
        raise ValueError(
            f"no bars of {symbol!r} in {store.path}; stored symbols: "
            f"{', '.join(store.symbols()) or 'none'}"
        )
    if start_ns is not None and end_ns is not None and int(start_ns) >= int(end_ns):
        raise ValueError(f"export: --start {minute_text(start_ns)} is not before --end "
                         f"{minute_text(end_ns)}; give the end after the start")  # fmt: skip
    stored = store.timeframes(symbol)
    if timeframe not in stored:  # it wrote an empty file, as if the span held no bars
        raise ValueError(f"no {timeframe} bars of {symbol} in {store.path}; stored: "
                         f"{', '.join(stored)} (export one of those, or the 1m bars to "
                         "aggregate)")  # fmt: skip
    first, last = store.time_range(symbol, timeframe) or (0, -1)
    lo = first if start_ns is None else max(first, int(start_ns))
    hi = last if end_ns is None else min(last, int(end_ns) - 1)
    span = CHUNK_BARS * nominal_period_ns(timeframe)
    part = out.with_name(f".{out.name}.part")
    schema = table_of(store.load(symbol, timeframe, limit=0)).schema
    writer = (pcsv.CSVWriter(part, schema) if suffix == ".csv"
              else pq.ParquetWriter(part, schema))  # fmt: skip
    n = 0
    try:
        with writer:
            while lo <= hi:
                bars = store.load(symbol, timeframe, lo, min(lo + span, hi + 1))
                if len(bars):
                    writer.write_table(table_of(bars, written=suffix == ".csv"))
                    n += len(bars)
                lo += span
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    return n
