"""Start the Qt application on a bar store."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import signal
import sys
import time
from pathlib import Path

from app.controller import ChartController
from app.live import LIVE_TIMEFRAMES
from app.main_window import MainWindow
from data.feeds.kinds import OWN_TICKS, FeedKind
from data.store import BarStore
from data.store.addresses import is_team_url
from engine.worker import IndicatorWorker


def _progress_dialog(QtWidgets, title: str):
    dialog = QtWidgets.QProgressDialog(title, None, 0, 1000)
    dialog.setWindowTitle("candleterm")
    dialog.setMinimumDuration(0)
    app = QtWidgets.QApplication.instance()

    def report(stage: str, fraction: float) -> None:
        dialog.setLabelText(stage)
        dialog.setValue(int(fraction * 1000))
        app.processEvents()

    return dialog, report


def open_store_creating_demo(path: Path | str, progress, demo: bool = True) -> BarStore:
    """Open the store; a store file that does not exist yet is created with demo data,
    unless `demo` is False (a feed of real bars, the exchange's or a socket's, starts its
    store empty: two million synthetic bars beside them were no help). A team store is
    opened as it is: demo bars are no desk's."""
    if is_team_url(path):
        from data.store.port import open_store

        return open_store(path)
    first_run = not path.exists()
    store = BarStore(path)
    if first_run and demo:
        from data.demo import create_demo_store  # the first run only
        from data.store.derived import derive_timeframes

        try:
            create_demo_store(store, end_ns=time.time_ns(), progress=progress)
            for symbol in store.symbols():
                progress(f"timeframes of {symbol}", 1.0)
                derive_timeframes(store, symbol, LIVE_TIMEFRAMES)
        except BaseException:
            store.close()
            path.unlink(missing_ok=True)
            raise
    return store


@dataclasses.dataclass
class Running:
    """The parts of a running app, closed in order by `close`."""

    app: object
    store: BarStore
    worker: IndicatorWorker
    window: MainWindow
    controller: ChartController
    relay: object | None = None  # app.relay.AppRelay on a store file
    team_cache: object | None = None  # app.team_cache.TeamCacheUpdates on a cached team store

    def close(self) -> None:
        gc.unfreeze()  # what was frozen at start can be collected again (and finalized)
        if self.relay is not None:
            self.relay.close()
        if self.team_cache is not None:
            self.team_cache.close()
        self.controller.close()
        self.worker.stop()
        self.store.close()
        gc.collect()


def build_app(db: Path, args: argparse.Namespace) -> Running:
    """The main window on the store at `db`, shown, its feed running; `args` are the command
    line's (symbol, theme, feed, feed_rate, feed_port)."""
    import pyqtgraph as pg
    from PySide6 import QtWidgets

    if not 1 <= args.feed_rate <= 100_000:
        raise ValueError(f"--feed-rate {args.feed_rate:g} must be between 1 and 100000")
    if not 0 < args.outlier_band <= 1000:
        raise ValueError(
            f"--outlier-band {args.outlier_band:g} must be a percentage above 0 (default 20)"
        )
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("candleterm")
    app.setOrganizationName("candleterm")
    pg.setConfigOptions(antialias=False)
    dialog, report = _progress_dialog(QtWidgets, "Creating demo data...")
    try:
        store = open_store_creating_demo(db, report, demo=args.feed not in OWN_TICKS)
    finally:
        dialog.close()
    worker = IndicatorWorker()
    window = MainWindow()
    controller = ChartController(store, window, worker, feed_rate=args.feed_rate,
                                 feed_port=args.feed_port,
                                 outlier_band=args.outlier_band / 100,
                                 exchange=args.exchange,
                                 exchange_url=args.exchange_url)  # fmt: skip
    if args.feed is not None:
        controller.feed = FeedKind(args.feed)
    relay = None
    if not is_team_url(db):  # a DuckDB file: one writer, so other commands come through us
        from app.relay import AppRelay

        relay = AppRelay(store, controller)
        relay.changed.connect(controller.on_store_changed)
    team_cache = None
    if is_team_url(db):
        from app.team_cache import listen_to_cache

        team_cache = listen_to_cache(store, controller, window)
    running = Running(app, store, worker, window, controller, relay, team_cache)
    try:
        controller.start(args.symbol, args.theme)
    except ValueError:
        running.close()
        raise
    window.show()
    controller.when_shown(lambda: _settle(worker, store))
    return running


def _settle(worker: IndicatorWorker, store: BarStore) -> None:
    """What need not delay the first picture: the indicator worker (its kernels load on a
    thread; requests made meanwhile wait for it), the check of every block of the store
    (writes wait for it: a damaged store is never written to), and freezing what was built
    so far, which lives as long as the app, out of the cyclic collector's passes (they stay
    short, and frames do not stall on them)."""
    worker.start_in_background()
    store.verify_in_background()
    gc.collect()
    gc.freeze()


def run_gui(db: Path, args: argparse.Namespace) -> int:
    signals = QuitOnSignals()  # from the start: a logout while it opens closes it too
    running = build_app(db, args)
    signals.watch(running.app)
    try:
        return running.app.exec()
    finally:
        signals.stop()
        running.close()


class QuitOnSignals:
    """SIGTERM (a logout, `kill`) and SIGINT (Ctrl+C where it was started) close the app as
    File > Quit does, the window's state kept, the live bars written and the store closed;
    by default either ended the process where it stood. Python handles a signal only when
    it runs: once the app runs, a timer gives it a moment four times a second."""

    def __init__(self) -> None:
        self.asked = False
        self._app = None
        self._timer = None
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, self._quit)

    def _quit(self, *_args) -> None:
        self.asked = True
        if self._app is not None:
            from PySide6 import QtWidgets

            QtWidgets.QApplication.closeAllWindows()
            self._app.quit()

    def watch(self, app) -> None:
        """The app now runs its loop: asked already (while it opened), it quits at once."""
        from PySide6 import QtCore

        self._app = app
        self._timer = QtCore.QTimer(app)
        self._timer.timeout.connect(lambda: None)
        self._timer.start(250)
        if self.asked:
            QtCore.QTimer.singleShot(0, app, self._quit)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
