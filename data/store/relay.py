"""Using a store while the terminal runs on it: DuckDB lets one process write a file, and
the terminal holds its store the whole day, so the commands (`candleterm import`, `export`,
`symbols`, `fetch`, `drawings`) are relayed to the running terminal, which carries them out
on its own open store and sends their output back.

The terminal listens on a Unix socket in the user's runtime folder (a folder only that user
may enter: mode 0700), named after the store file. A command line that finds its store held
by another process sends its arguments there as one JSON line, and prints what comes back
(a JSON line each: {"out": text}, {"err": text}, then {"exit": code}). A command waits for
the one before it (one runs at a time); the terminal's live bars keep being written
meanwhile (its writes and the command's take the store's lock in turn, each short).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

RELAYED = ("import", "export", "symbols", "fetch", "drawings")
Handler = Callable[[list[str], Callable[[str, str], None]], int]


def socket_path(store_path: Path) -> Path:
    """Where the terminal running on `store_path` listens."""
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    folder = Path(base) / f"candleterm-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)  # only this user: the socket carries commands on the store
    digest = hashlib.sha1(str(Path(store_path).resolve()).encode()).hexdigest()[:16]
    return folder / f"store-{digest}.sock"


class RelayServer:
    """Listens for relayed commands on the store's socket; `handler(argv, say)` runs one
    (`say(stream, text)` sends output back) and returns its exit code."""

    def __init__(self, store_path: Path, handler: Handler) -> None:
        self.path = socket_path(store_path)
        self._handler = handler
        self._one_at_a_time = threading.Lock()
        self.path.unlink(missing_ok=True)  # a terminal that died left it
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.path))
        os.chmod(self.path, 0o600)
        self._server.listen(8)
        self._thread = threading.Thread(target=self._serve, name="candleterm-relay",
                                        daemon=True)  # fmt: skip
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rw", encoding="utf-8") as stream:
            lock = threading.Lock()

            def say(kind: str, text: str) -> None:
                with lock:
                    stream.write(json.dumps({kind: text}) + "\n")
                    stream.flush()

            try:
                argv = json.loads(stream.readline())["argv"]
                if not argv or argv[0] not in RELAYED:
                    say("err", f"the running terminal does not take {argv[:1]} commands")
                    code = 2
                else:
                    with self._one_at_a_time:
                        code = self._handler(argv, say)
            except (OSError, ValueError, KeyError) as exc:
                code = 2
                try:
                    say("err", f"relayed command failed: {exc}")
                except OSError:
                    return
            try:
                stream.write(json.dumps({"exit": code}) + "\n")
                stream.flush()
            except OSError:
                pass

    def close(self) -> None:
        self._server.close()
        self.path.unlink(missing_ok=True)


def relay(store_path: Path, argv: list[str], out, err) -> int | None:
    """Run `argv` in the terminal running on `store_path`, its output to `out` and `err`;
    its exit code, or None when no terminal listens there."""
    path = socket_path(store_path)
    if not path.exists():
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(str(path))
    except OSError:
        client.close()
        return None
    with client, client.makefile("rw", encoding="utf-8") as stream:
        stream.write(json.dumps({"argv": argv}) + "\n")
        stream.flush()
        for line in stream:
            message = json.loads(line)
            if "exit" in message:
                return int(message["exit"])
            (out if "out" in message else err).write(message.get("out", message.get("err")))
            (out if "out" in message else err).flush()
    return 2  # the terminal closed the connection before saying how it ended
