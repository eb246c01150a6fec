"""What a trader asked to be told, in the form it is stored with its symbol: a price level, a
drawn line (a horizontal line, a trend line or a ray, followed wherever it is moved), or an
indicator condition ("RSI(14) of 1m above 70"); once or every time. Bad input is refused
naming the value and what is expected."""

from __future__ import annotations

import dataclasses
import math

from engine.indicators.registry import spec
from engine.price_text import exact_text, format_value
from engine.timeframes import check_timeframe

KINDS = ("level", "drawing", "indicator")
OPS = {"above": "crosses above", "below": "crosses below", "crosses": "crosses"}
LINE_KINDS = ("hline", "trend", "ray")  # the drawings an alert can follow
LINE_NAMES = {"hline": "horizontal line", "trend": "trend line", "ray": "ray"}


@dataclasses.dataclass(frozen=True)
class AlertSpec:
    id: str
    kind: str
    once: bool = True
    price: float = math.nan  # a level
    drawing: str = ""  # a drawing's id
    indicator: str = ""  # an indicator's key ...
    params: tuple[tuple[str, float], ...] = ()  # ... its parameters ...
    output: str = ""  # ... the output compared ...
    timeframe: str = "1m"  # ... on the bars of this timeframe ...
    op: str = "above"  # ... crossing the threshold upward, downward or either way
    threshold: float = math.nan

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"alert {self.id!r}: kind {self.kind!r} is not one of "
                             f"{', '.join(KINDS)}")  # fmt: skip
        if self.kind == "level" and not (math.isfinite(self.price) and self.price > 0):
            raise ValueError(f"alert price {self.price!r} must be a positive number")
        if self.kind == "drawing" and not self.drawing:
            raise ValueError(f"alert {self.id!r}: name the drawing it follows")
        if self.kind == "indicator":
            indicator = spec(self.indicator)  # an unknown one is refused, naming the known
            indicator.resolve(**dict(self.params))
            if self.output not in indicator.outputs:
                raise ValueError(f"{self.indicator} has no output {self.output!r}: one of "
                                 f"{', '.join(indicator.outputs)}")  # fmt: skip
            check_timeframe(self.timeframe)
            if self.op not in OPS:
                raise ValueError(f"condition {self.op!r} is not one of {', '.join(OPS)}")
            if not math.isfinite(self.threshold):
                raise ValueError(f"threshold {self.threshold!r} is not a number")

    def describe(self, symbol: str, drawing=None, decimals: int | None = None) -> str:
        """In words, for the alerts panel (`drawing`: the one a drawing alert follows;
        prices with the symbol's `decimals`, else every digit they hold)."""
        every = "" if self.once else " (every time)"

        def price(value: float) -> str:
            return exact_text(value) if decimals is None else format_value(value, decimals)

        if self.kind == "level":
            return f"{symbol} crosses {price(self.price)}{every}"
        if self.kind == "drawing":
            if drawing is None:
                return f"{symbol} crosses drawing {self.drawing}{every}"
            prices = " \u2192 ".join(price(p) for _, p in sorted(drawing.points))
            return f"{symbol} crosses {LINE_NAMES[drawing.kind]} {prices}{every}"
        label = spec(self.indicator).label(dict(self.params))
        out = "" if self.output == self.indicator else f" {self.output}"
        return (f"{symbol} {label}{out} {self.timeframe} {OPS[self.op]} "
                f"{exact_text(self.threshold)}{every}")  # fmt: skip

    def saved(self) -> dict:
        entry = dataclasses.asdict(self)
        entry["params"] = dict(self.params)
        if self.kind != "level":
            del entry["price"]
        if self.kind != "indicator":
            for key in ("indicator", "params", "output", "timeframe", "op", "threshold"):
                del entry[key]
        return entry


def alert_from_saved(entry: object) -> AlertSpec:
    if not isinstance(entry, dict) or "id" not in entry or "kind" not in entry:
        raise ValueError(f"an alert is an object with id and kind, got {entry!r:.80}")
    fields = {f.name for f in dataclasses.fields(AlertSpec)}
    unknown = set(entry) - fields
    if unknown:
        raise ValueError(f"alert {entry['id']!r} has unknown fields {', '.join(sorted(unknown))}")
    given = dict(entry)
    if "params" in given:
        given["params"] = tuple(sorted(dict(given["params"]).items()))
    return AlertSpec(**given)
