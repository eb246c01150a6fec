"""Bar store benchmark: load the latest N 1-minute bars from a 10-million-bar store, peak
memory of a 10M load, importing a 1-million-row CSV, and the peak memory of checking a large
CSV with one bad row near its end (target: under 3x the file's size); each against the slow
way where there is one.

    python -m profiling.bench_store [--quick] [--out DIR]

The slow ways, measured in the same run: `ORDER BY ts_ns DESC LIMIT n` with an Arrow table
converted to numpy (what a first DuckDB version would do), a row-by-row fetch into Python
lists, and a CSV import that parses rows with Python's csv module.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from data.files.importer import ImportOptions, import_file
from data.store import BarStore
from engine.bars import Bars
from engine.units import NS_PER_MIN
from profiling.timing import Stats, bench_args, measure, table

T0_NS = int(np.datetime64("2000-01-03T00:00", "ns").astype(np.int64))
TARGETS_MS = {10_000: 5, 100_000: 15, 1_000_000: 80, 10_000_000: 800}


def synthetic(n: int, start_ix: int = 0) -> Bars:
    """Deterministic bars: bar i opens at T0 + i minutes; prices follow from i."""
    i = np.arange(start_ix, start_ix + n, dtype=np.int64)
    close = 1000.0 + 50.0 * np.sin(i / 5000.0) + (i % 97) * 0.25
    open_ = close - ((i % 7) - 3) * 0.25
    high = np.maximum(open_, close) + 0.5
    low = np.minimum(open_, close) - 0.5
    return Bars(T0_NS + i * NS_PER_MIN, open_, high, low, close, (i % 50 + 1).astype(np.float64))


def build_store(path: Path, big: int, small: int) -> None:
    """BIG with `big` bars (written in chunks, as imports would) and two small symbols."""
    with BarStore(path) as store:
        chunk = 2_000_000
        for start in range(0, big, chunk):
            store.write_bars("BIG", "1m", synthetic(min(chunk, big - start), start))
        store.write_bars("AAA", "1m", synthetic(small))
        store.write_bars("ZZZ", "1m", synthetic(small))


def check_latest(big: int, n: int):
    expected = synthetic(min(n, big), big - min(n, big))

    def check(bars: Bars) -> None:
        assert len(bars) == len(expected), (len(bars), len(expected))
        assert bars.ts_ns[0] == expected.ts_ns[0] and bars.ts_ns[-1] == expected.ts_ns[-1]
        assert np.array_equal(bars.close, expected.close)
        assert np.array_equal(bars.volume, expected.volume)

    return check


@contextlib.contextmanager
def duckdb_default_memory(store: BarStore):
    """The slow ways sort: they run as a first DuckDB version would, under DuckDB's own
    memory limit (80% of the machine), not the store's small limit for streaming reads."""
    con = store._con
    (kept,) = con.sql("SELECT current_setting('memory_limit')").fetchall()[0]
    con.execute("RESET memory_limit")
    try:
        yield con
    finally:
        con.execute(f"SET memory_limit = '{kept}'")


def slow_order_by(store: BarStore, n: int) -> Bars:
    with duckdb_default_memory(store) as con:
        table_ = con.sql(
            "SELECT * FROM (SELECT ts_ns, open, high, low, close, volume FROM bars WHERE "
            "symbol = 'BIG' AND timeframe = '1m' ORDER BY ts_ns DESC LIMIT ?) ORDER BY ts_ns",
            params=[n],
        ).to_arrow_table()
    return Bars(*(table_.column(i).to_numpy() for i in range(6)))


def slow_rows(store: BarStore, n: int) -> Bars:
    with duckdb_default_memory(store) as con:
        rows = (
            con.sql(
                "SELECT ts_ns, open, high, low, close, volume FROM bars "
                "WHERE symbol = 'BIG' AND timeframe = '1m' ORDER BY ts_ns DESC LIMIT ?",
                params=[n],
            ).fetchall()
        )[::-1]
    cols = list(zip(*rows, strict=True))
    return Bars(np.array(cols[0], np.int64), *(np.array(c, np.float64) for c in cols[1:]))


def memory_probe(path: Path, n: int) -> dict:
    """In a fresh process: peak RSS above the baseline (store open) while loading n bars."""
    code = f"""
import json, numpy as np
from data.store import BarStore
from profiling.timing import peak_rss_mb
store = BarStore({str(path)!r}, read_only=True)
store.count("BIG", "1m")
base = peak_rss_mb()
bars = store.load("BIG", "1m", limit={n})
assert len(bars) == {n} and bool(np.all(bars.ts_ns[1:] > bars.ts_ns[:-1]))
print(json.dumps({{"baseline_mb": base, "peak_mb": peak_rss_mb(), "data_mb": bars.nbytes / 2**20}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def import_memory_probe(path: Path, bad_line: int) -> dict:
    """In a fresh process: peak RSS of importing a CSV whose line `bad_line` is bad (the
    import must name it and store nothing)."""
    code = f"""
import json, tempfile
from pathlib import Path
from data.files.importer import ImportOptions, ImportRejected, import_file
from data.store import BarStore
from profiling.timing import peak_rss_mb
with tempfile.TemporaryDirectory() as tmp:
    store = BarStore(Path(tmp) / "s.duckdb")
    base = peak_rss_mb()
    try:
        import_file(store, Path({str(path)!r}), ImportOptions(symbol="CSV", calendar="24x7"))
        named = False
    except ImportRejected as exc:
        named = exc.report.bad_listed[0][0] == {bad_line} and exc.report.bad_rows == 1
    assert named and store.symbols() == [], "the bad line was not reported, or bars were stored"
    print(json.dumps({{"baseline_mb": base, "peak_mb": peak_rss_mb()}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def write_csv(path: Path, n: int) -> Bars:
    bars = synthetic(n)
    stamps = pa.array(bars.ts_ns).cast(pa.timestamp("ns")).cast(pa.timestamp("s"))
    table_ = pa.table(
        {
            "timestamp": pa.compute.strftime(stamps, format="%Y-%m-%d %H:%M:%S"),
            **{k: bars.columns()[k] for k in ("open", "high", "low", "close", "volume")},
        }
    )
    pcsv.write_csv(table_, path, pcsv.WriteOptions(quoting_style="none"))
    return bars


def slow_csv_import(store: BarStore, path: Path) -> int:
    """Row by row: Python's csv module, float() and datetime parsing per row."""
    ts, cols = [], [[] for _ in range(5)]
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            ts.append(np.datetime64(row[0], "ns").astype(np.int64))
            for k in range(5):
                cols[k].append(float(row[k + 1]))
    bars = Bars.from_arrays(ts, *cols)
    store.write_bars("SLOW", "1m", bars)
    return len(bars)


def main(argv: list[str] | None = None) -> int:
    args = bench_args(__doc__, argv)
    big = 200_000 if args.quick else 10_000_000
    small = 20_000 if args.quick else 200_000
    sizes = [n for n in TARGETS_MS if n <= big]
    csv_rows = 50_000 if args.quick else 1_000_000
    path = args.out / f"bench_store_{big}.duckdb"
    if not path.exists():
        started = time.perf_counter()
        build_store(path, big, small)
        print(f"built {path} ({big + 2 * small:,} bars) in {time.perf_counter() - started:.1f} s")

    rows: list[Stats] = []
    with BarStore(path, read_only=True) as store:
        cold = time.perf_counter()
        check_latest(big, sizes[0])(store.load("BIG", "1m", limit=sizes[0]))
        cold_ms = (time.perf_counter() - cold) * 1e3
        for n in sizes:
            rows.append(
                measure(
                    f"load latest {n:,}",
                    lambda n=n: store.load("BIG", "1m", limit=n),
                    check_latest(big, n),
                    target_ms=None if args.quick else TARGETS_MS[n],
                )
            )
            if n <= 1_000_000:
                rows.append(
                    measure(
                        f"  slow: ORDER BY DESC LIMIT {n:,}",
                        lambda n=n: slow_order_by(store, n),
                        check_latest(big, n),
                        repeat=3,
                    )
                )
            if n <= 100_000:
                rows.append(
                    measure(
                        f"  slow: row-by-row fetch {n:,}",
                        lambda n=n: slow_rows(store, n),
                        check_latest(big, n),
                        repeat=3,
                    )
                )
    memory = memory_probe(path, big)

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "bars.csv"
        expected = write_csv(csv_path, csv_rows)

        def fresh_import() -> Bars:
            db = Path(tmp) / f"import_{time.perf_counter_ns()}.duckdb"
            with BarStore(db) as store:
                import_file(store, csv_path, ImportOptions(symbol="CSV", calendar="24x7"))
                return store.load("CSV", "1m")

        def check_import(bars: Bars) -> None:
            assert bars.equals(expected)

        rows.append(
            measure(
                f"import CSV {csv_rows:,} rows",
                fresh_import,
                check_import,
                repeat=3,
                warmup=0,
                target_ms=None if args.quick else 3000,
            )
        )

        def slow_import() -> Bars:
            db = Path(tmp) / f"slow_{time.perf_counter_ns()}.duckdb"
            with BarStore(db) as store:
                slow_csv_import(store, csv_path)
                return store.load("SLOW", "1m")

        rows.append(
            measure("  slow: csv module row by row", slow_import, check_import, repeat=1, warmup=0)
        )
        big_csv = Path(tmp) / "big.csv"
        write_csv(big_csv, 400_000 if args.quick else 4_000_000)
        with big_csv.open("a") as fh:  # one bad row at the very end
            fh.write("2100-01-01 00:00:00,1,2,3,4,5\n")
        n_lines = (400_000 if args.quick else 4_000_000) + 2
        file_mb = big_csv.stat().st_size / 2**20
        checked = import_memory_probe(big_csv, n_lines)

    print(table(rows))
    print(f"cold first load of {sizes[0]:,}: {cold_ms:.1f} ms")
    extra = memory["peak_mb"] - memory["baseline_mb"]
    print(
        f"peak memory loading {big:,} bars: {extra:.0f} MB above the baseline "
        f"({memory['data_mb']:.0f} MB of columns; target <= 600 MB)"
    )
    print(
        f"peak memory checking a {file_mb:.0f} MB CSV (bad row at its end): "
        f"{checked['peak_mb']:.0f} MB, {checked['peak_mb'] / file_mb:.1f}x the file "
        f"({checked['baseline_mb']:.0f} MB before it; target < 3x)"
    )
    for n in sizes:
        fast = next(r for r in rows if r.name == f"load latest {n:,}")
        slow = next((r for r in rows if r.name == f"  slow: ORDER BY DESC LIMIT {n:,}"), None)
        if slow is not None:
            print(f"speed-up over ORDER BY at {n:,}: {slow.p50_ms / fast.p50_ms:.1f}x (p50)")
    report = {
        "benchmarks": [dataclasses.asdict(r) for r in rows],
        "cold_first_load_ms": cold_ms,
        "memory": memory,
        "import_check_memory": {**checked, "file_mb": file_mb},
    }
    (args.out / ("bench_store_quick.json" if args.quick else "bench_store.json")).write_text(
        json.dumps(report, indent=2)
    )
    failed = [r.name for r in rows if r.ok is False]
    if not args.quick and extra > 600:
        failed.append("peak memory")
    if not args.quick and checked["peak_mb"] > 3 * file_mb:
        failed.append("import check memory")
    if failed:
        print("over target: " + ", ".join(failed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
