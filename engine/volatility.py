"""Volatility clustering for synthetic markets: an AR(1) process of log-volatility."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _ar1_1d_nb(shocks: np.ndarray, phi: float, out: np.ndarray) -> None:
    level = 0.0
    for i in range(shocks.shape[0]):
        level = phi * level + shocks[i]
        out[i] = level


def ar1(shocks: np.ndarray, phi: float) -> np.ndarray:
    """x[i] = phi * x[i-1] + shocks[i], starting from x[-1] = 0 (compiled)."""
    shocks = np.ascontiguousarray(shocks, dtype=np.float64)
    if shocks.ndim != 1:
        raise ValueError(f"shocks must be 1-D, got shape {shocks.shape}")
    if not -1.0 < phi < 1.0:
        raise ValueError(f"phi {phi!r} must lie in (-1, 1) for a stationary process")
    out = np.empty_like(shocks)
    _ar1_1d_nb(shocks, float(phi), out)
    return out
