"""What the mouse and keys do to a chart's drawings: make one with the chosen tool (two
clicks, or a drag, for the two-point kinds; one click for the others), select one by
clicking it, drag it whole or by one anchor, delete it, undo and redo; a magnet snaps each
anchor to the nearest open, high, low or close of the bar under the mouse.

Shift+drag measures (`widgets.measure`), until the next click or Esc.

Keys (TradingView's where it has them): Alt+T trend line, Alt+R ray, Alt+H horizontal line,
Alt+V vertical line, Alt+B rectangle, Alt+F Fibonacci retracement, Alt+N text note, Alt+M
magnet, Alt+A an alert on the selected line; Esc stops the tool (or unselects), Delete
removes the selected drawing, Ctrl+Z and Ctrl+Y (Ctrl+Shift+Z) undo and redo.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6 import QtCore, QtWidgets

from engine.drawings import POINTS, Drawing, DrawingBook, new_id
from widgets.drawing_layer import DrawingLayer
from widgets.measure import MeasureItem

TOOLS = {"trend": "Trend line", "ray": "Ray", "hline": "Horizontal line",
         "vline": "Vertical line", "rect": "Rectangle", "fib": "Fibonacci retracement",
         "text": "Text note"}  # fmt: skip
TOOL_KEYS = {QtCore.Qt.Key.Key_T: "trend", QtCore.Qt.Key.Key_R: "ray",
             QtCore.Qt.Key.Key_H: "hline", QtCore.Qt.Key.Key_V: "vline",
             QtCore.Qt.Key.Key_B: "rect", QtCore.Qt.Key.Key_F: "fib",
             QtCore.Qt.Key.Key_N: "text"}  # fmt: skip
LEFT = QtCore.Qt.MouseButton.LeftButton


def ask_note(parent) -> str | None:
    text, ok = QtWidgets.QInputDialog.getMultiLineText(parent, "Text note", "Note:")
    return text if ok and text.strip() else None


class DrawingTools(QtCore.QObject):
    """The drawing tools of one chart, over the drawings of its symbol (`book`).

    Signals:
        edited(): the book changed (a drawing made, moved, removed, undone or redone).
        tool_changed(object): the tool now in hand (a kind, or None).
        magnet_changed(bool)
        alert_requested(): Alt+A, an alert on the selected drawing.
    """

    alert_requested = QtCore.Signal()
    edited = QtCore.Signal()
    tool_changed = QtCore.Signal(object)
    magnet_changed = QtCore.Signal(bool)

    def __init__(self, layer: DrawingLayer, ask_text: Callable[[], str | None],
                 measure: MeasureItem | None = None) -> None:  # fmt: skip
        super().__init__()
        self.layer = layer
        layer.tools = self
        self._ask_text = ask_text
        self.measure = measure  # Shift+drag measures there
        self._measuring: tuple[float, float] | None = None  # where the drag began
        self.book: DrawingBook | None = None
        self.tool: str | None = None
        self.magnet = False
        self.selected: str | None = None
        self._pending: tuple[int, float] | None = None  # a two-point drawing's first point
        self._moving: tuple[Drawing, int | None, float, float] | None = None

    # -- state -------------------------------------------------------------------------------

    def set_book(self, book: DrawingBook | None) -> None:
        """The drawings of the chart's symbol (None: no symbol, nothing to draw on)."""
        self.book = book
        self._pending = self._moving = None
        if book is None or self.selected not in {d.id for d in book.drawings}:
            self.selected = None
        self.refresh()

    def refresh(self) -> None:
        """Show the book as it is (after a change made here or by another chart)."""
        drawings = self.book.drawings if self.book is not None else ()
        if self.selected not in {d.id for d in drawings}:
            self.selected = None
        self.layer.set_drawings(drawings, self.selected)

    def choose(self, tool: str | None) -> None:
        if tool is not None and tool not in TOOLS:
            raise ValueError(f"no drawing tool {tool!r}: one of {', '.join(TOOLS)}")
        self.tool = tool
        self._pending = None
        self.layer.set_preview(None)
        self.tool_changed.emit(tool)

    def set_magnet(self, on: bool) -> None:
        self.magnet = bool(on)
        self.magnet_changed.emit(self.magnet)

    def select(self, drawing_id: str | None) -> None:
        self.selected = drawing_id
        self.layer.set_drawings(self.layer.drawings, drawing_id)

    def _commit(self, change: Callable[[DrawingBook], None]) -> None:
        change(self.book)
        self.refresh()
        self.edited.emit()

    def delete_selected(self) -> bool:
        if self.book is None or self.selected is None:
            return False
        gone = self.selected
        self.selected = None
        self._commit(lambda book: book.remove(gone))
        return True

    def undo(self) -> bool:
        return self._step(lambda book: book.undo())

    def redo(self) -> bool:
        return self._step(lambda book: book.redo())

    def _step(self, move) -> bool:
        """Undo or redo; False when there was nothing to."""
        if self.book is None or not move(self.book):
            return False
        self.refresh()
        self.edited.emit()
        return True

    # -- where the mouse is ------------------------------------------------------------------

    def price_at(self, y: float) -> float:
        """The price at view height `y`, to the decimals the chart writes prices with: a
        line's price is the one its tag and its alert say."""
        layer = self.layer
        return round(float(layer.price_map.price(y)), layer.decimals)

    def point_at(self, pos: QtCore.QPointF) -> tuple[int, float]:
        """(time, price) at view position `pos`; with the magnet, the open, high, low or
        close of the bar there nearest the mouse, at the bar's time."""
        layer = self.layer
        model = layer.model
        n = len(model)
        if self.magnet and n:
            ix = int(np.clip(round(pos.x()), 0, n - 1))
            prices = np.array([model.column(c)[ix] for c in ("open", "high", "low", "close")])
            k = int(np.argmin(np.abs(layer.price_map.array(prices) - pos.y())))
            return int(model.column("ts_ns")[ix]), float(prices[k])
        return layer.time_of(pos.x()), self.price_at(pos.y())

    def _new(self, first: tuple[int, float], second: tuple[int, float] | None) -> Drawing:
        points = (first,) if POINTS[self.tool] == 1 else (first, second or first)
        return Drawing(new_id(), self.tool, points)

    # -- the mouse ---------------------------------------------------------------------------

    def click(self, event) -> bool:
        """A click on the chart: True when it was for the drawings (or took a measure off)."""
        if event.button() == LEFT and self.measure is not None and self.measure.shown:
            self.measure.clear()
            event.accept()
            return True
        if event.button() != LEFT or self.book is None:
            return False
        pos = event.pos()
        if self.tool is None:
            hit = self.layer.hit(pos)
            self.select(None if hit is None else hit[0])
            if hit is not None:
                event.accept()
            return hit is not None
        point = self.point_at(pos)
        if POINTS[self.tool] == 1:
            self._make(point, None)
        elif self._pending is None:
            self._pending = point
            self.layer.set_preview(self._new(point, None))
        else:
            self._make(self._pending, point)
        event.accept()
        return True

    def _make(self, first: tuple[int, float], second: tuple[int, float] | None) -> None:
        drawing = self._new(first, second)
        if self.tool == "text":
            text = self._ask_text()
            if text is None:
                return
            drawing = Drawing(drawing.id, "text", drawing.points, text)
        self._pending = None
        self.layer.set_preview(None)
        self.selected = drawing.id
        self._commit(lambda book: book.add(drawing))
        self.choose(None)  # one drawing a choice of tool, as TradingView does

    def hover(self, event) -> None:
        if self._pending is not None and self.tool is not None:
            preview = self.layer.preview
            point = self.point_at(event.pos())
            if preview is not None:
                self.layer.set_preview(Drawing(preview.id, preview.kind, (self._pending, point)))

    def drag(self, event) -> bool:
        """A drag on the chart: True when it makes or moves a drawing (else it pans)."""
        if event.button() != LEFT or self.book is None:
            return False
        if event.isStart():
            return self._drag_start(event)
        if self._measuring is not None:
            event.accept()
            pos = event.pos()
            self.measure.set_points(self._measuring, (pos.x(), pos.y()))
            if event.isFinish():
                self._measuring = None  # the measure stays until a click or Esc
            return True
        if self._moving is None and self._pending is None:
            return False
        event.accept()
        pos = event.pos()
        if self._moving is None:  # making a two-point drawing by dragging
            preview = self._new(self._pending, self.point_at(pos))
            self.layer.set_preview(preview)
            if event.isFinish():
                self._make(self._pending, self.point_at(pos))
            return True
        original, anchor, x0, y0 = self._moving
        moved = self._moved(original, anchor, pos, pos.x() - x0, pos.y() - y0)
        self.layer.set_preview(moved)
        if event.isFinish():
            self._moving = None
            self.layer.set_preview(None)
            if moved != original:
                self._commit(lambda book: book.replace(moved))
        return True

    def _drag_start(self, event) -> bool:
        start = event.buttonDownPos()
        shift = event.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier
        if shift and self.tool is None and self.measure is not None:
            self._measuring = (start.x(), start.y())
            self.measure.set_points(self._measuring, (event.pos().x(), event.pos().y()))
            event.accept()
            return True
        if self.tool is not None:
            if POINTS[self.tool] == 1:
                return False
            self._pending = self.point_at(start)
            event.accept()
            return True
        hit = self.layer.hit(start)
        if hit is None:
            return False
        drawing_id, anchor = hit
        self.select(drawing_id)
        self._moving = (self.book.get(drawing_id), anchor, start.x(), start.y())
        event.accept()
        return True

    def _moved(self, drawing: Drawing, anchor: int | None, pos, dx: float, dy: float):
        """`drawing` with one anchor at `pos`, or all of it moved by (dx, dy) on the screen
        (each anchor keeps its place relative to the bars, across nights and weekends)."""
        if anchor is not None:
            return drawing.with_point(anchor, *self.point_at(pos))
        layer = self.layer
        points = []
        for t_ns, price in drawing.points:
            x = layer.x_of(t_ns) + dx
            y = layer.price_map.value(price) + dy
            points.append((layer.time_of(x), self.price_at(y)))
        return Drawing(drawing.id, drawing.kind, tuple(points), drawing.text, drawing.colour)

    # -- keys --------------------------------------------------------------------------------

    def key(self, event) -> bool:
        """A key on the chart: True when it was a drawing key."""
        key, mods = event.key(), event.modifiers()
        alt = mods & QtCore.Qt.KeyboardModifier.AltModifier
        ctrl = mods & QtCore.Qt.KeyboardModifier.ControlModifier
        shift = mods & QtCore.Qt.KeyboardModifier.ShiftModifier
        k = QtCore.Qt.Key
        if alt and key in TOOL_KEYS:
            self.choose(TOOL_KEYS[key])
        elif alt and key == k.Key_M:
            self.set_magnet(not self.magnet)
        elif alt and key == k.Key_A:
            self.alert_requested.emit()
        elif key == k.Key_Escape and self.measure is not None and self.measure.shown:
            self._measuring = None
            self.measure.clear()
        elif key == k.Key_Escape and (self.tool is not None or self.selected is not None):
            if self.tool is not None:
                self.choose(None)
            else:
                self.select(None)
        elif key in (k.Key_Delete, k.Key_Backspace):
            return self.delete_selected()
        elif ctrl and key == k.Key_Z:
            return self.redo() if shift else self.undo()
        elif ctrl and key == k.Key_Y:
            return self.redo()
        else:
            return False
        return True
