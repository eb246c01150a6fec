"""What a chart's legend says about its series' bar `ix`: the time, OHLC and change from the
previous close in the bar's colour, and its volume. Zoomed out, where a candle is drawn for a
block of bars (the level-of-detail pyramid), it says what that candle shows: the block's
times, OHLC and summed volume, not one of its bars."""

from __future__ import annotations

from engine.localtime import local_ns
from engine.price_text import format_value, percent_text, signed_text
from engine.timeframes import is_intraday
from widgets.axes import compact
from widgets.series_model import SeriesModel
from widgets.theme import Theme


def _block(model: SeriesModel, level: int, ix: int):
    """[first, stop) of the block of bar `ix` drawn at `level` (one candle zoomed out), and
    its open, high, low, close and volume."""
    first, stop = model.pyramid.block_span(level, ix) if level else (ix, ix + 1)
    _, _, *ohlcv = model.pyramid.blocks(level if stop - first > 1 else 0, first, stop)
    return first, stop, *(float(column[0]) for column in ohlcv)


def _when(model: SeriesModel, first: int, stop: int) -> str:
    """Bar `first`'s time; of a block of bars, its first and last bar's ("2024-01-02
    18:00-18:31 (32 bars)", the day left out of the last when it is the first's)."""
    times, tz = model.label_times(first, stop)
    unit = "datetime64[m]" if is_intraday(model.timeframe) else "datetime64[D]"
    ends = local_ns(times[[0, -1]], tz).astype("datetime64[ns]").astype(unit)
    start, last = (str(t).replace("T", " ") for t in ends)
    if stop - first == 1:
        return start
    if unit == "datetime64[m]" and start[:10] == last[:10]:
        last = last[11:]
    return f"{start}\u2013{last} ({stop - first} bars)"


def bar_parts(model: SeriesModel, theme: Theme, decimals: int, ix: int,
              level: int = 0) -> list[tuple[str, str]]:  # fmt: skip
    """The time, OHLC and change of bar `ix`; zoomed out to pyramid `level`, of the block
    holding it, as the candle drawn there shows it."""
    if not 0 <= ix < len(model):
        return []
    first, stop, o, h, lo, c, _ = _block(model, level, ix)
    colour = theme.up if c >= o else theme.down
    parts = [(_when(model, first, stop), theme.foreground)]
    parts += [(f"{name} {format_value(v, decimals)}", colour)
              for name, v in (("O", o), ("H", h), ("L", lo), ("C", c))]  # fmt: skip
    if first > 0:
        previous = float(model.column("close")[first - 1])
        if previous:
            change = c - previous
            text = f"{signed_text(change, decimals)} ({percent_text(change / previous)})"
            parts.append((text, colour))
    return parts


def volume_parts(model: SeriesModel, theme: Theme, ix: int,
                 level: int = 0) -> list[tuple[str, str]]:  # fmt: skip
    """Bar `ix`'s volume; zoomed out to pyramid `level`, its block's, as the bar drawn there
    (and the volume axis) shows it."""
    if not 0 <= ix < len(model):
        return []
    _, _, o, _, _, c, volume = _block(model, level, ix)
    return [(compact(volume, 0), theme.up if c >= o else theme.down)]
