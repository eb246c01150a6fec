"""Text columns to float64, with each value that is not a number reported."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NUMBER_RE = r"^[-+]?((\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|nan|NaN|NAN|inf|Inf|INF|infinity|Infinity)$"
INTEGER_RE = r"^[-+]?\d+$"


def as_array(arr: pa.ChunkedArray | pa.Array) -> pa.Array:
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def matches(text: pa.Array, pattern: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring_regex(text, pattern), False).to_numpy(
        zero_copy_only=False
    )


DECIMAL_COMMA_RE = r"^[-+]?\d+,\d+$"  # 1,5
GROUPED_DECIMAL_COMMA_RE = r"^[-+]?\d{1,3}(\.\d{3})+,\d+$"  # 15.234,50


def with_decimal_points(text: pa.Array) -> pa.Array:
    """Numbers written with a decimal comma (1,5; 15.234,50) written with a decimal point
    and without grouping (1.5; 15234.50); every other text as it is."""
    grouped = pa.array(matches(text, GROUPED_DECIMAL_COMMA_RE))
    text = pc.if_else(grouped, pc.replace_substring(text, ".", ""), text)
    comma = pa.array(matches(text, DECIMAL_COMMA_RE))
    return pc.if_else(comma, pc.replace_substring(text, ",", "."), text)


def to_float(arr: pa.ChunkedArray | pa.Array,
             decimal_comma: bool = False) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(float64 values with NaN where bad, mask of values that are not numbers). With
    `decimal_comma` (fields split by ';'), 1,5 is 1.5 and 15.234,50 is 15234.5; a number
    without a comma reads as it is."""
    arr = as_array(arr)
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        bad = arr.is_null().to_numpy(zero_copy_only=False)
        return pc.fill_null(arr.cast(pa.float64()), np.nan).to_numpy(zero_copy_only=False), bad
    text = pc.utf8_trim_whitespace(arr.cast(pa.string()))
    try:
        values = pc.cast(text, pa.float64())
        return values.to_numpy(zero_copy_only=False), np.zeros(len(text), dtype=bool)
    except pa.ArrowInvalid:
        pass
    if decimal_comma:
        text = with_decimal_points(text)
    good = matches(text, NUMBER_RE)
    masked = pc.if_else(pa.array(good), text, pa.nulls(len(text), pa.string()))
    values = pc.fill_null(pc.cast(masked, pa.float64()), np.nan)
    return values.to_numpy(zero_copy_only=False), ~good
