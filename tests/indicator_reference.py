"""Slow, obvious indicator implementations (plain Python) for the tests."""

from __future__ import annotations

import math
import statistics

NAN = math.nan


def isnan(x) -> bool:
    return x != x


def sma(x, n):
    out = []
    for i in range(len(x)):
        window = x[max(0, i - n + 1) : i + 1]
        out.append(NAN if i < n - 1 or any(isnan(v) for v in window) else sum(window) / n)
    return out


def _smooth(x, n, alpha, skip=0):
    """EMA-like smoothing seeded with the mean of the first n values; NaN restarts it."""
    out, seed, prev = [], [], NAN
    for i, v in enumerate(x):
        if i < skip or isnan(v):
            seed, prev = [], NAN
            out.append(NAN)
        elif len(seed) < n:
            seed.append(v)
            prev = sum(seed) / n if len(seed) == n else NAN
            out.append(prev)
        else:
            prev = prev + alpha * (v - prev)
            out.append(prev)
    return out


def ema(x, n, skip=0):
    return _smooth(x, n, 2 / (n + 1), skip)


def wilder(x, n):
    return _smooth(x, n, 1 / n)


def rsi(close, n):
    if not close:
        return []
    gains, losses = [NAN], [NAN]
    for i in range(1, len(close)):
        d = close[i] - close[i - 1]
        gains.append(NAN if isnan(d) else max(d, 0.0))
        losses.append(NAN if isnan(d) else max(-d, 0.0))
    out = []
    for g, lo in zip(wilder(gains, n), wilder(losses, n), strict=True):
        out.append(NAN if isnan(g) or isnan(lo) else (0.0 if g + lo == 0 else 100 * g / (g + lo)))
    return out


def macd(close, fast, slow, signal):
    fast, slow = min(fast, slow), max(fast, slow)
    line = [f - s for f, s in zip(ema(close, fast, skip=slow - fast), ema(close, slow),
                                   strict=True)]  # fmt: skip
    sig = ema(line, signal)
    line = [NAN if isnan(s) else v for v, s in zip(line, sig, strict=True)]
    return line, sig, [v - s for v, s in zip(line, sig, strict=True)]


def bollinger(close, n, k):
    mid = sma(close, n)
    upper, lower = [], []
    for i, m in enumerate(mid):
        if isnan(m):
            upper.append(NAN)
            lower.append(NAN)
        else:
            sd = statistics.pstdev(close[i - n + 1 : i + 1])
            upper.append(m + k * sd)
            lower.append(m - k * sd)
    return mid, upper, lower


def atr(high, low, close, n):
    if not close:
        return []
    tr = [NAN]
    for i in range(1, len(close)):
        parts = (high[i] - low[i], abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1]))
        tr.append(NAN if any(isnan(p) for p in parts) else max(parts))
    return wilder(tr, n)


def rolling_high_low(high, low, n):
    hh, ll = [], []
    for i in range(len(high)):
        hw, lw = high[max(0, i - n + 1) : i + 1], low[max(0, i - n + 1) : i + 1]
        bad = i < n - 1 or any(isnan(v) for v in hw + lw)
        hh.append(NAN if bad else max(hw))
        ll.append(NAN if bad else min(lw))
    return hh, ll


def vwap(high, low, close, volume, session):
    out, pv, vol = [], 0.0, 0.0
    for i in range(len(high)):
        if i == 0 or session[i] != session[i - 1]:
            pv, vol = 0.0, 0.0
        typical = (high[i] + low[i] + close[i]) / 3
        if not (isnan(typical) or isnan(volume[i])):
            pv += typical * volume[i]
            vol += volume[i]
        out.append(pv / vol if vol > 0 else NAN)
    return out


def trend_machine(up, down, up_over, down_over, confirm, expire):
    """The trend state machine, written out with its own bars-since counters."""
    state, last_up, last_down, last_over, out = 0.0, None, None, None, []
    for i in range(len(up)):
        since_up = i - last_up if last_up is not None else -1
        since_down = i - last_down if last_down is not None else -1
        since_over = i - last_over if last_over is not None else -1
        if up[i] and not (0 <= since_down <= confirm):
            state = 1.0
        elif down[i] and not (0 <= since_up <= confirm):
            state = -1.0
        elif state == 1.0 and up_over[i]:
            state = 0.5
        elif state == -1.0 and down_over[i]:
            state = -0.5
        elif state in (0.5, -0.5) and since_over >= expire:
            state = 0.0
        out.append(state)
        if up[i]:
            last_up = i
        if down[i]:
            last_down = i
        if up_over[i] or down_over[i]:
            last_over = i
    return out
