"""Colours of the dark (default) and light themes, in one place."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Theme:
    name: str
    background: str
    foreground: str
    grid_alpha: float
    up: str
    down: str
    volume_alpha: int  # 0-255, applied to the up/down colours for volume bars
    crosshair: str
    alert: str  # armed alert levels, apart from the up and down colours


DARK = Theme(
    name="dark",
    background="#131722",
    foreground="#b2b5be",
    grid_alpha=0.15,
    up="#26a69a",
    down="#ef5350",
    volume_alpha=140,
    crosshair="#9598a1",
    alert="#f0b429",
)
LIGHT = Theme(
    name="light",
    background="#ffffff",
    foreground="#131722",
    grid_alpha=0.2,
    up="#089981",
    down="#f23645",
    volume_alpha=120,
    crosshair="#6a6d78",
    alert="#b7791f",  # darker on white
)
THEMES = {t.name: t for t in (DARK, LIGHT)}
