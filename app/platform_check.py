"""Before Qt starts on Linux: the system libraries its window system plugin (xcb) loads.

Without them Qt aborts with a long plugin message that does not say what to install; this
names the missing packages and prints the one command that installs them.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable

# Debian/Ubuntu package -> the shared library Qt's xcb plugin loads from it
XCB_LIBRARIES = {
    "libxcb-cursor0": "libxcb-cursor.so.0",
    "libxcb-icccm4": "libxcb-icccm.so.4",
    "libxcb-image0": "libxcb-image.so.0",
    "libxcb-keysyms1": "libxcb-keysyms.so.1",
    "libxcb-render-util0": "libxcb-render-util.so.0",
    "libxkbcommon-x11-0": "libxkbcommon-x11.so.0",
    "libxcb-xinerama0": "libxcb-xinerama.so.0",
    "libxcb-randr0": "libxcb-randr.so.0",
    "libxcb-shape0": "libxcb-shape.so.0",
    "libxcb-xkb1": "libxcb-xkb.so.1",
    "libegl1": "libEGL.so.1",
    "libgl1": "libGL.so.1",
    "libfontconfig1": "libfontconfig.so.1",
    "libdbus-1-3": "libdbus-1.so.3",
}


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_packages(loads: Callable[[str], bool] = _loads) -> list[str]:
    return [package for package, soname in XCB_LIBRARIES.items() if not loads(soname)]


def window_system_problem(
    environ: dict[str, str] | None = None,
    platform: str = sys.platform,
    loads: Callable[[str], bool] = _loads,
) -> str | None:
    """Why Qt could not open a window here, with what to do; None when it can (or when Qt
    does not use xcb: another platform, or QT_QPA_PLATFORM naming another plugin)."""
    env = os.environ if environ is None else environ
    chosen = env.get("QT_QPA_PLATFORM", "")
    if not platform.startswith("linux") or (chosen and not chosen.startswith("xcb")):
        return None
    if not chosen and env.get("WAYLAND_DISPLAY"):
        return None
    missing = missing_packages(loads)
    if missing:
        return (
            "the window system (Qt's xcb plugin) needs libraries this machine lacks: "
            f"{', '.join(missing)}. Install them with:\n"
            f"  sudo apt-get install -y {' '.join(missing)}"
        )
    if not env.get("DISPLAY"):
        return (
            "no display to open the window on (DISPLAY is not set): run candleterm in a desktop "
            "session, under Xvfb (xvfb-run candleterm), or with QT_QPA_PLATFORM=offscreen"
        )
    return None
