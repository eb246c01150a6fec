"""A trader's drawings on a symbol's chart, anchored in (time, price), never in bar index:
a drawing stays on the same times and prices across timeframes, history loaded in front,
levels of detail and restarts.

Kinds and their anchor points: a trend line, a ray and a rectangle and a Fibonacci
retracement have two; a horizontal line, a vertical line and a text note one. `to_json` /
`from_json` are the form they are stored and exchanged in; bad input is refused naming the
value and what is expected.
"""

from __future__ import annotations

import dataclasses
import json
import math
import uuid

POINTS = {"trend": 2, "ray": 2, "rect": 2, "fib": 2, "hline": 1, "vline": 1, "text": 1}
FIB_LEVELS = (0.0, 0.236, 0.382, 0.5, 0.618, 0.786, 1.0)
MAX_TEXT = 500
UNDO_STEPS = 200


@dataclasses.dataclass(frozen=True)
class Drawing:
    id: str
    kind: str
    points: tuple[tuple[int, float], ...]  # (ts_ns, price)
    text: str = ""
    colour: str = ""

    def __post_init__(self) -> None:
        if self.kind not in POINTS:
            raise ValueError(f"drawing {self.id!r}: kind {self.kind!r} is not one of "
                             f"{', '.join(POINTS)}")  # fmt: skip
        if len(self.points) != POINTS[self.kind]:
            raise ValueError(f"drawing {self.id!r}: a {self.kind} has {POINTS[self.kind]} "
                             f"point(s), got {len(self.points)}")  # fmt: skip
        for ts_ns, price in self.points:
            if isinstance(ts_ns, bool) or not isinstance(ts_ns, int):
                raise ValueError(f"drawing {self.id!r}: time {ts_ns!r} is not an integer "
                                 "of nanoseconds since 1970 (UTC)")  # fmt: skip
            if not math.isfinite(price):
                raise ValueError(f"drawing {self.id!r}: price {price!r} is not a number")
        if not self.id or len(self.id) > 64:
            raise ValueError(f"drawing id {self.id!r}: use 1 to 64 characters")
        if len(self.text) > MAX_TEXT:
            raise ValueError(f"drawing {self.id!r}: its text is over {MAX_TEXT} characters")

    def moved(self, dt_ns: int, dprice: float) -> Drawing:
        """The whole drawing moved by (dt, dprice)."""
        points = tuple((t + dt_ns, p + dprice) for t, p in self.points)
        return dataclasses.replace(self, points=points)

    def with_point(self, k: int, ts_ns: int, price: float) -> Drawing:
        """Anchor `k` moved to (ts_ns, price)."""
        points = list(self.points)
        points[k] = (int(ts_ns), float(price))
        return dataclasses.replace(self, points=tuple(points))

    def fib_prices(self) -> list[float]:
        """A retracement's level prices, from its second point (0) to its first (1)."""
        (_, p0), (_, p1) = self.points
        return [p1 + (p0 - p1) * level for level in FIB_LEVELS]

    def saved(self) -> dict:
        return {"id": self.id, "kind": self.kind, "points": [list(p) for p in self.points],
                "text": self.text, "colour": self.colour}  # fmt: skip


def from_saved(entry: object) -> Drawing:
    """A drawing from its `saved()` form; anything else is refused with what is wrong."""
    if not isinstance(entry, dict):
        raise ValueError(f"a drawing is an object with id, kind and points, got {entry!r:.80}")
    missing = [k for k in ("id", "kind", "points") if k not in entry]
    if missing:
        raise ValueError(f"drawing {entry.get('id')!r} has no {', '.join(missing)}")
    points = entry["points"]
    if not isinstance(points, list) or not all(isinstance(p, list) and len(p) == 2 for p in points):
        raise ValueError(f"drawing {entry['id']!r}: points must be [[ts_ns, price], ...], "
                         f"got {points!r:.80}")  # fmt: skip
    try:
        parsed = tuple((t, float(p)) for t, p in points)
    except (TypeError, ValueError):
        raise ValueError(f"drawing {entry['id']!r}: a price in {points!r:.80} is not a "
                         "number") from None  # fmt: skip
    return Drawing(str(entry["id"]), str(entry["kind"]), parsed, str(entry.get("text", "")),
                   str(entry.get("colour", "")))  # fmt: skip


def to_json(drawings: list[Drawing]) -> str:
    return json.dumps([d.saved() for d in drawings], indent=1)


def from_json(text: str) -> list[Drawing]:
    try:
        entries = json.loads(text)
    except ValueError as exc:
        hint = "export one with `candleterm drawings export SYMBOL FILE` to see the form"
        raise ValueError(f"drawings file is not JSON ({exc}); {hint}") from None
    if not isinstance(entries, list):
        raise ValueError("a drawings file is a JSON list of drawings")
    drawings = [from_saved(e) for e in entries]
    ids = [d.id for d in drawings]
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"drawing ids {', '.join(map(repr, twice))} appear more than once")
    return drawings


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class DrawingBook:
    """A symbol's drawings, in the order drawn, with undo and redo of every change: each
    change keeps the drawings as they were (a tuple of immutable drawings: a snapshot costs
    a pointer a drawing)."""

    def __init__(self, drawings=()) -> None:
        self._now: tuple[Drawing, ...] = tuple(drawings)
        self._undo: list[tuple[Drawing, ...]] = []
        self._redo: list[tuple[Drawing, ...]] = []

    @property
    def drawings(self) -> tuple[Drawing, ...]:
        return self._now

    def get(self, drawing_id: str) -> Drawing | None:
        return next((d for d in self._now if d.id == drawing_id), None)

    def _set(self, drawings: tuple[Drawing, ...]) -> None:
        self._undo.append(self._now)
        del self._undo[:-UNDO_STEPS]
        self._redo.clear()
        self._now = drawings

    def add(self, drawing: Drawing) -> None:
        if self.get(drawing.id) is not None:
            raise ValueError(f"there is already a drawing {drawing.id!r}")
        self._set((*self._now, drawing))

    def replace(self, drawing: Drawing) -> None:
        """The drawing of the same id becomes `drawing` (moved, restyled)."""
        if self.get(drawing.id) is None:
            raise KeyError(f"no drawing {drawing.id!r}")
        self._set(tuple(drawing if d.id == drawing.id else d for d in self._now))

    def remove(self, drawing_id: str) -> None:
        if self.get(drawing_id) is None:
            raise KeyError(f"no drawing {drawing_id!r}")
        self._set(tuple(d for d in self._now if d.id != drawing_id))

    def undo(self) -> bool:
        """Back one change; False when there is none."""
        return self._step(self._undo, self._redo)

    def redo(self) -> bool:
        return self._step(self._redo, self._undo)

    def _step(self, to: list, keep: list) -> bool:
        """The drawings of `to`'s last state, the present kept on `keep`."""
        if not to:
            return False
        keep.append(self._now)
        self._now = to.pop()
        return True
