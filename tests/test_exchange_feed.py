"""The exchange feed: live trades through ccxt.pro's websocket from a local fake of Binance
(stream and REST), gaps filled with the exchange's own bars; the bars built live equal the
batch aggregation of every trade on the exchange's tape."""

import threading
import time

import numpy as np
import pytest

from data.feeds.exchange_feed import ExchangeFeed
from engine.aggregate import resample_ticks
from engine.bars import Bars
from engine.live import MultiTimeframeBuilder
from engine.pipeline import LivePipeline
from engine.ring import TickRing
from engine.units import NS_PER_MIN, NS_PER_S
from tests.fake_exchange import FakeBinance

T0_NS = int(np.datetime64("2022-01-03T00:00", "ns").astype(np.int64))
SCALE = 60.0  # the fake market's clock: a minute a second


def tape(minutes: int, every_s: float = 2.0, seed: int = 1):
    """Trades (id, ms, price, qty) every `every_s` of market time from T0: prices in quarter
    ticks and sizes in eighths, so every sum is exact whatever its order."""
    rng = np.random.default_rng(seed)
    n = int(minutes * 60 / every_s)
    ms = T0_NS // 1_000_000 + (np.arange(n) * every_s * 1000).astype(np.int64)
    price = 40_000 + np.cumsum(rng.integers(-4, 5, n)) * 0.25
    qty = rng.integers(1, 16, n) / 8
    return [(1000 + i, int(ms[i]), float(price[i]), float(qty[i])) for i in range(n)]


def bars_of(trades, first_ns: int, stop_ns: int):
    """The engine's batch aggregation of `trades` over [first, stop) into 1m bars, as
    (ts, o, h, l, c, v) rows."""
    rows = sorted((t for t in trades if first_ns <= t[1] * 1_000_000 < stop_ns),
                  key=lambda t: (t[1], t[0]))  # fmt: skip
    ts = np.array([t[1] for t in rows], dtype=np.int64) * 1_000_000
    bars = resample_ticks(ts, np.array([t[2] for t in rows]), np.array([t[3] for t in rows]),
                          "1m", "24x7").bars  # fmt: skip
    return list(
        zip(
            bars.ts_ns.tolist(),
            bars.open.tolist(),
            bars.high.tolist(),
            bars.low.tolist(),
            bars.close.tolist(),
            bars.volume.tolist(),
            strict=True,
        )
    )


class Market(threading.Thread):
    """The exchange's tape as time goes by: each trade when the market's clock reaches it,
    streamed to whoever is connected; from `drop_ns` the streams are dropped once, and the
    trades made while nobody is connected are missed by the stream (but on the tape)."""

    def __init__(self, fake: FakeBinance, trades, drop_ns: int) -> None:
        super().__init__(daemon=True)
        self.fake, self.trades, self.drop_ns = fake, trades, drop_ns
        self.stop = threading.Event()

    def run(self) -> None:
        dropped, held = False, None
        for k, trade in enumerate(self.trades):
            while self.fake.clock_ns() < trade[1] * 1_000_000 and not self.stop.is_set():
                time.sleep(0.002)
            if self.stop.is_set():
                return
            if not dropped and trade[1] * 1_000_000 >= self.drop_ns:
                self.fake.disconnect()  # mid-stream
                dropped = True
            if k % 50 == 20:
                held = trade  # sent after the next one: out of order
                continue
            self.fake.trade(*trade)
            if held is not None:
                self.fake.trade(*held)
                held = None
            if k % 50 == 10 and self.fake.connected():
                self.fake.trade(*trade)  # the same trade again: dropped


@pytest.mark.timeout(120)
def test_live_trades_and_backfills_build_the_exchange_bars():
    trades = tape(18)  # the drop at 00:13, the stream back well before the tape's end
    start_ns = T0_NS + 8 * NS_PER_MIN + 20 * NS_PER_S  # the market's clock as we start
    fake = FakeBinance(start_ns=start_ns, scale=SCALE)
    for trade in trades:
        if trade[1] * 1_000_000 <= start_ns:
            fake.trade(*trade, stream=False)  # the past: on the tape
    builder = MultiTimeframeBuilder(["1m", "5m"], "24x7")
    ring = TickRing(1 << 14)
    pipeline = LivePipeline(builder, ring)
    stored = bars_of(trades, T0_NS, T0_NS + 5 * NS_PER_MIN)  # the store's bars, to 00:04
    pipeline.seed(Bars.from_arrays(*(np.array(col) for col in zip(*stored, strict=True))))
    feed = ExchangeFeed("binance", "BTC/USDT", ring, pipeline.put_bars, url=fake.url,
                        resume_after_ns=stored[-1][0], clock=fake.clock_ns,
                        backoff_s=(0.2, 0.5))  # fmt: skip
    market = Market(fake, [t for t in trades if t[1] * 1_000_000 > start_ns],
                    drop_ns=T0_NS + 13 * NS_PER_MIN)  # fmt: skip
    stop = threading.Event()

    def frames() -> None:  # the UI's frame timer
        while not stop.is_set():
            pipeline.step(feed.now_ns())
            time.sleep(0.01)

    driver = threading.Thread(target=frames, daemon=True)
    try:
        market.start()
        feed.start()
        driver.start()
        end_ns = trades[-1][1] * 1_000_000
        while fake.clock_ns() < end_ns + 3 * NS_PER_MIN:  # the last minutes close and settle
            time.sleep(0.01)
    finally:
        market.stop.set()
        stop.set()
        feed.stop()
        driver.join(5)
        market.join(5)
        fake.stop()
    pipeline.step(feed.now_ns())
    assert fake.subscriptions == 2 and feed.reconnects >= 1, feed.state()  # came back itself
    assert feed.duplicates >= 1 and feed.backfilled_bars >= 3
    last_closed = trades[-1][1] * 1_000_000 // NS_PER_MIN * NS_PER_MIN
    want = bars_of(trades, T0_NS + 5 * NS_PER_MIN, last_closed)
    built = builder.sealed("1m")
    got = [row for row in zip(built.ts_ns.tolist(), built.open.tolist(), built.high.tolist(),
                              built.low.tolist(), built.close.tolist(), built.volume.tolist(),
                              strict=True)
           if T0_NS + 5 * NS_PER_MIN <= row[0] < last_closed]  # fmt: skip
    assert got == want


@pytest.mark.timeout(120)
def test_the_window_charts_an_exchange_market_live_and_stores_its_bars(qtbot, store, tmp_path):
    """`candleterm --feed exchange --exchange binance --symbol BTC/USDT`: the series
    BINANCE:BTC/USDT, its gap since the last stored bar filled (that bar's minute too: it was
    stored partial), live trades sealed into bars stored with the exchange as their source."""
    from PySide6 import QtCore

    from app.controller import ChartController
    from app.main_window import MainWindow
    from data.feeds.kinds import FeedKind
    from data.store.provenance import SourceKind

    trades = tape(14)
    start_ns = T0_NS + 8 * NS_PER_MIN
    fake = FakeBinance(start_ns=start_ns, scale=SCALE)
    for trade in trades:
        if trade[1] * 1_000_000 <= start_ns:
            fake.trade(*trade, stream=False)
    # The last stored minute as far as a terminal saw it before it quit, 20 s in: the
    # exchange's own bar of that minute replaces it.
    stored = bars_of(trades, T0_NS, T0_NS + 2 * NS_PER_MIN)
    stored += bars_of(trades, T0_NS + 2 * NS_PER_MIN, T0_NS + 2 * NS_PER_MIN + 20 * 10**9)
    assert stored[-1] != bars_of(trades, T0_NS + 2 * NS_PER_MIN, T0_NS + 3 * NS_PER_MIN)[0]
    store.write_bars(
        "BINANCE:BTC/USDT",
        "1m",
        Bars.from_arrays(*(np.array(col) for col in zip(*stored, strict=True))),
    )
    window = MainWindow()
    qtbot.addWidget(window)
    settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    controller = ChartController(store, window, None, settings, exchange="binance",
                                 exchange_url=fake.url)  # fmt: skip
    controller.feed = FeedKind.EXCHANGE
    market = Market(fake, [t for t in trades if t[1] * 1_000_000 > start_ns], drop_ns=2**62)
    try:
        market.start()
        controller.start("BTC/USDT")
        assert controller.symbol == "BINANCE:BTC/USDT" and controller.feed_problem == ""
        session = controller.session
        session.feed._clock = fake.clock_ns  # the market's clock (it runs a minute a second)
        symbol = "BINANCE:BTC/USDT"
        controller.quotes.values([symbol])  # the watchlist's first paint: the gap not filled
        qtbot.waitUntil(lambda: "live" in session.feed.state(), timeout=20_000)
        last_closed = trades[-1][1] * 1_000_000 // NS_PER_MIN * NS_PER_MIN
        qtbot.waitUntil(lambda: fake.clock_ns() > last_closed + 2 * NS_PER_MIN, timeout=30_000)
        # The watchlist's day: every trade on the tape, the gap's minutes among them (they
        # were left out, read before the exchange's bars filling them were stored).
        day_volume = sum(t[3] for t in trades)
        qtbot.waitUntil(lambda: controller.quotes.values([symbol])[0][3] == day_volume,
                        timeout=10_000)  # fmt: skip
        last, change = controller.quotes.values([symbol])[0][:2]
        assert last == trades[-1][2] and change == trades[-1][2] - trades[0][2]
    finally:
        market.stop.set()
        controller.close()  # writes every sealed bar
        market.join(5)
        fake.stop()
    got = store.load("BINANCE:BTC/USDT", "1m")
    want = bars_of(trades, T0_NS, last_closed)
    rows = list(zip(got.ts_ns.tolist(), got.open.tolist(), got.high.tolist(), got.low.tolist(),
                    got.close.tolist(), got.volume.tolist(), strict=True))  # fmt: skip
    assert [r for r in rows if r[0] < last_closed] == want
    kinds = {s.source.kind for s in store.sources("BINANCE:BTC/USDT")}
    assert SourceKind.EXCHANGE in kinds


def test_the_exchange_feed_runs_on_exchange_series_only(store):
    from data.feeds.kinds import FEED_SPECS, exchange_market, exchange_series
    from data.feeds.port import FeedContext, FeedSettings
    from data.store.provenance import DEMO
    from engine.sessions import calendar
    from tests.conftest import make_bars

    assert exchange_series("BTC/USDT", "Binance") == "BINANCE:BTC/USDT"
    assert exchange_series("KRAKEN:ETH/EUR", "binance") == "KRAKEN:ETH/EUR"
    assert exchange_market("BINANCE:BTC/USDT", "kraken") == ("binance", "BTC/USDT")
    spec = FEED_SPECS["exchange"]

    def context(symbol, source=None):
        store.write_bars(symbol, "1m", make_bars(10), **({"source": source} if source else {}))
        return FeedContext(store, symbol, TickRing(16), store.instrument(symbol),
                           calendar("24x7"), FeedSettings("exchange"), store.sources(symbol),
                           store.time_range(symbol))  # fmt: skip

    assert "not an exchange's market" in spec.refuse(context("ES"))
    assert "holds synthetic bars" in spec.refuse(context("DEMO:BTC/USDT", DEMO))
    assert spec.refuse(context("BINANCE:BTC/USDT")) is None
    assert spec.source(context("BINANCE:ETH/USDT")).detail == "binance"


@pytest.mark.timeout(120)
def test_real_trades_streamed_build_the_bar_of_their_aggregation(realdata):
    """The real BTC/USDT trades (2,001 in 46 s) on the fake's tape, streamed at ten times
    their pace to a feed that connects after they began: the minute equals the engine's
    aggregation of all of them (the trades before the subscription come from the
    exchange's bar)."""
    import pyarrow.parquet as pq

    table = pq.read_table(realdata / "btcusdt-trades.parquet")
    ms = table.column("timestamp").cast("int64").to_numpy()
    trades = list(zip(table.column("trade_id").to_pylist(), ms.tolist(),
                      table.column("price").to_pylist(), table.column("quantity").to_pylist(),
                      strict=True))  # fmt: skip
    first_ns = int(ms[0]) * 1_000_000
    fake = FakeBinance(start_ns=first_ns - NS_PER_S, scale=10.0)
    builder = MultiTimeframeBuilder(["1m"], "24x7")
    ring = TickRing(1 << 14)
    pipeline = LivePipeline(builder, ring)
    feed = ExchangeFeed("binance", "BTC/USDT", ring, pipeline.put_bars, url=fake.url,
                        clock=fake.clock_ns)  # fmt: skip
    market = Market(fake, trades, drop_ns=2**62)
    minute = first_ns // NS_PER_MIN * NS_PER_MIN
    try:
        market.start()
        feed.start()
        # closed, settled and checked against the exchange (once a second: RECHECK_S)
        while fake.clock_ns() < minute + NS_PER_MIN + 30 * NS_PER_S:
            pipeline.step(feed.now_ns())
            time.sleep(0.01)
        pipeline.step(feed.now_ns())
    finally:
        market.stop.set()
        feed.stop()
        market.join(5)
        fake.stop()
    ts = ms.astype(np.int64) * 1_000_000
    want = resample_ticks(ts, table.column("price").to_numpy(),
                          table.column("quantity").to_numpy(), "1m", "24x7").bars  # fmt: skip
    got = builder.sealed("1m")
    assert len(want) == 1 and len(got) == 1 and got.ts_ns[0] == want.ts_ns[0]
    for name in ("open", "high", "low", "close"):
        assert getattr(got, name)[0] == getattr(want, name)[0], name
    assert got.volume[0] == pytest.approx(want.volume[0], rel=1e-12)


def test_the_exchange_and_its_url_are_kept_for_the_next_runs(tmp_path):
    from PySide6 import QtCore

    from app.remembered import remembered_exchange

    settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    assert remembered_exchange(settings, None, None) == ("binance", None)
    url = "http://127.0.0.1:9"
    assert remembered_exchange(settings, "kraken", url) == ("kraken", url)
    assert remembered_exchange(settings, None, None) == ("kraken", url)  # the next run
    assert remembered_exchange(settings, None, "") == ("kraken", None)  # forgotten


def test_the_feed_refills_from_the_last_minute_it_knows_whole():
    feed = ExchangeFeed("binance", "BTC/USDT", TickRing(16), lambda bars: None,
                        resume_after_ns=T0_NS)  # fmt: skip
    assert feed._whole_until(None) is None  # nothing known yet: the start's own point
    feed._filled_to = T0_NS + 5 * NS_PER_MIN  # filled up to 00:05
    assert feed._whole_until(None) == T0_NS + 5 * NS_PER_MIN
    feed._last_trade_ns = T0_NS + 9 * NS_PER_MIN + 30 * NS_PER_S  # a trade at 00:09:30
    assert feed._whole_until(None) == T0_NS + 8 * NS_PER_MIN  # 00:09 may be partial
    assert feed._whole_until(T0_NS + 2 * NS_PER_MIN) == T0_NS + 2 * NS_PER_MIN  # still owed


def test_an_unknown_market_stops_the_feed_and_says_so():
    fake = FakeBinance(start_ns=T0_NS, scale=60.0)
    feed = ExchangeFeed("binance", "BTC/USDX", TickRing(16), lambda bars: None, url=fake.url,
                        resume_after_ns=T0_NS - NS_PER_MIN, clock=fake.clock_ns,
                        backoff_s=(0.05, 0.1))  # fmt: skip
    try:
        feed.start()
        deadline = time.monotonic() + 20
        while "stopped" not in feed.state() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "stopped: binance does not have market symbol BTC/USDX" in feed.state()
        assert feed.reconnects == 0 and not feed.ensure_running()  # no retry meets it again
    finally:
        feed.stop()
        fake.stop()


@pytest.mark.timeout(60)
def test_a_series_new_to_the_store_opens_with_the_exchanges_last_day():
    """No stored bar to resume after: the feed hands the exchange's closed minutes of the
    day before now to the pipeline first (it opened an empty chart), then streams."""
    trades = tape(30)
    start_ns = T0_NS + 30 * NS_PER_MIN + 20 * NS_PER_S
    fake = FakeBinance(start_ns=start_ns, scale=1.0)
    for trade in trades:
        fake.trade(*trade, stream=False)  # the past: on the tape
    got: list[Bars] = []
    feed = ExchangeFeed("binance", "BTC/USDT", TickRing(1 << 10), got.append, url=fake.url,
                        resume_after_ns=None, clock=fake.clock_ns)  # fmt: skip
    try:
        feed.start()
        deadline = time.monotonic() + 20
        while feed.backfilled_bars < 30 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # nothing more comes
    finally:
        feed.stop()
        fake.stop()
    filled = [row for bars in got for row in zip(*bars.columns().values(), strict=True)]
    assert filled == bars_of(trades, T0_NS, T0_NS + 30 * NS_PER_MIN)  # every closed minute
    assert feed.backfilled_bars == 30
