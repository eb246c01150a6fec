"""Read a CSV or Parquet file into raw columns, keeping the file line of every row.

CSV files are parsed by pyarrow with every column read as text (conversion, and the reporting
of values that do not convert, happens later per column). Rows with the wrong number of fields
are found first by a vectorized scan of the raw bytes, so each bad row is reported with its
true line number and text.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

Progress = Callable[[str, float], None]

_DELIMITERS = (",", ";", "\t", "|")
_BOM = b"\xef\xbb\xbf"
_SNIFF_BYTES = 64 * 1024
_NUMBER_RE = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@dataclasses.dataclass
class RawTable:
    """Columns of a file (text for CSV, typed for Parquet) and where each row came from."""

    columns: dict[str, pa.ChunkedArray]
    names: list[str]  # every column in file order
    line: np.ndarray  # 1-based CSV line (or Parquet row) of each row
    bad_rows: list[tuple[int, str]]  # rows that could not be split into fields
    header_used: bool
    notes: list[str]
    row_word: str  # "line" for CSV, "row" for Parquet
    sample: list[list[str]]  # the first data rows as text, for inferring columns
    text_of: Callable[[np.ndarray], list[str]]  # raw text of rows given by position


@dataclasses.dataclass(frozen=True)
class CsvLayout:
    delimiter: str
    header: bool
    names: list[str]
    n_fields: int
    notes: list[str]


def read_bytes(path: Path) -> bytes:
    """The file's text as bytes: gunzipped, without a UTF-8 byte order mark (Excel writes
    one), checked to be text."""
    data = path.read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path}: not a readable gzip file ({exc})") from None
    data = data.removeprefix(_BOM)
    head = data[:_SNIFF_BYTES]
    if b"\x00" in head or data[:4] == b"PAR1":
        at = head.find(b"\x00")
        what = "a Parquet file without a .parquet name" if data[:4] == b"PAR1" else (
            f"binary data (a zero byte at offset {at})")  # fmt: skip
        raise ValueError(
            f"{path}: not a CSV text file, it holds {what}; candleterm imports CSV (plain or "
            ".gz) and Parquet (.parquet) files"
        )
    return data


def is_number(text: str) -> bool:
    return bool(_NUMBER_RE.match(text.strip()))


def sniff_layout(head: str, delimiter: str | None, header: bool | None) -> CsvLayout:
    """Delimiter, header and column names from the first lines of a CSV file."""
    lines = [ln for ln in head.splitlines()[:60] if ln.strip()]
    if len(head) >= _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    if not lines:
        raise ValueError("the file is empty")
    if delimiter is None:
        delimiter = _guess_delimiter(lines)
    rows = list(csv.reader(lines, delimiter=delimiter))
    body = rows[1:] or rows
    counts = [len(r) for r in body]
    n_fields = max(set(counts), key=counts.count)
    first = [f.strip() for f in rows[0]]
    if header is None:
        header = any(re.search(r"[A-Za-z]", f) for f in first) and not any(
            is_number(f) for f in first
        )
    notes = []
    if header and len(first) == n_fields:
        names = _unique_names(first)
    else:
        names = [f"field{i + 1}" for i in range(n_fields)]
        if header:
            notes.append(
                f"the header has {len(first)} fields but the rows have {n_fields}: "
                "header ignored, columns taken by position"
            )
    return CsvLayout(delimiter, header, names, n_fields, notes)


def _guess_delimiter(lines: list[str]) -> str:
    best, best_score = ",", -1.0
    for cand in _DELIMITERS:
        counts = [ln.count(cand) for ln in lines[1:] or lines]
        if not counts or max(counts) == 0:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode) / len(counts) + (mode > 0) * 0.01 * min(mode, 20)
        if mode > 0 and score > best_score:
            best, best_score = cand, score
    return best


def _unique_names(raw: list[str]) -> list[str]:
    names: list[str] = []
    for i, name in enumerate(raw):
        name = name or f"field{i + 1}"
        while name in names:
            name += "_"
        names.append(name)
    return names


def _line_fields(data: bytes, delimiter: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start offset, end offset (without the newline or CR) and field count of every line."""
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == ord("\n"))
    if len(buf) and buf[-1] != ord("\n"):
        newlines = np.append(newlines, len(buf))
    starts = np.empty(len(newlines), dtype=np.int64)
    starts[0:1] = 0
    starts[1:] = newlines[:-1] + 1
    ends = newlines.astype(np.int64)
    has_cr = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == ord("\r"))
    ends = ends - has_cr
    if b'"' in data:
        text = data.decode("utf-8", errors="replace")
        try:
            counts = np.array(
                [len(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)], np.int64
            )
        except csv.Error as exc:
            raise ValueError(f"the file cannot be split into CSV rows ({exc})") from None
        if len(counts) != len(starts):
            raise ValueError("quoted fields span several lines; candleterm reads one row per line")
    else:
        delims = np.flatnonzero(buf == ord(delimiter))
        counts = np.searchsorted(delims, ends) - np.searchsorted(delims, starts) + 1
    counts = np.where(ends > starts, counts, 0)  # blank line
    return starts, ends, counts


def read_csv(
    path: Path,
    *,
    delimiter: str | None = None,
    header: bool | None = None,
    progress: Progress | None = None,
    max_bytes: int | None = None,
) -> RawTable:
    """A CSV file's fields as text columns (with `max_bytes`, only the whole lines in
    its first `max_bytes`: a preview)."""
    data = read_bytes(path)
    if max_bytes is not None and len(data) > max_bytes:
        data = data[: data.rfind(b"\n", 0, max_bytes) + 1]
    try:
        head = data[:_SNIFF_BYTES].decode("utf-8")
    except UnicodeDecodeError:
        head = data[:_SNIFF_BYTES].decode("latin-1")
    layout = sniff_layout(head, delimiter, header)
    starts, ends, counts = _line_fields(data, layout.delimiter)
    first_data = 1 if layout.header else 0
    lines = np.arange(1, len(starts) + 1, dtype=np.int64)
    body = slice(first_data, None)
    blank = counts[body] == 0
    wrong = ~blank & (counts[body] != layout.n_fields)
    good_lines = lines[body][~blank & ~wrong]
    bad_lines = lines[body][wrong]
    bad_rows = [
        (int(ln), f"expected {layout.n_fields} fields, found {int(counts[ln - 1])}")
        for ln in bad_lines
    ]

    def text_of_lines(line_numbers: np.ndarray) -> list[str]:
        return [
            data[starts[ln - 1] : ends[ln - 1]].decode("utf-8", errors="replace")
            for ln in line_numbers
        ]

    batches = []
    seen = 0
    total = max(len(good_lines), 1)
    reader = pcsv.open_csv(
        pa.BufferReader(data),
        read_options=pcsv.ReadOptions(
            column_names=layout.names, skip_rows=first_data, block_size=4 << 20
        ),
        parse_options=pcsv.ParseOptions(
            delimiter=layout.delimiter, invalid_row_handler=lambda row: "skip"
        ),
        convert_options=pcsv.ConvertOptions(
            column_types={name: pa.string() for name in layout.names},
            strings_can_be_null=False,
        ),
    )
    for batch in reader:
        batches.append(batch)
        seen += batch.num_rows
        if progress is not None:
            progress("reading", min(seen / total, 1.0))
    table = pa.Table.from_batches(batches, schema=reader.schema)
    if table.num_rows != len(good_lines):
        raise ValueError(
            f"read {table.num_rows} rows but found {len(good_lines)} well-formed lines; "
            "check the delimiter (--delimiter) and quoting"
        )
    sample_lines = good_lines[:20]
    sample = [
        next(csv.reader([t], delimiter=layout.delimiter)) for t in text_of_lines(sample_lines)
    ]
    return RawTable(
        columns={name: table.column(name) for name in layout.names},
        names=layout.names,
        line=good_lines,
        bad_rows=bad_rows,
        header_used=layout.header and not layout.notes,
        notes=list(layout.notes),
        row_word="line",
        sample=sample,
        text_of=lambda positions: text_of_lines(good_lines[positions]),
    )


def read_parquet(path: Path, progress: Progress | None = None) -> RawTable:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ValueError(f"{path}: not a readable Parquet file ({exc})") from None
    if progress is not None:
        progress("reading", 1.0)
    notes = []
    for name, column_type in zip(table.column_names, table.schema.types, strict=True):
        if pa.types.is_nested(column_type) or pa.types.is_binary(column_type):
            table = table.drop_columns([name])
            notes.append(f"column {name!r} holds {column_type} values: ignored")
    names = list(table.column_names)
    n = table.num_rows
    sample = [[str(v) for v in row.values()] for row in table.slice(0, 20).to_pylist()]

    def text_of(positions: np.ndarray) -> list[str]:
        return [str(table.slice(int(p), 1).to_pylist()[0]) for p in positions]

    return RawTable(
        columns={name: table.column(name) for name in names},
        names=names,
        line=np.arange(1, n + 1, dtype=np.int64),
        bad_rows=[],
        header_used=True,
        notes=notes,
        row_word="row",
        sample=sample,
        text_of=text_of,
    )


def read_table(
    path: Path,
    *,
    delimiter: str | None = None,
    header: bool | None = None,
    progress: Progress | None = None,
    max_bytes: int | None = None,
) -> RawTable:
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return read_parquet(path, progress)
        return read_csv(path, delimiter=delimiter, header=header, progress=progress,
                        max_bytes=max_bytes)  # fmt: skip
    except (pa.ArrowException, UnicodeError, OSError) as exc:
        raise ValueError(f"{path}: cannot be read ({exc})") from None
