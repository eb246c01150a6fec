"""The feed port: what every feed kind offers the live session, and what it is given.

A feed writes ticks of one symbol into a tick ring from its own thread. The session starts
and stops it, pauses and steps it where it can, reads its state and counters for the status
bar, and stores its sealed bars under the source the feed's kind names. The kinds themselves
are listed once, in `data.feeds.kinds`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Protocol

from data.feeds.socket_feed import DEFAULT_BAND, DEFAULT_PORT
from data.store import BarStore, Instrument
from data.store.provenance import Source, Stretch, holds_synthetic
from engine.ring import TickRing
from engine.sessions import SessionCalendar


class FeedRefused(ValueError):
    """The chosen feed does not run on this symbol (synthetic and real bars never mix)."""


@dataclasses.dataclass(frozen=True)
class FeedSettings:
    kind: object = "simulated"  # a feed kind's key (or an enum whose value is one)
    rate: float = 50.0  # simulated ticks a second
    speed: float = 60.0  # replay speed
    replay_start_ns: int | None = None  # default: a day before the last stored bar
    port: int = DEFAULT_PORT
    time_scale: float = 1.0  # a simulated market's clock runs this much faster (demos, tests)
    band: float = DEFAULT_BAND  # socket ticks further than this from the last price: outliers
    exchange: str = "binance"  # the exchange feed's exchange (a ccxt id)
    exchange_url: str | None = None  # its API at another base URL (a testnet, a proxy, tests)

    @property
    def key(self) -> str:
        return str(getattr(self.kind, "value", self.kind))


class Feed(Protocol):
    """A running source of ticks for one symbol."""

    pausable: bool  # pause/resume stop its time (a simulation, a replay)
    steps: bool  # step() plays its next bar, set_speed() changes its pace (a replay)
    last_rejection: str  # why its latest rejected tick was left out ("" if none)

    @property
    def paused(self) -> bool: ...

    @property
    def rejected(self) -> int:
        """Ticks left out as bad so far."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def step(self) -> int: ...

    def set_speed(self, speed: float) -> None: ...

    def now_ns(self) -> int:
        """Market time up to which its ticks are in the ring (bars ending by then seal)."""

    def state(self) -> str:
        """Its state in a few words for the status bar ("simulated live", "socket :7878")."""

    @property
    def ok(self) -> bool:
        """Ticks are coming (False: stopped, or reconnecting after a failure)."""

    def ensure_running(self) -> bool:
        """Start its thread again if it ended without being stopped; True if it had."""


@dataclasses.dataclass(frozen=True)
class FeedContext:
    """What a feed kind may use to check, set up and name its feed for one symbol."""

    store: BarStore
    symbol: str
    ring: TickRing
    instrument: Instrument
    calendar: SessionCalendar
    settings: FeedSettings
    stretches: list[Stretch]  # the symbol's 1m bars by source, in time order
    stored: tuple[int, int] | None  # first and last stored 1m bar, None when there are none
    bars_out: Callable[[object], None] = lambda bars: None  # 1m Bars the feed fetched itself

    @property
    def synthetic(self) -> bool | None:
        return holds_synthetic(self.stretches)


@dataclasses.dataclass(frozen=True)
class FeedSpec:
    """One kind of feed: its key and title (command line, menu, settings), what it refuses
    to run on, where its history ends (a replay's start), how it is made, the source its
    sealed bars are stored under (None: it stores nothing), and the stored symbols it keeps
    live once started, whatever is on screen (its own: every demo symbol of the simulated
    market, the series an exchange or the socket fed before)."""

    key: str
    title: str
    help: str
    make: Callable[[FeedContext], Feed | None]
    source: Callable[[FeedContext], Source | None] = lambda ctx: None
    refuse: Callable[[FeedContext], str | None] = lambda ctx: None
    history_end: Callable[[FeedContext], int | None] = lambda ctx: None
    keeps: Callable[[BarStore, FeedSettings], list[str]] = lambda store, settings: []
