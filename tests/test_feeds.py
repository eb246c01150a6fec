import itertools

import numpy as np
import pytest

from data.feeds import FeedThread, SimulatedMarket
from engine.ring import TickRing
from engine.sessions import calendar

NS_PER_S = 1_000_000_000
MONDAY = int(np.datetime64("2024-03-04T15:00", "ns").astype(np.int64))  # 09:00 in Chicago


def market(rate=200.0, seed=1, cal="cme-globex"):
    return SimulatedMarket(4500.0, calendar(cal), 0.25, rate=rate, seed=seed)


def test_simulated_ticks_are_ordered_on_the_grid_and_deterministic():
    ts, price, qty = market().generate(MONDAY, MONDAY + 60 * NS_PER_S)
    assert len(ts) > 1000 and np.all(np.diff(ts) >= 0)
    assert ts.min() >= MONDAY and ts.max() < MONDAY + 60 * NS_PER_S
    assert np.allclose(price / 0.25, np.round(price / 0.25)) and price.min() > 0
    assert np.all(qty >= 1)
    again = market().generate(MONDAY, MONDAY + 60 * NS_PER_S)
    assert np.array_equal(ts, again[0]) and np.array_equal(price, again[1])


def test_rate_is_kept_on_average_and_arrivals_come_in_bursts():
    sim = market(rate=500.0, seed=3)
    ts, _, _ = sim.generate(MONDAY, MONDAY + 600 * NS_PER_S)
    assert 0.7 * 500 * 600 < len(ts) < 1.3 * 500 * 600
    # Counts over 10 s (the excitation's time scale) spread far more than Poisson counts
    per_10s = np.bincount((ts - MONDAY) // (10 * NS_PER_S))
    assert per_10s.var() > 2 * per_10s.mean()


def test_the_rate_holds_from_the_start_and_after_a_change():
    sim = market(rate=2000.0, seed=5)
    ts, _, _ = sim.generate(MONDAY, MONDAY + 10 * NS_PER_S)
    assert 0.8 * 2000 * 10 < len(ts) < 1.2 * 2000 * 10
    sim.set_rate(20_000)
    later = MONDAY + 10 * NS_PER_S
    ts, _, _ = sim.generate(later, later + 10 * NS_PER_S)
    assert 0.8 * 20_000 * 10 < len(ts) < 1.2 * 20_000 * 10


def test_the_rate_holds_when_asked_in_short_slices():
    sim = market(rate=5000.0, seed=2)  # as the feed thread asks: every few milliseconds
    edges = MONDAY + np.arange(0, 20 * NS_PER_S + 1, 3_000_000)
    count = sum(len(sim.generate(int(a), int(b))[0]) for a, b in itertools.pairwise(edges))
    assert 0.8 * 5000 * 20 < count < 1.2 * 5000 * 20


def test_nothing_trades_outside_sessions():
    saturday = int(np.datetime64("2024-03-09T15:00", "ns").astype(np.int64))
    ts, _, _ = market().generate(saturday, saturday + 30 * NS_PER_S)
    assert len(ts) == 0
    ts, _, _ = market(cal="24x7").generate(saturday, saturday + 30 * NS_PER_S)
    assert len(ts) > 0


def test_feed_thread_fills_the_ring_on_a_clock():
    now = [MONDAY]

    def clock():
        now[0] += NS_PER_S // 10  # a fast clock: 100 ms of market a 10 ms tick
        return now[0]

    ring = TickRing(1 << 12)
    feed = FeedThread(market(rate=1000.0), ring, clock=clock, period_s=0.005)
    feed.start()
    seen = 0
    deadline = MONDAY + 20 * NS_PER_S
    while now[0] < deadline:
        ts, _, _ = ring.read()
        seen += len(ts)
    feed.stop()
    seen += len(ring.read()[0])
    assert seen == feed.counters.ticks > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": 0.5}, "rate 0.5 must be between 1 and 100000"),
        ({"rate": 2e5}, "rate 200000.0 must be between"),
    ],
)
def test_bad_settings_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SimulatedMarket(100.0, calendar("24x7"), 0.01, **kwargs)
    with pytest.raises(ValueError, match="start price -1"):
        SimulatedMarket(-1.0, calendar("24x7"), 0.01)
