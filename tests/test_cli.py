import subprocess
import sys

import pytest

from app.cli import main
from tests.conftest import make_bars

GOOD_CSV = "timestamp,open,high,low,close,volume\n2024-01-02 10:00:00,1,2,0.5,1.5,3\n"


def test_help_lists_the_commands():
    result = subprocess.run(
        [sys.executable, "-m", "app", "--help"], capture_output=True, text=True, check=True
    )
    for word in ("import", "export", "demo", "symbols", "--db", "--symbol"):
        assert word in result.stdout


def test_import_symbols_export(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    src = tmp_path / "in.csv"
    src.write_text(GOOD_CSV)
    assert (
        main(["import", str(src), "--symbol", "ES", "--calendar", "cme-globex", "--db", str(db)])
        == 0
    )
    assert "1 1m bar of ES" in capsys.readouterr().out
    assert main(["symbols", "--db", str(db)]) == 0
    listed = capsys.readouterr().out  # its span to the minute (it wrote nanoseconds)
    assert "cme-globex" in listed and "1 1m bars, 2024-01-02 10:00 to 2024-01-02 10:00 UTC" in (
        listed)  # fmt: skip
    fx = tmp_path / "fx.csv"  # a tick of five decimals is written as one (it said "1e-05")
    fx.write_text("timestamp,open,high,low,close,volume\n2024-01-02 10:00:00,1.10785,1.1079,"
                  "1.10775,1.1078,3\n")  # fmt: skip
    assert main(["import", str(fx), "--symbol", "6E", "--calendar", "cme-globex",
                 "--db", str(db)]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["symbols", "--db", str(db)]) == 0
    assert "tick 0.00001 " in capsys.readouterr().out
    out = tmp_path / "out.parquet"
    assert main(["export", "ES", str(out), "--db", str(db)]) == 0
    assert out.exists()
    # as import names it: `export --symbol ES out.csv` was "unrecognized arguments: --symbol"
    assert main(["export", "--symbol", "ES", str(tmp_path / "o.csv"), "--db", str(db)]) == 0
    assert (tmp_path / "o.csv").exists()
    assert main(["export", str(tmp_path / "p.csv"), "--db", str(db)]) == 2
    assert "export: name one symbol, as the first argument or with --symbol (got none)" in (
        capsys.readouterr().err)  # fmt: skip
    assert main(["delete", "--symbol", "ES", "--db", str(db)]) == 0
    assert "deleted 1 bars of ES" in capsys.readouterr().out


def test_bad_import_exits_2_with_the_line(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    src = tmp_path / "in.csv"
    src.write_text(GOOD_CSV + "2024-01-02 10:01:00,1,2,5,1.5,3\n")
    code = main(["import", str(src), "--symbol", "ES", "--calendar", "24x7", "--db", str(db)])
    assert code == 2
    err = capsys.readouterr().err
    assert "line 3: high 2.0 < low 5.0" in err and "--skip-bad" in err


def test_an_import_over_stored_bars_needs_replace(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    src = tmp_path / "in.csv"
    src.write_text(GOOD_CSV)
    argv = ["import", str(src), "--symbol", "ES", "--calendar", "24x7", "--db", str(db)]
    assert main(argv) == 0
    src.write_text(GOOD_CSV.replace(",3\n", ",4\n"))  # the volume corrected
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "ES already holds 1 1m bars between 2024-01-02 10:00" in err and "--replace" in err
    assert main([*argv, "--replace"]) == 0
    assert "replaced the 1 1m bars" in capsys.readouterr().out


def test_skip_bad_writes_rejects(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    src = tmp_path / "in.csv"
    src.write_text(GOOD_CSV + "2024-01-02 10:01:00,1,2,5,1.5,3\n")
    argv = ["import", str(src), "--symbol", "ES", "--calendar", "24x7", "--skip-bad"]
    assert main([*argv, "--db", str(db)]) == 0
    assert (tmp_path / "in.csv.rejects.csv").read_text().startswith("line,reason,text\n3,")


def test_store_errors_exit_2(tmp_path, capsys):
    not_db = tmp_path / "x.duckdb"
    not_db.write_text("hello")
    assert main(["symbols", "--db", str(not_db)]) == 2
    assert "not a DuckDB database" in capsys.readouterr().err
    assert (
        main(["export", "ES", str(tmp_path / "o.parquet"), "--db", str(tmp_path / "no.duckdb")])
        == 2
    )


def test_bad_time_argument_is_explained(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["export", "ES", "o.parquet", "--start", "yesterday", "--db", str(tmp_path / "d")])
    assert "bad time 'yesterday'" in capsys.readouterr().err


def test_demo_command(tmp_path, capsys):
    db = tmp_path / "demo.duckdb"
    assert main(["demo", "--years", "0.02", "--db", str(db)]) == 0
    assert "demo bars" in capsys.readouterr().out


def test_unknown_symbol_for_the_window_is_explained(tmp_path, capsys, qapp):
    from data.store import BarStore

    db = tmp_path / "s.duckdb"
    with BarStore(db) as s:
        s.write_bars("ES", "1m", make_bars(10))
    assert main(["--db", str(db), "--symbol", "NQ"]) == 2
    assert "no bars of 'NQ'" in capsys.readouterr().err


def test_missing_window_libraries_are_named_with_the_command_that_installs_them():
    """Qt aborted with its plugin message on a bare Debian: check before Qt starts."""
    from app.platform_check import XCB_LIBRARIES, window_system_problem

    present = {"libxcb-cursor.so.0", "libEGL.so.1"}
    env = {"DISPLAY": ":0"}
    problem = window_system_problem(env, "linux", lambda so: so in present)
    missing = [p for p, so in XCB_LIBRARIES.items() if so not in present]
    assert len(missing) == 12 and "libxcb-icccm4" in missing and "libdbus-1-3" in missing
    assert problem.endswith(f"sudo apt-get install -y {' '.join(missing)}")
    assert "libxcb-cursor0" not in problem
    everything = lambda so: True  # noqa: E731
    assert window_system_problem(env, "linux", everything) is None
    assert "DISPLAY is not set" in window_system_problem({}, "linux", everything)
    assert (
        window_system_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", lambda so: False) is None
    )
    assert window_system_problem({}, "darwin", lambda so: False) is None


def test_the_app_stops_before_qt_when_the_window_system_cannot_start(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.delenv("DISPLAY", raising=False)
    assert main(["--db", str(tmp_path / "s.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("candleterm: ")
    assert "DISPLAY is not set" in err or "sudo apt-get install -y" in err
    assert not (tmp_path / "s.duckdb").exists()


def test_the_progress_bar_says_the_time_left():
    import io

    from app.progress import ConsoleProgress

    out = io.StringIO()
    progress = ConsoleProgress(out, delay_s=0)
    progress._started -= 10.0  # ten seconds in, a quarter done: thirty to go
    progress("fetch BINANCE:BTC/USDT", 0.25)
    assert out.getvalue().rstrip().endswith("25%  ETA 0:30")
