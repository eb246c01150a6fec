"""The indicator instances the user chose: asked for (their parameters, in a dialog),
remembered between runs, shown on every chart of the view and listed in the Indicators
menu."""

from __future__ import annotations

import contextlib
import json

from PySide6 import QtCore

from app.indicator_dialog import IndicatorDialog
from app.indicators import IndicatorController
from app.main_window import MainWindow
from engine.indicators.registry import IndicatorSpec, spec


def ask_with_dialog(indicator: IndicatorSpec, current: dict | None) -> dict | None:
    """Its parameters from a dialog (None if cancelled); one without any (the session's
    VWAP) is added at once: its dialog was only OK and Cancel."""
    if not indicator.params:
        return {}
    dialog = IndicatorDialog(indicator, current)
    return dialog.values() if dialog.exec() else None


class IndicatorChoices:
    """`saved` instances (Instance.saved()) go on each view's indicators (`show_on`);
    `ask(spec, current) -> dict | None` asks for a new one's parameters (a dialog by
    default). The menu adds to and removes from the indicators' scope; what it shows is kept
    as `saved` and remembered (in the settings, or where `follow` says: a grid cell's)."""

    def __init__(self, window: MainWindow, settings: QtCore.QSettings, saved: list[dict],
                 ask=None) -> None:  # fmt: skip
        self._window = window
        self._settings = settings
        self.saved = saved
        self._ask = ask or ask_with_dialog
        self._shown: IndicatorController | None = None
        self._remember = self._remember_in_settings

    def show_on(self, indicators: IndicatorController) -> None:
        """The view's indicators: every saved instance on them, the menu following them."""
        add_saved(indicators, self.saved)
        self.follow(indicators, self._remember_in_settings)

    def follow(self, indicators: IndicatorController, remember) -> None:
        """The menu acts on `indicators`' scope (its instances shown already); a change is
        passed to `remember(saved)`."""
        if self._shown is not indicators:
            if self._shown is not None:
                with contextlib.suppress(RuntimeError):  # the view's, closed since
                    self._shown.indicators_changed.disconnect(self._list)
            indicators.indicators_changed.connect(self._list)
        self._shown, self._remember = indicators, remember
        self._list()

    def choose(self, key: str) -> None:
        """Indicator `key` was picked in the menu: ask for its parameters, then add it."""
        if self._shown is None:
            return
        params = self._ask(spec(key), None)
        if params is not None:
            self.add(key, **params)

    def add(self, key: str, **params) -> str:
        instance = self._shown.add(key, **params)
        self._save()
        return instance.uid

    def remove(self, uid: str) -> None:
        if self._shown is not None and uid in self._shown.active:
            self._shown.remove(uid)
            self._save()

    def _save(self) -> None:
        self._remember([i.saved() for i in self._shown.active.values()])
        self._list()

    def _remember_in_settings(self, saved: list[dict]) -> None:
        self.saved = saved  # the views' but a grid of symbols'
        self._settings.setValue("indicators", json.dumps(saved))

    def _list(self) -> None:
        shown = self._shown.active.values() if self._shown is not None else ()
        self._window.set_active_indicators([(i.uid, i.title) for i in shown])


def add_saved(indicators: IndicatorController, saved: list[dict]) -> None:
    """The `saved` instances on the charts in `indicators`' scope."""
    for entry in saved:
        indicators.add(entry["key"], entry["colour"], entry["uid"], **entry["params"])
