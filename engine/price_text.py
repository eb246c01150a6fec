"""Prices and values in words: with the decimals their instrument trades in and thousands
separators, as the price axis writes them (97,123.45, not Python's 97123.5 of `:g`)."""

from __future__ import annotations

import math

MISSING = "–"
MIN_DECIMALS = 2  # prices are written with at least these (as the chart's axis and tags)
MAX_DECIMALS = 8


def format_value(value: float, decimals: int | None = None) -> str:
    """A value with `decimals`, or with at least 4 significant digits and 2 decimals."""
    if not math.isfinite(value):
        return MISSING
    if decimals is None:
        magnitude = math.floor(math.log10(abs(value))) if value else 0
        decimals = min(max(MIN_DECIMALS, 3 - magnitude), MAX_DECIMALS)
    return f"{value:,.{decimals}f}"


def step_decimals(step: float) -> int:
    """Decimals that write every multiple of `step` exactly (0.25 -> 2, 50 -> 0)."""
    for decimals in range(12):
        scaled = step * 10**decimals
        if abs(scaled - round(scaled)) <= 1e-9 * scaled:
            return decimals
    return 12


def exact_text(value: float) -> str:
    """A number as typed: every digit it holds, thousands separated (70, 97,123.45)."""
    return f"{value:,}".removesuffix(".0")


def tick_decimals(tick_size: float) -> int:
    """The decimals a chart writes prices of this tick size with: those of the tick, at
    least MIN_DECIMALS (a 0.5 tick: 9,709.50)."""
    return max(MIN_DECIMALS, step_decimals(tick_size))


def signed_text(value: float, decimals: int) -> str:
    """A change with its sign, to `decimals` (+0.25, -1,200.00); one that rounds to nothing
    without a sign (0.00: neither up nor down)."""
    rounded = round(value, decimals) + 0.0  # no -0.0
    return f"{rounded:+,.{decimals}f}" if rounded else f"{rounded:,.{decimals}f}"


def percent_text(fraction: float) -> str:
    """A change as a percentage to two decimals, signed as `signed_text` (+0.24%, 0.00%)."""
    return f"{signed_text(100 * fraction, 2)}%"
