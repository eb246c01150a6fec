import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from engine import indicators as ind
from engine.indicators.registry import spec
from engine.shm import PREFIX, BarReader, BarSegment, ResultSegment, remove_orphans
from engine.worker import IndicatorReply, IndicatorRequest, IndicatorWorker
from tests.conftest import make_bars

SHM = Path("/dev/shm")


def ours() -> set[str]:
    return {p.name for p in SHM.glob(f"{PREFIX}{os.getpid()}_*")}


@pytest.fixture
def no_leaks():
    before = ours()
    yield
    assert ours() <= before, f"segments left behind: {sorted(ours() - before)}"


@pytest.fixture
def worker(no_leaks):
    w = IndicatorWorker(timeout_s=5.0)
    w.start()
    yield w
    w.stop()


class Series:
    """A published series and the result segments of its indicators (the GUI side)."""

    def __init__(self, bars, key="ES 1m"):
        self.key = key
        self.segment = BarSegment(len(bars) + 100)
        self.version = self.segment.publish(bars)
        self.results = {}
        self.ids = iter(range(1, 10_000))

    def request(self, indicator, **params):
        if indicator not in self.results:
            outputs = len(spec(indicator).outputs)
            self.results[indicator] = ResultSegment(self.segment.capacity, outputs)
        result = self.results[indicator]
        return IndicatorRequest(next(self.ids), self.key, self.segment.name, self.version,
                                indicator, tuple(sorted(params.items())), result.name)  # fmt: skip

    def close(self):
        for result in self.results.values():
            result.close()
        self.segment.close()


def wait_for(worker, request_id, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for reply in worker.poll(0.05):
            if reply.request_id == request_id:
                return reply
    pytest.fail(f"no reply to request {request_id} within {seconds} s")


def test_segment_round_trip_and_seqlock(no_leaks):
    bars = make_bars(1000)
    segment = BarSegment(2000)
    try:
        assert segment.publish(bars) == 1
        reader = BarReader(segment.name)
        seq = reader.begin()
        view = reader.bars()
        assert view.equals(bars) and reader.still_valid(seq)
        assert np.shares_memory(view.close, reader.bars().close)  # zero copy
        segment.publish(make_bars(1001), first_changed=999)
        assert not reader.still_valid(seq)
        assert BarReader.version_of(reader.begin()) == 2 and len(reader.bars()) == 1001
        reader.close()
        with pytest.raises(ValueError, match="do not fit"):
            segment.publish(make_bars(2001))
    finally:
        segment.close()


def test_worker_round_trip(worker):
    bars = make_bars(20_000)
    series = Series(bars)
    try:
        for name, params in (("rsi", {"period": 14}), ("macd", {}), ("bollinger", {})):
            request = series.request(name, **params)
            worker.submit(request)
            reply = wait_for(worker, request.request_id)
            assert reply.status == "ok" and reply.length == len(bars)
            got = series.results[name].outputs(reply.length)
            want = spec(name).run(bars, None, **params)
            for k, output in enumerate(spec(name).outputs):
                np.testing.assert_array_equal(got[k], want[output])
        np.testing.assert_array_equal(series.results["rsi"].outputs(len(bars))[0],
                                      ind.rsi(bars.close, 14))  # fmt: skip
    finally:
        series.close()


def test_descriptors_are_small_whatever_the_length(worker):
    series = Series(make_bars(200_000))
    try:
        request = series.request("macd", fast=12, slow=26, signal=9)
        worker.submit(request)
        reply = wait_for(worker, request.request_id)
        assert len(pickle.dumps(request)) <= 1024 and len(pickle.dumps(reply)) <= 1024
    finally:
        series.close()


def test_results_for_an_older_version_are_discarded(worker):
    bars = make_bars(5_000)
    series = Series(bars)
    try:
        request = series.request("sma", period=20)
        worker.submit(request)
        series.version = series.segment.publish(make_bars(5_001), first_changed=4_999)
        worker.published(series.key, series.version)
        assert worker.poll(5.0) == []
        assert worker.counters.stale_discarded == 1 and worker.counters.delivered == 0
        fresh = series.request("sma", period=20)
        worker.submit(fresh)
        assert wait_for(worker, fresh.request_id).length == 5_001
    finally:
        series.close()


def test_a_killed_worker_is_restarted_and_the_result_arrives(worker):
    bars = make_bars(3_000_000)
    series = Series(bars)
    try:
        request = series.request("trend")
        worker.submit(request)
        time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)  # mid-task
        killed_at = time.monotonic()
        reply = wait_for(worker, request.request_id)
        assert reply.status == "ok" and worker.counters.restarts == 1
        assert time.monotonic() - killed_at < 10
        np.testing.assert_array_equal(
            series.results["trend"].outputs(len(bars))[0][-1000:],
            ind.trend_state(bars.high, bars.low, bars.close)[-1000:],
        )
    finally:
        series.close()


def test_a_hung_worker_times_out_and_is_replaced(no_leaks):
    worker = IndicatorWorker(timeout_s=1.0)
    worker.start()
    series = Series(make_bars(1000))
    try:
        request = series.request("ema", period=10)
        os.kill(worker.pid, signal.SIGSTOP)
        worker.submit(request)
        reply = wait_for(worker, request.request_id)
        assert reply.status == "ok" and worker.counters.timeouts == 1
    finally:
        worker.stop()
        series.close()


def test_errors_come_back_as_replies(worker):
    series = Series(make_bars(100))
    try:
        request = series.request("sma", period=20)
        bad = IndicatorRequest(99, series.key, series.segment.name, series.version, "sma",
                               (("period", 0),), request.result_segment)  # fmt: skip
        worker.submit(bad)
        reply = wait_for(worker, 99)
        assert reply.status == "error" and "period 0" in reply.message
        assert isinstance(reply, IndicatorReply) and worker.counters.errors == 1
    finally:
        series.close()


def test_orphans_of_a_dead_process_are_removed():
    code = textwrap.dedent(
        """
        import os, signal
        from multiprocessing import resource_tracker
        from engine.shm import BarSegment
        segment = BarSegment(10)
        # As if the resource tracker died too (a killed process group): nobody cleans up.
        resource_tracker.unregister("/" + segment.name, "shared_memory")
        print(segment.name, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    name = result.stdout.strip()
    assert (SHM / name).exists()
    assert name in remove_orphans()
    assert not (SHM / name).exists()
