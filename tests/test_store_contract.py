"""One contract, every backend: the embedded DuckDB store, ArcticDB on LMDB and ArcticDB on
a local S3 server (moto) keep bars, instruments, sources, drawings and alerts alike, and
fail only with StoreError."""

import numpy as np
import pytest

from data.store import Instrument, StoreError
from data.store.port import open_store
from data.store.provenance import DEMO, SIMULATED, Source, SourceKind
from data.store.provenance import DERIVED as DERIVED_SRC
from engine.alert_specs import AlertSpec
from engine.bars import Bars, concat
from engine.drawings import Drawing
from tests.conftest import NS_PER_MIN, T0_NS, make_bars

# The cache's own behaviour is tested in test_team_store; its run of the whole contract is
# slow (a local S3 server answers each request in ~10 ms) and left to `pytest -m slow`.
BACKENDS = ("duckdb", "lmdb", "s3", pytest.param("s3-cached", marks=pytest.mark.slow))


@pytest.fixture(params=BACKENDS)
def where(request, tmp_path):
    """A new, empty store's address on each backend."""
    if request.param == "duckdb":
        return str(tmp_path / "store.duckdb")
    if request.param == "lmdb":
        return f"lmdb://{tmp_path / 'team'}"
    url = request.getfixturevalue("local_s3").bucket()
    if request.param == "s3-cached":  # the team store read through a local cache file
        url += f"&cache={tmp_path / 'cache.duckdb'}"
    return url


@pytest.fixture
def store(where):
    s = open_store(where)
    yield s
    s.close()


def test_round_trip_and_series_statistics(store):
    bars = make_bars(1000)
    assert store.write_bars("ES", "1m", bars) == 1000
    assert store.load("ES", "1m").equals(bars)
    assert store.symbols() == ["ES"]
    assert store.time_range("ES") == (int(bars.ts_ns[0]), int(bars.ts_ns[-1]))
    assert store.count("ES", "1m") == 1000
    assert store.count("ES", "1m", int(bars.ts_ns[10]), int(bars.ts_ns[20])) == 10
    assert store.timeframes("ES") == ["1m"]
    assert store.time_range("NQ") is None and store.count("NQ", "1m") == 0


def test_instruments(store):
    store.write_bars("BTC", "1m", make_bars(5))
    assert store.instrument("BTC") == Instrument("BTC", "24x7", "UTC", 0.01, "")
    es = Instrument("ES", "cme-globex", tick_size=0.25, description="E-mini")
    store.write_bars("ES", "1m", make_bars(5), instrument=es)
    assert store.instrument("ES") == es and es.tz == "America/Chicago"
    assert [i.symbol for i in store.instruments()] == ["BTC", "ES"]
    with pytest.raises(KeyError, match="no instrument 'NQ'"):
        store.instrument("NQ")
    store.add_instrument(Instrument("NQ", "us-equity"))
    assert store.instrument("NQ").calendar == "us-equity"


def test_window_queries_and_paging_back(store):
    bars = make_bars(500)
    store.write_bars("ES", "1m", bars)
    t = bars.ts_ns
    assert store.load("ES", "1m", start_ns=t[100], end_ns=t[200]).equals(bars[100:200])
    assert store.load("ES", "1m", limit=50).equals(bars[450:])
    assert store.load("ES", "1m", end_ns=t[300], limit=40).equals(bars[260:300])
    assert store.load("ES", "1m", start_ns=t[290], end_ns=t[300], limit=40).equals(bars[290:300])
    assert store.load_before("ES", "1m", int(t[10]), 100).equals(bars[:10])
    assert len(store.load("ES", "1m", limit=0)) == 0
    assert store.load("ES", "1m", limit=10_000).equals(bars)
    assert len(store.load("NQ", "1m")) == 0 and len(store.load("ES", "5m")) == 0
    series = store.load_series("ES", "1m", limit=100)
    assert series.bars().equals(bars[400:])


def test_paging_back_over_gaps_reads_a_window_not_the_series(store):
    steps = np.where(np.arange(3000) % 500 == 0, 3 * 24 * 60, 1)  # a long weekend now and then
    ts = T0_NS + np.cumsum(steps).astype(np.int64) * NS_PER_MIN
    bars = make_bars(3000)
    bars = Bars(ts, bars.open, bars.high, bars.low, bars.close, bars.volume)
    store.write_bars("ES", "1m", bars)
    for end in (2999, 2501, 1000, 30):
        got = store.load("ES", "1m", end_ns=int(ts[end]), limit=700)
        assert got.equals(bars[max(0, end - 700) : end]), end


def test_upsert_replaces_and_keeps_time_order(store):
    bars = make_bars(1000)
    store.write_bars("ES", "1m", bars[:600])
    tail = make_bars(500, start_ns=int(bars.ts_ns[500]), seed=9)
    store.write_bars("ES", "1m", tail)
    assert store.load("ES", "1m").equals(concat([bars[:500], tail]))
    older = make_bars(100, start_ns=int(bars.ts_ns[0]) - 100 * NS_PER_MIN, seed=3)
    store.write_bars("ES", "1m", older)
    loaded = store.load("ES", "1m")
    assert len(loaded) == 1100 and np.all(np.diff(loaded.ts_ns) > 0)
    assert loaded[:100].equals(older) and loaded[100:].equals(concat([bars[:500], tail]))
    sparse = make_bars(3, start_ns=int(bars.ts_ns[50]), step_ns=10 * NS_PER_MIN, seed=4)
    store.write_bars("ES", "1m", sparse)  # three bars inside: the ones between stay
    loaded = store.load("ES", "1m")
    assert len(loaded) == 1100
    assert loaded.close[150] == sparse.close[0] and loaded.close[151] == bars.close[51]
    # replacing: the sparse bars are the series over their span (20 minutes), so the 17
    # stored minutes between them go; the bars either side stay
    store.write_bars("ES", "1m", sparse, replace_span=(int(sparse.ts_ns[0]), int(sparse.ts_ns[-1])))
    loaded = store.load("ES", "1m")
    assert len(loaded) == 1100 - 18 and np.all(np.diff(loaded.ts_ns) > 0)
    assert loaded[150:153].equals(sparse)
    assert loaded[:150].equals(concat([older, bars[:50]]))
    assert loaded[153:].equals(concat([bars[71:500], tail]))
    assert store.count("ES", "1m") == 1100 - 18


def test_series_are_separate_and_deleted_alone(store):
    a, b = make_bars(100, seed=1), make_bars(100, seed=2)
    store.write_bars("A", "1m", a)
    store.write_bars("BINANCE:BTC/USDT", "1m", b)  # a slash in a symbol
    store.write_bars("A", "5m", make_bars(10, step_ns=5 * NS_PER_MIN))
    assert store.load("BINANCE:BTC/USDT", "1m").equals(b)
    assert store.timeframes("A") == ["1m", "5m"]
    store.delete_bars("A", "5m")
    assert store.timeframes("A") == ["1m"] and store.load("A", "1m").equals(a)
    store.delete_bars("A")
    assert store.symbols() == ["BINANCE:BTC/USDT"]


def test_sources_and_the_synthetic_rule(store):
    bars = make_bars(100)
    imported = Source(SourceKind.IMPORT, "es.csv")
    store.write_bars("ES", "1m", bars[:60], source=imported)
    store.write_bars("ES", "1m", bars[60:], source=Source(SourceKind.SOCKET))
    assert [str(s.source) for s in store.sources("ES")] == ["import of es.csv", "socket"]
    assert store.is_synthetic("ES") is False
    for synthetic in (DEMO, SIMULATED):
        with pytest.raises(StoreError, match="ES holds real bars"):
            store.write_bars("ES", "1m", make_bars(5, start_ns=int(bars.ts_ns[-1]) + NS_PER_MIN),
                             source=synthetic)  # fmt: skip
    assert store.load("ES", "1m").equals(bars)  # nothing changed
    store.write_bars("DEMO", "1m", bars, source=DEMO)
    with pytest.raises(StoreError, match="DEMO holds synthetic bars"):
        store.write_bars("DEMO", "1m", bars, source=imported)
    assert store.is_synthetic("DEMO") is True and store.is_synthetic("NONE") is None


def test_drawings_and_alerts_are_kept_per_symbol(store):
    store.write_bars("ES", "1m", make_bars(5))
    drawings = [Drawing("h", "hline", ((T0_NS, 100.0),)),
                Drawing("t", "trend", ((T0_NS, 99.0), (T0_NS + NS_PER_MIN, 101.0)))]  # fmt: skip
    store.set_drawings("ES", drawings)
    alerts = [AlertSpec("a", "level", price=101.5), AlertSpec("b", "drawing", drawing="h")]
    store.set_alerts("ES", alerts)
    assert store.drawings("ES") == drawings and store.alerts("ES") == alerts
    assert store.drawings("NQ") == [] and store.alert_symbols() == ["ES"]
    store.set_alerts("ES", [])
    assert store.alert_symbols() == []


def test_the_alerts_that_fired_are_logged_in_time_order_the_latest_kept(store):
    from data.store.drawings import ALERT_LOG_KEPT

    assert store.alert_log() == []
    store.log_alerts("ES", [{"alert": "a", "ts_ns": 3, "text": "ES crosses 101.50: 101.75"}])
    nq = [{"alert": "b", "ts_ns": 2, "text": "NQ crosses 99.00: 98.75"},
          {"alert": "b", "ts_ns": 4, "text": "NQ crosses 99.00: 99.25"}]  # fmt: skip
    store.log_alerts("NQ", nq)
    assert [(e["symbol"], e["ts_ns"], e["text"]) for e in store.alert_log()] == [
        ("NQ", 2, "NQ crosses 99.00: 98.75"), ("ES", 3, "ES crosses 101.50: 101.75"),
        ("NQ", 4, "NQ crosses 99.00: 99.25")]  # fmt: skip
    many = [{"alert": "c", "ts_ns": 10 + k, "text": str(k)} for k in range(ALERT_LOG_KEPT)]
    store.log_alerts("ES", many[:7])
    store.log_alerts("ES", many[7:])
    es = [e for e in store.alert_log() if e["symbol"] == "ES"]
    assert [e["text"] for e in es] == [str(k) for k in range(ALERT_LOG_KEPT)]  # oldest gone
    assert len(store.alert_log()) == ALERT_LOG_KEPT + 2
    with pytest.raises(ValueError, match="symbol"):
        store.log_alerts("", many[:1])


def test_meta_values_are_kept(store):
    """What a sync into the store copied, by the source's versions (`sync.SYNCED_KEY`)."""
    assert store.meta("synced_versions") is None
    store.set_meta("synced_versions", '{"lmdb:///team": {"ES|1m": 3}}')
    store.set_meta("synced_versions", '{"lmdb:///team": {"ES|1m": 4}}')
    assert store.meta("synced_versions") == '{"lmdb:///team": {"ES|1m": 4}}'


def test_folded_ranges_and_closes_as_a_plain_fold(store):
    bars = make_bars(300)
    store.write_bars("ES", "1m", bars)
    store.write_bars("NQ", "1m", make_bars(300, seed=5))
    t = bars.ts_ns
    ranges = [("ES", int(t[10]), int(t[70])), ("NQ", int(t[0]), int(t[5])),
              ("ZZ", int(t[0]), int(t[5])), ("ES", int(t[-1]) + 1, int(t[-1]) + 100)]  # fmt: skip
    es, _, none, after = store.bars_so_far(ranges)
    part = bars[10:70]
    assert (es.open, es.high, es.low, es.close, es.volume) == (
        part.open[0],
        part.high.max(),
        part.low.min(),
        part.close[-1],
        part.volume.sum(),
    )
    assert (es.first_ns, es.last_ns) == (int(part.ts_ns[0]), int(part.ts_ns[-1]))
    assert none is None and after is None
    closes = store.closes(ranges[:1])
    np.testing.assert_array_equal(closes["ES"][0], part.ts_ns)
    np.testing.assert_array_equal(closes["ES"][1], part.close)


def test_bad_input_is_refused_and_nothing_changes(store):
    bars = make_bars(10)
    store.write_bars("ES", "1m", bars)
    bad = make_bars(3, start_ns=int(bars.ts_ns[-1]) + NS_PER_MIN)
    bad.high[1] = bad.low[1] - 1.0
    with pytest.raises(ValueError, match="high"):
        store.write_bars("ES", "1m", bad)
    with pytest.raises(ValueError, match="bad symbol"):
        store.write_bars("no spaces", "1m", bars)
    with pytest.raises(ValueError, match="timeframe"):
        store.load("ES", "2m")
    assert store.load("ES", "1m").equals(bars)


def test_what_is_written_is_there_when_opened_again_and_read_only(where):
    bars = make_bars(50)
    with open_store(where) as store:
        store.write_bars("ES", "1m", bars, source=DEMO)
        store.set_drawings("ES", [Drawing("h", "hline", ((T0_NS, 100.0),))])
    with open_store(where, read_only=True) as store:
        assert store.load("ES", "1m").equals(bars) and len(store.drawings("ES")) == 1
        assert [str(s.source) for s in store.sources("ES")] == ["demo"]
        with pytest.raises(StoreError):
            store.write_bars("ES", "1m", bars, source=DEMO)
    closed = open_store(where)
    closed.close()
    with pytest.raises(StoreError, match="closed"):
        closed.load("ES", "1m")


def test_sync_copies_between_every_pair_resumes_and_copies_nothing_twice(tmp_path, local_s3):
    """A file to LMDB to S3 and back: the same bars, sources, instrument and drawings; a
    second run copies nothing; bars added since are all a rerun copies."""
    from app.cli import main
    from data.store.sync import sync

    embedded = str(tmp_path / "a.duckdb")
    bars = make_bars(3000)
    with open_store(embedded) as a:
        a.write_bars("ES", "1m", bars[:2000], instrument=Instrument("ES", "cme-globex"),
                     source=Source(SourceKind.IMPORT, "es.csv"))  # fmt: skip
        a.write_bars("ES", "1m", bars[2000:2500], source=Source(SourceKind.SOCKET))
        a.write_bars("ES", "5m", make_bars(100, step_ns=5 * NS_PER_MIN), source=DERIVED_SRC)
        a.write_bars("DEMO", "1m", make_bars(50, seed=3), source=DEMO)
        a.set_drawings("ES", [Drawing("h", "hline", ((T0_NS, 100.0),))])
        fired = [{"ts_ns": T0_NS + 60 * NS_PER_MIN * k, "text": f"ES crosses {k}"}
                 for k in range(3)]  # fmt: skip
        a.log_alerts("ES", fired)
    lmdb, s3 = f"lmdb://{tmp_path / 'team'}", local_s3.bucket()
    assert main(["sync", embedded, lmdb]) == 0
    assert main(["sync", lmdb, s3, "--symbols", "ES"]) == 0
    back = str(tmp_path / "b.duckdb")
    assert main(["sync", s3, back]) == 0
    with open_store(embedded) as a, open_store(back) as b:
        assert b.symbols() == ["ES"] and b.instrument("ES") == a.instrument("ES")
        for tf in ("1m", "5m"):
            assert b.load("ES", tf).equals(a.load("ES", tf))
        assert b.sources("ES") == a.sources("ES") and b.drawings("ES") == a.drawings("ES")
        assert b.alert_log() == a.alert_log() and len(b.alert_log()) == 3  # the Fired list
        a.write_bars("ES", "1m", bars[2500:], source=Source(SourceKind.SOCKET))
        a.log_alerts("ES", [{"ts_ns": T0_NS + 600 * NS_PER_MIN, "text": "ES crosses 9"}])
    # A bar corrected in the team store, the count kept: the next sync from it copies the
    # span it rewrote (it was not seen), and a sync after copies nothing.
    with open_store(lmdb) as team, open_store(str(tmp_path / "c.duckdb")) as c:
        assert sync(team, c, ["ES"]).bars > 0
        one = team.load("ES", "1m")[700:701]
        fixed = Bars.from_arrays(one.ts_ns, one.open, one.high + 1, one.low, one.close,
                                 one.volume)  # fmt: skip
        team.write_bars("ES", "1m", fixed, source=Source(SourceKind.IMPORT, "es.csv"))
        assert sync(team, c, ["ES"]).bars == 1
        assert c.load("ES", "1m").equals(team.load("ES", "1m"))
        assert sync(team, c, ["ES"]).bars == 0
    with open_store(embedded, read_only=True) as a, open_store(back) as b:
        again = sync(a, b, ["ES"])
        assert again.bars == 500 and b.load("ES", "1m").equals(bars)
        assert b.alert_log() == a.alert_log() and len(b.alert_log()) == 4  # the new one only
        assert sync(a, b, ["ES"]).bars == 0  # nothing new: nothing copied
        assert len(b.alert_log()) == 4
    with open_store(embedded) as a:  # es.csv imported again, corrected: one bar in two
        fixed = make_bars(1000, step_ns=2 * NS_PER_MIN, seed=7)
        a.write_bars("ES", "1m", fixed, source=Source(SourceKind.IMPORT, "es.csv"),
                     replace_span=(int(bars.ts_ns[0]), int(bars.ts_ns[1999])))  # fmt: skip
    with open_store(embedded, read_only=True) as a, open_store(back) as b:
        assert sync(a, b, ["ES"]).bars == 1000  # the replaced stretch, again
        assert b.load("ES", "1m").equals(a.load("ES", "1m")) and len(b.load("ES", "1m")) == 2000
        assert sync(a, b, ["ES"]).bars == 0
    with open_store(embedded) as a:  # a bar corrected in the file, the count kept: it was
        one = a.load("ES", "1m")[300:301]  # not seen, the team store kept the wrong bar
        fixed = Bars.from_arrays(one.ts_ns, one.open, one.high + 1, one.low, one.close,
                                 one.volume)  # fmt: skip
        a.write_bars("ES", "1m", fixed, source=Source(SourceKind.IMPORT, "es.csv"))
    with open_store(embedded, read_only=True) as a, open_store(back) as b:
        assert sync(a, b, ["ES"]).bars == 1
        assert b.load("ES", "1m").equals(a.load("ES", "1m"))
        assert sync(a, b, ["ES"]).bars == 0
        with pytest.raises(ValueError, match="no bars of 'NQ'"):
            sync(a, b, ["NQ"])
        b.write_bars("DEMO", "1m", make_bars(5), source=Source(SourceKind.SOCKET))
        refused = sync(a, b)  # DEMO is real bars there: named, and the rest goes on
        assert refused.symbols == ["ES"] and refused.skipped[0][0] == "DEMO"
        assert "DEMO holds real bars" in refused.skipped[0][1]
        assert b.load("DEMO", "1m").equals(make_bars(5))
