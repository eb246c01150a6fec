"""Every symbol's alerts: set (a price level, a drawn line, an indicator condition), armed on
the live ticks of every session, kept in the store with the symbol and armed again at the
next start. A once-alert that fired leaves the store; an alert on a drawing follows the
drawing wherever it is moved, and goes with it.

Levels and lines are evaluated by `engine.alerts.PriceAlerts` (a binary search a tick over
the levels), indicator conditions by `engine.indicator_alerts.IndicatorAlert` (a peek a tick
each). Both are compiled code, loaded with the first alert, not before the first paint.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from data.store import BarStore, StoreError
from engine.alert_specs import LINE_KINDS, AlertSpec
from engine.bar_x import nominal_period_ns
from engine.drawings import Drawing, new_id
from engine.price_text import tick_decimals
from engine.sessions import SessionCalendar
from engine.units import NS_PER_MIN

if TYPE_CHECKING:
    from engine.alerts import PriceAlerts
    from engine.indicator_alerts import IndicatorAlert

MAX_WARM_1M_BARS = 600_000  # history read to warm an indicator condition, at most


@dataclasses.dataclass(frozen=True)
class Fired:
    symbol: str
    alert: AlertSpec
    ts_ns: int
    price: float
    value: float | None = None  # an indicator's value when it fired


@dataclasses.dataclass
class _Armed:
    """One symbol's alerts as the engine evaluates them."""

    prices: PriceAlerts
    by_engine_id: dict[int, str] = dataclasses.field(default_factory=dict)  # -> alert id
    indicators: dict[str, IndicatorAlert] = dataclasses.field(default_factory=dict)


class Alerts:
    def __init__(self, store: BarStore, calendar_of: Callable[[str], SessionCalendar],
                 drawing_of: Callable[[str, str], Drawing | None]) -> None:  # fmt: skip
        """`drawing_of(symbol, id)`: a drawing of the symbol as it is now (None if gone)."""
        self._store = store
        self._calendar_of = calendar_of
        self._drawing_of = drawing_of
        self.specs: dict[str, list[AlertSpec]] = {}  # by symbol, in the order set
        self._decimals: dict[str, int] = {}  # by symbol, of its tick size
        self._armed: dict[str, _Armed] = {}
        self._words: dict[str, str] = {}  # a drawing alert in words, as its line was armed

    def load(self) -> list[str]:
        """Arm the alerts kept in the store; the problems, in words (an alert whose drawing
        is gone, an unreadable entry), for the status bar."""
        problems = []
        for symbol in self._store.alert_symbols():
            try:
                specs = self._store.alerts(symbol)
            except (StoreError, ValueError) as exc:
                problems.append(f"the alerts of {symbol} could not be read: {exc}")
                continue
            for spec in specs:
                try:
                    self._arm(symbol, spec)
                except (ValueError, StoreError) as exc:
                    problems.append(f"{self.describe(symbol, spec)}: {exc}")
                    continue
                self.specs.setdefault(symbol, []).append(spec)
        return problems

    def logged(self) -> list[dict]:
        """The alerts that fired, as logged in the store ({"symbol", "ts_ns", "text"}), in
        time order."""
        return self._store.alert_log()

    def log(self, symbol: str, fired: list[dict]) -> None:
        self._store.log_alerts(symbol, fired)

    def armed(self) -> list[tuple[str, AlertSpec]]:
        return [(symbol, spec) for symbol, specs in self.specs.items() for spec in specs]

    def describe(self, symbol: str, spec: AlertSpec) -> str:
        """In words, a drawing alert by its line as it is now, prices as the symbol's are
        written."""
        drawing = self._drawing_of(symbol, spec.drawing) if spec.kind == "drawing" else None
        return spec.describe(symbol, drawing, self.decimals(symbol))

    def decimals(self, symbol: str) -> int | None:
        """The decimals the symbol's charts write its prices with, from its tick size (None
        when the store has no instrument of that name)."""
        if symbol not in self._decimals:
            try:
                tick = self._store.instrument(symbol).tick_size
            except (KeyError, StoreError):
                return None
            self._decimals[symbol] = tick_decimals(tick)
        return self._decimals[symbol]

    # -- setting -----------------------------------------------------------------------------

    def add(self, symbol: str, spec: AlertSpec) -> AlertSpec:
        """Arm `spec` on `symbol` and keep it; refused (ValueError naming why) if it cannot
        be armed."""
        self._arm(symbol, spec)
        self.specs.setdefault(symbol, []).append(spec)
        self._save(symbol)
        return spec

    def add_level(self, symbol: str, price: float, once: bool = True) -> AlertSpec:
        return self.add(symbol, AlertSpec(new_id(), "level", once, price=price))

    def add_on_drawing(self, symbol: str, drawing_id: str, once: bool = True) -> AlertSpec:
        return self.add(symbol, AlertSpec(new_id(), "drawing", once, drawing=drawing_id))

    def remove(self, symbol: str, alert_id: str) -> None:
        self.specs[symbol] = [s for s in self.specs.get(symbol, []) if s.id != alert_id]
        self._disarm(symbol, alert_id)
        self._save(symbol)

    def _save(self, symbol: str) -> None:
        self._store.set_alerts(symbol, self.specs.get(symbol, []))

    def _book(self, symbol: str) -> _Armed:
        armed = self._armed.get(symbol)
        if armed is None:
            from engine.alerts import PriceAlerts  # compiled: with the first alert

            armed = self._armed[symbol] = _Armed(PriceAlerts(self._calendar_of(symbol)))
        return armed

    def _arm(self, symbol: str, spec: AlertSpec) -> None:
        if spec.kind == "indicator":
            from engine.indicator_alerts import IndicatorAlert, warm_bars

            bars_1m = warm_bars(spec) * nominal_period_ns(spec.timeframe) // NS_PER_MIN
            history = self._store.load(symbol, "1m", limit=min(bars_1m, MAX_WARM_1M_BARS))
            alert = IndicatorAlert(spec, self._calendar_of(symbol), history)
            self._book(symbol).indicators[spec.id] = alert
            return
        if spec.kind == "level":
            armed = self._book(symbol)
            armed.by_engine_id[armed.prices.add_level(spec.price, spec.once)] = spec.id
            return
        drawing = self._drawing_of(symbol, spec.drawing)
        if drawing is None:
            raise ValueError(f"drawing {spec.drawing} of {symbol} is gone")
        if drawing.kind not in LINE_KINDS:
            raise ValueError(f"an alert follows a horizontal line, a trend line or a ray, "
                             f"not a {drawing.kind}")  # fmt: skip
        self._words[spec.id] = spec.describe(symbol, drawing, self.decimals(symbol))
        armed = self._book(symbol)
        if drawing.kind == "hline":
            engine_id = armed.prices.add_level(drawing.points[0][1], spec.once)
        else:
            (t0, p0), (t1, p1) = sorted(drawing.points)
            if t0 == t1:
                raise ValueError("a vertical trend line has no price to cross: move an end")
            engine_id = armed.prices.add_line(t0, p0, t1, p1, spec.once,
                                              extend=drawing.kind == "ray")  # fmt: skip
        armed.by_engine_id[engine_id] = spec.id

    def _disarm(self, symbol: str, alert_id: str) -> None:
        armed = self._armed.get(symbol)
        if armed is None:
            return
        armed.indicators.pop(alert_id, None)
        for engine_id, spec_id in list(armed.by_engine_id.items()):
            if spec_id == alert_id:
                del armed.by_engine_id[engine_id]
                if engine_id in armed.prices.armed_ids():
                    armed.prices.remove(engine_id)

    def follow_drawings(self, symbol: str) -> list[str]:
        """The symbol's drawings changed: its drawing alerts are armed where their drawings
        are now; those whose drawing is gone are removed (said in the list returned)."""
        gone = []
        changed = False
        for spec in [s for s in self.specs.get(symbol, []) if s.kind == "drawing"]:
            self._disarm(symbol, spec.id)
            try:
                self._arm(symbol, spec)
            except ValueError as exc:  # named by its line as it was (not the drawing's id)
                words = self._words.pop(spec.id, None) or spec.describe(
                    symbol, None, self.decimals(symbol)
                )
                deleted = self._drawing_of(symbol, spec.drawing) is None
                gone.append(f"alert \u201c{words}\u201d removed: "
                            f"{'its line was deleted' if deleted else exc}")  # fmt: skip
                self.specs[symbol].remove(spec)
                changed = True
        if changed:
            self._save(symbol)
        return gone

    # -- ticks -------------------------------------------------------------------------------

    def on_ticks(self, symbol: str, ts_ns: np.ndarray, price: np.ndarray,
                 qty: np.ndarray | None = None) -> list[Fired]:  # fmt: skip
        """A frame's ticks of a live symbol: what fired, in order. Once-alerts that fired
        are no longer kept."""
        armed = self._armed.get(symbol)
        if armed is None:
            return []
        hits = [
            (armed.by_engine_id.get(one.alert_id), one.ts_ns, one.price, None)
            for one in (armed.prices.on_ticks(ts_ns, price) if len(armed.prices) else ())
        ]
        hits += [(alert_id, t, p, value) for alert_id, alert in list(armed.indicators.items())
                 for t, p, value in alert.on_ticks(ts_ns, price, qty)]  # fmt: skip
        if not hits:  # the usual frame: no spec looked up
            return []
        by_id = {s.id: s for s in self.specs.get(symbol, [])}
        fired = [Fired(symbol, by_id[alert_id], t, p, value) for alert_id, t, p, value in hits
                 if alert_id in by_id]  # fmt: skip
        fired.sort(key=lambda f: f.ts_ns)
        spent = {f.alert.id for f in fired if f.alert.once}
        if spent:
            for alert_id in spent:
                self._disarm(symbol, alert_id)
            self.specs[symbol] = [s for s in self.specs[symbol] if s.id not in spent]
            self._save(symbol)
        return fired
