"""An exchange through ccxt, opened by name, with its markets; every failure in words that
name the exchange, the symbol and what to do. ccxt is imported here, when an exchange is
first used (it takes half a second to import)."""

from __future__ import annotations

import dataclasses
import difflib
import re

from data.store.files import first_line
from engine.timeframes import TIMEFRAMES

_HOST = re.compile(r"^(https?|wss?)://[^/]+")
# What the innermost error of a failed connection says, in words: (its marks, the words).
_NETWORK_CAUSES = (
    (
        ("Name or service not known", "Failed to resolve", "name resolution", "getaddrinfo"),
        "its host name could not be resolved (no network or DNS here)",
    ),
    (("Connection refused",), "the connection was refused (nothing answers at that address)"),
    (("timed out", "Timeout", "TimeoutError"), "it did not answer in time"),
)
NETWORK_HINT = "check the network, or give --exchange-url (a proxy, a testnet)"


def failure_words(exc: BaseException) -> str:
    """A ccxt error in words: its first line, and for one of the network why it failed (ccxt
    says "binance GET https://..." and leaves the reason to the errors it wraps)."""
    import ccxt

    said = first_line(exc)
    if not isinstance(exc, ccxt.NetworkError) or isinstance(exc, ccxt.DDoSProtection):
        return said
    inner, seen = exc, set()
    while (inner.__cause__ or inner.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        inner = inner.__cause__ or inner.__context__
    text = str(inner)
    why = next((words for marks, words in _NETWORK_CAUSES if any(m in text for m in marks)),
               first_line(inner) if inner is not exc else "")  # fmt: skip
    return f"{said}: {why}; {NETWORK_HINT}" if why else f"{said}; {NETWORK_HINT}"


@dataclasses.dataclass(frozen=True)
class Market:
    """One market of an exchange: its unified symbol (BTC/USDT), the series it is stored as
    (BINANCE:BTC/USDT) and its price step."""

    exchange: str
    symbol: str
    tick_size: float

    @property
    def series(self) -> str:
        return f"{self.exchange.upper()}:{self.symbol}"


def _rewrite(urls, base: str):
    """Every URL in ccxt's `urls["api"]` (a string or a nested dict of them) on `base`:
    REST on it, websockets on the same host with the ws scheme."""
    if isinstance(urls, dict):
        return {key: _rewrite(value, base) for key, value in urls.items()}
    if isinstance(urls, str):
        host = base.rstrip("/")
        if urls.startswith("ws"):
            host = re.sub(r"^http", "ws", host)
        return _HOST.sub(host, urls)
    return urls


def open_exchange(name: str, url: str | None = None, *, rate_limit_ms: float | None = None,
                  streaming: bool = False):  # fmt: skip
    """The ccxt exchange `name` (binance, kraken, ...), its calls on `url` instead of the
    exchange's own host when given. Spot markets only. `streaming`: ccxt.pro's asyncio
    exchange, with websocket streams as well as the REST calls."""
    import ccxt

    if streaming:
        import ccxt.pro  # its asyncio layer: only for a live stream

    exchange_id = name.lower()
    if exchange_id not in ccxt.exchanges:
        close = difflib.get_close_matches(exchange_id, ccxt.exchanges, n=5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise ValueError(
            f"unknown exchange {name!r}: {hint}ccxt knows {len(ccxt.exchanges)} exchanges "
            f"({', '.join(ccxt.exchanges[:12])}, ...)"
        )
    options = {"enableRateLimit": True, "options": {"fetchMarkets": {"types": ["spot"]},
                                                    "defaultType": "spot"}}  # fmt: skip
    if streaming and exchange_id not in ccxt.pro.exchanges:
        raise ValueError(f"{exchange_id} has no live stream through ccxt; those that do include "
                         f"{', '.join(ccxt.pro.exchanges[:12])}, ...")  # fmt: skip
    exchange = getattr(ccxt.pro if streaming else ccxt, exchange_id)(options)
    exchange.enableLastJsonResponse = True  # a reply that is not JSON is told apart (`checked`)
    if rate_limit_ms is not None:
        exchange.rateLimit = rate_limit_ms
    if url is not None:
        if not _HOST.match(url):
            raise ValueError(
                f"--exchange-url {url!r}: give a base URL such as http://127.0.0.1:8080"
            )
        exchange.urls["api"] = _rewrite(exchange.urls["api"], url)
    return exchange


def market(exchange, symbol: str) -> Market:
    """The exchange's market `symbol` (unified, BTC/USDT); an unknown one gets the close
    matches and how many markets there are."""
    import ccxt

    try:
        exchange.load_markets()
    except ccxt.BaseError as exc:
        raise ValueError(f"{exchange.id}: could not load its markets: "
                         f"{failure_words(exc)}") from None  # fmt: skip
    found = exchange.markets.get(symbol)
    if found is None:
        names = sorted(exchange.markets)
        close = difflib.get_close_matches(symbol.upper(), names, n=5)
        hint = f"close ones: {', '.join(close)}" if close else f"for example {', '.join(names[:8])}"
        raise ValueError(
            f"{exchange.id} has no market {symbol!r} ({len(names)} markets; {hint}); use "
            "the unified form BASE/QUOTE, e.g. BTC/USDT"
        )
    step = (found.get("precision") or {}).get("price")
    return Market(exchange.id, symbol, float(step) if step else 0.01)


def ohlcv_timeframe(exchange, timeframe: str) -> str:
    """`timeframe` if the exchange serves OHLCV history in it; otherwise a clear error."""
    if timeframe not in TIMEFRAMES:
        raise ValueError(f"unknown timeframe {timeframe!r}: use one of {', '.join(TIMEFRAMES)}")
    if not exchange.has.get("fetchOHLCV"):
        raise ValueError(
            f"{exchange.id} serves no OHLCV history through ccxt; exchanges that do include "
            "binance, bybit, okx, kraken, coinbase"
        )
    offered = exchange.timeframes or {}
    if timeframe not in offered:
        raise ValueError(f"{exchange.id} has no {timeframe} bars; it offers "
                         f"{', '.join(offered) or 'none'}")  # fmt: skip
    return timeframe


def checked(exchange, call):
    """`call()`'s result, or ccxt's BadResponse when the exchange's reply was not JSON (ccxt
    hands the raw text on, and a garbled page of bars would read as the end of the
    history)."""
    import ccxt

    exchange.last_json_response = None
    result = call()
    if exchange.last_json_response is None and exchange.last_http_response:
        raise ccxt.BadResponse(f"{exchange.id} sent a reply that is not JSON: "
                               f"{str(exchange.last_http_response)[:80]!r}")  # fmt: skip
    return result
