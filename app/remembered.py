"""The choices the main window remembers between runs (QSettings), read back with anything
unreadable or no longer valid replaced by the default, and the reason logged."""

from __future__ import annotations

import json
import logging

from PySide6 import QtCore

from app.main_window import LAYOUTS, TIMEFRAME_BUTTONS
from data.feeds.kinds import FeedKind
from engine.indicators.registry import REGISTRY
from widgets.chart import PriceScale
from widgets.theme import THEMES

log = logging.getLogger(__name__)

GRID_TIMEFRAMES = ("1m", "5m", "1h", "1d")


def choice(value, allowed, default: str) -> str:
    return value if value in allowed else default


class Remembered:
    """The remembered choices, read from `settings` (written back by whoever changes one)."""

    def __init__(self, settings: QtCore.QSettings) -> None:
        s = settings
        self.timeframe = choice(s.value("timeframe"), TIMEFRAME_BUTTONS, "1m")
        self.layout = choice(s.value("layout"), tuple(LAYOUTS), "single")
        self.theme = THEMES[choice(s.value("theme"), tuple(THEMES), "dark")]
        self.price_scale = PriceScale(choice(s.value("price_scale"),
                                             [p.value for p in PriceScale], "linear"))  # fmt: skip
        self.feed = FeedKind(choice(s.value("feed"), [k.value for k in FeedKind], "simulated"))
        self.speed = float(s.value("speed", 60.0))
        # Saved instances (Instance.saved()), shown on every chart of the view.
        self.indicators: list[dict] = saved_indicators(s.value("indicators", "[]"))
        self.grid_timeframes = grid_timeframes(s.value("grid_timeframes"))
        # The symbols compared over each symbol's charts, by symbol.
        self.compares: dict[str, list[str]] = saved_compares(s.value("compares", "{}"))


def saved_indicators(text) -> list[dict]:
    """Remembered indicator instances ({"uid", "key", "params", "colour"}; the older form, one
    instance per key as {key: params}, is read too); anything unreadable or no longer valid
    is left out."""
    try:
        saved = json.loads(text) if isinstance(text, str) else []
    except ValueError:
        return []
    if isinstance(saved, dict):
        saved = [{"key": key, "params": params} for key, params in saved.items()]
    if not isinstance(saved, list):
        return []
    active = []
    for entry in saved:
        try:
            key = entry["key"]
            params = REGISTRY[key].resolve(**entry.get("params", {}))
            colour, uid = entry.get("colour"), entry.get("uid")
            active.append({"uid": uid if isinstance(uid, str) else None, "key": key,
                           "params": params,
                           "colour": colour if isinstance(colour, str) else None})  # fmt: skip
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("leaving out remembered indicator %r: %s", entry, exc)
    return active


def saved_compares(text) -> dict[str, list[str]]:
    """Remembered comparisons ({symbol: [compared symbol, ...]}); anything unreadable is
    left out."""
    try:
        saved = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        saved = {}
    if not isinstance(saved, dict):
        log.warning("leaving out remembered comparisons %r", saved)
        return {}
    return {symbol: [o for o in others if isinstance(o, str)]
            for symbol, others in saved.items() if isinstance(others, list)}  # fmt: skip


def grid_timeframes(text) -> list[str]:
    """The grid's timeframes, one per chart (the default for anything unreadable)."""
    try:
        saved = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        saved = None
    ok = (isinstance(saved, list) and len(saved) == len(GRID_TIMEFRAMES)
          and all(tf in TIMEFRAME_BUTTONS for tf in saved))  # fmt: skip
    return list(saved) if ok else list(GRID_TIMEFRAMES)


def remembered_exchange(settings: QtCore.QSettings, exchange: str | None,
                        url: str | None) -> tuple[str, str | None]:  # fmt: skip
    """The exchange feed's exchange and base URL: those given (kept for the next runs; an
    empty URL forgets it), else those kept, else binance at its own address."""
    if exchange:
        settings.setValue("exchange", exchange)
    if url is not None:
        settings.setValue("exchange_url", url)
    kept = settings.value("exchange_url") or None
    return str(settings.value("exchange") or "binance"), kept
