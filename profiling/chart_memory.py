"""The memory a chart holds: RSS of a fresh process with a chart of each size open (ours, or
the whole history in a QPicture), measured from /proc."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MEMORY_PROBE = """
import json, os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import pyqtgraph as pg
from profiling.bench_chart import open_chart
from profiling.qt_frames import app, frame
from profiling.chart_slow_ways import PictureCandles
from profiling.timing import peak_rss_mb
from data.store import BarStore
app()
store = BarStore(sys.argv[1], read_only=True)
store.count("BIG", "1m")
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
base = rss()
n = int(sys.argv[2])
started = time.perf_counter()
if sys.argv[3] == "ours":
    chart, _ = open_chart(store, n)
    opened_ms = (time.perf_counter() - started) * 1e3
    chart.pan(-0.5)
else:
    bars = store.load("BIG", "1m", limit=n)
    chart = pg.PlotWidget()
    chart.addItem(PictureCandles(bars))
    chart.resize(1600, 900)
    chart.show()
    app().processEvents()
    opened_ms = (time.perf_counter() - started) * 1e3
frame(chart)
print(json.dumps({"baseline_mb": base, "rss_mb": rss(), "peak_mb": peak_rss_mb(),
                  "data_mb": n * 48 / 2**20, "first_open_ms": opened_ms}))
"""


def bench_memory(path: Path, sizes, way: str = "ours") -> dict:
    """RSS of a fresh process with a chart of each size open: our chart, or ("picture") the
    whole history recorded in a QPicture. Also how long that first chart took to open (one
    run: no memory of an earlier series to reuse, the first paint of the process)."""
    out = {}
    for n in sizes:
        result = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(path), str(n), way],
                                capture_output=True, text=True, check=True)  # fmt: skip
        out[n] = json.loads(result.stdout)
    return out
