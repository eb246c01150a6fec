"""The store used while the terminal runs on it: `candleterm symbols/export/import` from
another process are relayed to the running terminal (its store is held), succeed, and an
import shows in the chart at once; the terminal's live bars keep being stored meanwhile."""

import json
import signal
import sys
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from app.cli import main
from data.store import BarStore
from data.store.provenance import SOCKET
from engine.bars import concat
from engine.units import NS_PER_MIN
from tests.conftest import make_bars
from tests.headless import TERMINAL_SCRIPT, demo_ending_now, start_script

CHILD = (
    TERMINAL_SCRIPT
    + """
controller = ChartController(store, window, None, settings, feed_rate=2000.0,
                             feed_time_scale=60.0)
controller.feed = FeedKind.SIMULATED
controller.start("AAA")  # the demo AAA goes live; then a real series is shown in front
QtCore.QTimer.singleShot(1500, lambda: controller.show_symbol("IMP"))
relay = AppRelay(store, controller)
def changed(command, symbol):
    controller.on_store_changed(command, symbol)
    n = len(controller.chart.model) if controller.chart.model.symbol == symbol else -1
    print(json.dumps({"changed": command, "symbol": symbol, "bars": n}), flush=True)
relay.changed.connect(changed)
def report():
    sessions = controller.live.sessions
    session = sessions.running.get("AAA") if sessions is not None else None
    if controller.symbol == "AAA":
        session = controller.session
    if session is not None and session.started and session.builder.sealed_count("1m"):
        sealed = int(session.builder.sealed("1m").ts_ns[-1])
        print(json.dumps({"sealed_ns": sealed, "t": time.time()}), flush=True)
timer = QtCore.QTimer()
timer.timeout.connect(report)
timer.start(300)
def ready():
    if controller.symbol == "IMP":
        print(json.dumps({"ready": True}), flush=True)
    else:
        QtCore.QTimer.singleShot(100, ready)
ready()
app.exec()
"""
)


@pytest.fixture
def running(tmp_path):
    """A terminal (headless) on a store, its simulated feed storing AAA live."""
    path = tmp_path / "store.duckdb"
    demo_ending_now(path, 3000)
    with BarStore(path) as store:
        store.write_bars("IMP", "1m", make_bars(100, seed=5), source=SOCKET)
    child = start_script(CHILD, path, tmp_path / "settings.ini")
    while "ready" not in json.loads(child.stdout.readline()):
        pass
    yield path, child
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
    child.wait(timeout=30)
    child.stdout.close()


def test_commands_run_by_the_terminal_that_holds_the_store(running, tmp_path, capsys):
    path, child = running
    assert main(["symbols", "--db", str(path)]) == 0
    listed = capsys.readouterr().out
    assert "AAA" in listed and "IMP" in listed
    out = tmp_path / "aaa.parquet"
    assert main(["export", "AAA", str(out), "--db", str(path)]) == 0  # relayed
    assert "wrote" in capsys.readouterr().out
    exported = pq.read_table(out)
    assert exported.num_rows >= 3000
    # an import of later bars of the symbol the terminal shows (its chart had 100)
    src = tmp_path / "imp.csv"
    more = make_bars(200, start_ns=int(make_bars(100, seed=5).ts_ns[-1]) + NS_PER_MIN, seed=6)
    rows = ["timestamp,open,high,low,close,volume"] + [
        f"{int(t)},{o},{h},{lo},{c},{v}"
        for t, o, h, lo, c, v in zip(
            more.ts_ns, more.open, more.high, more.low, more.close, more.volume, strict=True
        )
    ]
    src.write_text("\n".join(rows) + "\n")
    # --db before the command as well (it was refused: "does not take ['--db'] commands")
    assert main(["--db", str(path), "import", str(src), "--symbol", "IMP2", "--calendar", "24x7",
                 "--epoch-unit", "ns"]) == 0  # fmt: skip
    assert "200 1m bars of IMP2" in capsys.readouterr().out
    assert main(["import", str(src), "--symbol", "IMP", "--epoch-unit", "ns",
                 "--db", str(path)]) == 0  # fmt: skip
    assert "200 1m bars of IMP" in capsys.readouterr().out
    from tests.fake_exchange import FakeBinance
    from tests.test_exchange import T0_NS as EXCHANGE_T0
    from tests.test_exchange import cents

    exchange = FakeBinance(cents(make_bars(3500, start_ns=EXCHANGE_T0)))
    try:  # an exchange's history fetched into the held store, through the terminal
        fetch = ["fetch", "binance", "BTC/USDT", "--since", "2022-01-03", "--until", "2022-01-04"]
        assert main([*fetch, "--db", str(path), "--exchange-url", exchange.url]) == 0
    finally:
        exchange.stop()
    assert "BINANCE:BTC/USDT 1m: 1,440 bars" in capsys.readouterr().out
    assert main(["demo", "--db", str(path)]) == 2  # not relayed: it would rewrite the store
    assert "is open in process" in capsys.readouterr().err
    # check and repair read the file itself: the terminal does (check was an AttributeError)
    assert main(["check", "--db", str(path)]) == 0
    assert "every bar readable" in capsys.readouterr().out
    copy = tmp_path / "copy.duckdb"
    assert main(["repair", "--db", str(path), str(copy)]) == 0
    assert "into" in capsys.readouterr().out
    with BarStore(copy, read_only=True) as copied:
        assert copied.count("AAA", "1m") >= 3000
    # a notebook reads the store while the terminal holds it: through the terminal
    import data

    with data.open_store(str(path), read_only=True) as reader:
        assert "AAA" in reader.symbols() and reader.instrument("IMP").symbol == "IMP"
        read = reader.load("AAA", "1m", limit=500)
        assert len(read) == 500 and reader.table("IMP", "1m").num_rows == 300
        assert [str(s.source) for s in reader.sources("IMP")] == ["socket", "import of imp.csv"]
    # the desk's copy synced from it while the terminal runs (it was an AttributeError)
    desk = tmp_path / "desk.duckdb"
    assert main(["sync", str(path), str(desk), "--symbols", "IMP"]) == 0
    assert "(1 symbols) from" in capsys.readouterr().out
    assert main(["sync", str(path), str(desk), "--symbols", "IMP"]) == 0
    assert "synced 0 bars" in capsys.readouterr().out
    with BarStore(desk, read_only=True) as copied:
        assert copied.count("IMP", "1m") == 300
    reports, changed = [], None
    deadline = time.time() + 30
    while time.time() < deadline:  # the terminal's own say: what changed, and its live bars
        said = json.loads(child.stdout.readline())
        if said.get("changed") == "import":  # (the fetch says so too)
            changed = said
        elif "changed" in said:
            continue
        else:
            reports.append(said)
        if changed and len(reports) > 1 and reports[-1]["t"] > reports[0]["t"] + 1.5:
            break
    assert changed == {"changed": "import", "symbol": "IMP", "bars": 300}  # on its chart now
    child.send_signal(signal.SIGKILL)
    killed_at = time.time()
    child.wait(timeout=30)
    promised = max(r["sealed_ns"] for r in reports if r["t"] <= killed_at - 1.0)
    with BarStore(path) as store:
        assert store.load("IMP", "1m").equals(concat([make_bars(100, seed=5), more]))
        assert store.count("BINANCE:BTC/USDT", "1m") == 1440
        stored = store.load("AAA", "1m")
        assert promised in stored.ts_ns  # live bars were stored while the commands ran
        exported_ts = exported.column("ts").cast(pa.int64()).to_numpy()
        assert stored[np.searchsorted(stored.ts_ns, read.ts_ns[0]) :][:499].equals(read[:499])
        assert set(exported_ts[:-1].tolist()) <= set(stored.ts_ns.tolist())


@pytest.mark.slow
def test_a_minute_of_commands_beside_a_terminal_at_10000_ticks_a_second(tmp_path, capsys):
    """Imports of 1M bars, exports of 1M and symbol lists, over and over for a minute, while
    the terminal stores live bars at 10,000 ticks/s: every command succeeds, the imported
    and exported bars equal their sources, every bar sealed a second before the end is
    stored."""
    path = tmp_path / "store.duckdb"
    now_min = demo_ending_now(path, 3000)
    big = make_bars(1_000_000, start_ns=now_min - 3_000_000 * NS_PER_MIN, seed=9)
    with BarStore(path) as store:
        store.write_bars("BIG", "1m", big, source=SOCKET)
    src = tmp_path / "imp.parquet"
    pq.write_table(pa.table({"ts": pa.array(big.ts_ns).cast(pa.timestamp("ns", tz="UTC")),
                             **{c: getattr(big, c) for c in ("open", "high", "low", "close",
                                                             "volume")}}), src)  # fmt: skip
    child_code = CHILD.replace("feed_rate=2000.0", "feed_rate=10000.0").replace(
        'QtCore.QTimer.singleShot(1500, lambda: controller.show_symbol("IMP"))', "").replace(
        'if controller.symbol == "IMP":', "if True:")  # fmt: skip
    child = start_script(child_code, path, tmp_path / "settings.ini")
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(
        (time.time(), json.loads(line)) for line in child.stdout), daemon=True)  # fmt: skip
    reader.start()
    while not any("ready" in m for _, m in lines):
        time.sleep(0.05)
    out = tmp_path / "out.parquet"
    end = time.time() + 60
    rounds = 0
    try:  # the terminal goes whatever fails here (it would live on, busy, otherwise)
        while time.time() < end:
            k = rounds % 3
            if k == 0:
                assert main(["import", str(src), "--symbol", f"IMP{rounds}", "--calendar",
                             "24x7", "--db", str(path)]) == 0  # fmt: skip
            elif k == 1:
                assert main(["export", "BIG", str(out), "--db", str(path)]) == 0
                got = pq.read_table(out)
                assert np.array_equal(got.column("close").to_numpy(), big.close)
            else:
                assert main(["symbols", "--db", str(path)]) == 0
            rounds += 1
    finally:
        child.send_signal(signal.SIGKILL)
        killed_at = time.time()
        child.wait(timeout=30)
        reader.join(timeout=5)
        child.stdout.close()
    capsys.readouterr()
    promised = max(m["sealed_ns"] for t, m in lines if "sealed_ns" in m and t <= killed_at - 1.0)
    with BarStore(path) as store:
        assert promised in store.load("AAA", "1m").ts_ns
        for r in range(0, rounds, 3):
            assert store.load(f"IMP{r}", "1m").equals(big)
    assert rounds >= 6


def test_a_command_waiting_too_long_behind_another_says_so(tmp_path, capsys):
    """In-process: a relay whose one command runs long; the next gives up with a message."""
    import threading as th

    from data.store.relay import RelayServer, relay

    store_path = tmp_path / "s.duckdb"
    started, release = th.Event(), th.Event()

    def slow(argv, say):
        say("out", "working\n")
        started.set()
        release.wait(10)
        return 0

    server = RelayServer(store_path, slow)
    server.wait_s = 0.3
    try:
        first = th.Thread(target=lambda: relay(store_path, ["symbols"], sys.stdout, sys.stderr))
        first.start()
        started.wait(5)
        assert relay(store_path, ["symbols"], sys.stdout, sys.stderr) == 2
        assert "busy with another command for over 0.3 s" in capsys.readouterr().err
        assert relay(store_path, ["demo"], sys.stdout, sys.stderr) == 2  # never relayed
        release.set()
        first.join(5)
    finally:
        server.close()
    assert relay(store_path, ["symbols"], sys.stdout, sys.stderr) is None  # nobody listens


def test_a_command_without_the_terminals_runtime_folder_still_reaches_it(tmp_path, capsys,
                                                                         monkeypatch):  # fmt: skip
    """A terminal started without XDG_RUNTIME_DIR listens in the temporary folder; a command
    from a shell that has one (or a cron job without, beside a desktop's terminal) looked
    only in its own and said the store was "open in another process that answers no
    reads (not a running candleterm)"."""
    import tempfile

    from data.store.relay import RelayServer, relay

    store_path = tmp_path / "s.duckdb"
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    server = RelayServer(store_path, lambda argv, say: (say("out", "answered\n"), 0)[1])
    try:
        runtime = tmp_path / "runtime"
        runtime.mkdir(mode=0o700)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
        assert relay(store_path, ["symbols"], sys.stdout, sys.stderr) == 0
        assert "answered" in capsys.readouterr().out
    finally:
        server.close()
    assert relay(store_path, ["symbols"], sys.stdout, sys.stderr) is None
