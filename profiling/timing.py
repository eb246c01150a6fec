"""Timing helpers: repeated runs, percentiles, a check of every result, a plain table."""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


@dataclasses.dataclass(frozen=True)
class Stats:
    name: str
    runs: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    target_ms: float | None = None
    p99_ms: float | None = None
    judged: str = "p50"  # which figure the target is for: p50, p95, p99 or max

    @property
    def ok(self) -> bool | None:
        if self.target_ms is None:
            return None
        return getattr(self, f"{self.judged}_ms") <= self.target_ms


PROFILER: cProfile.Profile | None = None  # `python -m profiling --profile`: the timed runs


def measure(
    name: str,
    action: Callable[[], Any],
    check: Callable[[Any], None],
    repeat: int = 5,
    warmup: int = 1,
    target_ms: float | None = None,
) -> Stats:
    """Time `action` `repeat` times (after `warmup` untimed runs); `check` every result."""
    for _ in range(warmup):
        check(action())
    times = []
    for _ in range(repeat):
        if PROFILER is not None:
            PROFILER.enable()
        started = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - started) * 1e3)
        if PROFILER is not None:
            PROFILER.disable()
        check(result)
        del result  # the next run must not find the previous result still in memory
    return summarize(name, times, target_ms)


def summarize(name: str, times, target_ms: float | None = None, judged: str = "p50") -> Stats:
    """p50/p95/p99/max of timings measured elsewhere (in the unit the name says)."""
    arr = np.asarray(times, dtype=float)
    p50, p95, p99 = (float(np.percentile(arr, q)) for q in (50, 95, 99))
    return Stats(name, len(arr), p50, p95, float(arr.max()), target_ms, p99, judged)


def scaled(stats: Stats, factor: float, name: str | None = None) -> Stats:
    """The same timings in another unit or per item (every statistic times `factor`)."""
    return dataclasses.replace(
        stats, name=name or stats.name, p50_ms=stats.p50_ms * factor,
        p95_ms=stats.p95_ms * factor, max_ms=stats.max_ms * factor,
        p99_ms=None if stats.p99_ms is None else stats.p99_ms * factor,
    )  # fmt: skip


def bench_args(doc: str, argv: list[str] | None) -> argparse.Namespace:
    """The options every benchmark takes: --quick (small sizes) and --out DIR."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--out", type=Path, default=Path("profiling/out"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def peak_rss_mb() -> float:
    """Peak resident memory of this process. Reads VmHWM, which starts afresh at exec (Linux
    carries ru_maxrss over from the parent across fork and exec)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table(rows: list[Stats]) -> str:
    p99 = any(s.p99_ms is not None for s in rows)
    head = f"{'benchmark':<44} {'runs':>4} {'p50 ms':>10} {'p95 ms':>10}"
    head += f" {'p99 ms':>10}" * p99 + f" {'max ms':>10} {'target':>14}"
    lines = [head, "-" * len(head)]
    for s in rows:
        target = "" if s.target_ms is None else f"{s.judged}<={s.target_ms:g}"
        verdict = {True: " ok", False: " SLOW", None: ""}[s.ok]
        extra = ("-" if s.p99_ms is None else f"{s.p99_ms:.2f}").rjust(11) if p99 else ""
        lines.append(
            f"{s.name:<44} {s.runs:>4} {s.p50_ms:>10.2f} {s.p95_ms:>10.2f}{extra}"
            f" {s.max_ms:>10.2f} {target:>14}{verdict}"
        )
    return "\n".join(lines)
