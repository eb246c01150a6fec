import subprocess
import sys
import textwrap

import duckdb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.store import BarStore, Instrument, StoreError
from engine.bars import Bars, concat
from tests.conftest import NS_PER_MIN, make_bars


def test_round_trip(store):
    bars = make_bars(1000)
    assert store.write_bars("ES", "1m", bars) == 1000
    assert store.load("ES", "1m").equals(bars)
    assert store.symbols() == ["ES"]
    assert store.time_range("ES") == (int(bars.ts_ns[0]), int(bars.ts_ns[-1]))
    assert store.count("ES", "1m") == 1000
    assert store.timeframes("ES") == ["1m"]


def test_rewrites_are_noted_for_a_sync_appends_are_not(tmp_path, monkeypatch):
    """A correction that keeps the bar count is seen by a reader that copied the series at
    some version; the notes a series keeps are bounded, and a reader behind them is told to
    read it all again."""
    from data.store import changes

    path = tmp_path / "s.duckdb"
    bars = make_bars(100)
    with BarStore(path) as store:
        store.write_bars("AAA", "1m", bars[:60])
        store.write_bars("AAA", "1m", bars[60:])  # appended: no note
        assert store.series_version("AAA", "1m") == 0
        assert store.changes_since("AAA", "1m", 0) == []
        store.write_bars("AAA", "1m", bars[10:12])  # rewritten in place
        store.write_bars("BBB", "1m", bars[:5])
        store.write_bars("BBB", "1m", bars[:5])
        version = store.series_version("AAA", "1m")
        assert version == 2 and store.changes_since("AAA", "1m", 0) == [
            (int(bars.ts_ns[10]), int(bars.ts_ns[11]))]  # fmt: skip
        store.write_bars("AAA", "1m", bars[20:40], replace_span=(int(bars.ts_ns[20]),
                                                                 int(bars.ts_ns[49])))  # fmt: skip
        assert store.changes_since("AAA", "1m", version) == [
            (int(bars.ts_ns[20]), int(bars.ts_ns[49]))]  # fmt: skip
        monkeypatch.setattr(changes, "CHANGES_KEPT", 2)
        for _ in range(3):
            store.write_bars("AAA", "1m", bars[:1])
        assert store.changes_since("AAA", "1m", version) is None  # let go: read it all
        assert len(store.changes_since("AAA", "1m", store.series_version("AAA", "1m") - 2)) == 2
        store.delete_bars("AAA")
        assert store.changes_since("AAA", "1m", store.series_version("AAA", "1m")) == []
        store._con.execute("DROP TABLE changes")  # a store from before rewrites were noted
    with BarStore(path, read_only=True) as store:
        assert store.changes_since("BBB", "1m", 0) == []  # the file as it is
    with BarStore(path) as store:
        store.write_bars("BBB", "1m", bars[:5])
        assert store.changes_since("BBB", "1m", 4) == [(int(bars.ts_ns[0]), int(bars.ts_ns[4]))]


def test_meta_values_are_kept_and_the_schema_version_is_the_stores_own(store):
    assert store.meta("team_versions") is None
    store.set_meta("team_versions", '{"ES|1m": 3}')
    store.set_meta("team_versions", '{"ES|1m": 4}')
    assert store.meta("team_versions") == '{"ES|1m": 4}'
    with pytest.raises(ValueError, match="schema version is the store's own"):
        store.set_meta("schema_version", "2")
    assert store.meta("schema_version") == "1"


def test_unknown_symbol_becomes_a_24x7_instrument_and_instrument_can_be_given(store):
    store.write_bars("BTC", "1m", make_bars(5))
    assert store.instrument("BTC") == Instrument("BTC", "24x7", "UTC", 0.01, "")
    store.write_bars(
        "ES", "1m", make_bars(5), instrument=Instrument("ES", "cme-globex", tick_size=0.25)
    )
    assert store.instrument("ES").tz == "America/Chicago"
    assert [i.symbol for i in store.instruments()] == ["BTC", "ES"]
    with pytest.raises(KeyError, match="no instrument 'NQ'"):
        store.instrument("NQ")


def test_window_queries(store):
    bars = make_bars(500)
    store.write_bars("ES", "1m", bars)
    t = bars.ts_ns
    assert store.load("ES", "1m", start_ns=t[100], end_ns=t[200]).equals(bars[100:200])
    assert store.load("ES", "1m", limit=50).equals(bars[450:])
    assert store.load("ES", "1m", end_ns=t[300], limit=40).equals(bars[260:300])
    assert store.load_before("ES", "1m", int(t[10]), 100).equals(bars[:10])
    assert len(store.load("ES", "1m", limit=0)) == 0
    assert store.load("ES", "1m", limit=10_000).equals(bars)
    assert len(store.load("NQ", "1m")) == 0
    assert len(store.load("ES", "5m")) == 0


def test_series_are_separate(store):
    a, b = make_bars(100, seed=1), make_bars(100, seed=2)
    store.write_bars("A", "1m", a)
    store.write_bars("B", "1m", b)
    store.write_bars("A", "5m", make_bars(10, step_ns=5 * NS_PER_MIN))
    assert store.load("A", "1m").equals(a)
    assert store.load("B", "1m").equals(b)
    assert store.timeframes("A") == ["1m", "5m"]
    store.delete_bars("A", "5m")
    assert store.timeframes("A") == ["1m"]


def test_upsert_replaces_and_keeps_time_order(store):
    bars = make_bars(1000)
    store.write_bars("ES", "1m", bars[:600])
    # Overlapping and later bars, with different values where they overlap.
    tail = make_bars(500, start_ns=int(bars.ts_ns[500]), seed=9)
    store.write_bars("ES", "1m", tail)
    loaded = store.load("ES", "1m")
    assert loaded.equals(concat([bars[:500], tail]))
    # A backfill before everything and a bar in the middle.
    older = make_bars(100, start_ns=int(bars.ts_ns[0]) - 100 * NS_PER_MIN, seed=3)
    store.write_bars("ES", "1m", older)
    loaded = store.load("ES", "1m")
    assert len(loaded) == 1100
    assert np.all(np.diff(loaded.ts_ns) > 0)
    assert loaded[:100].equals(older)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    gaps=st.lists(st.integers(1, 5000), min_size=2, max_size=400),
    limit=st.integers(1, 450),
    end_at=st.floats(0.0, 1.0),
)
def test_latest_n_matches_a_plain_slice_on_gappy_series(tmp_path_factory, gaps, limit, end_at):
    """The cutoff search (interpolation on time with count queries) gives exactly the last
    `limit` bars however uneven the bar spacing is."""
    path = tmp_path_factory.mktemp("gappy") / "s.duckdb"
    ts = np.cumsum(np.array(gaps, dtype=np.int64)) * NS_PER_MIN
    n = len(ts)
    base = make_bars(n)
    bars = Bars.from_arrays(ts, base.open, base.high, base.low, base.close, base.volume)
    end_ns = int(ts[0] + (ts[-1] - ts[0]) * end_at) + 1
    with BarStore(path) as s:
        s.write_bars("X", "1m", bars)
        got = s.load("X", "1m", end_ns=end_ns, limit=limit)
    inside = bars[: int(np.searchsorted(ts, end_ns))]
    assert got.equals(inside[max(0, len(inside) - limit) :])


def test_the_latest_bars_of_an_even_series_take_one_query(store):
    bars = make_bars(5000)
    store.write_bars("ES", "1m", bars)
    before = store.queries
    assert store.load_series("ES", "1m", limit=1000).bars().equals(bars[4000:])
    assert store.queries - before == 1


def test_the_latest_bars_of_a_series_sparse_at_its_end_are_still_exact(store):
    """The density guess reaches back too little (a dense start, a sparse end): the load
    falls back to the exact search and still gives the last bars."""
    gaps = np.r_[np.ones(4000, dtype=np.int64), np.full(1000, 60, dtype=np.int64)]
    ts = np.cumsum(gaps) * NS_PER_MIN
    base = make_bars(len(ts))
    bars = Bars.from_arrays(ts, base.open, base.high, base.low, base.close, base.volume)
    store.write_bars("ES", "1m", bars)
    before = store.queries
    assert store.load("ES", "1m", limit=500).equals(bars[4500:])
    assert store.queries - before > 1


def test_invalid_bars_are_refused_and_store_is_unchanged(store):
    bars = make_bars(100)
    store.write_bars("ES", "1m", bars)
    columns = {
        k: v.copy() for k, v in make_bars(10, start_ns=int(bars.ts_ns[-1])).columns().items()
    }
    columns["low"][3] = columns["high"][3] + 1
    bad = Bars(*columns.values())
    with pytest.raises(ValueError, match="row 3: high"):
        store.write_bars("ES", "1m", bad)
    with pytest.raises(ValueError, match="unknown timeframe '2m'"):
        store.write_bars("ES", "2m", bars)
    with pytest.raises(ValueError, match="bad symbol"):
        store.write_bars("E S", "1m", bars)
    assert store.load("ES", "1m").equals(bars)


def test_failure_mid_transaction_rolls_back(store, monkeypatch):
    """A write that fails after it has deleted the old tail leaves the store as it was."""
    bars = make_bars(200)
    store.write_bars("ES", "1m", bars)
    columns = {k: v.copy() for k, v in bars[100:150].columns().items()}
    columns["volume"][-1] = -5.0  # refused by the table's CHECK, after the DELETE ran
    monkeypatch.setattr(Bars, "validate", lambda self: None)
    with pytest.raises(StoreError, match="CHECK constraint failed"):
        store.write_bars("ES", "1m", Bars(*columns.values()))
    monkeypatch.undo()
    assert store.load("ES", "1m").equals(bars)
    store.write_bars("ES", "1m", make_bars(5, start_ns=int(bars.ts_ns[-1]) + NS_PER_MIN))
    assert store.count("ES", "1m") == 205


def test_closed_store_says_so(tmp_path):
    s = BarStore(tmp_path / "s.duckdb")
    s.close()
    s.close()
    with pytest.raises(StoreError, match="is closed"):
        s.symbols()


def test_store_without_series_statistics_gets_them(tmp_path):
    path = tmp_path / "old.duckdb"
    bars = make_bars(100)
    with BarStore(path) as s:
        s.write_bars("ES", "1m", bars)
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE series")
    con.close()
    with pytest.raises(StoreError, match="older candleterm; open it once without read-only"):
        BarStore(path, read_only=True)
    with BarStore(path) as s:
        assert s.count("ES", "1m") == 100 and s.load("ES", "1m", limit=10).equals(bars[90:])


def test_a_store_made_with_a_key_on_its_bars_reads_and_writes_as_before(tmp_path):
    """Stores made before the bars table lost its primary key keep it; every write path
    (after, inside and before the stored bars) works on them as on a new store."""
    path = tmp_path / "keyed.duckdb"
    with BarStore(path) as s:
        s.write_bars("ES", "1m", make_bars(10))
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE keyed AS SELECT * FROM bars")
    con.execute("DROP TABLE bars")
    con.execute("""CREATE TABLE bars (symbol VARCHAR NOT NULL, timeframe VARCHAR NOT NULL,
                   ts_ns BIGINT NOT NULL, open DOUBLE NOT NULL, high DOUBLE NOT NULL,
                   low DOUBLE NOT NULL, close DOUBLE NOT NULL, volume DOUBLE NOT NULL,
                   PRIMARY KEY (symbol, timeframe, ts_ns))""")
    con.execute("INSERT INTO bars SELECT * FROM keyed")
    con.execute("DROP TABLE keyed")
    con.close()
    bars = make_bars(1000)
    with BarStore(path) as s:
        s.write_bars("ES", "1m", bars[:600])
        s.write_bars("ES", "1m", bars[500:])
        s.write_bars("ES", "1m", bars[:300])
        assert s.load("ES", "1m").equals(bars) and s.count("ES", "1m") == 1000


def test_data_survives_reopening(tmp_path):
    path = tmp_path / "s.duckdb"
    bars = make_bars(300)
    with BarStore(path) as s:
        s.write_bars("ES", "1m", bars)
    with BarStore(path, read_only=True) as s:
        assert s.load("ES", "1m").equals(bars)


def test_not_a_duckdb_file_is_left_untouched(tmp_path):
    path = tmp_path / "notes.duckdb"
    content = b"these are my notes, not a database\n" * 100
    path.write_bytes(content)
    with pytest.raises(StoreError, match="not a DuckDB database.*left untouched"):
        BarStore(path)
    assert path.read_bytes() == content


def test_corrupt_duckdb_file_is_left_untouched(tmp_path):
    path = tmp_path / "broken.duckdb"
    with BarStore(path) as s:
        s.write_bars("ES", "1m", make_bars(10))
    data = bytearray(path.read_bytes())
    data[4096:] = b"\x5a" * (len(data) - 4096)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="broken.duckdb"):
        BarStore(path)
    assert path.read_bytes() == bytes(data)


def test_foreign_duckdb_database_is_refused(tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE customers (id INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not a candleterm store.*customers"):
        BarStore(path)


def test_directory_is_refused(tmp_path):
    with pytest.raises(StoreError, match="is a directory"):
        BarStore(tmp_path)


def test_store_held_by_another_process_gives_a_clear_message(tmp_path):
    path = tmp_path / "held.duckdb"
    BarStore(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys
                con = duckdb.connect({str(path)!r})
                print("ready", flush=True)
                sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError, match=rf"open in process {holder.pid}.*--db"):
            BarStore(path)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()
    with BarStore(path) as s:
        assert s.symbols() == []


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(writes=st.lists(st.tuples(st.one_of(st.integers(1, 30), st.integers(-300, 0)),
                                 st.integers(1, 120), st.integers(1, 3), st.booleans()),
                       min_size=1, max_size=8))  # fmt: skip
def test_any_sequence_of_writes_keeps_each_time_once_and_the_last_written(tmp_path_factory, writes):
    """Writes landing after (a gap > 0 minutes past the last bar written), inside, across
    and before the stored bars, some with holes (a bar every `step` minutes), some replacing
    their span: the series holds each time once, in order, with the bars written last there
    and, over a replacing write's span, its bars alone (the bars table has no key to refuse
    a duplicate: the writes alone keep them unique), and its statistics agree."""
    t0 = int(np.datetime64("2024-01-02", "ns").astype(np.int64))
    expected: dict[int, tuple] = {}
    with BarStore(tmp_path_factory.mktemp("writes") / "w.duckdb") as s:
        for k, (gap, n, step, replace) in enumerate(writes):
            start_ns = max(t0, max(expected, default=t0) + gap * NS_PER_MIN)
            bars = make_bars(n, start_ns=start_ns, step_ns=step * NS_PER_MIN, seed=k)
            first = int(bars.ts_ns[0]) - replace * NS_PER_MIN  # a span a bar wider either side
            last = int(bars.ts_ns[-1]) + replace * NS_PER_MIN
            s.write_bars("X", "1m", bars, replace_span=(first, last) if replace else None)
            s.write_bars("Y", "1m", bars[: max(1, n // 2)])  # another series, interleaved
            if replace:
                expected = {t: row for t, row in expected.items() if not first <= t <= last}
            for row in zip(*bars.columns().values(), strict=True):
                expected[int(row[0])] = row
        got = s.load("X", "1m")
        assert s.count("X", "1m") == len(expected)
        assert s.time_range("X") == (min(expected), max(expected))
    assert got.ts_ns.tolist() == sorted(expected)
    want = np.array([expected[t] for t in sorted(expected)], dtype=np.float64)
    assert np.array_equal(np.column_stack([got.open, got.high, got.low, got.close, got.volume]),
                          want[:, 1:])  # fmt: skip
