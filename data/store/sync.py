"""`candleterm sync FROM TO`: a desk's history copied between any two stores (the embedded
store to the team store and back), symbol by symbol, every timeframe with the source of each
stretch, the instrument, the drawings and alerts where the target has none, and the alerts
that fired (the Fired list) that the target has not logged.

Resumable and idempotent: a series is copied from the target's last bar on (that bar again,
in case it was a forming one), a window of time at a time, so a run that stopped goes on
where it stopped and a second run copies nothing. A stretch of the source the target
already holds with another number of bars (a file imported again with --replace, a hole
filled) is copied again over its span. A correction that keeps the number of bars is copied
too: the target keeps the version of each series it copied (`SYNCED_KEY`), and the spans
the source noted as rewritten since are copied again (both stores note them: a team store
by its series' versions, a file by its own count of rewrites). A symbol the target cannot
take (its bars there are real and these synthetic, or the other way round) is named in the
report and the others go on.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

from data.store.files import StoreError
from data.store.provenance import DERIVED, Source, SourceKind, Stretch
from engine.bar_x import nominal_period_ns

CHUNK_BARS = 500_000  # bars a window of time holds at most (at one bar a period)
SYNCED_KEY = "synced_versions"  # in the target: {source's path: {"SYMBOL|TF": version}}
UNKNOWN = Source(SourceKind.UNKNOWN)


@dataclasses.dataclass
class SyncReport:
    bars: int = 0
    series: int = 0
    symbols: list[str] = dataclasses.field(default_factory=list)
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (symbol, why)
    kept: list[str] = dataclasses.field(default_factory=list)  # target's drawings/alerts kept

    def summary(self, src: object, dst: object) -> str:
        lines = [f"synced {self.bars:,} bars of {self.series} series ({len(self.symbols)} "
                 f"symbols) from {src} to {dst}"]  # fmt: skip
        lines += [f"  {symbol}: not synced: {why}" for symbol, why in self.skipped]
        lines += [f"  {what}: the target's own were kept" for what in self.kept]
        return "\n".join(lines)


def sync(src, dst, symbols: list[str] | None = None,
         progress: Callable[[str, float], None] | None = None) -> SyncReport:  # fmt: skip
    """Copy `symbols` (default: all of `src`'s) from `src` to `dst` (two stores)."""
    have = src.symbols()
    wanted = have if symbols is None else list(dict.fromkeys(symbols))
    unknown = [s for s in wanted if s not in have]
    if unknown:
        raise ValueError(f"no bars of {', '.join(map(repr, unknown))} in {src.path}; it has "
                         f"{', '.join(have) or 'none'}")  # fmt: skip
    report = SyncReport()
    fired = src.alert_log()
    logged = {_entry_key(e) for e in dst.alert_log()}
    synced = json.loads(dst.meta(SYNCED_KEY) or "{}")
    copied = synced.setdefault(str(src.path), {})
    for k, symbol in enumerate(wanted):
        try:
            _sync_symbol(src, dst, symbol, report, copied)
            # after each symbol: a sync that stops resumes from here
            dst.set_meta(SYNCED_KEY, json.dumps(synced))
            new = [e for e in fired if e["symbol"] == symbol and _entry_key(e) not in logged]
            if new:
                dst.log_alerts(symbol, [{key: v for key, v in e.items() if key != "symbol"}
                                        for e in new])  # fmt: skip
        except StoreError as exc:
            if src.damaged:
                raise
            report.skipped.append((symbol, str(exc)))
            continue
        report.symbols.append(symbol)
        if progress is not None:
            progress(symbol, (k + 1) / len(wanted))
    return report


def _entry_key(entry: dict) -> str:
    """An alert log entry as one comparable text (the same firing logged in both stores)."""
    return json.dumps(entry, sort_keys=True)


def _sync_symbol(src, dst, symbol: str, report: SyncReport, copied: dict) -> None:
    """`copied`: the source's versions of the series the target holds (updated)."""
    dst.add_instrument(src.instrument(symbol))
    for tf in src.timeframes(symbol):
        key = f"{symbol}|{tf}"
        version = src.series_version(symbol, tf)  # before the copy: a rewrite during it
        report.bars += _sync_series(src, dst, symbol, tf, copied.get(key))  # is seen next
        report.series += 1
        if version is not None:
            copied[key] = version
    for kind, read, write in (("drawings", src.drawings, dst.set_drawings),
                              ("alerts", src.alerts, dst.set_alerts)):  # fmt: skip
        theirs = read(symbol)
        ours = getattr(dst, kind)(symbol)
        if theirs and not ours:
            write(symbol, theirs)
        elif theirs and ours != theirs:
            report.kept.append(f"{symbol} {kind}")


def _sync_series(src, dst, symbol: str, tf: str, since: int | None = None) -> int:
    """The series' bars from the target's last one on, each stretch with its source; a
    stretch the target holds with another number of bars (replaced or filled in since: a
    file imported again with --replace) copied again over its span; and, the target having
    copied the source's version `since`, the spans rewritten after it."""
    first, last = src.time_range(symbol, tf)
    done = dst.time_range(symbol, tf)
    start = first if done is None else max(first, done[1])
    if done is not None:  # the target's last bar again, unless it is the same bar
        theirs = src.load(symbol, tf, start_ns=done[1], end_ns=done[1] + 1)
        if theirs.equals(dst.load(symbol, tf, start_ns=done[1], end_ns=done[1] + 1)):
            start = max(start, done[1] + 1)
    stretches = src.sources(symbol, tf) or [Stretch(DERIVED if tf != "1m" else UNKNOWN,
                                                    first, last)]  # fmt: skip
    written = 0
    rewritten = [] if done is None or since is None else src.changes_since(symbol, tf, since)
    if rewritten is None:  # rewritten further back than the source's notes: all again
        rewritten = [(first, start - 1)]
    for stretch in stretches if done is not None else ():
        a, b = stretch.first_ns, min(stretch.last_ns, start - 1)  # what the target has
        if a <= b and src.count(symbol, tf, a, b + 1) != dst.count(symbol, tf, a, b + 1):
            written += copy_span(src, dst, symbol, tf, a, b, stretch.source, replace=True)
            continue
        for lo, hi in rewritten:  # the stretch's part of each span rewritten
            a, b = max(stretch.first_ns, lo), min(stretch.last_ns, hi, start - 1)
            if a <= b:
                written += copy_span(src, dst, symbol, tf, a, b, stretch.source, replace=True)
    for stretch in stretches:
        written += copy_span(src, dst, symbol, tf, max(start, stretch.first_ns),
                             stretch.last_ns, stretch.source)  # fmt: skip
    return written


def copy_span(src, dst, symbol: str, tf: str, start_ns: int, last_ns: int, source: Source,
              replace: bool = False) -> int:  # fmt: skip
    """The bars of a series from `start_ns` to `last_ns` (inclusive) copied from `src` to
    `dst` as `source`, a window of time at a time (memory stays bounded); with `replace`,
    over every bar `dst` holds in each window."""
    span = CHUNK_BARS * nominal_period_ns(tf)
    written = 0
    while start_ns <= last_ns:
        end_ns = min(start_ns + span, last_ns + 1)
        bars = src.load(symbol, tf, start_ns=start_ns, end_ns=end_ns)
        if len(bars):
            over = (start_ns, end_ns - 1) if replace else None
            written += dst.write_bars(symbol, tf, bars, source=source, replace_span=over)
        start_ns = end_ns
    return written
