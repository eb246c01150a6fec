"""Where a series' bars came from: a source per stretch of bars.

Every write names its source (demo history, an import of a file, the socket feed, an exchange,
the simulated market). The store keeps, per series, stretches of time written by one source;
a write that follows on from the same source extends its stretch, one from another source starts
a new one. Synthetic sources (demo, simulated) and real ones are never mixed in one symbol.
"""

from __future__ import annotations

import dataclasses
import enum

from engine.units import minute_text


class SourceKind(enum.Enum):
    DEMO = "demo"
    SIMULATED = "simulated"
    IMPORT = "import"
    SOCKET = "socket"
    EXCHANGE = "exchange"
    API = "api"  # written by a program through BarStore.write_bars without naming a source
    UNKNOWN = "unknown"  # written before candleterm recorded sources
    DERIVED = "derived"  # higher timeframes resampled from the symbol's own 1m bars

    @property
    def synthetic(self) -> bool:
        return self in (SourceKind.DEMO, SourceKind.SIMULATED)


@dataclasses.dataclass(frozen=True)
class Source:
    kind: SourceKind
    detail: str = ""  # the file, exchange or copied symbol

    def __str__(self) -> str:
        if not self.detail:
            return self.kind.value
        joiner = " of " if self.kind is SourceKind.IMPORT else " "
        return f"{self.kind.value}{joiner}{self.detail}"

    @property
    def copied_from(self) -> str | None:
        """The symbol a simulated copy was made of (None for any other source)."""
        if self.kind is SourceKind.SIMULATED and self.detail.startswith(_COPY_PREFIX):
            return self.detail[len(_COPY_PREFIX) :]
        return None


_COPY_PREFIX = "copy of "
API = Source(SourceKind.API)
DERIVED = Source(SourceKind.DERIVED)
DEMO = Source(SourceKind.DEMO)
SIMULATED = Source(SourceKind.SIMULATED)
SOCKET = Source(SourceKind.SOCKET)


def simulated_copy_of(symbol: str) -> Source:
    return Source(SourceKind.SIMULATED, _COPY_PREFIX + symbol)


@dataclasses.dataclass(frozen=True)
class Stretch:
    """Bars of one series from one source, first_ns to last_ns (bar open times)."""

    source: Source
    first_ns: int
    last_ns: int

    def describe(self) -> str:
        return f"{self.source} {minute_text(self.first_ns)} to {minute_text(self.last_ns)}"


def holds_synthetic(stretches: list[Stretch]) -> bool | None:
    """Whether bars of these stretches are synthetic (they never mix); None when none."""
    return stretches[0].source.kind.synthetic if stretches else None


def merged(stretches: list[Stretch], new: Stretch) -> list[Stretch]:
    """`stretches` with `new` added, in time order, where neighbours of one source join."""
    ordered = sorted([*stretches, new], key=lambda s: (s.first_ns, s.last_ns))
    out: list[Stretch] = []
    for stretch in ordered:
        if out and out[-1].source == stretch.source:
            prev = out[-1]
            out[-1] = Stretch(prev.source, prev.first_ns, max(prev.last_ns, stretch.last_ns))
        else:
            out.append(stretch)
    return out


def replaced(stretches: list[Stretch], span: tuple[int, int], new: Stretch) -> list[Stretch]:
    """`stretches` after a write of `new` that replaced every bar in `span` (new's own span,
    usually): the parts of each outside the span, with `new` added; no other source is said
    to hold bars there any more."""
    a, b = span
    kept = []
    for s in stretches:
        if s.last_ns < a or s.first_ns > b:
            kept.append(s)
            continue
        if s.first_ns < a:
            kept.append(Stretch(s.source, s.first_ns, a - 1))
        if s.last_ns > b:
            kept.append(Stretch(s.source, b + 1, s.last_ns))
    return merged(kept, new)


def refused_mix(symbol: str, held: list[Stretch], source: Source) -> str | None:
    """Why `source` bars may not be written into a symbol holding the stretches `held` (of
    every timeframe), in words; None when they may: synthetic and real bars never mix."""
    other = next((s for s in held if s.source.kind.synthetic != source.kind.synthetic), None)
    if other is None or source.kind is SourceKind.DERIVED:
        return None
    if source.kind.synthetic:
        return (f"{symbol} holds real bars ({other.describe()}); {source} bars are never "
                "written into it. Run the simulated feed on a demo symbol, or on a simulated "
                f"copy of {symbol} (candleterm simcopy {symbol})")  # fmt: skip
    return (f"{symbol} holds synthetic bars ({other.describe()}); real bars ({source}) are "
            f"not mixed with them. Write them under another symbol, or delete {symbol} first "
            f"(candleterm delete {symbol})")  # fmt: skip
