"""Bar columns with room at both ends: amortized O(1) appends and prepends, views out.

Bar i lives at absolute position `origin + i` of the underlying arrays. Appends and prepends
that fit in the room leave every bar where it was, so structures indexed by absolute position
(the level-of-detail pyramid) only need the new positions filled in; when the room runs out
the arrays are reallocated with twice the room and `generation` changes (they rebuild).
"""

from __future__ import annotations

import numpy as np

from engine.bars import COLUMNS, DTYPES, Bars

ALIGN = 1 << 16


class SeriesBuffer:
    def __init__(self, bars: Bars | None = None) -> None:
        n = 0 if bars is None else len(bars)
        self.origin = ALIGN
        self.n = 0
        self.generation = 0  # bumped whenever the arrays are reallocated
        self._cols = {c: np.empty(ALIGN + n + 1024, DTYPES[c]) for c in COLUMNS}
        if bars is not None:
            self.append(bars)

    @classmethod
    def wrap(cls, columns: dict[str, np.ndarray], origin: int, n: int) -> SeriesBuffer:
        """A buffer over arrays the caller hands over (it must not use them afterwards):
        bars in [origin, origin + n), the rest room to grow into."""
        lengths = {len(columns[c]) for c in COLUMNS}
        if len(lengths) != 1 or not 0 <= origin <= origin + n <= lengths.pop():
            raise ValueError("columns must have one length holding [origin, origin + n)")
        buffer = cls()
        buffer._cols = {c: columns[c] for c in COLUMNS}
        buffer.origin = origin
        buffer.n = n
        return buffer

    def __len__(self) -> int:
        return self.n

    @property
    def capacity(self) -> int:
        return len(self._cols["ts_ns"])

    @property
    def end(self) -> int:
        """Absolute position after the last bar."""
        return self.origin + self.n

    def raw(self, column: str) -> np.ndarray:
        """The whole underlying array (absolute positions); valid in [origin, end)."""
        return self._cols[column]

    def bars(self) -> Bars:
        return Bars(*(self._cols[c][self.origin : self.end] for c in COLUMNS))

    def _reallocate(self, front: int, back: int) -> None:
        """Grow to fit `front` more bars before and `back` more after, doubling."""
        new_front_room = (
            max(2 * (self.origin + front), ALIGN) if front > self.origin else self.origin
        )
        tail_room = self.capacity - self.end
        new_tail_room = max(tail_room, back, self.n // 2 + 1024) if back > tail_room else tail_room
        size = new_front_room + self.n + new_tail_room
        for c, old in self._cols.items():
            grown = np.empty(size, old.dtype)
            grown[new_front_room : new_front_room + self.n] = old[self.origin : self.end]
            self._cols[c] = grown
        self.origin = new_front_room
        self.generation += 1

    def append(self, bars: Bars) -> int:
        """Add bars after the last; returns the index of the first one added."""
        k = len(bars)
        if self.end + k > self.capacity:
            self._reallocate(0, k)
        for c in COLUMNS:
            self._cols[c][self.end : self.end + k] = getattr(bars, c)
        first = self.n
        self.n += k
        return first

    def prepend(self, bars: Bars) -> int:
        """Add bars before the first (older history); returns how many were added."""
        k = len(bars)
        if k > self.origin:
            self._reallocate(k, 0)
        for c in COLUMNS:
            self._cols[c][self.origin - k : self.origin] = getattr(bars, c)
        self.origin -= k
        self.n += k
        return k

    def set_row(self, ix: int, row: tuple) -> None:
        """Replace bar `ix` (ts_ns, open, high, low, close, volume)."""
        if not 0 <= ix < self.n:
            raise IndexError(f"bar {ix} is outside 0..{self.n - 1}")
        a = self.origin + ix
        for c, value in zip(COLUMNS, row, strict=True):
            self._cols[c][a] = value
