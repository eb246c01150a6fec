"""Every kind of feed, listed once: the command line, the Feed menu, the settings and the
live session all read `FEED_SPECS`. A new kind is a module with its feed and one entry here.
"""

from __future__ import annotations

import enum
import time

from data.feeds.port import FeedContext, FeedSpec
from data.feeds.replay import ReplaySource
from data.feeds.simulated import MarketFactor, MarketProfile, SimulatedMarket
from data.feeds.socket_routes import SocketRoute
from data.feeds.thread import FeedThread
from data.store.provenance import SIMULATED, SOCKET, Source, SourceKind
from engine.units import NS_PER_DAY, NS_PER_MIN, minute_text

PROFILE_BARS = 1440  # a simulation trades like the series' last day of 1m bars
REPLAY_DAYS = 30


def _scaled_clock(scale: float, start_ns: int | None = None):
    """The wall clock, running `scale` times as fast, from `start_ns` (default: now)."""
    if scale == 1.0 and start_ns is None:
        return time.time_ns
    wall0 = time.time_ns()
    start = wall0 if start_ns is None else start_ns
    return lambda: start + int((time.time_ns() - wall0) * scale)


def _recent(ctx: FeedContext, n: int, end_ns: int | None = None):
    """The last `n` stored 1m bars before `end_ns`; an error when there are none."""
    bars = ctx.store.load(ctx.symbol, "1m", end_ns=end_ns, limit=n)
    if len(bars) == 0:
        raise ValueError(f"{ctx.symbol} has no stored bars to continue from or replay")
    return bars


# -- simulated ---------------------------------------------------------------------------------


def _simulated_source(ctx: FeedContext) -> Source:
    """A simulated copy goes on under its own source; a demo symbol takes simulated bars."""
    last = ctx.stretches[-1].source if ctx.stretches else None
    return last if last is not None and last.copied_from else SIMULATED


def _refuse_simulated(ctx: FeedContext) -> str | None:
    if ctx.synthetic is False:
        return (
            f"{ctx.symbol} holds real bars ({ctx.stretches[0].source}); the simulated feed "
            "runs on demo symbols and simulated copies only: choose File > Simulated copy of "
            f"this symbol, or run `candleterm simcopy {ctx.symbol}`"
        )
    return None


_FACTORS: dict[float, MarketFactor] = {}  # the demo symbols' common move, by clock speed


def _make_simulated(ctx: FeedContext) -> FeedThread:
    recent = _recent(ctx, PROFILE_BARS)
    last = recent[-1:]
    copied = _simulated_source(ctx).copied_from
    # the demo symbols trade on one clock and move together; a copy on its own, from its
    # last bar on
    factor = None if copied else _FACTORS.setdefault(ctx.settings.time_scale, MarketFactor())
    market = SimulatedMarket(float(last.close[-1]), ctx.calendar, ctx.instrument.tick_size,
                             rate=ctx.settings.rate, factor=factor,
                             profile=MarketProfile.of(recent.close, recent.volume))  # fmt: skip
    start = int(last.ts_ns[-1]) + NS_PER_MIN if copied else None
    return FeedThread(market, ctx.ring, clock=_scaled_clock(ctx.settings.time_scale, start))


# -- replay ------------------------------------------------------------------------------------


def _replay_start(ctx: FeedContext) -> int | None:
    """Where a replay starts: the time asked for, by default a day before the last stored
    bar; for a symbol holding less than a day (a few hours of imported quotes were refused),
    halfway through its bars: the first half shown, the second replayed."""
    if ctx.stored is None:
        return None
    first, last = ctx.stored
    start = ctx.settings.replay_start_ns
    if start is None:
        start = last - NS_PER_DAY
        if start <= first:
            start = first + (last - first) // 2 // NS_PER_MIN * NS_PER_MIN + NS_PER_MIN
    if not first <= start <= last:
        raise ValueError(
            f"replay start {minute_text(start)} UTC lies outside the stored bars of "
            f"{ctx.symbol} ({minute_text(first)} to {minute_text(last)} UTC): choose a time "
            "in between"
        )
    return int(start)


def _make_replay(ctx: FeedContext) -> FeedThread:
    start = _replay_start(ctx)
    _recent(ctx, 1, start)
    bars = ctx.store.load(ctx.symbol, "1m", start_ns=start,
                          end_ns=start + REPLAY_DAYS * NS_PER_DAY)  # fmt: skip
    source = ReplaySource(bars, ctx.settings.speed, start_ns=start)
    return FeedThread(source, ctx.ring, clock=time.perf_counter_ns)


# -- socket ------------------------------------------------------------------------------------


def _refuse_socket(ctx: FeedContext) -> str | None:
    if ctx.synthetic:
        return (
            f"{ctx.symbol} holds synthetic bars ({ctx.stretches[0].describe()}); socket ticks "
            "are real and are stored apart from them: send them under a symbol of their own "
            "(`candleterm --feed socket --symbol NAME` creates it)"
        )
    return None


def _make_socket(ctx: FeedContext) -> SocketRoute:
    last = ctx.store.load(ctx.symbol, "1m", limit=1)
    return SocketRoute(
        ctx.symbol,
        ctx.ring,
        ctx.settings.port,
        float(last.close[-1]) if len(last) else None,
        ctx.settings.band,
    )


# -- exchange ----------------------------------------------------------------------------------


def exchange_market(series: str, exchange: str) -> tuple[str, str]:
    """(exchange, unified symbol) of a stored series: BINANCE:BTC/USDT is binance's BTC/USDT;
    a name without the prefix is a market of `exchange`."""
    prefix, colon, symbol = series.partition(":")
    return (prefix.lower(), symbol) if colon else (exchange.lower(), series)


def exchange_series(symbol: str, exchange: str) -> str:
    """The series the exchange feed stores `symbol` (BTC/USDT, or BINANCE:BTC/USDT) under."""
    name, market = exchange_market(symbol, exchange)
    return f"{name.upper()}:{market}"


def _refuse_exchange(ctx: FeedContext) -> str | None:
    if ":" not in ctx.symbol:
        return (
            f"{ctx.symbol} is not an exchange's market: the exchange feed runs on series named "
            "EXCHANGE:SYMBOL (`candleterm --feed exchange --exchange binance --symbol BTC/USDT` "
            "shows BINANCE:BTC/USDT, `candleterm fetch` fills its history)"
        )
    if ctx.synthetic:
        return (
            f"{ctx.symbol} holds synthetic bars ({ctx.stretches[0].describe()}); an exchange's "
            "trades are real: show its market's own series (`candleterm --feed exchange "
            "--exchange binance --symbol BTC/USDT` makes BINANCE:BTC/USDT)"
        )
    return None


def _exchange_keeps(store, settings) -> list[str]:
    prefix = f"{settings.exchange.upper()}:"
    return [s for s in store.symbols() if s.startswith(prefix)]


def _socket_keeps(store, settings) -> list[str]:
    return [s for s in store.symbols()
            if any(st.source.kind is SourceKind.SOCKET for st in store.sources(s))]  # fmt: skip


def _make_exchange(ctx: FeedContext):
    from data.feeds.exchange_feed import ExchangeFeed  # ccxt: imported when first used

    exchange, market = exchange_market(ctx.symbol, ctx.settings.exchange)
    # From the last stored minute on: a session that quit stored its forming minute as far as
    # it had seen it, and the exchange's bar replaces it once that minute has closed.
    resume_after_ns = None if ctx.stored is None else ctx.stored[1] - NS_PER_MIN
    return ExchangeFeed(exchange, market, ctx.ring, ctx.bars_out, url=ctx.settings.exchange_url,
                        resume_after_ns=resume_after_ns)  # fmt: skip


def _exchange_source(ctx: FeedContext) -> Source:
    return Source(SourceKind.EXCHANGE, exchange_market(ctx.symbol, ctx.settings.exchange)[0])


FEED_SPECS: dict[str, FeedSpec] = {
    spec.key: spec
    for spec in (
        FeedSpec("simulated", "Simulated",
                 "a market continuing a demo symbol (or a simulated copy) from its last bar",
                 _make_simulated, _simulated_source, _refuse_simulated,
                 keeps=lambda store, settings: store.symbols()),
        FeedSpec("replay", "Replay", "the stored bars played back as ticks, x1 to x1000",
                 _make_replay, history_end=_replay_start),
        FeedSpec("socket", "Socket", "ticks pushed by any program as JSON lines over TCP",
                 _make_socket, lambda ctx: SOCKET, _refuse_socket, keeps=_socket_keeps),
        FeedSpec("exchange", "Exchange",
                 "an exchange's live trades through ccxt (--exchange binance --symbol BTC/USDT)",
                 _make_exchange, _exchange_source, _refuse_exchange, keeps=_exchange_keeps),
        FeedSpec("off", "Off", "history only", lambda ctx: None),
    )
}  # fmt: skip

# The kinds as an enum (FeedKind.SIMULATED, FeedKind("socket")) for settings and the window.
FeedKind = enum.Enum("FeedKind", {key.upper(): key for key in FEED_SPECS})
# The feeds that bring their own ticks, of real markets: a series of theirs may not be
# stored yet, and a new store of theirs starts with no demo data.
OWN_TICKS = ("socket", "exchange")
