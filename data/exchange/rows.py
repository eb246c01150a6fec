"""A page of an exchange's OHLCV rows read into checked bars, as an import's are."""

from __future__ import annotations

import json

import numpy as np

from engine.bars import Bars, describe_invalid_row, invalid_row_mask
from engine.units import NS_PER_MS


class KlineTable:
    """A reply of kline rows read straight into a float64 table (open ms, open, high, low,
    close, volume): what `checked_page` reads, without a Python object a field."""

    def __init__(self, table: np.ndarray) -> None:
        self.table = table

    def __len__(self) -> int:
        return len(self.table)


def klines_json(body: str):
    """ccxt's JSON decoding (its `on_json_response`) for a klines endpoint: a reply of rows
    (`[[ms, "open", ...], ...]`) read straight into a table by a compiled pass over its bytes
    (`data.exchange.number_rows`: a page in about a fifth of the time of making its 12,000
    Python objects and reading their strings as numbers); any other reply (an error's object, an
    empty list, rows the kernel declines) decoded as JSON."""
    from data.exchange.number_rows import number_rows  # compiled: loaded by the first fetch

    table = number_rows(body.encode(), 6) if body.startswith("[") else None
    return KlineTable(table) if table is not None and len(table) else json.loads(body)


def when(ts_ns: int | None) -> str:
    return "-" if ts_ns is None else str(np.datetime64(int(ts_ns), "ns").astype("datetime64[m]"))


def checked_page(rows: list, period: int, name: str) -> Bars:
    """A page of ccxt OHLCV rows ([ms, o, h, l, c, v], ...) of bars `period` ns long, checked
    as an import's are: open times on the grid and in order, prices and volume valid. A page
    that breaks a rule raises, naming the series (`name`: "binance BTC/USDT 1m"), the bar and
    what is wrong."""
    try:
        table = rows.table if isinstance(rows, KlineTable) else _table(rows)
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"{name}: the exchange sent OHLCV rows that are not numbers: "
                         f"{str(rows[:2])[:200]}") from None  # fmt: skip
    ts = table[:, 0].astype(np.int64) * NS_PER_MS
    if not np.all(ts[1:] > ts[:-1]):  # out of order, or a bar sent twice: once, in order
        ts, keep = np.unique(ts, return_index=True)
        table = table[keep]
    off_grid = np.flatnonzero(ts % period)
    if len(off_grid):
        raise ValueError(f"{name}: a bar at {when(ts[off_grid[0]])} is not on the "
                         "timeframe's grid; nothing of that page was stored")  # fmt: skip
    o, h, lo, c, v = (np.ascontiguousarray(table[:, k]) for k in range(1, 6))
    bad = np.flatnonzero(invalid_row_mask(o, h, lo, c, v))
    if len(bad):
        i = int(bad[0])
        raise ValueError(f"{name}: the bar at {when(ts[i])} is invalid "
                         f"({describe_invalid_row(i, o[i], h[i], lo[i], c[i], v[i])}); nothing "
                         "of that page was stored")  # fmt: skip
    return Bars(ts, o, h, lo, c, v)


def _table(rows: list) -> np.ndarray:
    return np.array([row[:6] for row in rows], dtype=np.float64).reshape(-1, 6)


def closed_page(rows: list, cursor: int, until_ns: int, period: int, name: str) -> Bars:
    """The checked bars of a page (see `checked_page`) that open at or after `cursor` and
    have closed by `until_ns` (empty: the page holds nothing more to take)."""
    bars = checked_page(rows, period, name)
    a, b = np.searchsorted(bars.ts_ns, [cursor, until_ns - period + 1])  # in time order
    return Bars(*(column[a:b] for column in bars.columns().values()))
