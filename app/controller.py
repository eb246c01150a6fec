"""The wiring of the main window: symbol, timeframe, layout, feed, theme and indicators chosen
there become models loaded from the store, a chart view, a live session and the indicator
worker's tasks; the choices are remembered between runs (QSettings)."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sys
import time
from pathlib import Path

from PySide6 import QtCore

from app.indicator_dialog import IndicatorDialog
from app.indicators import IndicatorController
from app.live import LIVE_TIMEFRAMES, LiveSession, LiveStats
from app.main_window import LAYOUTS, TIMEFRAME_BUTTONS, MainWindow
from app.paths import screenshot_dir
from data.derived import derive_timeframes
from data.feed_kinds import FeedKind
from data.feed_port import FeedRefused, FeedSettings
from data.simcopy import make_simulated_copy
from data.socket_feed import DEFAULT_BAND, DEFAULT_PORT
from data.store import BarStore, Instrument, StoreError
from engine.indicators.registry import REGISTRY, IndicatorSpec, spec
from engine.worker import IndicatorWorker
from widgets.chart import ChartWidget, PriceScale
from widgets.multi import LayeredChart, TimeframeGrid
from widgets.series_model import SeriesModel
from widgets.theme import THEMES

log = logging.getLogger(__name__)

FIRST_PAGE_BARS = 50_000
HISTORY_PAGE_BARS = 100_000
GRID_TIMEFRAMES = ("1m", "5m", "1h", "1d")
START_AFTER_MS = 250  # a live session starts after its first paint, or after this long
LAYER_TIMEFRAMES = ("5m", "1h", "4h", "1d")


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
    ) -> None:
        """`ask_parameters(spec, current) -> dict | None` asks the user for an indicator's
        parameters (a dialog by default)."""
        super().__init__(window)
        self._store = store
        self._window = window
        self._worker = worker
        self._settings = settings or QtCore.QSettings()
        self._ask = ask_parameters or _ask_with_dialog
        self._feed_rate = feed_rate
        self._feed_port = feed_port
        self._feed_time_scale = feed_time_scale
        self._outlier_band = outlier_band
        s = self._settings
        self.timeframe = _choice(s.value("timeframe"), TIMEFRAME_BUTTONS, "1m")
        self.layout = _choice(s.value("layout"), tuple(LAYOUTS), "single")
        self.theme = THEMES[_choice(s.value("theme"), tuple(THEMES), "dark")]
        self.price_scale = PriceScale(_choice(s.value("price_scale"),
                                              [p.value for p in PriceScale], "linear"))  # fmt: skip
        self.feed = FeedKind(_choice(s.value("feed"), [k.value for k in FeedKind], "simulated"))
        self.speed = float(s.value("speed", 60.0))
        # Saved instances (Instance.saved()), shown on every chart of the view.
        self.active_indicators: list[dict] = _indicators(s.value("indicators", "[]"))
        self.grid_timeframes = _grid_timeframes(s.value("grid_timeframes"))
        self.active_cell = 0  # the grid's chart the timeframe buttons change
        self.symbol: str | None = None
        self._derived = False  # the shown symbol's derived timeframes are up to date
        self.models: dict[str, SeriesModel] = {}
        self._stale_models: list[SeriesModel] = []  # closed session's, until its views go
        self.session: LiveSession | None = None
        self.feed_problem = ""  # the chosen feed does not run on the symbol shown: in short
        self._feed_reason = ""  # and in full
        self.charts: list[ChartWidget] = []
        self.chart: ChartWidget | None = None  # the one indicators are drawn on
        self.indicators: IndicatorController | None = None
        w = window
        self._links = [  # undone on close: a late signal must not reach a closed store
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
            w.indicator_chosen.connect(self._on_indicator_chosen),
            w.indicator_removed.connect(self.remove_indicator),
            w.simcopy_requested.connect(self.simulate_copy),
        ]
        geometry = s.value("geometry")
        if geometry is not None:
            window.restoreGeometry(geometry)

    # -- choices -----------------------------------------------------------------------------

    def start(self, symbol: str | None = None, theme: str | None = None) -> None:
        """Show `symbol` (or the last one shown, or the first stored) with the live feed."""
        if theme is not None:
            self.theme = THEMES[theme]
        symbols = self._store.symbols()
        if symbol is not None and symbol not in symbols and self.feed is FeedKind.SOCKET:
            self._add_socket_symbol(symbol)  # a new series of the ticks sent to it
            symbols = sorted([*symbols, symbol])
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
        self.show_symbol(current)

    def _add_socket_symbol(self, symbol: str) -> None:
        try:
            self._store.instrument(symbol)
        except KeyError:
            self._store.add_instrument(Instrument(symbol, description="ticks from the socket feed"))

    @_store_failures_shown
    def show_symbol(self, symbol: str) -> None:
        if symbol == self.symbol and self.session is not None:
            return  # shown already (an editable box activates again as it loses focus)
        if symbol not in {i.symbol for i in self._store.instruments()}:
            stored = self._store.symbols()
            self._window.show_status(
                f"no symbol {symbol!r} in {self._store.path.name}; stored: {', '.join(stored)} "
                "(File > Import adds one)"
            )
            if self.symbol is not None:  # the box shows what the chart shows
                self._window.set_symbols(stored, self.symbol)
            return
        self.symbol = symbol
        self._settings.setValue("symbol", symbol)
        self._derived = False
        self._restart_session()

    def simulate_copy(self) -> None:
        """Show a simulated copy of the symbol (made if needed) with the simulated feed."""
        try:
            name = make_simulated_copy(self._store, self.symbol)
        except (StoreError, ValueError) as exc:
            self._window.show_status(f"no simulated copy: {exc}")
            return
        self._window.set_symbols(self._store.symbols(), name)
        self.feed = FeedKind.SIMULATED
        self._settings.setValue("feed", self.feed.value)
        self.show_symbol(name)

    def _derive(self) -> None:
        """Bring the symbol's derived timeframes up to its 1m bars, once per symbol shown,
        when a view first needs one, or as the session starts (1m alone can be shown
        before: its chart is on screen sooner)."""
        if not self._derived:
            derive_timeframes(self._store, self.symbol, LIVE_TIMEFRAMES)
            self._derived = True

    @_store_failures_shown
    def set_timeframe(self, timeframe: str) -> None:
        """The single or layered chart's timeframe; in the grid, the active chart's."""
        if self.layout == "grid" and self.charts:
            self.grid_timeframes[self.active_cell] = timeframe
            self._settings.setValue("grid_timeframes", json.dumps(self.grid_timeframes))
            self.charts[self.active_cell].set_model(self.model(timeframe))
            self._show_choices()
            return
        self.timeframe = timeframe
        self._settings.setValue("timeframe", timeframe)
        self._build_view()

    @_store_failures_shown
    def set_layout(self, layout: str) -> None:
        self.layout = layout
        self._settings.setValue("layout", layout)
        self._build_view()

    @_store_failures_shown
    def set_theme(self, name: str) -> None:
        self.theme = THEMES[name]
        self._settings.setValue("theme", name)
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
        if self.session is not None:
            self.session.set_speed(speed)

    def set_paused(self, paused: bool) -> None:
        if self.session is not None:
            if paused:
                self.session.pause()
            else:
                self.session.resume()
            self._window.set_paused(self.session.paused)

    def step(self) -> None:
        if self.session is not None:
            self.session.step()

    # -- the live session --------------------------------------------------------------------

    def _restart_session(self) -> None:
        self._close_session()
        settings = FeedSettings(self.feed, self._feed_rate, self.speed, port=self._feed_port,
                                time_scale=self._feed_time_scale,
                                band=self._outlier_band)  # fmt: skip
        self.feed_problem = self._feed_reason = ""
        try:
            self.session = LiveSession(self._store, self.symbol, settings, self)
        except (OSError, ValueError) as exc:
            # the choice stays (another symbol may take it); this one shows history only,
            # and says why for as long as it does
            kind = settings.kind.value
            if isinstance(exc, FeedRefused):
                self.feed_problem = f"{kind} feed off on {self.symbol}"
            else:
                self.feed_problem = f"{kind} feed not started"
                print(f"candleterm: {kind} feed not started: {exc}", file=sys.stderr)
            self._feed_reason = f"{self.feed_problem}: {exc}"
            self.session = LiveSession(self._store, self.symbol, FeedSettings(FeedKind.OFF), self)
        self.session.stats_changed.connect(self._on_stats)
        self._build_view()
        self._window.set_feed_problem(self.feed_problem, self._feed_reason)
        if self.feed_problem:
            self._window.show_status(self._feed_reason)  # over the series' description
        self.when_shown(self._go_live)

    def when_shown(self, action) -> None:
        """Run `action` once the chart has painted (the history on screen first), or after
        START_AFTER_MS if it does not (a hidden window, a view replaced before it painted)."""
        chart, done = self.chart, []

        def once(*_args) -> None:
            if done:
                return
            done.append(True)
            if chart is not None:  # no Python call on each paint from now on
                with contextlib.suppress(RuntimeError):  # a chart already deleted
                    chart.painted.disconnect(once)
            QtCore.QTimer.singleShot(0, self, action)  # once the paint is on screen

        if chart is not None:
            chart.painted.connect(once)
        QtCore.QTimer.singleShot(START_AFTER_MS, self, once)

    @_store_failures_shown
    def _go_live(self) -> None:
        """Derive the other timeframes and start the session shown now (if still shown)."""
        session = self.session
        if session is None or session.started or session.symbol != self.symbol:
            return
        self._derive()
        session.start()
        self._window.set_paused(session.paused)  # a feed not yet started read as paused

    def _close_session(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session.deleteLater()
            self.session = None
        self._stale_models.extend(self.models.values())
        self.models = {}

    def _release_stale_models(self) -> None:
        """Free the columns of the models of a closed session once no view shows them (the
        closed views hold them in reference cycles, and the app freezes the collector's
        generations after start-up)."""
        for model in self._stale_models:
            model.release()
        self._stale_models = []

    def _on_stats(self, stats: LiveStats) -> None:
        self._show_info()
        if stats.not_stored:
            self._window.show_status(f"sealed bars are not stored: {stats.not_stored}")
        worker = "no worker"
        if self._worker is not None:
            alive = self._worker.pid is not None
            worker = f"worker {'pid ' + str(self._worker.pid) if alive else 'down'}"
            if self._worker.start_error is not None:
                worker += f": {self._worker.start_error}"
            if self._worker.pending:
                worker += f", {self._worker.pending} busy"
        rejected = f", {stats.rejected} rejected" if stats.rejected else ""
        self._window.set_stats({
            "feed": self.feed_problem or stats.feed + rejected
            + (", BARS NOT STORED" if stats.not_stored else ""),
            "ticks": f"{stats.ticks_per_s:,.0f} ticks/s",
            "frame": f"frame {stats.frame_ms_p50:.1f}/{stats.frame_ms_max:.1f} ms",
            "latency": f"latency {stats.latency_ms_p50:.0f}/{stats.latency_ms_max:.0f} ms",
            "queries": f"{stats.queries_per_min:.0f} queries/min",
            "worker": worker,
        })  # fmt: skip

    # -- models and views --------------------------------------------------------------------

    def model(self, timeframe: str) -> SeriesModel:
        """The bars of a timeframe of the shown symbol (loaded once, then kept live)."""
        model = self.models.get(timeframe)
        if model is None:
            if timeframe != "1m":
                self._derive()
            end_ns = self.session.history_end_ns if self.session is not None else None
            bars = self._store.load_series(self.symbol, timeframe, end_ns=end_ns,
                                           limit=FIRST_PAGE_BARS)  # fmt: skip
            tz = self._store.instrument(self.symbol).tz
            model = self.models[timeframe] = SeriesModel(self.symbol, timeframe, tz, bars)
            if self.session is not None:
                self.session.attach(model)
        return model

    def _build_view(self) -> None:
        if self.symbol is None:
            return
        self._close_view()
        # The closed views no longer paint: free the old series before loading the new, so
        # the new columns reuse its memory (fresh pages cost 2 ms a MB to fault in here).
        self._release_stale_models()
        tf = self.timeframe
        if self.layout == "grid":
            grid = TimeframeGrid([self.model(t) for t in self.grid_timeframes], self.theme)
            grid.set_active(self.active_cell)
            grid.active_changed.connect(self._on_active_cell)
            view, self.charts = grid, grid.charts
        elif self.layout == "layered":
            chart = LayeredChart(self.model(tf), self.theme)
            higher = [t for t in LAYER_TIMEFRAMES if LIVE_TIMEFRAMES.index(t) >
                      LIVE_TIMEFRAMES.index(tf)]  # fmt: skip
            chart.set_layers({t: self.model(t) for t in higher})
            view, self.charts = chart, [chart]
        else:
            chart = ChartWidget(self.model(tf), self.theme)
            view, self.charts = chart, [chart]
        self.chart = self.charts[0]
        self._apply_price_scale()
        for chart in self.charts:
            chart.history_wanted.connect(self._on_history_wanted)
            if self.session is not None:
                self.session.watch_paints(chart.painted)
        self._window.set_view(view)
        self._show_choices()
        self._window.set_paused(self.session is not None and self.session.paused)
        self._start_indicators()
        self._window.setWindowTitle(f"candleterm - {self.symbol}")
        self._instrument = self._store.instrument(self.symbol)
        self._show_info()

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
        tf = self.grid_timeframes[self.active_cell] if self.layout == "grid" else self.timeframe
        self._window.set_choices(tf, self.layout, self.feed.value, self.speed, self.theme.name)
        self._window.set_pausable(self.session is not None and self.session.pausable)

    def _on_active_cell(self, cell: int) -> None:
        self.active_cell = cell
        self._show_choices()

    def _close_view(self) -> None:
        if self.indicators is not None:
            self.indicators.close()
            self.indicators.deleteLater()
            self.indicators = None
        for chart in self.charts:
            chart.close()
        self.charts = []
        self.chart = None

    def _start_indicators(self) -> None:
        if self._worker is None:
            return
        calendar = self._store.instrument(self.symbol).calendar
        self.indicators = IndicatorController(self.charts, self._worker, calendar)
        self.indicators.indicators_changed.connect(self._on_indicators_changed)
        for saved in self.active_indicators:
            self.indicators.add(saved["key"], saved["colour"], saved["uid"], **saved["params"])
        self._on_indicators_changed()

    def _on_history_wanted(self, model: SeriesModel) -> None:
        # Answer after the current event: the request comes from inside a range change.
        QtCore.QTimer.singleShot(0, lambda: self.load_older(model))

    @_store_failures_shown
    def load_older(self, model: SeriesModel) -> None:
        if len(model) == 0:
            model.prepend(self._store.load(model.symbol, model.timeframe, limit=0))
            return
        oldest = int(model.column("ts_ns")[0])
        older = self._store.load_before(model.symbol, model.timeframe, oldest, HISTORY_PAGE_BARS)
        model.prepend(older)  # an empty page marks the history complete

    # -- indicators --------------------------------------------------------------------------

    def _on_indicator_chosen(self, key: str) -> None:
        if self.indicators is None:
            return
        params = self._ask(spec(key), None)
        if params is not None:
            self.add_indicator(key, **params)

    def add_indicator(self, key: str, **params) -> str:
        """Another instance of indicator `key` on the charts; its uid ("sma-2")."""
        instance = self.indicators.add(key, **params)
        self._save_indicators()
        return instance.uid

    def remove_indicator(self, uid: str) -> None:
        if self.indicators is not None and uid in self.indicators.active:
            self.indicators.remove(uid)
            self._save_indicators()

    def _save_indicators(self) -> None:
        self.active_indicators = [i.saved() for i in self.indicators.active.values()]
        self._settings.setValue("indicators", json.dumps(self.active_indicators))
        self._on_indicators_changed()

    def _on_indicators_changed(self) -> None:
        shown = self.indicators.active.values() if self.indicators is not None else ()
        self._window.set_active_indicators([(i.uid, i.title) for i in shown])

    # -- files -------------------------------------------------------------------------------

    def save_screenshot(self, path: Path | None = None) -> Path:
        if path is None:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            path = screenshot_dir() / f"candleterm-{self.symbol}-{stamp}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self._window.grab().save(str(path)):
            self._window.show_status(f"could not write the screenshot to {path}", 8000)
        else:
            self._window.show_status(f"screenshot saved to {path}", 8000)
        return path

    def open_import_dialog(self) -> None:
        from app.import_dialog import ImportDialog  # pyarrow's readers: not at launch

        dialog = ImportDialog(self._store, self._window, self._settings)
        if dialog.exec() and dialog.report is not None:
            symbol = dialog.report.symbol
            derive_timeframes(self._store, symbol, LIVE_TIMEFRAMES, full=True)
            self._window.set_symbols(self._store.symbols(), symbol)
            self.show_symbol(symbol)

    def close(self) -> None:
        """Write every sealed bar, stop the feed, remember the window."""
        self._settings.setValue("geometry", self._window.saveGeometry())
        for link in self._links:
            QtCore.QObject.disconnect(link)
        self._close_session()
        self._close_view()
        self._release_stale_models()
        self._settings.sync()


def _choice(value, allowed, default: str) -> str:
    return value if value in allowed else default


def _indicators(text) -> list[dict]:
    """Remembered indicator instances ({"uid", "key", "params", "colour"}; the older form, one
    instance per key as {key: params}, is read too); anything unreadable or no longer valid
    is left out."""
    try:
        saved = json.loads(text) if isinstance(text, str) else []
    except ValueError:
        return []
    if isinstance(saved, dict):
        saved = [{"key": key, "params": params} for key, params in saved.items()]
    if not isinstance(saved, list):
        return []
    active = []
    for entry in saved:
        try:
            key = entry["key"]
            params = REGISTRY[key].resolve(**entry.get("params", {}))
            colour, uid = entry.get("colour"), entry.get("uid")
            active.append({"uid": uid if isinstance(uid, str) else None, "key": key,
                           "params": params,
                           "colour": colour if isinstance(colour, str) else None})  # fmt: skip
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("leaving out remembered indicator %r: %s", entry, exc)
    return active


def _grid_timeframes(text) -> list[str]:
    """The grid's timeframes, one per chart (the default for anything unreadable)."""
    try:
        saved = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        saved = None
    ok = (isinstance(saved, list) and len(saved) == len(GRID_TIMEFRAMES)
          and all(tf in TIMEFRAME_BUTTONS for tf in saved))  # fmt: skip
    return list(saved) if ok else list(GRID_TIMEFRAMES)


def _ask_with_dialog(indicator: IndicatorSpec, current: dict | None) -> dict | None:
    dialog = IndicatorDialog(indicator, current)
    return dialog.values() if dialog.exec() else None
