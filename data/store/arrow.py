"""Bars as an Arrow table, over the columns' own memory."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from engine.bars import COLUMNS, Bars

_TYPES = {np.dtype(np.int64): pa.int64(), np.dtype(np.float64): pa.float64()}


def bars_table(bars: Bars) -> pa.Table:
    """The bars' columns (ts_ns, open, high, low, close, volume) as a table sharing their
    buffers. Made from the buffers because `pa.array` of a numpy array imports pandas, half
    a second of a process's first write (with the interpreter lock held: a frozen window)."""
    arrays = []
    for name in COLUMNS:
        column = np.ascontiguousarray(getattr(bars, name))
        buffer = pa.py_buffer(column)
        arrays.append(pa.Array.from_buffers(_TYPES[column.dtype], len(column), [None, buffer]))
    return pa.Table.from_arrays(arrays, names=list(COLUMNS))


def as_numpy(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A column of bars (int64 or float64, never null) as numpy over its buffer, read-only;
    for the same reason as above (`to_numpy` imports pandas: a third of a second of the
    first chart's read)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if column.null_count:
        raise ValueError(f"a column of bars holds {column.null_count} nulls")
    dtype = next(d for d, t in _TYPES.items() if t == column.type)
    return np.frombuffer(column.buffers()[1], dtype, len(column), column.offset * dtype.itemsize)
