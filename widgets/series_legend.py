"""What a chart's legend says about its series' bar `ix`: the time, OHLC and change from the
previous close in the bar's colour, and its volume."""

from __future__ import annotations

import numpy as np

from engine.localtime import local_ns
from engine.price_text import format_value, percent_text, signed_text
from engine.timeframes import is_intraday
from widgets.axes import compact
from widgets.series_model import SeriesModel
from widgets.theme import Theme


def bar_parts(model: SeriesModel, theme: Theme, decimals: int, ix: int) -> list[tuple[str, str]]:
    if not 0 <= ix < len(model):
        return []
    times, tz = model.label_times(ix, ix + 1)
    unit = "datetime64[m]" if is_intraday(model.timeframe) else "datetime64[D]"
    when = str(np.datetime64(int(local_ns(times, tz)[0]), "ns").astype(unit)).replace("T", " ")
    o, h, lo, c = (float(model.column(k)[ix]) for k in ("open", "high", "low", "close"))
    colour = theme.up if c >= o else theme.down
    parts = [(when, theme.foreground)]
    parts += [(f"{name} {format_value(v, decimals)}", colour)
              for name, v in (("O", o), ("H", h), ("L", lo), ("C", c))]  # fmt: skip
    if ix > 0:
        previous = float(model.column("close")[ix - 1])
        if previous:
            change = c - previous
            text = f"{signed_text(change, decimals)} ({percent_text(change / previous)})"
            parts.append((text, colour))
    return parts


def volume_parts(model: SeriesModel, theme: Theme, ix: int) -> list[tuple[str, str]]:
    if not 0 <= ix < len(model):
        return []
    up = model.column("close")[ix] >= model.column("open")[ix]
    return [(compact(float(model.column("volume")[ix]), 0), theme.up if up else theme.down)]
