"""The loaded series of the symbol shown: one SeriesModel per timeframe, loaded from the store
when a view first needs it (the latest page, then older pages as the chart scrolls back), and
kept live by the session."""

from __future__ import annotations

from app.live import LIVE_TIMEFRAMES, LiveSession
from data.feeds.kinds import OWN_TICKS, exchange_series
from data.store import BarStore, Instrument
from data.store.derived import derive_timeframes
from widgets.series_model import SeriesModel

FIRST_PAGE_BARS = 50_000
HISTORY_PAGE_BARS = 100_000


class SymbolModels:
    """The models of `symbol`; `close` hands them to `release_stale` for when no view shows
    them any more."""

    def __init__(self, store: BarStore, symbol: str, session: LiveSession | None) -> None:
        self._store = store
        self.symbol = symbol
        self.session = session
        self.models: dict[str, SeriesModel] = {}
        self._derived = False  # the symbol's derived timeframes are up to date

    def derive(self) -> None:
        """Bring the symbol's derived timeframes up to its 1m bars, once, when a view first
        needs one or as the session starts (1m alone can be shown before: its chart is on
        screen sooner)."""
        if not self._derived:
            derive_timeframes(self._store, self.symbol, LIVE_TIMEFRAMES)
            self._derived = True

    def model(self, timeframe: str) -> SeriesModel:
        """The bars of a timeframe (loaded once, then kept live)."""
        model = self.models.get(timeframe)
        if model is None:
            instrument = self._store.instrument(self.symbol)
            model = SeriesModel(self.symbol, timeframe, instrument.tz,
                                self._first_page(timeframe), instrument.calendar)  # fmt: skip
            self.models[timeframe] = model
            if self.session is not None:
                self.session.attach(model)
        return model

    def reload(self) -> None:
        """The store's bars changed under the models (an import relayed from the command
        line): each model shows its latest page of them again, the live session still on it."""
        self._derived = False
        for timeframe, model in self.models.items():
            model.set_bars(self._first_page(timeframe))

    def _first_page(self, timeframe: str):
        """The latest page of the timeframe's bars (up to the live session's history), its
        derived bars brought up to the 1m ones first."""
        if timeframe != "1m":
            self.derive()
        end_ns = self.session.history_end_ns if self.session is not None else None
        return self._store.load_series(self.symbol, timeframe, end_ns=end_ns,
                                       limit=FIRST_PAGE_BARS)  # fmt: skip

    def load_older(self, model: SeriesModel) -> None:
        """Prepend the page of bars before the model's oldest (an empty page marks its
        history complete)."""
        if len(model) == 0:
            model.prepend(self._store.load(model.symbol, model.timeframe, limit=0))
            return
        oldest = int(model.column("ts_ns")[0])
        older = self._store.load_before(model.symbol, model.timeframe, oldest, HISTORY_PAGE_BARS)
        model.prepend(older)

    def load_back_to(self, model: SeriesModel, ts_ns: int, before: int) -> None:
        """Prepend the bars older than the model's back to the one holding `ts_ns`, and
        `before` bars more (a date gone to: one read, not a page at a time)."""
        if len(model) == 0:
            self.load_older(model)
            return
        oldest = int(model.column("ts_ns")[0])
        symbol, timeframe = model.symbol, model.timeframe
        since = self._store.load_before(symbol, timeframe, ts_ns + 1, before + 1)
        start_ns = int(since.ts_ns[0]) if len(since) else ts_ns
        if start_ns < oldest:  # (not loaded meanwhile by another request)
            model.prepend(self._store.load(symbol, timeframe, start_ns=start_ns, end_ns=oldest))


def live_symbol(store: BarStore, symbol: str, feed: str, exchange: str) -> str:
    """The series to show for `symbol` asked for on the command line: an exchange feed's
    market is the series EXCHANGE:SYMBOL (BTC/USDT: BINANCE:BTC/USDT); a feed that brings its
    own ticks (socket, exchange) starts a series that is not stored yet."""
    if feed == "exchange":
        symbol = exchange_series(symbol, exchange)
    if feed in OWN_TICKS and symbol not in store.symbols():
        try:
            store.instrument(symbol)
        except KeyError:
            said = ("trades from the exchange feed" if feed == "exchange"
                    else "ticks from the socket feed")  # fmt: skip
            store.add_instrument(Instrument(symbol, description=said))
    return symbol
