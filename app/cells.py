"""The grid of symbols: any N x M cells up to 3 x 3, each its own symbol and timeframe (the
active one follows the symbol box, the watchlist and the timeframe buttons); and the live
sessions and loaded series of the symbols its other cells show."""

from __future__ import annotations

import dataclasses
import json

from app.live import LIVE_TIMEFRAMES, LiveSession
from app.sessions import FeedSessions
from app.symbol_models import SymbolModels
from data.store import BarStore
from widgets.series_model import SeriesModel

MAX_SIDE = 3
GRID_SIZES = ((1, 2), (2, 1), (2, 2), (2, 3), (3, 2), (3, 3))


@dataclasses.dataclass(frozen=True)
class SymbolGrid:
    rows: int = 2
    cols: int = 2
    cells: tuple[tuple[str, str], ...] = ()  # (symbol, timeframe), row by row
    active: int = 0  # the cell the symbol box and the timeframe buttons change

    def __post_init__(self) -> None:
        for name in ("rows", "cols"):
            side = getattr(self, name)
            if not 1 <= side <= MAX_SIDE:
                raise ValueError(f"a grid of {self.rows} x {self.cols}: {name} must be 1 to "
                                 f"{MAX_SIDE}")  # fmt: skip
        for symbol, timeframe in self.cells:
            if timeframe not in LIVE_TIMEFRAMES:
                raise ValueError(f"cell {symbol} {timeframe!r}: the timeframe must be one of "
                                 f"{', '.join(LIVE_TIMEFRAMES)}")  # fmt: skip

    def filled(self, symbols: list[str], timeframe: str) -> SymbolGrid:
        """Every cell given: the first cells kept, the new ones showing the symbols not
        shown yet, then the others again, at `timeframe` (none when there are no symbols)."""
        cells = list(self.cells[: self.rows * self.cols])
        shown = {s for s, _ in cells}
        order = [s for s in symbols if s not in shown] + [s for s in symbols if s in shown]
        missing = self.rows * self.cols - len(cells) if order else 0
        cells.extend((order[k % len(order)], timeframe) for k in range(missing))
        active = min(self.active, self.rows * self.cols - 1)
        return dataclasses.replace(self, cells=tuple(cells), active=active)

    def resized(self, rows: int, cols: int, symbols: list[str], timeframe: str) -> SymbolGrid:
        return SymbolGrid(rows, cols, self.cells, self.active).filled(symbols, timeframe)

    def with_cell(self, k: int, symbol: str | None = None, timeframe: str | None = None):
        old_symbol, old_timeframe = self.cells[k]
        cells = list(self.cells)
        cells[k] = (symbol or old_symbol, timeframe or old_timeframe)
        return dataclasses.replace(self, cells=tuple(cells))

    def symbols(self) -> set[str]:
        return {s for s, _ in self.cells}

    def saved(self) -> str:
        return json.dumps({"rows": self.rows, "cols": self.cols, "cells": self.cells,
                           "active": self.active})  # fmt: skip

    @staticmethod
    def restored(text: object, symbols: list[str]) -> SymbolGrid:
        """The grid saved by `saved` (its cells of symbols no longer stored dropped), or the
        default one if there is none or it cannot be read."""
        try:
            saved = json.loads(str(text))
            cells = tuple((str(s), str(tf)) for s, tf in saved["cells"] if s in symbols)
            active = int(saved.get("active", 0))
            return SymbolGrid(int(saved["rows"]), int(saved["cols"]), cells, active)
        except (ValueError, KeyError, TypeError):
            return SymbolGrid()


@dataclasses.dataclass
class Held:
    """A symbol on screen: its session, its loaded series, and why its feed does not run
    on it (empty when it does)."""

    session: LiveSession
    series: SymbolModels
    problem: str = ""
    reason: str = ""


class CellSymbols:
    """The symbols the grid's cells show besides the active one, each held once."""

    def __init__(self, store: BarStore) -> None:
        self.store = store
        self.held: dict[str, Held] = {}

    def series(self, sessions: FeedSessions, symbol: str) -> SymbolModels:
        held = self.held.get(symbol)
        if held is None:
            session, problem, reason = sessions.open(symbol)
            held = self.held[symbol] = Held(session, SymbolModels(self.store, symbol, session),
                                            problem, reason)  # fmt: skip
        return held.series

    def take(self, symbol: str) -> Held | None:
        return self.held.pop(symbol, None)

    def put(self, symbol: str, held: Held) -> None:
        self.held[symbol] = held

    def start(self) -> None:
        """Start the sessions not started yet (after the grid's first paint)."""
        for held in self.held.values():
            if not held.session.started:
                held.series.derive()
                held.session.start()

    def keep(self, symbols: set[str], sessions: FeedSessions | None) -> list[SeriesModel]:
        """Let go of the symbols not in `symbols`: their sessions go on in the background (or
        close); their models are returned, to be freed once no view shows them."""
        stale: list[SeriesModel] = []
        for symbol in [s for s in self.held if s not in symbols]:
            held = self.held.pop(symbol)
            stale.extend(held.series.models.values())
            for model in list(held.session.models.values()):
                held.session.detach(model)
            if sessions is not None and held.session.feed is not None:
                sessions.park(held.session)
            else:
                held.session.close()
                held.session.deleteLater()
        return stale

    def drop(self, symbol: str) -> list[SeriesModel]:
        """`symbol` was deleted: its session ends storing nothing more."""
        held = self.held.pop(symbol, None)
        if held is None:
            return []
        held.session.close(store=False)
        held.session.deleteLater()
        return list(held.series.models.values())

    def close(self, sessions: FeedSessions | None) -> list[SeriesModel]:
        return self.keep(set(), sessions)


class GridOfSymbols:
    """The grid of symbols' cells and each cell's indicators (saved instances), remembered
    in `settings` as they change, and its view."""

    def __init__(self, settings, symbols: list[str]) -> None:
        from app.remembered import saved_indicators

        self._settings = settings
        self.grid = SymbolGrid.restored(settings.value("symbol_grid"), symbols)
        try:
            cells = json.loads(str(settings.value("symbol_grid_indicators", "[]")))
        except ValueError:
            cells = []
        cells = cells if isinstance(cells, list) else []
        self.indicators = [saved_indicators(json.dumps(c)) for c in cells]

    def set(self, grid: SymbolGrid) -> None:
        self.grid = grid
        self._settings.setValue("symbol_grid", grid.saved())
        n = len(grid.cells)
        self.set_indicators((self.indicators + [[] for _ in range(n)])[:n])

    def set_indicators(self, cells: list[list[dict]]) -> None:
        self.indicators = cells
        self._settings.setValue("symbol_grid_indicators", json.dumps(cells))

    def remember_active_indicators(self, saved: list[dict]) -> None:
        """The active cell's indicators changed (the Indicators menu)."""
        cells = list(self.indicators)
        cells[self.grid.active] = saved
        self.set_indicators(cells)

    def set_cell(self, symbol: str | None = None, timeframe: str | None = None) -> None:
        """The active cell's symbol or timeframe."""
        self.set(self.grid.with_cell(self.grid.active, symbol, timeframe))

    def show(self, symbol: str, symbols: list[str], timeframe: str) -> None:
        """`symbol` in the active cell, every cell given (a grid restored from another
        store, or whose symbols were deleted, has none): the new ones show `symbols` at
        `timeframe`."""
        self.set(self.grid.filled(symbols, timeframe).with_cell(self.grid.active, symbol))

    def replace(self, gone: str, symbols: list[str]) -> None:
        """The cells that showed `gone` (deleted) show other `symbols`, those not shown
        first, each at its timeframe (none left: the grid empties)."""
        if gone not in self.grid.symbols():
            return
        others = [s for s in symbols if s != gone]
        shown = {s for s, _ in self.grid.cells}
        order = [s for s in others if s not in shown] + [s for s in others if s in shown]
        spare = iter(order * len(self.grid.cells))
        cells = tuple((next(spare), tf) if s == gone else (s, tf) for s, tf in self.grid.cells)
        self.set(dataclasses.replace(self.grid, cells=cells if others else ()))

    def set_active(self, k: int) -> None:
        self.set(dataclasses.replace(self.grid, active=k))

    def others(self) -> set[str]:
        """The symbols of the cells but the active one."""
        return {s for k, (s, _) in enumerate(self.grid.cells) if k != self.grid.active}

    def view(self, symbol: str, model, live, symbols: list[str], timeframe: str, theme):
        """(the view, its charts): the active cell shows `symbol` through `model(tf)`, the
        others their symbols, held by `live` (a LiveSymbols; those no cell shows let go);
        cells not given yet show `symbols` at `timeframe`."""
        from app.views import make_symbol_grid

        self.show(symbol, symbols, timeframe)
        models = [model(tf) if s == symbol else live.cell_series(s).model(tf)
                  for s, tf in self.grid.cells]  # fmt: skip
        live.keep_cells(self.others() - {symbol})
        return make_symbol_grid(models, self.grid.cols, theme)
