"""A logout or `kill` (SIGTERM) closes the terminal as File > Quit does: it ended the
process where it stood, its store left locked-open until the process was gone and the
live bars of the last second unwritten."""

import os
import signal
import subprocess
import sys
import time

from data.store import BarStore
from data.store.relay import socket_path
from tests.conftest import make_bars


def test_sigterm_closes_the_terminal_cleanly(tmp_path):
    path = tmp_path / "store.duckdb"
    with BarStore(path) as store:
        store.write_bars("AAA", "1m", make_bars(500))
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "QT_QPA_PLATFORM": "offscreen",
           "XDG_CONFIG_HOME": str(tmp_path / "config")}  # fmt: skip
    child = subprocess.Popen([sys.executable, "-m", "app", "--db", str(path), "--feed", "off"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.time() + 60
        while not socket_path(path).exists():  # the terminal answers on its store: it runs
            assert child.poll() is None and time.time() < deadline, child.stderr.read()
            time.sleep(0.1)
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=30) == 0  # it was -15: killed by the signal
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    assert not socket_path(path).exists()  # closed as it closes on Quit
    with BarStore(path) as store:  # and the store is free
        assert store.count("AAA", "1m") == 500
