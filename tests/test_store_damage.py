"""A damaged, read-only or full store: one clear message naming the file and what to do; a
damaged store is never written to, and `repair` copies what is readable into a new one."""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pytest

from app.cli import main as cli
from data.store import BarStore, StoreError
from data.store.provenance import DEMO, SOCKET
from tests.conftest import NS_PER_MIN, T0_NS, make_bars


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def healthy(tmp_path_factory):
    """A store of three series written in several transactions, and its bars."""
    path = tmp_path_factory.mktemp("healthy") / "store.duckdb"
    bars = {}
    with BarStore(path) as store:
        for k, symbol in enumerate(("AAA", "BBB", "CCC")):
            series = make_bars(150_000, seed=k)
            source = DEMO if symbol == "CCC" else SOCKET
            for part in range(3):
                store.write_bars(symbol, "1m", series[part * 50_000 : (part + 1) * 50_000],
                                 source=source)  # fmt: skip
            bars[symbol] = series
    return path, bars


HEADER_BYTES = 3 * 4096  # DuckDB's file headers; then blocks of 256 KiB, each checksummed
BLOCK_BYTES = 256 * 1024


def a_block_of(path, column: str, row_group: int) -> tuple[int, set[str]]:
    """The file offset of a block holding `column` values of a row group, and the symbols
    whose rows are in that row group."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        block = con.sql(
            "SELECT block_id FROM pragma_storage_info('bars') WHERE column_name = ? AND "
            "row_group_id = ? AND block_id >= 0 ORDER BY count DESC LIMIT 1",
            params=[column, row_group],
        ).fetchall()[0][0]
        symbols = {r[0] for r in con.sql(
            "SELECT DISTINCT symbol FROM bars WHERE rowid // 122880 = ?", params=[row_group]
        ).fetchall()}  # fmt: skip
    finally:
        con.close()
    return HEADER_BYTES + block * BLOCK_BYTES, symbols


def damage(path, offset: int, n: int = 4096) -> None:
    with path.open("r+b") as fh:
        fh.seek(offset + 64)
        fh.write(np.random.default_rng(7).integers(0, 256, n, np.uint8).tobytes())


def damaged_copy(healthy, tmp_path):
    """A copy of the healthy store with one block of `close` values damaged: (path, the
    symbols whose rows the block holds, the file's digest)."""
    path = tmp_path / "store.duckdb"
    shutil.copy(healthy[0], path)
    offset, hit = a_block_of(path, "close", 0)
    damage(path, offset)
    return path, hit, digest(path)


def test_a_store_damaged_in_a_block_of_bars(healthy, tmp_path, capsys):
    bars = healthy[1]
    path, hit, before = damaged_copy(healthy, tmp_path)
    db = ["--db", str(path)]
    assert cli(["check", *db]) == 1
    out = capsys.readouterr().out
    for symbol in hit:
        assert f"{symbol} 1m: damaged (Corrupt database file" in out
    for symbol in set(bars) - hit:
        assert symbol not in out
    assert "candleterm repair" in out
    # the app's store: a read meets the damage, then every write is refused
    with BarStore(path) as store:
        with pytest.raises(StoreError, match=f"the bar store {path} is damaged"):
            store.load(sorted(hit)[0], "1m")
        with pytest.raises(StoreError, match="is damaged .*it is not written to"):
            store.write_bars("ZZZ", "1m", make_bars(5), source=SOCKET)
    assert digest(path) == before
    fixed = tmp_path / "fixed.duckdb"
    assert cli(["repair", *db, str(fixed)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("copied ") and "lost " in out and "(unreadable)" in out
    assert digest(path) == before  # repair only reads
    with BarStore(fixed, read_only=True) as repaired:
        assert repaired.symbols() == sorted(bars)
        for symbol, want in bars.items():
            got = repaired.load(symbol, "1m")
            if symbol not in hit:
                assert got.equals(want), symbol
                continue
            assert 0 < len(got) < len(want)  # what could be read, with its true values
            at = np.searchsorted(want.ts_ns, got.ts_ns)
            assert np.array_equal(want.ts_ns[at], got.ts_ns)
            for column in ("open", "high", "low", "close", "volume"):
                assert np.array_equal(getattr(want, column)[at], getattr(got, column))
            assert repaired.sources(symbol)[0].source == (DEMO if symbol == "CCC" else SOCKET)
        assert cli(["check", "--db", str(fixed)]) == 0


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_damage_anywhere_is_one_clear_message(healthy, tmp_path, capsys, where):
    original, _ = healthy
    path = tmp_path / "store.duckdb"
    shutil.copy(original, path)
    damage(path, int(path.stat().st_size * where), 200_000)
    for args in (["check"], ["symbols"], ["repair", str(tmp_path / "fixed.duckdb")],
                 ["export", "AAA", str(tmp_path / "a.csv")]):  # fmt: skip
        code = cli([*args, "--db", str(path)])
        out, err = capsys.readouterr()
        assert code in (0, 1, 2) and "Traceback" not in out + err
        if code == 2:
            assert err.startswith("candleterm: error: ") and err.count("\n") == 1


def test_a_damaged_store_is_not_written_by_the_app(healthy, tmp_path):
    """Once a read finds damage, every write is refused with the same message."""
    original, _ = healthy
    path = tmp_path / "store.duckdb"
    shutil.copy(original, path)
    with BarStore(path) as store:
        store.damaged = "a block's checksum does not match"  # as a failed read sets it
        with pytest.raises(StoreError, match="is damaged .*not written to.*candleterm repair"):
            store.write_bars("AAA", "1m", make_bars(5, start_ns=T0_NS + 10**6 * NS_PER_MIN),
                             source=SOCKET)  # fmt: skip
        with pytest.raises(StoreError, match="is damaged"):
            store.delete_bars("AAA")
    with BarStore(path, read_only=True) as store:
        assert store.count("AAA", "1m") == 150_000


def test_a_full_disk_rolls_back_and_says_so(tmp_path):
    """A tmpfs of 3 MB: an import that does not fit fails in one line, the store keeps what
    it had."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
                          capture_output=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        path = mount / "store.duckdb"
        with BarStore(path) as store:
            store.write_bars("AAA", "1m", make_bars(1000), source=SOCKET)
            with pytest.raises(StoreError, match=f"the disk holding the bar store {path} is full"):
                store.write_bars("BIG", "1m", make_bars(400_000), source=SOCKET)
            assert store.symbols() == ["AAA"] and store.count("AAA", "1m") == 1000
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def run_as_nobody(args, place):
    home = place / "home"
    home.mkdir(exist_ok=True)
    home.chmod(0o777)
    env = {**os.environ, "HOME": str(home), "NUMBA_CACHE_DIR": str(home / "numba")}
    return subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m",
         "app", *args], capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


@pytest.fixture
def public_dir():
    """A folder another user can reach (pytest's own are the owner's only)."""
    if os.getuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run as another user")
    with tempfile.TemporaryDirectory(dir="/tmp") as name:
        place = Path(name)
        place.chmod(0o755)
        yield place
        for sub in place.rglob("*"):
            if sub.is_dir():
                sub.chmod(0o755)


def test_read_only_and_forbidden_places_are_explained(healthy, public_dir):
    original, _ = healthy
    tmp_path = public_dir
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    shutil.copy(original, shelf / "store.duckdb")
    (shelf / "store.duckdb").chmod(0o444)
    shelf.chmod(0o555)
    listed = run_as_nobody(["symbols", "--db", str(shelf / "store.duckdb")], tmp_path)
    assert listed.returncode == 0 and "AAA" in listed.stdout, listed.stderr
    imported = run_as_nobody(["delete", "AAA", "--db", str(shelf / "store.duckdb")], tmp_path)
    assert imported.returncode == 2 and "Traceback" not in imported.stderr
    assert f"the bar store {shelf / 'store.duckdb'} cannot be opened for writing" in (
        imported.stderr)  # fmt: skip
    created = run_as_nobody(["demo", "--years", "0.01", "--db", str(shelf / "new.duckdb")],
                            tmp_path)  # fmt: skip
    assert created.returncode == 2 and "Traceback" not in created.stderr
    assert f"cannot create the bar store {shelf / 'new.duckdb'}: no permission to write in" in (
        created.stderr)  # fmt: skip
    nested = run_as_nobody(["demo", "--db", str(shelf / "sub" / "new.duckdb")], tmp_path)
    assert nested.returncode == 2 and "no permission to write in" in nested.stderr


def test_the_app_checks_every_block_before_it_writes(healthy, tmp_path):
    """Damage in bars nobody has read yet: the background check finds it, and the first
    write (a healthy series' live bars) waits for it and is refused."""
    original, bars = healthy
    path, hit, before = damaged_copy(healthy, tmp_path)
    healthy_symbol = sorted(set(bars) - hit)[0]
    with BarStore(path) as store:
        assert store.damaged == ""
        store.verify_in_background()
        late = make_bars(5, start_ns=int(bars[healthy_symbol].ts_ns[-1]) + NS_PER_MIN)
        with pytest.raises(StoreError, match="is damaged .*it is not written to"):
            store.write_bars(healthy_symbol, "1m", late, source=SOCKET)
        assert store.load(healthy_symbol, "1m", limit=3).equals(bars[healthy_symbol][-3:])
    assert digest(path) == before
    fine = tmp_path / "fine.duckdb"  # a healthy store: the check passes, writes go on
    shutil.copy(original, fine)
    with BarStore(fine) as store:
        store.verify_in_background()
        late = make_bars(5, start_ns=int(bars["AAA"].ts_ns[-1]) + NS_PER_MIN)
        store.write_bars("AAA", "1m", late, source=SOCKET)
        assert store.count("AAA", "1m") == 150_005 and store.damaged == ""
