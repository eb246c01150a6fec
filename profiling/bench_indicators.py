"""Indicator benchmark: the 9 indicators in the worker over 1M and 10M bars, incremental
updates on a tick, shared memory versus pickling columns through a queue, the chart's frame
time while the worker computes, and the worker's restart after a kill.

    python -m profiling.bench_indicators [--quick] [--out DIR]
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import signal
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

from engine.bars import COLUMNS, Bars
from engine.indicators.registry import REGISTRY, spec
from engine.shm import BarReader, BarSegment, ResultSegment
from engine.units import NS_PER_MIN
from engine.worker import IndicatorRequest, IndicatorWorker
from profiling.timing import Stats, bench_args, measure, summarize, table


def random_bars(n: int, seed: int = 3) -> Bars:
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 0.1, n))
    open_ = np.concatenate(([100.0], close[:-1]))
    high = np.maximum(open_, close) + rng.uniform(0, 0.05, n)
    low = np.minimum(open_, close) - rng.uniform(0, 0.05, n)
    ts = 1_600_000_000_000_000_000 + np.arange(n, dtype=np.int64) * NS_PER_MIN
    return Bars(ts, open_, high, low, close, rng.uniform(1, 10, n))


class Published:
    """Bars in a segment, with one result segment per indicator (the GUI side)."""

    def __init__(self, bars: Bars) -> None:
        self.bars = bars
        self.segment = BarSegment(len(bars))
        self.version = self.segment.publish(bars)
        self.results = {k: ResultSegment(len(bars), len(s.outputs)) for k, s in REGISTRY.items()}
        self._ids = iter(range(1, 1 << 30))

    def requests(self) -> list[IndicatorRequest]:
        return [IndicatorRequest(next(self._ids), "bench", self.segment.name, self.version, key,
                                 (), self.results[key].name) for key in REGISTRY]  # fmt: skip

    def close(self) -> None:
        for result in self.results.values():
            result.close()
        self.segment.close()


def run_all(worker: IndicatorWorker, published: Published, timeout_s: float = 120.0):
    requests = published.requests()
    for request in requests:
        worker.submit(request)
    pending = {r.request_id for r in requests}
    replies = []
    deadline = time.monotonic() + timeout_s
    while pending and time.monotonic() < deadline:
        for reply in worker.poll(0.01):
            pending.discard(reply.request_id)
            replies.append(reply)
    assert not pending, "the worker did not answer"
    return replies


def check_results(published: Published, replies) -> None:
    assert all(r.status == "ok" for r in replies), [r.message for r in replies]
    for key, indicator in REGISTRY.items():
        if key == "vwap":
            continue  # session-anchored: its last value depends on where sessions start
        got = published.results[key].outputs(len(published.bars))[:, -1]
        want = indicator.run(
            published.bars[len(published.bars) - 200_000 :]
            if len(published.bars) > 200_000
            else published.bars,
            None,
        )
        expected = np.array([want[name][-1] for name in indicator.outputs])
        np.testing.assert_allclose(got, expected, rtol=1e-6, err_msg=key)  # fmt: skip


def bench_worker(rows, worker, n: int, target_ms: float | None) -> None:
    published = Published(random_bars(n))
    try:
        rows.append(measure(f"9 indicators in the worker, {n:,} bars", lambda: run_all(
            worker, published), lambda replies: check_results(published, replies), repeat=5,
            target_ms=target_ms))  # fmt: skip
    finally:
        published.close()


def bench_incremental(rows) -> None:
    bars = random_bars(5000)
    live = {key: spec(key).start() for key in REGISTRY}
    for i in range(len(bars) - 1):
        for state in live.values():
            state.seal(bars.high[i], bars.low[i], bars.close[i], bars.volume[i], 0)
    last = len(bars) - 1
    h, lo, c, v = (float(x[last]) for x in (bars.high, bars.low, bars.close, bars.volume))
    rng = np.random.default_rng(0)
    times = []
    for _ in range(20_000):
        price = c + rng.normal(0, 0.01)
        started = time.perf_counter_ns()
        for state in live.values():
            state.peek(max(h, price), min(lo, price), price, v, 0)
        times.append(time.perf_counter_ns() - started)
    us = np.array(times) / 1e3
    for key, state in live.items():  # the last peek equals the batch value of that bar
        want = spec(key).run(Bars(bars.ts_ns, bars.open, np.append(bars.high[:-1], max(h, price)),
                                  np.append(bars.low[:-1], min(lo, price)),
                                  np.append(bars.close[:-1], price), bars.volume),
                             np.zeros(len(bars), np.int64))  # fmt: skip
        got = state.peek(max(h, price), min(lo, price), price, v, 0)
        np.testing.assert_allclose(got, [want[o][-1] for o in spec(key).outputs], rtol=1e-8)
    rows.append(summarize("incremental update of all 9 on a tick (us)", us, 20.0))


def _sum_from_queue(queue, answers) -> None:
    while True:
        columns = queue.get()
        if columns is None:
            return
        answers.put(float(columns["close"].sum()))


def _sum_from_shm(names, answers) -> None:
    while True:
        name = names.get()
        if name is None:
            return
        reader = BarReader(name)
        answers.put(float(reader.bars().close.sum()))
        reader.close()


def bench_transport(rows, n: int) -> None:
    bars = random_bars(n)
    want = float(bars.close.sum())
    context = multiprocessing.get_context("spawn")
    for label, target in (("pickled columns through a queue", _sum_from_queue),
                          ("shared memory (seqlock, zero copy)", _sum_from_shm)):  # fmt: skip
        inbox, answers = context.Queue(), context.Queue()
        child = context.Process(target=target, args=(inbox, answers), daemon=True)
        child.start()
        segment = BarSegment(n) if target is _sum_from_shm else None

        def send(segment=segment, inbox=inbox, answers=answers):
            if segment is None:
                inbox.put({c: getattr(bars, c) for c in COLUMNS})
            else:
                segment.publish(bars)
                inbox.put(segment.name)
            return answers.get(timeout=60)

        def check(total):
            assert total == want

        rows.append(measure(f"1 publish -> child reads, {n:,} bars: {label}", send, check,
                            repeat=5))  # fmt: skip
        inbox.put(None)
        child.join(timeout=10)
        if segment is not None:
            segment.close()


def bench_frames_while_busy(rows, worker, n: int) -> None:
    from profiling.bench_chart import app, frame, pan_zoom_frames
    from widgets.chart import ChartWidget
    from widgets.series_model import SeriesModel

    app()
    chart = ChartWidget(SeriesModel("X", "1m", "UTC", random_bars(100_000)))
    chart.resize(1600, 900)
    chart.show()
    app().processEvents()
    frame(chart)
    published = Published(random_bars(n))
    try:
        for request in published.requests():
            worker.submit(request)
        ms = pan_zoom_frames(chart)
        busy = bool(worker._pending)
        while worker._pending:
            worker.poll(0.05)
    finally:
        published.close()
        chart.close()
    rows.append(summarize(f"chart frame while the worker computes {n:,}", ms, 16.0))
    assert busy, "the worker finished before the frames: use more bars"


def bench_restart(rows, worker) -> None:
    published = Published(random_bars(10_000))
    times = []
    try:
        for _ in range(3):
            requests = published.requests()[:1]
            worker.submit(requests[0])
            os.kill(worker.pid, signal.SIGKILL)
            killed = time.perf_counter()
            got = None
            while got is None:
                for reply in worker.poll(0.01):
                    if reply.request_id == requests[0].request_id:
                        got = reply
            times.append((time.perf_counter() - killed) * 1e3)
            assert got.status == "ok"
    finally:
        published.close()
    ms = np.array(times)
    rows.append(summarize("result after the worker is killed", ms, 1000.0))


def main(argv: list[str] | None = None) -> int:
    args = bench_args(__doc__, argv)
    rows: list[Stats] = []
    worker = IndicatorWorker(timeout_s=120.0)
    worker.start()
    try:
        sizes = ((100_000, None),) if args.quick else ((1_000_000, 150.0), (10_000_000, 1500.0))
        for n, target in sizes:
            bench_worker(rows, worker, n, target)
        bench_incremental(rows)
        bench_transport(rows, 100_000 if args.quick else 1_000_000)
        bench_frames_while_busy(rows, worker, 1_000_000 if args.quick else 10_000_000)
        bench_restart(rows, worker)
    finally:
        worker.stop()
    print(table(rows))
    name = "bench_indicators_quick.json" if args.quick else "bench_indicators.json"
    (args.out / name).write_text(json.dumps([dataclasses.asdict(r) for r in rows], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
