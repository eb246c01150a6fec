"""Engine benchmark: resample, the live builder, the open-price layer and alignment, each
against the slow way it replaced, measured in the same run.

    python -m profiling.bench_engine [--quick] [--out DIR]
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from data.demo import session_minutes
from data.store import BarStore, Instrument
from engine.aggregate import resample, resample_ticks
from engine.align import enclosing_index
from engine.bars import Bars
from engine.buckets import bucket_grid, rule_for
from engine.live import MultiTimeframeBuilder
from engine.open_cache import OpenPriceCache, PartialBar
from engine.sessions import calendar
from engine.units import NS_PER_MIN, NS_PER_S
from profiling.timing import Stats, bench_args, measure, summarize, table
from tests.reference import enclosing_index_reference

LIVE_TFS = ["1m", "5m", "15m", "1h", "4h", "1d"]


def cme_minutes(n: int, end: str = "2026-11-02") -> Bars:
    """n in-session 1-minute bars of a random walk under cme-globex, ending at `end`."""
    end_ns = int(np.datetime64(end, "ns").astype(np.int64))
    span = int(n / (23 * 60 * 5) * 7 * 86400 * NS_PER_S * 1.02) + 30 * 86400 * NS_PER_S
    ts, _ = session_minutes("cme-globex", end_ns - span, end_ns)
    ts = ts[-n:]
    rng = np.random.default_rng(5)
    close = 4000 + np.cumsum(rng.normal(0, 0.25, len(ts)))
    open_ = np.concatenate(([4000.0], close[:-1]))
    high = np.maximum(open_, close) + rng.uniform(0, 0.5, len(ts))
    low = np.minimum(open_, close) - rng.uniform(0, 0.5, len(ts))
    return Bars(ts, open_, high, low, close, rng.integers(1, 100, len(ts)).astype(np.float64))


def slow_resample(bars: Bars, timeframe: str, cal) -> Bars:
    """A Python loop over bars, grouping by bucket label in a dict."""
    grid = bucket_grid(cal, int(bars.ts_ns[0]), int(bars.ts_ns[-1]))
    labels, _ = grid.buckets(rule_for(timeframe), bars.ts_ns)
    out: dict[int, list[float]] = {}
    for i, label in enumerate(labels.tolist()):
        if label < 0:
            continue
        bar = out.get(label)
        o, h, lo, c, v = (bars.open[i], bars.high[i], bars.low[i], bars.close[i],
                          bars.volume[i])  # fmt: skip
        if bar is None:
            out[label] = [o, h, lo, c, v]
        else:
            bar[1] = max(bar[1], h)
            bar[2] = min(bar[2], lo)
            bar[3] = c
            bar[4] += v
    keys = sorted(out)
    cols = np.array([out[k] for k in keys]).reshape(-1, 5).T
    return Bars(np.array(keys, dtype=np.int64), *(np.ascontiguousarray(c) for c in cols))


def bench_resample(rows: list[Stats], n: int, quick: bool) -> None:
    cal = calendar("cme-globex")
    bars = cme_minutes(n)
    tfs = ["5m", "15m", "1h", "4h", "1d"]
    small = bars[-100_000:]
    fast_small = {tf: resample(small, tf, cal) for tf in tfs}

    def check_small(result):
        for tf in tfs:
            assert result[tf].equals(fast_small[tf]), tf

    rows.append(measure("resample 100k bars to 5 tfs", lambda: {tf: resample(small, tf, cal)
                        for tf in tfs}, check_small))  # fmt: skip
    rows.append(measure("  slow: Python dict loop, 100k bars", lambda: {tf: slow_resample(
        small, tf, cal) for tf in tfs}, check_small, repeat=1, warmup=0))  # fmt: skip
    total_volume = bars.volume.sum()

    def check_big(result):
        for tf in tfs:
            assert result[tf].volume.sum() == total_volume, tf
            assert np.all(np.diff(result[tf].ts_ns) > 0)
        assert len(result["1d"]) == len(np.unique(cal.trading_day(bars.ts_ns)))

    def run_big():
        return {tf: resample(bars, tf, cal) for tf in tfs}

    target = None if quick else 1000
    rows.append(
        measure(f"resample {n / 1e6:g}M bars to 5 tfs", run_big, check_big, target_ms=target)
    )


def tick_stream(n: int, start: str = "2026-10-05T14:00") -> tuple[np.ndarray, ...]:
    """n ticks, about 100 a second, inside cme-globex sessions."""
    rng = np.random.default_rng(11)
    t0 = int(np.datetime64(start, "ns").astype(np.int64))
    ts = t0 + np.cumsum(rng.exponential(10_000_000, n)).astype(np.int64)
    ts = ts[calendar("cme-globex").is_in_session(ts)]
    price = np.round(4000 + np.cumsum(rng.normal(0, 0.25, len(ts))) * 4) / 4
    return ts, price, rng.integers(1, 10, len(ts)).astype(np.float64)


def rescan_forming(ts, price, qty, starts: dict[str, np.ndarray]) -> list[tuple]:
    """The slow way: after each tick, rescan every tick of each forming bucket (bucket
    starts per timeframe in `starts`); the forming (open, high, low, close, volume) last."""
    last = []
    for i in range(len(ts)):
        last = []
        for tf in LIVE_TFS:
            label = starts[tf][np.searchsorted(starts[tf], ts[i], side="right") - 1]
            a = np.searchsorted(ts[: i + 1], label)
            window = price[a : i + 1]
            last.append((window[0], window.max(), window.min(), window[-1],
                         qty[a : i + 1].sum()))  # fmt: skip
    return last


def check_live(builder, ts, price, qty):
    for tf in LIVE_TFS:
        assert builder.bars(tf).equals(resample_ticks(ts, price, qty, tf, "cme-globex").bars), tf


def bench_live(rows: list[Stats], n: int) -> None:
    ts, price, qty = tick_stream(n)
    builder = MultiTimeframeBuilder(LIVE_TFS, "cme-globex")
    builder.on_tick(int(ts[0]), float(price[0]), float(qty[0]))
    ts_list, price_list, qty_list = ts.tolist(), price.tolist(), qty.tolist()
    durations = np.empty(len(ts) - 1)
    clock = time.perf_counter_ns
    for i in range(1, len(ts)):
        t0 = clock()
        builder.on_tick(ts_list[i], price_list[i], qty_list[i])
        durations[i - 1] = clock() - t0
    check_live(builder, ts, price, qty)
    us = durations / 1e3
    rows.append(summarize("on_tick, 6 tfs (us per tick)", us, 2.0))

    def batches():
        b = MultiTimeframeBuilder(LIVE_TFS, "cme-globex")
        for a in range(0, len(ts), 10_000):
            b.on_ticks(ts[a : a + 10_000], price[a : a + 10_000], qty[a : a + 10_000])
        return b

    stats = measure(f"on_ticks, batches of 10k, {len(ts):,} ticks", batches,
                    lambda b: check_live(b, ts, price, qty), repeat=5)  # fmt: skip
    rows.append(stats)
    rate = len(ts) / (stats.p50_ms / 1e3) / 1e6
    rows.append(Stats("  = million ticks/s (p50)", 1, rate, rate, rate, None))

    # The slow way: rescan every tick of each forming bucket on each tick.
    m = min(len(ts), 20_000)
    starts = {tf: resample_ticks(ts[:m], price[:m], qty[:m], tf, "cme-globex").bars.ts_ns
              for tf in LIVE_TFS}  # fmt: skip

    def rescan():
        return rescan_forming(ts[:m], price[:m], qty[:m], starts)

    def check_rescan(last):
        b = MultiTimeframeBuilder(LIVE_TFS, "cme-globex")
        b.on_ticks(ts[:m], price[:m], qty[:m])
        assert [b.forming(tf)[1:] for tf in LIVE_TFS] == [tuple(x) for x in last]

    slow = measure(f"  slow: rescan buckets per tick ({m:,} ticks)", rescan, check_rescan,
                   repeat=1, warmup=0)  # fmt: skip
    per_tick = slow.p50_ms * 1e3 / m
    rows.append(Stats("  slow: rescan (us per tick)", 1, per_tick, per_tick, per_tick, None))


def bench_open_cache(rows: list[Stats], quick: bool) -> dict:
    """Replay a trading day at 3 ticks a second with forming 5m/1h/4h/1d bars."""
    tfs = ["5m", "1h", "4h", "1d"]
    history = cme_minutes(30 * 23 * 60, end="2026-10-14T15:37")
    day_ts = np.arange(0, (2 if quick else 23) * 3600 * 3) * NS_PER_S // 3
    live_ts = int(history.ts_ns[-1]) + NS_PER_MIN + 30 * NS_PER_S + day_ts
    live_ts = live_ts[calendar("cme-globex").is_in_session(live_ts)]
    rng = np.random.default_rng(2)
    price = np.round(history.close[-1] + np.cumsum(rng.normal(0, 0.25, len(live_ts)))).tolist()
    with tempfile.TemporaryDirectory() as tmp:
        store = BarStore(Path(tmp) / "s.duckdb")
        store.write_bars("ES", "1m", history, instrument=Instrument("ES", "cme-globex"))
        cal = calendar("cme-globex")
        queries = []

        def query(ranges):
            queries.extend(start for _, start, _ in ranges)
            return store.bars_so_far(ranges)

        cache = OpenPriceCache(query, lambda s: cal)
        per_minute = np.zeros(int((live_ts[-1] - live_ts[0]) // NS_PER_MIN) + 1, dtype=np.int64)
        latencies = []
        invalidate_at = len(live_ts) // 2
        results = {}
        for i, t in enumerate(live_ts.tolist()):
            before = len(queries)
            if i == invalidate_at:  # a backfill lands in the current 4h bucket
                cache.invalidate("ES", t - 2 * 3600 * NS_PER_S, t - 2 * 3600 * NS_PER_S + 1)
            started = time.perf_counter_ns()
            cache.observe("ES", t, price[i], 1.0)
            results = {tf: cache.forming("ES", tf, t) for tf in tfs}
            latencies.append((time.perf_counter_ns() - started) / 1e3)
            per_minute[(t - live_ts[0]) // NS_PER_MIN] += len(queries) - before

        # Correctness: the cache equals stored history folded with the live ticks.
        since = int(live_ts[0])
        for tf in tfs:
            start = results[tf].first_ns
            label, _ = bucket_grid(cal, since, since).buckets(rule_for(tf), np.array([live_ts[-1]]))
            stored = store.bars_so_far([("ES", int(label[0]), since)])[0]
            in_bucket = live_ts >= max(label[0], since)
            live_p, live_t = np.array(price)[in_bucket], live_ts[in_bucket]
            live = PartialBar(live_p[0], live_p.max(), live_p.min(), live_p[-1],
                              float(len(live_p)), int(live_t[0]), int(live_t[-1]))  # fmt: skip
            want = live if stored is None else stored.then(live)
            got = results[tf]
            assert (got.open, got.high, got.low, got.close, got.volume) == (
                want.open, want.high, want.low, want.close, want.volume), tf  # fmt: skip
            assert start <= live_ts[-1]

        naive_minutes = 10
        naive_ticks = naive_minutes * 60 * 3
        naive_count = 0
        started = time.perf_counter()
        for t in live_ts[:naive_ticks].tolist():
            for tf in tfs:
                label, _ = bucket_grid(cal, t, t).buckets(rule_for(tf), np.array([t]))
                store.bars_so_far([("ES", int(label[0]), since)])[0]
                naive_count += 1
        naive_s = time.perf_counter() - started
        store.close()
    lat = np.array(latencies)
    rows.append(summarize("open-price cache: observe+4 lookups (us)", lat))
    naive_us = naive_s / naive_ticks * 1e6
    rows.append(Stats("  naive: 4 store queries per tick (us)", naive_ticks, naive_us, naive_us,
                      naive_us, None))  # fmt: skip
    return {
        "ticks": len(live_ts),
        "minutes": len(per_minute),
        "cache_queries_total": int(per_minute.sum()),
        "cache_queries_first_minute": int(per_minute[0]),
        "cache_queries_per_minute_steady": float(per_minute[1:].mean()),
        "cache_queries_in_invalidation_minute": int(
            per_minute[(live_ts[invalidate_at] - live_ts[0]) // NS_PER_MIN]
        ),
        "naive_queries_per_minute": naive_count / naive_minutes,
    }


def bench_align(rows: list[Stats], quick: bool) -> None:
    bars = cme_minutes(1_000_000)
    higher = {tf: resample(bars, tf, "cme-globex").ts_ns for tf in ("5m", "1h", "4h", "1d")}
    for n, target in ((10_000, 1.0), (1_000_000, 20.0)):
        lower = bars.ts_ns[-n:]

        def run(lower=lower):
            return {tf: enclosing_index(lower, h) for tf, h in higher.items()}

        def check(result, lower=lower):
            for tf, h in higher.items():
                assert np.array_equal(result[tf], enclosing_index_reference(lower, h)), tf

        rows.append(measure(f"align {n:,} 1m bars to 5m/1h/4h/1d", run, check,
                            repeat=20, target_ms=None if quick else target))  # fmt: skip
        rows.append(measure(f"  searchsorted, {n:,}", lambda lower=lower: {
            tf: enclosing_index_reference(lower, h) for tf, h in higher.items()}, check,
            repeat=5))  # fmt: skip
    lower = bars.ts_ns[-10_000:]
    day = higher["1d"]

    def nested():
        out = np.empty(len(lower), dtype=np.int64)
        for i, t in enumerate(lower.tolist()):
            j = -1
            for k, h in enumerate(day.tolist()):
                if h <= t:
                    j = k
                else:
                    break
            out[i] = j
        return {"1d": out}

    rows.append(measure("  slow: nested scan, 10,000 to 1d", nested,
                        lambda r: np.array_equal(r["1d"], enclosing_index_reference(lower, day)),
                        repeat=1, warmup=0))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = bench_args(__doc__, argv)
    rows: list[Stats] = []
    bench_resample(rows, 300_000 if args.quick else 10_000_000, args.quick)
    bench_live(rows, 30_000 if args.quick else 300_000)
    cache = bench_open_cache(rows, args.quick)
    bench_align(rows, args.quick)
    print(table(rows))
    print("open-price layer, store queries:", json.dumps(cache))
    name = "bench_engine_quick.json" if args.quick else "bench_engine.json"
    report = {"benchmarks": [dataclasses.asdict(r) for r in rows], "open_cache": cache}
    (args.out / name).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
