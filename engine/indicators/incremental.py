"""Incremental indicators: O(1) work per bar, agreeing with the batch functions.

Each keeps its state over the sealed bars. `peek(bar)` gives the values the indicator would
have if `bar` were the forming bar (a tick moves it: no state changes); `seal(bar)` commits
the bar and rolls forward. A bar is (high, low, close, volume, session)."""

from __future__ import annotations

import math
from collections import deque

from engine.indicators.trend_rule import trend_step

NAN = math.nan


def _nan(x: float) -> bool:
    return x != x


class _Window:
    """Sum of the last n values (the sealed n - 1 plus the one asked about)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.values: deque[float] = deque()
        self.total = 0.0
        self.nans = 0

    def peek(self, x: float) -> float:
        if len(self.values) < self.n - 1 or self.nans or _nan(x):
            return NAN
        return (self.total + x) / self.n

    def seal(self, x: float) -> float:
        value = self.peek(x)
        self.values.append(x)
        if _nan(x):
            self.nans += 1
        else:
            self.total += x
        if len(self.values) > self.n - 1:
            old = self.values.popleft()
            if _nan(old):
                self.nans -= 1
            else:
                self.total -= old
        return value


class _Ema:
    """EMA seeded with the SMA of its first n values (after skipping `skip` values at the
    very start); restarts after a NaN."""

    def __init__(self, n: int, skip: int = 0, wilder: bool = False) -> None:
        self.n = n
        self.skip = skip
        self.alpha = 1.0 / n if wilder else 2.0 / (n + 1.0)
        self.seed_sum = 0.0
        self.seen = 0
        self.prev = NAN

    def _next(self, x: float) -> tuple[float, float, int]:
        """(value, new seed sum, new seen) for input x, without changing state."""
        if _nan(x):
            return NAN, 0.0, 0
        if self.seen < self.n:
            total, seen = self.seed_sum + x, self.seen + 1
            return (total / self.n if seen == self.n else NAN), total, seen
        return self.prev + self.alpha * (x - self.prev), self.seed_sum, self.seen

    def peek(self, x: float) -> float:
        if self.skip:
            return NAN
        return self._next(x)[0]

    def seal(self, x: float) -> float:
        if self.skip:
            self.skip -= 1
            return NAN
        value, self.seed_sum, self.seen = self._next(x)
        if self.seen == self.n or _nan(x):
            self.prev = value
        return value


class Incremental:
    outputs: tuple[str, ...] = ()

    def peek(self, high, low, close, volume=0.0, session=0) -> tuple[float, ...]:
        raise NotImplementedError

    def seal(self, high, low, close, volume=0.0, session=0) -> tuple[float, ...]:
        raise NotImplementedError


class _OfClose(Incremental):
    """An average of the close alone, kept by one state (a window or an EMA)."""

    def __init__(self, state) -> None:
        self._state = state

    def peek(self, high, low, close, volume=0.0, session=0):
        return (self._state.peek(close),)

    def seal(self, high, low, close, volume=0.0, session=0):
        return (self._state.seal(close),)


class Sma(_OfClose):
    outputs = ("sma",)

    def __init__(self, period: int = 20) -> None:
        super().__init__(_Window(period))


class Ema(_OfClose):
    outputs = ("ema",)

    def __init__(self, period: int = 20) -> None:
        super().__init__(_Ema(period))


class Rsi(Incremental):
    outputs = ("rsi",)

    def __init__(self, period: int = 14) -> None:
        self._gain = _Ema(period, wilder=True)
        self._loss = _Ema(period, wilder=True)
        self._prev_close = NAN

    @staticmethod
    def _rsi(g: float, lo: float) -> float:
        if _nan(g) or _nan(lo):
            return NAN
        return 0.0 if g + lo == 0.0 else 100.0 * g / (g + lo)

    def _moves(self, close: float) -> tuple[float, float]:
        d = close - self._prev_close
        if _nan(d):
            return NAN, NAN
        return (d if d > 0 else 0.0), (-d if d < 0 else 0.0)

    def peek(self, high, low, close, volume=0.0, session=0):
        up, down = self._moves(close)
        return (self._rsi(self._gain.peek(up), self._loss.peek(down)),)

    def seal(self, high, low, close, volume=0.0, session=0):
        up, down = self._moves(close)
        self._prev_close = close
        return (self._rsi(self._gain.seal(up), self._loss.seal(down)),)


class Macd(Incremental):
    outputs = ("macd", "signal", "hist")

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        fast, slow = min(fast, slow), max(fast, slow)
        self._fast = _Ema(fast, skip=slow - fast)
        self._slow = _Ema(slow)
        self._signal = _Ema(signal)

    @staticmethod
    def _out(line: float, sig: float) -> tuple[float, float, float]:
        if _nan(sig):
            return NAN, NAN, NAN
        return line, sig, line - sig

    def peek(self, high, low, close, volume=0.0, session=0):
        line = self._fast.peek(close) - self._slow.peek(close)
        return self._out(line, self._signal.peek(line))

    def seal(self, high, low, close, volume=0.0, session=0):
        line = self._fast.seal(close) - self._slow.seal(close)
        return self._out(line, self._signal.seal(line))


class Bollinger(Incremental):
    """Sums of (x - anchor) and its square over the sealed window: a tick is O(1)."""

    outputs = ("middle", "upper", "lower")

    def __init__(self, period: int = 20, k_std: float = 2.0) -> None:
        self.n = period
        self.k = k_std
        self._values: deque[float] = deque()
        self._anchor = NAN
        self._s1 = 0.0
        self._s2 = 0.0
        self._nans = 0

    def _bands(self, x: float) -> tuple[float, float, float]:
        if len(self._values) < self.n - 1 or self._nans or _nan(x):
            return NAN, NAN, NAN
        anchor = self._anchor if not _nan(self._anchor) else x
        y = x - anchor
        mean_y = (self._s1 + y) / self.n
        var = max((self._s2 + y * y) / self.n - mean_y * mean_y, 0.0)
        mid = anchor + mean_y
        std = math.sqrt(var)
        return mid, mid + self.k * std, mid - self.k * std

    def peek(self, high, low, close, volume=0.0, session=0):
        return self._bands(close)

    def seal(self, high, low, close, volume=0.0, session=0):
        value = self._bands(close)
        self._values.append(close)
        if len(self._values) > self.n - 1:
            self._values.popleft()
        # Re-anchor at the window's mean (O(period), once a bar): the sums then carry the
        # window's own spread, so a tick's O(1) variance keeps its digits.
        finite = [v for v in self._values if not _nan(v)]
        self._nans = len(self._values) - len(finite)
        self._anchor = sum(finite) / len(finite) if finite else NAN
        self._s1 = sum(v - self._anchor for v in finite)
        self._s2 = sum((v - self._anchor) ** 2 for v in finite)
        return value


class Atr(Incremental):
    outputs = ("atr",)

    def __init__(self, period: int = 14) -> None:
        self._avg = _Ema(period, wilder=True)
        self._prev_close = NAN

    def _tr(self, high, low) -> float:
        prev = self._prev_close
        if _nan(prev) or _nan(high) or _nan(low):
            return NAN
        return max(high - low, abs(high - prev), abs(low - prev))

    def peek(self, high, low, close, volume=0.0, session=0):
        return (self._avg.peek(self._tr(high, low)),)

    def seal(self, high, low, close, volume=0.0, session=0):
        value = self._avg.seal(self._tr(high, low))
        self._prev_close = close
        return (value,)


class HighLow(Incremental):
    """Monotonic deques of the sealed bars still inside the window of the next bar."""

    outputs = ("highest", "lowest")

    def __init__(self, period: int = 20) -> None:
        self.n = period
        self._i = 0  # index of the next (forming) bar
        self._last_nan = -1
        self._highs: deque[tuple[int, float]] = deque()  # decreasing values
        self._lows: deque[tuple[int, float]] = deque()  # increasing values

    def peek(self, high, low, close=0.0, volume=0.0, session=0):
        if _nan(high) or _nan(low) or self._i - self._last_nan < self.n:
            return NAN, NAN
        h = max(high, self._highs[0][1]) if self._highs else high
        lo = min(low, self._lows[0][1]) if self._lows else low
        return h, lo

    def seal(self, high, low, close=0.0, volume=0.0, session=0):
        value = self.peek(high, low)
        i = self._i
        if _nan(high) or _nan(low):
            self._last_nan = i
            self._highs.clear()
            self._lows.clear()
        else:
            while self._highs and self._highs[-1][1] <= high:
                self._highs.pop()
            self._highs.append((i, high))
            while self._lows and self._lows[-1][1] >= low:
                self._lows.pop()
            self._lows.append((i, low))
        self._i = i + 1
        for q in (self._highs, self._lows):  # keep what the next bar's window holds
            while q and q[0][0] <= self._i - self.n:
                q.popleft()
        return value

    def window(self) -> tuple[float, float]:
        """Highest high and lowest low of the sealed bars kept: the last `period - 1`."""
        if self._i - self._last_nan < self.n or not self._highs:
            return NAN, NAN
        return self._highs[0][1], self._lows[0][1]


class Vwap(Incremental):
    outputs = ("vwap",)

    def __init__(self) -> None:
        self._session = None
        self._pv = 0.0
        self._vol = 0.0

    def _sums(self, high, low, close, volume, session) -> tuple[float, float]:
        pv, vol = (0.0, 0.0) if session != self._session else (self._pv, self._vol)
        typical = (high + low + close) / 3.0
        if not (_nan(typical) or _nan(volume)):
            pv, vol = pv + typical * volume, vol + volume
        return pv, vol

    def peek(self, high, low, close, volume=0.0, session=0):
        pv, vol = self._sums(high, low, close, volume, session)
        return (pv / vol if vol > 0 else NAN,)

    def seal(self, high, low, close, volume=0.0, session=0):
        value = self.peek(high, low, close, volume, session)
        self._pv, self._vol = self._sums(high, low, close, volume, session)
        self._session = session
        return value


class TrendState(Incremental):
    """The trend state machine (`trend_rule.trend_step`, as in the batch kernels), a bar at a
    time."""

    outputs = ("trend",)

    def __init__(self, period: int = 20, confirm: int = 5, expire: int = 30) -> None:
        self._channel = HighLow(period + 1)  # keeps the last `period` sealed bars
        self.confirm = confirm
        self.expire = expire
        self._i = 0
        self._last = [-1, -1, -1]  # the bar of the last up, down and over signal
        self._state = 0.0

    def _step(self, close: float) -> tuple[float, tuple[bool, bool, bool, bool]]:
        top, bottom = self._channel.window()
        mid = (top + bottom) / 2
        signals = (close > top, close < bottom, close < mid, close > mid)
        i, (up, down, over) = self._i, self._last
        since = (i - up if up >= 0 else -1, i - down if down >= 0 else -1,
                 i - over if over >= 0 else -1)  # fmt: skip
        # the kernel's own code, run as Python: one rule, no compiled-call overhead a tick
        return float(trend_step(self._state, signals, since, self.confirm, self.expire)), signals

    def peek(self, high, low, close, volume=0.0, session=0):
        return (self._step(close)[0],)

    def seal(self, high, low, close, volume=0.0, session=0):
        self._state, (up, down, up_over, down_over) = self._step(close)
        for k, fired in enumerate((up, down, up_over or down_over)):
            if fired:
                self._last[k] = self._i
        self._channel.seal(high, low)
        self._i += 1
        return (self._state,)
