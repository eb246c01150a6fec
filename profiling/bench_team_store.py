"""Team store benchmark: the same bars on the embedded DuckDB store, ArcticDB on LMDB,
ArcticDB on a local S3 server (moto) and that S3 store through the local cache, in one run;
ratios to DuckDB.

    python -m profiling.bench_team_store [--quick] [--out DIR]

Measured on each: the latest 10,000 and 1,000,000 bars of a long series, a day of bars in
the middle of it, each cold (a store just opened) and warm (asked again); an import of
1,000,000 bars into a new symbol, then 3 of its bars written again (a correction) and a bar
appended; and a chart's first page (the latest 50,000 bars) through
the cache, cold (the cache empty: the first page comes from the team store and the series
is fetched behind it, timed apart) and warm (the cache up to date: the terminal's charts are
answered from DuckDB, the version asked behind; a script's read waits for the version);
and a cache one write behind: from the read to the terminal told of the new bar. Target: a
chart opens through the warm cache within 1.5x of the embedded store. Every load is checked
against the bars written, and every version asked.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from data.store.port import open_store
from data.store.provenance import Source, SourceKind
from engine.units import NS_PER_MIN
from profiling.bench_store import T0_NS, synthetic
from profiling.timing import Stats, bench_args, summarize, table

IMPORTED = Source(SourceKind.IMPORT, "bench")
FIRST_PAGE = 50_000
DAY = 1440


def fill(where: str, n: int, chunk: int = 2_000_000) -> None:
    with open_store(where) as store:
        for start in range(0, n, chunk):
            store.write_bars("BIG", "1m", synthetic(min(chunk, n - start), start),
                             source=IMPORTED)  # fmt: skip


def check(bars, first_ix: int, n: int) -> None:
    want = synthetic(n, first_ix)
    assert len(bars) == n and bars.ts_ns[0] == want.ts_ns[0] and bars.ts_ns[-1] == want.ts_ns[-1]
    assert np.array_equal(bars.close, want.close), "loaded bars differ from those written"


def timed(action, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        out.append((time.perf_counter() - started) * 1e3)
    return out


@dataclasses.dataclass
class Row:
    backend: str
    what: str
    stats: Stats


def measure_backend(name: str, where: str, big: int, repeat: int) -> list[Row]:
    rows = []
    mid = big // 2
    t_mid = int(T0_NS + mid * NS_PER_MIN)
    asks = [(f"latest {n:,}", lambda s, n=n: s.load("BIG", "1m", limit=n),
             (big - n, n)) for n in (10_000, min(1_000_000, big))]  # fmt: skip
    asks.append(("a day in the middle",
                 lambda s: s.load("BIG", "1m", start_ns=t_mid, end_ns=t_mid + DAY * NS_PER_MIN),
                 (mid, DAY)))  # fmt: skip
    for what, ask, (first_ix, n) in asks:
        cold = []
        for _ in range(repeat):
            with open_store(where, read_only=True) as store:
                started = time.perf_counter()
                bars = ask(store)
                cold.append((time.perf_counter() - started) * 1e3)
        check(bars, first_ix, n)
        with open_store(where, read_only=True) as store:
            ask(store)
            warm = timed(lambda store=store, ask=ask: ask(store), repeat)
            check(ask(store), first_ix, n)
        rows.append(Row(name, f"{what}, cold", summarize(f"{name}: {what}, cold (ms)", cold)))
        rows.append(Row(name, f"{what}, warm", summarize(f"{name}: {what}, warm (ms)", warm)))
    imports = []
    for k in range(max(1, repeat // 2)):
        bars = synthetic(1_000_000, big + 10_000_000 * (k + 1))
        with open_store(where) as store:
            started = time.perf_counter()
            store.write_bars(f"NEW{k}", "1m", bars, source=IMPORTED)
            imports.append((time.perf_counter() - started) * 1e3)
            assert store.load(f"NEW{k}", "1m", limit=10).equals(bars[-10:])
    rows.append(Row(name, "import 1,000,000 bars", summarize(f"{name}: import 1M (ms)", imports)))
    rows += measure_writes(name, where, big + 10_000_000, repeat)
    return rows


def measure_writes(name: str, where: str, start_ix: int, repeat: int) -> list[Row]:
    """On NEW0 (1,000,000 bars from `start_ix`): 3 stored bars written again (a
    correction: the team store notes the span for the caches), then a bar appended."""
    written = synthetic(1_000_000, start_ix)
    with open_store(where) as store:
        ats = [1_000_000 - 10 * (k + 1) for k in range(2 * repeat)]
        again = timed(lambda: store.write_bars("NEW0", "1m", written[ats.pop():][:3],
                                               source=IMPORTED), 2 * repeat)  # fmt: skip
        assert store.load("NEW0", "1m", limit=100).equals(written[-100:])
        after = iter(range(2 * repeat))
        appended = timed(lambda: store.write_bars(
            "NEW0", "1m", synthetic(1, start_ix + 1_000_000 + next(after)), source=IMPORTED),
            2 * repeat)  # fmt: skip
        tail = store.load("NEW0", "1m", limit=2 * repeat)
        assert tail.equals(synthetic(2 * repeat, start_ix + 1_000_000))
    return [
        Row(name, "3 stored bars written again", summarize(f"{name}: a correction (ms)", again)),
        Row(name, "a bar appended", summarize(f"{name}: an append (ms)", appended)),
    ]


def measure_cache(url: str, cache: Path, big: int, repeat: int) -> list[Row]:
    """The first page of a chart through the cache: cold (empty) and warm (up to date)."""
    cold, warm, filled, asked_first = [], [], [], []
    for _ in range(max(1, repeat // 2)):
        shutil.rmtree(cache.parent, ignore_errors=True)
        cache.parent.mkdir(parents=True)
        with open_store(f"{url}&cache={cache}", read_only=True) as store:
            started = time.perf_counter()
            bars = store.load("BIG", "1m", limit=FIRST_PAGE)
            cold.append((time.perf_counter() - started) * 1e3)
            started = time.perf_counter()
            store.wait_filled()  # the cache fetches the series behind the first page
            filled.append((time.perf_counter() - started) * 1e3)
        check(bars, big - FIRST_PAGE, FIRST_PAGE)
    for _ in range(repeat):
        with open_store(f"{url}&cache={cache}", read_only=True) as store:
            told = []
            store.listen(lambda *said, told=told: told.append(said))  # as the terminal does
            started = time.perf_counter()
            bars = store.load("BIG", "1m", limit=FIRST_PAGE)
            warm.append((time.perf_counter() - started) * 1e3)
            store.wait_asked()  # the version asked behind the read: the cache was current
            assert store.team.versions_asked == 1 and told == [] and store.refreshes == 0
        check(bars, big - FIRST_PAGE, FIRST_PAGE)
    for _ in range(repeat):
        with open_store(f"{url}&cache={cache}", read_only=True) as store:
            started = time.perf_counter()
            bars = store.load("BIG", "1m", limit=FIRST_PAGE)
            asked_first.append((time.perf_counter() - started) * 1e3)
            assert store.team.versions_asked == 1 and store.refreshes == 0
        check(bars, big - FIRST_PAGE, FIRST_PAGE)
    return [Row("s3 + cache", "chart's first page, cold cache",
                summarize("s3 + cache: first page, cold cache (ms)", cold)),
            Row("s3 + cache", "the series fetched behind it",
                summarize("s3 + cache: the series fetched behind (ms)", filled)),
            Row("s3 + cache", "chart's first page, warm cache",
                summarize("s3 + cache: first page, warm cache (ms)", warm)),
            Row("s3 + cache", "a script's first page, warm cache",
                summarize("s3 + cache: version asked first, warm (ms)", asked_first)),
            stale_cache(url, cache, big, repeat)]  # fmt: skip


def stale_cache(url: str, cache: Path, big: int, repeat: int) -> Row:
    """A cache a write behind the team store (another terminal appended a bar): the chart's
    first page from the cache at once, then the listener told once the cache holds the new
    bar; timed from the read to the telling."""
    told_ms = []
    for k in range(repeat):
        new_bar = synthetic(1, big + k)
        with open_store(url) as other:
            other.write_bars("BIG", "1m", new_bar, source=IMPORTED)
        with open_store(f"{url}&cache={cache}", read_only=True) as store:
            told = threading.Event()
            store.listen(lambda *said, told=told: told.set())
            started = time.perf_counter()
            bars = store.load("BIG", "1m", limit=FIRST_PAGE)
            assert told.wait(60), "the listener was not told of the new bar"
            told_ms.append((time.perf_counter() - started) * 1e3)
            assert bars.ts_ns[-1] < new_bar.ts_ns[0]  # the first answer was the cache's
            fresh = store.load("BIG", "1m", limit=FIRST_PAGE)
            assert fresh.ts_ns[-1] == new_bar.ts_ns[0] and fresh.close[-1] == new_bar.close[0]
    return Row(
        "s3 + cache",
        "a bar written elsewhere, on the chart",
        summarize("s3 + cache: stale cache, read to the new bar told (ms)", told_ms),
    )


def first_page(where: str, repeat: int, big: int) -> Row:
    cold = []
    for _ in range(repeat):
        with open_store(where, read_only=True) as store:
            started = time.perf_counter()
            bars = store.load("BIG", "1m", limit=FIRST_PAGE)
            cold.append((time.perf_counter() - started) * 1e3)
    check(bars, big - FIRST_PAGE, FIRST_PAGE)
    return Row("duckdb", "chart's first page", summarize("duckdb: first page (ms)", cold))


def main(argv: list[str] | None = None) -> int:
    args = bench_args(__doc__, argv)
    big = 1_000_000 if args.quick else 10_000_000
    repeat = 3 if args.quick else 5
    from tests.s3_server import LocalS3

    work = Path(tempfile.mkdtemp(prefix="candleterm-team-"))
    server = LocalS3()
    try:
        backends = {"duckdb": str(work / "store.duckdb"), "lmdb": f"lmdb://{work / 'lmdb'}",
                    "s3": server.bucket()}  # fmt: skip
        filled = {}
        for name, where in backends.items():
            started = time.perf_counter()
            fill(where, big)
            filled[name] = time.perf_counter() - started
            print(f"{name}: {big:,} bars written in {filled[name]:.1f} s", flush=True)
        rows = [r for name, where in backends.items()
                for r in measure_backend(name, where, big, repeat)]  # fmt: skip
        rows.append(first_page(backends["duckdb"], repeat, big))
        rows += measure_cache(backends["s3"], work / "cache" / "cache.duckdb", big, repeat)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    base = {r.what: r.stats.p50_ms for r in rows if r.backend == "duckdb"}
    for what in ("chart's first page, cold cache", "chart's first page, warm cache",
                 "a script's first page, warm cache", "the series fetched behind it",
                 "a bar written elsewhere, on the chart"):  # fmt: skip
        base[what] = base["chart's first page"]
    print(table([r.stats for r in rows]))
    print("\nratio to DuckDB (p50):")
    for r in rows:
        if r.backend != "duckdb":
            print(f"  {r.backend:<11} {r.what:<34} {r.stats.p50_ms / base[r.what]:8.1f}x")
    report = {"big": big, "rows": [dataclasses.asdict(r) for r in rows],
              "fill_s": filled}  # fmt: skip
    (args.out / "team_store.json").write_text(json.dumps(report, indent=1))
    warm = next(r for r in rows if r.what == "chart's first page, warm cache").stats.p50_ms
    ratio = warm / base["chart's first page"]
    print(
        f"\nchart through the warm cache / embedded: {ratio:.2f}x (target <= 1.5x): "
        f"{'met' if ratio <= 1.5 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
