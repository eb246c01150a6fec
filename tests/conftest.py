import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import numpy as np
import pytest

from engine.bars import Bars
from engine.units import NS_PER_MIN

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
T0_NS = int(np.datetime64("2024-01-02T00:00", "ns").astype(np.int64))


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"real market data folder {REALDATA} is absent")
    return REALDATA


def make_bars(n: int, start_ns: int = T0_NS, step_ns: int = NS_PER_MIN, seed: int = 0) -> Bars:
    """Valid random-walk bars, one every step_ns."""
    rng = np.random.default_rng(seed)
    close = 100.0 + np.cumsum(rng.normal(0, 0.1, n))
    open_ = np.concatenate(([100.0], close[:-1]))
    high = np.maximum(open_, close) + rng.uniform(0, 0.05, n)
    low = np.minimum(open_, close) - rng.uniform(0, 0.05, n)
    ts = start_ns + np.arange(n, dtype=np.int64) * step_ns
    return Bars.from_arrays(ts, open_, high, low, close, rng.uniform(1, 10, n).round())


def write_demo_to_now(store, symbols, n: int) -> None:
    """`n` demo 1m bars of each symbol, up to the current minute (a simulated feed goes on
    from there)."""
    import time

    from data.store.provenance import DEMO

    now_min = time.time_ns() // NS_PER_MIN * NS_PER_MIN
    for k, symbol in enumerate(symbols):
        bars = make_bars(n, start_ns=now_min - n * NS_PER_MIN, seed=k)
        store.write_bars(symbol, "1m", bars, source=DEMO)


@pytest.fixture
def store(tmp_path):
    from data.store import BarStore

    s = BarStore(tmp_path / "store.duckdb")
    yield s
    s.close()


@pytest.fixture(autouse=True, scope="session")
def _private_settings(tmp_path_factory):
    """The app remembers choices in QSettings: keep the tests' out of the user's."""
    from PySide6 import QtCore

    path = str(tmp_path_factory.mktemp("settings"))
    for fmt in (QtCore.QSettings.Format.NativeFormat, QtCore.QSettings.Format.IniFormat):
        QtCore.QSettings.setPath(fmt, QtCore.QSettings.Scope.UserScope, path)


@pytest.fixture
def settings(tmp_path):
    """The app's remembered choices, in a file of the test's own."""
    from PySide6 import QtCore

    return QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot):
    from app.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    return w


def offline(store, window, settings, worker=None, ask=None):
    """The window's controller on `store` with the feed off (history only)."""
    from app.controller import ChartController
    from data.feeds.kinds import FeedKind

    controller = ChartController(store, window, worker, settings, ask_parameters=ask)
    controller.feed = FeedKind.OFF
    return controller


@pytest.fixture
def make_chart(qtbot):
    """`make(bars, ...)`: a chart of `bars` shown on its own, at a size."""
    from widgets.chart import ChartWidget
    from widgets.series_model import SeriesModel
    from widgets.theme import DARK

    def make(bars: Bars, cls=None, tz="UTC", width=800, height=600, timeframe="1m",
             calendar=None):  # fmt: skip
        chart = (cls or ChartWidget)(SeriesModel("X", timeframe, tz, bars, calendar), DARK)
        chart.resize(width, height)
        qtbot.addWidget(chart)
        chart.show()
        qtbot.waitExposed(chart)
        return chart

    return make


@pytest.fixture(scope="session")
def local_s3():
    """A local S3 server (moto) for the session; `.bucket()` gives a new store address."""
    from tests.s3_server import LocalS3

    server = LocalS3()
    yield server
    server.stop()
