"""Which column of a file holds which field (time, open, ..., or tick price/size/bid/ask).

From an explicit `--columns` spec (positional `date,time,open,high,low,close,volume,skip` or
named `ts=timestamp_utc,close=last`), from header names, or, for a file without a usable
header, from what the first rows contain.
"""

from __future__ import annotations

import dataclasses
import enum
import re

import pyarrow as pa

from data.files.numbers import to_float
from data.files.tables import RawTable
from data.files.timestamps import DATE_ORDERS, parse_timestamps

ROLES = (
    "ts",
    "date",
    "time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "price",
    "qty",
    "bid",
    "ask",
)
_SKIP = ("skip", "-", "")

_ALIASES: dict[str, tuple[str, ...]] = {
    "ts": (
        "timestamp",
        "timestamp_utc",
        "datetime",
        "date_time",
        "time_utc",
        "ts",
        "ts_ns",
        "ts_event",
        "epoch",
        "unix",
        "open_time",
        "t",
        "gmt_time",  # Dukascopy's exports
    ),
    # with the names German and French spreadsheets and brokers' exports give them
    "date": ("date", "day", "trade_date", "datum"),
    "time": ("time", "zeit", "uhrzeit", "heure"),
    "open": ("open", "o", "open_price", "eröffnung", "eroeffnung", "erster", "ouverture"),
    "high": ("high", "h", "high_price", "hoch", "plus_haut"),
    "low": ("low", "l", "low_price", "tief", "plus_bas"),
    "close": (
        "close",
        "c",
        "close_price",
        "schluss",
        "schlusskurs",
        "letzter",
        "clôture",
        "cloture",
        "dernier",
    ),
    "volume": ("volume", "vol", "v", "tick_volume", "volumen", "umsatz"),
    "price": ("price", "px", "trade_price", "last_price", "last"),
    "qty": ("qty", "quantity", "size", "amount", "trade_size", "volume", "vol"),
    "bid": ("bid", "bid_price", "bidprice", "bid_px"),
    "ask": ("ask", "ask_price", "askprice", "offer", "ask_px"),
}
_DATE_RE = re.compile(r"^(\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}|\d{8})$")
_TIME_RE = re.compile(r"^(\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?|\d{6})$")


class Kind(enum.Enum):
    BARS = "bars"
    TRADES = "trades"
    QUOTES = "quotes"


@dataclasses.dataclass(frozen=True)
class ColumnMap:
    roles: dict[str, str]  # role -> column name
    kind: Kind

    def describe(self) -> str:
        return ", ".join(f"{role}={name}" for role, name in self.roles.items())


def _normalise(name: str) -> str:
    return re.sub(r"[\s<>\"']+", "_", name.strip().lower()).strip("_")


def _kind_of(roles: dict[str, str], raw: RawTable) -> Kind:
    has_time = "ts" in roles or {"date", "time"} <= roles.keys()
    if not has_time:
        raise ValueError(
            f"no time column found among {', '.join(raw.names)}: say which it is with "
            "--columns, e.g. --columns ts=timestamp,open=o,high=h,low=l,close=c"
        )
    if {"open", "high", "low", "close"} <= roles.keys():
        return Kind.BARS
    if {"bid", "ask"} <= roles.keys():
        return Kind.QUOTES
    if "price" in roles:
        return Kind.TRADES
    raise ValueError(
        f"cannot tell the price columns among {', '.join(raw.names)}: a bar file needs "
        "open, high, low, close; a tick file price (and qty) or bid and ask; "
        "map them with --columns"
    )


def parse_spec(spec: str, raw: RawTable) -> ColumnMap:
    items = [item.strip() for item in spec.split(",")]
    roles: dict[str, str] = {}
    if any("=" in item for item in items):
        lookup = {_normalise(n): n for n in raw.names}
        for item in items:
            role, _, name = item.partition("=")
            role = role.strip().lower()
            _check_role(role, spec)
            column = name.strip() if name.strip() in raw.names else lookup.get(_normalise(name))
            if column is None:
                raise ValueError(
                    f"--columns names column {name.strip()!r}, but the file has "
                    f"{', '.join(raw.names)}"
                )
            roles[role] = column
    else:
        if len(items) > len(raw.names):
            raise ValueError(
                f"--columns lists {len(items)} columns but the file has {len(raw.names)}"
            )
        for item, column in zip(items, raw.names, strict=False):
            role = item.lower()
            if role in _SKIP:
                continue
            _check_role(role, spec)
            roles[role] = column
    return ColumnMap(roles, _kind_of(roles, raw))


def _check_role(role: str, spec: str) -> None:
    if role not in ROLES:
        raise ValueError(
            f"--columns {spec!r}: unknown field {role!r}; fields are {', '.join(ROLES)} (or skip)"
        )


def from_header(raw: RawTable) -> ColumnMap:
    roles: dict[str, str] = {}
    normalised = {_normalise(n): n for n in raw.names}
    for role, aliases in _ALIASES.items():
        for alias in aliases:
            column = normalised.get(alias)
            if column is not None and column not in roles.values():
                roles[role] = column
                break
    if "ts" not in roles and len({"date", "time"} & roles.keys()) == 1:  # one says it all
        roles["ts"] = roles.pop("time" if "time" in roles else "date")
    if {"open", "high", "low", "close"} <= roles.keys():
        roles.pop("price", None)
        roles.pop("qty", None)
    else:
        roles.pop("volume", None)
    return ColumnMap(roles, _kind_of(roles, raw))


def _is_timestamp(value: str) -> bool:
    """Whether `value` reads as a time (a date year last, in either order)."""
    return bool(value) and any(
        not parse_timestamps(pa.array([value]), tz="UTC", date_order=order).bad[0]
        for order in DATE_ORDERS
    )


def from_content(raw: RawTable) -> ColumnMap:
    """Guess by position from the first rows: time column(s), then numbers."""
    rows = [r for r in raw.sample if len(r) == len(raw.names)]
    if not rows:
        raise ValueError("no well-formed rows to infer the columns from; use --columns")
    first = [v.strip() for v in rows[0]]
    roles: dict[str, str] = {}
    if len(first) > 1 and _DATE_RE.match(first[0]) and _TIME_RE.match(first[1]):
        roles.update(date=raw.names[0], time=raw.names[1])
        start = 2
    elif _is_timestamp(first[0]):
        roles["ts"] = raw.names[0]
        start = 1
    else:
        raise ValueError(
            f"cannot tell which column holds the time (first row starts {first[0]!r}); "
            "use --columns"
        )
    numeric, columns = [], []
    for j in range(start, len(first)):
        column, bad = to_float(pa.array([r[j] for r in rows]), raw.decimal_comma)
        if bad.any():
            break
        numeric.append(j)
        columns.append(column.tolist())
    values = [list(v) for v in zip(*columns, strict=True)] if columns else [[] for _ in rows]
    if len(numeric) >= 4:
        if not all(v[1] >= max(v[0], v[3]) and v[2] <= min(v[0], v[3]) for v in values):
            raise ValueError(
                "the four numbers after the time are not open, high, low, close in that order; "
                "map them with --columns"
            )
        for role, j in zip(("open", "high", "low", "close", "volume"), numeric, strict=False):
            roles[role] = raw.names[j]
    elif len(numeric) >= 2 and all(0 < v[0] <= v[1] and v[1] / v[0] < 1.01 for v in values):
        roles.update(bid=raw.names[numeric[0]], ask=raw.names[numeric[1]])
    elif numeric:
        roles["price"] = raw.names[numeric[0]]
        if len(numeric) > 1:
            roles["qty"] = raw.names[numeric[1]]
    return ColumnMap(roles, _kind_of(roles, raw))


def infer_columns(raw: RawTable, spec: str | None) -> ColumnMap:
    if spec:
        return parse_spec(spec, raw)
    if raw.header_used:
        return from_header(raw)
    return from_content(raw)
