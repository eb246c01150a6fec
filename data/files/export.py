"""Export stored bars to Parquet or CSV through pyarrow."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from data.store import BarStore
from engine.bars import Bars


def table_of(bars: Bars) -> pa.Table:
    """Bars as an Arrow table whose `ts` column is a UTC timestamp of the bar's open."""
    return pa.table(
        {
            "ts": pa.array(bars.ts_ns, pa.int64()).cast(pa.timestamp("ns", tz="UTC")),
            **{name: bars.columns()[name] for name in ("open", "high", "low", "close", "volume")},
        }
    )


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
    bars = store.load(symbol, timeframe, start_ns, end_ns)
    table = table_of(bars)
    if suffix == ".csv":
        pcsv.write_csv(table, out)
    else:
        pq.write_table(table, out)
    return len(bars)
