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


def to_float(arr: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(float64 values with NaN where bad, mask of values that are not numbers)."""
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
    good = matches(text, NUMBER_RE)
    masked = pc.if_else(pa.array(good), text, pa.nulls(len(text), pa.string()))
    values = pc.fill_null(pc.cast(masked, pa.float64()), np.nan)
    return values.to_numpy(zero_copy_only=False), ~good
