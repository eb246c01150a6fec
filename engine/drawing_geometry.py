"""The lines a chart draws for a symbol's drawings, as columns: every drawing's anchors
placed on the bar axis (`engine.bar_x`) and its segments in view coordinates, cut to the
visible area, for painting and for finding the drawing under the mouse.

Segments of each kind: a trend line its two anchors; a ray those and on to the edge of the
view; a rectangle four edges; a Fibonacci retracement a level line across its two anchors'
times at each ratio; a horizontal (vertical) line across the view's width (height). A text
note has none: it is its text at its anchor.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from engine.drawings import FIB_LEVELS, POINTS, Drawing

KINDS = tuple(POINTS)
CODE = {kind: k for k, kind in enumerate(KINDS)}
TREND, RAY, RECT, FIB, HLINE, VLINE, TEXT = (CODE[k] for k in
                                             ("trend", "ray", "rect", "fib", "hline", "vline",
                                              "text"))  # fmt: skip
FIB_RATIOS = np.array(FIB_LEVELS)


@dataclasses.dataclass(frozen=True)
class Anchors:
    """The drawings' anchors as columns: drawing k is of kind `kind[k]`, its points are
    `t_ns[first[k]:first[k] + POINTS]` and `price[...]`."""

    kind: np.ndarray  # int8, a drawing
    first: np.ndarray  # int64, a drawing
    t_ns: np.ndarray  # int64, a point
    price: np.ndarray  # float64, a point
    owner: np.ndarray  # int64, a point: its drawing

    def __len__(self) -> int:
        return len(self.kind)


def anchors_of(drawings) -> Anchors:
    counts = np.array([len(d.points) for d in drawings], np.int64)
    first = np.concatenate(([0], np.cumsum(counts)[:-1])) if len(counts) else counts
    points = [p for d in drawings for p in d.points]
    return Anchors(np.array([CODE[d.kind] for d in drawings], np.int8), first,
                   np.array([t for t, _ in points], np.int64),
                   np.array([p for _, p in points], np.float64),
                   np.repeat(np.arange(len(counts)), counts))  # fmt: skip


def fib_prices(a: Anchors) -> tuple[np.ndarray, np.ndarray]:
    """(the Fibonacci drawings' indices, their level prices, one row each)."""
    k = np.flatnonzero(a.kind == FIB)
    p0, p1 = a.price[a.first[k]], a.price[a.first[k] + 1]
    return k, p1[:, None] + (p0 - p1)[:, None] * FIB_RATIOS[None, :]


def fixed_segments(a: Anchors, x: np.ndarray, y: np.ndarray,
                   fib_y: np.ndarray) -> tuple[np.ndarray, ...]:  # fmt: skip
    """(x0, y0, x1, y1, owner) of the segments that do not depend on the view: trend lines,
    rays up to their second anchor, rectangles and retracement levels (anchors at (x, y),
    levels at heights `fib_y`, the rows of `fib_prices`)."""
    parts = []

    def two(code):
        k = np.flatnonzero(a.kind == code)
        i = a.first[k]
        return k, x[i], y[i], x[i + 1], y[i + 1]

    for code in (TREND, RAY):
        k, xa, ya, xb, yb = two(code)
        parts.append((xa, ya, xb, yb, k))
    k, xa, ya, xb, yb = two(RECT)
    parts += [(xa, ya, xb, ya, k), (xb, ya, xb, yb, k), (xb, yb, xa, yb, k), (xa, yb, xa, ya, k)]
    k, xa, _, xb, _ = two(FIB)
    levels = fib_y.shape[1] if fib_y.ndim == 2 else 0
    parts.append((np.repeat(np.minimum(xa, xb), levels), fib_y.ravel(),
                  np.repeat(np.maximum(xa, xb), levels), fib_y.ravel(),
                  np.repeat(k, levels)))  # fmt: skip
    return _joined(parts)


def _joined(parts) -> tuple[np.ndarray, ...]:
    x0, y0, x1, y1, owner = (np.concatenate(c) for c in zip(*parts, strict=True))
    return (x0.astype(np.float64), y0.astype(np.float64), x1.astype(np.float64),
            y1.astype(np.float64), owner.astype(np.int64))  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Placed:
    """The drawings placed on the bar axis, all that does not depend on the view: the fixed
    segments, the rays' anchors and the horizontal and vertical lines' places."""

    fixed: tuple[np.ndarray, ...]
    ray: tuple[np.ndarray, ...]  # owner, x0, y0, x1, y1 (the second anchor: x1, y1)
    hline: tuple[np.ndarray, np.ndarray]  # owner, y
    vline: tuple[np.ndarray, np.ndarray]  # owner, x


def place(a: Anchors, x: np.ndarray, y: np.ndarray, fib_y: np.ndarray) -> Placed:
    k = np.flatnonzero(a.kind == RAY)
    i = a.first[k]
    hl = np.flatnonzero(a.kind == HLINE)
    vl = np.flatnonzero(a.kind == VLINE)
    return Placed(fixed_segments(a, x, y, fib_y), (k, x[i], y[i], x[i + 1], y[i + 1]),
                  (hl, y[a.first[hl]]), (vl, x[a.first[vl]]))  # fmt: skip


def view_segments(p: Placed, view: tuple[float, float, float, float]) -> tuple[np.ndarray, ...]:
    """The fixed segments and those the view's edges end (rays on from their second anchor,
    horizontal and vertical lines), cut to those that meet the view (left, right, bottom,
    top): a handful of numpy calls whatever the number of drawings."""
    left, right, bottom, top = view
    k, xa, ya, xb, yb = p.ray
    dx, dy = xb - xa, yb - ya
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(dx != 0, (np.where(dx > 0, right, left) - xa) / dx,
                     (np.where(dy > 0, top, bottom) - ya) / dy)  # fmt: skip
    t = np.where(np.isfinite(t), np.maximum(t, 1.0), 1.0)
    hk, hy = p.hline
    vk, vx = p.vline
    fx0, fy0, fx1, fy1, fk = p.fixed
    x0 = np.concatenate((fx0, xb, np.full(len(hk), left), vx))
    y0 = np.concatenate((fy0, yb, hy, np.full(len(vk), bottom)))
    x1 = np.concatenate((fx1, xa + t * dx, np.full(len(hk), right), vx))
    y1 = np.concatenate((fy1, ya + t * dy, hy, np.full(len(vk), top)))
    owner = np.concatenate((fk, k, hk, vk))
    seen = ((np.maximum(x0, x1) >= left) & (np.minimum(x0, x1) <= right)
            & (np.maximum(y0, y1) >= bottom) & (np.minimum(y0, y1) <= top))  # fmt: skip
    return x0[seen], y0[seen], x1[seen], y1[seen], owner[seen]


def segments(a: Anchors, x: np.ndarray, y: np.ndarray, fib_y: np.ndarray,
             view: tuple[float, float, float, float]) -> tuple[np.ndarray, ...]:  # fmt: skip
    """(x0, y0, x1, y1, owner) of every segment that meets the view (left, right, bottom,
    top), the anchors being at (x, y) in view coordinates and the Fibonacci levels (rows of
    `fib_prices`) at heights `fib_y`."""
    return view_segments(place(a, x, y, fib_y), view)


def nearest_segment(segs: tuple[np.ndarray, ...], qx: float, qy: float,
                    px_w: float, px_h: float) -> tuple[int, float]:  # fmt: skip
    """(the drawing of the segment nearest (qx, qy), its distance in pixels), pixels being
    `px_w` x `px_h` in view units; (-1, inf) when there is no segment."""
    x0, y0, x1, y1, owner = segs
    if len(owner) == 0:
        return -1, float("inf")
    ax, ay = (x0 - qx) / px_w, (y0 - qy) / px_h
    bx, by = (x1 - qx) / px_w, (y1 - qy) / px_h
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.clip(np.where(length2 > 0, -(ax * dx + ay * dy) / length2, 0.0), 0.0, 1.0)
    distance = np.hypot(ax + u * dx, ay + u * dy)
    j = int(np.argmin(distance))
    return int(owner[j]), float(distance[j])


def nearest_anchor(a: Anchors, x: np.ndarray, y: np.ndarray, qx: float, qy: float,
                   px_w: float, px_h: float) -> tuple[int, float]:  # fmt: skip
    """(the point nearest (qx, qy), its distance in pixels); (-1, inf) without points."""
    if len(x) == 0:
        return -1, float("inf")
    distance = np.hypot((x - qx) / px_w, (y - qy) / px_h)
    distance = np.where(np.isfinite(distance), distance, np.inf)
    j = int(np.argmin(distance))
    return j, float(distance[j])


def shown(drawings: tuple[Drawing, ...], preview: Drawing | None) -> tuple[Drawing, ...]:
    """The drawings with `preview` in place of the one of its id (or after them: a
    drawing being made)."""
    if preview is None:
        return drawings
    if any(d.id == preview.id for d in drawings):
        return tuple(preview if d.id == preview.id else d for d in drawings)
    return (*drawings, preview)
