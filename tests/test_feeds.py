import itertools
import threading
import time

import numpy as np
import pytest

from data.demo import DEMO_INSTRUMENTS, generate
from data.feeds.simulated import MarketProfile, SimulatedMarket
from data.feeds.thread import FeedThread
from engine.aggregate import ticks_to_bars
from engine.ring import TickRing
from engine.sessions import calendar
from engine.units import NS_PER_S

MONDAY = int(np.datetime64("2024-03-04T15:00", "ns").astype(np.int64))  # 09:00 in Chicago


def market(rate=200.0, seed=1, cal="cme-globex"):
    return SimulatedMarket(4500.0, calendar(cal), 0.25, rate=rate, seed=seed)


def test_simulated_ticks_are_ordered_on_the_grid_and_deterministic():
    ts, price, qty = market().generate(MONDAY, MONDAY + 60 * NS_PER_S)
    assert len(ts) > 1000 and np.all(np.diff(ts) >= 0)
    assert ts.min() >= MONDAY and ts.max() < MONDAY + 60 * NS_PER_S
    assert np.allclose(price / 0.25, np.round(price / 0.25)) and price.min() > 0
    assert np.all(qty > 0) and np.allclose(qty / sim_step(), np.round(qty / sim_step()))
    again = market().generate(MONDAY, MONDAY + 60 * NS_PER_S)
    assert np.array_equal(ts, again[0]) and np.array_equal(price, again[1])


def sim_step():
    return market().qty_step


@pytest.mark.parametrize("spec", DEMO_INSTRUMENTS, ids=lambda s: s.symbol)
@pytest.mark.parametrize("rate", [5.0, 100.0])
def test_a_simulation_trades_like_its_own_history(spec, rate):
    """Per 1-minute bar, simulated volume and return spread match the history it continues
    (the first simulated market traded 100-800x the history's volume a bar)."""
    start = int(np.datetime64("2024-03-04T14:30", "ns").astype(np.int64))
    history = generate(spec, start, start + 2 * 86_400 * NS_PER_S)
    recent = history[-1440:]
    profile = MarketProfile.of(recent.close, recent.volume)
    sim = SimulatedMarket(float(recent.close[-1]), calendar("24x7"), spec.tick_size,
                          rate=rate, seed=3, profile=profile)  # fmt: skip
    t0 = int(recent.ts_ns[-1]) + 60 * NS_PER_S
    ts, price, qty = sim.generate(t0, t0 + 60 * 60 * NS_PER_S)
    bars = ticks_to_bars(ts, price, qty, 60 * NS_PER_S)
    ratio = np.median(bars.volume) / np.median(recent.volume)
    assert 0.5 < ratio < 2.0, ratio
    simulated = MarketProfile.of(bars.close, bars.volume)
    assert 0.5 < simulated.minute_sigma / profile.minute_sigma < 2.0


def test_a_profile_of_no_trades_falls_back_to_defaults():
    profile = MarketProfile.of(np.array([100.0, 100.0]), np.zeros(2))
    assert profile == MarketProfile()
    with pytest.raises(ValueError, match="minute_volume -1"):
        MarketProfile(-1.0)


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


def test_no_tick_is_written_once_pause_returns():
    """Pause while the feed's thread was writing a batch: that batch landed after, and a
    paused feed's count moved (a grid's Pause test saw it now and then)."""
    import threading

    writing, release = threading.Event(), threading.Event()

    class Slow:
        def generate(self, t0_ns, t1_ns):
            writing.set()
            release.wait(5)
            return np.array([t1_ns]), np.array([1.0]), np.array([1.0])

        def now_ns(self, wall_ns):
            return wall_ns

        def state(self, paused):
            return "slow"

    feed = FeedThread(Slow(), TickRing(1 << 10), period_s=0.001)
    feed.start()
    try:
        assert writing.wait(5)  # the thread is inside a write
        paused = threading.Thread(target=feed.pause)
        paused.start()
        paused.join(0.2)
        assert paused.is_alive()  # waits for the write under way
        release.set()
        paused.join(5)
        count = feed.counters.ticks
        time.sleep(0.05)
        assert feed.counters.ticks == count >= 1 and feed.paused
    finally:
        release.set()
        feed.stop()


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


def test_every_feed_thread_runs_on_one_thread_and_stops_for_good():
    """Five simulated symbols: one runner thread between them; each ring gets its own
    market's ticks; a stopped feed writes nothing more, and the runner ends with the last."""

    def runners() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "candleterm-feeds"]

    rings = [TickRing(1 << 14) for _ in range(5)]
    feeds = [FeedThread(market(rate=2000.0, cal="24x7"), ring, period_s=0.005)
             for ring in rings]  # fmt: skip
    for feed in feeds:
        feed.start()
    deadline = time.monotonic() + 5
    while any(len(r) == 0 for r in rings) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(len(r) > 0 for r in rings)
    assert len(runners()) == 1
    feeds[0].stop()
    written = feeds[0].counters.ticks
    time.sleep(0.05)
    assert feeds[0].counters.ticks == written  # stopped: nothing more
    assert feeds[1].counters.ticks > 0
    for feed in feeds[1:]:
        feed.stop()
    deadline = time.monotonic() + 2
    while runners() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not runners()


def test_symbols_on_one_market_factor_move_together():
    """Two demo symbols simulated together: their 1-minute returns are correlated about
    CORRELATION through the shared factor (independent without it), and each still trades
    with its own history's spread."""
    from data.feeds.simulated import CORRELATION, MarketFactor

    start = int(np.datetime64("2024-03-04T14:30", "ns").astype(np.int64))
    hours = 1
    specs = [s for s in DEMO_INSTRUMENTS if s.symbol in ("BTCUSD", "ES")]
    returns = {}
    for shared in (True, False):
        factor = MarketFactor(seed=5) if shared else None
        sims, profiles = [], []
        for k, spec in enumerate(specs):
            recent = generate(spec, start - 86_400 * NS_PER_S, start)[-1440:]
            profiles.append(MarketProfile.of(recent.close, recent.volume))
            sims.append(SimulatedMarket(float(recent.close[-1]), calendar("24x7"),
                                        spec.tick_size, rate=5.0, seed=10 + k,
                                        profile=profiles[-1], factor=factor))  # fmt: skip
        parts = ([], [])
        for t in range(start, start + hours * 3600 * NS_PER_S, NS_PER_S):  # as the runner:
            for k in range(10):  # one symbol on screen, written every 100 ms
                parts[0].append(sims[0].generate(t + k * NS_PER_S // 10,
                                                 t + (k + 1) * NS_PER_S // 10))  # fmt: skip
            parts[1].append(sims[1].generate(t, t + NS_PER_S))  # one off screen, every second
        closes = []
        for chunks in parts:
            ts, price, qty = (np.concatenate([p[c] for p in chunks]) for c in range(3))
            closes.append(ticks_to_bars(ts, price, qty, 60 * NS_PER_S).close[: hours * 60 - 1])
        for profile, close in zip(profiles, closes, strict=True):
            own = MarketProfile.of(close, np.ones(len(close)))
            assert 0.5 < own.minute_sigma / profile.minute_sigma < 2.0
        returns[shared] = np.corrcoef(*(np.diff(np.log(c)) for c in closes))[0, 1]
    assert abs(returns[True] - CORRELATION) < 0.2, returns
    assert abs(returns[False]) < 0.2, returns


def test_each_feed_keeps_its_own_symbols_live(store):
    """What a feed keeps live whatever is on screen: the simulated market every symbol (it
    refuses real ones itself), an exchange the series named after it, the socket the series
    it fed before."""
    from data.feeds.kinds import FEED_SPECS
    from data.feeds.port import FeedSettings
    from data.store.provenance import SOCKET
    from tests.conftest import make_bars

    for symbol in ("BINANCE:BTC/USDT", "KRAKEN:BTC/USD", "ES"):
        store.write_bars(symbol, "1m", make_bars(5))
    store.write_bars("MYFEED", "1m", make_bars(5), source=SOCKET)

    def keeps(kind: str) -> list[str]:
        return FEED_SPECS[kind].keeps(store, FeedSettings(kind, exchange="binance"))

    assert keeps("simulated") == store.symbols()
    assert keeps("exchange") == ["BINANCE:BTC/USDT"]
    assert keeps("socket") == ["MYFEED"]
    assert keeps("replay") == keeps("off") == []
