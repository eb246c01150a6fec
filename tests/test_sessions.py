from datetime import date, time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.sessions import PRESETS, calendar
from tests import reference


def ns(text: str) -> int:
    return int(np.datetime64(text, "ns").astype(np.int64))


def bounds(cal_name: str, utc: str) -> tuple[str, str]:
    o, c = calendar(cal_name).session_bounds(np.array([ns(utc)]))
    return str(o[0].astype("datetime64[ns]"))[:16], str(c[0].astype("datetime64[ns]"))[:16]


def test_unknown_calendar_is_named():
    with pytest.raises(ValueError, match="unknown calendar 'nyse'.*24x7"):
        calendar("nyse")


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # Friday before the March 2024 switch: 17:00 CST Thu -> 16:00 CST Fri.
        ("2024-03-08T12:00", ("2024-03-07T23:00", "2024-03-08T22:00")),
        # Sunday of the switch (clocks forward at 02:00): opens 17:00 CDT = 22:00 UTC.
        ("2024-03-10T23:00", ("2024-03-10T22:00", "2024-03-11T21:00")),
        # Friday before the November 2024 switch closes 16:00 CDT = 21:00 UTC.
        ("2024-11-01T12:00", ("2024-10-31T22:00", "2024-11-01T21:00")),
        # Sunday of the switch back: opens 17:00 CST = 23:00 UTC.
        ("2024-11-03T23:30", ("2024-11-03T23:00", "2024-11-04T22:00")),
    ],
)
def test_cme_globex_sessions_across_dst(utc, expected):
    assert bounds("cme-globex", utc) == expected


def test_cme_weekend_and_daily_break_are_out_of_session():
    cal = calendar("cme-globex")
    instants = np.array(
        [
            ns("2024-03-08T22:00"),  # Friday 16:00 CST: closed
            ns("2024-03-09T12:00"),  # Saturday
            ns("2024-03-10T21:59"),  # Sunday 16:59 CDT: not yet open
            ns("2024-03-10T22:00"),  # Sunday 17:00 CDT: open
            ns("2024-03-12T21:30"),  # Tuesday 16:30 CDT: daily maintenance break
        ]
    )
    assert cal.is_in_session(instants).tolist() == [False, False, False, True, False]
    days = cal.trading_day(instants).astype(str).tolist()
    assert days == ["2024-03-11", "2024-03-11", "2024-03-11", "2024-03-11", "2024-03-13"]


@pytest.mark.parametrize(
    ("utc", "open_utc"),
    [
        ("2024-03-08T15:00", "2024-03-08T14:30"),  # 09:30 EST
        ("2024-03-11T15:00", "2024-03-11T13:30"),  # 09:30 EDT
        ("2024-11-01T15:00", "2024-11-01T13:30"),
        ("2024-11-04T15:00", "2024-11-04T14:30"),
    ],
)
def test_us_equity_open_follows_new_york_dst(utc, open_utc):
    assert bounds("us-equity", utc)[0] == open_utc


def test_cn_futures_night_session_belongs_to_next_trading_day():
    cal = calendar("cn-futures")
    # Friday 2024-01-05 21:30 Shanghai = 13:30 UTC: Monday's trading day.
    friday_night = ns("2024-01-05T13:30")
    # Wednesday 11:45 Shanghai (lunch) and 10:20 (morning break) are closed.
    lunch, morning_break = ns("2024-01-03T03:45"), ns("2024-01-03T02:20")
    instants = np.array([friday_night, lunch, morning_break])
    assert cal.is_in_session(instants).tolist() == [True, False, False]
    assert str(cal.trading_day(instants)[0]) == "2024-01-08"
    table = cal.table(friday_night, friday_night)
    per_day = np.bincount(table.trading_day - table.trading_day.min())
    assert set(per_day[per_day > 0]) == {4}  # night + three day sessions


def test_fx_week_opens_sunday_and_days_roll_at_17_new_york():
    """Spot FX dates its days by New York 17:00 (the daily bar closes there), summer or
    winter; the week runs Sunday 17:00 to Friday 17:00."""
    cal = calendar("fx")
    instants = np.array([
        ns("2012-02-05T21:59"),  # Sunday 16:59 EST: not yet open
        ns("2012-02-05T22:00"),  # Sunday 17:00 EST: Monday's day opens
        ns("2012-02-07T21:59"),  # Tuesday 16:59 EST: Tuesday's
        ns("2012-02-07T22:00"),  # Tuesday 17:00 EST: Wednesday's
        ns("2012-02-10T22:00"),  # Friday 17:00 EST: closed for the weekend
        ns("2012-02-11T12:00"),  # Saturday
        ns("2024-07-09T21:00"),  # Tuesday 17:00 EDT: Wednesday's
    ])  # fmt: skip
    assert cal.is_in_session(instants).tolist() == [False, True, True, True, False, False, True]
    assert cal.trading_day(instants).astype(str).tolist() == [
        "2012-02-06", "2012-02-06", "2012-02-07", "2012-02-08", "2012-02-13", "2012-02-13",
        "2024-07-10"]  # fmt: skip


def test_eurex_trades_from_0110_to_2200_frankfurt():
    cal = calendar("eurex")
    instants = np.array([
        ns("2006-01-02T00:09"),  # 01:09 CET: not yet open
        ns("2006-01-02T00:10"),  # 01:10 CET: open
        ns("2006-01-02T20:59"),  # 21:59 CET
        ns("2006-01-02T21:00"),  # 22:00 CET: closed
        ns("2024-07-08T19:59"),  # 21:59 CEST
        ns("2024-07-08T20:00"),  # 22:00 CEST: closed
    ])  # fmt: skip
    assert cal.is_in_session(instants).tolist() == [False, True, True, False, True, False]
    assert str(cal.trading_day(instants)[2]) == "2006-01-02"
    # the day session opens at 08:00: its hourly bars start on the hour, not at 08:10
    assert bounds("eurex", "2006-01-02T08:30") == ("2006-01-02T07:00", "2006-01-02T21:00")


def test_24x7_is_always_in_session_and_days_are_utc_dates():
    cal = calendar("24x7")
    instants = np.array([ns("2024-06-01T00:00"), ns("2024-06-01T23:59"), ns("2024-06-02T00:00")])
    assert cal.is_in_session(instants).all()
    assert cal.trading_day(instants).astype(str).tolist() == [
        "2024-06-01",
        "2024-06-01",
        "2024-06-02",
    ]


def test_holidays_and_early_closes():
    base = calendar("us-equity")
    cal = base.with_holidays({date(2024, 7, 4)}, {date(2024, 7, 3): time(13, 0)})
    instants = np.array([ns("2024-07-04T15:00"), ns("2024-07-03T17:30"), ns("2024-07-03T16:59")])
    assert base.is_in_session(instants).tolist() == [True, True, True]
    assert cal.is_in_session(instants).tolist() == [False, False, True]


def test_bad_time_zone_is_named():
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        PRESETS["24x7"].__class__("x", "Mars/Base", PRESETS["24x7"].sessions)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(PRESETS)),
    minutes=st.lists(st.integers(0, 60 * 24 * 365 * 3), min_size=1, max_size=40),
)
def test_is_in_session_matches_reference(name, minutes):
    cal = calendar(name)
    start = ns("2022-01-01T00:00")
    ts = np.array([start + m * 60_000_000_000 for m in minutes], dtype=np.int64)
    expected = [reference.in_session(cal, int(t)) for t in ts]
    assert cal.is_in_session(ts).tolist() == expected


def test_session_time_counts_only_sessions():
    import numpy as np

    from engine.sessions import calendar

    def at(text):
        return int(np.datetime64(text, "ns").astype(np.int64))

    minute = 60_000_000_000
    since = at("2024-03-04T20:00")  # Monday 15:00 New York
    ts = np.array(
        [
            at("2024-03-04T20:30"),
            at("2024-03-05T03:00"),
            at("2024-03-05T14:31"),
            at("2024-03-04T19:00"),
            at("2024-03-11T13:30"),
        ]
    )  # 09:30 after DST began
    got = calendar("us-equity").trading_ns(since, ts) // minute
    assert got.tolist() == [30, 60, 61, -60, 60 + 4 * 390]  # nights and a weekend count 0
    assert calendar("24x7").trading_ns(since, ts).tolist() == (ts - since).tolist()
