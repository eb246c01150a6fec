"""Level-of-detail pyramid over a SeriesBuffer: aggregated candles and fast range bounds.

Level L holds blocks of 2**L bars aligned on absolute buffer positions (block k covers
[k << L, (k + 1) << L)), for L = 1..LEVELS. Each block keeps the true high, low and summed
volume of the bars it holds; its open and close are those of its first and last bar, read
from the base columns. Levels from FIRST_STORED up are kept in arrays; the finer ones are
aggregated from the bars when drawn (at most a few thousand blocks of 2 or 4 bars), which
keeps the pyramid at 6 bytes a bar instead of 24. Building is one compiled pass; an append,
a prepend or a changed bar recomputes only the blocks above the changed positions
(O(k + log n)). The same levels answer the highest high and lowest low of any index range
in O(log n) (y autoscale at any zoom).
"""

from __future__ import annotations

import numba
import numpy as np

from engine.series_buffer import SeriesBuffer

LEVELS = 16  # blocks of up to 65,536 bars
FIRST_STORED = 3  # blocks of 8 bars


@numba.njit(cache=True, nogil=True)
def _update_nb(base_h, base_l, base_v, lo, hi, a, b, first, offsets, lv_h, lv_l, lv_v):
    """Recompute, at every stored level (from `first`), the blocks over absolute positions
    [a, b), with the valid bars in [lo, hi)."""
    for level in range(first, offsets.shape[0]):
        size = 1 << level
        off = offsets[level]
        child_off = offsets[level - 1]
        for k in range(a >> level, ((b - 1) >> level) + 1):
            h = -np.inf
            lw = np.inf
            v = 0.0
            if level == first:  # from the bars themselves
                for i in range(max(k * size, lo), min((k + 1) * size, hi)):
                    if base_h[i] > h:
                        h = base_h[i]
                    if base_l[i] < lw:
                        lw = base_l[i]
                    v += base_v[i]
            else:
                for child in range(2 * k, 2 * k + 2):
                    c_start = child * (size >> 1)
                    if c_start >= hi or c_start + (size >> 1) <= lo:
                        continue
                    if lv_h[child_off + child] > h:
                        h = lv_h[child_off + child]
                    if lv_l[child_off + child] < lw:
                        lw = lv_l[child_off + child]
                    v += lv_v[child_off + child]
            lv_h[off + k] = h
            lv_l[off + k] = lw
            lv_v[off + k] = v


@numba.njit(cache=True, nogil=True)
def _hilo_nb(base_h, base_l, a, b, first, offsets, lv_h, lv_l):
    """Highest high and lowest low over absolute [a, b) (inside the valid bars): the bars at
    both ends outside whole blocks of level `first`, then at each level the unpaired blocks
    at both ends, then up a level."""
    h = -np.inf
    lw = np.inf
    mask = (1 << first) - 1
    while a < b and a & mask:
        h = max(h, base_h[a])
        lw = min(lw, base_l[a])
        a += 1
    while a < b and b & mask:
        b -= 1
        h = max(h, base_h[b])
        lw = min(lw, base_l[b])
    a >>= first
    b >>= first
    level = first
    top = offsets.shape[0] - 1
    while a < b:
        off = offsets[level]
        if level == top:
            for k in range(a, b):
                h = max(h, lv_h[off + k])
                lw = min(lw, lv_l[off + k])
            break
        if a & 1:
            h = max(h, lv_h[off + a])
            lw = min(lw, lv_l[off + a])
            a += 1
        if b & 1:
            b -= 1
            h = max(h, lv_h[off + b])
            lw = min(lw, lv_l[off + b])
        a >>= 1
        b >>= 1
        level += 1
    return h, lw


class LodPyramid:
    """The pyramid of one SeriesBuffer. Call `update` after the buffer changes."""

    def __init__(self, buffer: SeriesBuffer) -> None:
        self._buffer = buffer
        self._generation = -1
        self.rebuild()

    def rebuild(self) -> None:
        buf = self._buffer
        sizes = [(buf.capacity >> level) + 1 for level in range(FIRST_STORED, LEVELS + 1)]
        # offsets[level]: where a stored level starts in the flat arrays.
        self._offsets = np.zeros(LEVELS + 1, dtype=np.int64)
        self._offsets[FIRST_STORED + 1 :] = np.cumsum(sizes[:-1])
        total = int(sum(sizes))
        self._h = np.empty(total)
        self._l = np.empty(total)
        self._v = np.empty(total)
        self._generation = buf.generation
        if buf.n:
            self._recompute(buf.origin, buf.end)

    def _recompute(self, a: int, b: int) -> None:
        buf = self._buffer
        _update_nb(buf.raw("high"), buf.raw("low"), buf.raw("volume"), buf.origin, buf.end,
                   a, b, FIRST_STORED, self._offsets, self._h, self._l, self._v)  # fmt: skip

    def update(self, first_ix: int, stop_ix: int) -> None:
        """Bars [first_ix, stop_ix) were added or changed (a prepend: first_ix = 0 and
        stop_ix = count + 1, so the block that held the old first bar is redone)."""
        buf = self._buffer
        if buf.generation != self._generation:
            self.rebuild()
            return
        a = buf.origin + max(first_ix, 0)
        b = buf.origin + min(stop_ix, buf.n)
        if b > a:
            self._recompute(a, b)

    @property
    def nbytes(self) -> int:
        return self._h.nbytes + self._l.nbytes + self._v.nbytes

    def hilo(self, first_ix: int, stop_ix: int) -> tuple[float, float]:
        """(highest high, lowest low) of bars [first_ix, stop_ix)."""
        buf = self._buffer
        first_ix, stop_ix = max(first_ix, 0), min(stop_ix, buf.n)
        if stop_ix <= first_ix:
            raise ValueError(f"empty bar range [{first_ix}, {stop_ix})")
        return _hilo_nb(buf.raw("high"), buf.raw("low"), buf.origin + first_ix,
                        buf.origin + stop_ix, FIRST_STORED, self._offsets, self._h,
                        self._l)  # fmt: skip

    def block_span(self, level: int, ix: int) -> tuple[int, int]:
        """[first, stop) bar indices of the `level` block holding bar `ix` (loaded bars only)."""
        buf = self._buffer
        if not 0 <= ix < buf.n:
            raise IndexError(f"bar {ix} is outside the {buf.n} loaded bars")
        k = (buf.origin + ix) >> level
        first = max(k << level, buf.origin) - buf.origin
        return first, min((k + 1) << level, buf.end) - buf.origin

    def blocks(self, level: int, first_ix: int, stop_ix: int):
        """Aggregated candles of `level` over bars [first_ix, stop_ix) (whole blocks):
        (x0, x1, open, high, low, close, volume) with x0..x1 the first and last bar index of
        each block. Level 0 gives the bars themselves."""
        buf = self._buffer
        first_ix, stop_ix = max(first_ix, 0), min(stop_ix, buf.n)
        if stop_ix <= first_ix:
            empty = np.empty(0)
            return (empty.astype(np.int64), empty.astype(np.int64), *(empty for _ in range(5)))
        a, b = buf.origin + first_ix, buf.origin + stop_ix
        if level == 0:
            ix = np.arange(first_ix, stop_ix)
            return (ix, ix, *(buf.raw(c)[a:b] for c in ("open", "high", "low", "close",
                                                        "volume")))  # fmt: skip
        k = np.arange(a >> level, ((b - 1) >> level) + 1)
        start = np.maximum(k << level, buf.origin)
        last = np.minimum(((k + 1) << level) - 1, buf.end - 1)
        if level < FIRST_STORED:
            span = slice(start[0], last[-1] + 1)
            at = start - start[0]
            high = np.maximum.reduceat(buf.raw("high")[span], at)
            low = np.minimum.reduceat(buf.raw("low")[span], at)
            volume = np.add.reduceat(buf.raw("volume")[span], at)
        else:
            rows = self._offsets[level] + k
            high, low, volume = self._h[rows], self._l[rows], self._v[rows]
        return (start - buf.origin, last - buf.origin, buf.raw("open")[start], high, low,
                buf.raw("close")[last], volume)  # fmt: skip


def hilo_reference(high: np.ndarray, low: np.ndarray, first: int, stop: int):
    return float(high[first:stop].max()), float(low[first:stop].min())


def blocks_reference(bars, level: int, origin: int, first_ix: int, stop_ix: int):
    """Plain loop: group bars by absolute block (origin + i) >> level."""
    out = {}
    for i in range(first_ix, stop_ix):
        k = (origin + i) >> level
        if k not in out:
            out[k] = [i, i, bars.open[i], bars.high[i], bars.low[i], bars.close[i],
                      bars.volume[i]]  # fmt: skip
        else:
            row = out[k]
            row[1] = i
            row[3] = max(row[3], bars.high[i])
            row[4] = min(row[4], bars.low[i])
            row[5] = bars.close[i]
            row[6] += bars.volume[i]
    return [out[k] for k in sorted(out)]


def choose_level(bars_per_px: float, current: int, *, min_px: float = 2.0,
                 hysteresis: float = 0.3) -> int:  # fmt: skip
    """The pyramid level to draw at: the smallest whose candles are at least `min_px` pixels
    wide. The level changes only when the ideal (fractional) level has moved `hysteresis`
    past the boundary, so a zoom hovering at a boundary does not flicker between levels."""
    ideal = np.log2(max(bars_per_px, 1e-12) * min_px)
    if ideal <= current + hysteresis and ideal > current - 1 - hysteresis:
        return max(0, min(current, LEVELS))
    return int(min(max(np.ceil(ideal), 0), LEVELS))
