"""PNG charts of a suite report, painted with Qt (offscreen): a latency-budget waterfall per
user action (each stage a bar starting where the one before ended), and before/after bars
(the slow way against the fast way, log scale) per scenario."""

from __future__ import annotations

import math
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtGui, QtWidgets

WIDTH = 1200
ROW_PX = 26
LABEL_PX = 330
MARGIN_PX = 16
BACKGROUND, FOREGROUND, GRID = "#ffffff", "#222222", "#dddddd"
STAGE_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")
FAST, SLOW = "#26a69a", "#ef5350"
MS_PER = {"ms": 1.0, "us": 1e-3}


def _gui() -> None:
    if QtGui.QGuiApplication.instance() is None:  # a widgets application: tests share it
        _gui.app = QtWidgets.QApplication([])  # kept alive for the painters' fonts


def _canvas(rows: int, title: str) -> tuple[QtGui.QImage, QtGui.QPainter, float]:
    height = int(MARGIN_PX * 3 + ROW_PX * (rows + 1))
    image = QtGui.QImage(WIDTH, height, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QtGui.QColor(BACKGROUND))
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setPen(QtGui.QColor(FOREGROUND))
    font = painter.font()
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(MARGIN_PX, MARGIN_PX + 12, title)
    font.setBold(False)
    painter.setFont(font)
    return image, painter, MARGIN_PX * 2 + ROW_PX


def _label(painter: QtGui.QPainter, y: float, text: str) -> None:
    painter.setPen(QtGui.QColor(FOREGROUND))
    rect = QtCore.QRectF(MARGIN_PX, y, LABEL_PX - 2 * MARGIN_PX, ROW_PX)
    flags = QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
    painter.drawText(rect, flags, text)


def _bar(painter, x0: float, x1: float, y: float, colour: str, text: str) -> None:
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(QtGui.QColor(colour))
    painter.drawRect(QtCore.QRectF(x0, y + 4, max(x1 - x0, 1.0), ROW_PX - 8))
    painter.setPen(QtGui.QColor(FOREGROUND))
    painter.drawText(QtCore.QPointF(x1 + 4, y + ROW_PX / 2 + 5), text)


def waterfall(actions: dict[str, dict[str, float]], path: Path) -> Path:
    """One block per action: its stages as a waterfall, scaled to the action's total."""
    _gui()
    rows = sum(len(stages) + 2 for stages in actions.values())
    image, painter, y = _canvas(rows, "Latency budget, stage by stage (p50 ms)")
    span = WIDTH - LABEL_PX - 120
    for action, stages in actions.items():
        total = sum(stages.values()) or 1.0
        _label(painter, y, action)
        _bar(painter, LABEL_PX, LABEL_PX + span, y, GRID, f"total {total:.3g} ms")
        y += ROW_PX
        start = 0.0
        for k, (stage, ms) in enumerate(stages.items()):
            _label(painter, y, stage)
            x0 = LABEL_PX + span * start / total
            x1 = LABEL_PX + span * (start + ms) / total
            _bar(painter, x0, x1, y, STAGE_COLOURS[k % len(STAGE_COLOURS)], f"{ms:.3g} ms")
            start += ms
            y += ROW_PX
        y += ROW_PX
    painter.end()
    image.save(str(path))
    return path


def before_after(pairs: dict[str, tuple[float, float, str]], path: Path) -> Path:
    """Per scenario: the slow way's and the fast way's p50 on one log scale."""
    _gui()
    image, painter, y = _canvas(
        len(pairs) * 3, "Slow way (red) vs ours (green), p50, one log scale"
    )
    ms = {name: [v * MS_PER[unit] for v in (slow, fast)] for name, (slow, fast, unit) in
          pairs.items()}  # fmt: skip
    values = [v for pair in ms.values() for v in pair if v > 0]
    lo, hi = math.log10(min(values)) - 0.3, math.log10(max(values)) + 0.2
    span = WIDTH - LABEL_PX - 150

    def x(value: float) -> float:
        return LABEL_PX + span * (math.log10(max(value, 10**lo)) - lo) / (hi - lo)

    for name, (slow, fast, unit) in pairs.items():
        _label(painter, y, name)
        _bar(painter, LABEL_PX, x(ms[name][0]), y, SLOW, f"{slow:.3g} {unit}")
        _bar(painter, LABEL_PX, x(ms[name][1]), y + ROW_PX, FAST,
             f"{fast:.3g} {unit}   ({slow / fast:,.1f}x)")  # fmt: skip
        y += ROW_PX * 3
    painter.end()
    image.save(str(path))
    return path


def _unit(name: str) -> str:
    return "us" if "(us" in name else "ms"


def draw_charts(report: dict, out: Path) -> list[Path]:
    ok = {n: s for n, s in report["scenarios"].items() if "error" not in s}
    actions = {f"{name}: {action}": stages for name, s in ok.items()
               for action, stages in s["stages"].items()}  # fmt: skip
    pairs = {name: (s["slow"]["p50_ms"], s["fast"]["p50_ms"], _unit(s["fast"]["name"]))
             for name, s in ok.items() if s["slow"] and s["fast"]["p50_ms"] > 0}  # fmt: skip
    charts = []
    if actions:
        charts.append(waterfall(actions, out / "waterfall.png"))
    if pairs:
        charts.append(before_after(pairs, out / "before-after.png"))
    return charts
