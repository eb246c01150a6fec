"""The start of a script that runs a real terminal (window, controller, store) headless in a
child process, for tests and benchmarks that need the store held by another process, or the
process killed: argv[1] the store file, argv[2] the settings file. What follows builds the
controller and runs `app.exec()`."""

import os
import subprocess
import sys
import time
from pathlib import Path

from data.store import BarStore
from data.store.provenance import DEMO
from engine.units import NS_PER_MIN
from tests.conftest import make_bars

TERMINAL_SCRIPT = """
import json, os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6 import QtCore, QtWidgets
app = QtWidgets.QApplication([])
from app.controller import ChartController
from app.main_window import MainWindow
from app.relay import AppRelay
from data.feeds.kinds import FeedKind
from data.store import BarStore
store = BarStore(sys.argv[1])
settings = QtCore.QSettings(sys.argv[2], QtCore.QSettings.Format.IniFormat)
window = MainWindow()
"""


def demo_ending_now(path: Path, n_bars: int) -> int:
    """A store at `path` holding `n_bars` demo 1m bars of AAA up to the current minute (a
    simulated feed goes on from them); that minute, in ns."""
    now_min = time.time_ns() // NS_PER_MIN * NS_PER_MIN
    with BarStore(path) as store:
        store.write_bars("AAA", "1m", make_bars(n_bars, start_ns=now_min - n_bars * NS_PER_MIN),
                         source=DEMO)  # fmt: skip
    return now_min


def start_script(script: str, *args) -> subprocess.Popen:
    """`script` run by this Python in a child process that imports this checkout, with
    `args` as its argv[1:]; its stdout read as text."""
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)],
                            stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
