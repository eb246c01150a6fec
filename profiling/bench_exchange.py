"""Exchange benchmark: a year of 1m bars (525,600) fetched from the local fake exchange through
ccxt into a store, per page and in total, against the fake's own serving time; the fetched
bars are checked equal to those served.

    python -m profiling.bench_exchange [--quick] [--out DIR]
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

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
    served = year_of_bars(n)
    fake = FakeBinance(served)
    pages_ms: list[float] = []
    try:
        exchange = open_exchange("binance", fake.url, rate_limit_ms=0)  # the fake sets none
        last = [time.perf_counter()]

        def progress(_stage: str, _fraction: float) -> None:
            now = time.perf_counter()
            pages_ms.append((now - last[0]) * 1e3)
            last[0] = now

        with tempfile.TemporaryDirectory() as tmp:
            store = BarStore(Path(tmp) / "fetch.duckdb")
            started = time.perf_counter()
            report = fetch_history(store, exchange, "BTC/USDT", START_NS, progress=progress)
            total_s = time.perf_counter() - started
            assert report.written == n and store.load("BINANCE:BTC/USDT", "1m").equals(served)
            store.close()
    finally:
        fake.stop()
    serving_s = fake.serving_s
    facts = {
        "bars": n,
        "pages": report.pages,
        "total_s": round(total_s, 3),
        "fake_serving_s": round(serving_s, 3),
        "client_over_serving": round((total_s - serving_s) / serving_s, 2),
    }
    rows = [summarize(f"fetch page of 1,000 1m bars (ccxt + checks + store), {n:,}", pages_ms),
            Stats(f"fetch {n:,} 1m bars in total (ms)", 1, total_s * 1e3, total_s * 1e3,
                  total_s * 1e3, None)]  # fmt: skip
    return rows, facts


def main(argv: list[str] | None = None) -> int:
    args = bench_args(__doc__, argv)
    n = 50_000 if args.quick else 525_600
    rows, facts = bench_fetch(n)
    print(table(rows))
    print(json.dumps(facts, indent=2))
    name = "bench_exchange_quick.json" if args.quick else "bench_exchange.json"
    (args.out / name).write_text(json.dumps({"facts": facts, "rows": [r.__dict__ for r in rows]},
                                            indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
