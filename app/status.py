"""What the status bar says about a live session: feed, ticks, frame times, latency, store
queries and the indicator worker."""

from __future__ import annotations

from app.live import LiveStats
from engine.worker import IndicatorWorker


def worker_text(worker: IndicatorWorker | None) -> str:
    if worker is None:
        return "no worker"
    alive = worker.pid is not None
    text = f"worker {'pid ' + str(worker.pid) if alive else 'down'}"
    if worker.start_error is not None:
        text += f": {worker.start_error}"
    if worker.pending:
        text += f", {worker.pending} busy"
    return text


def stats_texts(stats: LiveStats, feed_problem: str, worker: IndicatorWorker | None,
                others: int = 0, watchlist_queries: int = 0) -> dict:  # fmt: skip
    """The status bar's fields; `feed_problem` (the feed does not run here) replaces the
    feed's own state; `others`: the symbols the feed keeps running off screen;
    `watchlist_queries`: the store queries the watchlist's quotes made so far (the
    open-price layer's and the previous closes)."""
    rejected = f", {stats.rejected} rejected" if stats.rejected else ""
    not_stored = ", BARS NOT STORED" if stats.not_stored else ""
    # the feed's state before it is theirs too (Pause is the feed's): "simulated paused (+5
    # more symbols)", not "... live)"
    more = f" (+{others} more symbol{'s' * (others > 1)})" if others else ""
    return {
        "feed": feed_problem or stats.feed + rejected + not_stored + more,
        "ticks": f"{stats.ticks_per_s:,.0f} ticks/s",
        "frame": f"frame {stats.frame_ms_p50:.1f}/{stats.frame_ms_max:.1f} ms",
        "latency": f"latency {stats.latency_ms_p50:.0f}/{stats.latency_ms_max:.0f} ms",
        "queries": f"{stats.queries_per_min:.0f} queries/min (watchlist "
        f"{watchlist_queries} so far)",
        "worker": worker_text(worker),
    }
