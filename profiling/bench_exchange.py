"""Exchange benchmark: a year of 1m bars (525,600) fetched from the local fake exchange through
ccxt into a store, per page and in total, against the fake's own serving time (the fetched bars
checked equal to those served); live trades at 1,000 a second from the fake's websocket to the
forming candle painted (each trade checked in the candle); a 5-minute outage repaired, from
the reconnection to the missed minutes built (checked equal to the exchange's bars).

    python -m profiling.bench_exchange [--quick] [--out DIR]
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

from data.exchange.client import open_exchange
from data.exchange.history import fetch_history
from data.store import BarStore
from engine.bars import Bars
from engine.units import NS_PER_MIN
from profiling.timing import Stats, bench_args, summarize, table
from tests.fake_exchange import FakeBinance

START_NS = int(np.datetime64("2023-01-01", "ns").astype(np.int64))


def year_of_bars(n: int) -> Bars:
    rng = np.random.default_rng(3)
    close = np.round(20_000 + np.cumsum(rng.normal(0, 8, n)), 2)
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.round(np.maximum(open_, close) + rng.uniform(0, 5, n), 2)
    low = np.round(np.minimum(open_, close) - rng.uniform(0, 5, n), 2)
    ts = START_NS + np.arange(n, dtype=np.int64) * NS_PER_MIN
    return Bars.from_arrays(ts, open_, high, low, close, np.round(rng.uniform(1, 50, n), 5))


def bench_fetch(n: int) -> tuple[list[Stats], dict]:
    """The fake in a process of its own (as an exchange is remote: a fake in this process
    would share its interpreter lock and be timed with the client)."""
    from tests.fake_exchange_process import FakeBinanceProcess

    served = year_of_bars(n)
    fake = FakeBinanceProcess(served)
    pages_ms: list[float] = []
    try:
        exchange = open_exchange("binance", fake.url, rate_limit_ms=0)  # the fake sets none
        last = [time.perf_counter()]

        def progress(_stage: str, _fraction: float) -> None:
            now = time.perf_counter()
            pages_ms.append((now - last[0]) * 1e3)
            last[0] = now

        loading = time.perf_counter()  # once a process, as the imports above: reported apart
        from data.exchange.number_rows import number_rows

        assert number_rows(b"[[1,2,3,4,5,6]]", 6).tolist() == [[1, 2, 3, 4, 5, 6]]
        reader_load_s = time.perf_counter() - loading
        with tempfile.TemporaryDirectory() as tmp:
            store = BarStore(Path(tmp) / "fetch.duckdb")
            fake_cpu_s = fake.cpu_s
            started = last[0] = time.perf_counter()
            report = fetch_history(
                store, exchange, "BTC/USDT", START_NS, START_NS + n * NS_PER_MIN, progress=progress
            )  # a year: --since 2023-01-01 --until ..-12-31
            total_s = time.perf_counter() - started
            fake_cpu_s = fake.cpu_s - fake_cpu_s
            assert report.written == n and store.load("BINANCE:BTC/USDT", "1m").equals(served)
            store.close()
        serving_s = fake.serving_s
    finally:
        fake.stop()
    facts = {
        "bars": n,
        "pages": report.pages,
        "total_s": round(total_s, 3),
        "fake_serving_s": round(serving_s, 3),
        "client_over_serving": round((total_s - serving_s) / serving_s, 2),
        "fake_cpu_s": round(fake_cpu_s, 3),  # its HTTP server included
        "client_over_fake_cpu": round((total_s - fake_cpu_s) / fake_cpu_s, 2),
        "compiled_reader_load_s": round(reader_load_s, 3),
    }
    rows = [summarize(f"fetch page of 1,000 1m bars (ccxt + checks + store), {n:,}", pages_ms),
            Stats(f"fetch {n:,} 1m bars in total (ms)", 1, total_s * 1e3, total_s * 1e3,
                  total_s * 1e3, None)]  # fmt: skip
    return rows, facts


def _live_rig(fake: FakeBinance, start_ns: int, resume_after_ns: int | None):
    """A feed from the fake into a pipeline, as the live session wires them."""
    from data.feeds.exchange_feed import ExchangeFeed
    from engine.live import MultiTimeframeBuilder
    from engine.pipeline import LivePipeline
    from engine.ring import TickRing

    builder = MultiTimeframeBuilder(["1m", "5m", "1h"], "24x7")
    ring = TickRing(1 << 16)
    pipeline = LivePipeline(builder, ring)
    feed = ExchangeFeed("binance", "BTC/USDT", ring, pipeline.put_bars, url=fake.url,
                        resume_after_ns=resume_after_ns, clock=fake.clock_ns,
                        backoff_s=(0.05, 0.2))  # fmt: skip
    return builder, pipeline, feed


def bench_trade_to_screen(rate: float, seconds: float) -> Stats:
    """Trades sent by the fake at `rate` a second; for each, the time from its send to the
    end of the frame that painted the forming candle holding it (the frame: the pipeline's
    step, the model's update and a full paint of a 1600x900 chart)."""
    from profiling.qt_frames import app, frame
    from widgets.chart import ChartWidget
    from widgets.series_model import SeriesModel

    app()
    start_ns = START_NS
    fake = FakeBinance(start_ns=start_ns, scale=1.0)
    _, pipeline, feed = _live_rig(fake, start_ns, None)
    seed = year_of_bars(2000)
    seed = Bars.from_arrays(seed.ts_ns - 2000 * NS_PER_MIN, seed.open, seed.high, seed.low,
                            seed.close, seed.volume)  # fmt: skip
    pipeline.seed(seed)
    model = SeriesModel("BINANCE:BTC/USDT", "1m", "UTC", seed)
    chart = ChartWidget(model)
    chart.resize(1600, 900)
    frame(chart)
    sent: dict[int, int] = {}
    latencies: list[float] = []
    feed.start()
    try:
        deadline = time.monotonic() + 20
        while fake.connected() == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert fake.connected() == 1, feed.state()
        period = 1.0 / rate
        next_send = time.perf_counter()
        trade_id = 1
        stop_at = next_send + seconds
        price = float(seed.close[-1])
        while time.perf_counter() < stop_at or sent:
            now = time.perf_counter()
            while now >= next_send and now < stop_at:  # the market: trades at `rate`
                price += 0.25 if trade_id % 3 else -0.25
                sent[trade_id] = time.perf_counter_ns()
                fake.trade(trade_id, fake.clock_ns() // 1_000_000, price, 0.125)
                trade_id += 1
                next_send += period
            update = pipeline.step(feed.now_ns()).updates["1m"]  # the UI's frame
            if len(update.sealed):
                model.upsert(update.sealed)
            if update.forming is not None:
                model.update_last(update.forming)
            frame(chart)
            done = time.perf_counter_ns()
            taken = feed.trades  # the stream delivers in order: ids 1..taken are in
            latencies.extend((done - sent.pop(t)) / 1e6 for t in [t for t in sent if t <= taken])
            if time.perf_counter() > stop_at + 5:
                break
    finally:
        feed.stop()
        fake.stop()
        chart.close()
    assert not sent, f"{len(sent)} trades never reached the chart"
    assert feed.trades == trade_id - 1
    return summarize(f"live trade to forming candle on screen, {rate:,.0f} trades/s",
                     latencies, 30.0, "p99")  # fmt: skip


def bench_outage(minutes: int = 5) -> Stats:
    """The stream drops for `minutes` of market time (the fake's clock runs a minute a second
    here); from the reconnection to every missed minute built from the exchange's bars."""
    start_ns = START_NS + 10 * NS_PER_MIN
    fake = FakeBinance(start_ns=start_ns, scale=60.0)
    for k in range(10 * 60):  # a trade a second of market time before we connect
        fake.trade(k + 1, (START_NS // NS_PER_MIN * NS_PER_MIN + k * 10**9) // 1_000_000,
                   20_000.0 + (k % 7) * 0.25, 0.125, stream=False)  # fmt: skip
    builder, pipeline, feed = _live_rig(fake, start_ns, START_NS - NS_PER_MIN)
    feed.start()
    stop = threading.Event()
    repaired_s: list[float] = []

    def market() -> None:
        k, was = 10 * 60, True
        while not stop.is_set():
            ms = fake.clock_ns() // 1_000_000
            fake.trade(k + 1, ms, 20_000.0 + (k % 7) * 0.25, 0.125,
                       stream=not outage.is_set())  # fmt: skip
            k += 1
            time.sleep(1 / 60)  # a trade a second of market time
            if was and outage.is_set():
                fake.disconnect()
            was = not outage.is_set()

    outage = threading.Event()
    market_thread = threading.Thread(target=market, daemon=True)
    try:
        market_thread.start()
        while fake.subscriptions < 1:
            pipeline.step(feed.now_ns())
            time.sleep(0.01)
        dropped_ns = fake.clock_ns()
        outage.set()
        fake.down = True  # the network: REST and stream
        end_ns = dropped_ns + minutes * NS_PER_MIN
        while fake.clock_ns() < end_ns:
            pipeline.step(feed.now_ns())
            time.sleep(0.01)
        fake.down = False
        outage.clear()
        back = time.perf_counter()
        want_until = (end_ns - 2 * NS_PER_MIN) // NS_PER_MIN * NS_PER_MIN
        while True:
            pipeline.step(feed.now_ns())
            built = builder.sealed("1m")
            if len(built) and built.ts_ns[-1] >= want_until:
                repaired_s.append(time.perf_counter() - back)
                break
            if time.perf_counter() - back > 30:
                raise AssertionError(f"not repaired in 30 s: {feed.state()}")
            time.sleep(0.005)
        klines = fake._tape_klines()
        built = builder.sealed("1m")
        a = int(np.searchsorted(klines.ts_ns, dropped_ns // NS_PER_MIN * NS_PER_MIN))
        b = int(np.searchsorted(klines.ts_ns, want_until))
        lo = int(np.searchsorted(built.ts_ns, klines.ts_ns[a]))
        got = built[lo : lo + (b - a)]
        assert got.equals(klines[a:b]), "the missed minutes differ"
    finally:
        stop.set()
        feed.stop()
        market_thread.join(5)
        fake.stop()
    ms = repaired_s[0] * 1e3  # from the exchange back (its next reconnect attempt included)
    return Stats(f"{minutes}-minute outage: exchange back to the minutes rebuilt (ms)", 1, ms,
                 ms, ms, 2000.0)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = bench_args(__doc__, argv)
    n = 50_000 if args.quick else 525_600
    rows, facts = bench_fetch(n)
    rows.append(bench_trade_to_screen(1000.0, 2.0 if args.quick else 10.0))
    rows.append(bench_outage())
    print(table(rows))
    print(json.dumps(facts, indent=2))
    name = "bench_exchange_quick.json" if args.quick else "bench_exchange.json"
    (args.out / name).write_text(json.dumps({"facts": facts, "rows": [r.__dict__ for r in rows]},
                                            indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
