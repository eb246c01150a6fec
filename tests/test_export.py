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
