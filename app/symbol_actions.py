"""What the File menu does to the store and the screen: import with a dialog, make a
simulated copy, delete a symbol's bars (asked first), save a screenshot. Each says in the
status bar what it did or why not, and gives the symbol to show next (or None)."""

from __future__ import annotations

import time
from pathlib import Path

from app.live import LIVE_TIMEFRAMES
from app.main_window import MainWindow
from app.paths import screenshot_dir
from data.feeds.simcopy import make_simulated_copy
from data.store import BarStore, StoreError
from data.store.derived import derive_timeframes


def save_screenshot(window: MainWindow, symbol: str | None, path: Path | None = None) -> Path:
    if path is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = screenshot_dir() / f"candleterm-{symbol}-{stamp}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = window.grab().save(str(path))
    said = "screenshot saved to" if saved else "could not write the screenshot to"
    window.show_status(f"{said} {path}", 8000)
    return path


def import_with_dialog(store: BarStore, window: MainWindow, settings) -> str | None:
    """The symbol imported (its timeframes derived), or None."""
    from app.import_dialog import ImportDialog  # pyarrow's readers: not at launch

    dialog = ImportDialog(store, window, settings)
    if not (dialog.exec() and dialog.report is not None):
        return None
    symbol = dialog.report.symbol
    derive_timeframes(store, symbol, LIVE_TIMEFRAMES)  # those it has follow in the import
    window.set_symbols(store.symbols(), symbol)
    return symbol


def simulated_copy(store: BarStore, window: MainWindow, symbol: str) -> str | None:
    """The simulated copy of `symbol` (made if needed), or None (said why)."""
    try:
        name = make_simulated_copy(store, symbol)
    except (StoreError, ValueError) as exc:
        window.show_status(f"no simulated copy: {exc}")
        return None
    window.set_symbols(store.symbols(), name)
    return name


def agreed_to_delete(store: BarStore, window: MainWindow, symbol: str, ask: bool) -> int | None:
    """The 1m bars `symbol` holds, if the user agrees to delete them (or is not asked)."""
    n = store.count(symbol, "1m")
    question = (f"Delete the bars of {symbol} ({n:,} 1-minute bars and its other timeframes) "
                f"from {store.path.name}? It cannot be undone.")  # fmt: skip
    return n if not ask or window.confirm(question) else None
