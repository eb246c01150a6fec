"""Level-of-detail pyramid over a SeriesBuffer: aggregated candles and fast range bounds.

Level L holds blocks of 2**L bars aligned on absolute buffer positions (block k covers
[k << L, (k + 1) << L)), for L = 1..LEVELS. Each block keeps the true high, low and summed
volume of the bars it holds; its open and close are those of its first and last bar, read
from the base columns. Levels from FIRST_STORED up are kept in arrays; the finer ones are
aggregated from the bars when drawn (at most a few thousand blocks of 2 or 4 bars), which
keeps the pyramid at 6 bytes a bar instead of 24. A block without bars holds the neutral
values (-inf, +inf, 0), so a level is its children combined pairwise, whatever they hold.

Everything here is numpy: a level is built from the one below in a few whole-array calls,
an append, a prepend or a corrected range recomputes only the blocks above it (O(k + log n)),
one changed bar (a tick) updates its ancestors in one pass along its path, and the highest
high and lowest low of any index range takes O(log n) steps. No compiled code is on a
chart's first paint: a process's first numba call costs a third of a second to set up.
"""

from __future__ import annotations

import numpy as np

from engine.series_buffer import SeriesBuffer

LEVELS = 16  # blocks of up to 65,536 bars
FIRST_STORED = 3  # blocks of 8 bars
_STORED_LEVELS = np.arange(FIRST_STORED, LEVELS + 1)


class LodPyramid:
    """The pyramid of one SeriesBuffer. Call `update` after the buffer changes."""

    def __init__(self, buffer: SeriesBuffer) -> None:
        self._buffer = buffer
        self._generation = -1
        self.rebuild()

    def rebuild(self) -> None:
        buf = self._buffer
        # Room for every block of a level plus the pair partner of its last (see _recompute).
        sizes = [(buf.capacity >> level) + 2 for level in range(FIRST_STORED, LEVELS + 1)]
        # offsets[level]: where a stored level starts in the flat arrays.
        self._offsets = np.zeros(LEVELS + 1, dtype=np.int64)
        self._offsets[FIRST_STORED + 1 :] = np.cumsum(sizes[:-1])
        total = int(sum(sizes))
        self._h = np.full(total, -np.inf)
        self._l = np.full(total, np.inf)
        self._v = np.zeros(total)
        self._generation = buf.generation
        if buf.n:
            self._recompute(buf.origin, buf.end)

    def _recompute(self, a: int, b: int) -> None:
        """Recompute, at every stored level, the blocks over absolute positions [a, b) (inside
        the valid bars): the first level from the bars, each next from pairs of the last."""
        buf = self._buffer
        offsets, h_all, l_all, v_all = self._offsets, self._h, self._l, self._v
        k0, k1 = a >> FIRST_STORED, ((b - 1) >> FIRST_STORED) + 1
        starts = np.maximum(np.arange(k0, k1, dtype=np.int64) << FIRST_STORED, buf.origin)
        span = slice(int(starts[0]), min(k1 << FIRST_STORED, buf.end))
        at = starts - starts[0]
        rows = slice(offsets[FIRST_STORED] + k0, offsets[FIRST_STORED] + k1)
        h_all[rows] = np.maximum.reduceat(buf.raw("high")[span], at)
        l_all[rows] = np.minimum.reduceat(buf.raw("low")[span], at)
        v_all[rows] = np.add.reduceat(buf.raw("volume")[span], at)
        for level in range(FIRST_STORED + 1, LEVELS + 1):
            k0, k1 = k0 >> 1, ((k1 - 1) >> 1) + 1
            child = slice(offsets[level - 1] + 2 * k0, offsets[level - 1] + 2 * k1)
            rows = slice(offsets[level] + k0, offsets[level] + k1)
            h_all[rows] = h_all[child].reshape(-1, 2).max(axis=1)
            l_all[rows] = l_all[child].reshape(-1, 2).min(axis=1)
            v_all[rows] = v_all[child].reshape(-1, 2).sum(axis=1)

    def _update_bar(self, pos: int) -> None:
        """One bar at absolute `pos` changed: its first-level block from the bars, then each
        ancestor as that block combined with the siblings along the path up (one
        accumulate over the path instead of a step per level)."""
        buf = self._buffer
        first = max(pos >> FIRST_STORED << FIRST_STORED, buf.origin)
        stop = min(((pos >> FIRST_STORED) + 1) << FIRST_STORED, buf.end)
        blocks = pos >> _STORED_LEVELS
        path = self._offsets[FIRST_STORED:] + blocks
        siblings = self._offsets[FIRST_STORED:-1] + (blocks[:-1] ^ 1)
        h, lw, v = np.empty(len(path)), np.empty(len(path)), np.empty(len(path))
        h[0] = buf.raw("high")[first:stop].max()
        lw[0] = buf.raw("low")[first:stop].min()
        v[0] = buf.raw("volume")[first:stop].sum()
        h[1:], lw[1:], v[1:] = self._h[siblings], self._l[siblings], self._v[siblings]
        self._h[path] = np.maximum.accumulate(h)
        self._l[path] = np.minimum.accumulate(lw)
        self._v[path] = np.cumsum(v)

    def update(self, first_ix: int, stop_ix: int) -> None:
        """Bars [first_ix, stop_ix) were added or changed (a prepend: first_ix = 0 and
        stop_ix = count + 1, so the block that held the old first bar is redone)."""
        buf = self._buffer
        if buf.generation != self._generation:
            self.rebuild()
            return
        a = buf.origin + max(first_ix, 0)
        b = buf.origin + min(stop_ix, buf.n)
        if b - a == 1:
            self._update_bar(a)
        elif b > a:
            self._recompute(a, b)

    @property
    def nbytes(self) -> int:
        return self._h.nbytes + self._l.nbytes + self._v.nbytes

    def hilo(self, first_ix: int, stop_ix: int) -> tuple[float, float]:
        """(highest high, lowest low) of bars [first_ix, stop_ix): the bars at both ends
        outside whole first-level blocks, then at each level the unpaired blocks at both
        ends, then up a level."""
        buf = self._buffer
        first_ix, stop_ix = max(first_ix, 0), min(stop_ix, buf.n)
        if stop_ix <= first_ix:
            raise ValueError(f"empty bar range [{first_ix}, {stop_ix})")
        a, b = buf.origin + first_ix, buf.origin + stop_ix
        size = 1 << FIRST_STORED
        whole_a = min(-(-a // size) * size, b)
        whole_b = max(b // size * size, whole_a)
        highs, lows = buf.raw("high"), buf.raw("low")
        h, lw = -np.inf, np.inf
        for lo_pos, hi_pos in ((a, whole_a), (whole_b, b)):
            if hi_pos > lo_pos:
                h = max(h, float(highs[lo_pos:hi_pos].max()))
                lw = min(lw, float(lows[lo_pos:hi_pos].min()))
        a, b = whole_a >> FIRST_STORED, whole_b >> FIRST_STORED
        picks = []
        level = FIRST_STORED
        while a < b and level < LEVELS:
            off = int(self._offsets[level])
            if a & 1:
                picks.append(off + a)
                a += 1
            if b & 1:
                b -= 1
                picks.append(off + b)
            a >>= 1
            b >>= 1
            level += 1
        if a < b:  # the top level: what is left, whole
            off = int(self._offsets[LEVELS])
            picks.extend(range(off + a, off + b))
        if picks:
            h = max(h, float(self._h[picks].max()))
            lw = min(lw, float(self._l[picks].min()))
        return h, lw

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


def choose_level(bars_per_px: float, current: int, *, min_px: float = 2.0,
                 hysteresis: float = 0.3) -> int:  # fmt: skip
    """The pyramid level to draw at: the smallest whose candles are at least `min_px` pixels
    wide. The level changes only when the ideal (fractional) level has moved `hysteresis`
    past the boundary, so a zoom hovering at a boundary does not flicker between levels."""
    ideal = np.log2(max(bars_per_px, 1e-12) * min_px)
    if ideal <= current + hysteresis and ideal > current - 1 - hysteresis:
        return max(0, min(current, LEVELS))
    return int(min(max(np.ceil(ideal), 0), LEVELS))
