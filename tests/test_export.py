import numpy as np
import pyarrow.parquet as pq
import pytest

from data.files.export import export_bars
from data.files.importer import ImportOptions, import_file
from tests.conftest import NS_PER_MIN, make_bars


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_export_then_import_round_trips(tmp_path, store, suffix):
    bars = make_bars(500)
    store.write_bars("ES", "1m", bars)
    out = tmp_path / f"es{suffix}"
    assert export_bars(store, "ES", "1m", out) == 500
    import_file(store, out, ImportOptions(symbol="ES2", calendar="24x7"))
    assert store.load("ES2", "1m").equals(bars)


def test_export_range_and_schema(tmp_path, store):
    bars = make_bars(100)
    store.write_bars("ES", "1m", bars)
    out = tmp_path / "part.parquet"
    export_bars(store, "ES", "1m", out, int(bars.ts_ns[10]), int(bars.ts_ns[20]))
    table = pq.read_table(out)
    assert table.num_rows == 10
    assert str(table.schema.field("ts").type) == "timestamp[ns, tz=UTC]"


def test_export_errors_name_the_problem(tmp_path, store):
    store.write_bars("ES", "1m", make_bars(5))
    with pytest.raises(ValueError, match="no bars of 'NQ'.*stored symbols: ES"):
        export_bars(store, "NQ", "1m", tmp_path / "x.parquet")
    with pytest.raises(ValueError, match=r"use a .parquet or .csv"):
        export_bars(store, "ES", "1m", tmp_path / "x.xlsx")
    with pytest.raises(
        ValueError, match="--start 2024-01-03 00:00 is not before --end 2024-01-02 00:00"
    ):  # it wrote an empty file
        export_bars(store, "ES", "1m", tmp_path / "x.csv", ns("2024-01-03"), ns("2024-01-02"))
    store.write_bars("ES", "1h", make_bars(2, step_ns=60 * NS_PER_MIN))
    with pytest.raises(ValueError, match="no 1w bars of ES in .*; stored: 1m, 1h"):
        export_bars(store, "ES", "1w", tmp_path / "x.csv")  # it wrote an empty file
    assert not (tmp_path / "x.csv").exists()


def ns(day: str) -> int:
    return int(np.datetime64(day, "ns").astype(np.int64))


def test_a_csv_writes_prices_as_traded_not_the_floats_noise(tmp_path, store):
    """EUR/USD quotes imported as mid prices: the CSV said 1.1215600000000001 for 1.12156
    (a mid of two quotes is not the double nearest its decimal); computed values, on no
    decimal grid, are written whole."""
    from engine.bars import Bars

    bid = np.array([1.12120, 1.12117, 1.12139, 1.12151])
    mid = (bid + np.array([1.12192, 1.12161, 1.12173, 1.12161])) / 2
    assert "1.1215600000000001" in repr(mid.tolist())  # the noise the file showed
    ts = np.arange(4, dtype=np.int64) * NS_PER_MIN
    store.write_bars("EURUSD", "1m", Bars.from_arrays(ts, mid, mid, mid, mid, np.full(4, 9.0)))
    store.write_bars("X", "1m", make_bars(50))
    out = tmp_path / "eurusd.csv"
    export_bars(store, "EURUSD", "1m", out)
    rows = [line.split(",")[1:] for line in out.read_text().splitlines()[1:]]
    assert rows[0] == ["1.12156"] * 4 + ["9"]  # the volume as a count
    assert all(len(price) <= 8 for row in rows for price in row)  # 1.121xx(5)
    import_file(store, out, ImportOptions(symbol="EURUSD2", calendar="24x7"))
    np.testing.assert_allclose(store.load("EURUSD2", "1m").close, mid, rtol=1e-15)
    export_bars(store, "X", "1m", tmp_path / "x.csv")
    import_file(store, tmp_path / "x.csv", ImportOptions(symbol="X2", calendar="24x7"))
    assert store.load("X2", "1m").equals(store.load("X", "1m"))  # nothing rounded away
