"""The fake exchange (tests/fake_exchange.py) in a process of its own, as an exchange is:
for benchmarks, where a fake in the client's process would share its interpreter lock and be
timed together with it.

    python -m tests.fake_exchange_process KLINES.npz   (prints its port; stops at EOF)
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

from engine.bars import Bars


class FakeBinanceProcess:
    """FakeBinance serving `klines` from a child process, until `stop()`."""

    def __init__(self, klines: Bars) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="candleterm-fake-"))
        path = self._dir / "klines.npz"
        np.savez(path, **klines.columns())
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.fake_exchange_process", str(path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        line = self._process.stdout.readline()
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError(f"the fake exchange's process did not start: {line!r}")
        self.port = int(line)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def serving_s(self) -> float:
        """The time its klines replies took it to make, so far."""
        return self._serving()["serving_s"]

    @property
    def cpu_s(self) -> float:
        """The CPU time its process has taken, so far: its HTTP server's work as well."""
        return self._serving()["cpu_s"]

    def _serving(self) -> dict:
        with urllib.request.urlopen(self.url + "/fake/serving", timeout=10) as reply:
            return json.loads(reply.read())

    def stop(self) -> None:
        try:
            self._process.stdin.close()
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        finally:
            self._process.stdout.close()  # left open, it warned when collected (an error
            # in the tests)
            shutil.rmtree(self._dir, ignore_errors=True)


def main(path: str) -> None:
    from tests.fake_exchange import FakeBinance

    with np.load(path) as columns:
        klines = Bars.from_arrays(*(columns[c] for c in ("ts_ns", "open", "high", "low",
                                                         "close", "volume")))  # fmt: skip
    fake = FakeBinance(klines)
    # What the server holds from its start (the klines' columns, aiohttp, its imports) is
    # not scanned by every full collection: those pauses, 40 ms every 145 pages of a year's
    # fetch, are the fake's own cost, and half of each fell outside its timed serving.
    gc.freeze()
    print(fake.port, flush=True)
    sys.stdin.read()  # until the parent closes it
    fake.stop()


if __name__ == "__main__":
    main(sys.argv[1])
