"""Drawings anchored in (time, price): checked, kept in the store per symbol, exported and
imported as JSON."""

import json

import pytest

from app.cli import main
from data.store import BarStore
from engine.drawings import Drawing, from_json, to_json
from tests.conftest import T0_NS, make_bars

MIN = 60_000_000_000


def trend(id_="t1", dt=0):
    return Drawing(id_, "trend", ((T0_NS + dt, 100.0), (T0_NS + 30 * MIN + dt, 105.5)))


def test_drawings_are_checked_and_moved():
    d = trend()
    assert d.moved(MIN, -1.0).points == ((T0_NS + MIN, 99.0), (T0_NS + 31 * MIN, 104.5))
    assert d.with_point(1, T0_NS + 5 * MIN, 101.0).points[1] == (T0_NS + 5 * MIN, 101.0)
    fib = Drawing("f", "fib", ((T0_NS, 120.0), (T0_NS + MIN, 100.0)))
    assert fib.fib_prices()[0] == 100.0 and fib.fib_prices()[-1] == 120.0
    assert fib.fib_prices()[3] == pytest.approx(110.0)
    for args, message in [
        (("x", "circle", ((T0_NS, 1.0),)), "kind 'circle' is not one of trend, ray"),
        (("x", "hline", ((T0_NS, 1.0), (T0_NS, 2.0))), "a hline has 1 point"),
        (("x", "hline", ((1.5, 1.0),)), "time 1.5 is not an integer of nanoseconds"),
        (("x", "hline", ((T0_NS, float("nan")),)), "price nan is not a number"),
        (("", "hline", ((T0_NS, 1.0),)), "drawing id '': use 1 to 64 characters"),
    ]:
        with pytest.raises(ValueError, match=message):
            Drawing(*args)
    with pytest.raises(ValueError, match="its text is over 500 characters"):
        Drawing("n", "text", ((T0_NS, 1.0),), text="x" * 501)


def test_json_round_trip_and_bad_files():
    drawings = [trend(), Drawing("h", "hline", ((T0_NS, 99.5),), colour="#ff0000"),
                Drawing("n", "text", ((T0_NS, 101.0),), text="breakout?")]  # fmt: skip
    assert from_json(to_json(drawings)) == drawings
    for text, message in [
        ("{not json", "drawings file is not JSON"),
        ('{"id": 1}', "a drawings file is a JSON list of drawings"),
        ('[{"id": "a", "kind": "hline"}]', "drawing 'a' has no points"),
        ('[{"id": "a", "kind": "hline", "points": [1, 2]}]', "points must be"),
        ('[{"id": "a", "kind": "hline", "points": [[1, "x"]]}]', "is not a number"),
        (to_json([trend("a"), trend("a", MIN)]), "drawing ids 'a' appear more than once"),
    ]:
        with pytest.raises(ValueError, match=message):
            from_json(text)


def test_the_store_keeps_each_symbols_drawings(tmp_path):
    path = tmp_path / "s.duckdb"
    with BarStore(path) as store:
        store.write_bars("AAA", "1m", make_bars(10))
        store.set_drawings("AAA", [trend("a"), trend("b", MIN)])
        store.set_drawings("BBB", [trend("c")])
        store.set_drawings("AAA", [trend("b", MIN)])  # replaced whole
    with BarStore(path, read_only=True) as store:
        assert store.drawings("AAA") == [trend("b", MIN)]
        assert store.drawings("BBB") == [trend("c")] and store.drawings("ZZZ") == []
    with BarStore(path) as store:  # a store from before drawings (the alert log) were kept
        store._con.execute("DROP TABLE drawings")
        store._con.execute("DROP TABLE alert_log")
    with BarStore(path, read_only=True) as store:
        assert store.drawings("AAA") == [] and store.alert_log() == []  # the file as it is
    with BarStore(path) as store:
        assert store.drawings("AAA") == [] and store.alert_log() == []  # its tables added
        store.set_drawings("AAA", [trend()])
        store.log_alerts("AAA", [{"alert": "x", "ts_ns": 5, "text": "AAA crosses 1.00: 1.01"}])
        assert store.drawings("AAA") == [trend()] and len(store.alert_log()) == 1


def test_drawings_export_and_import_from_the_command_line(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    with BarStore(db) as store:
        store.write_bars("AAA", "1m", make_bars(10))
        store.write_bars("BBB", "1m", make_bars(10))
        store.set_drawings("AAA", [trend(), Drawing("h", "hline", ((T0_NS, 99.5),))])
    out = tmp_path / "aaa.json"
    assert main(["drawings", "export", "AAA", str(out), "--db", str(db)]) == 0
    assert [d["id"] for d in json.loads(out.read_text())] == ["t1", "h"]
    assert main(["drawings", "import", str(out), "--symbol", "BBB", "--db", str(db)]) == 0
    assert "2 drawing(s) of BBB read from" in capsys.readouterr().out
    assert main(["drawings", "import", "BBB", str(out), "--db", str(db)]) == 0  # as export
    assert "2 drawing(s) of BBB read from" in capsys.readouterr().out
    assert main(["drawings", "import", "BBB", str(out), "--symbol", "AAA", "--db", str(db)]) == 2
    assert (
        "drawings import: name one symbol, as the first argument or with --symbol (got BBB "
        "and AAA)" in capsys.readouterr().err
    )
    with BarStore(db, read_only=True) as store:
        assert store.drawings("BBB") == store.drawings("AAA")
    assert main(["drawings", "import", str(out), "--symbol", "ZZZ", "--db", str(db)]) == 2
    assert "no symbol 'ZZZ'" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("[1]")
    assert main(["drawings", "import", str(bad), "--symbol", "BBB", "--db", str(db)]) == 2
    assert "a drawing is an object with id, kind and points" in capsys.readouterr().err
    with BarStore(db, read_only=True) as store:
        assert len(store.drawings("BBB")) == 2  # a bad file changes nothing
    # an export names a symbol of the store and a file it can write, or says what is wrong
    assert main(["drawings", "export", "AAX", str(out), "--db", str(db)]) == 2
    assert "no symbol 'AAX'" in capsys.readouterr().err
    assert len(json.loads(out.read_text())) == 2  # the file is not emptied
    nowhere = str(tmp_path / "no" / "d.json")
    assert main(["drawings", "export", "AAA", nowhere, "--db", str(db)]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_a_repaired_store_keeps_the_drawings(tmp_path):
    from data.store.repair import repair

    with BarStore(tmp_path / "s.duckdb") as store:
        store.write_bars("AAA", "1m", make_bars(10))
        store.set_drawings("AAA", [trend()])
        report = repair(store, tmp_path / "new.duckdb")
    assert not report.lost_series
    with BarStore(tmp_path / "new.duckdb", read_only=True) as new:
        assert new.drawings("AAA") == [trend()]
