"""The socket feed: good lines reach the ring as ticks, bad ones are counted, never crash."""

import json
import socket
import time

import numpy as np
import pytest

from data.feeds.socket_feed import SocketFeed
from data.feeds.tick_lines import epoch_ns, parse_tick
from engine.live import MultiTimeframeBuilder
from engine.pipeline import LivePipeline
from engine.ring import TickRing

NOW_NS = int(np.datetime64("2024-03-04T15:00:30", "ns").astype(np.int64))
MINUTE_NS = int(np.datetime64("2024-03-04T15:00", "ns").astype(np.int64))


@pytest.fixture
def ring():
    return TickRing(1 << 10)


@pytest.fixture
def feed(ring):
    f = SocketFeed("ES", ring, port=0, clock=lambda: NOW_NS)
    f.start()
    yield f
    f.stop()


def send(port: int, payload: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(payload)


def wait_for(predicate, timeout_s=5.0):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def line(**tick) -> bytes:
    return json.dumps(tick).encode() + b"\n"


def test_good_and_bad_lines_are_told_apart_and_the_bars_are_right(feed, ring):
    good = [
        line(symbol="ES", ts=MINUTE_NS + 1_000_000_000, price=5000.25, qty=2),
        line(symbol="ES", ts=(MINUTE_NS + 2_000_000_000) / 1e9, price=5001.0, qty=1),  # seconds
        line(symbol="ES", ts="2024-03-04T15:00:03+00:00", price=4999.5),  # ISO, qty 0
        line(symbol="ES", ts=(MINUTE_NS + 4_000_000_000) // 1_000_000, price=5000.0, qty=4),
    ]
    bad = [
        b"this is not json\n",
        b"[1, 2, 3]\n",
        line(symbol="ES", price=1.0),  # no ts
        line(symbol="ES", ts=MINUTE_NS, price=-5.0),
        b'{"symbol": "ES", "ts": 1709564400000000000, "price": NaN}\n',
        line(symbol="ES", ts=MINUTE_NS, price=1.0, qty=-1),
        line(symbol="ES", ts=NOW_NS + 60 * 10**9, price=1.0),  # a minute ahead
        line(symbol="ES", ts=NOW_NS - 2 * 3600 * 10**9, price=1.0),  # two hours old
        line(symbol="NQ", ts=MINUTE_NS, price=1.0),
        line(symbol="ES", ts="2024-03-04 15:00:00", price=1.0),  # no offset
        b"x" * 70_000 + b"\n",
    ]
    payload = b"".join(good[:2] + bad[:6] + good[2:] + bad[6:])
    with socket.create_connection(("127.0.0.1", feed.port)) as conn:
        conn.sendall(payload[:1000])  # a line split across two reads
        time.sleep(0.05)
        conn.sendall(payload[1000:])
    send(feed.port, b"")
    c = feed.counters
    wait_for(lambda: c.ticks + c.rejected >= 15 and c.clients == 2)
    c = feed.counters
    assert (c.ticks, c.malformed, c.bad_price, c.bad_qty) == (4, 5, 2, 1)
    assert (c.future, c.too_old, c.other_symbol, c.clients) == (1, 1, 1, 2)
    builder = MultiTimeframeBuilder(["1m"], "cme-globex")
    LivePipeline(builder, ring).step()
    assert builder.forming("1m") == (MINUTE_NS, 5000.25, 5001.0, 4999.5, 5000.0, 7.0)


def test_a_client_that_disconnects_mid_line_or_floods_leaves_the_server_working(feed):
    conn = socket.create_connection(("127.0.0.1", feed.port))
    conn.sendall(b'{"symbol": "ES", "ts": ')
    conn.close()
    send(feed.port, line(symbol="ES", ts=MINUTE_NS, price=5000.0, qty=1) * 500)
    wait_for(lambda: feed.counters.ticks == 500)
    assert feed.counters.malformed == 1
    assert "not JSON" in feed.last_rejection


def test_each_routed_symbol_into_its_own_ring(feed, ring):
    other = TickRing(16)
    feed.route("NQ", other)
    send(feed.port, line(symbol="NQ", ts=MINUTE_NS, price=18000.0) + line(symbol="ES",
         ts=MINUTE_NS, price=5000.0) + line(symbol="YM", ts=MINUTE_NS, price=40000.0))  # fmt: skip
    wait_for(lambda: feed.counters.ticks == 2 and feed.counters.other_symbol == 1)
    assert ring.read()[1].tolist() == [5000.0] and other.read()[1].tolist() == [18000.0]
    assert feed.last_rejection == ("symbol 'YM' has no chart here: open it (the symbol box, or "
                                   "--symbol YM) to take its ticks; taken: ES, NQ")  # fmt: skip
    assert feed.unroute("ES") == 1
    send(feed.port, line(symbol="ES", ts=MINUTE_NS, price=5000.0))
    wait_for(lambda: feed.counters.other_symbol == 2)
    assert len(ring) == 0


def test_epochs_in_every_unit_and_messages():
    t = 1_709_564_400_123_456_789
    assert epoch_ns(t) == t and epoch_ns(t // 1000) == t // 1000 * 1000
    assert epoch_ns(t // 1_000_000) == t // 1_000_000 * 1_000_000
    assert epoch_ns(1_709_564_400) == 1_709_564_400 * 10**9
    with pytest.raises(ValueError, match="price 0 is not positive"):
        parse_tick(line(symbol="ES", ts=t, price=0))
    with pytest.raises(ValueError, match="ts True is not a time"):
        parse_tick(line(symbol="ES", ts=True, price=1))


def test_a_port_in_use_is_explained():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"^port {port} is in use by another program; "
                           "choose another with --feed-port"):  # fmt: skip
            SocketFeed("ES", TickRing(16), port=port)


def test_the_example_sender_reaches_the_feed():
    import subprocess
    import sys
    from pathlib import Path

    ring = TickRing(1 << 10)
    live = SocketFeed("MYFEED", ring, port=0, last_price=100.0)  # as in the README
    live.start()
    try:
        script = Path(__file__).resolve().parents[1] / "docs" / "examples" / "send_ticks.py"
        done = subprocess.run(
            [sys.executable, str(script), "--count", "25", "--rate", "500", "--port",
             str(live.port)], capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        assert "sent 25 ticks" in done.stdout
        wait_for(lambda: live.counters.ticks == 25)
        assert live.counters.rejected == 0
    finally:
        live.stop()


def good(k=0) -> bytes:
    return line(symbol="ES", ts=MINUTE_NS + k, price=5000.0 + k % 4, qty=1)


@pytest.mark.parametrize(
    ("payload", "counter", "message"),
    [
        (b"[" * 60_000 + b"]" * 60_000 + b"\n", "malformed", "nested too deep"),
        (
            b'{"symbol": "ES", "ts": 1, "price": 1' + b"0" * 400 + b"}\n",
            "bad_price",
            "price a huge integer is too large",
        ),
        (
            b'{"symbol": "ES", "ts": 1709564430, "price": 5000, "qty": 9' + b"9" * 400 + b"}\n",
            "bad_qty",
            "qty a huge integer is too large",
        ),
        (
            b'{"symbol": "ES", "ts": 1' + b"0" * 400 + b', "price": 5000}\n',
            "malformed",
            "out of range",
        ),
        (
            b'{"symbol": "ES", "ts": -1' + b"0" * 30 + b', "price": 5000}\n',
            "malformed",
            "out of range",
        ),
    ],
    ids=["nested", "huge-price", "huge-qty", "huge-ts", "negative-ts"],
)
def test_hostile_lines_are_counted_and_the_feed_goes_on(feed, payload, counter, message):
    """Each of these killed the feed's thread: the app stayed up and never took a tick."""
    send(feed.port, payload + good(1))
    wait_for(lambda: feed.counters.ticks == 1)
    assert getattr(feed.counters, counter) == 1 and message in feed.last_rejection
    assert feed.counters.restarts == 0


def test_a_tick_far_from_the_last_price_is_an_outlier():
    """The README once sent 65,000 to a series near 11,000: one bar jumped and was stored."""
    ring = TickRing(1 << 10)
    f = SocketFeed("ES", ring, port=0, clock=lambda: NOW_NS, last_price=11_000.0)
    f.start()
    try:
        ticks = [(65_000.0, "outlier"), (11_050.0, "ok"), (8_500.0, "outlier"),
                 (12_500.0, "ok"), (14_900.0, "ok"), (18_000.0, "outlier")]  # fmt: skip
        send(f.port, b"".join(line(symbol="ES", ts=MINUTE_NS + k, price=p)
                              for k, (p, _) in enumerate(ticks)))  # fmt: skip
        wait_for(lambda: f.counters.ticks + f.counters.outlier == len(ticks))
        assert f.counters.outlier == 3 and f.counters.rejected == 3
        assert "18000 is 21% from the last price 14900 (band 20%" in f.last_rejection
        assert ring.read()[1].tolist() == [p for p, what in ticks if what == "ok"]
        f.route("NQ", ring, None)  # another symbol, nothing known: its first tick is taken
        send(f.port, line(symbol="NQ", ts=MINUTE_NS, price=18_000.0))
        wait_for(lambda: f.counters.ticks == 4)
    finally:
        f.stop()
    with pytest.raises(ValueError, match="outlier band 0 must be a positive fraction"):
        SocketFeed("ES", TickRing(16), port=0, band=0)


def test_connections_over_the_limit_are_closed_and_idle_ones_too():
    ring = TickRing(1 << 10)
    f = SocketFeed("ES", ring, port=0, clock=lambda: NOW_NS, max_clients=8, idle_s=0.5)
    f.start()
    conns = []
    try:
        conns = [socket.create_connection(("127.0.0.1", f.port)) for _ in range(12)]
        wait_for(lambda: f.counters.clients == 8 and f.counters.refused == 4)
        assert "8 clients already" in f.last_rejection
        conns[0].sendall(good(1))
        wait_for(lambda: f.counters.ticks == 1)
        wait_for(lambda: f.counters.idle_closed == 8, timeout_s=5.0)  # all went quiet
        conns[0].settimeout(2.0)
        assert conns[0].recv(16) == b""  # closed by the server
        send(f.port, good(2))  # room again
        wait_for(lambda: f.counters.ticks == 2)
    finally:
        for conn in conns:
            conn.close()
        f.stop()


def test_a_failing_server_loop_says_so_and_starts_again(feed, monkeypatch):
    real = feed._receive
    calls = []

    def failing_once(sock):
        calls.append(sock)
        if len(calls) == 1:
            raise RuntimeError("boom")
        real(sock)

    monkeypatch.setattr(feed, "_receive", failing_once)
    send(feed.port, good(1))
    wait_for(lambda: feed.counters.restarts == 1)
    assert feed.last_error == "RuntimeError: boom"
    send(feed.port, good(2))
    wait_for(lambda: feed.counters.ticks >= 1)
    assert not feed.ensure_running()  # the thread never ended


def test_a_server_thread_that_ended_is_started_again(feed):
    feed._stop.set()
    feed._thread.join(timeout=5)
    feed._stop.clear()
    assert feed.ensure_running() and feed.counters.restarts == 1
    send(feed.port, good(1))
    wait_for(lambda: feed.counters.ticks == 1)


def test_sessions_of_several_symbols_share_the_port_until_the_last_leaves():
    """The socket feed takes several symbols: each session's route on one server a port;
    one symbol leaving leaves the others' ticks flowing; the last frees the port."""
    from data.feeds.socket_routes import SocketRoute

    with socket.socket() as probe:  # a free port, asked for by number (0 is never shared)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    rings = {s: TickRing(64) for s in ("ES", "NQ")}
    routes = {s: SocketRoute(s, rings[s], port, None, 0.2) for s in rings}
    assert routes["ES"].server is routes["NQ"].server
    for route in routes.values():
        route.start()
    now = time.time_ns()
    send(port, line(symbol="ES", ts=now, price=5000.0) + line(symbol="NQ", ts=now, price=1.0))
    wait_for(lambda: all(len(r) == 1 for r in rings.values()))
    routes["ES"].stop()
    send(port, line(symbol="ES", ts=now, price=5000.0) + line(symbol="NQ", ts=now, price=1.0))
    wait_for(lambda: len(rings["NQ"]) == 2)
    assert len(rings["ES"]) == 1 and "symbol 'ES' has no chart here" in routes["NQ"].last_rejection
    routes["NQ"].stop()
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))  # freed
