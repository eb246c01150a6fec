import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.files.importer import ImportOptions, read_file
from data.files.tables import read_table
from data.files.timestamps import parse_timestamps
from engine.aggregate import resample, resample_ticks
from engine.bars import Bars
from engine.live import EventKind, MultiTimeframeBuilder
from engine.sessions import PRESETS
from engine.timeframes import TIMEFRAMES
from tests.conftest import NS_PER_MIN, make_bars

NS_PER_S = 1_000_000_000
HORIZON_NS = 3600 * NS_PER_S
START = int(np.datetime64("2024-03-06T00:00", "ns").astype(np.int64))  # a DST switch ahead


@st.composite
def tick_streams(draw):
    """Ticks over a few days (some in session breaks), with equal times and bursts."""
    n = draw(st.integers(1, 400))
    steps = draw(
        st.lists(
            st.one_of(st.just(0), st.integers(1, 90), st.integers(90, 4 * 3600)),
            min_size=n,
            max_size=n,
        )
    )
    ts = START + draw(st.integers(0, 6 * 86400)) * NS_PER_S + np.cumsum(steps) * NS_PER_S
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    price = np.round(100 + np.cumsum(rng.normal(0, 0.5, n)), 2)
    qty = rng.integers(1, 9, n).astype(np.float64)
    return ts.astype(np.int64), price, qty


def expected(ts, price, qty, tf, cal):
    order = np.argsort(ts, kind="stable")  # equal times keep their arrival order
    return resample_ticks(ts[order], price[order], qty[order], tf, cal).bars


def assert_matches_batch(builder, ts, price, qty, timeframes, cal):
    for tf in timeframes:
        got = builder.bars(tf)
        want = expected(ts, price, qty, tf, cal)
        assert got.equals(want), f"{tf}: {got} != {want}"


timeframe_sets = st.lists(st.sampled_from(TIMEFRAMES), min_size=1, max_size=6, unique=True)


@settings(max_examples=60, deadline=None)
@given(stream=tick_streams(), cal=st.sampled_from(sorted(PRESETS)), tfs=timeframe_sets)
def test_tick_by_tick_equals_batch(stream, cal, tfs):
    ts, price, qty = stream
    builder = MultiTimeframeBuilder(tfs, cal)
    for t, p, q in zip(ts, price, qty, strict=True):
        builder.on_tick(int(t), float(p), float(q))
    assert_matches_batch(builder, ts, price, qty, tfs, cal)


@settings(max_examples=60, deadline=None)
@given(
    stream=tick_streams(),
    cal=st.sampled_from(sorted(PRESETS)),
    tfs=timeframe_sets,
    cuts=st.lists(st.integers(0, 400), max_size=8),
)
def test_random_batches_equal_batch(stream, cal, tfs, cuts):
    ts, price, qty = stream
    builder = MultiTimeframeBuilder(tfs, cal, event_capacity=4)  # also drains mid-batch
    bounds = [0, *sorted(c for c in cuts if c < len(ts)), len(ts)]
    for a, b in itertools.pairwise(bounds):
        builder.on_ticks(ts[a:b], price[a:b], qty[a:b])
    assert_matches_batch(builder, ts, price, qty, tfs, cal)


@settings(max_examples=80, deadline=None)
@given(
    stream=tick_streams(),
    cal=st.sampled_from(sorted(PRESETS)),
    tfs=timeframe_sets,
    delays=st.lists(st.integers(0, 3000), min_size=400, max_size=400),
    flush_every=st.integers(0, 50),
    batch=st.booleans(),
)
def test_late_and_out_of_order_ticks_equal_batch(stream, cal, tfs, delays, flush_every, batch):
    """Each tick arrives up to 50 minutes late (well within the horizon): arrival order is
    by ts + delay, and a timer flushes on the arrival clock. The bars equal the batch result
    over the ticks sorted by time."""
    ts, price, qty = stream
    arrives = ts + np.array(delays[: len(ts)]) * NS_PER_S
    order = np.argsort(arrives, kind="stable")
    ts, price, qty, arrives = ts[order], price[order], qty[order], arrives[order]
    builder = MultiTimeframeBuilder(tfs, cal, horizon_ns=HORIZON_NS)
    step = flush_every or len(ts)
    for a in range(0, len(ts), step):
        b = a + step
        if batch:
            builder.on_ticks(ts[a:b], price[a:b], qty[a:b])
        else:
            for t, p, q in zip(ts[a:b], price[a:b], qty[a:b], strict=True):
                builder.on_tick(int(t), float(p), float(q))
        if flush_every:
            builder.flush(int(arrives[min(b, len(ts)) - 1]))
    assert builder.counters().rejected_late == 0
    assert_matches_batch(builder, ts, price, qty, tfs, cal)


def test_ticks_older_than_the_horizon_are_rejected_and_counted():
    builder = MultiTimeframeBuilder(["1m", "1h"], "24x7", horizon_ns=600 * NS_PER_S)
    builder.on_tick(START + 3600 * NS_PER_S, 100.0, 1)
    builder.on_tick(START + 3000 * NS_PER_S, 90.0, 1)  # 10 minutes late: taken
    builder.on_tick(START + 100 * NS_PER_S, 50.0, 1)  # almost an hour late: rejected
    counters = builder.counters()
    assert counters.rejected_late == 1 and counters.late == 1
    assert builder.bars("1h").low.min() == 90.0


def test_flush_seals_the_last_bar_before_a_break():
    builder = MultiTimeframeBuilder(["1m", "5m"], "us-equity")
    events = []
    builder.subscribe(events.append)
    close_ns = int(np.datetime64("2024-03-06T21:00", "ns").astype(np.int64))  # 16:00 EST
    builder.on_tick(close_ns - 30 * NS_PER_S, 10.0, 1)
    assert len(builder.sealed("1m")) == 0 and builder.forming("1m") is not None
    builder.flush(close_ns - NS_PER_S)
    assert len(builder.sealed("1m")) == 0
    builder.flush(close_ns)
    assert len(builder.sealed("1m")) == 1 and len(builder.sealed("5m")) == 1
    assert builder.forming("5m") is None
    assert builder.sealed("5m").ts_ns[0] == close_ns - 5 * NS_PER_MIN
    kinds = [(e.kind, e.timeframe) for e in events]
    assert (EventKind.SEALED, "1m") in kinds and (EventKind.SEALED, "5m") in kinds
    assert (EventKind.FORMING, "5m") in kinds


def test_events_report_sealed_forming_corrected_and_inserted():
    builder = MultiTimeframeBuilder(["1m", "1h"], "24x7")
    events = []
    builder.subscribe(events.append)
    for minute in (0, 1, 5):
        builder.on_tick(START + minute * NS_PER_MIN, 100.0 + minute, 1)
    events.clear()
    builder.on_tick(START + 30 * NS_PER_S, 50.0, 1)  # late, into the sealed first minute
    assert (EventKind.CORRECTED, "1m", 0) in [(e.kind, e.timeframe, e.index) for e in events]
    assert (EventKind.FORMING, "1h", 0) in [(e.kind, e.timeframe, e.index) for e in events]
    events.clear()
    builder.on_tick(START + 3 * NS_PER_MIN, 70.0, 1)  # late, into a minute with no bar yet
    assert (EventKind.INSERTED, "1m", 2) in [(e.kind, e.timeframe, e.index) for e in events]
    assert builder.bars("1m").ts_ns.tolist() == [START + m * NS_PER_MIN for m in (0, 1, 3, 5)]
    assert builder.bars("1h").low[0] == 50.0
    builder.unsubscribe(events.append)


def test_base_bars_drive_higher_timeframes_and_corrections_recompute():
    base = make_bars(600, start_ns=START)
    short = MultiTimeframeBuilder(["1m"], "24x7", horizon_ns=HORIZON_NS)
    short.on_bars(base)
    short.on_bars(base[130:131])  # eight hours old: beyond the horizon
    assert short.counters().rejected_late == 1
    builder = MultiTimeframeBuilder(["1m", "15m", "1h"], "24x7", horizon_ns=24 * HORIZON_NS)
    builder.on_bars(base[:400])
    for i in range(400, 600):
        builder.on_bar(int(base.ts_ns[i]), base.open[i], base.high[i], base.low[i],
                       base.close[i], base.volume[i])  # fmt: skip
    for tf in ("15m", "1h"):
        assert builder.bars(tf).equals(resample(base, tf, "24x7"))
    corrected = {k: v.copy() for k, v in base.columns().items()}
    corrected["high"][130] += 5.0
    corrected["volume"][599] = 1000.0
    fixed = Bars(*corrected.values())
    builder.on_bars(fixed[130:131])  # a corrected sealed bar
    builder.on_bar(
        int(fixed.ts_ns[599]),
        *(fixed.columns()[c][599] for c in ("open", "high", "low", "close", "volume")),
    )  # the forming bar, corrected
    for tf in ("1m", "15m", "1h"):
        assert builder.bars(tf).equals(resample(fixed, tf, "24x7")), tf


def test_bad_input_is_explained():
    with pytest.raises(ValueError, match="unknown timeframe '7m'"):
        MultiTimeframeBuilder(["1m", "7m"], "24x7")
    with pytest.raises(ValueError, match="at least one timeframe"):
        MultiTimeframeBuilder([], "24x7")
    builder = MultiTimeframeBuilder(["5m"], "24x7")
    with pytest.raises(ValueError, match="not the start of a 1m bucket"):
        builder.on_bar(START + 30 * NS_PER_S, 1, 1, 1, 1, 1)
    with pytest.raises(ValueError, match="timeframe '1h' is not built here"):
        builder.bars("1h")
    with pytest.raises(ValueError, match="3 times, 2 prices"):
        builder.on_ticks(np.zeros(3, np.int64), np.zeros(2), np.zeros(3))


def test_eurusd_quotes_live_equal_batch(realdata):
    raw = read_table(realdata / "eurusd-quotes-2020-01-01.csv")
    columns = {f: [] for f in ("field1", "field2", "field3")}
    for batch in raw.batches(list(columns)):
        for f, values in batch.items():
            columns[f].append(values)
    ts = np.concatenate([parse_timestamps(c, tz="UTC").ts_ns for c in columns["field1"]])
    bid, ask = (
        np.concatenate([c.to_numpy(zero_copy_only=False) for c in columns[f]]).astype(float)
        for f in ("field2", "field3")
    )
    mid = (bid + ask) / 2
    qty = np.ones(len(ts))
    tfs = ["1m", "5m", "15m", "1h", "4h", "1d"]
    builder = MultiTimeframeBuilder(tfs, "24x7")
    for t, p in zip(ts, mid, strict=True):
        builder.on_tick(int(t), float(p), 1.0)
    assert_matches_batch(builder, ts, mid, qty, tfs, "24x7")
    imported, _, _ = read_file(realdata / "eurusd-quotes-2020-01-01.csv",
                               ImportOptions(symbol="EURUSD"))  # fmt: skip
    assert builder.bars("1m").equals(imported)
