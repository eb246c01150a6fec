"""The drawing tools' toolbar: one button a tool (checked while it is in hand), the magnet,
undo, redo and delete, each with its key in its tool tip."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from widgets.drawing_tools import TOOLS

LABELS = {"trend": "\u2571 Trend", "ray": "\u2197 Ray", "hline": "\u2014 H-line",
          "vline": "| V-line", "rect": "\u25ad Rect", "fib": "\u2261 Fib",
          "text": "T Note"}  # fmt: skip
KEYS = {"trend": "Alt+T", "ray": "Alt+R", "hline": "Alt+H", "vline": "Alt+V", "rect": "Alt+B",
        "fib": "Alt+F", "text": "Alt+N"}  # fmt: skip


class DrawToolbar(QtWidgets.QToolBar):
    """Signals: tool_chosen(object): a kind or None; magnet_toggled(bool); undo_requested();
    redo_requested(); delete_requested(); alert_requested(): on the selected drawing."""

    tool_chosen = QtCore.Signal(object)
    magnet_toggled = QtCore.Signal(bool)
    undo_requested = QtCore.Signal()
    redo_requested = QtCore.Signal()
    delete_requested = QtCore.Signal()
    alert_requested = QtCore.Signal()

    def __init__(self, parent=None) -> None:
        super().__init__("Drawing tools", parent)
        self.setObjectName("draw-toolbar")
        self.tool_actions: dict[str, QtGui.QAction] = {}
        for kind, title in TOOLS.items():
            action = self.addAction(LABELS[kind])
            action.setCheckable(True)
            action.setToolTip(f"{title} ({KEYS[kind]}); Esc puts it down")
            action.triggered.connect(lambda on, k=kind: self.tool_chosen.emit(k if on else None))
            self.tool_actions[kind] = action
        self.addSeparator()
        self.magnet_action = self.addAction("\u2299 Magnet")
        self.magnet_action.setCheckable(True)
        self.magnet_action.setToolTip("Snap anchors to a bar's open, high, low or close (Alt+M)")
        self.magnet_action.toggled.connect(self.magnet_toggled)
        self.addSeparator()
        for text, tip, signal in (
            ("\u21b6 Undo", "Undo a drawing change (Ctrl+Z)", self.undo_requested),
            ("\u21b7 Redo", "Redo (Ctrl+Y)", self.redo_requested),
            ("\u2715 Delete", "Delete the selected drawing (Delete)", self.delete_requested),
            (
                "! Alert",
                "Alert when price crosses the selected line (Alt+A)",
                self.alert_requested,
            ),
        ):
            action = self.addAction(text)
            action.setToolTip(tip)
            action.triggered.connect(signal)

    def show_tool(self, tool: str | None) -> None:
        """The tool in hand is checked, the others not (the chart's keys change it too)."""
        for kind, action in self.tool_actions.items():
            action.setChecked(kind == tool)

    def show_magnet(self, on: bool) -> None:
        with QtCore.QSignalBlocker(self.magnet_action):
            self.magnet_action.setChecked(on)
