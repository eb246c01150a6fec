"""Indicators over whole arrays: validating wrappers around the compiled kernels.

Conventions follow TA-Lib: EMA seeded with the SMA of its first `period` values, Wilder
smoothing for RSI and ATR, population standard deviation for Bollinger bands, MACD's fast EMA
seeded so its first value falls on the slow EMA's and all three MACD outputs starting with
the signal line. Every output is aligned with the input, NaN where undefined."""

from __future__ import annotations

import numpy as np

from engine.indicators import kernels as k


def series(values, name: str = "values") -> np.ndarray:
    """A contiguous 1-D float64 copy-free view of `values`, or a ValueError naming it."""
    arr = np.ascontiguousarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


def period(value, name: str = "period", minimum: int = 1) -> int:
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise ValueError(f"{name} {value!r} must be a whole number >= {minimum}")
    return int(value)


def _same_length(**arrays: np.ndarray) -> None:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"inputs differ in length: {lengths}")


def _over_period(kernel, values, period_: int) -> np.ndarray:
    """`kernel(x, period, out)` over the checked values and period, into a new array."""
    x = series(values)
    out = np.empty_like(x)
    kernel(x, period(period_), out)
    return out


def sma(values, period_: int = 20) -> np.ndarray:
    return _over_period(k._sma_1d_nb, values, period_)


def ema(values, period_: int = 20) -> np.ndarray:
    return _over_period(k._ema_1d_nb, values, period_)


def rsi(close, period_: int = 14) -> np.ndarray:
    c = series(close, "close")
    n = period(period_)
    out = np.empty_like(c)
    if len(c):
        k._rsi_1d_nb(c, n, out)
    return out


def macd(close, fast: int = 12, slow: int = 26, signal: int = 9):
    """(macd line, signal line, histogram)."""
    c = series(close, "close")
    fast, slow, signal = period(fast, "fast"), period(slow, "slow"), period(signal, "signal")
    if fast > slow:
        fast, slow = slow, fast
    slow_ema = np.empty_like(c)
    k._ema_1d_nb(c, slow, slow_ema)
    fast_ema = np.full_like(c, np.nan)
    skip = slow - fast  # the fast EMA's seed ends where the slow one's does
    k._ema_1d_nb(c[skip:], fast, fast_ema[skip:])
    line = fast_ema - slow_ema
    sig = np.empty_like(c)
    k._ema_1d_nb(line, signal, sig)
    line = np.where(np.isnan(sig), np.nan, line)
    return line, sig, line - sig


def bollinger(close, period_: int = 20, k_std: float = 2.0):
    """(middle, upper, lower): SMA and population standard deviations."""
    c = series(close, "close")
    n = period(period_)
    if not np.isfinite(k_std) or k_std < 0:
        raise ValueError(f"band width {k_std!r} must be a finite number >= 0")
    mid = np.empty_like(c)
    k._sma_1d_nb(c, n, mid)
    std = np.empty_like(c)
    k._std_1d_nb(c, n, mid, std)
    return mid, mid + k_std * std, mid - k_std * std


def atr(high, low, close, period_: int = 14) -> np.ndarray:
    h, lo, c = series(high, "high"), series(low, "low"), series(close, "close")
    _same_length(high=h, low=lo, close=c)
    n = period(period_)
    out = np.empty_like(c)
    if len(c):
        tr = np.empty_like(c)
        k._true_range_1d_nb(h, lo, c, tr)
        k._wilder_1d_nb(tr, n, out)
    return out


def rolling_high_low(high, low, period_: int = 20):
    """(highest high, lowest low) over the last `period` bars, with monotonic deques."""
    h, lo = series(high, "high"), series(low, "low")
    _same_length(high=h, low=lo)
    n = period(period_)
    out_h, out_l = np.empty_like(h), np.empty_like(lo)
    k._rolling_high_low_1d_nb(h, lo, n, out_h, out_l)
    return out_h, out_l


def vwap(high, low, close, volume, session) -> np.ndarray:
    """Session-anchored VWAP of the typical price; `session` labels each bar's session
    (for example its trading day: `calendar.trading_day(ts_ns)`)."""
    h, lo, c, v = (series(a, n) for a, n in ((high, "high"), (low, "low"), (close, "close"),
                                              (volume, "volume")))  # fmt: skip
    s = np.ascontiguousarray(np.asarray(session).astype(np.int64))
    _same_length(high=h, low=lo, close=c, volume=v, session=s)
    out = np.empty_like(c)
    k._vwap_1d_nb(h, lo, c, v, s, out)
    return out


def bars_since(signal) -> np.ndarray:
    """Bars since the previous bar with the signal (not counting this one); -1 if none."""
    s = np.ascontiguousarray(signal, dtype=np.bool_)
    out = np.empty(len(s), dtype=np.int64)
    k._bars_since_1d_nb(s, out)
    return out


def trend_signals(high, low, close, period_: int = 20):
    """The state machine's inputs from a Donchian channel of the previous `period` bars:
    up / down breakouts of the channel, and up-over / down-over (close back across its
    middle)."""
    h, lo, c = series(high, "high"), series(low, "low"), series(close, "close")
    hh, ll = rolling_high_low(h, lo, period_)
    top = np.concatenate(([np.nan], hh[:-1]))
    bottom = np.concatenate(([np.nan], ll[:-1]))
    mid = (top + bottom) / 2
    with np.errstate(invalid="ignore"):
        return c > top, c < bottom, c < mid, c > mid


def trend_state(high, low, close, period_: int = 20, confirm: int = 5, expire: int = 30):
    """Per-bar trend state: +1 up, -1 down, 0.5 / -0.5 up / down trend over, 0 none; driven
    by `trend_signals` and the bars since each (one compiled pass)."""
    h, lo, c = series(high, "high"), series(low, "low"), series(close, "close")
    _same_length(high=h, low=lo, close=c)
    n = period(period_)
    confirm, expire = period(confirm, "confirm", 0), period(expire, "expire")
    out = np.empty_like(c)
    k._trend_1d_nb(h, lo, c, n, confirm, expire, np.empty((2, len(h))), out)
    return out


def trend_state_from_signals(up, down, up_over, down_over, confirm: int = 5,
                             expire: int = 30) -> np.ndarray:  # fmt: skip
    """The trend state machine over given signals (as `trend_signals` returns)."""
    up, down, up_over, down_over = (np.ascontiguousarray(s, dtype=np.bool_)
                                    for s in (up, down, up_over, down_over))  # fmt: skip
    _same_length(up=up, down=down, up_over=up_over, down_over=down_over)
    confirm, expire = period(confirm, "confirm", 0), period(expire, "expire")
    out = np.empty(len(up))
    signals = np.stack((up, down, up_over, down_over))
    since = np.stack((bars_since(up), bars_since(down), bars_since(up_over | down_over)))
    k._trend_state_1d_nb(signals, since, confirm, expire, out)
    return out
