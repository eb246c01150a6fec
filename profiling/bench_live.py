"""Live terminal benchmark: the real main window (offscreen) with the simulated feed, the 2x2
grid (1m, 5m, 1h, 1d) and 4 indicators from the worker process.

- steady: 10k ticks/s; UI frame time (build + paint) and tick-to-screen latency;
- burst: 100k ticks/s for 10 s; the worst frame, the ring's backlog, and how long after the
  burst until every tick is on screen;
- soak: 1k ticks/s for 10 minutes; resident memory growth after the first minute;
- cold start: `candleterm` on an existing store, process start to its first painted chart
  and to the first live frame.

Against the slow way: one model update and repaint per tick instead of one per frame
(measured on the same window for a short stretch).

    python -m profiling.bench_live [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6 import QtCore, QtWidgets

from profiling.timing import Stats, bench_args, summarize, table

SYMBOL = "BTCUSD"  # 24x7: the simulated feed trades whatever the weekday
INDICATORS = ("sma", "ema", "bollinger", "rsi")
FRAME_TARGET_MS = 16.0
LATENCY_TARGET_MS = {"p50": 20.0, "p99": 40.0}


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def make_store(path: Path, years: float) -> None:
    from app.live import LIVE_TIMEFRAMES
    from data.demo import DEMO_INSTRUMENTS, create_demo_store
    from data.store import BarStore
    from data.store.derived import derive_timeframes

    with BarStore(path) as store:
        btc = [d for d in DEMO_INSTRUMENTS if d.symbol == SYMBOL]
        create_demo_store(store, time.time_ns(), years=years, instruments=tuple(btc))
        derive_timeframes(store, SYMBOL, LIVE_TIMEFRAMES)


def args_for(rate: float) -> argparse.Namespace:
    """The command line's options (every one, from its own parser) for a simulated feed."""
    from app.cli import build_parser

    return build_parser().parse_args(["--symbol", SYMBOL, "--theme", "dark", "--feed",
                                      "simulated", "--feed-rate", f"{rate:g}",
                                      "--feed-port", "0"])  # fmt: skip


def run_loop(seconds: float, every_s: float | None = None, sample=None) -> None:
    """Run the Qt event loop for `seconds` (calling `sample()` every `every_s`)."""
    app = QtWidgets.QApplication.instance()
    loop = QtCore.QEventLoop()
    timer = None
    if sample is not None:
        timer = QtCore.QTimer()
        timer.timeout.connect(sample)
        timer.start(int(every_s * 1000))
    QtCore.QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    if timer is not None:
        timer.stop()
    app.processEvents()


def check_consistent(running) -> None:
    """The charts show what the builder built: each model's last bars are the builder's."""
    session = running.controller.session
    for tf, model in session.models.items():
        built = session.builder.bars(tf)
        n = min(len(built), 50)
        for column in ("ts_ns", "open", "high", "low", "close", "volume"):
            got = model.column(column)[-n:]
            assert np.array_equal(got, getattr(built, column)[-n:]), (tf, column)


def start(db: Path, rate: float):
    from app.gui import build_app

    running = build_app(db, args_for(rate))
    running.window.resize(1600, 900)
    running.controller.set_layout("grid")
    for key in INDICATORS:
        running.controller.add_indicator(key)
    running.controller.indicators.wait_idle()
    return running


def steady(db: Path, seconds: float, rate: float = 10_000) -> tuple[list[Stats], dict]:
    running = start(db, rate)
    session = running.controller.session
    try:
        run_loop(1.0)  # warm-up
        session.frame_log.clear()
        session.latency_log.clear()
        ticks0 = session.pipeline.ticks
        run_loop(seconds)
        ticks = session.pipeline.ticks - ticks0
        frames, latency = list(session.frame_log), list(session.latency_log)
        check_consistent(running)
        assert ticks > 0.3 * rate * seconds, f"only {ticks} ticks in {seconds} s at {rate}/s"
        assert len(latency) > 10 * seconds, "too few frames reached the screen"
    finally:
        running.close()
    name = f"steady {rate / 1000:g}k ticks/s"
    rows = [
        summarize(f"{name}: frame", frames, FRAME_TARGET_MS, "p99"),
        summarize(f"{name}: tick-to-screen", latency, LATENCY_TARGET_MS["p99"], "p99"),
        summarize(f"{name}: tick-to-screen", latency, LATENCY_TARGET_MS["p50"], "p50"),
    ]
    return rows, {"ticks_per_s": ticks / seconds, "frames": len(frames)}


def per_tick_baseline(db: Path, ticks: int) -> Stats:
    """The slow way: every tick updates the models and waits for the repaint on its own."""
    running = start(db, 10)
    app = QtWidgets.QApplication.instance()
    try:
        session = running.controller.session
        session.pause()
        run_loop(0.5)
        models = list(session.models.values())
        columns = ("ts_ns", "open", "high", "low", "close", "volume")
        forming = {m.timeframe: [m.column(c)[-1] for c in columns] for m in models}
        painted = []
        for chart in running.controller.charts:
            chart.painted.connect(painted.append)
        times = []
        for k in range(ticks):
            started = time.perf_counter()
            painted.clear()
            for model in models:
                row = forming[model.timeframe]
                model.update_last((row[0], row[1], row[2] + (k % 7) * row[2] * 1e-4, row[3],
                                   row[4], row[5]))  # fmt: skip
            while len(painted) < len(running.controller.charts):
                app.processEvents()
            times.append((time.perf_counter() - started) * 1000)
        return summarize("slow: repaint per tick (ms per tick)", times, judged="p50")
    finally:
        running.close()


def burst(db: Path, seconds: float) -> tuple[list[Stats], dict]:
    running = start(db, 100)
    session = running.controller.session
    market = session.feed.source
    backlog = []
    try:
        run_loop(1.0)
        session.frame_log.clear()
        market.set_rate(100_000)
        run_loop(seconds, 0.05, lambda: backlog.append(len(session.ring)))
        frames = list(session.frame_log)
        market.set_rate(10)
        ended = time.perf_counter()
        session.latency_log.clear()
        app = QtWidgets.QApplication.instance()
        while len(session.ring) or not session.latency_log:
            app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)
            assert time.perf_counter() - ended < 30, "never caught up"
        caught_up_ms = (time.perf_counter() - ended) * 1000
        check_consistent(running)
        assert session.feed.counters.dropped == 0
    finally:
        running.close()
    rows = [
        summarize("burst 100k ticks/s: frame", frames, 50.0, "max"),
        Stats(
            "burst: caught up after",
            1,
            caught_up_ms,
            caught_up_ms,
            caught_up_ms,
            1000.0,
            judged="max",
        ),
    ]
    return rows, {"backlog_max_ticks": int(max(backlog, default=0))}


def soak(db: Path, seconds: float) -> tuple[list[Stats], dict]:
    running = start(db, 1000)
    samples: list[tuple[float, float]] = []
    started = time.perf_counter()
    try:
        run_loop(seconds, 1.0, lambda: samples.append((time.perf_counter() - started, rss_mb())))
        check_consistent(running)
    finally:
        running.close()
    settle = seconds / 10 if seconds < 600 else 60.0
    after = [mb for t, mb in samples if t >= settle]
    growth = after[-1] - after[0]
    return [Stats(f"soak 1k ticks/s {seconds:g} s: RSS growth MB", 1, growth, growth, growth,
                  20.0, judged="max")], {"rss_mb": samples}  # fmt: skip


CHILD = """
import sys
import os
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from pathlib import Path
from PySide6 import QtWidgets
from app.gui import build_app
from profiling.bench_live import args_for
from widgets.chart import ChartWidget
painted = []
paint = ChartWidget.paintEvent
def first_paint(self, event):  # the first chart paint, wherever it happens
    paint(self, event)
    if not painted:
        painted.append(self)
        # compiled code (numba) loads after it: the session's start, a grid, an indicator
        print("first painted chart", "numba" in sys.modules, flush=True)
ChartWidget.paintEvent = first_paint
running = build_app(Path(sys.argv[1]), args_for(1000))
chart = running.controller.chart
session = running.controller.session
app = QtWidgets.QApplication.instance()
while not painted:
    app.processEvents()
assert len(chart.model) > 0 and chart.price.view.viewRange()[1][1] > 0
while not session.latency_log:
    app.processEvents()
print("first live frame", flush=True)
running.close()
"""


def cold_start(db: Path, runs: int) -> list[Stats]:
    """`candleterm` on an existing store, from the process's start (the interpreter's
    included) to the first paint of its chart, and to the first frame with a live tick."""
    painted, live = [], []
    for _ in range(runs):
        started = time.perf_counter()
        with subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "HOME": str(db.parent)},
        ) as child:
            line = child.stdout.readline()
            painted.append((time.perf_counter() - started) * 1000)
            assert line.startswith("first painted chart"), f"the app said {line!r}"
            assert line.split()[-1] == "False", "numba was loaded before the first paint"
            line = child.stdout.readline()
            live.append((time.perf_counter() - started) * 1000)
            assert line.startswith("first live frame"), f"the app said {line!r}"
            child.stdout.read()
            assert child.wait(timeout=120) == 0, "the app failed"
    return [summarize("cold start to the first painted chart", painted, 1000.0, "p50"),
            summarize("cold start to the first live frame", live, 1500.0, "p50")]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = bench_args(__doc__, argv)
    QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    q = args.quick
    report: dict = {}
    rows: list[Stats] = []
    with tempfile.TemporaryDirectory() as tmp:
        # the app remembers its choices: keep the benchmark's out of the user's settings
        QtCore.QSettings.setPath(QtCore.QSettings.Format.NativeFormat,
                                 QtCore.QSettings.Scope.UserScope, tmp)  # fmt: skip
        db = Path(tmp) / "live.duckdb"
        make_store(db, 0.05 if q else 2.0)
        for name, (part, extra) in (
            ("steady", steady(db, 2.0 if q else 10.0)),
            ("burst", burst(db, 2.0 if q else 10.0)),
            ("soak", soak(db, 6.0 if q else 600.0)),
        ):
            rows += part
            report[name] = extra
        rows.append(per_tick_baseline(db, 20 if q else 200))
        rows += cold_start(db, 1 if q else 5)
    print(table(rows))
    frame_p50 = rows[0].p50_ms
    print(
        f"\none frame for all ticks vs a repaint per tick: a 10k ticks/s frame costs "
        f"{frame_p50:.2f} ms; per tick it would be {rows[-3].p50_ms:.2f} ms x 166 ticks"
    )
    report["benchmarks"] = [dataclasses.asdict(r) for r in rows]
    name = "bench_live_quick.json" if q else "bench_live.json"
    (args.out / name).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
