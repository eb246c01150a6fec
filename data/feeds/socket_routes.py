"""One socket server a port, shared by the live sessions of every symbol it feeds.

A session's socket feed is a `SocketRoute`: its symbol's route on the port's server (its
ticks into the session's ring). The first route on a port binds it (a port taken by another
program is said then) and its `start` starts the server; the server stops, and frees the
port, when its last route stops. So the socket feed takes several symbols at once: a symbol
left on screen for another keeps its route, and its bars keep coming. Port 0 (any free port,
in tests) is never shared.
"""

from __future__ import annotations

import threading

from data.feeds.socket_feed import SocketFeed
from engine.ring import TickRing

_LOCK = threading.Lock()
_SERVERS: dict[int, SocketFeed] = {}  # by the port asked for (never 0)


class SocketRoute:
    """A session's socket feed (a `Feed`): `symbol`'s ticks on the port's shared server."""

    pausable = False  # a live feed is never paused: its ticks keep building bars
    steps = False
    paused = False

    def __init__(self, symbol: str, ring: TickRing, port: int, last_price: float | None,
                 band: float) -> None:  # fmt: skip
        self.symbol = symbol
        with _LOCK:
            server = _SERVERS.get(port) if port else None
            if server is None:
                server = SocketFeed(symbol, ring, port=port, last_price=last_price, band=band)
                if port:
                    _SERVERS[port] = server
            else:
                server.route(symbol, ring, last_price)
        self.server = server
        self.port = server.port

    @property
    def counters(self):
        """The server's counters (every symbol on the port)."""
        return self.server.counters

    @property
    def rejected(self) -> int:
        return self.server.counters.rejected

    @property
    def last_rejection(self) -> str:
        return self.server.last_rejection

    def state(self) -> str:
        return self.server.state()

    @property
    def ok(self) -> bool:
        return self.server.alive

    def now_ns(self) -> int:
        return self.server.now_ns()

    def ensure_running(self) -> bool:
        return self.server.ensure_running()

    def start(self) -> None:
        with _LOCK:
            if not self.server.started:
                self.server.start()

    def stop(self) -> None:
        with _LOCK:
            if self.server.unroute(self.symbol) == 0:
                if _SERVERS.get(self.port) is self.server:
                    del _SERVERS[self.port]
                self.server.stop()

    def pause(self) -> None:
        pass

    def resume(self) -> None:
        pass

    def step(self) -> int:
        return 0

    def set_speed(self, speed: float) -> None:
        pass
