"""The watchlist's quotes: the open-price layer against the store's own bars, resampled."""

import numpy as np
import pytest

from app.quotes import PATH_SLOT_NS, VALUE_COLUMNS, Quotes
from data.store import Instrument
from engine.aggregate import resample, resample_ticks
from engine.bars import COLUMNS, Bars, concat
from engine.sessions import calendar
from tests.conftest import NS_PER_MIN, make_bars

NS_PER_S = 1_000_000_000
START = int(np.datetime64("2024-03-04T00:00", "ns").astype(np.int64))  # a Monday
CALENDARS = {"BTC": "24x7", "SPY": "us-equity"}


@pytest.fixture
def stored(store):
    bars = {}
    for k, (symbol, cal) in enumerate(CALENDARS.items()):
        every = make_bars(3 * 1440, start_ns=START, seed=k)
        keep = calendar(cal).is_in_session(every.ts_ns)
        bars[symbol] = Bars(*(getattr(every, c)[keep] for c in COLUMNS))
        store.write_bars(symbol, "1m", bars[symbol], instrument=Instrument(symbol, cal))
    return bars


def want_values(bars, cal) -> np.ndarray:
    day, hour, four = (resample(bars, tf, cal) for tf in ("1d", "1h", "4h"))
    last, before = day.close[-1], day.close[-2]  # the previous day's close
    since = [100 * (last / bars.open[-1] - 1) for bars in (hour, four)]
    return np.array([last, last - before, 100 * (last - before) / before, day.volume[-1],
                     *since])  # fmt: skip


def want_path(bars, cal) -> np.ndarray:
    day = resample(bars, "1d", cal)
    today = bars[int(np.searchsorted(bars.ts_ns, day.ts_ns[-1])) :]
    slot = (today.ts_ns - day.ts_ns[-1]) // PATH_SLOT_NS
    return today.close[np.append(slot[1:] != slot[:-1], True)]


def test_a_symbol_not_live_is_quoted_at_its_last_stored_day(store, stored):
    quotes = Quotes(store)
    symbols = ["BTC", "SPY", "NONE"]
    values = quotes.values(symbols)
    assert values.shape == (3, len(VALUE_COLUMNS))
    for row, symbol in enumerate(symbols[:2]):
        assert values[row] == pytest.approx(want_values(stored[symbol], CALENDARS[symbol]))
        assert quotes.path(symbol) == pytest.approx(want_path(stored[symbol], CALENDARS[symbol]))
    assert np.isnan(values[2]).all() and len(quotes.path("NONE")) == 0
    asked = quotes.store_queries
    assert asked == 4  # the days of all symbols in one query, the hours, the 4 hours, and
    # the closes before their days
    quotes.values(symbols)
    assert quotes.store_queries == asked  # answered from memory after


def test_live_ticks_move_the_quotes_with_no_more_queries(store, stored):
    quotes = Quotes(store)
    history = stored["BTC"]
    quotes.values(["BTC"])
    quotes.path("BTC")
    asked = quotes.store_queries
    rng = np.random.default_rng(5)
    ts = int(history.ts_ns[-1]) + NS_PER_MIN + np.arange(6000) * NS_PER_S // 2  # 50 minutes
    price = np.round(history.close[-1] + np.cumsum(rng.normal(0, 0.05, len(ts))), 2)
    qty = rng.integers(1, 5, len(ts)).astype(float)
    for part in np.array_split(np.arange(len(ts)), 97):  # a frame's ticks at a time
        quotes.observe("BTC", ts[part], price[part], qty[part])
    everything = concat([history, resample_ticks(ts, price, qty, "1m", "24x7").bars])
    assert quotes.values(["BTC"])[0] == pytest.approx(want_values(everything, "24x7"))
    assert quotes.path("BTC") == pytest.approx(want_path(everything, "24x7"))
    assert quotes.store_queries == asked + 1  # the ticks opened a day: the close before it
    quotes.observe("BTC", ts[-1:] + NS_PER_S, price[-1:], qty[-1:])
    quotes.values(["BTC"])
    assert quotes.store_queries == asked + 1


def test_a_replay_inside_the_stored_day_is_quoted_as_the_replay_goes(store, stored):
    """The replay feed plays the last stored day from its open while the store holds all
    of it. The watchlist had been quoted at the stored day's end first: it kept the day's
    last price and added the replay's volume to the whole day's (SPY 417.65 over 24.7M,
    then 26M, while the chart showed 419.00 at 09:36)."""
    quotes = Quotes(store)
    history = stored["SPY"]
    quotes.values(["SPY"])
    quotes.path("SPY")  # the stored day, before the replay starts
    day = resample(history, "1d", "us-equity")
    start = int(np.searchsorted(history.ts_ns, day.ts_ns[-1]))  # the day's first bar
    played = history[start : start + 37]  # 09:30 to 10:06, each minute as one tick
    ts = played.ts_ns + 30 * NS_PER_S
    for part in np.array_split(np.arange(len(ts)), 5):
        quotes.observe("SPY", ts[part], played.close[part], played.volume[part])
    ticks = resample_ticks(ts, played.close, played.volume, "1m", "us-equity").bars
    so_far = concat([history[:start], ticks])
    assert quotes.values(["SPY"])[0] == pytest.approx(want_values(so_far, "us-equity"))
    assert quotes.path("SPY") == pytest.approx(want_path(so_far, "us-equity"))


def test_bars_filled_in_later_are_quoted_once_said(store):
    """A gap in the day filled after the quotes were read (an exchange's bars stored behind
    the live trades, an import relayed): read again when the store says so."""
    every = make_bars(3 * 1440, start_ns=START, seed=4)
    hole = slice(3 * 1440 - 300, 3 * 1440 - 100)
    kept = np.ones(len(every), bool)
    kept[hole] = False
    store.write_bars("BTC", "1m", Bars(*(getattr(every, c)[kept] for c in COLUMNS)),
                     instrument=Instrument("BTC", "24x7"))  # fmt: skip
    quotes = Quotes(store)
    quotes.values(["BTC"])
    quotes.path("BTC")
    store.write_bars("BTC", "1m", every[hole])
    quotes.history_changed("BTC", int(every.ts_ns[hole][0]), int(every.ts_ns[hole][-1]) + 1)
    assert quotes.values(["BTC"])[0] == pytest.approx(want_values(every, "24x7"))
    assert quotes.path("BTC") == pytest.approx(want_path(every, "24x7"))


def test_a_new_day_starts_the_path_again(store, stored):
    quotes = Quotes(store)
    history = stored["BTC"]
    assert len(quotes.path("BTC")) > 1
    midnight = START + 3 * 1440 * NS_PER_MIN
    ts = midnight + np.array([5, 6, 7 * 60]) * NS_PER_S
    quotes.observe("BTC", ts, np.array([1.0, 2.0, 3.0]), np.ones(3))
    assert list(quotes.path("BTC")) == [2.0, 3.0]  # two slots of the new day
    values = quotes.values(["BTC"])[0]
    assert values[0] == 3.0 and values[3] == 3.0  # volume 3
    assert values[1] == pytest.approx(3.0 - history.close[-1])  # from the day before's close
    assert history.ts_ns[-1] < midnight


def test_day_paths_of_days_without_bars_are_empty(store, stored):
    """A symbol whose day holds no 1m bar in the range asked (one read alone or with others)
    gets an empty path, and the others theirs."""
    quotes = Quotes(store)
    empty = store.closes([("BTC", START - 10 * NS_PER_MIN, START)])
    assert empty == {}
    assert quotes.read_paths(["BTC", "SPY"], 16) == ["BTC", "SPY"]
    assert quotes.path("BTC") == pytest.approx(want_path(stored["BTC"], "24x7"))


def test_chg_is_from_the_previous_days_close_asked_again_while_a_live_day_settles(store):
    """The watchlist's Chg was measured from the day's open (6E -0.12%, its 1d chart's
    legend -0.15%): it is from the previous day's close. A day that begins while the symbol
    is live asks for that close again a few times: the day before's last minute may not be
    stored yet when the first tick of the day is quoted."""
    from app.quotes import RECHECK_S

    every = make_bars(2 * 1440, start_ns=START, seed=7)
    store.write_bars("BTC", "1m", every[:-1], instrument=Instrument("BTC", "24x7"))
    quotes = Quotes(store)
    clock = [1000.0]
    quotes.clock = lambda: clock[0]
    stored_day = quotes.values(["BTC"])[0]
    assert stored_day[1] == pytest.approx(every.close[-2] - every.close[1439])  # day 2 so far
    midnight = START + 2 * 1440 * NS_PER_MIN
    quotes.observe("BTC", np.array([midnight + 5 * NS_PER_S]), np.array([50.0]), np.ones(1))
    assert quotes.values(["BTC"])[0][1] == pytest.approx(50.0 - every.close[-2])  # for now
    store.write_bars("BTC", "1m", every[-1:])  # the live session's writer catches up
    asked = quotes.store_queries
    assert quotes.values(["BTC"])[0][1] == pytest.approx(50.0 - every.close[-2])
    assert quotes.store_queries == asked  # not asked again at once
    clock[0] += RECHECK_S
    assert quotes.values(["BTC"])[0][1] == pytest.approx(50.0 - every.close[-1])
    assert quotes.values(["BTC"])[0][2] == pytest.approx(100 * (50.0 / every.close[-1] - 1))
    lone = Quotes(store)
    store.write_bars("NEW", "1m", make_bars(30, start_ns=START), instrument=Instrument("NEW"))
    first_day = lone.values(["NEW"])[0]  # no close before its first day: from its open
    new = store.load("NEW", "1m")
    assert first_day[1] == pytest.approx(new.close[-1] - new.open[0])


def test_a_previous_close_the_store_could_not_give_is_asked_again(store, monkeypatch):
    """A team store away when the close was asked: Chg is from the day's open until the close
    is known, asked again soon, not for the rest of the day."""
    from app.quotes import RECHECK_S
    from data.store import StoreError

    cols = make_bars(2 * 1440, start_ns=START, seed=9).columns()
    for name in ("open", "high", "low", "close"):
        cols[name][1440:] += 1.0  # the second day opens a point above the first's close
    bars = Bars.from_arrays(*cols.values())
    store.write_bars("BTC", "1m", bars, instrument=Instrument("BTC", "24x7"))
    quotes = Quotes(store)
    clock = [0.0]
    quotes.clock = lambda: clock[0]
    assert quotes.cache is not None  # made: the open-price layer reads the store as it is
    real = store.bars_so_far

    def away(ranges, timeframe="1m"):
        raise StoreError("the team store does not answer")

    monkeypatch.setattr(store, "bars_so_far", away)
    assert quotes.values(["BTC"])[0][1] == pytest.approx(bars.close[-1] - bars.open[1440])
    monkeypatch.setattr(store, "bars_so_far", real)
    clock[0] += RECHECK_S
    assert quotes.values(["BTC"])[0][1] == pytest.approx(bars.close[-1] - bars.close[1439])
