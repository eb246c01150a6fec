"""Killing the app loses no sealed bar older than about a second."""

import json
import signal
import time

import numpy as np

from data.store import BarStore
from tests.conftest import NS_PER_MIN
from tests.headless import demo_ending_now, start_script

CHILD = """
import json, os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6 import QtCore
from app.live import LiveSession
from data.feeds.kinds import FeedKind
from data.feeds.port import FeedSettings
from data.store import BarStore
app = QtCore.QCoreApplication([])
store = BarStore(sys.argv[1])
session = LiveSession(store, "AAA", FeedSettings(FeedKind.SIMULATED, rate=50.0,
                                                 time_scale=120.0))
session.start()
def report():
    sealed = session.builder.sealed("1m")
    print(json.dumps({"t": time.time(), "sealed_ns": int(sealed.ts_ns[-1])}), flush=True)
timer = QtCore.QTimer()
timer.timeout.connect(report)
timer.start(100)
app.exec()
"""


def test_sealed_bars_survive_a_kill(tmp_path):
    path = tmp_path / "store.duckdb"
    now_min = demo_ending_now(path, 500)
    with start_script(CHILD, path) as child:
        reports = []
        deadline = time.time() + 60
        first_new = None  # when the first bar after the stored ones was sealed
        while time.time() < deadline:
            reports.append(json.loads(child.stdout.readline()))
            if first_new is None and reports[-1]["sealed_ns"] > now_min:
                first_new = reports[-1]["t"]
            if (reports[-1]["sealed_ns"] >= now_min + 4 * NS_PER_MIN  # 120x: ~2 s of feed
                    and first_new is not None and reports[-1]["t"] > first_new + 1.5):  # fmt: skip
                break  # a bar sealed more than a second before the kill is new
        child.send_signal(signal.SIGKILL)
        killed_at = time.time()
        child.wait(timeout=30)
        child.stdout.read()
    promised = max(r["sealed_ns"] for r in reports if r["t"] <= killed_at - 1.0)
    with BarStore(path) as store:
        stored = store.load("AAA", "1m")
    assert promised > now_min and promised in stored.ts_ns
    assert np.all(np.diff(stored.ts_ns) > 0)
