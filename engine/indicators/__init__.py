"""Technical indicators: compiled batch functions over numpy arrays, O(1) incremental forms
for the forming bar, and a registry describing each for the UI."""

from engine.indicators.batch import (
    atr,
    bollinger,
    ema,
    macd,
    rolling_high_low,
    rsi,
    sma,
    trend_state,
    vwap,
)

__all__ = ["atr", "bollinger", "ema", "macd", "rolling_high_low", "rsi", "sma", "trend_state",
           "vwap"]  # fmt: skip
