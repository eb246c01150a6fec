import dataclasses
import gzip

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data.files.importer import (
    BarLabel,
    ImportOptions,
    ImportOverlaps,
    ImportRejected,
    import_file,
    read_file,
)
from data.files.timestamps import parse_timestamps
from engine.bars import concat
from tests.conftest import NS_PER_MIN, make_bars

HEADER = "timestamp,open,high,low,close,volume\n"
GOOD = [
    "2024-01-02 10:00:00,100,101,99,100.5,10",
    "2024-01-02 10:01:00,100.5,102,100,101,12",
    "2024-01-02 10:02:00,101,101.5,100.5,101.25,7",
    "2024-01-02 10:03:00,101.25,101.5,100,100.75,9",
]


def ns(text: str) -> int:
    return int(np.datetime64(text, "ns").astype(np.int64))


def write(tmp_path, lines, name="bars.csv", header=HEADER):
    path = tmp_path / name
    path.write_text(header + "\n".join(lines) + "\n")
    return path


def opts(**kw) -> ImportOptions:
    return ImportOptions(symbol=kw.pop("symbol", "ES"), calendar=kw.pop("calendar", "24x7"), **kw)


def test_clean_file_imports(tmp_path, store):
    report = import_file(store, write(tmp_path, GOOD), opts())
    bars = store.load("ES", "1m")
    assert report.bars == len(bars) == 4
    assert report.bad_rows == 0 and report.rejects_path is None
    assert bars.ts_ns[0] == ns("2024-01-02T10:00")
    assert bars.close.tolist() == [100.5, 101, 101.25, 100.75]
    assert bars.volume.tolist() == [10, 12, 7, 9]
    assert store.instrument("ES").tick_size == 0.01


BAD_CASES = [
    ("2024-01-02 10:04:xx,1,2,0.5,1.5,1", r"line 6: unparseable timestamp '2024-01-02 10:04:xx'"),
    ("2024-02-30 10:04:00,1,2,0.5,1.5,1", r"line 6: unparseable timestamp '2024-02-30 10:04:00'"),
    ("2024-01-02 10:04:00,1,2,abc,1.5,1", r"line 6: unparseable low 'abc'"),
    ("2024-01-02 10:04:00,1,nan,0.5,1.5,1", r"line 6: high is nan"),
    ("2024-01-02 10:04:00,1,inf,0.5,1.5,1", r"line 6: high is inf"),
    ("2024-01-02 10:04:00,1,2,3,1.5,1", r"line 6: high 2.0 < low 3.0"),
    ("2024-01-02 10:04:00,1,2,1.2,1.5,1", r"line 6: low 1.2 > min\(open 1.0"),
    ("2024-01-02 10:04:00,1,1.4,0.5,1.5,1", r"line 6: high 1.4 < max\(open 1.0, close 1.5\)"),
    ("2024-01-02 10:04:00,1,2,0.5,1.5,-3", r"line 6: volume -3.0 is negative"),
    ("2024-01-02 10:04:00,1,2,0.5", r"line 6: expected 6 fields, found 4"),
    (
        "2024-01-02 10:01:00,1,2,0.5,1.5,1",
        r"line 6: time 2024-01-02 10:01:00.000 is before "
        r"2024-01-02 10:03:00.000 on line 5: rows must be in time order",
    ),
    (
        "2024-01-02 10:04:30,1,2,0.5,1.5,1",
        r"line 6: time 2024-01-02 10:04:30.000 is not on a whole minute: 1m bars open",
    ),
    (
        "2024-01-02 10:03:00,1,2,0.5,1.5,1",
        r"line 6: duplicate time 2024-01-02 10:03:00.000 with "
        r"other values than line 5",
    ),
]


@pytest.mark.parametrize(("bad_line", "message"), BAD_CASES)
def test_bad_row_rejects_the_whole_file_and_names_the_line(tmp_path, store, bad_line, message):
    earlier = make_bars(3, start_ns=ns("2023-12-01T00:00"))
    store.write_bars("ES", "1m", earlier)
    path = write(tmp_path, [*GOOD, bad_line])
    with pytest.raises(ImportRejected, match=message) as info:
        import_file(store, path, opts())
    assert "nothing was imported" in str(info.value) and "--skip-bad" in str(info.value)
    assert info.value.report.bad_rows == 1
    assert store.load("ES", "1m").equals(earlier)


@pytest.mark.parametrize(("bad_line", "message"), BAD_CASES)
def test_skip_bad_imports_good_rows_and_writes_rejects(tmp_path, store, bad_line, message):
    path = write(tmp_path, [*GOOD, bad_line, "2024-01-02 10:05:00,1,2,0.5,1.5,1"])
    report = import_file(store, path, opts(skip_bad=True))
    assert report.bars == 5 and report.bad_rows == 1
    rejects = report.rejects_path.read_text().splitlines()
    assert rejects[0] == "line,reason,text"
    assert rejects[1].startswith("6,")
    if "fields" not in message:
        assert bad_line in rejects[1].replace('"', "")
    assert len(store.load("ES", "1m")) == 5


def test_exact_duplicates_are_merged_and_counted(tmp_path, store):
    report = import_file(store, write(tmp_path, [*GOOD, GOOD[-1]]), opts())
    assert report.duplicates_merged == 1 and report.bars == 4


def test_blank_lines_are_skipped_without_shifting_line_numbers(tmp_path):
    path = write(tmp_path, [GOOD[0], "", GOOD[1], "", "2024-01-02 10:02:00,1,2,3,1.5,1"])
    with pytest.raises(ImportRejected, match=r"line 6: high 2.0 < low 3.0"):
        read_file(path, opts())


def test_many_bad_rows_are_listed_up_to_a_limit(tmp_path):
    lines = [f"2024-01-02 10:{m:02d}:00,1,2,3,1.5,1" for m in range(50)]
    with pytest.raises(ImportRejected, match=r"(?s)50 bad rows.*and 30 more") as info:
        read_file(write(tmp_path, lines), opts())
    assert len(info.value.report.bad_listed) == 20


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_other_delimiters_are_detected(tmp_path, delimiter):
    lines = [ln.replace(",", delimiter) for ln in GOOD]
    bars, report, _ = read_file(
        write(tmp_path, lines, header=HEADER.replace(",", delimiter)), opts()
    )
    assert len(bars) == 4 and report.bad_rows == 0


def test_headerless_date_and_time_columns_with_end_label_and_zone(tmp_path):
    lines = ["2024.03.08,09:01:00,10,11,9,10.5,5,0", "2024.03.08,09:02:00,10.5,11,10,10.75,6,0"]
    bars, report, _ = read_file(
        write(tmp_path, lines, header=""), opts(tz="America/New_York", label=BarLabel.END)
    )
    # 09:01 New York (EST, UTC-5) closes the 09:00 bar: 14:00 UTC.
    assert bars.ts_ns.tolist() == [ns("2024-03-08T14:00"), ns("2024-03-08T14:01")]
    assert report.columns.startswith("date=field1, time=field2, open=field3")


@pytest.mark.parametrize(
    ("stamp", "unit", "expected"),
    [
        ("1704189600", None, "2024-01-02T10:00"),
        ("1704189600000", None, "2024-01-02T10:00"),
        ("1704189600000000000", None, "2024-01-02T10:00"),
        ("1704189600", "s", "2024-01-02T10:00"),
        ("20240102 100000", None, "2024-01-02T10:00"),
        ("20240102 100000250", None, "2024-01-02T10:00:00.250"),
        ("2024-01-02T11:00:00+01:00", None, "2024-01-02T10:00"),
        ("2024-01-02T10:00:00Z", None, "2024-01-02T10:00"),
    ],
)
def test_timestamp_forms(tmp_path, stamp, unit, expected):
    path = write(tmp_path, [f"{stamp},100,10"], header="ts,price,qty\n")  # a trade: any time
    bars, _, _ = read_file(path, opts(epoch_unit=unit))
    assert bars.ts_ns[0] == ns(expected) // NS_PER_MIN * NS_PER_MIN
    parsed = parse_timestamps(pa.chunked_array([[stamp]]), tz="UTC", epoch_unit=unit)
    assert parsed.ts_ns[0] == ns(expected) and not parsed.bad.any()


@pytest.mark.parametrize(
    ("stamps", "order", "expected"),
    [
        # Dukascopy's export: day first, dotted, milliseconds
        (["01.02.2024 10:00:00.000", "01.02.2024 10:01:00.000"], None, "2024-02-01T10:00"),
        (["13/01/2024 10:00", "14/01/2024 10:00"], None, "2024-01-13T10:00"),  # a day > 12
        (["01/13/2024 10:00", "01/14/2024 10:00"], None, "2024-01-13T10:00"),  # US
        (["01/02/2024 10:00", "01/03/2024 10:00"], "mdy", "2024-01-02T10:00"),
        (["01/02/2024 10:00", "01/03/2024 10:00"], "dmy", "2024-02-01T10:00"),
        (["2.1.2024 10:00", "3.1.2024 10:00"], None, "2024-01-02T10:00"),  # unpadded
        (["2024-01-02 10:00", "2024-01-03 10:00"], "mdy", "2024-01-02T10:00"),  # year first
    ],
)
def test_dates_written_year_last_read_in_their_order(tmp_path, stamps, order, expected):
    """A Dukascopy or a US export of bars (31.12.2024, 12/31/2024) was refused as
    "unparseable timestamp": the order is the one asked for or the one the file shows."""
    lines = [f"{t},100,101,99,100.5,10" for t in stamps]
    bars, _, _ = read_file(write(tmp_path, lines), opts(date_order=order))
    assert bars.ts_ns[0] == ns(expected) and len(bars) == 2
    parsed = parse_timestamps(pa.chunked_array([stamps]), tz="UTC", date_order=order)
    assert parsed.ts_ns[0] == ns(expected) and not parsed.bad.any()


def test_dates_that_read_either_way_are_refused_with_the_way_out(tmp_path, store):
    """01/02/2024: 1 February or January 2? Nothing in the file says; it is not guessed,
    nothing is stored, and the message names the value and the option. A date past the
    order read is a bad row like any other."""
    path = write(tmp_path, ["01/02/2024 10:00,100,101,99,100.5,10"], header="date,o,h,l,c,v\n")
    with pytest.raises(ValueError, match=r"'01/02/2024 10:00' reads as day/month or "
                                         r"month/day alike.*--date-order dmy"):  # fmt: skip
        import_file(store, path, opts())
    assert store.symbols() == []
    lines = ["13/01/2024 10:00,100,101,99,100.5,10", "01/13/2024 10:01,100,101,99,100.5,10"]
    with pytest.raises(ImportRejected, match=r"line 3: unparseable timestamp '01/13/2024"):
        import_file(store, write(tmp_path, lines), opts())
    # a date column beside a time column, year last
    path = write(tmp_path, ["31.12.2024,23:59,100,101,99,100.5,10"], header="")
    bars, report, _ = read_file(path, opts())
    assert bars.ts_ns[0] == ns("2024-12-31T23:59")
    assert report.columns.startswith("date=field1, time=field2")


def test_a_european_spreadsheets_decimal_commas_are_read(tmp_path):
    """Excel in a German or French locale writes fields split by ';' with decimal commas,
    and index prices grouped by dots (15.234,50): every price was "unparseable"; with no
    header the commas even passed for the delimiter."""
    lines = ["02.01.2024 10:00;15.234,50;15.240,00;15.230,25;15.238,75;12",
             "02.01.2024 10:01;15.238,75;15.241,00;15.236,5;15.240,25;7"]  # fmt: skip
    for header in ("", "time;open;high;low;close;volume\n"):
        bars, report, _ = read_file(write(tmp_path, lines, header=header), opts())
        assert report.bad_rows == 0 and bars.ts_ns[0] == ns("2024-01-02T10:00")
        assert bars.open.tolist() == [15234.5, 15238.75]
        assert bars.high.tolist() == [15240.0, 15241.0]
        assert bars.volume.tolist() == [12, 7]  # no comma: read as it is written
        assert report.tick_size == 0.01  # written to two decimals (not 15.234's three)
    # a German broker's header names the columns
    header = "Datum;Eröffnung;Hoch;Tief;Schluss;Volumen\n"
    bars, report, _ = read_file(write(tmp_path, lines, header=header), opts())
    assert bars.close.tolist() == [15238.75, 15240.25] and bars.volume.tolist() == [12, 7]
    assert report.columns.startswith("open=Eröffnung, high=Hoch, low=Tief, close=Schluss")
    # Dukascopy's export: "Gmt time", day first
    path = write(tmp_path, ["01.02.2024 10:00:00.000,1.1,1.2,1.0,1.15,3.5"],
                 header="Gmt time,Open,High,Low,Close,Volume\n")  # fmt: skip
    bars, _, _ = read_file(path, opts())
    assert bars.ts_ns.tolist() == [ns("2024-02-01T10:00")]
    # split by tabs, a comma may group thousands (1,234): not read as a decimal point
    path = write(tmp_path, ["2024-01-02 10:00\t100\t101\t99\t100.5\t1,234"],
                 header="time\topen\thigh\tlow\tclose\tvolume\n")  # fmt: skip
    with pytest.raises(ImportRejected, match=r"line 2: unparseable volume '1,234'"):
        read_file(path, opts())
    # fields split by commas: a comma in a number is no decimal point, and is said
    path = write(tmp_path, ['2024-01-02 10:00,"1,5",2,1,1.8,1'])
    with pytest.raises(ImportRejected, match=r"line 2: unparseable open '1,5'"):
        read_file(path, opts())


def test_dst_repeated_hour_is_resolved_by_order_and_missing_hour_is_bad(tmp_path):
    # America/Chicago: 2024-11-03 01:00-01:59 happens twice; 2024-03-10 02:30 never happens.
    lines = [
        "2024-11-03 01:30:00,1,2,0.5,1.5,1",
        "2024-11-03 01:59:00,1,2,0.5,1.5,1",
        "2024-11-03 01:00:00,1,2,0.5,1.5,1",
        "2024-11-03 01:30:00,1,2,0.5,1.5,1",
    ]
    bars, _, _ = read_file(write(tmp_path, lines), opts(tz="America/Chicago"))
    assert bars.ts_ns.tolist() == [
        ns("2024-11-03T06:30"),
        ns("2024-11-03T06:59"),
        ns("2024-11-03T07:00"),
        ns("2024-11-03T07:30"),
    ]
    with pytest.raises(
        ImportRejected,
        match=r"line 2: timestamp '2024-03-10 02:30:00' does not exist in America/Chicago",
    ):
        read_file(
            write(tmp_path, ["2024-03-10 02:30:00,1,2,0.5,1.5,1"]), opts(tz="America/Chicago")
        )


def test_column_spec_by_position_and_by_name(tmp_path):
    lines = ["1.5,2,0.5,1,2024-01-02 10:00:00,7"]
    path = write(tmp_path, lines, header="c,h,l,o,when,size\n")
    by_name, _, _ = read_file(path, opts(columns="ts=when,open=o,high=h,low=l,close=c,volume=size"))
    by_position, _, _ = read_file(path, opts(columns="close,high,low,open,ts,volume", header=True))
    for bars in (by_name, by_position):
        assert bars.open.tolist() == [1.0] and bars.close.tolist() == [1.5]
        assert bars.volume.tolist() == [7.0]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("ts=when,open=o,high=h,low=l,close=nope", "names column 'nope'"),
        ("ts,open,high,low,close,volume,skip,skip", "lists 8 columns but the file has 6"),
        ("ts,open,high,low,shut", "unknown field 'shut'"),
        ("skip,open,high,low,close", "no time column"),
    ],
)
def test_bad_column_spec_is_explained(tmp_path, spec, message):
    path = write(tmp_path, ["1.5,2,0.5,1,2024-01-02 10:00:00,7"], header="c,h,l,o,when,size\n")
    with pytest.raises(ValueError, match=message):
        read_file(path, opts(columns=spec))


def test_trade_ticks_become_minute_bars(tmp_path):
    lines = [
        "2024-01-02 10:00:01,100,2",
        "2024-01-02 10:00:30,101,1",
        "2024-01-02 10:00:59,99.5,3",
        "2024-01-02 10:02:00,100,1",
    ]
    bars, report, _ = read_file(write(tmp_path, lines, header="time,price,size\n"), opts())
    assert report.kind == "trades"
    assert bars.ts_ns.tolist() == [ns("2024-01-02T10:00"), ns("2024-01-02T10:02")]
    assert (bars.open[0], bars.high[0], bars.low[0], bars.close[0]) == (100, 101, 99.5, 99.5)
    assert bars.volume.tolist() == [6, 1]


def test_quotes_make_bars_of_the_mid_to_half_a_tick(tmp_path, store):
    """USD/JPY quoted to 0.001 makes mids of 86.6915: the instrument's tick is half the
    quotes' (it was 0.001, and the watchlist wrote 86.692 where the chart wrote 86.6915)."""
    lines = ["2024-01-02 10:00:01,86.655,86.728", "2024-01-02 10:00:02,86.657,86.728"]
    import_file(store, write(tmp_path, lines, header="timestamp,bid,ask\n"), opts())
    assert store.instrument("ES").tick_size == 0.0005
    assert store.load("ES", "1m").close.tolist() == [86.6925]


def test_crossed_quotes_are_bad(tmp_path):
    lines = ["2024-01-02 10:00:01,1.1,1.2", "2024-01-02 10:00:02,1.3,1.2"]
    with pytest.raises(ImportRejected, match=r"line 3: bid 1.3 and ask 1.2"):
        read_file(write(tmp_path, lines, header="timestamp,bid,ask\n"), opts())


def test_parquet_with_typed_columns(tmp_path, store):
    bars = make_bars(100)
    table = pa.table(
        {
            "time": pa.array(bars.ts_ns).cast(pa.timestamp("ns", tz="UTC")),
            **{k: bars.columns()[k] for k in ("open", "high", "low", "close", "volume")},
        }
    )
    path = tmp_path / "bars.parquet"
    pq.write_table(table, path)
    import_file(store, path, opts())
    assert store.load("ES", "1m").equals(bars)


def test_gzip_csv(tmp_path):
    path = tmp_path / "bars.csv.gz"
    path.write_bytes(gzip.compress((HEADER + "\n".join(GOOD) + "\n").encode()))
    bars, _, _ = read_file(path, opts())
    assert len(bars) == 4


def test_new_symbol_needs_a_calendar(tmp_path, store):
    with pytest.raises(ValueError, match="NEW is a new symbol.*--calendar"):
        import_file(store, write(tmp_path, GOOD), ImportOptions(symbol="NEW"))
    with pytest.raises(ValueError, match=r"EURUSD is a new symbol.*\(--calendar fx by its name"):
        import_file(store, write(tmp_path, GOOD), ImportOptions(symbol="EURUSD"))
    assert store.symbols() == []


@pytest.mark.parametrize(("symbol", "guess"), [
    ("EURUSD", "fx"), ("EUR/USD", "fx"), ("usdjpy", "fx"), ("EURUSD=X", "fx"), ("XAUUSD", "fx"),
    ("BTCUSDT", "24x7"), ("BINANCE:ETH/USDT", "24x7"), ("BTC-PERP", "24x7"),
    ("BTCUSD", "24x7"), ("ETHBTC", "24x7"), ("BTCPERP", "24x7"),
    ("ES", None), ("6EH4", None), ("FESX", None), ("AAPL", None), ("USDUSD", None),
    ("LTC", None), ("ADAP", None), ("BTCS", None),  # stocks, their names as coins' start
])  # fmt: skip
def test_a_symbol_whose_name_says_its_calendar(symbol, guess):
    from engine.sessions import calendar_guess

    assert calendar_guess(symbol) == guess


def test_an_existing_symbols_calendar_is_not_changed_by_an_import(tmp_path, store):
    """--calendar is for new symbols: ES on cme-globex imported into with --calendar 24x7
    is refused (it became a 24x7 instrument, its sessions and daily bars changed); without
    --calendar the import keeps ES's."""
    from data.store import Instrument

    store.write_bars("ES", "1m", make_bars(5), instrument=Instrument("ES", "cme-globex"))
    later = ["2024-01-03 00:00:00,1,2,0.5,1.5,1"]
    with pytest.raises(ValueError, match="ES trades on the cme-globex calendar in this store: "
                                         "--calendar 24x7 would change it"):  # fmt: skip
        import_file(store, write(tmp_path, later), opts(calendar="24x7"))
    import_file(store, write(tmp_path, later), ImportOptions(symbol="ES"))
    assert store.instrument("ES").calendar == "cme-globex" and store.count("ES", "1m") == 6
    # Its bars deleted (imported on the wrong calendar), it takes another: this was refused
    # as changing "all its stored bars" when none were left.
    store.delete_bars("ES", None)
    import_file(store, write(tmp_path, later), opts(calendar="24x7"))
    assert store.instrument("ES").calendar == "24x7" and store.instrument("ES").tz == "UTC"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"calendar": "lse"}, "unknown calendar 'lse'"),
        ({"timeframe": "7m"}, "unknown timeframe '7m'"),
        ({"label": BarLabel.END, "timeframe": "1d"}, "--label end needs an intraday"),
        ({"symbol": "bad symbol"}, "bad symbol 'bad symbol'"),
        ({"date_order": "ymd"}, "date order 'ymd': use dmy"),
    ],
)
def test_bad_options_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ImportOptions(**{"symbol": "ES", **kwargs})


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        read_file(tmp_path / "nope.csv", opts())
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty.csv: the file is empty"):
        read_file(empty, opts())
    with pytest.raises(ValueError, match="is a folder: give the path of a CSV or Parquet file"):
        read_file(tmp_path, opts())  # it said "no such file"


@pytest.mark.parametrize("kept", [0.01, 0.8])  # in the lines read first, or past them
def test_a_gzip_file_cut_short_is_said(tmp_path, kept):
    """A download not finished: gzip's EOFError came out as a traceback."""
    import gzip
    import random

    rng = random.Random(5)
    rows = [f"2024-01-02 {k // 60:02d}:{k % 60:02d}:00,1,2,0.5,{rng.random():.6f},1"
            for k in range(24 * 60)]  # fmt: skip
    text = "time,open,high,low,close,volume\n" + "\n".join(rows * 10)
    whole = gzip.compress(text.encode())
    path = tmp_path / "bars.csv.gz"
    path.write_bytes(whole[: int(len(whole) * kept)])
    with pytest.raises(ValueError, match="bars.csv.gz: the compressed file ends before its data"):
        read_file(path, opts())


def test_progress_is_reported(tmp_path, store):
    seen = []
    import_file(store, write(tmp_path, GOOD), opts(), progress=lambda s, f: seen.append(s))
    assert {"reading", "checking", "writing"} <= set(seen)


REAL_FILES = [
    # file, options, rows, bars, first bar open time (UTC)
    (
        "index-futures-2006-1m.csv",
        {"tz": "Europe/Berlin", "label": BarLabel.END},
        30889,
        30889,
        "2006-01-02T08:00",
    ),
    (
        "6EH4-cme-2024-01-1m.csv.gz",
        {"calendar": "cme-globex", "label": BarLabel.END},
        29996,
        29996,
        "2024-01-01T23:00",
    ),
    ("btc-perp-2022-01-1m.csv", {"label": BarLabel.END}, 45031, 45031, "2021-12-31T23:00"),
    ("gbpusd-bid-2012-02-1m.csv", {"label": BarLabel.END}, 30117, 30117, "2012-01-31T23:59"),
    ("eurusd-quotes-2020-01-01.csv", {}, 9500, 361, "2020-01-01T17:00"),
    ("usdjpy-quotes-2013-01.csv", {}, 1000, 34, "2013-01-01T22:00"),
    ("btcusdt-trades.parquet", {}, 2001, 1, "2021-01-08T00:00"),
]


@pytest.mark.parametrize(("name", "kwargs", "rows", "n_bars", "first"), REAL_FILES)
def test_real_files_import(realdata, store, name, kwargs, rows, n_bars, first):
    report = import_file(store, realdata / name, opts(**{"calendar": "24x7", **kwargs}))
    assert report.bad_rows == 0
    assert report.rows_read == rows
    bars = store.load("ES", "1m")
    assert len(bars) == report.bars == n_bars
    assert bars.ts_ns[0] == ns(first)
    if kwargs.get("calendar") == "cme-globex":
        assert report.outside_sessions == 0


def test_bars_off_the_minute_are_rejected_with_their_lines(tmp_path, store):
    """00:00:30 and 00:01:10 were once stored as 1m bars."""
    lines = ["2024-01-02 00:00:30,1,2,0.5,1.5,1", "2024-01-02 00:01:10,1,2,0.5,1.5,1",
             "2024-01-02 00:03:00,1,2,0.5,1.5,1"]  # fmt: skip
    with pytest.raises(ImportRejected, match=r"(?s)line 2: time 2024-01-02 00:00:30.000 is not "
                       r"on a whole minute.*line 3: time 2024-01-02 00:01:10.000"):  # fmt: skip
        import_file(store, write(tmp_path, lines), opts())
    assert store.symbols() == []
    report = import_file(store, write(tmp_path, lines), opts(skip_bad=True))
    assert report.bars == 1 and report.bad_rows == 2
    assert "2 bad rows skipped, written to" in report.summary()
    assert store.load("ES", "1m").ts_ns.tolist() == [ns("2024-01-02T00:03")]
    # a file labelled by bar close: 10:01:00 closes the 10:00 bar, 10:01:30 is off
    rows = ["2024-01-02 10:01:00,1,2,0.5,1.5,1", "2024-01-02 10:01:30,1,2,0.5,1.5,1"]
    end = write(tmp_path, rows, name="end.csv")
    with pytest.raises(ImportRejected, match=r"line 3: time 2024-01-02 10:01:30.000 is not"):
        import_file(store, end, opts(symbol="EE", label=BarLabel.END))


@pytest.mark.parametrize(
    ("stamp", "unit"),
    [("99999999999999999", "s"), ("1" + "0" * 30, None), ("-9999999999999", "ms"), ("1e300", "s")],
)
def test_an_epoch_out_of_range_is_reported_with_its_line(tmp_path, store, stamp, unit):
    """An epoch that overflowed int64 nanoseconds was once imported silently (wrapped)."""
    lines = ["1704189600,1,2,0.5,1.5,1", f"{stamp},1,2,0.5,1.5,1"]
    with pytest.raises(ImportRejected, match=rf"line 3: timestamp '{stamp}' is out of range "
                       "as epoch"):  # fmt: skip
        import_file(store, write(tmp_path, lines), opts(epoch_unit=unit))
    assert store.symbols() == [] and store.instruments() == []


def test_a_file_without_good_rows_changes_nothing(tmp_path, store):
    """A header-only file once registered an instrument with no bars."""
    with pytest.raises(ValueError, match="has no rows of data; nothing was imported"):
        import_file(store, write(tmp_path, []), opts())
    bad = write(tmp_path, ["2024-01-02 00:00:30,1,2,0.5,1.5,1"], name="bad.csv")
    with pytest.raises(ValueError, match=r"all 1 rows are bad \(see .*bad.csv.rejects.csv\)"):
        import_file(store, bad, opts(skip_bad=True))
    assert store.instruments() == [] and store.symbols() == []


def test_binary_garbage_is_one_clear_line(tmp_path, store):
    path = tmp_path / "garbage.csv"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(ValueError, match=r"garbage.csv: not a CSV text file, it holds binary "
                       r"data \(a zero byte at offset \d+\)"):  # fmt: skip
        import_file(store, path, opts())
    parquet = tmp_path / "bars.csv"
    pq.write_table(pa.table({"a": [1]}), parquet)  # a Parquet file named .csv
    with pytest.raises(ValueError, match="a Parquet file without a .parquet name"):
        import_file(store, parquet, opts())
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1" + bytes(range(256)) * 10 + b"PAR1")
    with pytest.raises(ValueError, match="broken.parquet: not a readable Parquet file"):
        import_file(store, broken, opts())
    assert store.instruments() == []


def test_a_utf8_byte_order_mark_is_read(tmp_path, store):
    """Every CSV file Excel writes starts with one: the time column was not recognised."""
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "\n".join(GOOD) + "\n").encode())
    report = import_file(store, path, opts())
    assert report.bars == 4 and report.columns.startswith("ts=timestamp")


def test_parquet_columns_of_the_wrong_types_are_named(tmp_path, store):
    path = tmp_path / "wrong.parquet"
    table = pa.table({"time": ["2024-01-02 10:00"], "open": [1.0], "high": [2.0],
                      "low": [[1, 2]], "close": [{"a": 1}], "volume": [1]})  # fmt: skip
    pq.write_table(table, path)
    ignored = r"column 'low' holds list<element: int64> values: ignored; column 'close' holds"
    with pytest.raises(ValueError, match=rf"cannot tell the price columns.*{ignored} struct"):
        import_file(store, path, opts())
    typed = tmp_path / "typed.parquet"
    pq.write_table(pa.table({"time": ["2024-01-02 10:00"], "open": [True], "high": [2.0],
                             "low": [0.5], "close": [1.5], "volume": [1]}), typed)  # fmt: skip
    with pytest.raises(ImportRejected, match=r"row 1: unparseable open True"):
        import_file(store, typed, opts())


def test_a_corrected_file_imported_again_replaces_the_first_import_only_when_asked(realdata, store):
    """Imported first without its time zone and label, the European index future's bars sit
    61 minutes late; imported again as it should be, the union of the two kept the first
    import's last hour of every session between the right bars (33,935 bars, not 30,889).
    Over stored bars an import is refused, naming them, until asked to replace them."""
    path = realdata / "index-futures-2006-1m.csv"
    columns = "date,time,open,high,low,close,volume,skip"
    import_file(store, path, opts(symbol="FESX", calendar="24x7", columns=columns))
    wrong = store.load("FESX", "1m")
    right = opts(symbol="FESX", columns=columns, tz="Europe/Berlin", label=BarLabel.END)
    with pytest.raises(ImportOverlaps) as refused:
        import_file(store, path, right)
    first, last = wrong.ts_ns[0] - 61 * NS_PER_MIN, wrong.ts_ns[-1] - 61 * NS_PER_MIN
    inside = int(((wrong.ts_ns >= first) & (wrong.ts_ns <= last)).sum())
    message = str(refused.value)
    assert (f"FESX already holds {inside:,} 1m bars between 2006-01-02 08:00 and "
            "2006-02-27 20:59 UTC") in message  # fmt: skip
    assert "--replace" in message and "nothing was imported" in message
    assert store.load("FESX", "1m").equals(wrong)  # unchanged
    report = import_file(store, path, dataclasses.replace(right, replace=True))
    fixed = store.load("FESX", "1m")
    assert len(fixed) == report.bars == 30_889 and report.replaced == len(wrong)
    assert np.array_equal(fixed.ts_ns, wrong.ts_ns - 61 * NS_PER_MIN)  # Berlin is UTC+1
    assert np.array_equal(fixed.close, wrong.close)
    assert f"replaced the {len(wrong):,} 1m bars stored in the file's span" in report.summary()
    (stretch,) = store.sources("FESX")  # the file, over the span it replaced
    assert (stretch.first_ns, stretch.last_ns) == (fixed.ts_ns[0], wrong.ts_ns[-1])


def test_a_file_after_the_stored_bars_is_no_overlap(tmp_path, store):
    import_file(store, write(tmp_path, ["2024-01-02 00:00:00,1,2,0.5,1.5,1"]), opts())
    later = write(tmp_path, ["2024-01-02 00:01:00,1,2,0.5,1.5,1"], name="later.csv")
    report = import_file(store, later, opts())
    assert report.replaced == 0 and store.count("ES", "1m") == 2


def test_the_higher_timeframes_follow_an_import_into_the_middle(tmp_path, store):
    """A hole in the 1m bars filled by a file: the hours derived before around the hole are
    made again (derivation alone went on from the last hour only, leaving them stale)."""
    from data.store.derived import derive_timeframes
    from engine.aggregate import resample

    bars = make_bars(600)
    store.write_bars("ES", "1m", concat([bars[:200], bars[260:]]))
    derive_timeframes(store, "ES", ("1h",))
    stamps = np.datetime_as_string(bars.ts_ns[200:260].astype("datetime64[ns]"), unit="s")
    rows = [f"{t},{o},{h},{lo},{c},{v}" for t, o, h, lo, c, v in zip(
        stamps, *(bars.columns()[k][200:260] for k in ("open", "high", "low", "close", "volume")),
        strict=True)]  # fmt: skip
    import_file(store, write(tmp_path, rows), opts())
    assert store.load("ES", "1h").equals(resample(store.load("ES", "1m"), "1h", "24x7"))


def test_hours_imported_over_hours_derived_replace_them_without_asking(tmp_path, store):
    """The 1h bars the store derived from its minutes are its own making: a vendor's hours
    imported over them replace them (no --replace needed), and are kept from then on."""
    from data.store.derived import derive_timeframes

    store.write_bars("ES", "1m", make_bars(600))
    derive_timeframes(store, "ES", ("1h",))
    vendor = make_bars(6, step_ns=60 * NS_PER_MIN, seed=9)
    stamps = np.datetime_as_string(vendor.ts_ns.astype("datetime64[ns]"), unit="s")
    rows = [f"{t},{o},{h},{lo},{c},{v}" for t, o, h, lo, c, v in zip(
        stamps, vendor.open, vendor.high, vendor.low, vendor.close, vendor.volume,
        strict=True)]  # fmt: skip
    report = import_file(store, write(tmp_path, rows), opts(timeframe="1h"))
    assert report.replaced == 6 and store.load("ES", "1h")[:6].equals(vendor)
    derive_timeframes(store, "ES", ("1h",), full=True)
    assert store.load("ES", "1h")[:6].equals(vendor)  # kept
    with pytest.raises(ImportOverlaps):  # now they are an import's: asked again
        import_file(store, write(tmp_path, rows, name="again.csv"), opts(timeframe="1h"))


def test_bars_outside_the_sessions_name_the_reading_that_fits(realdata, store):
    """The European index future's file is in Berlin time and labelled by each bar's close:
    read as UTC opens, 2,157 bars fall outside the eurex sessions, and the report names both
    options; given one, it names the other; given both, nothing falls outside."""
    path = realdata / "index-futures-2006-1m.csv"
    eurex = {"symbol": "FESX", "calendar": "eurex"}
    summary = import_file(store, path, opts(**eurex)).summary()
    assert "warning: 2157 bars fall outside the calendar's sessions" in summary
    assert ("every bar falls inside the eurex sessions read in Europe/Berlin time (--tz "
            "Europe/Berlin) and as labelled by each bar's close (--label end): if the file is "
            "written so, import it again with that and --replace") in summary  # fmt: skip
    berlin = opts(**eurex, tz="Europe/Berlin", replace=True)
    summary = import_file(store, path, berlin).summary()
    assert "read as labelled by each bar's close (--label end):" in summary
    assert "Europe/Berlin time" not in summary
    right = import_file(store, path, dataclasses.replace(berlin, label=BarLabel.END))
    assert right.outside_sessions == 0 and right.session_hint is None
    assert "outside" not in right.summary()


def test_no_reading_is_named_when_none_fits_or_the_times_carry_their_zone(tmp_path, store):
    """Bars from 21:30 UTC fall after the eurex close (21:00 UTC in winter). Written as
    wall-clock times they fit read in Berlin time, and the report says so; as epoch seconds
    they name instants, which no time zone reads otherwise, so it names none. Bars on a
    Saturday fit no reading at all."""
    evening = ["2024-01-04 21:30:00,1,2,0.5,1.5,1", "2024-01-04 21:31:00,1,2,0.5,1.5,1"]
    report = import_file(store, write(tmp_path, evening), opts(calendar="eurex"))
    assert report.wall_clock and report.outside_sessions == 2
    assert "read in Europe/Berlin time (--tz Europe/Berlin):" in report.summary()
    epochs = [f"{int(ns(line[:19].replace(' ', 'T'))) // 10**9}{line[19:]}" for line in evening]
    path = write(tmp_path, epochs, name="epochs.csv")
    report = import_file(store, path, opts(symbol="FDAX", calendar="eurex"))
    assert not report.wall_clock and report.outside_sessions == 2
    assert report.session_hint is None
    saturday = ["2024-01-06 12:00:00,1,2,0.5,1.5,1", "2024-01-06 12:01:00,1,2,0.5,1.5,1"]
    report = import_file(store, write(tmp_path, saturday, name="sat.csv"),
                         opts(symbol="FGBL", calendar="eurex"))  # fmt: skip
    assert report.wall_clock and report.outside_sessions == 2 and report.session_hint is None


def test_a_daily_file_dated_by_day_lands_on_its_trading_days(tmp_path, store):
    """Yahoo's daily file ("Date,Open,...,Adj Close,Volume", a date alone) was refused row by
    row: "2024-01-02" read as a time with a zone offset of -02. Its bars now open where the
    bars resampled from minutes open, at their trading day's first session (09:30 in New
    York for a US stock, 17:00 the evening before in Chicago for CME)."""
    from engine.aggregate import resample
    from engine.sessions import calendar

    yahoo = ["2024-01-02,472.16,473.67,470.49,472.65,468.79,123623700",
             "2024-01-03,470.43,471.19,468.17,468.79,464.96,103585900"]  # fmt: skip
    path = write(tmp_path, yahoo, name="spy.csv",
                 header="Date,Open,High,Low,Close,Adj Close,Volume\n")  # fmt: skip
    report = import_file(store, path, opts(symbol="SPY", calendar="us-equity", timeframe="1d"))
    spy = store.load("SPY", "1d")
    assert spy.ts_ns.tolist() == [ns("2024-01-02T14:30"), ns("2024-01-03T14:30")]
    assert spy.close.tolist() == [472.65, 468.79] and report.outside_sessions == 0
    # the same days as the CME bars resampled from minutes, dated by their trading day
    minutes = make_bars(3 * 1440, start_ns=ns("2024-01-01T23:00"))
    cme = calendar("cme-globex")
    days = resample(minutes, "1d", cme)
    rows = [f"{d},{o},{h},{lo},{c},{v}" for d, o, h, lo, c, v in zip(
        cme.trading_day(days.ts_ns).astype(str), days.open, days.high, days.low, days.close,
        days.volume, strict=True)]  # fmt: skip
    path = write(tmp_path, rows, name="6e.csv", header="date,open,high,low,close,volume\n")
    import_file(store, path, opts(symbol="6E", calendar="cme-globex", timeframe="1d"))
    assert store.load("6E", "1d").equals(days)
    # imported as minutes (the default timeframe), each day would be a minute at 00:00
    with pytest.raises(ValueError, match=r"every time in the file is a day alone \(2024-01-02, "
                       r"\.\.\.\): daily bars, not 1m bars; import them as 1d bars"):  # fmt: skip
        import_file(store, write(tmp_path, yahoo, name="spy.csv"), opts(symbol="SPY2"))
    assert "SPY2" not in store.symbols()


def test_daily_bars_on_days_the_calendar_does_not_trade_are_refused(tmp_path, store):
    """Saturdays on eurex, or a Saturday and a Sunday on fx (one trading day, Monday's):
    refused with the dates and the calendar to check, nothing stored; 24x7 takes them."""
    weekend = ["2024-01-05,1,2,0.5,1.5,1", "2024-01-06,1,2,0.5,1.5,1", "2024-01-07,1,2,0.5,1.5,1"]
    path = write(tmp_path, weekend, name="d.csv", header="date,open,high,low,close,volume\n")
    for cal in ("eurex", "fx"):
        said = r"2 daily bars dated on days \S+ does not trade: 2024-01-06, 2024-01-07; check "
        with pytest.raises(ValueError, match=said):
            import_file(store, path, opts(symbol="FX", calendar=cal, timeframe="1d"))
    assert store.symbols() == []
    import_file(store, path, opts(symbol="FX", calendar="24x7", timeframe="1d"))
    assert store.load("FX", "1d").ts_ns.tolist() == [ns("2024-01-05"), ns("2024-01-06"),
                                                     ns("2024-01-07")]  # fmt: skip
