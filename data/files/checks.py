"""The checks of an import, over typed columns: every row found bad is marked once, with the
first reason found, and never gathered into a copy unless the file is accepted."""

from __future__ import annotations

import enum
from collections.abc import Callable

import numpy as np

from data.files.columns import Kind
from data.files.tables import RawTable
from engine.bars import describe_invalid_row, invalid_row_mask
from engine.timeframes import is_intraday, period_ns
from engine.units import NS_PER_MIN


class BarLabel(enum.Enum):
    """Which instant a file's bar timestamps name: the bar's open or its close."""

    START = "start"
    END = "end"


class BadRows:
    """Rows found bad so far, with the first reason found for each."""

    def __init__(self, n: int) -> None:
        self.mask = np.zeros(n, dtype=bool)
        self.reasons: dict[int, str] = {}

    def mark(self, mask: np.ndarray, reason: Callable[[int], str]) -> None:
        new = mask & ~self.mask
        for i in np.flatnonzero(new):
            self.reasons[int(i)] = reason(int(i))
        self.mask |= new

    def mark_batch(self, offset: int, mask: np.ndarray, reason: Callable[[int], str]) -> None:
        """`mark` for a batch of rows starting at `offset` (`reason` takes batch positions)."""
        seen = self.mask[offset : offset + len(mask)]  # a view: marks land in self.mask
        new = mask & ~seen
        for i in np.flatnonzero(new):
            self.reasons[offset + int(i)] = reason(int(i))
        seen |= new

    def good(self) -> np.ndarray:
        return np.flatnonzero(~self.mask)


def fmt_ts(ts_ns: int) -> str:
    return str(np.datetime64(int(ts_ns), "ns").astype("datetime64[ms]")).replace("T", " ")


def good_rows(bad: BadRows) -> np.ndarray | None:
    """Positions of the rows not found bad so far; None when every row is good (the
    columns themselves then serve, without a gathered copy)."""
    return bad.good() if bad.mask.any() else None


def check_order(ts: np.ndarray, raw: RawTable, bad: BadRows) -> None:
    """Mark rows earlier than the latest good row before them."""
    idx = good_rows(bad)
    t = ts if idx is None else ts[idx]
    if len(t) < 2 or not np.any(t[1:] < t[:-1]):
        return  # in order (the usual case: no running maximum needed)
    idx = np.arange(len(ts)) if idx is None else idx
    run_max = np.maximum.accumulate(t)
    max_pos = np.maximum.accumulate(np.where(t == run_max, np.arange(len(t)), 0))
    back = np.zeros(len(t), dtype=bool)
    back[1:] = t[1:] < run_max[:-1]
    where = np.zeros(len(ts), dtype=bool)
    where[idx[back]] = True

    def reason(i: int) -> str:
        k = int(np.searchsorted(idx, i))
        j = idx[max_pos[k - 1]]
        return (
            f"time {fmt_ts(ts[i])} is before {fmt_ts(ts[j])} on {raw.row_word} "
            f"{raw.line[j]}: rows must be in time order"
        )

    bad.mark(where, reason)


def check_bars(raw, values, opts, ts, bad, report) -> np.ndarray | None:
    """Mark every bad bar; the rows to keep (None: all), exact duplicates merged. `ts` is
    shifted in place to bar open times for end-labelled files."""
    o, h, lo, c, v = (values[k] for k in ("open", "high", "low", "close", "volume"))
    with np.errstate(invalid="ignore"):
        broken = invalid_row_mask(o, h, lo, c, v)
    bad.mark(broken, lambda i: describe_invalid_row(i, o[i], h[i], lo[i], c[i], v[i]))
    del broken
    if is_intraday(opts.timeframe):  # every intraday bar opens and closes on a whole minute
        bad.mark((ts % NS_PER_MIN) != 0, lambda i: (
            f"time {fmt_ts(ts[i])} is not on a whole minute: {opts.timeframe} bars open and "
            "close on the minute (or is the file ticks?)"
        ))  # fmt: skip
    if opts.label is BarLabel.END:
        ts -= period_ns(opts.timeframe)
    check_order(ts, raw, bad)
    idx = good_rows(bad)
    t = ts if idx is None else ts[idx]
    same = np.zeros(len(t), dtype=bool)
    same[1:] = t[1:] == t[:-1]
    del t
    if not same.any():
        return idx
    idx = np.arange(len(ts)) if idx is None else idx
    prev = np.concatenate(([0], idx[:-1]))
    identical = same & np.all([col[idx] == col[prev] for col in (o, h, lo, c, v)], axis=0)
    report.duplicates_merged = int(identical.sum())
    conflict = np.zeros(len(ts), dtype=bool)
    conflict[idx[same & ~identical]] = True
    bad.mark(
        conflict,
        lambda i: (
            f"duplicate time {fmt_ts(ts[i])} with other values than "
            f"{raw.row_word} {raw.line[prev[np.searchsorted(idx, i)]]}"
        ),
    )
    keep = np.ones(len(ts), dtype=bool)
    keep[idx[identical]] = False
    return np.flatnonzero(keep & ~bad.mask)


def check_ticks(raw, values, cmap, opts, ts, bad) -> tuple[np.ndarray, np.ndarray]:
    """Mark every bad tick; (price, qty) of every row (quotes: the mid, one per quote)."""
    if not is_intraday(opts.timeframe):
        raise ValueError(f"ticks are imported into an intraday timeframe, not {opts.timeframe!r}")
    if cmap.kind is Kind.QUOTES:
        bid, ask = values["bid"], values["ask"]
        with np.errstate(invalid="ignore"):
            broken = ~(np.isfinite(bid) & np.isfinite(ask) & (bid > 0) & (bid <= ask))
        bad.mark(
            broken,
            lambda i: f"bid {float(bid[i])!r} and ask {float(ask[i])!r}: need 0 < bid <= ask",
        )
        price = (bid + ask) / 2
        qty = np.ones(len(ts))  # tick volume: one per quote
    else:
        price = values["price"]
        qty = values.get("qty", np.zeros(len(ts)))
        with np.errstate(invalid="ignore"):
            broken = ~(np.isfinite(price) & (price > 0) & np.isfinite(qty) & (qty >= 0))
        bad.mark(
            broken,
            lambda i: (
                f"price {float(price[i])!r} and qty {float(qty[i])!r}: need price > 0, qty >= 0"
            ),
        )
    check_order(ts, raw, bad)
    return price, qty


def kept(columns: list[np.ndarray], idx: np.ndarray | None) -> list[np.ndarray]:
    """The rows `idx` of each column, gathered into the column's own front (one column's
    copy at a time), as views; all of them when `idx` is None."""
    if idx is None:
        return columns
    out = []
    for col in columns:
        col[: len(idx)] = col[idx]
        out.append(col[: len(idx)])
    return out
