"""Compiled 1-D indicator kernels: plain loops writing into a given output array, no
validation (the wrappers in `batch` validate). A NaN input makes its outputs NaN and restarts
the recursive indicators (EMA, Wilder averages) after the gap, as a new series would."""

from __future__ import annotations

import numba
import numpy as np

from engine.indicators.trend_rule import trend_step

NAN = np.nan


@numba.njit(cache=True, nogil=True)
def _sma_1d_nb(x, n, out):
    total = 0.0
    bad = 0  # NaNs in the window
    for i in range(x.shape[0]):
        v = x[i]
        if np.isnan(v):
            bad += 1
        else:
            total += v
        if i >= n:
            old = x[i - n]
            if np.isnan(old):
                bad -= 1
            else:
                total -= old
        out[i] = total / n if i >= n - 1 and bad == 0 else NAN


@numba.njit(cache=True, nogil=True)
def _smooth_1d_nb(x, n, alpha, out):
    """prev + alpha * (x - prev), seeded with the SMA of the first n values (TA-Lib);
    restarts after a NaN. alpha = 2 / (n + 1) is the EMA, 1 / n Wilder's smoothing."""
    seed_sum = 0.0
    seen = 0
    prev = NAN
    for i in range(x.shape[0]):
        v = x[i]
        if np.isnan(v):
            seed_sum = 0.0
            seen = 0
            prev = NAN
            out[i] = NAN
            continue
        if seen < n:
            seed_sum += v
            seen += 1
            if seen == n:
                prev = seed_sum / n
                out[i] = prev
            else:
                out[i] = NAN
        else:
            prev = prev + alpha * (v - prev)
            out[i] = prev


@numba.njit(cache=True, nogil=True)
def _ema_1d_nb(x, n, out):
    _smooth_1d_nb(x, n, 2.0 / (n + 1.0), out)


@numba.njit(cache=True, nogil=True)
def _wilder_1d_nb(x, n, out):
    _smooth_1d_nb(x, n, 1.0 / n, out)


@numba.njit(cache=True, nogil=True)
def _rsi_1d_nb(close, n, out):
    """Wilder RSI (TA-Lib): 100 * avg_gain / (avg_gain + avg_loss), 0 when both are 0; the
    averages are seeded with the means of the first n moves. One pass; a NaN restarts."""
    m = close.shape[0]
    if m:
        out[0] = NAN
    seen = 0
    sum_gain = sum_loss = 0.0
    avg_gain = avg_loss = NAN
    for i in range(1, m):
        d = close[i] - close[i - 1]
        if np.isnan(d):
            seen = 0
            sum_gain = sum_loss = 0.0
            out[i] = NAN
            continue
        gain = d if d > 0 else 0.0
        loss = -d if d < 0 else 0.0
        if seen < n:
            sum_gain += gain
            sum_loss += loss
            seen += 1
            if seen < n:
                out[i] = NAN
                continue
            avg_gain = sum_gain / n
            avg_loss = sum_loss / n
        else:
            avg_gain = (avg_gain * (n - 1) + gain) / n
            avg_loss = (avg_loss * (n - 1) + loss) / n
        total = avg_gain + avg_loss
        out[i] = 0.0 if total == 0.0 else 100.0 * avg_gain / total


@numba.njit(cache=True, nogil=True)
def _true_range_1d_nb(high, low, close, out):
    out[0] = NAN
    for i in range(1, high.shape[0]):
        prev = close[i - 1]
        if np.isnan(prev) or np.isnan(high[i]) or np.isnan(low[i]):
            out[i] = NAN  # the range after a gap is unknown
            continue
        tr = high[i] - low[i]
        a = abs(high[i] - prev)
        b = abs(low[i] - prev)
        if a > tr:
            tr = a
        if b > tr:
            tr = b
        out[i] = tr


@numba.njit(cache=True, nogil=True)
def _std_1d_nb(x, n, mean, out):
    """Population standard deviation of each window of n around its mean (two passes:
    running sums of squares lose the digits of a window with little spread)."""
    for i in range(x.shape[0]):
        mu = mean[i]
        if np.isnan(mu):
            out[i] = NAN
            continue
        acc = 0.0
        for j in range(i - n + 1, i + 1):
            d = x[j] - mu
            acc += d * d
        out[i] = np.sqrt(acc / n)


@numba.njit(cache=True, nogil=True)
def _rolling_high_low_1d_nb(high, low, n, out_high, out_low):
    """Highest high and lowest low over the last n bars with monotonic deques (O(1)
    amortized per bar), kept in power-of-two ring buffers (a deque never holds more
    than n). A NaN
    in the window makes the outputs NaN."""
    m = high.shape[0]
    cap = 1
    while cap < n:
        cap *= 2
    mask = cap - 1
    qh = np.empty(cap, np.int64)  # indices, values decreasing
    ql = np.empty(cap, np.int64)  # indices, values increasing
    hh = th = hl = tl = 0  # heads and tails, as counters (slot = counter & mask)
    last_nan = -1
    for i in range(m):
        if np.isnan(high[i]) or np.isnan(low[i]):
            last_nan = i
            hh = th = hl = tl = 0
            out_high[i] = NAN
            out_low[i] = NAN
            continue
        if th > hh and qh[hh & mask] <= i - n:
            hh += 1
        if tl > hl and ql[hl & mask] <= i - n:
            hl += 1
        while th > hh and high[qh[(th - 1) & mask]] <= high[i]:
            th -= 1
        qh[th & mask] = i
        th += 1
        while tl > hl and low[ql[(tl - 1) & mask]] >= low[i]:
            tl -= 1
        ql[tl & mask] = i
        tl += 1
        if i - last_nan >= n:
            out_high[i] = high[qh[hh & mask]]
            out_low[i] = low[ql[hl & mask]]
        else:
            out_high[i] = NAN
            out_low[i] = NAN


@numba.njit(cache=True, nogil=True)
def _vwap_1d_nb(high, low, close, volume, session, out):
    """Volume-weighted typical price, cumulated from each session's first bar."""
    pv = 0.0
    vol = 0.0
    for i in range(high.shape[0]):
        if i == 0 or session[i] != session[i - 1]:
            pv = 0.0
            vol = 0.0
        typical = (high[i] + low[i] + close[i]) / 3.0
        if not (np.isnan(typical) or np.isnan(volume[i])):
            pv += typical * volume[i]
            vol += volume[i]
        out[i] = pv / vol if vol > 0 else NAN


@numba.njit(cache=True, nogil=True)
def _bars_since_1d_nb(signal, out):
    """Bars since the previous bar with the signal (not counting this one); -1 if none."""
    last = -1
    for i in range(signal.shape[0]):
        out[i] = i - last if last >= 0 else -1
        if signal[i]:
            last = i


# The one rule of the trend state machine, compiled for the batch kernels (the incremental
# form steps through the plain function).
_trend_step = numba.njit(cache=True, nogil=True, inline="always")(trend_step)


@numba.njit(cache=True, nogil=True)
def _trend_state_1d_nb(signals, since, confirm, expire, out):
    """The trend state machine over given signals (4 rows: up, down, up_over, down_over)
    and bars-since counts (3 rows: since up, down, over)."""
    state = 0.0
    for i in range(signals.shape[1]):
        state = _trend_step(state, (signals[0, i], signals[1, i], signals[2, i], signals[3, i]),
                            (since[0, i], since[1, i], since[2, i]), confirm, expire)  # fmt: skip
        out[i] = state


@numba.njit(cache=True, nogil=True)
def _trend_1d_nb(high, low, close, n, confirm, expire, channel, out):
    """The trend state from prices in one pass: the signals of a Donchian channel of the
    previous n bars (breakouts up / down; the close back across its middle) and the bars
    since each, without the intermediate arrays. `channel` (2 rows) is scratch."""
    highest, lowest = channel[0], channel[1]
    _rolling_high_low_1d_nb(high, low, n, highest, lowest)
    state = 0.0
    last_up = last_down = last_over = -1
    for i in range(close.shape[0]):
        top = highest[i - 1] if i > 0 else NAN
        bottom = lowest[i - 1] if i > 0 else NAN
        mid = (top + bottom) / 2.0
        c = close[i]
        up, down = c > top, c < bottom  # False against NaN
        up_over, down_over = c < mid, c > mid
        since = (i - last_up if last_up >= 0 else -1, i - last_down if last_down >= 0 else -1,
                 i - last_over if last_over >= 0 else -1)  # fmt: skip
        state = _trend_step(state, (up, down, up_over, down_over), since, confirm, expire)
        out[i] = state
        if up:
            last_up = i
        if down:
            last_down = i
        if up_over or down_over:
            last_over = i
