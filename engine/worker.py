"""The indicator worker: a separate process (spawn) computing indicators over bar columns it
reads from shared memory, writing results into shared result segments.

Only small frozen descriptors cross the pipe (ids, names, versions, parameters). The GUI side
(`IndicatorWorker`) discards results for a version older than the latest it published, times
out hung tasks, notices a dead worker, restarts it and resubmits the latest requests. The
GUI process owns every segment; the worker only attaches to them."""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable

import numpy as np

from engine.shm import BarReader, remove_orphans, writable

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class IndicatorRequest:
    request_id: int
    series_key: str
    segment: str  # bar segment name
    version: int  # the bar version this is for
    indicator: str
    params: tuple[tuple[str, float], ...]
    result_segment: str
    calendar: str = "24x7"  # for session-anchored indicators (VWAP)
    gap_ns: int | None = None  # indicators start again after a gap longer than this


@dataclasses.dataclass(frozen=True)
class IndicatorReply:
    request_id: int
    series_key: str
    version: int
    status: str  # "ok", "stale" (the bars changed under it) or "error"
    message: str = ""
    result_segment: str = ""
    length: int = 0
    compute_s: float = 0.0


def _compute(request: IndicatorRequest, readers: dict[str, BarReader]) -> IndicatorReply:
    from engine.buckets import session_keys
    from engine.indicators.registry import spec
    from engine.sessions import calendar

    reader = readers.get(request.segment)
    if reader is None:
        for old in readers.values():  # one series' segment at a time per key is enough
            old.close()
        readers.clear()
        reader = readers[request.segment] = BarReader(request.segment)
    seq = reader.begin()
    if seq is None or BarReader.version_of(seq) != request.version:
        return IndicatorReply(request.request_id, request.series_key, request.version, "stale")
    started = time.perf_counter()
    bars = reader.bars()
    indicator = spec(request.indicator)
    sessions = None
    if indicator.sessions and len(bars):
        sessions = session_keys(calendar(request.calendar), bars.ts_ns)
    outputs = indicator.run(bars, sessions, request.gap_ns, **dict(request.params))
    if not reader.still_valid(seq):
        return IndicatorReply(request.request_id, request.series_key, request.version, "stale")
    with writable(request.result_segment) as buffer:
        n = len(bars)
        capacity = len(buffer) // 8 // len(indicator.outputs)
        if n > capacity:
            raise ValueError(f"result segment holds {capacity} rows, {n} needed")
        block = np.ndarray((len(indicator.outputs), capacity), dtype=np.float64, buffer=buffer)
        for k, name in enumerate(indicator.outputs):
            block[k, :n] = outputs[name]
        del block
    return IndicatorReply(request.request_id, request.series_key, request.version, "ok",
                          result_segment=request.result_segment, length=n,
                          compute_s=time.perf_counter() - started)  # fmt: skip


def serve(conn) -> None:
    """The worker process's loop: one request in, one reply out, until None or EOF."""
    readers: dict[str, BarReader] = {}
    try:
        while True:
            try:
                request = conn.recv()
            except EOFError:
                return
            if request is None:
                return
            try:
                reply = _compute(request, readers)
            except Exception as exc:  # reported to the GUI, the worker carries on
                reply = IndicatorReply(request.request_id, request.series_key, request.version,
                                       "error", f"{type(exc).__name__}: {exc}")  # fmt: skip
            conn.send(reply)
    finally:
        for reader in readers.values():
            reader.close()


def warm_kernels() -> None:
    """Compile (or load) every indicator kernel here, before a worker starts, so two
    processes never compile the same numba cache at once (numba#4807)."""
    from engine.bars import Bars
    from engine.indicators.registry import REGISTRY

    n = 64
    x = np.linspace(1.0, 2.0, n)
    bars = Bars(np.arange(n, dtype=np.int64), x, x + 0.1, x - 0.1, x, np.ones(n))
    for indicator in REGISTRY.values():
        indicator.run(bars, np.zeros(n, np.int64))


@dataclasses.dataclass
class WorkerCounters:
    submitted: int = 0
    delivered: int = 0
    stale_discarded: int = 0
    errors: int = 0
    restarts: int = 0
    timeouts: int = 0


class IndicatorWorker:
    """The GUI side of the worker process."""

    def __init__(self, timeout_s: float = 10.0, on_reply: Callable | None = None) -> None:
        self.timeout_s = timeout_s
        self.on_reply = on_reply
        self.counters = WorkerCounters()
        self._latest: dict[str, int] = {}  # series -> latest published version
        self._pending: dict[int, tuple[IndicatorRequest, float]] = {}
        self._process = None
        self._conn = None
        self._starting: threading.Thread | None = None
        self.start_error: str | None = None

    @property
    def pending(self) -> int:
        """Requests sent and not answered yet."""
        return len(self._pending)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        remove_orphans()
        warm_kernels()
        self._spawn()

    def start_in_background(self) -> None:
        """Start as `start` does, on a thread: loading the kernels takes a third of a second
        a process need not wait for. Requests submitted meanwhile are sent once it runs."""
        self._starting = threading.Thread(target=self._start_or_record,
                                          name="candleterm-worker-start", daemon=True)  # fmt: skip
        self._starting.start()

    def _start_or_record(self) -> None:
        try:
            self.start()
        except Exception as exc:  # the GUI shows the worker as down, with the reason
            self.start_error = f"{type(exc).__name__}: {exc}"
            log.error("the indicator worker did not start: %s", self.start_error)

    def _ready(self) -> bool:
        """Whether the process runs (a background start may still be under way); the
        requests submitted before are sent now."""
        if self._starting is not None:
            if self._starting.is_alive():
                return False
            self._starting = None
            for request, _ in list(self._pending.values()):
                self._send(request)
        return self._conn is not None

    def _spawn(self) -> None:
        context = multiprocessing.get_context("spawn")
        conn, child = context.Pipe()
        process = context.Process(target=serve, args=(child,), daemon=True,
                                  name="candleterm-indicators")  # fmt: skip
        process.start()  # kept only once started: a failed start leaves no half a worker
        child.close()
        self._conn, self._process = conn, process

    def published(self, series_key: str, version: int) -> None:
        """The GUI published `version` of a series: older results are now stale."""
        self._latest[series_key] = max(version, self._latest.get(series_key, -1))

    @property
    def series(self) -> int:
        """Series whose latest version is kept (one a chart with indicators)."""
        return len(self._latest)

    def forget(self, series_key: str) -> None:
        """A series' segment is gone: its versions need not be kept."""
        self._latest.pop(series_key, None)

    def submit(self, request: IndicatorRequest) -> None:
        self.published(request.series_key, request.version)
        ready = self._ready()  # before the request joins the pending, which _ready sends
        self._pending[request.request_id] = (request, time.monotonic())
        self.counters.submitted += 1
        if ready:
            self._send(request)

    def _send(self, request: IndicatorRequest) -> None:
        try:
            self._conn.send(request)
        except (BrokenPipeError, OSError):
            self._restart()

    def poll(self, timeout_s: float = 0.0) -> list[IndicatorReply]:
        """Fresh replies received within `timeout_s`; checks the worker's health."""
        delivered = []
        deadline = time.monotonic() + timeout_s
        while not self._ready():
            if time.monotonic() >= deadline:
                return delivered
            time.sleep(min(0.005, timeout_s))
        while True:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                ready = self._conn.poll(remaining)
            except (EOFError, OSError):
                ready = False
            if ready:
                try:
                    reply = self._conn.recv()
                except (EOFError, OSError):
                    self._restart()
                    continue
                self._pending.pop(reply.request_id, None)
                if reply.status == "error":
                    self.counters.errors += 1
                    delivered.append(reply)
                elif reply.status == "stale" or reply.version < self._latest.get(
                    reply.series_key, -1
                ):
                    self.counters.stale_discarded += 1
                else:
                    self.counters.delivered += 1
                    delivered.append(reply)
                if self.on_reply is not None and delivered and delivered[-1] is reply:
                    self.on_reply(reply)
                continue
            self._check_health()
            if time.monotonic() >= deadline:
                return delivered

    def _check_health(self) -> None:
        if self._process is not None and not self._process.is_alive():
            self._restart()
            return
        now = time.monotonic()
        if any(now - sent > self.timeout_s for _, sent in self._pending.values()):
            self.counters.timeouts += 1
            self._restart()

    def _restart(self) -> None:
        """Kill whatever is left of the worker, start a new one, resend the latest request
        of each series and indicator."""
        self.counters.restarts += 1
        self._kill()
        self._spawn()
        latest: dict[tuple[str, str], IndicatorRequest] = {}
        for request, _ in sorted(self._pending.values(), key=lambda p: p[0].request_id):
            if request.version >= self._latest.get(request.series_key, -1):
                latest[(request.series_key, request.indicator)] = request
        self._pending = {r.request_id: (r, time.monotonic()) for r in latest.values()}
        for request in latest.values():
            self._send(request)

    def _kill(self) -> None:
        if self._process is not None and self._process.is_alive():
            os.kill(self._process.pid, signal.SIGKILL)
        if self._process is not None:
            self._process.join(timeout=5)
            self._process.close()
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None

    def stop(self) -> None:
        if self._starting is not None:  # let a background start finish, then stop that
            self._starting.join()
            self._starting = None
        if self._process is None:
            return
        try:
            self._conn.send(None)
            self._process.join(timeout=5)
        except (BrokenPipeError, OSError):
            pass
        self._kill()
