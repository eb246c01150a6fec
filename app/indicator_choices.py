"""The indicator instances the user chose: asked for (their parameters, in a dialog),
remembered between runs, shown on every chart of the view and listed in the Indicators
menu."""

from __future__ import annotations

import json

from PySide6 import QtCore

from app.indicator_dialog import IndicatorDialog
from app.indicators import IndicatorController
from app.main_window import MainWindow
from engine.indicators.registry import IndicatorSpec, spec


def ask_with_dialog(indicator: IndicatorSpec, current: dict | None) -> dict | None:
    dialog = IndicatorDialog(indicator, current)
    return dialog.values() if dialog.exec() else None


class IndicatorChoices:
    """`saved` instances (Instance.saved()) go on each view's indicators (`show_on`);
    `ask(spec, current) -> dict | None` asks for a new one's parameters (a dialog by
    default)."""

    def __init__(self, window: MainWindow, settings: QtCore.QSettings, saved: list[dict],
                 ask=None) -> None:  # fmt: skip
        self._window = window
        self._settings = settings
        self.saved = saved
        self._ask = ask or ask_with_dialog
        self._shown: IndicatorController | None = None

    def show_on(self, indicators: IndicatorController) -> None:
        """The view's indicators: every saved instance on them, the menu following them."""
        self._shown = indicators
        indicators.indicators_changed.connect(self._list)
        for saved in self.saved:
            indicators.add(saved["key"], saved["colour"], saved["uid"], **saved["params"])
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
        self.saved = [i.saved() for i in self._shown.active.values()]
        self._settings.setValue("indicators", json.dumps(self.saved))
        self._list()

    def _list(self) -> None:
        shown = self._shown.active.values() if self._shown is not None else ()
        self._window.set_active_indicators([(i.uid, i.title) for i in shown])
