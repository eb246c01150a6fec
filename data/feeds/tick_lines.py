"""One line of the socket protocol, read and checked: a JSON object with symbol, ts (epoch
s/ms/us/ns told apart by size, or ISO-8601 text with an offset), price and optional qty.
Anything else is `Rejected`, with the counter it falls under and the reason in words; no
line, however hostile (deep nesting, 400-digit numbers), raises anything else."""

from __future__ import annotations

import datetime as dt
import json
import math

from engine.units import NS_PER_S

# ts_ns must be a time numpy can hold: years 1678 to 2261
_TS_LIMIT = 2**63 - 1


class Rejected(ValueError):
    def __init__(self, counter: str, message: str) -> None:
        super().__init__(message)
        self.counter = counter


def epoch_ns(value: float | int) -> int:
    """An epoch in s, ms, us or ns (told apart by magnitude) as nanoseconds."""
    magnitude = abs(value)
    if magnitude >= 1e17:
        scale = 1
    elif magnitude >= 1e14:
        scale = 1_000
    elif magnitude >= 1e11:
        scale = 1_000_000
    else:
        scale = NS_PER_S
    return int(value) * scale if isinstance(value, int) else round(value * scale)


def _timestamp_ns(value) -> int:
    if isinstance(value, bool):
        raise Rejected("malformed", f"ts {value!r} is not a time")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise Rejected("malformed", f"ts {value!r} is not a time")
        ts_ns = epoch_ns(value)
        if abs(ts_ns) > _TS_LIMIT:
            raise Rejected("malformed", f"ts {_short(value)} is out of range")
        return ts_ns
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise Rejected("malformed", f"ts {value!r} is not an ISO-8601 time") from None
        if parsed.tzinfo is None:
            raise Rejected("malformed", f"ts {value!r} has no UTC offset: add one, e.g. +00:00")
        delta = parsed - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return (delta.days * 86_400 + delta.seconds) * NS_PER_S + delta.microseconds * 1000
    raise Rejected("malformed", f"ts {value!r} is neither an epoch number nor ISO-8601 text")


def _short(value) -> str:
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge integer"
    return text if len(text) <= 40 else text[:37] + "..."


def _number(value, field: str, counter: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejected("malformed", f"{field} {_short(value)} is not a number")
    try:
        number = float(value)
    except OverflowError:
        raise Rejected(counter, f"{field} {_short(value)} is too large") from None
    if not math.isfinite(number):
        raise Rejected(counter, f"{field} {value!r} is not finite")
    return number


def parse_tick(line: bytes) -> tuple[str, int, float, float]:
    """(symbol, ts_ns, price, qty) of one line, or `Rejected` saying what is wrong."""
    try:
        tick = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise Rejected("malformed", f"not JSON: {line[:80]!r}") from None
    except RecursionError:
        raise Rejected("malformed", f"JSON nested too deep: {line[:40]!r}...") from None
    if not isinstance(tick, dict):
        raise Rejected("malformed", f"not a JSON object: {line[:80]!r}")
    missing = [k for k in ("symbol", "ts", "price") if k not in tick]
    if missing:
        raise Rejected("malformed", f"missing {', '.join(missing)} in {line[:80]!r}")
    symbol = tick["symbol"]
    if not isinstance(symbol, str):
        raise Rejected("malformed", f"symbol {symbol!r} is not text")
    price = _number(tick["price"], "price", "bad_price")
    if price <= 0:
        raise Rejected("bad_price", f"price {_short(tick['price'])} is not positive")
    qty = _number(tick.get("qty", 0), "qty", "bad_qty")
    if qty < 0:
        raise Rejected("bad_qty", f"qty {_short(tick['qty'])} is negative")
    return symbol, _timestamp_ns(tick["ts"]), price, qty
