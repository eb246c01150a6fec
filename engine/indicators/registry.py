"""What each indicator is, for the UI: parameters (defaults and ranges), outputs, and whether
it overlays the price or takes its own pane; with its batch and incremental forms."""

from __future__ import annotations

import dataclasses
import enum
import itertools
from collections.abc import Callable

import numpy as np

from engine import indicators as batch  # its batch functions load on first use
from engine.bars import Bars
from engine.gaps import long_gaps
from engine.indicators import incremental as inc


class Placement(enum.Enum):
    OVERLAY = "overlay"  # drawn over the candles, in price units
    PANE = "pane"  # its own pane below the chart


@dataclasses.dataclass(frozen=True)
class Param:
    name: str
    default: float
    minimum: float
    maximum: float
    integer: bool = True

    def check(self, value) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise ValueError(f"{self.name} must be a number, not {value!r}")
        if self.integer and int(value) != value:
            raise ValueError(f"{self.name} {value!r} must be a whole number")
        if not self.minimum <= value <= self.maximum:
            raise ValueError(f"{self.name} {value!r} is outside {self.minimum:g}..{self.maximum:g}")
        return int(value) if self.integer else float(value)


# compute(bars, sessions, **params) -> {output: array}
Compute = Callable[..., dict[str, np.ndarray]]


@dataclasses.dataclass(frozen=True)
class IndicatorSpec:
    key: str
    title: str
    params: tuple[Param, ...]
    outputs: tuple[str, ...]
    placement: Placement
    compute: Compute
    incremental: Callable[..., inc.Incremental]
    short: str = ""  # the name in a legend: "SMA", "BB"
    styles: tuple[tuple[str, str], ...] = ()  # outputs not drawn as lines: "histogram", "band"
    sessions: bool = False  # computed per trading session: needs each bar's session key
    volume_weighted: bool = False  # weighs prices by volume: nothing to show without it

    def style(self, output: str) -> str:
        """How an output is drawn: "line" (default), "histogram" or "band"."""
        return dict(self.styles).get(output, "line")

    def label(self, params: dict) -> str:
        """The instance's name in a legend: short name and parameter values ("BB 20 2")."""
        values = " ".join(f"{params[p.name]:g}" for p in self.params if p.name in params)
        return f"{self.short or self.key.upper()} {values}".strip()

    def resolve(self, **given) -> dict[str, float | int]:
        """Parameters with defaults filled in, each checked; unknown names refused."""
        names = {p.name for p in self.params}
        unknown = set(given) - names
        if unknown:
            raise ValueError(
                f"{self.key} has no parameter {', '.join(sorted(unknown))}; it takes "
                f"{', '.join(p.name for p in self.params) or 'none'}"
            )
        return {p.name: p.check(given.get(p.name, p.default)) for p in self.params}

    def run(
        self, bars: Bars, sessions: np.ndarray | None = None, gap_ns: int | None = None, **given
    ):
        """Outputs over `bars`; with `gap_ns`, each stretch between gaps longer than that is
        computed on its own (no average runs across months without bars)."""
        params = self.resolve(**given)
        starts = [] if gap_ns is None else long_gaps(bars.ts_ns, gap_ns).tolist()
        if not starts:
            return self.compute(bars, sessions, **params)
        out = {name: np.empty(len(bars)) for name in self.outputs}
        for a, b in itertools.pairwise([0, *starts, len(bars)]):
            part = self.compute(bars[a:b], None if sessions is None else sessions[a:b], **params)
            for name in self.outputs:
                out[name][a:b] = part[name]
        return out

    def start(self, **given) -> inc.Incremental:
        return self.incremental(**self.resolve(**given))


def _one(name: str, values: np.ndarray) -> dict[str, np.ndarray]:
    return {name: values}


def _sessions(bars: Bars, sessions) -> np.ndarray:
    return np.zeros(len(bars), np.int64) if sessions is None else sessions


P = Param
SPECS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("sma", "Simple moving average", (P("period", 20, 1, 5000),), ("sma",),
                  Placement.OVERLAY, lambda b, s, period: _one("sma", batch.sma(b.close, period)),
                  inc.Sma, "SMA"),
    IndicatorSpec("ema", "Exponential moving average", (P("period", 20, 1, 5000),), ("ema",),
                  Placement.OVERLAY, lambda b, s, period: _one("ema", batch.ema(b.close, period)),
                  inc.Ema, "EMA"),
    IndicatorSpec("bollinger", "Bollinger bands",
                  (P("period", 20, 2, 5000), P("k_std", 2.0, 0.1, 10.0, integer=False)),
                  ("middle", "upper", "lower"), Placement.OVERLAY,
                  lambda b, s, period, k_std: dict(zip(("middle", "upper", "lower"),
                                                       batch.bollinger(b.close, period, k_std),
                                                       strict=True)),
                  inc.Bollinger, "BB"),
    IndicatorSpec("vwap", "VWAP (session)", (), ("vwap",), Placement.OVERLAY,
                  lambda b, s: _one("vwap", batch.vwap(b.high, b.low, b.close, b.volume,
                                                       _sessions(b, s))),
                  inc.Vwap, "VWAP", sessions=True, volume_weighted=True),
    IndicatorSpec("channel", "Highest high / lowest low", (P("period", 20, 1, 5000),),
                  ("highest", "lowest"), Placement.OVERLAY,
                  lambda b, s, period: dict(zip(("highest", "lowest"),
                                                batch.rolling_high_low(b.high, b.low, period),
                                                strict=True)),
                  inc.HighLow, "HL"),
    IndicatorSpec("rsi", "Relative strength index (Wilder)", (P("period", 14, 1, 5000),),
                  ("rsi",), Placement.PANE,
                  lambda b, s, period: _one("rsi", batch.rsi(b.close, period)), inc.Rsi, "RSI"),
    IndicatorSpec("macd", "MACD",
                  (P("fast", 12, 1, 1000), P("slow", 26, 1, 1000), P("signal", 9, 1, 1000)),
                  ("macd", "signal", "hist"), Placement.PANE,
                  lambda b, s, fast, slow, signal: dict(zip(("macd", "signal", "hist"),
                                                            batch.macd(b.close, fast, slow,
                                                                       signal), strict=True)),
                  inc.Macd, "MACD", (("hist", "histogram"),)),
    IndicatorSpec("atr", "Average true range (Wilder)", (P("period", 14, 1, 5000),), ("atr",),
                  Placement.PANE,
                  lambda b, s, period: _one("atr", batch.atr(b.high, b.low, b.close, period)),
                  inc.Atr, "ATR"),
    IndicatorSpec("trend", "Trend state",
                  (P("period", 20, 2, 5000), P("confirm", 5, 0, 1000), P("expire", 30, 1, 5000)),
                  ("trend",), Placement.PANE,
                  lambda b, s, period, confirm, expire: _one(
                      "trend", batch.trend_state(b.high, b.low, b.close, period, confirm, expire)),
                  inc.TrendState, "Trend", (("trend", "band"),)),
)  # fmt: skip
REGISTRY: dict[str, IndicatorSpec] = {spec.key: spec for spec in SPECS}


def spec(key: str) -> IndicatorSpec:
    try:
        return REGISTRY[key]
    except KeyError:
        raise ValueError(f"unknown indicator {key!r}: use one of {', '.join(REGISTRY)}") from None
