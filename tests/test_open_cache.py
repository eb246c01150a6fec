import numpy as np
import pytest

from engine.aggregate import resample, resample_ticks
from engine.bars import Bars, concat
from engine.open_cache import OpenPriceCache, PartialBar
from engine.sessions import calendar
from tests.conftest import NS_PER_MIN, make_bars

NS_PER_S = 1_000_000_000
# Monday 2024-03-04 10:00 UTC; bars up to 10:37, live ticks from 10:37:30.
HISTORY_START = int(np.datetime64("2024-03-04T08:00", "ns").astype(np.int64))
NOW = HISTORY_START + 157 * NS_PER_MIN + 30 * NS_PER_S


@pytest.fixture
def history(store):
    bars = make_bars(157, start_ns=HISTORY_START)
    store.write_bars("BTC", "1m", bars)
    return bars


def counted(store):
    calls = []

    def query(ranges):
        calls.extend(ranges)
        return store.bars_so_far(ranges)

    return query, calls


def as_partial(bars: Bars) -> tuple:
    return (bars.open[-1], bars.high[-1], bars.low[-1], bars.close[-1], bars.volume[-1])


def values(bar: PartialBar) -> tuple:
    return (bar.open, bar.high, bar.low, bar.close, bar.volume)


@pytest.mark.parametrize("timeframe", ["5m", "1h", "4h", "1d"])
def test_cold_start_asks_once_then_answers_from_memory(store, history, timeframe):
    query, calls = counted(store)
    cache = OpenPriceCache(query, lambda s: calendar("24x7"))
    bar = cache.forming("BTC", timeframe, NOW)
    assert values(bar) == pytest.approx(as_partial(resample(history, timeframe, "24x7")))
    for _ in range(5):
        cache.forming("BTC", timeframe, NOW)
    assert len(calls) == 1
    assert (cache.counters.hits, cache.counters.misses, cache.counters.store_queries) == (5, 1, 1)


def test_live_ticks_extend_history_and_new_buckets_need_no_query(store, history):
    query, calls = counted(store)
    cache = OpenPriceCache(query, lambda s: calendar("24x7"))
    rng = np.random.default_rng(3)
    tick_ts = NOW + np.arange(3 * 3600) * NS_PER_S // 3  # 3 ticks a second for an hour
    price = 100 + np.cumsum(rng.normal(0, 0.01, len(tick_ts)))
    qty = np.ones(len(tick_ts))
    timeframes = ("5m", "1h", "4h", "1d")
    for tf in timeframes:
        cache.forming("BTC", tf, NOW)  # the chart opens: one query each
    for i in range(len(tick_ts)):
        cache.observe("BTC", int(tick_ts[i]), float(price[i]), 1.0)
        for tf in timeframes:
            bar = cache.forming("BTC", tf, int(tick_ts[i]))
    assert len(calls) == len(timeframes)  # nothing more in steady state
    ticks_as_bars = resample_ticks(tick_ts, price, qty, "1m", "24x7").bars
    everything = concat([history, ticks_as_bars])
    for tf in timeframes:
        bar = cache.forming("BTC", tf, int(tick_ts[-1]))
        assert values(bar) == pytest.approx(as_partial(resample(everything, tf, "24x7")))
        assert bar.last_ns == tick_ts[-1]


def test_backfill_invalidation_asks_again_and_keeps_the_live_part(store, history):
    query, calls = counted(store)
    cache = OpenPriceCache(query, lambda s: calendar("24x7"))
    cache.forming("BTC", "1h", NOW)
    cache.observe("BTC", NOW, 500.0, 2.0)
    before = cache.forming("BTC", "1h", NOW)
    backfill = make_bars(1, start_ns=HISTORY_START + 125 * NS_PER_MIN, seed=9)
    store.write_bars("BTC", "1m", Bars.from_arrays(backfill.ts_ns, [1.0], [1000.0], [0.5],
                                                    [1.0], [7.0]))  # fmt: skip
    cache.invalidate("BTC", int(backfill.ts_ns[0]), int(backfill.ts_ns[0]) + NS_PER_MIN)
    after = cache.forming("BTC", "1h", NOW)
    assert len(calls) == 2
    assert after.high == 1000.0 and after.close == 500.0 and before.high < 1000.0
    cache.invalidate("BTC", HISTORY_START, HISTORY_START + NS_PER_MIN)  # another hour: no query
    cache.forming("BTC", "1h", NOW)
    assert len(calls) == 2


def test_calendar_change_forgets_the_symbol(store, history):
    query, calls = counted(store)
    cals = {"BTC": calendar("24x7")}
    cache = OpenPriceCache(query, lambda s: cals[s])
    day = cache.forming("BTC", "1d", NOW)
    cals["BTC"] = calendar("us-equity")
    cache.calendar_changed("BTC")
    assert len(cache) == 0
    assert cache.forming("BTC", "1d", NOW) is None  # 05:37 in New York: before the open
    cals["BTC"] = calendar("24x7")
    cache.calendar_changed("BTC")
    assert cache.forming("BTC", "1d", NOW) == day
    assert len(calls) == 2


def test_memory_is_bounded_and_off_session_is_none(store, history):
    query, _ = counted(store)
    cache = OpenPriceCache(query, lambda s: calendar("us-equity"), max_entries=3)
    for hour in range(10):
        cache.forming("BTC", "5m", NOW + hour * 3600 * NS_PER_S)
    assert len(cache) <= 3
    saturday = int(np.datetime64("2024-03-09T15:00", "ns").astype(np.int64))
    assert cache.forming("BTC", "1h", saturday) is None
    with pytest.raises(ValueError, match="max_entries 0"):
        OpenPriceCache(query, lambda s: calendar("24x7"), max_entries=0)
    with pytest.raises(ValueError, match="timeframe '15m' is not cached here"):
        cache.forming("BTC", "15m", NOW)


def test_ticks_before_the_first_lookup_are_kept(store, history):
    query, calls = counted(store)
    cache = OpenPriceCache(query, lambda s: calendar("24x7"), ("1h",))
    cache.observe("BTC", NOW, 999.0, 4.0)
    bar = cache.forming("BTC", "1h", NOW)
    assert bar.high == 999.0 and bar.close == 999.0 and len(calls) == 1


@pytest.mark.parametrize("cal", ["24x7", "us-equity"])
@pytest.mark.parametrize("seed", range(6))
def test_a_frame_of_ticks_at_once_equals_them_one_by_one(store, history, cal, seed):
    """`observe_ticks` (numpy folds per bucket) against `observe` of each tick: frames of
    any size, ticks out of order, across bucket ends and outside the session."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    tick_ts = NOW + np.sort(rng.integers(0, 30 * 3600 * NS_PER_S, n))
    late = rng.random(n) < 0.05  # a few arrive up to 10 minutes late
    tick_ts[late] -= rng.integers(0, 600 * NS_PER_S, late.sum())
    price = np.round(100 + np.cumsum(rng.normal(0, 0.5, n)), 2)
    qty = rng.integers(1, 9, n).astype(float)
    one, batch = (OpenPriceCache(counted(store)[0], lambda s: calendar(cal)) for _ in range(2))
    for i in range(n):
        one.observe("BTC", int(tick_ts[i]), float(price[i]), float(qty[i]))
    cuts = np.sort(rng.integers(0, n, int(rng.integers(0, 40))))
    for part in np.split(np.arange(n), cuts):
        batch.observe_ticks("BTC", tick_ts[part], price[part], qty[part])
    for t in (int(tick_ts[-1]), int(tick_ts.max()), int(tick_ts[n // 2])):
        for tf in ("5m", "1h", "4h", "1d"):
            want, got = one.forming("BTC", tf, t), batch.forming("BTC", tf, t)
            assert (got is None) == (want is None)
            if want is not None:
                assert got.parts() == pytest.approx(want.parts()), (tf, t)
