"""The running terminal's side of relayed commands (data/store/relay.py): it carries out
`candleterm import/export/symbols/fetch/drawings` sent by other processes on its own open
store, and what changed shows at once: a symbol imported is reloaded in its charts, drawings
imported are read again, the symbol list follows."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore

from app.cli import run_relayed
from data.store.relay import RelayServer


class AppRelay(QtCore.QObject):
    """Signals: changed(str command, str symbol): a relayed command changed the store (sent
    from the relay's thread; received on the window's)."""

    changed = QtCore.Signal(str, str)

    def __init__(self, store, parent: QtCore.QObject) -> None:
        super().__init__(parent)
        self._store = store
        self._server = RelayServer(Path(store.path), self._run, store)

    def _run(self, argv: list[str], say) -> int:
        code, args = run_relayed(argv, say, self._store)
        if code == 0 and args is not None and args.command in ("import", "fetch", "drawings"):
            self.changed.emit(args.command, getattr(args, "symbol", "") or "")
        return code

    def close(self) -> None:
        self._server.close()
