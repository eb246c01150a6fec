"""Bar columns with room at both ends: amortized O(1) appends and prepends, views out.

Bar i lives at absolute position `origin + i` of the underlying arrays. Appends and prepends
that fit in the room leave every bar where it was, so structures indexed by absolute position
(the level-of-detail pyramid) only need the new positions filled in; when the room runs out
the arrays are reallocated with twice the room and `generation` changes (they rebuild).

The one growable column container: a chart's series (the bar columns, room in front for
older history) and a live builder's sealed bars (extra columns, no room in front) alike.
"""

from __future__ import annotations

import numpy as np

from engine.bars import COLUMNS, DTYPES, Bars

ALIGN = 1 << 16
TAIL_ROOM = 1024


class SeriesBuffer:
    """Columns `dtypes` (the bar columns by default; the first six are always those), bars in
    [origin, end) of each."""

    def __init__(
        self, bars: Bars | None = None, *, front_room: int = ALIGN, dtypes: dict | None = None
    ) -> None:
        n = 0 if bars is None else len(bars)
        self.dtypes = DTYPES if dtypes is None else dtypes
        if tuple(self.dtypes)[: len(COLUMNS)] != COLUMNS:
            raise ValueError(f"the first columns must be {', '.join(COLUMNS)}")
        self.origin = front_room
        self.n = 0
        self.generation = 0  # bumped whenever the arrays are reallocated
        self._cols = {c: np.empty(front_room + n + TAIL_ROOM, t) for c, t in self.dtypes.items()}
        if bars is not None:
            self.append(bars)

    @classmethod
    def wrap(cls, columns: dict[str, np.ndarray], origin: int, n: int) -> SeriesBuffer:
        """A buffer over arrays the caller hands over (it must not use them afterwards):
        bars in [origin, origin + n), the rest room to grow into."""
        lengths = {len(columns[c]) for c in COLUMNS}
        if len(lengths) != 1 or not 0 <= origin <= origin + n <= lengths.pop():
            raise ValueError("columns must have one length holding [origin, origin + n)")
        buffer = cls(front_room=0)
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

    def column(self, column: str) -> np.ndarray:
        """The bars' values of `column` (a view)."""
        return self._cols[column][self.origin : self.end]

    def bars(self) -> Bars:
        return Bars(*(self.column(c) for c in COLUMNS))

    def _reallocate(self, front: int, back: int) -> None:
        """Grow to fit `front` more bars before and `back` more after, doubling."""
        new_front_room = (
            max(2 * (self.origin + front), ALIGN) if front > self.origin else self.origin
        )
        tail_room = self.capacity - self.end
        new_tail_room = (
            max(tail_room, back + 1, self.n // 2 + TAIL_ROOM) if back >= tail_room else tail_room
        )
        size = new_front_room + self.n + new_tail_room
        for c, old in self._cols.items():
            grown = np.empty(size, old.dtype)
            grown[new_front_room : new_front_room + self.n] = old[self.origin : self.end]
            self._cols[c] = grown
        self.origin = new_front_room
        self.generation += 1

    def _room_after(self, k: int) -> None:
        if self.end + k >= self.capacity:
            self._reallocate(0, k)

    def append(self, bars: Bars) -> int:
        """Add bars after the last; returns the index of the first one added."""
        k = len(bars)
        self._room_after(k)
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

    def append_row(self, row: tuple) -> int:
        """Add one bar (a value for every column) after the last; returns its index."""
        self._room_after(1)
        self.n += 1
        self.set_row(self.n - 1, row)
        return self.n - 1

    def insert_row(self, ix: int, row: tuple) -> None:
        """Insert a bar before bar `ix`, moving the later ones up by one (rare: late data)."""
        self._room_after(1)
        a = self.origin + ix
        for col in self._cols.values():
            col[a + 1 : self.end + 1] = col[a : self.end]
        self.n += 1
        self.set_row(ix, row)

    def set_row(self, ix: int, row: tuple) -> None:
        """Replace bar `ix`: a value for the first len(row) columns."""
        if not 0 <= ix < self.n:
            raise IndexError(f"bar {ix} is outside 0..{self.n - 1}")
        self._write(self.origin + ix, row)

    def _write(self, at: int, row: tuple) -> None:
        for col, value in zip(self._cols.values(), row, strict=False):
            col[at] = value

    def row(self, ix: int) -> tuple:
        a = self.origin + ix
        return tuple(col[a].item() for col in self._cols.values())

    def index_of(self, ts_ns: int) -> int:
        """Position of the bar labelled ts_ns, or where it would be inserted."""
        return int(np.searchsorted(self.column("ts_ns"), ts_ns))

    def view(self, forming: tuple | None = None) -> Bars:
        """The bars (views); with `forming`, that bar is written into the spare row after
        the last and included."""
        if forming is not None:
            self._room_after(1)
        stop = self.end
        if forming is not None:
            self._write(stop, forming)
            stop += 1
        return Bars(*(self._cols[c][self.origin : stop] for c in COLUMNS))
