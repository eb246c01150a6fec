"""The main window: toolbar, menus, status bar and the chart area. Layout only: it says what
the user asked for through signals; the controller does it."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from data.feeds.kinds import FEED_SPECS
from engine.indicators.registry import REGISTRY

TIMEFRAME_BUTTONS = ("1m", "5m", "15m", "1h", "4h", "1d")
LAYOUTS = {"single": "Single chart", "grid": "2x2 timeframes", "layered": "Layered",
           "symbols": "Grid of symbols"}  # fmt: skip
GRID_SIZES = ((1, 2), (2, 1), (2, 2), (2, 3), (3, 2), (3, 3))
FEEDS = {key: spec.title for key, spec in FEED_SPECS.items()}
SPEEDS = (1, 10, 60, 300, 1000)
STAT_ORDER = ("feed", "ticks", "frame", "latency", "queries", "worker")  # most needed first
MESSAGE_ROOM_PX = 160  # kept free in the status bar for messages
STATUS_GAP_PX = 7  # between two of the status bar's figures (its layout's spacing)
STATUS_GRIP_PX = 25  # right of the last one (the size grip)
PRICE_SCALES = {"linear": "Price scale: prices", "percent": "Price scale: percent from first bar",
                "log": "Price scale: logarithmic"}  # fmt: skip


class MainWindow(QtWidgets.QMainWindow):
    """Signals:
    symbol_chosen(str), timeframe_chosen(str), layout_chosen(str), feed_chosen(str),
    speed_chosen(float), pause_toggled(bool paused), step_requested(), theme_chosen(str),
    price_scale_chosen(str),
    screenshot_requested(), import_requested(), simcopy_requested(), delete_requested(),
    indicator_chosen(str key): add an instance of an indicator;
    indicator_removed(str uid): remove one;
    grid_size_chosen(int rows, int cols): the grid of symbols' size;
    workspace_save_requested(), workspace_chosen(str name);
    alert_requested(bool once): a price alert on the active symbol;
    go_to_requested(): View > Go to date.
    """

    symbol_chosen = QtCore.Signal(str)
    timeframe_chosen = QtCore.Signal(str)
    layout_chosen = QtCore.Signal(str)
    feed_chosen = QtCore.Signal(str)
    speed_chosen = QtCore.Signal(float)
    pause_toggled = QtCore.Signal(bool)
    step_requested = QtCore.Signal()
    theme_chosen = QtCore.Signal(str)
    price_scale_chosen = QtCore.Signal(str)
    screenshot_requested = QtCore.Signal()
    import_requested = QtCore.Signal()
    simcopy_requested = QtCore.Signal()
    delete_requested = QtCore.Signal()
    indicator_chosen = QtCore.Signal(str)
    indicator_removed = QtCore.Signal(str)
    grid_size_chosen = QtCore.Signal(int, int)
    workspace_save_requested = QtCore.Signal()
    workspace_chosen = QtCore.Signal(str)
    alert_requested = QtCore.Signal(bool)
    drawing_alert_requested = QtCore.Signal(bool)
    indicator_alert_requested = QtCore.Signal()
    compare_requested = QtCore.Signal()
    go_to_requested = QtCore.Signal()
    compare_cleared = QtCore.Signal()

    def __init__(self) -> None:
        super().__init__()
        self.view: QtWidgets.QWidget | None = None
        self._build_toolbar()
        self._build_menus()
        self._build_status()
        self.resize(1400, 850)

    # -- building ----------------------------------------------------------------------------

    def _combo(self, toolbar, label: str, items: dict, tip: str) -> QtWidgets.QComboBox:
        toolbar.addWidget(QtWidgets.QLabel(f" {label} "))
        box = QtWidgets.QComboBox()
        for key, text in items.items():
            box.addItem(text, key)
        box.setToolTip(tip)
        toolbar.addWidget(box)
        return box

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Chart")
        bar.setObjectName("chart-toolbar")
        bar.setMovable(False)
        bar.addWidget(QtWidgets.QLabel(" Symbol "))
        self.symbol_box = QtWidgets.QComboBox()
        self.symbol_box.setEditable(True)  # type to search
        self.symbol_box.setInsertPolicy(QtWidgets.QComboBox.InsertPolicy.NoInsert)
        self.symbol_box.completer().setFilterMode(QtCore.Qt.MatchFlag.MatchContains)
        self.symbol_box.setMinimumContentsLength(10)
        self.symbol_box.setToolTip("Symbol shown (type to search)")
        self.symbol_box.textActivated.connect(self._on_symbol_activated)
        # Return on typed text (a combo box that inserts nothing ignores it otherwise, unless
        # a completion was picked first).
        self.symbol_box.lineEdit().returnPressed.connect(self._on_symbol_typed)
        bar.addWidget(self.symbol_box)
        bar.addSeparator()
        self.timeframe_group = QtGui.QActionGroup(self)
        self.timeframe_actions: dict[str, QtGui.QAction] = {}
        for tf in TIMEFRAME_BUTTONS:
            action = bar.addAction(tf)
            action.setCheckable(True)
            action.setToolTip(f"Show {tf} bars")
            action.triggered.connect(lambda _=False, tf=tf: self.timeframe_chosen.emit(tf))
            self.timeframe_group.addAction(action)
            self.timeframe_actions[tf] = action
        bar.addSeparator()
        tip = (
            "Single chart, a 2x2 grid of 1m/5m/1h/1d, higher timeframes layered behind, or "
            "a grid of symbols (its size in View > Grid of symbols)"
        )
        self.layout_box = self._combo(bar, "Layout", LAYOUTS, tip)
        self.layout_box.activated.connect(
            lambda i: self.layout_chosen.emit(self.layout_box.itemData(i))
        )
        bar.addSeparator()
        self.feed_box = self._combo(bar, "Feed", FEEDS, "Where live ticks come from")
        self.feed_box.activated.connect(lambda i: self.feed_chosen.emit(self.feed_box.itemData(i)))
        self.pause_action = bar.addAction("Pause")
        self.pause_action.setCheckable(True)
        self.pause_action.setShortcut(QtGui.QKeySequence("Space"))
        self.pause_action.setToolTip("Pause or resume the feed (Space)")
        self.pause_action.toggled.connect(self.pause_toggled)
        self.step_action = bar.addAction("Step")
        self.step_action.setShortcut(QtGui.QKeySequence("Ctrl+Right"))
        self.step_action.setToolTip("Replay the next bar (Ctrl+Right)")
        self.step_action.triggered.connect(self.step_requested)
        self.speed_box = self._combo(bar, "Speed", {s: f"x{s}" for s in SPEEDS}, "Replay speed")
        self.speed_box.activated.connect(
            lambda i: self.speed_chosen.emit(float(self.speed_box.itemData(i)))
        )

    def _on_symbol_typed(self) -> None:
        """A typed symbol, matched to a listed one whatever its case ("es" opens ES)."""
        text = self.symbol_box.currentText().strip()
        listed = self.symbol_box.findText(text, QtCore.Qt.MatchFlag.MatchFixedString)
        self._on_symbol_activated(self.symbol_box.itemText(listed) if listed >= 0 else text)

    def _on_symbol_activated(self, text: str) -> None:
        """Hand the keyboard back to the chart (Space pauses, arrows pan), then say."""
        if self.view is not None:
            self.view.setFocus()
        self.symbol_chosen.emit(text.strip())

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("File")
        action = file_menu.addAction("&Import bars or ticks...")
        action.setShortcut(QtGui.QKeySequence("Ctrl+I"))
        action.triggered.connect(self.import_requested)
        action = file_menu.addAction("Simulated &copy of this symbol")
        action.setToolTip("Copy the last 30 days of 1m bars under SYMBOL.SIM and simulate it")
        action.triggered.connect(self.simcopy_requested)
        action = file_menu.addAction("&Delete this symbol's bars...")
        action.setToolTip("Remove the symbol's bars from the store (every timeframe)")
        action.triggered.connect(self.delete_requested)
        action = file_menu.addAction("Save &workspace...")
        action.setToolTip("Save the symbols, layout, timeframes and indicators under a name")
        action.triggered.connect(self.workspace_save_requested)
        self.workspaces_menu = file_menu.addMenu("&Open workspace")
        self.workspaces_menu.setEnabled(False)
        file_menu.addSeparator()
        action = file_menu.addAction("&Save screenshot")
        action.setShortcut(QtGui.QKeySequence("Ctrl+S"))
        action.triggered.connect(self.screenshot_requested)
        file_menu.addSeparator()
        action = file_menu.addAction("&Quit")
        action.setShortcut(QtGui.QKeySequence("Ctrl+Q"))
        action.triggered.connect(self.close)
        self.view_menu = view_menu = self.menuBar().addMenu("View")
        self.theme_group = QtGui.QActionGroup(self)
        self.theme_actions: dict[str, QtGui.QAction] = {}
        for name in ("dark", "light"):
            action = view_menu.addAction(f"{name.title()} theme")
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, n=name: self.theme_chosen.emit(n))
            self.theme_group.addAction(action)
            self.theme_actions[name] = action
        view_menu.addSeparator()
        self.scale_group = QtGui.QActionGroup(self)
        self.scale_actions: dict[str, QtGui.QAction] = {}
        for name, text in PRICE_SCALES.items():
            action = view_menu.addAction(text)
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, n=name: self.price_scale_chosen.emit(n))
            self.scale_group.addAction(action)
            self.scale_actions[name] = action
        view_menu.addSeparator()
        action = view_menu.addAction("&Go to date...")
        action.setShortcut(QtGui.QKeySequence("Ctrl+G"))
        action.triggered.connect(self.go_to_requested)
        view_menu.addSeparator()
        sizes = view_menu.addMenu("Grid of symbols")
        for rows, cols in GRID_SIZES:
            action = sizes.addAction(f"{rows} x {cols}")
            action.setToolTip(f"{rows * cols} charts, each its own symbol and timeframe")
            action.triggered.connect(
                lambda _=False, r=rows, c=cols: self.grid_size_chosen.emit(r, c)
            )
        alerts_menu = self.menuBar().addMenu("Alerts")
        for text, once in (
            ("Add price &alert...", True),
            ("Add price alert, every &time...", False),
        ):
            action = alerts_menu.addAction(text)
            action.triggered.connect(lambda _=False, o=once: self.alert_requested.emit(o))
        alerts_menu.addSeparator()
        for text, once in (
            ("Alert on the selected &drawing", True),
            ("Alert on the selected drawing, &every time", False),
        ):
            action = alerts_menu.addAction(text)
            action.setToolTip("A horizontal line, trend line or ray selected on the chart")
            action.triggered.connect(lambda _=False, o=once: self.drawing_alert_requested.emit(o))
        alerts_menu.addAction("Add &indicator alert...").triggered.connect(
            self.indicator_alert_requested
        )
        self.indicators_menu = self.menuBar().addMenu("&Indicators")
        for indicator in REGISTRY.values():
            action = self.indicators_menu.addAction(indicator.title)
            action.triggered.connect(lambda _=False, k=indicator.key: self.indicator_chosen.emit(k))
        self.remove_menu = self.indicators_menu.addMenu("Remove")
        self.remove_menu.setEnabled(False)
        self.indicators_menu.addSeparator()
        self.indicators_menu.addAction("&Compare with symbol...").triggered.connect(
            self.compare_requested
        )
        self.indicators_menu.addAction("Remove c&omparisons").triggered.connect(
            self.compare_cleared
        )

    def _build_status(self) -> None:
        self.info_label = QtWidgets.QLabel()
        self.info_label.setToolTip("Symbol, calendar and bars shown")
        self.info_label.setContentsMargins(6, 0, 6, 0)
        self.statusBar().addPermanentWidget(self.info_label)
        self.stat_labels: dict[str, QtWidgets.QLabel] = {}
        tips = {
            "feed": "Feed state",
            "ticks": "Ticks a second taken from the feed",
            "frame": "UI frame time (build + paint), median and worst of the last second",
            "latency": "Tick-to-screen latency, median and worst of the last second",
            "queries": "Bar store queries a minute; the watchlist's so far (its session "
            "opens and forming bars, from the open-price layer, and its previous closes)",
            "worker": "Indicator worker process",
        }
        for key, tip in tips.items():
            label = QtWidgets.QLabel()
            label.setToolTip(tip)
            label.setContentsMargins(6, 0, 6, 0)
            self.statusBar().addPermanentWidget(label)
            self.stat_labels[key] = label
        self._feed_message = ""  # the status message saying why the feed is off
        self.statusBar().messageChanged.connect(self._on_message_changed)

    # -- showing state -----------------------------------------------------------------------

    def set_view(self, view: QtWidgets.QWidget) -> None:
        """Put a chart, grid or layered chart in the middle (the previous one is deleted)."""
        old = self.takeCentralWidget()
        self.view = view
        self.setCentralWidget(view)
        # Qt shows a new central widget from the event loop; a view replaced again before
        # that (two choices in one event) would stay hidden, so show it now.
        view.show()
        view.setFocus()  # keys go to the chart, not to the symbol box
        if old is not None:
            old.deleteLater()

    def add_side_panel(self, dock: QtWidgets.QDockWidget, right: bool = False) -> None:
        """A dock on the left (the watchlist) or the right (the alerts), shown or hidden from
        the View menu."""
        area = QtCore.Qt.DockWidgetArea
        self.addDockWidget(area.RightDockWidgetArea if right else area.LeftDockWidgetArea, dock)
        self.view_menu.addSeparator()
        self.view_menu.addAction(dock.toggleViewAction())

    def widen_side_panel(self, dock: QtWidgets.QDockWidget) -> None:
        """`dock` at its own width once the window is laid out (with no width remembered)."""
        width = dock.widget().sizeHint().width()
        QtCore.QTimer.singleShot(
            0, self, lambda: self.resizeDocks([dock], [width], QtCore.Qt.Orientation.Horizontal)
        )

    def confirm(self, question: str) -> bool:
        """Yes or no from the user (No by default)."""
        answer = QtWidgets.QMessageBox.question(
            self, "candleterm", question, defaultButton=QtWidgets.QMessageBox.StandardButton.No
        )
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    def set_workspaces(self, names: list[str], current: str) -> None:
        """The saved workspaces in File > Open workspace, the current one checked."""
        self.workspaces_menu.clear()
        for name in names:
            action = self.workspaces_menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(name == current)
            action.triggered.connect(lambda _=False, n=name: self.workspace_chosen.emit(n))
        self.workspaces_menu.setEnabled(bool(names))

    def set_symbols(self, symbols: list[str], current: str) -> None:
        with QtCore.QSignalBlocker(self.symbol_box):
            self.symbol_box.clear()
            self.symbol_box.addItems(symbols)
            self.symbol_box.setCurrentText(current)

    def show_symbol(self, symbol: str) -> None:
        """The symbol box shows `symbol` (opened from elsewhere), without signalling."""
        with QtCore.QSignalBlocker(self.symbol_box):
            self.symbol_box.setCurrentText(symbol)

    def set_choices(self, timeframe: str, layout: str, feed: str, speed: float, theme: str):
        """Show the current choices without signalling them."""
        self.timeframe_actions[timeframe].setChecked(True)
        for box, value in ((self.layout_box, layout), (self.feed_box, feed),
                           (self.speed_box, int(speed))):  # fmt: skip
            with QtCore.QSignalBlocker(box):
                box.setCurrentIndex(max(box.findData(value), 0))
        self.theme_actions[theme].setChecked(True)
        replay = feed == "replay"
        self.step_action.setEnabled(replay)
        self.speed_box.setEnabled(replay)

    def set_pausable(self, pausable: bool) -> None:
        """Pause is offered only while a feed that can pause (simulated, replay) runs."""
        self.pause_action.setEnabled(pausable)

    def set_price_scale(self, scale: str) -> None:
        self.scale_actions[scale].setChecked(True)

    def set_paused(self, paused: bool) -> None:
        with QtCore.QSignalBlocker(self.pause_action):
            self.pause_action.setChecked(paused)
        self.pause_action.setText("Resume" if paused else "Pause")

    def set_active_indicators(self, shown: list[tuple[str, str]]) -> None:
        """The indicators on the charts, as (uid, title), each removable."""
        self.remove_menu.clear()
        for uid, title in shown:
            action = self.remove_menu.addAction(title)
            action.triggered.connect(lambda _=False, u=uid: self.indicator_removed.emit(u))
        self.remove_menu.setEnabled(bool(shown))

    def set_stats(self, texts: dict[str, str]) -> None:
        for key, text in texts.items():
            self.stat_labels[key].setText(text)
        self._fit_status()

    def set_info(self, text: str) -> None:
        """What is shown: symbol, description, calendar, bars (kept in the status bar)."""
        if text != self.info_label.text():
            self.info_label.setText(text)
            self._fit_status()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_status()

    def _fit_status(self) -> None:
        """In a narrow window, or beside a long message (a feed's refusal says what to do),
        the least needed figures give way, then the series shown (its chart names it); the
        feed's state stays."""
        message = self.statusBar().currentMessage()
        message_px = self.statusBar().fontMetrics().horizontalAdvance(message) + 24
        room = self.width() - max(MESSAGE_ROOM_PX, message_px) - STATUS_GRIP_PX
        room -= self.stat_labels["feed"].sizeHint().width() + STATUS_GAP_PX
        info_px = self.info_label.sizeHint().width() + STATUS_GAP_PX
        keep_info = not message or room >= info_px
        room -= info_px if keep_info else 0
        for key in STAT_ORDER[1:]:
            label = self.stat_labels[key]
            room -= label.sizeHint().width() + STATUS_GAP_PX
            label.setVisible(room >= 0)
        self.info_label.setVisible(keep_info)

    def set_feed_problem(self, short: str, reason: str) -> None:
        """The chosen feed does not run (empty: it does): the feed field says so until it
        does, its tooltip and the status bar say why (until it runs: the reason about
        another symbol does not stay)."""
        label = self.stat_labels["feed"]
        if short:
            label.setText(short)
        label.setToolTip(reason or "Feed state")
        label.setStyleSheet("color: #e0a030;" if short else "")
        message = reason.removeprefix(f"{short}: ")  # the feed field says that part
        before, self._feed_message = self._feed_message, message
        if message:
            self.show_status(message)
        elif before and self.statusBar().currentMessage() == before:
            self.statusBar().clearMessage()

    def _on_message_changed(self, text: str) -> None:
        """A message cleared (its time up, a menu's tip gone) gives way to the feed's
        reason, for as long as the feed is off; the figures make room. A message is the
        status bar's tool tip too: one longer than the window is cut at its end."""
        if not text and self._feed_message:
            self.statusBar().showMessage(self._feed_message)  # (calls this again)
            return
        self.statusBar().setToolTip(text)  # the whole of one longer than the window
        self._fit_status()

    def show_status(self, text: str, timeout_ms: int = 0) -> None:
        self.statusBar().showMessage(text, timeout_ms)
