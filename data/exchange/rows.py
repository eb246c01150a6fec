"""A page of an exchange's OHLCV rows read into checked bars, as an import's are."""

from __future__ import annotations

import numpy as np

from engine.bars import Bars, describe_invalid_row, invalid_row_mask

NS_PER_MS = 1_000_000


def when(ts_ns: int | None) -> str:
    return "-" if ts_ns is None else str(np.datetime64(int(ts_ns), "ns").astype("datetime64[m]"))


def checked_page(rows: list, period: int, name: str) -> Bars:
    """A page of ccxt OHLCV rows ([ms, o, h, l, c, v], ...) of bars `period` ns long, checked
    as an import's are: open times on the grid and in order, prices and volume valid. A page
    that breaks a rule raises, naming the series (`name`: "binance BTC/USDT 1m"), the bar and
    what is wrong."""
    try:
        table = np.array([row[:6] for row in rows], dtype=np.float64).reshape(-1, 6)
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"{name}: the exchange sent OHLCV rows that are not numbers: "
                         f"{str(rows[:2])[:200]}") from None  # fmt: skip
    ts = table[:, 0].astype(np.int64) * NS_PER_MS
    ts, keep = np.unique(ts, return_index=True)  # a bar sent twice: once
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


def closed_page(rows: list, cursor: int, until_ns: int, period: int, name: str) -> Bars:
    """The checked bars of a page (see `checked_page`) that open at or after `cursor` and
    have closed by `until_ns` (empty: the page holds nothing more to take)."""
    bars = checked_page(rows, period, name)
    closed = (bars.ts_ns >= cursor) & (bars.ts_ns + period <= until_ns)
    return Bars(*(column[closed] for column in bars.columns().values()))
