from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.files.importer import BarLabel, ImportOptions, read_file
from engine.aggregate import resample, resample_detailed, resample_ticks
from engine.align import span_of
from engine.bars import Bars
from engine.sessions import PRESETS, calendar
from engine.timeframes import TIMEFRAMES
from tests import reference
from tests.conftest import NS_PER_MIN, make_bars


def ns(text: str) -> int:
    return int(np.datetime64(text, "ns").astype(np.int64))


def check_against_reference(bars: Bars, timeframe: str, cal_name: str) -> None:
    cal = calendar(cal_name)
    got = resample_detailed(bars, timeframe, cal)
    labels, values = reference.resample(
        cal, timeframe, bars.ts_ns, bars.open, bars.high, bars.low, bars.close, bars.volume
    )
    assert np.array_equal(got.bars.ts_ns, labels)
    expected = np.column_stack(
        [got.bars.open, got.bars.high, got.bars.low, got.bars.close, got.bars.volume]
    )
    np.testing.assert_allclose(expected, values, rtol=0, atol=1e-9)
    inside = [reference.in_session(cal, int(t)) for t in bars.ts_ns]
    assert got.outside == len(inside) - sum(inside)


# Every minute of ten days across the March 2024 US switch to summer time.
ACROSS_DST = make_bars(14_400, start_ns=ns("2024-03-05T00:00"))


@pytest.mark.parametrize("timeframe", TIMEFRAMES)
@pytest.mark.parametrize("cal_name", ["cme-globex", "cn-futures"])
def test_resample_matches_reference_across_dst(cal_name, timeframe):
    check_against_reference(ACROSS_DST, timeframe, cal_name)


@pytest.mark.parametrize("timeframe", ["5m", "1h", "4h", "1d", "1w"])
@pytest.mark.parametrize("cal_name", ["24x7", "us-equity"])
def test_resample_matches_reference_other_calendars(cal_name, timeframe):
    check_against_reference(ACROSS_DST, timeframe, cal_name)


@settings(max_examples=40, deadline=None)
@given(
    cal_name=st.sampled_from(sorted(PRESETS)),
    timeframe=st.sampled_from(TIMEFRAMES),
    gaps=st.lists(st.integers(1, 400), min_size=1, max_size=300),
    start_minute=st.integers(0, 60 * 24 * 366),
)
def test_resample_matches_reference_on_gappy_minutes(cal_name, timeframe, gaps, start_minute):
    start = ns("2023-01-01T00:00") + start_minute * NS_PER_MIN
    ts = start + np.cumsum(np.array(gaps, dtype=np.int64)) * NS_PER_MIN
    base = make_bars(len(ts))
    bars = Bars.from_arrays(ts, base.open, base.high, base.low, base.close, base.volume)
    check_against_reference(bars, timeframe, cal_name)


def test_four_hour_bars_start_at_the_session_open_across_dst():
    bars = resample(ACROSS_DST, "4h", "cme-globex")
    labels = [str(x)[:16] for x in bars.ts_ns.astype("datetime64[ns]")]
    # Thursday 7 March opens 17:00 CST (23:00 UTC); Sunday 10 March 17:00 CDT (22:00 UTC).
    assert labels[labels.index("2024-03-07T23:00") + 1] == "2024-03-08T03:00"
    assert "2024-03-10T22:00" in labels and "2024-03-11T02:00" in labels
    assert "2024-03-10T23:00" not in labels
    # The last 4h bar of a session is short: Friday 13:00-16:00 CST = 19:00-22:00 UTC.
    assert "2024-03-08T19:00" in labels and "2024-03-08T23:00" not in labels


def test_outside_rows_are_counted_not_merged():
    result = resample_detailed(ACROSS_DST, "1h", "us-equity")
    assert result.outside > 0
    assert calendar("us-equity").is_in_session(result.bars.ts_ns).all()
    assert result.bars.volume.sum() < ACROSS_DST.volume.sum()


def test_resample_ticks_keeps_equal_times_in_order_and_refuses_disorder():
    ts = np.array([0, 0, 30, 61], dtype=np.int64) * 1_000_000_000 + ns("2024-01-02T10:00")
    price = np.array([10.0, 11.0, 9.0, 12.0])
    got = resample_ticks(ts, price, np.ones(4), "1m", "24x7").bars
    assert (got.open[0], got.high[0], got.low[0], got.close[0], got.volume[0]) == (10, 11, 9, 9, 3)
    assert got.close[1] == 12
    with pytest.raises(ValueError, match="tick 2: ts_ns .* before"):
        resample_ticks(ts[[0, 2, 1]], price[:3], np.ones(3), "1m", "24x7")


def test_unknown_timeframe_and_calendar():
    with pytest.raises(ValueError, match="unknown timeframe '2d'"):
        resample(ACROSS_DST, "2d", "24x7")
    with pytest.raises(ValueError, match="unknown calendar"):
        resample(ACROSS_DST, "1h", "lse")


def test_empty_input():
    assert len(resample(Bars.empty(), "1h", "24x7")) == 0


def cme_file(realdata) -> Bars:
    bars, _, _ = read_file(
        realdata / "6EH4-cme-2024-01-1m.csv.gz",
        ImportOptions(symbol="6E", calendar="cme-globex", label=BarLabel.END),
    )
    return bars


@pytest.mark.parametrize("timeframe", ["1h", "4h", "1d"])
def test_cme_real_data_has_no_bar_across_the_maintenance_break(realdata, timeframe):
    base = cme_file(realdata)
    cal = calendar("cme-globex")
    higher = resample(base, timeframe, cal)
    first, last = span_of(base.ts_ns, higher.ts_ns)
    opens_first, _ = cal.session_bounds(base.ts_ns[first])
    opens_last, _ = cal.session_bounds(base.ts_ns[last])
    assert np.array_equal(opens_first, opens_last)  # each bar's base bars share one session
    assert higher.volume.sum() == base.volume.sum()  # nothing lost, nothing merged twice


def test_cme_real_daily_bars_start_at_the_chicago_open(realdata):
    daily = resample(cme_file(realdata), "1d", "cme-globex")
    chicago = ZoneInfo("America/Chicago")
    from datetime import UTC, datetime

    opens = {datetime.fromtimestamp(t / 1e9, UTC).astimezone(chicago).strftime("%a %H:%M")
             for t in daily.ts_ns}  # fmt: skip
    assert {o[4:] for o in opens} == {"17:00"}
    assert not any(o.startswith(("Fri", "Sat")) for o in opens)


@pytest.mark.parametrize("timeframe", ["15m", "1h", "4h", "1d", "1w"])
def test_btc_real_data_matches_reference(realdata, timeframe):
    bars, _, _ = read_file(
        realdata / "btc-perp-2022-01-1m.csv", ImportOptions(symbol="B", label=BarLabel.END)
    )
    check_against_reference(bars, timeframe, "24x7")
