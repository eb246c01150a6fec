"""Read a CSV or Parquet file as raw columns, a batch of rows at a time, keeping the file
line of every row.

CSV files are parsed by pyarrow with every column read as text (conversion, and the reporting
of values that do not convert, happens later per batch). Rows with the wrong number of fields
are found first by a vectorized scan of the raw bytes, so each bad row is reported with its
true line number and text. Memory stays bounded: the file is scanned and parsed in chunks,
never held whole.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

Progress = Callable[[str, float], None]

_DELIMITERS = (",", ";", "\t", "|")
_BOM = b"\xef\xbb\xbf"
_SNIFF_BYTES = 64 * 1024
_CHUNK_BYTES = 4 << 20  # lines are found this much of the file at a time
_BLOCK_BYTES = 1 << 20  # rows are parsed this much at a time (bigger: more memory held)
_NUMBER_RE = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@dataclasses.dataclass
class RawTable:
    """A file's rows, read a batch at a time (text for CSV, typed for Parquet), and where
    each row came from. Nothing holds the whole file: `batches` streams it again."""

    names: list[str]  # every column in file order
    line: np.ndarray  # 1-based CSV line (or Parquet row) of each row
    bad_rows: list[tuple[int, str]]  # rows that could not be split into fields
    header_used: bool
    notes: list[str]
    row_word: str  # "line" for CSV, "row" for Parquet
    sample: list[list[str]]  # the first data rows as text, for inferring columns
    text_of: Callable[[np.ndarray], list[str]]  # raw text of rows given by position
    batches: Callable[[list[str]], Iterator[dict[str, pa.Array]]]  # columns, in row order
    decimal_comma: bool = False  # fields split by ';', Europe's spreadsheets: a comma in a
    # number is its decimal point (1,5 or 15.234,50); in a file split by tabs or bars a comma
    # may group thousands (1,234), and such a number stays unparseable, not misread


@dataclasses.dataclass(frozen=True)
class CsvLayout:
    delimiter: str
    header: bool
    names: list[str]
    n_fields: int
    notes: list[str]


class _Source:
    """A CSV file's bytes, opened afresh for each pass: gunzipped, past any UTF-8 byte order
    mark (Excel writes one), checked to be text; or the first whole lines of it (a preview)."""

    def __init__(self, path: Path, max_bytes: int | None = None) -> None:
        self.path = path
        with path.open("rb") as fh:
            self.gzipped = path.suffix == ".gz" or fh.read(2) == b"\x1f\x8b"
        self._preview: bytes | None = None
        with self.open() as stream:
            head = stream.read(_SNIFF_BYTES)
        if b"\x00" in head or head[:4] == b"PAR1":
            at = head.find(b"\x00")
            what = "a Parquet file without a .parquet name" if head[:4] == b"PAR1" else (
                f"binary data (a zero byte at offset {at})")  # fmt: skip
            raise ValueError(
                f"{path}: not a CSV text file, it holds {what}; candleterm imports CSV (plain "
                "or .gz) and Parquet (.parquet) files"
            )
        self.head = head
        if max_bytes is not None:
            with self.open() as stream:
                data = stream.read(max_bytes + 1)
            if len(data) > max_bytes:
                data = data[: data.rfind(b"\n", 0, max_bytes) + 1]
            self._preview = data

    def lines_hint(self) -> int:
        """About how many lines the file has (from its size and its first lines)."""
        if self._preview is not None:
            return self._preview.count(b"\n") + 1
        size = self.path.stat().st_size * (5 if self.gzipped else 1)
        per_line = len(self.head) / max(self.head.count(b"\n"), 1)
        return int(size / max(per_line, 1) * 1.05) + 16

    def open(self) -> BinaryIO:
        if self._preview is not None:
            return io.BytesIO(self._preview)
        try:
            stream = gzip.open(self.path, "rb") if self.gzipped else self.path.open("rb")  # noqa: SIM115 - the caller closes it
            if stream.read(len(_BOM)) != _BOM:
                stream.seek(0)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{self.path}: not a readable gzip file ({exc})") from None
        return stream


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
    """The delimiter splitting the rows (after the first) most alike; of two that split
    them alike, the one that splits the first line (a header) alike too, then the one that
    is not a comma: 02.01.2024;15.234,50;15.240,00 splits as evenly on commas, and the
    commas are decimal points (Europe's spreadsheets)."""
    best, best_score = ",", -1.0
    for cand in _DELIMITERS:
        counts = [ln.count(cand) for ln in lines[1:] or lines]
        if not counts or max(counts) == 0:
            continue
        mode = max(set(counts), key=counts.count)
        score = (counts.count(mode) / len(counts) + 0.01 * min(mode, 20)
                 + 0.5 * (lines[0].count(cand) == mode) + 0.001 * (cand != ","))  # fmt: skip
        if score > best_score:
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


def _scan_chunk(buf: np.ndarray, delimiter: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, end (without the newline or CR) and field count of the lines of `buf`, which
    ends with a whole line (a newline, or the file's end). Fields are counted by the
    delimiters, or by the csv module where the chunk quotes some."""
    newlines = np.flatnonzero(buf == ord("\n"))
    if len(buf) and buf[-1] != ord("\n"):
        newlines = np.append(newlines, len(buf))
    starts = np.empty(len(newlines), dtype=np.int64)
    starts[0:1] = 0
    starts[1:] = newlines[:-1] + 1
    ends = newlines.astype(np.int64)
    has_cr = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == ord("\r"))
    ends = ends - has_cr
    if np.any(buf == ord('"')):
        text = buf.tobytes().decode("utf-8", errors="replace")
        try:
            counts = np.array(
                [len(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)], np.int32
            )
        except csv.Error as exc:
            raise ValueError(f"the file cannot be split into CSV rows ({exc})") from None
        if len(counts) != len(starts):
            raise ValueError("quoted fields span several lines; candleterm reads one row per line")
    else:
        delims = np.flatnonzero(buf == ord(delimiter))
        counts = np.searchsorted(delims, ends) - np.searchsorted(delims, starts) + 1
    return starts, ends, np.where(ends > starts, counts, 0).astype(np.int32)  # 0: blank


def _line_fields(source: _Source, delimiter: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start offset, end offset and field count of every line, read in bounded chunks into
    columns sized from the file's length and its first lines (grown if that was short)."""
    columns = [np.empty(source.lines_hint(), dtype) for dtype in (np.int64, np.int64, np.int32)]
    n, base, carry = 0, 0, b""
    with source.open() as stream:
        while True:
            chunk = stream.read(_CHUNK_BYTES)
            data = carry + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                data, carry = data[:cut], data[cut:]
            if data:
                found = _scan_chunk(np.frombuffer(data, np.uint8), delimiter)
                k = len(found[0])
                if n + k > len(columns[0]):
                    columns = [_grown(col, n, n + k) for col in columns]
                for col, part, shift in zip(columns, found, (base, base, 0), strict=True):
                    col[n : n + k] = part + shift if shift else part
                n += k
                base += len(data)
            if not chunk:
                break
    return tuple(col[:n] for col in columns)


def _grown(col: np.ndarray, used: int, need: int) -> np.ndarray:
    grown = np.empty(max(need, len(col) * 3 // 2), col.dtype)
    grown[:used] = col[:used]
    return grown


def read_csv(
    path: Path,
    *,
    delimiter: str | None = None,
    header: bool | None = None,
    progress: Progress | None = None,
    max_bytes: int | None = None,
) -> RawTable:
    """A CSV file's rows (with `max_bytes`, only the whole lines in its first `max_bytes`: a
    preview). The file is read in bounded chunks: once to find every line and its fields,
    then a batch of rows at a time by `batches`."""
    source = _Source(path, max_bytes)
    try:
        head = source.head.decode("utf-8")
    except UnicodeDecodeError:
        head = source.head.decode("latin-1")
    if not head.strip():
        raise ValueError(f"{path}: the file is empty")
    layout = sniff_layout(head, delimiter, header)
    starts, ends, counts = _line_fields(source, layout.delimiter)
    if progress is not None:
        progress("reading", 1.0)
    first_data = 1 if layout.header else 0
    body = counts[first_data:]
    wrong = (body != 0) & (body != layout.n_fields)  # blank lines are skipped, not bad
    good_lines = np.flatnonzero(body == layout.n_fields) + 1 + first_data
    bad_rows = [
        (int(ln), f"expected {layout.n_fields} fields, found {int(counts[ln - 1])}")
        for ln in np.flatnonzero(wrong) + 1 + first_data
    ]
    del counts, body, wrong

    def text_of_lines(line_numbers: np.ndarray) -> list[str]:
        wanted = sorted(set(int(n) for n in line_numbers))
        found: dict[int, str] = {}
        with source.open() as stream:
            pos = 0
            for n in wanted:  # in file order: a gzip stream only reads forward
                stream.read(int(starts[n - 1]) - pos)
                text = stream.read(int(ends[n - 1] - starts[n - 1]))
                pos = int(ends[n - 1])
                found[n] = text.decode("utf-8", errors="replace")
        return [found[int(n)] for n in line_numbers]

    def batches(names: list[str]) -> Iterator[dict[str, pa.Array]]:
        with source.open() as stream:
            reader = pcsv.open_csv(
                pa.PythonFile(stream, mode="r"),
                read_options=pcsv.ReadOptions(
                    column_names=layout.names,
                    skip_rows=first_data,
                    block_size=_BLOCK_BYTES,
                    use_threads=False,
                ),
                parse_options=pcsv.ParseOptions(
                    delimiter=layout.delimiter, invalid_row_handler=lambda row: "skip"
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types={name: pa.string() for name in names},
                    include_columns=names,
                    strings_can_be_null=False,
                ),
            )
            seen = 0
            pool = pa.default_memory_pool()
            for batch in reader:
                seen += batch.num_rows
                yield {name: batch.column(name) for name in names}
                del batch
                pool.release_unused()  # a batch's text is done with: give its memory back
            if seen != len(good_lines):
                raise ValueError(
                    f"read {seen} rows but found {len(good_lines)} well-formed lines; "
                    "check the delimiter (--delimiter) and quoting"
                )

    sample_lines = good_lines[:20]
    sample = [
        next(csv.reader([t], delimiter=layout.delimiter)) for t in text_of_lines(sample_lines)
    ]
    return RawTable(
        names=layout.names,
        line=good_lines,
        bad_rows=bad_rows,
        header_used=layout.header and not layout.notes,
        notes=list(layout.notes),
        row_word="line",
        sample=sample,
        text_of=lambda positions: text_of_lines(good_lines[positions]),
        batches=batches,
        decimal_comma=layout.delimiter == ";",
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

    def batches(wanted: list[str]) -> Iterator[dict[str, pa.Array]]:
        for batch in table.select(wanted).to_batches(max_chunksize=1 << 20):
            yield {name: batch.column(name) for name in wanted}

    return RawTable(
        names=names,
        line=np.arange(1, n + 1, dtype=np.int64),
        bad_rows=[],
        header_used=True,
        notes=notes,
        row_word="row",
        sample=sample,
        text_of=text_of,
        batches=batches,
    )


def read_table(path: Path, *, progress: Progress | None = None, **csv_options) -> RawTable:
    """A Parquet file's rows, or a CSV file's (`csv_options` as `read_csv` takes them)."""
    if path.is_dir():
        raise ValueError(f"{path} is a folder: give the path of a CSV or Parquet file in it")
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return read_parquet(path, progress)
        return read_csv(path, progress=progress, **csv_options)
    except EOFError:  # gzip's: the file was cut short (a download or a copy not finished)
        raise ValueError(f"{path}: the compressed file ends before its data does (cut short "
                         "by a download or copy?): fetch it again") from None  # fmt: skip
    except (pa.ArrowException, UnicodeError, OSError) as exc:
        raise ValueError(f"{path}: cannot be read ({exc})") from None
