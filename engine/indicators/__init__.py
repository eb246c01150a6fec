"""Technical indicators: compiled batch functions over numpy arrays, O(1) incremental forms
for the forming bar, and a registry describing each for the UI.

The batch functions are reached through this package (`indicators.sma(...)`) but loaded on
first use: they are compiled kernels, and a process that only lists or steps indicators (the
window's menus, its first paint) need not load numba for them.
"""

__all__ = ["atr", "bollinger", "ema", "macd", "rolling_high_low", "rsi", "sma", "trend_state",
           "vwap"]  # fmt: skip


def __getattr__(name: str):
    if name in __all__:
        from engine.indicators import batch

        return getattr(batch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
