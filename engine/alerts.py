"""Price alerts of one symbol, evaluated on every tick: a level (a price, a horizontal line)
or a line in time (a trend line, a ray), fired on the tick that crosses it, once or every
time it crosses.

Crossing: a tick fires a level L if the price went from below L to at or above it
(p0 < L <= p1), or from above to at or below it (p0 > L >= p1), p0 being the price of the
tick before. An alert is armed at the price of its symbol's next tick: the bars and ticks
before never fire it.

Levels are kept sorted: a tick can only fire the levels between the last price and its own,
found by binary search (`cross_levels_nb`), so a tick costs O(log n + the alerts it fires)
whatever the number of levels; once-alerts that fired leave the arrays when they are a
quarter of them. Lines move with time, so each tick checks every armed line (numpy over the
lines: they are few). A line is straight in session time, as drawn on a chart's bar axis:
across a night it goes on from the close where it left off, not from where the clock went.
"""

from __future__ import annotations

import dataclasses
import itertools

import numba
import numpy as np

from engine.sessions import SessionCalendar, calendar


@dataclasses.dataclass(frozen=True)
class Fired:
    alert_id: int
    ts_ns: int
    price: float


@numba.njit(cache=True, nogil=True)
def cross_levels_nb(levels, once, last, prices, start, fired_k, fired_i):
    """Ticks `prices[start:]` after the price `last`: the levels each crosses, in tick order
    then level order, into `fired_k` (level index) and `fired_i` (tick index). Once-levels
    that fire are marked by setting `once[k]` to 2 and fire no more. Returns (fired count,
    the tick to go on from when `fired_k` filled up, else len(prices), the last price)."""
    n_out = 0
    cap = len(fired_k)
    p0 = last
    for i in range(start, len(prices)):
        p1 = prices[i]
        if p1 > p0:
            a = np.searchsorted(levels, p0, side="right")
            b = np.searchsorted(levels, p1, side="right")
        elif p1 < p0:
            a = np.searchsorted(levels, p1, side="left")
            b = np.searchsorted(levels, p0, side="left")
        else:
            continue
        if n_out + (b - a) > cap:
            return n_out, i, p0  # no room for this tick's: the caller drains and goes on
        for k in range(a, b):
            if once[k] != 2:
                fired_k[n_out] = k
                fired_i[n_out] = i
                n_out += 1
                if once[k] == 1:
                    once[k] = 2
        p0 = p1
    return n_out, len(prices), p0


class PriceAlerts:
    """The alerts of one symbol. `add_level`/`add_line` return an id; `on_ticks` evaluates
    a frame's ticks (in time order) and returns what fired, in order."""

    def __init__(self, cal: SessionCalendar | None = None, fired_capacity: int = 4096) -> None:
        """`cal`: the symbol's sessions, in whose time lines are straight (24x7 if None)."""
        self._calendar = cal or calendar("24x7")
        self._ids = itertools.count(1)
        self._levels = np.empty(0)
        self._level_ids = np.empty(0, np.int64)
        self._level_once = np.empty(0, np.int8)  # 1 once, 0 every time, 2 fired (once)
        self._lines: dict[int, tuple[int, float, float, int | None, bool]] = {}
        self._line_side: dict[int, float] = {}  # the sign of price - line at the last tick
        self._last_price: float | None = None
        self._last_ns: int | None = None
        self._fired_k = np.empty(fired_capacity, np.int64)
        self._fired_i = np.empty(fired_capacity, np.int64)

    def __len__(self) -> int:
        """The armed alerts."""
        return int((self._level_once != 2).sum()) + len(self._lines)

    def armed_ids(self) -> list[int]:
        """The ids of the alerts that can still fire."""
        levels = self._level_ids[self._level_once != 2].tolist()
        return levels + list(self._lines)

    def add_level(self, price: float, once: bool = True) -> int:
        if not np.isfinite(price) or price <= 0:
            raise ValueError(f"alert price {price!r} must be a positive number")
        alert_id = next(self._ids)
        k = int(np.searchsorted(self._levels, price, side="right"))
        self._levels = np.insert(self._levels, k, price)
        self._level_ids = np.insert(self._level_ids, k, alert_id)
        self._level_once = np.insert(self._level_once, k, 1 if once else 0)
        return alert_id

    def add_line(self, t0_ns: int, p0: float, t1_ns: int, p1: float, once: bool = True,
                 extend: bool = True) -> int:  # fmt: skip
        """A line through (t0, p0) and (t1, p1): a ray from t0 on (`extend`), or the segment
        between them only."""
        if t1_ns <= t0_ns:
            raise ValueError(f"a line's second point ({t1_ns} ns) must come after its first "
                             f"({t0_ns} ns)")  # fmt: skip
        span = int(self._calendar.trading_ns(t0_ns, np.array([t1_ns]))[0])
        if span <= 0:
            raise ValueError(f"a line's points ({t0_ns} and {t1_ns} ns) lie in no session "
                             f"of {self._calendar.name}: put one inside a session")  # fmt: skip
        alert_id = next(self._ids)
        slope = (p1 - p0) / span  # a price a nanosecond of session time
        self._lines[alert_id] = (t0_ns, p0, slope, None if extend else t1_ns, once)
        return alert_id

    def remove(self, alert_id: int) -> None:
        if alert_id in self._lines:
            del self._lines[alert_id]
            self._line_side.pop(alert_id, None)
            return
        keep = self._level_ids != alert_id
        if keep.all():
            raise KeyError(f"no alert {alert_id}")
        self._levels, self._level_ids = self._levels[keep], self._level_ids[keep]
        self._level_once = self._level_once[keep]

    def on_ticks(self, ts_ns: np.ndarray, price: np.ndarray) -> list[Fired]:
        ts = np.asarray(ts_ns, dtype=np.int64)
        prices = np.asarray(price, dtype=np.float64)
        if len(prices) == 0:
            return []
        fired = self._on_lines(ts, prices)
        if self._last_price is None:  # armed now: the first tick only sets the price
            self._last_price = float(prices[0])
        fired += self._on_levels(ts, prices)
        self._last_price, self._last_ns = float(prices[-1]), int(ts[-1])
        fired.sort(key=lambda f: f.ts_ns)  # stable: a tick's levels, then its lines
        return fired

    def _on_levels(self, ts: np.ndarray, prices: np.ndarray) -> list[Fired]:
        fired: list[Fired] = []
        start, last = 0, self._last_price
        while start < len(prices) and len(self._levels):
            n, start, last = cross_levels_nb(self._levels, self._level_once, last, prices,
                                             start, self._fired_k, self._fired_i)  # fmt: skip
            if n == 0 and start < len(prices):  # one tick crosses more than the room: grow
                self._fired_k = np.empty(2 * len(self._fired_k), np.int64)
                self._fired_i = np.empty(2 * len(self._fired_i), np.int64)
                continue
            ks, ixs = self._fired_k[:n], self._fired_i[:n]
            fired += [Fired(int(self._level_ids[k]), int(ts[i]), float(prices[i]))
                      for k, i in zip(ks.tolist(), ixs.tolist(), strict=True)]  # fmt: skip
        if fired:
            self._compact_spent()
        return fired

    def _compact_spent(self) -> None:
        """Once-alerts that fired leave the arrays when they are a quarter of them (the
        search stays over mostly armed ones; the copy is paid rarely)."""
        spent = self._level_once == 2
        if spent.sum() * 4 >= len(self._levels):
            keep = ~spent
            self._levels, self._level_ids = self._levels[keep], self._level_ids[keep]
            self._level_once = self._level_once[keep]

    def _on_lines(self, ts: np.ndarray, prices: np.ndarray) -> list[Fired]:
        fired: list[Fired] = []
        for alert_id, (t0, p0, slope, t_end, once) in list(self._lines.items()):
            live = ts >= t0 if t_end is None else (ts >= t0) & (ts <= t_end)
            side = np.sign(prices - (p0 + slope * self._calendar.trading_ns(t0, ts)))
            side[~live] = np.nan
            before = self._line_side.get(alert_id, np.nan)
            previous = np.concatenate(([before], side[:-1]))
            crossed = ((previous < 0) & (side >= 0)) | ((previous > 0) & (side <= 0))
            for i in np.flatnonzero(crossed).tolist():
                fired.append(Fired(alert_id, int(ts[i]), float(prices[i])))
                if once:
                    break
            if once and fired and fired[-1].alert_id == alert_id:
                del self._lines[alert_id]
                self._line_side.pop(alert_id, None)
                continue
            kept = side[~np.isnan(side)]
            if len(kept):
                self._line_side[alert_id] = float(kept[-1])
        return fired
