"""The file under a bar store: opening it (locks, permissions, a file that is not a store)
and every failure of it in words that name the file and what to do."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import duckdb

READ_MEMORY_LIMIT = "32MB"  # reads stream into numpy: DuckDB needs little
_DUCKDB_MAGIC = b"DUCK"


class StoreError(Exception):
    """A bar store could not be opened or used; the message says why and what to do."""


def store_errors(*caught: type[BaseException]):
    """Class decorator: every public method of the class raises StoreError (its
    `_problem(exc)`) for the backend's `caught` exceptions, never those themselves."""

    def decorate(cls):
        for name, method in list(vars(cls).items()):
            if name.startswith("_") or not callable(method) or name == "close":
                continue

            def wrapped(self, *args, _method=method, **kwargs):
                try:
                    return _method(self, *args, **kwargs)
                except caught as exc:
                    raise self._problem(exc) from None

            setattr(cls, name, functools.wraps(method)(wrapped))
        return cls

    return decorate


class StoreHeld(StoreError):
    """The store file is open for writing in another process (a running terminal)."""


def describe_failure(path: Path, exc: BaseException) -> tuple[StoreError, bool]:
    """A DuckDB or Arrow failure in words, naming the file and what to do; and whether it
    says the file is damaged."""
    text = first_line(exc)
    lower = text.lower()
    if "checksum" in lower or "corrupt" in lower:
        return StoreError(
            f"the bar store {path} is damaged ({text}); nothing more is written to it. "
            f"See what is readable with `candleterm check --db {path}` and copy it into "
            f"a new store with `candleterm repair --db {path} NEW.duckdb`"
        ), True
    if "no space left" in lower or "disk full" in lower or "file too large" in lower:
        return StoreError(
            f"the disk holding the bar store {path} is full ({text}); the change was "
            "rolled back and nothing stored was lost: free some space and try again"
        ), False
    if "permission denied" in lower or "read-only" in lower:
        return StoreError(
            f"the bar store {path} cannot be written ({text}): check the permissions "
            "of the file and its folder, or open another store with --db PATH"
        ), False
    return StoreError(f"the bar store {path} failed: {text}"), False


class Closed:
    """Stands in for the connection of a closed store."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def __getattr__(self, name: str):
        raise StoreError(f"the bar store {self._path} is closed")

    def close(self) -> None:
        pass


def check_is_duckdb_file(path: Path) -> None:
    if not path.exists():
        return
    if path.is_dir():
        raise StoreError(f"{path} is a directory; give the path of a .duckdb file")
    with path.open("rb") as fh:
        head = fh.read(12)
    if len(head) == 0:
        return  # an empty file holds nothing to lose; DuckDB initialises it
    if head[8:12] != _DUCKDB_MAGIC:
        raise StoreError(
            f"{path} is not a DuckDB database (it does not start with a DuckDB header); "
            "it was left untouched: pass another path with --db"
        )


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def no_permission(path: Path, text: str) -> StoreError:
    if path.exists():
        return StoreError(
            f"the bar store {path} cannot be opened for writing ({text}); `candleterm "
            "symbols`, `export` and `check` read it as it is: to chart it, give yourself write "
            "permission on the file and its folder, or copy it somewhere writable"
        )
    return StoreError(
        f"cannot create the bar store {path}: no permission to write in {path.parent}; "
        "choose another place with --db PATH"
    )


def connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(
            str(path),
            read_only=read_only,
            config={"threads": min(4, os.cpu_count() or 1), "memory_limit": READ_MEMORY_LIMIT},
        )
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            pid = re.search(r"PID (\d+)", text)
            who = f"process {pid.group(1)}" if pid else "another process"
            raise StoreHeld(
                f"the bar store {path} is open in {who}; close that program first, "
                "or open another store with --db PATH"
            ) from None
        if "permission denied" in text.lower() or "read-only" in text.lower():
            raise no_permission(path, first_line(exc)) from None
        raise StoreError(f"cannot open the bar store {path}: {text}") from None
    except duckdb.Error as exc:
        raise StoreError(
            f"{path} could not be opened as a DuckDB database ({exc}); it was left "
            "untouched: pass another path with --db"
        ) from None
