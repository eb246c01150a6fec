"""A console progress bar, with the time left, that shows itself only for work that takes over
a second."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ConsoleProgress:
    def __init__(self, stream: TextIO | None = None, delay_s: float = 1.0, width: int = 30):
        self._stream = stream or sys.stderr
        self._started = time.monotonic()
        self._delay_s = delay_s
        self._width = width
        self._shown = False

    def __call__(self, stage: str, fraction: float) -> None:
        if not self._shown and time.monotonic() - self._started < self._delay_s:
            return
        self._shown = True
        fraction = min(max(fraction, 0.0), 1.0)
        filled = round(self._width * fraction)
        bar = "#" * filled + "." * (self._width - filled)
        self._stream.write(f"\r{stage:<24.24} [{bar}] {fraction:4.0%}{self._left(fraction)}")
        self._stream.flush()

    def _left(self, fraction: float) -> str:
        """ETA 1:05, from the pace so far (once there is some)."""
        if not 0.01 <= fraction < 1.0:
            return " " * 10
        seconds = round((time.monotonic() - self._started) * (1.0 - fraction) / fraction)
        return f"  ETA {seconds // 60}:{seconds % 60:02d}"

    def finish(self) -> None:
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()
