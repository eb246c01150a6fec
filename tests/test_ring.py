import threading

import numpy as np
import pytest

from engine.ring import TickRing


def ticks(start: int, n: int):
    ts = np.arange(start, start + n, dtype=np.int64)
    return ts, ts * 0.5, np.ones(n)


def test_wraps_around_and_keeps_order():
    ring = TickRing(8)
    assert ring.write(*ticks(0, 6)) == 6
    assert ring.read(4)[0].tolist() == [0, 1, 2, 3]
    assert ring.write(*ticks(6, 10)) == 6  # only the free room is taken
    ts, price, _ = ring.read()
    assert ts.tolist() == list(range(4, 12)) and price.tolist() == (ts * 0.5).tolist()
    assert len(ring) == 0 and ring.free == 8


def test_full_ring_never_overwrites():
    ring = TickRing(4)
    assert ring.write(*ticks(0, 4)) == 4
    assert ring.write(*ticks(4, 1)) == 0
    assert ring.read()[0].tolist() == [0, 1, 2, 3]


def test_producer_thread_and_consumer_see_every_tick_once():
    ring = TickRing(64)
    total = 50_000

    def produce():
        for start in range(0, total, 1000):
            assert ring.write_all(*ticks(start, 1000), timeout_s=10) == 1000

    producer = threading.Thread(target=produce)
    producer.start()
    seen = []
    while len(seen) < total:
        ts, _, _ = ring.read(100)
        seen.extend(ts.tolist())
    producer.join()
    assert seen == list(range(total))


def test_capacity_must_be_a_power_of_two():
    with pytest.raises(ValueError, match="capacity 100 must be a power of two"):
        TickRing(100)
