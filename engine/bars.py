"""`Bars`: OHLCV bars as a struct of equal-length contiguous numpy columns."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

COLUMNS: tuple[str, ...] = ("ts_ns", "open", "high", "low", "close", "volume")
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
DTYPES: dict[str, np.dtype] = {
    "ts_ns": np.dtype(np.int64),
    **{name: np.dtype(np.float64) for name in ("open", "high", "low", "close", "volume")},
}


class Bars:
    """Bars labelled by their open time `ts_ns` (int64 ns since the epoch, UTC).

    The constructor trusts its arguments (used on hot paths by code that already holds valid
    columns, such as the store); `Bars.from_arrays` converts and validates. Slicing with a
    slice returns views of the same memory, never copies.
    """

    __slots__ = COLUMNS

    def __init__(
        self,
        ts_ns: np.ndarray,
        open: np.ndarray,
        high: np.ndarray,
        low: np.ndarray,
        close: np.ndarray,
        volume: np.ndarray,
    ) -> None:
        n = len(ts_ns)
        for name, col in zip(COLUMNS, (ts_ns, open, high, low, close, volume), strict=True):
            if col.dtype != DTYPES[name] or col.ndim != 1 or len(col) != n:
                raise ValueError(
                    f"column {name!r}: expected 1-D {DTYPES[name]} of length {n}, "
                    f"got {col.ndim}-D {col.dtype} of length {len(col)}"
                )
        self.ts_ns = ts_ns
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume

    @classmethod
    def from_arrays(
        cls,
        ts_ns,
        open,
        high,
        low,
        close,
        volume=None,
        *,
        validate: bool = True,
    ) -> Bars:
        """Build bars from array-likes, converting to contiguous int64/float64 columns.

        `volume` defaults to zeros. With `validate` (the default) the bars are checked with
        `validate()`; a violation raises ValueError naming the first bad row and value.
        """
        ts = np.ascontiguousarray(ts_ns, dtype=np.int64)
        cols = [np.ascontiguousarray(c, dtype=np.float64) for c in (open, high, low, close)]
        vol = (
            np.zeros(len(ts), dtype=np.float64)
            if volume is None
            else np.ascontiguousarray(volume, dtype=np.float64)
        )
        for name, col in zip(COLUMNS[1:], [*cols, vol], strict=True):
            if col.ndim != 1 or len(col) != len(ts):
                raise ValueError(
                    f"column {name!r} has shape {col.shape}, but ts_ns has {len(ts)} rows"
                )
        bars = cls(ts, *cols, vol)
        if validate:
            bars.validate()
        return bars

    @classmethod
    def empty(cls) -> Bars:
        return cls(np.empty(0, np.int64), *(np.empty(0, np.float64) for _ in range(5)))

    def validate(self) -> None:
        """Raise ValueError naming the first row that breaks a bar invariant.

        Invariants: strictly increasing ts_ns, finite prices and volume, low <= min(open, close),
        high >= max(open, close), volume >= 0. (low <= high follows from the two bounds.)
        """
        if len(self) == 0:
            return
        bad = first_invalid_row(self)
        if bad is not None:
            row, reason = bad
            raise ValueError(f"row {row}: {reason}")

    def __len__(self) -> int:
        return len(self.ts_ns)

    def __getitem__(self, key: slice) -> Bars:
        if not isinstance(key, slice):
            raise TypeError(f"Bars can be sliced only (views), got index {key!r}")
        return Bars(*(getattr(self, name)[key] for name in COLUMNS))

    def columns(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in COLUMNS}

    def __iter__(self) -> Iterator[np.ndarray]:
        raise TypeError("Bars are columns: iterate over bars.ts_ns, bars.close, ... instead")

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in COLUMNS)

    def equals(self, other: Bars) -> bool:
        """True when both hold the same bars (NaN-free columns compared exactly)."""
        return len(self) == len(other) and all(
            np.array_equal(getattr(self, n), getattr(other, n)) for n in COLUMNS
        )

    def __repr__(self) -> str:
        if len(self) == 0:
            return "Bars(0 bars)"
        first = np.datetime64(int(self.ts_ns[0]), "ns")
        last = np.datetime64(int(self.ts_ns[-1]), "ns")
        return f"Bars({len(self)} bars, {first} .. {last} UTC)"


def concat(parts: list[Bars]) -> Bars:
    """Concatenate bars (copies); the caller guarantees the parts are in time order."""
    if not parts:
        return Bars.empty()
    return Bars(*(np.concatenate([getattr(p, n) for p in parts]) for n in COLUMNS))


def merge_ohlcv(a: tuple, b: tuple) -> tuple:
    """Two parts of one bar, each (open, high, low, close, volume, first_ns, last_ns), as one:
    the open of the earlier data, the close of the later, the extremes and the summed volume.
    The rule every bar merge follows (live corrections, recomputed buckets, the open-price
    layer); `engine.live_kernels.merge_nb` is its compiled form over the builders' state."""
    o, first = (b[0], b[5]) if b[5] < a[5] else (a[0], a[5])
    c, last = (b[3], b[6]) if b[6] >= a[6] else (a[3], a[6])
    return (o, max(a[1], b[1]), min(a[2], b[2]), c, a[4] + b[4], first, last)


def latest_per_time(parts: list[Bars]) -> Bars:
    """The parts joined in time order; for a bar time given more than once, the version from
    the latest part (a correction, a later write) wins."""
    joined = concat(parts)
    order = np.argsort(joined.ts_ns, kind="stable")  # equal times keep their part order
    ts = joined.ts_ns[order]
    last = np.ones(len(ts), dtype=bool)
    last[:-1] = ts[1:] != ts[:-1]
    keep = order[last]
    return Bars(*(getattr(joined, n)[keep] for n in COLUMNS))


def invalid_row_mask(open, high, low, close, volume) -> np.ndarray:
    """Boolean mask of the rows (of these arrays) that break a value invariant."""
    finite = (
        np.isfinite(open)
        & np.isfinite(high)
        & np.isfinite(low)
        & np.isfinite(close)
        & np.isfinite(volume)
    )
    with np.errstate(invalid="ignore"):
        ordered = (low <= np.minimum(open, close)) & (high >= np.maximum(open, close))
        return ~(finite & ordered & (volume >= 0))


def describe_invalid_row(
    i: int, open_: float, high: float, low: float, close: float, volume: float
) -> str:
    """Name the first broken invariant of one row, with its values."""
    open_, high, low, close, volume = (float(v) for v in (open_, high, low, close, volume))
    for name, value in (
        ("open", open_),
        ("high", high),
        ("low", low),
        ("close", close),
        ("volume", volume),
    ):
        if not np.isfinite(value):
            return f"{name} is {value}, prices and volume must be finite"
    if high < low:
        return f"high {high!r} < low {low!r}"
    if low > min(open_, close):
        return f"low {low!r} > min(open {open_!r}, close {close!r})"
    if high < max(open_, close):
        return f"high {high!r} < max(open {open_!r}, close {close!r})"
    return f"volume {volume!r} is negative"


def first_invalid_row(bars: Bars) -> tuple[int, str] | None:
    """(row, reason) of the first row breaking an invariant, or None when all hold."""
    ts = bars.ts_ns
    bad_values = invalid_row_mask(bars.open, bars.high, bars.low, bars.close, bars.volume)
    bad_order = np.zeros(len(ts), dtype=bool)
    bad_order[1:] = ts[1:] <= ts[:-1]
    bad = np.flatnonzero(bad_values | bad_order)
    if len(bad) == 0:
        return None
    i = int(bad[0])
    if bad_order[i]:
        return i, f"ts_ns {int(ts[i])} is not after the previous bar's {int(ts[i - 1])}"
    return i, describe_invalid_row(
        i,
        float(bars.open[i]),
        float(bars.high[i]),
        float(bars.low[i]),
        float(bars.close[i]),
        float(bars.volume[i]),
    )


@dataclasses.dataclass(frozen=True)
class PartialBar:
    """A bar so far: OHLCV and the times of the first and last data in it."""

    open: float
    high: float
    low: float
    close: float
    volume: float
    first_ns: int
    last_ns: int

    def parts(self) -> tuple:
        return (self.open, self.high, self.low, self.close, self.volume, self.first_ns,
                self.last_ns)  # fmt: skip

    def then(self, later: PartialBar | None) -> PartialBar:
        """This bar followed by `later` data (all of it after this one)."""
        if later is None:
            return self
        return PartialBar(*merge_ohlcv(self.parts(), later.parts()))

    def with_tick(self, ts_ns: int, price: float, qty: float) -> PartialBar:
        tick = (price, price, price, price, qty, ts_ns, ts_ns)
        return PartialBar(*merge_ohlcv(self.parts(), tick))

    @staticmethod
    def of_tick(ts_ns: int, price: float, qty: float) -> PartialBar:
        return PartialBar(price, price, price, price, qty, ts_ns, ts_ns)
