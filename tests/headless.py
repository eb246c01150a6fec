"""The start of a script that runs a real terminal (window, controller, store) headless in a
child process, for tests and benchmarks that need the store held by another process, or the
process killed: argv[1] the store file, argv[2] the settings file. What follows builds the
controller and runs `app.exec()`."""

TERMINAL_SCRIPT = """
import json, os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6 import QtCore, QtWidgets
app = QtWidgets.QApplication([])
from app.controller import ChartController
from app.main_window import MainWindow
from app.relay import AppRelay
from data.feeds.kinds import FeedKind
from data.store import BarStore
store = BarStore(sys.argv[1])
settings = QtCore.QSettings(sys.argv[2], QtCore.QSettings.Format.IniFormat)
window = MainWindow()
"""
