"""Every series records where its bars came from, and synthetic bars never enter a real series
(the simulated feed once appended 2026 bars to a January 2024 import, and stored them)."""

import time

import duckdb
import numpy as np
import pytest

from app.cli import main as cli
from app.live import LiveSession
from data.demo import DEMO_INSTRUMENTS, create_demo_store
from data.feeds.kinds import FeedKind
from data.feeds.port import FeedRefused, FeedSettings
from data.feeds.simcopy import make_simulated_copy
from data.files.importer import ImportOptions, import_file
from data.store import BarStore, StoreError
from data.store.provenance import DEMO, SIMULATED, SOCKET, Source, SourceKind, simulated_copy_of
from engine.bars import Bars
from tests.conftest import NS_PER_MIN, T0_NS, make_bars


def write_csv(path, bars: Bars) -> None:
    stamps = np.datetime_as_string(bars.ts_ns.astype("datetime64[ns]"), unit="m")
    columns = (stamps, bars.open, bars.high, bars.low, bars.close, bars.volume)
    rows = [",".join(str(v) for v in row) for row in zip(*columns, strict=True)]
    path.write_text("time,open,high,low,close,volume\n" + "\n".join(rows) + "\n")


@pytest.fixture
def imported(store, tmp_path):
    """A real series: a January 2024 file imported as 6E."""
    path = tmp_path / "6E-2024-01.csv"
    write_csv(path, make_bars(600))
    import_file(store, path, ImportOptions("6E", calendar="24x7"))
    return store


def snapshot(store, symbol):
    return store.time_range(symbol), store.count(symbol, "1m"), store.sources(symbol)


def test_an_import_records_its_file_and_later_sources_get_stretches_of_their_own(imported):
    (stretch,) = imported.sources("6E")
    assert stretch.source == Source(SourceKind.IMPORT, "6E-2024-01.csv")
    assert (stretch.first_ns, stretch.last_ns) == imported.time_range("6E")
    later = make_bars(10, start_ns=T0_NS + 1000 * NS_PER_MIN)
    imported.write_bars("6E", "1m", later[:5], source=SOCKET)
    imported.write_bars("6E", "1m", later[5:], source=SOCKET)  # the socket stretch goes on
    first, second = imported.sources("6E")
    assert first.source.kind is SourceKind.IMPORT and second.source == SOCKET
    assert (second.first_ns, second.last_ns) == (later.ts_ns[0], later.ts_ns[-1])
    assert "socket" in second.describe() and "2024-01-02 16:40" in second.describe()
    assert imported.is_synthetic("6E") is False


@pytest.mark.parametrize("source", [SIMULATED, DEMO])
def test_synthetic_bars_are_refused_for_a_real_series_and_nothing_changes(imported, source):
    before = snapshot(imported, "6E")
    live = make_bars(5, start_ns=int(time.time_ns() // NS_PER_MIN * NS_PER_MIN))
    with pytest.raises(StoreError, match=r"6E holds real bars \(import of 6E-2024-01.csv"):
        imported.write_bars("6E", "1m", live, source=source)
    assert snapshot(imported, "6E") == before


def test_real_bars_are_refused_for_a_demo_series(store):
    store.write_bars("BTCUSD", "1m", make_bars(50), source=DEMO)
    with pytest.raises(StoreError, match="BTCUSD holds synthetic bars .*candleterm delete"):
        store.write_bars("BTCUSD", "1m", make_bars(5, start_ns=T0_NS + 60 * NS_PER_MIN),
                         source=SOCKET)  # fmt: skip
    assert store.count("BTCUSD", "1m") == 50
    assert store.is_synthetic("BTCUSD") is True


def test_a_store_from_before_sources_gets_them_from_its_descriptions(tmp_path):
    path = tmp_path / "old.duckdb"
    with BarStore(path) as store:
        create_demo_store(store, T0_NS, years=0.01, instruments=DEMO_INSTRUMENTS[:1])
        store.write_bars("6E", "1m", make_bars(30))
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE sources")
    con.close()
    with BarStore(path) as store:
        assert store.sources("BTCUSD")[0].source.kind is SourceKind.DEMO
        assert store.sources("6E")[0].source.kind is SourceKind.UNKNOWN
        assert store.is_synthetic("6E") is False  # unknown counts as real


def test_the_simulated_feed_does_not_run_on_a_real_series(imported, qapp):
    before = snapshot(imported, "6E")
    with pytest.raises(FeedRefused, match="6E holds real bars.*simcopy 6E"):
        LiveSession(imported, "6E", FeedSettings(FeedKind.SIMULATED))
    assert snapshot(imported, "6E") == before


def test_the_socket_feed_does_not_store_into_a_demo_series(store, qapp):
    store.write_bars("BTCUSD", "1m", make_bars(50), source=DEMO)
    with pytest.raises(FeedRefused, match="socket ticks are real.*--symbol NAME"):
        LiveSession(store, "BTCUSD", FeedSettings(FeedKind.SOCKET, port=0))


def test_a_simulated_copy_continues_from_its_last_bar_and_leaves_the_original_alone(imported, qapp):
    before = snapshot(imported, "6E")
    name = make_simulated_copy(imported, "6E", days=1)
    assert name == "6E.SIM" and make_simulated_copy(imported, "6E") == name  # kept
    (copied,) = imported.sources(name)
    assert copied.source == simulated_copy_of("6E") and copied.source.copied_from == "6E"
    assert "simulated copy of 6E" in imported.instrument(name).description
    end_ns = imported.time_range(name)[1]
    settings = FeedSettings(FeedKind.SIMULATED, rate=200.0, time_scale=600.0)
    session = LiveSession(imported, name, settings)
    session.start()
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline and session.feed.now_ns() < end_ns + 6 * NS_PER_MIN:
        qapp.processEvents()
        time.sleep(0.02)
    session.close()
    assert snapshot(imported, "6E") == before
    last = imported.time_range(name)[1]
    assert last > end_ns + 2 * NS_PER_MIN
    assert last < end_ns + 120 * NS_PER_MIN  # right after the copy's January 2024, not today
    assert [s.source for s in imported.sources(name)] == [simulated_copy_of("6E")]


def test_a_copy_is_not_made_over_another_series(imported):
    imported.write_bars("6E.SIM", "1m", make_bars(5), source=SOCKET)
    with pytest.raises(StoreError, match="6E.SIM exists and is not a simulated copy of 6E"):
        make_simulated_copy(imported, "6E")


def test_symbols_lists_the_sources_and_delete_removes_a_symbol(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    path = tmp_path / "6E-2024-01.csv"
    write_csv(path, make_bars(60))
    assert cli(["import", str(path), "--symbol", "6E", "--calendar", "24x7", "--db", str(db)]) == 0
    assert cli(["simcopy", "6E", "--db", str(db)]) == 0
    capsys.readouterr()
    assert cli(["symbols", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "source: import of 6E-2024-01.csv 2024-01-02 00:00 to 2024-01-02 00:59" in out
    assert "source: simulated copy of 6E" in out
    assert cli(["delete", "6E.SIM", "--db", str(db)]) == 0
    assert "deleted 60 bars of 6E.SIM" in capsys.readouterr().out
    assert cli(["delete", "NOPE", "--db", str(db)]) == 2
    assert "no bars of 'NOPE'" in capsys.readouterr().err
    assert cli(["delete", "6E", "--timeframe", "2h", "--db", str(db)]) == 2  # "deleted 0"
    assert "no 2h bars of 6E in " in capsys.readouterr().err
    with BarStore(db) as store:
        assert store.symbols() == ["6E"] and store.sources("6E.SIM") == []


def test_an_older_store_opened_read_only_shows_its_sources_and_stays_as_it_is(tmp_path):
    path = tmp_path / "old.duckdb"
    with BarStore(path) as store:
        create_demo_store(store, T0_NS, years=0.01, instruments=DEMO_INSTRUMENTS[:1])
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE sources")
    con.execute("CHECKPOINT")
    con.close()
    before = path.read_bytes()
    with BarStore(path, read_only=True) as store:
        assert store.sources("BTCUSD")[0].source.kind is SourceKind.DEMO
    assert path.read_bytes() == before


def test_a_replaced_span_leaves_the_stretches_outside_it_and_the_new_one():
    from data.store.provenance import Stretch, replaced

    a, b = Source(SourceKind.IMPORT, "a.csv"), Source(SourceKind.SOCKET)
    held = [Stretch(a, 0, 100), Stretch(b, 101, 200)]
    got = replaced(held, (50, 150), Stretch(a, 60, 140))  # one source's neighbours join
    assert got == [Stretch(a, 0, 140), Stretch(b, 151, 200)]
    assert replaced(held, (0, 200), Stretch(b, 10, 20)) == [Stretch(b, 10, 20)]
