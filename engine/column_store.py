"""A growable store of bar columns with amortized O(1) appends and no per-bar objects."""

from __future__ import annotations

import numpy as np

from engine.bars import Bars

# Columns: the bar, plus the first and last tick times inside it (for exact late merges).
FIELDS = ("ts_ns", "open", "high", "low", "close", "volume", "first_ns", "last_ns")
_INT_FIELDS = ("ts_ns", "first_ns", "last_ns")


class ColumnStore:
    """Bars in preallocated columns that double when full. `n` rows are in use; one spare
    row after them always exists so a forming bar can be shown in place (see `view`)."""

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self._cols = {
            f: np.empty(max(capacity, 2), np.int64 if f in _INT_FIELDS else np.float64)
            for f in FIELDS
        }

    def __len__(self) -> int:
        return self.n

    @property
    def capacity(self) -> int:
        return len(self._cols["ts_ns"])

    def column(self, field: str) -> np.ndarray:
        return self._cols[field][: self.n]

    def reserve(self, extra: int) -> None:
        """Make room for `extra` more rows plus the spare one."""
        need = self.n + extra + 1
        if need <= self.capacity:
            return
        size = max(need, 2 * self.capacity)
        for f, col in self._cols.items():
            grown = np.empty(size, col.dtype)
            grown[: self.n] = col[: self.n]
            self._cols[f] = grown

    def append(self, row: tuple) -> int:
        self.reserve(1)
        ix = self.n
        self.set(ix, row)
        self.n += 1
        return ix

    def insert(self, ix: int, row: tuple) -> None:
        """Insert before row `ix`, shifting the later rows (rare: late data)."""
        self.reserve(1)
        for col in self._cols.values():
            col[ix + 1 : self.n + 1] = col[ix : self.n]
        self.n += 1
        self.set(ix, row)

    def set(self, ix: int, row: tuple) -> None:
        for f, value in zip(FIELDS, row, strict=True):
            self._cols[f][ix] = value

    def row(self, ix: int) -> tuple:
        return tuple(self._cols[f][ix].item() for f in FIELDS)

    def index_of(self, ts_ns: int) -> int:
        """Position of the bar labelled ts_ns, or where it would be inserted."""
        return int(np.searchsorted(self.column("ts_ns"), ts_ns))

    def view(self, forming: tuple | None = None) -> Bars:
        """Views of the rows in use; with `forming`, that bar is written into the spare row
        and included last."""
        n = self.n
        if forming is not None:
            self.set(n, forming)
            n += 1
        return Bars(*(self._cols[f][:n] for f in FIELDS[:6]))
