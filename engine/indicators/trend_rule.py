"""The trend state machine's rule for one bar, in plain Python: compiled by the batch kernels,
called as is by the incremental form (no numba needed to step an indicator)."""

from __future__ import annotations


def trend_step(state, signals, since, confirm, expire):
    """One bar of the trend state machine: +1 up, -1 down, +0.5 / -0.5 up/down trend over,
    0 none. `signals` is (up, down, up_over, down_over) of this bar, `since` the bars since
    the last (up, down, over) signal before it (-1: none). The batch kernels (compiled, as
    `kernels._trend_step`) and the incremental form (`incremental.TrendState`) all step
    through this one function.

    An up signal starts an up trend unless a down signal came within `confirm` bars (and
    the other way round); an up trend ends (+0.5) at an up-over signal, a down trend
    (-0.5) at a down-over; a trend that is over fades to 0 once `expire` bars have passed
    since its over signal. Otherwise the state carries over from the previous bar."""
    up, down, up_over, down_over = signals
    since_up, since_down, since_over = since
    if up and not (0 <= since_down <= confirm):
        return 1.0
    if down and not (0 <= since_up <= confirm):
        return -1.0
    if state == 1.0 and up_over:
        return 0.5
    if state == -1.0 and down_over:
        return -0.5
    if (state == 0.5 or state == -0.5) and since_over >= expire:
        return 0.0
    return state
