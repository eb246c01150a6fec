"""Named workspaces: saved from what is on screen, opened again, listed in File > Open
workspace, the last state restored on launch; bad names and missing workspaces explained."""

import pytest

from app import workspaces
from app.controller import ChartController
from data.feeds.kinds import FeedKind
from engine.worker import IndicatorWorker
from tests.conftest import make_bars


def test_names_are_checked():
    assert workspaces.check_name("  Morning FX ") == "Morning FX"
    for bad in ("", "   ", "x" * 41):
        with pytest.raises(ValueError, match="workspace name .*: use 1 to 40 characters"):
            workspaces.check_name(bad)


def test_any_name_is_kept_whole(settings):
    """ "eu/fx morning" was refused (a / separates the settings' groups), after the dialog
    had closed; a / or \\ or % in a name is kept as typed."""
    for k, name in enumerate(("eu/fx morning", "a\\b", "50% risk", "%2F")):
        settings.setValue("layout", f"layout {k}")
        assert workspaces.save(settings, name) == name
    assert workspaces.names(settings) == ["%2F", "50% risk", "a\\b", "eu/fx morning"]
    workspaces.load(settings, "eu/fx morning")
    assert settings.value("layout") == "layout 0"
    workspaces.load(settings, "%2F")
    assert settings.value("layout") == "layout 3"


def test_unknown_workspace_lists_the_saved(settings):
    with pytest.raises(ValueError, match=r"no workspace 'x'; saved: none yet"):
        workspaces.load(settings, "x")
    settings.setValue("layout", "grid")
    workspaces.save(settings, "b")
    with pytest.raises(ValueError, match=r"no workspace 'x'; saved: b"):
        workspaces.load(settings, "x")


def charts(controller) -> list[tuple[str, str]]:
    return [(c.model.symbol, c.model.timeframe) for c in controller.charts]


def test_a_workspace_is_saved_opened_and_restored_on_launch(store, window, settings):
    for k, symbol in enumerate(("AAA", "BBB", "CCC")):
        store.write_bars(symbol, "1m", make_bars(3000, seed=k))
    worker = IndicatorWorker(timeout_s=30)
    worker.start()
    controller = ChartController(store, window, worker, settings)
    controller.feed = FeedKind.OFF
    try:
        controller.start("AAA")
        window.show()
        window.timeframe_chosen.emit("5m")
        controller.add_indicator("sma", period=7)
        assert controller.surface.add_compare("BBB")
        controller.save_workspace("day")
        controller.surface.clear_compares()
        controller.set_grid_size(1, 2)
        window.symbol_chosen.emit("CCC")  # into the active (first) cell
        controller.save_workspace("pair")
        assert [a.text() for a in window.workspaces_menu.actions()] == ["day", "pair"]
        assert [a.isChecked() for a in window.workspaces_menu.actions()] == [False, True]

        window.workspace_chosen.emit("day")
        assert controller.layout == "single" and charts(controller) == [("AAA", "5m")]
        assert list(controller.chart.compares) == ["BBB"]  # the workspace's comparison
        controller.indicators.wait_idle()
        assert [i.title for i in controller.indicators.active.values()] == ["SMA 7"]
        window.workspace_chosen.emit("pair")
        assert controller.layout == "symbols"
        assert charts(controller) == [("CCC", "5m"), ("BBB", "5m")]
        assert controller.symbol == "CCC" and window.symbol_box.currentText() == "CCC"

        controller.save_workspace("x" * 41)
        assert "use 1 to 40 characters" in window.statusBar().currentMessage()
        window.workspace_chosen.emit("gone")
        assert "no workspace 'gone'; saved: day, pair" in window.statusBar().currentMessage()
    finally:
        controller.close()
        worker.stop()
    again = ChartController(store, window, None, settings)  # a new launch: where it was
    try:
        again.start()
        assert again.layout == "symbols" and charts(again) == [("CCC", "5m"), ("BBB", "5m")]
    finally:
        again.close()
