"""The CSV reader works in bounded chunks and batches: what it finds must not depend on
where a chunk or a batch ends."""

import numpy as np
import pytest

import data.files.tables as tables
from data.files.importer import ImportOptions, ImportRejected, read_file


@pytest.fixture(params=[(37, 64), (1 << 22, 1 << 20)], ids=["tiny-chunks", "default"])
def chunked(request, monkeypatch):
    chunk, block = request.param
    monkeypatch.setattr(tables, "_CHUNK_BYTES", chunk)
    monkeypatch.setattr(tables, "_BLOCK_BYTES", block)


def test_lines_and_fields_across_chunk_ends(tmp_path, chunked):
    lines = ['"time","open","high","low","close","volume"']  # a quoted header
    lines += [f"2024-01-02 {k // 60:02d}:{k % 60:02d}:00,1,2,0.5,1.5,{k}" for k in range(300)]
    lines[50] = ""  # blank: skipped, numbers kept
    lines[120] = "2024-01-02 01:59:00,1,2"  # too few fields
    lines[200] = '2024-01-02 03:19:00,"1",2,0.5,1.5,"7"'  # quoted values
    path = tmp_path / "bars.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    raw = tables.read_table(path)
    assert raw.bad_rows == [(121, "expected 6 fields, found 3")]
    assert len(raw.line) == 298 and 51 not in raw.line and raw.line[-1] == 301
    assert raw.text_of(np.array([0, 197])) == [lines[1], lines[200]]
    with pytest.raises(ImportRejected, match="line 121: expected 6 fields, found 3"):
        read_file(path, ImportOptions("X", calendar="24x7"))
    bars, report, _ = read_file(path, ImportOptions("X", calendar="24x7", skip_bad=True))
    assert report.bars == 298 and bars.volume[-1] == 299 and 7.0 in bars.volume


def test_epochs_keep_the_unit_of_the_first_batch(tmp_path, chunked):
    """Batches are parsed one by one; an epoch's unit is decided once for the file."""
    t0 = 1_704_189_600
    rows = [f"{(t0 + 60 * k) * 1000},1,2,0.5,1.5,1" for k in range(200)]
    path = tmp_path / "ms.csv"
    path.write_text("ts,open,high,low,close,volume\n" + "\n".join(rows) + "\n")
    bars, _, _ = read_file(path, ImportOptions("X", calendar="24x7"))
    assert np.array_equal(bars.ts_ns, (t0 + 60 * np.arange(200)) * 10**9)


def test_a_gzip_file_streams_too(tmp_path, chunked):
    import gzip

    rows = [f"2024-01-02 00:{k:02d}:00,1,2,0.5,1.5,1" for k in range(60)]
    rows[30] = "2024-01-02 00:30:00,1,2,3,1.5,1"  # high below low
    path = tmp_path / "bars.csv.gz"
    path.write_bytes(gzip.compress(("\ufefftime,open,high,low,close,volume\n"
                                    + "\n".join(rows) + "\n").encode()))  # fmt: skip
    with pytest.raises(ImportRejected, match="line 32: high 2.0 < low 3.0"):
        read_file(path, ImportOptions("X", calendar="24x7"))
    opts = ImportOptions("X", calendar="24x7", skip_bad=True)
    _, report, write_rejects = read_file(path, opts)
    write_rejects()
    assert report.bars == 59
    assert rows[30] in report.rejects_path.read_text()
