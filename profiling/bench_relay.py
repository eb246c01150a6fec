"""The store while the terminal runs: `candleterm export` of 1,000,000 bars with the terminal
closed (the command opens the store itself) and with a terminal running on the store, live
at 10,000 ticks a second (the command is relayed to it); target: at most 2x the closed time,
and the terminal's frames p99 <= 16 ms meanwhile (every frame of the seconds the exports ran,
as the terminal's status figures report them).

    python -m profiling.bench_relay [--quick] [--out DIR]

Checked beside the timing: every export holds the 1,000,000 bars stored (their times and
closes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from app.cli import main as cli
from data.store import BarStore
from data.store.provenance import DEMO, Source, SourceKind
from engine.units import NS_PER_MIN
from profiling.bench_store import synthetic
from profiling.timing import bench_args, summarize, table
from tests.headless import TERMINAL_SCRIPT

TERMINAL = (
    TERMINAL_SCRIPT
    + """
window.resize(1600, 900)
window.show()
controller = ChartController(store, window, None, settings, feed_rate=10000.0)
controller.feed = FeedKind.SIMULATED
def on_stats(s):  # the status bar's figures, each second, also to the benchmark
    controller._on_stats(s)
    print(json.dumps({"frames": list(s.frames_ms), "ticks": s.ticks_per_s}), flush=True)
controller.live._on_stats = on_stats
controller.start("LIVE")
relay = AppRelay(store, controller)
print(json.dumps({"ready": True}), flush=True)
app.exec()
"""
)


def exports(db: Path, out: Path, repeat: int, n: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        assert cli(["export", "BIG", str(out), "--db", str(db)]) == 0
        times.append((time.perf_counter() - started) * 1e3)
        got = pq.read_table(out)
        assert got.num_rows == n, got.num_rows
        want = synthetic(n)
        assert np.array_equal(got.column("ts").cast(pa.int64()).to_numpy(), want.ts_ns)
        assert np.array_equal(got.column("close").to_numpy(), want.close)
    return times


def main(argv: list[str] | None = None) -> int:
    args = bench_args(__doc__, argv)
    n = 200_000 if args.quick else 1_000_000
    repeat = 3 if args.quick else 5
    work = Path(tempfile.mkdtemp(prefix="candleterm-relay-"))
    db = work / "store.duckdb"
    now_min = time.time_ns() // NS_PER_MIN * NS_PER_MIN
    with BarStore(db) as store:
        store.write_bars("BIG", "1m", synthetic(n), source=Source(SourceKind.IMPORT, "bench"))
        from tests.conftest import make_bars

        store.write_bars("LIVE", "1m", make_bars(5000, start_ns=now_min - 5000 * NS_PER_MIN),
                         source=DEMO)  # fmt: skip
    out = work / "big.parquet"
    closed = exports(db, out, repeat, n)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    terminal = subprocess.Popen([sys.executable, "-c", TERMINAL, str(db),
                                 str(work / "settings.ini")], stdout=subprocess.PIPE,
                                text=True, env=env)  # fmt: skip
    lines: list[tuple[float, dict]] = []

    def read() -> None:  # each line with when it came
        lines.extend((time.time(), json.loads(line)) for line in terminal.stdout)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:  # the terminal goes whatever fails (it would live on, busy, and skew other runs)
        while not any("ready" in m for _, m in lines):
            time.sleep(0.05)
        time.sleep(1.0)  # the session live, its ticks flowing
        quiet_from = time.time()
        time.sleep(3.0)  # its frames before any export, to compare
        started = time.time()
        relayed = exports(db, out, repeat, n)
        ended = time.time()
        time.sleep(1.2)
    finally:
        terminal.terminate()
        terminal.wait(timeout=30)
    during = [f for t, m in lines if "frames" in m and started <= t <= ended + 1
              for f in m["frames"]]  # fmt: skip
    before = [f for t, m in lines if "frames" in m and quiet_from <= t < started
              for f in m["frames"]]  # fmt: skip
    ticks = [m["ticks"] for t, m in lines if "ticks" in m and started <= t <= ended + 1]
    rows = [
        summarize(f"export {n:,} bars, terminal closed (ms)", closed),
        summarize(f"export {n:,} bars, relayed to a live terminal (ms)", relayed),
        summarize("the terminal's frames meanwhile (ms)", during, 16.0, "p99"),
        summarize("  the terminal's frames before, no export (ms)", before),
    ]
    print(table(rows))
    ratio = rows[1].p50_ms / rows[0].p50_ms
    print(f"\nrelayed / closed: {ratio:.2f}x (target <= 2x: {'met' if ratio <= 2 else 'NOT met'});"
          f" ticks/s meanwhile {np.median(ticks) if ticks else 0:,.0f}")  # fmt: skip
    (args.out / "relay.json").write_text(json.dumps({"ratio": ratio, "frames": during}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
