"""Trading-session calendars: when an instrument trades, in its exchange's time zone.

A calendar lists the sessions of one trading day in local wall-clock time. A session may open
on the previous calendar day (CME Globex opens Sunday 17:00 for Monday) or on the previous
trading day (a Chinese futures night session on Friday belongs to Monday). Questions about
instants are answered for whole int64 arrays at once by a session table: the UTC open and close
of every session over the years asked about, built once per year with zoneinfo (so DST is
right) and searched with `np.searchsorted`.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from engine.units import NS_PER_S

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class OpensOn(enum.Enum):
    """On which local date a session opens, relative to the trading day it belongs to."""

    SAME_DAY = "same day"
    PREVIOUS_DAY = "previous calendar day"
    PREVIOUS_TRADING_DAY = "previous trading day"


@dataclasses.dataclass(frozen=True)
class Session:
    """One session of a trading day, in local time. A close at or before the open means the
    session closes on the calendar day after it opened (an overnight session)."""

    open: time
    close: time
    opens_on: OpensOn = OpensOn.SAME_DAY


@dataclasses.dataclass(frozen=True)
class SessionTable:
    """Every session in a span of years, in time order: UTC bounds and the trading day
    (days since 1970-01-01) each belongs to, with its position within that day."""

    open_ns: np.ndarray
    close_ns: np.ndarray
    trading_day: np.ndarray
    session_ix: np.ndarray

    def __len__(self) -> int:
        return len(self.open_ns)

    def locate(self, ts_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each instant: index of the session containing it, else of the next session;
        and whether it lies inside that session."""
        ts = np.asarray(ts_ns, dtype=np.int64)
        before = np.searchsorted(self.open_ns, ts, side="right") - 1
        clipped = np.maximum(before, 0)
        inside = (before >= 0) & (ts < self.close_ns[clipped])
        ix = np.where(inside, before, before + 1)
        if ix.size and ix.max(initial=0) >= len(self.open_ns):
            raise ValueError("session table does not reach past the last instant asked about")
        return ix, inside


@dataclasses.dataclass(frozen=True)
class SessionCalendar:
    """When an instrument trades: time zone, sessions per trading day, trading weekdays
    (0 = Monday), holidays (trading days with no session) and early closes."""

    name: str
    tz: str
    sessions: tuple[Session, ...]
    weekdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[date] = frozenset()
    early_closes: tuple[tuple[date, time], ...] = ()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"calendar {self.name!r}: unknown time zone {self.tz!r}; "
                "use an IANA name such as 'America/Chicago'"
            ) from exc
        if not self.sessions:
            raise ValueError(f"calendar {self.name!r} has no sessions")
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError(
                f"calendar {self.name!r}: weekdays {sorted(self.weekdays)} must be "
                "a non-empty subset of 0..6 (0 = Monday)"
            )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def with_holidays(
        self, holidays: set[date] | frozenset[date], early_closes: dict[date, time] | None = None
    ) -> SessionCalendar:
        """A copy with these holidays and early closes (local close time on a trading day)."""
        return dataclasses.replace(
            self,
            holidays=frozenset(holidays),
            early_closes=tuple(sorted((early_closes or {}).items())),
        )

    def table(self, start_ns: int, end_ns: int) -> SessionTable:
        """Sessions covering every instant in [start_ns, end_ns] and the session after."""
        first_year = int(np.datetime64(int(start_ns), "ns").astype("datetime64[Y]").astype(int))
        last_year = int(np.datetime64(int(end_ns), "ns").astype("datetime64[Y]").astype(int))
        return _span_table(self, first_year + 1970 - 1, last_year + 1970 + 1)

    def _table_for(self, ts_ns: np.ndarray) -> SessionTable:
        ts = np.asarray(ts_ns, dtype=np.int64)
        if ts.size == 0:
            return self.table(0, 0)
        return self.table(int(ts.min()), int(ts.max()))

    def is_in_session(self, ts_ns: np.ndarray) -> np.ndarray:
        """Boolean array: does each instant fall inside a session?"""
        ts = np.asarray(ts_ns, dtype=np.int64)
        return self._table_for(ts).locate(ts)[1]

    def trading_day(self, ts_ns: np.ndarray) -> np.ndarray:
        """datetime64[D] trading day of each instant: that of the session containing it, or of
        the next session when it falls between sessions."""
        ts = np.asarray(ts_ns, dtype=np.int64)
        table = self._table_for(ts)
        ix, _ = table.locate(ts)
        return table.trading_day[ix].astype("datetime64[D]")

    def trading_ns(self, since_ns: int, ts_ns: np.ndarray) -> np.ndarray:
        """Nanoseconds of session time from `since_ns` to each instant (negative before it):
        nights, weekends and holidays count nothing, as on a chart's bar axis."""
        ts = np.asarray(ts_ns, dtype=np.int64)
        table = self.table(min(int(since_ns), int(ts.min(initial=since_ns))),
                           max(int(since_ns), int(ts.max(initial=since_ns))))  # fmt: skip
        lengths = table.close_ns - table.open_ns
        before = np.concatenate(([0], np.cumsum(lengths)))  # session time at each open

        def elapsed(t: np.ndarray) -> np.ndarray:
            ix, inside = table.locate(t)
            return before[ix] + np.where(inside, t - table.open_ns[ix], 0)

        return elapsed(ts) - elapsed(np.array([since_ns], dtype=np.int64))[0]

    def session_bounds(self, ts_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """UTC open and close (ns) of the session containing each instant, or of the next one."""
        ts = np.asarray(ts_ns, dtype=np.int64)
        table = self._table_for(ts)
        ix, _ = table.locate(ts)
        return table.open_ns[ix], table.close_ns[ix]


def _local_ns(day: date, at: time, zone: ZoneInfo) -> int:
    moment = datetime.combine(day, at, tzinfo=zone)
    return int(moment.timestamp()) * NS_PER_S


def _trading_days(cal: SessionCalendar, first: date, last: date) -> list[date]:
    days = []
    d = first
    while d <= last:
        if d.weekday() in cal.weekdays and d not in cal.holidays:
            days.append(d)
        d += timedelta(days=1)
    return days


@lru_cache(maxsize=256)
def _year_table(cal: SessionCalendar, year: int) -> SessionTable:
    """Sessions of the trading days of one calendar year."""
    zone = cal.zone
    early = dict(cal.early_closes)
    # Reach back far enough to find the previous trading day of early January.
    days = _trading_days(cal, date(year - 1, 12, 1), date(year, 12, 31))
    opens, closes, tdays, slots = [], [], [], []
    for k, day in enumerate(days):
        if day.year != year:
            continue
        previous_trading = days[k - 1] if k > 0 else day - timedelta(days=1)
        cutoff = early.get(day)
        cutoff_ns = None if cutoff is None else _local_ns(day, cutoff, zone)
        for slot, session in enumerate(cal.sessions):
            if session.opens_on is OpensOn.SAME_DAY:
                open_day = day
            elif session.opens_on is OpensOn.PREVIOUS_DAY:
                open_day = day - timedelta(days=1)
            else:
                open_day = previous_trading
            close_day = open_day + timedelta(days=1) if session.close <= session.open else open_day
            open_ns = _local_ns(open_day, session.open, zone)
            close_ns = _local_ns(close_day, session.close, zone)
            if cutoff_ns is not None:
                if open_ns >= cutoff_ns:
                    continue
                close_ns = min(close_ns, cutoff_ns)
            opens.append(open_ns)
            closes.append(close_ns)
            tdays.append(day.toordinal() - _EPOCH_ORDINAL)
            slots.append(slot)
    return SessionTable(
        np.array(opens, dtype=np.int64),
        np.array(closes, dtype=np.int64),
        np.array(tdays, dtype=np.int64),
        np.array(slots, dtype=np.int8),
    )


@lru_cache(maxsize=64)
def _span_table(cal: SessionCalendar, first_year: int, last_year: int) -> SessionTable:
    parts = [_year_table(cal, y) for y in range(first_year, last_year + 1)]
    table = SessionTable(
        *(
            np.concatenate([getattr(p, f.name) for p in parts])
            for f in dataclasses.fields(SessionTable)
        )
    )
    gaps = table.open_ns[1:] - table.close_ns[:-1]
    if np.any(table.close_ns <= table.open_ns) or np.any(gaps < 0):
        raise ValueError(
            f"calendar {cal.name!r}: sessions overlap or are empty; "
            "check the session times and which day each opens on"
        )
    for arr in dataclasses.astuple(table):
        arr.setflags(write=False)
    return table


PRESETS: dict[str, SessionCalendar] = {
    "24x7": SessionCalendar(
        "24x7", "UTC", (Session(time(0), time(0)),), weekdays=frozenset(range(7))
    ),
    "cme-globex": SessionCalendar(
        "cme-globex",
        "America/Chicago",
        (Session(time(17), time(16), OpensOn.PREVIOUS_DAY),),
    ),
    "us-equity": SessionCalendar(
        "us-equity", "America/New_York", (Session(time(9, 30), time(16)),)
    ),
    "cn-futures": SessionCalendar(
        "cn-futures",
        "Asia/Shanghai",
        (
            Session(time(21), time(23), OpensOn.PREVIOUS_TRADING_DAY),
            Session(time(9), time(10, 15)),
            Session(time(10, 30), time(11, 30)),
            Session(time(13, 30), time(15)),
        ),
    ),
    # Eurex index derivatives (FESX, FDAX): 01:10 to 22:00 in Frankfurt, the early hours a
    # session of their own so the day session's bars start on the hour (08:00, 09:00, ...).
    "eurex": SessionCalendar(
        "eurex", "Europe/Berlin", (Session(time(1, 10), time(8)), Session(time(8), time(22)))
    ),
    # Spot currencies: the week opens Sunday 17:00 in New York and each day rolls there
    # (a day's bar closes at 17:00 New York, as the FX market dates its days).
    "fx": SessionCalendar(
        "fx", "America/New_York", (Session(time(17), time(17), OpensOn.PREVIOUS_DAY),)
    ),
}


def calendar(name: str) -> SessionCalendar:
    """The preset calendar called `name` (one of PRESETS)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown calendar {name!r}: use one of {', '.join(PRESETS)}") from None


# ISO 4217 codes of the currencies (and metals) traded as spot pairs
CURRENCIES = frozenset({
    "USD", "EUR", "JPY", "GBP", "CHF", "AUD", "NZD", "CAD", "SEK", "NOK", "DKK", "HKD", "SGD",
    "CNH", "CNY", "MXN", "ZAR", "TRY", "PLN", "HUF", "CZK", "ILS", "INR", "KRW", "BRL", "RUB",
    "THB", "XAU", "XAG",
})  # fmt: skip
CRYPTO_QUOTES = ("USDT", "USDC", "BUSD", "FDUSD")  # stablecoins: a pair quoted in one is a coin's
COIN_QUOTES = ("USD", "EUR", "BTC", "ETH")  # what a coin is quoted in besides
CRYPTO_BASES = frozenset({"BTC", "ETH", "SOL", "XRP", "BNB", "ADA", "DOGE", "LTC", "DOT", "AVAX",
                          "LINK", "TRX"})  # fmt: skip


def calendar_guess(symbol: str) -> str | None:
    """The calendar a symbol's name says it trades on, when it says: "fx" for a pair of
    currencies (EURUSD, EUR/USD, XAUUSD), "24x7" for a crypto pair or perpetual (BTCUSDT,
    ETH-PERP); None otherwise (a future's or a stock's root names no calendar)."""
    name = symbol.upper().split(":")[-1]
    letters = "".join(ch for ch in name if ch.isalnum())
    for pair in (letters, "".join(ch for ch in re.split(r"[.=]\w*$", name)[0] if ch.isalnum())):
        if len(pair) == 6 and pair[:3] in CURRENCIES and pair[3:] in CURRENCIES:
            return "fx" if pair[:3] != pair[3:] else None  # (EURUSD=X, GBPUSD.SIM)
    if letters.endswith(CRYPTO_QUOTES) or letters.endswith("PERP"):
        return "24x7"
    # A coin against a currency or a coin (BTCUSD, ETHBTC): a coin's name alone may be a
    # stock's ticker (LTC, and BTCS starts as one).
    if any(letters == base + quote for base in CRYPTO_BASES for quote in COIN_QUOTES):
        return "24x7"
    return None
