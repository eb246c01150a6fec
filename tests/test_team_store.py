"""The team store in use: several processes writing and reading one store on a local S3
server at once, and the window on a team store."""

import json
import os
import subprocess
import sys
import time

import pytest

from data.store.port import open_store
from data.store.provenance import Source, SourceKind
from tests.conftest import NS_PER_MIN, T0_NS, make_bars

WRITER = """
import sys
from data.store.port import open_store
from data.store.provenance import Source, SourceKind
from tests.conftest import NS_PER_MIN, T0_NS, make_bars
url, symbol, seed, batches = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
bars = make_bars(batches * 50, seed=seed)
with open_store(url) as store:
    for k in range(batches):  # a live writer's pace: a few bars at a time
        store.write_bars(symbol, "1m", bars[k * 50 : (k + 1) * 50],
                         source=Source(SourceKind.SOCKET))
print("done", flush=True)
"""

READER = """
import json, sys, time
import numpy as np
from data.store.port import open_store
url, seconds = sys.argv[1], float(sys.argv[2])
seen = {}
with open_store(url, read_only=True) as store:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for symbol in ("AAA", "BBB"):
            bars = store.load(symbol, "1m")
            assert np.all(np.diff(bars.ts_ns) > 0), symbol  # never a torn or unordered read
            seen[symbol] = max(seen.get(symbol, 0), len(bars))
        time.sleep(0.05)
print(json.dumps(seen), flush=True)
"""


def test_two_writers_and_a_reader_at_once_lose_nothing(local_s3):
    url = local_s3.bucket()
    with open_store(url) as store:  # the library exists before the reader opens it
        store.write_bars("SEED", "1m", make_bars(1), source=Source(SourceKind.SOCKET))
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    batches = 8
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, url, symbol, str(seed),
                               str(batches)], stdout=subprocess.PIPE, text=True, env=env)
             for symbol, seed in (("AAA", 1), ("BBB", 2))]  # fmt: skip
    reader = subprocess.Popen([sys.executable, "-c", READER, url, "4"], stdout=subprocess.PIPE,
                              text=True, env=env)  # fmt: skip
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0 and "done" in out
    out, _ = reader.communicate(timeout=120)
    assert reader.returncode == 0
    seen = json.loads(out)
    assert seen["AAA"] > 0 and seen["BBB"] > 0  # it read while they wrote
    with open_store(url) as store:
        for symbol, seed in (("AAA", 1), ("BBB", 2)):
            assert store.load(symbol, "1m").equals(make_bars(batches * 50, seed=seed))
            assert [str(s.source) for s in store.sources(symbol)] == ["socket"]
        assert store.symbols() == ["AAA", "BBB", "SEED"]


def test_the_window_on_a_team_store(qtbot, window, settings, tmp_path):
    from app.controller import ChartController
    from data.feeds.kinds import FeedKind
    from engine.drawings import Drawing

    url = f"lmdb://{tmp_path / 'team'}"
    bars = make_bars(60_000)
    with open_store(url) as store:
        store.write_bars("ES", "1m", bars, source=Source(SourceKind.IMPORT, "es.csv"))
    store = open_store(url)
    controller = ChartController(store, window, None, settings)
    controller.feed = FeedKind.OFF
    try:
        controller.start("ES")
        model = controller.chart.model
        assert len(model) == 50_000 and model.bars.equals(bars[10_000:])
        controller.load_older(model)  # history paged in from the team store
        assert len(model) == 60_000 and model.bars.equals(bars)
        controller.set_timeframe("1h")  # derived on the team store, like any
        assert len(controller.chart.model) == 1000
        tools = controller.chart.drawings
        tools.book.add(Drawing("h", "hline", ((T0_NS + NS_PER_MIN, 100.0),)))
        tools.edited.emit()  # as the tools do after a change
        qtbot.waitUntil(lambda: store.drawings("ES") == list(tools.book.drawings), timeout=2000)
    finally:
        controller.close()
        store.close()


def corrected(bars, ix: int):
    """`bars` with bar `ix`'s close and high moved up a little."""
    from engine.bars import Bars

    cols = {c: getattr(bars, c).copy() for c in ("ts_ns", "open", "high", "low", "close",
                                                  "volume")}  # fmt: skip
    cols["close"][ix] += 0.5
    cols["high"][ix] = max(cols["high"][ix], cols["close"][ix])
    return Bars.from_arrays(*cols.values())


def test_the_cache_follows_the_team_stores_versions(local_s3, tmp_path, monkeypatch):
    from data.store import arctic_store, cached_store

    monkeypatch.setattr(cached_store, "VERSION_FRESH_S", 0.0)
    url = local_s3.bucket()
    bars = make_bars(3000)
    socket = Source(SourceKind.SOCKET)
    with open_store(url) as other:  # another terminal
        other.write_bars("ES", "1m", bars[:2000], source=socket)
        cached = open_store(f"{url}&cache={tmp_path / 'c.duckdb'}")
        assert cached.load("ES", "1m").equals(bars[:2000])  # from the team store, at first
        cached.wait_filled()  # ... while the cache fetched it behind
        assert cached.refreshes == 1
        team_reads = cached.team.queries
        assert cached.load("ES", "1m", limit=100).equals(bars[1900:2000])
        assert cached.team.queries == team_reads and cached.refreshes == 1  # the cache alone
        other.write_bars("ES", "1m", bars[2000:], source=socket)  # appended elsewhere
        assert cached.load("ES", "1m", limit=1500).equals(bars[1500:]) and cached.refreshes == 2
        # a bar corrected elsewhere, in the middle, the count kept (an exchange's bar over
        # a minute built from part of its trades; a file imported again with --replace):
        # it was never seen, the counts being equal
        fixed = corrected(bars, 1234)
        other.write_bars("ES", "1m", fixed[1234:1235], source=socket)
        assert cached.load("ES", "1m").equals(fixed)
        fixed = corrected(fixed, 100)
        other.write_bars("ES", "1m", fixed[90:110], source=socket, replace_span=(
            int(fixed.ts_ns[90]), int(fixed.ts_ns[109])))  # fmt: skip
        assert cached.load("ES", "1m").equals(fixed)
        monkeypatch.setattr(arctic_store, "CHANGES_KEPT", 2)  # older changes not noted
        for ix in (5, 6, 7):
            fixed = corrected(fixed, ix)
            other.write_bars("ES", "1m", fixed[ix : ix + 1], source=socket)
        assert cached.load("ES", "1m").equals(fixed)  # fetched again whole
        other.delete_bars("ES")
        other.write_bars("ES", "1m", bars[1000:], source=socket)  # history cut elsewhere
        assert cached.load("ES", "1m").equals(bars[1000:])  # fetched again whole
        cached.close()
    reopened = open_store(f"{url}&cache={tmp_path / 'c.duckdb'}")
    assert reopened.load("ES", "1m").equals(bars[1000:]) and reopened.refreshes == 0
    reopened.close()
    # The cache file deleted (the way to fetch everything again): a terminal listening
    # reads the team's bars, and the cache is filled again. (The versions were kept in a
    # file beside it: the new cache passed for holding ES, and every read of it was empty.)
    (tmp_path / "c.duckdb").unlink()
    with open_store(f"{url}&cache={tmp_path / 'c.duckdb'}") as anew:
        anew.listen(lambda *said: None)
        assert anew.load("ES", "1m", limit=1440).equals(bars[-1440:])
        anew.wait_filled()
        assert anew.refreshes == 1 and anew.cache.count("ES", "1m") == 2000
        assert anew.load("ES", "1m").equals(bars[1000:])


def test_a_listening_reader_is_answered_from_the_cache_then_told(local_s3, tmp_path,
                                                                monkeypatch):  # fmt: skip
    from data.store import cached_store

    monkeypatch.setattr(cached_store, "VERSION_FRESH_S", 0.0)
    url = local_s3.bucket()
    bars = make_bars(3000)
    socket = Source(SourceKind.SOCKET)
    told = []
    with open_store(url) as other, open_store(f"{url}&cache={tmp_path / 'c.duckdb'}") as cached:
        other.write_bars("ES", "1m", bars[:2000], source=socket)
        cached.load("ES", "1m")
        cached.wait_filled()
        cached.listen(lambda *said: told.append(said))
        assert cached.load("ES", "1m").equals(bars[:2000])
        cached.wait_asked()
        assert told == [] and cached.refreshes == 1  # asked, and nothing was new
        other.write_bars("ES", "1m", bars[2000:], source=socket)  # appended elsewhere
        assert cached.load("ES", "1m").equals(bars[:2000])  # at once, from the cache
        cached.wait_asked()
        assert told == [("ES", "1m", "")] and cached.refreshes == 2
        assert cached.load("ES", "1m").equals(bars)  # what the listener reads again
        cached.listen(None)
        other.write_bars("ES", "1m", make_bars(10, start_ns=int(bars.ts_ns[-1]) + NS_PER_MIN),
                         source=socket)  # fmt: skip
        assert len(cached.load("ES", "1m")) == 3010  # not listening: the version asked first


@pytest.mark.slow  # ArcticDB retries an unreachable S3 for about a minute
def test_a_listening_reader_keeps_the_cache_when_the_team_store_is_gone(tmp_path, monkeypatch):
    from data.store import cached_store
    from tests.s3_server import LocalS3

    monkeypatch.setattr(cached_store, "VERSION_FRESH_S", 0.0)
    server = LocalS3()
    try:
        url = server.bucket()
        bars = make_bars(500)
        with open_store(url) as other:
            other.write_bars("ES", "1m", bars, source=Source(SourceKind.SOCKET))
        cached = open_store(f"{url}&cache={tmp_path / 'c.duckdb'}")
        cached.load("ES", "1m")
        cached.wait_filled()
    finally:
        server.stop()
    told = []
    cached.listen(lambda *said: told.append(said))
    started = time.monotonic()
    assert cached.load("ES", "1m").equals(bars)  # at once, from the cache
    assert time.monotonic() - started < 5
    cached.wait_asked()
    [(symbol, timeframe, problem)] = told
    assert (symbol, timeframe) == ("ES", "1m")
    assert "port=" in problem and "shown from the local cache" in problem
    cached.close()


def test_a_chart_opened_from_a_stale_cache_shows_the_team_stores_new_bars(
    qtbot, window, settings, local_s3, tmp_path, monkeypatch
):
    from app.controller import ChartController
    from app.team_cache import listen_to_cache
    from data.feeds.kinds import FeedKind
    from data.store import cached_store

    monkeypatch.setattr(cached_store, "VERSION_FRESH_S", 0.0)
    url = local_s3.bucket()
    bars = make_bars(3000)
    socket = Source(SourceKind.SOCKET)
    with open_store(url) as other:
        other.write_bars("ES", "1m", bars[:2900], source=socket)
        with open_store(f"{url}&cache={tmp_path / 'c.duckdb'}") as earlier:  # a day before
            earlier.load("ES", "1m")
            earlier.wait_filled()
        other.write_bars("ES", "1m", bars[2900:], source=socket)  # since, elsewhere
    store = open_store(f"{url}&cache={tmp_path / 'c.duckdb'}")
    controller = ChartController(store, window, None, settings)
    controller.feed = FeedKind.OFF
    updates = listen_to_cache(store, controller, window)
    try:
        controller.start("ES")
        model = controller.chart.model
        assert len(model) == 2900  # at once, from the cache; the version asked behind
        qtbot.waitUntil(lambda: len(model) == 3000, timeout=10_000)
        assert model.bars.equals(bars)
        assert "newer bars from the team store" in window.statusBar().currentMessage()
    finally:
        updates.close()
        controller.close()
        store.close()


def test_the_commands_on_a_team_store(tmp_path, capsys, local_s3):
    from app.cli import main
    from tests.test_cli import GOOD_CSV

    url = f"lmdb://{tmp_path / 'team'}"
    src = tmp_path / "in.csv"
    src.write_text(GOOD_CSV)
    assert main(["import", str(src), "--symbol", "ES", "--calendar", "cme-globex",
                 "--db", url]) == 0  # fmt: skip
    assert main(["symbols", "--db", url]) == 0
    listed = capsys.readouterr().out
    assert "cme-globex" in listed and "import of in.csv" in listed
    out = tmp_path / "out.parquet"
    assert main(["export", "ES", str(out), "--db", url]) == 0 and out.exists()
    assert main(["symbols", "--db", local_s3.url("no-such-bucket")]) == 2  # read-only
    said = capsys.readouterr().err
    assert "no-such-bucket" in said and "secret=***" in said and "candleterm-secret" not in said


def test_a_team_store_without_arcticdb_installed_says_what_to_install(tmp_path):
    """ArcticDB is an extra (candleterm[team]): without it, a team store's address gets what
    to install, and the embedded store still opens."""
    code = (
        "import sys; sys.modules['arcticdb'] = None; sys.modules['pandas'] = None\n"
        "from data.store.files import StoreError\n"
        "from data.store.port import open_store\n"
        f"open_store({str(tmp_path / 'x.duckdb')!r}).close()\n"
        "try:\n"
        f"    open_store('lmdb://{tmp_path}/team')\n"
        "except StoreError as exc:\n"
        "    print(exc)\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    assert f"the team store lmdb://{tmp_path}/team needs ArcticDB" in out
    assert "pip install 'candleterm[team]'" in out


def test_a_team_store_address_that_is_wrong_says_so(capsys):
    """The port after the host was read by ArcticDB as part of the bucket (and port 80
    tried)."""
    from app.cli import main

    wrong = "s3://127.0.0.1:9:desk?port=9&access=a&secret=b"
    assert main(["symbols", "--db", wrong]) == 2
    said = capsys.readouterr().err
    assert "give the port as ?port=9, not after the host" in said and "secret=***" in said
    assert main(["symbols", "--db", "s3://127.0.0.1:Desk_1?port=9&access=a&secret=b"]) == 2
    assert "'Desk_1' is not a bucket name" in capsys.readouterr().err


@pytest.mark.slow  # ArcticDB's S3 client retries a refused connection for about 25 s
def test_a_team_store_that_is_not_there_says_where_it_looked(capsys):
    """A server that is not there was said in ArcticDB's words, which end in advice on file
    descriptors, and twice (once on stderr by its own log)."""
    from app.cli import main

    gone = "s3://127.0.0.1:desk?port=9&access=a&secret=b"  # nothing listens on port 9
    assert main(["symbols", "--db", gone]) == 2
    said = capsys.readouterr().err
    assert "nothing answers at 127.0.0.1 port 9 (is the S3 server running there" in said
    assert "file descriptors" not in said and said.count("\n") == 1
