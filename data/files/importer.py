"""Import bars or ticks from CSV/Parquet files into the bar store.

Every row is checked: unparseable values, non-finite prices, high < low and the other bar
bounds, negative volume, rows out of time order, and duplicate timestamps with different values
(exact duplicates are merged and counted). By default a file with any bad row imports nothing
and the error lists the bad rows with their line numbers; with `skip_bad` the good rows are
imported and the rejects written to a side file. The write is one transaction.
"""

from __future__ import annotations

import csv
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from data.files.checks import (
    BadRows,
    BarLabel,
    check_bars,
    check_ticks,
    fmt_ts,
    good_rows,
    kept,
)
from data.files.columns import ColumnMap, Kind, infer_columns
from data.files.numbers import to_float, with_decimal_points
from data.files.session_hint import reading_hint
from data.files.tables import Progress, RawTable, read_table
from data.files.timestamps import DATE_ORDERS, ParsedTimes, parse_date_time, parse_timestamps
from data.store import BarStore, Instrument, check_symbol
from data.store.provenance import Source, SourceKind
from engine.aggregate import ticks_to_bars
from engine.bars import Bars
from engine.localtime import local_ns
from engine.sessions import PRESETS, calendar, calendar_guess
from engine.timeframes import check_timeframe, is_intraday, period_ns
from engine.units import NS_PER_DAY, NS_PER_MIN, minute_text

MAX_LISTED = 20


@dataclasses.dataclass(frozen=True)
class ImportOptions:
    symbol: str
    calendar: str | None = None  # required for a symbol the store does not know yet
    tz: str = "UTC"  # zone of timestamps without an offset
    label: BarLabel = BarLabel.START
    columns: str | None = None
    timeframe: str = "1m"
    skip_bad: bool = False
    delimiter: str | None = None
    header: bool | None = None
    epoch_unit: str | None = None
    date_order: str | None = None  # of dates written year last: dmy or mdy (None: as shown)
    tick_size: float | None = None
    description: str = ""
    rejects_path: Path | None = None
    replace: bool = False  # the file's bars replace those stored in their span (and an
    # earlier import of the same file's)

    def __post_init__(self) -> None:
        check_symbol(self.symbol)
        check_timeframe(self.timeframe)
        if self.calendar is not None:
            calendar(self.calendar)
        if self.label is BarLabel.END and not is_intraday(self.timeframe):
            raise ValueError(
                f"--label end needs an intraday timeframe, not {self.timeframe!r}: "
                "daily and weekly bars are labelled by their trading day"
            )
        if self.epoch_unit not in (None, "s", "ms", "us", "ns"):
            raise ValueError(f"epoch unit {self.epoch_unit!r}: use s, ms, us or ns")
        if self.date_order not in (None, *DATE_ORDERS):
            raise ValueError(f"date order {self.date_order!r}: use dmy (day first) or mdy "
                             "(month first)")  # fmt: skip


@dataclasses.dataclass
class ImportReport:
    path: Path
    symbol: str
    timeframe: str
    kind: str = ""
    columns: str = ""
    rows_read: int = 0
    bars: int = 0
    bad_rows: int = 0
    bad_listed: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    duplicates_merged: int = 0
    outside_sessions: int = 0
    rejects_path: Path | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    row_word: str = "line"
    tick_size: float = 0.01
    replaced: int = 0  # stored bars in the file's span, replaced
    span_ns: tuple[int, int] | None = None  # the first and last bars' open times
    wall_clock: bool = False  # the file's times have no zone: read in the options' one
    session_hint: str | None = None  # how they fall inside the sessions, if some are not

    def summary(self) -> str:
        span = ""
        if self.span_ns is not None:
            first, last = (minute_text(t) for t in self.span_ns)
            span = f", opening {first} to {last} UTC"
        lines = [
            f"{self.path.name}: {self.rows_read:,} row{'s' * (self.rows_read != 1)} of "
            f"{self.kind} ({self.columns}) -> {self.bars:,} {self.timeframe} "
            f"bar{'s' * (self.bars != 1)} of {self.symbol}{span} in {self.seconds:.2f} s"
        ]
        if self.replaced:
            lines.append(f"replaced the {self.replaced:,} {self.timeframe} bars stored in the "
                         "file's span (and from an earlier import of it)")  # fmt: skip
        if self.duplicates_merged:
            lines.append(f"{self.duplicates_merged} exact duplicate rows merged")
        if self.bad_rows:
            lines.append(f"{self.bad_rows} bad rows skipped, written to {self.rejects_path}")
        if self.outside_sessions:
            lines.append(
                f"warning: {self.outside_sessions} bars fall outside the calendar's sessions; "
                "check --calendar, --tz and --label"
            )
            if self.session_hint:
                lines.append(self.session_hint)
        lines.extend(self.notes)
        return "\n".join(lines)


SKIP_BAD_HINT = (
    "Fix these rows, or pass --skip-bad to import the good rows and write the rejects to a "
    "side file."
)


class ImportRejected(ValueError):
    """The file has bad rows and skip_bad was not given; nothing was imported. `hint` says
    how to import the good rows anyway (a command-line flag, or a dialog's checkbox)."""

    def __init__(self, report: ImportReport, hint: str = SKIP_BAD_HINT) -> None:
        self.report = report
        listed = "\n".join(
            f"  {report.row_word} {line}: {reason}" for line, reason in report.bad_listed
        )
        more = report.bad_rows - len(report.bad_listed)
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(
            f"{report.path}: {report.bad_rows} bad rows, nothing was imported:\n{listed}{tail}\n"
            + hint
        )


REPLACE_HINT = (
    "Pass --replace to replace them, and the bars of an earlier import of this file, with "
    "the file's bars (a stored bar at a time the file has none goes too), or import into "
    "another --symbol."
)


class ImportOverlaps(ValueError):
    """The symbol already holds bars in the span of the file's and replace was not given;
    nothing was imported (an import over stored bars would mix the two: a file imported
    again with a corrected time zone left the first import's bars between its own).
    `hint` says how to replace them (a command-line flag, or a dialog's checkbox)."""

    def __init__(self, path: Path, opts: ImportOptions, stored: int, first_ns: int,
                 last_ns: int, hint: str = REPLACE_HINT) -> None:  # fmt: skip
        self.path, self.opts, self.stored = path, opts, stored
        self.first_ns, self.last_ns = first_ns, last_ns
        self.hint = hint
        super().__init__(
            f"{path}: {opts.symbol} already holds {stored:,} {opts.timeframe} bars between "
            f"{minute_text(first_ns)} and {minute_text(last_ns)} UTC, the span of this file's "
            f"bars; nothing was imported.\n{hint}"
        )

    def again(self, hint: str) -> ImportOverlaps:
        return ImportOverlaps(self.path, self.opts, self.stored, self.first_ns, self.last_ns, hint)


_VALUE_ROLES = {
    Kind.BARS: ("open", "high", "low", "close", "volume"),
    Kind.TRADES: ("price", "qty"),
    Kind.QUOTES: ("bid", "ask"),
}


def _times(columns: dict, cmap: ColumnMap, opts: ImportOptions, unit: str | None,
           order: str | None) -> ParsedTimes:  # fmt: skip
    """A batch's times; `unit` and `order` as the batches before read them (epochs, dates
    year last), so every batch reads them alike."""
    if "ts" in cmap.roles:
        return parse_timestamps(columns[cmap.roles["ts"]], tz=opts.tz, epoch_unit=unit,
                                date_order=order)  # fmt: skip
    return parse_date_time(columns[cmap.roles["date"]], columns[cmap.roles["time"]], tz=opts.tz,
                           date_order=order)  # fmt: skip


def _unparseable(role: str, column) -> Callable[[int], str]:
    return lambda i: f"unparseable {role} {column[i].as_py()!r}"


def _typed(raw: RawTable, cmap: ColumnMap, opts: ImportOptions, bad: BadRows, progress):
    """(ts_ns, {role: float64 values}, whether the times were written without a zone) of
    every row, converted a batch at a time (the text of a batch is dropped once converted);
    every value that does not convert is marked bad with its reason."""
    n = len(raw.line)
    roles = [r for r in _VALUE_ROLES[cmap.kind] if r in cmap.roles]
    time_roles = [r for r in ("ts", "date", "time") if r in cmap.roles]
    wanted = list(dict.fromkeys(cmap.roles[r] for r in time_roles + roles))
    ts = np.empty(n, dtype=np.int64)
    values = {role: np.empty(n) for role in roles}
    unit = opts.epoch_unit  # epochs: the unit the first batch shows holds for the rest
    order = opts.date_order  # so does the order of dates written year last
    at, wall_clock = 0, False
    for columns in raw.batches(wanted):
        k = len(columns[wanted[0]])
        times = _times(columns, cmap, opts, unit, order)
        unit, order = times.unit or unit, times.date_order or order
        wall_clock |= times.wall_clock
        ts[at : at + k] = times.ts_ns
        bad.mark_batch(at, times.bad, lambda i, t=times: t.reasons.get(i, "unparseable time"))
        for role in roles:
            column = columns[cmap.roles[role]]
            values[role][at : at + k], unparseable = to_float(column, raw.decimal_comma)
            bad.mark_batch(at, unparseable, _unparseable(role, column))
        at += k
        if progress is not None:
            progress("checking", 0.8 * at / max(n, 1))
    if at != n:
        raise ValueError(f"read {at} rows but found {n} well-formed lines; check the delimiter")
    return ts, values, wall_clock


def _columns(raw: RawTable, opts: ImportOptions) -> ColumnMap:
    """The file's column mapping; an error says which columns were left out and why."""
    try:
        return infer_columns(raw, opts.columns)
    except ValueError as exc:
        if not raw.notes:
            raise
        raise ValueError(f"{exc} ({'; '.join(raw.notes)})") from None


def _tick_size_guess(raw: RawTable, cmap: ColumnMap) -> float:
    """The finest decimal the sampled prices are written to, in every price column (a close
    of 1.1078 beside a high of 1.10785 trades in 0.00001s); half that for quotes, whose bars
    are of the mid price (USD/JPY quoted to 0.001 has mids of 86.6915)."""
    prices = ("open", "high", "low", "close", "price", "bid", "ask")
    columns = [raw.names.index(cmap.roles[r]) for r in prices if r in cmap.roles]
    decimals = 0
    for column in columns:
        texts = [row[column].strip() for row in raw.sample if column < len(row)]
        if raw.decimal_comma:  # 15.234,50 is written to two decimals
            texts = with_decimal_points(pa.array(texts, pa.string())).to_pylist()
        for text in texts:
            if "." in text and "e" not in text.lower():
                decimals = max(decimals, len(text.split(".")[1].rstrip("0")))
    tick = 10.0 ** -min(decimals, 10)
    return tick / 2 if cmap.kind is Kind.QUOTES else tick


def read_file(
    path: str | Path, opts: ImportOptions, progress: Progress | None = None
) -> tuple[Bars, ImportReport, Callable[[], None]]:
    """Parse and check a file. Returns the good bars, the report, and a function that writes
    the rejects side file (a no-op when nothing was rejected). Raises ImportRejected when
    rows are bad and skip_bad is off."""
    started = time.perf_counter()
    path = Path(path)
    raw = read_table(path, delimiter=opts.delimiter, header=opts.header, progress=progress)
    cmap = _columns(raw, opts)
    report = ImportReport(path, opts.symbol, opts.timeframe, row_word=raw.row_word)
    report.kind = cmap.kind.value
    report.columns = cmap.describe()
    report.notes.extend(raw.notes)
    n = len(raw.line)
    report.rows_read = n + len(raw.bad_rows)
    if progress is not None:
        progress("checking", 0.0)
    bad = BadRows(n)
    ts, values, report.wall_clock = _typed(raw, cmap, opts, bad, progress)
    if cmap.kind is Kind.BARS:
        _refuse_days_as_minutes(ts, bad.mask, opts)
        values.setdefault("volume", np.zeros(n))
        keep = check_bars(raw, values, opts, ts, bad, report)
        report.bars = n if keep is None else len(keep)
    else:
        price, qty = check_ticks(raw, values, cmap, opts, ts, bad)
        good = kept([ts, price, qty], good_rows(bad))
        bars = ticks_to_bars(*good, period_ns(opts.timeframe))
        report.bars = len(bars)
    if progress is not None:
        progress("checking", 1.0)
    bad_positions = np.flatnonzero(bad.mask)
    all_bad = sorted(
        [*raw.bad_rows, *((int(raw.line[i]), bad.reasons[int(i)]) for i in bad_positions)]
    )
    report.bad_rows = len(all_bad)
    report.bad_listed = all_bad[:MAX_LISTED]
    report.seconds = time.perf_counter() - started
    if all_bad and not opts.skip_bad:
        raise ImportRejected(report)
    if cmap.kind is Kind.BARS:  # the good rows, gathered in place only now
        columns = [values[k] for k in ("open", "high", "low", "close", "volume")]
        bars = Bars.from_arrays(*kept([ts, *columns], keep))
    report.rejects_path = (
        (opts.rejects_path or path.with_name(path.name + ".rejects.csv")) if all_bad else None
    )

    def write_rejects() -> None:
        if report.rejects_path is None:
            return
        text = dict(zip(raw.line[bad_positions].tolist(), raw.text_of(bad_positions), strict=True))
        structural = {line for line, _ in raw.bad_rows}
        with report.rejects_path.open("w", newline="") as fh:
            out = csv.writer(fh)
            out.writerow([raw.row_word, "reason", "text"])
            for line, reason in all_bad:
                raw_text = "" if line in structural else text.get(line, "")
                out.writerow([line, reason, raw_text])

    report.tick_size = opts.tick_size or _tick_size_guess(raw, cmap)
    if len(bars):
        report.span_ns = (int(bars.ts_ns[0]), int(bars.ts_ns[-1]))
    return bars, report, write_rejects


@dataclasses.dataclass(frozen=True)
class Preview:
    """The start of a file as the importer will read it."""

    names: list[str]  # columns in file order
    rows: list[list[str]]  # the first rows as text
    lines: list[int]  # the file line (CSV) or row (Parquet) of each
    columns: str  # how the columns are mapped, in words
    kind: str  # bars, trades or quotes
    notes: list[str]
    row_word: str = "line"
    times: list[str] = dataclasses.field(default_factory=list)  # see `_preview_times`


def _preview_times(raw: RawTable, cmap: ColumnMap, opts: ImportOptions,
                   calendar_name: str | None = None) -> list[str]:  # fmt: skip
    """The time each previewed row is read as, in UTC: a bar's open (an end-labelled bar's
    a period before its label; a daily bar's, its trading day's first open on
    `calendar_name`'s sessions), a tick's own; "" where it does not parse. The time zone, the
    label and the timeframe chosen show in them before anything is imported."""
    wanted = list(dict.fromkeys(cmap.roles[r] for r in ("ts", "date", "time") if r in cmap.roles))
    columns = next(iter(raw.batches(wanted)), None)
    n = 0 if columns is None else min(len(raw.sample), len(columns[wanted[0]]))
    if n == 0:
        return [""] * len(raw.sample)
    times = _times({k: v[:n] for k, v in columns.items()}, cmap, opts, opts.epoch_unit,
                   opts.date_order)  # fmt: skip
    ts = times.ts_ns.copy()
    if cmap.kind is Kind.BARS and opts.label is BarLabel.END:
        ts -= period_ns(opts.timeframe)
    if cmap.kind is Kind.BARS and not is_intraday(opts.timeframe) and calendar_name:
        from engine.buckets import group_labels

        good = ~times.bad
        ts[good] = group_labels(calendar(calendar_name), ts[good], opts.timeframe)
    whole = cmap.kind is Kind.BARS and not (ts % NS_PER_MIN).any()
    return ["" if bad else minute_text(t) if whole else fmt_ts(t)
            for t, bad in zip(ts.tolist(), times.bad.tolist(), strict=True)
            ] + [""] * (len(raw.sample) - n)  # fmt: skip


def preview_file(path: str | Path, opts: ImportOptions, max_bytes: int = 256 * 1024,
                 calendar_name: str | None = None) -> Preview:  # fmt: skip
    """Read only the start of a file and say how its columns would be mapped (a ValueError
    explains a file or mapping that cannot be read); `calendar_name`: the symbol's calendar,
    on which daily bars are placed."""
    raw = read_table(Path(path), delimiter=opts.delimiter, header=opts.header,
                     max_bytes=max_bytes)  # fmt: skip
    cmap = _columns(raw, opts)
    lines = raw.line[: len(raw.sample)].tolist()
    return Preview(raw.names, raw.sample, lines, cmap.describe(), cmap.kind.value, raw.notes,
                   raw.row_word, _preview_times(raw, cmap, opts, calendar_name))  # fmt: skip


def import_file(
    store: BarStore, path: str | Path, opts: ImportOptions, progress: Progress | None = None
) -> ImportReport:
    """Read, check and write a file's bars into `store` in one transaction (a file without
    a good row changes nothing)."""
    bars, report, write_rejects = read_file(path, opts, progress)
    if len(bars) == 0:
        write_rejects()
        rejected = (f"all {report.bad_rows} rows are bad (see {report.rejects_path})"
                    if report.bad_rows else "the file has no rows of data")  # fmt: skip
        raise ValueError(f"{report.path}: {rejected}; nothing was imported")
    instrument = _instrument_for(store, opts, report)
    cal = calendar(instrument.calendar)
    if not is_intraday(opts.timeframe) and len(bars):
        bars = _on_trading_days(bars, cal, instrument.calendar, opts)
        report.span_ns = (int(bars.ts_ns[0]), int(bars.ts_ns[-1]))
    if len(bars):
        report.outside_sessions = int((~cal.is_in_session(bars.ts_ns)).sum())
    if report.outside_sessions:
        # a label is read for intraday bars only (ticks are instants, days are dated)
        intraday_bars = report.kind == Kind.BARS.value and is_intraday(opts.timeframe)
        report.session_hint = reading_hint(
            bars.ts_ns,
            cal,
            instrument.calendar,
            opts.tz,
            opts.label if intraday_bars else None,
            period_ns(opts.timeframe) if intraday_bars else 0,
            report.wall_clock,
        )
    source = Source(SourceKind.IMPORT, Path(path).name)
    first, last = int(bars.ts_ns[0]), int(bars.ts_ns[-1])
    stored = store.count(opts.symbol, opts.timeframe, first, last + 1)
    if stored and not opts.replace and _recorded(store, opts, first, last):
        raise ImportOverlaps(report.path, opts, stored, first, last)
    span = (first, last) if stored else None  # bars derived from the 1m ones: replaced
    report.replaced = stored
    if opts.replace:  # the file's span, and that of an earlier import of the same file
        earlier = [s for s in store.sources(opts.symbol, opts.timeframe) if s.source == source]
        span = (min([first] + [s.first_ns for s in earlier]),
                max([last] + [s.last_ns for s in earlier]))  # fmt: skip
        report.replaced = store.count(opts.symbol, opts.timeframe, span[0], span[1] + 1)
    before = store.time_range(opts.symbol, opts.timeframe)
    if progress is not None:
        progress("writing", 0.0)
    store.write_bars(opts.symbol, opts.timeframe, bars, instrument=instrument, source=source,
                     replace_span=span)  # fmt: skip
    write_rejects()
    if progress is not None:
        progress("writing", 1.0)
    derived = [tf for tf in store.timeframes(opts.symbol) if tf != "1m"]
    if opts.timeframe == "1m" and derived:
        # the higher timeframes follow the new 1m bars: in full unless these only continue
        # them (a hole filled, or a month replaced, changes bars derived long ago)
        from data.store.derived import derive_timeframes

        if progress is not None:
            progress("timeframes", 0.0)
        inside = before is not None and first <= before[1]
        derive_timeframes(store, opts.symbol, derived, full=inside)
        if progress is not None:
            progress("timeframes", 1.0)
    return report


def _refuse_days_as_minutes(ts: np.ndarray, bad: np.ndarray, opts: ImportOptions) -> None:
    """A file of daily bars (every time a midnight, days apart) imported as intraday bars
    would store each day as one minute at 00:00: refused, saying --timeframe 1d."""
    good = ts[~bad]
    if not is_intraday(opts.timeframe) or len(good) < 2:
        return
    if local_ns(good[:1], opts.tz)[0] % NS_PER_DAY:
        return  # a time of day: minutes (no pass over every row of a large file)
    local = local_ns(good, opts.tz)
    if (local % NS_PER_DAY == 0).all() and np.diff(np.sort(local)).min() >= NS_PER_DAY:
        first = np.datetime64(int(local.min()), "ns").astype("datetime64[D]")
        raise ValueError(
            f"every time in the file is a day alone ({first}, ...): daily bars, not "
            f"{opts.timeframe} bars; import them as 1d bars (weekly ones as 1w): --timeframe "
            "1d, or Timeframe in the import dialog"
        )


def _on_trading_days(bars: Bars, cal, calendar_name: str, opts: ImportOptions) -> Bars:
    """Daily (weekly) bars at the open of their trading day's (week's) first session, as the
    bars resampled from minutes are: a file dates them ("2024-01-02", read as midnight in
    `opts.tz`). A bar dated on a day the calendar does not trade, or two bars of one trading
    day, are refused, naming them (a wrong calendar, not bars to move)."""
    from engine.buckets import group_labels

    timeframe = opts.timeframe
    labels = group_labels(cal, bars.ts_ns, timeframe)
    if timeframe == "1d":
        local = local_ns(bars.ts_ns, opts.tz)
        dated = local % NS_PER_DAY == 0  # a date alone, not an instant of the day
        day = cal.trading_day(labels).astype(np.int64)
        off = np.flatnonzero(dated & (local // NS_PER_DAY != day))
        if len(off):
            shown = ", ".join(str(np.datetime64(int(local[k]), "ns").astype("datetime64[D]"))
                              for k in off[:5].tolist())  # fmt: skip
            raise ValueError(
                f"{len(off)} daily bar{'s' * (len(off) > 1)} dated on days {calendar_name} "
                f"does not trade: {shown}; check --calendar (24x7 trades every day), "
                "nothing was imported"
            )
    twice = np.flatnonzero(labels[1:] == labels[:-1])
    if len(twice):
        k = int(twice[0])
        day_word = "trading day" if timeframe == "1d" else "trading week"
        raise ValueError(
            f"the {timeframe} bars at {minute_text(int(bars.ts_ns[k]))} and "
            f"{minute_text(int(bars.ts_ns[k + 1]))} UTC fall in one {day_word} of "
            f"{calendar_name} (opening {minute_text(int(labels[k]))} UTC); check --calendar "
            "and --timeframe, nothing was imported"
        )
    return Bars(labels, bars.open, bars.high, bars.low, bars.close, bars.volume)


def _recorded(store: BarStore, opts: ImportOptions, first: int, last: int) -> int:
    """The stored bars from `first` to `last` that a source put there (an import, a feed, an
    exchange); the rest were derived from the symbol's 1m bars, which the store remakes."""
    return sum(store.count(opts.symbol, opts.timeframe, max(first, s.first_ns),
                           min(last, s.last_ns) + 1)
               for s in store.sources(opts.symbol, opts.timeframe)
               if s.first_ns <= last and s.last_ns >= first)  # fmt: skip


def _instrument_for(store: BarStore, opts: ImportOptions, report: ImportReport) -> Instrument:
    try:
        known = store.instrument(opts.symbol)
    except KeyError:
        known = None
    if known is None and opts.calendar is None:
        guess = calendar_guess(opts.symbol)
        hint = f"--calendar {guess} by its name, or " if guess else ""
        raise ValueError(
            f"{opts.symbol} is a new symbol: say which calendar it trades on with --calendar "
            f"({hint}one of {', '.join(PRESETS)})"
        )
    if known is not None and opts.calendar not in (None, known.calendar):
        if store.timeframes(opts.symbol):
            raise ValueError(
                f"{opts.symbol} trades on the {known.calendar} calendar in this store: "
                f"--calendar {opts.calendar} would change it for all its stored bars; leave "
                "--calendar out (it is for new symbols), or import into another --symbol"
            )
        # its bars deleted (imported on the wrong calendar, say): it takes the new one
        known = dataclasses.replace(known, calendar=opts.calendar)
    return Instrument(
        opts.symbol,
        calendar=known.calendar if known is not None else opts.calendar,
        tick_size=opts.tick_size or (known.tick_size if known else report.tick_size),
        description=opts.description or (known.description if known else ""),
    )
