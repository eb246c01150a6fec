"""Exchange history through ccxt, against a local fake of Binance's REST API (ccxt makes real
HTTP requests to it): paging, resuming, rate limits, failures, bad data, clear errors."""

import numpy as np
import pytest

from app.cli import main as cli
from data.exchange.client import open_exchange
from data.exchange.history import Retrying, fetch_history
from data.exchange.pages import WINDOWS_IN_FLIGHT
from data.store.provenance import SourceKind
from engine.bars import Bars
from engine.units import NS_PER_HOUR
from tests.conftest import NS_PER_MIN, make_bars
from tests.fake_exchange import FakeBinance

T0_NS = int(np.datetime64("2022-01-03T00:00", "ns").astype(np.int64))
SERIES = "BINANCE:BTC/USDT"


def cents(bars: Bars) -> Bars:
    """Bars at the precision the fake sends (Binance quotes BTCUSDT in cents)."""
    o, h, lo, c = (np.round(x * 100) / 100 for x in (bars.open, bars.high, bars.low, bars.close))
    return Bars.from_arrays(bars.ts_ns, o, np.maximum.reduce([o, h, c]),
                            np.minimum.reduce([o, lo, c]), c, bars.volume)  # fmt: skip


@pytest.fixture
def served():
    return cents(make_bars(3500, start_ns=T0_NS))


@pytest.fixture
def fake(served):
    exchange = FakeBinance(served)
    yield exchange
    exchange.stop()


class Clock:
    """Waits recorded instead of slept."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


def fetch(store, fake, clock=None, **kw):
    exchange = open_exchange("binance", fake.url)
    clock = clock or Clock()
    retrying = Retrying(exchange, sleep=clock.sleep)
    return fetch_history(store, exchange, "BTC/USDT", T0_NS, retrying=retrying, **kw)


def test_history_is_fetched_in_pages_and_stored_with_its_source(store, fake, served):
    report = fetch(store, fake)
    assert report.pages >= 4 and report.written == len(served)
    assert store.load(SERIES, "1m").equals(served)
    (stretch,) = store.sources(SERIES)
    assert stretch.source.kind is SourceKind.EXCHANGE and stretch.source.detail == "binance"
    ins = store.instrument(SERIES)
    assert (ins.calendar, ins.tz, ins.tick_size) == ("24x7", "UTC", 0.01)
    assert "BTC/USDT on binance" in ins.description


def test_a_rerun_continues_after_the_last_bar_and_adds_nothing(store, fake, served):
    first = fetch(store, fake, until_ns=int(served.ts_ns[1999]) + 60 * 10**9)
    assert first.written == 2000
    second = fetch(store, fake)
    assert second.resumed_after_ns == served.ts_ns[1999] and second.written == 1500
    last_start = int(fake.requests[-1].split("startTime=")[1].split("&")[0])
    assert last_start > served.ts_ns[-1] // 10**6  # asked only past the last stored bar
    third = fetch(store, fake)
    assert third.written == 0 and "up to date" in third.summary()
    assert store.count(SERIES, "1m") == len(served)
    assert store.load(SERIES, "1m").equals(served)


def test_pages_after_the_first_are_asked_several_at_once_and_taken_in_order(store):
    served = cents(make_bars(6000, start_ns=T0_NS))
    fake = FakeBinance(served)
    fake.latency_s = 0.05
    try:
        report = fetch(store, fake)
    finally:
        fake.stop()
    assert fake.most_in_flight == WINDOWS_IN_FLIGHT  # the exchange answers them together
    assert report.written == 6000 and store.load(SERIES, "1m").equals(served)


def test_a_gap_in_the_exchanges_history_is_stepped_over(store):
    bars = cents(make_bars(4000, start_ns=T0_NS))
    later = 3 * 24 * 60 * NS_PER_MIN  # the exchange was down three days
    ts = np.where(np.arange(4000) < 1500, bars.ts_ns, bars.ts_ns + later)
    served = Bars.from_arrays(ts, bars.open, bars.high, bars.low, bars.close, bars.volume)
    fake = FakeBinance(served)
    try:
        report = fetch(store, fake)
    finally:
        fake.stop()
    assert report.written == 4000 and store.load(SERIES, "1m").equals(served)
    # the windows stopped at the gap, and a page asked from the last bar found the next
    asked = [int(r.split("startTime=")[1].split("&")[0]) for r in fake.requests
             if "klines" in r]  # fmt: skip
    assert asked.count(int(served.ts_ns[1499]) // 10**6 + 60_000) == 1


def test_a_429_waits_as_long_as_retry_after_says(store, fake, served):
    fake.retry_after_s = 7
    fake.faults["klines"] = ["429", "429"]
    clock = Clock()
    report = fetch(store, fake, clock)
    assert clock.waits == [7.0, 7.0] and report.retries == 2
    assert store.load(SERIES, "1m").equals(served)


@pytest.mark.parametrize("fault", ["500", "garbled"])
def test_server_errors_and_garbled_replies_are_retried_with_backoff(store, fake, served, fault):
    fake.faults["klines"] = [fault] * 3
    clock = Clock()
    report = fetch(store, fake, clock)
    assert report.retries == 3 and len(clock.waits) == 3
    assert clock.waits[0] <= 1.0 < clock.waits[2] <= 4.0  # exponential, with jitter
    assert store.load(SERIES, "1m").equals(served)


def test_a_fetch_that_gives_up_keeps_what_it_stored_and_a_rerun_completes(store, fake, served):
    exchange = open_exchange("binance", fake.url)
    fake.faults["klines"] = ["ok"] + ["500"] * 100  # after a page, down for good
    with pytest.raises(ValueError, match=r"binance failed 6 times on fetch_ohlcv BTC/USDT"):
        fetch_history(store, exchange, "BTC/USDT", T0_NS,
                      retrying=Retrying(exchange, sleep=Clock().sleep))  # fmt: skip
    assert store.count(SERIES, "1m") == 1000
    assert store.load(SERIES, "1m").equals(served[:1000])
    fake.faults["klines"] = []
    report = fetch(store, fake)
    assert report.resumed_after_ns == served.ts_ns[999]
    assert store.load(SERIES, "1m").equals(served)


def test_pages_are_written_in_batches_in_order_the_last_small(store, monkeypatch):
    """Batches land in time order, one at a time; near the end a batch is written once it
    holds what is left to fetch, so the write the fetch waits for at its end is small."""
    import data.exchange.history as history

    served = cents(make_bars(12_000, start_ns=T0_NS))
    monkeypatch.setattr(history, "WRITE_BARS", 4000)
    monkeypatch.setattr(history, "LAST_WRITE_BARS", 1000)
    writes: list[tuple[int, int]] = []
    write_bars = store.write_bars

    def recording(symbol, timeframe, bars, **kw):
        writes.append((int(bars.ts_ns[0]), len(bars)))
        return write_bars(symbol, timeframe, bars, **kw)

    monkeypatch.setattr(store, "write_bars", recording)
    fake = FakeBinance(served)
    try:
        report = fetch(store, fake, until_ns=int(served.ts_ns[-1]) + NS_PER_MIN)
    finally:
        fake.stop()
    assert report.written == 12_000 and store.load(SERIES, "1m").equals(served)
    sizes = [n for _, n in writes]
    assert sizes == [4000, 4000, 2000, 1000, 1000], sizes  # 4000 left, 2000 left, ...
    starts = [t for t, _ in writes]
    assert starts == sorted(starts) and starts[0] == served.ts_ns[0]


def test_a_failed_write_stops_the_fetch_and_keeps_the_batches_before(store, monkeypatch):
    import data.exchange.history as history

    served = cents(make_bars(6000, start_ns=T0_NS))
    monkeypatch.setattr(history, "WRITE_BARS", 2000)
    write_bars = store.write_bars
    calls = []

    def failing_second(symbol, timeframe, bars, **kw):
        calls.append(len(bars))
        if len(calls) == 2:
            raise OSError("disk full")
        return write_bars(symbol, timeframe, bars, **kw)

    monkeypatch.setattr(store, "write_bars", failing_second)
    fake = FakeBinance(served)
    try:
        with pytest.raises(OSError, match="disk full"):
            fetch(store, fake, until_ns=int(served.ts_ns[-1]) + NS_PER_MIN)
    finally:
        fake.stop()
    assert store.load(SERIES, "1m").equals(served[:2000])  # the batch before it, and no more


def test_a_bad_bar_stores_nothing_of_its_page_and_says_which(store, served):
    broken = Bars.from_arrays(served.ts_ns, served.open, served.high, served.low, served.close,
                              served.volume)  # fmt: skip
    broken.low[1500] = broken.high[1500] + 5.0  # low above high
    fake = FakeBinance(broken)
    try:
        invalid = r"at 2022-01-04T01:00 is invalid \(high 97.88 < low 102.88\); nothing of"
        with pytest.raises(ValueError, match=invalid):
            fetch(store, fake)
        assert store.count(SERIES, "1m") == 1000  # the pages before it
    finally:
        fake.stop()


def test_unknown_exchange_symbol_and_timeframe_are_named(store, fake):
    with pytest.raises(ValueError, match=r"unknown exchange 'binanse': did you mean binance"):
        open_exchange("binanse")
    exchange = open_exchange("binance", fake.url)
    with pytest.raises(
        ValueError,
        match=r"binance has no market 'BTC/USDX' \(2 markets; close "
        r"ones: BTC/USDT",
    ):
        fetch_history(store, exchange, "BTC/USDX", T0_NS)
    with pytest.raises(ValueError, match="fetch intraday bars"):
        fetch_history(store, exchange, "BTC/USDT", T0_NS, timeframe="1w")
    with pytest.raises(ValueError, match=r"--exchange-url 'localhost:1': give a base URL"):
        open_exchange("binance", "localhost:1")


def test_a_span_that_holds_no_time_is_named_not_called_up_to_date(store, fake):
    """--since after --until, or after the exchange's now: said, not "up to date"."""
    exchange = open_exchange("binance", fake.url)
    with pytest.raises(ValueError, match=r"--since 2022-01-03T02:00 is not before --until "
                                         r"2022-01-03T01:00"):  # fmt: skip
        fetch_history(store, exchange, "BTC/USDT", T0_NS + 2 * NS_PER_HOUR,
                      T0_NS + NS_PER_HOUR)  # fmt: skip
    later = int(exchange.milliseconds()) * 1_000_000 + 366 * 24 * NS_PER_HOUR
    with pytest.raises(ValueError, match=r"is not before binance's now .* no history there yet"):
        fetch_history(store, exchange, "BTC/USDT", later)
    assert store.symbols() == []
    # said before the exchange is asked anything: with no exchange to answer, the same
    # (it was "could not load its markets")
    nowhere = open_exchange("binance", "http://127.0.0.1:9")
    with pytest.raises(ValueError, match=r"is not before --until"):
        fetch_history(store, nowhere, "BTC/USDT", T0_NS + 2 * NS_PER_HOUR, T0_NS + NS_PER_HOUR)


def test_an_exchange_without_ohlcv_history_is_refused(store):
    import ccxt

    without = next(name for name in ccxt.exchanges
                   if not getattr(ccxt, name)().has.get("fetchOHLCV"))  # fmt: skip
    with pytest.raises(ValueError, match=f"{without} serves no OHLCV history"):
        exchange = open_exchange(without)
        exchange.markets = {"BTC/USDT": {"precision": {"price": 0.01}}}  # no network needed
        exchange.load_markets = lambda: exchange.markets
        fetch_history(store, exchange, "BTC/USDT", T0_NS)


def test_the_fetch_command(tmp_path, fake, served, capsys):
    db = tmp_path / "cli.duckdb"
    args = ["fetch", "binance", "BTC/USDT", "--since", "2022-01-03", "--until", "2022-01-04",
            "--db", str(db), "--exchange-url", fake.url]  # fmt: skip
    assert cli(args) == 0
    assert "BINANCE:BTC/USDT 1m: 1,440 bars 2022-01-03T00:00 .. 2022-01-03T23:59" in (
        capsys.readouterr().out)  # fmt: skip
    assert cli(args) == 0
    assert "up to date" in capsys.readouterr().out
    assert cli(["fetch", "nosuch", "BTC/USDT", "--since", "2022-01-03", "--db", str(db)]) == 2
    assert "unknown exchange 'nosuch'" in capsys.readouterr().err


def test_fetched_history_equals_the_real_file_it_was_served_from(store, realdata):
    from data.files.importer import BarLabel, ImportOptions, import_file

    import_file(store, realdata / "btc-perp-2022-01-1m.csv",
                ImportOptions(symbol="FILE", calendar="24x7", label=BarLabel.END))  # fmt: skip
    bars = store.load("FILE", "1m")
    fake = FakeBinance(bars)
    try:
        exchange = open_exchange("binance", fake.url)
        report = fetch_history(store, exchange, "BTC/USDT", int(bars.ts_ns[0]),
                               retrying=Retrying(exchange, sleep=Clock().sleep))  # fmt: skip
    finally:
        fake.stop()
    assert report.written == len(bars) == 45031
    got = store.load(SERIES, "1m")
    assert np.array_equal(got.ts_ns, bars.ts_ns)
    for name in ("open", "high", "low", "close"):
        assert np.array_equal(getattr(got, name), getattr(bars, name)), name
    assert np.allclose(got.volume, bars.volume, rtol=0, atol=1e-8)


@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": ")])
def test_kline_replies_read_as_columns_equal_the_json_decoded_rows(separators):
    import json

    from data.exchange.rows import KlineTable, checked_page, klines_json

    bars = cents(make_bars(500, start_ns=T0_NS))
    rows = [[int(t) // 10**6, f"{o:.8f}", f"{h:.8f}", f"{lo:.8f}", f"{c:.8f}", f"{v:.8f}",
             int(t) // 10**6 + 59_999, "0", 1, "0", "0", "0"]
            for t, o, h, lo, c, v in zip(bars.ts_ns, bars.open, bars.high, bars.low, bars.close,
                                         bars.volume, strict=True)]  # fmt: skip
    body = json.dumps(rows, separators=separators)
    read = klines_json(body)
    assert isinstance(read, KlineTable) and len(read) == 500
    assert checked_page(read, NS_PER_MIN, "x").equals(checked_page(rows, NS_PER_MIN, "x"))
    assert klines_json("[]") == [] and klines_json('{"code": -1121}') == {"code": -1121}
    garbled = klines_json('[[1, "a", "b"]]')  # not numbers: decoded as JSON, the checks say
    with pytest.raises(ValueError, match="not numbers"):
        checked_page(garbled, NS_PER_MIN, "binance BTC/USDT 1m")


def test_a_page_out_of_order_or_with_a_bar_twice_is_taken_once_in_order():
    from data.exchange.rows import closed_page

    rows = [[60_000 * k, 10.0 + k, 11.0 + k, 9.0 + k, 10.5 + k, 1.0] for k in (3, 1, 2, 2, 4, 0)]
    bars = closed_page(rows, NS_PER_MIN, 4 * NS_PER_MIN, NS_PER_MIN, "x")  # from 1, closed by 4
    assert list(bars.ts_ns // NS_PER_MIN) == [1, 2, 3]
    assert list(bars.open) == [11.0, 12.0, 13.0] and list(bars.close) == [11.5, 12.5, 13.5]
    assert len(closed_page(rows, 5 * NS_PER_MIN, 9 * NS_PER_MIN, NS_PER_MIN, "x")) == 0


def test_the_fetch_session_merges_the_environment_as_requests_does(monkeypatch, tmp_path):
    """Read once per host, the environment's proxies and CA bundle are what requests would
    have used on each request, a host in no_proxy included."""
    import requests

    from data.exchange.session import EnvironmentOnce

    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    once, plain = EnvironmentOnce(), requests.Session()
    for url in ["https://api.binance.com/api/v3/klines?a=1", "http://127.0.0.1:9/x",
                "https://api.binance.com/api/v3/klines?a=2"]:  # fmt: skip
        for verify in [True, False]:
            args = (url, {}, False, verify, None)
            assert once.merge_environment_settings(*args) == plain.merge_environment_settings(*args)
    assert len(once._merged) == 4  # two hosts, verify or not
    monkeypatch.setenv("HTTPS_PROXY", "http://other.example:1")  # during a fetch: not seen
    got = once.merge_environment_settings("https://api.binance.com/x", {}, False, True, None)
    assert got["proxies"]["https"] == "http://proxy.example:3128"
    assert got["verify"] == str(bundle)


def test_an_exchange_that_cannot_be_reached_says_why_and_what_to_do(store):
    """ccxt says only "binance GET http://...": the reason is in the errors it wraps. A
    port where nothing listens and a host name that does not resolve are said so, with what
    to do."""
    nowhere = open_exchange("binance", "http://127.0.0.1:9")
    said = (r"binance: could not load its markets: binance GET http://127.0.0.1:9/\S+: the "
            r"connection was refused \(nothing answers at that address\); check the network, "
            r"or give --exchange-url")  # fmt: skip
    with pytest.raises(ValueError, match=said):
        fetch_history(store, nowhere, "BTC/USDT", T0_NS)
    unknown = open_exchange("binance", "http://no-such-host.invalid")
    with pytest.raises(ValueError, match=r"its host name could not be resolved"):
        fetch_history(store, unknown, "BTC/USDT", T0_NS)
    assert store.symbols() == []
