"""Axes that cost little per frame: one labelled tick level, labels measured by the font's
metrics and laid out in plain numbers (pyqtgraph's AxisItem lays out every level's labels
through QPainter.boundingRect and Point objects, a millisecond per axis per frame at
1600x900), drawn as one call of ticks and one atlas blit of labels, and a price axis with
"nice" steps (1, 2, 2.5, 5 x 10^k) a readable distance apart."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from PySide6 import QtCore, QtGui

from engine.price_text import format_value, step_decimals
from widgets.pg_compat import AxisBase, PrimitiveArray, line_array
from widgets.text_atlas import TextAtlas

MIN_PRICE_LABEL_PX = 40
LABEL_GAP_PX = 6  # at least this between two labels of an axis
DRAG_SCALE_PER_PX = 0.01  # a drag of 70 px down on a value axis doubles its range
WHEEL_SCALE_PER_STEP = 0.85
OUTWARD_TICK_PX = 4
NICE_MANTISSAS = (1.0, 2.0, 2.5, 5.0, 10.0)
TEXT_HEIGHT_FRACTION = 0.8  # a font's line height has room above and below the glyphs
ORIENTATIONS = ("right", "bottom")


class AxisSpecs(NamedTuple):
    """What an axis draws, in its item's coordinates: its line (a pixel-wide fill), its ticks
    (a `line_array`: one drawLines), and its labels, label k's box at (left[k], top[k]),
    width[k] by `text_h`, its text's top `text_dy` below the box's."""

    line_brush: QtGui.QBrush
    line: QtCore.QRectF
    tick_pen: QtGui.QPen
    ticks: PrimitiveArray  # of QLineF
    texts: list[str]
    rgba: int
    left: np.ndarray
    top: np.ndarray
    width: np.ndarray
    text_h: float
    text_dy: float

    def labels(self) -> list[tuple[QtCore.QRectF, str]]:
        """Each label's box and text."""
        return [(QtCore.QRectF(x, y, w, self.text_h), text) for x, y, w, text in
                zip(self.left.tolist(), self.top.tolist(), self.width.tolist(), self.texts,
                    strict=True)]  # fmt: skip


class LeanAxisItem(AxisBase):
    """A right or bottom axis: ticks at every level `tickValues` returns, labels at the first."""

    def __init__(self, orientation: str, **kwargs) -> None:
        if orientation not in ORIENTATIONS:
            raise ValueError(f"orientation must be 'right' or 'bottom', not {orientation!r}")
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)  # labels show the values themselves
        # Ticks point outwards: inward ones put the axis' bounds over the view's edge, and
        # every repaint there (a tick's last-price line) repainted the axis as well.
        self.setStyle(tickLength=OUTWARD_TICK_PX)
        self._texts = TextAtlas(first_sight=True)  # a pan shows its labels again and again
        self._tick_lines = line_array()

    def paint(self, painter: QtGui.QPainter, *args) -> None:
        """Draw straight onto the view's painter. (pyqtgraph records the axis into a QPicture
        and plays it back: twice the drawing on every frame that changes the axis, which is
        every pan and zoom frame.) The draw specs are kept instead, until the axis changes."""
        if self.specs is None:
            self.specs = self.generateDrawSpecs(painter)
        if self.specs is not None:
            self._draw(painter, self.specs)

    def _draw(self, p: QtGui.QPainter, specs: AxisSpecs) -> None:
        """The axis line, every tick in one drawLines call, and the labels not hidden from
        the text atlas."""
        p.fillRect(specs.line, specs.line_brush)
        if len(specs.ticks):
            p.setPen(specs.tick_pen)
            p.drawLines(*specs.ticks.drawargs())
        if not specs.texts:
            return
        left, top, texts = specs.left, specs.top + specs.text_dy, specs.texts
        hidden = self._hidden_mask(specs)
        if hidden is not None:
            shown = np.flatnonzero(~hidden)
            left, top, texts = left[shown], top[shown], [texts[k] for k in shown.tolist()]
        self._texts.draw_in_place(p, left, top, texts, specs.rgba)

    def _hidden_mask(self, specs: AxisSpecs) -> np.ndarray | None:
        """Which labels lie under something drawn over the axis (see `reserve`); None: none."""
        return None

    def _first_text(self, value: float, text: str) -> str:
        """The label of `value` when it is the first one drawn along the axis (a time
        axis dates it in full)."""
        return text

    def _font(self, p: QtGui.QPainter) -> QtGui.QFont:
        return self.style["tickFont"] or p.font()

    def major_ticks(self, lo: float, hi: float) -> list[float]:
        """The values of the labelled tick level over [lo, hi], as the axis ticks them at its
        own length (grid lines sit on its ticks)."""
        size = self.geometry().size()
        levels = self.tickValues(lo, hi, size.height() if self.orientation == "right" else
                                 size.width())  # fmt: skip
        return list(levels[0][1]) if levels else []

    def generateDrawSpecs(self, p: QtGui.QPainter) -> AxisSpecs | None:
        """The axis' line, ticks and labels. An axis has a few dozen values at most, so they
        are placed in plain floats (a numpy call costs more than the arithmetic here)."""
        bounds = self.mapRectFromParent(self.geometry())
        vertical = self.orientation == "right"
        length_px = bounds.height() if vertical else bounds.width()
        lo, hi = self.range
        if length_px <= 0 or hi == lo:
            return None
        if vertical:  # a value axis' pixels run upwards
            edge, first_px, last_px = bounds.left(), bounds.top() - 0.5, bounds.bottom() + 0.5
            origin, px_per_value = bounds.bottom(), -length_px / (hi - lo)
        else:
            edge, first_px, last_px = bounds.top(), bounds.left() - 0.5, bounds.right() + 0.5
            origin, px_per_value = bounds.left(), length_px / (hi - lo)
        self._texts.set_font(self._font(p))
        metrics = self._texts.metrics
        text_h = metrics.height() * TEXT_HEIGHT_FRACTION
        tick_len = self.style["tickLength"]
        along = edge + max(0, tick_len) + self.style["tickTextOffset"][0 if vertical else 1]
        levels = self.tickValues(lo, hi, length_px)
        placed = [  # each level's (pixel, value) within the axis
            [(x, value) for value in values
             if first_px <= (x := origin + (value - lo) * px_per_value) <= last_px]
            for _, values in levels
        ]  # fmt: skip
        ticks = self._tick_lines  # drawn from the latest specs only
        ticks.resize(sum(map(len, placed)))
        rows = ticks.ndarray()  # x1, y1, x2, y2
        rows[:, 1 if vertical else 0] = rows[:, 3 if vertical else 2] = [
            x for level in placed for x, _ in level]  # fmt: skip
        rows[:, 0 if vertical else 1] = edge
        rows[:, 2 if vertical else 3] = edge + tick_len
        line = QtCore.QRectF(bounds.left(), bounds.top(), 1.0 if vertical else bounds.width(),
                             bounds.height() if vertical else 1.0)  # fmt: skip
        texts, starts, widths = [], [], []
        if levels and self.style["showValues"]:
            shown = sorted(placed[0]) if vertical else placed[0]  # in order along the axis
            values = [value for _, value in shown]
            texts, starts, widths = self._lay_out_labels(
                values, [x for x, _ in shown], self.tickStrings(values, 1.0, levels[0][0]),
                bounds, along, text_h)  # fmt: skip
        # A value axis is as wide as its labels; a time axis keeps a line of text's height
        # with or without labels (sized to none, a chart opened with a bar or two had no
        # room for them later).
        self.reserve_text_size(math.ceil(max(widths, default=0.0) if vertical else text_h))
        starts, fixed = np.array(starts, dtype=float), np.array([along] * len(texts))
        ascent, descent = metrics.ascent(), metrics.descent()
        text_dy = text_h / 2 + (ascent - descent) / 2 - ascent if vertical else 0.0
        line_brush, tick_pen, text_rgba = self.looks()
        return AxisSpecs(
            line_brush,
            line,
            tick_pen,
            ticks,
            texts,
            text_rgba,
            fixed if vertical else starts,
            starts if vertical else fixed,
            np.array(widths, dtype=float),
            text_h,
            text_dy,
        )

    def _lay_out_labels(self, values, px, texts, bounds, along, text_h):
        """(texts, starts along the axis, widths) of the labels drawn: each within the axis'
        room, apart from the one before. A value label at its pane's edge slides in beside
        its tick and stays within its pane's axis, off the next pane's labels; a time label
        may flow a little past the axis' ends (pyqtgraph's margin)."""
        vertical = self.orientation == "right"
        room = bounds if vertical else self.boundingRect()
        room_lo, room_hi = (room.top(), room.bottom()) if vertical else (room.left(),
                                                                         room.right())  # fmt: skip
        across_fits = vertical or (room.top() <= along and along + text_h <= room.bottom())
        gap = 1 if vertical else LABEL_GAP_PX
        kept, starts, widths = [], [], []
        last_end = -math.inf  # where the last label drawn ends along the axis (+ the gap)
        for value, x, text in zip(values, px, texts, strict=True):
            if not text:
                continue
            if not kept:
                text = self._first_text(value, text)
            width = self._texts.width(text)
            if vertical:
                start = min(max(x - text_h / 2, room_lo), room_hi - text_h)
                stop, fits = start + text_h, along + width <= room.right()
            else:
                start, stop, fits = x - width / 2, x + width / 2, across_fits
                if len(texts) == 1:  # alone (a series of one bar): slid within the axis
                    start = max(room_lo, min(start, room_hi - width))
                    stop = start + width
            if fits and room_lo <= start and stop <= room_hi and start > last_end:
                last_end = stop + gap
                kept.append(text)
                starts.append(start)
                widths.append(width)
        return kept, starts, widths


def nice_step(span: float, length_px: float, min_px: float = MIN_PRICE_LABEL_PX) -> float:
    """The smallest 1/2/2.5/5 x 10^k step that puts labels at least `min_px` apart."""
    raw = span * min_px / length_px
    decade = 10.0 ** math.floor(math.log10(raw))
    return next(m * decade for m in NICE_MANTISSAS if m * decade >= raw * (1 - 1e-12))


def compact(value: float, decimals: int) -> str:
    """1234567 -> '1.23M', 25000 -> '25k' (volumes)."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.{decimals}f}"


class PriceAxisItem(LeanAxisItem):
    """A value axis (price, volume, an indicator) with one level of nice steps; `compact`
    writes large values as 1.5M / 250k. Dragging on it stretches (up) or compresses (down)
    the scale, the wheel zooms it around the value under the cursor, a double-click asks for
    the fit to the visible values back; whoever owns the view does it.

    Signals:
        scale_requested(float factor, object anchor): scale the range by `factor` around
            the value `anchor` (None: its middle).
        fit_requested(): fit the range to the visible values again.
    """

    scale_requested = QtCore.Signal(float, object)
    fit_requested = QtCore.Signal()

    def __init__(self, orientation: str = "right", compact: bool = False, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self._reserved: dict[str, tuple[tuple[float, float], ...]] = {}  # tags' (top, bottom)
        self._bands: tuple[tuple[float, float], ...] = ()  # all of them, for each label drawn
        self._covered: frozenset[int] = frozenset()  # the labels under them now
        self._compact = compact
        self.tag_decimals: int | None = None  # a value tag's (a price's); None: finer
        # than the labels'
        self._cached: tuple | None = None  # (key, levels): the grid asks for them too
        self.percent_base: float | None = None
        self.log = False
        self._step_unit = 1.0

    def reserve(self, owner: str, bands: tuple[tuple[float, float], ...]) -> None:
        """Labels within `bands` (top, bottom in the axis' coordinates) of the tags of
        `owner` (the last-price tag, the horizontal lines' tags) are not drawn, as
        TradingView hides them under its tags. The axis repaints only when the set of hidden
        labels changes, not on every move of a tag."""
        if self._reserved.get(owner, ()) == bands:
            return  # a tick within the same pixel row
        self._reserved[owner] = bands
        self._bands = tuple(band for each in self._reserved.values() for band in each)
        covered = frozenset(self._covered_labels())
        if covered != self._covered:
            self._covered = covered
            self.update()

    def _covered_labels(self) -> list[int]:
        hidden = None if self.specs is None else self._hidden_mask(self.specs)
        return [] if hidden is None else np.flatnonzero(hidden).tolist()

    def _hidden_mask(self, specs: AxisSpecs) -> np.ndarray | None:
        if not self._bands or not specs.texts:
            return None
        top = specs.top
        bottom = top + specs.text_h
        hidden = np.zeros(len(top), dtype=bool)
        for band_top, band_bottom in self._bands:
            hidden |= (bottom > band_top) & (top < band_bottom)
        return hidden

    def mouseDragEvent(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            event.ignore()
            return
        event.accept()
        dy_px = event.pos().y() - event.lastPos().y()
        if dy_px:
            self.scale_requested.emit(math.exp(dy_px * DRAG_SCALE_PER_PX), None)

    def wheelEvent(self, event) -> None:
        event.accept()
        view = self.linkedView()
        if view is None or not event.delta():
            return
        anchor = view.mapSceneToView(event.scenePos()).y()
        self.scale_requested.emit(WHEEL_SCALE_PER_STEP ** (event.delta() / 120), anchor)

    def mouseDoubleClickEvent(self, event) -> None:
        event.accept()
        self.fit_requested.emit()

    def set_percent_base(self, base: float | None) -> None:
        """Label values as their change from `base` in percent (TradingView's percent
        scale: 0% at the first bar in view), or as themselves (None)."""
        if base is not None and not (math.isfinite(base) and base != 0):
            base = None
        if base != self.percent_base:
            self.percent_base = base
            self._cached = None
            self.invalidate_specs()

    def set_log(self, log: bool) -> None:
        """The view's values are log10 of prices: ticks at nice prices, labelled as prices."""
        if log != self.log:
            self.log = log
            self._cached = None
            self.invalidate_specs()

    def _log_levels(self, lo: float, hi: float, size: float) -> list:
        """Nice prices between 10**lo and 10**hi at their log positions: linear steps when
        they span less than a decade, 1-2-5 in each decade when more."""
        p_lo, p_hi = 10.0**lo, 10.0**hi
        if p_hi / p_lo < 10.0:
            # the tightest spacing is at the top, where a price step is fewest pixels
            px_per_price = size / (hi - lo) / (p_hi * math.log(10.0))
            step = nice_step(1.0, px_per_price)
            prices = np.arange(math.ceil(p_lo / step), math.floor(p_hi / step) + 1) * step
        else:
            decades = np.arange(math.floor(lo), math.ceil(hi) + 1)
            prices = (np.array([1.0, 2.0, 5.0])[None, :] * 10.0 ** decades[:, None]).ravel()
            prices = prices[(prices >= p_lo) & (prices <= p_hi)]
            step = float(prices.min()) if len(prices) else 1.0
        self._step_unit = step
        return [(step, np.log10(prices).tolist())] if len(prices) else []

    def tickValues(self, minVal, maxVal, size):
        key = (minVal, maxVal, round(size), self.percent_base, self.log)
        if self._cached is None or self._cached[0] != key:
            levels = []
            if self.log and maxVal > minVal and size > 0 and math.isfinite(maxVal - minVal):
                levels = self._log_levels(minVal, maxVal, size)
            elif maxVal > minVal and size > 0 and math.isfinite(maxVal - minVal):
                base = self.percent_base
                # Nice steps of the labels' own unit: price, or percent of the base.
                to_unit = 1.0 if base is None else 100.0 / abs(base)
                lo, hi = (minVal, maxVal) if base is None else (
                    (minVal - base) * to_unit, (maxVal - base) * to_unit)  # fmt: skip
                step = nice_step(hi - lo, size)
                units = np.arange(math.ceil(lo / step), math.floor(hi / step) + 1) * step
                values = units if base is None else base + units / to_unit
                self._step_unit = step
                levels = [(step / to_unit, values.tolist())]
            self._cached = (key, levels)
        return self._cached[1]

    def value_text(self, value: float) -> str:
        """A value of the view as a tag on the axis writes it (the crosshair's): a price to
        `tag_decimals` as the last price's tag writes it, a percent of the base, a volume as
        compact as the labels."""
        finer = step_decimals(self._step_unit) + 1
        if self.log:
            decimals = finer - 1 if self.tag_decimals is None else self.tag_decimals
            return format_value(10.0**value, decimals)
        if self.percent_base is not None:
            return f"{(value - self.percent_base) * 100.0 / abs(self.percent_base):.2f}%"
        decimals = finer if self.tag_decimals is None else self.tag_decimals
        return compact(value, decimals) if self._compact else format_value(value, decimals)

    def tickStrings(self, values, scale, spacing):
        if self.log:
            decimals = step_decimals(self._step_unit)
            return [f"{10.0**v:.{decimals}f}" for v in values]
        if self.percent_base is not None:
            decimals = step_decimals(self._step_unit)
            base = self.percent_base
            percents = [(v - base) * 100.0 / abs(base) for v in values]
            return [f"{p + 0.0 if abs(p) > 1e-9 else 0.0:.{decimals}f}%" for p in percents]
        decimals = step_decimals(spacing)
        if self._compact:
            return [compact(v, decimals) for v in values]
        return [f"{v:.{decimals}f}" for v in values]
