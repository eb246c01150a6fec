"""Where candleterm keeps its files."""

from __future__ import annotations

from pathlib import Path

import platformdirs


def default_store_path() -> Path:
    return platformdirs.user_data_path("candleterm", appauthor=False) / "candleterm.duckdb"


def screenshot_dir() -> Path:
    return platformdirs.user_pictures_path() / "candleterm"
