from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.store import BarStore
from engine.bars import Bars, concat
from engine.localtime import local_ns
from engine.lod import LEVELS, LodPyramid, choose_level
from engine.series_buffer import ALIGN, SeriesBuffer
from tests.conftest import NS_PER_MIN, T0_NS, make_bars
from tests.reference import blocks_reference, hilo_reference
from widgets.time_axis import MIN_LABEL_PX, time_ticks

ALL = make_bars(5000, start_ns=T0_NS - 2500 * NS_PER_MIN)


@st.composite
def histories(draw):
    """A sequence of operations building ALL[a:b] from a middle slice outwards."""
    start = draw(st.integers(1000, 4000))
    a, b = start, start + 1
    ops = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["prepend", "append", "correct"]))
        k = draw(st.integers(1, 700))
        if kind == "prepend" and a > 0:
            ops.append(("prepend", max(0, a - k), a))
            a = max(0, a - k)
        elif kind == "append" and b < len(ALL):
            ops.append(("append", b, min(len(ALL), b + k)))
            b = min(len(ALL), b + k)
        elif kind == "correct" and b > a:
            ops.append(("correct", draw(st.integers(a, b - 1)), 0))
    return start, ops


@settings(max_examples=60, deadline=None)
@given(history=histories(), queries=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)),
                                             min_size=1, max_size=20))  # fmt: skip
def test_pyramid_matches_plain_loops_through_prepends_appends_and_corrections(history, queries):
    start, ops = history
    buffer = SeriesBuffer(ALL[start : start + 1])
    pyramid = LodPyramid(buffer)
    highs = ALL.high.copy()
    a = start
    for kind, x, y in ops:
        if kind == "prepend":
            pyramid.update(0, buffer.prepend(ALL[x:y]) + 1)
            a = x
        elif kind == "append":
            first = buffer.append(ALL[x:y])
            pyramid.update(first, first + (y - x))
        else:
            highs[x] += 1.0
            row = (ALL.ts_ns[x], ALL.open[x], highs[x], ALL.low[x], ALL.close[x], ALL.volume[x])
            buffer.set_row(x - a, row)
            pyramid.update(x - a, x - a + 1)
    bars = buffer.bars()
    n = len(bars)
    assert np.array_equal(bars.high, highs[a : a + n])
    for u, v in queries:
        i, j = sorted((int(u * n), int(v * n)))
        j = max(j, i + 1)
        if j > n:
            i, j = n - 1, n
        assert pyramid.hilo(i, j) == hilo_reference(bars.high, bars.low, i, j)
    for level in (0, 1, 2, 3, 4, 5, 9, LEVELS):
        got = pyramid.blocks(level, 0, n)
        want = blocks_reference(bars, level, buffer.origin, 0, n)
        assert [list(row) for row in zip(*got, strict=True)] == want
        assert pyramid.block_span(level, n - 1) == (want[-1][0], want[-1][1] + 1)
        assert pyramid.block_span(level, 0) == (want[0][0], want[0][1] + 1)


def test_buffer_reallocation_rebuilds_the_pyramid():
    many = make_bars(ALIGN + 5000)
    buffer = SeriesBuffer(many[-10:])
    pyramid = LodPyramid(buffer)
    generation = buffer.generation
    pyramid.update(0, buffer.prepend(many[:-10]) + 1)  # more than the front room
    assert buffer.generation != generation
    assert buffer.bars().equals(many)
    assert pyramid.hilo(0, len(many)) == hilo_reference(many.high, many.low, 0, len(many))
    more = make_bars(3 * ALIGN, start_ns=int(many.ts_ns[-1]) + NS_PER_MIN)
    first = buffer.append(more)
    pyramid.update(first, first + len(more))
    everything = concat([many, more])
    assert buffer.bars().equals(everything)
    assert pyramid.hilo(5, len(everything) - 5) == hilo_reference(
        everything.high, everything.low, 5, len(everything) - 5
    )


def test_store_loads_straight_into_a_growable_buffer(tmp_path):
    with BarStore(tmp_path / "s.duckdb") as store:
        store.write_bars("X", "1m", ALL)
        for limit in (100, 4999, None):
            buffer = store.load_series("X", "1m", limit=limit)
            assert buffer.bars().equals(store.load("X", "1m", limit=limit))
            generation = buffer.generation
            buffer.append(make_bars(3, start_ns=int(ALL.ts_ns[-1]) + NS_PER_MIN))
            buffer.prepend(store.load_before("X", "1m", int(buffer.bars().ts_ns[0]), 50))
            assert buffer.generation == generation  # both fit in the room: nothing moved
        assert len(store.load_series("NOPE", "1m")) == 0
    pristine = ALL.close.copy()
    copied = SeriesBuffer(ALL[10:20])
    copied.append(make_bars(1, start_ns=int(ALL.ts_ns[-1]) + NS_PER_MIN, seed=4))
    assert np.array_equal(ALL.close, pristine)  # Bars are copied in, never written through


def test_level_choice_has_hysteresis():
    assert choose_level(0.1, 0) == 0
    assert choose_level(1.0, 0) == 1  # one bar a pixel: 2-bar candles, 2 px wide
    assert choose_level(1000.0, 0) == 11
    # Zooming back and forth across the level-1 boundary does not flip the level.
    level = 0
    seen = []
    for bars_per_px in [0.45, 0.55, 0.45, 0.55, 0.6, 0.55, 0.45, 0.55]:
        level = choose_level(bars_per_px, level)
        seen.append(level)
    assert seen == [0, 0, 0, 0, 0, 0, 0, 0]
    level = choose_level(0.7, level)
    assert level == 1
    assert choose_level(0.45, level) == 1  # not back to 0 until clearly below
    assert choose_level(0.3, level) == 0


@settings(max_examples=100, deadline=None)
@given(
    tz=st.sampled_from(
        [
            "America/Chicago",
            "America/New_York",
            "Asia/Shanghai",
            "Europe/Berlin",
            "UTC",
            "Australia/Sydney",
            "Etc/GMT+5",  # fixed offsets: a table of one entry
            "Etc/GMT-10",
        ]
    ),
    seconds=st.lists(st.integers(0, 30 * 365 * 86400), min_size=1, max_size=50),
)
def test_local_time_matches_zoneinfo(tz, seconds):
    ts = (np.array(seconds, dtype=np.int64) + 1_000_000_000) * 1_000_000_000
    zone = ZoneInfo(tz)
    want = [
        int(datetime.fromtimestamp(s, UTC).astimezone(zone).replace(tzinfo=UTC).timestamp())
        for s in ts // 1_000_000_000
    ]
    assert (local_ns(ts, tz) // 1_000_000_000).tolist() == want


@pytest.mark.parametrize("span", [60, 600, 6_000, 60_000, 600_000, 5_000])
def test_time_ticks_are_spaced_for_the_width(span):
    bars = make_bars(600_000, start_ns=T0_NS)
    width = 1200.0
    ticks = time_ticks(bars.ts_ns[-span:], 0, span, width, "America/New_York")
    assert 2 <= len(ticks) <= width / (MIN_LABEL_PX * 0.75)
    positions = [ix for ix, _ in ticks]
    assert positions == sorted(set(positions))
    gaps_px = np.diff(positions) * width / span
    assert np.all(gaps_px >= MIN_LABEL_PX * 0.75)  # labels never run into each other


@pytest.mark.parametrize("width_px", [300, 620])
def test_weeks_in_view_have_more_than_one_label(width_px):
    """Eight weeks of weekday sessions in 620 px were one label, "Feb 2006" (the weeks did
    not fit, the next step was months); a week of hours in a 300 px grid cell was one."""
    day = int(np.datetime64("2006-01-02T08:00", "ns").astype(np.int64))
    days = [day + d * 24 * 60 * NS_PER_MIN for d in range(56) if d % 7 < 5]
    minutes = np.concatenate([d + np.arange(13 * 60) * NS_PER_MIN for d in days])
    hours = day + np.arange(7 * 24) * 60 * NS_PER_MIN
    for ts in (minutes, hours):
        ticks = time_ticks(ts, 0, len(ts), width_px, "UTC")
        assert len(ticks) >= 3, ticks
        assert np.all(np.diff([ix for ix, _ in ticks]) * width_px / len(ts) >= MIN_LABEL_PX * 0.75)


def test_hourly_ticks_follow_local_time_across_dst():
    start = int(np.datetime64("2024-03-10T04:00", "ns").astype(np.int64))  # Sat 22:00 CST
    ts = start + np.arange(12 * 60, dtype=np.int64) * NS_PER_MIN
    bars = Bars.from_arrays(ts, *(np.ones(len(ts)) for _ in range(4)))
    labels = [label for _, label in time_ticks(bars.ts_ns, 0, len(ts), 1100, "America/Chicago")]
    # 02:00 does not exist that night in Chicago: 01:00 is followed by 03:00.
    assert "Sun 10 00:00" in labels and "03:00" in labels and "02:00" not in labels


def test_intraday_ticks_say_the_month_and_the_year_they_begin():
    """Scrolled back on minutes, a new day said "Wed 01 00:00": which month, which year,
    nothing on the axis told. A day that starts a month says the month, one that starts a
    year the year; other days stay short."""
    start = int(np.datetime64("2023-12-31T12:00", "ns").astype(np.int64))
    quarter_hours = start + np.arange(400, dtype=np.int64) * 15 * NS_PER_MIN
    labels = [label for _, label in time_ticks(quarter_hours, 0, 400, 1400, "UTC")]
    assert "01 Jan 2024 00:00" in labels and "Tue 02 00:00" in labels
    start = int(np.datetime64("2012-01-31T12:00", "ns").astype(np.int64))
    minutes = start + np.arange(1500, dtype=np.int64) * NS_PER_MIN
    labels = [label for _, label in time_ticks(minutes, 0, 1500, 1400, "UTC")]
    assert "Wed 01 Feb 00:00" in labels
    assert all(label[:2].isdigit() for label in labels if label != "Wed 01 Feb 00:00")
