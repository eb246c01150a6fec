"""Named workspaces: the symbol, layout, timeframes, grid of symbols, indicators, price scale
and theme, saved under a name (File > Save workspace) and opened again (File > Open
workspace). What is on screen is always the remembered state, restored on launch; a
workspace is a named copy of it, kept in the same settings."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

KEYS = ("symbol", "timeframe", "layout", "grid_timeframes", "symbol_grid",
        "symbol_grid_indicators", "indicators", "compares", "price_scale", "theme")  # fmt: skip
GROUP = "workspaces"
CURRENT = "workspace"  # the name of the workspace last saved or opened
MAX_NAME = 40
# A name is kept as a settings group: its / and \ (group separators there) escaped, as "%"
_ESCAPES = (("%", "%25"), ("/", "%2F"), ("\\", "%5C"))


def check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise ValueError(f"workspace name {name!r}: use 1 to {MAX_NAME} characters")
    return name


def _group(name: str) -> str:
    for char, escaped in _ESCAPES:
        name = name.replace(char, escaped)
    return f"{GROUP}/{name}"


def _name(group: str) -> str:
    for char, escaped in reversed(_ESCAPES):
        group = group.replace(escaped, char)
    return group


def names(settings: QtCore.QSettings) -> list[str]:
    settings.beginGroup(GROUP)
    try:
        return sorted((_name(g) for g in settings.childGroups()), key=str.lower)
    finally:
        settings.endGroup()


def save(settings: QtCore.QSettings, name: str) -> str:
    """The remembered state saved as workspace `name` (replacing one of that name)."""
    name = check_name(name)
    settings.remove(_group(name))
    for key in KEYS:
        value = settings.value(key)
        if value is not None:
            settings.setValue(f"{_group(name)}/{key}", value)
    settings.setValue(CURRENT, name)
    return name


def load(settings: QtCore.QSettings, name: str) -> None:
    """Workspace `name` becomes the remembered state (read back by `Remembered`)."""
    if name not in names(settings):
        saved = ", ".join(names(settings)) or "none yet (File > Save workspace)"
        raise ValueError(f"no workspace {name!r}; saved: {saved}")
    for key in KEYS:
        value = settings.value(f"{_group(name)}/{key}")
        if value is None:
            settings.remove(key)
        else:
            settings.setValue(key, value)
    settings.setValue(CURRENT, name)


def save_asked(window, settings: QtCore.QSettings, name: str | None = None) -> str | None:
    """Save as `name`, or a name asked for in a dialog; the status bar says what was done or
    why not. The name saved, or None."""
    if name is None:
        current = str(settings.value(CURRENT, ""))
        name, ok = QtWidgets.QInputDialog.getText(window, "Save workspace", "Name:", text=current)
        if not ok:
            return None
    try:
        name = save(settings, name)
    except ValueError as exc:
        window.show_status(str(exc), 8000)
        return None
    window.show_status(f"workspace {name!r} saved", 5000)
    return name
