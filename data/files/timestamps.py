"""Turn timestamp columns of any common shape into int64 ns since the epoch, UTC.

Accepted: epoch seconds/ms/us/ns (unit from the magnitude unless given), ISO 8601 date-times
with or without a zone offset, compact forms (20240102 093000, 20200101 170000065), dates
with '.' or '/' separators, year first or year last (day first, 02.01.2024, or month first,
01/02/2024: the order given, or the one the column shows), and separate date and time
columns. Times without an offset are
local times in the given zone; a repeated hour when clocks go back is resolved by order
(the second pass through it is the later instant), and a time that does not exist (clocks
went forward) is a bad row. Every value that does not parse is reported, never guessed.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.files.numbers import as_array, matches, to_float
from engine.units import NS_PER_S

_EPOCH_UNITS = {"s": NS_PER_S, "ms": 1_000_000, "us": 1_000, "ns": 1}
# An epoch below each limit is read in that unit: 1e11 s is the year 5138.
_EPOCH_MAGNITUDES = (("s", 1e11), ("ms", 1e14), ("us", 1e17), ("ns", float("inf")))
_TS_LIMIT = 2**63 - 1
_INT64_RE = r"^[-+]?\d{1,18}$"
_ISO_RE = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
# a zone offset follows a time (a date alone, 2024-01-02, ends in "-02" but has none)
_OFFSET_RE = r"[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$"
_DATE_REWRITES = (
    (r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3"),
    (r"^(\d{4})[./](\d{1,2})[./](\d{1,2})$", r"\1-\2-\3"),
)
_TIME_REWRITES = (
    (r"^(\d{2})(\d{2})(\d{2})$", r"\1:\2:\3"),
    (r"^(\d{2})(\d{2})(\d{2})(\d{1,9})$", r"\1:\2:\3.\4"),
    (r"^(\d):", r"0\1:"),
)
_DATETIME_REWRITES = (
    (r"^(\d{4})(\d{2})(\d{2})[ T]?(\d{2})(\d{2})(\d{2})$", r"\1-\2-\3 \4:\5:\6"),
    (r"^(\d{4})(\d{2})(\d{2})[ T]?(\d{2})(\d{2})(\d{2})(\d{1,9})$", r"\1-\2-\3 \4:\5:\6.\7"),
    (r"^(\d{4})[./](\d{2})[./](\d{2})", r"\1-\2-\3"),
)


DATE_ORDERS = {"dmy": "day first (31.12.2024)", "mdy": "month first (12/31/2024)"}
# A date written year last: day and month (in either order), then the year.
_YEAR_LAST_RE = r"^(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})[./-](?P<year>\d{4})"
_YEAR_FIRST = {"dmy": r"\4-\3-\1", "mdy": r"\4-\1-\3"}  # of _YEAR_LAST_RE's groups
_PAD_DATE = ((r"^(\d{4})-(\d)-", r"\1-0\2-"), (r"^(\d{4}-\d{2})-(\d)($|[^\d])", r"\1-0\2\3"))


class ParsedTimes:
    """ts_ns of each row and, for rows that failed, why."""

    def __init__(self, ts_ns: np.ndarray, bad: np.ndarray, reasons: dict[int, str],
                 unit: str | None = None, date_order: str | None = None,
                 wall_clock: bool = False):  # fmt: skip
        self.ts_ns = ts_ns
        self.bad = bad
        self.reasons = reasons
        self.unit = unit  # the epoch unit read (None: not epochs), for the next batch
        self.date_order = date_order  # of dates written year last, for the next batch
        self.wall_clock = wall_clock  # written without a zone: read in the time zone given


def _text(arr: pa.ChunkedArray | pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(as_array(arr).cast(pa.string()))


def _rewrite(arr: pa.Array, rules: tuple[tuple[str, str], ...]) -> pa.Array:
    for pattern, repl in rules:
        arr = pc.replace_substring_regex(arr, pattern=pattern, replacement=repl)
    return arr


def year_first(text: pa.Array, order: str | None, what: str) -> tuple[pa.Array, str | None]:
    """Dates written year last rewritten year first, read in `order` ("dmy" or "mdy") or
    the one the column shows: a first number over 12 is a day, so is a second one; dotted
    dates that show neither are day first (the European way). Returns the text and the
    order read (None: no date year last). A column that could be read either way is
    refused with the value that shows it, not guessed."""
    parts = pc.extract_regex(text, _YEAR_LAST_RE)
    if parts.null_count == len(parts):
        return text, order
    if order is None:
        found = parts.drop_null()
        a, b = (pc.cast(found.field(f), pa.int32()).to_numpy() for f in ("a", "b"))
        if a.max() > 12:
            order = "dmy"
        elif b.max() > 12:
            order = "mdy"
        elif pc.all(pc.equal(found.field("sep"), ".")).as_py():
            order = "dmy"
        else:
            example = text.filter(parts.is_valid())[0].as_py()
            raise ValueError(
                f"{what} {example!r} reads as day/month or month/day alike, and so does every "
                "date of the file seen so far: pass --date-order dmy (day first) or mdy "
                "(month first), or choose the date order in the import dialog"
            )
    rewritten = pc.replace_substring_regex(text, pattern=_YEAR_LAST_RE,
                                           replacement=_YEAR_FIRST[order])  # fmt: skip
    return _rewrite(rewritten, _PAD_DATE), order


def _cast_isolating(arr: pa.Array, target: pa.DataType) -> tuple[pa.Array, np.ndarray]:
    """Cast, turning each value that fails into null; returns (result, failed mask)."""
    try:
        return pc.cast(arr, target), np.zeros(len(arr), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    if len(arr) == 1:
        return pa.nulls(1, target), np.ones(1, dtype=bool)
    mid = len(arr) // 2
    left, lbad = _cast_isolating(arr.slice(0, mid), target)
    right, rbad = _cast_isolating(arr.slice(mid), target)
    return pa.concat_arrays([left, right]), np.concatenate([lbad, rbad])


def _parse_iso(text: pa.Array, tz: str, what: str, written: pa.Array | None = None) -> ParsedTimes:
    """ISO date-times (`text`, rewritten so from the file's `written`, which the reasons
    quote)."""
    shown = text if written is None else written
    n = len(text)
    valid = matches(text, _ISO_RE)
    has_offset = matches(text, _OFFSET_RE)
    aware = bool(has_offset[valid].any()) if valid.any() else False
    reasons: dict[int, str] = {}
    if aware:
        mixed = valid & ~has_offset
        for i in np.flatnonzero(mixed)[:1000]:
            reasons[int(i)] = f"{what} {shown[int(i)].as_py()!r} has no zone offset, others do"
        valid &= has_offset
    masked = pc.if_else(pa.array(valid), text, pa.nulls(n, pa.string()))
    target = pa.timestamp("ns", tz="UTC") if aware else pa.timestamp("ns")
    stamps, failed = _cast_isolating(masked, target)
    bad = ~valid | failed
    if aware or not valid.any():
        ts = pc.fill_null(stamps.cast(pa.int64()), 0).to_numpy()
    else:
        ts, dst_bad = _localize(stamps, tz)
        for i in np.flatnonzero(dst_bad & ~bad)[:1000]:
            reasons[int(i)] = f"{what} {shown[int(i)].as_py()!r} does not exist in {tz} (DST gap)"
        bad |= dst_bad
    for i in np.flatnonzero(bad)[:1000]:
        reasons.setdefault(int(i), f"unparseable {what} {shown[int(i)].as_py()!r}")
    return ParsedTimes(np.where(bad, 0, ts).astype(np.int64), bad, reasons,
                       wall_clock=not aware and bool(valid.any()))  # fmt: skip


def wall_to_utc(wall_ns: np.ndarray, tz: str) -> np.ndarray:
    """UTC ns of wall-clock times in `tz` (ns since 1970-01-01 there); a time in a DST gap
    is read as the earlier offset's."""
    return _localize(pa.array(np.asarray(wall_ns, dtype=np.int64), pa.timestamp("ns")), tz)[0]


def _localize(naive: pa.Array, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """UTC ns of local wall-clock times; second mask marks times that do not exist."""
    local = pc.fill_null(naive.cast(pa.int64()), 0).to_numpy()
    if tz == "UTC":
        return local, np.zeros(len(local), dtype=bool)
    filled = pc.fill_null(naive, 0)
    early = pc.assume_timezone(filled, timezone=tz, ambiguous="earliest", nonexistent="earliest")
    late = pc.assume_timezone(filled, timezone=tz, ambiguous="latest", nonexistent="latest")
    early_ns = early.cast(pa.int64()).to_numpy()
    late_ns = late.cast(pa.int64()).to_numpy()
    differ = late_ns - early_ns
    missing = (differ > 0) & (differ < NS_PER_S)
    ambiguous = differ >= NS_PER_S
    # In a repeated hour, a row whose local time does not move past all earlier rows is the
    # second pass through that hour.
    seen_max = np.maximum.accumulate(local)
    second_pass = np.zeros(len(local), dtype=bool)
    second_pass[1:] = ambiguous[1:] & (seen_max[:-1] >= local[1:])
    return np.where(second_pass, late_ns, early_ns), missing


def _parse_epoch(text: pa.Array, unit: str | None, what: str) -> ParsedTimes:
    is_int = matches(text, _INT64_RE)  # longer integers are read as floats, found out of range
    ints = pc.cast(pc.if_else(pa.array(is_int), text, pa.nulls(len(text), pa.string())), pa.int64())
    int_values = pc.fill_null(ints, 0).to_numpy(zero_copy_only=False)
    floats, float_bad = to_float(pc.if_else(pa.array(is_int), "0", text))
    bad = ~is_int & (float_bad | ~np.isfinite(floats))
    if unit is None:
        good = np.abs(np.where(is_int, int_values, floats)[~bad])
        magnitude = float(np.median(good)) if good.size else 0.0
        unit = next(u for u, limit in _EPOCH_MAGNITUDES if magnitude < limit)
    scale = _EPOCH_UNITS[unit]
    limit = _TS_LIMIT // scale  # an epoch beyond it does not fit int64 nanoseconds
    with np.errstate(invalid="ignore"):
        out_of_range = ~bad & np.where(is_int, np.abs(int_values) > limit,
                                       ~(np.abs(floats) <= limit))  # fmt: skip
        from_floats = np.round(np.nan_to_num(np.where(out_of_range, 0, floats)) * scale)
    ts = np.where(is_int & ~out_of_range, int_values * scale, from_floats.astype(np.int64))
    reasons = {
        int(i): f"unparseable {what} {text[int(i)].as_py()!r}" for i in np.flatnonzero(bad)[:1000]
    }
    for i in np.flatnonzero(out_of_range)[:1000]:
        reasons[int(i)] = (
            f"{what} {text[int(i)].as_py()!r} is out of range as epoch {unit} (times run from "
            "1677 to 2262); check --epoch-unit"
        )
    bad = bad | out_of_range
    return ParsedTimes(np.where(bad, 0, ts), bad, reasons, unit)


def looks_like_epoch(value: str) -> bool:
    v = value.strip()
    return (
        v.replace(".", "", 1).isdigit()
        and len(v.split(".")[0]) >= 9
        and not (len(v) == 8 or (len(v) >= 14 and " " in v))
    )


def parse_timestamps(
    arr: pa.ChunkedArray | pa.Array,
    *,
    tz: str,
    epoch_unit: str | None = None,
    date_order: str | None = None,
    what: str = "timestamp",
) -> ParsedTimes:
    """One timestamp column: typed (Arrow timestamp or integer) or text (dates written year
    last read in `date_order`, or the order the column shows: see `year_first`)."""
    arr = as_array(arr)
    if pa.types.is_timestamp(arr.type):
        unit_ns = _EPOCH_UNITS[arr.type.unit]
        bad = arr.is_null().to_numpy(zero_copy_only=False)
        raw = pc.fill_null(arr.cast(pa.int64()), 0).to_numpy() * unit_ns
        if arr.type.tz is None:
            ts, missing = _localize(pa.array(raw, pa.timestamp("ns")), tz)
            bad |= missing
        else:
            ts = raw
        reasons = {int(i): f"missing {what}" for i in np.flatnonzero(bad)[:1000]}
        return ParsedTimes(np.where(bad, 0, ts).astype(np.int64), bad, reasons,
                           wall_clock=arr.type.tz is None)  # fmt: skip
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        return _parse_epoch(arr.cast(pa.string()), epoch_unit, what)
    written = _text(arr)
    first = next((v for v in written.to_pylist()[:200] if v), "")
    if epoch_unit is not None or looks_like_epoch(first):
        return _parse_epoch(written, epoch_unit, what)
    text, date_order = year_first(written, date_order, what)
    parsed = _parse_iso(_rewrite(text, _DATETIME_REWRITES), tz, what, written)
    parsed.date_order = date_order
    return parsed


def parse_date_time(date_arr: pa.ChunkedArray | pa.Array, time_arr: pa.ChunkedArray | pa.Array,
                    *, tz: str, date_order: str | None = None) -> ParsedTimes:  # fmt: skip
    """Separate date and time text columns, joined as local (or offset) date-times."""
    written_dates, written_times = _text(date_arr), _text(time_arr)
    dates, date_order = year_first(written_dates, date_order, "date")
    dates = _rewrite(dates, _DATE_REWRITES)
    times = _rewrite(written_times, _TIME_REWRITES)
    joined = pc.binary_join_element_wise(dates, times, " ")
    parsed = _parse_iso(
        joined, tz, "date and time", pc.binary_join_element_wise(written_dates, written_times, " ")
    )
    parsed.date_order = date_order
    return parsed
