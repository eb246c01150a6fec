"""The wiring of the main window: symbol, timeframe, layout, feed, theme and indicators chosen
there become models loaded from the store, a chart view, a live session and the indicator
worker's tasks; the choices are remembered between runs (QSettings)."""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path

from PySide6 import QtCore

from app import go_to_date, symbol_actions, workspaces
from app.cells import GridOfSymbols
from app.indicator_choices import IndicatorChoices, add_saved
from app.indicators import IndicatorController
from app.live import LiveSession, LiveStats
from app.live_symbols import LiveSymbols
from app.main_window import MainWindow
from app.quotes import Quotes
from app.remembered import Remembered, remembered_exchange
from app.status import stats_texts
from app.surface import Surface
from app.symbol_models import SymbolModels, live_symbol
from app.views import make_view, when_painted
from app.watchlist import WatchlistPanel
from data.feeds.kinds import OWN_TICKS, FeedKind
from data.feeds.port import FeedSettings
from data.feeds.socket_feed import DEFAULT_BAND, DEFAULT_PORT
from data.store import BarStore, StoreError
from engine.worker import IndicatorWorker
from widgets.chart import ChartWidget, PriceScale
from widgets.series_model import SeriesModel
from widgets.theme import THEMES

log = logging.getLogger(__name__)

START_AFTER_MS = 250  # a live session starts after its first paint, or after this long


def _store_failures_shown(method):
    """A store that fails under a choice (damaged, gone, full) is said in the status bar and
    on stderr; the window stays up with what it shows."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except StoreError as exc:
            log.error("%s", exc)
            self._window.show_status(str(exc))
            return None

    return guarded


class ChartController(QtCore.QObject):
    def __init__(
        self,
        store: BarStore,
        window: MainWindow,
        worker: IndicatorWorker | None = None,
        settings: QtCore.QSettings | None = None,
        ask_parameters=None,
        feed_rate: float = 50.0,
        feed_port: int = DEFAULT_PORT,
        feed_time_scale: float = 1.0,
        outlier_band: float = DEFAULT_BAND,
        exchange: str | None = None,
        exchange_url: str | None = None,
    ) -> None:
        """`ask_parameters(spec, current) -> dict | None` asks the user for an indicator's
        parameters (a dialog by default)."""
        super().__init__(window)
        self._store = store
        self._window = window
        self._worker = worker
        self._settings = settings or QtCore.QSettings()
        self._feed_rate = feed_rate
        self._feed_port = feed_port
        self._feed_time_scale = feed_time_scale
        self._outlier_band = outlier_band
        self._exchange, self._exchange_url = remembered_exchange(self._settings, exchange,
                                                                 exchange_url)  # fmt: skip
        r = Remembered(self._settings)
        self.feed, self.speed = r.feed, r.speed
        self._choices = IndicatorChoices(window, self._settings, r.indicators, ask_parameters)
        self._view_choices(r)
        self.grid_cell = 0  # the 2x2 timeframes' chart the timeframe buttons change
        self.symbol: str | None = None
        self.charts: list[ChartWidget] = []
        self.chart: ChartWidget | None = None  # the one indicators are drawn on
        self.indicators: IndicatorController | None = None
        self.quotes = Quotes(store)  # the open-price layer: the watchlist's quotes
        self.live = LiveSymbols(store, self, self._on_ticks, self._on_stats,
                                self.quotes.history_changed)  # fmt: skip
        self.quotes.live_forming = self.live.forming
        self.watchlist = WatchlistPanel(self.quotes, self._watched_symbols,
                                        self.live.feed_states, self)  # fmt: skip
        window.add_side_panel(self.watchlist.dock)
        self.surface = Surface(store, window, self._drawing_chart, self._watched_symbols,
                               lambda text: self._settings.setValue("compares", text),
                               self)  # fmt: skip
        self.surface.comparisons.saved = r.compares
        w = window
        # undone on close: a late signal must not reach a closed store
        self._links = [
            self.watchlist.symbol_opened.connect(self.show_symbol),
            self.watchlist.feed_stopped.connect(self._on_feed_stopped),
            w.symbol_chosen.connect(self.show_symbol),
            w.timeframe_chosen.connect(self.set_timeframe),
            w.layout_chosen.connect(self.set_layout),
            w.feed_chosen.connect(lambda kind: self.set_feed(FeedKind(kind))),
            w.speed_chosen.connect(self.set_speed),
            w.pause_toggled.connect(self.set_paused),
            w.step_requested.connect(self.step),
            w.theme_chosen.connect(self.set_theme),
            w.price_scale_chosen.connect(self.set_price_scale),
            w.screenshot_requested.connect(self.save_screenshot),
            w.import_requested.connect(self.open_import_dialog),
            w.indicator_chosen.connect(self._choices.choose),
            w.indicator_removed.connect(self.remove_indicator),
            w.simcopy_requested.connect(self.simulate_copy),
            w.grid_size_chosen.connect(self.set_grid_size),
            w.delete_requested.connect(self.delete_symbol),
            w.workspace_save_requested.connect(self.save_workspace),
            w.workspace_chosen.connect(self.open_workspace),
            w.go_to_requested.connect(self.ask_go_to_date),
        ]
        geometry = self._settings.value("geometry")
        if geometry is not None:
            window.restoreGeometry(geometry)
        state = self._settings.value("window_state")
        if state is not None:
            window.restoreState(state)  # the watchlist shown or hidden, where it was
        else:
            window.widen_side_panel(self.watchlist.dock)

    def _view_choices(self, r: Remembered) -> None:
        """The remembered choices of what the view shows (at launch, or a workspace's)."""
        self.timeframe, self.layout, self.theme, self.price_scale = (
            r.timeframe, r.layout, r.theme, r.price_scale)  # fmt: skip
        self.grid_timeframes = r.grid_timeframes
        self.symbols_grid = GridOfSymbols(self._settings, self._store.symbols())
        self._choices.saved = r.indicators

    @property
    def session(self) -> LiveSession | None:
        """The active symbol's live session."""
        return self.live.active.session if self.live.active is not None else None

    @property
    def _series(self) -> SymbolModels | None:
        return self.live.active.series if self.live.active is not None else None

    @property
    def feed_problem(self) -> str:
        """Why the chosen feed does not run on the active symbol, in short ("" if it does)."""
        return self.live.active.problem if self.live.active is not None else ""

    # -- choices -----------------------------------------------------------------------------

    def start(self, symbol: str | None = None, theme: str | None = None) -> None:
        """Show `symbol` (or the last one shown, or the first stored) with the live feed."""
        if theme is not None:
            self.theme = THEMES[theme]
        symbols = self._store.symbols()
        if symbol is not None:
            symbol = live_symbol(self._store, symbol, self.feed.value, self._exchange)
            if self.feed.value in OWN_TICKS:  # its series may have no bars yet
                symbols = sorted({*symbols, symbol})
        if not symbols:
            self._window.show_status(
                f"{self._store.path} has no bars yet: import some (File > Import, or "
                "`candleterm import`)"
            )
            return
        if symbol is not None and symbol not in symbols:
            raise ValueError(
                f"no bars of {symbol!r} in {self._store.path}; stored symbols: "
                f"{', '.join(symbols)} (with --feed socket, a new symbol is made for its ticks)"
            )
        remembered = self._settings.value("symbol")
        current = symbol or (remembered if remembered in symbols else symbols[0])
        self._window.set_symbols(symbols, current)
        self.watchlist.set_theme(self.theme)
        self.surface.alerts.set_theme(self.theme)
        self._list_workspaces()
        self.show_symbol(current)
        self.when_shown(self.watchlist.start)
        self.when_shown(self.surface.load_alerts)

    def _watched_symbols(self) -> list[str]:
        """The store's symbols and those the feed runs (a new one may have no bars yet)."""
        live = self.live.sessions.running if self.live.sessions is not None else {}
        return sorted({*self._store.symbols(), *live, *([self.symbol] if self.symbol else [])})

    def _grid_symbols(self) -> list[str]:
        """The symbols for the grid's new cells: the one on screen first (a new grid showed
        it twice, in its active cell and where the list put it, leaving one out)."""
        first = [self.symbol] if self.symbol else []
        return [*first, *(s for s in self._watched_symbols() if s != self.symbol)]

    @_store_failures_shown
    def show_symbol(self, symbol: str) -> None:
        if symbol == self.symbol and self.session is not None:
            return  # shown already (an editable box activates again as it loses focus)
        if symbol not in {i.symbol for i in self._store.instruments()}:
            stored = self._store.symbols()
            self._window.show_status(
                f"no symbol {symbol!r} in {getattr(self._store.path, 'name', self._store.path)}; "
                f"stored: {', '.join(stored)} "
                "(File > Import adds one)"
            )
            if self.symbol is not None:  # the box shows what the chart shows
                self._window.set_symbols(stored, self.symbol)
            return
        self.symbol = symbol
        self._settings.setValue("symbol", symbol)
        if self.layout == "symbols":  # the active cell's symbol
            self.symbols_grid.show(symbol, self._grid_symbols(), self.timeframe)
        self._window.show_symbol(symbol)  # first: the box may activate as it loses focus
        self._restart_session()
        self.watchlist.show_symbol(symbol)

    @_store_failures_shown
    def delete_symbol(self, symbol: str | None = None, ask: bool = True) -> None:
        """Remove `symbol`'s bars (the active symbol's by default) from the store, once the
        user agrees: its session ends storing nothing more, the charts that showed it show
        other symbols, and the other symbols keep running."""
        symbol = symbol or self.symbol
        if symbol is None:
            return
        n = symbol_actions.agreed_to_delete(self._store, self._window, symbol, ask)
        if n is None:
            return
        self.live.drop(symbol)
        self.quotes.forget(symbol)
        self._store.delete_bars(symbol)
        left = self._store.symbols()
        self.symbols_grid.replace(symbol, left)
        if not left:
            self._close_view()
            self.symbol = None
        elif symbol == self.symbol:
            self.symbol = None  # another symbol takes its place
            self.show_symbol(left[0])
        elif self.layout == "symbols" and symbol in {c.model.symbol for c in self.charts}:
            self._build_view()
        self._window.set_symbols(left, self.symbol or "")
        self._window.show_status(f"{symbol} deleted ({n:,} 1-minute bars); the other symbols "
                                 "keep running", 10_000)  # fmt: skip

    def simulate_copy(self) -> None:
        """Show a simulated copy of the symbol (made if needed) with the simulated feed."""
        name = symbol_actions.simulated_copy(self._store, self._window, self.symbol)
        if name is None:
            return
        self.feed = FeedKind.SIMULATED
        self._settings.setValue("feed", self.feed.value)
        self.show_symbol(name)

    @_store_failures_shown
    def set_timeframe(self, timeframe: str) -> None:
        """The single or layered chart's timeframe; in the grid, the active chart's."""
        if self.layout in ("grid", "symbols") and self.charts:
            if self.layout == "grid":
                self.grid_timeframes[self.active_cell] = timeframe
                self._settings.setValue("grid_timeframes", json.dumps(self.grid_timeframes))
            else:
                self.symbols_grid.set_cell(timeframe=timeframe)
            self.charts[self.active_cell].set_model(self.model(timeframe))
            self._show_choices()
            return
        self.timeframe = timeframe
        self._settings.setValue("timeframe", timeframe)
        self._build_view()

    @_store_failures_shown
    def set_grid_size(self, rows: int, cols: int) -> None:
        """The grid of symbols at `rows` x `cols` (shown, if another layout was): its first
        cells kept, new ones showing the symbols not shown yet."""
        grid = self.symbols_grid.grid.resized(rows, cols, self._grid_symbols(), self.timeframe)
        self.symbols_grid.set(grid)
        if self.layout != "symbols":
            self.set_layout("symbols")
        else:
            self._build_view()

    @property
    def active_cell(self) -> int:
        """The chart of the grid the symbol box and the timeframe buttons change."""
        return self.symbols_grid.grid.active if self.layout == "symbols" else self.grid_cell

    @_store_failures_shown
    def set_layout(self, layout: str) -> None:
        self.layout = layout
        self._settings.setValue("layout", layout)
        self._build_view()

    @_store_failures_shown
    def set_theme(self, name: str) -> None:
        self.theme = THEMES[name]
        self._settings.setValue("theme", name)
        self.watchlist.set_theme(self.theme)
        self.surface.alerts.set_theme(self.theme)
        self._build_view()

    def set_price_scale(self, name: str) -> None:
        self.price_scale = PriceScale(name)
        self._settings.setValue("price_scale", name)
        self._apply_price_scale()

    def _apply_price_scale(self) -> None:
        """The chosen price scale on every chart; a chart that cannot show it (log of a
        price at or below zero) shows prices, and the status bar says why."""
        for chart in self.charts:
            try:
                chart.set_price_scale(self.price_scale)
            except ValueError as exc:
                chart.set_price_scale(PriceScale.LINEAR)
                self._window.show_status(str(exc), 8000)
        self._window.set_price_scale(self.price_scale.value)

    @_store_failures_shown
    def set_feed(self, kind: FeedKind) -> None:
        self.feed = kind
        self._settings.setValue("feed", kind.value)
        self._restart_session()

    def set_speed(self, speed: float) -> None:
        self.speed = speed
        self._settings.setValue("speed", speed)
        self.live.set_speed(speed)

    def set_paused(self, paused: bool) -> None:
        """The feed paused or resumed: every symbol's session (a grid's cells, the symbols
        kept running off screen), not the active one's alone."""
        if self.session is not None:
            self.live.set_paused(paused)
            self._window.set_paused(self.session.paused)

    def step(self) -> None:
        self.live.step()

    # -- the live session --------------------------------------------------------------------

    def _restart_session(self) -> None:
        settings = FeedSettings(self.feed, self._feed_rate, self.speed, port=self._feed_port,
                                time_scale=self._feed_time_scale, band=self._outlier_band,
                                exchange=self._exchange,
                                exchange_url=self._exchange_url)  # fmt: skip
        self._close_session()
        self.live.use_feed(settings)
        # A feed that does not run on the symbol leaves the choice as it is (another symbol
        # may take it); this one shows history only, and says why for as long as it does.
        held = self.live.show(self.symbol)
        self._build_view()
        self._window.set_feed_problem(held.problem, held.reason)
        self.when_shown(self._go_live)

    def when_shown(self, action) -> None:
        """Run `action` once the chart has painted (the history on screen first), or after
        START_AFTER_MS if it does not."""
        when_painted(self.chart, self, action, START_AFTER_MS)

    @_store_failures_shown
    def _go_live(self) -> None:
        """Derive the other timeframes and start the session shown now (if still shown)."""
        session = self.session
        if session is None or session.started or session.symbol != self.symbol:
            return
        self._series.derive()
        session.start()
        self._window.set_paused(session.paused)  # a feed not yet started read as paused
        if session.feed is not None:
            self.live.sessions.start_others()

    def _close_session(self) -> None:
        """The active symbol's session goes: on screen if another cell of the grid shows its
        symbol, else on in the background if the feed keeps it."""
        self.live.let_go(self.symbols_grid.others() if self.layout == "symbols" else set())

    def _on_ticks(self, symbol: str, ts_ns, price, qty) -> None:
        """Every live session's ticks, a frame's at a time: the quotes, then the alerts."""
        self.quotes.observe(symbol, ts_ns, price, qty)
        self.surface.on_ticks(self.charts, symbol, ts_ns, price)

    def _on_feed_stopped(self, symbol: str, state: str) -> None:
        self._window.show_status(f"{symbol}: {state}; the other symbols keep running", 10_000)

    def _on_stats(self, stats: LiveStats) -> None:
        self._show_info()
        if stats.not_stored:
            self._window.show_status(f"sealed bars are not stored: {stats.not_stored}")
        texts = stats_texts(stats, self.feed_problem, self._worker, self.live.running,
                            self.quotes.store_queries)  # fmt: skip
        self._window.set_stats(texts)

    # -- models and views --------------------------------------------------------------------

    @property
    def models(self) -> dict[str, SeriesModel]:
        """The shown symbol's series loaded so far, by timeframe."""
        return self._series.models if self._series is not None else {}

    def model(self, timeframe: str) -> SeriesModel:
        """The bars of a timeframe of the shown symbol (loaded once, then kept live)."""
        return self._series.model(timeframe)

    def _build_view(self) -> None:
        if self.symbol is None:
            return
        self._close_view()
        # The closed views no longer paint: free the old series before loading the new, so
        # the new columns reuse its memory (fresh pages cost 2 ms a MB to fault in here).
        self.live.release_stale()
        if self.layout == "symbols":
            view, self.charts = self.symbols_grid.view(self.symbol, self.model, self.live,
                                                       self._grid_symbols(), self.timeframe,
                                                       self.theme)  # fmt: skip
            self.when_shown(self._start_cells)
        else:
            self.live.keep_cells(set())
            timeframes = self.grid_timeframes if self.layout == "grid" else [self.timeframe]
            view, self.charts = make_view(self.layout, timeframes, self.model, self.theme)
        if self.layout in ("grid", "symbols"):
            view.set_active(self.active_cell)
            view.active_changed.connect(self._on_active_cell)
        self.chart = self.charts[self.active_cell if self.layout == "symbols" else 0]
        self.surface.attach(self.charts)
        self._apply_price_scale()
        for chart in self.charts:
            chart.history_wanted.connect(self._on_history_wanted)
            chart.history_wanted_back_to.connect(self._on_history_wanted_back_to)
            if self.session is not None:
                self.session.watch_paints(chart)
        self._window.set_view(view)
        self._show_choices()
        self._window.set_paused(self.session is not None and self.session.paused)
        self._start_indicators()
        self._window.setWindowTitle(f"candleterm - {self.symbol}")
        self._instrument = self._store.instrument(self.symbol)
        self._show_info()

    @_store_failures_shown
    def _start_cells(self) -> None:
        self.live.cells.start()

    def _show_info(self) -> None:
        """Symbol, description, calendar and the bars of the chart (live ones counted)."""
        if self.chart is None:
            return
        ins, n = self._instrument, len(self.chart.model)
        self._window.set_info("  |  ".join((
            f"{self.symbol}  {ins.description}".strip(),
            f"{ins.calendar} ({ins.tz})",
            f"{n:,} {'bar' if n == 1 else 'bars'} of {self.chart.model.timeframe}",
        )))  # fmt: skip

    def _show_choices(self) -> None:
        tf = {"grid": lambda: self.grid_timeframes[self.active_cell],
              "symbols": lambda: self.symbols_grid.grid.cells[self.active_cell][1]}.get(
            self.layout, lambda: self.timeframe)()  # fmt: skip
        self._window.set_choices(tf, self.layout, self.feed.value, self.speed, self.theme.name)
        self._window.set_pausable(self.session is not None and self.session.pausable)

    def _on_active_cell(self, cell: int) -> None:
        """Another chart of the grid is the active one; in the grid of symbols, its symbol is
        the active symbol (the symbol box, the watchlist, the feed's state and pause)."""
        symbol = self.symbol
        if self.layout == "symbols":
            self.symbols_grid.set_active(cell)
            symbol = self.symbols_grid.grid.cells[cell][0]
            self.chart = self.charts[cell]
            self.surface.drawings.toolbar.show_tool(self.chart.drawings.tool)
            self._follow_active_cell()
        else:
            self.grid_cell = cell
        if symbol != self.symbol:
            held = self.live.activate(symbol)
            self.symbol = symbol
            self._settings.setValue("symbol", symbol)
            self._instrument = self._store.instrument(symbol)
            self._window.show_symbol(symbol)
            self.watchlist.show_symbol(symbol)
            self._window.setWindowTitle(f"candleterm - {symbol}")
            self._window.set_feed_problem(held.problem, held.reason)
            self._window.set_paused(self.session.paused)
            for chart in self.charts:  # its latency, from now on, to what is painted
                self.session.watch_paints(chart)
            self._show_info()
        self._show_choices()

    @_store_failures_shown
    def on_store_changed(self, command: str, symbol: str) -> None:
        """Another process changed the store through this terminal (a relayed command),
        or the team store had newer bars than the local cache showed (command "team"):
        the symbol list follows, a symbol's charts show its new bars, drawings imported
        are read again."""
        if command == "drawings":
            self.surface.drawings.forget(symbol)
            for chart in self.charts:
                if chart.model.symbol == symbol:
                    chart.drawings.set_book(self.surface.drawings.book(symbol))
            return
        series = self.live.series_of(symbol) if symbol else None
        if series is not None:
            series.reload()
        if symbol:
            self.quotes.history_changed(symbol)  # its row in the watchlist, read again
        if self.symbol is not None:
            self._window.set_symbols(self._watched_symbols(), self.symbol)
        self._show_info()

    def _drawing_chart(self) -> ChartWidget | None:
        """The chart the drawing toolbar acts on: the active one of a grid."""
        if self.layout == "grid" and self.grid_cell < len(self.charts):
            return self.charts[self.grid_cell]
        return self.chart

    def _close_view(self) -> None:
        if self.indicators is not None:
            self.indicators.close()
            self.indicators.deleteLater()
            self.indicators = None
        self.surface.detach()
        for chart in self.charts:
            chart.close()
        self.charts = []
        self.chart = None

    def _start_indicators(self) -> None:
        if self._worker is None:
            return
        calendars = [self._store.instrument(c.model.symbol).calendar for c in self.charts]
        self.indicators = IndicatorController(self.charts, self._worker, calendars)
        if self.layout != "symbols":
            self._choices.show_on(self.indicators)
            return
        for k, saved in enumerate(self.symbols_grid.indicators):  # each cell its own
            self.indicators.set_scope([k])
            add_saved(self.indicators, saved)
        self._follow_active_cell()

    def _follow_active_cell(self) -> None:
        """The Indicators menu acts on the active cell of the grid of symbols."""
        if self.indicators is None:
            return
        self.indicators.set_scope([self.active_cell])
        self._choices.follow(self.indicators, self.symbols_grid.remember_active_indicators)

    def _on_history_wanted(self, model: SeriesModel) -> None:
        # Answer after the current event: the request comes from inside a range change.
        QtCore.QTimer.singleShot(0, lambda: self.load_older(model))

    @_store_failures_shown
    def load_older(self, model: SeriesModel) -> None:
        series = self.live.series_of(model.symbol)
        if series is not None:
            series.load_older(model)

    def ask_go_to_date(self) -> None:
        """View > Go to date: asked in the active chart's time zone."""
        if self.chart is None:
            return
        ts_ns = go_to_date.ask(self._window, self.chart)
        if ts_ns is not None:
            self.go_to_time(ts_ns)

    @_store_failures_shown
    def go_to_time(self, ts_ns: int) -> None:
        """Every chart on screen centred on the bar holding `ts_ns` (UTC ns); a time outside
        the active chart's stored bars is said."""
        for chart in self.charts:
            chart.go_to(ts_ns)
        model = self.chart.model
        stored = self._store.time_range(model.symbol, model.timeframe)
        if len(model):  # live bars may run past the stored ones
            ts = model.column("ts_ns")
            first, last = int(ts[0]), int(ts[-1])
            stored = (first, last) if stored is None else (min(stored[0], first),
                                                          max(stored[1], last))  # fmt: skip
        said = go_to_date.outside(ts_ns, model.symbol, model.timeframe, stored)
        if said:
            self._window.show_status(said, 10_000)

    def _on_history_wanted_back_to(self, model: SeriesModel, ts_ns: int, before: int) -> None:
        QtCore.QTimer.singleShot(0, lambda: self.load_back_to(model, ts_ns, before))

    @_store_failures_shown
    def load_back_to(self, model: SeriesModel, ts_ns: int, before: int) -> None:
        series = self.live.series_of(model.symbol)
        if series is not None:
            series.load_back_to(model, ts_ns, before)

    # -- indicators --------------------------------------------------------------------------

    def add_indicator(self, key: str, **params) -> str:
        """Another instance of indicator `key` on the charts; its uid ("sma-2")."""
        return self._choices.add(key, **params)

    def remove_indicator(self, uid: str) -> None:
        self._choices.remove(uid)

    # -- workspaces --------------------------------------------------------------------------

    def save_workspace(self, name: str | None = None) -> None:
        """What is on screen saved as workspace `name` (asked for when not given)."""
        if workspaces.save_asked(self._window, self._settings, name):
            self._list_workspaces()

    @_store_failures_shown
    def open_workspace(self, name: str) -> None:
        """Workspace `name` on screen: its symbol (if still stored), layout, timeframes,
        grid of symbols, indicators, price scale and theme."""
        try:
            workspaces.load(self._settings, name)
        except ValueError as exc:
            self._window.show_status(str(exc), 8000)
            return
        r = Remembered(self._settings)
        self._view_choices(r)
        self.surface.comparisons.saved = r.compares
        self.watchlist.set_theme(self.theme)
        self._list_workspaces()
        symbol = self._settings.value("symbol")
        if symbol not in self._store.symbols():
            self._window.show_status(f"workspace {name!r} showed {symbol!r}, no longer stored: "
                                     f"{self.symbol} stays", 8000)  # fmt: skip
            symbol = self.symbol
        self.symbol = None  # shown again, in the workspace's layout
        self.live.let_go(set())
        self.show_symbol(symbol)

    def _list_workspaces(self) -> None:
        current = str(self._settings.value(workspaces.CURRENT, ""))
        self._window.set_workspaces(workspaces.names(self._settings), current)

    # -- files -------------------------------------------------------------------------------

    def save_screenshot(self, path: Path | None = None) -> Path:
        return symbol_actions.save_screenshot(self._window, self.symbol, path)

    def open_import_dialog(self) -> None:
        symbol = symbol_actions.import_with_dialog(self._store, self._window, self._settings)
        if symbol is not None:
            self.show_symbol(symbol)

    def close(self) -> None:
        """Write every sealed bar, stop the feed, remember the window."""
        self._settings.setValue("geometry", self._window.saveGeometry())
        self._settings.setValue("window_state", self._window.saveState())
        self.watchlist.stop()
        for link in self._links:
            QtCore.QObject.disconnect(link)
        self.surface.close()
        self._close_view()
        self.live.close()
        self._settings.sync()
