"""The socket feed: outside processes push ticks as newline-delimited JSON over local TCP.

One line per tick:

    {"symbol": "ES", "ts": 1732183200123456789, "price": 5961.25, "qty": 3}

`ts` is the trade time: an epoch number (seconds, milliseconds, microseconds or nanoseconds,
told apart by size) or an ISO-8601 text with a UTC offset ("2024-11-21T10:00:00.5+00:00").
`qty` may be left out (0). Lines of a routed symbol (each live session's) go into its ring;
every other line is counted under the reason it was left out: malformed (not a JSON object,
a field missing or of the wrong type, a line over 64 KiB, nesting too deep, a number too
large), bad price (NaN,
infinite, zero or negative), bad quantity, future (more than `max_ahead_s` past the clock),
too old (more than `max_age_s` before it), outlier (further than `band` from the last price)
or other symbol (one no session takes). `last_rejection` tells the latest reason in words.

Nothing a client sends can stop the server or reach the bars unchecked: every line is handled
in its own guard; at most `max_clients` connections are kept (more are closed at once, and
running out of file descriptors closes the newest); a connection silent for `idle_s` is
closed. Should the server loop fail all the same, it says why (`last_error`, `restarts`) and
starts again.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import math
import selectors
import socket
import threading
import time
from collections.abc import Callable

import numpy as np

from data.feeds.tick_lines import Rejected, parse_tick
from engine.ring import TickRing
from engine.units import NS_PER_S

DEFAULT_PORT = 7878
MAX_LINE_BYTES = 64 * 1024
DEFAULT_BAND = 0.2  # a tick more than 20% from the last price is an outlier
MAX_CLIENTS = 256
IDLE_S = 300.0
RESTART_PAUSE_S = 0.5

log = logging.getLogger(__name__)


@dataclasses.dataclass
class SocketCounters:
    ticks: int = 0  # accepted into the ring
    malformed: int = 0
    bad_price: int = 0
    bad_qty: int = 0
    future: int = 0
    too_old: int = 0
    other_symbol: int = 0
    outlier: int = 0
    dropped: int = 0  # accepted but found no room in the ring within the timeout
    clients: int = 0  # connections so far
    refused: int = 0  # connections closed at once: over the limit, or no file descriptors
    idle_closed: int = 0
    batches: int = 0
    restarts: int = 0  # the server loop failed and started again

    @property
    def rejected(self) -> int:
        return (self.malformed + self.bad_price + self.bad_qty + self.future + self.too_old
                + self.other_symbol + self.outlier)  # fmt: skip


class PortUnavailable(OSError):
    """The feed cannot listen on its port; the message says why and what to do."""


class SocketFeed:
    """The server behind the socket feed (each session's `Feed` is a route on it, see
    `data.feeds.socket_routes`): a TCP server on `host:port` (port 0: any free port, see
    `.port`) feeding one ring a symbol.

    `route(symbol, ring, price)` sends `symbol`'s ticks into `ring` from now on, `price` its
    last known price (None: the first tick's), from which the `band` is measured (every
    accepted tick moves it); `unroute(symbol)` stops that."""

    def __init__(
        self,
        symbol: str,
        ring: TickRing,
        port: int = DEFAULT_PORT,
        host: str = "127.0.0.1",
        max_age_s: float = 3600.0,
        max_ahead_s: float = 5.0,
        clock: Callable[[], int] = time.time_ns,
        last_price: float | None = None,
        band: float = DEFAULT_BAND,
        max_clients: int = MAX_CLIENTS,
        idle_s: float = IDLE_S,
    ) -> None:
        if not (band > 0 and math.isfinite(band)):
            raise ValueError(f"outlier band {band!r} must be a positive fraction (0.2 is 20%)")
        self._routes: dict[str, list] = {symbol: [ring, last_price]}  # symbol: ring, price
        self.band = band
        self.max_clients = max_clients
        self.idle_ns = int(idle_s * NS_PER_S)
        self.max_age_ns = int(max_age_s * NS_PER_S)
        self.max_ahead_ns = int(max_ahead_s * NS_PER_S)
        self.clock = clock
        self.counters = SocketCounters()
        self.last_rejection = ""
        self.last_error = ""  # why the server loop last failed (it started again)
        self._selector = selectors.DefaultSelector()
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._server.bind((host, port))
        except OSError as exc:
            self._server.close()
            raise PortUnavailable(_bind_problem(host, port, exc)) from exc
        self._server.listen()
        self._server.setblocking(False)
        self.host, self.port = self._server.getsockname()[:2]
        self._selector.register(self._server, selectors.EVENT_READ)
        self._buffers: dict[socket.socket, bytearray] = {}
        self._heard_ns: dict[socket.socket, int] = {}  # when each client last sent something
        self._skipping: set[socket.socket] = set()
        self._route_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def state(self) -> str:
        state = f"socket :{self.port}"
        if self.counters.restarts:
            state += f" (restarted {self.counters.restarts}x after {self.last_error})"
        if self.counters.refused:
            state += f", {self.counters.refused} connections refused"
        return state

    def route(self, symbol: str, ring: TickRing, last_price: float | None = None) -> None:
        with self._route_lock:
            self._routes[symbol] = [ring, last_price]

    def unroute(self, symbol: str) -> int:
        """`symbol`'s ticks are left out from now on; the routes left."""
        with self._route_lock:
            self._routes.pop(symbol, None)
            return len(self._routes)

    def ensure_running(self) -> bool:
        """Start the server thread again if it ended without being stopped; True if it had."""
        if self._thread is None or self._thread.is_alive() or self._stop.is_set():
            return False
        self.counters.restarts += 1
        self.last_error = self.last_error or "the server thread ended"
        self.start()
        return True

    def now_ns(self) -> int:
        """Bars that ended a second before the clock are sealed (a tick sent a little late
        still lands in its bar; a later one corrects the sealed bar)."""
        return self.clock() - NS_PER_S

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def alive(self) -> bool:
        """Serving (its thread running)."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="candleterm-socket", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for sock in list(self._buffers):
            self._drop(sock)
        self._selector.close()
        self._server.close()

    def _run(self) -> None:
        """Serve until stopped; a failure of the loop itself is reported and it goes on."""
        while not self._stop.is_set():
            try:
                self._serve()
            except Exception as exc:  # the feed must outlive any one failure
                self.counters.restarts += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("socket feed loop failed; starting it again")
                self._stop.wait(RESTART_PAUSE_S)

    def _serve(self) -> None:
        next_idle_check = 0
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.05):
                sock = key.fileobj
                if sock is self._server:
                    self._accept()
                elif sock in self._buffers:
                    self._receive(sock)
            now = time.monotonic_ns()
            if now >= next_idle_check:
                self._close_idle(now)
                next_idle_check = now + NS_PER_S

    def _close_idle(self, now_ns: int) -> None:
        for sock, heard in list(self._heard_ns.items()):
            if now_ns - heard > self.idle_ns:
                self.counters.idle_closed += 1
                self._drop(sock)

    def _accept(self) -> None:
        try:
            client, _ = self._server.accept()
        except BlockingIOError:
            return
        except OSError as exc:  # out of file descriptors: make room by closing the newest
            if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                raise
            self.counters.refused += 1
            self.last_rejection = f"connection refused: {exc.strerror}"
            if self._buffers:
                self._drop(next(reversed(self._buffers)))
            return
        if len(self._buffers) >= self.max_clients:
            self.counters.refused += 1
            self.last_rejection = f"connection refused: {self.max_clients} clients already"
            client.close()
            return
        client.setblocking(False)
        self._buffers[client] = bytearray()
        self._heard_ns[client] = time.monotonic_ns()
        self._selector.register(client, selectors.EVENT_READ)
        self.counters.clients += 1

    def _drop(self, sock: socket.socket) -> None:
        self._selector.unregister(sock)
        self._buffers.pop(sock, None)
        self._heard_ns.pop(sock, None)
        self._skipping.discard(sock)
        sock.close()

    def _receive(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(1 << 16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        self._heard_ns[sock] = time.monotonic_ns()
        if sock in self._skipping:  # the tail of an overlong line: drop up to its end
            end = data.find(b"\n")
            if end < 0 and data:
                return
            self._skipping.discard(sock)
            data = data[end + 1 :]
        buffer = self._buffers[sock]
        buffer += data
        *lines, rest = buffer.split(b"\n")
        if len(rest) > MAX_LINE_BYTES:
            lines.append(bytes(rest[:80]))  # counted as malformed below
            rest = bytearray()
            self._skipping.add(sock)
        self._buffers[sock] = bytearray(rest)
        if not data:
            if rest.strip():
                lines.append(bytes(rest))
            self._drop(sock)
        self._take(lines)

    def _reject(self, error: Rejected) -> None:
        setattr(self.counters, error.counter, getattr(self.counters, error.counter) + 1)
        self.last_rejection = str(error)

    def _take(self, lines: list[bytes]) -> None:
        now = self.clock()
        with self._route_lock:
            prices = {symbol: route[1] for symbol, route in self._routes.items()}
        taken: dict[str, list[tuple[int, float, float]]] = {}
        for line in lines:
            if not line.strip():
                continue
            try:
                tick_symbol, tick_ns, tick_price, tick_qty = parse_tick(line)
                self._check(tick_symbol, tick_ns, tick_price, now, prices)
            except Rejected as error:
                self._reject(error)
                continue
            except Exception as exc:  # one line never stops the feed
                self._reject(Rejected("malformed", f"unreadable line ({type(exc).__name__})"))
                continue
            taken.setdefault(tick_symbol, []).append((tick_ns, tick_price, tick_qty))
            prices[tick_symbol] = tick_price
        for symbol, ticks in taken.items():
            with self._route_lock:
                route = self._routes.get(symbol)
                if route is None:
                    continue  # unrouted meanwhile
                route[1] = prices[symbol]
                ring = route[0]
            ts, price, qty = (np.array(c) for c in zip(*ticks, strict=True))
            order = np.argsort(ts.astype(np.int64), kind="stable")
            done = ring.write_all(ts.astype(np.int64)[order], price[order], qty[order],
                                  timeout_s=1.0)  # fmt: skip
            self.counters.ticks += done
            self.counters.dropped += len(ts) - done
            self.counters.batches += 1

    def _check(self, tick_symbol, tick_ns, tick_price, now, prices: dict) -> None:
        if tick_ns > now + self.max_ahead_ns:
            raise Rejected(
                "future",
                f"ts {tick_ns} ns is more than {self.max_ahead_ns / NS_PER_S:g} s in the future",
            )
        if tick_ns < now - self.max_age_ns:
            raise Rejected("too_old", f"ts {tick_ns} ns is more than "
                           f"{self.max_age_ns / NS_PER_S:g} s old")  # fmt: skip
        if tick_symbol not in prices:
            raise Rejected("other_symbol", f"symbol {tick_symbol!r} has no chart here: open it "
                           f"(the symbol box, or --symbol {tick_symbol}) to take its ticks; "
                           f"taken: {', '.join(sorted(prices))}")  # fmt: skip
        last_price = prices[tick_symbol]
        if last_price is not None and abs(tick_price / last_price - 1) > self.band:
            raise Rejected(
                "outlier",
                f"price {tick_price:g} is {abs(tick_price / last_price - 1):.0%} from the last "
                f"price {last_price:g} (band {self.band:.0%}: widen it with --outlier-band)",
            )


def _bind_problem(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} is in use by another program; choose another with --feed-port "
                "(or stop the program using it)")  # fmt: skip
    if exc.errno == errno.EACCES:
        return f"port {port} needs special rights; choose one above 1023 with --feed-port"
    return f"cannot listen on {host}:{port} ({exc.strerror}); choose another with --feed-port"
