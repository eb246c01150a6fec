"""Timeframe names and their periods."""

from __future__ import annotations

from engine.units import NS_PER_S

# Intraday timeframes have a fixed period; 1d is a trading day and 1w a trading week.
_PERIOD_S = {
    "1m": 60,
    "3m": 180,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1h": 3600,
    "2h": 7200,
    "4h": 14400,
}
TIMEFRAMES: tuple[str, ...] = (*_PERIOD_S, "1d", "1w")


def check_timeframe(timeframe: str) -> str:
    """Return `timeframe` if it is one we know, else raise a ValueError naming it."""
    if timeframe not in TIMEFRAMES:
        raise ValueError(f"unknown timeframe {timeframe!r}: use one of {', '.join(TIMEFRAMES)}")
    return timeframe


def is_intraday(timeframe: str) -> bool:
    return check_timeframe(timeframe) in _PERIOD_S


def period_s(timeframe: str) -> int:
    """Length in seconds of an intraday timeframe's bucket (not defined for 1d and 1w)."""
    if not is_intraday(timeframe):
        raise ValueError(
            f"timeframe {timeframe!r} has no fixed period: a day or week follows the calendar"
        )
    return _PERIOD_S[timeframe]


def period_ns(timeframe: str) -> int:
    return period_s(timeframe) * NS_PER_S
