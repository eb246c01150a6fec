"""Using a store while the terminal runs on it: DuckDB lets one process write a file, and
the terminal holds its store the whole day, so the commands (`candleterm import`, `export`,
`symbols`, `fetch`, `drawings`) are relayed to the running terminal, which carries them out
on its own open store and sends their output back.

The terminal listens on a Unix socket in the user's runtime folder (a folder only that user
may enter: mode 0700), named after the store file. A command line that finds its store held
by another process sends its arguments there as one JSON line, and prints what comes back
(a JSON line each: {"out": text}, {"err": text}, then {"exit": code}). A command waits for
the one before it (one runs at a time), RELAY_WAIT_S at most, then says the store is busy
and gives up; the terminal's live bars keep being written
meanwhile (its writes and the command's take the store's lock in turn, each short).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from data.store.arrow import as_numpy, bars_table
from data.store.files import StoreError, StoreHeld
from data.store.instruments import Instrument
from data.store.provenance import Source, SourceKind, Stretch
from engine.alert_specs import alert_from_saved
from engine.bars import COLUMNS, Bars
from engine.drawings import from_saved

RELAYED = ("import", "export", "symbols", "fetch", "drawings", "check", "repair")
RELAY_WAIT_S = 120.0  # a relayed command waits this long for the one before it, at most
READS = (
    "symbols",
    "instruments",
    "timeframes",
    "load",
    "time_range",
    "count",
    "sources",
    "drawings",
    "alerts",
    "alert_log",
    "series_version",
    "changes_since",
)  # what a reading process may ask of the terminal's store (`sync` from it too)
Handler = Callable[[list[str], Callable[[str, str], None]], int]


def _socket_in(base: str, store_path: Path) -> Path:
    """The socket of `store_path` under runtime folder `base`."""
    digest = hashlib.sha1(str(Path(store_path).resolve()).encode()).hexdigest()[:16]
    return Path(base) / f"candleterm-{os.getuid()}" / f"store-{digest}.sock"


def socket_path(store_path: Path) -> Path:
    """Where a terminal this process starts on `store_path` listens: in its runtime folder,
    or the temporary folder without one."""
    path = _socket_in(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir(), store_path)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    os.chmod(path.parent, 0o700)  # only this user: the socket carries commands on the store
    return path


def listening_socket(store_path: Path) -> Path | None:
    """Where a terminal running on `store_path` listens, if one does: looked for in this
    process' runtime folder, the login's (/run/user/UID: a cron job or a shell without
    XDG_RUNTIME_DIR reaching the desktop's terminal) and the temporary folder (a terminal
    started without one). Only this user's folders are looked in."""
    uid = os.getuid()
    bases = (os.environ.get("XDG_RUNTIME_DIR"), f"/run/user/{uid}", tempfile.gettempdir())
    for base in dict.fromkeys(b for b in bases if b):
        path = _socket_in(base, store_path)
        if path.exists() and path.parent.stat().st_uid == uid:
            return path
    return None


class RelayServer:
    """Listens for relayed commands on the store's socket; `handler(argv, say)` runs one
    (`say(stream, text)` sends output back) and returns its exit code."""

    def __init__(self, store_path: Path, handler: Handler, store=None) -> None:
        """`store`: the open store reads are answered from (None: commands only)."""
        self.path = socket_path(store_path)
        self._handler = handler
        self._store = store
        self.wait_s = RELAY_WAIT_S
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
                request = json.loads(stream.readline())
                if "read" in request:
                    self._read(request, stream)
                    return
                argv = request["argv"]
                if not argv or argv[0] not in RELAYED:
                    say(
                        "err",
                        "candleterm: error: the running terminal takes "
                        f"{', '.join(RELAYED)} commands, not {' '.join(argv[:1])!r}",
                    )
                    code = 2
                elif not self._one_at_a_time.acquire(timeout=self.wait_s):
                    say(
                        "err",
                        f"candleterm: error: the terminal running on this store has "
                        f"been busy with another command for over {self.wait_s:g} s; "
                        "try again when it is done\n",
                    )
                    code = 2
                else:
                    try:
                        code = self._handler(argv, say)
                    finally:
                        self._one_at_a_time.release()
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

    def _read(self, request: dict, stream) -> None:
        """A reading process's call on the store: its result as a JSON line, or bars as a
        line giving their size followed by that many bytes of Arrow IPC stream."""
        name = request["read"]
        try:
            if name not in READS or self._store is None:
                raise ValueError(f"the running terminal answers no {name!r} read")
            result = getattr(self._store, name)(*request.get("args", []),
                                               **request.get("kwargs", {}))  # fmt: skip
        except (ValueError, KeyError, StoreError) as exc:
            stream.write(json.dumps({"error": str(exc.args[0] if exc.args else exc)}) + "\n")
            stream.flush()
            return
        if isinstance(result, Bars):
            sink = pa.BufferOutputStream()
            table = bars_table(result)
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            data = sink.getvalue().to_pybytes()
            stream.write(json.dumps({"bars": len(data)}) + "\n")
            stream.flush()
            stream.buffer.write(data)
            stream.buffer.flush()
            return
        stream.write(json.dumps({"result": _plain(result)}) + "\n")
        stream.flush()

    def close(self) -> None:
        self._server.close()
        self.path.unlink(missing_ok=True)


def relay(store_path: Path, argv: list[str], out, err) -> int | None:
    """Run `argv` in the terminal running on `store_path`, its output to `out` and `err`;
    its exit code, or None when no terminal listens there."""
    path = listening_socket(store_path)
    if path is None:
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
            to = out if "out" in message else err
            to.write(message.get("out", message.get("err")))
            to.flush()
    return 2  # the terminal closed the connection before saying how it ended


def _plain(result):
    """A store method's result as JSON: instruments, stretches, drawings and alerts by
    their fields."""
    if isinstance(result, list | tuple):
        return [_plain(x) for x in result]
    if isinstance(result, Stretch):
        return {"kind": result.source.kind.value, "detail": result.source.detail,
                "first_ns": result.first_ns, "last_ns": result.last_ns}  # fmt: skip
    if isinstance(result, Instrument):
        return dataclasses.asdict(result)
    if hasattr(result, "saved"):
        return result.saved()
    if isinstance(result, np.integer):
        return int(result)
    return result


class RelayedStore:
    """A store file held by a running terminal, read through it: what a notebook or a
    script gets from `open_store(path, read_only=True)` while the terminal runs. Bars come
    as Bars (`load`) or a pyarrow table (`table`), streamed in Arrow's IPC format."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.read_only = True
        self.queries = 0
        self.damaged = ""
        self._socket = listening_socket(self.path)
        if self._socket is None:
            raise StoreHeld(f"the bar store {self.path} is open in another process that "
                            "answers no reads (not a running candleterm): close it "
                            "first")  # fmt: skip

    def _ask(self, name: str, *args, **kwargs):
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            client.connect(str(self._socket))
        except OSError as exc:
            client.close()
            raise StoreError(f"the terminal on {self.path} did not answer ({exc}): "
                             "is it still running?") from None  # fmt: skip
        with client, client.makefile("rwb") as stream:
            stream.write((json.dumps({"read": name, "args": args, "kwargs": kwargs})
                          + "\n").encode())  # fmt: skip
            stream.flush()
            head = json.loads(stream.readline())
            if "error" in head:
                raise ValueError(head["error"])
            if "bars" not in head:
                return head["result"]
            self.queries += 1
            table = pa.ipc.open_stream(stream.read(head["bars"])).read_all()
            return Bars(*(as_numpy(table.column(c)) for c in COLUMNS))

    def close(self) -> None:
        pass

    def __enter__(self) -> RelayedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def symbols(self) -> list[str]:
        return self._ask("symbols")

    def timeframes(self, symbol: str) -> list[str]:
        return self._ask("timeframes", symbol)

    def instruments(self) -> list[Instrument]:
        return [Instrument(**x) for x in self._ask("instruments")]

    def instrument(self, symbol: str) -> Instrument:
        found = [i for i in self.instruments() if i.symbol == symbol]
        if not found:
            raise KeyError(f"no instrument {symbol!r} in {self.path}")
        return found[0]

    def load(self, symbol: str, timeframe: str, start_ns: int | None = None,
             end_ns: int | None = None, limit: int | None = None) -> Bars:  # fmt: skip
        return self._ask("load", symbol, timeframe, start_ns, end_ns, limit)

    def table(self, symbol: str, timeframe: str = "1m", **window) -> pa.Table:
        """The bars as a pyarrow table (ts_ns, open, high, low, close, volume)."""
        bars = self.load(symbol, timeframe, **window)
        return bars_table(bars)

    def time_range(self, symbol: str, timeframe: str = "1m") -> tuple[int, int] | None:
        found = self._ask("time_range", symbol, timeframe)
        return None if found is None else tuple(found)

    def count(self, symbol: str, timeframe: str, start_ns: int | None = None,
              end_ns: int | None = None) -> int:  # fmt: skip
        return self._ask("count", symbol, timeframe, start_ns, end_ns)

    def sources(self, symbol: str, timeframe: str = "1m") -> list[Stretch]:
        return [Stretch(Source(SourceKind(x["kind"]), x["detail"]), x["first_ns"], x["last_ns"])
                for x in self._ask("sources", symbol, timeframe)]  # fmt: skip

    def drawings(self, symbol: str):
        return [from_saved(x) for x in self._ask("drawings", symbol)]

    def alerts(self, symbol: str):
        return [alert_from_saved(x) for x in self._ask("alerts", symbol)]

    def alert_log(self) -> list[dict]:
        return self._ask("alert_log")

    def series_version(self, symbol: str, timeframe: str) -> int:
        return self._ask("series_version", symbol, timeframe)

    def changes_since(self, symbol: str, timeframe: str, version: int
                      ) -> list[tuple[int, int]] | None:  # fmt: skip
        spans = self._ask("changes_since", symbol, timeframe, version)
        return None if spans is None else [tuple(span) for span in spans]
