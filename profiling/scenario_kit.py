"""What every profiling scenario is made of: its `Result`, a `StageTimer` for the latency
waterfall, `timed_stages`, and the benchmark store the chart scenarios read.

A scenario is a function `(quick) -> Result` (`profiling.scenarios` lists them);
`profiling.suite` runs each one in a fresh process.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

from profiling.timing import Stats, measure

INDICATORS = ("sma", "ema", "bollinger", "rsi")


@dataclasses.dataclass
class Result:
    """What a scenario measured. `fast` and `slow` are the compared pair (same unit);
    `stages` maps an action ("fast", "slow", ...) to {stage: p50 ms}; `facts` are other
    checked numbers (queries per minute, MB); `rows` are further timings."""

    name: str
    title: str
    fast: Stats
    slow: Stats | None = None
    rows: list[Stats] = dataclasses.field(default_factory=list)
    stages: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    facts: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def speedup(self) -> float | None:
        if self.slow is None or self.fast.p50_ms <= 0:
            return None
        return self.slow.p50_ms / self.fast.p50_ms


class StageTimer:
    """Times the stages of repeated runs of one action; `p50()` gives each stage's median."""

    def __init__(self) -> None:
        self.runs: list[dict[str, float]] = []
        self._t = 0.0

    def start(self) -> None:
        self.runs.append({})
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.runs[-1][stage] = (now - self._t) * 1e3
        self._t = now

    def p50(self) -> dict[str, float]:
        return {k: round(float(np.median([r[k] for r in self.runs])), 3) for k in self.runs[0]}


def timed_stages(name: str, action: Callable[[StageTimer], object], check, repeat: int,
                 warmup: int = 1) -> tuple[Stats, dict[str, float]]:  # fmt: skip
    """`measure` an action that marks its stages; (stats, each stage's p50 over the timed runs)."""
    timer = StageTimer()
    stats = measure(name, lambda: action(timer), check, repeat=repeat, warmup=warmup)
    timer.runs = timer.runs[-repeat:]  # the warm-up runs came first
    return stats, timer.p50()


def distinct(rows) -> list[Stats]:
    """One row per name (a row judged on two statistics is listed twice)."""
    return list({row.name: row for row in rows}.values())


# -- stores ----------------------------------------------------------------------------------


STORE_DIR = Path(__file__).resolve().parent / "out"  # kept between runs (not committed)


def chart_store_path(quick: bool) -> Path:
    """The benchmark store (one big 1m series), built on first use and kept with the other
    benchmarks' stores."""
    from profiling.bench_store import build_store

    big = 200_000 if quick else 10_000_000
    STORE_DIR.mkdir(parents=True, exist_ok=True)
    path = STORE_DIR / f"bench_store_{big}.duckdb"
    if not path.exists():
        build_store(path, big, 20_000 if quick else 200_000)
    return path


def chart_store(quick: bool):
    from data.store import BarStore

    return BarStore(chart_store_path(quick), read_only=True)
